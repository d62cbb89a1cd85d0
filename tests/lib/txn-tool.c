/*
 * txn-tool: drives transactions on persistent and replicated databases
 * through libctdb-client for the cluster tests.
 *
 *   txn-tool put DB KIND KEY VALUE     one transaction writing KEY
 *   txn-tool get DB KIND KEY           this node's copy of KEY
 *   txn-tool seqnum DB KIND            this node's seqnum
 *   txn-tool writer DB KIND ID N [MS]  N transactions; the i-th writes ID-i-a, ID-i-b and ID-i-c = "ID-i"
 *                                      and increments the counter ID; prints "ok i" for each
 *                                      acknowledged one (retrying conflicts), "fail i ERROR" else;
 *                                      with MS, pauses MS milliseconds after each (so that a test's
 *                                      faults fall among the commits)
 *   txn-tool dump PATH                 every record of a file (header and value in hex), sorted
 *   txn-tool check PATH                the writers' records: each ID-i's three keys all or none
 *   txn-tool present PATH ID           a writer's output on stdin: every "ok i" has its three keys
 *                                      with value "ID-i" in the file, and the counter ID is at least
 *                                      the number acknowledged, and every "fail i" refused before it
 *                                      was written anywhere (EAGAIN, ENOLINK) left none of its keys;
 *                                      prints "ID: FOUND of ACKED present, ..."
 *
 * KIND is persistent or replicated. Exit status 0 on success, 1 on failure, 2 on usage errors.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tdb.h>
#include <time.h>
#include <unistd.h>

#include "ctdb-db.h"
#include "ltdb.h"

static int fail(const char *what, int r) {
        fprintf(stderr, "txn-tool: %s: %s\n", what, strerror(-r));
        return 1;
}

static int put(ctdb_db *db, const char *key, const char *value) {
        ctdb_txn *t;
        uint64_t seqnum;
        int r = ctdb_txn_start(db, 0, &t);

        if (r < 0)
                return r;
        r = ctdb_txn_store(t, key, strlen(key), value, strlen(value));
        if (r < 0) {
                ctdb_txn_cancel(t);
                return r;
        }
        r = ctdb_txn_commit(t, &seqnum);
        if (r >= 0)
                printf("seqnum %llu\n", (unsigned long long) seqnum);
        return r;
}

/* One writer transaction: three keys of i, and the writer's counter read and incremented. */
static int write_one(ctdb_db *db, const char *id, unsigned i) {
        char key[256], value[256];
        void *old = NULL;
        size_t len = 0;
        unsigned long counter = 0;
        ctdb_txn *t;
        int r = ctdb_txn_start(db, 0, &t);

        if (r < 0)
                return r;
        snprintf(value, sizeof(value), "%s-%u", id, i);
        for (const char *s = "abc"; *s && r >= 0; s++) {
                snprintf(key, sizeof(key), "%s-%u-%c", id, i, *s);
                r = ctdb_txn_store(t, key, strlen(key), value, strlen(value));
        }
        if (r >= 0) {
                r = ctdb_txn_fetch(t, id, strlen(id), &old, &len);
                if (r == -ENOENT)
                        r = 0;
        }
        if (r >= 0) {
                char buf[32];

                if (old && len < sizeof(buf)) {
                        memcpy(buf, old, len);
                        buf[len] = 0;
                        counter = strtoul(buf, NULL, 10);
                }
                snprintf(buf, sizeof(buf), "%lu", counter + 1);
                r = ctdb_txn_store(t, id, strlen(id), buf, strlen(buf));
        }
        free(old);
        if (r < 0) {
                ctdb_txn_cancel(t);
                return r;
        }
        return ctdb_txn_commit(t, NULL);
}

static int writer(ctdb_db *db, const char *id, unsigned n, unsigned pause_ms) {
        struct timespec pause = { .tv_sec = pause_ms / 1000, .tv_nsec = (long) (pause_ms % 1000) * 1000000 };

        for (unsigned i = 0; i < n; i++) {
                int r;

                do
                        r = write_one(db, id, i);
                while (r == -EBUSY);
                if (r < 0)
                        printf("fail %u %s\n", i, strerror(-r));
                else
                        printf("ok %u\n", i);
                fflush(stdout);
                if (pause_ms)
                        (void) nanosleep(&pause, NULL);
        }
        return 0;
}

struct line {
        char *text;
};

static int cmp_line(const void *a, const void *b) {
        return strcmp(((const struct line *) a)->text, ((const struct line *) b)->text);
}

struct dump_state {
        struct line *lines;
        size_t n, cap;
};

static char *hex(const uint8_t *p, size_t len) {
        char *s = malloc(2 * len + 1);

        for (size_t i = 0; s && i < len; i++)
                sprintf(s + 2 * i, "%02x", p[i]);
        if (s)
                s[2 * len] = 0;
        return s;
}

static int dump_one(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *userdata) {
        struct dump_state *d = userdata;
        char *k = hex(key.dptr, key.dsize), *v = hex(data.dptr, data.dsize);

        if (d->n == d->cap) {
                d->cap = d->cap ? 2 * d->cap : 1024;
                d->lines = realloc(d->lines, d->cap * sizeof(*d->lines));
        }
        if (!k || !v || !d->lines || asprintf(&d->lines[d->n].text, "%s %s", k, v) < 0)
                exit(1);
        d->n++;
        free(k);
        free(v);
        return 0;
}

static int dump(const char *path) {
        struct tdb_context *tdb = tdb_open(path, 0, 0, O_RDONLY, 0);
        struct dump_state d = { 0 };

        int r = 0;

        if (!tdb)
                return -errno;
        if (tdb_traverse_read(tdb, dump_one, &d) < 0)
                r = -EIO;
        if (r >= 0 && d.n > 0)
                qsort(d.lines, d.n, sizeof(*d.lines), cmp_line);
        for (size_t i = 0; i < d.n; i++) {
                if (r >= 0)
                        puts(d.lines[i].text);
                free(d.lines[i].text);
        }
        free(d.lines);
        tdb_close(tdb);
        return r;
}

/*
 * Every "ID-i-x" (x one of a, b, c) whose siblings are missing or hold another
 * value is half a transaction: each key checks both others, so a transaction
 * with any one key missing counts, whichever it is.
 */
static int check_one(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *userdata) {
        unsigned *bad = userdata;
        char k[300], self;

        if (key.dsize < 3 || key.dsize > 250 || key.dptr[key.dsize - 2] != '-' ||
            !strchr("abc", key.dptr[key.dsize - 1]) || key.dptr[key.dsize - 1] == 0)
                return 0;
        self = (char) key.dptr[key.dsize - 1];
        for (const char *s = "abc"; *s; s++) {
                TDB_DATA sib;

                if (*s == self)
                        continue;
                memcpy(k, key.dptr, key.dsize);
                k[key.dsize - 1] = *s;
                sib = tdb_fetch(tdb, (TDB_DATA) { .dptr = (uint8_t *) k, .dsize = key.dsize });
                if (!sib.dptr || sib.dsize != data.dsize || data.dsize < LTDB_HEADER_SIZE ||
                    memcmp(sib.dptr + LTDB_HEADER_SIZE, data.dptr + LTDB_HEADER_SIZE,
                           data.dsize - LTDB_HEADER_SIZE) != 0)
                        (*bad)++;
                free(sib.dptr);
        }
        return 0;
}

static int check(const char *path) {
        struct tdb_context *tdb = tdb_open(path, 0, 0, O_RDONLY, 0);
        unsigned bad = 0;

        if (!tdb)
                return -errno;
        (void) tdb_traverse_read(tdb, check_one, &bad);
        tdb_close(tdb);
        printf("%u half-applied\n", bad);
        return bad ? -EPROTO : 0;
}

/* The value of key in the file without its header; -ENOENT for none or a header-only record. */
static int file_value(struct tdb_context *tdb, const char *key, char *buf, size_t size) {
        TDB_DATA d = tdb_fetch(tdb, (TDB_DATA){ .dptr = (uint8_t *) key, .dsize = strlen(key) });
        size_t len;

        if (!d.dptr)
                return -ENOENT;
        if (d.dsize <= LTDB_HEADER_SIZE || d.dsize - LTDB_HEADER_SIZE >= size) {
                free(d.dptr);
                return d.dsize <= LTDB_HEADER_SIZE ? -ENOENT : -E2BIG;
        }
        len = d.dsize - LTDB_HEADER_SIZE;
        memcpy(buf, d.dptr + LTDB_HEADER_SIZE, len);
        buf[len] = 0;
        free(d.dptr);
        return 0;
}

/*
 * A writer's "fail i ERROR" for an error that promises nothing of the commit
 * was written anywhere (common/db-proto.h): EAGAIN and ENOLINK. Other
 * failures (the daemon died, a timeout) leave the outcome open.
 */
static bool refused_line(const char *line, unsigned *ret_i, int *ret_err) {
        static const int promise[] = { EAGAIN, ENOLINK };
        int n = 0;

        if (sscanf(line, "fail %u %n", ret_i, &n) != 1 || n == 0)
                return false;
        for (size_t k = 0; k < sizeof(promise) / sizeof(promise[0]); k++) {
                const char *e = strerror(promise[k]);

                if (strncmp(line + n, e, strlen(e)) == 0 &&
                    (line[n + strlen(e)] == '\n' || !line[n + strlen(e)])) {
                        *ret_err = promise[k];
                        return true;
                }
        }
        return false;
}

/* Every commit the writer ID printed as acknowledged ("ok i" on stdin) is in the file, whole. */
static int present(const char *path, const char *id) {
        struct tdb_context *tdb = tdb_open(path, 0, 0, O_RDONLY, 0);
        char line[64], key[300], want[300], got[300];
        unsigned acked = 0, found = 0, refused = 0, leaked = 0, i;
        unsigned long counter = 0;
        int err;

        if (!tdb)
                return -errno;
        while (fgets(line, sizeof(line), stdin)) {
                bool whole = true;

                if (refused_line(line, &i, &err)) {
                        unsigned left = 0;

                        refused++;
                        for (const char *s = "abc"; *s; s++) {
                                snprintf(key, sizeof(key), "%s-%u-%c", id, i, *s);
                                if (file_value(tdb, key, got, sizeof(got)) >= 0)
                                        left++;
                        }
                        if (left > 0) {
                                leaked++;
                                fprintf(stderr,
                                        "txn-tool: %s: commit %s-%u was refused (%s) but %u of its "
                                        "keys are there\n",
                                        path, id, i, strerror(err), left);
                        }
                        continue;
                }
                if (sscanf(line, "ok %u", &i) != 1)
                        continue;
                acked++;
                snprintf(want, sizeof(want), "%s-%u", id, i);
                for (const char *s = "abc"; *s; s++) {
                        snprintf(key, sizeof(key), "%s-%u-%c", id, i, *s);
                        if (file_value(tdb, key, got, sizeof(got)) < 0 || strcmp(got, want) != 0)
                                whole = false;
                }
                if (whole)
                        found++;
                else
                        fprintf(stderr, "txn-tool: %s: acknowledged commit %s is missing\n", path, want);
        }
        if (file_value(tdb, id, got, sizeof(got)) >= 0)
                counter = strtoul(got, NULL, 10);
        tdb_close(tdb);
        printf("%s: %u of %u present, counter %lu, %u refused, %u of them left keys\n", id, found, acked,
               counter, refused, leaked);
        return found == acked && counter >= acked && leaked == 0 ? 0 : -EPROTO;
}

int main(int argc, char **argv) {
        enum ctdb_db_kind kind;
        ctdb_db_client *c;
        ctdb_db *db;
        const char *cmd = argc > 1 ? argv[1] : "";
        bool usage = false;
        int r;

        if (argc == 3 && strcmp(cmd, "dump") == 0)
                return dump(argv[2]) < 0 ? 1 : 0;
        if (argc == 3 && strcmp(cmd, "check") == 0)
                return check(argv[2]) < 0 ? 1 : 0;
        if (argc == 4 && strcmp(cmd, "present") == 0)
                return present(argv[2], argv[3]) < 0 ? 1 : 0;
        if (argc < 4 || (strcmp(argv[3], "persistent") != 0 && strcmp(argv[3], "replicated") != 0)) {
                fprintf(stderr, "usage: txn-tool put|get|seqnum|writer DB persistent|replicated [...], "
                                "txn-tool dump|check PATH, txn-tool present PATH ID\n");
                return 2;
        }
        kind = strcmp(argv[3], "persistent") == 0 ? CTDB_DB_PERSISTENT : CTDB_DB_REPLICATED;
        r = ctdb_db_connect(NULL, &c);
        if (r < 0)
                return fail("connect", r);
        ctdb_db_client_set_timeout(c, 120000);
        r = ctdb_db_attach(c, argv[2], kind, &db);
        if (r < 0) {
                ctdb_db_client_free(c);
                return fail("attach", r);
        }
        if (strcmp(cmd, "put") == 0 && argc == 6) {
                r = put(db, argv[4], argv[5]);
        } else if (strcmp(cmd, "get") == 0 && argc == 5) {
                ctdb_txn *t;
                void *v;
                size_t len;

                r = ctdb_txn_start(db, 0, &t);
                if (r >= 0) {
                        r = ctdb_txn_fetch(t, argv[4], strlen(argv[4]), &v, &len);
                        ctdb_txn_cancel(t);
                }
                if (r >= 0) {
                        printf("%.*s\n", (int) len, (char *) v);
                        free(v);
                }
        } else if (strcmp(cmd, "seqnum") == 0 && argc == 4) {
                uint64_t s;

                r = ctdb_db_seqnum(db, &s);
                if (r >= 0)
                        printf("%llu\n", (unsigned long long) s);
        } else if (strcmp(cmd, "writer") == 0 && (argc == 6 || argc == 7)) {
                r = writer(db, argv[4], (unsigned) strtoul(argv[5], NULL, 10),
                           argc == 7 ? (unsigned) strtoul(argv[6], NULL, 10) : 0);
        } else {
                usage = true;
        }
        /* Closed on every path, so that a sanitizer build reports real leaks only. */
        ctdb_db_close(db);
        ctdb_db_client_free(c);
        if (usage) {
                fprintf(stderr, "txn-tool: bad arguments for %s\n", cmd);
                return 2;
        }
        return r < 0 ? fail(cmd, r) : 0;
}
