/*
 * ctdb-ipd's manager: the config, clusterd's view, the tunnel to the other
 * ipds and every node's STATE, from which comes the list of the cluster's
 * public addresses and who holds each. See ipd-internal.h for the modules.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "config.h"
#include "ctdb-node.h"
#include "ctdb-srvid.h"
#include "daemon.h"
#include "dp-client.h"
#include "event-util.h"
#include "ipd-internal.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

bool ipd_is_leader(const ipd_manager *m) {
        return m->view_known && m->view.quorate && m->pnn != CTDB_PNN_NONE && m->view.leader == m->pnn;
}

uint32_t ipd_node_flags(const ipd_manager *m, uint32_t pnn) {
        if (!m->view_known || pnn >= m->view.n_nodes)
                return CTDB_NODE_FLAG_DISCONNECTED;
        return m->view.flags[pnn];
}

int ipd_send(ipd_manager *m, uint32_t pnn, const struct wire_desc *desc, const void *msg) {
        _cleanup_talloc_ uint8_t *buf = NULL;
        size_t len;
        int r = wire_inner_pack(NULL, desc, msg, &buf, &len);

        if (r < 0)
                return r;
        return dp_client_send_tunnel(m->dp, pnn, CTDB_TUNNEL_IPD, buf, len);
}

int ipd_addr_index(const ipd_manager *m, const struct ctdb_ip *a) {
        size_t lo = 0, hi = m->n_addrs;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = ctdb_ip_compare(&m->addrs[mid]->ip, a);

                if (c == 0)
                        return (int) mid;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -ENOENT;
}

struct ipd_addr *ipd_addr_find(ipd_manager *m, const struct ctdb_ip *a) {
        int i = ipd_addr_index(m, a);

        return i < 0 ? NULL : m->addrs[i];
}

/* ---- the cluster's addresses ------------------------------------------------ */

static const struct ctdb_public_address *conf_find(ipd_manager *m, const struct ctdb_ip *a) {
        for (unsigned i = 0; m->public && i < m->public->n_addresses; i++)
                if (ctdb_ip_equal(&m->public->addresses[i].addr, a))
                        return &m->public->addresses[i];
        return NULL;
}

static int cmp_addr(const void *x, const void *y) {
        return ctdb_ip_compare(&(*(struct ipd_addr *const *) x)->ip, &(*(struct ipd_addr *const *) y)->ip);
}

/* Adds a to list (n entries, sorted later) unless there; takes the object from the old list if there. */
static int collect(ipd_manager *m, struct ipd_addr ***list, size_t *n, const struct ctdb_ip *a) {
        struct ipd_addr *o;

        for (size_t i = 0; i < *n; i++)
                if (ctdb_ip_equal(&(*list)[i]->ip, a))
                        return 0;
        o = ipd_addr_find(m, a);
        if (!o) {
                o = talloc_zero(m, struct ipd_addr);
                if (!o)
                        return -ENOMEM;
                o->ip = *a;
                o->holder = CTDB_PNN_NONE;
        }
        if (*n % 16 == 0) {
                struct ipd_addr **l = talloc_realloc(m, *list, struct ipd_addr *, *n + 16);

                if (!l)
                        return -ENOMEM;
                *list = l;
        }
        (*list)[(*n)++] = o;
        return 0;
}

int ipd_addrs_update(ipd_manager *m) {
        struct ipd_addr **list = NULL;
        size_t n = 0;
        int r = 0;

        for (unsigned i = 0; r >= 0 && m->public && i < m->public->n_addresses; i++)
                r = collect(m, &list, &n, &m->public->addresses[i].addr);
        for (size_t i = 0; r >= 0 && i < m->n_addrs; i++)
                if (m->addrs[i]->held)
                        r = collect(m, &list, &n, &m->addrs[i]->ip);
        for (uint32_t p = 0; r >= 0 && p < m->n_nodes; p++)
                for (uint32_t i = 0; r >= 0 && p != m->pnn && m->peers[p].known && i < m->peers[p].n_addrs;
                     i++) {
                        struct ctdb_ip a;

                        if (ipd_wire_ip_get(&m->peers[p].addrs[i].ip, &a) >= 0)
                                r = collect(m, &list, &n, &a);
                }
        if (r < 0) {
                talloc_free(list);
                return r;
        }
        /* Objects no longer anywhere go (never one held here: it was collected). */
        for (size_t i = 0; i < m->n_addrs; i++) {
                bool kept = false;

                for (size_t j = 0; j < n && !kept; j++)
                        kept = list[j] == m->addrs[i];
                if (!kept)
                        talloc_free(m->addrs[i]);
        }
        if (n)
                qsort(list, n, sizeof(*list), cmp_addr);
        talloc_free(m->addrs);
        m->addrs = list;
        m->n_addrs = n;

        /* Who holds what: each node's own word (ipalloc's rule), this node's from the kernel. */
        for (size_t i = 0; i < n; i++) {
                struct ipd_addr *a = list[i];

                a->conf = conf_find(m, &a->ip);
                a->holder = a->held ? m->pnn : CTDB_PNN_NONE;
        }
        for (uint32_t p = 0; p < m->n_nodes; p++) {
                if (p == m->pnn || !m->peers[p].known)
                        continue;
                for (uint32_t i = 0; i < m->peers[p].n_addrs; i++) {
                        struct ctdb_ip ip;
                        struct ipd_addr *a;

                        if (!(m->peers[p].addrs[i].flags & IPD_ADDR_HELD) ||
                            ipd_wire_ip_get(&m->peers[p].addrs[i].ip, &ip) < 0)
                                continue;
                        a = ipd_addr_find(m, &ip);
                        if (a && a->holder == CTDB_PNN_NONE)
                                a->holder = p;
                }
        }
        ipd_bus_addresses_changed(m);
        return 0;
}

/* ---- STATE -------------------------------------------------------------------- */

/* This node's STATE: its configured addresses and whatever it holds. */
static int own_state(ipd_manager *m, void *mem_ctx, struct ipd_state_msg *ret) {
        struct ipd_state_msg s = { .pnn = m->pnn, .seq = m->state_seq };
        bool out = m->disabled || m->stepped_out;

        /* A node that could not remove an address steps out of hosting the others (they move away). */
        for (size_t i = 0; i < m->n_addrs && !out; i++)
                out = m->addrs[i]->stuck;

        s.addrs = talloc_zero_array(mem_ctx, struct ipd_wire_addr, m->n_addrs ? m->n_addrs : 1);
        if (!s.addrs)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_addrs; i++) {
                struct ipd_addr *a = m->addrs[i];
                struct ipd_wire_addr *w = &s.addrs[s.n_addrs];

                if (!a->conf && !a->held)
                        continue;
                ipd_wire_ip_set(&w->ip, &a->ip);
                if (a->conf && !out && ipd_node_available(m, a))
                        w->flags |= IPD_ADDR_AVAILABLE;
                if (a->held)
                        w->flags |= IPD_ADDR_HELD;
                if (a->stuck)
                        w->flags |= IPD_ADDR_STUCK;
                s.n_addrs++;
        }
        *ret = s;
        return 0;
}

/* Keeps this node's own entry of the peer table in step with own_state(). */
static int own_peer_update(ipd_manager *m) {
        struct ipd_state_msg s;
        int r;

        if (m->pnn == CTDB_PNN_NONE)
                return 0;
        r = own_state(m, m->peers, &s);
        if (r < 0)
                return r;
        talloc_free(m->peers[m->pnn].addrs);
        m->peers[m->pnn] = (struct ipd_peer) {
                .connected = true, .known = true, .seq = s.seq, .n_addrs = s.n_addrs, .addrs = s.addrs,
        };
        return 0;
}

int ipd_send_state(ipd_manager *m, uint32_t pnn) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct ipd_state_msg s;
        int r;

        if (!tmp)
                return -ENOMEM;
        r = own_state(m, tmp, &s);
        if (r >= 0)
                r = ipd_send(m, pnn, &ipd_state_desc, &s);
        return r;
}

void ipd_state_send_now(ipd_manager *m) {
        int r;

        (void) sd_event_source_set_enabled(m->state_defer, SD_EVENT_OFF);
        m->state_seq++;
        r = ipd_addrs_update(m);
        if (r >= 0)
                r = own_peer_update(m);
        if (r >= 0 && dp_client_is_connected(m->dp))
                r = ipd_send_state(m, CTDB_PNN_ALL);
        if (r < 0 && r != -ENOTCONN)
                log_warning_errno(r, "Failed to send this node's public address state: %m");
        ipd_takeover_check(m);
}

static int on_state_defer(sd_event_source *s, void *userdata) {
        ipd_state_send_now(userdata);
        return 0;
}

void ipd_state_changed(ipd_manager *m) {
        int r = event_defer_oneshot(m->event, &m->state_defer, on_state_defer, m);

        if (r < 0)
                log_warning_errno(r, "Failed to schedule a state update: %m");
}

static bool same_addrs(const struct ipd_peer *p, const struct ipd_state_msg *s) {
        return p->known && p->n_addrs == s->n_addrs &&
               (s->n_addrs == 0 || memcmp(p->addrs, s->addrs, s->n_addrs * sizeof(*s->addrs)) == 0);
}

static int on_state(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t payload_len) {
        ipd_manager *m = userdata;
        const struct ipd_state_msg *s = msg;
        struct ipd_peer *p;
        bool was_known;

        if (h->src >= m->n_nodes || h->src == m->pnn || s->pnn != h->src)
                return -EBADMSG;
        p = &m->peers[h->src];
        if (!p->connected)
                return 0; /* a frame that overtook the link's going down */
        was_known = p->known;
        if (!same_addrs(p, s)) {
                talloc_free(p->addrs);
                p->addrs = talloc_steal(m->peers, s->addrs);
                p->n_addrs = s->n_addrs;
                p->known = true;
                if (!was_known)
                        log_info("ctdb-ipd on node %" PRIu32 " has %" PRIu32 " public addresses", h->src,
                                 s->n_addrs);
                int r = ipd_addrs_update(m);
                if (r < 0)
                        return r;
                ipd_takeover_check(m);
        }
        p->seq = s->seq;
        /* A peer that just appeared learns of this node at once. */
        if (!was_known) {
                (void) ipd_send_state(m, h->src);
                ipd_conns_send_all(m, h->src);
        }
        return 0;
}

static const struct wire_handler manager_handlers[] = {
        { IPD_MSG_STATE, &ipd_state_desc, on_state },
};

/* ---- the tunnel ------------------------------------------------------------------ */

static const struct {
        const struct wire_handler *handlers;
        const size_t *n;
} modules[] = {
        { manager_handlers, &(const size_t) { ELEMENTSOF(manager_handlers) } },
        { ipd_node_handlers, &ipd_node_n_handlers },
        { ipd_conns_handlers, &ipd_conns_n_handlers },
        { ipd_takeover_handlers, &ipd_takeover_n_handlers },
};

int ipd_manager_receive(ipd_manager *m, uint32_t src, const uint8_t *data, size_t len) {
        int kind = wire_inner_kind(data, len), r = -ENOMSG;

        for (size_t i = 0; kind >= 0 && r == -ENOMSG && i < ELEMENTSOF(modules); i++)
                for (size_t j = 0; j < *modules[i].n; j++)
                        if (modules[i].handlers[j].kind == kind) {
                                _cleanup_talloc_ void *tmp = talloc_new(NULL);

                                r = wire_inner_dispatch(modules[i].handlers, *modules[i].n, tmp, src,
                                                        CTDB_TUNNEL_IPD, data, len, m);
                                break;
                        }
        if (kind < 0)
                log_warning("Dropped a malformed frame from node %" PRIu32, src);
        else if (r < 0)
                log_warning_errno(r, "Dropped a %s frame from node %" PRIu32 ": %m",
                                  ipd_msg_kind_to_string((uint16_t) kind), src);
        return kind < 0 ? kind : r;
}

static void on_tunnel(void *userdata, uint32_t src, uint64_t tunnel_id, const uint8_t *data, size_t len) {
        (void) ipd_manager_receive(userdata, src, data, len);
}

static void peer_forget(ipd_manager *m, uint32_t pnn) {
        struct ipd_peer *p = &m->peers[pnn];

        if (!p->known)
                return;
        log_info("ctdb-ipd on node %" PRIu32 " is gone", pnn);
        TALLOC_FREE(p->addrs);
        p->n_addrs = 0;
        p->known = false;
        if (ipd_addrs_update(m) < 0)
                log_oom();
        ipd_takeover_check(m);
}

static int on_connected(void *userdata, uint32_t pnn, uint32_t n_nodes) {
        ipd_manager *m = userdata;

        if (m->pnn != CTDB_PNN_NONE && (m->pnn != pnn || m->n_nodes > n_nodes))
                return log_error_errno(EINVAL, "ctdb-tunneld now says this node is %" PRIu32 " of %" PRIu32
                                       " slots, not %" PRIu32 " of %" PRIu32, pnn, n_nodes, m->pnn,
                                       m->n_nodes);
        if (n_nodes > m->n_nodes) {
                struct ipd_peer *p = talloc_realloc(m, m->peers, struct ipd_peer, n_nodes);

                if (!p)
                        return log_oom();
                memset(p + m->n_nodes, 0, (n_nodes - m->n_nodes) * sizeof(*p));
                m->peers = p;
                m->n_nodes = n_nodes;
        }
        m->pnn = pnn;
        ipd_state_changed(m);
        if (!m->ready) {
                m->ready = true;
                daemon_notify_ready(m->disabled ? "IP failover disabled" : "Serving public addresses");
        }
        return 0;
}

static void on_disconnected(void *userdata, int error) {
        ipd_manager *m = userdata;

        for (uint32_t p = 0; p < m->n_nodes; p++)
                if (p != m->pnn) {
                        m->peers[p].connected = false;
                        peer_forget(m, p);
                }
        peer_requests_fail(m->requests, CTDB_PNN_ALL, -ENOTCONN);
        ipd_takeover_link_down(m, CTDB_PNN_ALL);
}

static void on_link(void *userdata, uint32_t pnn, bool connected) {
        ipd_manager *m = userdata;

        if (pnn >= m->n_nodes || pnn == m->pnn)
                return;
        m->peers[pnn].connected = connected;
        if (connected) {
                (void) ipd_send_state(m, pnn);
                ipd_conns_send_all(m, pnn);
                return;
        }
        peer_requests_fail(m->requests, pnn, -ENOTCONN);
        ipd_takeover_link_down(m, pnn);
        peer_forget(m, pnn);
}

static void on_error(void *userdata, int error, enum ctdb_client_request request, uint64_t srvid,
                     uint32_t dst) {
        ipd_manager *m = userdata;

        if (request == CTDB_CLIENT_REQUEST_TUNNEL_REGISTER) {
                log_error_errno(error, "Could not own ipd's tunnel: %m (is another ctdb-ipd running?)");
                return;
        }
        log_debug_errno(error, "A frame to node %" PRIu32 " was not delivered: %m", dst);
        if (request != CTDB_CLIENT_REQUEST_TUNNEL || dst >= m->n_nodes || dst == m->pnn)
                return;
        /* No ipd there (ESRCH) or no link: it holds and answers nothing. */
        peer_requests_fail(m->requests, dst, error);
        ipd_takeover_link_down(m, dst);
        peer_forget(m, dst);
}

static const struct dp_client_ops tunnel_ops = {
        .connected = on_connected,
        .disconnected = on_disconnected,
        .tunnel = on_tunnel,
        .link = on_link,
        .error = on_error,
};

/* ---- clusterd's view -------------------------------------------------------------- */

static void on_view_changed(void *userdata, const struct cluster_view *v) {
        ipd_manager *m = userdata;
        uint32_t *flags = talloc_memdup_any(m, v->flags, v->n_nodes * sizeof(uint32_t));

        if (v->n_nodes && !flags)
                return (void) log_oom();
        talloc_free(m->view.flags);
        m->view = *v;
        m->view.flags = flags;
        m->view.vnnmap = NULL; /* not used here; the watch's array is not kept */
        m->view.n_vnnmap = 0;
        m->view_known = true;
        ipd_node_view_changed(m);
        ipd_takeover_check(m);
}

static void on_view_gone(void *userdata) {
        ipd_manager *m = userdata;

        log_warning("ctdb-clusterd left the bus; no takeover runs until it returns");
        m->view_known = false;
}

static const struct cluster_view_ops view_ops = {
        .changed = on_view_changed,
        .gone = on_view_gone,
};

/* ---- life ----------------------------------------------------------------------- */

static int load_public(ipd_manager *m, struct ctdb_public_addresses **ret, char **ret_error) {
        _cleanup_talloc_ char *path = ctdb_config_path(NULL, m->config_dir, "public_addresses");
        int r;

        if (!path)
                return -ENOMEM;
        r = ctdb_public_addresses_load(m, path, ret, ret_error);
        if (r == -ENOENT) {
                *ret = talloc_zero(m, struct ctdb_public_addresses);
                log_info("No %s: this node hosts no public address", path);
                return *ret ? 0 : -ENOMEM;
        }
        return r;
}

int ipd_manager_reload(ipd_manager *m, const struct ctdb_config *config, char **ret_error) {
        struct ctdb_public_addresses *next, *old = m->public;
        int r = load_public(m, &next, ret_error);

        if (r < 0)
                return r;
        m->public = next;
        r = ipd_addrs_update(m);
        if (r < 0) {
                m->public = old;
                talloc_free(next);
                (void) ipd_addrs_update(m);
                return r;
        }
        talloc_free(old);
        if (config) {
                /* The leader's next plan (ipd_state_changed() below) follows them. */
                m->config->no_ip_failback = config->no_ip_failback;
                m->config->no_ip_takeover = config->no_ip_takeover;
        }
        /* Dropped addresses leave this node now; new ones are placed by the leader's next run. */
        for (size_t i = 0; i < m->n_addrs; i++)
                if (m->addrs[i]->held && !m->addrs[i]->conf)
                        (void) ipd_node_release(m, m->addrs[i]);
        log_info("Reloaded public_addresses: %u addresses", m->public->n_addresses);
        ipd_state_changed(m);
        return 0;
}

static int manager_destructor(ipd_manager *m) {
        ipd_takeover_free(m);
        ipd_node_stop(m);
        /*
         * A daemon that ends (a stop, or a fatal error) leaves nothing of this
         * node's behind, as ctdbd releases its addresses at shutdown: its
         * ExecStopPost= does the same, but only after a crash must it.
         */
        if (m->release_at_exit)
                (void) ipd_release_all_offline(m->config_dir, m->nodes);
        m->state_defer = sd_event_source_disable_unref(m->state_defer);
        sd_bus_unref(m->bus);
        sd_event_unref(m->event);
        return 0;
}

int ipd_manager_new(void *mem_ctx, struct daemon_context *d, ipd_manager **ret) {
        _cleanup_talloc_ char *tunnel_path = NULL, *error = NULL;
        ipd_manager *m;
        int r;

        m = talloc_zero(mem_ctx, ipd_manager);
        if (!m)
                return log_oom();
        m->event = sd_event_ref(d->event);
        m->bus = sd_bus_ref(d->bus);
        m->config = talloc_steal(m, d->config);
        m->nodes = talloc_steal(m, d->nodes);
        m->config_dir = talloc_strdup(m, d->args->config_dir);
        m->pnn = CTDB_PNN_NONE;
        m->announce_fd = m->probe_fd = -1;
        m->disabled = m->config->failover_disabled;
        talloc_set_destructor(m, manager_destructor);
        if (!m->config_dir) {
                talloc_free(m);
                return log_oom();
        }
        r = load_public(m, &m->public, &error);
        if (r < 0) {
                log_error_errno(r, "%s", error ? error : "Failed to read public_addresses: %m");
                talloc_free(m);
                return r;
        }
        tunnel_path = dp_client_socket_path(NULL, m->config->run_dir);
        r = peer_requests_new(m, m->event, IPD_REQUESTS_MAX, &m->requests);
        if (r >= 0)
                r = dp_client_new(m, m->event, tunnel_path, &tunnel_ops, m, &m->dp);
        if (r >= 0)
                r = dp_client_register_tunnel(m->dp, CTDB_TUNNEL_IPD);
        if (r >= 0)
                r = ipd_addrs_update(m);
        if (r < 0) {
                talloc_free(m);
                return log_error_errno(r, "Failed to set up the manager: %m");
        }
        *ret = m;
        return 0;
}

int ipd_manager_new_testing(void *mem_ctx, sd_event *event, struct ctdb_config *config, uint32_t pnn,
                            uint32_t n_nodes, ipd_manager **ret) {
        ipd_manager *m = talloc_zero(mem_ctx, ipd_manager);
        int r;

        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->config = config;
        m->announce_fd = m->probe_fd = -1;
        m->pnn = CTDB_PNN_NONE;
        m->disabled = true;
        m->public = talloc_zero(m, struct ctdb_public_addresses);
        talloc_set_destructor(m, manager_destructor);
        r = m->public ? peer_requests_new(m, event, IPD_REQUESTS_MAX, &m->requests) : -ENOMEM;
        /* A client that is never started: whatever the manager sends fails with -ENOTCONN. */
        if (r >= 0)
                r = dp_client_new(m, event, "/nonexistent/tunnel.sock", &tunnel_ops, m, &m->dp);
        if (r >= 0)
                r = on_connected(m, pnn, n_nodes);
        if (r < 0) {
                talloc_free(m);
                return r;
        }
        for (uint32_t p = 0; p < n_nodes; p++)
                m->peers[p].connected = true;
        *ret = m;
        return 0;
}

int ipd_manager_start(ipd_manager *m) {
        int r = sd_event_now(m->event, CLOCK_MONOTONIC, &m->started_usec);

        if (r < 0)
                return log_error_errno(r, "Failed to read the clock: %m");

        if (m->disabled)
                log_notice("[failover] disabled = true: this node's ipd holds and moves no address");
        else {
                m->release_at_exit = true;
                r = ipd_node_start(m);
                if (r < 0)
                        return r;
        }
        r = cluster_view_watch_new(m, m->bus, &view_ops, m, &m->view_watch);
        if (r < 0)
                return log_error_errno(r, "Failed to watch ctdb-clusterd: %m");
        return dp_client_start(m->dp);
}
