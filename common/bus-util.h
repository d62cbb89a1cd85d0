#pragma once

/* Small sd-bus helpers shared by the daemons and ctdbctl. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "ctdb-names.h"
#include "ctdb-node.h"

/*
 * True if name may be sent as a D-Bus error name (the rules of an interface
 * name: two or more dot-separated elements of [A-Za-z0-9_], none empty or
 * starting with a digit, at most 255 bytes). sd-bus does not check this when
 * replying, and the bus daemon drops a connection that sends an invalid one,
 * so check names that come from elsewhere (another node) before replying.
 */
bool bus_error_name_is_valid(const char *name);

/*
 * "OK", or CTDB's flag words in CTDB's order joined by '|' ("DISCONNECTED|BANNED"),
 * unknown bits as hex. Always NUL-terminated in buf; returns buf. The Health
 * property of a node and ctdbctl's tables use it.
 */
const char *bus_node_flags_to_string(uint32_t flags, char *buf, size_t size);

/*
 * Opens the bus the daemons live on: address if given (--bus-address), else
 * the system bus ($DBUS_SYSTEM_BUS_ADDRESS is honoured by sd-bus).
 */
int bus_open(const char *address, sd_bus **ret);

/* Attaches bus to event and asks for name asynchronously-free (synchronous, at start-up). */
int bus_attach_and_request_name(sd_bus *bus, sd_event *event, const char *name);

/* Cleanup helpers for __attribute__((cleanup)). */
static inline void sd_bus_unrefp_(sd_bus **b) { if (*b) sd_bus_flush_close_unref(*b); }
static inline void sd_bus_message_unrefp_(sd_bus_message **m) { sd_bus_message_unref(*m); }
static inline void sd_bus_slot_unrefp_(sd_bus_slot **s) { sd_bus_slot_unref(*s); }
static inline void sd_event_unrefp_(sd_event **e) { sd_event_unref(*e); }
static inline void sd_event_source_disable_unrefp_(sd_event_source **s) {
        sd_event_source_disable_unref(*s);
}
#define _cleanup_bus_ __attribute__((cleanup(sd_bus_unrefp_)))
#define _cleanup_bus_message_ __attribute__((cleanup(sd_bus_message_unrefp_)))
#define _cleanup_bus_slot_ __attribute__((cleanup(sd_bus_slot_unrefp_)))
#define _cleanup_event_ __attribute__((cleanup(sd_event_unrefp_)))
#define _cleanup_event_source_ __attribute__((cleanup(sd_event_source_disable_unrefp_)))
#define _cleanup_bus_error_ __attribute__((cleanup(sd_bus_error_free)))

/*
 * Asynchronous polkit check (DESIGN.md section 6), in the way of systemd's
 * bus_verify_polkit_async(): uid 0 passes at once (returns 1); anyone else is
 * checked with CheckAuthorization on org.freedesktop.PolicyKit1 and the method
 * call is re-queued when the answer comes. Returns 1 = allowed, 0 = pending
 * (the handler returns 1 and will be called again with the same message),
 * negative = denied or failed (error is set to AccessDenied, also when polkit
 * cannot be reached).
 */
typedef struct polkit_registry polkit_registry;
int bus_verify_polkit_async(sd_bus_message *call, const char *action, polkit_registry **registry,
                            sd_bus_error *error);
polkit_registry *polkit_registry_free(polkit_registry *r);
