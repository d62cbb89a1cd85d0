#pragma once

/*
 * NAT gateway: one node of a group carries the outbound traffic of all the
 * others (CTDB's 11.natgw.script, configured as CTDB has it in script.options:
 * CTDB_NATGW_NODES, _PUBLIC_IP, _PUBLIC_IFACE, _PRIVATE_NETWORK,
 * _DEFAULT_GATEWAY, _STATIC_ROUTES). The leader holds the NATGW public
 * address, masquerades the private network (chain natgw of inet ctdb),
 * forwards, and routes the static routes through their gateways; every other
 * node routes them through the leader's private address, metric 10 (so a
 * node's own public address route, if any, wins). IPv4, as CTDB's.
 */

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ip-address.h"
#include "nf-route.h"

struct ipd_natgw;

/* As ipd_lb_new(): *ret = NULL and 0 without CTDB_NATGW_NODES. */
int ipd_natgw_new(void *mem_ctx, const char *config_dir, const struct ctdb_nodes *nodes,
                  struct ipd_natgw **ret, char **ret_error);

/*
 * Chooses the leader from every node's flags (ipd_group_natgw_leader()) and
 * makes this node its leader or its follower, removing what the other role
 * had added. Idempotent. With no possible leader it removes everything and
 * returns -EHOSTUNREACH ("no NAT gateway leader"), as CTDB's event fails.
 */
int ipd_natgw_update(struct ipd_natgw *ng, uint32_t this_pnn, const uint32_t *flags, uint32_t n_nodes,
                     char *err, size_t errlen);

/* Removes everything ipd_natgw_update() added (best effort: on the way out). NULL is fine. */
void ipd_natgw_stop(struct ipd_natgw *ng);
/* For ctdb-ipd release-all (a fresh object, role unknown): removes what either role may have added. */
void ipd_natgw_release_all(struct ipd_natgw *ng);

/* The leader as last applied, CTDB_PNN_NONE for none. */
uint32_t ipd_natgw_leader(const struct ipd_natgw *ng);

/*
 * Parses CTDB_NATGW_STATIC_ROUTES ("NET[@GW] ...", default "0.0.0.0/0"):
 * each NET with its gateway, or default_gw (may be NULL) when none is given;
 * gw.family 0 when there is neither (the leader then skips that route, as
 * CTDB does). Metric 10. -EINVAL with "what" naming the bad item.
 */
int ipd_natgw_parse_routes(void *mem_ctx, const char *routes, const char *default_gw, struct nf_route **ret,
                           size_t *ret_n, char **ret_error);
