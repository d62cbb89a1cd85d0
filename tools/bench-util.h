#pragma once

/*
 * What the benchmarks of ctdb-bench share: CTDB's test options (its
 * ctdb/tests/src/test_options.c, in getopt spellings), the connections to
 * the node's ctdb-tunneld (messages) and ctdb-dbd (records), and CTDB's
 * cluster wait, so that every instance of a benchmark starts together.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ctdb-client.h"
#include "ctdb-db.h"

/* The most --watch-bus addresses (local-cluster's node limit). */
#define BENCH_MAX_BUSES 64u

/* Options a benchmark takes beyond CTDB's basic -n, -t, -s, -i. */
enum {
        BENCH_OPT_DATABASE = 1u << 0, /* --db-socket, -D/--database, -k/--key */
        BENCH_OPT_STICKY = 1u << 1,   /* --sticky */
        BENCH_OPT_READONLY = 1u << 2, /* --readonly */
        BENCH_OPT_COUNT = 1u << 3,    /* one positional number (recovery N) */
        BENCH_OPT_WATCH = 1u << 4,    /* --watch-bus ADDRESS, repeated */
        BENCH_OPT_TYPE = 1u << 5,     /* -T/--type persistent|replicated (CTDB's -T) */
        BENCH_OPT_CLIENTS = 1u << 6,  /* -c/--clients C: clients per node */
};

struct bench_spec {
        const char *name;        /* the sub-command, "fetch-ring" */
        const char *ctdb_name;   /* in "<ctdb_name> test failed", "fetch ring" */
        const char *description; /* for --help, a paragraph ending in "\n" */
        unsigned options;        /* BENCH_OPT_* */
        const char *default_db, *default_key;
        const char *count_name; /* with BENCH_OPT_COUNT: what the number counts */
        bool announce_wait;     /* node 0 prints CTDB's "Waiting for cluster" */
};

struct bench_options {
        unsigned num_nodes, timelimit;
        const char *socket, *db_socket, *dbname, *key;
        bool interactive, sticky, readonly;
        unsigned count;
        enum ctdb_db_kind kind; /* the database's, volatile unless -T */
        unsigned clients;       /* -c, default 1 */
        const char *watch_buses[BENCH_MAX_BUSES];
        unsigned n_watch_buses;
};

/*
 * Parses argv (argv[0] is the sub-command) into ret, with CTDB's defaults
 * (-n 1, -t 10). Returns 0 to run, 1 when --help was printed, -EINVAL after
 * saying on stderr what was wrong.
 */
int bench_options_parse(const struct bench_spec *spec, int argc, char **argv, struct bench_options *ret);

struct bench;
/* A benchmark's own message (not the cluster wait's) on CTDB_SRVID_BENCH_RING. */
typedef void (*bench_message_fn)(struct bench *b, uint32_t src, const void *data, size_t len,
                                 void *userdata);

/*
 * One instance of a benchmark. The fields are read by the benchmarks; they
 * change only through the functions below.
 */
struct bench {
        const struct bench_spec *spec;
        const struct bench_options *opts;
        ctdb_client *client;
        ctdb_db_client *dbc; /* with BENCH_OPT_DATABASE */
        ctdb_db *db;         /* opts->dbname, attached as opts->kind */
        uint32_t pnn, num_nodes;
        bench_message_fn on_message;
        void *userdata;
        /* Cluster wait: the latest phase each node announced, and ours. */
        uint32_t *phase_of;
        uint32_t phase;
        double next_service;
        int error; /* the first failure inside a message handler */
};

/*
 * Connects to tunneld (and with BENCH_OPT_DATABASE to dbd, attaching the
 * database), registers for the benchmark's messages. Says on stderr what
 * failed; returns negative errno then.
 */
int bench_open(const struct bench_spec *spec, const struct bench_options *opts, struct bench **ret);
void bench_free(struct bench *b);
void bench_set_message_handler(struct bench *b, bench_message_fn fn, void *userdata);

/* Sends a message to dst's instance, waiting for room if tunneld is momentarily behind. */
int bench_send(struct bench *b, uint32_t dst, const void *data, size_t len);
/* Waits up to timeout_sec (0: not at all) for messages and handles them. */
int bench_poll(struct bench *b, double timeout_sec);

/*
 * For a benchmark's busy loop: handles waiting messages (other nodes' cluster
 * waits) at most every 10 ms, so that the loop pays for a poll() rarely.
 */
int bench_service(struct bench *b, double now);

/* The counter in a record's value of width 4 or 8 bytes; any other value (a new record) is 0. */
uint64_t bench_counter_get(const void *value, size_t len, size_t width);

/*
 * One fetch-lock of opts->key, the counter in it (width 4 or 8) plus one
 * stored, unlock; *ret_value is the counter stored.
 */
int bench_counter_increment(struct bench *b, size_t width, uint64_t *ret_value);

/*
 * CTDB's cluster wait, repeatable: returns once every node's instance has
 * reached the same number of waits as this one (30 s deadline, -ETIMEDOUT).
 * Instances keep answering other nodes' waits from bench_poll().
 */
int bench_cluster_wait(struct bench *b);

/* Calls a no-argument method of org.ctdb.db1's object of the database on this node's bus. */
int bench_db_call(struct bench *b, const char *method);

/*
 * A benchmark's whole main: parse options, bench_open(), run(b), bench_free().
 * Returns the exit code; on a failure of run() CTDB's "<name> test failed" line.
 */
int bench_main(const struct bench_spec *spec, int argc, char **argv, int (*run)(struct bench *b));

/* "Failed to X: <strerror>" on stderr; returns r. */
int bench_fail(int r, const char *what);

/* clock_gettime(clock) in microseconds. */
uint64_t bench_clock_usec(clockid_t clock);
/*
 * The wall-clock time (seconds.microseconds) a fault's command wrote to path
 * ($CTDB_LOCAL_FAULT_STAMP, local-cluster's kill, hang and stop do), as
 * CLOCK_MONOTONIC microseconds; fallback when there is none.
 */
uint64_t bench_stamp_read(const char *path, uint64_t fallback);

/* Sorts v (n > 0) ascending and returns its median. */
double bench_median_sort(double *v, size_t n);
/* A decimal number min..max and nothing else (no sign, no blanks): 0, or -EINVAL. */
int bench_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *ret);
struct option;
/* The long name of the option whose getopt value is c, for messages ("an option" if none). */
const char *bench_option_name(const struct option *options, int c);
