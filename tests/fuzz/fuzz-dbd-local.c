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
#include "fuzz-frames.h"

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
                r = local_client_feed(c, hello, fuzz_hello(CTDB_PNN_NONE, 0, hello, sizeof(hello)));
                CHECK(r >= 0);
        }
        if (r >= 0)
                r = fuzz_feed_packets(c, data, size);
        if (r < 0)
                local_client_free(c);

        fuzz_end(ctx, event);
        close(fds[1]);
        return 0;
}
