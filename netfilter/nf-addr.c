#include "nf-addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nf-netlink.h"

int nf_addr_parse_msg(const struct nlmsghdr *nlh, struct nf_addr_info *ret) {
        const struct ifaddrmsg *ifa;
        const struct nlattr *attr;
        const void *local = NULL, *address = NULL;
        struct nf_addr_info info = {};

        if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
                return -EBADMSG;
        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
                return -EBADMSG;
        ifa = mnl_nlmsg_get_payload(nlh);
        if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
                return -EBADMSG;
        info.addr.family = ifa->ifa_family;
        if (ifa->ifa_prefixlen > (ifa->ifa_family == AF_INET ? 32 : 128))
                return -EBADMSG;
        info.addr.prefixlen = ifa->ifa_prefixlen;
        info.ifindex = (int) ifa->ifa_index;
        info.flags = ifa->ifa_flags;
        info.scope = ifa->ifa_scope;

        mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
                uint16_t type = mnl_attr_get_type(attr);
                size_t plen = mnl_attr_get_payload_len(attr);

                switch (type) {
                case IFA_ADDRESS:
                case IFA_LOCAL:
                        if (plen != ctdb_ip_len(&info.addr))
                                return -EBADMSG;
                        if (type == IFA_LOCAL)
                                local = mnl_attr_get_payload(attr);
                        else
                                address = mnl_attr_get_payload(attr);
                        break;
                case IFA_FLAGS:
                        if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
                                return -EBADMSG;
                        info.flags = mnl_attr_get_u32(attr);
                        break;
                case IFA_LABEL:
                        if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
                                return -EBADMSG;
                        snprintf(info.label, sizeof(info.label), "%s", mnl_attr_get_str(attr));
                        break;
                default:
                        break;
                }
        }
        if (!nf_nl_attrs_done(nlh, attr))
                return -EBADMSG;
        /* On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours. */
        if (local)
                memcpy(info.addr.u.bytes, local, ctdb_ip_len(&info.addr));
        else if (address)
                memcpy(info.addr.u.bytes, address, ctdb_ip_len(&info.addr));
        else
                return -EBADMSG;
        *ret = info;
        return 0;
}

static int nf_ifindex(const char *ifname, const char *what, const struct ctdb_ip *a, char *err,
                      size_t errlen) {
        char s[CTDB_IP_STRLEN];
        unsigned idx;

        if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE) {
                nf_seterr(err, errlen, "Invalid interface name \"%s\" for %s %s", ifname ? ifname : "",
                          what, ctdb_ip_to_string(a, true, s, sizeof(s)));
                return -EINVAL;
        }
        idx = if_nametoindex(ifname);
        if (idx == 0) {
                int r = errno == ENXIO || errno == ENODEV || errno == 0 ? -ENODEV : -errno;
                nf_seterr(err, errlen, "Cannot %s %s: interface %s does not exist", what,
                          ctdb_ip_to_string(a, true, s, sizeof(s)), ifname);
                return r;
        }
        return (int) idx;
}

static void nf_addr_put(struct nlmsghdr *nlh, const struct ctdb_ip *a, uint16_t type) {
        mnl_attr_put(nlh, type, ctdb_ip_len(a), a->u.bytes);
}

static int nf_addr_change(uint16_t msgtype, int ifindex, const struct ctdb_ip *a, unsigned flags) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;
        struct ifaddrmsg *ifa;
        uint32_t ifa_flags = 0;

        nlh = nf_nl_request_new(buf, msgtype,
                                NLM_F_ACK | (msgtype == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0),
                                sizeof(*ifa));
        ifa = mnl_nlmsg_get_payload(nlh);
        ifa->ifa_family = (uint8_t) a->family;
        ifa->ifa_prefixlen = (uint8_t) a->prefixlen;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (uint32_t) ifindex;

        nf_addr_put(nlh, a, IFA_LOCAL);
        nf_addr_put(nlh, a, IFA_ADDRESS);
        if (msgtype == RTM_NEWADDR) {
                if (a->family == AF_INET && a->prefixlen < 31) {
                        struct in_addr brd = a->u.in;
                        brd.s_addr |=
                                htonl(a->prefixlen == 0 ? 0xffffffffu : (1u << (32 - a->prefixlen)) - 1);
                        mnl_attr_put(nlh, IFA_BROADCAST, sizeof(brd), &brd);
                }
                if (flags & NF_ADDR_NOPREFIXROUTE)
                        ifa_flags |= IFA_F_NOPREFIXROUTE;
                if ((flags & NF_ADDR_NODAD) && a->family == AF_INET6)
                        ifa_flags |= IFA_F_NODAD;
                ifa->ifa_flags = (uint8_t) (ifa_flags & 0xff);
                if (ifa_flags)
                        mnl_attr_put_u32(nlh, IFA_FLAGS, ifa_flags);
        }

        return nf_nl_request(NETLINK_ROUTE, nlh, NULL, NULL);
}

int nf_addr_add(const char *ifname, const struct ctdb_ip *a, unsigned flags, char *err, size_t errlen) {
        char s[CTDB_IP_STRLEN];
        int idx, r;

        idx = nf_ifindex(ifname, "add", a, err, errlen);
        if (idx < 0)
                return idx;
        r = nf_addr_change(RTM_NEWADDR, idx, a, flags);
        if (r == -EEXIST)
                nf_seterr(err, errlen, "Cannot add %s to %s: the address is already there",
                          ctdb_ip_to_string(a, true, s, sizeof(s)), ifname);
        else if (r < 0)
                nf_seterr(err, errlen, "Cannot add %s to %s: %s", ctdb_ip_to_string(a, true, s, sizeof(s)),
                          ifname, strerror(-r));
        return r;
}

struct nf_addr_find {
        const struct ctdb_ip *want;
        unsigned prefixlen;
        bool found;
};

static int nf_addr_find_cb(const struct nf_addr_info *info, void *userdata) {
        struct nf_addr_find *f = userdata;

        if (ctdb_ip_equal(&info->addr, f->want)) {
                f->prefixlen = info->addr.prefixlen;
                f->found = true;
        }
        return 0;
}

int nf_addr_del(const char *ifname, const struct ctdb_ip *a, char *err, size_t errlen) {
        char s[CTDB_IP_STRLEN];
        struct ctdb_ip del = *a;
        int idx, r;

        idx = nf_ifindex(ifname, "remove", a, err, errlen);
        if (idx < 0)
                return idx;
        if (del.prefixlen == 0) {
                struct nf_addr_find f = { .want = a };

                r = nf_addr_list(ifname, a->family, nf_addr_find_cb, &f, err, errlen);
                if (r < 0)
                        return r;
                if (!f.found) {
                        nf_seterr(err, errlen, "Cannot remove %s from %s: the address is not there",
                                  ctdb_ip_to_string(a, false, s, sizeof(s)), ifname);
                        return -EADDRNOTAVAIL;
                }
                del.prefixlen = f.prefixlen;
        }
        r = nf_addr_change(RTM_DELADDR, idx, &del, 0);
        /* IPv4 says EADDRNOTAVAIL, older kernels ENOENT or ENODEV for an absent address. */
        if (r == -EADDRNOTAVAIL || r == -ENOENT || r == -ENODEV) {
                nf_seterr(err, errlen, "Cannot remove %s from %s: the address is not there",
                          ctdb_ip_to_string(&del, true, s, sizeof(s)), ifname);
                return -EADDRNOTAVAIL;
        }
        if (r < 0)
                nf_seterr(err, errlen, "Cannot remove %s from %s: %s",
                          ctdb_ip_to_string(&del, true, s, sizeof(s)), ifname, strerror(-r));
        return r;
}

struct nf_addr_walk {
        int ifindex;
        int family;
        nf_addr_cb cb;
        void *userdata;
        int r;
};

static int nf_addr_walk_cb(const struct nlmsghdr *nlh, void *data) {
        struct nf_addr_walk *w = data;
        struct nf_addr_info info;

        if (nf_addr_parse_msg(nlh, &info) < 0) {
                errno = EBADMSG;
                w->r = -EBADMSG;
                return MNL_CB_ERROR;
        }
        if (w->ifindex > 0 && info.ifindex != w->ifindex)
                return MNL_CB_OK;
        if (w->family != AF_UNSPEC && info.addr.family != w->family)
                return MNL_CB_OK;
        w->r = w->cb(&info, w->userdata);
        if (w->r < 0) {
                errno = -w->r;
                return MNL_CB_ERROR;
        }
        return MNL_CB_OK;
}

int nf_addr_list(const char *ifname, int family, nf_addr_cb cb, void *userdata, char *err, size_t errlen) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nf_addr_walk w = { .family = family, .cb = cb, .userdata = userdata };
        struct nlmsghdr *nlh;
        struct ifaddrmsg *ifa;
        int r;

        if (ifname) {
                w.ifindex = (int) if_nametoindex(ifname);
                if (w.ifindex == 0) {
                        nf_seterr(err, errlen, "Cannot list addresses: interface %s does not exist", ifname);
                        return -ENODEV;
                }
        }
        nlh = nf_nl_request_new(buf, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));
        ifa = mnl_nlmsg_get_payload(nlh);
        ifa->ifa_family = (uint8_t) family;
        r = nf_nl_request(NETLINK_ROUTE, nlh, nf_addr_walk_cb, &w);
        if (w.r < 0)
                r = w.r;
        if (r < 0)
                nf_seterr(err, errlen, "Cannot list addresses of %s: %s", ifname ? ifname : "all interfaces",
                          strerror(-r));
        return r;
}
