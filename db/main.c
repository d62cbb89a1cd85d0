/* ctdb-dbd: volatile databases, record migration, recovery and vacuuming (org.ctdb.db1). */

#include "config.h"
#include "daemon.h"
#include "dbd-internal.h"
#include "ctdb-names.h"

static int dbd_new(void *mem_ctx, struct daemon_context *d, void **ret) {
        return dbd_manager_new(mem_ctx, d, (dbd_manager **) ret);
}

static int dbd_bus_add_objects(void *manager, sd_bus *bus) {
        return dbd_bus_add(manager, bus);
}

static int dbd_start(void *manager) {
        return dbd_manager_start(manager);
}

/* SIGHUP: of what dbd reads from ctdb.conf, vacuuming can change while it runs. */
static int dbd_reload(void *manager, const struct ctdb_config *config, sd_bus_error *error) {
        return dbd_vacuum_reload(manager, config->vacuum_interval_s, config->repack_limit);
}

static const struct daemon_ops dbd_ops = {
        .name = "ctdb-dbd",
        .summary = "Clustered databases: records, migration and recovery (org.ctdb.db1).",
        .bus_name = DBD_BUS_NAME,
        .manager_new = dbd_new,
        .bus_add = dbd_bus_add_objects,
        .start = dbd_start,
        .reload = dbd_reload,
        /* READY=1 once tunneld told this node's pnn and db.sock listens (dbd-manager.c). */
        .deferred_ready = true,
};

int main(int argc, char *argv[]) {
        return daemon_main(argc, argv, &dbd_ops);
}
