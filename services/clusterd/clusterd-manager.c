/*
 * ctdb-clusterd's state machine: link events and announcements come in from
 * tunneld, the election (clusterd-election.c) and the recovery rules
 * (clusterd-recovery.c) decide, and every change is published on the bus
 * (clusterd-bus.c) and announced to the peers (clusterd-announce.c). See
 * docs/architecture.md, "Membership and leader", for the rules.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "clusterd-bus.h"
#include "clusterd-control.h"
#include "clusterd-db.h"
#include "clusterd-etcd-backend.h"
#include "clusterd-health.h"
#include "clusterd-manager.h"
#include "common/config.h"
#include "ctdb-srvid.h"
#include "daemon.h"
#include "event-target.h"
#include "dp-client.h"
#include "log.h"
#include "talloc-util.h"

/* Largest clusterd message other than STATE: a CONTROL_REPLY with its strings. */
#define CLUSTERD_SEND_MAX (4u + 64u + CLUSTERD_MAX_ERROR_NAME + CLUSTERD_MAX_ERROR_MESSAGE)

uint64_t clusterd_manager_now(const clusterd_manager *m) {
        uint64_t t = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

bool clusterd_manager_pnn_valid(const clusterd_manager *m, uint32_t pnn) {
        return pnn < m->n_nodes && !m->nodes[pnn].deleted;
}

bool clusterd_manager_connected(const clusterd_manager *m) {
        return dp_client_is_connected(m->tunnel);
}

/* ---- views ------------------------------------------------------------- */

/* A peer is there: its link is up, and with etcd its lease lives too. */
static bool node_linked(const clusterd_manager *m, uint32_t pnn) {
        return m->nodes[pnn].connected && (m->backend != ELECTION_ETCD || clusterd_etcd_member(m, pnn));
}

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
        if (!node_linked(m, pnn) || !clusterd_manager_connected(m))
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
        if (n->deleted || !n->connected || !n->known || !clusterd_manager_connected(m))
                return 0;
        return n->ban_left;
}

static bool node_active(const clusterd_manager *m, uint32_t pnn) {
        const struct clusterd_node *n = &m->nodes[pnn];
        const uint32_t inactive = CTDB_NODE_FLAG_BANNED | CTDB_NODE_FLAG_STOPPED;

        if (n->deleted)
                return false;
        if (pnn == m->self)
                return !(m->flags & inactive);
        return clusterd_manager_connected(m) && node_linked(m, pnn) && n->known && !(n->flags & inactive);
}

/* ---- recovery ------------------------------------------------------------ */

void clusterd_manager_recovery_input(clusterd_manager *m, struct recovery_input *in) {
        for (uint32_t i = 0; i < m->n_nodes; i++) {
                const struct clusterd_node *n = &m->nodes[i];
                bool self = i == m->self;

                m->recovery_in[i] = (struct recovery_node){
                        .active = node_active(m, i),
                        .connected = self || node_linked(m, i),
                        .known = self || n->known,
                        .generation = self ? m->generation : n->generation,
                        .recovering = self ? m->recovering : n->recovering,
                        .lmaster = (self ? m->capabilities : n->capabilities) & CTDB_NODE_CAP_LMASTER,
                };
        }
        *in = (struct recovery_input) {
                .self = m->self,
                .n_nodes = m->n_nodes,
                .nodes = m->recovery_in,
                .generation = m->generation,
                .recovery_generation = m->recovery_generation,
                .recovering = m->recovering,
                .snapshot = m->active_snapshot,
                .vnnmap = m->vnnmap,
                .n_vnnmap = m->n_vnnmap,
                .db_recovered = m->db_recovered,
                .ack_expired = m->ack_expired,
        };
}

static void recovery_event(clusterd_manager *m, bool started, uint32_t generation) {
        char f1[32];
        const char *extra[] = { f1, NULL };

        snprintf(f1, sizeof(f1), "CTDB_GENERATION=%" PRIu32, generation);
        log_event(LOG_NOTICE, started ? CTDB_MESSAGE_RECOVERY : CTDB_MESSAGE_RECOVERY_END, extra,
                  "Recovery %s, generation %" PRIu32, started ? "started" : "finished", generation);
        clusterd_bus_emit_recovery(m, started, generation);
}

static void recovery_timers_off(clusterd_manager *m) {
        (void) sd_event_source_set_enabled(m->recovery_timer, SD_EVENT_OFF);
        clusterd_db_recovery_stopped(m);
}

static void recovery_finish(clusterd_manager *m) {
        recovery_timers_off(m);
        if (!m->recovering)
                return;
        m->recovering = false;
        recovery_event(m, false, m->recovery_generation);
}

/*
 * The acknowledgement deadline. A member can fail to mirror the recovery for a
 * while without anything being wrong with it: in an asymmetric partition it
 * follows another claimant until the votes settle. Once the databases are
 * recovered (or there are none), that must not keep Recovering true on every
 * node, so the recovery finishes without that member; the next change of
 * membership recovers again. The databases' own deadline is clusterd-db.c's.
 */
static int on_recovery_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        clusterd_manager *m = userdata;
        struct recovery_input in;

        if (!m->recovering || m->leader != m->self)
                return 0;
        m->ack_expired = true;
        clusterd_manager_recovery_input(m, &in);
        if (!recovery_acknowledged(&in))
                log_warning("Recovery of generation %" PRIu32
                            " not acknowledged by all members within %llu s; "
                            "finishing without them%s",
                            m->recovery_generation, CLUSTERD_RECOVERY_ACK_TIMEOUT_USEC / USEC_PER_SEC,
                            recovery_may_finish(&in) ? "" : " once the databases are recovered");
        clusterd_manager_update(m);
        return 0;
}

void clusterd_manager_recovery_start(clusterd_manager *m, const char *why) {
        struct recovery_input in;
        uint32_t gen;

        clusterd_manager_recovery_input(m, &in);
        gen = recovery_next_generation(&in);
        /* The snapshot was sized with the node table; ReloadNodes drops it. */
        if (!m->active_snapshot)
                m->active_snapshot = talloc_zero_array(m, bool, m->n_nodes);
        if (m->active_snapshot)
                for (uint32_t i = 0; i < m->n_nodes; i++)
                        m->active_snapshot[i] = m->recovery_in[i].active;
        else
                log_oom(); /* no snapshot: the next update starts this recovery again */
        /* The old VnnMap stays: the next update sees it differ and starts this recovery again. */
        if (clusterd_db_vnnmap_from_view(m) < 0)
                log_oom();

        log_info("Starting recovery: %s", why);
        if (m->recovering)
                recovery_event(m, false, m->recovery_generation);
        /* VnnMap is set before RecoveryStarted and published with Generation and Recovering. */
        m->generation = gen;
        m->recovery_generation = gen;
        m->recovering = true;
        m->ack_expired = false;
        recovery_event(m, true, gen);

        (void) sd_event_source_set_time_relative(m->recovery_timer, CLUSTERD_RECOVERY_ACK_TIMEOUT_USEC);
        (void) sd_event_source_set_enabled(m->recovery_timer, SD_EVENT_ONESHOT);
        clusterd_db_recovery_started(m);
        clusterd_manager_recovery_input(m, &in);
        if (recovery_may_finish(&in))
                recovery_finish(m);
}

/* Follower: adopt the leader's generation and mirror its recovery. */
static void follow_leader(clusterd_manager *m) {
        struct recovery_follow f;
        struct recovery_input in;

        if (m->leader == CTDB_PNN_NONE || m->leader == m->self)
                return;
        clusterd_manager_recovery_input(m, &in);
        recovery_follow_leader(&in, m->leader, &f);
        if (!f.adopt)
                return;
        /* Together with the generation, before RecoveryStarted (as on the leader). */
        if (clusterd_db_set_vnnmap(m, m->nodes[m->leader].vnnmap, m->nodes[m->leader].n_vnnmap) < 0)
                log_oom(); /* the leader announces it again with its next refresh (2 s) */
        if (f.finish_previous)
                recovery_event(m, false, m->recovery_generation);
        m->generation = f.generation;
        m->recovering = f.recovering;
        if (f.start) {
                m->recovery_generation = f.generation;
                recovery_event(m, true, f.generation);
        }
}

/* Leader: starts a recovery when the rules say so, else finishes one that is acknowledged. */
static void lead(clusterd_manager *m, bool became_leader) {
        struct recovery_input in;
        const char *why;

        clusterd_manager_recovery_input(m, &in);
        why = recovery_start_reason(&in, became_leader);
        if (why)
                clusterd_manager_recovery_start(m, why);
        else if (recovery_may_finish(&in))
                recovery_finish(m);
}

/* ---- election ------------------------------------------------------------ */

static int run_election(clusterd_manager *m, struct election_result *r) {
        struct election_input in = {
                .backend = m->backend,
                .self = m->self,
                .n_nodes = m->n_nodes,
                .nodes = m->election_in,
                .lock_held =
                        m->backend == ELECTION_ETCD ? clusterd_etcd_holds(m) : cluster_lock_held(m->lock),
                .lock_alive = clusterd_etcd_alive(m),
                .lock_holder = clusterd_etcd_holder(m),
        };

        /* Without tunneld this node is in no partition at all. */
        if (!clusterd_manager_connected(m) || !clusterd_manager_pnn_valid(m, m->self)) {
                *r = (struct election_result) {
                        .vote = CTDB_PNN_NONE,
                        .leader = CTDB_PNN_NONE,
                        .lock_action = in.lock_held ? ELECTION_LOCK_RELEASE : ELECTION_LOCK_NONE,
                };
                return 0;
        }
        for (uint32_t i = 0; i < m->n_nodes; i++) {
                const struct clusterd_node *n = &m->nodes[i];
                bool self = i == m->self;

                m->election_in[i] = (struct election_node){
                        .deleted = n->deleted,
                        .connected = self || n->connected,
                        .known = self || n->known,
                        .flags = self ? m->flags : n->flags,
                        .capabilities = self ? m->capabilities : n->capabilities,
                        .leader = self ? m->leader : n->leader,
                        .vote = self ? m->vote : n->vote,
                        .member = clusterd_etcd_member(m, i),
                };
        }
        return election_decide(&in, r);
}

/* Why this node gives the lock up, for the journal. */
static void log_release(clusterd_manager *m, const struct election_result *r, const char *lock) {
        if (!clusterd_manager_connected(m))
                log_notice("Released the cluster lock %s (no connection to ctdb-tunneld)", lock);
        else if (m->backend == ELECTION_ETCD && !clusterd_etcd_alive(m))
                log_notice("Released the cluster lock %s (etcd not reached within the lease's TTL)", lock);
        else
                log_notice("Released the cluster lock %s (partition %" PRIu32 " of %" PRIu32 " nodes%s)",
                           lock, r->partition, r->n_active,
                           m->flags & (CTDB_NODE_FLAG_BANNED | CTDB_NODE_FLAG_STOPPED) ? ", node inactive"
                                                                                       : "");
}

/* etcd: the session campaigns while TRY says so, and keeps or resigns the key. */
static bool apply_etcd_action(clusterd_manager *m, const struct election_result *r) {
        bool held = clusterd_etcd_holds(m);

        switch (r->lock_action) {
        case ELECTION_LOCK_RELEASE:
                clusterd_etcd_want_leader(m, false);
                if (held)
                        log_release(m, r, clusterd_etcd_name(m));
                return held;
        case ELECTION_LOCK_TRY:
                clusterd_etcd_want_leader(m, true);
                return false;
        case ELECTION_LOCK_NONE:
                clusterd_etcd_want_leader(m, held);
                break;
        }
        return false;
}

/* Acts on the lock decision; returns true if the lock state changed. */
static bool apply_lock_action(clusterd_manager *m, const struct election_result *r) {
        uint64_t now;
        int k;

        if (m->backend == ELECTION_ETCD)
                return apply_etcd_action(m, r);
        if (!m->lock)
                return false;

        switch (r->lock_action) {
        case ELECTION_LOCK_RELEASE:
                if (!cluster_lock_held(m->lock)) {
                        cluster_lock_release(m->lock); /* an attempt under way is abandoned */
                        return false;
                }
                cluster_lock_release(m->lock);
                log_release(m, r, cluster_lock_path(m->lock));
                return true;
        case ELECTION_LOCK_TRY:
                now = clusterd_manager_now(m);
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
                                  result == -ESTALE ? "the file was removed or replaced"
                                                    : "its helper died");
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

static int on_lock_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        clusterd_manager *m = userdata;

        /* Retries the lock while the election says TRY (and re-checks a held one). */
        clusterd_manager_update(m);
        (void) sd_event_source_set_time_relative(s, CLUSTERD_LOCK_RETRY_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

void clusterd_manager_update(clusterd_manager *m) {
        struct election_result r;
        uint32_t old_leader = m->leader;
        int k;

        /*
         * A failed election changes nothing: in particular a held lock is kept
         * (releasing it on bad input would hand the cluster to someone else).
         */
        k = run_election(m, &r);
        if (k >= 0 && apply_lock_action(m, &r))
                k = run_election(m, &r);
        if (k < 0) {
                log_error_errno(k,
                                "Election input invalid (pnn %" PRIu32 " of %" PRIu32
                                "), keeping the current "
                                "state: %m",
                                m->self, m->n_nodes);
                return;
        }

        m->quorate = r.quorate;
        m->vote = r.vote;
        m->leader = r.leader;

        if (r.is_leader) {
                lead(m, old_leader != m->self);
        } else {
                if (old_leader == m->self && m->self != CTDB_PNN_NONE) {
                        log_notice("This node is no longer leader");
                        recovery_timers_off(m);
                        TALLOC_FREE(m->active_snapshot);
                }
                follow_leader(m);
        }

        clusterd_bus_publish(m);
        clusterd_announce(m, CTDB_PNN_ALL, true);
}

/* ---- messages to and from peers ------------------------------------------------ */

int clusterd_manager_send(clusterd_manager *m, uint32_t dst, const struct wire_desc *desc, const void *msg) {
        uint8_t buf[CLUSTERD_SEND_MAX];
        int len;

        len = wire_inner_pack_into(desc, msg, buf, sizeof(buf));
        if (len < 0)
                return len;
        /* -EAGAIN: tunneld's socket is full; a failed announcement is sent again after 250 ms, controls time
         * out. */
        return dp_client_send(m->tunnel, dst, CTDB_SRVID_CLUSTERD, buf, (size_t) len);
}

static int on_state(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                    size_t len) {
        clusterd_manager *m = userdata;

        clusterd_announce_received(m, h->src, msg);
        clusterd_manager_update(m);
        return 0;
}

static int on_control(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                      size_t len) {
        clusterd_control_received(userdata, h->src, msg);
        return 0;
}

static int on_control_reply(void *userdata, const struct wire_header *h, const void *msg,
                            const uint8_t *payload, size_t len) {
        clusterd_control_reply_received(userdata, h->src, msg);
        return 0;
}

static const struct wire_handler clusterd_handlers[] = {
        { CLUSTERD_MSG_STATE, &clusterd_state_desc, on_state },
        { CLUSTERD_MSG_CONTROL, &clusterd_control_desc, on_control },
        { CLUSTERD_MSG_CONTROL_REPLY, &clusterd_control_reply_desc, on_control_reply },
};

void clusterd_manager_dispatch(clusterd_manager *m, const char *what, const struct wire_handler *table,
                               size_t n_table, void *mem_ctx, uint32_t src, uint64_t srvid,
                               const uint8_t *data, size_t len) {
        int r;

        r = wire_inner_dispatch(table, n_table, mem_ctx, src, srvid, data, len, m);
        if (r == -ENOMSG)
                /* A newer minor version may send kinds we do not know. */
                log_debug("Ignoring %s message of kind %d from node %" PRIu32, what,
                          wire_inner_kind(data, len), src);
        else if (r < 0)
                log_warning_errno(r, "Malformed %s message (kind %d) from node %" PRIu32 ": %m", what,
                                  wire_inner_kind(data, len), src);
}

void clusterd_manager_receive(clusterd_manager *m, uint32_t src, const uint8_t *data, size_t len) {
        _cleanup_talloc_ void *tmp = NULL;

        /* Strings and the peer list of a message live in tmp; without it, say so loudly. */
        tmp = talloc_new(NULL);
        if (!tmp) {
                log_error("Out of memory: dropped a clusterd message from node %" PRIu32, src);
                return;
        }
        clusterd_manager_dispatch(m, "clusterd", clusterd_handlers, ELEMENTSOF(clusterd_handlers), tmp, src,
                                  CTDB_SRVID_CLUSTERD, data, len);
}

static void on_tunnel_message(void *userdata, uint32_t src, uint64_t srvid, const uint8_t *data,
                              size_t len) {
        if (srvid == CTDB_SRVID_CLUSTERD)
                clusterd_manager_receive(userdata, src, data, len);
        else if (srvid == CTDB_SRVID_DB_RECOVERY)
                clusterd_db_receive(userdata, src, data, len);
}

static void on_tunnel_link(void *userdata, uint32_t pnn, bool connected) {
        clusterd_manager *m = userdata;
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
                clusterd_control_fail_for(m, pnn);
        } else {
                /* Tell the newcomer about us right away instead of waiting for the timer. */
                clusterd_announce(m, pnn, false);
        }
        clusterd_manager_update(m);
}

static int on_tunnel_connected(void *userdata, uint32_t pnn, uint32_t n_nodes) {
        clusterd_manager *m = userdata;

        if (!clusterd_manager_pnn_valid(m, pnn))
                return log_error_errno(EINVAL,
                                       "ctdb-tunneld says this node is pnn %" PRIu32
                                       ", which is not an active "
                                       "slot of %s (%" PRIu32 " slots)",
                                       pnn, m->nodes_path, m->n_nodes);
        if (n_nodes != m->n_nodes)
                log_warning("ctdb-tunneld has %" PRIu32 " node slots, %s has %" PRIu32
                            "; restart both after "
                            "changing the nodes file",
                            n_nodes, m->nodes_path, m->n_nodes);
        if (m->self != CTDB_PNN_NONE && m->self != pnn)
                log_warning("This node was pnn %" PRIu32 " and is now pnn %" PRIu32, m->self, pnn);
        m->self = pnn;
        if (m->backend == ELECTION_ETCD && clusterd_etcd_start(m) < 0)
                return log_oom();

        clusterd_manager_update(m);
        clusterd_announce(m, CTDB_PNN_ALL, false);
        if (!m->ready) {
                char pnn_env[32];
                const char *env[] = { pnn_env, NULL };

                m->ready = true;
                daemon_notify_ready("Connected to ctdb-tunneld");
                snprintf(pnn_env, sizeof(pnn_env), "CTDB_PNN=%" PRIu32, pnn);
                if (m->bus)
                        (void) ctdb_event_start(m->bus, m->config->run_dir, CTDB_EVENT_STARTUP, env);
        }
        return 0;
}

static void on_tunnel_disconnected(void *userdata, int error) {
        clusterd_manager *m = userdata;

        clusterd_announce_reset(m);
        for (uint32_t i = 0; i < m->n_nodes; i++) {
                struct clusterd_node *n = &m->nodes[i];

                n->connected = false;
                n->known = false;
                n->leader = n->vote = CTDB_PNN_NONE;
                n->recovering = false;
        }
        clusterd_control_fail_for(m, CTDB_PNN_ALL);
        clusterd_manager_update(m);
}

static const struct dp_client_ops tunnel_ops = {
        .connected = on_tunnel_connected,
        .disconnected = on_tunnel_disconnected,
        .message = on_tunnel_message,
        .link = on_tunnel_link,
};

/* ---- the node table ------------------------------------------------------------------ */

/* The node table and the rules' inputs, at n slots (never fewer than now). */
static int nodes_resize(clusterd_manager *m, uint32_t n) {
        struct clusterd_node *nodes;
        struct election_node *el;
        struct recovery_node *rec;

        nodes = talloc_realloc(m, m->nodes, struct clusterd_node, n ? n : 1);
        if (!nodes)
                return -ENOMEM;
        m->nodes = nodes;
        el = talloc_realloc(m, m->election_in, struct election_node, n ? n : 1);
        if (!el)
                return -ENOMEM;
        m->election_in = el;
        rec = talloc_realloc(m, m->recovery_in, struct recovery_node, n ? n : 1);
        if (!rec)
                return -ENOMEM;
        m->recovery_in = rec;
        return 0;
}

/* ---- reload of the nodes file ------------------------------------------------------ */

int clusterd_manager_reload_nodes(clusterd_manager *m, sd_bus_error *error) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct ctdb_nodes *nodes = NULL, cur;
        char *err = NULL, why[256];
        bool *in_use;
        uint32_t changes = 0;
        int r;

        if (!tmp)
                return -ENOMEM;
        r = ctdb_nodes_load(tmp, m->nodes_path, &nodes, &err);
        if (r < 0)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS, "Failed to read %s: %s",
                                         m->nodes_path, err ? err : strerror(-r));

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

        r = nodes_resize(m, nodes->n_nodes);
        if (r < 0)
                return r;
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

static int manager_destructor(clusterd_manager *m) {
        /* Forwarded controls go without an answer: the bus connection goes with the daemon. */
        TALLOC_FREE(m->controls);
        TALLOC_FREE(m->tunnel);
        m->ban_timer = sd_event_source_disable_unref(m->ban_timer);
        m->recovery_timer = sd_event_source_disable_unref(m->recovery_timer);
        m->db_timer = sd_event_source_disable_unref(m->db_timer);
        TALLOC_FREE(m->dbd_watch);
        clusterd_health_stop(m);
        m->announce_timer = sd_event_source_disable_unref(m->announce_timer);
        m->lock_timer = sd_event_source_disable_unref(m->lock_timer);
        clusterd_etcd_stop(m);
        m->polkit = polkit_registry_free(m->polkit);
        cluster_lock_free(m->lock);
        m->lock = NULL;
        sd_bus_unref(m->bus);
        sd_event_unref(m->event);
        return 0;
}

static int manager_init(clusterd_manager *m, struct ctdb_nodes *nodes) {
        _cleanup_talloc_ char *socket_path = NULL;
        int r;

        m->n_nodes = nodes->n_nodes;
        r = nodes_resize(m, m->n_nodes);
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < m->n_nodes; i++) {
                struct clusterd_node *n = &m->nodes[i];

                *n = (struct clusterd_node) {
                        .manager = m,
                        .pnn = i,
                        .deleted = nodes->nodes[i].deleted,
                        .leader = CTDB_PNN_NONE,
                        .vote = CTDB_PNN_NONE,
                };
                if (!n->deleted && !(n->address = talloc_strdup(m->nodes, nodes->nodes[i].address)))
                        return -ENOMEM;
        }

        if (m->config->lock_backend == CTDB_LOCK_FCNTL) {
                m->backend = ELECTION_FCNTL;
                m->lock = cluster_lock_new(m, m->event, m->config->lock_argument, on_lock_answer, m);
                if (!m->lock)
                        return -ENOMEM;
        } else if (m->config->lock_backend == CTDB_LOCK_ETCD) {
                m->backend = ELECTION_ETCD;
                r = clusterd_etcd_init(m);
                if (r < 0)
                        return r;
        }

        socket_path = dp_client_socket_path(NULL, m->config->run_dir);
        r = dp_client_new(m, m->event, socket_path, &tunnel_ops, m, &m->tunnel);
        if (r >= 0)
                r = dp_client_register(m->tunnel, CTDB_SRVID_CLUSTERD);
        if (r >= 0)
                r = clusterd_control_init(m);
        if (r >= 0)
                r = clusterd_db_init(m);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &m->recovery_timer, CLOCK_MONOTONIC,
                                               CLUSTERD_RECOVERY_ACK_TIMEOUT_USEC, 0, on_recovery_timeout,
                                               m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->recovery_timer, SD_EVENT_OFF);
        return r;
}

int clusterd_manager_new(void *mem_ctx, sd_event *event, sd_bus *bus, struct ctdb_config *config,
                         struct ctdb_nodes *nodes, const char *nodes_path, clusterd_manager **ret) {
        clusterd_manager *m;
        int r;

        if (!event || !config || !nodes || !nodes_path || !ret)
                return -EINVAL;

        m = talloc_zero(mem_ctx, clusterd_manager);
        if (!m)
                return log_oom();
        m->event = sd_event_ref(event);
        m->bus = sd_bus_ref(bus);
        talloc_set_destructor(m, manager_destructor);

        m->config = talloc_steal(m, config);
        m->self = CTDB_PNN_NONE;
        m->leader = CTDB_PNN_NONE;
        m->vote = CTDB_PNN_NONE;
        m->backend = ELECTION_QUORUM;
        m->capabilities = config->leader_capability ? CTDB_NODE_CAP_LEADER : 0;
        if (config->start_as_disabled)
                m->flags |= CTDB_NODE_FLAG_PERMANENTLY_DISABLED;
        if (config->start_as_stopped)
                m->flags |= CTDB_NODE_FLAG_STOPPED;

        m->nodes_path = talloc_strdup(m, nodes_path);
        r = m->nodes_path ? manager_init(m, nodes) : -ENOMEM;
        talloc_free(nodes);
        if (r < 0) {
                talloc_free(m);
                return log_error_errno(r, "Failed to set up the manager: %m");
        }

        /* Record the initial state as published, so that only changes are emitted. */
        clusterd_bus_publish(m);
        *ret = m;
        return 0;
}

void clusterd_manager_free(clusterd_manager *m) {
        talloc_free(m);
}

int clusterd_manager_start(clusterd_manager *m) {
        int r;

        r = clusterd_announce_start(m);
        if (r < 0)
                return log_error_errno(r, "Failed to start: %m");
        if (m->lock) {
                r = sd_event_add_time_relative(m->event, &m->lock_timer, CLOCK_MONOTONIC,
                                               CLUSTERD_LOCK_RETRY_USEC, 0, on_lock_timer, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to start: %m");
                (void) sd_event_source_set_enabled(m->lock_timer, SD_EVENT_ONESHOT);
        }
        r = clusterd_db_start(m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch %s on the bus: %m", DBD_BUS_NAME);
        r = clusterd_health_start(m);
        if (r < 0)
                return r;
        /* The first attempt right away, from the loop. */
        r = dp_client_start(m->tunnel);
        if (r < 0)
                return log_error_errno(r, "Failed to start: %m");
        return 0;
}
