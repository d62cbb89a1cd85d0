/* This node's TCP sockets on an address: find them with sock_diag and destroy them. See nf-sock.h. */

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "nf-netlink.h"
#include "nf-sock.h"

/* Sockets destroyed in one call at most (each is one netlink request). */
#define NF_SOCK_MAX 65536u

struct found {
        struct inet_diag_sockid *ids;
        size_t n, cap;
        const struct ctdb_ip *a;
};

static int on_sock(const struct nlmsghdr *nlh, void *data) {
        struct found *f = data;
        const struct inet_diag_msg *msg;

        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*msg))
                return MNL_CB_ERROR;
        msg = mnl_nlmsg_get_payload(nlh);
        if (memcmp(msg->id.idiag_src, f->a->u.bytes, ctdb_ip_len(f->a)) != 0)
                return MNL_CB_OK;
        if (f->n == f->cap) {
                size_t cap = f->cap ? f->cap * 2 : 16;
                struct inet_diag_sockid *ids;

                if (cap > NF_SOCK_MAX)
                        return MNL_CB_OK;
                ids = realloc(f->ids, cap * sizeof(*ids));
                if (!ids)
                        return MNL_CB_ERROR;
                f->ids = ids;
                f->cap = cap;
        }
        f->ids[f->n++] = msg->id;
        return MNL_CB_OK;
}

static struct nlmsghdr *diag_request(void *buf, uint16_t type, uint16_t flags, const struct ctdb_ip *a,
                                     const struct inet_diag_sockid *id) {
        struct nlmsghdr *nlh = nf_nl_request_new(buf, type, flags, sizeof(struct inet_diag_req_v2));
        struct inet_diag_req_v2 *req = mnl_nlmsg_get_payload(nlh);

        req->sdiag_family = (uint8_t) a->family;
        req->sdiag_protocol = IPPROTO_TCP;
        /* Every state but LISTEN (the server's own socket stays) and TIME_WAIT (no socket to end). */
        req->idiag_states = ~(1u << TCP_LISTEN | 1u << TCP_TIME_WAIT | 1u << TCP_CLOSE);
        if (id)
                req->id = *id;
        return nlh;
}

int nf_sock_destroy_local(const struct ctdb_ip *a, unsigned *ret_count, char *err, size_t errlen) {
        char addr[CTDB_IP_STRLEN];
        uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
        struct found f = { .a = a };
        unsigned done = 0;
        int r;

        ctdb_ip_to_string(a, false, addr, sizeof(addr));
        r = nf_nl_request(NETLINK_SOCK_DIAG, diag_request(buf, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, a, NULL),
                          on_sock, &f);
        if (r < 0) {
                nf_seterr(err, errlen, "Failed to list the TCP sockets of %s: %s", addr, strerror(-r));
                free(f.ids);
                return r;
        }
        for (size_t i = 0; i < f.n; i++) {
                r = nf_nl_request(NETLINK_SOCK_DIAG,
                                  diag_request(buf, SOCK_DESTROY, NLM_F_ACK, a, &f.ids[i]), NULL, NULL);
                /* Gone meanwhile (the client closed it) is what we wanted. */
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        nf_seterr(err, errlen, "Failed to end a TCP connection of %s: %s", addr,
                                  strerror(-r));
                        free(f.ids);
                        return r;
                }
                done++;
        }
        free(f.ids);
        if (ret_count)
                *ret_count = done;
        return 0;
}
