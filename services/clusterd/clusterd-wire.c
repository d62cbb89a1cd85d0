/* clusterd's node-to-node messages, described as wire_desc tables; see clusterd-wire.h. */

#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "clusterd-wire.h"
#include "ctdb-srvid.h"

static const struct wire_field state_fields[] = {
        WIRE_U32(struct clusterd_state_msg, pnn),
        WIRE_U32(struct clusterd_state_msg, n_nodes),
        WIRE_U32(struct clusterd_state_msg, flags),
        WIRE_U32(struct clusterd_state_msg, capabilities),
        WIRE_U32(struct clusterd_state_msg, generation),
        WIRE_U32(struct clusterd_state_msg, leader),
        WIRE_U32(struct clusterd_state_msg, vote),
        WIRE_U8(struct clusterd_state_msg, recovering),
        WIRE_U32(struct clusterd_state_msg, ban_left),
        WIRE_U32_ARRAY(struct clusterd_state_msg, connected, n_connected, CLUSTERD_MAX_NODES),
        WIRE_U32_ARRAY(struct clusterd_state_msg, vnnmap, n_vnnmap, CLUSTERD_MAX_NODES),
        WIRE_STRING_OPTIONAL(struct clusterd_state_msg, health, health_len, CLUSTERD_MAX_HEALTH),
};

static const struct wire_field control_fields[] = {
        WIRE_U32(struct clusterd_control_msg, id),
        WIRE_U32(struct clusterd_control_msg, op),
        WIRE_U32(struct clusterd_control_msg, target),
        WIRE_U32(struct clusterd_control_msg, arg),
};

static const struct wire_field control_reply_fields[] = {
        WIRE_U32(struct clusterd_control_reply_msg, id),
        WIRE_U32(struct clusterd_control_reply_msg, op),
        WIRE_U32(struct clusterd_control_reply_msg, status),
        WIRE_STRING(struct clusterd_control_reply_msg, error_name, error_name_len, CLUSTERD_MAX_ERROR_NAME),
        WIRE_STRING(struct clusterd_control_reply_msg, message, message_len, CLUSTERD_MAX_ERROR_MESSAGE),
};

const struct wire_desc clusterd_state_desc =
        WIRE_DESC(CLUSTERD_MSG_STATE, struct clusterd_state_msg, state_fields);
const struct wire_desc clusterd_control_desc =
        WIRE_DESC(CLUSTERD_MSG_CONTROL, struct clusterd_control_msg, control_fields);
const struct wire_desc clusterd_control_reply_desc =
        WIRE_DESC(CLUSTERD_MSG_CONTROL_REPLY, struct clusterd_control_reply_msg, control_reply_fields);

WIRE_DEFINE_KIND_LOOKUPS(CLUSTERD_MSG_KINDS, clusterd_msg_desc_by_kind, clusterd_msg_kind_to_string)

const char *clusterd_op_to_string(uint32_t op) {
        switch (op) {
        case CLUSTERD_OP_BAN:
                return "ban";
        case CLUSTERD_OP_UNBAN:
                return "unban";
        case CLUSTERD_OP_DISABLE:
                return "disable";
        case CLUSTERD_OP_ENABLE:
                return "enable";
        case CLUSTERD_OP_STOP:
                return "stop";
        case CLUSTERD_OP_CONTINUE:
                return "continue";
        case CLUSTERD_OP_RECOVER:
                return "recover";
        }
        return "unknown";
}
