#pragma once

/*
 * ctdbctl's output that is a pure function of what the daemons answered (no
 * bus, no globals), so that tests/unit/test-ctdbctl-ip.c checks it byte for
 * byte: JSON strings, the `ip` table and its JSON, and `ip plan`'s lines.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ipd-alloc.h"

/* s as a JSON string on f (quotes, backslashes and control characters escaped). */
void json_fputs(FILE *f, const char *s);

/* One entry of org.ctdb.ipfailover1.Manager's Addresses; the strings are borrowed. */
struct ip_row {
        const char *address;    /* ADDRESS/PREFIX */
        const char *interfaces; /* this node's for it, comma-separated; "": not in its public_addresses */
        uint32_t pnn;           /* the node hosting it, CTDB_PNN_NONE for none */
};

enum {
        IP_PRINT_ALL = 1u << 0,     /* every address of the cluster, not only this node's */
        IP_PRINT_VERBOSE = 1u << 1, /* the table gains the interfaces */
};

/*
 * `ctdbctl ip`: "Public IPs on node N" ("on ALL nodes" with IP_PRINT_ALL),
 * then `ADDRESS PNN` per address as `ctdb ip` prints it (-1: nobody hosts it),
 * in the order given; without IP_PRINT_ALL only the rows with interfaces.
 */
void ip_print_table(FILE *f, const struct ip_row *rows, size_t n, uint32_t this_node, unsigned flags);
/* The same rows as a JSON array: [{address, prefix, interfaces: [...], pnn (null: none)}, ...]. */
void ip_print_json(FILE *f, const struct ip_row *rows, size_t n, unsigned flags);

enum {
        IP_PLAN_SCORE = 1u << 0, /* LCP2's imbalance per node, the total and how many moved */
        IP_PLAN_MOVES = 1u << 1, /* "(moves from N)" on the addresses that move, and their count */
        IP_PLAN_JSON = 1u << 2,  /* [{address, pnn, current}, ...] (pnn, current: null for none) */
};

/*
 * A plan: ips[i] (its address and current holder) goes to pnn[i]. Prints
 * `ADDRESS PNN` per line, IPv6 first, then highest address first, as CTDB
 * prints a takeover run (-1: no node can host it). 0 or -ENOMEM.
 */
int ip_print_plan(FILE *f, const struct ipalloc_ip *ips, size_t n_ips, uint32_t n_nodes, const uint32_t *pnn,
                  unsigned flags);

/*
 * Sets flag in flags[] of every node of list, "PNN[,PNN...]" (each below
 * n_nodes), as `ip plan --down 1,2` asks. 0, or -EINVAL with *ret_bad
 * pointing into list at the item that is not a node.
 */
int ip_plan_mark(uint32_t *flags, uint32_t n_nodes, const char *list, uint32_t flag, const char **ret_bad);
