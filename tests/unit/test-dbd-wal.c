/*
 * Unit tests of a persistent database's log (db/dbd-wal.c): what an unclean
 * stop leaves is rebuilt from snapshot and log; the log is written ahead with
 * zeros, and a reopened log goes on right after its last intact entry, over
 * the zeros or a torn entry, so that replay finds every batch.
 */

#undef NDEBUG

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <talloc.h>
#include <tdb.h>
#include <unistd.h>

#include "db-proto.h"
#include "dbd-wal.h"
#include "ltdb.h"

struct fixture {
        char *dir, *path, *wal_path;
};

static void fixture_setup(struct fixture *f) {
        f->dir = g_dir_make_tmp("test-dbd-wal-XXXXXX", NULL);
        g_assert_nonnull(f->dir);
        f->path = g_build_filename(f->dir, "db.tdb.0", NULL);
        f->wal_path = g_strconcat(f->path, ".wal", NULL);
}

static void fixture_teardown(struct fixture *f) {
        const char *suffix[] = { "", ".wal", ".snap", ".clean" };

        for (size_t i = 0; i < G_N_ELEMENTS(suffix); i++) {
                g_autofree char *p = g_strconcat(f->path, suffix[i], NULL);

                (void) g_unlink(p);
        }
        g_assert_cmpint(g_rmdir(f->dir), ==, 0);
        g_free(f->dir);
        g_free(f->path);
        g_free(f->wal_path);
}

/* Opens the log, as dbd does before it opens the file (rebuilt after an unclean stop). */
static struct dbd_wal *wal_open(struct fixture *f, bool want_fresh) {
        struct dbd_wal *w;
        bool fresh;

        g_assert_cmpint(dbd_wal_open(NULL, f->path, &w, &fresh), ==, 0);
        g_assert_cmpint(fresh, ==, want_fresh);
        return w;
}

/* Batch seq -> seq + 1: key "kSEQ" = "vSEQ", synced. */
static void append(struct dbd_wal *w, uint64_t seq) {
        char key[16], value[16];
        struct db_record rec;

        snprintf(key, sizeof(key), "k%" PRIu64, seq);
        snprintf(value, sizeof(value), "v%" PRIu64, seq);
        rec = (struct db_record){ .rsn = seq + 1,
                                  .key = (const uint8_t *) key,
                                  .key_len = strlen(key),
                                  .value = (const uint8_t *) value,
                                  .value_len = strlen(value) };
        g_assert_cmpint(dbd_wal_append(w, &rec, 1, seq, seq + 1, 1, NULL), ==, 0);
}

/* The file at f->path holds keys k0 .. k(n-1) with their values and seqnum n. */
static void assert_file(struct fixture *f, uint64_t n) {
        struct tdb_context *tdb = tdb_open(f->path, 0, 0, O_RDONLY, 0);
        TDB_DATA seq_key = { .dptr = (uint8_t *) DB_SEQNUM_KEY, .dsize = sizeof(DB_SEQNUM_KEY) };
        struct ltdb_header h;
        const uint8_t *value = NULL;
        uint64_t seqnum;
        size_t len = 0;
        TDB_DATA d;

        g_assert_nonnull(tdb);
        for (uint64_t i = 0; i <= n; i++) {
                char key[16], want[16];

                snprintf(key, sizeof(key), "k%" PRIu64, i);
                snprintf(want, sizeof(want), "v%" PRIu64, i);
                d = tdb_fetch(tdb, (TDB_DATA){ .dptr = (uint8_t *) key, .dsize = strlen(key) });
                if (i == n) {
                        g_assert_null(d.dptr);
                        break;
                }
                g_assert_nonnull(d.dptr);
                g_assert_cmpint(ltdb_header_parse(d.dptr, d.dsize, &h, &value, &len), ==, 0);
                g_assert_cmpmem(value, len, want, strlen(want));
                free(d.dptr);
        }
        d = tdb_fetch(tdb, seq_key);
        g_assert_nonnull(d.dptr);
        g_assert_cmpint(ltdb_header_parse(d.dptr, d.dsize, &h, &value, &len), ==, 0);
        g_assert_cmpuint(len, ==, sizeof(seqnum));
        memcpy(&seqnum, value, sizeof(seqnum));
        g_assert_cmpuint(seqnum, ==, n);
        free(d.dptr);
        tdb_close(tdb);
}

static off_t file_size(const char *path) {
        struct stat st;

        g_assert_cmpint(stat(path, &st), ==, 0);
        return st.st_size;
}

/*
 * Batch seq appended, then a crash (the log dropped without a clean stop):
 * reopened, the file is rebuilt with every batch up to it.
 */
static void crash_after(struct fixture *f, struct dbd_wal *w, uint64_t seq) {
        append(w, seq);
        talloc_free(w);
        w = wal_open(f, false);
        assert_file(f, seq + 1);
        talloc_free(w);
}

/* A new database: its first checkpoint is the snapshot every rebuild starts from. */
static struct dbd_wal *wal_new(struct fixture *f) {
        struct dbd_wal *w = wal_open(f, true);
        struct tdb_context *tdb = tdb_open(f->path, 0, 0, O_RDWR | O_CREAT, 0600);

        g_assert_nonnull(tdb);
        g_assert_cmpint(dbd_wal_checkpoint(w, tdb), ==, 0);
        tdb_close(tdb);
        return w;
}

/* Batches logged and then a crash (no clean stop): the file is rebuilt with all of them. */
static void test_rebuild(void) {
        struct fixture f;
        struct dbd_wal *w;

        fixture_setup(&f);
        w = wal_new(&f);
        for (uint64_t s = 0; s < 3; s++)
                append(w, s);
        /* Written ahead: the file is longer than its entries, zeros after them. */
        g_assert_cmpint(file_size(f.wal_path), >=, 1024 * 1024);
        talloc_free(w);
        (void) g_unlink(f.path);

        w = wal_open(&f, false);
        assert_file(&f, 3);
        /* Reopened, the log goes on after the third batch, not after the zeros. */
        crash_after(&f, w, 3);
        fixture_teardown(&f);
}

/* A torn entry at the end (a crash inside a write) is written over by the next batch. */
static void test_torn_tail(void) {
        static const uint8_t torn[] = { 0x43, 0x54, 0x57, 0x4c, 0x40, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
        struct fixture f;
        struct dbd_wal *w;
        int fd;

        fixture_setup(&f);
        w = wal_new(&f);
        append(w, 0);
        talloc_free(w);
        w = wal_open(&f, false);
        talloc_free(w);
        /* Reopened, the file ends at the entry: put a torn one after it. */
        fd = open(f.wal_path, O_WRONLY | O_APPEND);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(write(fd, torn, sizeof(torn)), ==, (ssize_t) sizeof(torn));
        close(fd);

        w = wal_open(&f, false);
        assert_file(&f, 1);
        crash_after(&f, w, 1);
        fixture_teardown(&f);
}

/* A clean stop leaves the marker: the next open trusts the file and rebuilds nothing. */
static void test_clean_stop(void) {
        struct fixture f;
        struct dbd_wal *w;
        struct tdb_context *tdb;

        fixture_setup(&f);
        w = wal_new(&f);
        append(w, 0);
        tdb = tdb_open(f.path, 0, 0, O_RDWR, 0);
        g_assert_nonnull(tdb);
        dbd_wal_close(w, tdb);
        talloc_free(w);
        tdb_close(tdb);
        /* Not rebuilt: the file (empty, as the test never wrote it) stays as it is. */
        w = wal_open(&f, false);
        tdb = tdb_open(f.path, 0, 0, O_RDONLY, 0);
        g_assert_nonnull(tdb);
        g_assert_null(tdb_fetch(tdb, (TDB_DATA){ .dptr = (uint8_t *) "k0", .dsize = 2 }).dptr);
        tdb_close(tdb);
        /* And its log goes on after the batch it has. */
        crash_after(&f, w, 1);
        fixture_teardown(&f);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/dbd-wal/rebuild", test_rebuild);
        g_test_add_func("/dbd-wal/torn-tail", test_torn_tail);
        g_test_add_func("/dbd-wal/clean-stop", test_clean_stop);
        return g_test_run();
}
