/* Small sd-bus helpers shared by the daemons and ctdbctl; see bus-util.h. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "bus-util.h"
#include "config.h"
#include "log.h"

int bus_open(const char *address, sd_bus **ret) {
        _cleanup_bus_ sd_bus *bus = NULL;
        int r;

        if (!ret)
                return -EINVAL;

        if (!address || !*address)
                return sd_bus_open_system(ret);

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        /* Ask for the peer's credentials at connect, like sd_bus_open_system() does. */
        (void) sd_bus_negotiate_creds(bus, true, SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID);
        r = sd_bus_start(bus);
        if (r < 0)
                return r;

        *ret = bus;
        bus = NULL;
        return 0;
}

int bus_attach_and_request_name(sd_bus *bus, sd_event *event, const char *name) {
        int r;

        if (!bus || !event || !name)
                return -EINVAL;

        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;

        /*
         * Synchronous on purpose: at start-up there is nothing else to do until
         * the name is ours, and a failure (another instance, bus policy) must
         * end the daemon with a clear error rather than leave it half started.
         */
        return sd_bus_request_name(bus, name, 0);
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

bool bus_error_name_is_valid(const char *name) {
        size_t elements = 0;
        bool element_start = true;

        if (!name || strlen(name) > 255)
                return false;
        for (const char *p = name; *p; p++) {
                char c = *p;

                if (c == '.') {
                        if (element_start)
                                return false;
                        element_start = true;
                        continue;
                }
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
                      (!element_start && c >= '0' && c <= '9')))
                        return false;
                if (element_start)
                        elements++;
                element_start = false;
        }
        return elements >= 2 && !element_start;
}

static const struct {
        uint32_t flag;
        const char *name;
} node_flag_names[] = {
        /* CTDB's words and order (ctdb/tools/ctdb.c) */
        { CTDB_NODE_FLAG_DISCONNECTED, "DISCONNECTED" },
        { CTDB_NODE_FLAG_PERMANENTLY_DISABLED, "DISABLED" },
        { CTDB_NODE_FLAG_BANNED, "BANNED" },
        { CTDB_NODE_FLAG_UNHEALTHY, "UNHEALTHY" },
        { CTDB_NODE_FLAG_DELETED, "DELETED" },
        { CTDB_NODE_FLAG_STOPPED, "STOPPED" },
};

const char *bus_node_flags_to_string(uint32_t flags, char *buf, size_t size) {
        size_t len = 0;

        if (!buf || size == 0)
                return NULL;
        buf[0] = '\0';
        if (flags == 0) {
                snprintf(buf, size, "OK");
                return buf;
        }
        for (size_t i = 0; i < sizeof(node_flag_names) / sizeof(node_flag_names[0]); i++) {
                int n;

                if (!(flags & node_flag_names[i].flag))
                        continue;
                flags &= ~node_flag_names[i].flag;
                n = snprintf(buf + len, size - len, "%s%s", len ? "|" : "", node_flag_names[i].name);
                if (n < 0 || (size_t) n >= size - len)
                        return buf; /* truncated, still terminated */
                len += (size_t) n;
        }
        if (flags)
                snprintf(buf + len, size - len, "%s0x%x", len ? "|" : "", flags);
        return buf;
}

int daemon_parse_argv(int argc, char *argv[], const char *name, const char *summary, struct daemon_args *ret) {
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
                               "  -F --foreground         Log to stderr (default: the journal under systemd)\n"
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
                                fprintf(stderr, "%s: invalid log level \"%s\" (error, warning, notice, info, debug)\n",
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

int daemon_load_config(void *mem_ctx, const struct daemon_args *args, struct ctdb_config **ret_config,
                       struct ctdb_nodes **ret_nodes, char **ret_nodes_path) {
        struct ctdb_config *cfg;
        struct ctdb_nodes *nodes;
        char *conf_path, *nodes_path, *err = NULL;
        int r;

        conf_path = ctdb_config_path(mem_ctx, args->config_dir, "ctdb.conf");
        nodes_path = ctdb_config_path(mem_ctx, args->config_dir, "nodes");
        if (!conf_path || !nodes_path)
                return log_oom();

        r = ctdb_config_load(mem_ctx, conf_path, &cfg, &err);
        if (r < 0)
                return log_error_errno(r, "Failed to load %s: %s", conf_path, err ? err : strerror(-r));
        for (unsigned i = 0; i < cfg->n_warnings; i++)
                log_warning("%s", cfg->warnings[i]);
        /* --log-level wins over [logging] log level. */
        log_set_max_level(args->log_level >= 0 ? args->log_level : cfg->log_level);

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
