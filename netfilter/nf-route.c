#include "nf-route.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nf-netlink.h"

static int nf_route_change(uint16_t type, const struct nf_route *rt, char *err, size_t errlen) {
        const char *what = type == RTM_NEWROUTE ? "add" : "remove";
        char buf[MNL_SOCKET_BUFFER_SIZE], d[CTDB_IP_STRLEN], g[CTDB_IP_STRLEN] = "";
        struct nlmsghdr *nlh;
        struct rtmsg *rtm;
        unsigned ifindex = 0;
        int r;

        ctdb_ip_to_string(&rt->dst, true, d, sizeof(d));
        if (rt->gw.family != 0)
                ctdb_ip_to_string(&rt->gw, false, g, sizeof(g));
        if ((rt->dst.family != AF_INET && rt->dst.family != AF_INET6) ||
            (rt->gw.family != 0 && rt->gw.family != rt->dst.family) ||
            rt->dst.prefixlen > ctdb_ip_family_bits(rt->dst.family) ||
            strnlen(rt->ifname, sizeof(rt->ifname)) >= sizeof(rt->ifname) ||
            (rt->gw.family == 0 && !rt->ifname[0])) {
                nf_seterr(err, errlen,
                          "Cannot %s route %s: need an address family, a gateway of the same "
                          "family or an interface",
                          what, d);
                return -EINVAL;
        }
        if (rt->ifname[0]) {
                ifindex = if_nametoindex(rt->ifname);
                if (ifindex == 0) {
                        nf_seterr(err, errlen, "Cannot %s route %s: interface %s does not exist", what, d,
                                  rt->ifname);
                        return -ENODEV;
                }
        }

        nlh = nf_nl_request_new(buf, type,
                                NLM_F_ACK | (type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_REPLACE : 0),
                                sizeof(*rtm));
        rtm = mnl_nlmsg_get_payload(nlh);
        rtm->rtm_family = (uint8_t) rt->dst.family;
        rtm->rtm_dst_len = (uint8_t) rt->dst.prefixlen;
        rtm->rtm_table = RT_TABLE_MAIN;
        if (type == RTM_NEWROUTE) {
                rtm->rtm_protocol = RTPROT_STATIC;
                rtm->rtm_scope = rt->gw.family != 0 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
                rtm->rtm_type = RTN_UNICAST;
        } else
                rtm->rtm_scope = RT_SCOPE_NOWHERE;
        mnl_attr_put(nlh, RTA_DST, ctdb_ip_len(&rt->dst), rt->dst.u.bytes);
        if (rt->gw.family != 0)
                mnl_attr_put(nlh, RTA_GATEWAY, ctdb_ip_len(&rt->gw), rt->gw.u.bytes);
        if (ifindex)
                mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
        mnl_attr_put_u32(nlh, RTA_PRIORITY, rt->metric);

        r = nf_nl_request(NETLINK_ROUTE, nlh, NULL, NULL);
        /* Removing a route that is not there is the state the caller asked for. */
        if (r == -ESRCH && type == RTM_DELROUTE)
                return 0;
        if (r < 0)
                nf_seterr(err, errlen, "Cannot %s route %s%s%s%s%s metric %u: %s", what, d,
                          g[0] ? " via " : "", g, rt->ifname[0] ? " dev " : "", rt->ifname, rt->metric,
                          strerror(-r));
        return r;
}

int nf_route_add(const struct nf_route *rt, char *err, size_t errlen) {
        return nf_route_change(RTM_NEWROUTE, rt, err, errlen);
}

int nf_route_del(const struct nf_route *rt, char *err, size_t errlen) {
        return nf_route_change(RTM_DELROUTE, rt, err, errlen);
}

int nf_forwarding_set(int family, bool on, bool *ret_was, char *err, size_t errlen) {
        const char *path = family == AF_INET6 ? "/proc/sys/net/ipv6/conf/all/forwarding"
                                              : "/proc/sys/net/ipv4/ip_forward";
        char c = '0';
        int fd, r = 0;

        errno = 0; /* a short read or write sets none */
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                r = -errno;
        else if (read(fd, &c, 1) != 1)
                r = errno ? -errno : -EIO;
        else if (pwrite(fd, on ? "1\n" : "0\n", 2, 0) != 2)
                r = errno ? -errno : -EIO;
        if (fd >= 0)
                close(fd);
        if (r < 0) {
                nf_seterr(err, errlen, "Cannot switch forwarding %s in %s: %s", on ? "on" : "off", path,
                          strerror(-r));
                return r;
        }
        if (ret_was)
                *ret_was = c != '0';
        return 0;
}
