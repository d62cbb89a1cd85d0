/*
 * ctdbd.socket's view of the public addresses: ctdb-ipd's Addresses
 * (org.ctdb.ipfailover1), followed over D-Bus, answer GET_PUBLIC_IPS and
 * GET_PUBLIC_IP_INFO; its Released signal for an address of this node becomes
 * CTDB_SRVID_RELEASE_IP to this node's clients, which is how smbd learns to
 * drop the connections it served on it (notes, sections 3.2 and 6.4). smbd's
 * TCP_CLIENT goes to ipd's TrackConnection, for the taker's tickles.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <talloc.h>

#include "bus-name.h"
#include "ctdb-names.h"
#include "ctdb-server.h"
#include "dbd-internal.h"
#include "ip-address.h"
#include "log.h"
#include "talloc-util.h"

#define IPD_RELEASED_MATCH                                                                               \
        "type='signal',sender='" IPD_BUS_NAME "',path='" IPD_MANAGER_PATH "',interface='" IPD_MANAGER_IFACE \
        "',member='Released'"

struct public_addr {
        struct ctdb_ip ip;
        char *interfaces; /* comma-separated */
        uint32_t pnn;     /* holder, CTDB_UNKNOWN_PNN for none */
};

struct dbd_ctdb_ips {
        dbd_manager *m;
        struct bus_properties_watch *watch;
        sd_bus_slot *released;
        struct public_addr *addrs; /* talloc array */
};

/* Addresses a(ssu) into a new array; the old one is replaced only when all of it parsed. */
static int read_addresses(struct dbd_ctdb_ips *ips, sd_bus_message *msg) {
        _cleanup_talloc_ struct public_addr *addrs = talloc_array(NULL, struct public_addr, 0);
        const char *address, *ifaces;
        uint32_t pnn;
        size_t n = 0;
        int r = sd_bus_message_enter_container(msg, 'a', "(ssu)");

        while (r >= 0 && addrs && (r = sd_bus_message_read(msg, "(ssu)", &address, &ifaces, &pnn)) > 0) {
                struct public_addr *a = talloc_realloc(NULL, addrs, struct public_addr, n + 1);

                if (!a)
                        return -ENOMEM;
                addrs = a;
                if (ctdb_ip_prefix_from_string(address, &addrs[n].ip, NULL) < 0)
                        continue;
                addrs[n].interfaces = talloc_strdup(addrs, ifaces);
                addrs[n].pnn = pnn;
                n++;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        if (r < 0 || !addrs)
                return r < 0 ? r : -ENOMEM;
        talloc_free(ips->addrs);
        ips->addrs = talloc_steal(ips, addrs);
        addrs = NULL;
        return 0;
}

static int read_property(void *userdata, const char *name, sd_bus_message *msg) {
        int r;

        if (strcmp(name, "Addresses") != 0)
                return 0;
        r = sd_bus_message_enter_container(msg, 'v', "a(ssu)");
        if (r >= 0)
                r = read_addresses(userdata, msg);
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        return r < 0 ? r : 1;
}

static int on_properties(void *userdata, sd_bus_message *properties, bool all) {
        return bus_properties_read(properties, read_property, userdata);
}

/* No ipd: no public address, as CTDB without any. */
static void on_ipd_gone(void *userdata) {
        struct dbd_ctdb_ips *ips = userdata;

        TALLOC_FREE(ips->addrs);
}

static const struct bus_properties_ops ipd_ops = {
        .changed = on_properties,
        .gone = on_ipd_gone,
};

/* Released(s address, u pnn): smbd's children that served it end (CTDB_SRVID_RELEASE_IP, the bare address).
 */
static int on_released(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        struct dbd_ctdb_ips *ips = userdata;
        dbd_manager *m = ips->m;
        const char *address, *slash;
        char bare[64];
        uint32_t pnn;

        if (sd_bus_message_read(msg, "su", &address, &pnn) < 0 || pnn != m->pnn || !m->ctdb)
                return 0;
        slash = strchr(address, '/');
        snprintf(bare, sizeof(bare), "%.*s", slash ? (int) (slash - address) : (int) strlen(address),
                 address);
        ctdb_server_deliver(m->ctdb, m->pnn, CTDB_SRVID_RELEASE_IP, (const uint8_t *) bare,
                            strlen(bare) + 1);
        return 0;
}

static int ips_destructor(struct dbd_ctdb_ips *ips) {
        ips->released = sd_bus_slot_unref(ips->released);
        return 0;
}

int dbd_ctdb_ips_start(dbd_manager *m) {
        struct dbd_ctdb_ips *ips = talloc_zero(m, struct dbd_ctdb_ips);
        int r;

        if (!ips)
                return -ENOMEM;
        ips->m = m;
        talloc_set_destructor(ips, ips_destructor);
        r = sd_bus_add_match(m->bus, &ips->released, IPD_RELEASED_MATCH, on_released, ips);
        if (r >= 0)
                r = bus_properties_watch_new(ips, m->bus, IPD_BUS_NAME, IPD_MANAGER_PATH, IPD_MANAGER_IFACE,
                                             &ipd_ops, ips, &ips->watch);
        if (r < 0) {
                talloc_free(ips);
                return r;
        }
        m->ctdb_ips = ips;
        return 0;
}

/* GET_PUBLIC_IPS: every public address of the cluster and its holder. */
void dbd_ctdb_public_ips(dbd_manager *m, struct ctdb_request *req) {
        struct dbd_ctdb_ips *ips = m->ctdb_ips;
        size_t n = ips ? talloc_array_length(ips->addrs) : 0;
        _cleanup_talloc_ struct ctdb_public_ip *list =
                talloc_zero_array(NULL, struct ctdb_public_ip, n ? n : 1);

        if (!list)
                return ctdb_request_reply_control(req, -1, NULL, 0, "out of memory");
        for (size_t i = 0; i < n; i++) {
                list[i].pnn = ips->addrs[i].pnn;
                ctdb_sock_addr_from_ip(&ips->addrs[i].ip, 0, &list[i].addr);
        }
        ctdb_request_reply_payload(req, &ctdb_public_ip_list_desc,
                                   &(struct ctdb_public_ip_list){ (uint32_t) n, list });
}

/* GET_PUBLIC_IP_INFO: one address, its holder and its interfaces (all up: ipd moves it off a dead one). */
void dbd_ctdb_public_ip_info(dbd_manager *m, struct ctdb_request *req) {
        struct dbd_ctdb_ips *ips = m->ctdb_ips;
        size_t n = ips ? talloc_array_length(ips->addrs) : 0;
        struct ctdb_iface ifaces[CTDB_CONTROL_MAX_IFACES];
        struct ctdb_sock_addr want;
        struct ctdb_public_ip_info info = { 0 };
        struct ctdb_ip ip;

        if (ctdb_payload_unpack(&ctdb_sock_addr_desc, NULL, req->control.data, req->control.datalen, &want) <
                    0 ||
            ctdb_sock_addr_to_ip(&want, &ip, NULL) < 0)
                return ctdb_request_reply_control(req, -1, NULL, 0, "GET_PUBLIC_IP_INFO: bad address");
        for (size_t i = 0; i < n; i++) {
                const struct public_addr *a = &ips->addrs[i];
                const char *p = a->interfaces;

                if (!ctdb_ip_equal(&a->ip, &ip))
                        continue;
                info.ip.pnn = a->pnn;
                info.ip.addr = want;
                while (p && *p && info.num_ifaces < CTDB_CONTROL_MAX_IFACES) {
                        size_t len = strcspn(p, ",");
                        struct ctdb_iface *f = &ifaces[info.num_ifaces++];

                        *f = (struct ctdb_iface){ .link_state = 1, .references = a->pnn == m->pnn };
                        snprintf(f->name, sizeof(f->name), "%.*s", (int) len, p);
                        p += len + (p[len] == ',');
                }
                info.ifaces = ifaces;
                return ctdb_request_reply_payload(req, &ctdb_public_ip_info_desc, &info);
        }
        ctdb_request_reply_control(req, -1, NULL, 0, "not a public address of this cluster");
}

/* "ADDRESS:PORT", "[ADDRESS]:PORT" for IPv6, as ipd's TrackConnection reads it. */
static int sock_addr_string(const struct ctdb_sock_addr *a, char *buf, size_t len) {
        char ip_buf[CTDB_IP_STRLEN];
        struct ctdb_ip ip;
        uint16_t port;
        int r = ctdb_sock_addr_to_ip(a, &ip, &port);

        if (r < 0)
                return r;
        ctdb_ip_to_string(&ip, false, ip_buf, sizeof(ip_buf));
        r = snprintf(buf, len, ip.family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip_buf, port);
        return r < 0 || (size_t) r >= len ? -EINVAL : 0;
}

static int on_tracked(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct ctdb_request *req = dbd_ctdb_op_take(userdata);
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        /* A connection to another address (the node's own) is none of ipd's business, as in ctdbd. */
        if (e && sd_bus_error_has_name(e, CTDB_ERROR_NOT_FOUND))
                e = NULL;
        if (e)
                log_debug("ctdb-ipd did not track a TCP_CLIENT connection: %s", e->message);
        if (req)
                ctdb_request_reply_control(req, e ? -1 : 0, NULL, 0, e ? e->message : NULL);
        return 0;
}

/* TCP_CLIENT (smbd sends it NOREPLY): dst is smbd's side, the public address; src the client's. */
void dbd_ctdb_tcp_client(dbd_manager *m, struct ctdb_request *req) {
        char server[CTDB_IP_STRLEN + 8], client[CTDB_IP_STRLEN + 8];
        struct ctdb_connection c;
        struct pending_op *op;
        int r;

        r = ctdb_payload_unpack(&ctdb_connection_desc, NULL, req->control.data, req->control.datalen, &c);
        if (r >= 0)
                r = sock_addr_string(&c.dst, server, sizeof(server));
        if (r >= 0)
                r = sock_addr_string(&c.src, client, sizeof(client));
        if (r < 0)
                return ctdb_request_reply_control(req, -1, NULL, 0, "TCP_CLIENT: bad connection");
        op = dbd_ctdb_op_new(m, req);
        if (!op)
                return ctdb_request_reply_control(req, -1, NULL, 0, "out of memory");
        r = sd_bus_call_method_async(m->bus, NULL, IPD_BUS_NAME, IPD_MANAGER_PATH, IPD_MANAGER_IFACE,
                                     "TrackConnection", on_tracked, op, "ss", server, client);
        if (r < 0 && (req = dbd_ctdb_op_take(op)))
                ctdb_request_reply_control(req, -1, NULL, 0, "ctdb-ipd cannot be asked");
}
