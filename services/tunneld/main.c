/* ctdb-tunneld: node-to-node links and cluster messaging (org.ctdb.tunnel1). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "bus-util.h"
#include "common/config.h"
#include "log.h"
#include "talloc-util.h"
#include "tunneld-bus.h"
#include "tunneld-manager.h"

static struct daemon_args arg;

static int run(int argc, char **argv) {
        _cleanup_talloc_ void *ctx = NULL;
        _cleanup_event_ sd_event *event = NULL;
        _cleanup_bus_ sd_bus *bus = NULL;
        struct ctdb_config *config;
        struct ctdb_nodes *nodes;
        char *nodes_path;
        struct tunneld_manager *m = NULL;
        int r;

        r = daemon_parse_argv(argc, argv, "ctdb-tunneld",
                              "Node-to-node links and cluster messaging of ctdb-remix (org.ctdb.tunnel1).", &arg);
        if (r <= 0)
                return r;
        log_open("ctdb-tunneld", arg.foreground ? LOG_TARGET_STDERR : LOG_TARGET_AUTO);

        ctx = talloc_new(NULL);
        if (!ctx)
                return log_oom();

        r = daemon_load_config(ctx, &arg, &config, &nodes, &nodes_path);
        if (r < 0)
                return r;

        r = daemon_event_new(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");

        r = tunneld_manager_new(ctx, event, config, nodes, nodes_path, &m);
        if (r < 0)
                return r;

        r = tunneld_manager_start(m);
        if (r < 0)
                return r;

        r = bus_open(arg.bus_address, &bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the bus: %m");
        r = tunneld_bus_add(m, bus);
        if (r < 0)
                return log_error_errno(r, "Failed to register the D-Bus object: %m");
        r = bus_attach_and_request_name(bus, event, TUNNELD_BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire the bus name %s: %m", TUNNELD_BUS_NAME);

        daemon_notify_ready("Processing requests...");

        r = sd_event_loop(event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");

        (void) sd_notify(false, "STOPPING=1");
        /* The manager's sources and bus slots go before the loop and the bus they live on. */
        TALLOC_FREE(ctx);
        return 0;
}

int main(int argc, char **argv) {
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
