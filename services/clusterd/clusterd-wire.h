#pragma once

/*
 * clusterd's own messages between nodes: inner messages (common/wire.h,
 * wire_inner_*()) in the data of MESSAGE frames with srvid CTDB_SRVID_CLUSTERD,
 * each kind described once by a struct wire_desc table.
 */

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/*
 * Every kind once: X(NAME, value, desc) gives CLUSTERD_MSG_NAME = value, described
 * by desc (a lookup with WIRE_DEFINE_KIND_LOOKUPS).
 * STATE: a node's state, to all on change and every 2 s, and to a newcomer.
 * CONTROL: ask one node to change its flags (or the leader to recover).
 * CONTROL_REPLY: the answer to a CONTROL.
 */
#define CLUSTERD_MSG_KINDS(X)                                                                           \
        X(STATE, 1, clusterd_state_desc)                                                                \
        X(CONTROL, 2, clusterd_control_desc)                                                            \
        X(CONTROL_REPLY, 3, clusterd_control_reply_desc)

enum clusterd_msg_kind {
#define CLUSTERD_MSG_ENUM_(name, value, desc) CLUSTERD_MSG_##name = (value),
        CLUSTERD_MSG_KINDS(CLUSTERD_MSG_ENUM_)
#undef CLUSTERD_MSG_ENUM_
};

/* Most peers a state announcement may list (also caps what a peer makes us allocate). */
#define CLUSTERD_MAX_NODES 1024u
#define CLUSTERD_MAX_ERROR_NAME 128u
#define CLUSTERD_MAX_ERROR_MESSAGE 512u
/* Longest list of failing units a node announces (its Health); a longer one is cut. */
#define CLUSTERD_MAX_HEALTH 256u

struct clusterd_state_msg {
        uint32_t pnn;
        uint32_t n_nodes;               /* sender's configured slots */
        uint32_t flags;                 /* sender's own flags (never DISCONNECTED) */
        uint32_t capabilities;          /* CTDB_NODE_CAP_* */
        uint32_t generation;
        uint32_t leader;                /* sender's view; == pnn means it claims leadership */
        uint32_t vote;                  /* CTDB_PNN_NONE if none */
        uint8_t recovering;
        uint32_t ban_left;              /* seconds of ban left, 0 if not banned */
        uint32_t n_connected;
        uint32_t *connected;            /* pnns of the peers it has links to */
        /* Appended (trailing fields keep minor versions compatible): the sender's VnnMap. */
        uint32_t n_vnnmap;
        uint32_t *vnnmap;
        /* Appended, optional: the units that make the sender unhealthy, blank-separated (none: empty). */
        uint32_t health_len;
        char *health;
};

enum clusterd_control_op {
        CLUSTERD_OP_BAN      = 1,       /* arg: seconds */
        CLUSTERD_OP_UNBAN    = 2,
        CLUSTERD_OP_DISABLE  = 3,
        CLUSTERD_OP_ENABLE   = 4,
        CLUSTERD_OP_STOP     = 5,
        CLUSTERD_OP_CONTINUE = 6,
        CLUSTERD_OP_RECOVER  = 7,       /* to the leader */
};

struct clusterd_control_msg {
        uint32_t id;                    /* chosen by the sender, echoed in the reply */
        uint32_t op;
        uint32_t target;
        uint32_t arg;
};

struct clusterd_control_reply_msg {
        uint32_t id;
        uint32_t op;
        uint32_t status;                /* 0 ok, else a positive errno */
        uint32_t error_name_len;
        char *error_name;               /* D-Bus error name on failure, "" on success */
        uint32_t message_len;
        char *message;
};

extern const struct wire_desc clusterd_state_desc;
extern const struct wire_desc clusterd_control_desc;
extern const struct wire_desc clusterd_control_reply_desc;

/* The description of a kind (a table lookup), or NULL for an unknown kind. */
const struct wire_desc *clusterd_msg_desc_by_kind(uint16_t kind);
/* "STATE", "CONTROL", "CONTROL_REPLY"; "unknown" for an unknown kind. */
const char *clusterd_msg_kind_to_string(uint16_t kind);

const char *clusterd_op_to_string(uint32_t op);
