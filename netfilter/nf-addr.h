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

/*
 * netfilter's addresses are the project's one type (common/ip-address.h). The
 * names below are what the netfilter tests and fuzzer were written against;
 * netfilter itself uses the ctdb_ip_* names.
 */
#define nf_addr ctdb_ip
#define NF_ADDR_STRLEN CTDB_IP_STRLEN

static inline int nf_addr_from_string(const char *s, struct ctdb_ip *ret, bool *ret_prefix_given) {
        return ctdb_ip_prefix_from_string(s, ret, ret_prefix_given);
}

static inline const char *nf_addr_to_string(const struct ctdb_ip *a, bool with_prefix, char *buf,
                                            size_t len) {
        return ctdb_ip_to_string(a, with_prefix, buf, len);
}

static inline bool nf_addr_equal(const struct ctdb_ip *a, const struct ctdb_ip *b) {
        return ctdb_ip_equal(a, b);
}

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
