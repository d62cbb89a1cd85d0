/* ctdb-tunneld: node-to-node links and cluster messaging (org.ctdb.tunnel1). */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "bus-util.h"
#include "common/config.h"
#include "log.h"
#include "talloc-util.h"
#include "tunneld-bus.h"
#include "tunneld-hmac.h"
#include "tunneld-manager.h"

static const char *arg_config_dir = CTDB_CONFIG_DIR;
static const char *arg_bus_address = NULL;
static bool arg_foreground = false;
static int arg_log_level = -1;

static void help(void) {
        printf("Usage: ctdb-tunneld [OPTIONS...]\n\n"
               "Node-to-node links and cluster messaging of ctdb-remix (org.ctdb.tunnel1).\n\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --config-dir=DIR     Read nodes and ctdb.conf from DIR (default %s)\n"
               "     --bus-address=ADDR   Connect to this bus instead of the system bus\n"
               "     --foreground         Log to stderr\n"
               "     --log-level=LEVEL    error, warning, notice, info or debug\n",
               CTDB_CONFIG_DIR);
}

static int parse_argv(int argc, char **argv) {
        enum { ARG_VERSION = 0x100, ARG_CONFIG_DIR, ARG_BUS_ADDRESS, ARG_FOREGROUND, ARG_LOG_LEVEL };
        static const struct option options[] = { { "help", no_argument, NULL, 'h' },
                                                 { "version", no_argument, NULL, ARG_VERSION },
                                                 { "config-dir", required_argument, NULL, ARG_CONFIG_DIR },
                                                 { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
                                                 { "foreground", no_argument, NULL, ARG_FOREGROUND },
                                                 { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                                                 {} };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("ctdb-tunneld %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CONFIG_DIR:
                        arg_config_dir = optarg;
                        break;
                case ARG_BUS_ADDRESS:
                        arg_bus_address = optarg;
                        break;
                case ARG_FOREGROUND:
                        arg_foreground = true;
                        break;
                case ARG_LOG_LEVEL:
                        arg_log_level = log_level_from_string(optarg);
                        if (arg_log_level < 0) {
                                fprintf(stderr, "Invalid log level '%s'.\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }
        if (optind < argc) {
                fprintf(stderr, "ctdb-tunneld takes no arguments.\n");
                return -EINVAL;
        }
        return 1;
}

static int load_config(void *ctx, struct ctdb_config **ret_config, struct ctdb_nodes **ret_nodes) {
        char *path, *error = NULL;
        int r;

        path = ctdb_config_path(ctx, arg_config_dir, "ctdb.conf");
        if (!path)
                return log_oom();
        r = ctdb_config_load(ctx, path, ret_config, &error);
        if (r < 0)
                return log_error_errno(r, "Failed to load %s: %s", path, error ? error : strerror(-r));
        for (unsigned i = 0; i < (*ret_config)->n_warnings; i++)
                log_warning("%s", (*ret_config)->warnings[i]);

        path = ctdb_config_path(ctx, arg_config_dir, "nodes");
        if (!path)
                return log_oom();
        r = ctdb_nodes_load(ctx, path, ret_nodes, &error);
        if (r < 0)
                return log_error_errno(r, "Failed to load %s: %s", path, error ? error : strerror(-r));
        return 0;
}

static int run(int argc, char **argv) {
        _cleanup_talloc_ void *ctx = NULL;
        _cleanup_event_ sd_event *event = NULL;
        _cleanup_bus_ sd_bus *bus = NULL;
        struct ctdb_config *config;
        struct ctdb_nodes *nodes;
        struct manager *m = NULL;
        uint32_t pnn;
        int r;

        log_open("ctdb-tunneld", LOG_TARGET_AUTO);
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;
        if (arg_foreground)
                log_open(NULL, LOG_TARGET_STDERR);

        ctx = talloc_new(NULL);
        if (!ctx)
                return log_oom();

        r = load_config(ctx, &config, &nodes);
        if (r < 0)
                return r;
        /* --log-level wins over [logging] log level. */
        log_set_max_level(arg_log_level >= 0 ? arg_log_level : config->log_level);

        r = manager_find_pnn(nodes, config->node_address, &pnn);
        if (r < 0 && config->node_address)
                return log_error_errno(r, "Node address %s is not in the nodes file: %m",
                                       config->node_address);
        if (r < 0)
                return log_error_errno(r,
                                       "None of the nodes addresses can be bound on this host "
                                       "(set [cluster] node address): %m");

        r = daemon_event_new(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");

        r = manager_new(ctx, event, config, nodes, pnn, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m");

        if (config->psk_file) {
                uint8_t *key;
                size_t len;
                bool world_readable = false;

                r = hmac_key_load(m, config->psk_file, &key, &len, &world_readable);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the pre-shared key file %s: %m",
                                               config->psk_file);
                if (world_readable)
                        log_warning("Pre-shared key file %s is readable by others than its owner.",
                                    config->psk_file);
                r = manager_set_psk(m, key, len);
                explicit_bzero(key, len);
                talloc_free(key);
                if (r < 0)
                        return log_oom();
        }

        r = manager_start(m);
        if (r < 0)
                return r;

        r = bus_open(arg_bus_address, &bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the bus: %m");
        r = tunneld_bus_add(m, bus);
        if (r < 0)
                return log_error_errno(r, "Failed to register the D-Bus object: %m");
        r = bus_attach_and_request_name(bus, event, TUNNELD_BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire the bus name %s: %m", TUNNELD_BUS_NAME);

        log_info("Node %u (%s), %u node slots, tunnel port %u%s.", pnn, nodes->nodes[pnn].address,
                 nodes->n_nodes, config->tunnel_port, m->psk ? ", pre-shared key" : "");
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
