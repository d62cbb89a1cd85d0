/* ctdb-tunneld: node-to-node links and cluster messaging (org.ctdb.tunnel1). */

#include "daemon.h"
#include "tunneld-bus.h"
#include "tunneld-manager.h"

static int tunneld_new(void *mem_ctx, struct daemon_context *d, void **ret) {
        return tunneld_manager_new(mem_ctx, d->event, d->config, d->nodes, d->nodes_path,
                                   (struct tunneld_manager **) ret);
}

static int tunneld_add_bus(void *manager, sd_bus *bus) {
        return tunneld_bus_add(manager, bus);
}

static int tunneld_start(void *manager) {
        return tunneld_manager_start(manager);
}

static int tunneld_reload(void *manager, const struct ctdb_config *config, sd_bus_error *error) {
        return tunneld_manager_reload(manager, config, error);
}

static const struct daemon_ops tunneld_ops = {
        .name = "ctdb-tunneld",
        .summary = "Node-to-node links and cluster messaging of ctdb-remix (org.ctdb.tunnel1).",
        .bus_name = TUNNELD_BUS_NAME,
        .manager_new = tunneld_new,
        .bus_add = tunneld_add_bus,
        .start = tunneld_start,
        .reload = tunneld_reload,
        .ready_status = "Processing requests...",
};

int main(int argc, char *argv[]) {
        return daemon_main(argc, argv, &tunneld_ops);
}
