#include "nf-link.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nf-netlink.h"

struct nf_link_monitor {
        struct mnl_socket *nl;
        char *buf;
};

int nf_link_parse_msg(const struct nlmsghdr *nlh, struct nf_link_state *ret) {
        const struct ifinfomsg *ifi;
        const struct nlattr *attr;
        struct nf_link_state s = {};
        bool have_carrier = false;

        if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
                return -EBADMSG;
        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
                return -EBADMSG;
        ifi = mnl_nlmsg_get_payload(nlh);
        s.ifindex = ifi->ifi_index;
        s.flags = ifi->ifi_flags;
        s.deleted = nlh->nlmsg_type == RTM_DELLINK;

        mnl_attr_for_each(attr, nlh, sizeof(*ifi)) {
                size_t plen = mnl_attr_get_payload_len(attr);

                switch (mnl_attr_get_type(attr)) {
                case IFLA_IFNAME:
                        if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 || plen > IF_NAMESIZE)
                                return -EBADMSG;
                        snprintf(s.ifname, sizeof(s.ifname), "%s", mnl_attr_get_str(attr));
                        break;
                case IFLA_CARRIER:
                        if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
                                return -EBADMSG;
                        s.carrier = mnl_attr_get_u8(attr) != 0;
                        have_carrier = true;
                        break;
                case IFLA_OPERSTATE:
                        if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
                                return -EBADMSG;
                        s.operstate = mnl_attr_get_u8(attr);
                        break;
                case IFLA_MTU:
                        if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
                                return -EBADMSG;
                        s.mtu = mnl_attr_get_u32(attr);
                        break;
                case IFLA_ADDRESS:
                        if (plen > sizeof(s.mac))
                                return -EBADMSG;
                        memcpy(s.mac, mnl_attr_get_payload(attr), plen);
                        s.mac_len = plen;
                        break;
                default:
                        break;
                }
        }
        if (!nf_nl_attrs_done(nlh, attr))
                return -EBADMSG;
        s.up = (s.flags & IFF_UP) != 0;
        if (!have_carrier)
                s.carrier = (s.flags & IFF_LOWER_UP) != 0;
        /* An interface that is down has no usable carrier, whatever the driver says. */
        if (!s.up)
                s.carrier = false;
        *ret = s;
        return 0;
}

const char *nf_link_state_string(const struct nf_link_state *s, char *buf, size_t len) {
        snprintf(buf, len, "%s %s%s", s->up ? "up" : "down", s->carrier ? "carrier" : "no-carrier",
                 s->deleted ? " deleted" : "");
        return buf;
}

static int nf_link_get_cb(const struct nlmsghdr *nlh, void *data) {
        if (nf_link_parse_msg(nlh, data) < 0) {
                errno = EBADMSG;
                return MNL_CB_ERROR;
        }
        return MNL_CB_OK;
}

/*
 * A link request of type for ifname, with NLM_F_ACK (a GET without it gets no
 * ACK after its answer, and nf_nl_talk() would not know when it is done), in
 * buf; NULL with err set for a bad name.
 */
static struct nlmsghdr *nf_link_request(void *buf, uint16_t type, const char *ifname, char *err,
                                        size_t errlen) {
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;

        if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE) {
                nf_seterr(err, errlen, "Invalid interface name \"%s\"", ifname ? ifname : "");
                return NULL;
        }
        nlh = nf_nl_request_new(buf, type, NLM_F_ACK, sizeof(*ifi));
        ifi = mnl_nlmsg_get_payload(nlh);
        ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
        return nlh;
}

int nf_link_get(const char *ifname, struct nf_link_state *ret, char *err, size_t errlen) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nf_link_state s = { .ifindex = -1 };
        struct nlmsghdr *nlh = nf_link_request(buf, RTM_GETLINK, ifname, err, errlen);
        int r;

        if (!nlh)
                return -EINVAL;
        /* Keep the answer small: no per-VF statistics. */
        mnl_attr_put_u32(nlh, IFLA_EXT_MASK, 0);

        r = nf_nl_request(NETLINK_ROUTE, nlh, nf_link_get_cb, &s);
        if (r == -ENODEV || (r == 0 && s.ifindex < 0)) {
                nf_seterr(err, errlen, "Interface %s does not exist", ifname);
                return -ENODEV;
        }
        if (r < 0) {
                nf_seterr(err, errlen, "Cannot read the state of %s: %s", ifname, strerror(-r));
                return r;
        }
        *ret = s;
        return 0;
}

int nf_link_monitor_new(nf_link_monitor **ret) {
        nf_link_monitor *m;
        int r, fd, fl;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->buf = malloc(NF_NL_BUFSIZE);
        if (!m->buf) {
                free(m);
                return -ENOMEM;
        }
        r = nf_nl_open(NETLINK_ROUTE, RTMGRP_LINK, &m->nl);
        if (r < 0) {
                nf_link_monitor_free(m);
                return r;
        }
        fd = mnl_socket_get_fd(m->nl);
        fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                r = -errno;
                nf_link_monitor_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

nf_link_monitor *nf_link_monitor_free(nf_link_monitor *m) {
        if (!m)
                return NULL;
        if (m->nl)
                mnl_socket_close(m->nl);
        free(m->buf);
        free(m);
        return NULL;
}

int nf_link_monitor_fd(nf_link_monitor *m) {
        return mnl_socket_get_fd(m->nl);
}

struct nf_link_dispatch {
        nf_link_cb cb;
        void *userdata;
        int n;
};

static int nf_link_dispatch_cb(const struct nlmsghdr *nlh, void *data) {
        struct nf_link_dispatch *d = data;
        struct nf_link_state s;

        /* A message we cannot parse is skipped: the next one still counts. */
        if (nf_link_parse_msg(nlh, &s) < 0)
                return MNL_CB_OK;
        d->n++;
        if (d->cb)
                d->cb(&s, d->userdata);
        return MNL_CB_OK;
}

int nf_link_monitor_process(nf_link_monitor *m, nf_link_cb cb, void *userdata) {
        struct nf_link_dispatch d = { .cb = cb, .userdata = userdata };

        for (;;) {
                ssize_t n = recv(mnl_socket_get_fd(m->nl), m->buf, NF_NL_BUFSIZE, MSG_DONTWAIT);
                int r;

                if (n < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return d.n;
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                r = nf_nl_parse_buffer(m->buf, (size_t) n, nf_link_dispatch_cb, &d);
                if (r < 0)
                        return r;
        }
}

int nf_link_set_ipv4_conf(const char *ifname, int key, uint32_t value, char *err, size_t errlen) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = nf_link_request(buf, RTM_NEWLINK, ifname, err, errlen);
        struct nlattr *spec, *inet, *conf;
        int r;

        if (!nlh)
                return -EINVAL;
        /* IFLA_AF_SPEC { AF_INET { IFLA_INET_CONF { key: value } } } */
        spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
        inet = mnl_attr_nest_start(nlh, AF_INET);
        conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
        mnl_attr_put_u32(nlh, (uint16_t) key, value);
        mnl_attr_nest_end(nlh, conf);
        mnl_attr_nest_end(nlh, inet);
        mnl_attr_nest_end(nlh, spec);
        r = nf_nl_request(NETLINK_ROUTE, nlh, NULL, NULL);
        if (r < 0)
                nf_seterr(err, errlen, "Cannot set IPv4 setting %d of %s: %s", key, ifname, strerror(-r));
        return r;
}

static int nf_link_mcast(unsigned long req, const char *ifname, const uint8_t mac[6], char *err,
                         size_t errlen) {
        const char *what = req == SIOCADDMULTI ? "join" : "leave";
        struct ifreq ifr = {};
        int fd, r = 0;

        if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE || !(mac[0] & 1)) {
                nf_seterr(err, errlen,
                          "Cannot %s multicast group %02x:%02x:%02x:%02x:%02x:%02x on \"%s\": %s", what,
                          mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], ifname ? ifname : "",
                          !(mac[0] & 1) ? "not a multicast MAC" : "bad interface name");
                return -EINVAL;
        }
        memcpy(ifr.ifr_name, ifname, strlen(ifname));
        ifr.ifr_hwaddr.sa_family = AF_UNSPEC;
        memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);

        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                r = -errno;
        else if (ioctl(fd, req, &ifr) < 0)
                r = -errno;
        if (fd >= 0)
                close(fd);
        /* Leaving a group this host is not in is the state the caller asked for. */
        if (r == -ENOENT && req == SIOCDELMULTI)
                r = 0;
        if (r < 0)
                nf_seterr(err, errlen, "Cannot %s multicast group %02x:%02x:%02x:%02x:%02x:%02x on %s: %s%s",
                          what, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], ifname, strerror(-r),
                          r == -ENODEV ? " (no such interface)" : "");
        return r;
}

int nf_link_mcast_add(const char *ifname, const uint8_t mac[6], char *err, size_t errlen) {
        return nf_link_mcast(SIOCADDMULTI, ifname, mac, err, errlen);
}

int nf_link_mcast_del(const char *ifname, const uint8_t mac[6], char *err, size_t errlen) {
        return nf_link_mcast(SIOCDELMULTI, ifname, mac, err, errlen);
}
