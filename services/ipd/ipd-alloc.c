/* The allocation of public addresses (CTDB's LCP2, two faults fixed); see ipd-alloc.h. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctdb-node.h"
#include "ipd-alloc.h"

/* More nodes than any cluster of this project: bounds the per-node arrays. */
#define IPALLOC_MAX_NODES 4096u

/* An address as CTDB keys it (ip_key()): four host-order words, IPv4 in the last. */
struct key {
        uint32_t w[4];
};

struct state {
        const struct ipalloc_input *in;
        size_t n;
        uint32_t n_nodes;
        struct key *keys;
        uint32_t *pnn;
        uint64_t *imb;          /* per node */
        bool *candidate;        /* per node: may receive addresses in the failback */
        size_t *order;          /* address indexes, highest address first (CTDB's list order) */
};

static struct key key_of(const struct ctdb_ip *a) {
        struct key k = { { 0 } };

        if (a->family == AF_INET) {
                k.w[3] = ntohl(a->u.in.s_addr);
        } else {
                for (int i = 0; i < 4; i++) {
                        uint32_t be;

                        memcpy(&be, a->u.bytes + 4 * i, 4);
                        k.w[i] = ntohl(be);
                }
        }
        return k;
}

/* The common-prefix length: CTDB's ip_distance() but stopping at the first word that differs. */
static unsigned key_distance(const struct key *a, const struct key *b) {
        unsigned d = 0;

        for (int i = 0; i < 4; i++) {
                uint32_t x = a->w[i] ^ b->w[i];

                if (x)
                        return d + (unsigned) __builtin_clz(x);
                d += 32;
        }
        return d;
}

unsigned ipalloc_distance(const struct ctdb_ip *a, const struct ctdb_ip *b) {
        struct key ka = key_of(a), kb = key_of(b);

        return key_distance(&ka, &kb);
}

static uint64_t cost(const struct state *s, size_t i, size_t j) {
        uint64_t d = key_distance(&s->keys[i], &s->keys[j]);

        return d * d;
}

static bool can_host(const struct state *s, size_t i, uint32_t node) {
        const struct ipalloc_input *in = s->in;

        if (in->flags[node] & IPALLOC_CANNOT_HOST)
                return false;
        return !in->can_host || in->can_host[i * in->n_nodes + node];
}

/* CTDB's can_node_takeover_ip(): hosting, unless NoIPTakeover forbids every placement. */
static bool can_take(const struct state *s, size_t i, uint32_t node) {
        return !s->in->no_takeover && can_host(s, i, node);
}

/* Sum of cost(i, j) over the addresses j on node other than i itself (LCP2's ip_distance_2_sum()). */
static uint64_t dsum(const struct state *s, size_t i, uint32_t node) {
        uint64_t sum = 0;

        for (size_t j = 0; j < s->n; j++)
                if (j != i && s->pnn[j] == node)
                        sum += cost(s, i, j);
        return sum;
}

static int key_cmp_desc(const void *a, const void *b, void *userdata) {
        const struct key *keys = userdata, *ka = &keys[*(const size_t *) a],
                         *kb = &keys[*(const size_t *) b];

        for (int i = 0; i < 4; i++)
                if (ka->w[i] != kb->w[i])
                        return ka->w[i] < kb->w[i] ? 1 : -1;
        return 0;
}

/* LCP2's step 3: each time the (address, node) pair of least added imbalance, until none is left. */
static int allocate_unassigned(struct state *s) {
        uint32_t nn = s->n_nodes;
        size_t n_un = 0, *un;
        uint64_t *d;

        un = malloc(s->n * sizeof(*un));
        if (!un)
                return -ENOMEM;
        for (size_t k = 0; k < s->n; k++)
                if (s->pnn[s->order[k]] == CTDB_PNN_NONE)
                        un[n_un++] = s->order[k];
        /* d[u * nn + node]: what placing un[u] on node adds, kept up to date as addresses are placed. */
        d = calloc(n_un * nn + 1, sizeof(*d));
        if (!d) {
                free(un);
                return -ENOMEM;
        }
        for (size_t u = 0; u < n_un; u++)
                for (size_t j = 0; j < s->n; j++)
                        if (s->pnn[j] != CTDB_PNN_NONE)
                                d[u * nn + s->pnn[j]] += cost(s, un[u], j);
        for (;;) {
                size_t best_u = SIZE_MAX;
                uint32_t best_node = 0;

                /* Strict <: ties go to the highest address, then the lowest pnn, as in CTDB. */
                for (size_t u = 0; u < n_un; u++) {
                        if (s->pnn[un[u]] != CTDB_PNN_NONE)
                                continue;
                        for (uint32_t node = 0; node < nn; node++)
                                if (can_take(s, un[u], node) &&
                                    (best_u == SIZE_MAX || d[u * nn + node] < d[best_u * nn + best_node])) {
                                        best_u = u;
                                        best_node = node;
                                }
                }
                if (best_u == SIZE_MAX)
                        break;
                s->pnn[un[best_u]] = best_node;
                s->imb[best_node] += d[best_u * nn + best_node];
                for (size_t u = 0; u < n_un; u++)
                        if (s->pnn[un[u]] == CTDB_PNN_NONE)
                                d[u * nn + best_node] += cost(s, un[u], un[best_u]);
        }
        free(d);
        free(un);
        return 0;
}

/*
 * LCP2's step 5 for one source node: the move of one of its addresses to a
 * candidate that lowers both the source's imbalance below what it was and the
 * address's own cost, the one leaving the least imbalance on the two.
 */
static bool failback_one(struct state *s, uint32_t src) {
        uint64_t best = UINT64_MAX, best_src = 0, best_dst = 0;
        size_t best_i = SIZE_MAX;
        uint32_t best_node = 0;

        for (size_t k = 0; k < s->n; k++) {
                size_t i = s->order[k];
                uint64_t srcdsum, srcimbl;

                if (s->pnn[i] != src)
                        continue;
                srcdsum = dsum(s, i, src);
                srcimbl = s->imb[src] - srcdsum;
                for (uint32_t dst = 0; dst < s->n_nodes; dst++) {
                        uint64_t dstdsum, dstimbl;

                        if (dst == src || !s->candidate[dst] || !can_take(s, i, dst))
                                continue;
                        dstdsum = dsum(s, i, dst);
                        dstimbl = s->imb[dst] + dstdsum;
                        if (dstimbl < s->imb[src] && dstdsum < srcdsum && srcimbl + dstimbl < best) {
                                best = srcimbl + dstimbl;
                                best_i = i;
                                best_node = dst;
                                best_src = srcimbl;
                                best_dst = dstimbl;
                        }
                }
        }
        if (best_i == SIZE_MAX)
                return false;
        s->pnn[best_i] = best_node;
        s->imb[src] = best_src;
        s->imb[best_node] = best_dst;
        return true;
}

static int cmp_imb_desc(const void *a, const void *b, void *userdata) {
        const uint64_t *imb = userdata;
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        if (imb[x] != imb[y])
                return imb[x] < imb[y] ? 1 : -1;
        return x < y ? -1 : x > y;
}

static int failback(struct state *s) {
        uint32_t *nodes = malloc(s->n_nodes * sizeof(*nodes));
        bool moved;

        if (!nodes)
                return -ENOMEM;
        do {
                moved = false;
                for (uint32_t node = 0; node < s->n_nodes; node++)
                        nodes[node] = node;
                qsort_r(nodes, s->n_nodes, sizeof(*nodes), cmp_imb_desc, s->imb);
                for (uint32_t k = 0; k < s->n_nodes && !moved; k++) {
                        if (s->imb[nodes[k]] == 0)
                                break;
                        moved = failback_one(s, nodes[k]);
                }
        } while (moved);
        free(nodes);
        return 0;
}

int ipalloc_run(const struct ipalloc_input *in, uint32_t *ret_pnn) {
        struct state s = { .in = in, .n = in->n_ips, .n_nodes = in->n_nodes, .pnn = ret_pnn };
        bool any_candidate = false;
        int r = -ENOMEM;

        if (in->n_nodes == 0 || in->n_nodes > IPALLOC_MAX_NODES)
                return -EINVAL;
        for (size_t i = 0; i < in->n_ips; i++)
                if (in->ips[i].pnn != CTDB_PNN_NONE && in->ips[i].pnn >= in->n_nodes)
                        return -EINVAL;
        s.keys = calloc(s.n + 1, sizeof(*s.keys));
        s.order = calloc(s.n + 1, sizeof(*s.order));
        s.imb = calloc(s.n_nodes, sizeof(*s.imb));
        s.candidate = calloc(s.n_nodes, sizeof(*s.candidate));
        if (!s.keys || !s.order || !s.imb || !s.candidate)
                goto out;
        for (size_t i = 0; i < s.n; i++) {
                s.keys[i] = key_of(&in->ips[i].addr);
                s.order[i] = i;
                /* LCP2's step 1: an address on a node that cannot host it is unassigned (NoIPTakeover or
                 * not). */
                ret_pnn[i] = in->ips[i].pnn != CTDB_PNN_NONE && can_host(&s, i, in->ips[i].pnn)
                                     ? in->ips[i].pnn
                                     : CTDB_PNN_NONE;
        }
        qsort_r(s.order, s.n, sizeof(*s.order), key_cmp_desc, s.keys);
        /*
         * Step 2: only nodes that hold nothing now (or are forced) may receive
         * in the failback, so that a healthy cluster is not reshuffled for a
         * small gain in balance.
         */
        for (uint32_t node = 0; node < s.n_nodes; node++)
                s.candidate[node] = true;
        for (size_t i = 0; i < s.n; i++)
                if (ret_pnn[i] != CTDB_PNN_NONE) {
                        s.candidate[ret_pnn[i]] = false;
                        s.imb[ret_pnn[i]] += dsum(&s, i, ret_pnn[i]);
                }
        for (uint32_t node = 0; node < s.n_nodes; node++) {
                s.imb[node] /= 2;       /* every pair was counted from both of its ends */
                if (in->rebalance && in->rebalance[node])
                        s.candidate[node] = true;
        }
        r = allocate_unassigned(&s);
        if (r < 0)
                goto out;
        for (uint32_t node = 0; node < s.n_nodes; node++)
                any_candidate = any_candidate || s.candidate[node];
        if (!in->no_failback && any_candidate)
                r = failback(&s);
out:
        free(s.keys);
        free(s.order);
        free(s.imb);
        free(s.candidate);
        return r;
}

uint64_t ipalloc_imbalance(const struct ipalloc_ip *ips, size_t n_ips, const uint32_t *pnn, uint32_t node) {
        uint64_t sum = 0;

        for (size_t i = 0; i < n_ips; i++) {
                struct key ki;

                if (pnn[i] != node)
                        continue;
                ki = key_of(&ips[i].addr);
                for (size_t j = i + 1; j < n_ips; j++)
                        if (pnn[j] == node) {
                                struct key kj = key_of(&ips[j].addr);
                                uint64_t d = key_distance(&ki, &kj);

                                sum += d * d;
                        }
        }
        return sum;
}
