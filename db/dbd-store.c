/* One database file: tdb with CTDB's record header; see dbd-store.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <talloc.h>
#include <tdb.h>

#include "dbd-store.h"
#include "dbd-wal.h"
#include "log.h"
#include "talloc-util.h"

struct dbd_store {
        struct tdb_context *tdb;
        int tdb_flags;
        bool frozen;
        /*
         * Persistent and replicated files: only dbd writes them, in
         * transactions (which tdb refuses under tdb_lockall), and clients only
         * read committed states; a freeze there just stops dbd's own writes.
         */
        bool transactional;
        bool replacing;                 /* a push's transaction is open */
        struct dbd_wal *wal;            /* persistent: the log that makes commits durable */
};

static int store_destructor(struct dbd_store *s) {
        if (s->frozen && !s->transactional)
                (void) tdb_unlockall(s->tdb);
        if (s->wal && s->tdb)
                dbd_wal_close(s->wal, s->tdb);
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
        bool fresh = false;
        int r;

        if (wipe && unlink(path) < 0 && errno != ENOENT)
                return -errno;
        /* A persistent file's log, snapshot and marker go with it (dbd-wal.h). */
        for (const char *suffix = ".wal\0.snap\0.clean\0"; wipe && *suffix; suffix += strlen(suffix) + 1) {
                _cleanup_talloc_ char *p = talloc_asprintf(NULL, "%s%s", path, suffix);

                if (!p)
                        return -ENOMEM;
                if (unlink(p) < 0 && errno != ENOENT)
                        return -errno;
        }
        s = talloc_zero(mem_ctx, struct dbd_store);
        if (!s)
                return -ENOMEM;
        s->tdb_flags = ltdb_tdb_flags(kind);
        s->transactional = kind != LTDB_VOLATILE;
        talloc_set_destructor(s, store_destructor);
        if (kind == LTDB_PERSISTENT && (r = dbd_wal_open(s, path, &s->wal, &fresh)) < 0) {
                talloc_free(s);
                return r;
        }
        /* Clients get CTDB's flags; dbd's own writes are made durable by the log instead (dbd-wal.h). */
        s->tdb = tdb_open(path, LTDB_HASH_SIZE, s->tdb_flags | (s->wal ? TDB_NOSYNC : 0), O_RDWR | O_CREAT,
                          0600);
        if (!s->tdb) {
                r = errno > 0 ? -errno : -EIO;
                talloc_free(s);
                return r;
        }
        if (fresh && (r = dbd_wal_checkpoint(s->wal, s->tdb)) < 0) {
                talloc_free(s);
                return r;
        }
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
        if (s->frozen && !s->transactional)
                return 0;
        if (tdb_chainlock_nonblock(s->tdb, key_data(key, len)) < 0)
                return -EAGAIN;
        return 0;
}

void dbd_store_unlock(struct dbd_store *s, const uint8_t *key, size_t len) {
        if (!s->frozen || s->transactional)
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
        if (!s->transactional && tdb_lockall_nonblock(s->tdb) < 0)
                return -EAGAIN;
        s->frozen = true;
        return 0;
}

void dbd_store_thaw(struct dbd_store *s) {
        if (!s->frozen)
                return;
        if (!s->transactional)
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

int dbd_store_seqnum(struct dbd_store *s, uint64_t *ret_seqnum, uint32_t *ret_epoch) {
        struct tdb_context *tdb = s->tdb;
        TDB_DATA d = tdb_fetch(tdb, key_data((const uint8_t *) DB_SEQNUM_KEY, sizeof(DB_SEQNUM_KEY)));
        struct ltdb_header h;
        const uint8_t *value;
        size_t len;

        *ret_seqnum = 0;
        *ret_epoch = 0;
        if (!d.dptr)
                return tdb_error(tdb) == TDB_ERR_NOEXIST ? 0 : tdb_errno(tdb);
        /* As Samba reads it: a value of another size counts as 0. */
        if (ltdb_header_parse(d.dptr, d.dsize, &h, &value, &len) >= 0) {
                if (len == sizeof(uint64_t))
                        memcpy(ret_seqnum, value, sizeof(uint64_t));
                *ret_epoch = h.reserved1;
        }
        free(d.dptr);
        return 0;
}

/*
 * The seqnum record's header names the node whose commit set it (as the
 * committing client's header does in CTDB): the batch's last record's
 * dmaster; with no record (a new epoch stamped), the one it names already.
 */
static int store_seqnum(struct dbd_store *s, uint64_t seqnum, uint32_t epoch,
                        const struct db_record *records, size_t n) {
        struct ltdb_header h = { .rsn = seqnum, .reserved1 = epoch };

        if (n)
                h.dmaster = records[n - 1].dmaster;
        else {
                TDB_DATA d =
                        tdb_fetch(s->tdb, key_data((const uint8_t *) DB_SEQNUM_KEY, sizeof(DB_SEQNUM_KEY)));
                struct ltdb_header cur;
                const uint8_t *value;
                size_t len;

                if (d.dptr && ltdb_header_parse(d.dptr, d.dsize, &cur, &value, &len) >= 0)
                        h.dmaster = cur.dmaster;
                free(d.dptr);
        }
        return dbd_store_store(s, (const uint8_t *) DB_SEQNUM_KEY, sizeof(DB_SEQNUM_KEY), &h,
                               (const uint8_t *) &seqnum, sizeof(seqnum));
}

/* ret_mark NULL: the log synced before the file is written; else what the log's sync must reach. */
static int apply(struct dbd_store *s, const struct db_record *records, size_t n, uint64_t seqnum,
                 uint32_t epoch, uint64_t *ret_mark) {
        uint64_t seq_from;
        uint32_t old_epoch;
        int r = 0;

        /* In the log first; the tdb transaction after it makes it visible. */
        if (s->wal) {
                r = dbd_store_seqnum(s, &seq_from, &old_epoch);
                if (r >= 0)
                        r = dbd_wal_append(s->wal, records, n, seq_from, seqnum, epoch, ret_mark);
                if (r < 0)
                        return r;
        }
        if (tdb_transaction_start(s->tdb) < 0)
                return tdb_errno(s->tdb);
        for (size_t i = 0; i < n && r >= 0; i++) {
                const struct db_record *rec = &records[i];
                struct ltdb_header h = { .rsn = rec->rsn, .dmaster = rec->dmaster, .flags = rec->flags };

                r = dbd_store_store(s, rec->key, rec->key_len, &h, rec->value, rec->value_len);
        }
        if (r >= 0)
                r = store_seqnum(s, seqnum, epoch, records, n);
        if (r < 0) {
                (void) tdb_transaction_cancel(s->tdb);
                return r;
        }
        if (tdb_transaction_commit(s->tdb) < 0)
                return tdb_errno(s->tdb);
        return s->wal && dbd_wal_full(s->wal) ? dbd_wal_checkpoint(s->wal, s->tdb) : 0;
}

int dbd_store_apply(struct dbd_store *s, const struct db_record *records, size_t n, uint64_t seqnum,
                    uint32_t epoch) {
        return apply(s, records, n, seqnum, epoch, NULL);
}

int dbd_store_apply_visible(struct dbd_store *s, sd_event *event, const struct db_record *records, size_t n,
                            uint64_t seqnum, uint32_t epoch, dbd_store_durable_fn done, void *userdata) {
        uint64_t mark;
        int r;

        if (!s->wal) {
                r = apply(s, records, n, seqnum, epoch, NULL);
                return r < 0 ? r : 1;
        }
        r = apply(s, records, n, seqnum, epoch, &mark);
        if (r < 0)
                return r;
        r = dbd_wal_on_durable(s->wal, event, mark, done, userdata);
        /* No thread to sync in the background: synced here instead, so it is durable all the same. */
        if (r < 0)
                return dbd_wal_checkpoint(s->wal, s->tdb) < 0 ? r : 1;
        return 0;
}

int dbd_store_replace_begin(struct dbd_store *s) {
        if (!s->frozen)
                return -EBUSY;
        /* The push of a recovery that failed half-way: its half goes. */
        dbd_store_replace_cancel(s);
        if (tdb_transaction_start(s->tdb) < 0)
                return tdb_errno(s->tdb);
        s->replacing = true;
        if (tdb_wipe_all(s->tdb) < 0) {
                int r = tdb_errno(s->tdb);

                dbd_store_replace_cancel(s);
                return r;
        }
        return 0;
}

int dbd_store_replace_commit(struct dbd_store *s) {
        if (!s->replacing)
                return -EBADFD;
        s->replacing = false;
        if (tdb_transaction_commit(s->tdb) < 0)
                return tdb_errno(s->tdb);
        /* The whole file is new: a snapshot of it replaces the log. */
        return s->wal ? dbd_wal_checkpoint(s->wal, s->tdb) : 0;
}

void dbd_store_replace_cancel(struct dbd_store *s) {
        if (s->replacing)
                (void) tdb_transaction_cancel(s->tdb);
        s->replacing = false;
}

int dbd_store_stamp(struct dbd_store *s, uint32_t epoch) {
        uint64_t seqnum;
        uint32_t old;
        int r = dbd_store_seqnum(s, &seqnum, &old);

        if (r < 0 || old == epoch)
                return r;
        return dbd_store_apply(s, NULL, 0, seqnum, epoch);
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
        n = s->frozen && !s->transactional ? tdb_traverse(s->tdb, traverse_one, &t)
                                           : tdb_traverse_read(s->tdb, traverse_one, &t);
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
