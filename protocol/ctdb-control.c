/*
 * The data layouts of the controls and messages ctdb-remix serves on
 * ctdbd.socket (notes sections 4 and 5), one description each; see
 * ctdb-protocol.h. The offsets in the comments are from the data's start.
 */

#include <errno.h>
#include <string.h>
#include <talloc.h>

#include "ctdb-protocol.h"

/* pid_t travels raw: 4 bytes on Linux. */
_Static_assert(sizeof(pid_t) == sizeof(int32_t), "CHECK_PID_SRVID's pid is 4 bytes");
_Static_assert(sizeof(struct sockaddr_in6) == CTDB_SOCK_ADDR_SIZE, "ctdb_sock_addr is a sockaddr_in6");

/* Bytes a record's key or data may take: what a packet leaves after header and fixed fields. */
#define DATA_MAX CTDB_PKT_MAX

static const struct wire_field sock_addr_fields[] = {
        WIRE_FIXED(struct ctdb_sock_addr, raw),
};
const struct wire_desc ctdb_sock_addr_desc = WIRE_DESC_NATIVE(0, struct ctdb_sock_addr, sock_addr_fields);

static const struct wire_field u32_data_fields[] = {
        WIRE_U32(struct ctdb_u32_data, value),
};
const struct wire_desc ctdb_u32_data_desc = WIRE_DESC_NATIVE(0, struct ctdb_u32_data, u32_data_fields);

static const struct wire_field u64_data_fields[] = {
        WIRE_U64(struct ctdb_u64_data, value),
};
const struct wire_desc ctdb_u64_data_desc = WIRE_DESC_NATIVE(0, struct ctdb_u64_data, u64_data_fields);

/* pnn @0, flags @4, addr @8 (36 bytes). */
static const struct wire_field node_and_flags_fields[] = {
        WIRE_U32(struct ctdb_node_and_flags, pnn),
        WIRE_U32(struct ctdb_node_and_flags, flags),
        WIRE_STRUCT(struct ctdb_node_and_flags, addr, &ctdb_sock_addr_desc),
};
static const struct wire_desc node_and_flags_desc =
        WIRE_DESC_NATIVE(0, struct ctdb_node_and_flags, node_and_flags_fields);

static const struct wire_field node_map_fields[] = {
        WIRE_STRUCT_ARRAY(struct ctdb_node_map, nodes, num, &node_and_flags_desc, CTDB_CONTROL_MAX_NODES),
};
const struct wire_desc ctdb_node_map_desc = WIRE_DESC_NATIVE(0, struct ctdb_node_map, node_map_fields);

/* pnn @0, addr @4 (32 bytes). */
static const struct wire_field public_ip_fields[] = {
        WIRE_U32(struct ctdb_public_ip, pnn),
        WIRE_STRUCT(struct ctdb_public_ip, addr, &ctdb_sock_addr_desc),
};
static const struct wire_desc public_ip_desc = WIRE_DESC_NATIVE(0, struct ctdb_public_ip, public_ip_fields);

static const struct wire_field public_ip_list_fields[] = {
        WIRE_STRUCT_ARRAY(struct ctdb_public_ip_list, ips, num, &public_ip_desc, CTDB_CONTROL_MAX_IPS),
};
const struct wire_desc ctdb_public_ip_list_desc =
        WIRE_DESC_NATIVE(0, struct ctdb_public_ip_list, public_ip_list_fields);

/* generation @0, size @4, map @8. */
static const struct wire_field vnn_map_fields[] = {
        WIRE_U32(struct ctdb_vnn_map, generation),
        WIRE_U32_ARRAY(struct ctdb_vnn_map, map, size, CTDB_CONTROL_MAX_NODES),
};
const struct wire_desc ctdb_vnn_map_desc = WIRE_DESC_NATIVE(0, struct ctdb_vnn_map, vnn_map_fields);

/* db_id @0, flags @4, 3 bytes of padding (8 bytes). */
static const struct wire_field dbid_fields[] = {
        WIRE_U32(struct ctdb_dbid, db_id),
        WIRE_U8(struct ctdb_dbid, flags),
        WIRE_PAD(3),
};
static const struct wire_desc dbid_desc = WIRE_DESC_NATIVE(0, struct ctdb_dbid, dbid_fields);

static const struct wire_field dbid_map_fields[] = {
        WIRE_STRUCT_ARRAY(struct ctdb_dbid_map, dbs, num, &dbid_desc, CTDB_CONTROL_MAX_DBS),
};
const struct wire_desc ctdb_dbid_map_desc = WIRE_DESC_NATIVE(0, struct ctdb_dbid_map, dbid_map_fields);

static const struct wire_field timeval_fields[] = {
        WIRE_U64(struct ctdb_timeval, tv_sec),
        WIRE_U64(struct ctdb_timeval, tv_usec),
};
static const struct wire_desc timeval_desc = WIRE_DESC_NATIVE(0, struct ctdb_timeval, timeval_fields);

static const struct wire_field uptime_fields[] = {
        WIRE_STRUCT(struct ctdb_uptime, current_time, &timeval_desc),
        WIRE_STRUCT(struct ctdb_uptime, ctdbd_start_time, &timeval_desc),
        WIRE_STRUCT(struct ctdb_uptime, last_recovery_started, &timeval_desc),
        WIRE_STRUCT(struct ctdb_uptime, last_recovery_finished, &timeval_desc),
};
const struct wire_desc ctdb_uptime_desc = WIRE_DESC_NATIVE(0, struct ctdb_uptime, uptime_fields);

/* db_id @0, reqid @4, srvid @8 (16 bytes). */
static const struct wire_field traverse_start_fields[] = {
        WIRE_U32(struct ctdb_traverse_start, db_id),
        WIRE_U32(struct ctdb_traverse_start, reqid),
        WIRE_U64(struct ctdb_traverse_start, srvid),
};
const struct wire_desc ctdb_traverse_start_desc =
        WIRE_DESC_NATIVE(0, struct ctdb_traverse_start, traverse_start_fields);

/* db_id @0, reqid @4, srvid @8, withemptyrecords @16, 7 bytes of padding (24 bytes). */
static const struct wire_field traverse_start_ext_fields[] = {
        WIRE_U32(struct ctdb_traverse_start_ext, db_id),
        WIRE_U32(struct ctdb_traverse_start_ext, reqid),
        WIRE_U64(struct ctdb_traverse_start_ext, srvid),
        WIRE_U8(struct ctdb_traverse_start_ext, withemptyrecords),
        WIRE_PAD(7),
};
const struct wire_desc ctdb_traverse_start_ext_desc =
        WIRE_DESC_NATIVE(0, struct ctdb_traverse_start_ext, traverse_start_ext_fields);

/*
 * length @0 (the whole record, WIRE_U32_TOTAL: the engine computes and checks
 * it, so a rec_buffer is a plain array of these), reqid @4, keylen @8, datalen
 * @12, key @16, data right after the key.
 */
static const struct wire_field rec_data_fields[] = {
        WIRE_U32_TOTAL(struct ctdb_rec_data, length),
        WIRE_U32(struct ctdb_rec_data, reqid),
        WIRE_U32(struct ctdb_rec_data, keylen),
        WIRE_U32(struct ctdb_rec_data, datalen),
        WIRE_BLOB_SIZED(struct ctdb_rec_data, key, keylen, DATA_MAX),
        WIRE_BLOB_SIZED(struct ctdb_rec_data, data, datalen, DATA_MAX),
};
const struct wire_desc ctdb_rec_data_desc = WIRE_DESC_NATIVE(0, struct ctdb_rec_data, rec_data_fields);

/* db_id @0, count @4, records @8, one after the other. */
static const struct wire_field rec_buffer_fields[] = {
        WIRE_U32(struct ctdb_rec_buffer, db_id),
        WIRE_STRUCT_ARRAY(struct ctdb_rec_buffer, records, count, &ctdb_rec_data_desc, CTDB_REC_BUFFER_MAX),
};
const struct wire_desc ctdb_rec_buffer_desc = WIRE_DESC_NATIVE(0, struct ctdb_rec_buffer, rec_buffer_fields);

/* CTDB's ctdb_ltdb_header: rsn @0, dmaster @8, reserved1 @12, flags @16, 4 bytes of padding (24 bytes). */
static const struct wire_field ltdb_header_fields[] = {
        WIRE_U64(struct ltdb_header, rsn),
        WIRE_U32(struct ltdb_header, dmaster),
        WIRE_U32(struct ltdb_header, reserved1),
        WIRE_U32(struct ltdb_header, flags),
        WIRE_PAD(4),
};
static const struct wire_desc ltdb_header_desc = WIRE_DESC_NATIVE(0, struct ltdb_header, ltdb_header_fields);

/* db_id @0, 4 bytes of padding, header @8, keylen @32, key @36. */
static const struct wire_field key_data_fields[] = {
        WIRE_U32(struct ctdb_key_data, db_id),
        WIRE_PAD(4),
        WIRE_STRUCT(struct ctdb_key_data, header, &ltdb_header_desc),
        WIRE_BLOB(struct ctdb_key_data, key, keylen, DATA_MAX),
};
const struct wire_desc ctdb_key_data_desc = WIRE_DESC_NATIVE(0, struct ctdb_key_data, key_data_fields);

/* pid @0, srvid @4 (12 bytes, packed). */
static const struct wire_field pid_srvid_fields[] = {
        WIRE_U32(struct ctdb_pid_srvid, pid),
        WIRE_U64(struct ctdb_pid_srvid, srvid),
};
const struct wire_desc ctdb_pid_srvid_desc = WIRE_DESC_NATIVE(0, struct ctdb_pid_srvid, pid_srvid_fields);

/* pnn @0, 4 bytes of padding, srvid @8 (16 bytes). */
static const struct wire_field srvid_message_fields[] = {
        WIRE_U32(struct ctdb_srvid_message, pnn),
        WIRE_PAD(4),
        WIRE_U64(struct ctdb_srvid_message, srvid),
};
const struct wire_desc ctdb_srvid_message_desc =
        WIRE_DESC_NATIVE(0, struct ctdb_srvid_message, srvid_message_fields);

static const struct wire_field ban_state_fields[] = {
        WIRE_U32(struct ctdb_ban_state, pnn),
        WIRE_U32(struct ctdb_ban_state, time),
};
const struct wire_desc ctdb_ban_state_desc = WIRE_DESC_NATIVE(0, struct ctdb_ban_state, ban_state_fields);

/* name @0 (18 bytes), link_state @18, references @20 (24 bytes). */
static const struct wire_field iface_fields[] = {
        WIRE_FIXED(struct ctdb_iface, name),
        WIRE_U16(struct ctdb_iface, link_state),
        WIRE_U32(struct ctdb_iface, references),
};
static const struct wire_desc iface_desc = WIRE_DESC_NATIVE(0, struct ctdb_iface, iface_fields);

static const struct wire_field iface_list_fields[] = {
        WIRE_STRUCT_ARRAY(struct ctdb_iface_list, ifaces, num, &iface_desc, CTDB_CONTROL_MAX_IFACES),
};
const struct wire_desc ctdb_iface_list_desc = WIRE_DESC_NATIVE(0, struct ctdb_iface_list, iface_list_fields);

/* pnn @0, addr @4, active_idx @32, num @36, ifaces @40. */
static const struct wire_field public_ip_info_fields[] = {
        WIRE_STRUCT(struct ctdb_public_ip_info, ip, &public_ip_desc),
        WIRE_U32(struct ctdb_public_ip_info, active_idx),
        WIRE_STRUCT_ARRAY(struct ctdb_public_ip_info, ifaces, num_ifaces, &iface_desc,
                          CTDB_CONTROL_MAX_IFACES),
};
const struct wire_desc ctdb_public_ip_info_desc =
        WIRE_DESC_NATIVE(0, struct ctdb_public_ip_info, public_ip_info_fields);

static const struct wire_field connection_fields[] = {
        WIRE_STRUCT(struct ctdb_connection, src, &ctdb_sock_addr_desc),
        WIRE_STRUCT(struct ctdb_connection, dst, &ctdb_sock_addr_desc),
};
const struct wire_desc ctdb_connection_desc = WIRE_DESC_NATIVE(0, struct ctdb_connection, connection_fields);

static const struct wire_field get_db_seqnum_fields[] = {
        WIRE_U32(struct ctdb_get_db_seqnum, db_id),
        WIRE_PAD(4),
};
const struct wire_desc ctdb_get_db_seqnum_desc =
        WIRE_DESC_NATIVE(0, struct ctdb_get_db_seqnum, get_db_seqnum_fields);

/* timeout @0, buflen @4, buf @8. */
static const struct wire_field echo_data_fields[] = {
        WIRE_U32(struct ctdb_echo_data, timeout),
        WIRE_BLOB(struct ctdb_echo_data, buf, buflen, DATA_MAX),
};
const struct wire_desc ctdb_echo_data_desc = WIRE_DESC_NATIVE(0, struct ctdb_echo_data, echo_data_fields);

/* ---- payloads ---------------------------------------------------------------- */

int ctdb_payload_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *data, size_t len,
                        void *msg) {
        int r = wire_unpack(desc, mem_ctx, data, len, msg);

        if (r < 0)
                return r;
        if ((size_t) r != len)
                return -EBADMSG;
        return 0;
}

int ctdb_payload_build(void *mem_ctx, const struct wire_desc *desc, const void *msg, uint8_t **ret,
                       uint32_t *ret_len) {
        size_t n = wire_payload_size(desc, msg);
        uint8_t *buf;
        int r;

        if (n > CTDB_PKT_MAX)
                return -EINVAL;
        /* One byte at least, so that an empty payload is still a buffer the caller can free. */
        buf = talloc_size(mem_ctx, n > 0 ? n : 1);
        if (!buf)
                return -ENOMEM;
        r = wire_pack(desc, msg, buf, n);
        if (r < 0) {
                talloc_free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = (uint32_t) n;
        return 0;
}

int ctdb_payload_string(const uint8_t *data, size_t len, const char **ret) {
        if (!data || len == 0 || data[len - 1] != '\0' || memchr(data, '\0', len - 1))
                return -EBADMSG;
        *ret = (const char *) data;
        return 0;
}

/* ---- addresses ---------------------------------------------------------------- */

int ctdb_sock_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct ctdb_sock_addr *ret) {
        size_t n;

        if (!sa || len < sizeof(sa_family_t))
                return -EINVAL;
        switch (sa->sa_family) {
        case AF_INET:
                n = sizeof(struct sockaddr_in);
                break;
        case AF_INET6:
                n = sizeof(struct sockaddr_in6);
                break;
        default:
                return -EAFNOSUPPORT;
        }
        if (len < n)
                return -EINVAL;
        memset(ret, 0, sizeof(*ret));
        memcpy(ret->raw, sa, n);
        return 0;
}

int ctdb_sock_addr_to_sockaddr(const struct ctdb_sock_addr *a, struct sockaddr_storage *ret,
                               socklen_t *ret_len) {
        sa_family_t family;
        socklen_t n;

        memcpy(&family, a->raw, sizeof(family));
        switch (family) {
        case AF_INET:
                n = sizeof(struct sockaddr_in);
                break;
        case AF_INET6:
                n = sizeof(struct sockaddr_in6);
                break;
        default:
                return -EAFNOSUPPORT;
        }
        memset(ret, 0, sizeof(*ret));
        memcpy(ret, a->raw, n);
        if (ret_len)
                *ret_len = n;
        return 0;
}

void ctdb_sock_addr_from_ip(const struct ctdb_ip *ip, uint16_t port, struct ctdb_sock_addr *ret) {
        struct sockaddr_storage ss;
        socklen_t n = ctdb_ip_to_sockaddr(ip, port, &ss);

        memset(ret, 0, sizeof(*ret));
        if (n > 0 && n <= CTDB_SOCK_ADDR_SIZE)
                memcpy(ret->raw, &ss, n);
}

int ctdb_sock_addr_to_ip(const struct ctdb_sock_addr *a, struct ctdb_ip *ret, uint16_t *ret_port) {
        struct sockaddr_storage ss;
        socklen_t n;
        int r;

        r = ctdb_sock_addr_to_sockaddr(a, &ss, &n);
        if (r < 0)
                return r;
        r = ctdb_ip_from_sockaddr((const struct sockaddr *) &ss, n, 0, ret);
        if (r < 0)
                return r;
        if (ret_port)
                *ret_port = ntohs(ss.ss_family == AF_INET ? ((const struct sockaddr_in *) &ss)->sin_port
                                                          : ((const struct sockaddr_in6 *) &ss)->sin6_port);
        return 0;
}
