/*
 * Bytes as a peer would send them: a frame header, then the payload of the
 * kind it names. Also every description is tried on the bytes after the
 * header, so that each unpack path sees every input. Whatever unpacks must
 * pack back to the same bytes.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                        \
        do {                                                                                            \
                if (!(x))                                                                               \
                        abort();                                                                        \
        } while (0)

static void unpack_one(const struct wire_desc *desc, const uint8_t *buf, size_t size) {
        void *ctx = talloc_new(NULL);
        /* Room for any message struct; unpack writes desc->size bytes. */
        uint64_t msg[32];
        uint8_t *again;
        int r;

        CHECK(ctx && desc->size <= sizeof(msg));
        r = wire_unpack(desc, ctx, buf, size, msg);
        CHECK(r == -EBADMSG || r == -E2BIG || (r >= 0 && (size_t) r <= size));
        if (r >= 0) {
                CHECK(wire_payload_size(desc, msg) == (size_t) r);
                again = talloc_size(ctx, (size_t) r + 1);
                CHECK(again);
                CHECK(wire_pack(desc, msg, again, (size_t) r) == r);
                CHECK(memcmp(again, buf, (size_t) r) == 0);
                if (desc == &wire_hello_desc)
                        (void) wire_hello_check((const struct wire_hello *) msg);
        }
        talloc_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint16_t kinds[] = {
                WIRE_KIND_HELLO, WIRE_KIND_AUTH,       WIRE_KIND_HEARTBEAT, WIRE_KIND_MESSAGE,
                WIRE_KIND_REGISTER, WIRE_KIND_DEREGISTER, WIRE_KIND_LINK,  WIRE_KIND_ERROR,
        };
        const struct wire_desc *desc;
        struct wire_header h;
        uint8_t copy[WIRE_HEADER_SIZE];
        size_t payload;

        if (size < WIRE_HEADER_SIZE) {
                for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
                        unpack_one(wire_desc_by_kind(kinds[i]), data, size);
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
                        unpack_one(desc, data + WIRE_HEADER_SIZE, payload);
        }

        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
                unpack_one(wire_desc_by_kind(kinds[i]), data + WIRE_HEADER_SIZE, size - WIRE_HEADER_SIZE);
        return 0;
}
