#pragma once

/*
 * ctdb-monitord: the node's health from systemd's own view of the units named
 * in [monitor] units (DESIGN.md section 5). It subscribes to
 * org.freedesktop.systemd1 and follows PropertiesChanged of each unit's
 * object: no polling. The node is healthy while every watched unit is active;
 * reloading is not a failure, activating is allowed for [monitor] activating
 * grace seconds, and a unit that does not exist counts as unhealthy. When
 * systemd leaves the bus and comes back (a restart, daemon-reexec) it
 * subscribes again and reads every unit again; meanwhile it keeps the last
 * state it saw. With no units configured the node is healthy.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

struct bus_name_watch;
struct ctdb_config;
struct daemon_context;
typedef struct polkit_registry polkit_registry;

#define SYSTEMD_BUS_NAME "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT_IFACE "org.freedesktop.systemd1.Unit"

/* How long monitord gives systemd to tell of a newly watched unit before it counts as failed. */
#define MONITORD_FIRST_READ_USEC (5 * 1000000ULL)

typedef struct monitord_manager monitord_manager;

struct monitord_unit {
        monitord_manager *m;
        char *name;
        char *path;                     /* systemd's object for it, NULL until LoadUnit answered */
        char *load_state;               /* "loaded", "not-found", ... ; NULL: not read yet */
        char *active_state;
        char *sub_state;
        uint64_t since_usec;            /* StateChangeTimestamp (CLOCK_REALTIME) */
        uint64_t activating_usec;       /* CLOCK_MONOTONIC when seen activating, 0 otherwise */
        uint64_t added_usec;            /* CLOCK_MONOTONIC when it began to be watched */
        sd_bus_slot *match, *call;
};

struct monitord_manager {
        sd_event *event;
        sd_bus *bus;
        struct ctdb_config *config;
        struct monitord_unit **units;   /* [monitor] units, in its order */
        size_t n_units;
        uint64_t grace_usec;
        bool systemd_present;
        bool healthy;                   /* as last published */
        bool published;
        struct bus_name_watch *systemd_watch;
        sd_bus_slot *subscribe_call, *vtable_slot;
        sd_event_source *grace_timer;
        polkit_registry *polkit;
};

int monitord_manager_new(void *mem_ctx, struct daemon_context *d, monitord_manager **ret);
/* Watches systemd on the bus (the units are read when it is there). */
int monitord_manager_start(monitord_manager *m);
/*
 * SIGHUP: watches the [monitor] units of config with its activating grace; a
 * unit named before keeps its state. The node's health follows at once.
 */
int monitord_manager_reload(monitord_manager *m, const struct ctdb_config *config);
/* Reads every watched unit again from systemd. */
int monitord_manager_rescan(monitord_manager *m);
/* Whether every watched unit is active (or allowed to be, see above). */
bool monitord_healthy(monitord_manager *m);
/* The units that make the node unhealthy, blank-separated ("" when healthy), talloc'd on mem_ctx. */
char *monitord_failing(monitord_manager *m, void *mem_ctx);

/* monitord-bus.c */
int monitord_bus_add(monitord_manager *m, sd_bus *bus);
/* Healthy and Services changed: PropertiesChanged (and the journal when health changed). */
void monitord_bus_changed(monitord_manager *m);
