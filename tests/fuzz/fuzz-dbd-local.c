/*
 * Frames as a local client sends them on db.sock, into the per-client frame
 * handler (common/local-server.c, then dbd-local.c). The input is a set-up
 * byte (fuzz-dbd.h; bit 2 also sends a valid client HELLO first, so that the
 * fuzzer reaches ATTACH, MIGRATE, FETCH and TRAVERSE at once), then a
 * sequence of records, a u16 length (little endian) and that many bytes,
 * each one packet.
 */

#include <sys/socket.h>

#include "fuzz-dbd.h"
#include "local-server.h"

static size_t fuzz_hello(uint8_t *buf, size_t size) {
        struct wire_header h = { .kind = WIRE_KIND_HELLO, .src = CTDB_PNN_NONE, .dst = CTDB_PNN_NONE };
        struct wire_hello hello = {
                .magic = WIRE_MAGIC,
                .major = WIRE_VERSION_MAJOR,
                .minor = WIRE_VERSION_MINOR,
                .pnn = CTDB_PNN_NONE,
        };
        int r = wire_frame_pack(&h, &wire_hello_desc, &hello, buf, size);

        CHECK(r > 0);
        return (size_t) r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct local_client *c;
        dbd_manager *m;
        sd_event *event;
        uint8_t hello[256];
        uint8_t flags;
        int fds[2], r = 0;
        void *ctx;

        ctx = fuzz_start(&data, &size, &flags, &event, &m);
        if (!ctx)
                return 0;
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) >= 0);
        CHECK(dbd_testing_add_client(m, fds[0], &c) >= 0);

        if (flags & 4) {
                r = local_client_feed(c, hello, fuzz_hello(hello, sizeof(hello)));
                CHECK(r >= 0);
        }
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
        if (r < 0)
                local_client_free(c);

        fuzz_end(ctx, event);
        close(fds[1]);
        return 0;
}
