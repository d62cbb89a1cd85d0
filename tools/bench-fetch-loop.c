/*
 * ctdb-bench fetch-loop and fetch-hot: every node fetch-locks one shared key
 * and increments the counter in it, as fast as it can, for --timelimit.
 *
 * fetch-loop is CTDB's ctdb/tests/src/fetch_loop.c: a u32 counter; node 0
 * prints "Locks:N\r" every second, and every node "Locks:N" at the end, N
 * being the counter as this node last stored it (so the largest N over the
 * nodes is the cluster-wide count of fetch-lock + store).
 *
 * fetch-hot is the contended case issue 8 is about (hundreds of smbds on one
 * locking.tdb record): a u64 counter, each node counting its own increments
 * and printing "Hot[P]: R increments/sec (N increments, counter C seen last)";
 * node 0 reads the counter before and after (cluster waits around the run)
 * and prints "Counter: A -> B (+D)", which must equal the nodes' sum.
 * --sticky first switches the database to sticky records (SetSticky).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"
#include "bench.h"

static const struct bench_spec loop_spec = {
        .name = "fetch-loop",
        .ctdb_name = "fetch loop",
        .description = "Run on every node at once: every node fetch-locks one key and increments the\n"
                       "u32 counter in it in a loop (CTDB's fetch_loop).\n",
        .options = BENCH_OPT_DATABASE,
        .default_db = "fetch_loop.tdb",
        .default_key = "testkey",
        .announce_wait = true,
};

static const struct bench_spec hot_spec = {
        .name = "fetch-hot",
        .ctdb_name = "fetch hot",
        .description = "Run on every node at once: every node fetch-locks one key and increments the\n"
                       "u64 counter in it in a loop; per-node rates, and node 0 checks the counter\n"
                       "rose by the sum of them.\n",
        .options = BENCH_OPT_DATABASE | BENCH_OPT_STICKY,
        .default_db = "fetch_hot.tdb",
        .default_key = "hotkey",
        .announce_wait = true,
};

/* The counter wherever the record is, without moving it. */
static int counter_read(struct bench *b, uint64_t *ret) {
        void *value = NULL;
        size_t len = 0;
        int r;

        r = ctdb_db_fetch(b->db, b->opts->key, strlen(b->opts->key), false, &value, &len);
        if (r == -ENOENT) {
                *ret = 0;
                return 0;
        }
        if (r < 0)
                return bench_fail(r, "fetch");
        *ret = bench_counter_get(value, len, sizeof(uint64_t));
        free(value);
        return 0;
}

/*
 * Increments for --timelimit. progress: print CTDB's "Locks:N\r" every second.
 * Returns the number of increments; *ret_last is the counter last stored.
 */
static int64_t run_loop(struct bench *b, size_t width, bool progress, uint64_t *ret_last, double *ret_secs) {
        double start = bench_now_sec(), end = start + b->opts->timelimit;
        double next_second = start + 1;
        uint64_t last = 0;
        int64_t n = 0;
        int r;

        for (;;) {
                double now = bench_now_sec();
                if (now >= end)
                        break;
                r = bench_service(b, now);
                if (r < 0)
                        return bench_fail(r, "receive messages");
                if (progress && now >= next_second) {
                        printf("Locks:%" PRIu64 "\r", last);
                        fflush(stdout);
                        next_second += 1;
                }
                r = bench_counter_increment(b, width, &last);
                if (r < 0)
                        return r;
                n++;
        }
        *ret_last = last;
        *ret_secs = bench_now_sec() - start;
        return n;
}

static int fetch_loop(struct bench *b) {
        uint64_t last = 0;
        double secs;
        int r;

        r = bench_cluster_wait(b);
        if (r < 0)
                return bench_fail(r, "wait for the cluster");
        if (run_loop(b, sizeof(uint32_t), b->pnn == 0, &last, &secs) < 0)
                return -EIO;
        printf("Locks:%" PRIu64 "\n", last);
        return 0;
}

int bench_fetch_loop(int argc, char **argv) {
        return bench_main(&loop_spec, argc, argv, fetch_loop);
}

static int fetch_hot(struct bench *b) {
        uint64_t before = 0, after = 0, last = 0;
        int64_t n;
        double secs;
        int r;

        if (b->opts->sticky && b->pnn == 0) {
                r = bench_db_call(b, "SetSticky");
                if (r < 0)
                        return r;
        }
        r = bench_cluster_wait(b);
        if (r < 0)
                return bench_fail(r, "wait for the cluster");
        /* Node 0 reads the counter before anyone increments it: the others wait for it. */
        if (b->pnn == 0 && (r = counter_read(b, &before)) < 0)
                return r;
        r = bench_cluster_wait(b);
        if (r < 0)
                return bench_fail(r, "wait for the cluster");
        n = run_loop(b, sizeof(uint64_t), false, &last, &secs);
        if (n < 0)
                return (int) n;
        printf("Hot[%u]: %.2f increments/sec (%" PRId64 " increments, counter %" PRIu64 " seen last)\n",
               b->pnn, n / secs, n, last);
        fflush(stdout);
        /* Every node's last store is done once all have reached the next wait. */
        r = bench_cluster_wait(b);
        if (r < 0)
                return bench_fail(r, "wait for the cluster");
        if (b->pnn == 0) {
                r = counter_read(b, &after);
                if (r < 0)
                        return r;
                printf("Counter: %" PRIu64 " -> %" PRIu64 " (+%" PRIu64 ")\n", before, after,
                       after - before);
        }
        return 0;
}

int bench_fetch_hot(int argc, char **argv) {
        return bench_main(&hot_spec, argc, argv, fetch_hot);
}
