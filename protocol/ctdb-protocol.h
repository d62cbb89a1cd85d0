#pragma once

/*
 * CTDB 4.x's client protocol as ctdbd serves it on ctdbd.socket, so that stock
 * smbd, the stock ctdb tool and CTDB's test programs talk to ctdb-remix
 * unchanged (../shared/notes/ctdb-client-protocol.md, sections 2 to 5).
 *
 * A packet is a 32-byte header and the body of its operation; every integer
 * is in the host's byte order and nothing is padded but where a layout says
 * so. Each body, and the data of each control this project serves, is
 * described once as a struct wire_desc (common/wire.h, WIRE_DESC_NATIVE); the
 * functions below frame, check, pack and unpack them. Every count is checked
 * against the bytes that are there before anything is allocated for it, and
 * nothing here logs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ctdb-node.h"
#include "ip-address.h"
#include "ltdb.h"
#include "wire.h"

/* ---- header and framing --------------------------------------------------- */

#define CTDB_MAGIC              UINT32_C(0x43544442) /* "CTDB" as a host-order u32 */
#define CTDB_PROTOCOL           1u
#define CTDB_PKT_HEADER_SIZE    32u
/* ctdbd pads what it sends to a multiple of 8; hdr.length holds the padded length. */
#define CTDB_PKT_ALIGN          8u
/*
 * The largest packet accepted or built, header and padding included. CTDB has
 * no limit of its own; the largest packets clients send are a TRANS3_COMMIT
 * (one whole persistent transaction) and Samba messages (a talloc report for
 * smbcontrol runs to megabytes). 16 MiB is well above those and bounds what one
 * connection can make the daemon buffer.
 */
#define CTDB_PKT_MAX            (16u * 1024u * 1024u)

/* Every operation, X(NAME, value): CTDB_REQ_CALL = 0 ... (CTDB's numbers). */
#define CTDB_OPERATIONS(X)                                                                              \
        X(REQ_CALL, 0)                                                                                  \
        X(REPLY_CALL, 1)                                                                                \
        X(REQ_DMASTER, 2)                                                                               \
        X(REPLY_DMASTER, 3)                                                                             \
        X(REPLY_ERROR, 4)                                                                               \
        X(REQ_MESSAGE, 5)                                                                               \
        X(REQ_CONTROL, 7)                                                                               \
        X(REPLY_CONTROL, 8)                                                                             \
        X(REQ_KEEPALIVE, 9)                                                                             \
        X(REQ_TUNNEL, 10)

enum ctdb_operation {
#define CTDB_OPERATION_ENUM_(name, value) CTDB_##name = (value),
        CTDB_OPERATIONS(CTDB_OPERATION_ENUM_)
#undef CTDB_OPERATION_ENUM_
};

/* Node addresses of the header besides real pnns. */
#define CTDB_CURRENT_NODE        UINT32_C(0xF0000001) /* the daemon the client talks to */
#define CTDB_BROADCAST_ALL       UINT32_C(0xF0000002)
#define CTDB_BROADCAST_ACTIVE    UINT32_C(0xF0000003) /* the nodes of the vnn map */
#define CTDB_BROADCAST_CONNECTED UINT32_C(0xF0000004) /* the sender's own node included */
#define CTDB_UNKNOWN_PNN         UINT32_C(0xFFFFFFFF) /* srcnode before GET_PNN; "no leader" */

struct ctdb_pkt_header {
        uint32_t length;        /* whole packet: header, body and padding */
        uint32_t magic;         /* CTDB_MAGIC */
        uint32_t version;       /* CTDB_PROTOCOL */
        uint32_t generation;
        uint32_t operation;     /* enum ctdb_operation */
        uint32_t destnode;
        uint32_t srcnode;
        uint32_t reqid;
};

/* ---- packet bodies -------------------------------------------------------- */

/* REQ_CALL flags and call ids. */
#define CTDB_IMMEDIATE_MIGRATION        0x00000001u
#define CTDB_CALL_FLAG_VACUUM_MIGRATION 0x00000002u /* between daemons only */
#define CTDB_WANT_READONLY              0x00000004u
#define CTDB_NULL_FUNC                  UINT32_C(0xFF000001)
#define CTDB_FETCH_FUNC                 UINT32_C(0xFF000002)
#define CTDB_FETCH_WITH_HEADER_FUNC     UINT32_C(0xFF000003)

/*
 * In every body, data members point into the packet they were unpacked from
 * (no copy); on the way out they are read from wherever the caller has them.
 */
struct ctdb_req_call {
        uint32_t flags;
        uint32_t db_id;
        uint32_t callid;
        uint32_t hopcount;
        uint32_t keylen;
        uint32_t calldatalen;
        const uint8_t *key;
        const uint8_t *calldata;
};

struct ctdb_reply_call {
        int32_t status;
        uint32_t datalen;
        const uint8_t *data;
};

/* Ignored by CTDB's new client library: a failed call still needs a REPLY_CALL. */
struct ctdb_reply_error {
        int32_t status;
        uint32_t msglen;
        const uint8_t *msg;
};

struct ctdb_req_message {
        uint64_t srvid;
        uint32_t datalen;
        const uint8_t *data;
};

/* REQ_CONTROL flags; the top 16 bits mean something per opcode. */
#define CTDB_CTRL_FLAG_NOREPLY              0x00000001u
#define CTDB_PUBLIC_IP_FLAGS_ONLY_AVAILABLE 0x00010000u /* GET_PUBLIC_IPS */

struct ctdb_req_control {
        uint32_t opcode;        /* enum ctdb_control */
        uint64_t srvid;         /* REGISTER_SRVID's srvid, TUNNEL_REGISTER's tunnel id, ... */
        uint32_t client_id;
        uint32_t flags;         /* CTDB_CTRL_FLAG_* */
        uint32_t datalen;
        const uint8_t *data;
};

/*
 * The data (datalen bytes) and then the error string (errorlen bytes, no NUL).
 * CTDB's new client reads the error where the data would be whenever status is
 * not 0, so a reply with status != 0 must carry no data: ctdb_pkt_pack()
 * refuses one that does.
 */
struct ctdb_reply_control {
        int32_t status;
        uint32_t datalen;
        uint32_t errorlen;
        const uint8_t *data;
        const uint8_t *error;
};

#define CTDB_TUNNEL_FLAG_REQUEST 0x00000001u
#define CTDB_TUNNEL_FLAG_REPLY   0x00000002u
#define CTDB_TUNNEL_FLAG_NOREPLY 0x00000010u
/* tunnel_test's tunnel ids: CTDB_TUNNEL_TEST | pnn. */
#define CTDB_TUNNEL_TEST         UINT64_C(0xFFFFFFFF00000000)

struct ctdb_req_tunnel {
        uint64_t tunnel_id;
        uint32_t flags;         /* CTDB_TUNNEL_FLAG_* */
        uint32_t datalen;
        const uint8_t *data;
};

extern const struct wire_desc ctdb_pkt_header_desc;     /* struct ctdb_pkt_header */
extern const struct wire_desc ctdb_req_call_desc;
extern const struct wire_desc ctdb_reply_call_desc;
extern const struct wire_desc ctdb_reply_error_desc;
extern const struct wire_desc ctdb_req_message_desc;
extern const struct wire_desc ctdb_req_control_desc;
extern const struct wire_desc ctdb_reply_control_desc;
extern const struct wire_desc ctdb_req_tunnel_desc;

/* The body description of an operation (its kind is the operation), or NULL for one clients never use. */
const struct wire_desc *ctdb_pkt_desc(uint32_t operation);
/* "REQ_CALL", "REPLY_CONTROL", ...; "unknown" for another value. */
const char *ctdb_operation_to_string(uint32_t operation);

/*
 * For a stream reader: the length of the packet that starts at buf, once 4
 * bytes of it are there (avail); 0 while fewer are. -EBADMSG for a length
 * below a header, -EMSGSIZE above CTDB_PKT_MAX: the connection cannot be
 * resynchronised and must be closed.
 */
int ctdb_pkt_frame_length(const uint8_t *buf, size_t avail);

/*
 * Checks the header of the packet buf of len bytes, as the caller framed it,
 * and unpacks it into *ret (left alone on failure). -EBADMSG when len or the
 * length field is below a header or the two differ, -EMSGSIZE when either is
 * above CTDB_PKT_MAX, -EPROTO for another magic, -EPROTONOSUPPORT for another
 * version.
 */
int ctdb_pkt_header_check(const uint8_t *buf, size_t len, struct ctdb_pkt_header *ret);

/*
 * Unpacks the body of the packet buf (len bytes, header included, as
 * ctdb_pkt_header_check() accepted it) with desc into msg. Data members point
 * into buf; bytes after the body (padding) are ignored, as CTDB does. Returns
 * the bytes of the body, or wire_unpack()'s errors (-EBADMSG also for len below
 * a header).
 */
int ctdb_pkt_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *buf, size_t len, void *msg);

/* Bytes of the packet of msg: header and body, padded to CTDB_PKT_ALIGN. */
size_t ctdb_pkt_size(const struct wire_desc *desc, const void *msg);

/*
 * Packs header and body into the caller's buf (size bytes) and zeroes the
 * padding. desc must be one of the body descriptions above; hdr->operation,
 * magic, version and length (the padded length) are set from it, and the rest
 * of *hdr is the caller's (hdr is left alone on failure). Returns the packet
 * length, -EMSGSIZE when it does not fit buf or CTDB_PKT_MAX, -EINVAL for a
 * length over its field's max, another desc, or a REPLY_CONTROL with status !=
 * 0 and data.
 */
int ctdb_pkt_pack(struct ctdb_pkt_header *hdr, const struct wire_desc *desc, const void *msg, uint8_t *buf,
                  size_t size);

/*
 * ctdb_pkt_pack() into a new talloc buffer of exactly the packet's size: 0 and
 * *ret_buf, *ret_len, or ctdb_pkt_pack()'s errors and -ENOMEM.
 */
int ctdb_pkt_build(void *mem_ctx, struct ctdb_pkt_header *hdr, const struct wire_desc *desc, const void *msg,
                   uint8_t **ret_buf, size_t *ret_len);

/* ---- controls --------------------------------------------------------------- */

/*
 * CTDB 4.17's control numbers, X(NAME, value), removed numbers left out.
 * Those clients send are in the notes' section 4; the others are named for the
 * log when one arrives.
 */
#define CTDB_CONTROLS(X)                                                                                \
        X(PROCESS_EXISTS, 0)                                                                            \
        X(STATISTICS, 1)                                                                                \
        X(PING, 3)                                                                                      \
        X(GETDBPATH, 4)                                                                                 \
        X(GETVNNMAP, 5)                                                                                 \
        X(SETVNNMAP, 6)                                                                                 \
        X(GET_DEBUG, 7)                                                                                 \
        X(SET_DEBUG, 8)                                                                                 \
        X(GET_DBMAP, 9)                                                                                 \
        X(GET_NODEMAPv4, 10)                                                                            \
        X(SET_DMASTER, 11)                                                                              \
        X(PULL_DB, 13)                                                                                  \
        X(PUSH_DB, 14)                                                                                  \
        X(GET_RECMODE, 15)                                                                              \
        X(SET_RECMODE, 16)                                                                              \
        X(STATISTICS_RESET, 17)                                                                         \
        X(DB_ATTACH, 18)                                                                                \
        X(SET_CALL, 19)                                                                                 \
        X(TRAVERSE_START, 20)                                                                           \
        X(TRAVERSE_ALL, 21)                                                                             \
        X(TRAVERSE_DATA, 22)                                                                            \
        X(REGISTER_SRVID, 23)                                                                           \
        X(DEREGISTER_SRVID, 24)                                                                         \
        X(GET_DBNAME, 25)                                                                               \
        X(ENABLE_SEQNUM, 26)                                                                            \
        X(UPDATE_SEQNUM, 27)                                                                            \
        X(DUMP_MEMORY, 29)                                                                              \
        X(GET_PID, 30)                                                                                  \
        X(GET_RECMASTER, 31)                                                                            \
        X(SET_RECMASTER, 32)                                                                            \
        X(FREEZE, 33)                                                                                   \
        X(THAW, 34)                                                                                     \
        X(GET_PNN, 35)                                                                                  \
        X(SHUTDOWN, 36)                                                                                 \
        X(GET_MONMODE, 37)                                                                              \
        X(TAKEOVER_IPv4, 42)                                                                            \
        X(RELEASE_IPv4, 43)                                                                             \
        X(TCP_CLIENT, 44)                                                                               \
        X(TCP_ADD, 45)                                                                                  \
        X(TCP_REMOVE, 46)                                                                               \
        X(STARTUP, 47)                                                                                  \
        X(SET_TUNABLE, 48)                                                                              \
        X(GET_TUNABLE, 49)                                                                              \
        X(LIST_TUNABLES, 50)                                                                            \
        X(GET_PUBLIC_IPSv4, 51)                                                                         \
        X(MODIFY_FLAGS, 52)                                                                             \
        X(GET_ALL_TUNABLES, 53)                                                                         \
        X(KILL_TCP, 54)                                                                                 \
        X(GET_TCP_TICKLE_LIST, 55)                                                                      \
        X(SET_TCP_TICKLE_LIST, 56)                                                                      \
        X(REGISTER_SERVER_ID, 57)                                                                       \
        X(UNREGISTER_SERVER_ID, 58)                                                                     \
        X(CHECK_SERVER_ID, 59)                                                                          \
        X(GET_SERVER_ID_LIST, 60)                                                                       \
        X(DB_ATTACH_PERSISTENT, 61)                                                                     \
        X(PERSISTENT_STORE, 62)                                                                         \
        X(UPDATE_RECORD, 63)                                                                            \
        X(SEND_GRATUITOUS_ARP, 64)                                                                      \
        X(TRANSACTION_START, 65)                                                                        \
        X(TRANSACTION_COMMIT, 66)                                                                       \
        X(WIPE_DATABASE, 67)                                                                            \
        X(UPTIME, 69)                                                                                   \
        X(START_RECOVERY, 70)                                                                           \
        X(END_RECOVERY, 71)                                                                             \
        X(RELOAD_NODES_FILE, 72)                                                                        \
        X(TRY_DELETE_RECORDS, 74)                                                                       \
        X(ENABLE_MONITOR, 75)                                                                           \
        X(DISABLE_MONITOR, 76)                                                                          \
        X(ADD_PUBLIC_IP, 77)                                                                            \
        X(DEL_PUBLIC_IP, 78)                                                                            \
        X(RUN_EVENTSCRIPTS, 79)                                                                         \
        X(GET_CAPABILITIES, 80)                                                                         \
        X(START_PERSISTENT_UPDATE, 81)                                                                  \
        X(CANCEL_PERSISTENT_UPDATE, 82)                                                                 \
        X(TRANS2_COMMIT, 83)                                                                            \
        X(TRANS2_FINISHED, 84)                                                                          \
        X(TRANS2_ERROR, 85)                                                                             \
        X(TRANS2_COMMIT_RETRY, 86)                                                                      \
        X(RECD_PING, 87)                                                                                \
        X(RELEASE_IP, 88)                                                                               \
        X(TAKEOVER_IP, 89)                                                                              \
        X(GET_PUBLIC_IPS, 90)                                                                           \
        X(GET_NODEMAP, 91)                                                                              \
        X(GET_EVENT_SCRIPT_STATUS, 96)                                                                  \
        X(TRAVERSE_KILL, 97)                                                                            \
        X(RECD_RECLOCK_LATENCY, 98)                                                                     \
        X(GET_RECLOCK_FILE, 99)                                                                         \
        X(SET_RECLOCK_FILE, 100)                                                                        \
        X(STOP_NODE, 101)                                                                               \
        X(CONTINUE_NODE, 102)                                                                           \
        X(SET_NATGWSTATE, 103)                                                                          \
        X(SET_LMASTERROLE, 104)                                                                         \
        X(SET_RECMASTERROLE, 105)                                                                       \
        X(ENABLE_SCRIPT, 107)                                                                           \
        X(DISABLE_SCRIPT, 108)                                                                          \
        X(SET_BAN_STATE, 109)                                                                           \
        X(GET_BAN_STATE, 110)                                                                           \
        X(SET_DB_PRIORITY, 111)                                                                         \
        X(GET_DB_PRIORITY, 112)                                                                         \
        X(TRANSACTION_CANCEL, 113)                                                                      \
        X(REGISTER_NOTIFY, 114)                                                                         \
        X(DEREGISTER_NOTIFY, 115)                                                                       \
        X(TRANS2_ACTIVE, 116)                                                                           \
        X(GET_LOG, 117)                                                                                 \
        X(CLEAR_LOG, 118)                                                                               \
        X(TRANS3_COMMIT, 119)                                                                           \
        X(GET_DB_SEQNUM, 120)                                                                           \
        X(DB_SET_HEALTHY, 121)                                                                          \
        X(DB_GET_HEALTH, 122)                                                                           \
        X(GET_PUBLIC_IP_INFO, 123)                                                                      \
        X(GET_IFACES, 124)                                                                              \
        X(SET_IFACE_LINK_STATE, 125)                                                                    \
        X(TCP_ADD_DELAYED_UPDATE, 126)                                                                  \
        X(GET_STAT_HISTORY, 127)                                                                        \
        X(SCHEDULE_FOR_DELETION, 128)                                                                   \
        X(SET_DB_READONLY, 129)                                                                         \
        X(CHECK_SRVIDS, 130)                                                                            \
        X(TRAVERSE_START_EXT, 131)                                                                      \
        X(GET_DB_STATISTICS, 132)                                                                       \
        X(SET_DB_STICKY, 133)                                                                           \
        X(RELOAD_PUBLIC_IPS, 134)                                                                       \
        X(TRAVERSE_ALL_EXT, 135)                                                                        \
        X(RECEIVE_RECORDS, 136)                                                                         \
        X(IPREALLOCATED, 137)                                                                           \
        X(GET_RUNSTATE, 138)                                                                            \
        X(DB_DETACH, 139)                                                                               \
        X(GET_NODES_FILE, 140)                                                                          \
        X(DB_FREEZE, 141)                                                                               \
        X(DB_THAW, 142)                                                                                 \
        X(DB_TRANSACTION_START, 143)                                                                    \
        X(DB_TRANSACTION_COMMIT, 144)                                                                   \
        X(DB_TRANSACTION_CANCEL, 145)                                                                   \
        X(DB_PULL, 146)                                                                                 \
        X(DB_PUSH_START, 147)                                                                           \
        X(DB_PUSH_CONFIRM, 148)                                                                         \
        X(DB_OPEN_FLAGS, 149)                                                                           \
        X(DB_ATTACH_REPLICATED, 150)                                                                    \
        X(CHECK_PID_SRVID, 151)                                                                         \
        X(TUNNEL_REGISTER, 152)                                                                         \
        X(TUNNEL_DEREGISTER, 153)                                                                       \
        X(VACUUM_FETCH, 154)                                                                            \
        X(DB_VACUUM, 155)                                                                               \
        X(ECHO_DATA, 156)

enum ctdb_control {
#define CTDB_CONTROL_ENUM_(name, value) CTDB_CONTROL_##name = (value),
        CTDB_CONTROLS(CTDB_CONTROL_ENUM_)
#undef CTDB_CONTROL_ENUM_
};

/* "GET_PNN", "TRANS3_COMMIT", ...; "unknown" for a number CTDB 4.17 does not have. */
const char *ctdb_control_to_string(uint32_t opcode);

/* ---- constants of control data and messages --------------------------------- */

/* srvids (CTDB's protocol.h and Samba's ctdb_srvids.h). */
#define CTDB_SRVID_LEADER                UINT64_C(0xF101000000000000) /* u32 pnn, every 1 s */
#define CTDB_SRVID_RELEASE_IP            UINT64_C(0xF300000000000000) /* address, NUL-terminated */
#define CTDB_SRVID_TAKE_IP               UINT64_C(0xF301000000000000)
#define CTDB_SRVID_TAKEOVER_RUN          UINT64_C(0xFB00000000000000) /* struct ctdb_srvid_message */
#define CTDB_SRVID_REBALANCE_NODE        UINT64_C(0xFB01000000000000)
#define CTDB_SRVID_DISABLE_TAKEOVER_RUNS UINT64_C(0xFB03000000000000)
#define CTDB_SRVID_SAMBA_RANGE           UINT64_C(0xFE00000000000000)
#define CTDB_SRVID_SAMBA_NOTIFY          CTDB_SRVID_SAMBA_RANGE
#define CTDB_SRVID_SAMBA_NOTIFY_PROXY    UINT64_C(0xFE00000000000001)
#define CTDB_SRVID_SAMBA_PROCESS         UINT64_C(0xFE00000000000002)
/* Ranges by top byte: a pid (smbd registers its own), the ctdb tool, client traverses, test programs. */
#define CTDB_SRVID_PID_RANGE             UINT64_C(0x0000000000000000)
#define CTDB_SRVID_TOOL_RANGE            UINT64_C(0xCE00000000000000)
#define CTDB_SRVID_CTDB_TOOL             UINT64_C(0xCE01000000000000) /* | (pid & 0xFFFF) << 16, + n */
#define CTDB_SRVID_CLIENT_RANGE          UINT64_C(0xBE00000000000000)
#define CTDB_SRVID_TEST_RANGE            UINT64_C(0xAE00000000000000)
/* message_ring and fetch_ring use srvid 0; cluster_wait JOIN (u32 pnn) and SYNC. */
#define CTDB_SRVID_TEST_BENCH            UINT64_C(0)
#define CTDB_SRVID_TEST_JOIN             (CTDB_SRVID_TEST_RANGE | 1u)
#define CTDB_SRVID_TEST_SYNC             (CTDB_SRVID_TEST_RANGE | 2u)

/* Node flags: common/ctdb-node.h has CTDB's bits; DISABLED is CTDB's name for these two. */
#define CTDB_NODE_FLAGS_DISABLED (CTDB_NODE_FLAG_UNHEALTHY | CTDB_NODE_FLAG_PERMANENTLY_DISABLED)

/* GET_CAPABILITIES. */
#define CTDB_CAP_RECMASTER           0x00000001u
#define CTDB_CAP_LMASTER             0x00000002u
#define CTDB_CAP_PARALLEL_RECOVERY   0x00010000u
#define CTDB_CAP_FRAGMENTED_CONTROLS 0x00020000u

/* GET_DBMAP's flags. */
#define CTDB_DB_FLAGS_PERSISTENT 0x01u
#define CTDB_DB_FLAGS_READONLY   0x02u
#define CTDB_DB_FLAGS_STICKY     0x04u
#define CTDB_DB_FLAGS_REPLICATED 0x08u

/* GET_RECMODE (as the status) and SET_RECMODE. */
#define CTDB_RECOVERY_NORMAL 0u
#define CTDB_RECOVERY_ACTIVE 1u
/* GETVNNMAP's generation while none is valid. */
#define CTDB_INVALID_GENERATION 1u

enum ctdb_runstate {
        CTDB_RUNSTATE_UNKNOWN = 0,
        CTDB_RUNSTATE_INIT = 1,
        CTDB_RUNSTATE_SETUP = 2,
        CTDB_RUNSTATE_FIRST_RECOVERY = 3,
        CTDB_RUNSTATE_STARTUP = 4,
        CTDB_RUNSTATE_RUNNING = 5,
        CTDB_RUNSTATE_SHUTDOWN = 6,
};

/* Limits of what a control's data may list; every one is also capped by the bytes sent. */
#define CTDB_CONTROL_MAX_NODES   1024u          /* as CLUSTER_VIEW_MAX_NODES */
#define CTDB_CONTROL_MAX_DBS     1024u          /* as ctdb-dbd's DBD_MAX_DBS */
#define CTDB_CONTROL_MAX_IPS     4096u          /* as ipd's IPD_MAX_ADDRESSES */
#define CTDB_CONTROL_MAX_IFACES  256u
/* A record takes 16 bytes at least, so no packet holds more. */
#define CTDB_REC_BUFFER_MAX      (CTDB_PKT_MAX / 16u)

/* ---- control data layouts ----------------------------------------------------- */

/*
 * CTDB's ctdb_sock_addr: a union of sockaddr, sockaddr_in and sockaddr_in6,
 * copied raw (28 bytes: the family in host order, the port in network order).
 * ctdb_sock_addr_*() convert it.
 */
#define CTDB_SOCK_ADDR_SIZE 28u
struct ctdb_sock_addr {
        uint8_t raw[CTDB_SOCK_ADDR_SIZE];
};

/* One integer as all of a control's data: a db_id, pid, pnn, mode, flags, capabilities, a seqnum. */
struct ctdb_u32_data {
        uint32_t value;
};
struct ctdb_u64_data {
        uint64_t value;
};

/* GET_NODEMAP reply: 36 bytes a node. */
struct ctdb_node_and_flags {
        uint32_t pnn;
        uint32_t flags;         /* CTDB_NODE_FLAG_* */
        struct ctdb_sock_addr addr;
};
struct ctdb_node_map {
        uint32_t num;
        struct ctdb_node_and_flags *nodes;
};

/* GET_PUBLIC_IPS reply: 32 bytes an address. */
struct ctdb_public_ip {
        uint32_t pnn;           /* the node that hosts it, CTDB_UNKNOWN_PNN for none */
        struct ctdb_sock_addr addr;
};
struct ctdb_public_ip_list {
        uint32_t num;
        struct ctdb_public_ip *ips;
};

/* GETVNNMAP reply. */
struct ctdb_vnn_map {
        uint32_t generation;
        uint32_t size;
        uint32_t *map;          /* lmaster pnns */
};

/* GET_DBMAP reply: db_id, flags and 3 bytes of padding, 8 bytes a database. */
struct ctdb_dbid {
        uint32_t db_id;
        uint8_t flags;          /* CTDB_DB_FLAGS_* */
};
struct ctdb_dbid_map {
        uint32_t num;
        struct ctdb_dbid *dbs;
};

/* CTDB copies struct timeval raw: two 8-byte fields on the 64-bit hosts this serves. */
struct ctdb_timeval {
        uint64_t tv_sec;
        uint64_t tv_usec;
};
/* UPTIME reply, 64 bytes. */
struct ctdb_uptime {
        struct ctdb_timeval current_time;
        struct ctdb_timeval ctdbd_start_time;
        struct ctdb_timeval last_recovery_started;
        struct ctdb_timeval last_recovery_finished;
};

/* TRAVERSE_START request, 16 bytes. */
struct ctdb_traverse_start {
        uint32_t db_id;
        uint32_t reqid;
        uint64_t srvid;         /* where the records go, as REQ_MESSAGE */
};
/* TRAVERSE_START_EXT request: the same, a bool and 7 bytes of padding (24 bytes). */
struct ctdb_traverse_start_ext {
        uint32_t db_id;
        uint32_t reqid;
        uint64_t srvid;
        uint8_t withemptyrecords;
};

/*
 * A record of a rec_buffer and of a traverse message: the length of the
 * whole record (itself included), reqid, keylen, datalen, key, data. With a
 * header (commits, traverses) data is the 24-byte ltdb header and the value
 * (ltdb_header_parse() splits them). length is computed on the way out and
 * must be exact on the way in (smbd insists on it for traverse records). A
 * record with no key and no data (16 bytes) ends a traverse.
 */
struct ctdb_rec_data {
        uint32_t length;
        uint32_t reqid;
        uint32_t keylen;
        uint32_t datalen;
        const uint8_t *key;
        const uint8_t *data;
};
/* TRANS3_COMMIT, TRY_DELETE_RECORDS, VACUUM_FETCH: the records follow their count, unpadded. */
struct ctdb_rec_buffer {
        uint32_t db_id;
        uint32_t count;
        struct ctdb_rec_data *records;
};

/* SCHEDULE_FOR_DELETION request: db_id, 4 bytes of padding, ltdb header, u32 keylen, key. */
struct ctdb_key_data {
        uint32_t db_id;
        struct ltdb_header header;
        uint32_t keylen;
        const uint8_t *key;
};

/* CHECK_PID_SRVID request: 12 bytes, packed (ctdbd takes no other size). */
struct ctdb_pid_srvid {
        int32_t pid;
        uint64_t srvid;
};

/* CTDB_SRVID_TAKEOVER_RUN's data: pnn, 4 bytes of padding, where the answer goes (16 bytes). */
struct ctdb_srvid_message {
        uint32_t pnn;
        uint64_t srvid;
};

/* SET_BAN_STATE request. */
struct ctdb_ban_state {
        uint32_t pnn;
        uint32_t time;          /* seconds, 0 to unban */
};

/* GET_IFACES reply: 24 bytes an interface. */
#define CTDB_IFACE_NAME_SIZE 18u /* IFNAMSIZ + 2, NUL-terminated */
struct ctdb_iface {
        char name[CTDB_IFACE_NAME_SIZE];
        uint16_t link_state;    /* 0 down, 1 up */
        uint32_t references;
};
struct ctdb_iface_list {
        uint32_t num;
        struct ctdb_iface *ifaces;
};

/* GET_PUBLIC_IP_INFO reply (the request is a struct ctdb_sock_addr). */
struct ctdb_public_ip_info {
        struct ctdb_public_ip ip;
        uint32_t active_idx;    /* index in ifaces of the interface it is on */
        uint32_t num_ifaces;
        struct ctdb_iface *ifaces;
};

/* TCP_CLIENT request (56 bytes): the client's side, then smbd's (the public address). */
struct ctdb_connection {
        struct ctdb_sock_addr src;
        struct ctdb_sock_addr dst;
};

/* GET_DB_SEQNUM request: the db_id in 8 bytes (the reply is a struct ctdb_u64_data). */
struct ctdb_get_db_seqnum {
        uint32_t db_id;
};

/* ECHO_DATA request and reply: after timeout milliseconds the daemon sends buf back. */
struct ctdb_echo_data {
        uint32_t timeout;
        uint32_t buflen;
        const uint8_t *buf;
};

extern const struct wire_desc ctdb_sock_addr_desc;
extern const struct wire_desc ctdb_u32_data_desc;
extern const struct wire_desc ctdb_u64_data_desc;
extern const struct wire_desc ctdb_node_map_desc;
extern const struct wire_desc ctdb_public_ip_list_desc;
extern const struct wire_desc ctdb_vnn_map_desc;
extern const struct wire_desc ctdb_dbid_map_desc;
extern const struct wire_desc ctdb_uptime_desc;
extern const struct wire_desc ctdb_traverse_start_desc;
extern const struct wire_desc ctdb_traverse_start_ext_desc;
extern const struct wire_desc ctdb_rec_data_desc;
extern const struct wire_desc ctdb_rec_buffer_desc;
extern const struct wire_desc ctdb_key_data_desc;
extern const struct wire_desc ctdb_pid_srvid_desc;
extern const struct wire_desc ctdb_srvid_message_desc;
extern const struct wire_desc ctdb_ban_state_desc;
extern const struct wire_desc ctdb_iface_list_desc;
extern const struct wire_desc ctdb_public_ip_info_desc;
extern const struct wire_desc ctdb_connection_desc;
extern const struct wire_desc ctdb_get_db_seqnum_desc;
extern const struct wire_desc ctdb_echo_data_desc;

/*
 * Unpacks the data of a control, a control reply or a message (len bytes)
 * that must be exactly one msg of desc, as CTDB's parsers insist: -EBADMSG also
 * for bytes left over. Arrays are talloc children of mem_ctx; data members
 * point into data. Returns 0 or wire_unpack()'s errors.
 */
int ctdb_payload_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *data, size_t len,
                        void *msg);

/* msg packed into a new talloc buffer of exactly its size, for a packet's data. -EINVAL, -ENOMEM. */
int ctdb_payload_build(void *mem_ctx, const struct wire_desc *desc, const void *msg, uint8_t **ret,
                       uint32_t *ret_len);

/*
 * Data that is one NUL-terminated string (DB_ATTACH's name, GETDBPATH's
 * path): *ret points into data. -EBADMSG when it is empty, lacks the NUL or
 * has one before the end.
 */
int ctdb_payload_string(const uint8_t *data, size_t len, const char **ret);

/*
 * An AF_INET or AF_INET6 socket address as CTDB carries it (the rest zeroed).
 * -EAFNOSUPPORT for another family, -EINVAL when len is short of it.
 */
int ctdb_sock_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct ctdb_sock_addr *ret);
/* The socket address in a (its length in *ret_len), -EAFNOSUPPORT unless AF_INET or AF_INET6. */
int ctdb_sock_addr_to_sockaddr(const struct ctdb_sock_addr *a, struct sockaddr_storage *ret,
                               socklen_t *ret_len);
/* The same from and to the project's address type, a port in host order (the prefix does not travel). */
void ctdb_sock_addr_from_ip(const struct ctdb_ip *ip, uint16_t port, struct ctdb_sock_addr *ret);
/* ret gets a full-length prefix; ret_port may be NULL. -EAFNOSUPPORT as above. */
int ctdb_sock_addr_to_ip(const struct ctdb_sock_addr *a, struct ctdb_ip *ret, uint16_t *ret_port);
