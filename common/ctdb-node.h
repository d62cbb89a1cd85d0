#pragma once

/*
 * Facts about nodes that every part shares (DESIGN.md section 3): PNN
 * constants, CTDB's node flag bits and the capabilities a node announces.
 */

#include <stdint.h>

#define CTDB_PNN_ALL  UINT32_C(0xffffffff) /* a destination: every node */
#define CTDB_PNN_NONE UINT32_C(0xffffffff) /* a value: no node (no leader, not known yet) */

/* Node flags of org.ctdb.cluster1: CTDB's bit values. */
#define CTDB_NODE_FLAG_DISCONNECTED         0x00000001u
#define CTDB_NODE_FLAG_UNHEALTHY            0x00000002u
#define CTDB_NODE_FLAG_PERMANENTLY_DISABLED 0x00000004u
#define CTDB_NODE_FLAG_BANNED               0x00000008u
#define CTDB_NODE_FLAG_DELETED              0x00000010u
#define CTDB_NODE_FLAG_STOPPED              0x00000020u
/* A node with any of these neither leads nor takes part in the database map. */
#define CTDB_NODE_FLAGS_INACTIVE                                                                   \
        (CTDB_NODE_FLAG_DISCONNECTED | CTDB_NODE_FLAG_BANNED | CTDB_NODE_FLAG_STOPPED |            \
         CTDB_NODE_FLAG_DELETED)

/* Capabilities a node announces. */
#define CTDB_NODE_CAP_LEADER  0x1u
/* A ctdb-dbd runs on the node, so it may be an lmaster (CTDB's CTDB_CAP_LMASTER): VnnMap lists it. */
#define CTDB_NODE_CAP_LMASTER 0x2u
