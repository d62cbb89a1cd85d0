/* ctdb-monitord: the node's health from systemd's unit state (org.ctdb.monitor1). */

#include "ctdb-names.h"
#include "daemon.h"
#include "monitord-manager.h"

static int monitord_new(void *mem_ctx, struct daemon_context *d, void **ret) {
        return monitord_manager_new(mem_ctx, d, (monitord_manager **) ret);
}

static int monitord_bus_add_objects(void *manager, sd_bus *bus) {
        return monitord_bus_add(manager, bus);
}

static int monitord_start(void *manager) {
        return monitord_manager_start(manager);
}

static int monitord_reload(void *manager, const struct ctdb_config *config, sd_bus_error *error) {
        return monitord_manager_reload(manager, config);
}

static const struct daemon_ops monitord_ops = {
        .name = "ctdb-monitord",
        .summary = "Node health from the state of systemd units (org.ctdb.monitor1).",
        .bus_name = MONITORD_BUS_NAME,
        .manager_new = monitord_new,
        .bus_add = monitord_bus_add_objects,
        .start = monitord_start,
        .reload = monitord_reload,
        .ready_status = "Watching units",
};

int main(int argc, char *argv[]) {
        return daemon_main(argc, argv, &monitord_ops);
}
