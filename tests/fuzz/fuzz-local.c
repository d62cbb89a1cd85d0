/*
 * Packets as a local client sends them on tunnel.sock, into the per-client
 * packet handler (common/local-server.c, then tunneld-local.c). The input is a
 * sequence of records, a u16 length (little endian) and that many bytes, each
 * one packet. The first byte chooses the set-up: bit 1 a valid client HELLO
 * before the rest, so the fuzzer reaches registrations and sends at once.
 */

#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-frames.h"
#include "fuzz-tunneld.h"
#include "tunneld-local.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        void *ctx;
        struct tunneld_manager *m;
        struct local_client *c;
        uint8_t hello[256];
        uint8_t flags;
        int fds[2], r = 0;

        ctx = fuzz_start(&data, &size, &flags, &m);
        if (!ctx)
                return 0;
        CHECK(tunneld_local_new(m, NULL, &m->local) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) >= 0);
        CHECK(local_server_add_client(tunneld_local_server(m->local), fds[0], getpid(), 0, &c) >= 0);

        if (flags & 2) {
                r = local_client_feed(c, hello, fuzz_hello(CTDB_PNN_NONE, 0, hello, sizeof(hello)));
                CHECK(r >= 0);
        }
        if (r >= 0)
                r = fuzz_feed_packets(c, data, size);
        if (r < 0)
                local_client_free(c);

        talloc_free(ctx);
        close(fds[1]);
        return 0;
}
