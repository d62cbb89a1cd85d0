#pragma once

/* org.ctdb.tunnel1.Manager at /org/ctdb/tunnel1 (bus/org.ctdb.tunnel1.Manager.xml). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "bus-util.h" /* TUNNELD_BUS_NAME, _PATH, _INTERFACE */

struct tunneld_manager;

/* D-Bus registrations (srvids) across all callers. */
#define BUS_REGISTRATIONS_MAX 1024u

/* Adds the object to bus; the caller then attaches the bus and requests the name. */
int tunneld_bus_add(struct tunneld_manager *m, sd_bus *bus);

void tunneld_bus_link_changed(struct tunneld_manager *m, uint32_t pnn, bool up);
/* PropertiesChanged (or its invalidation, by the property's flag) for one property. */
void tunneld_bus_property_changed(struct tunneld_manager *m, const char *property);
/* Emits Message to every D-Bus caller registered for srvid. */
struct wire_header;
void tunneld_bus_deliver(struct tunneld_manager *m, const struct wire_header *h, const uint8_t *payload,
                         size_t payload_len);
