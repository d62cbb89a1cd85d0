#pragma once

/*
 * Load balancing: one address served by all healthy nodes of a group at once
 * (CTDB's LVS, configured as CTDB has it: CTDB_LVS_NODES, CTDB_LVS_PUBLIC_IP,
 * CTDB_LVS_PUBLIC_IFACE in script.options). Not IPVS: CTDB's LVS sends all
 * inbound traffic through one leader; here every node receives every packet
 * (the address resolves to a multicast MAC that every serving node joins,
 * as Pacemaker's IPaddr2 clone did with CLUSTERIP) and keeps the clients whose
 * source address hashes to its slot (netfilter/nf-tables.h, chain lb). So
 * there is no leader and follower-only has no effect. IPv4 only: the MAC
 * trick is ARP's, and IPv6 neighbour discovery would need its own mangling.
 *
 * When the set of serving nodes changes, clients whose slot moves to another
 * node lose their TCP connections (the new node answers them with a reset);
 * the others keep theirs.
 */

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ip-address.h"

struct ipd_lb;

/*
 * Reads CONFIG_DIR/script.options and the LVS nodes file (node addresses
 * mapped to PNNs through nodes). *ret = NULL and 0 when LVS is not
 * configured (no CTDB_LVS_NODES); -EINVAL with *ret_error naming the file and
 * line for a bad configuration. Nothing is applied until ipd_lb_update().
 */
int ipd_lb_new(void *mem_ctx, const char *config_dir, const struct ctdb_nodes *nodes, struct ipd_lb **ret,
               char **ret_error);

/*
 * Applies what this node should do given every node's CTDB flags (indexed by
 * PNN): if it serves, the address on the interface, the multicast membership,
 * the ARP rule and the hash rule with its slot; if not, removes them.
 * Idempotent: call it after every change of flags or membership.
 */
int ipd_lb_update(struct ipd_lb *lb, uint32_t this_pnn, const uint32_t *flags, uint32_t n_nodes, char *err,
                  size_t errlen);

/* Removes everything ipd_lb_update() added (best effort: on the way out). NULL is fine. */
void ipd_lb_stop(struct ipd_lb *lb);

/* The address and this node's share as last applied: N = 0 when it does not serve. */
const struct ctdb_ip *ipd_lb_address(const struct ipd_lb *lb);
void ipd_lb_share(const struct ipd_lb *lb, uint32_t *ret_n, uint32_t *ret_slot);

/*
 * The cluster MAC of an IPv4 address, the same on every node: 03:63 and the
 * four address bytes (multicast and locally administered, so it is no
 * vendor's and outside IANA's 01:00:5e IPv4 multicast range; no hash, so two
 * addresses never share one).
 */
void ipd_lb_cluster_mac(const struct ctdb_ip *a, uint8_t ret_mac[6]);
