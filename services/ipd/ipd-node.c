/*
 * This node's side of IP failover (CTDB's RELEASE_IP / TAKEOVER_IP on a node):
 * adding an address (rtnetlink), announcing it in CTDB's three rounds (an ARP
 * request and an ARP reply, or one unsolicited NA, 1.1 s apart) with tickle
 * ACKs for the connections its previous holder tracked; releasing one (new
 * packets to it reset by the table's release set, this node's own sockets on
 * it destroyed, tracked clients tickled so that they hit the reset, then the
 * address removed); the interfaces' link state; the tracked connections of
 * what this node holds, read from the nftables table and sent to the other
 * nodes whenever they change.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "config.h"
#include "ctdb-node.h"
#include "event-util.h"
#include "ipd-internal.h"
#include "log.h"
#include "nf-addr.h"
#include "nf-announce.h"
#include "nf-link.h"
#include "nf-sock.h"
#include "nf-tables.h"
#include "nf-tickle.h"
#include "talloc-util.h"

/* ---- interfaces ------------------------------------------------------------ */

static bool iface_up(const char *ifname) {
        struct nf_link_state s;

        return nf_link_get(ifname, &s, NULL, 0) >= 0 && s.up && s.carrier;
}

bool ipd_node_available(ipd_manager *m, const struct ipd_addr *a) {
        for (unsigned i = 0; a->conf && i < a->conf->n_interfaces; i++)
                if (iface_up(a->conf->interfaces[i]))
                        return true;
        return false;
}

/* The interface to add a to: an up one of its list holding the fewest addresses (CTDB's best_iface). */
static const char *pick_iface(ipd_manager *m, const struct ipd_addr *a) {
        const char *best = NULL;
        unsigned best_refs = UINT32_MAX;

        for (unsigned i = 0; a->conf && i < a->conf->n_interfaces; i++) {
                const char *name = a->conf->interfaces[i];
                unsigned refs = 0;

                if (!iface_up(name))
                        continue;
                for (size_t j = 0; j < m->n_addrs; j++)
                        refs += m->addrs[j]->held && strcmp(m->addrs[j]->ifname, name) == 0;
                if (refs < best_refs) {
                        best = name;
                        best_refs = refs;
                }
        }
        return best;
}

static int on_links(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ipd_manager *m = userdata;
        int r = nf_link_monitor_process(m->links, NULL, NULL);

        /* Any change (or lost notifications) may change what this node can host: tell the leader. */
        if (r != 0)
                ipd_state_changed(m);
        return 0;
}

/* ---- announcements and tickles ------------------------------------------------- */

static void tickle_known(ipd_manager *m, struct ipd_addr *a) {
        for (size_t i = 0; i < a->n_known; i++) {
                char err[256];
                int r = nf_tickle(&a->known[i].server, &a->known[i].client, 1, err, sizeof(err));

                if (r < 0)
                        log_debug("%s", err);
        }
}

static int on_announce(sd_event_source *s, uint64_t usec, void *userdata) {
        struct ipd_addr *a = userdata;
        ipd_manager *m = talloc_parent(a);
        char err[256];
        int r;

        if (!a->held)
                return 0;
        r = nf_announce_fd(m->announce_fd, a->ifname, &a->ip, 1, 0, NF_ARP_REQUEST | NF_ARP_REPLY, err,
                           sizeof(err));
        if (r < 0)
                log_warning("Announcing a public address failed: %s", err);
        tickle_known(m, a);
        if (++a->rounds < IPD_ANNOUNCE_ROUNDS) {
                (void) sd_event_source_set_time_relative(a->announce, IPD_ANNOUNCE_INTERVAL_USEC);
                (void) sd_event_source_set_enabled(a->announce, SD_EVENT_ONESHOT);
        } else {
                /* Their reconnections are tracked here from now on. */
                TALLOC_FREE(a->known);
                a->n_known = 0;
        }
        return 0;
}

static int addr_destructor(struct ipd_addr *a) {
        a->announce = sd_event_source_disable_unref(a->announce);
        return 0;
}

/* ---- take ------------------------------------------------------------------------ */

static int take(ipd_manager *m, struct ipd_addr *a, char *why, size_t why_len) {
        char s[CTDB_IP_STRLEN], err[256];
        const char *ifname = pick_iface(m, a);
        int r;

        ctdb_ip_to_string(&a->ip, true, s, sizeof(s));
        if (!ifname) {
                snprintf(why, why_len, "%s: no interface of it is up", s);
                return -ENETDOWN;
        }
        r = nf_tables_release_del(&a->ip, 1, err, sizeof(err));
        if (r == -ENOENT)
                r = 0; /* not being released: the usual case */
        if (r >= 0)
                r = nf_tables_public_add(&a->ip, 1, err, sizeof(err));
        if (r >= 0) {
                r = nf_addr_add(ifname, &a->ip, a->ip.family == AF_INET6 ? NF_ADDR_NODAD : 0, err,
                                sizeof(err));
                if (r == -EEXIST)
                        r = 0;
        }
        if (r < 0) {
                snprintf(why, why_len, "%s", err);
                ipd_bus_emit_failed(m, &a->ip, "take", err);
                return r;
        }
        a->held = true;
        a->stuck = false;
        a->release_failures = 0;
        snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
        a->rounds = 0;
        if (!a->announce) {
                r = sd_event_add_time_relative(m->event, &a->announce, CLOCK_MONOTONIC, 0, 0, on_announce,
                                               a);
                if (r < 0)
                        return r;
                talloc_set_destructor(a, addr_destructor);
        }
        /* The first round now, from this event: the clients' retries must find the address here. */
        on_announce(a->announce, 0, a);
        log_event(LOG_NOTICE, CTDB_MESSAGE_TAKEOVER,
                  ((const char *const[]) { "EVENT=takeip", NULL }),
                  "Took over %s on %s (%zu connections tickled)", s, ifname, a->n_known);
        ipd_bus_emit(m, "TakenOver", &a->ip, m->pnn);
        return 0;
}

/* ---- release ------------------------------------------------------------------------ */

/* First half: new packets to a are reset, this node's sockets on it end, tracked clients are tickled. */
static unsigned release_begin(ipd_manager *m, struct ipd_addr *a) {
        char err[256];
        unsigned n = 0;
        int r = nf_tables_release_add(&a->ip, 1, err, sizeof(err));

        if (r < 0)
                log_warning("%s", err);
        r = nf_sock_destroy_local(&a->ip, &n, err, sizeof(err));
        if (r < 0)
                log_warning("%s", err);
        for (size_t i = 0; i < a->n_tracked; i++)
                if (nf_tickle(&a->tracked[i].server, &a->tracked[i].client, 1, err, sizeof(err)) >= 0)
                        n++;
        return n;
}

/* Second half: the address goes. */
static int release_end(ipd_manager *m, struct ipd_addr *a, char *why, size_t why_len) {
        char s[CTDB_IP_STRLEN], err[256];
        int r;

        ctdb_ip_to_string(&a->ip, true, s, sizeof(s));
        r = nf_addr_del(a->ifname, &a->ip, err, sizeof(err));
        if (r == -EADDRNOTAVAIL || r == -ENODEV)
                r = 0; /* gone already */
        if (r < 0) {
                snprintf(why, why_len, "%s", err);
                ipd_bus_emit_failed(m, &a->ip, "release", err);
                if (++a->release_failures >= IPD_RELEASE_ATTEMPTS && !a->stuck) {
                        /* Better kept here than on two nodes: the leader leaves it with us. */
                        a->stuck = true;
                        log_event(LOG_ERR, CTDB_MESSAGE_TAKEOVER,
                                  ((const char *const[]) { "EVENT=releaseip-failed", NULL }),
                                  "Could not remove %s after %u attempts: %s; it stays on this node", s,
                                  a->release_failures, err);
                }
                return r;
        }
        (void) nf_tables_public_del(&a->ip, 1, NULL, 0);
        (void) nf_tables_release_del(&a->ip, 1, NULL, 0);
        a->held = false;
        a->stuck = false;
        a->release_failures = 0;
        TALLOC_FREE(a->tracked);
        a->n_tracked = 0;
        (void) sd_event_source_set_enabled(a->announce, SD_EVENT_OFF);
        log_event(LOG_NOTICE, CTDB_MESSAGE_TAKEOVER,
                  ((const char *const[]) { "EVENT=releaseip", NULL }),
                  "Released %s from %s", s, a->ifname);
        ipd_bus_emit(m, "Released", &a->ip, m->pnn);
        return 0;
}

int ipd_node_release(ipd_manager *m, struct ipd_addr *a) {
        char why[256];

        /* Outside a run nobody waits for the clients' answers: the takeover's tickles reset them. */
        (void) release_begin(m, a);
        int r = release_end(m, a, why, sizeof(why));
        if (r < 0)
                log_warning("%s", why);
        ipd_state_changed(m);
        return r;
}

void ipd_node_release_all(ipd_manager *m, const char *why) {
        unsigned n = 0;

        for (size_t i = 0; i < m->n_addrs; i++)
                if (m->addrs[i]->held) {
                        (void) ipd_node_release(m, m->addrs[i]);
                        n++;
                }
        if (n)
                log_notice("Released %u public addresses: %s", n, why);
}

void ipd_node_view_changed(ipd_manager *m) {
        bool out = m->view_known && !m->view.quorate;

        if (out == m->stepped_out || m->disabled)
                return;
        m->stepped_out = out;
        if (out)
                ipd_node_release_all(m, "this node is not quorate");
        ipd_state_changed(m);
}

/* ---- a phase of a run ---------------------------------------------------------------- */

/* A release phase waiting for the clients' answers to its tickles. */
struct phase_wait {
        ipd_manager *m;
        uint32_t leader, id, phase;
        struct ipd_run_msg run;         /* its assign array talloc'd on this */
        sd_event_source *timer;
};

static uint32_t assigned(const struct ipd_run_msg *run, const struct ipd_addr *a) {
        for (uint32_t i = 0; i < run->n_assign; i++) {
                struct ctdb_ip ip;

                if (ipd_wire_ip_get(&run->assign[i].ip, &ip) >= 0 && ctdb_ip_equal(&ip, &a->ip))
                        return run->assign[i].pnn;
        }
        return CTDB_PNN_NONE;
}

static void phase_reply(ipd_manager *m, uint32_t leader, uint32_t id, uint32_t phase, int r,
                        const char *why) {
        struct ipd_run_reply_msg rep = { .id = id, .phase = phase, .status = (uint32_t) (r < 0 ? -r : 0) };

        rep.message = (char *) (r < 0 ? why : "");
        rep.message_len = (uint32_t) strlen(rep.message);
        r = ipd_send(m, leader, &ipd_run_reply_desc, &rep);
        if (r < 0)
                log_warning_errno(r, "Failed to answer the leader's takeover run: %m");
}

/* Releases what run assigns elsewhere (those begun already: begun). */
static int release_phase_end(ipd_manager *m, const struct ipd_run_msg *run, char *why, size_t why_len) {
        int ret = 0;

        for (size_t i = 0; i < m->n_addrs; i++) {
                struct ipd_addr *a = m->addrs[i];

                if (a->held && assigned(run, a) != m->pnn) {
                        int r = release_end(m, a, why, why_len);

                        if (r < 0 && ret == 0)
                                ret = r;
                }
        }
        ipd_state_changed(m);
        return ret;
}

static int phase_wait_destructor(struct phase_wait *w) {
        w->timer = sd_event_source_disable_unref(w->timer);
        return 0;
}

static int on_phase_wait(sd_event_source *s, uint64_t usec, void *userdata) {
        struct phase_wait *w = userdata;
        char why[256] = "";
        int r = release_phase_end(w->m, &w->run, why, sizeof(why));

        phase_reply(w->m, w->leader, w->id, w->phase, r, why);
        talloc_free(w);
        return 0;
}

static int on_run(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t payload_len) {
        ipd_manager *m = userdata;
        const struct ipd_run_msg *run = msg;
        char why[256] = "";
        unsigned tickled = 0;
        int r = 0;

        if (m->disabled)
                return 0;
        switch (run->phase) {
        case IPD_PHASE_RELEASE:
                for (size_t i = 0; i < m->n_addrs; i++)
                        if (m->addrs[i]->held && assigned(run, m->addrs[i]) != m->pnn)
                                tickled += release_begin(m, m->addrs[i]);
                if (tickled) {
                        struct phase_wait *w = talloc_zero(m, struct phase_wait);

                        if (w) {
                                *w = (struct phase_wait) { m, h->src, run->id, run->phase, *run, NULL };
                                w->run.assign = talloc_memdup_any(w, run->assign,
                                                                  run->n_assign * sizeof(*run->assign));
                        }
                        if (w && (w->run.assign || run->n_assign == 0)) {
                                r = sd_event_add_time_relative(m->event, &w->timer, CLOCK_MONOTONIC,
                                                               IPD_RESET_WAIT_USEC, 0, on_phase_wait, w);
                                if (r >= 0) {
                                        talloc_set_destructor(w, phase_wait_destructor);
                                        return 0;
                                }
                        }
                        talloc_free(w);
                        /* No timer: release without waiting for the clients' answers. */
                }
                r = release_phase_end(m, run, why, sizeof(why));
                break;
        case IPD_PHASE_TAKE:
                r = release_phase_end(m, run, why, sizeof(why));
                for (size_t i = 0; i < m->n_addrs; i++) {
                        struct ipd_addr *a = m->addrs[i];
                        int k;

                        if (a->held || assigned(run, a) != m->pnn)
                                continue;
                        if (m->stepped_out) {
                                snprintf(why, sizeof(why), "not quorate here");
                                k = -ENOLINK;
                        } else
                                k = take(m, a, why, sizeof(why));
                        if (k < 0 && r >= 0)
                                r = k;
                }
                ipd_state_changed(m);
                break;
        case IPD_PHASE_DONE:
                return 0;
        default:
                return -EBADMSG;
        }
        phase_reply(m, h->src, run->id, run->phase, r, why);
        return 0;
}

/* ---- connections -------------------------------------------------------------------------- */

static void conn_to_wire(const struct ipd_conn *c, struct ipd_wire_conn *w) {
        memset(w, 0, sizeof(*w));
        if (c->client.sa.sa_family == AF_INET6) {
                w->family = 6;
                memcpy(w->client, &c->client.in6.sin6_addr, 16);
                memcpy(w->server, &c->server.in6.sin6_addr, 16);
                w->client_port = ntohs(c->client.in6.sin6_port);
                w->server_port = ntohs(c->server.in6.sin6_port);
        } else {
                w->family = 4;
                memcpy(w->client, &c->client.in.sin_addr, 4);
                memcpy(w->server, &c->server.in.sin_addr, 4);
                w->client_port = ntohs(c->client.in.sin_port);
                w->server_port = ntohs(c->server.in.sin_port);
        }
}

static int conn_from_wire(const struct ipd_wire_conn *w, struct ipd_conn *c) {
        memset(c, 0, sizeof(*c));
        if (w->family == 6) {
                c->client.in6 =
                        (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(w->client_port) };
                c->server.in6 =
                        (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(w->server_port) };
                memcpy(&c->client.in6.sin6_addr, w->client, 16);
                memcpy(&c->server.in6.sin6_addr, w->server, 16);
        } else if (w->family == 4) {
                c->client.in =
                        (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(w->client_port) };
                c->server.in =
                        (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(w->server_port) };
                memcpy(&c->client.in.sin_addr, w->client, 4);
                memcpy(&c->server.in.sin_addr, w->server, 4);
        } else
                return -EBADMSG;
        return 0;
}

static int send_conns(ipd_manager *m, uint32_t pnn, const struct ipd_addr *a) {
        _cleanup_talloc_ struct ipd_wire_conn *w = talloc_array(NULL, struct ipd_wire_conn,
                                                                 a->n_tracked ? a->n_tracked : 1);
        struct ipd_conns_msg msg = { .n_conns = (uint32_t) a->n_tracked, .conns = w };

        if (!w)
                return -ENOMEM;
        ipd_wire_ip_set(&msg.ip, &a->ip);
        for (size_t i = 0; i < a->n_tracked; i++)
                conn_to_wire(&a->tracked[i], &w[i]);
        return ipd_send(m, pnn, &ipd_conns_desc, &msg);
}

void ipd_node_send_conns(ipd_manager *m, uint32_t pnn) {
        for (size_t i = 0; i < m->n_addrs; i++)
                if (m->addrs[i]->held && m->addrs[i]->n_tracked)
                        (void) send_conns(m, pnn, m->addrs[i]);
}

static int on_conns(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t payload_len) {
        ipd_manager *m = userdata;
        const struct ipd_conns_msg *c = msg;
        struct ipd_conn *known;
        struct ipd_addr *a;
        struct ctdb_ip ip;

        if (ipd_wire_ip_get(&c->ip, &ip) < 0)
                return -EBADMSG;
        a = ipd_addr_find(m, &ip);
        /* Only the holder's list counts; a list for what this node holds now is stale. */
        if (!a || a->held)
                return 0;
        known = talloc_array(a, struct ipd_conn, c->n_conns ? c->n_conns : 1);
        if (!known)
                return -ENOMEM;
        for (uint32_t i = 0; i < c->n_conns; i++)
                if (conn_from_wire(&c->conns[i], &known[i]) < 0) {
                        talloc_free(known);
                        return -EBADMSG;
                }
        talloc_free(a->known);
        a->known = known;
        a->n_known = c->n_conns;
        return 0;
}

const struct wire_handler ipd_node_handlers[] = {
        { IPD_MSG_RUN, &ipd_run_desc, on_run },
        { IPD_MSG_CONNS, &ipd_conns_desc, on_conns },
};
const size_t ipd_node_n_handlers = ELEMENTSOF(ipd_node_handlers);

/* Tracked connections grouped by public address, as nf_tables_tracked_list() reports them. */
struct poll_ctx {
        ipd_manager *m;
        struct ipd_conn **lists;        /* per m->addrs index */
        size_t *n, *cap;
        int error;
};

static int on_tracked(const struct nf_tracked_conn *c, void *userdata) {
        struct poll_ctx *p = userdata;
        struct ctdb_ip ip;
        int i;

        if (ctdb_ip_from_sockaddr(&c->server.sa, sizeof(c->server), 0, &ip) < 0 ||
            (i = ipd_addr_index(p->m, &ip)) < 0 || !p->m->addrs[i]->held)
                return 0;
        if (p->n[i] == p->cap[i]) {
                size_t cap = p->cap[i] ? p->cap[i] * 2 : 8;
                struct ipd_conn *l;

                if (cap > IPD_MAX_CONNS)
                        return 0;
                l = talloc_realloc(p->lists, p->lists[i], struct ipd_conn, cap);
                if (!l)
                        return -ENOMEM;
                p->lists[i] = l;
                p->cap[i] = cap;
        }
        p->lists[i][p->n[i]++] = (struct ipd_conn) { .client = c->client, .server = c->server };
        return 0;
}

static int cmp_conn(const void *x, const void *y) {
        return memcmp(x, y, sizeof(struct ipd_conn));
}

static int on_conns_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ipd_manager *m = userdata;
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct poll_ctx p = { .m = m };
        bool any = false;
        char err[256];
        int r;

        (void) sd_event_source_set_time_relative(s, IPD_CONNS_POLL_USEC);
        for (size_t i = 0; i < m->n_addrs && !any; i++)
                any = m->addrs[i]->held;
        if (!any || !tmp)
                return 0;
        p.lists = talloc_zero_array(tmp, struct ipd_conn *, m->n_addrs);
        p.n = talloc_zero_array(tmp, size_t, m->n_addrs);
        p.cap = talloc_zero_array(tmp, size_t, m->n_addrs);
        if (!p.lists || !p.n || !p.cap)
                return 0;
        r = nf_tables_tracked_list(AF_UNSPEC, on_tracked, &p, err, sizeof(err));
        if (r < 0) {
                log_debug("%s", err);
                return 0;
        }
        for (size_t i = 0; i < m->n_addrs; i++) {
                struct ipd_addr *a = m->addrs[i];

                if (!a->held)
                        continue;
                if (p.n[i])
                        qsort(p.lists[i], p.n[i], sizeof(struct ipd_conn), cmp_conn);
                if (p.n[i] == a->n_tracked &&
                    (p.n[i] == 0 || memcmp(p.lists[i], a->tracked, p.n[i] * sizeof(struct ipd_conn)) == 0))
                        continue;
                talloc_free(a->tracked);
                a->tracked = talloc_steal(a, p.lists[i]);
                a->n_tracked = p.n[i];
                p.lists[i] = NULL;
                r = send_conns(m, CTDB_PNN_ALL, a);
                if (r < 0 && r != -ENOTCONN)
                        log_debug_errno(r, "Failed to send tracked connections: %m");
        }
        return 0;
}

/* What is on the interfaces already (ipd restarted): held, so that the leader's run decides. */
static int on_present(const struct nf_addr_info *info, void *userdata) {
        ipd_manager *m = userdata;
        struct ipd_addr *a = ipd_addr_find(m, &info->addr);
        char ifname[IF_NAMESIZE];

        if (!a || !a->conf || a->held || !if_indextoname((unsigned) info->ifindex, ifname))
                return 0;
        a->held = true;
        snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
        (void) nf_tables_public_add(&a->ip, 1, NULL, 0);
        log_info("Public address %s found on %s", ctdb_ip_to_string(&a->ip, true, (char[CTDB_IP_STRLEN]) {},
                                                                    CTDB_IP_STRLEN), ifname);
        return 0;
}

int ipd_node_start(ipd_manager *m) {
        char err[256];
        int r = nf_tables_create(err, sizeof(err));

        if (r < 0)
                return log_error_errno(r, "%s", err);
        m->announce_fd = nf_announce_socket();
        if (m->announce_fd < 0)
                return log_error_errno(m->announce_fd,
                                       "Failed to open a packet socket for announcements: %m");
        r = nf_addr_list(NULL, AF_UNSPEC, on_present, m, err, sizeof(err));
        if (r < 0)
                return log_error_errno(r, "%s", err);
        r = nf_link_monitor_new(&m->links);
        if (r >= 0)
                r = sd_event_add_io(m->event, &m->links_event, nf_link_monitor_fd(m->links), EPOLLIN,
                                    on_links, m);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &m->conns_timer, CLOCK_MONOTONIC,
                                               IPD_CONNS_POLL_USEC, 0, on_conns_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->conns_timer, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the interfaces: %m");
        return 0;
}

void ipd_node_stop(ipd_manager *m) {
        m->links_event = sd_event_source_disable_unref(m->links_event);
        m->conns_timer = sd_event_source_disable_unref(m->conns_timer);
        m->links = nf_link_monitor_free(m->links);
        if (m->announce_fd >= 0)
                close(m->announce_fd);
        m->announce_fd = -1;
}

int ipd_release_all_offline(const char *config_dir) {
        _cleanup_talloc_ char *path = ctdb_config_path(NULL, config_dir, "public_addresses"), *error = NULL;
        _cleanup_talloc_ struct ctdb_public_addresses *pa = NULL;
        char err[256];
        int r, ret = 0;

        if (!path)
                return log_oom();
        r = ctdb_public_addresses_load(NULL, path, &pa, &error);
        if (r == -ENOENT)
                r = 0;
        else if (r < 0)
                return log_error_errno(r, "%s", error ? error : "Failed to read public_addresses");
        for (unsigned i = 0; pa && i < pa->n_addresses; i++)
                for (unsigned j = 0; j < pa->addresses[i].n_interfaces; j++) {
                        r = nf_addr_del(pa->addresses[i].interfaces[j], &pa->addresses[i].addr, err,
                                        sizeof(err));
                        if (r >= 0)
                                log_info("Removed %s from %s", pa->addresses[i].address,
                                         pa->addresses[i].interfaces[j]);
                        else if (r != -EADDRNOTAVAIL && r != -ENODEV)
                                ret = log_error_errno(r, "%s", err);
                }
        r = nf_tables_delete(err, sizeof(err));
        if (r < 0)
                ret = log_error_errno(r, "%s", err);
        return ret;
}
