/*
 * D-Bus glue of ctdb-ipd: org.ctdb.ipfailover1.Manager at /org/ctdb/ipfailover1
 * (DESIGN.md section 3; bus/org.ctdb.ipfailover1.Manager.xml). Reading is open
 * to everyone; Move, Reload, Rebalance and TrackConnection check polkit action
 * org.ctdb.ipfailover1.manage. Move and Rebalance are answered when the
 * leader's takeover run that serves them is over.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <talloc.h>

#include "bus-util.h"
#include "config.h"
#include "ctdb-names.h"
#include "ctdb-node.h"
#include "ipd-internal.h"
#include "log.h"
#include "talloc-util.h"

struct ipd_bus {
        ipd_manager *m;
        sd_bus *bus;
        polkit_registry *polkit;
        sd_bus_slot *slot;
};

static int bus_destructor(struct ipd_bus *b) {
        b->slot = sd_bus_slot_unref(b->slot);
        b->polkit = polkit_registry_free(b->polkit);
        b->bus = sd_bus_unref(b->bus);
        return 0;
}

static const char *addr_string(const struct ipd_addr *a, char *buf, size_t len) {
        return a->conf ? a->conf->address : ctdb_ip_to_string(&a->ip, true, buf, len);
}

static int property_get_addresses(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        ipd_manager *m = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "(ssu)");

        for (size_t i = 0; r >= 0 && i < m->n_addrs; i++) {
                const struct ipd_addr *a = m->addrs[i];
                char buf[CTDB_IP_STRLEN], ifaces[256] = "";
                size_t len = 0;

                for (unsigned j = 0; a->conf && j < a->conf->n_interfaces; j++) {
                        int k = snprintf(ifaces + len, sizeof(ifaces) - len, "%s%s", j ? "," : "",
                                         a->conf->interfaces[j]);

                        if (k < 0 || (size_t) k >= sizeof(ifaces) - len)
                                break;
                        len += (size_t) k;
                }
                r = sd_bus_message_append(reply, "(ssu)", addr_string(a, buf, sizeof(buf)), ifaces,
                                          a->holder);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int property_get_disabled(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        ipd_manager *m = userdata;

        return sd_bus_message_append(reply, "b", m->disabled);
}

/* A Move or Rebalance answered when its run is over. */
struct pending_call {
        sd_bus_message *call;
};

static int pending_destructor(struct pending_call *p) {
        p->call = sd_bus_message_unref(p->call);
        return 0;
}

static void on_request_done(void *userdata, int error, const char *name, const char *message) {
        struct pending_call *p = userdata;

        if (error < 0)
                (void) sd_bus_reply_method_errorf(p->call, name ? name : CTDB_ERROR_BUSY, "%s",
                                                  message ? message : "the takeover run failed");
        else
                (void) sd_bus_reply_method_return(p->call, NULL);
        talloc_free(p);
}

static int request(ipd_manager *m, sd_bus_message *call, uint32_t op, const struct ctdb_ip *a, uint32_t pnn,
                   sd_bus_error *error) {
        struct pending_call *p = talloc_zero(m, struct pending_call);
        int r;

        if (!p)
                return -ENOMEM;
        p->call = sd_bus_message_ref(call);
        talloc_set_destructor(p, pending_destructor);
        r = ipd_takeover_request(m, op, a, pnn, on_request_done, p);
        if (r < 0) {
                talloc_free(p);
                if (r == -ENOTCONN)
                        return sd_bus_error_set(error, CTDB_ERROR_NOT_LEADER,
                                                "There is no leader to run a takeover (not quorate?)");
                if (r == -EBUSY)
                        return sd_bus_error_set(error, CTDB_ERROR_BUSY,
                                                "Too many moves are waiting for the next takeover run");
                return r;
        }
        return 1;
}

static int check_enabled(ipd_manager *m, sd_bus_error *error) {
        if (m->disabled)
                return sd_bus_error_set(error, CTDB_ERROR_NOT_SUPPORTED,
                                        "IP failover is disabled on this node ([failover] disabled = true)");
        return 0;
}

static int method_move(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        ipd_manager *m = userdata;
        struct ipd_bus *b = m->bus_state;
        const char *s;
        struct ctdb_ip ip;
        struct ipd_addr *a;
        uint32_t pnn;
        int r = sd_bus_message_read(call, "su", &s, &pnn);

        if (r < 0)
                return r;
        if (ctdb_ip_prefix_from_string(s, &ip, NULL) < 0)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS, "'%s' is not an IP address", s);
        if (pnn >= m->n_nodes || (ipd_node_flags(m, pnn) & CTDB_NODE_FLAG_DELETED))
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS, "There is no node %" PRIu32, pnn);
        a = ipd_addr_find(m, &ip);
        if (!a)
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_FOUND, "No node has the public address %s",
                                         s);
        r = check_enabled(m, error);
        if (r < 0)
                return r;
        if (a->holder == pnn)
                return sd_bus_reply_method_return(call, NULL);

        r = bus_verify_polkit_async(call, CTDB_POLKIT_IPFAILOVER_MANAGE, &b->polkit, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return request(m, call, IPD_OP_MOVE, &ip, pnn, error);
}

static int method_rebalance(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        struct ipd_bus *b = ((ipd_manager *) userdata)->bus_state;
        int r = check_enabled(b->m, error);

        if (r < 0)
                return r;
        r = bus_verify_polkit_async(call, CTDB_POLKIT_IPFAILOVER_MANAGE, &b->polkit, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return request(b->m, call, IPD_OP_REBALANCE, NULL, 0, error);
}

static int method_reload(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        struct ipd_bus *b = ((ipd_manager *) userdata)->bus_state;
        _cleanup_talloc_ char *why = NULL;
        int r = bus_verify_polkit_async(call, CTDB_POLKIT_IPFAILOVER_MANAGE, &b->polkit, error);

        if (r <= 0)
                return r < 0 ? r : 1;
        r = ipd_manager_reload(b->m, NULL, &why);
        if (r == -EINVAL)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS, "%s",
                                         why ? why : "bad public_addresses");
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(call, NULL);
}

/*
 * TrackConnection(s server, s client), "ADDRESS:PORT" each: what smbd tells
 * ctdbd.socket of a client (TCP_CLIENT), so that the node taking the address
 * over tickles it. The SYN-ACK log has it too, from the kernel.
 */
static int method_track_connection(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        ipd_manager *m = userdata;
        struct ipd_bus *b = m->bus_state;
        union nf_sockaddr server, client;
        const char *s, *c;
        int r = sd_bus_message_read(call, "ss", &s, &c);

        if (r < 0)
                return r;
        if (nf_sockaddr_from_string(s, &server) < 0 || nf_sockaddr_from_string(c, &client) < 0 ||
            server.sa.sa_family != client.sa.sa_family)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "'%s' and '%s' are not ADDRESS:PORT of one family", s, c);
        r = check_enabled(m, error);
        if (r < 0)
                return r;
        r = bus_verify_polkit_async(call, CTDB_POLKIT_IPFAILOVER_MANAGE, &b->polkit, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = ipd_conns_track(m, &server, &client);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_FOUND, "This node holds no public address %s",
                                         s);
        if (r == -ENOBUFS)
                return sd_bus_error_setf(error, CTDB_ERROR_BUSY,
                                         "%u connections of that address are tracked already",
                                         IPD_MAX_CONNS);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(call, NULL);
}

static int method_plan(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        ipd_manager *m = userdata;
        _cleanup_talloc_ uint32_t *pnn = talloc_array(NULL, uint32_t, m->n_addrs ? m->n_addrs : 1);
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        const void *flags;
        size_t size;
        int r = sd_bus_message_read_array(call, 'u', &flags, &size);

        if (r < 0)
                return r;
        if (!pnn)
                return -ENOMEM;
        if (size && size / sizeof(uint32_t) != m->n_nodes)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "Give the flags of all %" PRIu32 " nodes, or none", m->n_nodes);
        r = ipd_takeover_plan(m, size ? flags : NULL, (uint32_t) (size / sizeof(uint32_t)), false, NULL, 0,
                              pnn);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(su)");
        for (size_t i = 0; r >= 0 && i < m->n_addrs; i++) {
                char buf[CTDB_IP_STRLEN];

                r = sd_bus_message_append(reply, "(su)", addr_string(m->addrs[i], buf, sizeof(buf)), pnn[i]);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Addresses", "a(ssu)", property_get_addresses, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Disabled", "b", property_get_disabled, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("TakeoverRuns", "u", NULL, offsetof(ipd_manager, runs_led), 0),
        SD_BUS_METHOD_WITH_ARGS("Move", SD_BUS_ARGS("s", address, "u", pnn), SD_BUS_NO_RESULT, method_move,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Reload", NULL, NULL, method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Rebalance", NULL, NULL, method_rebalance, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("TrackConnection", SD_BUS_ARGS("s", server, "s", client), SD_BUS_NO_RESULT,
                                method_track_connection, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Plan", SD_BUS_ARGS("au", flags), SD_BUS_RESULT("a(su)", plan), method_plan,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("TakenOver", SD_BUS_ARGS("s", address, "u", pnn), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Released", SD_BUS_ARGS("s", address, "u", pnn), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Failed", SD_BUS_ARGS("s", address, "s", operation, "s", message), 0),
        SD_BUS_VTABLE_END,
};

int ipd_bus_add(ipd_manager *m, sd_bus *bus) {
        struct ipd_bus *b = talloc_zero(m, struct ipd_bus);
        int r;

        if (!b)
                return log_oom();
        b->m = m;
        b->bus = sd_bus_ref(bus);
        talloc_set_destructor(b, bus_destructor);
        /* The vtable's offsets are into the manager: it is the userdata; the glue is m->bus_state. */
        r = sd_bus_add_object_vtable(bus, &b->slot, IPD_MANAGER_PATH, IPD_MANAGER_IFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the manager object: %m");
        m->bus_state = b;
        return 0;
}

void ipd_bus_addresses_changed(ipd_manager *m) {
        if (m->bus_state)
                (void) sd_bus_emit_properties_changed(m->bus, IPD_MANAGER_PATH, IPD_MANAGER_IFACE,
                                                      "Addresses", NULL);
}

void ipd_bus_emit(ipd_manager *m, const char *signal, const struct ctdb_ip *a, uint32_t pnn) {
        char buf[CTDB_IP_STRLEN];

        (void) sd_bus_emit_signal(m->bus, IPD_MANAGER_PATH, IPD_MANAGER_IFACE, signal, "su",
                                  ctdb_ip_to_string(a, true, buf, sizeof(buf)), pnn);
}

void ipd_bus_emit_failed(ipd_manager *m, const struct ctdb_ip *a, const char *op, const char *message) {
        char buf[CTDB_IP_STRLEN];

        (void) sd_bus_emit_signal(m->bus, IPD_MANAGER_PATH, IPD_MANAGER_IFACE, "Failed", "sss",
                                  ctdb_ip_to_string(a, true, buf, sizeof(buf)), op, message);
}
