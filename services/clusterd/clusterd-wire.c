/* clusterd's node-to-node messages, described as wire_desc tables; see clusterd-wire.h. */

#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "clusterd-wire.h"

#define HEADER_SIZE 4u

static const struct wire_field header_fields[] = {
        WIRE_FIELD(struct clusterd_msg_header, WIRE_U16, kind, 0),
        WIRE_FIELD(struct clusterd_msg_header, WIRE_U16, reserved, 0),
};

static const struct wire_field state_fields[] = {
        WIRE_FIELD(struct clusterd_state_msg, WIRE_U32, pnn, 0),
        WIRE_FIELD(struct clusterd_state_msg, WIRE_U32, n_nodes, 0),
        WIRE_FIELD(struct clusterd_state_msg, WIRE_U32, flags, 0),
        WIRE_FIELD(struct clusterd_state_msg, WIRE_U32, capabilities, 0),
        WIRE_FIELD(struct clusterd_state_msg, WIRE_U32, generation, 0),
        WIRE_FIELD(struct clusterd_state_msg, WIRE_U32, leader, 0),
        WIRE_FIELD(struct clusterd_state_msg, WIRE_U32, vote, 0),
        WIRE_FIELD(struct clusterd_state_msg, WIRE_U8, recovering, 0),
        WIRE_FIELD(struct clusterd_state_msg, WIRE_U32, ban_left, 0),
        WIRE_FIELD_LEN(struct clusterd_state_msg, WIRE_U32_ARRAY, connected, n_connected, CLUSTERD_MAX_NODES),
};

static const struct wire_field control_fields[] = {
        WIRE_FIELD(struct clusterd_control_msg, WIRE_U32, id, 0),
        WIRE_FIELD(struct clusterd_control_msg, WIRE_U32, op, 0),
        WIRE_FIELD(struct clusterd_control_msg, WIRE_U32, target, 0),
        WIRE_FIELD(struct clusterd_control_msg, WIRE_U32, arg, 0),
};

static const struct wire_field control_reply_fields[] = {
        WIRE_FIELD(struct clusterd_control_reply_msg, WIRE_U32, id, 0),
        WIRE_FIELD(struct clusterd_control_reply_msg, WIRE_U32, op, 0),
        WIRE_FIELD(struct clusterd_control_reply_msg, WIRE_U32, status, 0),
        WIRE_FIELD_LEN(struct clusterd_control_reply_msg, WIRE_STRING, error_name, error_name_len,
                       CLUSTERD_MAX_ERROR_NAME),
        WIRE_FIELD_LEN(struct clusterd_control_reply_msg, WIRE_STRING, message, message_len,
                       CLUSTERD_MAX_ERROR_MESSAGE),
};

const struct wire_desc clusterd_msg_header_desc = WIRE_DESC(0, struct clusterd_msg_header, header_fields);
const struct wire_desc clusterd_state_desc =
        WIRE_DESC(CLUSTERD_MSG_STATE, struct clusterd_state_msg, state_fields);
const struct wire_desc clusterd_control_desc =
        WIRE_DESC(CLUSTERD_MSG_CONTROL, struct clusterd_control_msg, control_fields);
const struct wire_desc clusterd_control_reply_desc =
        WIRE_DESC(CLUSTERD_MSG_CONTROL_REPLY, struct clusterd_control_reply_msg, control_reply_fields);

int clusterd_msg_pack(void *mem_ctx, const struct wire_desc *desc, const void *msg, uint8_t **ret,
                      size_t *ret_len) {
        struct clusterd_msg_header h = { .kind = desc->kind };
        size_t payload = wire_payload_size(desc, msg);
        uint8_t *buf;
        int r;

        if (payload > WIRE_FRAME_MAX - WIRE_HEADER_SIZE - 4 - HEADER_SIZE)
                return -EMSGSIZE;
        buf = talloc_size(mem_ctx, HEADER_SIZE + payload);
        if (!buf)
                return -ENOMEM;
        r = wire_pack(&clusterd_msg_header_desc, &h, buf, HEADER_SIZE);
        if (r >= 0)
                r = wire_pack(desc, msg, buf + HEADER_SIZE, payload);
        if (r < 0) {
                talloc_free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = HEADER_SIZE + payload;
        return 0;
}

int clusterd_msg_kind(const uint8_t *buf, size_t len) {
        struct clusterd_msg_header h;
        int r;

        if (!buf)
                return -EBADMSG;
        r = wire_unpack(&clusterd_msg_header_desc, NULL, buf, len, &h);
        if (r < 0)
                return r;
        return h.kind;
}

int clusterd_msg_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *buf, size_t len, void *msg) {
        int kind = clusterd_msg_kind(buf, len);

        if (kind < 0)
                return kind;
        if ((uint16_t) kind != desc->kind)
                return -EBADMSG;
        return wire_unpack(desc, mem_ctx, buf + HEADER_SIZE, len - HEADER_SIZE, msg);
}

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
