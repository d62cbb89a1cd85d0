/* A persistent database's log and snapshot; see dbd-wal.h. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>
#include <tdb.h>

#include "dbd-wal.h"
#include "log.h"
#include "ltdb.h"
#include "talloc-util.h"
#include "wire.h"

#define WAL_MAGIC    UINT32_C(0x4c575443) /* "CTWL" */
#define WAL_FRAME    12u                  /* magic, payload length, payload hash */
/* A snapshot when the log passes this; replaying it after a crash then stays short. */
#define WAL_FULL     (16u * 1024u * 1024u)
/*
 * The log is written ahead with zeros this far past its end: a batch then
 * lands on blocks the file has, and its fdatasync writes the data alone, not
 * the inode and the journal as an append does (on this kind of disk 140 us
 * instead of 260 us; fallocate() would not do: its blocks are "unwritten"
 * until written, which is a journal commit again). Replay stops at the first
 * zero frame, as at a torn tail.
 */
#define WAL_AHEAD    (1024u * 1024u)
/* Records per snapshot entry, and its bytes about (an entry must fit one wire payload). */
#define SNAP_RECORDS 4096u
#define SNAP_BYTES   (512u * 1024u)

/* One entry: a batch (seq_from -> seq_to), or a part of a snapshot (seq_from = seq_to). */
struct wal_entry {
        uint64_t seq_from;
        uint64_t seq_to;
        uint32_t epoch;
        uint32_t n_records;
        struct db_record *records;
};

static const struct wire_field entry_fields[] = {
        WIRE_U64(struct wal_entry, seq_from),
        WIRE_U64(struct wal_entry, seq_to),
        WIRE_U32(struct wal_entry, epoch),
        WIRE_STRUCT_ARRAY(struct wal_entry, records, n_records, &db_record_desc, DB_BATCH_RECORDS),
};

static const struct wire_desc entry_desc = WIRE_DESC(0, struct wal_entry, entry_fields);

/* A caller of dbd_wal_on_durable(), in mark order. */
struct durable_wait {
        struct durable_wait *next;
        uint64_t mark;
        dbd_wal_durable_fn done;
        void *userdata;
};

struct dbd_wal {
        char *path, *wal_path, *snap_path, *clean_path;
        int fd;                 /* the log */
        uint64_t size;          /* where the log ends: the next entry goes here */
        uint64_t ahead;         /* the file's size: zeros from size up to here */
        uint64_t written;       /* bytes ever appended: the marks */

        /* The sync thread (started by the first dbd_wal_on_durable()); under lock. */
        pthread_t thread;
        bool started, stop, busy;
        pthread_mutex_t lock;
        pthread_cond_t cond;    /* more to sync, a stop, or the thread went idle */
        uint64_t want;          /* sync up to this mark */
        uint64_t synced;        /* on disk up to this mark */
        int error;              /* the last fdatasync's, sticky */
        int event_fd;           /* the thread says "synced" here */
        sd_event_source *source;
        struct durable_wait *waits, **waits_tail;
};

static void *sync_thread(void *userdata) {
        struct dbd_wal *w = userdata;
        uint64_t one = 1;

        pthread_mutex_lock(&w->lock);
        while (!w->stop) {
                uint64_t target = w->want;
                int r;

                if (w->synced >= target) {
                        pthread_cond_wait(&w->cond, &w->lock);
                        continue;
                }
                w->busy = true;
                pthread_mutex_unlock(&w->lock);
                r = fdatasync(w->fd) < 0 ? -errno : 0;
                pthread_mutex_lock(&w->lock);
                w->busy = false;
                if (r < 0)
                        w->error = r;
                else if (target > w->synced)
                        w->synced = target;
                pthread_cond_broadcast(&w->cond);
                (void) !write(w->event_fd, &one, sizeof(one));
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

/* Runs the waits whose marks are on disk (all of them with the error, once a sync failed). */
static void waits_run(struct dbd_wal *w) {
        uint64_t synced;
        int error;

        pthread_mutex_lock(&w->lock);
        synced = w->synced;
        error = w->error;
        pthread_mutex_unlock(&w->lock);
        while (w->waits && (error < 0 || w->waits->mark <= synced)) {
                struct durable_wait *d = w->waits;

                w->waits = d->next;
                if (!w->waits)
                        w->waits_tail = &w->waits;
                d->done(d->userdata, error);
                talloc_free(d);
        }
}

static int on_synced(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        uint64_t n;

        (void) !read(fd, &n, sizeof(n));
        waits_run(userdata);
        return 0;
}

/* Everything written is on disk when this returns (the thread idle meanwhile): a checkpoint or a close. */
static int sync_now(struct dbd_wal *w) {
        int r;

        pthread_mutex_lock(&w->lock);
        while (w->busy)
                pthread_cond_wait(&w->cond, &w->lock);
        r = fdatasync(w->fd) < 0 ? -errno : 0;
        if (r < 0)
                w->error = r;
        else
                w->synced = w->want = w->written;
        pthread_mutex_unlock(&w->lock);
        waits_run(w);
        return r;
}

static int wal_destructor(struct dbd_wal *w) {
        if (w->started) {
                pthread_mutex_lock(&w->lock);
                w->stop = true;
                pthread_cond_broadcast(&w->cond);
                pthread_mutex_unlock(&w->lock);
                pthread_join(w->thread, NULL);
        }
        w->source = sd_event_source_disable_unref(w->source);
        if (w->event_fd >= 0)
                close(w->event_fd);
        if (w->fd >= 0)
                close(w->fd);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        return 0;
}

/* A rename or unlink in the directory of path is durable once this returns. */
static int sync_dir(const char *path) {
        _cleanup_talloc_ char *copy = talloc_strdup(NULL, path);
        int fd, r = 0;

        if (!copy)
                return -ENOMEM;
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                r = -errno;
        close(fd);
        return r;
}

static int write_all(int fd, const uint8_t *p, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

static int pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off) {
        while (len > 0) {
                ssize_t n = pwrite(fd, p, len, (off_t) off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                off += (uint64_t) n;
                len -= (size_t) n;
        }
        return 0;
}

/* Frames entry into a new buffer (magic, payload length, payload hash, payload). */
static int entry_frame(void *mem_ctx, const struct wal_entry *e, uint8_t **ret, size_t *ret_len) {
        size_t len = wire_payload_size(&entry_desc, e);
        uint8_t *buf = talloc_size(mem_ctx, WAL_FRAME + len);
        uint32_t head[3];
        int r;

        if (!buf)
                return -ENOMEM;
        r = wire_pack(&entry_desc, e, buf + WAL_FRAME, len);
        if (r < 0) {
                talloc_free(buf);
                return r;
        }
        head[0] = WAL_MAGIC;
        head[1] = (uint32_t) len;
        head[2] = ltdb_hash(buf + WAL_FRAME, len);
        memcpy(buf, head, sizeof(head));
        *ret = buf;
        *ret_len = WAL_FRAME + len;
        return 0;
}

/* Frames entry into fd at its position (not synced): the snapshot's writes. */
static int entry_write(int fd, const struct wal_entry *e) {
        _cleanup_talloc_ uint8_t *buf = NULL;
        size_t len;
        int r = entry_frame(NULL, e, &buf, &len);

        return r < 0 ? r : write_all(fd, buf, len);
}

/*
 * The entry at off of data (size bytes) into *e, its frame's length into
 * *ret_len; false at a torn, zeroed or foreign frame: the log ends there.
 */
static bool entry_at(void *mem_ctx, const uint8_t *data, size_t size, size_t off, struct wal_entry *e,
                     size_t *ret_len) {
        uint32_t head[3];

        if (off + WAL_FRAME > size)
                return false;
        memcpy(head, data + off, sizeof(head));
        if (head[0] != WAL_MAGIC || head[1] > size - off - WAL_FRAME ||
            ltdb_hash(data + off + WAL_FRAME, head[1]) != head[2] ||
            wire_unpack(&entry_desc, mem_ctx, data + off + WAL_FRAME, head[1], e) < 0)
                return false;
        *ret_len = WAL_FRAME + head[1];
        return true;
}

/* The whole of file path into *ret (talloc'ed, a NUL after it): 0, or -ENOENT and other errors. */
static int read_file(const char *path, uint8_t **ret, size_t *ret_size) {
        uint8_t *data = NULL;
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !(data = talloc_zero_size(NULL, (size_t) st.st_size + 1)) ||
            read(fd, data, (size_t) st.st_size) != st.st_size)
                r = -EIO;
        close(fd);
        if (r < 0) {
                talloc_free(data);
                return r;
        }
        *ret = data;
        *ret_size = (size_t) st.st_size;
        return 0;
}

/* ---- rebuilding the file ------------------------------------------------ */

struct replay {
        struct tdb_context *tdb;
        uint64_t seqnum;
        uint32_t epoch;
        bool have_snapshot;
        unsigned batches;
};

static int store_record(struct tdb_context *tdb, const struct db_record *rec) {
        struct ltdb_header h = { .rsn = rec->rsn, .dmaster = rec->dmaster, .flags = rec->flags };
        uint8_t hdr[LTDB_HEADER_SIZE];
        TDB_DATA key = { .dptr = (uint8_t *) rec->key, .dsize = rec->key_len };
        TDB_DATA parts[2] = { { .dptr = hdr, .dsize = sizeof(hdr) },
                              { .dptr = (uint8_t *) rec->value, .dsize = rec->value_len } };

        ltdb_header_put(&h, hdr);
        return tdb_storev(tdb, key, parts, rec->value_len ? 2 : 1, TDB_REPLACE) < 0 ? -EIO : 0;
}

static int replay_entry(struct replay *rp, const struct wal_entry *e, bool snapshot) {
        struct db_record seq = { .rsn = e->seq_to, .key = (const uint8_t *) DB_SEQNUM_KEY,
                                 .key_len = sizeof(DB_SEQNUM_KEY), .value = (const uint8_t *) &e->seq_to,
                                 .value_len = sizeof(e->seq_to) };
        uint8_t hdr_epoch[LTDB_HEADER_SIZE];
        int r = 0;

        if (!snapshot) {
                if (e->seq_to <= rp->seqnum && e->seq_from < rp->seqnum)
                        return 0;       /* in the snapshot already */
                if (e->seq_from != rp->seqnum)
                        return -ESTALE; /* a gap: nothing after it belongs to this file */
        }
        for (uint32_t i = 0; i < e->n_records && r >= 0; i++)
                r = store_record(rp->tdb, &e->records[i]);
        /* The seqnum record carries the epoch in reserved1, as dbd_store_seqnum() reads it. */
        if (r >= 0) {
                struct ltdb_header h = { .rsn = e->seq_to,
                                         .dmaster = !snapshot && e->n_records
                                                            ? e->records[e->n_records - 1].dmaster
                                                            : 0,
                                         .reserved1 = e->epoch };
                TDB_DATA key = { .dptr = (uint8_t *) seq.key, .dsize = seq.key_len };
                TDB_DATA parts[2] = { { .dptr = hdr_epoch, .dsize = sizeof(hdr_epoch) },
                                      { .dptr = (uint8_t *) seq.value, .dsize = seq.value_len } };

                ltdb_header_put(&h, hdr_epoch);
                r = tdb_storev(rp->tdb, key, parts, 2, TDB_REPLACE) < 0 ? -EIO : 0;
        }
        rp->seqnum = e->seq_to;
        rp->epoch = e->epoch;
        rp->batches += !snapshot;
        return r;
}

/*
 * Every intact entry of file path in order, into rp (NULL: none), stopping
 * quietly at a torn, zeroed or foreign tail; *ret_end (if given) is where
 * the intact entries end.
 */
static int walk_file(const char *path, struct replay *rp, bool snapshot, uint64_t *ret_end) {
        _cleanup_talloc_ uint8_t *data = NULL;
        size_t size = 0, off = 0, len;
        int r = read_file(path, &data, &size);

        if (r < 0)
                return r == -ENOENT && rp ? 0 : r;
        for (;;) {
                _cleanup_talloc_ void *tmp = talloc_new(NULL);
                struct wal_entry e;

                if (!tmp)
                        return -ENOMEM;
                if (!entry_at(tmp, data, size, off, &e, &len))
                        break;
                r = rp ? replay_entry(rp, &e, snapshot) : 0;
                if (r == -ESTALE) {
                        log_warning("%s: a gap after seqnum %" PRIu64 "; the rest is not replayed", path,
                                    rp->seqnum);
                        break;
                }
                if (r < 0)
                        return r;
                off += len;
        }
        if (ret_end)
                *ret_end = off;
        return 0;
}

static int rebuild(struct dbd_wal *w) {
        _cleanup_talloc_ char *tmp_path = talloc_asprintf(NULL, "%s.rebuild", w->path);
        struct replay rp = { 0 };
        int r;

        if (!tmp_path)
                return -ENOMEM;
        (void) unlink(tmp_path);
        rp.tdb = tdb_open(tmp_path, LTDB_HASH_SIZE, TDB_DISALLOW_NESTING | TDB_NOSYNC,
                          O_RDWR | O_CREAT | O_EXCL, 0600);
        if (!rp.tdb)
                return errno > 0 ? -errno : -EIO;
        r = tdb_transaction_start(rp.tdb) < 0 ? -EIO : 0;
        if (r >= 0)
                r = walk_file(w->snap_path, &rp, true, NULL);
        if (r >= 0)
                r = walk_file(w->wal_path, &rp, false, NULL);
        if (r >= 0)
                r = tdb_transaction_commit(rp.tdb) < 0 ? -EIO : 0;
        if (r >= 0 && fdatasync(tdb_fd(rp.tdb)) < 0)
                r = -errno;
        tdb_close(rp.tdb);
        if (r >= 0 && rename(tmp_path, w->path) < 0)
                r = -errno;
        if (r >= 0)
                r = sync_dir(w->path);
        if (r < 0) {
                (void) unlink(tmp_path);
                return r;
        }
        log_info("Rebuilt %s after an unclean stop: seqnum %" PRIu64 " (%u logged batches replayed)",
                 w->path, rp.seqnum, rp.batches);
        return 0;
}

/* ---- the log ------------------------------------------------------------ */

int dbd_wal_open(void *mem_ctx, const char *path, struct dbd_wal **ret, bool *ret_fresh) {
        struct dbd_wal *w = talloc_zero(mem_ctx, struct dbd_wal);
        bool clean, have_snap;
        int r;

        if (!w)
                return -ENOMEM;
        w->fd = w->event_fd = -1;
        w->waits_tail = &w->waits;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        talloc_set_destructor(w, wal_destructor);
        w->path = talloc_strdup(w, path);
        w->wal_path = talloc_asprintf(w, "%s.wal", path);
        w->snap_path = talloc_asprintf(w, "%s.snap", path);
        w->clean_path = talloc_asprintf(w, "%s.clean", path);
        if (!w->path || !w->wal_path || !w->snap_path || !w->clean_path) {
                talloc_free(w);
                return -ENOMEM;
        }
        have_snap = access(w->snap_path, F_OK) == 0;
        clean = access(w->clean_path, F_OK) == 0;
        r = have_snap && !clean ? rebuild(w) : 0;
        /* From here on a stop that does not end in dbd_wal_close() is unclean. */
        if (r >= 0 && clean && (unlink(w->clean_path) < 0 || sync_dir(w->clean_path) < 0))
                r = -errno;
        if (r >= 0) {
                w->fd = open(w->wal_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
                r = w->fd < 0 ? -errno : walk_file(w->wal_path, NULL, false, &w->size);
        }
        /* Nothing but zeros after the end, so that replay never reads an old frame past it. */
        if (r >= 0 && ftruncate(w->fd, (off_t) w->size) < 0)
                r = -errno;
        w->ahead = w->size;
        if (r < 0) {
                talloc_free(w);
                return r;
        }
        *ret_fresh = !have_snap;
        *ret = w;
        return 0;
}

/* Zeros from w->ahead to WAL_AHEAD past need (not synced: the next fdatasync takes them along). */
static int write_ahead(struct dbd_wal *w, uint64_t need) {
        static const uint8_t zeros[64 * 1024];
        uint64_t to = need + WAL_AHEAD;

        while (w->ahead < to) {
                size_t n = to - w->ahead < sizeof(zeros) ? (size_t) (to - w->ahead) : sizeof(zeros);
                int r = pwrite_all(w->fd, zeros, n, w->ahead);

                if (r < 0)
                        return r;
                w->ahead += n;
        }
        return 0;
}

int dbd_wal_append(struct dbd_wal *w, const struct db_record *records, size_t n, uint64_t seq_from,
                   uint64_t seq_to, uint32_t epoch, uint64_t *ret_mark) {
        struct wal_entry e = { .seq_from = seq_from, .seq_to = seq_to, .epoch = epoch,
                               .n_records = (uint32_t) n, .records = (struct db_record *) records };
        _cleanup_talloc_ uint8_t *buf = NULL;
        size_t len;
        int r = entry_frame(NULL, &e, &buf, &len);

        if (r >= 0 && w->size + len > w->ahead)
                r = write_ahead(w, w->size + len);
        if (r >= 0)
                r = pwrite_all(w->fd, buf, len, w->size);
        if (r < 0)
                return r;
        w->size += len;
        pthread_mutex_lock(&w->lock);
        w->written += len;
        pthread_mutex_unlock(&w->lock);
        if (!ret_mark)
                return sync_now(w);
        *ret_mark = w->written;
        return 0;
}

int dbd_wal_on_durable(struct dbd_wal *w, sd_event *event, uint64_t mark, dbd_wal_durable_fn done,
                       void *userdata) {
        struct durable_wait *d = talloc_zero(w, struct durable_wait);
        int r;

        if (!d)
                return -ENOMEM;
        if (!w->started) {
                w->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                r = w->event_fd < 0 ? -errno
                                    : sd_event_add_io(event, &w->source, w->event_fd, EPOLLIN, on_synced, w);
                if (r >= 0)
                        r = -pthread_create(&w->thread, NULL, sync_thread, w);
                if (r < 0) {
                        talloc_free(d);
                        return r;
                }
                w->started = true;
        }
        *d = (struct durable_wait) { .mark = mark, .done = done, .userdata = userdata };
        *w->waits_tail = d;
        w->waits_tail = &d->next;
        pthread_mutex_lock(&w->lock);
        if (mark > w->want)
                w->want = mark;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        return 0;
}

bool dbd_wal_full(const struct dbd_wal *w) {
        return w->size >= WAL_FULL;
}

struct snap_state {
        void *ctx;
        int fd;
        struct wal_entry e;
        size_t bytes;
        int r;
};

static void snap_flush(struct snap_state *s) {
        if (s->r >= 0 && s->e.n_records > 0)
                s->r = entry_write(s->fd, &s->e);
        s->e.n_records = 0;
        s->bytes = 0;
        talloc_free(s->ctx);
        s->ctx = talloc_new(NULL);
        s->e.records = s->ctx ? talloc_zero_array(s->ctx, struct db_record, SNAP_RECORDS) : NULL;
        if (!s->e.records && s->r >= 0)
                s->r = -ENOMEM;
}

static int snap_one(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *userdata) {
        struct snap_state *s = userdata;
        struct ltdb_header h;
        const uint8_t *value;
        size_t len;
        uint8_t *copy;

        /* Deleted records and the seqnum record are not kept (the entry's seq_to carries the seqnum). */
        if (ltdb_header_parse(data.dptr, data.dsize, &h, &value, &len) < 0 || len == 0 ||
            (key.dsize == sizeof(DB_SEQNUM_KEY) && memcmp(key.dptr, DB_SEQNUM_KEY, key.dsize) == 0))
                return 0;
        if (s->e.n_records == SNAP_RECORDS || s->bytes + key.dsize + len > SNAP_BYTES)
                snap_flush(s);
        if (s->r < 0 || !(copy = talloc_memdup_any(s->ctx, key.dptr, key.dsize + len + 1)))
                return s->r = s->r < 0 ? s->r : -ENOMEM, -1;
        memcpy(copy + key.dsize, value, len);
        s->e.records[s->e.n_records++] = (struct db_record){
                .rsn = h.rsn,
                .dmaster = h.dmaster,
                .flags = h.flags,
                .key = copy,
                .key_len = (uint32_t) key.dsize,
                .value = copy + key.dsize,
                .value_len = (uint32_t) len,
        };
        s->bytes += key.dsize + len + 32u;
        return 0;
}

int dbd_wal_checkpoint(struct dbd_wal *w, struct tdb_context *tdb) {
        _cleanup_talloc_ char *tmp_path = talloc_asprintf(NULL, "%s.tmp", w->snap_path);
        TDB_DATA k = { .dptr = (uint8_t *) DB_SEQNUM_KEY, .dsize = sizeof(DB_SEQNUM_KEY) };
        TDB_DATA d = tdb_fetch(tdb, k);
        struct snap_state s = { .fd = -1 };
        struct ltdb_header h = { 0 };
        const uint8_t *value;
        size_t len;

        if (!tmp_path)
                return -ENOMEM;
        /* What the log holds is on disk before the snapshot replaces it (and its waits are answered). */
        s.r = sync_now(w);
        if (s.r < 0) {
                free(d.dptr);
                return s.r;
        }
        if (d.dptr && ltdb_header_parse(d.dptr, d.dsize, &h, &value, &len) >= 0 && len == sizeof(uint64_t))
                memcpy(&s.e.seq_to, value, sizeof(uint64_t));
        free(d.dptr);
        s.e.seq_from = s.e.seq_to;
        s.e.epoch = h.reserved1;
        s.fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (s.fd < 0)
                return -errno;
        snap_flush(&s);
        if (s.r >= 0 && tdb_traverse_read(tdb, snap_one, &s) < 0 && s.r >= 0)
                s.r = -EIO;
        /* Always one entry at least: it carries the seqnum and epoch of an empty database too. */
        if (s.r >= 0)
                s.r = entry_write(s.fd, &s.e);
        talloc_free(s.ctx);
        if (s.r >= 0 && fdatasync(s.fd) < 0)
                s.r = -errno;
        close(s.fd);
        if (s.r >= 0 && rename(tmp_path, w->snap_path) < 0)
                s.r = -errno;
        if (s.r >= 0)
                s.r = sync_dir(w->snap_path);
        /* The snapshot holds everything the log did: the log starts again. */
        if (s.r >= 0 && (ftruncate(w->fd, 0) < 0 || fdatasync(w->fd) < 0))
                s.r = -errno;
        if (s.r < 0) {
                (void) unlink(tmp_path);
                return s.r;
        }
        w->size = w->ahead = 0;
        return 0;
}

void dbd_wal_close(struct dbd_wal *w, struct tdb_context *tdb) {
        int fd;

        /* Their owners are going with the database: nobody is left to answer. */
        while (w->waits) {
                struct durable_wait *d = w->waits;

                w->waits = d->next;
                talloc_free(d);
        }
        w->waits_tail = &w->waits;
        if (sync_now(w) < 0 || fdatasync(tdb_fd(tdb)) < 0) {
                log_warning("Failed to sync %s: %m; it is rebuilt at the next start", w->path);
                return;
        }
        fd = open(w->clean_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || fsync(fd) < 0 || sync_dir(w->clean_path) < 0)
                log_warning("Failed to mark %s clean: %m; it is rebuilt at the next start", w->path);
        if (fd >= 0)
                close(fd);
}
