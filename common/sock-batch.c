/* Batched receive of one frame per packet; see sock-batch.h. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
        }
        n = recvmmsg(fd, b->msgs, SOCK_BATCH_MAX, MSG_DONTWAIT, NULL);
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
