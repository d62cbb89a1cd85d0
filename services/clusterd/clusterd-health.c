/*
 * This node's health, from ctdb-monitord (org.ctdb.monitor1, DESIGN.md
 * section 5): clusterd follows its Healthy and Services properties and sets or
 * clears its own UNHEALTHY flag, which every node learns from its
 * announcements; the leader's ipd then moves the node's addresses away. The
 * Health of this node's object names the failing units. While monitord is
 * away (restarting) the last health stays; with no monitord at all the node
 * is healthy, as CTDB is without monitoring.
 */

#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "bus-name.h"
#include "clusterd-health.h"
#include "clusterd-manager.h"
#include "ctdb-names.h"
#include "ctdb-node.h"
#include "log.h"
#include "talloc-util.h"

#define MONITORD_CHANGED_MATCH                                                                          \
        "type='signal',sender='" MONITORD_BUS_NAME "',path='" MONITORD_MANAGER_PATH "',"                \
        "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'"

static void health_set(clusterd_manager *m, bool healthy, char *units) {
        uint32_t flags =
                healthy ? m->flags & ~CTDB_NODE_FLAG_UNHEALTHY : m->flags | CTDB_NODE_FLAG_UNHEALTHY;

        bool same_units = healthy ? !m->health_units
                                  : m->health_units && units && strcmp(m->health_units, units) == 0;

        talloc_free(m->health_units);
        m->health_units = talloc_steal(m, units);
        if (healthy)
                TALLOC_FREE(m->health_units);
        if (!same_units && clusterd_manager_pnn_valid(m, m->self))
                m->nodes[m->self].health_changed = true;
        if (flags == m->flags) {
                /* Other units fail now: Health (here and, announced, everywhere) says which. */
                if (!same_units)
                        clusterd_manager_update(m);
                return;
        }
        m->flags = flags;
        log_notice("This node is %s%s%s", healthy ? "healthy" : "unhealthy", healthy ? "" : ": ",
                   healthy ? "" : (m->health_units ? m->health_units : ""));
        clusterd_manager_update(m);
}

/* a{sv} of org.ctdb.monitor1.Manager: Healthy, and from Services the units that are not active. */
static int read_health(clusterd_manager *m, sd_bus_message *msg) {
        _cleanup_talloc_ char *units = talloc_strdup(NULL, "");
        int healthy = -1, r = sd_bus_message_enter_container(msg, 'a', "{sv}");

        while (r >= 0 && (r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *name;

                r = sd_bus_message_read(msg, "s", &name);
                if (r >= 0 && strcmp(name, "Healthy") == 0)
                        r = sd_bus_message_read(msg, "v", "b", &healthy);
                else if (r >= 0 && strcmp(name, "Services") == 0) {
                        const char *unit, *state, *sub;
                        uint64_t since;

                        r = sd_bus_message_enter_container(msg, 'v', "a(ssst)");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(msg, 'a', "(ssst)");
                        while (r >= 0 && units &&
                               (r = sd_bus_message_read(msg, "(ssst)", &unit, &state, &sub, &since)) > 0)
                                if (strcmp(state, "active") != 0 && strcmp(state, "reloading") != 0)
                                        units = talloc_asprintf_append(units, "%s%s", *units ? " " : "",
                                                                       unit);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(msg);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(msg);
                } else if (r >= 0)
                        r = sd_bus_message_skip(msg, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        if (r < 0 || !units)
                return r < 0 ? r : -ENOMEM;
        if (healthy >= 0) {
                char *u = units;

                units = NULL; /* health_set() takes it */
                health_set(m, healthy, u);
        }
        return 0;
}

static int on_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        const char *iface;
        int r = sd_bus_message_read(msg, "s", &iface);

        if (r >= 0 && strcmp(iface, MONITORD_MANAGER_IFACE) == 0)
                r = read_health(userdata, msg);
        if (r < 0)
                log_warning_errno(r, "Failed to read ctdb-monitord's health: %m");
        return 0;
}

static int on_all(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        clusterd_manager *m = userdata;
        int r;

        m->health_call = sd_bus_slot_unref(m->health_call);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_warning("Failed to read ctdb-monitord's health: %s",
                            sd_bus_message_get_error(reply)->message);
                return 0;
        }
        r = read_health(m, reply);
        if (r < 0)
                log_warning_errno(r, "Failed to read ctdb-monitord's health: %m");
        return 0;
}

static void on_monitord(void *userdata, bool present) {
        clusterd_manager *m = userdata;
        int r;

        m->health_call = sd_bus_slot_unref(m->health_call);
        if (!present) {
                log_info("ctdb-monitord left the bus; this node keeps its health until it is back");
                return;
        }
        r = sd_bus_call_method_async(m->bus, &m->health_call, MONITORD_BUS_NAME, MONITORD_MANAGER_PATH,
                                     "org.freedesktop.DBus.Properties", "GetAll", on_all, m, "s",
                                     MONITORD_MANAGER_IFACE);
        if (r < 0)
                log_error_errno(r, "Failed to ask ctdb-monitord for this node's health: %m");
}

int clusterd_health_start(clusterd_manager *m) {
        int r;

        if (!m->bus)
                return 0;
        /* The change match first: a change between the owner's arrival and GetAll is not lost. */
        r = sd_bus_add_match_async(m->bus, &m->health_match, MONITORD_CHANGED_MATCH, on_changed, NULL, m);
        if (r >= 0)
                r = bus_name_watch_new(m, m->bus, MONITORD_BUS_NAME, on_monitord, m, &m->monitord_watch);
        if (r < 0)
                return log_error_errno(r, "Failed to follow ctdb-monitord: %m");
        return 0;
}

void clusterd_health_stop(clusterd_manager *m) {
        TALLOC_FREE(m->monitord_watch);
        m->health_match = sd_bus_slot_unref(m->health_match);
        m->health_call = sd_bus_slot_unref(m->health_call);
}
