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

/* What one a{sv} of org.ctdb.monitor1.Manager says: Healthy, and from Services the units not active. */
struct health_read {
        int healthy; /* -1: not in it */
        char *units;
};

static int read_property(void *userdata, const char *name, sd_bus_message *msg) {
        struct health_read *h = userdata;
        const char *unit, *state, *sub;
        uint64_t since;
        int r;

        if (strcmp(name, "Healthy") == 0) {
                r = sd_bus_message_read(msg, "v", "b", &h->healthy);
                return r < 0 ? r : 1;
        }
        if (strcmp(name, "Services") != 0)
                return 0;
        r = sd_bus_message_enter_container(msg, 'v', "a(ssst)");
        if (r >= 0)
                r = sd_bus_message_enter_container(msg, 'a', "(ssst)");
        while (r >= 0 && h->units && (r = sd_bus_message_read(msg, "(ssst)", &unit, &state, &sub, &since)) > 0)
                if (strcmp(state, "active") != 0 && strcmp(state, "reloading") != 0)
                        h->units = talloc_asprintf_append(h->units, "%s%s", *h->units ? " " : "", unit);
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        if (r >= 0 && !h->units)
                r = -ENOMEM;
        return r < 0 ? r : 1;
}

static int on_health(void *userdata, sd_bus_message *properties, bool all) {
        struct health_read h = { .healthy = -1, .units = talloc_strdup(NULL, "") };
        int r = h.units ? bus_properties_read(properties, read_property, &h) : -ENOMEM;

        if (r >= 0 && h.healthy >= 0)
                health_set(userdata, h.healthy, h.units); /* takes units */
        else
                talloc_free(h.units);
        return r;
}

static void on_monitord_gone(void *userdata) {
        log_info("ctdb-monitord left the bus; this node keeps its health until it is back");
}

static const struct bus_properties_ops monitord_ops = {
        .changed = on_health,
        .gone = on_monitord_gone,
};

int clusterd_health_start(clusterd_manager *m) {
        int r;

        if (!m->bus)
                return 0;
        r = bus_properties_watch_new(m, m->bus, MONITORD_BUS_NAME, MONITORD_MANAGER_PATH, MONITORD_MANAGER_IFACE,
                                     &monitord_ops, m, &m->monitord_watch);
        if (r < 0)
                return log_error_errno(r, "Failed to follow ctdb-monitord: %m");
        return 0;
}

void clusterd_health_stop(clusterd_manager *m) {
        TALLOC_FREE(m->monitord_watch);
}
