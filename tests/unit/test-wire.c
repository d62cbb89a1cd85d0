/* Unit tests of common/wire.c: frame header, every message kind, and every way input can be bad. */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <stddef.h>
#include <string.h>
#include <talloc.h>

#include "wire.h"

/* ---- helpers ---------------------------------------------------------------- */

/* Packs msg into a fresh talloc buffer of exactly its payload size. */
static uint8_t *pack(void *ctx, const struct wire_desc *desc, const void *msg, size_t *ret_size) {
        size_t n = wire_payload_size(desc, msg);
        uint8_t *buf = talloc_size(ctx, n > 0 ? n : 1);
        int r;

        g_assert_nonnull(buf);
        r = wire_pack(desc, msg, buf, n);
        g_assert_cmpint(r, ==, (int) n);
        *ret_size = n;
        return buf;
}

/*
 * Every proper prefix of a payload is refused as truncated, and nothing
 * allocated for it stays behind on the context.
 */
static void assert_truncations_refused(const struct wire_desc *desc, const uint8_t *buf, size_t n) {
        for (size_t len = 0; len < n; len++) {
                void *ctx = talloc_new(NULL);
                void *msg = g_malloc0(desc->size);
                /* A copy of exactly len bytes, so that valgrind/ASan see any read past it. */
                uint8_t *copy = g_memdup2(buf, len);
                int r = wire_unpack(desc, ctx, copy, len, msg);
                if (r != -EBADMSG)
                        g_error("%s: unpack of %zu of %zu bytes returned %d, expected -EBADMSG", desc->name,
                                len, n, r);
                g_free(copy);
                g_free(msg);
                talloc_free(ctx);
        }
}

/* Unpacking buf fails with error, and nothing allocated for it stays behind. */
static void assert_refused_leaving_nothing(const struct wire_desc *desc, const uint8_t *buf, size_t n,
                                           int error) {
        void *ctx = talloc_new(NULL);
        void *msg = g_malloc0(desc->size);

        g_assert_cmpint(wire_unpack(desc, ctx, buf, n, msg), ==, error);
        g_assert_cmpint(talloc_total_blocks(ctx), ==, 1);
        g_free(msg);
        talloc_free(ctx);
}

/* Packing into every buffer that is too small fails without writing past it. */
static void assert_small_buffers_refused(const struct wire_desc *desc, const void *msg) {
        size_t n = wire_payload_size(desc, msg);

        for (size_t len = 0; len < n; len++) {
                uint8_t *buf = g_malloc(len > 0 ? len : 1);
                g_assert_cmpint(wire_pack(desc, msg, buf, len), ==, -EMSGSIZE);
                g_free(buf);
        }
}

static void put32(uint8_t *p, uint32_t v) {
        p[0] = v & 0xff;
        p[1] = (v >> 8) & 0xff;
        p[2] = (v >> 16) & 0xff;
        p[3] = v >> 24;
}

/* A kind with every variable field type, in a combination no real kind has (STRING before U32_ARRAY). */
struct test_msg {
        uint16_t a;
        char *name;
        uint32_t name_len;
        uint32_t *ids;
        uint32_t n_ids;
        const uint8_t *blob;
        uint32_t blob_len;
};

#define TEST_NAME_MAX 8
#define TEST_IDS_MAX  4
#define TEST_BLOB_MAX 16

static const struct wire_field test_fields[] = {
        WIRE_U16(struct test_msg, a),
        WIRE_STRING(struct test_msg, name, name_len, TEST_NAME_MAX),
        WIRE_U32_ARRAY(struct test_msg, ids, n_ids, TEST_IDS_MAX),
        WIRE_BLOB(struct test_msg, blob, blob_len, TEST_BLOB_MAX),
};
static const struct wire_desc test_desc = WIRE_DESC(0x7f00, struct test_msg, test_fields);

/* The same with no useful cap, to see that counts are checked against the bytes left. */
static const struct wire_field test_uncapped_fields[] = {
        WIRE_U32_ARRAY(struct test_msg, ids, n_ids, UINT32_MAX),
        WIRE_STRING(struct test_msg, name, name_len, UINT32_MAX),
};
static const struct wire_desc test_uncapped_desc = WIRE_DESC(0x7f01, struct test_msg, test_uncapped_fields);

/* ---- header ----------------------------------------------------------------- */

static void test_header_layout(void) {
        static const uint8_t expected[WIRE_HEADER_SIZE] = {
                0x40, 0x00, 0x00, 0x00,                         /* length 64 */
                0x04, 0x00,                                     /* kind MESSAGE */
                0x00, 0x00,                                     /* flags */
                0x01, 0x00, 0x00, 0x00,                         /* src 1 */
                0xff, 0xff, 0xff, 0xff,                         /* dst all */
                0x78, 0x56, 0x34, 0x12,                         /* generation */
                0x00, 0x00, 0x00, 0x00,                         /* reserved */
                0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* srvid */
        };
        struct wire_header h = {
                .length = 64,
                .kind = WIRE_KIND_MESSAGE,
                .src = 1,
                .dst = CTDB_PNN_ALL,
                .generation = 0x12345678,
                .srvid = UINT64_C(0x0102030405060708),
        };
        uint8_t out[WIRE_HEADER_SIZE];

        g_assert_cmpuint(WIRE_HEADER_SIZE, ==, 32);
        wire_header_pack(&h, out);
        g_assert_cmpmem(out, sizeof(out), expected, sizeof(expected));
}

static void test_header_round_trip(void) {
        struct wire_header h = {
                .length = 1000,
                .kind = 0xfffe,
                .flags = 0x8001,
                .src = 0xfffffffe,
                .dst = 7,
                .generation = 0xdeadbeef,
                .reserved = 0xcafebabe,
                .srvid = UINT64_MAX - 1,
        };
        struct wire_header back;
        uint8_t out[WIRE_HEADER_SIZE];

        wire_header_pack(&h, out);
        g_assert_cmpint(wire_header_unpack(out, WIRE_FRAME_MAX, &back), ==, 0);
        g_assert_cmpuint(back.length, ==, h.length);
        g_assert_cmpuint(back.kind, ==, h.kind);
        g_assert_cmpuint(back.flags, ==, h.flags);
        g_assert_cmpuint(back.src, ==, h.src);
        g_assert_cmpuint(back.dst, ==, h.dst);
        g_assert_cmpuint(back.generation, ==, h.generation);
        g_assert_cmpuint(back.reserved, ==, h.reserved);
        g_assert_cmpuint(back.srvid, ==, h.srvid);
}

static void test_header_length_below_header(void) {
        uint8_t out[WIRE_HEADER_SIZE];
        struct wire_header back = { .length = 12345 };

        for (uint32_t len = 0; len < WIRE_HEADER_SIZE; len++) {
                struct wire_header h = { .length = len, .kind = WIRE_KIND_HEARTBEAT };
                wire_header_pack(&h, out);
                g_assert_cmpint(wire_header_unpack(out, WIRE_FRAME_MAX, &back), ==, -EBADMSG);
                /* A refused header leaves the output alone. */
                g_assert_cmpuint(back.length, ==, 12345);
        }
        /* Exactly a header: an empty payload. */
        struct wire_header h = { .length = WIRE_HEADER_SIZE, .kind = WIRE_KIND_REGISTER };
        wire_header_pack(&h, out);
        g_assert_cmpint(wire_header_unpack(out, WIRE_FRAME_MAX, &back), ==, 0);
        g_assert_cmpuint(back.length, ==, WIRE_HEADER_SIZE);
}

static void test_header_length_above_max(void) {
        static const uint32_t too_big[] = { WIRE_FRAME_MAX + 1, WIRE_FRAME_MAX * 2, UINT32_MAX };
        uint8_t out[WIRE_HEADER_SIZE];
        struct wire_header back;

        for (size_t i = 0; i < G_N_ELEMENTS(too_big); i++) {
                struct wire_header h = { .length = too_big[i], .kind = WIRE_KIND_MESSAGE };
                wire_header_pack(&h, out);
                g_assert_cmpint(wire_header_unpack(out, WIRE_FRAME_MAX, &back), ==, -EMSGSIZE);
        }
        struct wire_header h = { .length = WIRE_FRAME_MAX, .kind = WIRE_KIND_MESSAGE };
        wire_header_pack(&h, out);
        g_assert_cmpint(wire_header_unpack(out, WIRE_FRAME_MAX, &back), ==, 0);

        /* A smaller limit of the caller's (a local socket may use one) is honoured too. */
        h.length = 4097;
        wire_header_pack(&h, out);
        g_assert_cmpint(wire_header_unpack(out, 4096, &back), ==, -EMSGSIZE);
        h.length = 4096;
        wire_header_pack(&h, out);
        g_assert_cmpint(wire_header_unpack(out, 4096, &back), ==, 0);
}

/* ---- kinds ------------------------------------------------------------------ */

static void test_desc_by_kind(void) {
        static const struct {
                uint16_t kind;
                const struct wire_desc *desc;
        } known[] = {
                { WIRE_KIND_HELLO, &wire_hello_desc },         { WIRE_KIND_AUTH, &wire_auth_desc },
                { WIRE_KIND_HEARTBEAT, &wire_heartbeat_desc }, { WIRE_KIND_MESSAGE, &wire_message_desc },
                { WIRE_KIND_REGISTER, &wire_empty_desc },      { WIRE_KIND_DEREGISTER, &wire_empty_desc },
                { WIRE_KIND_LINK, &wire_link_desc },           { WIRE_KIND_ERROR, &wire_error_desc },
        };
        static const uint16_t unknown[] = { 0, 7, 15, 24, 0x100, 0x7fff, 0xffff };

        for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
                g_assert_true(wire_desc_by_kind(known[i].kind) == known[i].desc);
                if (known[i].desc != &wire_empty_desc)
                        g_assert_cmpuint(known[i].desc->kind, ==, known[i].kind);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(unknown); i++)
                g_assert_null(wire_desc_by_kind(unknown[i]));
}

/* Field by field: sizes on the wire are the documented ones. */
static void test_payload_sizes(void) {
        struct wire_hello hello = {};
        struct wire_auth auth = {};
        struct wire_heartbeat hb = {};
        struct wire_message m = { .data = (const uint8_t *) "abc", .data_len = 3 };
        struct wire_link link = {};
        struct wire_error error = {};

        g_assert_cmpuint(wire_payload_size(&wire_hello_desc, &hello), ==,
                         4 + 2 + 2 + 4 + 4 + WIRE_NONCE_SIZE);
        g_assert_cmpuint(wire_payload_size(&wire_auth_desc, &auth), ==, WIRE_MAC_SIZE);
        g_assert_cmpuint(wire_payload_size(&wire_heartbeat_desc, &hb), ==, 8);
        g_assert_cmpuint(wire_payload_size(&wire_message_desc, &m), ==, 4 + 3);
        g_assert_cmpuint(wire_payload_size(&wire_link_desc, &link), ==, 4 + 1);
        g_assert_cmpuint(wire_payload_size(&wire_error_desc, &error), ==, 4 + 2 + 8 + 4);
        g_assert_cmpuint(wire_payload_size(&wire_empty_desc, NULL), ==, 0);
}

/* A kind without fields needs no message struct; one with fields refuses NULL. */
static void test_unpack_null_message(void) {
        const uint8_t buf[8] = {};

        g_assert_cmpint(wire_unpack(&wire_empty_desc, NULL, buf, 0, NULL), ==, 0);
        g_assert_cmpint(wire_unpack(&wire_empty_desc, NULL, buf, sizeof(buf), NULL), ==, 0);
        g_assert_cmpint(wire_unpack(&wire_heartbeat_desc, NULL, buf, sizeof(buf), NULL), ==, -EINVAL);
}

static void test_hello_round_trip(void) {
        void *ctx = talloc_new(NULL);
        struct wire_hello in = {
                .magic = WIRE_MAGIC,
                .major = WIRE_VERSION_MAJOR,
                .minor = 7,
                .pnn = 3,
                .n_nodes = 5,
        }, out;
        size_t n;
        uint8_t *buf;

        for (unsigned i = 0; i < WIRE_NONCE_SIZE; i++)
                in.nonce[i] = (uint8_t) (0xa0 + i);
        buf = pack(ctx, &wire_hello_desc, &in, &n);
        /* The magic is "CTDB" as bytes on the wire. */
        g_assert_cmpmem(buf, 4, "CTDB", 4);
        g_assert_cmpint(wire_unpack(&wire_hello_desc, ctx, buf, n, &out), ==, (int) n);
        g_assert_cmpuint(out.magic, ==, WIRE_MAGIC);
        g_assert_cmpuint(out.major, ==, WIRE_VERSION_MAJOR);
        g_assert_cmpuint(out.minor, ==, 7);
        g_assert_cmpuint(out.pnn, ==, 3);
        g_assert_cmpuint(out.n_nodes, ==, 5);
        g_assert_cmpmem(out.nonce, WIRE_NONCE_SIZE, in.nonce, WIRE_NONCE_SIZE);
        assert_truncations_refused(&wire_hello_desc, buf, n);
        assert_small_buffers_refused(&wire_hello_desc, &in);
        talloc_free(ctx);
}

static void test_auth_round_trip(void) {
        void *ctx = talloc_new(NULL);
        struct wire_auth in, out;
        size_t n;
        uint8_t *buf;

        for (unsigned i = 0; i < WIRE_MAC_SIZE; i++)
                in.mac[i] = (uint8_t) (255 - i);
        buf = pack(ctx, &wire_auth_desc, &in, &n);
        g_assert_cmpuint(n, ==, WIRE_MAC_SIZE);
        g_assert_cmpint(wire_unpack(&wire_auth_desc, ctx, buf, n, &out), ==, (int) n);
        g_assert_cmpmem(out.mac, WIRE_MAC_SIZE, in.mac, WIRE_MAC_SIZE);
        assert_truncations_refused(&wire_auth_desc, buf, n);
        assert_small_buffers_refused(&wire_auth_desc, &in);
        talloc_free(ctx);
}

static void test_heartbeat_round_trip(void) {
        void *ctx = talloc_new(NULL);
        struct wire_heartbeat in = { .seq = UINT64_C(0x8877665544332211) }, out;
        static const uint8_t le[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
        size_t n;
        uint8_t *buf = pack(ctx, &wire_heartbeat_desc, &in, &n);

        g_assert_cmpmem(buf, n, le, sizeof(le));
        g_assert_cmpint(wire_unpack(&wire_heartbeat_desc, ctx, buf, n, &out), ==, 8);
        g_assert_cmpuint(out.seq, ==, in.seq);
        assert_truncations_refused(&wire_heartbeat_desc, buf, n);
        assert_small_buffers_refused(&wire_heartbeat_desc, &in);
        talloc_free(ctx);
}

static void test_message_round_trip(void) {
        void *ctx = talloc_new(NULL);
        static const uint8_t data[] = "hello, cluster";
        struct wire_message in = { .data = data, .data_len = sizeof(data) }, out;
        size_t n;
        uint8_t *buf = pack(ctx, &wire_message_desc, &in, &n);

        g_assert_cmpint(wire_unpack(&wire_message_desc, ctx, buf, n, &out), ==, (int) n);
        g_assert_cmpuint(out.data_len, ==, sizeof(data));
        g_assert_cmpmem(out.data, out.data_len, data, sizeof(data));
        /* BLOB points into the frame, no copy. */
        g_assert_true(out.data == buf + 4);
        assert_truncations_refused(&wire_message_desc, buf, n);
        assert_small_buffers_refused(&wire_message_desc, &in);
        talloc_free(ctx);
}

static void test_message_empty(void) {
        void *ctx = talloc_new(NULL);
        struct wire_message in = {}, out = { .data = (const uint8_t *) "x", .data_len = 1 };
        size_t n;
        uint8_t *buf = pack(ctx, &wire_message_desc, &in, &n);

        g_assert_cmpuint(n, ==, 4);
        g_assert_cmpint(wire_unpack(&wire_message_desc, ctx, buf, n, &out), ==, 4);
        g_assert_cmpuint(out.data_len, ==, 0);
        g_assert_null(out.data);
        talloc_free(ctx);
}

static void test_link_round_trip(void) {
        void *ctx = talloc_new(NULL);
        struct wire_link in = { .pnn = 0xfffffffe, .connected = 1 }, out;
        size_t n;
        uint8_t *buf = pack(ctx, &wire_link_desc, &in, &n);

        g_assert_cmpint(wire_unpack(&wire_link_desc, ctx, buf, n, &out), ==, 5);
        g_assert_cmpuint(out.pnn, ==, in.pnn);
        g_assert_cmpuint(out.connected, ==, 1);
        assert_truncations_refused(&wire_link_desc, buf, n);
        assert_small_buffers_refused(&wire_link_desc, &in);
        talloc_free(ctx);
}

static void test_error_round_trip(void) {
        void *ctx = talloc_new(NULL);
        struct wire_error in = {
                .error = EHOSTUNREACH,
                .request_kind = WIRE_KIND_MESSAGE,
                .srvid = UINT64_C(0xf100000000000001),
                .dst = 4,
        }, out;
        size_t n;
        uint8_t *buf = pack(ctx, &wire_error_desc, &in, &n);

        g_assert_cmpint(wire_unpack(&wire_error_desc, ctx, buf, n, &out), ==, (int) n);
        g_assert_cmpint(out.error, ==, EHOSTUNREACH);
        g_assert_cmpuint(out.request_kind, ==, WIRE_KIND_MESSAGE);
        g_assert_cmpuint(out.srvid, ==, in.srvid);
        g_assert_cmpuint(out.dst, ==, 4);
        assert_truncations_refused(&wire_error_desc, buf, n);
        assert_small_buffers_refused(&wire_error_desc, &in);
        talloc_free(ctx);
}

/* REGISTER/DEREGISTER: header only; the caller names the kind. */
static void test_register_frames(void) {
        static const uint16_t kinds[] = { WIRE_KIND_REGISTER, WIRE_KIND_DEREGISTER };

        for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
                void *ctx = talloc_new(NULL);
                struct wire_header h = { .kind = kinds[i], .srvid = 0xabcdef, .src = CTDB_PNN_NONE }, back;
                uint8_t *frame = NULL, scratch[8];
                int r = wire_frame_build(ctx, &h, &wire_empty_desc, NULL, &frame);

                g_assert_cmpint(r, ==, WIRE_HEADER_SIZE);
                g_assert_cmpint(wire_header_unpack(frame, WIRE_FRAME_MAX, &back), ==, 0);
                g_assert_cmpuint(back.kind, ==, kinds[i]);
                g_assert_cmpuint(back.length, ==, WIRE_HEADER_SIZE);
                g_assert_cmpuint(back.srvid, ==, 0xabcdef);
                g_assert_true(wire_desc_by_kind(back.kind) == &wire_empty_desc);
                g_assert_cmpint(wire_unpack(&wire_empty_desc, ctx, frame + WIRE_HEADER_SIZE, 0, scratch), ==,
                                0);
                /* Trailing bytes from a newer minor version are ignored. */
                g_assert_cmpint(wire_unpack(&wire_empty_desc, ctx, (const uint8_t *) "xyz", 3, scratch), ==,
                                0);
                talloc_free(ctx);
        }
}

/* A whole frame for every kind: build, read the header, look up the kind, unpack. */
static void test_frames_every_kind(void) {
        void *ctx = talloc_new(NULL);
        struct wire_hello hello = { .magic = WIRE_MAGIC, .major = WIRE_VERSION_MAJOR, .pnn = 1 };
        struct wire_auth auth = { .mac = { 1, 2, 3 } };
        struct wire_heartbeat hb = { .seq = 42 };
        struct wire_message msg = { .data = (const uint8_t *) "payload", .data_len = 7 };
        struct wire_link link = { .pnn = 2, .connected = 0 };
        struct wire_error err = { .error = ENOBUFS, .request_kind = WIRE_KIND_MESSAGE, .dst = 9 };
        const struct {
                const struct wire_desc *desc;
                const void *msg;
        } cases[] = {
                { &wire_hello_desc, &hello }, { &wire_auth_desc, &auth }, { &wire_heartbeat_desc, &hb },
                { &wire_message_desc, &msg }, { &wire_link_desc, &link }, { &wire_error_desc, &err },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                const struct wire_desc *d = cases[i].desc;
                struct wire_header h = { .kind = 0, .src = 1, .dst = 2, .generation = 3 }, back;
                uint8_t *frame = NULL;
                void *out = g_malloc0(d->size);
                size_t payload = wire_payload_size(d, cases[i].msg);
                int r = wire_frame_build(ctx, &h, d, cases[i].msg, &frame);

                g_assert_cmpint(r, ==, (int) (WIRE_HEADER_SIZE + payload));
                g_assert_cmpuint(h.length, ==, (uint32_t) r);
                g_assert_cmpuint(h.kind, ==, d->kind);
                g_assert_cmpint(wire_header_unpack(frame, WIRE_FRAME_MAX, &back), ==, 0);
                g_assert_cmpuint(back.length, ==, (uint32_t) r);
                g_assert_true(wire_desc_by_kind(back.kind) == d);
                g_assert_cmpint(wire_unpack(d, ctx, frame + WIRE_HEADER_SIZE, back.length - WIRE_HEADER_SIZE,
                                            out),
                                ==, (int) payload);
                /* Packing what came out gives the same bytes as what went in. */
                uint8_t *again = g_malloc(payload + 1);
                g_assert_cmpint(wire_pack(d, out, again, payload), ==, (int) payload);
                g_assert_cmpmem(again, payload, frame + WIRE_HEADER_SIZE, payload);
                g_free(again);
                g_free(out);
        }
        talloc_free(ctx);
}

/* An older minor version ignores what a newer one appends. */
static void test_trailing_bytes_accepted(void) {
        void *ctx = talloc_new(NULL);
        struct wire_link in = { .pnn = 6, .connected = 1 }, out;
        uint8_t buf[16];
        int r = wire_pack(&wire_link_desc, &in, buf, sizeof(buf));

        g_assert_cmpint(r, ==, 5);
        memset(buf + 5, 0xee, sizeof(buf) - 5);
        g_assert_cmpint(wire_unpack(&wire_link_desc, ctx, buf, sizeof(buf), &out), ==, 5);
        g_assert_cmpuint(out.pnn, ==, 6);
        talloc_free(ctx);
}

/* ---- lengths and counts ----------------------------------------------------- */

static void test_message_largest(void) {
        void *ctx = talloc_new(NULL);
        uint32_t max = WIRE_FRAME_MAX - WIRE_HEADER_SIZE - 4;
        uint8_t *data = g_malloc0(max + 1);
        struct wire_message in = { .data = data, .data_len = max }, out;
        struct wire_header h = {}, back;
        uint8_t *frame = NULL;

        g_assert_cmpint(wire_frame_build(ctx, &h, &wire_message_desc, &in, &frame), ==, WIRE_FRAME_MAX);
        g_assert_cmpint(wire_header_unpack(frame, WIRE_FRAME_MAX, &back), ==, 0);
        g_assert_cmpint(wire_unpack(&wire_message_desc, ctx, frame + WIRE_HEADER_SIZE,
                                    back.length - WIRE_HEADER_SIZE, &out), ==, (int) (max + 4));
        g_assert_cmpuint(out.data_len, ==, max);

        /* One byte more does not fit a frame. */
        in.data_len = max + 1;
        frame = NULL;
        g_assert_cmpint(wire_frame_build(ctx, &h, &wire_message_desc, &in, &frame), <, 0);
        g_assert_null(frame);
        g_free(data);
        talloc_free(ctx);
}

static void test_message_length_too_big(void) {
        void *ctx = talloc_new(NULL);
        uint8_t buf[64] = {};
        struct wire_message out;

        /* A length over the field's max is E2BIG even before the bytes are looked at. */
        put32(buf, WIRE_FRAME_MAX - WIRE_HEADER_SIZE - 4 + 1);
        g_assert_cmpint(wire_unpack(&wire_message_desc, ctx, buf, sizeof(buf), &out), ==, -E2BIG);
        put32(buf, UINT32_MAX);
        g_assert_cmpint(wire_unpack(&wire_message_desc, ctx, buf, sizeof(buf), &out), ==, -E2BIG);
        /* Within the max but more than was sent: truncated. */
        put32(buf, 61);
        g_assert_cmpint(wire_unpack(&wire_message_desc, ctx, buf, sizeof(buf), &out), ==, -EBADMSG);
        put32(buf, 60);
        g_assert_cmpint(wire_unpack(&wire_message_desc, ctx, buf, sizeof(buf), &out), ==, 64);
        talloc_free(ctx);
}

static void test_pack_length_over_max(void) {
        uint8_t data[TEST_BLOB_MAX + 1] = {}, buf[128];
        char name[] = "123456789";
        uint32_t ids[TEST_IDS_MAX + 1] = {};
        struct test_msg m = { .name = name, .name_len = TEST_NAME_MAX + 1 };

        g_assert_cmpint(wire_pack(&test_desc, &m, buf, sizeof(buf)), ==, -EINVAL);
        m.name_len = 0;
        m.ids = ids;
        m.n_ids = TEST_IDS_MAX + 1;
        g_assert_cmpint(wire_pack(&test_desc, &m, buf, sizeof(buf)), ==, -EINVAL);
        m.n_ids = 0;
        m.blob = data;
        m.blob_len = TEST_BLOB_MAX + 1;
        g_assert_cmpint(wire_pack(&test_desc, &m, buf, sizeof(buf)), ==, -EINVAL);
}

static void test_string_array_round_trip(void) {
        void *ctx = talloc_new(NULL);
        char name[] = "node-a";
        uint32_t ids[] = { 1, 0xffffffff, 3, 4 };
        uint8_t blob[] = { 9, 8, 7 };
        struct test_msg in = {
                .a = 0xbeef, .name = name, .name_len = 6, .ids = ids, .n_ids = 4, .blob = blob,
                .blob_len = 3,
        }, out;
        size_t n;
        uint8_t *buf = pack(ctx, &test_desc, &in, &n);

        g_assert_cmpuint(n, ==, 2 + 4 + 6 + 4 + 16 + 4 + 3);
        g_assert_cmpint(wire_unpack(&test_desc, ctx, buf, n, &out), ==, (int) n);
        g_assert_cmpuint(out.a, ==, 0xbeef);
        g_assert_cmpstr(out.name, ==, "node-a");
        g_assert_cmpuint(out.name_len, ==, 6);
        g_assert_true(talloc_parent(out.name) == ctx);
        g_assert_cmpuint(out.n_ids, ==, 4);
        g_assert_cmpmem(out.ids, sizeof(ids), ids, sizeof(ids));
        g_assert_true(talloc_parent(out.ids) == ctx);
        g_assert_cmpmem(out.blob, out.blob_len, blob, sizeof(blob));
        assert_truncations_refused(&test_desc, buf, n);
        assert_small_buffers_refused(&test_desc, &in);
        talloc_free(ctx);
}

static void test_string_array_empty(void) {
        void *ctx = talloc_new(NULL);
        struct test_msg in = {}, out;
        size_t n;
        uint8_t *buf = pack(ctx, &test_desc, &in, &n);

        g_assert_cmpuint(n, ==, 2 + 4 + 4 + 4);
        g_assert_cmpint(wire_unpack(&test_desc, ctx, buf, n, &out), ==, (int) n);
        g_assert_cmpstr(out.name, ==, "");
        g_assert_cmpuint(out.n_ids, ==, 0);
        g_assert_null(out.ids);
        talloc_free(ctx);
}

static void test_string_with_nul_refused(void) {
        void *ctx = talloc_new(NULL);
        /* a=0, name "ab\0d", no ids, no blob */
        static const uint8_t buf[] = { 0, 0, 4, 0, 0, 0, 'a', 'b', 0, 'd', 0, 0, 0, 0, 0, 0, 0, 0 };
        struct test_msg out;

        g_assert_cmpint(wire_unpack(&test_desc, ctx, buf, sizeof(buf), &out), ==, -EBADMSG);
        g_assert_cmpint(talloc_total_blocks(ctx), ==, 1);
        talloc_free(ctx);
}

static void test_string_array_too_big(void) {
        void *ctx = talloc_new(NULL);
        uint8_t buf[256] = {};
        struct test_msg out;

        /* name length max+1, with plenty of bytes behind it */
        put32(buf + 2, TEST_NAME_MAX + 1);
        g_assert_cmpint(wire_unpack(&test_desc, ctx, buf, sizeof(buf), &out), ==, -E2BIG);
        /* ids count max+1 */
        put32(buf + 2, 0);
        put32(buf + 6, TEST_IDS_MAX + 1);
        g_assert_cmpint(wire_unpack(&test_desc, ctx, buf, sizeof(buf), &out), ==, -E2BIG);
        put32(buf + 6, UINT32_MAX);
        g_assert_cmpint(wire_unpack(&test_desc, ctx, buf, sizeof(buf), &out), ==, -E2BIG);
        /* blob length max+1 */
        put32(buf + 6, 0);
        put32(buf + 10, TEST_BLOB_MAX + 1);
        g_assert_cmpint(wire_unpack(&test_desc, ctx, buf, sizeof(buf), &out), ==, -E2BIG);
        /* and at the max, fine */
        put32(buf + 10, TEST_BLOB_MAX);
        g_assert_cmpint(wire_unpack(&test_desc, ctx, buf, sizeof(buf), &out), ==, 14 + TEST_BLOB_MAX);
        talloc_free(ctx);
}

/* A count the sender did not back with bytes allocates nothing, however large the max. */
static void test_count_capped_by_bytes_left(void) {
        void *ctx = talloc_new(NULL);
        uint8_t buf[12] = {};
        struct test_msg out;

        put32(buf, UINT32_MAX);
        g_assert_cmpint(wire_unpack(&test_uncapped_desc, ctx, buf, sizeof(buf), &out), ==, -EBADMSG);
        put32(buf, 3); /* 3 ids need 12 bytes, 8 are there */
        g_assert_cmpint(wire_unpack(&test_uncapped_desc, ctx, buf, sizeof(buf), &out), ==, -EBADMSG);
        put32(buf, 0x40000001); /* 4 * count overflows 32 bits */
        g_assert_cmpint(wire_unpack(&test_uncapped_desc, ctx, buf, sizeof(buf), &out), ==, -EBADMSG);
        g_assert_cmpint(talloc_total_blocks(ctx), ==, 1);

        put32(buf, 0);
        put32(buf + 4, UINT32_MAX); /* string length */
        g_assert_cmpint(wire_unpack(&test_uncapped_desc, ctx, buf, sizeof(buf), &out), ==, -EBADMSG);
        g_assert_cmpint(talloc_total_blocks(ctx), ==, 1);
        talloc_free(ctx);
}

/* Random bytes into every kind: never a crash, and a result that makes sense. */
static void test_garbage(void) {
        const struct wire_desc *descs[] = {
                &wire_hello_desc, &wire_auth_desc,  &wire_heartbeat_desc, &wire_message_desc,
                &wire_link_desc,  &wire_error_desc, &wire_empty_desc,     &test_desc,
                &test_uncapped_desc,
        };
        GRand *rand = g_rand_new_with_seed(0x5eed);

        for (unsigned iter = 0; iter < 20000; iter++) {
                size_t len = (size_t) g_rand_int_range(rand, 0, 96);
                uint8_t *buf = g_malloc(len > 0 ? len : 1);
                const struct wire_desc *d = descs[iter % G_N_ELEMENTS(descs)];
                void *ctx = talloc_new(NULL);
                void *out = g_malloc0(d->size);
                int r;

                for (size_t i = 0; i < len; i++)
                        buf[i] = (uint8_t) g_rand_int(rand);
                /* Small lengths now and then, so that variable fields are sometimes whole. */
                if (len >= 6 && g_rand_boolean(rand))
                        put32(buf + 2, (uint32_t) g_rand_int_range(rand, 0, 12));
                r = wire_unpack(d, ctx, buf, len, out);
                g_assert_true(r == -EBADMSG || r == -E2BIG || (r >= 0 && (size_t) r <= len));

                if (len >= WIRE_HEADER_SIZE) {
                        struct wire_header h;
                        r = wire_header_unpack(buf, WIRE_FRAME_MAX, &h);
                        g_assert_true(r == 0 || r == -EBADMSG || r == -EMSGSIZE);
                        if (r == 0)
                                g_assert_true(h.length >= WIRE_HEADER_SIZE && h.length <= WIRE_FRAME_MAX);
                }
                g_free(out);
                g_free(buf);
                talloc_free(ctx);
        }
        g_rand_free(rand);
}

/* ---- kinds of the tunnels ---------------------------------------------------- */

static void test_kind_names(void) {
        static const struct {
                uint16_t kind;
                const char *name;
        } known[] = {
                { WIRE_KIND_HELLO, "HELLO" },           { WIRE_KIND_AUTH, "AUTH" },
                { WIRE_KIND_HEARTBEAT, "HEARTBEAT" },   { WIRE_KIND_MESSAGE, "MESSAGE" },
                { WIRE_KIND_TUNNEL, "TUNNEL" },         { WIRE_KIND_TUNNEL_ERROR, "TUNNEL_ERROR" },
                { WIRE_KIND_REGISTER, "REGISTER" },     { WIRE_KIND_DEREGISTER, "DEREGISTER" },
                { WIRE_KIND_LINK, "LINK" },             { WIRE_KIND_ERROR, "ERROR" },
                { WIRE_KIND_TUNNEL_REGISTER, "TUNNEL_REGISTER" },
                { WIRE_KIND_TUNNEL_DEREGISTER, "TUNNEL_DEREGISTER" },
                { WIRE_KIND_CHANNEL, "CHANNEL" },       { WIRE_KIND_CHANNEL_FD, "CHANNEL_FD" },
        };
        static const uint16_t unknown[] = { 0, 7, 15, 24, 0x100, 0xffff };

        for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
                g_assert_cmpstr(wire_kind_to_string(known[i].kind), ==, known[i].name);
        for (size_t i = 0; i < G_N_ELEMENTS(unknown); i++)
                g_assert_cmpstr(wire_kind_to_string(unknown[i]), ==, "unknown");
}

/* The tunnel kinds keep the values other nodes know them by, and MESSAGE's and ERROR's payloads. */
static void test_tunnel_kinds(void) {
        void *ctx = talloc_new(NULL);
        struct wire_message m = { .data = (const uint8_t *) "tun", .data_len = 3 };
        struct wire_error e = { .error = ENOENT, .request_kind = WIRE_KIND_TUNNEL, .srvid = 99, .dst = 2 };
        size_t n1, n2;

        g_assert_cmpuint(WIRE_KIND_TUNNEL, ==, 5);
        g_assert_cmpuint(WIRE_KIND_TUNNEL_ERROR, ==, 6);
        g_assert_cmpuint(WIRE_KIND_TUNNEL_REGISTER, ==, 20);
        g_assert_cmpuint(WIRE_KIND_TUNNEL_DEREGISTER, ==, 21);
        g_assert_true(wire_desc_by_kind(WIRE_KIND_TUNNEL) == &wire_tunnel_desc);
        g_assert_true(wire_desc_by_kind(WIRE_KIND_TUNNEL_ERROR) == &wire_tunnel_error_desc);
        g_assert_true(wire_desc_by_kind(WIRE_KIND_TUNNEL_REGISTER) == &wire_empty_desc);
        g_assert_true(wire_desc_by_kind(WIRE_KIND_TUNNEL_DEREGISTER) == &wire_empty_desc);
        g_assert_cmpuint(wire_tunnel_desc.kind, ==, WIRE_KIND_TUNNEL);
        g_assert_cmpuint(wire_tunnel_error_desc.kind, ==, WIRE_KIND_TUNNEL_ERROR);

        uint8_t *a = pack(ctx, &wire_tunnel_desc, &m, &n1), *b = pack(ctx, &wire_message_desc, &m, &n2);
        g_assert_cmpmem(a, n1, b, n2);
        a = pack(ctx, &wire_tunnel_error_desc, &e, &n1);
        b = pack(ctx, &wire_error_desc, &e, &n2);
        g_assert_cmpmem(a, n1, b, n2);
        talloc_free(ctx);
}

/* ---- nested, padded, native --------------------------------------------------- */

struct test_inner {
        uint8_t tag;
        uint32_t value;
};

struct test_elem {
        uint16_t x;
        uint32_t name_len;
        char *name;
};

struct test_outer {
        uint16_t id;
        struct test_inner inner;
        uint32_t n_elems;
        struct test_elem *elems;
        uint64_t tail;
};

#define TEST_ELEMS_MAX 3

static const struct wire_field test_inner_fields[] = {
        WIRE_U8(struct test_inner, tag),
        WIRE_ALIGN(4),
        WIRE_U32(struct test_inner, value),
};
static const struct wire_desc test_inner_desc = WIRE_DESC(0, struct test_inner, test_inner_fields);

static const struct wire_field test_elem_fields[] = {
        WIRE_U16(struct test_elem, x),
        WIRE_STRING(struct test_elem, name, name_len, TEST_NAME_MAX),
};
static const struct wire_desc test_elem_desc = WIRE_DESC(0, struct test_elem, test_elem_fields);

static const struct wire_field test_outer_fields[] = {
        WIRE_U16(struct test_outer, id),
        WIRE_STRUCT(struct test_outer, inner, &test_inner_desc),
        WIRE_STRUCT_ARRAY(struct test_outer, elems, n_elems, &test_elem_desc, TEST_ELEMS_MAX),
        WIRE_ALIGN(8),
        WIRE_U64(struct test_outer, tail),
};
static const struct wire_desc test_outer_desc = WIRE_DESC(0x7f02, struct test_outer, test_outer_fields);
static const struct wire_desc test_outer_native_desc =
        WIRE_DESC_NATIVE(0x7f03, struct test_outer, test_outer_fields);

/* The same count field with no useful cap, to see the count checked against the bytes left. */
static const struct wire_field test_outer_uncapped_fields[] = {
        WIRE_STRUCT_ARRAY(struct test_outer, elems, n_elems, &test_elem_desc, UINT32_MAX),
};
static const struct wire_desc test_outer_uncapped_desc =
        WIRE_DESC(0x7f04, struct test_outer, test_outer_uncapped_fields);

/* An embedded struct whose description is of another struct: a programming error, refused. */
static const struct wire_field test_outer_mismatch_fields[] = {
        WIRE_STRUCT(struct test_outer, inner, &test_elem_desc),
};
static const struct wire_desc test_outer_mismatch_desc =
        WIRE_DESC(0x7f05, struct test_outer, test_outer_mismatch_fields);

static void fill_outer(struct test_outer *m, struct test_elem *elems) {
        elems[0] = (struct test_elem) { .x = 5, .name = (char *) "ab", .name_len = 2 };
        elems[1] = (struct test_elem) { .x = 0xfffe, .name = (char *) "", .name_len = 0 };
        *m = (struct test_outer) {
                .id = 0x0102,
                .inner = { .tag = 7, .value = 0x11223344 },
                .n_elems = 2,
                .elems = elems,
                .tail = UINT64_C(0x0807060504030201),
        };
}

static void assert_outer_equal(const struct test_outer *a, const struct test_outer *b) {
        g_assert_cmpuint(a->id, ==, b->id);
        g_assert_cmpuint(a->inner.tag, ==, b->inner.tag);
        g_assert_cmpuint(a->inner.value, ==, b->inner.value);
        g_assert_cmpuint(a->n_elems, ==, b->n_elems);
        for (uint32_t k = 0; k < a->n_elems; k++) {
                g_assert_cmpuint(a->elems[k].x, ==, b->elems[k].x);
                g_assert_cmpstr(a->elems[k].name, ==, b->elems[k].name);
        }
        g_assert_cmpuint(a->tail, ==, b->tail);
}

/*
 * Little endian, alignment counted from the payload's start (the inner struct's
 * ALIGN(4) at offset 3 pads one byte, not three), zeros in every padding byte.
 */
static void test_nested_le_layout(void) {
        static const uint8_t expected[] = {
                0x02, 0x01,                     /* id */
                0x07, 0x00,                     /* inner.tag, align 4 */
                0x44, 0x33, 0x22, 0x11,         /* inner.value */
                0x02, 0x00, 0x00, 0x00,         /* 2 elems */
                0x05, 0x00, 0x02, 0x00, 0x00, 0x00, 'a', 'b', /* x, name */
                0xfe, 0xff, 0x00, 0x00, 0x00, 0x00,           /* x, "" */
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* align 8 */
                0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* tail */
        };
        void *ctx = talloc_new(NULL);
        struct test_elem elems[2];
        struct test_outer in, out;
        size_t n;
        uint8_t *buf;

        fill_outer(&in, elems);
        buf = pack(ctx, &test_outer_desc, &in, &n);
        g_assert_cmpmem(buf, n, expected, sizeof(expected));
        g_assert_cmpint(wire_unpack(&test_outer_desc, ctx, buf, n, &out), ==, (int) n);
        assert_outer_equal(&in, &out);
        /* The array hangs off the context, and what its elements allocate off the array. */
        g_assert_true(talloc_parent(out.elems) == ctx);
        g_assert_true(talloc_parent(out.elems[0].name) == out.elems);
        assert_truncations_refused(&test_outer_desc, buf, n);
        assert_small_buffers_refused(&test_outer_desc, &in);
        talloc_free(ctx);
}

/* The host's byte order: every integer as it is in memory. */
static void test_nested_native_layout(void) {
        void *ctx = talloc_new(NULL);
        struct test_elem elems[2];
        struct test_outer in, out;
        uint32_t count = 2;
        size_t n;
        uint8_t *buf;

        fill_outer(&in, elems);
        buf = pack(ctx, &test_outer_native_desc, &in, &n);
        g_assert_cmpuint(n, ==, 40);
        g_assert_cmpmem(buf, 2, &in.id, 2);
        g_assert_cmpmem(buf + 4, 4, &in.inner.value, 4);
        g_assert_cmpmem(buf + 8, 4, &count, 4);
        g_assert_cmpmem(buf + 12, 2, &elems[0].x, 2);
        g_assert_cmpmem(buf + 32, 8, &in.tail, 8);
        g_assert_cmpint(wire_unpack(&test_outer_native_desc, ctx, buf, n, &out), ==, (int) n);
        assert_outer_equal(&in, &out);
        assert_truncations_refused(&test_outer_native_desc, buf, n);
        talloc_free(ctx);
}

/* Padding is skipped on the way in, whatever a sender put there. */
static void test_padding_skipped(void) {
        void *ctx = talloc_new(NULL);
        struct test_elem elems[2];
        struct test_outer in, out;
        size_t n;
        uint8_t *buf;

        fill_outer(&in, elems);
        buf = pack(ctx, &test_outer_desc, &in, &n);
        buf[3] = 0xaa;
        buf[26] = buf[31] = 0xbb;
        g_assert_cmpint(wire_unpack(&test_outer_desc, ctx, buf, n, &out), ==, (int) n);
        assert_outer_equal(&in, &out);
        talloc_free(ctx);
}

struct test_padded {
        uint8_t a;
        uint32_t b;
};

static const struct wire_field test_padded_fields[] = {
        WIRE_U8(struct test_padded, a),
        WIRE_PAD(3),
        WIRE_U32(struct test_padded, b),
        WIRE_PAD(1),
        WIRE_ALIGN(8),
};
static const struct wire_desc test_padded_desc = WIRE_DESC(0x7f06, struct test_padded, test_padded_fields);

/* PAD(n) is n zero bytes; ALIGN(8) after 9 bytes adds 7. */
static void test_pad_bytes(void) {
        static const uint8_t expected[16] = { 0x9a, 0, 0, 0, 0x04, 0x03, 0x02, 0x01 };
        void *ctx = talloc_new(NULL);
        struct test_padded in = { .a = 0x9a, .b = 0x01020304 }, out;
        size_t n;
        uint8_t *buf = pack(ctx, &test_padded_desc, &in, &n);

        g_assert_cmpmem(buf, n, expected, sizeof(expected));
        g_assert_cmpint(wire_unpack(&test_padded_desc, ctx, buf, n, &out), ==, 16);
        g_assert_cmpuint(out.a, ==, 0x9a);
        g_assert_cmpuint(out.b, ==, 0x01020304);
        assert_truncations_refused(&test_padded_desc, buf, n);
        assert_small_buffers_refused(&test_padded_desc, &in);
        talloc_free(ctx);
}

static void test_struct_array_empty(void) {
        void *ctx = talloc_new(NULL);
        struct test_outer in = { .id = 1 }, out;
        size_t n;
        uint8_t *buf = pack(ctx, &test_outer_desc, &in, &n);

        g_assert_cmpuint(n, ==, 2 + 6 + 4 + 4 + 8);
        g_assert_cmpint(wire_unpack(&test_outer_desc, ctx, buf, n, &out), ==, (int) n);
        g_assert_cmpuint(out.n_elems, ==, 0);
        g_assert_null(out.elems);
        talloc_free(ctx);
}

/* A count over the max: E2BIG before anything is allocated, and refused on the way out too. */
static void test_struct_array_over_max(void) {
        struct test_elem elems[TEST_ELEMS_MAX + 1] = {};
        struct test_outer in = { .elems = elems, .n_elems = TEST_ELEMS_MAX + 1 };
        uint8_t buf[256] = {};

        put32(buf + 8, TEST_ELEMS_MAX + 1);
        assert_refused_leaving_nothing(&test_outer_desc, buf, sizeof(buf), -E2BIG);
        put32(buf + 8, UINT32_MAX);
        assert_refused_leaving_nothing(&test_outer_desc, buf, sizeof(buf), -E2BIG);
        g_assert_cmpint(wire_pack(&test_outer_desc, &in, buf, sizeof(buf)), ==, -EINVAL);
}

/*
 * A count the bytes left cannot hold (one element takes at least 6 bytes)
 * allocates nothing, however large the max.
 */
static void test_struct_array_capped_by_bytes_left(void) {
        void *ctx = talloc_new(NULL);
        uint8_t buf[4 + 12] = {};
        struct test_outer out;

        put32(buf, UINT32_MAX);
        assert_refused_leaving_nothing(&test_outer_uncapped_desc, buf, sizeof(buf), -EBADMSG);
        put32(buf, 3); /* 3 elements need 18 bytes, 12 are there */
        assert_refused_leaving_nothing(&test_outer_uncapped_desc, buf, sizeof(buf), -EBADMSG);
        put32(buf, 2);
        g_assert_cmpint(wire_unpack(&test_outer_uncapped_desc, ctx, buf, sizeof(buf), &out), ==, 16);
        g_assert_cmpuint(out.n_elems, ==, 2);
        talloc_free(ctx);
}

/* An element that turns out truncated takes the array and what earlier elements allocated with it. */
static void test_struct_array_truncated_element_frees(void) {
        /* 2 elements: {x, "ab"}, then {x, a name of 8 bytes of which 2 are there} */
        static const uint8_t buf[] = { 2, 0, 0, 0, 1, 0, 2, 0, 0, 0, 'a', 'b', 1, 0, 8, 0, 0, 0, 'c', 'd' };

        assert_refused_leaving_nothing(&test_outer_uncapped_desc, buf, sizeof(buf), -EBADMSG);
}

static void test_struct_size_mismatch(void) {
        void *ctx = talloc_new(NULL);
        struct test_outer m = {};
        uint8_t buf[64] = {};

        g_assert_cmpint(wire_pack(&test_outer_mismatch_desc, &m, buf, sizeof(buf)), ==, -EINVAL);
        g_assert_cmpint(wire_unpack(&test_outer_mismatch_desc, ctx, buf, sizeof(buf), &m), ==, -EINVAL);
        talloc_free(ctx);
}

/* ---- lengths from an earlier field (CTDB's req_call) --------------------------- */

struct test_call {
        uint32_t flags;
        uint32_t keylen;
        uint32_t datalen;
        const uint8_t *key;
        const uint8_t *data;
};

#define TEST_KEY_MAX  8
#define TEST_DATA_MAX 32

static const struct wire_field test_call_fields[] = {
        WIRE_U32(struct test_call, flags),
        WIRE_U32(struct test_call, keylen),
        WIRE_U32(struct test_call, datalen),
        WIRE_BLOB_SIZED(struct test_call, key, keylen, TEST_KEY_MAX),
        WIRE_BLOB_SIZED(struct test_call, data, datalen, TEST_DATA_MAX),
        WIRE_ALIGN(8),
};
static const struct wire_desc test_call_desc = WIRE_DESC_NATIVE(0x7f07, struct test_call, test_call_fields);

static void test_sized_blob_round_trip(void) {
        void *ctx = talloc_new(NULL);
        struct test_call in = {
                .flags = 1, .keylen = 3, .datalen = 2,
                .key = (const uint8_t *) "key", .data = (const uint8_t *) "dd",
        }, out;
        size_t n;
        uint8_t *buf = pack(ctx, &test_call_desc, &in, &n);

        /* keylen and datalen first, then the bytes without a prefix, padded to 8. */
        g_assert_cmpuint(n, ==, 24);
        g_assert_cmpmem(buf + 4, 4, &in.keylen, 4);
        g_assert_cmpmem(buf + 8, 4, &in.datalen, 4);
        g_assert_cmpmem(buf + 12, 5, "keydd", 5);
        g_assert_cmpint(wire_unpack(&test_call_desc, ctx, buf, n, &out), ==, 24);
        g_assert_cmpuint(out.keylen, ==, 3);
        g_assert_cmpuint(out.datalen, ==, 2);
        g_assert_true(out.key == buf + 12);
        g_assert_true(out.data == buf + 15);
        assert_truncations_refused(&test_call_desc, buf, n);
        assert_small_buffers_refused(&test_call_desc, &in);
        talloc_free(ctx);
}

static void test_sized_blob_bounds(void) {
        void *ctx = talloc_new(NULL);
        uint8_t buf[64] = {};
        uint32_t v;
        struct test_call out, in = { .keylen = TEST_KEY_MAX + 1, .key = buf };

        /* A length over the max, with the bytes there. */
        v = TEST_KEY_MAX + 1;
        memcpy(buf + 4, &v, 4);
        g_assert_cmpint(wire_unpack(&test_call_desc, ctx, buf, sizeof(buf), &out), ==, -E2BIG);
        /* Within the max, more than was sent: data of 32 with 64 - 12 - 8 left. */
        v = TEST_KEY_MAX;
        memcpy(buf + 4, &v, 4);
        v = TEST_DATA_MAX;
        memcpy(buf + 8, &v, 4);
        g_assert_cmpint(wire_unpack(&test_call_desc, ctx, buf, 12 + 8 + 31, &out), ==, -EBADMSG);
        g_assert_cmpint(wire_unpack(&test_call_desc, ctx, buf, 12 + 8 + 32 + 4, &out), ==, 56);
        g_assert_cmpint(wire_pack(&test_call_desc, &in, buf, sizeof(buf)), ==, -EINVAL);
        talloc_free(ctx);
}

/* ---- a length that counts itself (CTDB's rec_data) ---------------------------- */

struct test_rec {
        uint32_t total;
        uint32_t reqid;
        uint32_t keylen;
        uint32_t datalen;
        const uint8_t *key;
        const uint8_t *data;
};

struct test_recs {
        uint32_t db_id;
        uint32_t n_recs;
        struct test_rec *recs;
};

static const struct wire_field test_rec_fields[] = {
        WIRE_U32_TOTAL(struct test_rec, total),
        WIRE_U32(struct test_rec, reqid),
        WIRE_U32(struct test_rec, keylen),
        WIRE_U32(struct test_rec, datalen),
        WIRE_BLOB_SIZED(struct test_rec, key, keylen, TEST_KEY_MAX),
        WIRE_BLOB_SIZED(struct test_rec, data, datalen, TEST_DATA_MAX),
};
static const struct wire_desc test_rec_desc = WIRE_DESC(0x7f08, struct test_rec, test_rec_fields);

static const struct wire_field test_recs_fields[] = {
        WIRE_U32(struct test_recs, db_id),
        WIRE_STRUCT_ARRAY(struct test_recs, recs, n_recs, &test_rec_desc, UINT32_MAX),
};
static const struct wire_desc test_recs_desc = WIRE_DESC(0x7f09, struct test_recs, test_recs_fields);

/* A length field before the total: the total counts from its own first byte, not the payload's. */
struct test_late_total {
        uint16_t tag;
        uint32_t total;
        uint32_t n;
        uint32_t *ids;
};

static const struct wire_field test_late_total_fields[] = {
        WIRE_U16(struct test_late_total, tag),
        WIRE_U32_TOTAL(struct test_late_total, total),
        WIRE_U32_ARRAY(struct test_late_total, ids, n, UINT32_MAX),
};
static const struct wire_desc test_late_total_desc =
        WIRE_DESC(0x7f0a, struct test_late_total, test_late_total_fields);

/* Pack computes the total whatever the member says; unpack gives it back. */
static void test_total_layout(void) {
        static const uint8_t expected[] = {
                23, 0, 0, 0,    /* total: 16 + 3 + 4 */
                9, 0, 0, 0,     /* reqid */
                3, 0, 0, 0,     /* keylen */
                4, 0, 0, 0,     /* datalen */
                'k', 'e', 'y', 'd', 'a', 't', 'a',
        };
        void *ctx = talloc_new(NULL);
        struct test_rec in = {
                .total = 0xdeadbeef, .reqid = 9, .keylen = 3, .datalen = 4,
                .key = (const uint8_t *) "key", .data = (const uint8_t *) "data",
        }, out;
        size_t n;
        uint8_t *buf = pack(ctx, &test_rec_desc, &in, &n);

        g_assert_cmpmem(buf, n, expected, sizeof(expected));
        g_assert_cmpint(wire_unpack(&test_rec_desc, ctx, buf, n, &out), ==, (int) n);
        g_assert_cmpuint(out.total, ==, 23);
        g_assert_cmpuint(out.reqid, ==, 9);
        g_assert_cmpmem(out.key, out.keylen, "key", 3);
        g_assert_cmpmem(out.data, out.datalen, "data", 4);
        assert_truncations_refused(&test_rec_desc, buf, n);
        assert_small_buffers_refused(&test_rec_desc, &in);
        talloc_free(ctx);
}

/* A total that is not what the fields after it took is refused, too small, too large or past the end. */
static void test_total_mismatch(void) {
        void *ctx = talloc_new(NULL);
        struct test_rec in = {
                .reqid = 1, .keylen = 3, .datalen = 4,
                .key = (const uint8_t *) "key", .data = (const uint8_t *) "data",
        }, out;
        size_t n;
        uint8_t *buf = pack(ctx, &test_rec_desc, &in, &n);
        uint8_t *longer = talloc_zero_size(ctx, n + 8);
        static const uint32_t bad[] = { 0, 3, 4, 16, 22, 24, 30, UINT32_MAX };

        g_assert_nonnull(longer);
        memcpy(longer, buf, n);
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                put32(longer, bad[i]);
                /* With bytes to spare after the record, so only the total can be wrong. */
                g_assert_cmpint(wire_unpack(&test_rec_desc, ctx, longer, n + 8, &out), ==, -EBADMSG);
        }
        put32(longer, 23);
        g_assert_cmpint(wire_unpack(&test_rec_desc, ctx, longer, n + 8, &out), ==, 23);
        talloc_free(ctx);
}

/* Records of different sizes in an array, each total its own; one wrong total refuses the lot. */
static void test_total_in_array(void) {
        void *ctx = talloc_new(NULL);
        struct test_rec recs[] = {
                { .reqid = 1, .keylen = 1, .datalen = 0, .key = (const uint8_t *) "a" },
                { .reqid = 2, .keylen = 2, .datalen = 5,
                  .key = (const uint8_t *) "bc", .data = (const uint8_t *) "defgh" },
                /* CTDB's end of a traverse: no key, no data, 16 bytes. */
                { .reqid = 3 },
        };
        struct test_recs in = { .db_id = 0x1234, .n_recs = 3, .recs = recs }, out;
        size_t n;
        uint8_t *buf = pack(ctx, &test_recs_desc, &in, &n);

        g_assert_cmpuint(n, ==, 8 + 17 + 23 + 16);
        g_assert_cmpuint(buf[8], ==, 17);
        g_assert_cmpuint(buf[8 + 17], ==, 23);
        g_assert_cmpuint(buf[8 + 17 + 23], ==, 16);
        g_assert_cmpint(wire_unpack(&test_recs_desc, ctx, buf, n, &out), ==, (int) n);
        g_assert_cmpuint(out.n_recs, ==, 3);
        for (uint32_t k = 0; k < 3; k++) {
                g_assert_cmpuint(out.recs[k].reqid, ==, k + 1);
                g_assert_cmpuint(out.recs[k].keylen, ==, recs[k].keylen);
                g_assert_cmpuint(out.recs[k].datalen, ==, recs[k].datalen);
        }
        g_assert_cmpuint(out.recs[2].total, ==, 16);
        assert_truncations_refused(&test_recs_desc, buf, n);

        /* The middle record claims one byte more: refused, and its array freed. */
        buf[8 + 17] = 24;
        assert_refused_leaving_nothing(&test_recs_desc, buf, n, -EBADMSG);
        /* A count of records the bytes cannot hold (16 bytes at least each): nothing allocated. */
        buf[8 + 17] = 23;
        put32(buf + 4, 5);
        assert_refused_leaving_nothing(&test_recs_desc, buf, n, -EBADMSG);
        talloc_free(ctx);
}

/* Counted from the total's own first byte; a total past the bytes left, or short of them, allocates nothing. */
static void test_total_after_fields(void) {
        void *ctx = talloc_new(NULL);
        uint32_t ids[] = { 7, 8 };
        struct test_late_total in = { .tag = 0x0102, .n = 2, .ids = ids }, out;
        size_t n;
        uint8_t *buf = pack(ctx, &test_late_total_desc, &in, &n);

        g_assert_cmpuint(n, ==, 2 + 4 + 4 + 8);
        g_assert_cmpuint(buf[2], ==, 16);
        g_assert_cmpint(wire_unpack(&test_late_total_desc, ctx, buf, n, &out), ==, (int) n);
        g_assert_cmpuint(out.total, ==, 16);
        g_assert_cmpuint(out.n, ==, 2);
        g_assert_cmpuint(out.ids[1], ==, 8);
        buf[2] = 17;
        assert_refused_leaving_nothing(&test_late_total_desc, buf, n, -EBADMSG);
        /*
         * A total short of the array after it: the array sees only the bytes
         * the total counts, so its count is refused before it is allocated.
         */
        buf[2] = 8;
        assert_refused_leaving_nothing(&test_late_total_desc, buf, n, -EBADMSG);
        talloc_free(ctx);
}

/* ---- frames into the caller's buffer ------------------------------------------ */

static void test_frame_pack(void) {
        struct wire_heartbeat hb = { .seq = 77 };
        struct wire_header h = { .kind = 0, .src = 3, .dst = 4, .srvid = 5 }, back;
        uint8_t buf[WIRE_HEADER_SIZE + 8];
        struct wire_heartbeat out;

        g_assert_cmpint(wire_frame_pack(&h, &wire_heartbeat_desc, &hb, buf, sizeof(buf)), ==, 40);
        g_assert_cmpuint(h.kind, ==, WIRE_KIND_HEARTBEAT);
        g_assert_cmpuint(h.length, ==, 40);
        g_assert_cmpint(wire_header_unpack(buf, WIRE_FRAME_MAX, &back), ==, 0);
        g_assert_cmpuint(back.length, ==, 40);
        g_assert_cmpuint(back.kind, ==, WIRE_KIND_HEARTBEAT);
        g_assert_cmpuint(back.src, ==, 3);
        g_assert_cmpuint(back.srvid, ==, 5);
        g_assert_cmpint(wire_unpack(&wire_heartbeat_desc, NULL, buf + WIRE_HEADER_SIZE, 8, &out), ==, 8);
        g_assert_cmpuint(out.seq, ==, 77);
}

/* Every buffer too small is refused, nothing written past it, the header left alone. */
static void test_frame_pack_small_buffer(void) {
        struct wire_message m = { .data = (const uint8_t *) "0123456789", .data_len = 10 };

        for (size_t len = 0; len < WIRE_HEADER_SIZE + 14; len++) {
                struct wire_header h = { .kind = 0, .length = 1 };
                uint8_t *buf = g_malloc(len > 0 ? len : 1);

                g_assert_cmpint(wire_frame_pack(&h, &wire_message_desc, &m, buf, len), ==, -EMSGSIZE);
                g_assert_cmpuint(h.kind, ==, 0);
                g_assert_cmpuint(h.length, ==, 1);
                g_free(buf);
        }
}

/* A kind-0 description keeps the caller's kind; a payload over the frame max or a field's max is refused. */
static void test_frame_pack_kind_and_limits(void) {
        struct wire_header h = { .kind = WIRE_KIND_TUNNEL_REGISTER, .srvid = 9 };
        uint8_t buf[WIRE_HEADER_SIZE], *big;
        struct wire_message m;
        char name[] = "123456789";
        struct test_msg t = { .name = name, .name_len = TEST_NAME_MAX + 1 };

        g_assert_cmpint(wire_frame_pack(&h, &wire_empty_desc, NULL, buf, sizeof(buf)), ==, WIRE_HEADER_SIZE);
        g_assert_cmpuint(h.kind, ==, WIRE_KIND_TUNNEL_REGISTER);
        g_assert_cmpuint(buf[4], ==, WIRE_KIND_TUNNEL_REGISTER);

        big = g_malloc0(WIRE_FRAME_MAX + 64);
        m = (struct wire_message) { .data = big, .data_len = WIRE_FRAME_MAX - WIRE_HEADER_SIZE - 3 };
        g_assert_cmpint(wire_frame_pack(&h, &wire_message_desc, &m, big, WIRE_FRAME_MAX + 64), ==,
                        -EMSGSIZE);
        g_assert_cmpint(wire_frame_pack(&h, &test_desc, &t, big, 256), ==, -EINVAL);
        g_assert_cmpuint(h.kind, ==, WIRE_KIND_TUNNEL_REGISTER);
        g_free(big);
}

/* Forwarding a payload packed already: the header gets the length of header + payload. */
static void test_header_finish(void) {
        struct wire_header h = { .kind = WIRE_KIND_MESSAGE, .length = 0, .dst = 8 }, back;
        uint8_t out[WIRE_HEADER_SIZE];

        wire_header_finish(&h, 100, out);
        g_assert_cmpuint(h.length, ==, WIRE_HEADER_SIZE + 100);
        g_assert_cmpint(wire_header_unpack(out, WIRE_FRAME_MAX, &back), ==, 0);
        g_assert_cmpuint(back.length, ==, WIRE_HEADER_SIZE + 100);
        g_assert_cmpuint(back.kind, ==, WIRE_KIND_MESSAGE);
        g_assert_cmpuint(back.dst, ==, 8);
}

/* ---- dispatch ----------------------------------------------------------------- */

struct test_calls {
        unsigned n;
        uint16_t kind;
        bool msg_null;
        uint64_t seq;
        size_t payload_len;
};

static int on_heartbeat(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                        size_t payload_len) {
        struct test_calls *c = userdata;
        const struct wire_heartbeat *hb = msg;

        c->n++;
        c->kind = h->kind;
        c->msg_null = !msg;
        c->seq = hb ? hb->seq : 0;
        c->payload_len = payload_len;
        return 42;
}

static const struct wire_handler test_table[] = {
        { WIRE_KIND_HEARTBEAT, &wire_heartbeat_desc, on_heartbeat },
        { WIRE_KIND_REGISTER, NULL, on_heartbeat },
        { WIRE_KIND_LINK, &wire_link_desc, NULL },
};

static int dispatch(const struct wire_header *h, const uint8_t *payload, size_t len, struct test_calls *c) {
        return wire_dispatch(test_table, G_N_ELEMENTS(test_table), NULL, h, payload, len, c);
}

static void test_dispatch_unpacks(void) {
        struct wire_header h = { .kind = WIRE_KIND_HEARTBEAT };
        struct test_calls c = {};
        static const uint8_t payload[] = { 1, 2, 0, 0, 0, 0, 0, 0, 0xee };

        g_assert_cmpint(dispatch(&h, payload, sizeof(payload), &c), ==, 42);
        g_assert_cmpuint(c.n, ==, 1);
        g_assert_cmpuint(c.kind, ==, WIRE_KIND_HEARTBEAT);
        g_assert_false(c.msg_null);
        g_assert_cmpuint(c.seq, ==, 0x0201);
        g_assert_cmpuint(c.payload_len, ==, sizeof(payload));
}

static void test_dispatch_no_desc(void) {
        struct wire_header h = { .kind = WIRE_KIND_REGISTER };
        struct test_calls c = {};

        g_assert_cmpint(dispatch(&h, (const uint8_t *) "x", 1, &c), ==, 42);
        g_assert_cmpuint(c.n, ==, 1);
        g_assert_true(c.msg_null);
        g_assert_cmpuint(c.payload_len, ==, 1);
}

/* A row without a handler ignores its kind, but what it gets must still unpack. */
static void test_dispatch_ignored(void) {
        struct wire_header h = { .kind = WIRE_KIND_LINK };
        static const uint8_t payload[5] = { 1 };

        g_assert_cmpint(dispatch(&h, payload, 5, NULL), ==, 0);
}

static void test_dispatch_bad_payload(void) {
        struct wire_header h = { .kind = WIRE_KIND_HEARTBEAT };
        struct test_calls c = {};
        static const uint8_t payload[8] = {};

        for (size_t len = 0; len < sizeof(payload); len++)
                g_assert_cmpint(dispatch(&h, payload, len, &c), ==, -EBADMSG);
        g_assert_cmpuint(c.n, ==, 0);
}

/* A count over its max is a bad payload to the caller, as a truncated one is. */
static void test_dispatch_over_max(void) {
        const struct wire_handler table[] = { { 0x7f00, &test_desc, on_heartbeat } };
        struct wire_header h = { .kind = 0x7f00 };
        struct test_calls c = {};
        uint8_t payload[64] = {};

        put32(payload + 2, TEST_NAME_MAX + 1);
        g_assert_cmpint(wire_dispatch(table, 1, NULL, &h, payload, sizeof(payload), &c), ==, -EBADMSG);
        g_assert_cmpuint(c.n, ==, 0);
}

static void test_dispatch_unknown_kind(void) {
        static const uint16_t kinds[] = { 0, WIRE_KIND_HELLO, WIRE_KIND_MESSAGE, 0xffff };
        struct test_calls c = {};

        for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
                struct wire_header h = { .kind = kinds[i] };
                g_assert_cmpint(dispatch(&h, NULL, 0, &c), ==, -ENOMSG);
        }
        g_assert_cmpint(wire_dispatch(NULL, 0, NULL, &(struct wire_header) { .kind = 3 }, NULL, 0, &c), ==,
                        -ENOMSG);
        g_assert_cmpuint(c.n, ==, 0);
}

/* A description too large for the stack buffer is the table's bug, refused before anything is written. */
static void test_dispatch_desc_too_large(void) {
        const struct wire_desc huge = { 0x7f10, "huge", WIRE_DISPATCH_MSG_MAX + 1, NULL, 0, WIRE_ORDER_LE };
        const struct wire_handler table[] = { { 0x7f10, &huge, on_heartbeat } };
        struct wire_header h = { .kind = 0x7f10 };
        struct test_calls c = {};

        g_assert_cmpint(wire_dispatch(table, 1, NULL, &h, NULL, 0, &c), ==, -EINVAL);
        g_assert_cmpuint(c.n, ==, 0);
}

/* ---- HELLO version check ---------------------------------------------------- */

static void test_hello_check(void) {
        struct wire_hello h = {
                .magic = WIRE_MAGIC, .major = WIRE_VERSION_MAJOR, .minor = WIRE_VERSION_MINOR
        };

        g_assert_cmpint(wire_hello_check(&h), ==, 0);

        /* Another minor interoperates, newer or older. */
        h.minor = WIRE_VERSION_MINOR + 1;
        g_assert_cmpint(wire_hello_check(&h), ==, 0);
        h.minor = 0xffff;
        g_assert_cmpint(wire_hello_check(&h), ==, 0);
        h.minor = WIRE_VERSION_MINOR;

        /* Another major is refused. */
        h.major = WIRE_VERSION_MAJOR + 1;
        g_assert_cmpint(wire_hello_check(&h), ==, -EPROTONOSUPPORT);
        h.major = WIRE_VERSION_MAJOR - 1;
        g_assert_cmpint(wire_hello_check(&h), ==, -EPROTONOSUPPORT);
        h.major = 0xffff;
        g_assert_cmpint(wire_hello_check(&h), ==, -EPROTONOSUPPORT);
        h.major = WIRE_VERSION_MAJOR;

        /* Bad magic, including the right magic in the wrong byte order. */
        h.magic = 0;
        g_assert_cmpint(wire_hello_check(&h), ==, -EPROTO);
        h.magic = __builtin_bswap32(WIRE_MAGIC);
        g_assert_cmpint(wire_hello_check(&h), ==, -EPROTO);
        /* Bad magic wins over a bad major: it is not our protocol at all. */
        h.major = WIRE_VERSION_MAJOR + 1;
        g_assert_cmpint(wire_hello_check(&h), ==, -EPROTO);
}

/* The check on bytes as they arrive: "CTDB" first. */
static void test_hello_check_from_wire(void) {
        void *ctx = talloc_new(NULL);
        uint8_t buf[48] = { 'C', 'T', 'D', 'B', WIRE_VERSION_MAJOR, 0, 9, 0 };
        struct wire_hello h;

        g_assert_cmpint(wire_unpack(&wire_hello_desc, ctx, buf, sizeof(buf), &h), ==, 48);
        g_assert_cmpint(wire_hello_check(&h), ==, 0);
        g_assert_cmpuint(h.minor, ==, 9);
        buf[4] = WIRE_VERSION_MAJOR + 1;
        g_assert_cmpint(wire_unpack(&wire_hello_desc, ctx, buf, sizeof(buf), &h), ==, 48);
        g_assert_cmpint(wire_hello_check(&h), ==, -EPROTONOSUPPORT);
        memcpy(buf, "BDTC", 4);
        g_assert_cmpint(wire_unpack(&wire_hello_desc, ctx, buf, sizeof(buf), &h), ==, 48);
        g_assert_cmpint(wire_hello_check(&h), ==, -EPROTO);
        talloc_free(ctx);
}

/* ---- optional trailing fields -------------------------------------------- */

struct opt_msg {
        uint32_t a;
        uint32_t b;
        uint64_t c;
};

static const struct wire_field opt_fields[] = {
        WIRE_U32(struct opt_msg, a),
        WIRE_U32_OPTIONAL(struct opt_msg, b),
        WIRE_U64_OPTIONAL(struct opt_msg, c),
};
static const struct wire_desc opt_desc = WIRE_DESC(0x7f10, struct opt_msg, opt_fields);

/* An older peer's message without the optional fields unpacks, and they read as zero. */
static void test_optional_absent(void) {
        const uint8_t old[4] = { 7, 0, 0, 0 };
        const uint8_t one[8] = { 7, 0, 0, 0, 9, 0, 0, 0 };
        struct opt_msg m = { .b = 55, .c = 66 };

        g_assert_cmpint(wire_unpack(&opt_desc, NULL, old, sizeof(old), &m), ==, 4);
        g_assert_cmpuint(m.a, ==, 7);
        g_assert_cmpuint(m.b, ==, 0);
        g_assert_cmpuint(m.c, ==, 0);
        g_assert_cmpint(wire_unpack(&opt_desc, NULL, one, sizeof(one), &m), ==, 8);
        g_assert_cmpuint(m.b, ==, 9);
        g_assert_cmpuint(m.c, ==, 0);
        /* The required field is still required. */
        g_assert_cmpint(wire_unpack(&opt_desc, NULL, old, 3, &m), ==, -EBADMSG);
}

/* Part of an optional field is a truncated message, not an absent field. */
static void test_optional_partial_refused(void) {
        const uint8_t buf[16] = { 7, 0, 0, 0, 9, 0, 0, 0, 1 };
        struct opt_msg m;

        for (size_t len = 5; len < 8; len++)
                g_assert_cmpint(wire_unpack(&opt_desc, NULL, buf, len, &m), ==, -EBADMSG);
        for (size_t len = 9; len < 16; len++)
                g_assert_cmpint(wire_unpack(&opt_desc, NULL, buf, len, &m), ==, -EBADMSG);
        g_assert_cmpint(wire_unpack(&opt_desc, NULL, buf, 16, &m), ==, 16);
        g_assert_cmpuint(m.c, ==, 1);
}

/* Zero optional fields at the end are not sent; one in use sends those before it too. */
static void test_optional_pack(void) {
        void *ctx = talloc_new(NULL);
        struct opt_msg none = { .a = 1 }, last = { .a = 1, .c = 0x1122334455667788 }, out;
        uint8_t *buf;
        size_t n;

        buf = pack(ctx, &opt_desc, &none, &n);
        g_assert_cmpuint(n, ==, 4);
        buf = pack(ctx, &opt_desc, &last, &n);
        g_assert_cmpuint(n, ==, 16);
        g_assert_cmpint(wire_unpack(&opt_desc, ctx, buf, n, &out), ==, 16);
        g_assert_cmpuint(out.b, ==, 0);
        g_assert_cmpuint(out.c, ==, last.c);
        assert_small_buffers_refused(&opt_desc, &last);
        talloc_free(ctx);
}

struct opt_str_msg {
        uint32_t a;
        uint32_t s_len;
        char *s;
};

static const struct wire_field opt_str_fields[] = {
        WIRE_U32(struct opt_str_msg, a),
        WIRE_STRING_OPTIONAL(struct opt_str_msg, s, s_len, 16),
};
static const struct wire_desc opt_str_desc = WIRE_DESC(0x7f11, struct opt_str_msg, opt_str_fields);

/* An empty optional string is not sent (and reads back empty); one in use is, with its length. */
static void test_optional_string(void) {
        void *ctx = talloc_new(NULL);
        struct opt_str_msg none = { .a = 3, .s = (char *) "" }, used = { .a = 3, .s_len = 4, .s = (char *) "unit" };
        struct opt_str_msg out = { .s_len = 9 };
        uint8_t *buf;
        size_t n;

        buf = pack(ctx, &opt_str_desc, &none, &n);
        g_assert_cmpuint(n, ==, 4);
        g_assert_cmpint(wire_unpack(&opt_str_desc, ctx, buf, n, &out), ==, 4);
        g_assert_cmpuint(out.s_len, ==, 0);
        g_assert_null(out.s);
        buf = pack(ctx, &opt_str_desc, &used, &n);
        g_assert_cmpuint(n, ==, 12);
        g_assert_cmpint(wire_unpack(&opt_str_desc, ctx, buf, n, &out), ==, 12);
        g_assert_cmpstr(out.s, ==, "unit");
        /* A length without its bytes is a truncated message. */
        g_assert_cmpint(wire_unpack(&opt_str_desc, ctx, buf, 10, &out), ==, -EBADMSG);
        talloc_free(ctx);
}

/* HELLO's channel (minor 1): an ordinary HELLO is what minor 0 sent, a channel's is 8 bytes longer. */
static void test_hello_channel(void) {
        void *ctx = talloc_new(NULL);
        struct wire_hello link = { .magic = WIRE_MAGIC, .major = WIRE_VERSION_MAJOR, .pnn = 2 }, out;
        struct wire_hello chan = link;
        uint8_t *buf;
        size_t n;

        buf = pack(ctx, &wire_hello_desc, &link, &n);
        g_assert_cmpuint(n, ==, 48);
        g_assert_cmpint(wire_unpack(&wire_hello_desc, ctx, buf, n, &out), ==, 48);
        g_assert_cmpuint(out.channel, ==, 0);
        chan.channel = UINT64_C(0xdb00000000000001);
        buf = pack(ctx, &wire_hello_desc, &chan, &n);
        g_assert_cmpuint(n, ==, 56);
        g_assert_cmpuint(buf[48], ==, 0x01);
        g_assert_cmpuint(buf[55], ==, 0xdb);
        g_assert_cmpint(wire_unpack(&wire_hello_desc, ctx, buf, n, &out), ==, 56);
        g_assert_cmpuint(out.channel, ==, chan.channel);
        g_assert_cmpuint(out.pnn, ==, 2);
        talloc_free(ctx);
}

static void test_channel_fd_round_trip(void) {
        void *ctx = talloc_new(NULL);
        struct wire_channel_fd in = { .pnn = 1, .error = 0, .pending = (const uint8_t *) "xyz",
                                      .pending_len = 3 }, out;
        uint8_t *buf;
        size_t n;

        g_assert_cmpuint(WIRE_KIND_CHANNEL, ==, 22);
        g_assert_cmpuint(WIRE_KIND_CHANNEL_FD, ==, 23);
        g_assert_true(wire_desc_by_kind(WIRE_KIND_CHANNEL) == &wire_empty_desc);
        g_assert_true(wire_desc_by_kind(WIRE_KIND_CHANNEL_FD) == &wire_channel_fd_desc);
        buf = pack(ctx, &wire_channel_fd_desc, &in, &n);
        g_assert_cmpuint(n, ==, 4 + 4 + 4 + 3);
        g_assert_cmpint(wire_unpack(&wire_channel_fd_desc, ctx, buf, n, &out), ==, (int) n);
        g_assert_cmpuint(out.pnn, ==, 1);
        g_assert_cmpint(out.error, ==, 0);
        g_assert_cmpmem(out.pending, out.pending_len, "xyz", 3);
        assert_truncations_refused(&wire_channel_fd_desc, buf, n);
        /* More pending bytes than a link's read buffer holds: refused. */
        put32(buf + 8, WIRE_CHANNEL_PENDING_MAX + 1);
        g_assert_cmpint(wire_unpack(&wire_channel_fd_desc, ctx, buf, n, &out), ==, -E2BIG);
        talloc_free(ctx);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/wire/header/layout", test_header_layout);
        g_test_add_func("/wire/header/round-trip", test_header_round_trip);
        g_test_add_func("/wire/header/length-below-header", test_header_length_below_header);
        g_test_add_func("/wire/header/length-above-max", test_header_length_above_max);

        g_test_add_func("/wire/kind/desc-by-kind", test_desc_by_kind);
        g_test_add_func("/wire/unpack/null-message", test_unpack_null_message);
        g_test_add_func("/wire/kind/payload-sizes", test_payload_sizes);
        g_test_add_func("/wire/kind/hello", test_hello_round_trip);
        g_test_add_func("/wire/kind/auth", test_auth_round_trip);
        g_test_add_func("/wire/kind/heartbeat", test_heartbeat_round_trip);
        g_test_add_func("/wire/kind/message", test_message_round_trip);
        g_test_add_func("/wire/kind/message-empty", test_message_empty);
        g_test_add_func("/wire/kind/link", test_link_round_trip);
        g_test_add_func("/wire/kind/error", test_error_round_trip);
        g_test_add_func("/wire/kind/register", test_register_frames);
        g_test_add_func("/wire/kind/frames", test_frames_every_kind);
        g_test_add_func("/wire/kind/trailing-bytes", test_trailing_bytes_accepted);

        g_test_add_func("/wire/bounds/message-largest", test_message_largest);
        g_test_add_func("/wire/bounds/message-length-too-big", test_message_length_too_big);
        g_test_add_func("/wire/bounds/pack-length-over-max", test_pack_length_over_max);
        g_test_add_func("/wire/bounds/string-array-round-trip", test_string_array_round_trip);
        g_test_add_func("/wire/bounds/string-array-empty", test_string_array_empty);
        g_test_add_func("/wire/bounds/string-with-nul", test_string_with_nul_refused);
        g_test_add_func("/wire/bounds/string-array-too-big", test_string_array_too_big);
        g_test_add_func("/wire/bounds/count-capped-by-bytes-left", test_count_capped_by_bytes_left);
        g_test_add_func("/wire/bounds/garbage", test_garbage);

        g_test_add_func("/wire/kind/names", test_kind_names);
        g_test_add_func("/wire/kind/tunnel", test_tunnel_kinds);

        g_test_add_func("/wire/nested/le-layout", test_nested_le_layout);
        g_test_add_func("/wire/nested/native-layout", test_nested_native_layout);
        g_test_add_func("/wire/nested/padding-skipped", test_padding_skipped);
        g_test_add_func("/wire/nested/pad-bytes", test_pad_bytes);
        g_test_add_func("/wire/nested/array-empty", test_struct_array_empty);
        g_test_add_func("/wire/nested/array-over-max", test_struct_array_over_max);
        g_test_add_func("/wire/nested/array-capped-by-bytes-left", test_struct_array_capped_by_bytes_left);
        g_test_add_func("/wire/nested/array-truncated-element-frees",
                        test_struct_array_truncated_element_frees);
        g_test_add_func("/wire/nested/struct-size-mismatch", test_struct_size_mismatch);
        g_test_add_func("/wire/sized/round-trip", test_sized_blob_round_trip);
        g_test_add_func("/wire/sized/bounds", test_sized_blob_bounds);
        g_test_add_func("/wire/total/layout", test_total_layout);
        g_test_add_func("/wire/total/mismatch", test_total_mismatch);
        g_test_add_func("/wire/total/in-array", test_total_in_array);
        g_test_add_func("/wire/total/after-fields", test_total_after_fields);

        g_test_add_func("/wire/frame/pack", test_frame_pack);
        g_test_add_func("/wire/frame/pack-small-buffer", test_frame_pack_small_buffer);
        g_test_add_func("/wire/frame/pack-kind-and-limits", test_frame_pack_kind_and_limits);
        g_test_add_func("/wire/frame/header-finish", test_header_finish);

        g_test_add_func("/wire/dispatch/unpacks", test_dispatch_unpacks);
        g_test_add_func("/wire/dispatch/no-desc", test_dispatch_no_desc);
        g_test_add_func("/wire/dispatch/ignored", test_dispatch_ignored);
        g_test_add_func("/wire/dispatch/bad-payload", test_dispatch_bad_payload);
        g_test_add_func("/wire/dispatch/over-max", test_dispatch_over_max);
        g_test_add_func("/wire/dispatch/unknown-kind", test_dispatch_unknown_kind);
        g_test_add_func("/wire/dispatch/desc-too-large", test_dispatch_desc_too_large);

        g_test_add_func("/wire/hello/check", test_hello_check);
        g_test_add_func("/wire/hello/check-from-wire", test_hello_check_from_wire);

        g_test_add_func("/wire/optional/absent", test_optional_absent);
        g_test_add_func("/wire/optional/partial-refused", test_optional_partial_refused);
        g_test_add_func("/wire/optional/pack", test_optional_pack);
        g_test_add_func("/wire/optional/string", test_optional_string);
        g_test_add_func("/wire/hello/channel", test_hello_channel);
        g_test_add_func("/wire/kind/channel-fd", test_channel_fd_round_trip);

        return g_test_run();
}
