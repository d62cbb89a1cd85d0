/* CTDB's client protocol: packet header, bodies and framing; see ctdb-protocol.h. */

#include <errno.h>
#include <string.h>
#include <talloc.h>

#include "ctdb-protocol.h"

/* The same bits as CTDB's protocol.h, so that nodemaps need no translation. */
_Static_assert(CTDB_NODE_FLAG_DISCONNECTED == 0x1 && CTDB_NODE_FLAG_UNHEALTHY == 0x2 &&
                       CTDB_NODE_FLAG_PERMANENTLY_DISABLED == 0x4 && CTDB_NODE_FLAG_BANNED == 0x8 &&
                       CTDB_NODE_FLAG_DELETED == 0x10 && CTDB_NODE_FLAG_STOPPED == 0x20,
               "node flags are CTDB's");
_Static_assert(CTDB_PKT_MAX <= INT32_MAX, "packet lengths are returned as int");

/* The largest data a body can carry: the rest of a packet after the header. */
#define BODY_MAX (CTDB_PKT_MAX - CTDB_PKT_HEADER_SIZE)

static const struct wire_field header_fields[] = {
        WIRE_U32(struct ctdb_pkt_header, length),
        WIRE_U32(struct ctdb_pkt_header, magic),
        WIRE_U32(struct ctdb_pkt_header, version),
        WIRE_U32(struct ctdb_pkt_header, generation),
        WIRE_U32(struct ctdb_pkt_header, operation),
        WIRE_U32(struct ctdb_pkt_header, destnode),
        WIRE_U32(struct ctdb_pkt_header, srcnode),
        WIRE_U32(struct ctdb_pkt_header, reqid),
};

/* flags @32, db_id @36, callid @40, hopcount @44, keylen @48, calldatalen @52, key @56, call data. */
static const struct wire_field req_call_fields[] = {
        WIRE_U32(struct ctdb_req_call, flags),
        WIRE_U32(struct ctdb_req_call, db_id),
        WIRE_U32(struct ctdb_req_call, callid),
        WIRE_U32(struct ctdb_req_call, hopcount),
        WIRE_U32(struct ctdb_req_call, keylen),
        WIRE_U32(struct ctdb_req_call, calldatalen),
        WIRE_BLOB_SIZED(struct ctdb_req_call, key, keylen, BODY_MAX),
        WIRE_BLOB_SIZED(struct ctdb_req_call, calldata, calldatalen, BODY_MAX),
};

/* status @32, datalen @36, data @40. */
static const struct wire_field reply_call_fields[] = {
        WIRE_U32(struct ctdb_reply_call, status),
        WIRE_BLOB(struct ctdb_reply_call, data, datalen, BODY_MAX),
};

/* status @32, msglen @36, msg @40. */
static const struct wire_field reply_error_fields[] = {
        WIRE_U32(struct ctdb_reply_error, status),
        WIRE_BLOB(struct ctdb_reply_error, msg, msglen, BODY_MAX),
};

/* srvid @32, datalen @40, data @44. */
static const struct wire_field req_message_fields[] = {
        WIRE_U64(struct ctdb_req_message, srvid),
        WIRE_BLOB(struct ctdb_req_message, data, datalen, BODY_MAX),
};

/* opcode @32, pad @36, srvid @40, client_id @48, flags @52, datalen @56, data @60. */
static const struct wire_field req_control_fields[] = {
        WIRE_U32(struct ctdb_req_control, opcode),
        WIRE_PAD(4),
        WIRE_U64(struct ctdb_req_control, srvid),
        WIRE_U32(struct ctdb_req_control, client_id),
        WIRE_U32(struct ctdb_req_control, flags),
        WIRE_BLOB(struct ctdb_req_control, data, datalen, BODY_MAX),
};

/* status @32, datalen @36, errorlen @40, data @44, then the error right after the data. */
static const struct wire_field reply_control_fields[] = {
        WIRE_U32(struct ctdb_reply_control, status),
        WIRE_U32(struct ctdb_reply_control, datalen),
        WIRE_U32(struct ctdb_reply_control, errorlen),
        WIRE_BLOB_SIZED(struct ctdb_reply_control, data, datalen, BODY_MAX),
        WIRE_BLOB_SIZED(struct ctdb_reply_control, error, errorlen, BODY_MAX),
};

/* tunnel_id @32, flags @40, datalen @44, data @48. */
static const struct wire_field req_tunnel_fields[] = {
        WIRE_U64(struct ctdb_req_tunnel, tunnel_id),
        WIRE_U32(struct ctdb_req_tunnel, flags),
        WIRE_BLOB(struct ctdb_req_tunnel, data, datalen, BODY_MAX),
};

/* The header is no operation; kind 0 is never looked up as one (ctdb_pkt_desc() is by table). */
const struct wire_desc ctdb_pkt_header_desc = WIRE_DESC_NATIVE(0, struct ctdb_pkt_header, header_fields);
const struct wire_desc ctdb_req_call_desc =
        WIRE_DESC_NATIVE(CTDB_REQ_CALL, struct ctdb_req_call, req_call_fields);
const struct wire_desc ctdb_reply_call_desc =
        WIRE_DESC_NATIVE(CTDB_REPLY_CALL, struct ctdb_reply_call, reply_call_fields);
const struct wire_desc ctdb_reply_error_desc =
        WIRE_DESC_NATIVE(CTDB_REPLY_ERROR, struct ctdb_reply_error, reply_error_fields);
const struct wire_desc ctdb_req_message_desc =
        WIRE_DESC_NATIVE(CTDB_REQ_MESSAGE, struct ctdb_req_message, req_message_fields);
const struct wire_desc ctdb_req_control_desc =
        WIRE_DESC_NATIVE(CTDB_REQ_CONTROL, struct ctdb_req_control, req_control_fields);
const struct wire_desc ctdb_reply_control_desc =
        WIRE_DESC_NATIVE(CTDB_REPLY_CONTROL, struct ctdb_reply_control, reply_control_fields);
const struct wire_desc ctdb_req_tunnel_desc =
        WIRE_DESC_NATIVE(CTDB_REQ_TUNNEL, struct ctdb_req_tunnel, req_tunnel_fields);

static const struct wire_desc *const pkt_descs[] = {
        [CTDB_REQ_CALL] = &ctdb_req_call_desc,
        [CTDB_REPLY_CALL] = &ctdb_reply_call_desc,
        [CTDB_REPLY_ERROR] = &ctdb_reply_error_desc,
        [CTDB_REQ_MESSAGE] = &ctdb_req_message_desc,
        [CTDB_REQ_CONTROL] = &ctdb_req_control_desc,
        [CTDB_REPLY_CONTROL] = &ctdb_reply_control_desc,
        [CTDB_REQ_TUNNEL] = &ctdb_req_tunnel_desc,
};

const struct wire_desc *ctdb_pkt_desc(uint32_t operation) {
        return operation < sizeof(pkt_descs) / sizeof(pkt_descs[0]) ? pkt_descs[operation] : NULL;
}

#define NAME_ENTRY_(name, value) [value] = #name,

const char *ctdb_operation_to_string(uint32_t operation) {
        static const char *const names[] = { CTDB_OPERATIONS(NAME_ENTRY_) };

        if (operation >= sizeof(names) / sizeof(names[0]) || !names[operation])
                return "unknown";
        return names[operation];
}

const char *ctdb_control_to_string(uint32_t opcode) {
        static const char *const names[] = { CTDB_CONTROLS(NAME_ENTRY_) };

        if (opcode >= sizeof(names) / sizeof(names[0]) || !names[opcode])
                return "unknown";
        return names[opcode];
}

/* ---- framing ------------------------------------------------------------------ */

static uint32_t get_length(const uint8_t *buf) {
        uint32_t v;

        memcpy(&v, buf, sizeof(v));
        return v;
}

int ctdb_pkt_frame_length(const uint8_t *buf, size_t avail) {
        uint32_t length;

        if (avail < sizeof(length))
                return 0;
        length = get_length(buf);
        if (length < CTDB_PKT_HEADER_SIZE)
                return -EBADMSG;
        if (length > CTDB_PKT_MAX)
                return -EMSGSIZE;
        return (int) length;
}

int ctdb_pkt_header_check(const uint8_t *buf, size_t len, struct ctdb_pkt_header *ret) {
        struct ctdb_pkt_header h;
        int r;

        if (len < CTDB_PKT_HEADER_SIZE)
                return -EBADMSG;
        if (len > CTDB_PKT_MAX)
                return -EMSGSIZE;
        r = wire_unpack(&ctdb_pkt_header_desc, NULL, buf, CTDB_PKT_HEADER_SIZE, &h);
        if (r < 0)
                return r;
        if (h.length < CTDB_PKT_HEADER_SIZE)
                return -EBADMSG;
        if (h.length > CTDB_PKT_MAX)
                return -EMSGSIZE;
        /* CTDB's client drops a packet whose length is not what it read: so do we. */
        if (h.length != len)
                return -EBADMSG;
        if (h.magic != CTDB_MAGIC)
                return -EPROTO;
        if (h.version != CTDB_PROTOCOL)
                return -EPROTONOSUPPORT;
        *ret = h;
        return 0;
}

int ctdb_pkt_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *buf, size_t len, void *msg) {
        if (len < CTDB_PKT_HEADER_SIZE)
                return -EBADMSG;
        return wire_unpack(desc, mem_ctx, buf + CTDB_PKT_HEADER_SIZE, len - CTDB_PKT_HEADER_SIZE, msg);
}

/* ---- building ------------------------------------------------------------------ */

static size_t align_up(size_t n) {
        return (n + CTDB_PKT_ALIGN - 1) / CTDB_PKT_ALIGN * CTDB_PKT_ALIGN;
}

size_t ctdb_pkt_size(const struct wire_desc *desc, const void *msg) {
        return align_up(CTDB_PKT_HEADER_SIZE + wire_payload_size(desc, msg));
}

int ctdb_pkt_pack(struct ctdb_pkt_header *hdr, const struct wire_desc *desc, const void *msg, uint8_t *buf,
                  size_t size) {
        struct ctdb_pkt_header h = *hdr;
        size_t body, need;
        int r;

        /* A control's data description would be packed as operation 0, REQ_CALL. */
        if (ctdb_pkt_desc(desc->kind) != desc)
                return -EINVAL;
        if (desc == &ctdb_reply_control_desc) {
                const struct ctdb_reply_control *c = msg;

                if (c->status != 0 && c->datalen != 0)
                        return -EINVAL;
        }
        body = wire_payload_size(desc, msg);
        if (body > BODY_MAX)
                return -EMSGSIZE;
        need = align_up(CTDB_PKT_HEADER_SIZE + body);
        if (need > CTDB_PKT_MAX || need > size)
                return -EMSGSIZE;

        r = wire_pack(desc, msg, buf + CTDB_PKT_HEADER_SIZE, body);
        if (r < 0)
                return r;
        memset(buf + CTDB_PKT_HEADER_SIZE + body, 0, need - CTDB_PKT_HEADER_SIZE - body);
        h.length = (uint32_t) need;
        h.magic = CTDB_MAGIC;
        h.version = CTDB_PROTOCOL;
        h.operation = desc->kind;
        r = wire_pack(&ctdb_pkt_header_desc, &h, buf, CTDB_PKT_HEADER_SIZE);
        if (r < 0)
                return r;
        *hdr = h;
        return (int) need;
}

int ctdb_pkt_build(void *mem_ctx, struct ctdb_pkt_header *hdr, const struct wire_desc *desc, const void *msg,
                   uint8_t **ret_buf, size_t *ret_len) {
        size_t need = ctdb_pkt_size(desc, msg);
        uint8_t *buf;
        int r;

        if (need > CTDB_PKT_MAX)
                return -EMSGSIZE;
        buf = talloc_size(mem_ctx, need);
        if (!buf)
                return -ENOMEM;
        r = ctdb_pkt_pack(hdr, desc, msg, buf, need);
        if (r < 0) {
                talloc_free(buf);
                return r;
        }
        *ret_buf = buf;
        *ret_len = (size_t) r;
        return 0;
}
