/*
 * ctdb-bench's transaction benchmarks on a persistent or replicated database
 * (-T), run on every node at once:
 *
 *   transaction-loop    CTDB's ctdb/tests/src/transaction_loop.c: one record
 *                       holds a u32 counter per node; each node, in a loop,
 *                       starts a locked transaction, reads the record,
 *                       increments its own counter and commits. Node 0 checks
 *                       after every commit that no counter ever went down
 *                       (so every commit was on its node before it was
 *                       acknowledged). "Transaction[P]: R commits/sec ..."
 *   ptrans N            node 0 commits one transaction of N keys, 20 times
 *                       (the others only wait), and prints the median time:
 *                       what `ctdb ptrans` of N lines costs without the tool
 *   commit-concurrency  -c C clients per node, each its own connection and
 *                       thread, commit read-modify-writes of their own key:
 *                       the group-commit figure. "Commits[P]: R commits/sec ..."
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"
#include "bench.h"

static const struct bench_spec loop_spec = {
        .name = "transaction-loop",
        .ctdb_name = "transaction loop",
        .description = "Run on every node at once: every node increments its own counter in one shared\n"
                       "record inside a locked transaction, in a loop (CTDB's transaction_loop).\n",
        .options = BENCH_OPT_DATABASE | BENCH_OPT_TYPE,
        .default_db = "transaction_loop.tdb",
        .default_key = "testkey",
        .announce_wait = true,
};

static const struct bench_spec ptrans_spec = {
        .name = "ptrans",
        .ctdb_name = "ptrans",
        .description = "Run on every node at once: node 0 commits one transaction of N keys, 20 times,\n"
                       "and prints the median time of one (the others wait).\n",
        .options = BENCH_OPT_DATABASE | BENCH_OPT_TYPE | BENCH_OPT_COUNT,
        .default_db = "ptrans.tdb",
        .default_key = "ptrans",
        .count_name = "N",
};

static const struct bench_spec concurrency_spec = {
        .name = "commit-concurrency",
        .ctdb_name = "commit concurrency",
        .description = "Run on every node at once: C client processes per node (-c) commit\n"
                       "read-modify-writes of a key of their own, in a loop: commits that share\n"
                       "rounds and fsyncs.\n",
        .options = BENCH_OPT_DATABASE | BENCH_OPT_TYPE | BENCH_OPT_CLIENTS,
        .default_db = "commit_concurrency.tdb",
        .default_key = "cc",
        .announce_wait = true,
};

/* ---- transaction-loop --------------------------------------------------------------- */

/* One locked read-increment-commit of this node's counter; *counters gets the record as committed. */
static int loop_once(struct bench *b, uint32_t *counters, uint64_t *ret_conflicts) {
        const char *key = b->opts->key;

        for (;;) {
                void *value = NULL;
                size_t len = 0;
                ctdb_txn *t;
                int r = ctdb_txn_start(b->db, CTDB_TXN_LOCKED, &t);

                if (r < 0)
                        return r;
                r = ctdb_txn_fetch(t, key, strlen(key), &value, &len);
                memset(counters, 0, b->num_nodes * sizeof(uint32_t));
                if (r >= 0)
                        memcpy(counters, value,
                               len < b->num_nodes * sizeof(uint32_t) ? len
                                                                     : b->num_nodes * sizeof(uint32_t));
                free(value);
                if (r < 0 && r != -ENOENT) {
                        ctdb_txn_cancel(t);
                        return r;
                }
                counters[b->pnn]++;
                r = ctdb_txn_store(t, key, strlen(key), counters, b->num_nodes * sizeof(uint32_t));
                if (r < 0) {
                        ctdb_txn_cancel(t);
                        return r;
                }
                r = ctdb_txn_commit(t, NULL);
                if (r != -EBUSY)
                        return r;
                (*ret_conflicts)++;
        }
}

static int transaction_loop(struct bench *b) {
        uint32_t *counters = calloc(b->num_nodes, sizeof(uint32_t));
        uint32_t *seen = calloc(b->num_nodes, sizeof(uint32_t));
        uint64_t n = 0, conflicts = 0;
        double start, end, next_second;
        int r = counters && seen ? 0 : -ENOMEM;

        if (r >= 0 && (r = bench_cluster_wait(b)) < 0)
                bench_fail(r, "wait for the cluster");
        start = bench_now_sec();
        end = start + b->opts->timelimit;
        next_second = start + 1;
        while (r >= 0) {
                double now = bench_now_sec();

                if (now >= end)
                        break;
                if ((r = bench_service(b, now)) < 0)
                        break;
                r = loop_once(b, counters, &conflicts);
                if (r < 0) {
                        bench_fail(r, "commit");
                        break;
                }
                n++;
                /* CTDB's check: after every commit no node's counter is lower than it was. */
                for (uint32_t i = 0; b->pnn == 0 && i < b->num_nodes; i++) {
                        if (counters[i] < seen[i]) {
                                fprintf(stderr, "Counter reduced for node %u: %u -> %u\n", i, seen[i],
                                        counters[i]);
                                r = -EPROTO;
                        }
                        seen[i] = counters[i];
                }
                if (b->pnn == 0 && now >= next_second) {
                        printf("Transaction[%u]:", b->pnn);
                        for (uint32_t i = 0; i < b->num_nodes; i++)
                                printf(" %6u", counters[i]);
                        printf("\r");
                        fflush(stdout);
                        next_second += 1;
                }
        }
        if (r >= 0) {
                double secs = bench_now_sec() - start;

                printf("Transaction[%u]: %.2f commits/sec (%" PRIu64 " commits, %" PRIu64 " conflicts)\n",
                       b->pnn, n / secs, n, conflicts);
        }
        free(counters);
        free(seen);
        return r;
}

int bench_transaction_loop(int argc, char **argv) {
        return bench_main(&loop_spec, argc, argv, transaction_loop);
}

/* ---- ptrans ------------------------------------------------------------------------- */

#define PTRANS_ROUNDS 20

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static int ptrans_once(struct bench *b, unsigned round) {
        ctdb_txn *t;
        int r = ctdb_txn_start(b->db, CTDB_TXN_LOCKED, &t);

        for (unsigned i = 0; i < b->opts->count && r >= 0; i++) {
                char key[64], value[64];

                snprintf(key, sizeof(key), "%s-%u", b->opts->key, i);
                snprintf(value, sizeof(value), "value-%u-%u", round, i);
                r = ctdb_txn_store(t, key, strlen(key), value, strlen(value));
        }
        if (r < 0) {
                ctdb_txn_cancel(t);
                return r;
        }
        return ctdb_txn_commit(t, NULL);
}

static int ptrans(struct bench *b) {
        double ms[PTRANS_ROUNDS];
        int r;

        if (b->pnn != 0)
                return 0;
        for (unsigned i = 0; i < PTRANS_ROUNDS; i++) {
                double start = bench_now_sec();

                r = ptrans_once(b, i);
                if (r < 0)
                        return bench_fail(r, "commit");
                ms[i] = (bench_now_sec() - start) * 1000;
        }
        qsort(ms, PTRANS_ROUNDS, sizeof(ms[0]), cmp_double);
        printf("ptrans of %u keys: %.2f ms (median of %d; fastest %.2f, slowest %.2f)\n", b->opts->count,
               ms[PTRANS_ROUNDS / 2], PTRANS_ROUNDS, ms[0], ms[PTRANS_ROUNDS - 1]);
        return 0;
}

int bench_ptrans(int argc, char **argv) {
        return bench_main(&ptrans_spec, argc, argv, ptrans);
}

/* ---- commit-concurrency ------------------------------------------------------------- */

static int commit_own(ctdb_db *db, const char *key) {
        void *value = NULL;
        size_t len = 0;
        uint64_t counter;
        ctdb_txn *t;
        int r = ctdb_txn_start(db, 0, &t);

        if (r < 0)
                return r;
        r = ctdb_txn_fetch(t, key, strlen(key), &value, &len);
        counter = r >= 0 ? bench_counter_get(value, len, sizeof(counter)) + 1 : 1;
        free(value);
        if (r >= 0 || r == -ENOENT)
                r = ctdb_txn_store(t, key, strlen(key), &counter, sizeof(counter));
        if (r < 0) {
                ctdb_txn_cancel(t);
                return r;
        }
        return ctdb_txn_commit(t, NULL);
}

/* One client process: its own connection and file handle, as each smbd has; writes its count to fd. */
static _Noreturn void committer_run(struct bench *b, unsigned index, double end, int fd) {
        const struct bench_options *o = b->opts;
        int64_t commits = 0;
        ctdb_db_client *dbc;
        ctdb_db *db = NULL;
        char key[128];
        int r;

        /* The parent's handle came with fork(): tdb opens a file once per process, so it goes first. */
        ctdb_db_close(b->db);
        ctdb_db_client_free(b->dbc);
        snprintf(key, sizeof(key), "%s-%u-%u", o->key, b->pnn, index);
        r = ctdb_db_connect(o->db_socket, &dbc);
        if (r >= 0)
                r = ctdb_db_attach(dbc, o->dbname, o->kind, &db);
        while (r >= 0 && bench_now_sec() < end) {
                r = commit_own(db, key);
                if (r >= 0)
                        commits++;
        }
        if (r < 0)
                commits = r;
        (void) !write(fd, &commits, sizeof(commits));
        _exit(r < 0);
}

static int commit_concurrency(struct bench *b) {
        unsigned n = b->opts->clients;
        uint64_t total = 0;
        double start, end;
        int fds[2], r;

        if ((r = bench_cluster_wait(b)) < 0)
                return bench_fail(r, "wait for the cluster");
        if (pipe(fds) < 0)
                return bench_fail(-errno, "make a pipe");
        start = bench_now_sec();
        end = start + b->opts->timelimit;
        for (unsigned i = 0; i < n; i++) {
                pid_t pid = fork();

                if (pid < 0)
                        return bench_fail(-errno, "fork");
                if (pid == 0)
                        committer_run(b, i, end, fds[1]);
        }
        close(fds[1]);
        for (unsigned i = 0; i < n; i++) {
                int64_t c;

                if (read(fds[0], &c, sizeof(c)) != sizeof(c))
                        r = -EIO;
                else if (c < 0 && r >= 0)
                        r = (int) c;
                else if (c > 0)
                        total += (uint64_t) c;
        }
        close(fds[0]);
        while (wait(NULL) > 0)
                ;
        if (r < 0)
                return bench_fail(r, "commit");
        printf("Commits[%u]: %.2f commits/sec (%u clients, %" PRIu64 " commits)\n", b->pnn,
               total / (bench_now_sec() - start), n, total);
        return 0;
}

int bench_commit_concurrency(int argc, char **argv) {
        return bench_main(&concurrency_spec, argc, argv, commit_concurrency);
}
