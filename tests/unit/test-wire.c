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
                        g_error("%s: unpack of %zu of %zu bytes returned %d, expected -EBADMSG", desc->name, len,
                                n, r);
                g_free(copy);
                g_free(msg);
                talloc_free(ctx);
        }
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
        static const uint16_t unknown[] = { 0, 7, 15, 22, 0x100, 0x7fff, 0xffff };

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

        g_assert_cmpuint(wire_payload_size(&wire_hello_desc, &hello), ==, 4 + 2 + 2 + 4 + 4 + WIRE_NONCE_SIZE);
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
                g_assert_cmpint(wire_unpack(&wire_empty_desc, ctx, frame + WIRE_HEADER_SIZE, 0, scratch), ==, 0);
                /* Trailing bytes from a newer minor version are ignored. */
                g_assert_cmpint(wire_unpack(&wire_empty_desc, ctx, (const uint8_t *) "xyz", 3, scratch), ==, 0);
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
                g_assert_cmpint(wire_unpack(d, ctx, frame + WIRE_HEADER_SIZE, back.length - WIRE_HEADER_SIZE, out),
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
                .a = 0xbeef, .name = name, .name_len = 6, .ids = ids, .n_ids = 4, .blob = blob, .blob_len = 3,
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

/* ---- HELLO version check ---------------------------------------------------- */

static void test_hello_check(void) {
        struct wire_hello h = { .magic = WIRE_MAGIC, .major = WIRE_VERSION_MAJOR, .minor = WIRE_VERSION_MINOR };

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

        g_test_add_func("/wire/hello/check", test_hello_check);
        g_test_add_func("/wire/hello/check-from-wire", test_hello_check_from_wire);

        return g_test_run();
}
