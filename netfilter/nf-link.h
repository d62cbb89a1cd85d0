#pragma once

/*
 * Link state of an interface over rtnetlink (administratively up, carrier) and
 * a monitor that reports every change, for an event loop: poll the fd, then
 * call nf_link_monitor_process().
 */

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

struct nf_link_state {
        int ifindex;
        char ifname[IF_NAMESIZE];
        bool up;                /* IFF_UP: administratively up */
        bool carrier;           /* IFF_LOWER_UP / IFLA_CARRIER */
        bool deleted;           /* from an RTM_DELLINK */
        uint8_t operstate;      /* IF_OPER_* */
        uint32_t flags;         /* IFF_* */
        uint32_t mtu;
        uint8_t mac[32];
        size_t mac_len;
};

/* Reads the state of ifname; -ENODEV with a message if there is no such interface. */
int nf_link_get(const char *ifname, struct nf_link_state *ret, char *err, size_t errlen);

/* Parses one RTM_NEWLINK/RTM_DELLINK message. 0, or -EBADMSG when malformed. */
int nf_link_parse_msg(const struct nlmsghdr *nlh, struct nf_link_state *ret);

/*
 * Sets an IPv4 setting of ifname (IPV4_DEVCONF_* of linux/ip.h, what
 * /proc/sys/net/ipv4/conf/IFNAME/ shows) over rtnetlink, so that a daemon
 * whose /proc/sys is read-only can still set it.
 */
int nf_link_set_ipv4_conf(const char *ifname, int key, uint32_t value, char *err, size_t errlen);

/* "up" / "down" and "carrier" / "no-carrier" for people. */
const char *nf_link_state_string(const struct nf_link_state *s, char *buf, size_t len);

typedef struct nf_link_monitor nf_link_monitor;
typedef void (*nf_link_cb)(const struct nf_link_state *state, void *userdata);

int nf_link_monitor_new(nf_link_monitor **ret);
nf_link_monitor *nf_link_monitor_free(nf_link_monitor *m);
/* Non-blocking fd that becomes readable when the kernel reports link changes. */
int nf_link_monitor_fd(nf_link_monitor *m);
/*
 * Reads every pending notification and calls cb once per RTM_NEWLINK or
 * RTM_DELLINK. Returns the number of notifications, 0 if none was pending,
 * or a negative errno (-ENOBUFS: notifications were lost, re-read all links).
 */
int nf_link_monitor_process(nf_link_monitor *m, nf_link_cb cb, void *userdata);

/*
 * Joins (add) or leaves link-layer multicast group mac on ifname, as "ip maddr
 * add/del" (SIOCADDMULTI/SIOCDELMULTI): a NIC then passes frames to mac up.
 * The kernel keeps one membership per group for such callers, so joining
 * twice and leaving a group not joined are no errors. mac must be multicast.
 */
int nf_link_mcast_add(const char *ifname, const uint8_t mac[6], char *err, size_t errlen);
int nf_link_mcast_del(const char *ifname, const uint8_t mac[6], char *err, size_t errlen);
