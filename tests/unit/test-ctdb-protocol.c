/*
 * Unit tests of protocol/: CTDB's client protocol against byte strings written
 * from the offset tables of ../shared/notes/ctdb-client-protocol.md (sections
 * 2, 4 and 5), little endian as on x86-64. Each packet and each control layout
 * packs to exactly its bytes and unpacks to exactly its fields; every
 * truncation, bad header, length that overruns its packet and count too large
 * for its bytes is refused, the counts before anything is allocated.
 */

#undef NDEBUG

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/un.h>
#include <talloc.h>

#include "ctdb-protocol.h"

/* ---- helpers ------------------------------------------------------------------ */

/* Bytes of little-endian integers, so the tables below read as the notes' offsets. */
#define U16LE(v) (uint8_t) ((v) & 0xff), (uint8_t) (((v) >> 8) & 0xff)
#define U32LE(v)                                                                                        \
        (uint8_t) ((v) & 0xff), (uint8_t) (((v) >> 8) & 0xff), (uint8_t) (((v) >> 16) & 0xff),         \
                (uint8_t) (((v) >> 24) & 0xff)
#define U64LE(v) U32LE((uint64_t) (v) & 0xffffffffu), U32LE((uint64_t) (v) >> 32)
/* The 32-byte header: length, magic "BDTC" in memory, version 1, generation, operation, dest, src, reqid. */
#define HEADER(len, gen, op, dest, src, reqid)                                                          \
        U32LE(len), 0x42, 0x44, 0x54, 0x43, U32LE(1), U32LE(gen), U32LE(op), U32LE(dest), U32LE(src),   \
                U32LE(reqid)
#define ZERO4  0, 0, 0, 0
#define ZERO8  ZERO4, ZERO4
/* ctdb_sock_addr of 192.0.2.1 port 0: family 2, port, address, then zeros to 28 bytes. */
#define SA_192_0_2_1 U16LE(AF_INET), 0, 0, 192, 0, 2, 1, ZERO8, ZERO8, ZERO4
/* 2001:db8::1 port 0: family 10, port, flowinfo, address, scope id. */
#define SA_2001_DB8_1                                                                                   \
        U16LE(AF_INET6), 0, 0, ZERO4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, ZERO4

/* The reqid of the new client's first packet: reqid_init(INT_MAX - 200) + 1. */
#define FIRST_REQID 2147483448u

static struct ctdb_sock_addr sock_addr_of(const char *s, uint16_t port) {
        struct ctdb_sock_addr a;
        struct ctdb_ip ip;

        g_assert_cmpint(ctdb_ip_from_string(s, 0, &ip), ==, 0);
        ctdb_sock_addr_from_ip(&ip, port, &a);
        return a;
}

static void assert_sock_addr_is(const struct ctdb_sock_addr *a, const char *s, uint16_t port) {
        char buf[CTDB_IP_STRLEN];
        struct ctdb_ip ip;
        uint16_t p = 0;

        g_assert_cmpint(ctdb_sock_addr_to_ip(a, &ip, &p), ==, 0);
        g_assert_cmpstr(ctdb_ip_to_string(&ip, false, buf, sizeof(buf)), ==, s);
        g_assert_cmpuint(p, ==, port);
}

/* Builds the packet of msg and checks it is exactly expected, padded length in the header. */
static void assert_packet_is(struct ctdb_pkt_header *h, const struct wire_desc *desc, const void *msg,
                             const uint8_t *expected, size_t n) {
        void *ctx = talloc_new(NULL);
        uint8_t *buf;
        size_t len;

        g_assert_cmpuint(ctdb_pkt_size(desc, msg), ==, n);
        g_assert_cmpint(ctdb_pkt_build(ctx, h, desc, msg, &buf, &len), ==, 0);
        g_assert_cmpmem(buf, len, expected, n);
        g_assert_cmpuint(h->length, ==, n);
        g_assert_cmpuint(h->length % CTDB_PKT_ALIGN, ==, 0);
        g_assert_cmpuint(h->operation, ==, desc->kind);
        talloc_free(ctx);
}

/* Frames, checks and unpacks a whole packet as a daemon reads one; returns the body's length. */
static int read_packet(void *ctx, const uint8_t *pkt, size_t n, uint32_t op, struct ctdb_pkt_header *h,
                       void *msg) {
        const struct wire_desc *desc;
        int r;

        g_assert_cmpint(ctdb_pkt_frame_length(pkt, n), ==, (int) n);
        g_assert_cmpint(ctdb_pkt_header_check(pkt, n, h), ==, 0);
        g_assert_cmpuint(h->operation, ==, op);
        desc = ctdb_pkt_desc(op);
        g_assert_nonnull(desc);
        r = ctdb_pkt_unpack(desc, ctx, pkt, n, msg);
        g_assert_cmpint(r, >=, 0);
        return r;
}

/* Every proper prefix of the body (from a copy of exactly that many bytes) is refused. */
static void assert_body_truncations_refused(const struct wire_desc *desc, const uint8_t *pkt, size_t body) {
        for (size_t k = 0; k < body; k++) {
                void *ctx = talloc_new(NULL);
                uint8_t *copy = g_memdup2(pkt, CTDB_PKT_HEADER_SIZE + k);
                void *msg = g_malloc0(desc->size);
                int r = ctdb_pkt_unpack(desc, ctx, copy, CTDB_PKT_HEADER_SIZE + k, msg);

                if (r != -EBADMSG)
                        g_error("%s: body of %zu of %zu bytes gave %d, expected -EBADMSG", desc->name, k, body,
                                r);
                g_free(msg);
                g_free(copy);
                talloc_free(ctx);
        }
}

/*
 * A control or message layout: msg packs to exactly expected; expected
 * unpacks (as ctdb_payload_unpack(), exactly) into *out; every prefix and one
 * byte more are refused. out is allocated on ctx.
 */
static void assert_payload_is(void *ctx, const struct wire_desc *desc, const void *msg, const uint8_t *expected,
                              size_t n, void *out) {
        uint8_t *buf, *longer;
        uint32_t len;

        g_assert_cmpint(ctdb_payload_build(ctx, desc, msg, &buf, &len), ==, 0);
        g_assert_cmpmem(buf, len, expected, n);
        g_assert_cmpint(ctdb_payload_unpack(desc, ctx, expected, n, out), ==, 0);
        for (size_t k = 0; k < n; k++) {
                void *tmp = talloc_new(NULL);
                uint8_t *copy = g_memdup2(expected, k);
                void *m = g_malloc0(desc->size);
                int r = ctdb_payload_unpack(desc, tmp, copy, k, m);

                if (r != -EBADMSG)
                        g_error("%s: %zu of %zu bytes gave %d, expected -EBADMSG", desc->name, k, n, r);
                g_free(m);
                g_free(copy);
                talloc_free(tmp);
        }
        longer = talloc_zero_size(ctx, n + 1);
        g_assert_nonnull(longer);
        memcpy(longer, expected, n);
        {
                void *m = g_malloc0(desc->size);
                g_assert_cmpint(ctdb_payload_unpack(desc, ctx, longer, n + 1, m), ==, -EBADMSG);
                g_free(m);
        }
}

/* Unpacking fails with error and leaves nothing allocated behind (counts are checked first). */
static void assert_refused_leaving_nothing(const struct wire_desc *desc, const uint8_t *buf, size_t n,
                                           int error) {
        void *ctx = talloc_new(NULL);
        void *msg = g_malloc0(desc->size);

        g_assert_cmpint(ctdb_payload_unpack(desc, ctx, buf, n, msg), ==, error);
        g_assert_cmpuint(talloc_total_blocks(ctx), ==, 1);
        g_free(msg);
        talloc_free(ctx);
}

static void put32(uint8_t *p, uint32_t v) {
        memcpy(p, &v, 4);
}

/* ---- names and numbers --------------------------------------------------------- */

static void test_numbers(void) {
        /* The notes' section 4, number by number. */
        static const struct {
                uint32_t value, expected;
        } controls[] = {
                { CTDB_CONTROL_PROCESS_EXISTS, 0 },       { CTDB_CONTROL_GETDBPATH, 4 },
                { CTDB_CONTROL_GETVNNMAP, 5 },            { CTDB_CONTROL_GET_DBMAP, 9 },
                { CTDB_CONTROL_GET_RECMODE, 15 },         { CTDB_CONTROL_SET_RECMODE, 16 },
                { CTDB_CONTROL_DB_ATTACH, 18 },           { CTDB_CONTROL_TRAVERSE_START, 20 },
                { CTDB_CONTROL_REGISTER_SRVID, 23 },      { CTDB_CONTROL_DEREGISTER_SRVID, 24 },
                { CTDB_CONTROL_GET_DBNAME, 25 },          { CTDB_CONTROL_ENABLE_SEQNUM, 26 },
                { CTDB_CONTROL_UPDATE_SEQNUM, 27 },       { CTDB_CONTROL_GET_PNN, 35 },
                { CTDB_CONTROL_TCP_CLIENT, 44 },          { CTDB_CONTROL_DB_ATTACH_PERSISTENT, 61 },
                { CTDB_CONTROL_UPDATE_RECORD, 63 },       { CTDB_CONTROL_UPTIME, 69 },
                { CTDB_CONTROL_TRY_DELETE_RECORDS, 74 },  { CTDB_CONTROL_GET_CAPABILITIES, 80 },
                { CTDB_CONTROL_GET_PUBLIC_IPS, 90 },      { CTDB_CONTROL_GET_NODEMAP, 91 },
                { CTDB_CONTROL_SET_BAN_STATE, 109 },      { CTDB_CONTROL_REGISTER_NOTIFY, 114 },
                { CTDB_CONTROL_DEREGISTER_NOTIFY, 115 },  { CTDB_CONTROL_TRANS3_COMMIT, 119 },
                { CTDB_CONTROL_GET_DB_SEQNUM, 120 },      { CTDB_CONTROL_DB_GET_HEALTH, 122 },
                { CTDB_CONTROL_GET_PUBLIC_IP_INFO, 123 }, { CTDB_CONTROL_GET_IFACES, 124 },
                { CTDB_CONTROL_SCHEDULE_FOR_DELETION, 128 }, { CTDB_CONTROL_SET_DB_READONLY, 129 },
                { CTDB_CONTROL_TRAVERSE_START_EXT, 131 }, { CTDB_CONTROL_SET_DB_STICKY, 133 },
                { CTDB_CONTROL_RECEIVE_RECORDS, 136 },    { CTDB_CONTROL_GET_RUNSTATE, 138 },
                { CTDB_CONTROL_DB_OPEN_FLAGS, 149 },      { CTDB_CONTROL_DB_ATTACH_REPLICATED, 150 },
                { CTDB_CONTROL_CHECK_PID_SRVID, 151 },    { CTDB_CONTROL_TUNNEL_REGISTER, 152 },
                { CTDB_CONTROL_TUNNEL_DEREGISTER, 153 },  { CTDB_CONTROL_VACUUM_FETCH, 154 },
                { CTDB_CONTROL_DB_VACUUM, 155 },          { CTDB_CONTROL_ECHO_DATA, 156 },
                /* ctdb-ip-failover.md section 3.2 */
                { CTDB_CONTROL_TCP_ADD, 45 },             { CTDB_CONTROL_RELEASE_IP, 88 },
                { CTDB_CONTROL_TAKEOVER_IP, 89 },         { CTDB_CONTROL_IPREALLOCATED, 137 },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(controls); i++)
                g_assert_cmpuint(controls[i].value, ==, controls[i].expected);
        g_assert_cmpuint(CTDB_MAGIC, ==, 0x43544442);
        g_assert_cmpuint(CTDB_REQ_CALL, ==, 0);
        g_assert_cmpuint(CTDB_REPLY_CALL, ==, 1);
        g_assert_cmpuint(CTDB_REPLY_ERROR, ==, 4);
        g_assert_cmpuint(CTDB_REQ_MESSAGE, ==, 5);
        g_assert_cmpuint(CTDB_REQ_CONTROL, ==, 7);
        g_assert_cmpuint(CTDB_REPLY_CONTROL, ==, 8);
        g_assert_cmpuint(CTDB_REQ_TUNNEL, ==, 10);
        g_assert_cmpuint(CTDB_SRVID_CTDB_TOOL, ==, CTDB_SRVID_TOOL_RANGE | UINT64_C(0x0001000000000000));
        g_assert_cmpuint(CTDB_SRVID_TEST_JOIN, ==, UINT64_C(0xAE00000000000001));
        g_assert_cmpuint(CTDB_SRVID_TEST_SYNC, ==, UINT64_C(0xAE00000000000002));
        g_assert_cmpuint(CTDB_NODE_FLAGS_INACTIVE, ==, 0x39);
        g_assert_cmpuint(CTDB_NODE_FLAGS_DISABLED, ==, 0x6);
}

static void test_names(void) {
        g_assert_cmpstr(ctdb_operation_to_string(CTDB_REQ_CONTROL), ==, "REQ_CONTROL");
        g_assert_cmpstr(ctdb_operation_to_string(CTDB_REQ_TUNNEL), ==, "REQ_TUNNEL");
        g_assert_cmpstr(ctdb_operation_to_string(CTDB_REQ_DMASTER), ==, "REQ_DMASTER");
        g_assert_cmpstr(ctdb_operation_to_string(6), ==, "unknown");
        g_assert_cmpstr(ctdb_operation_to_string(11), ==, "unknown");
        /* No truncation to a smaller type: 0x10007 is not REQ_CONTROL. */
        g_assert_cmpstr(ctdb_operation_to_string(0x10007), ==, "unknown");
        g_assert_cmpstr(ctdb_operation_to_string(UINT32_MAX), ==, "unknown");

        g_assert_cmpstr(ctdb_control_to_string(CTDB_CONTROL_PROCESS_EXISTS), ==, "PROCESS_EXISTS");
        g_assert_cmpstr(ctdb_control_to_string(35), ==, "GET_PNN");
        g_assert_cmpstr(ctdb_control_to_string(151), ==, "CHECK_PID_SRVID");
        g_assert_cmpstr(ctdb_control_to_string(156), ==, "ECHO_DATA");
        g_assert_cmpstr(ctdb_control_to_string(2), ==, "unknown");
        g_assert_cmpstr(ctdb_control_to_string(92), ==, "unknown");
        g_assert_cmpstr(ctdb_control_to_string(157), ==, "unknown");
        g_assert_cmpstr(ctdb_control_to_string(0x10023), ==, "unknown");
        g_assert_cmpstr(ctdb_control_to_string(UINT32_MAX), ==, "unknown");
}

/* Clients' operations have a body description whose kind is the operation; daemon-only ones have none. */
static void test_pkt_desc(void) {
        static const uint32_t with[] = { CTDB_REQ_CALL,    CTDB_REPLY_CALL,    CTDB_REPLY_ERROR, CTDB_REQ_MESSAGE,
                                         CTDB_REQ_CONTROL, CTDB_REPLY_CONTROL, CTDB_REQ_TUNNEL };
        static const uint32_t without[] = { CTDB_REQ_DMASTER, CTDB_REPLY_DMASTER, 6, CTDB_REQ_KEEPALIVE, 11,
                                            0x10005, UINT32_MAX };

        for (size_t i = 0; i < G_N_ELEMENTS(with); i++) {
                const struct wire_desc *d = ctdb_pkt_desc(with[i]);
                g_assert_nonnull(d);
                g_assert_cmpuint(d->kind, ==, with[i]);
                g_assert_cmpint(d->order, ==, WIRE_ORDER_NATIVE);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(without); i++)
                g_assert_null(ctdb_pkt_desc(without[i]));
        g_assert_true(ctdb_pkt_desc(CTDB_REQ_CONTROL) == &ctdb_req_control_desc);
}

/* ---- packets ---------------------------------------------------------------------- */

/*
 * The ctdb tool's first packet (notes 7.2): GET_PNN to CTDB_CURRENT_NODE from
 * an unknown pnn, reqid 2147483448, generation 0; 60 bytes padded to 64.
 */
static const uint8_t tool_get_pnn[] = {
        HEADER(64, 0, CTDB_REQ_CONTROL, 0xF0000001, 0xFFFFFFFF, FIRST_REQID),
        U32LE(35),      /* opcode @32 */
        ZERO4,          /* pad @36 */
        U64LE(0),       /* srvid @40 */
        U32LE(0),       /* client_id @48 */
        U32LE(0),       /* flags @52 */
        U32LE(0),       /* datalen @56 */
        ZERO4,          /* padding to 64 */
};

static void test_get_pnn_request(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_pkt_header h = {
                .destnode = CTDB_CURRENT_NODE,
                .srcnode = CTDB_UNKNOWN_PNN,
                .reqid = FIRST_REQID,
                /* Whatever the caller left here is replaced. */
                .length = 1, .magic = 2, .version = 3, .operation = 4,
        };
        struct ctdb_req_control c = { .opcode = CTDB_CONTROL_GET_PNN };
        struct ctdb_req_control out;

        g_assert_cmpuint(sizeof(tool_get_pnn), ==, 64);
        assert_packet_is(&h, &ctdb_req_control_desc, &c, tool_get_pnn, sizeof(tool_get_pnn));
        g_assert_cmpuint(h.magic, ==, CTDB_MAGIC);
        g_assert_cmpuint(h.version, ==, CTDB_PROTOCOL);
        g_assert_cmpuint(h.operation, ==, CTDB_REQ_CONTROL);

        memset(&h, 0, sizeof(h));
        /* The body is 28 bytes; the 4 bytes of padding after it are not part of it. */
        g_assert_cmpint(read_packet(ctx, tool_get_pnn, sizeof(tool_get_pnn), CTDB_REQ_CONTROL, &h, &out), ==, 28);
        g_assert_cmpuint(h.length, ==, 64);
        g_assert_cmpuint(h.generation, ==, 0);
        g_assert_cmpuint(h.destnode, ==, 0xF0000001);
        g_assert_cmpuint(h.srcnode, ==, 0xFFFFFFFF);
        g_assert_cmpuint(h.reqid, ==, 2147483448);
        g_assert_cmpuint(out.opcode, ==, 35);
        g_assert_cmpuint(out.srvid, ==, 0);
        g_assert_cmpuint(out.client_id, ==, 0);
        g_assert_cmpuint(out.flags, ==, 0);
        g_assert_cmpuint(out.datalen, ==, 0);
        g_assert_null(out.data);
        assert_body_truncations_refused(&ctdb_req_control_desc, tool_get_pnn, 28);
        talloc_free(ctx);
}

/* smbd writes its controls unpadded (length 60): accepted just the same. */
static void test_get_pnn_request_unpadded(void) {
        void *ctx = talloc_new(NULL);
        uint8_t pkt[60];
        struct ctdb_pkt_header h;
        struct ctdb_req_control out;

        memcpy(pkt, tool_get_pnn, sizeof(pkt));
        put32(pkt, 60);
        g_assert_cmpint(read_packet(ctx, pkt, sizeof(pkt), CTDB_REQ_CONTROL, &h, &out), ==, 28);
        g_assert_cmpuint(h.length, ==, 60);
        g_assert_cmpuint(out.opcode, ==, CTDB_CONTROL_GET_PNN);
        talloc_free(ctx);
}

/* A control with data: smbd's TRAVERSE_START, srvid in both header and data (76 bytes, 80 padded). */
static void test_request_with_data(void) {
        static const uint8_t expected[] = {
                HEADER(80, 0, CTDB_REQ_CONTROL, 0xF0000001, 1, 77),
                U32LE(20), ZERO4, U64LE(0x1234567890abcdefu), U32LE(0), U32LE(0),
                U32LE(16),                              /* datalen @56 */
                U32LE(0x7a19d84d), U32LE(5), U64LE(0x1234567890abcdefu), /* data @60 */
                ZERO4,
        };
        static const uint8_t data[] = { U32LE(0x7a19d84d), U32LE(5), U64LE(0x1234567890abcdefu) };
        void *ctx = talloc_new(NULL);
        struct ctdb_pkt_header h = { .destnode = CTDB_CURRENT_NODE, .srcnode = 1, .reqid = 77 };
        struct ctdb_req_control c = {
                .opcode = CTDB_CONTROL_TRAVERSE_START,
                .srvid = UINT64_C(0x1234567890abcdef),
                .datalen = sizeof(data),
                .data = data,
        }, out;
        struct ctdb_traverse_start ts;

        assert_packet_is(&h, &ctdb_req_control_desc, &c, expected, sizeof(expected));
        g_assert_cmpint(read_packet(ctx, expected, sizeof(expected), CTDB_REQ_CONTROL, &h, &out), ==, 44);
        g_assert_cmpuint(out.datalen, ==, 16);
        g_assert_true(out.data == expected + 60);
        g_assert_cmpint(ctdb_payload_unpack(&ctdb_traverse_start_desc, ctx, out.data, out.datalen, &ts), ==, 0);
        g_assert_cmpuint(ts.db_id, ==, 0x7a19d84d);
        g_assert_cmpuint(ts.reqid, ==, 5);
        g_assert_cmpuint(ts.srvid, ==, out.srvid);
        assert_body_truncations_refused(&ctdb_req_control_desc, expected, 44);
        talloc_free(ctx);
}

/* The reply: status = pnn, no data, no error: 44 bytes padded to 48. */
static void test_get_pnn_reply(void) {
        static const uint8_t expected[] = {
                HEADER(48, 0, CTDB_REPLY_CONTROL, 0xFFFFFFFF, 2, FIRST_REQID),
                U32LE(2),       /* status @32 */
                U32LE(0),       /* datalen @36 */
                U32LE(0),       /* errorlen @40 */
                ZERO4,          /* padding @44 */
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_pkt_header h = { .destnode = CTDB_UNKNOWN_PNN, .srcnode = 2, .reqid = FIRST_REQID };
        struct ctdb_reply_control c = { .status = 2 }, out;

        assert_packet_is(&h, &ctdb_reply_control_desc, &c, expected, sizeof(expected));
        g_assert_cmpint(read_packet(ctx, expected, sizeof(expected), CTDB_REPLY_CONTROL, &h, &out), ==, 12);
        g_assert_cmpint(out.status, ==, 2);
        g_assert_cmpuint(out.datalen, ==, 0);
        g_assert_cmpuint(out.errorlen, ==, 0);
        assert_body_truncations_refused(&ctdb_reply_control_desc, expected, 12);
        talloc_free(ctx);
}

/* A failure: status -1 and the error string at @44, where the client reads it; 77 bytes padded to 80. */
static void test_reply_error_string(void) {
        static const uint8_t expected[] = {
                HEADER(80, 0, CTDB_REPLY_CONTROL, 1, 1, 99),
                0xff, 0xff, 0xff, 0xff, /* status -1 */
                U32LE(0),               /* datalen */
                U32LE(33),              /* errorlen, no NUL */
                'c', 't', 'd', 'b', '_', 'c', 'o', 'n', 't', 'r', 'o', 'l', ' ', 't', 'o', ' ', 'd', 'i', 's',
                'c', 'o', 'n', 'n', 'e', 'c', 't', 'e', 'd', ' ', 'n', 'o', 'd', 'e',
                0, 0, 0,
        };
        static const char msg[] = "ctdb_control to disconnected node";
        void *ctx = talloc_new(NULL);
        struct ctdb_pkt_header h = { .destnode = 1, .srcnode = 1, .reqid = 99 };
        struct ctdb_reply_control c = {
                .status = -1, .errorlen = sizeof(msg) - 1, .error = (const uint8_t *) msg,
        }, out;

        assert_packet_is(&h, &ctdb_reply_control_desc, &c, expected, sizeof(expected));
        g_assert_cmpint(read_packet(ctx, expected, sizeof(expected), CTDB_REPLY_CONTROL, &h, &out), ==, 45);
        g_assert_cmpint(out.status, ==, -1);
        g_assert_true(out.error == expected + 44);
        g_assert_cmpmem(out.error, out.errorlen, msg, sizeof(msg) - 1);
        assert_body_truncations_refused(&ctdb_reply_control_desc, expected, 45);

        /* With data as well it is refused: the client would take the data for the error. */
        c.datalen = 4;
        c.data = (const uint8_t *) "abcd";
        {
                uint8_t buf[128];
                struct ctdb_pkt_header h2 = h;
                g_assert_cmpint(ctdb_pkt_pack(&h2, &ctdb_reply_control_desc, &c, buf, sizeof(buf)), ==,
                                -EINVAL);
        }
        talloc_free(ctx);
}

/* Data, then the error right after it (ctdbd's order), e.g. a reply with status 0 and both. */
static void test_reply_data_then_error(void) {
        static const uint8_t expected[] = {
                HEADER(56, 0, CTDB_REPLY_CONTROL, 1, 1, 5),
                U32LE(0), U32LE(4), U32LE(3),
                U32LE(0x01020304),      /* data @44 */
                'e', 'r', 'r',          /* error @48 */
                0, 0, 0, 0, 0,
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_pkt_header h = { .destnode = 1, .srcnode = 1, .reqid = 5 };
        uint8_t data[] = { U32LE(0x01020304) };
        struct ctdb_reply_control c = {
                .datalen = 4, .data = data, .errorlen = 3, .error = (const uint8_t *) "err",
        }, out;

        assert_packet_is(&h, &ctdb_reply_control_desc, &c, expected, sizeof(expected));
        g_assert_cmpint(read_packet(ctx, expected, sizeof(expected), CTDB_REPLY_CONTROL, &h, &out), ==, 19);
        g_assert_true(out.data == expected + 44);
        g_assert_true(out.error == expected + 48);
        talloc_free(ctx);
}

/* datalen or errorlen past the end of the packet, alone or together. */
static void test_reply_lengths_overrun(void) {
        static const struct {
                uint32_t datalen, errorlen;
                int error;
        } bad[] = {
                { 5, 0, -EBADMSG },   /* 4 bytes follow */
                { 0, 5, -EBADMSG },
                { 2, 3, -EBADMSG },
                { 100, 0, -EBADMSG },
                { 0, 0x7fffffff, -E2BIG },
                { UINT32_MAX, 0, -E2BIG },
                { 4, UINT32_MAX, -E2BIG },
        };
        uint8_t pkt[48] = { HEADER(48, 0, CTDB_REPLY_CONTROL, 1, 1, 5), U32LE(0), U32LE(0), U32LE(0) };
        struct ctdb_reply_control out;

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                put32(pkt + 36, bad[i].datalen);
                put32(pkt + 40, bad[i].errorlen);
                g_assert_cmpint(ctdb_pkt_unpack(&ctdb_reply_control_desc, NULL, pkt, sizeof(pkt), &out), ==,
                                bad[i].error);
        }
        /* The four bytes there, as data or as error. */
        put32(pkt + 36, 4);
        put32(pkt + 40, 0);
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_reply_control_desc, NULL, pkt, sizeof(pkt), &out), ==, 16);
        put32(pkt + 36, 1);
        put32(pkt + 40, 3);
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_reply_control_desc, NULL, pkt, sizeof(pkt), &out), ==, 16);
}

/* A request's datalen past the packet. */
static void test_request_datalen_overrun(void) {
        uint8_t pkt[64];
        struct ctdb_req_control out;

        memcpy(pkt, tool_get_pnn, sizeof(pkt));
        put32(pkt + 56, 5); /* 4 padding bytes follow */
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_req_control_desc, NULL, pkt, sizeof(pkt), &out), ==, -EBADMSG);
        put32(pkt + 56, UINT32_MAX);
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_req_control_desc, NULL, pkt, sizeof(pkt), &out), ==, -E2BIG);
        put32(pkt + 56, 4);
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_req_control_desc, NULL, pkt, sizeof(pkt), &out), ==, 32);
        g_assert_true(out.data == pkt + 60);
}

/* The new client's migrate (notes 6.3, 8.2 readkey): to CTDB_CURRENT_NODE, 63 bytes padded to 64. */
static void test_req_call(void) {
        static const uint8_t expected[] = {
                HEADER(64, 0, CTDB_REQ_CALL, 0xF0000001, 1, 12),
                U32LE(1),               /* flags @32: IMMEDIATE_MIGRATION */
                U32LE(0x2ac8f4b1),      /* db_id @36 */
                U32LE(0xFF000001),      /* callid @40: NULL_FUNC */
                U32LE(0),               /* hopcount @44 */
                U32LE(7),               /* keylen @48 */
                U32LE(0),               /* calldatalen @52 */
                't', 'e', 's', 't', 'k', 'e', 'y', /* key @56 */
                0,
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_pkt_header h = { .destnode = CTDB_CURRENT_NODE, .srcnode = 1, .reqid = 12 };
        struct ctdb_req_call c = {
                .flags = CTDB_IMMEDIATE_MIGRATION,
                .db_id = 0x2ac8f4b1,
                .callid = CTDB_NULL_FUNC,
                .keylen = 7,
                .key = (const uint8_t *) "testkey",
        }, out;

        assert_packet_is(&h, &ctdb_req_call_desc, &c, expected, sizeof(expected));
        g_assert_cmpint(read_packet(ctx, expected, sizeof(expected), CTDB_REQ_CALL, &h, &out), ==, 31);
        g_assert_cmpuint(out.flags, ==, 1);
        g_assert_cmpuint(out.db_id, ==, 0x2ac8f4b1);
        g_assert_cmpuint(out.callid, ==, 0xFF000001);
        g_assert_cmpuint(out.hopcount, ==, 0);
        g_assert_cmpuint(out.keylen, ==, 7);
        g_assert_true(out.key == expected + 56);
        g_assert_cmpuint(out.calldatalen, ==, 0);
        assert_body_truncations_refused(&ctdb_req_call_desc, expected, 31);
        talloc_free(ctx);
}

/* Key and call data lengths that overrun the packet, or add up past it. */
static void test_req_call_lengths_overrun(void) {
        uint8_t pkt[64];
        struct ctdb_req_call out;

        memcpy(pkt, (const uint8_t[]) { HEADER(64, 0, CTDB_REQ_CALL, 0xF0000001, 1, 12) }, 32);
        memset(pkt + 32, 0, 32);
        put32(pkt + 48, 8);
        put32(pkt + 52, 1); /* 8 bytes follow the fixed part */
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_req_call_desc, NULL, pkt, sizeof(pkt), &out), ==, -EBADMSG);
        put32(pkt + 48, 0x80000000u);
        put32(pkt + 52, 0x80000000u);
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_req_call_desc, NULL, pkt, sizeof(pkt), &out), ==, -E2BIG);
        put32(pkt + 48, 5);
        put32(pkt + 52, 3);
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_req_call_desc, NULL, pkt, sizeof(pkt), &out), ==, 32);
        g_assert_true(out.calldata == pkt + 61);
}

/* status @32, datalen @36, data @40: 45 bytes padded to 48. */
static void test_reply_call(void) {
        static const uint8_t expected[] = {
                HEADER(48, 0, CTDB_REPLY_CALL, 1, 1, 12),
                U32LE(0), U32LE(5), 'v', 'a', 'l', 'u', 'e', 0, 0, 0,
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_pkt_header h = { .destnode = 1, .srcnode = 1, .reqid = 12 };
        struct ctdb_reply_call c = { .datalen = 5, .data = (const uint8_t *) "value" }, out;

        assert_packet_is(&h, &ctdb_reply_call_desc, &c, expected, sizeof(expected));
        g_assert_cmpint(read_packet(ctx, expected, sizeof(expected), CTDB_REPLY_CALL, &h, &out), ==, 13);
        g_assert_cmpint(out.status, ==, 0);
        g_assert_cmpmem(out.data, out.datalen, "value", 5);
        g_assert_true(out.data == expected + 40);
        assert_body_truncations_refused(&ctdb_reply_call_desc, expected, 13);
        talloc_free(ctx);
}

static void test_reply_error(void) {
        static const uint8_t expected[] = {
                HEADER(48, 0, CTDB_REPLY_ERROR, 1, 1, 12),
                0xfe, 0xff, 0xff, 0xff, U32LE(4), 'o', 'o', 'p', 's', ZERO4,
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_pkt_header h = { .destnode = 1, .srcnode = 1, .reqid = 12 };
        struct ctdb_reply_error c = { .status = -2, .msglen = 4, .msg = (const uint8_t *) "oops" }, out;

        assert_packet_is(&h, &ctdb_reply_error_desc, &c, expected, sizeof(expected));
        g_assert_cmpint(read_packet(ctx, expected, sizeof(expected), CTDB_REPLY_ERROR, &h, &out), ==, 12);
        g_assert_cmpint(out.status, ==, -2);
        g_assert_cmpmem(out.msg, out.msglen, "oops", 4);
        assert_body_truncations_refused(&ctdb_reply_error_desc, expected, 12);
        talloc_free(ctx);
}

/* The leader broadcast (notes 8.1): srvid @32, datalen @40, u32 pnn @44; 48 bytes, no padding. */
static void test_req_message(void) {
        static const uint8_t expected[] = {
                HEADER(48, 0, CTDB_REQ_MESSAGE, 0xF0000004, 1, 0),
                U64LE(0xF101000000000000u), U32LE(4), U32LE(1),
        };
        static const uint8_t pnn[] = { U32LE(1) };
        void *ctx = talloc_new(NULL);
        struct ctdb_pkt_header h = { .destnode = CTDB_BROADCAST_CONNECTED, .srcnode = 1 };
        struct ctdb_req_message m = { .srvid = CTDB_SRVID_LEADER, .datalen = 4, .data = pnn }, out;
        struct ctdb_u32_data leader;

        assert_packet_is(&h, &ctdb_req_message_desc, &m, expected, sizeof(expected));
        g_assert_cmpint(read_packet(ctx, expected, sizeof(expected), CTDB_REQ_MESSAGE, &h, &out), ==, 16);
        g_assert_cmpuint(h.destnode, ==, CTDB_BROADCAST_CONNECTED);
        g_assert_cmpuint(out.srvid, ==, UINT64_C(0xF101000000000000));
        g_assert_cmpint(ctdb_payload_unpack(&ctdb_u32_data_desc, ctx, out.data, out.datalen, &leader), ==, 0);
        g_assert_cmpuint(leader.value, ==, 1);
        assert_body_truncations_refused(&ctdb_req_message_desc, expected, 16);
        talloc_free(ctx);
}

/* tunnel_test's token (notes 9.2): tunnel_id @32, flags @40, datalen @44, data @48. */
static void test_req_tunnel(void) {
        static const uint8_t expected[] = {
                HEADER(56, 0, CTDB_REQ_TUNNEL, 2, 1, 9),
                U64LE(0xFFFFFFFF00000001u), U32LE(0x11), U32LE(8), U32LE(1), U32LE(42),
        };
        static const uint8_t data[] = { U32LE(1), U32LE(42) };
        void *ctx = talloc_new(NULL);
        struct ctdb_pkt_header h = { .destnode = 2, .srcnode = 1, .reqid = 9 };
        struct ctdb_req_tunnel t = {
                .tunnel_id = CTDB_TUNNEL_TEST | 1,
                .flags = CTDB_TUNNEL_FLAG_REQUEST | CTDB_TUNNEL_FLAG_NOREPLY,
                .datalen = 8,
                .data = data,
        }, out;

        assert_packet_is(&h, &ctdb_req_tunnel_desc, &t, expected, sizeof(expected));
        g_assert_cmpint(read_packet(ctx, expected, sizeof(expected), CTDB_REQ_TUNNEL, &h, &out), ==, 24);
        g_assert_cmpuint(out.tunnel_id, ==, UINT64_C(0xFFFFFFFF00000001));
        g_assert_cmpuint(out.flags, ==, 0x11);
        g_assert_true(out.data == expected + 48);
        g_assert_cmpuint(out.datalen, ==, 8);
        assert_body_truncations_refused(&ctdb_req_tunnel_desc, expected, 24);
        talloc_free(ctx);
}

/* Every body length from 0 to 16: the packet is padded with zeros to 8, the padded length in the header. */
static void test_padding(void) {
        static const uint8_t data[17] = "0123456789abcdef";

        for (uint32_t n = 0; n <= 16; n++) {
                struct ctdb_pkt_header h = { .reqid = n };
                struct ctdb_req_message m = { .srvid = 7, .datalen = n, .data = n > 0 ? data : NULL };
                size_t want = (44 + n + 7) / 8 * 8;
                uint8_t buf[64];
                uint32_t length;

                memset(buf, 0xaa, sizeof(buf));
                g_assert_cmpint(ctdb_pkt_pack(&h, &ctdb_req_message_desc, &m, buf, sizeof(buf)), ==, (int) want);
                g_assert_cmpuint(h.length, ==, want);
                memcpy(&length, buf, 4);
                g_assert_cmpuint(length, ==, want);
                g_assert_cmpmem(buf + 44, n, data, n);
                for (size_t i = 44 + n; i < want; i++)
                        g_assert_cmpuint(buf[i], ==, 0);
                /* Nothing written past the packet. */
                for (size_t i = want; i < sizeof(buf); i++)
                        g_assert_cmpuint(buf[i], ==, 0xaa);
                g_assert_cmpint(ctdb_pkt_header_check(buf, want, &h), ==, 0);
        }
}

/* Packing refuses small buffers (leaving the header alone), other descriptions and oversized bodies. */
static void test_pack_refused(void) {
        struct ctdb_req_control c = { .opcode = CTDB_CONTROL_GET_PNN };
        struct ctdb_pkt_header h = { .reqid = 42 };
        struct ctdb_u32_data u = { 1 };
        uint8_t buf[64];
        void *ctx = talloc_new(NULL);
        uint8_t *out = NULL;
        size_t len = 0;

        for (size_t size = 0; size < 64; size++) {
                g_assert_cmpint(ctdb_pkt_pack(&h, &ctdb_req_control_desc, &c, buf, size), ==, -EMSGSIZE);
                g_assert_cmpuint(h.length, ==, 0);
        }
        g_assert_cmpint(ctdb_pkt_pack(&h, &ctdb_req_control_desc, &c, buf, 64), ==, 64);
        /* A control's data or the header itself is no body: it would go out as operation 0, REQ_CALL. */
        g_assert_cmpint(ctdb_pkt_pack(&h, &ctdb_u32_data_desc, &u, buf, sizeof(buf)), ==, -EINVAL);
        g_assert_cmpint(ctdb_pkt_pack(&h, &ctdb_pkt_header_desc, &h, buf, sizeof(buf)), ==, -EINVAL);
        /* A body over the packet limit: the data is never read. */
        c.datalen = CTDB_PKT_MAX - 60 + 1;
        c.data = buf;
        g_assert_cmpint(ctdb_pkt_pack(&h, &ctdb_req_control_desc, &c, buf, sizeof(buf)), ==, -EMSGSIZE);
        g_assert_cmpint(ctdb_pkt_build(ctx, &h, &ctdb_req_control_desc, &c, &out, &len), ==, -EMSGSIZE);
        g_assert_null(out);
        g_assert_cmpuint(talloc_total_blocks(ctx), ==, 1);
        talloc_free(ctx);
}

/* ---- header checks and framing ----------------------------------------------------- */

static void test_header_check(void) {
        struct ctdb_pkt_header h, untouched = { .reqid = 4242 };
        uint8_t pkt[64];

        memcpy(pkt, tool_get_pnn, sizeof(pkt));
        g_assert_cmpint(ctdb_pkt_header_check(pkt, sizeof(pkt), &h), ==, 0);
        g_assert_cmpuint(h.length, ==, 64);
        g_assert_cmpuint(h.magic, ==, CTDB_MAGIC);
        g_assert_cmpuint(h.version, ==, 1);
        g_assert_cmpuint(h.operation, ==, CTDB_REQ_CONTROL);

        /* Bad magic: the bytes of "CTDB" the other way round, and one bit off. */
        h = untouched;
        memcpy(pkt + 4, (const uint8_t[]) { 0x43, 0x54, 0x44, 0x42 }, 4);
        g_assert_cmpint(ctdb_pkt_header_check(pkt, sizeof(pkt), &h), ==, -EPROTO);
        g_assert_cmpuint(h.reqid, ==, 4242);
        put32(pkt + 4, CTDB_MAGIC ^ 1);
        g_assert_cmpint(ctdb_pkt_header_check(pkt, sizeof(pkt), &h), ==, -EPROTO);
        put32(pkt + 4, CTDB_MAGIC);

        /* Bad version. */
        for (uint32_t v = 0; v < 4; v++) {
                put32(pkt + 8, v);
                g_assert_cmpint(ctdb_pkt_header_check(pkt, sizeof(pkt), &h), ==,
                                v == 1 ? 0 : -EPROTONOSUPPORT);
        }
        put32(pkt + 8, UINT32_MAX);
        h = untouched;
        g_assert_cmpint(ctdb_pkt_header_check(pkt, sizeof(pkt), &h), ==, -EPROTONOSUPPORT);
        g_assert_cmpuint(h.reqid, ==, 4242);
}

/* The length field must be what the caller framed: neither less nor more, and a header at least. */
static void test_header_length(void) {
        struct ctdb_pkt_header h = { .reqid = 4242 };
        uint8_t pkt[64];

        memcpy(pkt, tool_get_pnn, sizeof(pkt));
        for (uint32_t len = 0; len < CTDB_PKT_HEADER_SIZE; len++) {
                put32(pkt, len);
                g_assert_cmpint(ctdb_pkt_header_check(pkt, sizeof(pkt), &h), ==, -EBADMSG);
                /* Framed as that many bytes too. */
                g_assert_cmpint(ctdb_pkt_header_check(pkt, len, &h), ==, -EBADMSG);
        }
        put32(pkt, 60);
        g_assert_cmpint(ctdb_pkt_header_check(pkt, 64, &h), ==, -EBADMSG);
        put32(pkt, 64);
        g_assert_cmpint(ctdb_pkt_header_check(pkt, 60, &h), ==, -EBADMSG);
        put32(pkt, 65);
        g_assert_cmpint(ctdb_pkt_header_check(pkt, 64, &h), ==, -EBADMSG);
        put32(pkt, CTDB_PKT_MAX + 1);
        g_assert_cmpint(ctdb_pkt_header_check(pkt, 64, &h), ==, -EMSGSIZE);
        put32(pkt, UINT32_MAX);
        g_assert_cmpint(ctdb_pkt_header_check(pkt, 64, &h), ==, -EMSGSIZE);
        g_assert_cmpuint(h.reqid, ==, 4242);
        /* A bare header is a packet (an empty body): the length check passes. */
        put32(pkt, 32);
        g_assert_cmpint(ctdb_pkt_header_check(pkt, 32, &h), ==, 0);
        g_assert_cmpuint(h.length, ==, 32);
}

/* The largest packet is accepted, one byte more is not, whether framed or in the length field. */
static void test_header_max(void) {
        uint8_t *big = g_malloc0(CTDB_PKT_MAX + 8);
        struct ctdb_pkt_header h;

        memcpy(big, tool_get_pnn, 32);
        put32(big, CTDB_PKT_MAX);
        g_assert_cmpint(ctdb_pkt_header_check(big, CTDB_PKT_MAX, &h), ==, 0);
        put32(big, CTDB_PKT_MAX + 8);
        g_assert_cmpint(ctdb_pkt_header_check(big, CTDB_PKT_MAX + 8, &h), ==, -EMSGSIZE);
        g_free(big);
}

static void test_frame_length(void) {
        uint8_t buf[8] = {};

        put32(buf, 64);
        for (size_t avail = 0; avail < 4; avail++)
                g_assert_cmpint(ctdb_pkt_frame_length(buf, avail), ==, 0);
        g_assert_cmpint(ctdb_pkt_frame_length(buf, 4), ==, 64);
        g_assert_cmpint(ctdb_pkt_frame_length(buf, 8), ==, 64);
        for (uint32_t len = 0; len < 32; len++) {
                put32(buf, len);
                g_assert_cmpint(ctdb_pkt_frame_length(buf, 4), ==, -EBADMSG);
        }
        put32(buf, 32);
        g_assert_cmpint(ctdb_pkt_frame_length(buf, 4), ==, 32);
        put32(buf, CTDB_PKT_MAX);
        g_assert_cmpint(ctdb_pkt_frame_length(buf, 4), ==, (int) CTDB_PKT_MAX);
        put32(buf, CTDB_PKT_MAX + 1);
        g_assert_cmpint(ctdb_pkt_frame_length(buf, 4), ==, -EMSGSIZE);
        put32(buf, UINT32_MAX);
        g_assert_cmpint(ctdb_pkt_frame_length(buf, 4), ==, -EMSGSIZE);
}

/* A stream of packets back to back, as a socket delivers them, cut by the frame length alone. */
static void test_stream(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_pkt_header h1 = { .reqid = 1 }, h2 = { .reqid = 2 }, h;
        struct ctdb_req_control c = { .opcode = CTDB_CONTROL_GET_PNN };
        struct ctdb_req_message m = { .srvid = 3, .datalen = 3, .data = (const uint8_t *) "abc" };
        uint8_t stream[256];
        size_t at = 0, n = 0;
        int r;

        r = ctdb_pkt_pack(&h1, &ctdb_req_control_desc, &c, stream, sizeof(stream));
        g_assert_cmpint(r, ==, 64);
        r = ctdb_pkt_pack(&h2, &ctdb_req_message_desc, &m, stream + 64, sizeof(stream) - 64);
        g_assert_cmpint(r, ==, 48);
        while (at < 112) {
                r = ctdb_pkt_frame_length(stream + at, 112 - at);
                g_assert_cmpint(r, >, 0);
                g_assert_cmpint(ctdb_pkt_header_check(stream + at, (size_t) r, &h), ==, 0);
                g_assert_cmpuint(h.reqid, ==, n + 1);
                at += (size_t) r;
                n++;
        }
        g_assert_cmpuint(n, ==, 2);
        talloc_free(ctx);
}

/* ---- control layouts ------------------------------------------------------------- */

/* GET_NODEMAP reply: num, then {pnn, flags, 28-byte address} of 36 bytes each. */
static void test_node_map(void) {
        static const uint8_t expected[] = {
                U32LE(2),
                U32LE(0), U32LE(0), SA_192_0_2_1,
                U32LE(1), U32LE(CTDB_NODE_FLAG_DISCONNECTED | CTDB_NODE_FLAG_BANNED), SA_2001_DB8_1,
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_node_and_flags nodes[] = {
                { .pnn = 0, .flags = 0, .addr = sock_addr_of("192.0.2.1", 0) },
                { .pnn = 1, .flags = 0x9, .addr = sock_addr_of("2001:db8::1", 0) },
        };
        struct ctdb_node_map in = { .num = 2, .nodes = nodes }, out;

        g_assert_cmpuint(sizeof(expected), ==, 4 + 2 * 36);
        assert_payload_is(ctx, &ctdb_node_map_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.num, ==, 2);
        g_assert_cmpuint(out.nodes[0].pnn, ==, 0);
        g_assert_cmpuint(out.nodes[0].flags, ==, 0);
        assert_sock_addr_is(&out.nodes[0].addr, "192.0.2.1", 0);
        g_assert_cmpuint(out.nodes[1].pnn, ==, 1);
        g_assert_cmpuint(out.nodes[1].flags, ==, 0x9);
        assert_sock_addr_is(&out.nodes[1].addr, "2001:db8::1", 0);
        talloc_free(ctx);
}

/* The most nodes are accepted, one more is E2BIG. */
static void test_node_map_limit(void) {
        size_t n = 4 + (CTDB_CONTROL_MAX_NODES + 1) * 36;
        uint8_t *buf = g_malloc0(n);
        void *ctx = talloc_new(NULL);
        struct ctdb_node_map out;

        put32(buf, CTDB_CONTROL_MAX_NODES);
        g_assert_cmpint(ctdb_payload_unpack(&ctdb_node_map_desc, ctx, buf, n - 36, &out), ==, 0);
        g_assert_cmpuint(out.num, ==, CTDB_CONTROL_MAX_NODES);
        put32(buf, CTDB_CONTROL_MAX_NODES + 1);
        assert_refused_leaving_nothing(&ctdb_node_map_desc, buf, n, -E2BIG);
        talloc_free(ctx);
        g_free(buf);
}

/*
 * Counts far beyond the bytes sent, in every layout with an array: refused
 * before anything is allocated, -E2BIG over the layout's limit and -EBADMSG
 * within it.
 */
static void test_huge_counts(void) {
        static const struct {
                const struct wire_desc *desc;
                size_t count_at;
                uint32_t max;
        } arrays[] = {
                { &ctdb_node_map_desc, 0, CTDB_CONTROL_MAX_NODES },
                { &ctdb_public_ip_list_desc, 0, CTDB_CONTROL_MAX_IPS },
                { &ctdb_vnn_map_desc, 4, CTDB_CONTROL_MAX_NODES },
                { &ctdb_dbid_map_desc, 0, CTDB_CONTROL_MAX_DBS },
                { &ctdb_iface_list_desc, 0, CTDB_CONTROL_MAX_IFACES },
                { &ctdb_public_ip_info_desc, 36, CTDB_CONTROL_MAX_IFACES },
                { &ctdb_rec_buffer_desc, 4, CTDB_REC_BUFFER_MAX },
        };
        uint8_t buf[96] = {};

        for (size_t i = 0; i < G_N_ELEMENTS(arrays); i++) {
                memset(buf, 0, sizeof(buf));
                put32(buf + arrays[i].count_at, UINT32_C(1) << 31);
                assert_refused_leaving_nothing(arrays[i].desc, buf, sizeof(buf), -E2BIG);
                put32(buf + arrays[i].count_at, UINT32_MAX);
                assert_refused_leaving_nothing(arrays[i].desc, buf, sizeof(buf), -E2BIG);
                put32(buf + arrays[i].count_at, arrays[i].max);
                assert_refused_leaving_nothing(arrays[i].desc, buf, sizeof(buf), -EBADMSG);
        }
}

/* GET_PUBLIC_IPS reply: num, then {pnn, address} of 32 bytes each; an empty list is 4 bytes. */
static void test_public_ip_list(void) {
        static const uint8_t expected[] = {
                U32LE(2),
                U32LE(2), U16LE(AF_INET), 0, 0, 203, 0, 113, 10, ZERO8, ZERO8, ZERO4,
                U32LE(0xFFFFFFFF), U16LE(AF_INET), 0, 0, 203, 0, 113, 11, ZERO8, ZERO8, ZERO4,
        };
        static const uint8_t empty[] = { U32LE(0) };
        void *ctx = talloc_new(NULL);
        struct ctdb_public_ip ips[] = {
                { .pnn = 2, .addr = sock_addr_of("203.0.113.10", 0) },
                { .pnn = CTDB_UNKNOWN_PNN, .addr = sock_addr_of("203.0.113.11", 0) },
        };
        struct ctdb_public_ip_list in = { .num = 2, .ips = ips }, none = {}, out;

        assert_payload_is(ctx, &ctdb_public_ip_list_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.num, ==, 2);
        g_assert_cmpuint(out.ips[0].pnn, ==, 2);
        assert_sock_addr_is(&out.ips[0].addr, "203.0.113.10", 0);
        g_assert_cmpuint(out.ips[1].pnn, ==, CTDB_UNKNOWN_PNN);
        assert_sock_addr_is(&out.ips[1].addr, "203.0.113.11", 0);
        assert_payload_is(ctx, &ctdb_public_ip_list_desc, &none, empty, sizeof(empty), &out);
        g_assert_cmpuint(out.num, ==, 0);
        g_assert_null(out.ips);
        talloc_free(ctx);
}

/* GETVNNMAP reply: generation, size, size x lmaster pnn. */
static void test_vnn_map(void) {
        static const uint8_t expected[] = { U32LE(0x12345678), U32LE(3), U32LE(0), U32LE(2), U32LE(5) };
        void *ctx = talloc_new(NULL);
        uint32_t map[] = { 0, 2, 5 };
        struct ctdb_vnn_map in = { .generation = 0x12345678, .size = 3, .map = map }, out;

        assert_payload_is(ctx, &ctdb_vnn_map_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.generation, ==, 0x12345678);
        g_assert_cmpuint(out.size, ==, 3);
        g_assert_cmpuint(out.map[0], ==, 0);
        g_assert_cmpuint(out.map[1], ==, 2);
        g_assert_cmpuint(out.map[2], ==, 5);
        talloc_free(ctx);
}

/* GET_DBMAP reply: num, then {db_id, u8 flags, 3 pad} of 8 bytes each; padding is skipped on the way in. */
static void test_dbid_map(void) {
        static const uint8_t expected[] = {
                U32LE(2),
                U32LE(0x7a19d84d), 0x00, 0, 0, 0,
                U32LE(0x2ac8f4b1), CTDB_DB_FLAGS_PERSISTENT | CTDB_DB_FLAGS_REPLICATED, 0, 0, 0,
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_dbid dbs[] = { { 0x7a19d84d, 0 }, { 0x2ac8f4b1, 0x9 } };
        struct ctdb_dbid_map in = { .num = 2, .dbs = dbs }, out;
        uint8_t dirty[sizeof(expected)];

        assert_payload_is(ctx, &ctdb_dbid_map_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.num, ==, 2);
        g_assert_cmpuint(out.dbs[0].db_id, ==, 0x7a19d84d);
        g_assert_cmpuint(out.dbs[0].flags, ==, 0);
        g_assert_cmpuint(out.dbs[1].db_id, ==, 0x2ac8f4b1);
        g_assert_cmpuint(out.dbs[1].flags, ==, 0x9);
        memcpy(dirty, expected, sizeof(dirty));
        dirty[9] = dirty[10] = dirty[19] = 0xee;
        g_assert_cmpint(ctdb_payload_unpack(&ctdb_dbid_map_desc, ctx, dirty, sizeof(dirty), &out), ==, 0);
        g_assert_cmpuint(out.dbs[1].flags, ==, 0x9);
        talloc_free(ctx);
}

/* UPTIME reply: 4 x struct timeval of 16 bytes. */
static void test_uptime(void) {
        static const uint8_t expected[] = {
                U64LE(1700000100), U64LE(500000), U64LE(1700000000), U64LE(1),
                U64LE(1700000010), U64LE(2),      U64LE(1700000011), U64LE(999999),
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_uptime in = {
                .current_time = { 1700000100, 500000 },
                .ctdbd_start_time = { 1700000000, 1 },
                .last_recovery_started = { 1700000010, 2 },
                .last_recovery_finished = { 1700000011, 999999 },
        }, out;

        g_assert_cmpuint(sizeof(expected), ==, 64);
        assert_payload_is(ctx, &ctdb_uptime_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.current_time.tv_sec, ==, 1700000100);
        g_assert_cmpuint(out.current_time.tv_usec, ==, 500000);
        g_assert_cmpuint(out.ctdbd_start_time.tv_sec, ==, 1700000000);
        g_assert_cmpuint(out.last_recovery_started.tv_usec, ==, 2);
        g_assert_cmpuint(out.last_recovery_finished.tv_sec, ==, 1700000011);
        g_assert_cmpuint(out.last_recovery_finished.tv_usec, ==, 999999);
        talloc_free(ctx);
}

static void test_traverse_start(void) {
        static const uint8_t expected[] = { U32LE(0x7a19d84d), U32LE(3), U64LE(0xBE00000000001234u) };
        static const uint8_t expected_ext[] = {
                U32LE(0x7a19d84d), U32LE(0), U64LE(0xBE00000000001234u), 1, 0, 0, 0, 0, 0, 0, 0,
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_traverse_start in = { 0x7a19d84d, 3, UINT64_C(0xBE00000000001234) }, out;
        struct ctdb_traverse_start_ext in_ext = {
                .db_id = 0x7a19d84d, .srvid = UINT64_C(0xBE00000000001234), .withemptyrecords = 1,
        }, out_ext;

        assert_payload_is(ctx, &ctdb_traverse_start_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.db_id, ==, 0x7a19d84d);
        g_assert_cmpuint(out.reqid, ==, 3);
        g_assert_cmpuint(out.srvid, ==, UINT64_C(0xBE00000000001234));
        g_assert_cmpuint(sizeof(expected_ext), ==, 24);
        assert_payload_is(ctx, &ctdb_traverse_start_ext_desc, &in_ext, expected_ext, sizeof(expected_ext),
                          &out_ext);
        g_assert_cmpuint(out_ext.db_id, ==, 0x7a19d84d);
        g_assert_cmpuint(out_ext.reqid, ==, 0);
        g_assert_cmpuint(out_ext.srvid, ==, UINT64_C(0xBE00000000001234));
        g_assert_cmpuint(out_ext.withemptyrecords, ==, 1);
        talloc_free(ctx);
}

/* A record's data with a header: rsn 5, dmaster 1, flags MIGRATED_WITH_DATA, then "v1". */
static const uint8_t rec1_data[] = {
        U64LE(5), U32LE(1), U32LE(0), U32LE(0x10000), ZERO4, 'v', '1',
};
/* smbd's seqnum record: header rsn 3, dmaster 1, then the seqnum as a u64. */
static const uint8_t rec2_data[] = { U64LE(3), U32LE(1), U32LE(0), U32LE(0), ZERO4, U64LE(7) };
static const char seqnum_key[] = "__db_sequence_number__";

/* A traverse record: length (all of it), reqid, keylen, datalen, key, data; and the 16-byte end. */
static void test_rec_data(void) {
        static const uint8_t expected[] = {
                U32LE(44), U32LE(0), U32LE(2), U32LE(26), 'k', '1',
                U64LE(5), U32LE(1), U32LE(0), U32LE(0x10000), ZERO4, 'v', '1',
        };
        static const uint8_t end[] = { U32LE(16), U32LE(0), U32LE(0), U32LE(0) };
        void *ctx = talloc_new(NULL);
        struct ctdb_rec_data in = {
                .keylen = 2, .key = (const uint8_t *) "k1", .datalen = sizeof(rec1_data), .data = rec1_data,
        }, marker = {}, out;
        struct ltdb_header hdr;
        const uint8_t *value = NULL;
        size_t value_len = 0;

        assert_payload_is(ctx, &ctdb_rec_data_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.length, ==, 44);
        g_assert_cmpuint(out.reqid, ==, 0);
        g_assert_cmpmem(out.key, out.keylen, "k1", 2);
        g_assert_cmpuint(out.datalen, ==, 26);
        g_assert_cmpint(ltdb_header_parse(out.data, out.datalen, &hdr, &value, &value_len), ==, 0);
        g_assert_cmpuint(hdr.rsn, ==, 5);
        g_assert_cmpuint(hdr.dmaster, ==, 1);
        g_assert_cmpuint(hdr.flags, ==, LTDB_REC_FLAG_MIGRATED_WITH_DATA);
        g_assert_cmpmem(value, value_len, "v1", 2);

        assert_payload_is(ctx, &ctdb_rec_data_desc, &marker, end, sizeof(end), &out);
        g_assert_cmpuint(out.length, ==, 16);
        g_assert_cmpuint(out.keylen, ==, 0);
        g_assert_cmpuint(out.datalen, ==, 0);
        talloc_free(ctx);
}

/* A length that is not the record's: refused, one more, one less, or larger than what was sent. */
static void test_rec_data_length(void) {
        uint8_t rec[16 + 2 + 26 + 8] = { U32LE(44), U32LE(0), U32LE(2), U32LE(26), 'k', '1' };
        static const uint32_t bad[] = { 0, 4, 15, 16, 43, 45, 52, 53, UINT32_MAX };
        struct ctdb_rec_data out;

        memcpy(rec + 18, rec1_data, sizeof(rec1_data));
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                put32(rec, bad[i]);
                /* With bytes to spare after it, so that only the length can be wrong. */
                g_assert_cmpint(wire_unpack(&ctdb_rec_data_desc, NULL, rec, sizeof(rec), &out), ==, -EBADMSG);
        }
        put32(rec, 44);
        g_assert_cmpint(wire_unpack(&ctdb_rec_data_desc, NULL, rec, sizeof(rec), &out), ==, 44);
}

/* TRANS3_COMMIT as smbd sends it: db_id, count, then the records back to back, the seqnum last. */
static void test_rec_buffer(void) {
        static const uint8_t expected[] = {
                U32LE(0x2ac8f4b1), U32LE(2),
                U32LE(44), U32LE(0), U32LE(2), U32LE(26), 'k', '1',
                U64LE(5), U32LE(1), U32LE(0), U32LE(0x10000), ZERO4, 'v', '1',
                U32LE(71), U32LE(0), U32LE(23), U32LE(32),
                '_', '_', 'd', 'b', '_', 's', 'e', 'q', 'u', 'e', 'n', 'c', 'e', '_', 'n', 'u', 'm', 'b', 'e',
                'r', '_', '_', 0,
                U64LE(3), U32LE(1), U32LE(0), U32LE(0), ZERO4, U64LE(7),
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_rec_data recs[] = {
                { .keylen = 2, .key = (const uint8_t *) "k1", .datalen = sizeof(rec1_data), .data = rec1_data },
                { .keylen = sizeof(seqnum_key), .key = (const uint8_t *) seqnum_key,
                  .datalen = sizeof(rec2_data), .data = rec2_data },
        };
        struct ctdb_rec_buffer in = { .db_id = 0x2ac8f4b1, .count = 2, .records = recs }, out;
        uint8_t bad[sizeof(expected)];

        g_assert_cmpuint(sizeof(expected), ==, 8 + 44 + 71);
        assert_payload_is(ctx, &ctdb_rec_buffer_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.db_id, ==, 0x2ac8f4b1);
        g_assert_cmpuint(out.count, ==, 2);
        g_assert_cmpuint(out.records[0].length, ==, 44);
        g_assert_true(out.records[0].key == expected + 8 + 16);
        g_assert_cmpmem(out.records[1].key, out.records[1].keylen, seqnum_key, sizeof(seqnum_key));
        g_assert_cmpuint(out.records[1].length, ==, 71);
        g_assert_cmpmem(out.records[1].data, out.records[1].datalen, rec2_data, sizeof(rec2_data));

        /* The first record's length off by one either way: the whole buffer is refused. */
        memcpy(bad, expected, sizeof(bad));
        put32(bad + 8, 45);
        assert_refused_leaving_nothing(&ctdb_rec_buffer_desc, bad, sizeof(bad), -EBADMSG);
        put32(bad + 8, 43);
        assert_refused_leaving_nothing(&ctdb_rec_buffer_desc, bad, sizeof(bad), -EBADMSG);
        /* One record more than there are. */
        memcpy(bad, expected, sizeof(bad));
        put32(bad + 4, 3);
        assert_refused_leaving_nothing(&ctdb_rec_buffer_desc, bad, sizeof(bad), -EBADMSG);
        talloc_free(ctx);
}

/* SCHEDULE_FOR_DELETION: db_id, 4 pad, header @8, keylen @32, key @36. */
static void test_key_data(void) {
        static const uint8_t expected[] = {
                U32LE(0x7a19d84d), ZERO4,
                U64LE(9), U32LE(2), U32LE(0), U32LE(0x10000), ZERO4,
                U32LE(4), 'k', 'e', 'y', 0,
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_key_data in = {
                .db_id = 0x7a19d84d,
                .header = { .rsn = 9, .dmaster = 2, .flags = 0x10000, .pad = 0xffffffff },
                .keylen = 4,
                .key = (const uint8_t *) "key",
        }, out;

        assert_payload_is(ctx, &ctdb_key_data_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.db_id, ==, 0x7a19d84d);
        g_assert_cmpuint(out.header.rsn, ==, 9);
        g_assert_cmpuint(out.header.dmaster, ==, 2);
        g_assert_cmpuint(out.header.reserved1, ==, 0);
        g_assert_cmpuint(out.header.flags, ==, 0x10000);
        g_assert_cmpuint(out.keylen, ==, 4);
        g_assert_true(out.key == expected + 36);
        talloc_free(ctx);
}

/* CHECK_PID_SRVID: exactly 12 bytes, pid @0, srvid @4, no padding. */
static void test_pid_srvid(void) {
        static const uint8_t expected[] = { U32LE(4321), U64LE(0x0000000100001234u) };
        void *ctx = talloc_new(NULL);
        struct ctdb_pid_srvid in = { .pid = 4321, .srvid = UINT64_C(0x0000000100001234) }, out;

        g_assert_cmpuint(sizeof(expected), ==, 12);
        assert_payload_is(ctx, &ctdb_pid_srvid_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpint(out.pid, ==, 4321);
        g_assert_cmpuint(out.srvid, ==, UINT64_C(0x0000000100001234));
        talloc_free(ctx);
}

/* ctdb ban's takeover-run request: pnn, 4 pad, srvid (16 bytes). */
static void test_srvid_message(void) {
        static const uint8_t expected[] = { U32LE(1), ZERO4, U64LE(0xCE01123400000001u) };
        void *ctx = talloc_new(NULL);
        struct ctdb_srvid_message in = { .pnn = 1, .srvid = UINT64_C(0xCE01123400000001) }, out;

        assert_payload_is(ctx, &ctdb_srvid_message_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.pnn, ==, 1);
        g_assert_cmpuint(out.srvid, ==, UINT64_C(0xCE01123400000001));
        talloc_free(ctx);
}

static void test_ban_state(void) {
        static const uint8_t expected[] = { U32LE(2), U32LE(300) };
        void *ctx = talloc_new(NULL);
        struct ctdb_ban_state in = { .pnn = 2, .time = 300 }, out;

        assert_payload_is(ctx, &ctdb_ban_state_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.pnn, ==, 2);
        g_assert_cmpuint(out.time, ==, 300);
        talloc_free(ctx);
}

/* GET_IFACES reply: num, then {char name[18], u16 link_state, u32 references} of 24 bytes each. */
static void test_iface_list(void) {
        static const uint8_t expected[] = {
                U32LE(2),
                'e', 't', 'h', '0', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, U16LE(1), U32LE(2),
                'e', 'n', 'p', '1', 's', '0', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, U16LE(0), U32LE(0),
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_iface ifaces[] = {
                { .name = "eth0", .link_state = 1, .references = 2 },
                { .name = "enp1s0", .link_state = 0, .references = 0 },
        };
        struct ctdb_iface_list in = { .num = 2, .ifaces = ifaces }, out;

        g_assert_cmpuint(sizeof(expected), ==, 4 + 2 * 24);
        assert_payload_is(ctx, &ctdb_iface_list_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.num, ==, 2);
        g_assert_cmpstr(out.ifaces[0].name, ==, "eth0");
        g_assert_cmpuint(out.ifaces[0].link_state, ==, 1);
        g_assert_cmpuint(out.ifaces[0].references, ==, 2);
        g_assert_cmpstr(out.ifaces[1].name, ==, "enp1s0");
        g_assert_cmpuint(out.ifaces[1].link_state, ==, 0);
        talloc_free(ctx);
}

/* GET_PUBLIC_IP_INFO reply: {pnn, address}, active_idx @32, num @36, interfaces @40. */
static void test_public_ip_info(void) {
        static const uint8_t expected[] = {
                U32LE(1), U16LE(AF_INET), 0, 0, 203, 0, 113, 10, ZERO8, ZERO8, ZERO4,
                U32LE(0), U32LE(1),
                'e', 't', 'h', '1', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, U16LE(1), U32LE(1),
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_iface ifaces[] = { { .name = "eth1", .link_state = 1, .references = 1 } };
        struct ctdb_public_ip_info in = {
                .ip = { .pnn = 1, .addr = sock_addr_of("203.0.113.10", 0) },
                .active_idx = 0,
                .num_ifaces = 1,
                .ifaces = ifaces,
        }, out;

        g_assert_cmpuint(sizeof(expected), ==, 32 + 4 + 4 + 24);
        assert_payload_is(ctx, &ctdb_public_ip_info_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.ip.pnn, ==, 1);
        assert_sock_addr_is(&out.ip.addr, "203.0.113.10", 0);
        g_assert_cmpuint(out.active_idx, ==, 0);
        g_assert_cmpuint(out.num_ifaces, ==, 1);
        g_assert_cmpstr(out.ifaces[0].name, ==, "eth1");
        talloc_free(ctx);
}

/* The request is the bare 28-byte address. */
static void test_public_ip_info_request(void) {
        static const uint8_t expected[] = { SA_192_0_2_1 };
        void *ctx = talloc_new(NULL);
        struct ctdb_sock_addr in = sock_addr_of("192.0.2.1", 0), out;

        assert_payload_is(ctx, &ctdb_sock_addr_desc, &in, expected, sizeof(expected), &out);
        assert_sock_addr_is(&out, "192.0.2.1", 0);
        talloc_free(ctx);
}

/* TCP_CLIENT: two 28-byte addresses with their ports in network order (56 bytes). */
static void test_connection(void) {
        static const uint8_t expected[] = {
                U16LE(AF_INET), 0x01, 0xbd, 192, 0, 2, 10, ZERO8, ZERO8, ZERO4,      /* :445 */
                U16LE(AF_INET), 0xc7, 0x38, 198, 51, 100, 7, ZERO8, ZERO8, ZERO4,    /* :51000 */
        };
        void *ctx = talloc_new(NULL);
        struct ctdb_connection in = {
                .src = sock_addr_of("192.0.2.10", 445),
                .dst = sock_addr_of("198.51.100.7", 51000),
        }, out;

        g_assert_cmpuint(sizeof(expected), ==, 56);
        assert_payload_is(ctx, &ctdb_connection_desc, &in, expected, sizeof(expected), &out);
        assert_sock_addr_is(&out.src, "192.0.2.10", 445);
        assert_sock_addr_is(&out.dst, "198.51.100.7", 51000);
        talloc_free(ctx);
}

/* GET_DB_SEQNUM: {db_id, pad} in, a u64 out; one integer for most other controls. */
static void test_scalars(void) {
        static const uint8_t seqnum_req[] = { U32LE(0x2ac8f4b1), ZERO4 };
        static const uint8_t seqnum[] = { U64LE(0x0000000100000002u) };
        static const uint8_t db_id[] = { U32LE(0x7a19d84d) };
        void *ctx = talloc_new(NULL);
        struct ctdb_get_db_seqnum req = { 0x2ac8f4b1 }, req_out;
        struct ctdb_u64_data u64 = { UINT64_C(0x0000000100000002) }, u64_out;
        struct ctdb_u32_data u32 = { 0x7a19d84d }, u32_out;

        assert_payload_is(ctx, &ctdb_get_db_seqnum_desc, &req, seqnum_req, sizeof(seqnum_req), &req_out);
        g_assert_cmpuint(req_out.db_id, ==, 0x2ac8f4b1);
        assert_payload_is(ctx, &ctdb_u64_data_desc, &u64, seqnum, sizeof(seqnum), &u64_out);
        g_assert_cmpuint(u64_out.value, ==, UINT64_C(0x0000000100000002));
        assert_payload_is(ctx, &ctdb_u32_data_desc, &u32, db_id, sizeof(db_id), &u32_out);
        g_assert_cmpuint(u32_out.value, ==, 0x7a19d84d);
        talloc_free(ctx);
}

/* ECHO_DATA: timeout, then the bytes with their length. */
static void test_echo_data(void) {
        static const uint8_t expected[] = { U32LE(10), U32LE(5), 'h', 'e', 'l', 'l', 'o' };
        void *ctx = talloc_new(NULL);
        struct ctdb_echo_data in = { .timeout = 10, .buflen = 5, .buf = (const uint8_t *) "hello" }, out;

        assert_payload_is(ctx, &ctdb_echo_data_desc, &in, expected, sizeof(expected), &out);
        g_assert_cmpuint(out.timeout, ==, 10);
        g_assert_cmpmem(out.buf, out.buflen, "hello", 5);
        talloc_free(ctx);
}

/* DB_ATTACH's name and GETDBPATH's reply: one string, its NUL last and nowhere else. */
static void test_payload_string(void) {
        const char *s = NULL;

        g_assert_cmpint(ctdb_payload_string((const uint8_t *) "locking.tdb", 12, &s), ==, 0);
        g_assert_cmpstr(s, ==, "locking.tdb");
        g_assert_cmpint(ctdb_payload_string((const uint8_t *) "", 1, &s), ==, 0);
        g_assert_cmpstr(s, ==, "");
        s = NULL;
        g_assert_cmpint(ctdb_payload_string((const uint8_t *) "locking.tdb", 11, &s), ==, -EBADMSG);
        g_assert_cmpint(ctdb_payload_string((const uint8_t *) "a\0b", 4, &s), ==, -EBADMSG);
        g_assert_cmpint(ctdb_payload_string((const uint8_t *) "x", 0, &s), ==, -EBADMSG);
        g_assert_cmpint(ctdb_payload_string(NULL, 0, &s), ==, -EBADMSG);
        g_assert_null(s);
}

/* ---- addresses --------------------------------------------------------------------- */

static void test_sock_addr_sockaddr(void) {
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(4379) };
        struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(445), .sin6_scope_id = 3 };
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        struct sockaddr_storage ss;
        struct ctdb_sock_addr a;
        socklen_t len;

        sin.sin_addr.s_addr = htonl(0xc0000201);
        g_assert_cmpint(ctdb_sock_addr_from_sockaddr((struct sockaddr *) &sin, sizeof(sin), &a), ==, 0);
        g_assert_cmpmem(a.raw, sizeof(sin), &sin, sizeof(sin));
        for (size_t i = sizeof(sin); i < CTDB_SOCK_ADDR_SIZE; i++)
                g_assert_cmpuint(a.raw[i], ==, 0);
        g_assert_cmpint(ctdb_sock_addr_to_sockaddr(&a, &ss, &len), ==, 0);
        g_assert_cmpuint(len, ==, sizeof(sin));
        g_assert_cmpmem(&ss, sizeof(sin), &sin, sizeof(sin));

        g_assert_cmpint(inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr), ==, 1);
        g_assert_cmpint(ctdb_sock_addr_from_sockaddr((struct sockaddr *) &sin6, sizeof(sin6), &a), ==, 0);
        g_assert_cmpmem(a.raw, sizeof(a.raw), &sin6, sizeof(sin6));
        g_assert_cmpint(ctdb_sock_addr_to_sockaddr(&a, &ss, &len), ==, 0);
        g_assert_cmpuint(len, ==, sizeof(sin6));
        g_assert_cmpuint(((struct sockaddr_in6 *) &ss)->sin6_scope_id, ==, 3);
        assert_sock_addr_is(&a, "2001:db8::7", 445);

        /* Other families and short lengths. */
        g_assert_cmpint(ctdb_sock_addr_from_sockaddr((struct sockaddr *) &sun, sizeof(sun), &a), ==,
                        -EAFNOSUPPORT);
        g_assert_cmpint(ctdb_sock_addr_from_sockaddr((struct sockaddr *) &sin, sizeof(sin) - 1, &a), ==,
                        -EINVAL);
        g_assert_cmpint(ctdb_sock_addr_from_sockaddr((struct sockaddr *) &sin6, sizeof(sin6) - 1, &a), ==,
                        -EINVAL);
        g_assert_cmpint(ctdb_sock_addr_from_sockaddr((struct sockaddr *) &sin, 1, &a), ==, -EINVAL);
        memset(&a, 0, sizeof(a));
        g_assert_cmpint(ctdb_sock_addr_to_sockaddr(&a, &ss, &len), ==, -EAFNOSUPPORT);
        a.raw[0] = AF_UNIX;
        g_assert_cmpint(ctdb_sock_addr_to_sockaddr(&a, &ss, &len), ==, -EAFNOSUPPORT);
        {
                struct ctdb_ip ip;
                g_assert_cmpint(ctdb_sock_addr_to_ip(&a, &ip, NULL), ==, -EAFNOSUPPORT);
        }
}

/* The project's address type: the address and port go across, the prefix does not. */
static void test_sock_addr_ip(void) {
        static const uint8_t v4[] = { U16LE(AF_INET), 0x11, 0x1b, 203, 0, 113, 10, ZERO8, ZERO8, ZERO4 };
        struct ctdb_sock_addr a;
        struct ctdb_ip ip, back;
        bool given;
        uint16_t port;

        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.10/24", &ip, &given), ==, 0);
        ctdb_sock_addr_from_ip(&ip, 4379, &a);
        g_assert_cmpmem(a.raw, sizeof(a.raw), v4, sizeof(v4));
        g_assert_cmpint(ctdb_sock_addr_to_ip(&a, &back, &port), ==, 0);
        g_assert_true(ctdb_ip_equal(&ip, &back));
        g_assert_cmpuint(back.prefixlen, ==, 32);
        g_assert_cmpuint(port, ==, 4379);
}

static void test_skipped(void) {
        g_test_skip("the byte strings are little endian");
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        if (G_BYTE_ORDER != G_LITTLE_ENDIAN) {
                g_test_add_func("/ctdb-protocol/big-endian", test_skipped);
                return g_test_run();
        }

        g_test_add_func("/ctdb-protocol/numbers", test_numbers);
        g_test_add_func("/ctdb-protocol/names", test_names);
        g_test_add_func("/ctdb-protocol/pkt-desc", test_pkt_desc);

        g_test_add_func("/ctdb-protocol/packet/get-pnn-request", test_get_pnn_request);
        g_test_add_func("/ctdb-protocol/packet/get-pnn-request-unpadded", test_get_pnn_request_unpadded);
        g_test_add_func("/ctdb-protocol/packet/request-with-data", test_request_with_data);
        g_test_add_func("/ctdb-protocol/packet/get-pnn-reply", test_get_pnn_reply);
        g_test_add_func("/ctdb-protocol/packet/reply-error-string", test_reply_error_string);
        g_test_add_func("/ctdb-protocol/packet/reply-data-then-error", test_reply_data_then_error);
        g_test_add_func("/ctdb-protocol/packet/reply-lengths-overrun", test_reply_lengths_overrun);
        g_test_add_func("/ctdb-protocol/packet/request-datalen-overrun", test_request_datalen_overrun);
        g_test_add_func("/ctdb-protocol/packet/req-call", test_req_call);
        g_test_add_func("/ctdb-protocol/packet/req-call-lengths-overrun", test_req_call_lengths_overrun);
        g_test_add_func("/ctdb-protocol/packet/reply-call", test_reply_call);
        g_test_add_func("/ctdb-protocol/packet/reply-error", test_reply_error);
        g_test_add_func("/ctdb-protocol/packet/req-message", test_req_message);
        g_test_add_func("/ctdb-protocol/packet/req-tunnel", test_req_tunnel);
        g_test_add_func("/ctdb-protocol/packet/padding", test_padding);
        g_test_add_func("/ctdb-protocol/packet/pack-refused", test_pack_refused);

        g_test_add_func("/ctdb-protocol/header/check", test_header_check);
        g_test_add_func("/ctdb-protocol/header/length", test_header_length);
        g_test_add_func("/ctdb-protocol/header/max", test_header_max);
        g_test_add_func("/ctdb-protocol/header/frame-length", test_frame_length);
        g_test_add_func("/ctdb-protocol/header/stream", test_stream);

        g_test_add_func("/ctdb-protocol/control/node-map", test_node_map);
        g_test_add_func("/ctdb-protocol/control/node-map-limit", test_node_map_limit);
        g_test_add_func("/ctdb-protocol/control/huge-counts", test_huge_counts);
        g_test_add_func("/ctdb-protocol/control/public-ip-list", test_public_ip_list);
        g_test_add_func("/ctdb-protocol/control/vnn-map", test_vnn_map);
        g_test_add_func("/ctdb-protocol/control/dbid-map", test_dbid_map);
        g_test_add_func("/ctdb-protocol/control/uptime", test_uptime);
        g_test_add_func("/ctdb-protocol/control/traverse-start", test_traverse_start);
        g_test_add_func("/ctdb-protocol/control/rec-data", test_rec_data);
        g_test_add_func("/ctdb-protocol/control/rec-data-length", test_rec_data_length);
        g_test_add_func("/ctdb-protocol/control/rec-buffer", test_rec_buffer);
        g_test_add_func("/ctdb-protocol/control/key-data", test_key_data);
        g_test_add_func("/ctdb-protocol/control/pid-srvid", test_pid_srvid);
        g_test_add_func("/ctdb-protocol/control/srvid-message", test_srvid_message);
        g_test_add_func("/ctdb-protocol/control/ban-state", test_ban_state);
        g_test_add_func("/ctdb-protocol/control/iface-list", test_iface_list);
        g_test_add_func("/ctdb-protocol/control/public-ip-info", test_public_ip_info);
        g_test_add_func("/ctdb-protocol/control/public-ip-info-request", test_public_ip_info_request);
        g_test_add_func("/ctdb-protocol/control/connection", test_connection);
        g_test_add_func("/ctdb-protocol/control/scalars", test_scalars);
        g_test_add_func("/ctdb-protocol/control/echo-data", test_echo_data);
        g_test_add_func("/ctdb-protocol/control/string", test_payload_string);

        g_test_add_func("/ctdb-protocol/sock-addr/sockaddr", test_sock_addr_sockaddr);
        g_test_add_func("/ctdb-protocol/sock-addr/ip", test_sock_addr_ip);

        return g_test_run();
}
