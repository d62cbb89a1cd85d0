/*
 * Bytes as a peer would send them: a frame header, then the payload of the
 * kind it names, unpacked directly and through wire_dispatch(). Also every
 * description is tried on the bytes after the header, so that each unpack path
 * sees every input; among them test descriptions of record batches (nested
 * arrays of structs, lengths from earlier fields, padding, both byte orders)
 * that drive the field kinds no link kind uses yet. Whatever unpacks must pack
 * back to the same bytes (padding, skipped on the way in, packs back as zeros:
 * there the second packing must equal the first).
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>

#include "wire.h"
#include "fuzz.h"

#define ELEMENTS(x) (sizeof(x) / sizeof((x)[0]))

/* A record as CTDB batches them: lengths first, then the bytes, padded to 8. */
struct fz_rec {
        uint32_t keylen;
        uint32_t datalen;
        uint8_t flags;
        const uint8_t *key;
        const uint8_t *data;
};

struct fz_group {
        uint16_t id;
        uint32_t n_recs;
        struct fz_rec *recs;
};

struct fz_batch {
        uint32_t db_id;
        struct wire_heartbeat seq;
        uint32_t n_groups;
        struct fz_group *groups;
        uint32_t n_ids;
        uint32_t *ids;
        uint32_t name_len;
        char *name;
};

static const struct wire_field rec_fields[] = {
        WIRE_U32(struct fz_rec, keylen),
        WIRE_U32(struct fz_rec, datalen),
        WIRE_U8(struct fz_rec, flags),
        WIRE_PAD(3),
        WIRE_BLOB_SIZED(struct fz_rec, key, keylen, 64),
        WIRE_BLOB_SIZED(struct fz_rec, data, datalen, 256),
        WIRE_ALIGN(8),
};
static const struct wire_desc rec_desc = WIRE_DESC(0, struct fz_rec, rec_fields);

static const struct wire_field group_fields[] = {
        WIRE_U16(struct fz_group, id),
        WIRE_STRUCT_ARRAY(struct fz_group, recs, n_recs, &rec_desc, 32),
};
static const struct wire_desc group_desc = WIRE_DESC(0, struct fz_group, group_fields);

static const struct wire_field batch_fields[] = {
        WIRE_U32(struct fz_batch, db_id),
        WIRE_PAD(4),
        WIRE_STRUCT(struct fz_batch, seq, &wire_heartbeat_desc),
        WIRE_STRUCT_ARRAY(struct fz_batch, groups, n_groups, &group_desc, 8),
        WIRE_U32_ARRAY(struct fz_batch, ids, n_ids, 16),
        WIRE_STRING(struct fz_batch, name, name_len, 32),
};
static const struct wire_desc batch_le_desc = WIRE_DESC(0x7f00, struct fz_batch, batch_fields);
static const struct wire_desc batch_native_desc = WIRE_DESC_NATIVE(0x7f01, struct fz_batch, batch_fields);

static void unpack_one(const struct wire_desc *desc, bool padded, const uint8_t *buf, size_t size) {
        void *ctx = talloc_new(NULL);
        /* Room for any message struct; unpack writes desc->size bytes. */
        uint64_t msg[32], msg2[32];
        uint8_t *again, *third;
        int r;

        CHECK(ctx && desc->size <= sizeof(msg));
        r = wire_unpack(desc, ctx, buf, size, msg);
        CHECK(r == -EBADMSG || r == -E2BIG || (r >= 0 && (size_t) r <= size));
        if (r >= 0) {
                /* Optional fields sent as zero are left out when packed again: only then shorter. */
                size_t n = wire_payload_size(desc, msg);

                CHECK(n <= (size_t) r);
                for (size_t i = n; i < (size_t) r; i++)
                        CHECK(buf[i] == 0);
                r = (int) n;
                again = talloc_size(ctx, (size_t) r + 1);
                CHECK(again);
                CHECK(wire_pack(desc, msg, again, (size_t) r) == r);
                if (!padded) {
                        CHECK(memcmp(again, buf, (size_t) r) == 0);
                } else {
                        third = talloc_size(ctx, (size_t) r + 1);
                        CHECK(third);
                        CHECK(wire_unpack(desc, ctx, again, (size_t) r, msg2) == r);
                        CHECK(wire_pack(desc, msg2, third, (size_t) r) == r);
                        CHECK(memcmp(again, third, (size_t) r) == 0);
                }
                if (desc == &wire_hello_desc)
                        (void) wire_hello_check((const struct wire_hello *) msg);
        }
        talloc_free(ctx);
}

static int on_frame(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                    size_t payload_len) {
        CHECK(msg || h->kind == WIRE_KIND_REGISTER);
        return 1;
}

/* As a receiver dispatches: every kind but REGISTER unpacked, REGISTER passed raw. */
static void dispatch_one(const struct wire_header *h, const uint8_t *payload, size_t payload_len) {
        static const struct wire_handler table[] = {
                { WIRE_KIND_HELLO, &wire_hello_desc, on_frame },
                { WIRE_KIND_HEARTBEAT, &wire_heartbeat_desc, on_frame },
                { WIRE_KIND_MESSAGE, &wire_message_desc, on_frame },
                { WIRE_KIND_TUNNEL, &wire_tunnel_desc, on_frame },
                { WIRE_KIND_TUNNEL_ERROR, &wire_tunnel_error_desc, on_frame },
                { WIRE_KIND_REGISTER, NULL, on_frame },
                { WIRE_KIND_LINK, &wire_link_desc, NULL },
                { WIRE_KIND_CHANNEL_FD, &wire_channel_fd_desc, on_frame },
                { 0x7f00, &batch_le_desc, on_frame },
        };
        void *ctx = talloc_new(NULL);
        int r;

        CHECK(ctx);
        r = wire_dispatch(table, ELEMENTS(table), ctx, h, payload, payload_len, NULL);
        CHECK(r == 1 || r == 0 || r == -EBADMSG || r == -ENOMSG);
        talloc_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const struct {
                const struct wire_desc *desc;
                bool padded;
        } descs[] = {
                { &wire_hello_desc, false },     { &wire_auth_desc, false },
                { &wire_heartbeat_desc, false }, { &wire_message_desc, false },
                { &wire_tunnel_desc, false },    { &wire_tunnel_error_desc, false },
                { &wire_empty_desc, false },     { &wire_link_desc, false },
                { &wire_error_desc, false },     { &wire_channel_fd_desc, false },
                { &batch_le_desc, true },        { &batch_native_desc, true },
        };
        const struct wire_desc *desc;
        struct wire_header h;
        uint8_t copy[WIRE_HEADER_SIZE];
        size_t payload;

        if (size < WIRE_HEADER_SIZE) {
                for (size_t i = 0; i < ELEMENTS(descs); i++)
                        unpack_one(descs[i].desc, descs[i].padded, data, size);
                return 0;
        }

        if (wire_header_unpack(data, WIRE_FRAME_MAX, &h) == 0) {
                CHECK(h.length >= WIRE_HEADER_SIZE && h.length <= WIRE_FRAME_MAX);
                wire_header_pack(&h, copy);
                CHECK(memcmp(copy, data, WIRE_HEADER_SIZE) == 0);

                /* As a link reads: the header's length bounds the payload. */
                payload = size - WIRE_HEADER_SIZE;
                if (payload > h.length - WIRE_HEADER_SIZE)
                        payload = h.length - WIRE_HEADER_SIZE;
                desc = wire_desc_by_kind(h.kind);
                if (desc)
                        unpack_one(desc, false, data + WIRE_HEADER_SIZE, payload);
                CHECK(wire_kind_to_string(h.kind) != NULL);
                dispatch_one(&h, data + WIRE_HEADER_SIZE, payload);
        }

        for (size_t i = 0; i < ELEMENTS(descs); i++)
                unpack_one(descs[i].desc, descs[i].padded, data + WIRE_HEADER_SIZE, size - WIRE_HEADER_SIZE);
        return 0;
}
