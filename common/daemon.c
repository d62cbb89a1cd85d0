/* The daemon skeleton; see daemon.h. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "bus-util.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "talloc-util.h"

int daemon_parse_argv(int argc, char *argv[], const char *name, const char *summary,
                      struct daemon_args *ret) {
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

        if (!ret || !name)
                return -EINVAL;
        *ret = (struct daemon_args) { .config_dir = CTDB_CONFIG_DIR, .log_level = -1 };

        optind = 0; /* callable more than once (tests) */
        while ((c = getopt_long(argc, argv, "hc:F", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        printf("Usage: %s [OPTIONS]\n\n"
                               "%s\n\n"
                               "  -h --help               Show this help\n"
                               "     --version            Show the version\n"
                               "  -c --config-dir=DIR     Read nodes and ctdb.conf from DIR (default %s)\n"
                               "     --bus-address=ADDR   Connect to this bus instead of the system bus\n"
                               "  -F --foreground         Log to stderr (default: the journal under "
                               "systemd)\n"
                               "     --log-level=LEVEL    error, warning, notice, info or debug\n"
                               "                          (default: [logging] log level of ctdb.conf)\n",
                               name, summary ? summary : "", CTDB_CONFIG_DIR);
                        return 0;
                case ARG_VERSION:
                        printf("%s %s\n", name, PACKAGE_VERSION);
                        return 0;
                case 'c':
                        ret->config_dir = optarg;
                        break;
                case ARG_BUS_ADDRESS:
                        ret->bus_address = optarg;
                        break;
                case 'F':
                        ret->foreground = true;
                        break;
                case ARG_LOG_LEVEL:
                        ret->log_level = log_level_from_string(optarg);
                        if (ret->log_level < 0) {
                                fprintf(stderr,
                                        "%s: invalid log level \"%s\" (error, warning, notice, info, "
                                        "debug)\n",
                                        name, optarg);
                                return -EINVAL;
                        }
                        break;
                default:
                        /* getopt printed what was wrong */
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "%s: unexpected argument \"%s\"\n", name, argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/*
 * ctdb.conf of args->config_dir; unless quiet, its warnings are logged and its
 * log level applied (--log-level wins).
 */
static int load_ctdb_conf(void *mem_ctx, const struct daemon_args *args, bool quiet, struct ctdb_config **ret) {
        struct ctdb_config *cfg;
        char *conf_path, *err = NULL;
        int r;

        conf_path = ctdb_config_path(mem_ctx, args->config_dir, "ctdb.conf");
        if (!conf_path)
                return log_oom();
        r = ctdb_config_load(mem_ctx, conf_path, &cfg, &err);
        if (r < 0)
                return log_error_errno(r, "Failed to load %s: %s", conf_path, err ? err : strerror(-r));
        for (unsigned i = 0; !quiet && i < cfg->n_warnings; i++)
                log_warning("%s", cfg->warnings[i]);
        if (!quiet)
                log_set_max_level(args->log_level >= 0 ? args->log_level : cfg->log_level);
        *ret = cfg;
        return 0;
}

int daemon_load_config(void *mem_ctx, const struct daemon_args *args, struct ctdb_config **ret_config,
                       struct ctdb_nodes **ret_nodes, char **ret_nodes_path) {
        struct ctdb_config *cfg;
        struct ctdb_nodes *nodes;
        char *nodes_path, *err = NULL;
        int r;

        r = load_ctdb_conf(mem_ctx, args, false, &cfg);
        if (r < 0)
                return r;

        nodes_path = ctdb_config_path(mem_ctx, args->config_dir, "nodes");
        if (!nodes_path)
                return log_oom();
        r = ctdb_nodes_load(mem_ctx, nodes_path, &nodes, &err);
        if (r < 0)
                return log_error_errno(r, "Failed to load %s: %s", nodes_path, err ? err : strerror(-r));
        if (ctdb_nodes_active(nodes) == 0)
                return log_error_errno(EINVAL, "%s lists no active node", nodes_path);

        *ret_config = cfg;
        *ret_nodes = nodes;
        if (ret_nodes_path)
                *ret_nodes_path = nodes_path;
        return 0;
}

int daemon_event_new(sd_event **ret) {
        _cleanup_event_ sd_event *e = NULL;
        sigset_t mask;
        int r;

        if (!ret)
                return -EINVAL;

        /* Not sd_event_default(): that one checks the calling thread on every iteration. */
        r = sd_event_new(&e);
        if (r < 0)
                return r;

        /* sd-event needs the signals blocked before it can take them as sources. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;

        /* A NULL handler makes sd-event exit the loop (exit code 0) on the signal. */
        r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
        if (r < 0)
                return r;
        r = sd_event_add_signal(e, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return r;

        /* Honours WatchdogSec= (a no-op when $WATCHDOG_USEC is unset). */
        r = sd_event_set_watchdog(e, true);
        if (r < 0)
                return r;

        *ret = e;
        e = NULL;
        return 0;
}

void daemon_notify_ready(const char *status) {
        /* Without $NOTIFY_SOCKET this is a no-op; a failure to notify is not fatal. */
        if (status)
                (void) sd_notifyf(false, "READY=1\nSTATUS=%s", status);
        else
                (void) sd_notify(false, "READY=1");
}

struct daemon_running {
        const struct daemon_args *args;
        const struct daemon_ops *ops;
        void *manager;
        struct ctdb_config *boot;       /* ctdb.conf as the daemon started with it */
        bool reload_failed;             /* STATUS= says so until a reload succeeds */
};

/*
 * SIGHUP (ExecReload=, systemctl reload ctdb.target): ctdb.conf read again and
 * handed to the daemon, which takes what it can change while running (its
 * other files too: nodes, public_addresses). A ctdb.conf that does not parse
 * changes nothing; keys only a restart applies are named in the log.
 */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct daemon_running *run = userdata;
        struct ctdb_config *cfg;
        char *restart;
        int r;

        if (!tmp)
                return log_oom(), 0;
        (void) sd_notify(false, "RELOADING=1");
        r = load_ctdb_conf(tmp, run->args, false, &cfg);
        if (r >= 0) {
                restart = ctdb_config_restart_changes(tmp, run->boot, cfg);
                if (restart && *restart)
                        log_notice("Changed in ctdb.conf, taken at the next start of %s: %s", run->ops->name,
                                   restart);
                r = run->ops->reload ? run->ops->reload(run->manager, cfg, &error) : 0;
                if (r < 0)
                        log_error_errno(r, "Reload failed: %s", error.message ? error.message : strerror(-r));
        }
        /* A refused reload leaves the running state as it was. */
        if (r < 0)
                (void) sd_notify(false, "READY=1\nSTATUS=Reload failed, running on the previous configuration");
        else {
                log_notice("Reloaded the configuration");
                (void) sd_notify(false, run->reload_failed ? "READY=1\nSTATUS=Configuration reloaded" : "READY=1");
        }
        run->reload_failed = r < 0;
        return 0;
}

static int daemon_run(void *ctx, const struct daemon_args *args, const struct daemon_ops *ops) {
        _cleanup_event_ sd_event *event = NULL;
        _cleanup_bus_ sd_bus *bus = NULL;
        struct daemon_context d = { .args = args };
        struct daemon_running run = { .args = args, .ops = ops };
        /* Declared after the loop and the bus, so freed before them on every path. */
        _cleanup_talloc_ void *manager = NULL;
        _cleanup_event_source_ sd_event_source *hup = NULL;
        sigset_t mask;
        int r;

        r = daemon_load_config(ctx, args, &d.config, &d.nodes, &d.nodes_path);
        if (r < 0)
                return r;

        r = daemon_event_new(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");
        d.event = event;

        r = bus_open(args->bus_address, &bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the %s bus: %m",
                                       args->bus_address ? "given" : "system");
        d.bus = bus;

        /* A copy of its own (the manager may take d.config), read quietly: its warnings are logged. */
        r = load_ctdb_conf(ctx, args, true, &run.boot);
        if (r < 0)
                return r;
        r = ops->manager_new(ctx, &d, &manager);
        if (r < 0)
                return r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block SIGHUP: %m");
        run.manager = manager;
        r = sd_event_add_signal(event, &hup, SIGHUP, on_sighup, &run);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGHUP: %m");

        r = ops->bus_add(manager, bus);
        if (r < 0)
                return log_error_errno(r, "Failed to register the bus objects: %m");
        r = bus_attach_and_request_name(bus, event, ops->bus_name);
        if (r < 0)
                return log_error_errno(r, "Failed to own the bus name %s: %m", ops->bus_name);

        r = ops->start(manager);
        if (r < 0)
                return r;
        if (!ops->deferred_ready)
                daemon_notify_ready(ops->ready_status);

        r = sd_event_loop(event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        (void) sd_notify(false, "STOPPING=1");
        return r;
}

int daemon_main(int argc, char *argv[], const struct daemon_ops *ops) {
        _cleanup_talloc_ void *ctx = NULL;
        struct daemon_args args;
        int r;

        r = daemon_parse_argv(argc, argv, ops->name, ops->summary, &args);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        log_open(ops->name, args.foreground ? LOG_TARGET_STDERR : LOG_TARGET_AUTO);
        if (args.log_level >= 0)
                log_set_max_level(args.log_level);

        ctx = talloc_new(NULL);
        if (!ctx) {
                log_oom();
                return EXIT_FAILURE;
        }
        r = daemon_run(ctx, &args, ops);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
