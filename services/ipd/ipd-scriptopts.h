#pragma once

/*
 * CTDB's event-script configuration for LVS and the NAT gateway, as a CTDB
 * 4.17 admin has it: CONFIG_DIR/script.options (shell lines VAR=value) and the
 * group files it names (natgw_nodes, lvs_nodes: one private address per line
 * from the nodes file, optionally "follower-only"). Pure parsers, and the
 * choices CTDB's ctdb_natgw and ctdb_lvs make from node flags; no I/O but the
 * two loaders. Errors are "FILE:LINE: what is wrong" in *ret_error.
 */

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ip-address.h"

enum ipd_opt {
        IPD_OPT_NATGW_NODES,
        IPD_OPT_NATGW_PUBLIC_IP,
        IPD_OPT_NATGW_PUBLIC_IFACE,
        IPD_OPT_NATGW_PRIVATE_NETWORK,
        IPD_OPT_NATGW_DEFAULT_GATEWAY,
        IPD_OPT_NATGW_STATIC_ROUTES,
        IPD_OPT_LVS_NODES,
        IPD_OPT_LVS_PUBLIC_IP,
        IPD_OPT_LVS_PUBLIC_IFACE,
        IPD_OPT_MAX,
};

struct ipd_script_options {
        char *file;               /* for messages */
        char *value[IPD_OPT_MAX]; /* NULL: not set (an empty value is not set either, as in shell tests) */
        unsigned line[IPD_OPT_MAX];
};

/* Sets *ret_error (if wanted, on mem_ctx) to the message and returns r; -ENOMEM if it cannot. */
int ipd_set_error(void *mem_ctx, char **ret_error, int r, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* "CTDB_NATGW_NODES" for IPD_OPT_NATGW_NODES. */
const char *ipd_opt_name(enum ipd_opt o);

/*
 * Reads the variables above from shell text: "[export ]VAR=value", the value
 * bare or in single or double quotes, then blanks and an optional comment.
 * Other lines are not ours and are skipped; a line of one of our variables
 * that a shell would expand or run ($, `, \, unbalanced quotes, a bare value
 * with blanks) is an error naming name:line. The last assignment wins.
 */
int ipd_script_options_parse(void *mem_ctx, const char *name, const char *text,
                             struct ipd_script_options **ret, char **ret_error);
/* CONFIG_DIR/script.options; a missing file gives empty options. */
int ipd_script_options_load(void *mem_ctx, const char *config_dir, struct ipd_script_options **ret,
                            char **ret_error);

struct ipd_group_node {
        uint32_t pnn;
        struct ctdb_ip addr; /* its private address */
        bool follower_only;  /* may not lead */
};

/* The nodes of a natgw_nodes or lvs_nodes file, in PNN order. */
struct ipd_group {
        struct ipd_group_node *nodes;
        uint32_t n;
};

/*
 * Parses a group file: blank lines and '#' comments skipped; "ADDRESS
 * [follower-only]" (CTDB's older "slave-only" too), every address one of
 * nodes' (-> its PNN), none twice.
 */
int ipd_group_parse(void *mem_ctx, const char *name, const char *text, const struct ctdb_nodes *nodes,
                    struct ipd_group **ret, char **ret_error);
/* Reads path (relative: to config_dir). -ENOENT with a message if missing. */
int ipd_group_load(void *mem_ctx, const char *config_dir, const char *path, const struct ctdb_nodes *nodes,
                   struct ipd_group **ret, char **ret_error);

/*
 * The load-balancing nodes now, as ctdb_lvs's filter_nodes: those of g with
 * no flag of 0x3f; if there are none, those neither permanently disabled nor
 * inactive (unhealthy ones). Every node computes the same list from the same
 * flags, so this node's slot is its rank in it. Returns N (0: no node can
 * serve); *ret_slot is this node's rank, or UINT32_MAX if it does not serve.
 * A PNN at or past n_nodes counts as disconnected.
 */
uint32_t ipd_group_lb_slot(const struct ipd_group *g, uint32_t this_pnn, const uint32_t *flags,
                           uint32_t n_nodes, uint32_t *ret_slot);

/*
 * The NAT gateway leader, as ctdb_natgw: among g's nodes not follower-only,
 * in PNN order, the first that is neither disabled, unhealthy nor inactive;
 * else the first neither disconnected, disabled nor stopped (banned or
 * unhealthy will do); else the first neither disconnected nor disabled.
 * Deleted nodes never. CTDB_PNN_NONE if there is none. *ret_index (may be
 * NULL) is its index in g.
 */
uint32_t ipd_group_natgw_leader(const struct ipd_group *g, const uint32_t *flags, uint32_t n_nodes,
                                uint32_t *ret_index);
