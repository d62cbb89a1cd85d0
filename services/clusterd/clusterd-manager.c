/*
 * ctdb-clusterd's state machine: link events and announcements come in from
 * tunneld, the election (clusterd-election.c) decides, and every change is
 * published on the bus and announced to the peers. See docs/architecture.md,
 * "Membership and leader", for the rules.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include <talloc.h>

#include "clusterd-bus.h"
#include "clusterd-manager.h"
#include "clusterd-wire.h"
#include "common/config.h"
#include "log.h"
#include "talloc-util.h"

#define USEC_PER_SEC 1000000ULL

/* A D-Bus call waiting for another node's answer. */
struct pending_control {
        struct pending_control *prev, *next;
        clusterd_manager *m;
        uint32_t id;
        uint32_t op;
        uint32_t target;
        sd_bus_message *call;
        sd_event_source *timer;
};

/*
 * Frames are handled after ctdb_client_process() returns, never from inside
 * its callbacks: handling sends messages and may drop the client, neither of
 * which is safe from inside the client's own read loop.
 */
struct inbox_entry {
        struct inbox_entry *next;
        bool is_link;
        uint32_t pnn;
        bool connected;
        uint8_t *data;
        size_t len;
};

static void clusterd_manager_announce(clusterd_manager *m, uint32_t dst, bool only_if_changed);
static void tunnel_schedule_reconnect(clusterd_manager *m);
static void clusterd_manager_update(clusterd_manager *m);

static uint64_t now_usec(clusterd_manager *m) {
        uint64_t t = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

static bool pnn_valid(const clusterd_manager *m, uint32_t pnn) {
        return pnn < m->n_nodes && !m->nodes[pnn].deleted;
}

/* ---- views ------------------------------------------------------------- */

uint32_t clusterd_manager_node_flags(const clusterd_manager *m, uint32_t pnn) {
        const struct clusterd_node *n;

        if (pnn >= m->n_nodes)
                return 0;
        n = &m->nodes[pnn];
        if (n->deleted)
                return CTDB_NODE_FLAG_DELETED;
        if (pnn == m->self)
                return m->flags;
        /* What a disconnected node last said is stale: show only that it is gone. */
        if (!n->connected || !m->client)
                return CTDB_NODE_FLAG_DISCONNECTED;
        if (!n->known)
                return 0;
        return n->flags & ~(CTDB_NODE_FLAG_DISCONNECTED | CTDB_NODE_FLAG_DELETED);
}

uint32_t clusterd_manager_node_ban_left(const clusterd_manager *m, uint32_t pnn) {
        const struct clusterd_node *n;

        if (pnn >= m->n_nodes)
                return 0;
        if (pnn == m->self)
                return m->ban_left;
        n = &m->nodes[pnn];
        if (n->deleted || !n->connected || !n->known || !m->client)
                return 0;
        return n->ban_left;
}

static bool node_active(const clusterd_manager *m, uint32_t pnn) {
        const struct clusterd_node *n = &m->nodes[pnn];

        if (n->deleted)
                return false;
        if (pnn == m->self)
                return !(m->flags & (CTDB_NODE_FLAG_BANNED | CTDB_NODE_FLAG_STOPPED));
        return m->client && n->connected && n->known && !(n->flags & (CTDB_NODE_FLAG_BANNED | CTDB_NODE_FLAG_STOPPED));
}

/* ---- publishing ---------------------------------------------------------- */

static void log_flags_event(clusterd_manager *m, uint32_t pnn, uint32_t old, uint32_t new) {
        char a[128], b[128], f1[32], f2[32], f3[32];
        const char *extra[] = { f1, f2, f3, NULL };

        snprintf(f1, sizeof(f1), "CTDB_PNN=%" PRIu32, pnn);
        snprintf(f2, sizeof(f2), "CTDB_FLAGS=0x%" PRIx32, new);
        snprintf(f3, sizeof(f3), "CTDB_OLD_FLAGS=0x%" PRIx32, old);
        log_event(LOG_NOTICE, CTDB_MESSAGE_NODE_FLAGS, extra, "Node %" PRIu32 " flags changed: %s -> %s%s", pnn,
                  bus_node_flags_to_string(old, a, sizeof(a)), bus_node_flags_to_string(new, b, sizeof(b)),
                  pnn == m->self ? " (this node)" : "");
}

/* Emits PropertiesChanged (and journal events) for everything that changed since last time. */
static void clusterd_manager_publish(clusterd_manager *m) {
        char *props[8];
        unsigned n = 0;
        bool nodes_changed = false;

        for (uint32_t i = 0; i < m->n_nodes; i++) {
                struct clusterd_node *node = &m->nodes[i];
                uint32_t flags = clusterd_manager_node_flags(m, i);
                uint32_t ban_left = clusterd_manager_node_ban_left(m, i);
                bool added = node->pub_flags == CLUSTERD_PUB_NEW;
                char *np[5];
                unsigned k = 0;

                if (added && m->pub_valid)
                        clusterd_bus_emit_node_added(m, i);
                if (flags != node->pub_flags) {
                        if (m->pub_valid && !added)
                                log_flags_event(m, i, node->pub_flags, flags);
                        /* A slot deleted by ReloadNodes loses its address. */
                        if (!added && (flags ^ node->pub_flags) & CTDB_NODE_FLAG_DELETED)
                                np[k++] = (char *) "Address";
                        node->pub_flags = flags;
                        np[k++] = (char *) "Flags";
                        np[k++] = (char *) "Health";
                        nodes_changed = true;
                }
                if (ban_left != node->pub_ban_left) {
                        node->pub_ban_left = ban_left;
                        np[k++] = (char *) "BanTimeLeft";
                }
                np[k] = NULL;
                if (k > 0 && m->pub_valid)
                        clusterd_bus_emit_node_changed(m, i, np);
        }

        if (m->self != m->pub_self)
                props[n++] = (char *) "ThisNode";
        if (m->leader != m->pub_leader) {
                char f1[32];
                const char *extra[] = { f1, NULL };

                snprintf(f1, sizeof(f1), "CTDB_LEADER=%" PRIu32, m->leader);
                if (!m->pub_valid)
                        ;
                else if (m->leader == CTDB_PNN_NONE)
                        log_event(LOG_NOTICE, CTDB_MESSAGE_LEADER, extra, "No leader (%s)",
                                  m->quorate ? "election in progress" : "not quorate");
                else
                        log_event(LOG_NOTICE, CTDB_MESSAGE_LEADER, extra, "Leader is node %" PRIu32 "%s",
                                  m->leader, m->leader == m->self ? " (this node)" : "");
                props[n++] = (char *) "Leader";
        }
        if (m->generation != m->pub_generation) {
                char f1[32];
                const char *extra[] = { f1, NULL };

                snprintf(f1, sizeof(f1), "CTDB_GENERATION=%" PRIu32, m->generation);
                if (m->pub_valid)
                        log_event(LOG_INFO, CTDB_MESSAGE_GENERATION, extra, "Generation %" PRIu32, m->generation);
                props[n++] = (char *) "Generation";
        }
        if (m->recovering != m->pub_recovering)
                props[n++] = (char *) "Recovering";
        if (m->quorate != m->pub_quorate) {
                if (m->pub_valid)
                        log_notice("%s", m->quorate ? "Partition is quorate" : "Partition lost quorum");
                props[n++] = (char *) "Quorate";
        }
        if (nodes_changed)
                props[n++] = (char *) "Nodes";
        props[n] = NULL;

        m->pub_self = m->self;
        m->pub_leader = m->leader;
        m->pub_generation = m->generation;
        m->pub_recovering = m->recovering;
        m->pub_quorate = m->quorate;

        if (n > 0 && m->pub_valid)
                clusterd_bus_emit_manager_changed(m, props);
        m->pub_valid = true;
}

/* ---- recovery ------------------------------------------------------------ */

static void recovery_event(clusterd_manager *m, bool started, uint32_t generation) {
        char f1[32];
        const char *extra[] = { f1, NULL };

        snprintf(f1, sizeof(f1), "CTDB_GENERATION=%" PRIu32, generation);
        log_event(LOG_NOTICE, CTDB_MESSAGE_RECOVERY, extra, "Recovery %s, generation %" PRIu32,
                  started ? "started" : "finished", generation);
        clusterd_bus_emit_recovery(m, started, generation);
}

static void recovery_finish(clusterd_manager *m) {
        (void) sd_event_source_set_enabled(m->recovery_timer, SD_EVENT_OFF);
        if (!m->recovering)
                return;
        m->recovering = false;
        recovery_event(m, false, m->recovery_generation);
}

/* Leader: done when every member of the snapshot acknowledged by announcing the generation. */
static void recovery_check_done(clusterd_manager *m) {
        if (!m->recovering || m->leader != m->self || !m->active_snapshot)
                return;
        for (uint32_t i = 0; i < m->n_nodes; i++) {
                const struct clusterd_node *n = &m->nodes[i];

                if (i == m->self || !m->active_snapshot[i])
                        continue;
                if (!n->connected || !n->known || n->generation != m->recovery_generation || !n->recovering)
                        return;
        }
        recovery_finish(m);
}


static int on_recovery_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        clusterd_manager *m = userdata;

        if (m->recovering && m->leader == m->self) {
                /* Nothing to recover yet beyond the acknowledgements; do not wedge the cluster. */
                log_warning("Recovery of generation %" PRIu32 " not acknowledged by all members within %llu s; "
                            "finishing anyway",
                            m->recovery_generation, CLUSTERD_RECOVERY_TIMEOUT_USEC / USEC_PER_SEC);
                recovery_finish(m);
                clusterd_manager_update(m);
        }
        return 0;
}

static bool active_set_changed(clusterd_manager *m) {
        if (!m->active_snapshot)
                return true;
        for (uint32_t i = 0; i < m->n_nodes; i++)
                if (m->active_snapshot[i] != node_active(m, i))
                        return true;
        return false;
}

/*
 * A partition member announced a later generation than ours (it comes from
 * another partition's history). The leader must move past it: a generation
 * number means one membership, and the newcomer must never have to go back.
 */
static bool peer_generation_ahead(clusterd_manager *m) {
        for (uint32_t i = 0; i < m->n_nodes; i++)
                if (i != m->self && m->nodes[i].connected && m->nodes[i].known &&
                    m->nodes[i].generation > m->generation)
                        return true;
        return false;
}

static void recovery_start(clusterd_manager *m, const char *why) {
        uint32_t gen = m->generation;

        for (uint32_t i = 0; i < m->n_nodes; i++)
                if (i != m->self && m->nodes[i].known && m->nodes[i].generation > gen)
                        gen = m->nodes[i].generation;
        gen++;
        /* 0 means "no generation yet"; skip it on wrap-around. */
        if (gen == 0)
                gen = 1;

        talloc_free(m->active_snapshot);
        m->active_snapshot = talloc_zero_array(m, bool, m->n_nodes);
        if (m->active_snapshot)
                for (uint32_t i = 0; i < m->n_nodes; i++)
                        m->active_snapshot[i] = node_active(m, i);

        log_info("Starting recovery: %s", why);
        if (m->recovering)
                recovery_event(m, false, m->recovery_generation);
        m->generation = gen;
        m->recovery_generation = gen;
        m->recovering = true;
        recovery_event(m, true, gen);

        (void) sd_event_source_set_time_relative(m->recovery_timer, CLUSTERD_RECOVERY_TIMEOUT_USEC);
        (void) sd_event_source_set_enabled(m->recovery_timer, SD_EVENT_ONESHOT);
        recovery_check_done(m);
}

/* Follower: adopt the leader's generation and mirror its recovery. */
static void follow_leader(clusterd_manager *m) {
        const struct clusterd_node *l;

        if (m->leader == CTDB_PNN_NONE || m->leader == m->self)
                return;
        l = &m->nodes[m->leader];
        if (!l->known)
                return;
        /*
         * Generations never go back on a node. A leader behind ours has not
         * seen our announcement yet; once it has, it starts a recovery above it.
         */
        if (l->generation < m->generation)
                return;

        if (l->recovering) {
                if (!m->recovering || m->recovery_generation != l->generation) {
                        if (m->recovering)
                                recovery_event(m, false, m->recovery_generation);
                        m->generation = l->generation;
                        m->recovery_generation = l->generation;
                        m->recovering = true;
                        recovery_event(m, true, l->generation);
                }
        } else {
                m->generation = l->generation;
                if (m->recovering) {
                        m->recovering = false;
                        recovery_event(m, false, m->recovery_generation);
                }
        }
}

/* ---- election ------------------------------------------------------------ */

static void run_election(clusterd_manager *m, struct election_result *r) {
        struct election_node *nodes;
        struct election_input in = {
                .backend = m->backend,
                .self = m->self,
                .n_nodes = m->n_nodes,
                .lock_held = cluster_lock_held(m->lock),
        };

        *r = (struct election_result) {
                .vote = CTDB_PNN_NONE,
                .leader = CTDB_PNN_NONE,
                .lock_action = cluster_lock_held(m->lock) ? ELECTION_LOCK_RELEASE : ELECTION_LOCK_NONE,
        };
        /* Without tunneld this node is in no partition at all. */
        if (!m->client || !pnn_valid(m, m->self))
                return;

        nodes = talloc_zero_array(NULL, struct election_node, m->n_nodes);
        if (!nodes) {
                log_oom();
                return;
        }
        for (uint32_t i = 0; i < m->n_nodes; i++) {
                const struct clusterd_node *n = &m->nodes[i];
                struct election_node *e = &nodes[i];

                e->deleted = n->deleted;
                if (i == m->self) {
                        e->connected = e->known = true;
                        e->flags = m->flags;
                        e->capabilities = m->capabilities;
                        e->leader = m->leader;
                        e->vote = m->vote;
                } else {
                        e->connected = n->connected;
                        e->known = n->known;
                        e->flags = n->flags;
                        e->capabilities = n->capabilities;
                        e->leader = n->leader;
                        e->vote = n->vote;
                }
        }
        in.nodes = nodes;
        if (election_decide(&in, r) < 0)
                log_error("Election input invalid (pnn %" PRIu32 " of %" PRIu32 ")", m->self, m->n_nodes);
        talloc_free(nodes);
}

/* Acts on the lock decision; returns true if the lock state changed. */
static bool apply_lock_action(clusterd_manager *m, const struct election_result *r) {
        uint64_t now;
        int k;

        if (!m->lock)
                return false;

        switch (r->lock_action) {
        case ELECTION_LOCK_RELEASE:
                if (!cluster_lock_held(m->lock)) {
                        cluster_lock_release(m->lock); /* an attempt under way is abandoned */
                        return false;
                }
                cluster_lock_release(m->lock);
                if (!m->client)
                        log_notice("Released the cluster lock %s (no connection to ctdb-tunneld)",
                                   cluster_lock_path(m->lock));
                else
                        log_notice("Released the cluster lock %s (partition %" PRIu32 " of %" PRIu32 " nodes%s)",
                                   cluster_lock_path(m->lock), r->partition, r->n_active,
                                   m->flags & (CTDB_NODE_FLAG_BANNED | CTDB_NODE_FLAG_STOPPED) ? ", node inactive" : "");
                return true;
        case ELECTION_LOCK_TRY:
                now = now_usec(m);
                if (cluster_lock_held(m->lock) ||
                    (m->lock_last_try != 0 && now - m->lock_last_try < CLUSTERD_LOCK_RETRY_USEC))
                        return false;
                m->lock_last_try = now;
                /* The answer comes through on_lock_answer(). */
                k = cluster_lock_try(m->lock);
                if (k < 0)
                        log_warning_errno(k, "Failed to start taking the cluster lock %s: %m",
                                          cluster_lock_path(m->lock));
                return false;
        case ELECTION_LOCK_NONE:
                /* Keeps a held lock; an attempt nobody wants any more is abandoned. */
                if (!cluster_lock_held(m->lock))
                        cluster_lock_release(m->lock);
                break;
        }
        return false;
}

/* The lock helper's answer to an attempt, or news of a held lock lost. */
static void on_lock_answer(cluster_lock *l, int result, void *userdata) {
        clusterd_manager *m = userdata;

        if (result > 0)
                log_notice("Took the cluster lock %s", cluster_lock_path(l));
        else if (result == -ESTALE || result == -ENOLCK)
                log_warning_errno(result, "Lost the cluster lock %s: %s", cluster_lock_path(l),
                                  result == -ESTALE ? "the file was removed or replaced" : "its helper died");
        else if (result < 0 && result != m->lock_last_error)
                /* Retried every 200 ms: the journal hears of each new reason once. */
                log_warning_errno(result, "Failed to take the cluster lock %s (retrying): %m",
                                  cluster_lock_path(l));
        else if (result < 0)
                log_debug_errno(result, "Failed to take the cluster lock %s: %m", cluster_lock_path(l));
        m->lock_last_error = result < 0 && result != -ESTALE && result != -ENOLCK ? result : 0;
        if (result != 0)
                clusterd_manager_update(m);
}

/* Runs the election on the current view and publishes every change. */
static void clusterd_manager_update(clusterd_manager *m) {
        struct election_result r;
        uint32_t old_leader = m->leader;

        run_election(m, &r);
        if (apply_lock_action(m, &r))
                run_election(m, &r);

        m->quorate = r.quorate;
        m->vote = r.vote;
        m->leader = r.leader;

        if (r.is_leader) {
                if (old_leader != m->self)
                        recovery_start(m, "this node became leader");
                else if (active_set_changed(m))
                        recovery_start(m, "the set of active nodes changed");
                else if (peer_generation_ahead(m))
                        recovery_start(m, "a node announced a later generation");
                else
                        recovery_check_done(m);
        } else {
                if (old_leader == m->self && m->self != CTDB_PNN_NONE) {
                        log_notice("This node is no longer leader");
                        (void) sd_event_source_set_enabled(m->recovery_timer, SD_EVENT_OFF);
                        TALLOC_FREE(m->active_snapshot);
                }
                follow_leader(m);
        }

        clusterd_manager_publish(m);
        clusterd_manager_announce(m, CTDB_CLIENT_PNN_ALL, true);
}

/* ---- messages to peers --------------------------------------------------- */

static int clusterd_manager_send(clusterd_manager *m, uint32_t dst, const struct wire_desc *desc, const void *msg) {
        _cleanup_talloc_ uint8_t *buf = NULL;
        size_t len;
        int r;

        if (!m->client)
                return -ENOTCONN;
        r = clusterd_msg_pack(NULL, desc, msg, &buf, &len);
        if (r < 0)
                return r;
        /* -EAGAIN: tunneld's socket is full; announcements repeat and controls time out. */
        return ctdb_client_send(m->client, dst, CTDB_SRVID_CLUSTERD, buf, len);
}

static void clusterd_manager_announce(clusterd_manager *m, uint32_t dst, bool only_if_changed) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
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
        };
        uint8_t *buf;
        size_t len;
        int r;

        if (!m->client || !pnn_valid(m, m->self) || !tmp)
                return;

        s.connected = talloc_array(tmp, uint32_t, m->n_nodes);
        if (!s.connected)
                return;
        for (uint32_t i = 0; i < m->n_nodes && s.n_connected < CLUSTERD_MAX_NODES; i++)
                if (i != m->self && m->nodes[i].connected)
                        s.connected[s.n_connected++] = i;

        r = clusterd_msg_pack(tmp, &clusterd_state_desc, &s, &buf, &len);
        if (r < 0) {
                log_debug_errno(r, "Failed to pack state announcement: %m");
                return;
        }
        if (only_if_changed && m->last_announce && len == m->last_announce_len &&
            memcmp(buf, m->last_announce, len) == 0)
                return;

        r = ctdb_client_send(m->client, dst, CTDB_SRVID_CLUSTERD, buf, len);
        if (r < 0)
                log_debug_errno(r, "Failed to send state announcement: %m");
        if (dst == CTDB_CLIENT_PNN_ALL) {
                talloc_free(m->last_announce);
                m->last_announce = talloc_steal(m, buf);
                m->last_announce_len = len;
        }
}

static int on_announce_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        clusterd_manager *m = userdata;

        clusterd_manager_announce(m, CTDB_CLIENT_PNN_ALL, false);
        (void) sd_event_source_set_time_relative(s, CLUSTERD_ANNOUNCE_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static int on_lock_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        clusterd_manager *m = userdata;

        /* Retries the lock while the election says TRY (and re-checks a held one). */
        clusterd_manager_update(m);
        (void) sd_event_source_set_time_relative(s, CLUSTERD_LOCK_RETRY_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/* ---- node flags (local controls) ----------------------------------------- */

static void ban_clear(clusterd_manager *m) {
        m->flags &= ~CTDB_NODE_FLAG_BANNED;
        m->ban_until = 0;
        m->ban_left = 0;
        (void) sd_event_source_set_enabled(m->ban_timer, SD_EVENT_OFF);
}

static int on_ban_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        clusterd_manager *m = userdata;
        uint64_t now = now_usec(m);

        if (!(m->flags & CTDB_NODE_FLAG_BANNED))
                return 0;
        if (now >= m->ban_until) {
                log_notice("Ban expired, this node is no longer banned");
                ban_clear(m);
        } else {
                uint64_t left = m->ban_until - now;

                m->ban_left = (uint32_t) ((left + USEC_PER_SEC - 1) / USEC_PER_SEC);
                /* Tick on whole seconds left, and exactly at the end. */
                left %= USEC_PER_SEC;
                (void) sd_event_source_set_time(s, now + (left ? left : USEC_PER_SEC));
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        clusterd_manager_update(m);
        return 0;
}

/*
 * Applies a control to this node. Returns 0, or a negative errno with a D-Bus
 * error name and message for the caller.
 */
static int control_apply(clusterd_manager *m, uint32_t op, uint32_t arg, void *mem_ctx, const char **ret_name,
                         char **ret_message) {
        switch (op) {
        case CLUSTERD_OP_BAN:
                if (arg == 0) {
                        *ret_name = CTDB_ERROR_INVALID_ARGS;
                        *ret_message = talloc_strdup(mem_ctx, "Ban time must be at least 1 second");
                        return -EINVAL;
                }
                m->flags |= CTDB_NODE_FLAG_BANNED;
                m->ban_until = now_usec(m) + (uint64_t) arg * USEC_PER_SEC;
                m->ban_left = arg;
                (void) sd_event_source_set_time(m->ban_timer, now_usec(m) + USEC_PER_SEC);
                (void) sd_event_source_set_enabled(m->ban_timer, SD_EVENT_ONESHOT);
                log_notice("This node is banned for %" PRIu32 " s", arg);
                break;
        case CLUSTERD_OP_UNBAN:
                ban_clear(m);
                break;
        case CLUSTERD_OP_DISABLE:
                m->flags |= CTDB_NODE_FLAG_PERMANENTLY_DISABLED;
                break;
        case CLUSTERD_OP_ENABLE:
                m->flags &= ~CTDB_NODE_FLAG_PERMANENTLY_DISABLED;
                break;
        case CLUSTERD_OP_STOP:
                m->flags |= CTDB_NODE_FLAG_STOPPED;
                break;
        case CLUSTERD_OP_CONTINUE:
                m->flags &= ~CTDB_NODE_FLAG_STOPPED;
                break;
        case CLUSTERD_OP_RECOVER:
                if (!m->quorate) {
                        *ret_name = CTDB_ERROR_NOT_QUORATE;
                        *ret_message = talloc_strdup(mem_ctx, "Node is not in a quorate partition");
                        return -EHOSTUNREACH;
                }
                if (m->leader != m->self) {
                        *ret_name = CTDB_ERROR_NOT_LEADER;
                        *ret_message = talloc_asprintf(mem_ctx, "Node %" PRIu32 " is not the leader", m->self);
                        return -EREMOTE;
                }
                recovery_start(m, "requested by an administrator");
                break;
        default:
                *ret_name = CTDB_ERROR_INVALID_ARGS;
                *ret_message = talloc_asprintf(mem_ctx, "Unknown control %" PRIu32, op);
                return -EINVAL;
        }
        clusterd_manager_update(m);
        return 0;
}

/* ---- pending controls ------------------------------------------------------- */

static int pending_destructor(struct pending_control *p) {
        clusterd_manager *m = p->m;

        if (p->prev)
                p->prev->next = p->next;
        else if (m->pending == p)
                m->pending = p->next;
        if (p->next)
                p->next->prev = p->prev;
        p->timer = sd_event_source_disable_unref(p->timer);
        p->call = sd_bus_message_unref(p->call);
        return 0;
}

static void pending_fail(struct pending_control *p, const char *name, const char *format, uint32_t pnn) {
        if (p->call)
                (void) sd_bus_reply_method_errorf(p->call, name, format, pnn);
        talloc_free(p);
}

static int on_pending_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct pending_control *p = userdata;

        log_warning("Node %" PRIu32 " did not answer %s within 5 s", p->target, clusterd_op_to_string(p->op));
        pending_fail(p, CTDB_ERROR_TIMEOUT, "Node %" PRIu32 " did not answer within 5 s", p->target);
        return 0;
}

static void pending_fail_for(clusterd_manager *m, uint32_t pnn) {
        struct pending_control *p = m->pending, *next;

        for (; p; p = next) {
                next = p->next;
                if (pnn == CTDB_PNN_ALL || p->target == pnn)
                        pending_fail(p, CTDB_ERROR_NOT_CONNECTED, "Node %" PRIu32 " disconnected before it answered",
                                     p->target);
        }
}

static int control_forward(clusterd_manager *m, sd_bus_message *call, uint32_t op, uint32_t target, uint32_t arg,
                           sd_bus_error *error) {
        struct pending_control *p;
        struct clusterd_control_msg c = {
                .op = op,
                .target = target,
                .arg = arg,
        };
        int r;

        if (!m->client || !m->nodes[target].connected)
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_CONNECTED, "Node %" PRIu32 " is not connected", target);

        p = talloc_zero(m, struct pending_control);
        if (!p)
                return -ENOMEM;
        p->m = m;
        p->id = c.id = ++m->next_control_id;
        p->op = op;
        p->target = target;
        talloc_set_destructor(p, pending_destructor);
        p->next = m->pending;
        if (p->next)
                p->next->prev = p;
        m->pending = p;

        r = sd_event_add_time_relative(m->event, &p->timer, CLOCK_MONOTONIC, CLUSTERD_CONTROL_TIMEOUT_USEC, 0,
                                       on_pending_timeout, p);
        if (r < 0) {
                talloc_free(p);
                return r;
        }
        r = clusterd_manager_send(m, target, &clusterd_control_desc, &c);
        if (r < 0) {
                talloc_free(p);
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_CONNECTED, "Failed to send to node %" PRIu32 ": %s",
                                         target, strerror(-r));
        }
        p->call = sd_bus_message_ref(call);
        return 1;
}

int clusterd_manager_control(clusterd_manager *m, sd_bus_message *call, uint32_t op, uint32_t target, uint32_t arg,
                    sd_bus_error *error) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        const char *name = NULL;
        char *message = NULL;
        int r;

        if (!tmp)
                return -ENOMEM;
        if (!m->client || !pnn_valid(m, m->self))
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_CONNECTED,
                                         "ctdb-clusterd is not connected to ctdb-tunneld");

        if (op == CLUSTERD_OP_RECOVER) {
                if (!m->quorate)
                        return sd_bus_error_setf(error, CTDB_ERROR_NOT_QUORATE,
                                                 "Node %" PRIu32 " is not in a quorate partition; no recovery possible",
                                                 m->self);
                if (m->leader == CTDB_PNN_NONE)
                        return sd_bus_error_setf(error, CTDB_ERROR_NOT_LEADER, "No leader elected yet; try again");
                target = m->leader;
        }

        if (target != m->self)
                return control_forward(m, call, op, target, arg, error);

        r = control_apply(m, op, arg, tmp, &name, &message);
        if (r < 0)
                return sd_bus_error_setf(error, name, "%s", message ? message : "failed");
        r = sd_bus_reply_method_return(call, NULL);
        return r < 0 ? r : 1;
}

/* A control from another node (forwarded D-Bus call) for this node. */
static void handle_control(clusterd_manager *m, uint32_t src, const struct clusterd_control_msg *c) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct clusterd_control_reply_msg reply = {
                .id = c->id,
                .op = c->op,
        };
        const char *name = "";
        char *message = NULL;
        int r;

        if (!tmp)
                return;
        if (c->target != m->self && c->op != CLUSTERD_OP_RECOVER) {
                name = CTDB_ERROR_INVALID_ARGS;
                message = talloc_asprintf(tmp, "Control for node %" PRIu32 " reached node %" PRIu32, c->target,
                                          m->self);
                r = -EINVAL;
        } else {
                log_info("Node %" PRIu32 " asks this node to %s", src, clusterd_op_to_string(c->op));
                r = control_apply(m, c->op, c->arg, tmp, &name, &message);
        }
        if (r < 0) {
                reply.status = (uint32_t) -r;
                reply.error_name = (char *) name;
                reply.error_name_len = (uint32_t) strlen(name);
                if (!message)
                        message = talloc_strdup(tmp, "failed");
                if (message && strlen(message) > CLUSTERD_MAX_ERROR_MESSAGE)
                        message[CLUSTERD_MAX_ERROR_MESSAGE] = '\0';
                reply.message = message;
                reply.message_len = message ? (uint32_t) strlen(message) : 0;
        } else {
                reply.error_name = (char *) "";
                reply.message = (char *) "";
        }
        r = clusterd_manager_send(m, src, &clusterd_control_reply_desc, &reply);
        if (r < 0)
                log_warning_errno(r, "Failed to answer node %" PRIu32 ": %m", src);
}

/*
 * Passes another node's answer on to the D-Bus caller. The error name and
 * message come from the network: an invalid error name would make the bus
 * daemon drop our connection, and invalid UTF-8 makes sd-bus refuse the reply
 * (the caller would wait forever), so both fall back to a plain Failed.
 */
static void control_reply_to_caller(struct pending_control *p, uint32_t src,
                                    const struct clusterd_control_reply_msg *c) {
        const char *name = c->error_name_len ? c->error_name : NULL;
        int r;

        if (c->status == 0) {
                r = sd_bus_reply_method_return(p->call, NULL);
                if (r < 0)
                        log_debug_errno(r, "Failed to answer a %s call: %m", clusterd_op_to_string(p->op));
                return;
        }
        if (!bus_error_name_is_valid(name))
                name = SD_BUS_ERROR_FAILED;
        r = sd_bus_reply_method_errorf(p->call, name, "%s", c->message_len ? c->message : "failed");
        if (r == -EINVAL)
                r = sd_bus_reply_method_errorf(p->call, SD_BUS_ERROR_FAILED,
                                               "Node %" PRIu32 " refused to %s (its message was not valid UTF-8)", src,
                                               clusterd_op_to_string(p->op));
        if (r < 0)
                log_debug_errno(r, "Failed to answer a %s call: %m", clusterd_op_to_string(p->op));
}

static void handle_control_reply(clusterd_manager *m, uint32_t src, const struct clusterd_control_reply_msg *c) {
        for (struct pending_control *p = m->pending; p; p = p->next) {
                if (p->id != c->id || p->target != src)
                        continue;
                if (p->call)
                        control_reply_to_caller(p, src, c);
                talloc_free(p);
                return;
        }
        log_debug("Reply %" PRIu32 " from node %" PRIu32 " matches no request (timed out?)", c->id, src);
}

/* ---- frames from tunneld ------------------------------------------------------ */

static void handle_state(clusterd_manager *m, uint32_t src, const struct clusterd_state_msg *s) {
        struct clusterd_node *n;

        if (s->pnn != src || !pnn_valid(m, src) || src == m->self) {
                log_debug("Dropping state announcement of pnn %" PRIu32 " from node %" PRIu32, s->pnn, src);
                return;
        }
        n = &m->nodes[src];
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
}

static void handle_message(clusterd_manager *m, uint32_t src, const uint8_t *data, size_t len) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        int kind = clusterd_msg_kind(data, len);
        int r = -EBADMSG;

        if (!tmp)
                return;
        switch (kind) {
        case CLUSTERD_MSG_STATE: {
                struct clusterd_state_msg s;

                r = clusterd_msg_unpack(&clusterd_state_desc, tmp, data, len, &s);
                if (r >= 0) {
                        handle_state(m, src, &s);
                        clusterd_manager_update(m);
                }
                break;
        }
        case CLUSTERD_MSG_CONTROL: {
                struct clusterd_control_msg c;

                r = clusterd_msg_unpack(&clusterd_control_desc, tmp, data, len, &c);
                if (r >= 0)
                        handle_control(m, src, &c);
                break;
        }
        case CLUSTERD_MSG_CONTROL_REPLY: {
                struct clusterd_control_reply_msg c;

                r = clusterd_msg_unpack(&clusterd_control_reply_desc, tmp, data, len, &c);
                if (r >= 0)
                        handle_control_reply(m, src, &c);
                break;
        }
        default:
                /* A newer minor version may send kinds we do not know. */
                log_debug("Ignoring clusterd message of kind %d from node %" PRIu32, kind, src);
                return;
        }
        if (r < 0)
                log_warning_errno(r, "Malformed clusterd message (kind %d) from node %" PRIu32 ": %m", kind, src);
}

static void handle_link(clusterd_manager *m, uint32_t pnn, bool connected) {
        struct clusterd_node *n;

        if (pnn >= m->n_nodes || pnn == m->self)
                return;
        n = &m->nodes[pnn];
        if (n->connected == connected)
                return;
        n->connected = connected;
        if (!connected) {
                /* Forget what it said: it may come back restarted, with other flags. */
                n->known = false;
                n->leader = n->vote = CTDB_PNN_NONE;
                n->recovering = false;
                pending_fail_for(m, pnn);
        } else {
                /* Tell the newcomer about us right away instead of waiting for the timer. */
                clusterd_manager_announce(m, pnn, false);
        }
        clusterd_manager_update(m);
}

static void inbox_push(clusterd_manager *m, struct inbox_entry *e) {
        if (m->inbox_tail)
                m->inbox_tail->next = e;
        else
                m->inbox = e;
        m->inbox_tail = e;
}

static void on_client_message(ctdb_client *c, uint32_t src, uint64_t srvid, const void *data, size_t len,
                              void *userdata) {
        clusterd_manager *m = userdata;
        struct inbox_entry *e;

        if (srvid != CTDB_SRVID_CLUSTERD)
                return;
        e = talloc_zero(m, struct inbox_entry);
        if (!e || !(e->data = talloc_memdup(e, data, len ? len : 1))) {
                talloc_free(e);
                log_oom();
                return;
        }
        e->pnn = src;
        e->len = len;
        inbox_push(m, e);
}

static void on_client_link(ctdb_client *c, uint32_t pnn, bool connected, void *userdata) {
        clusterd_manager *m = userdata;
        struct inbox_entry *e = talloc_zero(m, struct inbox_entry);

        if (!e) {
                log_oom();
                return;
        }
        e->is_link = true;
        e->pnn = pnn;
        e->connected = connected;
        inbox_push(m, e);
}

static void inbox_drain(clusterd_manager *m) {
        while (m->inbox) {
                struct inbox_entry *e = m->inbox;

                m->inbox = e->next;
                if (!m->inbox)
                        m->inbox_tail = NULL;
                /* The tunnel may be lost while draining; the rest is stale then. */
                if (m->client) {
                        if (e->is_link)
                                handle_link(m, e->pnn, e->connected);
                        else
                                handle_message(m, e->pnn, e->data, e->len);
                }
                talloc_free(e);
        }
}

/* ---- the tunneld connection ------------------------------------------------------ */

static void tunnel_drop(clusterd_manager *m) {
        m->client_io = sd_event_source_disable_unref(m->client_io);
        if (m->client) {
                ctdb_client_free(m->client);
                m->client = NULL;
        }
        TALLOC_FREE(m->last_announce);
        for (uint32_t i = 0; i < m->n_nodes; i++) {
                struct clusterd_node *n = &m->nodes[i];

                n->connected = false;
                n->known = false;
                n->leader = n->vote = CTDB_PNN_NONE;
                n->recovering = false;
        }
        pending_fail_for(m, CTDB_PNN_ALL);
}

static void tunnel_lost(clusterd_manager *m, int error) {
        log_warning_errno(error, "Lost the connection to ctdb-tunneld: %m; all peers are disconnected until it is back");
        tunnel_drop(m);
        clusterd_manager_update(m);
        m->reconnect_usec = CLUSTERD_RECONNECT_MIN_USEC;
        m->tunnel_warned = true;
        tunnel_schedule_reconnect(m);
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        clusterd_manager *m = userdata;
        int r;

        r = ctdb_client_process(m->client);
        inbox_drain(m);
        if (r < 0)
                tunnel_lost(m, r);
        else if (revents & (EPOLLHUP | EPOLLERR) && r == 0)
                tunnel_lost(m, -ECONNRESET);
        return 0;
}

static int tunnel_connect(clusterd_manager *m) {
        ctdb_client *c = NULL;
        uint32_t pnn;
        int r;

        r = ctdb_client_connect(m->socket_path, &c);
        if (r < 0)
                return r;

        pnn = ctdb_client_pnn(c);
        if (!pnn_valid(m, pnn)) {
                log_error("ctdb-tunneld says this node is pnn %" PRIu32 ", which is not an active slot of %s (%" PRIu32
                          " slots)",
                          pnn, m->nodes_path, m->n_nodes);
                ctdb_client_free(c);
                return -EINVAL;
        }
        if (ctdb_client_n_nodes(c) != m->n_nodes)
                log_warning("ctdb-tunneld has %" PRIu32 " node slots, %s has %" PRIu32 "; restart both after "
                            "changing the nodes file",
                            ctdb_client_n_nodes(c), m->nodes_path, m->n_nodes);

        ctdb_client_set_message_handler(c, on_client_message, m);
        ctdb_client_set_link_handler(c, on_client_link, m);
        r = ctdb_client_register(c, CTDB_SRVID_CLUSTERD);
        if (r < 0) {
                ctdb_client_free(c);
                return r;
        }
        r = sd_event_add_io(m->event, &m->client_io, ctdb_client_fd(c), EPOLLIN, on_client_io, m);
        if (r < 0) {
                ctdb_client_free(c);
                return r;
        }

        if (m->self != CTDB_PNN_NONE && m->self != pnn)
                log_warning("This node was pnn %" PRIu32 " and is now pnn %" PRIu32, m->self, pnn);
        m->client = c;
        m->self = pnn;
        m->reconnect_usec = CLUSTERD_RECONNECT_MIN_USEC;
        m->tunnel_warned = false;
        log_info("Connected to ctdb-tunneld, this node is pnn %" PRIu32, pnn);

        clusterd_manager_update(m);
        clusterd_manager_announce(m, CTDB_CLIENT_PNN_ALL, false);
        /* Link states of the peers arrive as LINK frames right after connect. */
        on_client_io(m->client_io, ctdb_client_fd(c), 0, m);

        if (!m->ready) {
                m->ready = true;
                daemon_notify_ready("Connected to ctdb-tunneld");
        }
        return 0;
}

static int on_reconnect_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        clusterd_manager *m = userdata;
        int r;

        r = tunnel_connect(m);
        if (r >= 0)
                return 0;
        /* tunneld usually starts alongside; complain only once it is late (about 1.5 s). */
        if (!m->tunnel_warned && m->reconnect_usec >= 8 * CLUSTERD_RECONNECT_MIN_USEC) {
                log_warning_errno(r, "ctdb-tunneld is not reachable at %s: %m; retrying",
                                  m->socket_path ? m->socket_path : ctdb_client_default_socket());
                m->tunnel_warned = true;
        } else {
                log_debug_errno(r, "ctdb-tunneld still not reachable: %m");
        }
        m->reconnect_usec *= 2;
        if (m->reconnect_usec > CLUSTERD_RECONNECT_MAX_USEC)
                m->reconnect_usec = CLUSTERD_RECONNECT_MAX_USEC;
        tunnel_schedule_reconnect(m);
        return 0;
}

static void tunnel_schedule_reconnect(clusterd_manager *m) {
        (void) sd_event_source_set_time_relative(m->reconnect_timer, m->reconnect_usec);
        (void) sd_event_source_set_enabled(m->reconnect_timer, SD_EVENT_ONESHOT);
}

/* ---- reload of the nodes file ------------------------------------------------------ */

int clusterd_manager_reload_nodes(clusterd_manager *m, sd_bus_error *error) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct ctdb_nodes *nodes = NULL, cur;
        struct clusterd_node *grown;
        char *err = NULL, why[256];
        bool *in_use;
        uint32_t changes = 0;
        int r;

        if (!tmp)
                return -ENOMEM;
        r = ctdb_nodes_load(tmp, m->nodes_path, &nodes, &err);
        if (r < 0)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS, "Failed to read %s: %s", m->nodes_path,
                                         err ? err : strerror(-r));

        /* Check everything first so a refused reload changes nothing. */
        cur.n_nodes = m->n_nodes;
        cur.nodes = talloc_zero_array(tmp, struct ctdb_node_entry, m->n_nodes);
        in_use = talloc_zero_array(tmp, bool, m->n_nodes);
        if (!cur.nodes || !in_use)
                return -ENOMEM;
        for (uint32_t i = 0; i < m->n_nodes; i++) {
                cur.nodes[i] = (struct ctdb_node_entry){ .pnn = i,
                                                         .deleted = m->nodes[i].deleted,
                                                         .address = m->nodes[i].address };
                in_use[i] = i == m->self || m->nodes[i].connected;
        }
        r = ctdb_nodes_check_reload(&cur, nodes, in_use, why, sizeof(why));
        if (r < 0)
                return sd_bus_error_setf(error, r == -EBUSY ? CTDB_ERROR_BUSY : CTDB_ERROR_NOT_SUPPORTED,
                                         "Cannot reload %s: %s", m->nodes_path, why);

        grown = talloc_realloc(m, m->nodes, struct clusterd_node, nodes->n_nodes);
        if (!grown)
                return -ENOMEM;
        m->nodes = grown;
        for (uint32_t i = 0; i < nodes->n_nodes; i++) {
                const struct ctdb_node_entry *e = &nodes->nodes[i];
                struct clusterd_node *n = &m->nodes[i];

                if (i >= m->n_nodes) {
                        *n = (struct clusterd_node) {
                                .manager = m,
                                .pnn = i,
                                .deleted = e->deleted,
                                .address = e->deleted ? NULL : talloc_strdup(m->nodes, e->address),
                                .leader = CTDB_PNN_NONE,
                                .vote = CTDB_PNN_NONE,
                                .pub_flags = CLUSTERD_PUB_NEW,
                        };
                        log_notice("Node %" PRIu32 " added%s%s", i, e->deleted ? " (deleted slot)" : ": ",
                                   e->deleted ? "" : e->address);
                        changes++;
                } else if (!n->deleted && e->deleted) {
                        log_notice("Node %" PRIu32 " (%s) deleted", i, n->address);
                        TALLOC_FREE(n->address);
                        n->deleted = true;
                        n->known = false;
                        changes++;
                }
        }
        m->n_nodes = nodes->n_nodes;
        TALLOC_FREE(m->active_snapshot);

        if (changes == 0)
                log_info("Reloaded %s: no changes", m->nodes_path);
        else
                log_notice("Reloaded %s: %" PRIu32 " change(s)", m->nodes_path, changes);
        clusterd_manager_update(m);
        return 0;
}

/* ---- life cycle ------------------------------------------------------------------ */

static int clusterd_manager_destructor(clusterd_manager *m) {
        while (m->pending)
                talloc_free(m->pending);
        tunnel_drop(m);
        m->ban_timer = sd_event_source_disable_unref(m->ban_timer);
        m->recovery_timer = sd_event_source_disable_unref(m->recovery_timer);
        m->reconnect_timer = sd_event_source_disable_unref(m->reconnect_timer);
        m->announce_timer = sd_event_source_disable_unref(m->announce_timer);
        m->lock_timer = sd_event_source_disable_unref(m->lock_timer);
        m->polkit = polkit_registry_free(m->polkit);
        cluster_lock_free(m->lock);
        m->lock = NULL;
        sd_bus_unref(m->bus);
        sd_event_unref(m->event);
        return 0;
}

int clusterd_manager_new(void *mem_ctx, sd_event *event, sd_bus *bus, struct ctdb_config *config, struct ctdb_nodes *nodes,
                const char *nodes_path, const char *socket_path, clusterd_manager **ret) {
        clusterd_manager *m;
        int r;

        if (!event || !config || !nodes || !nodes_path || !ret)
                return -EINVAL;

        m = talloc_zero(mem_ctx, clusterd_manager);
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->bus = sd_bus_ref(bus);
        talloc_set_destructor(m, clusterd_manager_destructor);

        m->config = talloc_steal(m, config);
        m->nodes_path = talloc_strdup(m, nodes_path);
        m->socket_path = socket_path ? talloc_strdup(m, socket_path) : NULL;
        m->self = CTDB_PNN_NONE;
        m->leader = CTDB_PNN_NONE;
        m->vote = CTDB_PNN_NONE;
        m->reconnect_usec = CLUSTERD_RECONNECT_MIN_USEC;
        m->capabilities = config->leader_capability ? CTDB_NODE_CAP_LEADER : 0;
        if (config->start_as_disabled)
                m->flags |= CTDB_NODE_FLAG_PERMANENTLY_DISABLED;
        if (config->start_as_stopped)
                m->flags |= CTDB_NODE_FLAG_STOPPED;

        switch (config->lock_backend) {
        case CTDB_LOCK_QUORUM:
                m->backend = ELECTION_QUORUM;
                break;
        case CTDB_LOCK_FCNTL:
                m->backend = ELECTION_FCNTL;
                m->lock = cluster_lock_new(m, m->event, config->lock_argument, on_lock_answer, m);
                if (!m->lock) {
                        talloc_free(m);
                        return -ENOMEM;
                }
                break;
        case CTDB_LOCK_ETCD:
        default:
                talloc_free(m);
                return -EOPNOTSUPP;
        }

        m->n_nodes = nodes->n_nodes;
        m->nodes = talloc_zero_array(m, struct clusterd_node, m->n_nodes ? m->n_nodes : 1);
        if (!m->nodes_path || (socket_path && !m->socket_path) || !m->nodes) {
                talloc_free(m);
                return -ENOMEM;
        }
        for (uint32_t i = 0; i < m->n_nodes; i++) {
                struct clusterd_node *n = &m->nodes[i];

                n->manager = m;
                n->pnn = i;
                n->deleted = nodes->nodes[i].deleted;
                n->address = n->deleted ? NULL : talloc_strdup(m->nodes, nodes->nodes[i].address);
                n->leader = n->vote = CTDB_PNN_NONE;
                if (!n->deleted && !n->address) {
                        talloc_free(m);
                        return -ENOMEM;
                }
        }
        talloc_free(nodes);

        r = sd_event_add_time_relative(event, &m->ban_timer, CLOCK_MONOTONIC, USEC_PER_SEC, 0, on_ban_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->ban_timer, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &m->recovery_timer, CLOCK_MONOTONIC,
                                               CLUSTERD_RECOVERY_TIMEOUT_USEC, 0, on_recovery_timeout, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->recovery_timer, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &m->reconnect_timer, CLOCK_MONOTONIC, 0, 0, on_reconnect_timer,
                                               m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->reconnect_timer, SD_EVENT_OFF);
        if (r < 0) {
                talloc_free(m);
                return r;
        }

        /* Record the initial state as published, so that only changes are emitted. */
        clusterd_manager_publish(m);
        *ret = m;
        return 0;
}

void clusterd_manager_free(clusterd_manager *m) {
        talloc_free(m);
}

int clusterd_manager_start(clusterd_manager *m) {
        int r;

        r = sd_event_add_time_relative(m->event, &m->announce_timer, CLOCK_MONOTONIC, CLUSTERD_ANNOUNCE_USEC, 0,
                                       on_announce_timer, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->announce_timer, SD_EVENT_ONESHOT);

        if (m->lock) {
                r = sd_event_add_time_relative(m->event, &m->lock_timer, CLOCK_MONOTONIC, CLUSTERD_LOCK_RETRY_USEC, 0,
                                               on_lock_timer, m);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_enabled(m->lock_timer, SD_EVENT_ONESHOT);
        }

        /* The first attempt right away, from the loop. */
        (void) sd_event_source_set_time_relative(m->reconnect_timer, 0);
        return sd_event_source_set_enabled(m->reconnect_timer, SD_EVENT_ONESHOT);
}
