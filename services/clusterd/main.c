/* ctdb-clusterd: membership, node flags, leader, generation and recovery (org.ctdb.cluster1). */

#include "clusterd-bus.h"
#include "clusterd-manager.h"
#include "daemon.h"

static int clusterd_new(void *mem_ctx, struct daemon_context *d, void **ret) {
        return clusterd_manager_new(mem_ctx, d->event, d->bus, d->config, d->nodes, d->nodes_path,
                                    (clusterd_manager **) ret);
}

static int clusterd_bus_add(void *manager, sd_bus *bus) {
        return clusterd_bus_register(manager);
}

static int clusterd_start(void *manager) {
        return clusterd_manager_start(manager);
}

/* SIGHUP: what ReloadNodes does; nothing clusterd reads from ctdb.conf changes while it runs. */
static int clusterd_reload(void *manager, const struct ctdb_config *config, sd_bus_error *error) {
        return clusterd_bus_reload_nodes(manager, NULL, error);
}

static const struct daemon_ops clusterd_ops = {
        .name = "ctdb-clusterd",
        .summary = "Cluster membership, node flags, leader election and recovery (org.ctdb.cluster1).",
        .bus_name = CLUSTERD_BUS_NAME,
        .manager_new = clusterd_new,
        .bus_add = clusterd_bus_add,
        .start = clusterd_start,
        .reload = clusterd_reload,
        /* READY=1 once tunneld is connected as well (clusterd-manager.c). */
        .deferred_ready = true,
};

int main(int argc, char *argv[]) {
        return daemon_main(argc, argv, &clusterd_ops);
}
