/* Batched receive of one frame per packet; see sock-batch.h. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sock-batch.h"

int sock_batch_init(struct sock_batch *b, size_t frame_max) {
        memset(b, 0, sizeof(*b));
        b->buf = malloc((size_t) SOCK_BATCH_MAX * (frame_max + 1));
        if (!b->buf)
                return -ENOMEM;
        b->frame_max = frame_max;
        return 0;
}

void sock_batch_done(struct sock_batch *b) {
        free(b->buf);
        b->buf = NULL;
}

int sock_batch_recv(struct sock_batch *b, int fd) {
        int n;

        memset(b->msgs, 0, sizeof(b->msgs));
        for (unsigned i = 0; i < SOCK_BATCH_MAX; i++) {
                b->iov[i] =
                        (struct iovec){ .iov_base = sock_batch_buffer(b, i), .iov_len = b->frame_max + 1 };
                b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
                b->msgs[i].msg_hdr.msg_iovlen = 1;
                if (b->want_fds) {
                        b->msgs[i].msg_hdr.msg_control = b->control[i].bytes;
                        b->msgs[i].msg_hdr.msg_controllen = sizeof(b->control[i].bytes);
                }
        }
        n = recvmmsg(fd, b->msgs, SOCK_BATCH_MAX, MSG_DONTWAIT | (b->want_fds ? MSG_CMSG_CLOEXEC : 0), NULL);
        if (n < 0)
                return -errno;
        return n;
}

ssize_t sock_batch_packet(const struct sock_batch *b, unsigned i, const uint8_t **ret_data) {
        size_t len = b->msgs[i].msg_len;

        *ret_data = b->iov[i].iov_base;
        if (len == 0)
                return 0;
        if ((b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || len > b->frame_max)
                return -EMSGSIZE;
        return (ssize_t) len;
}

/* Calls fn on each fd slot that packet i carries (-1 once taken or closed). */
static void for_each_fd(struct sock_batch *b, unsigned i, void (*fn)(int *slot, void *arg), void *arg) {
        struct msghdr *mh = &b->msgs[i].msg_hdr;

        if (!b->want_fds)
                return;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
                size_t n;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t k = 0; k < n; k++) {
                        int *slot = (int *) (void *) (CMSG_DATA(cm) + k * sizeof(int));

                        if (*slot >= 0)
                                fn(slot, arg);
                }
        }
}

static void close_slot(int *slot, void *arg) {
        close(*slot);
        *slot = -1;
}

/* The first into *arg, the others closed. */
static void take_slot(int *slot, void *arg) {
        int *ret = arg;

        if (*ret >= 0) {
                close_slot(slot, NULL);
                return;
        }
        *ret = *slot;
        *slot = -1;
}

int sock_batch_take_fd(struct sock_batch *b, unsigned i) {
        int fd = -1;

        for_each_fd(b, i, take_slot, &fd);
        if (b->msgs[i].msg_hdr.msg_flags & MSG_CTRUNC) {
                if (fd >= 0)
                        close(fd);
                return -EMSGSIZE;
        }
        return fd >= 0 ? fd : -ENOENT;
}

void sock_batch_close_fds(struct sock_batch *b, unsigned n) {
        for (unsigned i = 0; i < n && i < SOCK_BATCH_MAX; i++)
                for_each_fd(b, i, close_slot, NULL);
}
