/* ctdb-clusterd: membership, node flags, leader, generation and recovery (org.ctdb.cluster1). */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>
#include <talloc.h>

#include "bus-util.h"
#include "clusterd-bus.h"
#include "clusterd-manager.h"
#include "common/config.h"
#include "log.h"
#include "talloc-util.h"

static struct daemon_args arg;

/* tunneld's socket: $CTDB_TUNNEL_SOCKET (libctdb-client's default) or <runtime directory>/tunnel.sock. */
static char *tunnel_socket_path(void *mem_ctx, const struct ctdb_config *cfg) {
        if (getenv("CTDB_TUNNEL_SOCKET") || !cfg->run_dir)
                return NULL;
        return talloc_asprintf(mem_ctx, "%s/tunnel.sock", cfg->run_dir);
}

static int run(void *ctx) {
        _cleanup_event_ sd_event *event = NULL;
        _cleanup_bus_ sd_bus *bus = NULL;
        struct ctdb_config *cfg = NULL;
        struct ctdb_nodes *nodes = NULL;
        clusterd_manager *m = NULL;
        char *nodes_path;
        int r;

        r = daemon_load_config(ctx, &arg, &cfg, &nodes, &nodes_path);
        if (r < 0)
                return r;

        if (cfg->lock_backend == CTDB_LOCK_ETCD)
                return log_error_errno(EOPNOTSUPP, "cluster lock \"etcd:%s\": the etcd backend is not "
                                       "implemented yet; use \"quorum\" or \"fcntl:PATH\"",
                                       cfg->lock_argument ? cfg->lock_argument : "");

        r = daemon_event_new(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");

        r = bus_open(arg.bus_address, &bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the %s bus: %m", arg.bus_address ? "given" : "system");

        r = clusterd_manager_new(ctx, event, bus, cfg, nodes, nodes_path, tunnel_socket_path(ctx, cfg), &m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the manager: %m");

        r = clusterd_bus_register(m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the bus objects: %m");

        r = bus_attach_and_request_name(bus, event, CLUSTERD_BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to own the bus name %s: %m", CLUSTERD_BUS_NAME);

        /* READY=1 is sent once tunneld is connected as well (manager). */
        r = clusterd_manager_start(m);
        if (r < 0)
                return log_error_errno(r, "Failed to start: %m");

        r = sd_event_loop(event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        (void) sd_notify(false, "STOPPING=1");
        clusterd_manager_free(m);
        return r;
}

int main(int argc, char *argv[]) {
        _cleanup_talloc_ void *ctx = NULL;
        int r;

        r = daemon_parse_argv(argc, argv, "ctdb-clusterd",
                              "Cluster membership, node flags, leader election and recovery (org.ctdb.cluster1).",
                              &arg);
        if (r <= 0)
                return r < 0 ? 1 : 0;

        log_open("ctdb-clusterd", arg.foreground ? LOG_TARGET_STDERR : LOG_TARGET_AUTO);
        if (arg.log_level >= 0)
                log_set_max_level(arg.log_level);

        ctx = talloc_new(NULL);
        if (!ctx)
                return 1;
        r = run(ctx);
        return r < 0 ? 1 : 0;
}
