/*
 * org.ctdb.tunnel1.Manager: link state for people and tools, and a slow-path
 * message API (Send, Register) for programs that speak only D-Bus. Programs that
 * exchange messages at rate use the local socket (libctdb-client) instead.
 *
 * Links carries byte counters that change with every frame, so it is declared
 * EMITS_INVALIDATION and invalidated only when a link connects or disconnects;
 * the counters are read on demand.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bus-util.h"
#include "log.h"
#include "talloc-util.h"
#include "tunneld-bus.h"
#include "tunneld-link.h"
#include "tunneld-manager.h"


struct bus_reg {
        struct bus_registry *registry;
        struct bus_reg *next;
        uint64_t srvid;
        sd_bus_track *track; /* the callers registered for srvid */
};

struct bus_registry {
        struct tunneld_manager *manager;
        sd_bus_slot *slot;
        struct bus_reg *regs;
        unsigned n_regs;
};

static int bus_reg_destructor(struct bus_reg *reg) {
        struct bus_registry *br = reg->registry;

        for (struct bus_reg **p = &br->regs; *p; p = &(*p)->next)
                if (*p == reg) {
                        *p = reg->next;
                        br->n_regs--;
                        break;
                }
        sd_bus_track_unref(reg->track);
        return 0;
}

static int bus_registry_destructor(struct bus_registry *br) {
        while (br->regs)
                talloc_free(br->regs);
        sd_bus_slot_unref(br->slot);
        if (br->manager->bus) {
                sd_bus_unref(br->manager->bus);
                br->manager->bus = NULL;
        }
        return 0;
}

static struct bus_reg *bus_reg_find(struct bus_registry *br, uint64_t srvid) {
        for (struct bus_reg *reg = br->regs; reg; reg = reg->next)
                if (reg->srvid == srvid)
                        return reg;
        return NULL;
}

/* The registration for srvid if the sender of msg holds it, else NULL. */
static struct bus_reg *bus_reg_find_sender(struct bus_registry *br, uint64_t srvid, sd_bus_message *msg) {
        struct bus_reg *reg = bus_reg_find(br, srvid);

        return reg && sd_bus_track_count_sender(reg->track, msg) > 0 ? reg : NULL;
}

/* The last caller registered for a srvid left the bus (or deregistered). */
static int bus_reg_track_handler(sd_bus_track *track, void *userdata) {
        struct bus_reg *reg = userdata;

        talloc_free(reg);
        return 0;
}

static int property_get_links(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct tunneld_manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(usbtt)");
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < m->nodes->n_nodes; i++) {
                struct link *l = m->links[i];
                if (!l)
                        continue;
                r = sd_bus_message_append(reply, "(usbtt)", l->pnn, l->address, (int) l->up, l->tx_bytes,
                                          l->rx_bytes);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int method_send(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct tunneld_manager *m = userdata;
        struct wire_header h = { .kind = WIRE_KIND_MESSAGE };
        struct wire_message wm;
        _cleanup_talloc_ uint8_t *payload = NULL;
        const void *data;
        uint64_t srvid;
        uint32_t pnn;
        size_t size;
        int r;

        r = sd_bus_message_read(msg, "ut", &pnn, &srvid);
        if (r < 0)
                return r;
        r = sd_bus_message_read_array(msg, 'y', &data, &size);
        if (r < 0)
                return r;

        if (pnn != CTDB_PNN_ALL && pnn != m->pnn && !tunneld_manager_get_link(m, pnn))
                return sd_bus_error_setf(
                        error, CTDB_ERROR_INVALID_ARGS,
                        "Node %u is not a configured node (this cluster has %u node slots).", pnn,
                        m->nodes->n_nodes);
        if (size > WIRE_FRAME_MAX - WIRE_HEADER_SIZE - sizeof(uint32_t))
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "A message of %zu bytes is above the limit of %zu bytes.", size,
                                         (size_t) (WIRE_FRAME_MAX - WIRE_HEADER_SIZE - sizeof(uint32_t)));

        r = bus_verify_polkit_async(msg, CTDB_POLKIT_TUNNEL_SEND, &m->polkit_registry, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* polkit will call us back */

        wm = (struct wire_message){ .data = data, .data_len = (uint32_t) size };
        payload = talloc_size(NULL, wire_payload_size(&wire_message_desc, &wm));
        if (!payload)
                return -ENOMEM;
        r = wire_pack(&wire_message_desc, &wm, payload, wire_payload_size(&wire_message_desc, &wm));
        if (r < 0)
                return r;
        h.src = m->pnn;
        h.dst = pnn;
        h.srvid = srvid;
        r = tunneld_manager_send_message(m, &h, payload, (size_t) r);
        if (r == -ENOTCONN)
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_CONNECTED, "Node %u is not connected.", pnn);
        if (r == -ENOBUFS)
                return sd_bus_error_setf(error, CTDB_ERROR_BUSY,
                                         "The send queue to node %u is full; try again later.", pnn);
        if (r < 0)
                return r;

        return sd_bus_reply_method_return(msg, NULL);
}

static int method_register(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct tunneld_manager *m = userdata;
        struct bus_registry *br = m->bus_registry;
        struct bus_reg *reg;
        uint64_t srvid;
        int r;

        r = sd_bus_message_read(msg, "t", &srvid);
        if (r < 0)
                return r;

        if (bus_reg_find_sender(br, srvid, msg))
                return sd_bus_reply_method_return(msg, NULL);

        /* Messages may carry cluster state: receiving them needs the same right as sending. */
        r = bus_verify_polkit_async(msg, CTDB_POLKIT_TUNNEL_SEND, &m->polkit_registry, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1;

        reg = bus_reg_find(br, srvid);
        if (!reg) {
                if (br->n_regs >= BUS_REGISTRATIONS_MAX)
                        return sd_bus_error_setf(error, CTDB_ERROR_BUSY,
                                                 "Too many srvids registered over D-Bus (limit %u); "
                                                 "use libctdb-client for this.",
                                                 BUS_REGISTRATIONS_MAX);
                reg = talloc_zero(br, struct bus_reg);
                if (!reg)
                        return -ENOMEM;
                reg->registry = br;
                reg->srvid = srvid;
                reg->next = br->regs;
                br->regs = reg;
                br->n_regs++;
                talloc_set_destructor(reg, bus_reg_destructor);
                r = sd_bus_track_new(m->bus, &reg->track, bus_reg_track_handler, reg);
                if (r < 0) {
                        talloc_free(reg);
                        return r;
                }
        }
        r = sd_bus_track_add_sender(reg->track, msg);
        if (r < 0) {
                if (sd_bus_track_count(reg->track) == 0)
                        talloc_free(reg);
                return r;
        }

        return sd_bus_reply_method_return(msg, NULL);
}

static int method_deregister(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct tunneld_manager *m = userdata;
        struct bus_reg *reg;
        uint64_t srvid;
        int r;

        r = sd_bus_message_read(msg, "t", &srvid);
        if (r < 0)
                return r;

        /* Only the caller's own registration goes, so no polkit check is needed. */
        reg = bus_reg_find_sender(m->bus_registry, srvid, msg);
        if (reg) {
                r = sd_bus_track_remove_sender(reg->track, msg);
                if (r < 0)
                        return r;
                if (sd_bus_track_count(reg->track) == 0)
                        talloc_free(reg);
        }
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_reload_nodes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct tunneld_manager *m = userdata;
        int r;

        r = bus_verify_polkit_async(msg, CTDB_POLKIT_CLUSTER_MANAGE, &m->polkit_registry, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* polkit will call us back */
        r = tunneld_manager_reload_nodes(m, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static const sd_bus_vtable tunneld_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("ThisNode", "u", NULL, offsetof(struct tunneld_manager, pnn),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Links", "a(usbtt)", property_get_links, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("BadFrames", "t", NULL, offsetof(struct tunneld_manager, bad_frames),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RejectedPeers", "t", NULL, offsetof(struct tunneld_manager, rejected_peers),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Send", SD_BUS_ARGS("u", pnn, "t", srvid, "ay", data), SD_BUS_NO_RESULT,
                                method_send, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Register", SD_BUS_ARGS("t", srvid), SD_BUS_NO_RESULT, method_register,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Deregister", SD_BUS_ARGS("t", srvid), SD_BUS_NO_RESULT, method_deregister,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ReloadNodes", "", "", method_reload_nodes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("LinkChanged", SD_BUS_ARGS("u", pnn, "b", connected), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Message", SD_BUS_ARGS("u", from_pnn, "t", srvid, "ay", data), 0),
        SD_BUS_VTABLE_END,
};

int tunneld_bus_add(struct tunneld_manager *m, sd_bus *bus) {
        struct bus_registry *br;
        int r;

        br = talloc_zero(m, struct bus_registry);
        if (!br)
                return -ENOMEM;
        br->manager = m;
        m->bus = sd_bus_ref(bus);
        m->bus_registry = br;
        talloc_set_destructor(br, bus_registry_destructor);

        r = sd_bus_add_object_vtable(bus, &br->slot, TUNNELD_BUS_PATH, TUNNELD_BUS_INTERFACE,
                                     tunneld_manager_vtable, m);
        if (r < 0) {
                m->bus_registry = NULL;
                talloc_free(br);
                return r;
        }
        return 0;
}

void tunneld_bus_link_changed(struct tunneld_manager *m, uint32_t pnn, bool up) {
        int r;

        r = sd_bus_emit_signal(m->bus, TUNNELD_BUS_PATH, TUNNELD_BUS_INTERFACE, "LinkChanged", "ub", pnn,
                               (int) up);
        if (r < 0)
                log_debug_errno(r, "Failed to emit LinkChanged: %m");
        r = sd_bus_emit_properties_changed(m->bus, TUNNELD_BUS_PATH, TUNNELD_BUS_INTERFACE, "Links", NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to emit PropertiesChanged for Links: %m");
}

void tunneld_bus_property_changed(struct tunneld_manager *m, const char *property) {
        int r;

        r = sd_bus_emit_properties_changed(m->bus, TUNNELD_BUS_PATH, TUNNELD_BUS_INTERFACE, property, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to emit PropertiesChanged for %s: %m", property);
}

void tunneld_bus_deliver(struct tunneld_manager *m, const struct wire_header *h, const uint8_t *payload,
                         size_t payload_len) {
        struct bus_registry *br = m->bus_registry;
        struct wire_message wm;
        struct bus_reg *reg;

        if (!br || !br->regs)
                return;
        reg = bus_reg_find(br, h->srvid);
        if (!reg)
                return;
        if (wire_unpack(&wire_message_desc, NULL, payload, payload_len, &wm) < 0)
                return; /* validated by the caller already */

        for (const char *name = sd_bus_track_first(reg->track); name; name = sd_bus_track_next(reg->track)) {
                _cleanup_bus_message_ sd_bus_message *sig = NULL;
                int r;

                r = sd_bus_message_new_signal(m->bus, &sig, TUNNELD_BUS_PATH, TUNNELD_BUS_INTERFACE,
                                              "Message");
                if (r >= 0)
                        r = sd_bus_message_set_destination(sig, name);
                if (r >= 0)
                        r = sd_bus_message_append(sig, "ut", h->src, h->srvid);
                if (r >= 0)
                        r = sd_bus_message_append_array(sig, 'y', wm.data, wm.data_len);
                if (r >= 0)
                        r = sd_bus_send(m->bus, sig, NULL);
                if (r < 0)
                        log_debug_errno(r, "Failed to send Message to %s: %m", name);
        }
}
