#pragma once

/*
 * The allocation of public addresses to nodes, as a pure function (no I/O, no
 * clock): what the leader's ctdb-ipd computes for a takeover run, what
 * `ctdbctl ip plan` prints, and what tests/unit/test-ipd-alloc.c checks. It is
 * CTDB's LCP2 (ctdb/server/ipalloc_lcp2.c; ../shared/notes/ctdb-ip-failover.md
 * section 1) with its rules kept, so that on CTDB's own inputs it gives CTDB's
 * answers (every one of ctdb/tests/UNIT/takeover's lcp2 cases, compared with
 * CTDB 4.17's ctdb_takeover_tests), and one of its faults fixed: the distance
 * of two addresses is the length of their common prefix, where CTDB sums the
 * leading zeros of every 32-bit word, so that IPv6 addresses of different
 * subnets look almost alike to it; for IPv4 both are the same. With disjoint
 * groups of nodes the failback tries every imbalanced node as a source, as
 * CTDB 4.17's does (lcp2.010's comment tells of a version that did not).
 * The balance figure is LCP2's: per node, the sum over pairs of its addresses
 * of the squared distance, in 64 bits.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip-address.h"

/* CTDB's node flags that keep a node from hosting (DESIGN.md section 3). */
#define IPALLOC_CANNOT_HOST 0x3fu /* DISCONNECTED UNHEALTHY PERMANENTLY_DISABLED BANNED DELETED STOPPED */

struct ipalloc_ip {
        struct ctdb_ip addr;
        uint32_t pnn;           /* the current holder, CTDB_PNN_NONE for none */
};

struct ipalloc_input {
        uint32_t n_nodes;
        const uint32_t *flags;  /* per node */
        size_t n_ips;
        const struct ipalloc_ip *ips;
        /*
         * Per address, n_nodes bytes: whether that node has it in its
         * public_addresses and an interface for it up. NULL: every node.
         */
        const uint8_t *can_host;
        bool no_failback;       /* CTDB's NoIPFailback: addresses never move back to nodes that return */
        bool no_takeover;       /* CTDB's NoIPTakeover: no address is placed on a node that lacks it */
        const bool *rebalance;  /* per node or NULL: nodes to balance onto although they hold addresses */
};

/*
 * Where every address goes: ret_pnn[i] for ips[i] (CTDB_PNN_NONE: nowhere it
 * could be hosted). 0, -EINVAL (an address's pnn beyond n_nodes, too many
 * nodes) or -ENOMEM.
 */
int ipalloc_run(const struct ipalloc_input *in, uint32_t *ret_pnn);

/* The common-prefix length of two addresses, 0..128 (IPv4 as CTDB keys it: 96 leading zero bits). */
unsigned ipalloc_distance(const struct ctdb_ip *a, const struct ctdb_ip *b);

/* LCP2's imbalance of node under the allocation pnn[]: the sum over pairs of its addresses of distance². */
uint64_t ipalloc_imbalance(const struct ipalloc_ip *ips, size_t n_ips, const uint32_t *pnn, uint32_t node);
