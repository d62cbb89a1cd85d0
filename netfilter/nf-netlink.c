#include "nf-netlink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void nf_seterr(char *err, size_t errlen, const char *fmt, ...) {
        va_list ap;

        if (!err || errlen == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

int nf_nl_open(int bus, unsigned groups, struct mnl_socket **ret) {
        struct mnl_socket *nl;
        int one = 1;

        nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
        if (!nl)
                return -errno;
        /* Ask for the extended ACK; a kernel that does not know it is fine. */
        (void) mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
        if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
                int r = -errno;
                mnl_socket_close(nl);
                return r;
        }
        *ret = nl;
        return 0;
}

static uint32_t nf_nl_next_seq(void) {
        static uint32_t seq;

        if (seq == 0)
                seq = (uint32_t) time(NULL);
        return ++seq;
}

int nf_nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data) {
        uint32_t portid = mnl_socket_get_portid(nl);
        char *buf;
        int r;

        nlh->nlmsg_seq = nf_nl_next_seq();
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;

        buf = malloc(NF_NL_BUFSIZE);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = mnl_socket_recvfrom(nl, buf, NF_NL_BUFSIZE);
                if (n < 0) {
                        r = -errno;
                        break;
                }
                r = mnl_cb_run(buf, (size_t) n, nlh->nlmsg_seq, portid, cb, data);
                if (r < 0) {
                        /* mnl_cb_run() sets errno from NLMSG_ERROR, or EPROTO/ESRCH/ENOSPC itself. */
                        r = errno > 0 ? -errno : -EIO;
                        break;
                }
                if (r == MNL_CB_STOP) {
                        r = 0;
                        break;
                }
        }
        free(buf);
        return r;
}

struct nlmsghdr *nf_nl_request_new(void *buf, uint16_t type, uint16_t flags, size_t hdrlen) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | flags;
        (void) mnl_nlmsg_put_extra_header(nlh, hdrlen);
        return nlh;
}

int nf_nl_request(int bus, struct nlmsghdr *nlh, mnl_cb_t cb, void *data) {
        struct mnl_socket *nl;
        int r;

        r = nf_nl_open(bus, 0, &nl);
        if (r < 0)
                return r;
        r = nf_nl_talk(nl, nlh, cb, data);
        mnl_socket_close(nl);
        return r;
}

bool nf_nl_attrs_done(const struct nlmsghdr *nlh, const struct nlattr *attr) {
        /* mnl_attr_for_each() stops at the first attribute that does not fit. */
        return (const char *) attr >= (const char *) mnl_nlmsg_get_payload_tail(nlh);
}

int nf_nl_parse_buffer(const void *buf, size_t len, mnl_cb_t cb, void *data) {
        const uint8_t *p = buf;
        size_t left = len;

        /* Not mnl_nlmsg_ok(): it compares (int) nlmsg_len, so a length with the
         * top bit set passes and the walk jumps outside the buffer. */
        while (left >= sizeof(struct nlmsghdr)) {
                const struct nlmsghdr *nlh = (const struct nlmsghdr *) p;

                /* The kernel pads every message; an unaligned length would let the
                 * attribute walkers read up to 3 bytes past the buffer. */
                if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > left ||
                    MNL_ALIGN(nlh->nlmsg_len) != nlh->nlmsg_len)
                        return -EBADMSG;
                if (nlh->nlmsg_type == NLMSG_ERROR) {
                        const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
                        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
                                return -EBADMSG;
                        if (e->error < 0 && e->error > -4096)
                                return e->error;
                        if (e->error != 0)
                                return -EBADMSG;
                } else if (nlh->nlmsg_type == NLMSG_DONE) {
                        return 0;
                } else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE && cb) {
                        int r = cb(nlh, data);
                        if (r == MNL_CB_ERROR)
                                return -EBADMSG;
                        if (r == MNL_CB_STOP)
                                return 0;
                }
                p += nlh->nlmsg_len;
                left -= nlh->nlmsg_len;
        }
        return left == 0 ? 0 : -EBADMSG;
}
