#pragma once

/*
 * The daemon skeleton every ctdb-remix daemon runs on (CTDB's sock_daemon for the
 * idea, systemd's run() for the shape). A daemon describes itself in a struct
 * daemon_ops; daemon_main() does the rest, in one start order for all of them:
 *
 *   arguments -> logging -> config (ctdb.conf, nodes) -> event loop (SIGTERM/SIGINT
 *   end it, SIGHUP reads ctdb.conf again for ops->reload, WatchdogSec= honoured) -> bus connection ->
 *   ops->manager_new -> ops->bus_add (objects) -> bus name -> ops->start -> READY=1
 *   -> loop -> STOPPING=1 -> the manager is freed before the loop and the bus.
 *
 * Options parsed once, for every daemon: -h/--help, --version, -c/--config-dir=DIR,
 * --bus-address=ADDR, -F/--foreground, --log-level=LEVEL.
 */

#include <stdbool.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

struct ctdb_config;
struct ctdb_nodes;

/* The options every daemon takes (DESIGN.md section 2). */
struct daemon_args {
        const char *config_dir;         /* default: CTDB_CONFIG_DIR */
        const char *bus_address;        /* NULL: the system bus */
        bool foreground;                /* log to stderr */
        int log_level;                  /* -1: from ctdb.conf */
};

/* What a daemon's manager gets from the skeleton; config and nodes may be stolen. */
struct daemon_context {
        const struct daemon_args *args;
        sd_event *event;
        sd_bus *bus;
        struct ctdb_config *config;
        struct ctdb_nodes *nodes;
        char *nodes_path;
};

struct daemon_ops {
        const char *name;               /* "ctdb-tunneld": log identity, --help, --version */
        const char *summary;            /* one line for --help */
        const char *bus_name;           /* "org.ctdb.tunnel1" */
        /* Creates the manager (a talloc child of mem_ctx). Logs its own errors. */
        int (*manager_new)(void *mem_ctx, struct daemon_context *d, void **ret_manager);
        /* Adds the D-Bus objects; the skeleton then owns the name. */
        int (*bus_add)(void *manager, sd_bus *bus);
        /* Starts the work (sockets, peers, timers). Logs its own errors. */
        int (*start)(void *manager);
        /*
         * SIGHUP: config is ctdb.conf read again (the daemon copies what it keeps);
         * the daemon takes what it can change while running and reads its own
         * files again. A failure is logged with error's message. NULL: nothing
         * but the log level is reloaded.
         */
        int (*reload)(void *manager, const struct ctdb_config *config, sd_bus_error *error);
        /* The daemon sends READY=1 itself (daemon_notify_ready()) once its state is loaded. */
        bool deferred_ready;
        /* STATUS= sent with READY=1 unless deferred_ready. */
        const char *ready_status;
};

/* The whole life of a daemon: returns the process exit code. */
int daemon_main(int argc, char *argv[], const struct daemon_ops *ops);

/*
 * Parses the options above into ret (defaults filled in first); name and summary
 * go into --help and --version. Returns 1 to run, 0 to exit successfully (help or
 * version printed), -EINVAL on a usage error (printed).
 */
int daemon_parse_argv(int argc, char *argv[], const char *name, const char *summary,
                      struct daemon_args *ret);

/*
 * Loads ctdb.conf and nodes from args->config_dir (talloc'd on mem_ctx), logs the
 * config's warnings, and sets the log level (args->log_level wins over
 * ctdb.conf). Logs and returns negative errno on failure. ret_nodes_path may be NULL.
 */
int daemon_load_config(void *mem_ctx, const struct daemon_args *args, struct ctdb_config **ret_config,
                       struct ctdb_nodes **ret_nodes, char **ret_nodes_path);

/* An event loop that exits on SIGTERM/SIGINT and honours WatchdogSec=. */
int daemon_event_new(sd_event **ret);

/* READY=1 plus STATUS= for systemd; a no-op without NOTIFY_SOCKET. */
void daemon_notify_ready(const char *status);
