#pragma once

/* D-Bus glue of ctdb-clusterd: vtables and signal emission (DESIGN.md section 3). */

#include <stdbool.h>
#include <stdint.h>

#include "clusterd-manager.h"

/* Adds the Manager object and the per-node objects (a fallback vtable) to m->bus. */
int clusterd_bus_register(clusterd_manager *m);

/*
 * Publishes every change since the last call: PropertiesChanged of the Manager
 * and node objects, InterfacesAdded for slots ReloadNodes added, and the journal
 * events of node flags, leader, generation and quorum. The first call only
 * records the state.
 */
void clusterd_bus_publish(clusterd_manager *m);

/*
 * ReloadNodes: this node's nodes file into clusterd, then into ctdb-tunneld.
 * call (may be NULL, for SIGHUP) is answered once tunneld has answered.
 * Returns 1 (answer pending) or a negative errno with error set.
 */
int clusterd_bus_reload_nodes(clusterd_manager *m, sd_bus_message *call, sd_bus_error *error);

/* PropertiesChanged for the named Manager properties (NULL-terminated). */
void clusterd_bus_emit_manager_changed(clusterd_manager *m, char **props);
/* PropertiesChanged for the named properties of node pnn. */
void clusterd_bus_emit_node_changed(clusterd_manager *m, uint32_t pnn, char **props);
/* InterfacesAdded for the object of node pnn (a slot added by ReloadNodes). */
void clusterd_bus_emit_node_added(clusterd_manager *m, uint32_t pnn);
/* RecoveryStarted / RecoveryFinished. */
void clusterd_bus_emit_recovery(clusterd_manager *m, bool started, uint32_t generation);
