/* ctdb-ipd: public addresses, their allocation, takeover and release (org.ctdb.ipfailover1). */

#include <string.h>

#include <talloc.h>

#include "config.h"
#include "daemon.h"
#include "ctdb-names.h"
#include "ipd-internal.h"
#include "log.h"

static int ipd_new(void *mem_ctx, struct daemon_context *d, void **ret) {
        return ipd_manager_new(mem_ctx, d, (ipd_manager **) ret);
}

static int ipd_bus_add_objects(void *manager, sd_bus *bus) {
        return ipd_bus_add(manager, bus);
}

static int ipd_start(void *manager) {
        return ipd_manager_start(manager);
}

static int ipd_reload(void *manager, const struct ctdb_config *config, sd_bus_error *error) {
        char *why = NULL;
        int r = ipd_manager_reload(manager, config, &why);

        if (r < 0)
                sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS, "%s", why ? why : "reload failed");
        return r;
}

static const struct daemon_ops ipd_ops = {
        .name = "ctdb-ipd",
        .summary = "Public addresses: allocation, takeover and release (org.ctdb.ipfailover1).\n"
                   "'ctdb-ipd release-all [-c DIR]' removes this node's public addresses and its\n"
                   "nftables table (ExecStopPost= of ctdb-ipd.service).",
        .bus_name = IPD_BUS_NAME,
        .manager_new = ipd_new,
        .bus_add = ipd_bus_add_objects,
        .start = ipd_start,
        .reload = ipd_reload,
        /* READY=1 once tunneld told this node's pnn (ipd-manager.c). */
        .deferred_ready = true,
};

int main(int argc, char *argv[]) {
        struct daemon_args args;
        struct ctdb_config *config;
        struct ctdb_nodes *nodes;
        void *ctx;
        int r;

        /* After a stop or a crash (ExecStopPost=): nothing of this node's may stay behind. */
        if (argc >= 2 && strcmp(argv[1], "release-all") == 0) {
                r = daemon_parse_argv(argc - 1, argv + 1, "ctdb-ipd release-all", ipd_ops.summary, &args);
                if (r <= 0)
                        return r < 0 ? 2 : 0;
                log_open("ctdb-ipd", LOG_TARGET_STDERR);
                ctx = talloc_new(NULL);
                if (!ctx || daemon_load_config(ctx, &args, &config, &nodes, NULL) < 0)
                        r = -EINVAL;
                else if (config->failover_disabled)
                        /* Another HA manager owns the addresses: not ours to remove. */
                        r = 0;
                else
                        r = ipd_release_all_offline(args.config_dir, nodes);
                talloc_free(ctx);
                return r < 0 ? 1 : 0;
        }
        return daemon_main(argc, argv, &ipd_ops);
}
