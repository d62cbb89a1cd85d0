/*
 * ctdb-bench g-lock-loop: CTDB's ctdb/tests/src/g_lock_loop.c on ctdb-dbd's
 * g_lock. Every node's instance takes the exclusive lock -k/--key (default
 * "testkey") and releases it, in a loop, for --timelimit, and prints
 * "GLock[P]: R cycles/sec (N cycles)"; the cluster-wide figure is the sum over
 * the nodes (local-cluster's sum line). All nodes want the one lock at once,
 * so with a fair queue every cycle hands it to another node.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "bench-util.h"
#include "bench.h"
#include "ctdb-glock.h"

static const struct bench_spec glock_spec = {
        .name = "g-lock-loop",
        .ctdb_name = "g_lock loop",
        .description = "Run on every node at once: every node takes the exclusive g_lock -k/--key and\n"
                       "releases it in a loop (CTDB's g_lock_loop); lock+unlock cycles per second.\n",
        .options = BENCH_OPT_DATABASE,
        .default_db = "g_lock_loop.tdb",
        .default_key = "testkey",
        .announce_wait = true,
};

static int glock_loop(struct bench *b) {
        double start, end, secs;
        int64_t n = 0;
        int r;

        r = bench_cluster_wait(b);
        if (r < 0)
                return bench_fail(r, "wait for the cluster");
        start = bench_now_sec();
        end = start + b->opts->timelimit;
        while (bench_now_sec() < end) {
                r = ctdb_glock_lock(b->dbc, b->opts->key, CTDB_GLOCK_EXCLUSIVE, 0);
                if (r < 0)
                        return bench_fail(r, "g_lock lock");
                r = ctdb_glock_unlock(b->dbc, b->opts->key);
                if (r < 0)
                        return bench_fail(r, "g_lock unlock");
                n++;
        }
        secs = bench_now_sec() - start;
        printf("GLock[%" PRIu32 "]: %.2f cycles/sec (%" PRId64 " cycles)\n", b->pnn, n / secs, n);
        fflush(stdout);
        /* Nobody leaves (closing its connection) while another still counts. */
        r = bench_cluster_wait(b);
        return r < 0 ? bench_fail(r, "wait for the cluster") : 0;
}

int bench_g_lock_loop(int argc, char **argv) {
        return bench_main(&glock_spec, argc, argv, glock_loop);
}
