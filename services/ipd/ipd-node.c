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
#include <linux/ip.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "config.h"
#include "ctdb-node.h"
#include "event-target.h"
#include "event-util.h"
#include "ipd-internal.h"
#include "ipd-lb.h"
#include "ipd-natgw.h"
#include "log.h"
#include "nf-addr.h"
#include "nf-announce.h"
#include "nf-link.h"
#include "nf-probe.h"
#include "nf-log.h"
#include "nf-sock.h"
#include "nf-tables.h"
#include "nf-tickle.h"
#include "talloc-util.h"

/* ---- interfaces ------------------------------------------------------------ */

/*
 * Whether ifname is up with a carrier. Asked once per interface until the link
 * monitor reports a change (on_links() forgets all): a STATE asks for every
 * address, and a netlink round trip each would be one per address per STATE.
 */
static bool iface_up(ipd_manager *m, const char *ifname) {
        struct nf_link_state s;
        struct ipd_iface *c;

        for (size_t i = 0; i < m->n_ifaces; i++)
                if (strcmp(m->ifaces[i].name, ifname) == 0)
                        return m->ifaces[i].up;
        c = talloc_realloc(m, m->ifaces, struct ipd_iface, m->n_ifaces + 1);
        if (!c)
                return nf_link_get(ifname, &s, NULL, 0) >= 0 && s.up && s.carrier;
        m->ifaces = c;
        c = &m->ifaces[m->n_ifaces++];
        snprintf(c->name, sizeof(c->name), "%s", ifname);
        c->up = nf_link_get(ifname, &s, NULL, 0) >= 0 && s.up && s.carrier;
        return c->up;
}

bool ipd_node_available(ipd_manager *m, const struct ipd_addr *a) {
        for (unsigned i = 0; a->conf && i < a->conf->n_interfaces; i++)
                if (iface_up(m, a->conf->interfaces[i]))
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

                if (!iface_up(m, name))
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

/* A takeover or release in the journal (CTDB_MESSAGE_TAKEOVER) with the address and interface as fields. */
#define log_address_event(level, event, address, ifname, ...)                                           \
        do {                                                                                            \
                char e_[64], a_[64], i_[64];                                                            \
                const char *const x_[] = { e_, a_, i_, NULL };                                          \
                snprintf(e_, sizeof(e_), "CTDB_EVENT=%s", (event));                                     \
                snprintf(a_, sizeof(a_), "CTDB_ADDRESS=%s", (address));                                 \
                snprintf(i_, sizeof(i_), "CTDB_INTERFACE=%s", (ifname));                                \
                log_event((level),                                                                      \
                          strcmp((event), "takeip") == 0 ? CTDB_MESSAGE_TAKEOVER : CTDB_MESSAGE_RELEASE, x_, \
                          __VA_ARGS__);                                                                 \
        } while (0)

/* ctdb-takeip.target / ctdb-releaseip.target, with the address, interface and node for the hook. */
static void address_event(ipd_manager *m, const char *event, const char *address, const char *ifname) {
        char a[64], i[64], p[32];
        const char *env[] = { a, i, p, NULL };

        snprintf(a, sizeof(a), "CTDB_ADDRESS=%s", address);
        snprintf(i, sizeof(i), "CTDB_INTERFACE=%s", ifname);
        snprintf(p, sizeof(p), "CTDB_PNN=%" PRIu32, m->pnn);
        if (m->bus)
                (void) ctdb_event_start(m->bus, m->config->run_dir, event, env);
}

static int take(ipd_manager *m, struct ipd_addr *a, char *why, size_t why_len) {
        char s[CTDB_IP_STRLEN], err[256];
        const char *ifname = pick_iface(m, a);
        int r;

        ctdb_ip_to_string(&a->ip, true, s, sizeof(s));
        if (!ifname) {
                snprintf(why, why_len, "%s: no interface of it is up", s);
                return -ENETDOWN;
        }
        /*
         * Removing the first address of a subnet takes every later one of that
         * subnet with it unless the interface promotes secondaries (CTDB needs
         * the same setting): releasing one public address must not drop others.
         */
        r = a->ip.family == AF_INET
                    ? nf_link_set_ipv4_conf(ifname, IPV4_DEVCONF_PROMOTE_SECONDARIES, 1, err, sizeof(err))
                    : 0;
        if (r >= 0)
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
                r = sd_event_add_time_relative(m->event, &a->announce, CLOCK_MONOTONIC, 0,
                                               IPD_TIMER_ACCURACY_USEC, on_announce, a);
                if (r < 0)
                        return r;
                talloc_set_destructor(a, addr_destructor);
        }
        /* The first round now, from this event: the clients' retries must find the address here. */
        on_announce(a->announce, 0, a);
        log_address_event(LOG_NOTICE, "takeip", s, ifname, "Took over %s on %s (%zu connections tickled)", s,
                          ifname, a->n_known);
        ipd_bus_emit(m, "TakenOver", &a->ip, m->pnn);
        address_event(m, CTDB_EVENT_TAKEIP, s, ifname);
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
                        log_address_event(LOG_ERR, "releaseip-failed", s, a->ifname,
                                          "Could not remove %s after %u attempts: %s; it stays on this node",
                                          s, a->release_failures, err);
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
        log_address_event(LOG_NOTICE, "releaseip", s, a->ifname, "Released %s from %s", s, a->ifname);
        ipd_bus_emit(m, "Released", &a->ip, m->pnn);
        address_event(m, CTDB_EVENT_RELEASEIP, s, a->ifname);
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

/*
 * Load balancing and the NAT gateway follow the node flags directly (every
 * node computes the same shares and the same gateway from them). A node that
 * is not quorate sees every peer disconnected and would serve everything
 * alone: it serves nothing instead, as it holds no public address either.
 */
static void shared_update(ipd_manager *m) {
        _cleanup_talloc_ uint32_t *flags = NULL;
        uint32_t n = m->view.n_nodes;
        char err[256];
        int r;

        if ((!m->lb && !m->natgw) || !m->view_known || m->pnn == CTDB_PNN_NONE)
                return;
        flags = talloc_memdup_any(NULL, m->view.flags, n * sizeof(uint32_t));
        if (n && !flags)
                return (void) log_oom();
        for (uint32_t p = 0; m->stepped_out && p < n; p++)
                flags[p] |= CTDB_NODE_FLAG_DISCONNECTED;
        if (m->lb && (r = ipd_lb_update(m->lb, m->pnn, flags, n, err, sizeof(err))) < 0)
                log_warning_errno(r, "Load balancing: %s", err);
        if (m->natgw && (r = ipd_natgw_update(m->natgw, m->pnn, flags, n, err, sizeof(err))) < 0 &&
            r != -EHOSTUNREACH)
                log_warning_errno(r, "NAT gateway: %s", err);
}

void ipd_node_view_changed(ipd_manager *m) {
        bool out = m->view_known && !m->view.quorate;

        if (m->disabled)
                return;
        if (out != m->stepped_out) {
                m->stepped_out = out;
                if (out)
                        ipd_node_release_all(m, "this node is not quorate");
                ipd_state_changed(m);
        }
        shared_update(m);
}

/* ---- interfaces going down ------------------------------------------------------- */

/*
 * An address whose interface went down moves to another interface of its
 * list that is up, on this node (CTDB's updateip); with none up it is no
 * longer available here, and the leader's next run moves it to another node.
 */
static void rehome(ipd_manager *m) {
        for (size_t i = 0; i < m->n_addrs; i++) {
                struct ipd_addr *a = m->addrs[i];
                char why[256];

                if (!a->held || iface_up(m, a->ifname) || !pick_iface(m, a))
                        continue;
                (void) nf_addr_del(a->ifname, &a->ip, NULL, 0);
                a->held = false;
                if (take(m, a, why, sizeof(why)) < 0)
                        log_warning("Moving a public address off a down interface failed: %s", why);
        }
}

static int on_links(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ipd_manager *m = userdata;
        int r = nf_link_monitor_process(m->links, NULL, NULL);

        /* Any change (or lost notifications) may change what this node can host: tell the leader. */
        if (r != 0) {
                TALLOC_FREE(m->ifaces);
                m->n_ifaces = 0;
                rehome(m);
                ipd_state_changed(m);
        }
        return 0;
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

        ipd_state_send_now(m);
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

/*
 * A take phase: every address assigned here is first probed (ARP, IPv4) and
 * added once nobody answers for it. The previous holder may have died with
 * its kernel alive, still answering for its addresses until its cleanup
 * (ExecStopPost=) removes them: taking them before would put them on two
 * hosts. A probe round lasts IPD_PROBE_ROUND_USEC; an address still answered
 * after IPD_PROBE_ROUNDS rounds is taken anyway (its holder is stopped, not
 * dead, and cannot release it), which the log says.
 */
struct take_wait {
        ipd_manager *m;
        uint32_t leader, id;
        struct ctdb_ip *ips;            /* family 0: done */
        bool *busy;                     /* answered in the last round (or: still to be probed) */
        size_t n;
        unsigned round;
        int r;
        char why[256];
        sd_event_source *timer;
};

static int take_wait_destructor(struct take_wait *w) {
        w->timer = sd_event_source_disable_unref(w->timer);
        if (w->m->take_wait == w)
                w->m->take_wait = NULL;
        return 0;
}

static void on_probed(const struct in_addr *sender, void *userdata) {
        struct take_wait *w = userdata;

        for (size_t i = 0; i < w->n; i++)
                if (w->ips[i].family == AF_INET && w->ips[i].u.in.s_addr == sender->s_addr)
                        w->busy[i] = true;
}

/* Takes what is free (or out of rounds) and probes the rest again; whether some remain. */
static bool take_round(struct take_wait *w) {
        ipd_manager *m = w->m;
        size_t left = 0;

        for (size_t i = 0; i < w->n; i++) {
                struct ipd_addr *a = w->ips[i].family ? ipd_addr_find(m, &w->ips[i]) : NULL;
                char s[CTDB_IP_STRLEN];
                const char *ifname;
                int k;

                if (!a || a->held) {
                        w->ips[i].family = 0;
                        continue;
                }
                if (w->busy[i] && w->round < IPD_PROBE_ROUNDS && (ifname = pick_iface(m, a)) &&
                    nf_probe_send(m->probe_fd, ifname, &a->ip, NULL, 0) >= 0) {
                        w->busy[i] = false;
                        left++;
                        continue;
                }
                if (w->busy[i] && w->round >= IPD_PROBE_ROUNDS)
                        log_warning("%s still answers on the network after %llu ms; taking it anyway",
                                    ctdb_ip_to_string(&a->ip, true, s, sizeof(s)),
                                    (unsigned long long) (w->round * IPD_PROBE_ROUND_USEC / USEC_PER_MSEC));
                k = take(m, a, w->why, sizeof(w->why));
                if (k < 0 && w->r >= 0)
                        w->r = k;
                w->ips[i].family = 0;
        }
        w->round++;
        return left > 0;
}

static int on_take_round(sd_event_source *s, uint64_t usec, void *userdata) {
        struct take_wait *w = userdata;

        /* Answered in this round (busy): probe again; not answered: taken now. */
        (void) nf_probe_read(w->m->probe_fd, on_probed, w);
        if (take_round(w)) {
                (void) sd_event_source_set_time_relative(w->timer, IPD_PROBE_ROUND_USEC);
                (void) sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
                return 0;
        }
        phase_reply(w->m, w->leader, w->id, IPD_PHASE_TAKE, w->r, w->why);
        talloc_free(w);
        return 0;
}

/* Starts the take phase of run: 1 when its answer comes later, 0 when there is nothing to take. */
static int take_phase_start(ipd_manager *m, uint32_t leader, const struct ipd_run_msg *run) {
        struct take_wait *w;
        size_t n = 0;
        int r;

        /* A take phase still probing belongs to a run that is over: its leader moved on. */
        TALLOC_FREE(m->take_wait);
        for (size_t i = 0; i < m->n_addrs; i++)
                n += !m->addrs[i]->held && assigned(run, m->addrs[i]) == m->pnn;
        if (n == 0)
                return 0;
        w = talloc_zero(m, struct take_wait);
        if (!w)
                return -ENOMEM;
        w->m = m;
        w->leader = leader;
        w->id = run->id;
        w->ips = talloc_zero_array(w, struct ctdb_ip, n);
        w->busy = talloc_zero_array(w, bool, n);
        if (!w->ips || !w->busy) {
                talloc_free(w);
                return -ENOMEM;
        }
        for (size_t i = 0; i < m->n_addrs; i++)
                if (!m->addrs[i]->held && assigned(run, m->addrs[i]) == m->pnn) {
                        w->ips[w->n] = m->addrs[i]->ip;
                        /* IPv4 is probed first ("busy": probe it), IPv6 taken at once. */
                        w->busy[w->n++] = m->probe_fd >= 0 && m->addrs[i]->ip.family == AF_INET;
                }
        (void) nf_probe_read(m->probe_fd, NULL, NULL); /* what came before says nothing of now */
        r = sd_event_add_time_relative(m->event, &w->timer, CLOCK_MONOTONIC, IPD_PROBE_ROUND_USEC,
                                       IPD_TIMER_ACCURACY_USEC, on_take_round, w);
        if (r < 0) {
                talloc_free(w);
                return r;
        }
        talloc_set_destructor(w, take_wait_destructor);
        m->take_wait = w;
        if (take_round(w))
                return 1;
        /* Nothing to probe (IPv6 only, or no interface up): answered now. */
        phase_reply(m, leader, run->id, IPD_PHASE_TAKE, w->r, w->why);
        talloc_free(w);
        return 1;
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
                                                               IPD_RESET_WAIT_USEC, IPD_TIMER_ACCURACY_USEC,
                                                               on_phase_wait, w);
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
                if (r >= 0 && m->stepped_out) {
                        for (size_t i = 0; i < m->n_addrs && r >= 0; i++)
                                if (!m->addrs[i]->held && assigned(run, m->addrs[i]) == m->pnn) {
                                        snprintf(why, sizeof(why), "not quorate here");
                                        r = -ENOLINK;
                                }
                        break;
                }
                if (r >= 0 && (r = take_phase_start(m, h->src, run)) > 0)
                        return 0; /* answered when the probes are done */
                break;
        case IPD_PHASE_DONE: {
                char gen[48], pnn[32];
                const char *env[] = { gen, pnn, NULL };

                snprintf(gen, sizeof(gen), "CTDB_GENERATION=%" PRIu32, run->generation);
                snprintf(pnn, sizeof(pnn), "CTDB_PNN=%" PRIu32, m->pnn);
                if (m->bus)
                        (void) ctdb_event_start(m->bus, m->config->run_dir, CTDB_EVENT_IPREALLOCATED, env);
                return 0;
        }
        default:
                return -EBADMSG;
        }
        phase_reply(m, h->src, run->id, run->phase, r, why);
        return 0;
}

const struct wire_handler ipd_node_handlers[] = {
        { IPD_MSG_RUN, &ipd_run_desc, on_run },
};
const size_t ipd_node_n_handlers = ELEMENTSOF(ipd_node_handlers);

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

/* CTDB's LVS and NAT gateway configuration (script.options), or nothing when it has none. */
static int shared_new(void *mem_ctx, const char *config_dir, const struct ctdb_nodes *nodes,
                      struct ipd_lb **ret_lb, struct ipd_natgw **ret_natgw) {
        _cleanup_talloc_ char *error = NULL;
        int r = ipd_lb_new(mem_ctx, config_dir, nodes, ret_lb, &error);

        if (r < 0)
                return log_error_errno(r, "Load balancing: %s", error ? error : "bad configuration");
        r = ipd_natgw_new(mem_ctx, config_dir, nodes, ret_natgw, &error);
        if (r < 0)
                return log_error_errno(r, "NAT gateway: %s", error ? error : "bad configuration");
        return 0;
}

int ipd_node_start(ipd_manager *m) {
        char err[256];
        int r = nf_tables_create(err, sizeof(err));

        if (r < 0)
                return log_error_errno(r, "%s", err);
        r = shared_new(m, m->config_dir, m->nodes, &m->lb, &m->natgw);
        if (r < 0)
                return r;
        m->announce_fd = nf_announce_socket();
        if (m->announce_fd < 0)
                return log_error_errno(m->announce_fd,
                                       "Failed to open a packet socket for announcements: %m");
        m->probe_fd = nf_probe_socket();
        if (m->probe_fd < 0)
                return log_error_errno(m->probe_fd, "Failed to open a packet socket for ARP probes: %m");
        r = nf_addr_list(NULL, AF_UNSPEC, on_present, m, err, sizeof(err));
        if (r < 0)
                return log_error_errno(r, "%s", err);
        r = ipd_conns_start(m);
        if (r < 0)
                return r;
        r = nf_link_monitor_new(&m->links);
        if (r >= 0)
                r = sd_event_add_io(m->event, &m->links_event, nf_link_monitor_fd(m->links), EPOLLIN,
                                    on_links, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the interfaces: %m");
        return 0;
}

void ipd_node_stop(ipd_manager *m) {
        m->links_event = sd_event_source_disable_unref(m->links_event);
        m->links = nf_link_monitor_free(m->links);
        ipd_conns_stop(m);
        TALLOC_FREE(m->take_wait);
        if (m->announce_fd >= 0)
                close(m->announce_fd);
        if (m->probe_fd >= 0)
                close(m->probe_fd);
        m->announce_fd = m->probe_fd = -1;
}

int ipd_release_all_offline(const char *config_dir, const struct ctdb_nodes *nodes) {
        _cleanup_talloc_ char *path = ctdb_config_path(NULL, config_dir, "public_addresses"), *error = NULL;
        _cleanup_talloc_ struct ctdb_public_addresses *pa = NULL;
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct ipd_natgw *natgw = NULL;
        struct ipd_lb *lb = NULL;
        char err[256];
        int r, ret = 0;

        if (!path || !tmp)
                return log_oom();
        /* What load balancing and the NAT gateway added (addresses, routes, table arp ctdb). */
        if (shared_new(tmp, config_dir, nodes, &lb, &natgw) < 0)
                ret = -EINVAL;
        if (lb)
                ipd_lb_stop(lb);
        ipd_natgw_release_all(natgw);
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
