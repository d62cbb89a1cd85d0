#pragma once

/*
 * Routes over rtnetlink (the NAT gateway's static routes and its followers'
 * routes via the gateway) and the forwarding switch of the namespace. Every
 * call opens its own netlink socket in the caller's network namespace.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip-address.h"

struct nf_route {
        struct ctdb_ip dst;       /* destination network; its prefixlen counts */
        struct ctdb_ip gw;        /* gateway; family 0: none (on-link through ifname) */
        char ifname[IF_NAMESIZE]; /* "": the kernel picks it from gw */
        uint32_t metric;          /* RTA_PRIORITY */
};

/*
 * Adds rt to the main table, replacing a route to the same destination with
 * the same metric (so moving a gateway is one call, and adding twice is no
 * error). Needs a gateway or an interface.
 */
int nf_route_add(const struct nf_route *rt, char *err, size_t errlen);

/* Removes rt (destination, metric and, when given, gateway and interface); absent is no error. */
int nf_route_del(const struct nf_route *rt, char *err, size_t errlen);

/*
 * Switches forwarding of family (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding)
 * in this namespace; *ret_was (may be NULL) is what it was before.
 */
int nf_forwarding_set(int family, bool on, bool *ret_was, char *err, size_t errlen);
