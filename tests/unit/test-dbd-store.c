/*
 * Unit tests of ctdb-dbd's database file (db/dbd-store.c) on a temporary
 * directory, with a second process holding chain locks as smbd would, and of
 * its record batches (db/dbd-batch.c).
 */

#undef NDEBUG

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <talloc.h>
#include <tdb.h>
#include <unistd.h>

#include "db-proto.h"
#include "dbd-batch.h"
#include "dbd-store.h"
#include "ltdb.h"

struct fixture {
        char *dir;
        char *path;
        void *ctx;
        struct dbd_store *s;
};

/* A persistent file and its log, snapshot and marker (dbd-wal.h). */
static void remove_persistent(const char *path) {
        g_assert_cmpint(g_unlink(path), ==, 0);
        for (const char *suffix = ".wal\0.snap\0.clean\0"; *suffix; suffix += strlen(suffix) + 1) {
                g_autofree char *p = g_strconcat(path, suffix, NULL);

                (void) g_unlink(p);
        }
}

static void setup(struct fixture *fx, gconstpointer data) {
        fx->dir = g_dir_make_tmp("ctdb-test-dbd-store-XXXXXX", NULL);
        g_assert_nonnull(fx->dir);
        fx->path = g_build_filename(fx->dir, "test.tdb.0", NULL);
        fx->ctx = talloc_new(NULL);
        g_assert_cmpint(dbd_store_open(fx->ctx, fx->path, LTDB_VOLATILE, true, &fx->s), ==, 0);
}

static void teardown(struct fixture *fx, gconstpointer data) {
        talloc_free(fx->ctx);
        (void) g_unlink(fx->path);
        g_assert_cmpint(g_rmdir(fx->dir), ==, 0);
        g_free(fx->path);
        g_free(fx->dir);
}

static void store(struct fixture *fx, const char *key, uint64_t rsn, uint32_t dmaster, const char *value) {
        struct ltdb_header h = { .rsn = rsn, .dmaster = dmaster };

        g_assert_cmpint(dbd_store_store(fx->s, (const uint8_t *) key, strlen(key), &h,
                                        (const uint8_t *) value, value ? strlen(value) : 0),
                        ==, 0);
}

/* A record as a client might write it: raw bytes, no header rules. */
static void store_raw(struct fixture *fx, const char *key, const void *data, size_t len) {
        TDB_DATA k = { .dptr = (uint8_t *) key, .dsize = strlen(key) };
        TDB_DATA d = { .dptr = (uint8_t *) data, .dsize = len };

        g_assert_cmpint(tdb_store(dbd_store_tdb(fx->s), k, d, TDB_REPLACE), ==, 0);
}

/* ---- open ----------------------------------------------------------------- */

static void test_open_creates(struct fixture *fx, gconstpointer data) {
        g_assert_true(g_file_test(fx->path, G_FILE_TEST_EXISTS));
        g_assert_cmpint(dbd_store_tdb_flags(fx->s), ==, ltdb_tdb_flags(LTDB_VOLATILE));
        g_assert_cmpuint(dbd_store_records(fx->s), ==, 0);
}

/*
 * wipe = true starts from an empty file even while a stale client (here: the
 * fixture's own handle) still has the old one open, which CLEAR_IF_FIRST
 * alone would not clear.
 */
static void test_open_wipe_removes_old(struct fixture *fx, gconstpointer data) {
        struct dbd_store *fresh = NULL;
        struct ltdb_header h;

        store(fx, "old", 1, 0, "value");
        g_assert_cmpint(dbd_store_open(fx->ctx, fx->path, LTDB_VOLATILE, true, &fresh), ==, 0);
        g_assert_cmpint(dbd_store_fetch_header(fresh, (const uint8_t *) "old", 3, &h), ==, -ENOENT);
        g_assert_cmpuint(dbd_store_records(fresh), ==, 0);
        /* The stale handle keeps the old, unlinked file. */
        g_assert_cmpint(dbd_store_fetch_header(fx->s, (const uint8_t *) "old", 3, &h), ==, 0);
        talloc_free(fresh);
}

/* Without wipe a file that is not cleared on open (persistent) keeps its records; with wipe it does not. */
static void test_open_keep_or_wipe(struct fixture *fx, gconstpointer data) {
        g_autofree char *path = g_build_filename(fx->dir, "kept.tdb.0", NULL);
        struct dbd_store *s = NULL;
        struct ltdb_header h = { .rsn = 5 };

        g_assert_cmpint(dbd_store_open(NULL, path, LTDB_PERSISTENT, true, &s), ==, 0);
        g_assert_cmpint(dbd_store_store(s, (const uint8_t *) "k", 1, &h, NULL, 0), ==, 0);
        TALLOC_FREE(s);
        g_assert_cmpint(dbd_store_open(NULL, path, LTDB_PERSISTENT, false, &s), ==, 0);
        g_assert_cmpint(dbd_store_fetch_header(s, (const uint8_t *) "k", 1, &h), ==, 0);
        g_assert_cmpuint(h.rsn, ==, 5);
        TALLOC_FREE(s);
        g_assert_cmpint(dbd_store_open(NULL, path, LTDB_PERSISTENT, true, &s), ==, 0);
        g_assert_cmpint(dbd_store_fetch_header(s, (const uint8_t *) "k", 1, &h), ==, -ENOENT);
        TALLOC_FREE(s);
        remove_persistent(path);
}

static struct db_record rec(const char *key, const char *value, uint64_t rsn) {
        return (struct db_record) { .rsn = rsn, .dmaster = 1, .key = (const uint8_t *) key,
                                    .key_len = (uint32_t) strlen(key), .value = (const uint8_t *) value,
                                    .value_len = (uint32_t) strlen(value) };
}

static void assert_seqnum(struct dbd_store *s, uint64_t want, uint32_t want_epoch) {
        uint64_t seqnum;
        uint32_t epoch;

        g_assert_cmpint(dbd_store_seqnum(s, &seqnum, &epoch), ==, 0);
        g_assert_cmpuint(seqnum, ==, want);
        g_assert_cmpuint(epoch, ==, want_epoch);
}

static void assert_value(struct dbd_store *s, const char *key, const char *want) {
        struct ltdb_header h;
        uint8_t *value = NULL;
        size_t len = 0;
        int r = dbd_store_fetch(s, NULL, (const uint8_t *) key, strlen(key), &h, &value, &len);

        if (!want) {
                g_assert_true(r == -ENOENT || (r == 0 && len == 0));
        } else {
                g_assert_cmpint(r, ==, 0);
                g_assert_cmpmem(value, len, want, strlen(want));
        }
        talloc_free(value);
}

/* Batches applied, then a stop without the clean marker and a torn file: the start rebuilds it all. */
static void test_persistent_rebuilt_after_crash(struct fixture *fx, gconstpointer data) {
        g_autofree char *path = g_build_filename(fx->dir, "p.tdb.0", NULL);
        g_autofree char *clean = g_strconcat(path, ".clean", NULL);
        struct db_record one[] = { rec("a", "1", 1), rec("b", "1", 1) };
        struct db_record two[] = { rec("a", "2", 2), rec("c", "2", 2) };
        struct db_record gone[] = { { .rsn = 3, .key = (const uint8_t *) "b", .key_len = 1 } };
        struct dbd_store *s = NULL;

        g_assert_cmpint(dbd_store_open(NULL, path, LTDB_PERSISTENT, true, &s), ==, 0);
        g_assert_cmpint(dbd_store_apply(s, one, 2, 1, 7), ==, 0);
        g_assert_cmpint(dbd_store_apply(s, two, 2, 2, 7), ==, 0);
        g_assert_cmpint(dbd_store_apply(s, gone, 1, 3, 7), ==, 0);
        TALLOC_FREE(s);
        /* As a power loss leaves it: no marker, and the file's contents lost. */
        g_assert_cmpint(g_unlink(clean), ==, 0);
        g_assert_cmpint(truncate(path, 0), ==, 0);
        g_assert_cmpint(dbd_store_open(NULL, path, LTDB_PERSISTENT, false, &s), ==, 0);
        assert_value(s, "a", "2");
        assert_value(s, "b", NULL);
        assert_value(s, "c", "2");
        assert_seqnum(s, 3, 7);
        /* And the rebuilt file goes on taking batches from where it was. */
        g_assert_cmpint(dbd_store_apply(s, one, 1, 4, 8), ==, 0);
        assert_seqnum(s, 4, 8);
        TALLOC_FREE(s);
        remove_persistent(path);
}

/* A clean stop leaves the file as it is: the next start uses it without rebuilding. */
static void test_persistent_clean_stop_trusted(struct fixture *fx, gconstpointer data) {
        g_autofree char *path = g_build_filename(fx->dir, "p.tdb.0", NULL);
        struct db_record one[] = { rec("a", "1", 1) };
        struct dbd_store *s = NULL;

        g_assert_cmpint(dbd_store_open(NULL, path, LTDB_PERSISTENT, true, &s), ==, 0);
        g_assert_cmpint(dbd_store_apply(s, one, 1, 1, 1), ==, 0);
        TALLOC_FREE(s);
        g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
        g_assert_cmpint(dbd_store_open(NULL, path, LTDB_PERSISTENT, false, &s), ==, 0);
        assert_value(s, "a", "1");
        assert_seqnum(s, 1, 1);
        TALLOC_FREE(s);
        remove_persistent(path);
}

/* A recovery's push replaces the whole file in one transaction; cancelled, nothing of it stays. */
static void test_persistent_replace(struct fixture *fx, gconstpointer data) {
        g_autofree char *path = g_build_filename(fx->dir, "p.tdb.0", NULL);
        struct db_record one[] = { rec("a", "1", 1) };
        struct ltdb_header h = { .rsn = 9 };
        struct dbd_store *s = NULL;

        g_assert_cmpint(dbd_store_open(NULL, path, LTDB_PERSISTENT, true, &s), ==, 0);
        g_assert_cmpint(dbd_store_apply(s, one, 1, 1, 1), ==, 0);
        g_assert_cmpint(dbd_store_replace_begin(s), ==, -EBUSY);        /* only frozen */
        g_assert_cmpint(dbd_store_freeze(s), ==, 0);
        g_assert_cmpint(dbd_store_replace_begin(s), ==, 0);
        g_assert_cmpint(dbd_store_store(s, (const uint8_t *) "z", 1, &h, (const uint8_t *) "9", 1), ==, 0);
        dbd_store_replace_cancel(s);
        assert_value(s, "a", "1");
        assert_value(s, "z", NULL);
        g_assert_cmpint(dbd_store_replace_begin(s), ==, 0);
        g_assert_cmpint(dbd_store_store(s, (const uint8_t *) "z", 1, &h, (const uint8_t *) "9", 1), ==, 0);
        g_assert_cmpint(dbd_store_replace_commit(s), ==, 0);
        dbd_store_thaw(s);
        assert_value(s, "a", NULL);
        assert_value(s, "z", "9");
        g_assert_cmpint(dbd_store_stamp(s, 5), ==, 0);
        assert_seqnum(s, 0, 5);
        TALLOC_FREE(s);
        remove_persistent(path);
}

static void test_open_bad_path(void) {
        struct dbd_store *s = NULL;

        g_assert_cmpint(dbd_store_open(NULL, "/nonexistent-ctdb-dir/x.tdb", LTDB_VOLATILE, false, &s), <, 0);
        g_assert_null(s);
}

/* ---- records -------------------------------------------------------------------- */

static void test_store_fetch_round_trip(struct fixture *fx, gconstpointer data) {
        struct ltdb_header h = { .rsn = UINT64_C(0x100000002),
                                 .dmaster = 3,
                                 .flags = LTDB_REC_RO_HAVE_READONLY };
        struct ltdb_header got;
        uint8_t *value = NULL;
        size_t len = 0;
        TDB_DATA raw;

        g_assert_cmpint(dbd_store_store(fx->s, (const uint8_t *) "key", 3, &h, (const uint8_t *) "abc", 3),
                        ==, 0);
        g_assert_cmpint(dbd_store_fetch(fx->s, fx->ctx, (const uint8_t *) "key", 3, &got, &value, &len), ==,
                        0);
        g_assert_cmpuint(got.rsn, ==, h.rsn);
        g_assert_cmpuint(got.dmaster, ==, 3);
        g_assert_cmphex(got.flags, ==, LTDB_REC_RO_HAVE_READONLY);
        g_assert_cmpmem(value, len, "abc", 3);
        g_assert_true(talloc_parent(value) == fx->ctx);

        /* On disk: CTDB's header, then the value, as ltdbtool and dbwrap read it. */
        raw = tdb_fetch(dbd_store_tdb(fx->s), (TDB_DATA){ .dptr = (uint8_t *) "key", .dsize = 3 });
        g_assert_cmpuint(raw.dsize, ==, LTDB_HEADER_SIZE + 3);
        g_assert_cmpmem(raw.dptr + LTDB_HEADER_SIZE, 3, "abc", 3);
        free(raw.dptr);

        memset(&got, 0xff, sizeof(got));
        g_assert_cmpint(dbd_store_fetch_header(fx->s, (const uint8_t *) "key", 3, &got), ==, 0);
        g_assert_cmpuint(got.rsn, ==, h.rsn);
        g_assert_cmpuint(got.dmaster, ==, 3);
}

/* A header-only record (a delete) fetches with an empty value. */
static void test_fetch_header_only(struct fixture *fx, gconstpointer data) {
        struct ltdb_header got;
        uint8_t *value = (uint8_t *) "x";
        size_t len = 9;

        store(fx, "gone", 4, 1, NULL);
        g_assert_cmpint(dbd_store_fetch(fx->s, fx->ctx, (const uint8_t *) "gone", 4, &got, &value, &len), ==,
                        0);
        g_assert_cmpuint(got.rsn, ==, 4);
        g_assert_null(value);
        g_assert_cmpuint(len, ==, 0);
}

static void test_fetch_missing(struct fixture *fx, gconstpointer data) {
        struct ltdb_header got;
        uint8_t *value = NULL;
        size_t len = 0;

        g_assert_cmpint(dbd_store_fetch(fx->s, fx->ctx, (const uint8_t *) "no", 2, &got, &value, &len), ==,
                        -ENOENT);
        g_assert_cmpint(dbd_store_fetch_header(fx->s, (const uint8_t *) "no", 2, &got), ==, -ENOENT);
}

/* A client wrote something shorter than a header: reported, not read past. */
static void test_fetch_short_record(struct fixture *fx, gconstpointer data) {
        struct ltdb_header got;
        uint8_t *value = NULL;
        size_t len = 0;

        store_raw(fx, "short", "0123456789", 10);
        g_assert_cmpint(dbd_store_fetch(fx->s, fx->ctx, (const uint8_t *) "short", 5, &got, &value, &len),
                        ==, -EBADMSG);
        g_assert_cmpint(dbd_store_fetch_header(fx->s, (const uint8_t *) "short", 5, &got), ==, -EBADMSG);
}

static void test_delete(struct fixture *fx, gconstpointer data) {
        struct ltdb_header got;

        store(fx, "k", 1, 0, "v");
        g_assert_cmpint(dbd_store_delete(fx->s, (const uint8_t *) "k", 1), ==, 0);
        g_assert_cmpint(dbd_store_fetch_header(fx->s, (const uint8_t *) "k", 1, &got), ==, -ENOENT);
        /* Deleting what is not there is no error. */
        g_assert_cmpint(dbd_store_delete(fx->s, (const uint8_t *) "k", 1), ==, 0);
}

/* ---- another process holds a chain --------------------------------------------- */

struct holder {
        pid_t pid;
        int release; /* write end: a byte lets the child go */
};

/*
 * A child opens the same file with the same flags, as smbd does, takes the
 * chain of key (NULL: every chain) and says so on a pipe; it lets go when
 * the parent writes to the other pipe, and exits.
 */
/* In a child: the tdb handle inherited from the parent is closed (the fixture's store is not used again). */
static void child_close_inherited(struct fixture *fx) {
        tdb_close(dbd_store_tdb(fx->s));
}

static struct holder holder_start(struct fixture *fx, const char *key) {
        int locked[2], release[2];
        struct holder hd;
        char c;

        g_assert_cmpint(pipe(locked), ==, 0);
        g_assert_cmpint(pipe(release), ==, 0);
        hd.pid = fork();
        g_assert_cmpint(hd.pid, >=, 0);
        if (hd.pid == 0) {
                TDB_DATA k = { .dptr = (uint8_t *) key, .dsize = key ? strlen(key) : 0 };
                int flags = dbd_store_tdb_flags(fx->s);
                struct tdb_context *tdb;
                int r;

                /* tdb refuses a second open of one file in a process; the parent's copy goes. */
                child_close_inherited(fx);
                tdb = tdb_open(fx->path, LTDB_HASH_SIZE, flags, O_RDWR, 0);
                if (!tdb)
                        _exit(2);
                r = key ? tdb_chainlock(tdb, k) : tdb_lockall(tdb);
                if (r < 0)
                        _exit(3);
                if (write(locked[1], "l", 1) != 1 || read(release[0], &c, 1) != 1)
                        _exit(4);
                (void) (key ? tdb_chainunlock(tdb, k) : tdb_unlockall(tdb));
                tdb_close(tdb);
                _exit(0);
        }
        close(locked[1]);
        close(release[0]);
        /* Wait, with a deadline, until the child holds the lock. */
        {
                struct pollfd p = { .fd = locked[0], .events = POLLIN };

                g_assert_cmpint(poll(&p, 1, 10 * 1000), ==, 1);
                g_assert_cmpint(read(locked[0], &c, 1), ==, 1);
        }
        close(locked[0]);
        hd.release = release[1];
        return hd;
}

static void holder_stop(struct holder *hd) {
        int status;

        g_assert_cmpint(write(hd->release, "r", 1), ==, 1);
        close(hd->release);
        g_assert_cmpint(waitpid(hd->pid, &status, 0), ==, hd->pid);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void test_trylock_held_by_other(struct fixture *fx, gconstpointer data) {
        struct holder hd = holder_start(fx, "busy");

        g_assert_cmpint(dbd_store_trylock(fx->s, (const uint8_t *) "busy", 4), ==, -EAGAIN);
        holder_stop(&hd);
        g_assert_cmpint(dbd_store_trylock(fx->s, (const uint8_t *) "busy", 4), ==, 0);
        dbd_store_unlock(fx->s, (const uint8_t *) "busy", 4);
}

static void test_trylock_free(struct fixture *fx, gconstpointer data) {
        g_assert_cmpint(dbd_store_trylock(fx->s, (const uint8_t *) "k", 1), ==, 0);
        dbd_store_unlock(fx->s, (const uint8_t *) "k", 1);
        g_assert_cmpint(dbd_store_trylock(fx->s, (const uint8_t *) "k", 1), ==, 0);
        dbd_store_unlock(fx->s, (const uint8_t *) "k", 1);
}

/* A client in one chain keeps the freeze off; once it lets go the freeze takes every chain. */
static void test_freeze_waits_for_client(struct fixture *fx, gconstpointer data) {
        struct holder hd = holder_start(fx, "busy");

        g_assert_cmpint(dbd_store_freeze(fx->s), ==, -EAGAIN);
        g_assert_false(dbd_store_is_frozen(fx->s));
        holder_stop(&hd);
        g_assert_cmpint(dbd_store_freeze(fx->s), ==, 0);
        g_assert_true(dbd_store_is_frozen(fx->s));
        /* Frozen: a second freeze is a no-op and chain locks are ours already. */
        g_assert_cmpint(dbd_store_freeze(fx->s), ==, 0);
        g_assert_cmpint(dbd_store_trylock(fx->s, (const uint8_t *) "busy", 4), ==, 0);
        dbd_store_unlock(fx->s, (const uint8_t *) "busy", 4);
        dbd_store_thaw(fx->s);
        g_assert_false(dbd_store_is_frozen(fx->s));
}

/* While frozen, a client's chain lock waits; it gets it after the thaw. */
static void test_freeze_blocks_client(struct fixture *fx, gconstpointer data) {
        struct holder hd;

        g_assert_cmpint(dbd_store_freeze(fx->s), ==, 0);
        {
                struct tdb_context *tdb;
                pid_t pid = fork();
                int status;

                g_assert_cmpint(pid, >=, 0);
                if (pid == 0) {
                        int flags = dbd_store_tdb_flags(fx->s);

                        child_close_inherited(fx);
                        tdb = tdb_open(fx->path, LTDB_HASH_SIZE, flags, O_RDWR, 0);
                        _exit(tdb && tdb_chainlock_nonblock(
                                             tdb, (TDB_DATA){ .dptr = (uint8_t *) "k", .dsize = 1 }) < 0
                                      ? 0
                                      : 1);
                }
                g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
                g_assert_true(WIFEXITED(status));
                g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        }
        dbd_store_thaw(fx->s);
        hd = holder_start(fx, "k");
        holder_stop(&hd);
}

static void test_wipe_only_frozen(struct fixture *fx, gconstpointer data) {
        struct ltdb_header got;

        store(fx, "a", 1, 0, "1");
        store(fx, "b", 1, 0, "2");
        g_assert_cmpint(dbd_store_wipe(fx->s), ==, -EBUSY);
        g_assert_cmpuint(dbd_store_records(fx->s), ==, 2);
        g_assert_cmpint(dbd_store_freeze(fx->s), ==, 0);
        g_assert_cmpint(dbd_store_wipe(fx->s), ==, 0);
        dbd_store_thaw(fx->s);
        g_assert_cmpuint(dbd_store_records(fx->s), ==, 0);
        g_assert_cmpint(dbd_store_fetch_header(fx->s, (const uint8_t *) "a", 1, &got), ==, -ENOENT);
}

/* ---- traverse ------------------------------------------------------------------------ */

struct seen {
        unsigned n;
        unsigned stop_after; /* 0: never */
        bool saw_short;
        uint64_t rsn_sum;
};

static int on_record(void *userdata, const uint8_t *key, size_t key_len, const struct ltdb_header *h,
                     const uint8_t *value, size_t value_len) {
        struct seen *s = userdata;

        if (key_len == 5 && memcmp(key, "short", 5) == 0)
                s->saw_short = true;
        s->rsn_sum += h->rsn;
        s->n++;
        return s->stop_after && s->n == s->stop_after ? 42 : 0;
}

static void fill_for_traverse(struct fixture *fx) {
        store(fx, "one", 1, 0, "a");
        store(fx, "two", 2, 0, "b");
        store(fx, "three", 4, 0, NULL);
        store_raw(fx, "short", "xyz", 3);
}

static void test_traverse_skips_short(struct fixture *fx, gconstpointer data) {
        struct seen s = { 0 };

        fill_for_traverse(fx);
        g_assert_cmpint(dbd_store_traverse(fx->s, on_record, &s), ==, 0);
        g_assert_cmpuint(s.n, ==, 3);
        g_assert_false(s.saw_short);
        g_assert_cmpuint(s.rsn_sum, ==, 7);
        /* The count of the file includes what the traverse skipped. */
        g_assert_cmpuint(dbd_store_records(fx->s), ==, 4);
}

static void test_traverse_stops(struct fixture *fx, gconstpointer data) {
        struct seen s = { .stop_after = 2 };

        fill_for_traverse(fx);
        g_assert_cmpint(dbd_store_traverse(fx->s, on_record, &s), ==, 42);
        g_assert_cmpuint(s.n, ==, 2);
}

/* Frozen, the traverse runs on the chains the freeze holds (no read locks of its own). */
static void test_traverse_frozen(struct fixture *fx, gconstpointer data) {
        struct seen s = { 0 };

        fill_for_traverse(fx);
        g_assert_cmpint(dbd_store_freeze(fx->s), ==, 0);
        g_assert_cmpint(dbd_store_traverse(fx->s, on_record, &s), ==, 0);
        dbd_store_thaw(fx->s);
        g_assert_cmpuint(s.n, ==, 3);
}

/* ---- batches ----------------------------------------------------------------------------- */

struct flushes {
        unsigned n;
        unsigned lasts;
        bool last_was_last;
        uint64_t records;
        uint32_t db_id;
        size_t max_bytes;
        int fail;
};

static int on_flush(void *userdata, const struct db_records *batch) {
        struct flushes *f = userdata;
        size_t bytes = 0;

        g_assert_false(f->last_was_last); /* nothing after the last batch */
        f->n++;
        f->records += batch->n_records;
        f->db_id = batch->db_id;
        f->last_was_last = batch->last;
        f->lasts += batch->last;
        for (uint32_t i = 0; i < batch->n_records; i++)
                bytes += batch->records[i].key_len + batch->records[i].value_len;
        if (bytes > f->max_bytes)
                f->max_bytes = bytes;
        return f->fail;
}

static void test_batch_splits(void) {
        struct flushes f = { 0 };
        struct ltdb_header h = { .rsn = 1 };
        g_autofree uint8_t *value = g_malloc0(10000);
        struct dbd_batch b;

        dbd_batch_init(&b, 0x7a19d84d, on_flush, &f);
        /* 40 records of 10 kB: 400 kB, more than three batches of DB_BATCH_BYTES. */
        for (unsigned i = 0; i < 40; i++) {
                char key[16];

                g_snprintf(key, sizeof(key), "key%02u", i);
                g_assert_cmpint(dbd_batch_add(&b, (const uint8_t *) key, 5, &h, value, 10000), ==, 0);
        }
        g_assert_cmpuint(f.n, >=, 3);
        g_assert_cmpuint(f.lasts, ==, 0);
        g_assert_cmpint(dbd_batch_finish(&b), ==, 0);
        g_assert_cmpuint(f.n, >=, 4);
        g_assert_cmpuint(f.lasts, ==, 1);
        g_assert_true(f.last_was_last);
        g_assert_cmpuint(f.records, ==, 40);
        g_assert_cmpuint(b.sent, ==, 40);
        g_assert_cmphex(f.db_id, ==, 0x7a19d84d);
        g_assert_cmpuint(f.max_bytes, <=, DB_BATCH_BYTES);
}

/* The copies in a batch are its own: the caller's buffers may change after add. */
static void test_batch_copies(void) {
        struct flushes f = { 0 };
        struct ltdb_header h = { .rsn = 3, .dmaster = 1, .flags = 0x10000 };
        uint8_t key[] = "abc", value[] = "xyz";
        struct dbd_batch b;

        dbd_batch_init(&b, 1, on_flush, &f);
        g_assert_cmpint(dbd_batch_add(&b, key, 3, &h, value, 3), ==, 0);
        memset(key, 0, sizeof(key));
        memset(value, 0, sizeof(value));
        g_assert_cmpmem(b.records.records[0].key, 3, "abc", 3);
        g_assert_cmpmem(b.records.records[0].value, 3, "xyz", 3);
        g_assert_cmpuint(b.records.records[0].rsn, ==, 3);
        g_assert_cmpuint(b.records.records[0].dmaster, ==, 1);
        g_assert_cmphex(b.records.records[0].flags, ==, 0x10000);
        g_assert_cmpint(dbd_batch_finish(&b), ==, 0);
        g_assert_cmpuint(f.n, ==, 1);
}

/* Nothing to send still ends the stream: one empty batch with last = 1. */
static void test_batch_empty_finish(void) {
        struct flushes f = { 0 };
        struct dbd_batch b;

        dbd_batch_init(&b, 5, on_flush, &f);
        g_assert_cmpint(dbd_batch_finish(&b), ==, 0);
        g_assert_cmpuint(f.n, ==, 1);
        g_assert_cmpuint(f.lasts, ==, 1);
        g_assert_cmpuint(f.records, ==, 0);
        g_assert_cmphex(f.db_id, ==, 5);
}

static void test_batch_oversized(void) {
        struct flushes f = { 0 };
        struct ltdb_header h = { 0 };
        g_autofree uint8_t *big = g_malloc0(DB_VALUE_MAX + 1);
        struct dbd_batch b;

        dbd_batch_init(&b, 1, on_flush, &f);
        g_assert_cmpint(dbd_batch_add(&b, big, DB_KEY_MAX + 1, &h, NULL, 0), ==, -E2BIG);
        g_assert_cmpint(dbd_batch_add(&b, big, 1, &h, big, DB_VALUE_MAX + 1), ==, -E2BIG);
        /* At the limits it is taken. */
        g_assert_cmpint(dbd_batch_add(&b, big, DB_KEY_MAX, &h, big, DB_VALUE_MAX), ==, 0);
        g_assert_cmpuint(b.records.n_records, ==, 1);
        dbd_batch_clear(&b);
        g_assert_cmpuint(f.n, ==, 0);
}

/* A flush that fails is returned from the add that caused it. */
static void test_batch_flush_error(void) {
        struct flushes f = { .fail = -EPIPE };
        struct ltdb_header h = { 0 };
        g_autofree uint8_t *value = g_malloc0(DB_BATCH_BYTES);
        struct dbd_batch b;

        dbd_batch_init(&b, 1, on_flush, &f);
        g_assert_cmpint(dbd_batch_add(&b, (const uint8_t *) "a", 1, &h, value, DB_BATCH_BYTES / 2), ==, 0);
        g_assert_cmpint(dbd_batch_add(&b, (const uint8_t *) "b", 1, &h, value, DB_BATCH_BYTES / 2), ==,
                        -EPIPE);
        dbd_batch_clear(&b);
}

#define ADD(name, fn) g_test_add(name, struct fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        ADD("/dbd-store/open/creates", test_open_creates);
        ADD("/dbd-store/open/wipe-removes-old", test_open_wipe_removes_old);
        ADD("/dbd-store/open/keep-or-wipe", test_open_keep_or_wipe);
        ADD("/dbd-store/persistent/rebuilt-after-crash", test_persistent_rebuilt_after_crash);
        ADD("/dbd-store/persistent/clean-stop-trusted", test_persistent_clean_stop_trusted);
        ADD("/dbd-store/persistent/replace", test_persistent_replace);
        g_test_add_func("/dbd-store/open/bad-path", test_open_bad_path);
        ADD("/dbd-store/record/round-trip", test_store_fetch_round_trip);
        ADD("/dbd-store/record/header-only", test_fetch_header_only);
        ADD("/dbd-store/record/missing", test_fetch_missing);
        ADD("/dbd-store/record/short", test_fetch_short_record);
        ADD("/dbd-store/record/delete", test_delete);
        ADD("/dbd-store/lock/trylock-free", test_trylock_free);
        ADD("/dbd-store/lock/trylock-held-by-other", test_trylock_held_by_other);
        ADD("/dbd-store/freeze/waits-for-client", test_freeze_waits_for_client);
        ADD("/dbd-store/freeze/blocks-client", test_freeze_blocks_client);
        ADD("/dbd-store/freeze/wipe-only-frozen", test_wipe_only_frozen);
        ADD("/dbd-store/traverse/skips-short", test_traverse_skips_short);
        ADD("/dbd-store/traverse/stops", test_traverse_stops);
        ADD("/dbd-store/traverse/frozen", test_traverse_frozen);
        g_test_add_func("/dbd-batch/splits", test_batch_splits);
        g_test_add_func("/dbd-batch/copies", test_batch_copies);
        g_test_add_func("/dbd-batch/empty-finish", test_batch_empty_finish);
        g_test_add_func("/dbd-batch/oversized", test_batch_oversized);
        g_test_add_func("/dbd-batch/flush-error", test_batch_flush_error);

        return g_test_run();
}
