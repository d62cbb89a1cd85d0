#pragma once

/*
 * nftables through libnftnl, all in the one table "inet ctdb" and never
 * outside it, but for the ARP rules of load balancing, which only an ARP
 * family table can hold: table "arp ctdb". Every function is one netlink batch: it is applied whole or not
 * at all, and the first error the kernel reports comes back as a negative
 * errno with a message naming the object (table, chain, set, address).
 * Applying the same state twice is a no-op.
 *
 *   table inet ctdb
 *     set release4/release6   addresses being released: TCP gets a reset,
 *                             everything else an ICMP port unreachable
 *     set public4/public6     public addresses whose TCP clients are tracked
 *     set tracked4/tracked6   (client addr . port . public addr . port), filled
 *                             by the kernel, read with nf_tables_tracked_list()
 *     chain input             the rules over those sets (nf_tables_create())
 *     chain output            SYN-ACKs of public addresses logged (nf-log.h)
 *     chain lb                load balancing (prerouting), owned by nf_tables_lb_apply()
 *     chain natgw             NAT gateway, owned by nf_tables_natgw_apply()
 *   table arp ctdb
 *     chain output            the cluster MAC in this host's ARP, owned by nf_tables_arp_apply()
 */

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "nf-addr.h"
#include "nf-tickle.h"

struct nlmsghdr;

#define NF_TABLE_NAME "ctdb"
/* A tracked connection is forgotten after this long without a packet from the client. */
#define NF_TRACKED_TIMEOUT_MS (3600u * 1000u)
#define NF_TRACKED_MAX 65536u
/* The seed of the load-balancing hash: every node must use the same one. */
#define NF_LB_SEED 0x63746462u
/* Limits on what one apply call takes, so a batch always fits its buffer. */
#define NF_ADDRS_MAX 256u
#define NF_LB_MAX 256u
#define NF_NATGW_MAX 16u

/* Creates the table, its sets and the input chain (replacing that chain's rules). */
int nf_tables_create(char *err, size_t errlen);
/* Deletes the table and everything in it; no error if it does not exist. */
int nf_tables_delete(char *err, size_t errlen);

/* Adds/removes addresses to/from the release (reset) set. Only the address part of a counts. */
int nf_tables_release_add(const struct ctdb_ip *a, size_t n, char *err, size_t errlen);
int nf_tables_release_del(const struct ctdb_ip *a, size_t n, char *err, size_t errlen);
/* Adds/removes public addresses whose TCP connections are tracked. */
int nf_tables_public_add(const struct ctdb_ip *a, size_t n, char *err, size_t errlen);
int nf_tables_public_del(const struct ctdb_ip *a, size_t n, char *err, size_t errlen);

struct nf_tracked_conn {
        union nf_sockaddr client;
        union nf_sockaddr server;       /* the public address and port */
        uint64_t expires_ms;            /* until the kernel forgets it; 0 if unknown */
};

typedef int (*nf_tracked_cb)(const struct nf_tracked_conn *c, void *userdata);

/* Calls cb for every tracked connection of family (AF_UNSPEC: both). */
int nf_tables_tracked_list(int family, nf_tracked_cb cb, void *userdata, char *err, size_t errlen);
/*
 * Parses one NFT_MSG_NEWSETELEM message of a tracked set and calls cb per
 * element. Returns the number of elements, or -EBADMSG when malformed, or cb's
 * negative return.
 */
int nf_tables_tracked_parse_msg(const struct nlmsghdr *nlh, nf_tracked_cb cb, void *userdata);

struct nf_lb_entry {
        struct ctdb_ip addr;            /* the shared address */
        uint32_t modulus;               /* N: number of slots, >= 1 */
        uint32_t slot;                  /* this node's slot, < N */
};

/*
 * Replaces the load-balancing rules: for each entry, traffic to addr is
 * dropped unless jhash(source address) mod N == slot; what is kept is made a
 * packet for this host (it may have come in a frame to a multicast MAC, see
 * nf_tables_arp_apply()). Loopback traffic is never dropped. n == 0 removes them.
 */
int nf_tables_lb_apply(const struct nf_lb_entry *e, size_t n, char *err, size_t errlen);

struct nf_arp_entry {
        struct ctdb_ip addr; /* IPv4 only: IPv6 has no ARP */
        uint8_t mac[6];      /* the cluster (multicast) MAC of addr */
};

/*
 * Replaces the ARP rules: every ARP request and reply this host sends with
 * sender address addr carries mac as its sender hardware address, so that
 * every neighbour resolves addr to mac and every serving node (each a member
 * of mac, nf_link_mcast_add()) receives every packet to addr, as CLUSTERIP
 * did. n == 0 deletes table arp ctdb.
 */
int nf_tables_arp_apply(const struct nf_arp_entry *e, size_t n, char *err, size_t errlen);

struct nf_natgw_entry {
        struct ctdb_ip network;         /* private network, e.g. 192.0.2.0/24 */
        char ifname[IF_NAMESIZE];       /* public interface */
};

/*
 * Replaces the NAT gateway rules: traffic from network to outside network
 * leaving through ifname is masqueraded. n == 0 removes them.
 */
int nf_tables_natgw_apply(const struct nf_natgw_entry *e, size_t n, char *err, size_t errlen);
