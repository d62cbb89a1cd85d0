/* clusterd's node-to-node messages, described as wire_desc tables; see clusterd-wire.h. */

#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "clusterd-wire.h"
#include "ctdb-srvid.h"

/* What a MESSAGE frame leaves for the prefix and payload: the frame minus its header and data length. */
#define MESSAGE_DATA_MAX (WIRE_FRAME_MAX - WIRE_HEADER_SIZE - 4)

static const struct wire_field header_fields[] = {
        WIRE_U16(struct clusterd_msg_header, kind),
        WIRE_U16(struct clusterd_msg_header, reserved),
};

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

const struct wire_desc clusterd_msg_header_desc = WIRE_DESC(0, struct clusterd_msg_header, header_fields);
const struct wire_desc clusterd_state_desc =
        WIRE_DESC(CLUSTERD_MSG_STATE, struct clusterd_state_msg, state_fields);
const struct wire_desc clusterd_control_desc =
        WIRE_DESC(CLUSTERD_MSG_CONTROL, struct clusterd_control_msg, control_fields);
const struct wire_desc clusterd_control_reply_desc =
        WIRE_DESC(CLUSTERD_MSG_CONTROL_REPLY, struct clusterd_control_reply_msg, control_reply_fields);

WIRE_DEFINE_KIND_LOOKUPS(CLUSTERD_MSG_KINDS, clusterd_msg_desc_by_kind, clusterd_msg_kind_to_string)

size_t clusterd_msg_size(const struct wire_desc *desc, const void *msg) {
        return CLUSTERD_MSG_PREFIX_SIZE + wire_payload_size(desc, msg);
}

int clusterd_msg_pack_into(const struct wire_desc *desc, const void *msg, uint8_t *buf, size_t size) {
        struct clusterd_msg_header h = { .kind = desc->kind };
        size_t need = clusterd_msg_size(desc, msg);
        int r;

        if (need > MESSAGE_DATA_MAX || need > size)
                return -EMSGSIZE;
        r = wire_pack(&clusterd_msg_header_desc, &h, buf, CLUSTERD_MSG_PREFIX_SIZE);
        if (r < 0)
                return r;
        r = wire_pack(desc, msg, buf + CLUSTERD_MSG_PREFIX_SIZE, need - CLUSTERD_MSG_PREFIX_SIZE);
        if (r < 0)
                return r;
        return (int) need;
}

int clusterd_msg_pack(void *mem_ctx, const struct wire_desc *desc, const void *msg, uint8_t **ret,
                      size_t *ret_len) {
        size_t need = clusterd_msg_size(desc, msg);
        uint8_t *buf;
        int r;

        if (need > MESSAGE_DATA_MAX)
                return -EMSGSIZE;
        buf = talloc_size(mem_ctx, need);
        if (!buf)
                return -ENOMEM;
        r = clusterd_msg_pack_into(desc, msg, buf, need);
        if (r < 0) {
                talloc_free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = need;
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

int clusterd_msg_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *buf, size_t len,
                        void *msg) {
        int kind = clusterd_msg_kind(buf, len);

        if (kind < 0)
                return kind;
        if ((uint16_t) kind != desc->kind)
                return -EBADMSG;
        return wire_unpack(desc, mem_ctx, buf + CLUSTERD_MSG_PREFIX_SIZE, len - CLUSTERD_MSG_PREFIX_SIZE,
                           msg);
}

int clusterd_msg_dispatch(const struct wire_handler *table, size_t n_table, void *mem_ctx, uint32_t src_pnn,
                          const uint8_t *data, size_t len, void *userdata) {
        struct wire_header h = { .src = src_pnn, .srvid = CTDB_SRVID_CLUSTERD };
        int kind = clusterd_msg_kind(data, len);

        if (kind < 0)
                return kind;
        h.kind = (uint16_t) kind;
        h.length = len > UINT32_MAX ? UINT32_MAX : (uint32_t) len;
        return wire_dispatch(table, n_table, mem_ctx, &h, data + CLUSTERD_MSG_PREFIX_SIZE,
                             len - CLUSTERD_MSG_PREFIX_SIZE, userdata);
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
