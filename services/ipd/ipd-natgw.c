/* The NAT gateway of a group of nodes; see ipd-natgw.h. */

#include "ipd-natgw.h"

#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "ipd-scriptopts.h"
#include "log.h"
#include "nf-addr.h"
#include "nf-probe.h"
#include "nf-tables.h"
#include "talloc-util.h"

/* CTDB's: below the routes a node's own public addresses bring. */
#define NATGW_METRIC     10u
#define NATGW_ROUTES_MAX 64u

enum natgw_role { ROLE_NONE, ROLE_LEADER, ROLE_FOLLOWER };

struct ipd_natgw {
        struct ipd_group *group;
        bool have_public;
        struct ctdb_ip public_ip;
        char iface[IF_NAMESIZE];
        struct ctdb_ip private_net;
        struct nf_route *routes;
        size_t n_routes;
        /* What is applied now. */
        enum natgw_role role;
        uint32_t leader;
        struct ctdb_ip via; /* a follower's gateway: the leader's private address */
        bool forward_set, forward_was;
        bool addr_added;                /* the public address is on iface (by us) */
};

int ipd_natgw_parse_routes(void *mem_ctx, const char *routes, const char *default_gw, struct nf_route **ret,
                           size_t *ret_n, char **ret_error) {
        _cleanup_talloc_ char *copy = talloc_strdup(NULL, routes ? routes : "0.0.0.0/0");
        _cleanup_talloc_ struct nf_route *rt = talloc_zero_array(NULL, struct nf_route, NATGW_ROUTES_MAX);
        char *item, *save = NULL;
        size_t n = 0;

        if (!copy || !rt)
                return -ENOMEM;
        for (item = strtok_r(copy, " \t", &save); item; item = strtok_r(NULL, " \t", &save)) {
                char *at = strchr(item, '@');
                const char *gw = at ? at + 1 : default_gw;
                bool prefix_given;

                if (at)
                        *at = '\0';
                if (n == NATGW_ROUTES_MAX)
                        return ipd_set_error(mem_ctx, ret_error, -E2BIG, "more than %u static routes",
                                             NATGW_ROUTES_MAX);
                if (ctdb_ip_prefix_from_string(item, &rt[n].dst, &prefix_given) < 0 ||
                    rt[n].dst.family != AF_INET)
                        return ipd_set_error(mem_ctx, ret_error, -EINVAL, "\"%s\" is not an IPv4 network",
                                             item);
                if (gw && *gw && (ctdb_ip_from_string(gw, 0, &rt[n].gw) < 0 || rt[n].gw.family != AF_INET))
                        return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                             "gateway \"%s\" of %s is not an IPv4 address", gw, item);
                rt[n].metric = NATGW_METRIC;
                n++;
        }
        *ret = talloc_steal(mem_ctx, rt);
        rt = NULL;
        *ret_n = n;
        return 0;
}

int ipd_natgw_new(void *mem_ctx, const char *config_dir, const struct ctdb_nodes *nodes,
                  struct ipd_natgw **ret, char **ret_error) {
        _cleanup_talloc_ struct ipd_natgw *ng = talloc_zero(NULL, struct ipd_natgw);
        _cleanup_talloc_ char *why = NULL;
        struct ipd_script_options *o;
        const char *v;
        bool prefix_given;
        int r;

        *ret = NULL;
        if (!ng)
                return -ENOMEM;
        ng->leader = CTDB_PNN_NONE;
        r = ipd_script_options_load(ng, config_dir, &o, ret_error);
        if (r < 0)
                goto fail;
        if (!o->value[IPD_OPT_NATGW_NODES])
                return 0;

        v = o->value[IPD_OPT_NATGW_PRIVATE_NETWORK];
        if (!v)
                return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                     "%s: CTDB_NATGW_NODES is set but "
                                     "CTDB_NATGW_PRIVATE_NETWORK is not",
                                     o->file);
        if (ctdb_ip_prefix_from_string(v, &ng->private_net, &prefix_given) < 0 ||
            ng->private_net.family != AF_INET || !prefix_given)
                return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                     "%s:%u: CTDB_NATGW_PRIVATE_NETWORK: \"%s\" is not "
                                     "an IPv4 network (ADDRESS/PREFIX)",
                                     o->file, o->line[IPD_OPT_NATGW_PRIVATE_NETWORK], v);

        /* CTDB needs the public pair only on nodes that may lead; checked when this one is chosen. */
        v = o->value[IPD_OPT_NATGW_PUBLIC_IP];
        if (v) {
                if (ctdb_ip_prefix_from_string(v, &ng->public_ip, &prefix_given) < 0 ||
                    ng->public_ip.family != AF_INET)
                        return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                             "%s:%u: CTDB_NATGW_PUBLIC_IP: \"%s\" is not "
                                             "an IPv4 address",
                                             o->file, o->line[IPD_OPT_NATGW_PUBLIC_IP], v);
                ng->have_public = true;
        }
        v = o->value[IPD_OPT_NATGW_PUBLIC_IFACE];
        if (v) {
                if (strlen(v) >= sizeof(ng->iface))
                        return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                             "%s:%u: CTDB_NATGW_PUBLIC_IFACE: \"%s\" is "
                                             "too long",
                                             o->file, o->line[IPD_OPT_NATGW_PUBLIC_IFACE], v);
                memcpy(ng->iface, v, strlen(v));
        }
        if (ng->have_public != (ng->iface[0] != '\0'))
                return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                     "%s: CTDB_NATGW_PUBLIC_IP and "
                                     "CTDB_NATGW_PUBLIC_IFACE go together",
                                     o->file);

        r = ipd_natgw_parse_routes(ng, o->value[IPD_OPT_NATGW_STATIC_ROUTES],
                                   o->value[IPD_OPT_NATGW_DEFAULT_GATEWAY], &ng->routes, &ng->n_routes,
                                   &why);
        if (r < 0)
                return ipd_set_error(mem_ctx, ret_error, r, "%s:%u: CTDB_NATGW_STATIC_ROUTES: %s", o->file,
                                     o->line[IPD_OPT_NATGW_STATIC_ROUTES], why ? why : strerror(-r));
        r = ipd_group_load(ng, config_dir, o->value[IPD_OPT_NATGW_NODES], nodes, &ng->group, ret_error);
        if (r < 0)
                goto fail;
        talloc_free(o);
        *ret = talloc_steal(mem_ctx, ng);
        ng = NULL;
        return 0;
fail:
        if (ret_error && *ret_error)
                talloc_steal(mem_ctx, *ret_error);
        return r;
}

static void natgw_seterr(char *err, size_t errlen, const char *msg) {
        if (err && errlen)
                snprintf(err, errlen, "%s", msg);
}

/* A route of the configuration as one role installs it. */
static struct nf_route natgw_route(const struct ipd_natgw *ng, size_t i, enum natgw_role role) {
        struct nf_route rt = ng->routes[i];

        if (role == ROLE_FOLLOWER)
                rt.gw = ng->via;
        return rt;
}

/* Removes what role added; keeps going after a failure and reports the first. */
static int natgw_clear(struct ipd_natgw *ng, char *err, size_t errlen) {
        int r = 0, q;

        if (ng->role == ROLE_LEADER) {
                q = nf_addr_del(ng->iface, &ng->public_ip, err, errlen);
                if (q == -EADDRNOTAVAIL || q == -ENODEV)
                        q = 0;
                if (q >= 0)
                        ng->addr_added = false;
                r = q;
                q = nf_tables_natgw_apply(NULL, 0, r < 0 ? NULL : err, errlen);
                r = r < 0 ? r : q;
                if (ng->forward_set && !ng->forward_was) {
                        q = nf_forwarding_set(AF_INET, false, NULL, r < 0 ? NULL : err, errlen);
                        r = r < 0 ? r : q;
                }
                ng->forward_set = false;
        }
        for (size_t i = 0; ng->role != ROLE_NONE && i < ng->n_routes; i++) {
                struct nf_route rt = natgw_route(ng, i, ng->role);

                if (rt.gw.family == 0)
                        continue;
                q = nf_route_del(&rt, r < 0 ? NULL : err, errlen);
                r = r < 0 ? r : q;
        }
        if (r >= 0) {
                ng->role = ROLE_NONE;
                ng->leader = CTDB_PNN_NONE;
        }
        return r;
}

static int natgw_lead(struct ipd_natgw *ng, char *err, size_t errlen) {
        struct nf_natgw_entry e = { .network = ng->private_net };
        int r;

        if (!ng->have_public) {
                natgw_seterr(err, errlen,
                             "This node leads the NAT gateway but has no CTDB_NATGW_PUBLIC_IP and "
                             "CTDB_NATGW_PUBLIC_IFACE (mark it follower-only in the natgw nodes file)");
                return -EINVAL;
        }
        memcpy(e.ifname, ng->iface, sizeof(e.ifname));
        if (!ng->forward_set) {
                r = nf_forwarding_set(AF_INET, true, &ng->forward_was, err, errlen);
                if (r < 0)
                        return r;
                ng->forward_set = true;
        }
        r = nf_tables_natgw_apply(&e, 1, err, errlen);
        if (r < 0)
                return r;
        /*
         * The gateway that died may still have the address until its cleanup
         * (ExecStopPost=) runs: wait, up to 200 ms, until nobody answers for it,
         * so it is never on two nodes (blocking: it happens when the gateway moves).
         */
        if (!ng->addr_added &&
            nf_probe_wait(ng->iface, &ng->public_ip, 5000, 200000, NULL, 0) == -EADDRINUSE)
                log_warning(
                        "The NAT gateway address still answers elsewhere after 200 ms; taking it anyway");
        r = nf_addr_add(ng->iface, &ng->public_ip, 0, err, errlen);
        if (r < 0 && r != -EEXIST)
                return r;
        ng->addr_added = true;
        for (size_t i = 0; i < ng->n_routes; i++) {
                struct nf_route rt = natgw_route(ng, i, ROLE_LEADER);

                if (rt.gw.family == 0)
                        continue; /* no gateway for it: CTDB skips it too */
                r = nf_route_add(&rt, err, errlen);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int natgw_follow(struct ipd_natgw *ng, char *err, size_t errlen) {
        for (size_t i = 0; i < ng->n_routes; i++) {
                struct nf_route rt = natgw_route(ng, i, ROLE_FOLLOWER);
                /* Replaces the route via a previous leader, if any: same destination and metric. */
                int r = nf_route_add(&rt, err, errlen);

                if (r < 0)
                        return r;
        }
        return 0;
}

int ipd_natgw_update(struct ipd_natgw *ng, uint32_t this_pnn, const uint32_t *flags, uint32_t n_nodes,
                     char *err, size_t errlen) {
        uint32_t idx, leader = ipd_group_natgw_leader(ng->group, flags, n_nodes, &idx);
        enum natgw_role role = leader == this_pnn ? ROLE_LEADER : ROLE_FOLLOWER;
        int r;

        if (leader == CTDB_PNN_NONE) {
                r = natgw_clear(ng, err, errlen);
                if (r < 0)
                        return r;
                natgw_seterr(err, errlen,
                             "There is no NAT gateway leader: no node of the natgw nodes file that is "
                             "not follower-only is connected and enabled");
                return -EHOSTUNREACH;
        }
        /* A new role, or a follower of a new leader: clear the old routes first (their gateway differs). */
        if (ng->role != ROLE_NONE && (ng->role != role || ng->leader != leader)) {
                r = natgw_clear(ng, err, errlen);
                if (r < 0)
                        return r;
        }
        ng->via = ng->group->nodes[idx].addr;
        ng->role = role;
        ng->leader = leader;
        return role == ROLE_LEADER ? natgw_lead(ng, err, errlen) : natgw_follow(ng, err, errlen);
}

void ipd_natgw_stop(struct ipd_natgw *ng) {
        if (!ng)
                return;
        /* Stopping is the last thing the daemon does: what cannot be removed now has no one to retry it. */
        (void) natgw_clear(ng, NULL, 0);
}

void ipd_natgw_release_all(struct ipd_natgw *ng) {
        if (!ng)
                return;
        /*
         * After a crash nobody knows the role this node had: remove whatever
         * either role adds. The masquerade rule goes with table inet ctdb;
         * forwarding stays as it is (what it was before is not known here).
         */
        if (ng->have_public)
                (void) nf_addr_del(ng->iface, &ng->public_ip, NULL, 0);
        for (size_t i = 0; i < ng->n_routes; i++) {
                struct nf_route rt = ng->routes[i];

                /* No gateway: a delete then matches the route whatever its gateway. */
                rt.gw.family = 0;
                rt.ifname[0] = '\0';
                (void) nf_route_del(&rt, NULL, 0);
        }
        ng->role = ROLE_NONE;
        ng->leader = CTDB_PNN_NONE;
}

uint32_t ipd_natgw_leader(const struct ipd_natgw *ng) {
        return ng->leader;
}
