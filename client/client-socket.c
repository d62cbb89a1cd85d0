/* Connect + HELLO and frame sends shared by libctdb-client's sockets; see client-socket.h. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "client-socket.h"

int client_send_frame(int fd, struct wire_header *h, const uint8_t *payload, size_t len, int flags) {
        uint8_t hdr[WIRE_HEADER_SIZE];
        struct iovec iov[2] = {
                { .iov_base = hdr, .iov_len = sizeof(hdr) },
                { .iov_base = (void *) payload, .iov_len = len },
        };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1 };
        ssize_t n;

        if (WIRE_HEADER_SIZE + len > WIRE_FRAME_MAX)
                return -EMSGSIZE;
        wire_header_finish(h, len, hdr);
        do
                n = sendmsg(fd, &mh, flags | MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : errno == EPIPE ? -ECONNRESET : -errno;
        return 0;
}

/*
 * Sizes the send buffer as ctdb-tunneld does without CAP_NET_ADMIN (it runs
 * without it) and returns the largest packet it then carries: a packet must fit
 * the send buffer of the side that sends it, and tunneld sends every message to
 * its local receivers, so a larger one would only be dropped there. No FORCE
 * here even for root: the limit must not depend on who the client is.
 */
static int set_sockbuf(int fd, size_t *ret_max_packet) {
        int size = (int) (WIRE_FRAME_MAX + 64u * 1024u), granted = 0;
        socklen_t len = sizeof(granted);

        (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        /* The receive side of a unix datagram socket is bounded by packet count, not bytes. */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &granted, &len) < 0)
                return -errno;
        /* af_unix refuses a datagram above sk_sndbuf - 32 with EMSGSIZE. */
        if (granted <= 32 + (int) WIRE_HEADER_SIZE + 4)
                return -ENOBUFS;
        *ret_max_packet = (size_t) granted - 32 < WIRE_FRAME_MAX ? (size_t) granted - 32 : WIRE_FRAME_MAX;
        return 0;
}

static int handshake(int fd, uint8_t *buf, struct wire_hello *ret_hello) {
        struct wire_header h = { .kind = WIRE_KIND_HELLO, .src = CTDB_PNN_NONE, .dst = CTDB_PNN_NONE };
        struct wire_hello hello = {
                .magic = WIRE_MAGIC,
                .major = WIRE_VERSION_MAJOR,
                .minor = WIRE_VERSION_MINOR,
                .pnn = CTDB_PNN_NONE,
        };
        uint8_t payload[128];
        ssize_t n;
        int r;

        r = wire_pack(&wire_hello_desc, &hello, payload, sizeof(payload));
        if (r < 0)
                return r;
        r = client_send_frame(fd, &h, payload, (size_t) r, 0);
        if (r < 0)
                return r;

        /* The server's HELLO comes first; the socket's receive timeout bounds the wait. */
        do
                n = recv(fd, buf, WIRE_FRAME_MAX + 1, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EAGAIN ? -ETIMEDOUT : -errno;
        if (n == 0)
                return -ECONNRESET;
        if ((size_t) n < WIRE_HEADER_SIZE || wire_header_unpack(buf, WIRE_FRAME_MAX, &h) < 0 ||
            h.length != (size_t) n || h.kind != WIRE_KIND_HELLO)
                return -EPROTO;
        if (wire_unpack(&wire_hello_desc, NULL, buf + WIRE_HEADER_SIZE, (size_t) n - WIRE_HEADER_SIZE,
                        &hello) < 0)
                return -EPROTO;
        r = wire_hello_check(&hello);
        if (r < 0)
                return r;
        *ret_hello = hello;
        return 0;
}

int client_socket_connect(const char *path, uint8_t *buf, int *ret_fd, size_t *ret_max_packet,
                          struct wire_hello *ret_hello) {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = CLIENT_CONNECT_TIMEOUT_SEC };
        int fd, r, flags;

        if (strlen(path) >= sizeof(sun.sun_path))
                return -ENAMETOOLONG;
        strcpy(sun.sun_path, path);

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* SO_SNDTIMEO also bounds connect() on a unix socket whose backlog is full. */
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        r = set_sockbuf(fd, ret_max_packet);
        if (r < 0)
                goto fail;
        if (connect(fd, (const struct sockaddr *) &sun, sizeof(sun)) < 0) {
                r = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
                goto fail;
        }
        r = handshake(fd, buf, ret_hello);
        if (r < 0)
                goto fail;

        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
                r = -errno;
                goto fail;
        }
        *ret_fd = fd;
        return 0;

fail:
        close(fd);
        return r;
}
