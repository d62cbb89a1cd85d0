/*
 * dbd's frames from other nodes (the inner messages of DBD_MSG_KINDS on its
 * tunnel), into the manager itself: dbd_manager_receive(), then migration
 * (dbd-migrate.c) and recovery (dbd-recovery.c, dbd-ops.c) on a real tdb
 * file. Every frame's bytes also go through CTDB's record header parser.
 * The input is a set-up byte (fuzz-dbd.h), then a sequence of records: a
 * source pnn byte (mod 4: node 3 does not exist), a u16 length (little
 * endian) and that many bytes, each one frame.
 */

#include "fuzz-dbd.h"

static void fuzz_header_parse(const uint8_t *data, size_t len) {
        struct ltdb_header h;
        const uint8_t *value;
        size_t value_len;
        uint8_t out[LTDB_HEADER_SIZE];

        if (ltdb_header_parse(data, len, &h, &value, &value_len) < 0) {
                CHECK(len < LTDB_HEADER_SIZE);
                return;
        }
        CHECK(len >= LTDB_HEADER_SIZE && value == data + LTDB_HEADER_SIZE);
        CHECK(value_len == len - LTDB_HEADER_SIZE && h.pad == 0);
        /* What was parsed is what is written back, but for the padding. */
        ltdb_header_put(&h, out);
        CHECK(memcmp(out, data, 20) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        dbd_manager *m;
        sd_event *event;
        uint8_t flags;
        void *ctx;

        ctx = fuzz_start(&data, &size, &flags, &event, &m);
        if (!ctx)
                return 0;
        while (size >= 3) {
                uint32_t src = data[0] % 4;
                size_t len = (size_t) data[1] | (size_t) data[2] << 8;

                data += 3;
                size -= 3;
                if (len > size)
                        len = size;
                fuzz_header_parse(data, len);
                (void) dbd_manager_receive(m, src, data, len);
                data += len;
                size -= len;
        }
        fuzz_end(ctx, event);
        return 0;
}
