/*
 * The client connections of the public addresses this node holds, as every
 * node must know them to tickle after a takeover: read from the nftables
 * table's tracked sets every IPD_CONNS_POLL_USEC (the whole list of an address
 * goes to the others when it changed: connections that ended), and each new
 * one at once from the log of SYN-ACKs (an ADD), so that a node failing right
 * after a client connected leaves a taker that knows of it. What the others
 * send is kept per address (a->known) until this node takes it over.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "event-util.h"
#include "ipd-internal.h"
#include "log.h"
#include "nf-log.h"
#include "nf-tables.h"
#include "talloc-util.h"

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

/* The n connections c of a to pnn: the whole list, or (IPD_CONNS_ADD) new ones. */
static int send_conns(ipd_manager *m, uint32_t pnn, const struct ipd_addr *a, const struct ipd_conn *c,
                      size_t n, uint32_t flags) {
        _cleanup_talloc_ struct ipd_wire_conn *w = talloc_array(NULL, struct ipd_wire_conn, n ? n : 1);
        struct ipd_conns_msg msg = { .flags = flags, .n_conns = (uint32_t) n, .conns = w };

        if (!w)
                return -ENOMEM;
        ipd_wire_ip_set(&msg.ip, &a->ip);
        for (size_t i = 0; i < n; i++)
                conn_to_wire(&c[i], &w[i]);
        return ipd_send(m, pnn, &ipd_conns_desc, &msg);
}

void ipd_conns_send_all(ipd_manager *m, uint32_t pnn) {
        for (size_t i = 0; i < m->n_addrs; i++)
                if (m->addrs[i]->held && m->addrs[i]->n_tracked)
                        (void) send_conns(m, pnn, m->addrs[i], m->addrs[i]->tracked, m->addrs[i]->n_tracked,
                                          0);
}

static int on_conns(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t payload_len) {
        ipd_manager *m = userdata;
        const struct ipd_conns_msg *c = msg;
        struct ipd_conn *known;
        size_t base, total = 0;
        struct ipd_addr *a;
        struct ctdb_ip ip;

        if (ipd_wire_ip_get(&c->ip, &ip) < 0)
                return -EBADMSG;
        a = ipd_addr_find(m, &ip);
        /* Only the holder's list counts; a list for what this node holds now is stale. */
        if (!a || a->held)
                return 0;
        base = c->flags & IPD_CONNS_ADD ? a->n_known : 0;
        if (base + c->n_conns > IPD_MAX_CONNS)
                return -ENOBUFS;
        /* What other nodes make this one keep is bounded in all, not only per address. */
        for (size_t i = 0; i < m->n_addrs; i++)
                total += m->addrs[i] == a ? 0 : m->addrs[i]->n_known;
        if (total + base + c->n_conns > IPD_MAX_KNOWN_CONNS)
                return -ENOBUFS;
        known = talloc_array(a, struct ipd_conn, base + c->n_conns ? base + c->n_conns : 1);
        if (!known)
                return -ENOMEM;
        if (base)
                memcpy(known, a->known, base * sizeof(*known));
        for (uint32_t i = 0; i < c->n_conns; i++)
                if (conn_from_wire(&c->conns[i], &known[base + i]) < 0) {
                        talloc_free(known);
                        return -EBADMSG;
                }
        talloc_free(a->known);
        a->known = known;
        a->n_known = base + c->n_conns;
        return 0;
}

const struct wire_handler ipd_conns_handlers[] = {
        { IPD_MSG_CONNS, &ipd_conns_desc, on_conns },
};
const size_t ipd_conns_n_handlers = ELEMENTSOF(ipd_conns_handlers);

/* A connection with nothing but family, addresses and ports set: compared with memcmp(). */
static struct ipd_conn conn_make(const union nf_sockaddr *client, const union nf_sockaddr *server) {
        struct ipd_wire_conn w;
        struct ipd_conn c = { .client = *client, .server = *server };

        conn_to_wire(&c, &w);
        (void) conn_from_wire(&w, &c);
        return c;
}

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
        p->lists[i][p->n[i]++] = conn_make(&c->client, &c->server);
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
                r = send_conns(m, CTDB_PNN_ALL, a, a->tracked, a->n_tracked, 0);
                if (r < 0 && r != -ENOTCONN)
                        log_debug_errno(r, "Failed to send tracked connections: %m");
        }
        return 0;
}

/* Inserts c into a's sorted tracked list: 1, or 0 if it is there already, or -ENOBUFS / -ENOMEM. */
static int tracked_insert(struct ipd_addr *a, const struct ipd_conn *c) {
        size_t lo = 0, hi = a->n_tracked;
        struct ipd_conn *l;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int k = cmp_conn(&a->tracked[mid], c);

                if (k == 0)
                        return 0;
                if (k < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (a->n_tracked >= IPD_MAX_CONNS)
                return -ENOBUFS;
        l = talloc_realloc(a, a->tracked, struct ipd_conn, a->n_tracked + 1);
        if (!l)
                return -ENOMEM;
        memmove(l + lo + 1, l + lo, (a->n_tracked - lo) * sizeof(*l));
        l[lo] = *c;
        a->tracked = l;
        a->n_tracked++;
        return 1;
}

static int on_added_defer(sd_event_source *s, void *userdata) {
        ipd_manager *m = userdata;

        for (size_t i = 0; i < m->n_addrs; i++) {
                struct ipd_addr *a = m->addrs[i];
                int r;

                if (!a->n_added)
                        continue;
                r = a->held ? send_conns(m, CTDB_PNN_ALL, a, a->added, a->n_added, IPD_CONNS_ADD) : 0;
                if (r < 0 && r != -ENOTCONN)
                        log_debug_errno(r, "Failed to send new connections: %m");
                TALLOC_FREE(a->added);
                a->n_added = 0;
        }
        return 0;
}

int ipd_conns_track(ipd_manager *m, const union nf_sockaddr *server, const union nf_sockaddr *client) {
        struct ipd_conn c = conn_make(client, server);
        struct ctdb_ip ip;
        struct ipd_addr *a;
        struct ipd_conn *l;
        int r;

        if (ctdb_ip_from_sockaddr(&server->sa, sizeof(*server), 0, &ip) < 0)
                return -EINVAL;
        a = ipd_addr_find(m, &ip);
        if (!a || !a->held)
                return -ENOENT;
        r = tracked_insert(a, &c);
        if (r <= 0)
                return r;
        l = talloc_realloc(a, a->added, struct ipd_conn, a->n_added + 1);
        if (!l)
                return -ENOMEM;
        l[a->n_added++] = c;
        a->added = l;
        r = event_defer_oneshot(m->event, &m->added_defer, on_added_defer, m);
        return r < 0 ? r : 1;
}

/* A SYN-ACK from a public address: a connection the others must know of now. */
static void on_logged(const union nf_sockaddr *server, const union nf_sockaddr *client, void *userdata) {
        /* One not taken (not held here, no room) is not lost: the next read of the set has it. */
        (void) ipd_conns_track(userdata, server, client);
}

static int on_log(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ipd_manager *m = userdata;
        int r = nf_log_process(m->log, on_logged, m);

        /* Lost ones are in the tracked set: the next read of it sends them. */
        if (r < 0)
                log_debug_errno(r, "Reading the SYN-ACK log: %m");
        return 0;
}

int ipd_conns_start(ipd_manager *m) {
        char err[256];
        int r = nf_log_new(NF_LOG_GROUP, &m->log, err, sizeof(err));

        if (r < 0)
                return log_error_errno(r, "%s", err);
        r = sd_event_add_io(m->event, &m->log_event, nf_log_fd(m->log), EPOLLIN, on_log, m);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &m->conns_timer, CLOCK_MONOTONIC,
                                               IPD_CONNS_POLL_USEC, IPD_TIMER_ACCURACY_USEC, on_conns_timer,
                                               m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->conns_timer, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the connections: %m");
        return 0;
}

void ipd_conns_stop(ipd_manager *m) {
        m->conns_timer = sd_event_source_disable_unref(m->conns_timer);
        m->log_event = sd_event_source_disable_unref(m->log_event);
        m->added_defer = sd_event_source_disable_unref(m->added_defer);
        m->log = nf_log_free(m->log);
}
