/* Peer announcements of ctdb-clusterd; see clusterd-announce.h. */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <talloc.h>

#include "clusterd-announce.h"
#include "clusterd-manager.h"
#include "ctdb-srvid.h"
#include "dp-client.h"
#include "log.h"

void clusterd_announce(clusterd_manager *m, uint32_t dst, bool only_if_changed) {
        uint32_t connected[CLUSTERD_MAX_NODES];
        uint8_t buf[CLUSTERD_STATE_MSG_MAX];
        struct clusterd_state_msg s = {
                .pnn = m->self,
                .n_nodes = m->n_nodes,
                .flags = m->flags,
                .capabilities = m->capabilities,
                .generation = m->generation,
                .leader = m->leader,
                .vote = m->vote,
                .recovering = m->recovering,
                .ban_left = m->ban_left,
                .connected = connected,
                .n_vnnmap = m->n_vnnmap < CLUSTERD_MAX_NODES ? m->n_vnnmap : CLUSTERD_MAX_NODES,
                .vnnmap = m->vnnmap,
                .health = m->health_units ? m->health_units : (char *) "",
        };
        int len, r;

        if (!clusterd_manager_connected(m) || !clusterd_manager_pnn_valid(m, m->self))
                return;
        s.health_len = (uint32_t) strnlen(s.health, CLUSTERD_MAX_HEALTH);
        for (uint32_t i = 0; i < m->n_nodes && s.n_connected < CLUSTERD_MAX_NODES; i++)
                if (i != m->self && m->nodes[i].connected)
                        connected[s.n_connected++] = i;

        /* Into a buffer of the largest size: packing cannot fail for want of memory. */
        len = wire_inner_pack_into(&clusterd_state_desc, &s, buf, sizeof(buf));
        if (len < 0) {
                log_error_errno(len, "Failed to pack the state announcement: %m");
                return;
        }
        if (only_if_changed && m->last_announce_len == (size_t) len &&
            memcmp(buf, m->last_announce, len) == 0)
                return;

        /* -EAGAIN: tunneld's socket is full; the timer announces again within 250 ms. */
        r = dp_client_send(m->tunnel, dst, CTDB_SRVID_CLUSTERD, buf, (size_t) len);
        if (r < 0)
                log_debug_errno(r, "Failed to send state announcement: %m");
        if (dst == CTDB_PNN_ALL) {
                memcpy(m->last_announce, buf, (size_t) len);
                m->last_announce_len = (size_t) len;
        }
}

void clusterd_announce_reset(clusterd_manager *m) {
        m->last_announce_len = 0;
}

static int on_announce_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        clusterd_manager *m = userdata;

        clusterd_announce(m, CTDB_PNN_ALL, false);
        (void) sd_event_source_set_time_relative(s, CLUSTERD_ANNOUNCE_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

int clusterd_announce_start(clusterd_manager *m) {
        int r;

        r = sd_event_add_time_relative(m->event, &m->announce_timer, CLOCK_MONOTONIC, CLUSTERD_ANNOUNCE_USEC,
                                       0, on_announce_timer, m);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->announce_timer, SD_EVENT_ONESHOT);
}

/* The VnnMap a peer announced, in its slot's own buffer (reallocated only when the length changes). */
static int remember_vnnmap(clusterd_manager *m, struct clusterd_node *n,
                           const struct clusterd_state_msg *s) {
        if (s->n_vnnmap != n->n_vnnmap) {
                uint32_t *v = talloc_realloc(m->nodes, n->vnnmap, uint32_t, s->n_vnnmap ? s->n_vnnmap : 1);

                if (!v)
                        return -ENOMEM;
                n->vnnmap = v;
        }
        if (s->n_vnnmap > 0)
                memcpy(n->vnnmap, s->vnnmap, s->n_vnnmap * sizeof(uint32_t));
        n->n_vnnmap = s->n_vnnmap;
        return 0;
}

/* The failing units a node announced; a change is published as its Health. */
static void remember_health(clusterd_manager *m, struct clusterd_node *n, const char *health) {
        if ((!health && !n->health) || (health && n->health && strcmp(health, n->health) == 0))
                return;
        talloc_free(n->health);
        n->health = health ? talloc_strdup(m->nodes, health) : NULL;
        n->health_changed = true;
}

void clusterd_announce_received(clusterd_manager *m, uint32_t src, const struct clusterd_state_msg *s) {
        struct clusterd_node *n;

        if (s->pnn != src || !clusterd_manager_pnn_valid(m, src) || src == m->self) {
                log_debug("Dropping state announcement of pnn %" PRIu32 " from node %" PRIu32, s->pnn, src);
                return;
        }
        n = &m->nodes[src];
        /* All of it or nothing: a leader's generation is adopted only together with its VnnMap. */
        if (remember_vnnmap(m, n, s) < 0) {
                log_error("Out of memory: dropped the state announcement of node %" PRIu32, src);
                return;
        }
        if (!n->known && s->n_nodes != m->n_nodes)
                log_warning("Node %" PRIu32 " has %" PRIu32 " node slots configured, this node %" PRIu32
                            "; the nodes files differ",
                            src, s->n_nodes, m->n_nodes);
        n->known = true;
        n->flags = s->flags & ~(CTDB_NODE_FLAG_DISCONNECTED | CTDB_NODE_FLAG_DELETED);
        n->capabilities = s->capabilities;
        n->generation = s->generation;
        n->leader = s->leader;
        n->vote = s->vote;
        n->recovering = s->recovering;
        n->ban_left = s->ban_left;
        remember_health(m, n, s->health_len ? s->health : NULL);
}
