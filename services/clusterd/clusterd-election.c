/* Membership and leader election as pure logic; see clusterd-election.h. */

#include <errno.h>
#include <string.h>

#include "clusterd-election.h"

bool election_node_eligible(const struct election_node *n) {
        /* CTDB: banned and stopped nodes cannot be leader; disabled and unhealthy ones can. */
        return !n->deleted && n->known && !(n->flags & (CTDB_NODE_FLAG_BANNED | CTDB_NODE_FLAG_STOPPED)) &&
               (n->capabilities & CTDB_NODE_CAP_LEADER);
}

static bool in_partition(const struct election_input *in, uint32_t pnn) {
        const struct election_node *n = &in->nodes[pnn];

        return !n->deleted && (pnn == in->self || n->connected);
}

/* An eligible member of the partition that says it is leader (fcntl: holds the lock). */
static bool claims_leadership(const struct election_input *in, uint32_t pnn) {
        const struct election_node *n = &in->nodes[pnn];

        if (!in_partition(in, pnn) || !election_node_eligible(n))
                return false;
        if (pnn == in->self && in->backend == ELECTION_FCNTL)
                return in->lock_held;
        return n->leader == pnn;
}

static uint32_t lowest_eligible(const struct election_input *in) {
        for (uint32_t i = 0; i < in->n_nodes; i++)
                if (in_partition(in, i) && election_node_eligible(&in->nodes[i]))
                        return i;
        return CTDB_PNN_NONE;
}

/* Lowest claimant; exclude_self to look at peers only. */
static uint32_t lowest_claimant(const struct election_input *in, bool exclude_self) {
        for (uint32_t i = 0; i < in->n_nodes; i++) {
                if (exclude_self && i == in->self)
                        continue;
                if (claims_leadership(in, i))
                        return i;
        }
        return CTDB_PNN_NONE;
}

/*
 * quorum: a partition of more than half of N is quorate. Every quorate node
 * votes: for the lowest-PNN claimant of leadership in its partition if there is
 * one (so a running leader keeps its place when a lower node comes back, and of
 * two claimants the higher yields), else for the lowest eligible node. A node is
 * leader while it votes for itself and more than half of N vote for it.
 */
static void decide_quorum(const struct election_input *in, struct election_result *r) {
        uint32_t votes = 0;

        r->quorate = 2 * r->partition > r->n_active;
        if (!r->quorate)
                return;

        r->vote = lowest_claimant(in, false);
        if (r->vote == CTDB_PNN_NONE)
                r->vote = lowest_eligible(in);
        if (r->vote == CTDB_PNN_NONE)
                return;

        if (r->vote == in->self) {
                for (uint32_t i = 0; i < in->n_nodes; i++) {
                        if (i == in->self)
                                votes++;
                        else if (in_partition(in, i) && in->nodes[i].known && in->nodes[i].vote == in->self)
                                votes++;
                }
                if (2 * votes > r->n_active)
                        r->leader = in->self;
                return;
        }

        /* Following a peer: it is the leader once it says so. */
        if (claims_leadership(in, r->vote))
                r->leader = r->vote;
}

/*
 * fcntl: the lock decides, but only a partition of at least half of N may hold
 * it; a holder below that gives it up at once (CTDB keeps it and stalls the
 * majority). The candidate, the lowest eligible node of the partition, tries
 * while nobody in the partition holds it. Quorate: more than half, or exactly
 * half and the lock holder is in the partition.
 */
static void decide_fcntl(const struct election_input *in, struct election_result *r) {
        bool may_hold = 2 * r->partition >= r->n_active;
        bool self_eligible = election_node_eligible(&in->nodes[in->self]);
        uint32_t peer_holder = lowest_claimant(in, true);
        uint32_t candidate = lowest_eligible(in);

        if (in->lock_held) {
                if (!may_hold || !self_eligible)
                        r->lock_action = ELECTION_LOCK_RELEASE;
                else
                        r->leader = in->self;
        } else if (may_hold && peer_holder == CTDB_PNN_NONE && candidate == in->self) {
                r->lock_action = ELECTION_LOCK_TRY;
        }

        if (r->leader == CTDB_PNN_NONE && may_hold && peer_holder != CTDB_PNN_NONE)
                r->leader = peer_holder;

        r->quorate = 2 * r->partition > r->n_active || (may_hold && r->leader != CTDB_PNN_NONE);
        if (!r->quorate) {
                r->leader = CTDB_PNN_NONE;
                return;
        }
        r->vote = r->leader != CTDB_PNN_NONE ? r->leader : candidate;
}

int election_decide(const struct election_input *in, struct election_result *ret) {
        struct election_result r = {
                .vote = CTDB_PNN_NONE,
                .leader = CTDB_PNN_NONE,
                .lock_action = ELECTION_LOCK_NONE,
        };

        if (!in || !ret || !in->nodes || in->self >= in->n_nodes || in->nodes[in->self].deleted)
                return -EINVAL;

        for (uint32_t i = 0; i < in->n_nodes; i++) {
                if (in->nodes[i].deleted)
                        continue;
                r.n_active++;
                if (in_partition(in, i))
                        r.partition++;
        }

        switch (in->backend) {
        case ELECTION_QUORUM:
                decide_quorum(in, &r);
                break;
        case ELECTION_FCNTL:
                decide_fcntl(in, &r);
                break;
        default:
                return -EINVAL;
        }

        r.is_leader = r.leader == in->self;
        *ret = r;
        return 0;
}
