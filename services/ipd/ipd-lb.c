/* Load balancing of one address over the healthy nodes; see ipd-lb.h. */

#include "ipd-lb.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "ipd-scriptopts.h"
#include "nf-addr.h"
#include "nf-link.h"
#include "nf-tables.h"
#include "talloc-util.h"

struct ipd_lb {
        struct ipd_group *group;
        struct ctdb_ip addr;
        char iface[IF_NAMESIZE];
        uint8_t mac[6];
        /* What is applied now: n == 0 is nothing. */
        uint32_t n, slot;
};

void ipd_lb_cluster_mac(const struct ctdb_ip *a, uint8_t ret_mac[6]) {
        ret_mac[0] = 0x03;
        ret_mac[1] = 0x63;
        memcpy(ret_mac + 2, a->u.bytes, 4);
}

int ipd_lb_new(void *mem_ctx, const char *config_dir, const struct ctdb_nodes *nodes, struct ipd_lb **ret,
               char **ret_error) {
        _cleanup_talloc_ struct ipd_lb *lb = talloc_zero(NULL, struct ipd_lb);
        struct ipd_script_options *o;
        const char *ip, *iface;
        bool prefix_given;
        int r;

        *ret = NULL;
        if (!lb)
                return -ENOMEM;
        r = ipd_script_options_load(lb, config_dir, &o, ret_error);
        if (r < 0)
                goto fail;
        if (!o->value[IPD_OPT_LVS_NODES])
                return 0;
        ip = o->value[IPD_OPT_LVS_PUBLIC_IP];
        iface = o->value[IPD_OPT_LVS_PUBLIC_IFACE];
        /* Every node serves here, so every node needs both (CTDB spares follower-only nodes). */
        if (!ip || !iface) {
                return ipd_set_error(mem_ctx, ret_error, -EINVAL, "%s: CTDB_LVS_NODES is set but %s is not",
                                     o->file, !ip ? "CTDB_LVS_PUBLIC_IP" : "CTDB_LVS_PUBLIC_IFACE");
        }
        if (ctdb_ip_prefix_from_string(ip, &lb->addr, &prefix_given) < 0 || lb->addr.family != AF_INET) {
                return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                     "%s:%u: CTDB_LVS_PUBLIC_IP: \"%s\" is not an IPv4 address (IPv6 load "
                                     "balancing is not supported)",
                                     o->file, o->line[IPD_OPT_LVS_PUBLIC_IP], ip);
        }
        if (strlen(iface) >= sizeof(lb->iface)) {
                return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                     "%s:%u: CTDB_LVS_PUBLIC_IFACE: \"%s\" is too long", o->file,
                                     o->line[IPD_OPT_LVS_PUBLIC_IFACE], iface);
        }
        /* CTDB adds the LVS address as /32; a prefix given is kept. */
        if (!prefix_given)
                lb->addr.prefixlen = 32;
        memcpy(lb->iface, iface, strlen(iface));
        ipd_lb_cluster_mac(&lb->addr, lb->mac);
        r = ipd_group_load(lb, config_dir, o->value[IPD_OPT_LVS_NODES], nodes, &lb->group, ret_error);
        if (r < 0)
                goto fail;
        talloc_free(o);
        *ret = talloc_steal(mem_ctx, lb);
        lb = NULL;
        return 0;
fail:
        if (ret_error && *ret_error)
                talloc_steal(mem_ctx, *ret_error);
        return r;
}

/* Applies serving with slot of n; each step is idempotent, so a retry after a failure redoes all. */
static int lb_apply(struct ipd_lb *lb, uint32_t n, uint32_t slot, char *err, size_t errlen) {
        struct nf_lb_entry e = { .addr = lb->addr, .modulus = n, .slot = slot };
        struct nf_arp_entry a = { .addr = lb->addr };
        int r;

        memcpy(a.mac, lb->mac, sizeof(a.mac));
        /* The hash rule first: a node that joins must never take every client, even briefly. */
        r = nf_tables_lb_apply(&e, 1, err, errlen);
        if (r >= 0)
                r = nf_link_mcast_add(lb->iface, lb->mac, err, errlen);
        if (r >= 0)
                r = nf_tables_arp_apply(&a, 1, err, errlen);
        if (r >= 0) {
                r = nf_addr_add(lb->iface, &lb->addr, 0, err, errlen);
                if (r == -EEXIST)
                        r = 0;
        }
        return r;
}

/* Removes in the reverse order: the address first, so no client is answered by a half-set node. */
static int lb_withdraw(struct ipd_lb *lb, char *err, size_t errlen) {
        int r, q;

        r = nf_addr_del(lb->iface, &lb->addr, err, errlen);
        if (r == -EADDRNOTAVAIL || r == -ENODEV)
                r = 0;
        q = nf_tables_arp_apply(NULL, 0, r < 0 ? NULL : err, errlen);
        r = r < 0 ? r : q;
        q = nf_link_mcast_del(lb->iface, lb->mac, r < 0 ? NULL : err, errlen);
        /* The interface may be gone, and its memberships with it. */
        if (q == -ENODEV)
                q = 0;
        r = r < 0 ? r : q;
        q = nf_tables_lb_apply(NULL, 0, r < 0 ? NULL : err, errlen);
        return r < 0 ? r : q;
}

int ipd_lb_update(struct ipd_lb *lb, uint32_t this_pnn, const uint32_t *flags, uint32_t n_nodes, char *err,
                  size_t errlen) {
        uint32_t slot, n = ipd_group_lb_slot(lb->group, this_pnn, flags, n_nodes, &slot);
        int r;

        if (slot == UINT32_MAX) {
                r = lb_withdraw(lb, err, errlen);
                if (r >= 0)
                        lb->n = lb->slot = 0;
                return r;
        }
        r = lb_apply(lb, n, slot, err, errlen);
        if (r < 0)
                return r;
        lb->n = n;
        lb->slot = slot;
        return 0;
}

void ipd_lb_stop(struct ipd_lb *lb) {
        if (!lb)
                return;
        /* Stopping is the last thing the daemon does: what cannot be removed now has no one to retry it. */
        (void) lb_withdraw(lb, NULL, 0);
        lb->n = lb->slot = 0;
}

const struct ctdb_ip *ipd_lb_address(const struct ipd_lb *lb) {
        return &lb->addr;
}

void ipd_lb_share(const struct ipd_lb *lb, uint32_t *ret_n, uint32_t *ret_slot) {
        *ret_n = lb->n;
        *ret_slot = lb->slot;
}
