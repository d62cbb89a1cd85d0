/*
 * ctdb-bench: benchmarks printing figures in the units of CTDB's test programs.
 * Each sub-command lives in its own file (bench-*.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *help;
} benches[] = {
        { "message-ring", bench_message_ring, "messages around a ring of all nodes (msgs/sec per node)" },
        { "detect", bench_detect, "time from a node kill or hang to DISCONNECTED on the others" },
        { "failover", bench_failover,
          "time from a fault on a public address's node until it answers on another node" },
        { "wake-ring", bench_wake_ring, "message-ring's wake-ups alone: its ceiling on this machine" },
        { "fetch-ring", bench_fetch_ring,
          "one record passed around all nodes, each hop a migration (msgs/sec)" },
        { "fetch-loop", bench_fetch_loop,
          "every node fetch-locks and stores one key in a loop (CTDB's fetch_loop)" },
        { "fetch-hot", bench_fetch_hot,
          "every node increments one shared counter record (per node and total)" },
        { "read-hot", bench_read_hot, "node 0 writes one key 10 times a second, the others read it" },
        { "g-lock-loop", bench_g_lock_loop,
          "every node takes and releases one exclusive g_lock in a loop (CTDB's g_lock_loop)" },
        { "recovery", bench_recovery, "fill N records, force a recovery, time until every node is normal" },
        { "transaction-loop", bench_transaction_loop,
          "every node increments its counter in one record, in transactions (CTDB's transaction_loop)" },
        { "ptrans", bench_ptrans, "node 0 commits one transaction of N keys (median ms of 20)" },
        { "commit-concurrency", bench_commit_concurrency,
          "C clients per node commit to their own keys (commits/sec per node)" },
};

static void help(void) {
        printf("Usage: ctdb-bench BENCHMARK [OPTIONS...]\n\nBenchmarks:\n");
        for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
                printf("  %-14s %s\n", benches[i].name, benches[i].help);
        printf("\nctdb-bench BENCHMARK --help shows the options of one.\n");
}

int main(int argc, char **argv) {
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                help();
                return argc < 2 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
                if (strcmp(argv[1], benches[i].name) == 0)
                        return benches[i].run(argc - 1, argv + 1);
        fprintf(stderr, "Unknown benchmark '%s'.\n", argv[1]);
        help();
        return EXIT_FAILURE;
}
