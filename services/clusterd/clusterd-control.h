#pragma once

/*
 * Controls and bans of ctdb-clusterd (docs/architecture.md, "Flags and
 * controls"): Ban/Unban/Disable/Enable/Stop/Continue act on the target node,
 * here directly or forwarded as a CONTROL message whose CONTROL_REPLY answers the
 * D-Bus caller (common/peer-request: 5 s timeout, failure when the link drops).
 * Recover() goes to the leader. A banned node runs its own ban timer.
 */

#include <stdint.h>

#include "clusterd-wire.h"

struct clusterd_manager;

/* The ban timer and the set of forwarded controls. */
int clusterd_control_init(struct clusterd_manager *m);

/* A CONTROL from node src for this node: applied, then answered with a CONTROL_REPLY. */
void clusterd_control_received(struct clusterd_manager *m, uint32_t src,
                               const struct clusterd_control_msg *c);
/* The CONTROL_REPLY of node src: the waiting D-Bus caller is answered. */
void clusterd_control_reply_received(struct clusterd_manager *m, uint32_t src,
                                     const struct clusterd_control_reply_msg *c);
/* The link to pnn dropped (CTDB_PNN_ALL: tunneld is gone): its callers get NotConnected. */
void clusterd_control_fail_for(struct clusterd_manager *m, uint32_t pnn);
