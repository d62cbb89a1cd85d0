/*
 * ctdb-bench read-hot: one record that one node writes and every other node
 * reads, the other half of issue 8's hot records (many readers on other nodes,
 * as smbds reading a share root's locking.tdb record).
 *
 * Node 0 stores a u64 sequence number in the key ten times a second
 * (fetch-lock, store, unlock); every other node reads it in a loop with
 * ctdb_db_fetch(), which does not move the record, for --timelimit, and
 * prints "Read[P]: R reads/sec (N reads, last value V, K went back)", K
 * being reads that returned an older value than one this node had already
 * seen (0 unless something is broken). Node 0 prints "Write[0]: ...".
 * --readonly first switches on read-only delegations (SetReadOnly) and reads
 * with readonly = true, so readers keep a local copy until the next store
 * revokes it.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"
#include "bench.h"

#define WRITE_INTERVAL_SEC 0.1

static const struct bench_spec spec = {
        .name = "read-hot",
        .ctdb_name = "read hot",
        .description = "Run on every node at once: node 0 stores one key ten times a second, every\n"
                       "other node reads it in a loop without migrating it (reads/sec per node).\n",
        .options = BENCH_OPT_DATABASE | BENCH_OPT_READONLY,
        .default_db = "read_hot.tdb",
        .default_key = "hotkey",
        .announce_wait = true,
};

static int writer(struct bench *b, double end) {
        double start = bench_now_sec(), next = start + WRITE_INTERVAL_SEC;
        uint64_t n = 0, seq = 0;
        int r;

        for (;;) {
                double now = bench_now_sec();
                if (now >= end)
                        break;
                if (now >= next) {
                        r = bench_counter_increment(b, sizeof(seq), &seq);
                        if (r < 0)
                                return r;
                        n++;
                        next += WRITE_INTERVAL_SEC;
                        continue;
                }
                r = bench_poll(b, (next < end ? next : end) - now);
                if (r < 0)
                        return bench_fail(r, "receive messages");
        }
        printf("Write[%u]: %.2f stores/sec (%" PRIu64 " stores, last value %" PRIu64 ")\n", b->pnn,
               n / (bench_now_sec() - start), n, seq);
        return 0;
}

static int reader(struct bench *b, double end) {
        const char *key = b->opts->key;
        double start = bench_now_sec();
        uint64_t n = 0, seen = 0, back = 0;
        int r;

        for (;;) {
                double now = bench_now_sec();
                void *value = NULL;
                size_t len = 0;
                uint64_t v;

                if (now >= end)
                        break;
                r = bench_service(b, now);
                if (r < 0)
                        return bench_fail(r, "receive messages");
                r = ctdb_db_fetch(b->db, key, strlen(key), b->opts->readonly, &value, &len);
                if (r < 0)
                        return bench_fail(r, "fetch");
                v = bench_counter_get(value, len, sizeof(uint64_t));
                free(value);
                if (v < seen)
                        back++;
                else
                        seen = v;
                n++;
        }
        printf("Read[%u]: %.2f reads/sec (%" PRIu64 " reads, last value %" PRIu64 ", %" PRIu64
               " went back)\n",
               b->pnn, n / (bench_now_sec() - start), n, seen, back);
        return 0;
}

static int read_hot(struct bench *b) {
        uint64_t seq;
        int r;

        /* Node 0 sets up before the cluster wait, so every reader starts on a record that exists. */
        if (b->pnn == 0) {
                if (b->opts->readonly && (r = bench_db_call(b, "SetReadOnly")) < 0)
                        return r;
                if ((r = bench_counter_increment(b, sizeof(seq), &seq)) < 0)
                        return r;
        }
        r = bench_cluster_wait(b);
        if (r < 0)
                return bench_fail(r, "wait for the cluster");
        double end = bench_now_sec() + b->opts->timelimit;
        return b->pnn == 0 ? writer(b, end) : reader(b, end);
}

int bench_read_hot(int argc, char **argv) {
        return bench_main(&spec, argc, argv, read_hot);
}
