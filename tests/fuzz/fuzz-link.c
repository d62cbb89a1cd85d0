/*
 * Bytes as a peer node sends them on a link, into the receive path of an
 * accepted connection (tunneld-link.c: framing, HELLO/AUTH handshake, then
 * heartbeats, messages and tunnel frames). The first byte chooses the set-up:
 * bit 0 a pre-shared key on our side, bit 1 a valid HELLO of node 0 before the
 * rest, so the fuzzer reaches the frames of an up link at once.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-tunneld.h"
#include "tunneld-link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct sockaddr_in peer = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        static const uint8_t key[] = "fuzz key";
        void *ctx;
        struct tunneld_manager *m;
        struct conn *c;
        uint8_t hello[256];
        uint8_t flags;
        int fds[2], r = 0;

        ctx = fuzz_start(&data, &size, &flags, &m);
        if (!ctx)
                return 0;
        if (flags & 1)
                CHECK(tunneld_manager_set_psk(m, key, sizeof(key) - 1) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) >= 0);
        /* Node 0 (127.0.0.1) connects to us, node 1: it is the lower pnn. */
        link_accept(m, fds[0], (const struct sockaddr *) &peer, sizeof(peer));
        c = m->pending;
        CHECK(c);

        if (flags & 2) {
                r = conn_feed(c, hello, fuzz_hello(0, 2, hello, sizeof(hello)));
                /* Without a key that HELLO brings the link up: else the seeds test nothing. */
                CHECK((flags & 1) || (r >= 0 && m->links[0]->up));
        }
        if (r >= 0)
                (void) conn_feed(c, data, size);

        talloc_free(ctx);
        close(fds[1]);
        return 0;
}
