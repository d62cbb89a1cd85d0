#pragma once

#include <time.h>

/* CLOCK_MONOTONIC in seconds, for rates and deadlines. */
static inline double bench_now_sec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Sub-commands of ctdb-bench; each parses its own options and returns an exit code. */
int bench_message_ring(int argc, char **argv);
int bench_detect(int argc, char **argv);
int bench_failover(int argc, char **argv);
int bench_wake_ring(int argc, char **argv);
int bench_fetch_ring(int argc, char **argv);
int bench_fetch_loop(int argc, char **argv);
int bench_fetch_hot(int argc, char **argv);
int bench_read_hot(int argc, char **argv);
int bench_recovery(int argc, char **argv);
int bench_transaction_loop(int argc, char **argv);
int bench_ptrans(int argc, char **argv);
int bench_commit_concurrency(int argc, char **argv);
int bench_g_lock_loop(int argc, char **argv);
