/*
 * D-Bus glue of ctdb-monitord: org.ctdb.monitor1.Manager at /org/ctdb/monitor1
 * (DESIGN.md section 3; bus/org.ctdb.monitor1.Manager.xml). Reading is open to
 * everyone; Rescan checks polkit action org.ctdb.cluster1.manage (DESIGN.md
 * section 6 names no action of its own for monitord).
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "bus-util.h"
#include "config.h"
#include "ctdb-names.h"
#include "event-target.h"
#include "log.h"
#include "monitord-manager.h"
#include "talloc-util.h"

static int property_get_healthy(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "b", monitord_healthy(userdata));
}

static int property_get_services(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        monitord_manager *m = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "(ssst)");

        for (size_t i = 0; r >= 0 && i < m->n_units; i++) {
                const struct monitord_unit *u = m->units[i];
                const char *active = u->active_state ? u->active_state : "unknown";

                /* A unit systemd does not have shows its LoadState ("not-found") as its state. */
                if (u->load_state && strcmp(u->load_state, "loaded") != 0)
                        active = u->load_state;
                r = sd_bus_message_append(reply, "(ssst)", u->name, active, u->sub_state ? u->sub_state : "",
                                          u->since_usec);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_rescan(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        monitord_manager *m = userdata;
        int r = bus_verify_polkit_async(call, CTDB_POLKIT_CLUSTER_MANAGE, &m->polkit, error);

        if (r <= 0)
                return r < 0 ? r : 1;
        r = monitord_manager_rescan(m);
        if (r == -ENOTCONN)
                return sd_bus_error_set(error, CTDB_ERROR_NOT_CONNECTED, "systemd is not on the bus");
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(call, NULL);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Healthy", "b", property_get_healthy, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Services", "a(ssst)", property_get_services, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("Rescan", NULL, NULL, method_rescan, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int monitord_bus_add(monitord_manager *m, sd_bus *bus) {
        int r = sd_bus_add_object_vtable(bus, &m->vtable_slot, MONITORD_MANAGER_PATH, MONITORD_MANAGER_IFACE,
                                         manager_vtable, m);

        if (r < 0)
                return log_error_errno(r, "Failed to add the manager object: %m");
        return 0;
}

void monitord_bus_changed(monitord_manager *m) {
        bool healthy = monitord_healthy(m);

        if (!m->published || healthy != m->healthy) {
                _cleanup_talloc_ char *failing = monitord_failing(m, NULL);
                char units[512];
                const char *extra[] = { units, NULL };

                snprintf(units, sizeof(units), "CTDB_UNITS=%s", failing ? failing : "");
                if (m->published || !healthy) {
                        log_event(healthy ? LOG_NOTICE : LOG_WARNING, CTDB_MESSAGE_HEALTH, extra,
                                  healthy ? "This node is healthy: every watched unit is active"
                                          : "This node is unhealthy: %s", failing ? failing : "");
                        (void) ctdb_event_start(m->bus, m->config->run_dir,
                                                healthy ? CTDB_EVENT_HEALTHY : CTDB_EVENT_UNHEALTHY, extra);
                }
                m->healthy = healthy;
                m->published = true;
        }
        if (m->vtable_slot)
                (void) sd_bus_emit_properties_changed(m->bus, MONITORD_MANAGER_PATH, MONITORD_MANAGER_IFACE,
                                                      "Healthy", "Services", NULL);
}
