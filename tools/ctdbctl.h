#pragma once

/*
 * What ctdbctl's verbs share: ctdbctl.c has the options, the bus connection,
 * the failure reporting and the cluster verbs; ctdbctl-db.c the `db` verbs,
 * ctdbctl-ip.c the public address verbs.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#define EXIT_USAGE       1
#define EXIT_NOT_RUNNING 2
#define EXIT_DENIED      3
#define EXIT_FAILURE_    4

extern bool arg_json;

struct verb {
        const char *name;
        int min_args, max_args;         /* counting the verb itself */
        const char *args;
        const char *help;
        int (*run)(sd_bus *bus, const struct verb *v, int argc, char **argv);
        const char *method;             /* verb_node, verb_plain: the Manager method */
        const char *failure;            /* verb_plain: what failed, for the message */
        const char *bus_name;           /* the daemon the verb talks to; NULL: ctdb-clusterd */
        const char *daemon;
        /*
         * A verb that may need no bus: run first, with the verb's own
         * arguments; its exit code, or negative when this invocation needs
         * the bus after all (then run() follows).
         */
        int (*offline)(int argc, char **argv);
};

struct node_info {
        uint32_t pnn;
        char *address;
        uint32_t flags;
};

/* clusterd's Manager properties (get_cluster_info); cluster_info_free() frees the nodes. */
struct cluster_info {
        uint32_t this_node, leader, generation;
        int recovering, quorate;
        struct node_info *nodes;
        size_t n_nodes;
};

/* s as a JSON string (quotes, backslashes and control characters escaped). */
void json_string(const char *s);
/* Prints a failure (and with --json the object {ok:false, error, message} on stdout); returns code. */
int report_failure(int code, const char *name, const char *what, const char *msg);
/* Maps a failed call to an exit code and a message a person can act on. */
int call_failed(const char *what, int r, const sd_bus_error *error);
/* A decimal number; -EINVAL after saying what is wrong on stderr. */
int parse_u32(const char *s, const char *what, uint32_t *ret);
/* Reads clusterd's state into *c: 0, or the exit code after reporting (naming clusterd if it is down). */
int get_cluster_info(sd_bus *bus, struct cluster_info *c);
void cluster_info_free(struct cluster_info *c);

/* ctdbctl-db.c: `db list|attach|get|put|delete|keys|dump|wipe|readonly|sticky|ptrans|seqnum`. */
int verb_db(sd_bus *bus, const struct verb *v, int argc, char **argv);
void help_db(void);

/*
 * ctdbctl-ip.c: `ip plan --flags ... --input FILE` without a bus (verb_ip_offline,
 * negative for any other `ip`), `ip [--all] [-v]` and `ip plan` live (verb_ip),
 * move-ip, reload-ips and rebalance (verb_ipd: the verb's method on ctdb-ipd).
 */
int verb_ip_offline(int argc, char **argv);
int verb_ip(sd_bus *bus, const struct verb *v, int argc, char **argv);
int verb_ipd(sd_bus *bus, const struct verb *v, int argc, char **argv);
void help_ip(void);

/* ctdbctl-glock.c: `glock list`. */
int verb_glock(sd_bus *bus, const struct verb *v, int argc, char **argv);
void help_glock(void);
