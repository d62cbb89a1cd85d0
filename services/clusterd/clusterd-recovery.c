/* Generation and recovery rules as pure logic; see clusterd-recovery.h. */

#include <stddef.h>

#include "clusterd-recovery.h"

static bool active_set_changed(const struct recovery_input *in) {
        if (!in->snapshot)
                return true;
        for (uint32_t i = 0; i < in->n_nodes; i++)
                if (in->snapshot[i] != in->nodes[i].active)
                        return true;
        return false;
}

/*
 * A partition member announced a later generation than ours (it comes from
 * another partition's history). The leader must move past it: a generation
 * number means one membership, and the newcomer must never have to go back.
 */
static bool peer_generation_ahead(const struct recovery_input *in) {
        for (uint32_t i = 0; i < in->n_nodes; i++) {
                const struct recovery_node *n = &in->nodes[i];

                if (i != in->self && n->connected && n->known && n->generation > in->generation)
                        return true;
        }
        return false;
}

static bool in_vnnmap(const struct recovery_node *n) {
        return n->active && n->lmaster;
}

uint32_t recovery_vnnmap(const struct recovery_input *in, uint32_t *ret) {
        uint32_t k = 0;

        for (uint32_t i = 0; i < in->n_nodes; i++)
                if (in_vnnmap(&in->nodes[i]))
                        ret[k++] = i;
        return k;
}

bool recovery_vnnmap_differs(const struct recovery_input *in) {
        uint32_t k = 0;

        for (uint32_t i = 0; i < in->n_nodes; i++) {
                if (!in_vnnmap(&in->nodes[i]))
                        continue;
                if (k >= in->n_vnnmap || in->vnnmap[k] != i)
                        return true;
                k++;
        }
        return k != in->n_vnnmap;
}

const char *recovery_start_reason(const struct recovery_input *in, bool became_leader) {
        if (became_leader)
                return "this node became leader";
        if (active_set_changed(in))
                return "the set of active nodes changed";
        if (peer_generation_ahead(in))
                return "a node announced a later generation";
        /* "A dbd that starts while the cluster runs joins through a recovery" (issue 8), and one that stops
         * leaves through one: the lmaster of a key is VnnMap[hash % len]. */
        if (recovery_vnnmap_differs(in))
                return "the database map changed";
        return NULL;
}

uint32_t recovery_next_generation(const struct recovery_input *in) {
        uint32_t gen = in->generation;

        for (uint32_t i = 0; i < in->n_nodes; i++)
                if (i != in->self && in->nodes[i].known && in->nodes[i].generation > gen)
                        gen = in->nodes[i].generation;
        gen++;
        /* 0 means "no generation yet"; skip it on wrap-around. */
        return gen == 0 ? 1 : gen;
}

bool recovery_acknowledged(const struct recovery_input *in) {
        if (!in->recovering || !in->snapshot)
                return false;
        for (uint32_t i = 0; i < in->n_nodes; i++) {
                const struct recovery_node *n = &in->nodes[i];

                if (i == in->self || !in->snapshot[i])
                        continue;
                if (!n->connected || !n->known || n->generation != in->recovery_generation || !n->recovering)
                        return false;
        }
        return true;
}

bool recovery_may_finish(const struct recovery_input *in) {
        if (!in->recovering)
                return false;
        if (in->n_vnnmap > 0 && !in->db_recovered)
                return false;
        return in->ack_expired || recovery_acknowledged(in);
}

enum recovery_report recovery_db_report(const struct recovery_input *in, uint32_t generation,
                                        int32_t error) {
        /* A late report of an earlier recovery says nothing about this one. */
        if (!in->recovering || generation != in->recovery_generation)
                return RECOVERY_REPORT_IGNORE;
        return error == 0 ? RECOVERY_REPORT_DONE : RECOVERY_REPORT_FAILED;
}

void recovery_follow_leader(const struct recovery_input *in, uint32_t leader, struct recovery_follow *ret) {
        const struct recovery_node *l = &in->nodes[leader];

        *ret = (struct recovery_follow) { .generation = in->generation, .recovering = in->recovering };
        /*
         * Generations never go back on a node. A leader behind ours has not
         * seen our announcement yet; once it has, it starts a recovery above it.
         */
        if (leader == in->self || !l->known || l->generation < in->generation)
                return;

        ret->adopt = true;
        ret->generation = l->generation;
        if (l->recovering) {
                ret->recovering = true;
                if (!in->recovering || in->recovery_generation != l->generation) {
                        ret->finish_previous = in->recovering;
                        ret->start = true;
                }
        } else {
                ret->recovering = false;
                ret->finish_previous = in->recovering;
        }
}
