/* ctdb-clusterd: membership, node flags, leader, generation and recovery (org.ctdb.cluster1). */

#include <errno.h>
#include <getopt.h>
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

static const char *arg_config_dir = CTDB_CONFIG_DIR;
static const char *arg_bus_address = NULL;
static bool arg_foreground = false;
static int arg_log_level = -1;

static void help(void) {
        printf("Usage: ctdb-clusterd [OPTIONS]\n\n"
               "Cluster membership, node flags, leader election and recovery (org.ctdb.cluster1).\n\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "  -c --config-dir=DIR     Configuration directory (default " CTDB_CONFIG_DIR ")\n"
               "     --bus-address=ADDR   Connect to this bus instead of the system bus\n"
               "  -F --foreground         Log to stderr (default: the journal when run by systemd)\n"
               "     --log-level=LEVEL    error, warning, notice, info or debug\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_BUS_ADDRESS, ARG_LOG_LEVEL };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config-dir", required_argument, NULL, 'c' },
                { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
                { "foreground", no_argument, NULL, 'F' },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "hc:F", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("ctdb-clusterd %s\n", PACKAGE_VERSION);
                        return 0;
                case 'c':
                        arg_config_dir = optarg;
                        break;
                case ARG_BUS_ADDRESS:
                        arg_bus_address = optarg;
                        break;
                case 'F':
                        arg_foreground = true;
                        break;
                case ARG_LOG_LEVEL:
                        arg_log_level = log_level_from_string(optarg);
                        if (arg_log_level < 0) {
                                fprintf(stderr, "Invalid log level \"%s\" (error, warning, notice, info, debug)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case '?':
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "Unexpected argument \"%s\"\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

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
        char *conf_path, *nodes_path, *err = NULL;
        int r;

        conf_path = ctdb_config_path(ctx, arg_config_dir, "ctdb.conf");
        nodes_path = ctdb_config_path(ctx, arg_config_dir, "nodes");
        if (!conf_path || !nodes_path)
                return log_oom();

        r = ctdb_config_load(ctx, conf_path, &cfg, &err);
        if (r < 0)
                return log_error_errno(r, "Failed to load %s: %s", conf_path, err ? err : strerror(-r));
        for (unsigned i = 0; i < cfg->n_warnings; i++)
                log_warning("%s", cfg->warnings[i]);
        if (arg_log_level < 0)
                log_set_max_level(cfg->log_level);

        if (cfg->lock_backend == CTDB_LOCK_ETCD)
                return log_error_errno(EOPNOTSUPP, "%s: cluster lock \"etcd:%s\": the etcd backend is not "
                                       "implemented yet; use \"quorum\" or \"fcntl:PATH\"",
                                       conf_path, cfg->lock_argument ? cfg->lock_argument : "");

        r = ctdb_nodes_load(ctx, nodes_path, &nodes, &err);
        if (r < 0)
                return log_error_errno(r, "Failed to load %s: %s", nodes_path, err ? err : strerror(-r));
        if (ctdb_nodes_active(nodes) == 0)
                return log_error_errno(EINVAL, "%s lists no active node", nodes_path);

        r = daemon_event_new(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");

        r = bus_open(arg_bus_address, &bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the %s bus: %m", arg_bus_address ? "given" : "system");

        r = manager_new(ctx, event, bus, cfg, nodes, nodes_path, tunnel_socket_path(ctx, cfg), &m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the manager: %m");

        r = clusterd_bus_register(m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the bus objects: %m");

        r = bus_attach_and_request_name(bus, event, CLUSTERD_BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to own the bus name %s: %m", CLUSTERD_BUS_NAME);

        /* READY=1 is sent once tunneld is connected as well (manager). */
        r = manager_start(m);
        if (r < 0)
                return log_error_errno(r, "Failed to start: %m");

        r = sd_event_loop(event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        (void) sd_notify(false, "STOPPING=1");
        manager_free(m);
        return r;
}

int main(int argc, char *argv[]) {
        _cleanup_talloc_ void *ctx = NULL;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 1 : 0;

        log_open("ctdb-clusterd", arg_foreground ? LOG_TARGET_STDERR : LOG_TARGET_AUTO);
        if (arg_log_level >= 0)
                log_set_max_level(arg_log_level);

        ctx = talloc_new(NULL);
        if (!ctx)
                return 1;
        r = run(ctx);
        return r < 0 ? 1 : 0;
}
