/* ctdb-ipd's node-to-node messages, described as wire_desc tables; see ipd-wire.h. */

#include <errno.h>
#include <string.h>

#include "ipd-wire.h"

static const struct wire_field ip_fields[] = {
        WIRE_U8(struct ipd_wire_ip, family),
        WIRE_U8(struct ipd_wire_ip, prefixlen),
        WIRE_FIXED(struct ipd_wire_ip, bytes),
};
static const struct wire_desc ip_desc = WIRE_DESC(0, struct ipd_wire_ip, ip_fields);

static const struct wire_field addr_fields[] = {
        WIRE_STRUCT(struct ipd_wire_addr, ip, &ip_desc),
        WIRE_U32(struct ipd_wire_addr, flags),
};
static const struct wire_desc addr_desc = WIRE_DESC(0, struct ipd_wire_addr, addr_fields);

static const struct wire_field state_fields[] = {
        WIRE_U32(struct ipd_state_msg, pnn),
        WIRE_U32(struct ipd_state_msg, seq),
        WIRE_STRUCT_ARRAY(struct ipd_state_msg, addrs, n_addrs, &addr_desc, IPD_MAX_ADDRESSES),
};

static const struct wire_field assign_fields[] = {
        WIRE_STRUCT(struct ipd_wire_assign, ip, &ip_desc),
        WIRE_U32(struct ipd_wire_assign, pnn),
};
static const struct wire_desc assign_desc = WIRE_DESC(0, struct ipd_wire_assign, assign_fields);

static const struct wire_field run_fields[] = {
        WIRE_U32(struct ipd_run_msg, id),
        WIRE_U32(struct ipd_run_msg, phase),
        WIRE_U32(struct ipd_run_msg, generation),
        WIRE_STRUCT_ARRAY(struct ipd_run_msg, assign, n_assign, &assign_desc, IPD_MAX_ADDRESSES),
};

static const struct wire_field run_reply_fields[] = {
        WIRE_U32(struct ipd_run_reply_msg, id),
        WIRE_U32(struct ipd_run_reply_msg, phase),
        WIRE_U32(struct ipd_run_reply_msg, status),
        WIRE_STRING(struct ipd_run_reply_msg, message, message_len, IPD_MAX_MESSAGE),
};

static const struct wire_field conn_fields[] = {
        WIRE_U8(struct ipd_wire_conn, family),
        WIRE_U8(struct ipd_wire_conn, pad),
        WIRE_U16(struct ipd_wire_conn, client_port),
        WIRE_U16(struct ipd_wire_conn, server_port),
        WIRE_FIXED(struct ipd_wire_conn, client),
        WIRE_FIXED(struct ipd_wire_conn, server),
};
static const struct wire_desc conn_desc = WIRE_DESC(0, struct ipd_wire_conn, conn_fields);

static const struct wire_field conns_fields[] = {
        WIRE_STRUCT(struct ipd_conns_msg, ip, &ip_desc),
        WIRE_U32(struct ipd_conns_msg, flags),
        WIRE_STRUCT_ARRAY(struct ipd_conns_msg, conns, n_conns, &conn_desc, IPD_MAX_CONNS),
};

static const struct wire_field request_fields[] = {
        WIRE_U32(struct ipd_request_msg, id),
        WIRE_U32(struct ipd_request_msg, op),
        WIRE_STRUCT(struct ipd_request_msg, ip, &ip_desc),
        WIRE_U32(struct ipd_request_msg, pnn),
};

static const struct wire_field reply_fields[] = {
        WIRE_U32(struct ipd_reply_msg, id),
        WIRE_U32(struct ipd_reply_msg, status),
        WIRE_STRING(struct ipd_reply_msg, error_name, error_name_len, IPD_MAX_MESSAGE),
        WIRE_STRING(struct ipd_reply_msg, message, message_len, IPD_MAX_MESSAGE),
};

const struct wire_desc ipd_state_desc = WIRE_DESC(IPD_MSG_STATE, struct ipd_state_msg, state_fields);
const struct wire_desc ipd_run_desc = WIRE_DESC(IPD_MSG_RUN, struct ipd_run_msg, run_fields);
const struct wire_desc ipd_run_reply_desc =
        WIRE_DESC(IPD_MSG_RUN_REPLY, struct ipd_run_reply_msg, run_reply_fields);
const struct wire_desc ipd_conns_desc = WIRE_DESC(IPD_MSG_CONNS, struct ipd_conns_msg, conns_fields);
const struct wire_desc ipd_request_desc = WIRE_DESC(IPD_MSG_REQUEST, struct ipd_request_msg, request_fields);
const struct wire_desc ipd_reply_desc = WIRE_DESC(IPD_MSG_REPLY, struct ipd_reply_msg, reply_fields);

WIRE_DEFINE_KIND_LOOKUPS(IPD_MSG_KINDS, ipd_msg_desc_by_kind, ipd_msg_kind_to_string)

void ipd_wire_ip_set(struct ipd_wire_ip *w, const struct ctdb_ip *a) {
        memset(w, 0, sizeof(*w));
        w->family = a->family == AF_INET6 ? 6 : 4;
        w->prefixlen = (uint8_t) a->prefixlen;
        memcpy(w->bytes, a->u.bytes, ctdb_ip_len(a));
}

int ipd_wire_ip_get(const struct ipd_wire_ip *w, struct ctdb_ip *ret) {
        struct ctdb_ip a = { .family = w->family == 6 ? AF_INET6 : AF_INET, .prefixlen = w->prefixlen };

        if ((w->family != 4 && w->family != 6) || w->prefixlen > ctdb_ip_family_bits(a.family))
                return -EBADMSG;
        memcpy(a.u.bytes, w->bytes, ctdb_ip_len(&a));
        *ret = a;
        return 0;
}
