#pragma once

/*
 * Batched receive of a SOCK_SEQPACKET socket, one frame per packet: one
 * recvmmsg() takes up to SOCK_BATCH_MAX packets, each into its own buffer of
 * frame_max + 1 bytes (a longer packet shows as too long). Both ends of the
 * local data plane use it: the daemons' local server and libctdb-client, which
 * is plain malloc and thread-safe, so this needs no talloc and keeps no global
 * state (a batch belongs to one caller at a time).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define SOCK_BATCH_MAX 4u
/* File descriptors taken with one packet; the kernel closes what does not fit (MSG_CTRUNC). */
#define SOCK_BATCH_FDS_MAX 4u

struct sock_batch {
        /* SOCK_BATCH_MAX buffers of frame_max + 1, lazily backed by the kernel: only the
         * pages a frame touches become resident. */
        uint8_t *buf;
        size_t frame_max;
        /*
         * Set to receive SCM_RIGHTS (close-on-exec). Every fd received is then the
         * caller's: sock_batch_take_fd() one, sock_batch_close_fds() the rest. Without
         * it the kernel drops what a peer passes, so a server need not care.
         */
        bool want_fds;
        struct mmsghdr msgs[SOCK_BATCH_MAX];
        struct iovec iov[SOCK_BATCH_MAX];
        union {
                struct cmsghdr align;
                uint8_t bytes[CMSG_SPACE(sizeof(int) * SOCK_BATCH_FDS_MAX)];
        } control[SOCK_BATCH_MAX];
};

/* Allocates the buffers (malloc). -ENOMEM. */
int sock_batch_init(struct sock_batch *b, size_t frame_max);
/* Frees the buffers; safe on a zeroed or already freed batch. */
void sock_batch_done(struct sock_batch *b);

/* The first n bytes of buffer i, for a caller that receives one packet by other means. */
static inline uint8_t *sock_batch_buffer(struct sock_batch *b, unsigned i) {
        return b->buf + (size_t) i * (b->frame_max + 1);
}

/*
 * One non-blocking recvmmsg(). Returns the packets received (1..SOCK_BATCH_MAX),
 * or -errno as recvmmsg() failed (-EAGAIN: nothing waiting, -EINTR).
 */
int sock_batch_recv(struct sock_batch *b, int fd);

/*
 * Packet i of the last sock_batch_recv(): its length with *ret_data pointing at
 * it, 0 for a zero-length packet (the peer closed: how SOCK_SEQPACKET shows EOF),
 * -EMSGSIZE when it was truncated or is above frame_max.
 */
ssize_t sock_batch_packet(const struct sock_batch *b, unsigned i, const uint8_t **ret_data);

/*
 * With want_fds: the first fd that came with packet i, now the caller's (any
 * others are closed), or -ENOENT when none came; -EMSGSIZE (none) when the
 * kernel could not pass them all (MSG_CTRUNC: e.g. RLIMIT_NOFILE reached).
 */
int sock_batch_take_fd(struct sock_batch *b, unsigned i);
/* With want_fds: closes every fd of packets [0, n) of the last receive that was not taken. */
void sock_batch_close_fds(struct sock_batch *b, unsigned n);
