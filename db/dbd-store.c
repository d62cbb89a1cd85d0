/* One database file: tdb with CTDB's record header; see dbd-store.h. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <talloc.h>
#include <tdb.h>

#include "dbd-store.h"
#include "log.h"

struct dbd_store {
        struct tdb_context *tdb;
        int tdb_flags;
        bool frozen;
};

static int store_destructor(struct dbd_store *s) {
        if (s->frozen)
                (void) tdb_unlockall(s->tdb);
        if (s->tdb)
                tdb_close(s->tdb);
        return 0;
}

static TDB_DATA key_data(const uint8_t *key, size_t len) {
        return (TDB_DATA) { .dptr = (uint8_t *) key, .dsize = len };
}

/* tdb reports its errors in its own codes; the callers want errnos. */
static int tdb_errno(struct tdb_context *tdb) {
        switch (tdb_error(tdb)) {
        case TDB_SUCCESS:
                return 0;
        case TDB_ERR_NOEXIST:
                return -ENOENT;
        case TDB_ERR_LOCK:
        case TDB_ERR_NOLOCK:
        case TDB_ERR_LOCK_TIMEOUT:
                return -EAGAIN;
        case TDB_ERR_OOM:
                return -ENOMEM;
        case TDB_ERR_EINVAL:
                return -EINVAL;
        case TDB_ERR_RDONLY:
                return -EROFS;
        case TDB_ERR_NESTING:
                return -EDEADLK;
        default:
                return -EIO;
        }
}

int dbd_store_open(void *mem_ctx, const char *path, enum ltdb_kind kind, bool wipe, struct dbd_store **ret) {
        struct dbd_store *s;

        if (wipe && unlink(path) < 0 && errno != ENOENT)
                return -errno;
        s = talloc_zero(mem_ctx, struct dbd_store);
        if (!s)
                return -ENOMEM;
        s->tdb_flags = ltdb_tdb_flags(kind);
        s->tdb = tdb_open(path, LTDB_HASH_SIZE, s->tdb_flags, O_RDWR | O_CREAT, 0600);
        if (!s->tdb) {
                int r = errno > 0 ? -errno : -EIO;

                talloc_free(s);
                return r;
        }
        talloc_set_destructor(s, store_destructor);
        *ret = s;
        return 0;
}

struct tdb_context *dbd_store_tdb(struct dbd_store *s) {
        return s->tdb;
}

int dbd_store_tdb_flags(const struct dbd_store *s) {
        return s->tdb_flags;
}

int dbd_store_trylock(struct dbd_store *s, const uint8_t *key, size_t len) {
        if (s->frozen)
                return 0;
        if (tdb_chainlock_nonblock(s->tdb, key_data(key, len)) < 0)
                return -EAGAIN;
        return 0;
}

void dbd_store_unlock(struct dbd_store *s, const uint8_t *key, size_t len) {
        if (!s->frozen)
                (void) tdb_chainunlock(s->tdb, key_data(key, len));
}

int dbd_store_fetch(struct dbd_store *s, void *mem_ctx, const uint8_t *key, size_t len,
                    struct ltdb_header *ret_header, uint8_t **ret_value, size_t *ret_value_len) {
        TDB_DATA d = tdb_fetch(s->tdb, key_data(key, len));
        const uint8_t *value;
        size_t value_len;
        int r;

        if (!d.dptr)
                return tdb_error(s->tdb) == TDB_ERR_NOEXIST ? -ENOENT : tdb_errno(s->tdb);
        r = ltdb_header_parse(d.dptr, d.dsize, ret_header, &value, &value_len);
        if (r >= 0 && ret_value) {
                *ret_value = NULL;
                if (value_len > 0 && !(*ret_value = talloc_memdup(mem_ctx, value, value_len)))
                        r = -ENOMEM;
        }
        if (r >= 0 && ret_value_len)
                *ret_value_len = value_len;
        free(d.dptr);
        return r;
}

struct header_parser {
        struct ltdb_header *h;
        int r;
};

static int parse_header(TDB_DATA key, TDB_DATA data, void *userdata) {
        struct header_parser *p = userdata;

        p->r = ltdb_header_parse(data.dptr, data.dsize, p->h, NULL, NULL);
        return 0;
}

int dbd_store_fetch_header(struct dbd_store *s, const uint8_t *key, size_t len, struct ltdb_header *ret) {
        struct header_parser p = { .h = ret, .r = -ENOENT };

        if (tdb_parse_record(s->tdb, key_data(key, len), parse_header, &p) < 0)
                return tdb_error(s->tdb) == TDB_ERR_NOEXIST ? -ENOENT : tdb_errno(s->tdb);
        return p.r;
}

int dbd_store_store(struct dbd_store *s, const uint8_t *key, size_t len, const struct ltdb_header *h,
                    const uint8_t *value, size_t value_len) {
        uint8_t hdr[LTDB_HEADER_SIZE];
        TDB_DATA parts[2] = {
                { .dptr = hdr, .dsize = sizeof(hdr) },
                { .dptr = (uint8_t *) value, .dsize = value_len },
        };

        ltdb_header_put(h, hdr);
        if (tdb_storev(s->tdb, key_data(key, len), parts, value_len > 0 ? 2 : 1, TDB_REPLACE) < 0)
                return tdb_errno(s->tdb);
        return 0;
}

int dbd_store_delete(struct dbd_store *s, const uint8_t *key, size_t len) {
        if (tdb_delete(s->tdb, key_data(key, len)) < 0 && tdb_error(s->tdb) != TDB_ERR_NOEXIST)
                return tdb_errno(s->tdb);
        return 0;
}

int dbd_store_freeze(struct dbd_store *s) {
        if (s->frozen)
                return 0;
        if (tdb_lockall_nonblock(s->tdb) < 0)
                return -EAGAIN;
        s->frozen = true;
        return 0;
}

void dbd_store_thaw(struct dbd_store *s) {
        if (!s->frozen)
                return;
        (void) tdb_unlockall(s->tdb);
        s->frozen = false;
}

bool dbd_store_is_frozen(const struct dbd_store *s) {
        return s->frozen;
}

int dbd_store_wipe(struct dbd_store *s) {
        if (!s->frozen)
                return -EBUSY;
        if (tdb_wipe_all(s->tdb) < 0)
                return tdb_errno(s->tdb);
        return 0;
}

struct traverse_state {
        dbd_store_fn fn;
        void *userdata;
        int r;
};

static int traverse_one(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *userdata) {
        struct traverse_state *t = userdata;
        struct ltdb_header h;
        const uint8_t *value;
        size_t value_len;

        if (ltdb_header_parse(data.dptr, data.dsize, &h, &value, &value_len) < 0)
                return 0;
        t->r = t->fn(t->userdata, key.dptr, key.dsize, &h, value, value_len);
        return t->r != 0;
}

int dbd_store_traverse(struct dbd_store *s, dbd_store_fn fn, void *userdata) {
        struct traverse_state t = { .fn = fn, .userdata = userdata };
        int n;

        /* Frozen, every chain is ours already; a read traverse would try to take them again. */
        n = s->frozen ? tdb_traverse(s->tdb, traverse_one, &t) : tdb_traverse_read(s->tdb, traverse_one, &t);
        if (n < 0 && t.r == 0)
                return tdb_errno(s->tdb);
        return t.r;
}

uint64_t dbd_store_records(struct dbd_store *s) {
        int n = tdb_traverse_read(s->tdb, NULL, NULL);

        return n > 0 ? (uint64_t) n : 0;
}

void dbd_store_repack(struct dbd_store *s, const char *name) {
        bool was_frozen = s->frozen;

        if (dbd_store_freeze(s) < 0)
                return; /* a client is in a record: the next vacuuming run tries again */
        if (tdb_repack(s->tdb) < 0)
                log_warning("Failed to repack %s: %s", name, tdb_errorstr(s->tdb));
        else
                log_info("Repacked %s", name);
        if (!was_frozen)
                dbd_store_thaw(s);
}
