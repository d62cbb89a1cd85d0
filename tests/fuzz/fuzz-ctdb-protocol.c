/*
 * Bytes as a client writes them on ctdbd.socket (protocol/): cut into packets
 * by ctdb_pkt_frame_length() as a stream reader does, each header checked and
 * each body unpacked with its operation's description; the data a packet
 * carries goes through every control and message layout, and so do the raw
 * input and the bytes after a header. What unpacks must pack back to the same
 * bytes (padding, skipped on the way in, packs back as zeros: there the
 * second packing must equal the first), and a body rebuilt as a packet must
 * check and unpack again.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <talloc.h>

#include "ctdb-protocol.h"
#include "fuzz.h"

#define ELEMENTS(x) (sizeof(x) / sizeof((x)[0]))

/* Room for any message struct a description unpacks into. */
union msg_buf {
        uint64_t align;
        uint8_t bytes[256];
};

static const struct {
        const struct wire_desc *desc;
        bool padded;
} payload_descs[] = {
        { &ctdb_sock_addr_desc, false },      { &ctdb_u32_data_desc, false },
        { &ctdb_u64_data_desc, false },       { &ctdb_node_map_desc, false },
        { &ctdb_public_ip_list_desc, false }, { &ctdb_vnn_map_desc, false },
        { &ctdb_dbid_map_desc, true },        { &ctdb_uptime_desc, false },
        { &ctdb_traverse_start_desc, false }, { &ctdb_traverse_start_ext_desc, true },
        { &ctdb_rec_data_desc, false },       { &ctdb_rec_buffer_desc, false },
        { &ctdb_key_data_desc, true },        { &ctdb_pid_srvid_desc, false },
        { &ctdb_srvid_message_desc, true },   { &ctdb_ban_state_desc, false },
        { &ctdb_iface_list_desc, false },     { &ctdb_public_ip_info_desc, false },
        { &ctdb_connection_desc, false },     { &ctdb_get_db_seqnum_desc, true },
        { &ctdb_echo_data_desc, false },      { &ctdb_pkt_header_desc, false },
};

static const struct wire_desc *const body_descs[] = {
        &ctdb_req_call_desc,    &ctdb_reply_call_desc,    &ctdb_reply_error_desc, &ctdb_req_message_desc,
        &ctdb_req_control_desc, &ctdb_reply_control_desc, &ctdb_req_tunnel_desc,
};

static void check_sock_addr(const struct ctdb_sock_addr *a) {
        struct sockaddr_storage ss;
        struct ctdb_sock_addr again;
        struct ctdb_ip ip, ip2;
        socklen_t len;
        uint16_t port, port2;

        if (ctdb_sock_addr_to_sockaddr(a, &ss, &len) < 0) {
                CHECK(ctdb_sock_addr_to_ip(a, &ip, &port) == -EAFNOSUPPORT);
                return;
        }
        CHECK(ctdb_sock_addr_from_sockaddr((const struct sockaddr *) &ss, len, &again) == 0);
        CHECK(memcmp(again.raw, a->raw, len) == 0);
        CHECK(ctdb_sock_addr_to_ip(a, &ip, &port) == 0);
        ctdb_sock_addr_from_ip(&ip, port, &again);
        CHECK(ctdb_sock_addr_to_ip(&again, &ip2, &port2) == 0);
        CHECK(ctdb_ip_equal(&ip, &ip2) && port == port2);
}

/* One description on size bytes: consumed within them, packed back to them, strict or not alike. */
static void unpack_one(const struct wire_desc *desc, bool padded, const uint8_t *buf, size_t size) {
        void *ctx = talloc_new(NULL);
        union msg_buf msg, msg2;
        uint8_t *again, *third;
        int r, strict;

        CHECK(ctx && desc->size <= sizeof(msg));
        r = wire_unpack(desc, ctx, buf, size, &msg);
        CHECK(r == -EBADMSG || r == -E2BIG || (r >= 0 && (size_t) r <= size));
        strict = ctdb_payload_unpack(desc, ctx, buf, size, &msg2);
        CHECK(strict == (r == (int) size ? 0 : r < 0 ? r : -EBADMSG));
        if (r >= 0) {
                uint32_t n;

                CHECK(ctdb_payload_build(ctx, desc, &msg, &again, &n) == 0);
                CHECK(n == (uint32_t) r);
                if (!padded) {
                        CHECK(memcmp(again, buf, n) == 0);
                } else {
                        CHECK(ctdb_payload_unpack(desc, ctx, again, n, &msg2) == 0);
                        CHECK(ctdb_payload_build(ctx, desc, &msg2, &third, &n) == 0);
                        CHECK(n == (uint32_t) r && memcmp(again, third, n) == 0);
                }
                if (desc == &ctdb_sock_addr_desc)
                        check_sock_addr((const struct ctdb_sock_addr *) msg.bytes);
                if (desc == &ctdb_connection_desc) {
                        const struct ctdb_connection *c = (const void *) msg.bytes;
                        check_sock_addr(&c->src);
                        check_sock_addr(&c->dst);
                }
        }
        talloc_free(ctx);
}

/* The data a packet carries, as each control or message layout and as a string. */
static void fuzz_payload(const uint8_t *data, size_t len) {
        const char *s;

        if (!data)
                return;
        for (size_t i = 0; i < ELEMENTS(payload_descs); i++)
                unpack_one(payload_descs[i].desc, payload_descs[i].padded, data, len);
        if (ctdb_payload_string(data, len, &s) == 0)
                CHECK(strlen(s) + 1 == len);
}

/* A packet rebuilt from what it unpacked to: checks, unpacks to as many body bytes, repacks the same. */
static void fuzz_rebuild(void *ctx, const struct ctdb_pkt_header *h, const struct wire_desc *desc,
                         const void *msg, int body) {
        struct ctdb_pkt_header h2 = *h, h3;
        union msg_buf out;
        uint8_t *pkt, *pkt2;
        size_t len, len2;
        int r;

        r = ctdb_pkt_build(ctx, &h2, desc, msg, &pkt, &len);
        if (desc == &ctdb_reply_control_desc) {
                const struct ctdb_reply_control *c = msg;
                if (c->status != 0 && c->datalen != 0) {
                        CHECK(r == -EINVAL);
                        return;
                }
        }
        CHECK(r == 0);
        CHECK(len == h2.length && len % CTDB_PKT_ALIGN == 0 && len < CTDB_PKT_HEADER_SIZE + body + 8);
        for (size_t i = CTDB_PKT_HEADER_SIZE + (size_t) body; i < len; i++)
                CHECK(pkt[i] == 0);
        CHECK(ctdb_pkt_header_check(pkt, len, &h3) == 0);
        CHECK(h3.operation == desc->kind && h3.reqid == h->reqid && h3.destnode == h->destnode &&
              h3.srcnode == h->srcnode && h3.generation == h->generation);
        CHECK(ctdb_pkt_unpack(desc, ctx, pkt, len, &out) == body);
        CHECK(ctdb_pkt_build(ctx, &h3, desc, &out, &pkt2, &len2) == 0);
        CHECK(len2 == len && memcmp(pkt, pkt2, len) == 0);
}

/* One framed packet of len bytes, as the daemon reads it. */
static void fuzz_packet(const uint8_t *pkt, size_t len) {
        void *ctx = talloc_new(NULL);
        const struct wire_desc *desc;
        struct ctdb_pkt_header h;
        union msg_buf msg;
        int body;

        CHECK(ctx);
        if (ctdb_pkt_header_check(pkt, len, &h) < 0) {
                talloc_free(ctx);
                return;
        }
        CHECK(h.length == len && h.magic == CTDB_MAGIC && h.version == CTDB_PROTOCOL);
        CHECK(ctdb_operation_to_string(h.operation) != NULL);
        desc = ctdb_pkt_desc(h.operation);
        if (!desc) {
                talloc_free(ctx);
                return;
        }
        CHECK(desc->kind == h.operation && desc->size <= sizeof(msg));
        body = ctdb_pkt_unpack(desc, ctx, pkt, len, &msg);
        CHECK(body == -EBADMSG || body == -E2BIG ||
              (body >= 0 && (size_t) body <= len - CTDB_PKT_HEADER_SIZE));
        if (body < 0) {
                talloc_free(ctx);
                return;
        }
        fuzz_rebuild(ctx, &h, desc, &msg, body);

        if (desc == &ctdb_req_control_desc) {
                const struct ctdb_req_control *c = (const void *) msg.bytes;
                CHECK(ctdb_control_to_string(c->opcode) != NULL);
                fuzz_payload(c->data, c->datalen);
        } else if (desc == &ctdb_reply_control_desc) {
                const struct ctdb_reply_control *c = (const void *) msg.bytes;
                fuzz_payload(c->data, c->datalen);
        } else if (desc == &ctdb_req_message_desc) {
                const struct ctdb_req_message *m = (const void *) msg.bytes;
                fuzz_payload(m->data, m->datalen);
        } else if (desc == &ctdb_reply_call_desc) {
                const struct ctdb_reply_call *c = (const void *) msg.bytes;
                fuzz_payload(c->data, c->datalen);
        } else if (desc == &ctdb_req_tunnel_desc) {
                const struct ctdb_req_tunnel *t = (const void *) msg.bytes;
                fuzz_payload(t->data, t->datalen);
        }
        talloc_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t at = 0;

        /* As a stream: packets back to back, each cut by its length field. */
        while (at < size) {
                int r = ctdb_pkt_frame_length(data + at, size - at);

                CHECK(r == 0 || r == -EBADMSG || r == -EMSGSIZE ||
                      (r >= (int) CTDB_PKT_HEADER_SIZE && r <= (int) CTDB_PKT_MAX));
                if (r <= 0 || (size_t) r > size - at)
                        break;
                fuzz_packet(data + at, (size_t) r);
                at += (size_t) r;
        }
        /* The whole input as one framed packet, whatever its length field says. */
        fuzz_packet(data, size);

        fuzz_payload(data, size);
        if (size >= CTDB_PKT_HEADER_SIZE) {
                for (size_t i = 0; i < ELEMENTS(body_descs); i++)
                        unpack_one(body_descs[i], body_descs[i] == &ctdb_req_control_desc,
                                   data + CTDB_PKT_HEADER_SIZE, size - CTDB_PKT_HEADER_SIZE);
        }
        return 0;
}
