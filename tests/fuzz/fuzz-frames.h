#pragma once

/*
 * What the harnesses of the daemons' sockets share: a valid HELLO frame (so an
 * input can start past the handshake) and the split of an input into packets
 * for a local client (records of a u16 little-endian length and that many
 * bytes).
 */

#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "local-server.h"
#include "wire.h"

/* A HELLO frame of pnn with n_nodes slots into buf; its length. */
static inline size_t fuzz_hello(uint32_t pnn, uint32_t n_nodes, uint8_t *buf, size_t size) {
        struct wire_header h = { .kind = WIRE_KIND_HELLO, .src = pnn, .dst = CTDB_PNN_NONE };
        struct wire_hello hello = {
                .magic = WIRE_MAGIC,
                .major = WIRE_VERSION_MAJOR,
                .minor = WIRE_VERSION_MINOR,
                .pnn = pnn,
                .n_nodes = n_nodes,
        };
        int r = wire_frame_pack(&h, &wire_hello_desc, &hello, buf, size);

        CHECK(r > 0);
        return (size_t) r;
}

/* Feeds the input's packets to c while it takes them; the last result (negative: c is to be freed). */
static inline int fuzz_feed_packets(struct local_client *c, const uint8_t *data, size_t size) {
        int r = 0;

        while (r >= 0 && size >= 2) {
                size_t len = (size_t) data[0] | (size_t) data[1] << 8;

                data += 2;
                size -= 2;
                if (len > size)
                        len = size;
                r = local_client_feed(c, data, len);
                data += len;
                size -= len;
        }
        return r;
}
