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

/*
 * The next unasked broadcast: a refresh after a sent one, a retry after a
 * failed one. Every change is broadcast at once (clusterd_manager_update()),
 * and TCP carries it to every peer that is connected; a peer whose link comes
 * up gets it unicast. The refresh is there only for what can still be lost
 * on the way (a clusterd that does not read its socket loses messages at its
 * tunneld): at rest it is the only traffic clusterd makes, (N - 1) messages
 * of O(N) bytes to each node per refresh, where 250 ms periods made it the
 * largest cost of a big cluster after the heartbeats.
 */
static void announce_timer_set(clusterd_manager *m, uint64_t usec) {
        if (!m->announce_timer)
                return;
        (void) sd_event_source_set_time_relative(m->announce_timer, usec);
        (void) sd_event_source_set_enabled(m->announce_timer, SD_EVENT_ONESHOT);
}

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
        int key_len, len, r;

        if (!clusterd_manager_connected(m) || !clusterd_manager_pnn_valid(m, m->self))
                return;
        s.health_len = (uint32_t) strnlen(s.health, CLUSTERD_MAX_HEALTH);

        /*
         * What counts as a change is the state without the connected-peer list:
         * no receiver acts on the list (each has tunneld's word on its own
         * links), so a link that comes or goes is not worth a broadcast of its
         * own; that was a round of N - 1 broadcasts by every node on every kill,
         * hang and start of a node. The list goes out with the next one.
         * Into buffers of the largest size: packing cannot fail for want of memory.
         */
        key_len = wire_inner_pack_into(&clusterd_state_desc, &s, buf, sizeof(buf));
        if (key_len < 0) {
                log_error_errno(key_len, "Failed to pack the state announcement: %m");
                return;
        }
        if (only_if_changed && m->last_announce_len == (size_t) key_len &&
            memcmp(buf, m->last_announce, key_len) == 0)
                return;
        if (dst == CTDB_PNN_ALL) {
                memcpy(m->last_announce, buf, (size_t) key_len);
                m->last_announce_len = (size_t) key_len;
        }

        for (uint32_t i = 0; i < m->n_nodes && s.n_connected < CLUSTERD_MAX_NODES; i++)
                if (i != m->self && m->nodes[i].connected)
                        connected[s.n_connected++] = i;
        len = wire_inner_pack_into(&clusterd_state_desc, &s, buf, sizeof(buf));
        if (len < 0) {
                log_error_errno(len, "Failed to pack the state announcement: %m");
                return;
        }

        /* -ENOBUFS (16 MiB wait for tunneld already) or -ENOTCONN: tried again soon, whatever changes. */
        r = dp_client_send(m->tunnel, dst, CTDB_SRVID_CLUSTERD, buf, (size_t) len);
        if (r < 0)
                log_debug_errno(r, "Failed to send state announcement: %m");
        if (dst != CTDB_PNN_ALL)
                return;
        if (r < 0) {
                m->last_announce_len = 0;
                announce_timer_set(m, CLUSTERD_ANNOUNCE_RETRY_USEC);
                return;
        }
        announce_timer_set(m, CLUSTERD_ANNOUNCE_REFRESH_USEC);
}

void clusterd_announce_reset(clusterd_manager *m) {
        m->last_announce_len = 0;
}

static int on_announce_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        clusterd_manager *m = userdata;

        /* Sets the timer again (refresh, or retry after a failure). */
        clusterd_announce(m, CTDB_PNN_ALL, false);
        return 0;
}

int clusterd_announce_start(clusterd_manager *m) {
        int r;

        r = sd_event_add_time_relative(m->event, &m->announce_timer, CLOCK_MONOTONIC,
                                       CLUSTERD_ANNOUNCE_REFRESH_USEC, CLUSTERD_ANNOUNCE_ACCURACY_USEC,
                                       on_announce_timer, m);
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
        bool newcomer;

        if (s->pnn != src || !clusterd_manager_pnn_valid(m, src) || src == m->self) {
                log_debug("Dropping state announcement of pnn %" PRIu32 " from node %" PRIu32, s->pnn, src);
                return;
        }
        n = &m->nodes[src];
        /*
         * A clusterd that starts where tunneld's links are up already (or that
         * restarted: generations never go back otherwise) makes no link event
         * here, so nothing would tell it this node's state before the next
         * refresh: it gets it now, once.
         */
        newcomer = !n->known || s->generation < n->generation;
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
        if (newcomer)
                clusterd_announce(m, src, false);
}
