#pragma once

/*
 * IPv4 and IPv6 addresses on interfaces, over rtnetlink: the address moves of
 * an IP takeover and release. Every call opens its own netlink socket in the
 * caller's network namespace and waits for the kernel's answer.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ip-address.h"

struct nlmsghdr;

/* Flags for nf_addr_add(). */
enum {
        /* No prefix route for the address's network (IFA_F_NOPREFIXROUTE). */
        NF_ADDR_NOPREFIXROUTE = 1u << 0,
        /* IPv6: usable at once, no duplicate address detection (IFA_F_NODAD). */
        NF_ADDR_NODAD = 1u << 1,
};

struct nf_addr_info {
        int ifindex;
        struct ctdb_ip addr;
        uint32_t flags;         /* IFA_F_* */
        uint8_t scope;
        char label[16];
};

/*
 * Adds a to ifname and waits for the kernel's confirmation. IPv4 addresses get
 * the broadcast address of their prefix (like "brd +"). -EEXIST if already
 * there, -ENODEV if the interface does not exist.
 */
int nf_addr_add(const char *ifname, const struct ctdb_ip *a, unsigned flags, char *err, size_t errlen);

/*
 * Removes a from ifname. With a->prefixlen == 0 the prefix the address has on
 * the interface is looked up first. -EADDRNOTAVAIL if it is not there.
 */
int nf_addr_del(const char *ifname, const struct ctdb_ip *a, char *err, size_t errlen);

typedef int (*nf_addr_cb)(const struct nf_addr_info *info, void *userdata);

/*
 * Calls cb for every address of family (AF_UNSPEC: both) on ifname (NULL: all
 * interfaces). A negative return of cb stops the walk and is returned.
 */
int nf_addr_list(const char *ifname, int family, nf_addr_cb cb, void *userdata, char *err, size_t errlen);

/* Parses one RTM_NEWADDR/RTM_DELADDR message. 0, or -EBADMSG when malformed. */
int nf_addr_parse_msg(const struct nlmsghdr *nlh, struct nf_addr_info *ret);
