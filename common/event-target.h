#pragma once

/*
 * Events as systemd targets (DESIGN.md section 5, "Events instead of event
 * scripts"): an event starts ctdb-<event>.target, so an admin hooks a unit
 * with WantedBy=ctdb-<event>.target. What the hook needs (address,
 * interface, node, generation, units) is first written to
 * <runtime directory>/event-<event>.env as KEY=value lines, for the hook's
 * EnvironmentFile=. Starting the target again starts its wanted units again
 * (a oneshot hook runs once per event). Without systemd on the bus only the
 * daemon's own D-Bus signal tells of the event.
 */

#include <systemd/sd-bus.h>

/* The events and their targets. */
#define CTDB_EVENT_STARTUP       "startup"
#define CTDB_EVENT_RECOVERED     "recovered"
#define CTDB_EVENT_TAKEIP        "takeip"
#define CTDB_EVENT_RELEASEIP     "releaseip"
#define CTDB_EVENT_IPREALLOCATED "ipreallocated"
#define CTDB_EVENT_HEALTHY       "healthy"
#define CTDB_EVENT_UNHEALTHY     "unhealthy"

/*
 * Writes the environment file (env: "KEY=value" strings, NULL-terminated;
 * CTDB_EVENT=<event> is added) and asks systemd to start the target, without
 * waiting for the answer. run_dir NULL: /run/ctdb. 0, or a negative errno if
 * the file could not be written or the call not sent.
 */
int ctdb_event_start(sd_bus *bus, const char *run_dir, const char *event, const char *const *env);
