#pragma once

/*
 * What ctdb-clusterd publishes (org.ctdb.cluster1.Manager's ThisNode,
 * Leader, Generation, Recovering, Quorate, VnnMap, the flags of Nodes), as every other daemon
 * follows it: read with GetAll when clusterd appears on the bus, kept up to
 * date from PropertiesChanged, marked unknown while clusterd is away.
 * ctdb-dbd drives its recovery from it; ctdb-ipd and ctdb-monitord follow the
 * same state.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

struct cluster_view {
        bool known;             /* read from clusterd since it last appeared */
        uint32_t this_node;
        uint32_t leader;
        uint32_t generation;
        bool recovering;
        bool quorate;
        uint32_t n_vnnmap;
        uint32_t *vnnmap;       /* talloc'd on the watch */
        uint32_t n_nodes;       /* slots of Nodes */
        uint32_t *flags;        /* per pnn (talloc'd on the watch); DELETED for a deleted slot */
};

/* The most slots a view takes from Nodes. */
#define CLUSTER_VIEW_MAX_NODES 1024u

struct cluster_view_watch;

/*
 * changed runs after every update while the view is known (and once when it
 * becomes known); gone when clusterd leaves the bus (the view is unknown
 * then). A talloc child of mem_ctx; freeing it ends the watch.
 */
struct cluster_view_ops {
        void (*changed)(void *userdata, const struct cluster_view *v);
        void (*gone)(void *userdata);
};

int cluster_view_watch_new(void *mem_ctx, sd_bus *bus, const struct cluster_view_ops *ops, void *userdata,
                           struct cluster_view_watch **ret);
