/* New TCP connections of public addresses, from nfnetlink_log; see nf-log.h. */

#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nf-log.h"
#include "nf-netlink.h"

/* Enough of a packet for its IP and TCP headers (IPv6 without extension headers). */
#define NF_LOG_COPY 96u

struct nf_log {
        struct mnl_socket *nl;
        char *buf;
};

static int nf_log_config(struct mnl_socket *nl, uint16_t group, uint8_t cmd, bool mode) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = nf_nl_request_new(buf, NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_CONFIG, NLM_F_ACK,
                                                 sizeof(struct nfgenmsg));
        struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
        struct nfulnl_msg_config_cmd c = { .command = cmd };

        g->nfgen_family = AF_UNSPEC;
        g->version = NFNETLINK_V0;
        g->res_id = htons(group);
        mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(c), &c);
        if (mode) {
                struct nfulnl_msg_config_mode m = { .copy_range = htonl(NF_LOG_COPY),
                                                    .copy_mode = NFULNL_COPY_PACKET };

                mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(m), &m);
                /* The default holds packets back for up to 1 s or 100 packets. */
                mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
        }
        return nf_nl_talk(nl, nlh, NULL, NULL);
}

int nf_log_new(uint16_t group, nf_log **ret, char *err, size_t errlen) {
        nf_log *l = calloc(1, sizeof(*l));
        int r, fd, fl;

        if (!l || !(l->buf = malloc(NF_NL_BUFSIZE))) {
                free(l);
                return -ENOMEM;
        }
        r = nf_nl_open(NETLINK_NETFILTER, 0, &l->nl);
        if (r >= 0)
                r = nf_log_config(l->nl, group, NFULNL_CFG_CMD_BIND, true);
        if (r >= 0) {
                fd = mnl_socket_get_fd(l->nl);
                fl = fcntl(fd, F_GETFL);
                if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                        r = -errno;
        }
        if (r < 0) {
                nf_seterr(err, errlen, "Cannot read log group %u of table inet ctdb: %s%s", group,
                          strerror(-r), r == -EBUSY ? " (another process reads it)" : "");
                nf_log_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

nf_log *nf_log_free(nf_log *l) {
        if (!l)
                return NULL;
        if (l->nl)
                mnl_socket_close(l->nl);
        free(l->buf);
        free(l);
        return NULL;
}

int nf_log_fd(nf_log *l) {
        return mnl_socket_get_fd(l->nl);
}

/* The ends of a TCP packet that starts at p (len bytes), of family. */
static int nf_log_tcp(int family, const uint8_t *p, size_t len, union nf_sockaddr *src,
                      union nf_sockaddr *dst) {
        struct tcphdr th;
        size_t hl;

        memset(src, 0, sizeof(*src));
        memset(dst, 0, sizeof(*dst));
        if (family == AF_INET) {
                struct iphdr ih;

                if (len < sizeof(ih))
                        return -EBADMSG;
                memcpy(&ih, p, sizeof(ih));
                hl = (size_t) ih.ihl * 4;
                if (ih.version != 4 || hl < sizeof(ih) || len < hl)
                        return -EBADMSG;
                if (ih.protocol != IPPROTO_TCP)
                        return 0;
                src->in.sin_family = dst->in.sin_family = AF_INET;
                src->in.sin_addr.s_addr = ih.saddr;
                dst->in.sin_addr.s_addr = ih.daddr;
        } else if (family == AF_INET6) {
                struct ip6_hdr ih;

                if (len < sizeof(ih))
                        return -EBADMSG;
                memcpy(&ih, p, sizeof(ih));
                hl = sizeof(ih);
                if ((ih.ip6_vfc >> 4) != 6)
                        return -EBADMSG;
                if (ih.ip6_nxt != IPPROTO_TCP)
                        return 0;
                src->in6.sin6_family = dst->in6.sin6_family = AF_INET6;
                src->in6.sin6_addr = ih.ip6_src;
                dst->in6.sin6_addr = ih.ip6_dst;
        } else
                return 0;
        if (len - hl < 4)
                return -EBADMSG;
        memcpy(&th, p + hl, 4); /* the ports only */
        if (family == AF_INET) {
                src->in.sin_port = th.th_sport;
                dst->in.sin_port = th.th_dport;
        } else {
                src->in6.sin6_port = th.th_sport;
                dst->in6.sin6_port = th.th_dport;
        }
        return 1;
}

int nf_log_parse_msg(const struct nlmsghdr *nlh, nf_log_cb cb, void *userdata) {
        const struct nfgenmsg *g;
        const struct nlattr *attr;
        union nf_sockaddr src, dst;

        if (nlh->nlmsg_type != (NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET))
                return 0;
        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
                return -EBADMSG;
        g = mnl_nlmsg_get_payload(nlh);
        mnl_attr_for_each(attr, nlh, sizeof(*g)) {
                int r;

                if (mnl_attr_get_type(attr) != NFULA_PAYLOAD)
                        continue;
                r = nf_log_tcp(g->nfgen_family, mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr),
                               &src, &dst);
                if (r > 0 && cb)
                        cb(&src, &dst, userdata);
                return r;
        }
        return nf_nl_attrs_done(nlh, attr) ? 0 : -EBADMSG;
}

struct nf_log_walk {
        nf_log_cb cb;
        void *userdata;
        int n;
};

static int nf_log_walk_cb(const struct nlmsghdr *nlh, void *data) {
        struct nf_log_walk *w = data;

        /* A message we cannot parse is skipped: the next one still counts. */
        if (nf_log_parse_msg(nlh, w->cb, w->userdata) > 0)
                w->n++;
        return MNL_CB_OK;
}

int nf_log_process(nf_log *l, nf_log_cb cb, void *userdata) {
        struct nf_log_walk w = { .cb = cb, .userdata = userdata };

        for (;;) {
                ssize_t n = recv(mnl_socket_get_fd(l->nl), l->buf, NF_NL_BUFSIZE, MSG_DONTWAIT);
                int r;

                if (n < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return w.n;
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                r = nf_nl_parse_buffer(l->buf, (size_t) n, nf_log_walk_cb, &w);
                if (r < 0)
                        return r;
        }
}
