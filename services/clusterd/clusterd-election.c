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

        /* etcd: a peer whose lease expired is gone, whatever its link says. */
        return !n->deleted &&
               (pnn == in->self || (n->connected && (in->backend != ELECTION_ETCD || n->member)));
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
 * The lock decides (fcntl: the file; etcd: the leader key), but only a
 * partition of at least half of the members may hold it; a holder below that
 * gives it up at once (CTDB keeps it and stalls the majority). The candidate,
 * the lowest eligible node of the partition, tries while nobody in the
 * partition holds it (peer_holder). Quorate: more than half, or at least half
 * and the holder is in the partition.
 */
static void decide_lock(const struct election_input *in, struct election_result *r, uint32_t peer_holder) {
        bool may_hold = 2 * r->partition >= r->n_active;
        bool self_eligible = election_node_eligible(&in->nodes[in->self]);
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

/*
 * etcd: as fcntl, with the leader key for the lock, and etcd's leases say who
 * is a member: a node whose lease expired is gone even where a link to it is
 * still up, and only members count in N. A node that does not reach etcd (its
 * lease unconfirmed for a TTL) leads nothing and is not quorate.
 */
static void decide_etcd(const struct election_input *in, struct election_result *r) {
        uint32_t holder = in->lock_holder;

        r->n_active = r->partition = 0;
        for (uint32_t i = 0; i < in->n_nodes; i++) {
                if (in->nodes[i].deleted || !(i == in->self ? in->lock_alive : in->nodes[i].member))
                        continue;
                r->n_active++;
                if (in_partition(in, i))
                        r->partition++;
        }
        if (!in->lock_alive) {
                if (in->lock_held)
                        r->lock_action = ELECTION_LOCK_RELEASE;
                return;
        }
        /* A holder outside the partition is waited for: its key goes when it resigns or dies. */
        if (holder == in->self || holder >= in->n_nodes || !in_partition(in, holder))
                holder = CTDB_PNN_NONE;
        decide_lock(in, r, holder);
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
                decide_lock(in, &r, lowest_claimant(in, true));
                break;
        case ELECTION_ETCD:
                decide_etcd(in, &r);
                break;
        default:
                return -EINVAL;
        }

        r.is_leader = r.leader == in->self;
        *ret = r;
        return 0;
}
