#pragma once

/*
 * Peer announcements of ctdb-clusterd (docs/architecture.md, "Announcements"):
 * this node's state to every peer on every change, to a peer whose link just
 * came up or that announced itself for the first time, and again every
 * CLUSTERD_ANNOUNCE_REFRESH_USEC without a change (CLUSTERD_ANNOUNCE_RETRY_USEC
 * after a failed send); and what a peer's announcement says.
 */

#include <stdbool.h>
#include <stdint.h>

#include "clusterd-wire.h"

struct clusterd_manager;

/* The largest STATE message: prefix, the fixed fields (with room), the peer list, the VnnMap, Health. */
#define CLUSTERD_STATE_MSG_MAX \
        (4u + 64u + 4u * CLUSTERD_MAX_NODES + 4u + 4u * CLUSTERD_MAX_NODES + 4u + CLUSTERD_MAX_HEALTH)

#define CLUSTERD_ANNOUNCE_REFRESH_USEC (2 * 1000 * 1000ULL)
#define CLUSTERD_ANNOUNCE_RETRY_USEC   (250 * 1000ULL)
/* The refresh needs no precision: sd-event may fold it into other wake-ups. */
#define CLUSTERD_ANNOUNCE_ACCURACY_USEC (100 * 1000ULL)

/* Starts the announcement timer (the first refresh). */
int clusterd_announce_start(struct clusterd_manager *m);

/*
 * Sends this node's state to dst (CTDB_PNN_ALL: every peer). only_if_changed:
 * skip a broadcast of the same bytes as the last one.
 */
void clusterd_announce(struct clusterd_manager *m, uint32_t dst, bool only_if_changed);

/* A new connection to tunneld: the next broadcast goes out whatever it holds. */
void clusterd_announce_reset(struct clusterd_manager *m);

/* A peer's STATE message: remembered as that peer's view (the caller runs the update). */
void clusterd_announce_received(struct clusterd_manager *m, uint32_t src,
                                const struct clusterd_state_msg *s);
