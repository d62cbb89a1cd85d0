/*
 * ctdbctl: the admin CLI of ctdb-remix. It speaks only D-Bus (sd-bus), to the
 * daemons on the system bus, a given bus (--bus-address) or a remote host's
 * system bus over ssh (-H, like busctl -H).
 *
 * Exit codes: 0 ok, 1 usage, 2 daemon not running, 3 access denied, 4 other failure.
 * Verbs are a table; later issues add ip/services verbs to it (db is in ctdbctl-db.c).
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-util.h"
#include "ctdbctl-format.h"
#include "ctdbctl.h"

#define PNN_NONE      UINT32_C(0xffffffff)

#define FLAG_DELETED   CTDB_NODE_FLAG_DELETED
#define FLAGS_INACTIVE                                                                  \
        (CTDB_NODE_FLAG_DISCONNECTED | CTDB_NODE_FLAG_BANNED | CTDB_NODE_FLAG_DELETED | \
         CTDB_NODE_FLAG_STOPPED)

bool arg_json = false;
static const char *arg_bus_address = NULL;
static const char *arg_host = NULL;
/* The daemon the verb talks to: who "is not running" when its name has no owner. */
static const char *arg_bus_name = CLUSTERD_BUS_NAME;
static const char *arg_daemon = "ctdb-clusterd";

void cluster_info_free(struct cluster_info *c) {
        for (size_t i = 0; i < c->n_nodes; i++)
                free(c->nodes[i].address);
        free(c->nodes);
}

void json_string(const char *s) {
        json_fputs(stdout, s);
}

int report_failure(int code, const char *name, const char *what, const char *msg) {
        if (arg_json) {
                printf("{\"ok\":false,\"error\":");
                json_string(name ? name : "");
                printf(",\"message\":");
                json_string(msg);
                printf("}\n");
        }
        if (what)
                fprintf(stderr, "%s: %s\n", what, msg);
        else
                fprintf(stderr, "%s\n", msg);
        return code;
}

int call_failed(const char *what, int r, const sd_bus_error *error) {
        const char *name = error && error->name ? error->name : NULL;
        const char *msg = error && error->message ? error->message : strerror(r < 0 ? -r : r);
        char not_running[128];
        int code = EXIT_FAILURE_;

        if (name && (strcmp(name, SD_BUS_ERROR_SERVICE_UNKNOWN) == 0 ||
                     strcmp(name, SD_BUS_ERROR_NAME_HAS_NO_OWNER) == 0)) {
                code = EXIT_NOT_RUNNING;
                snprintf(not_running, sizeof(not_running), "%s is not running (nobody owns %s on the bus)",
                         arg_daemon, arg_bus_name);
                msg = not_running;
        } else if (name && (strcmp(name, SD_BUS_ERROR_ACCESS_DENIED) == 0 ||
                            strcmp(name, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED) == 0)) {
                code = EXIT_DENIED;
        } else if (name && strcmp(name, "org.ctdb.Error.InvalidArgs") == 0) {
                code = EXIT_USAGE;
        } else if (!name && (r == -EACCES || r == -EPERM)) {
                code = EXIT_DENIED;
        }

        return report_failure(code, name, code == EXIT_NOT_RUNNING ? NULL : what, msg);
}

static int connect_bus(sd_bus **ret) {
        int r;

        if (arg_host)
                r = sd_bus_open_system_remote(ret, arg_host);
        else
                r = bus_open(arg_bus_address, ret);
        if (r < 0) {
                const char *which = arg_host ? "remote" : arg_bus_address ? "given" : "system";

                /* No bus daemon listening: then ctdb-clusterd cannot be running either. */
                char msg[256];

                if (!arg_host && (r == -ENOENT || r == -ECONNREFUSED)) {
                        snprintf(msg, sizeof(msg),
                                 "%s is not running (the %s bus is not reachable: %s)", arg_daemon, which,
                                 strerror(-r));
                        return report_failure(EXIT_NOT_RUNNING, SD_BUS_ERROR_NO_SERVER, NULL, msg);
                }
                snprintf(msg, sizeof(msg), "Failed to connect to the %s bus: %s", which, strerror(-r));
                return report_failure(EXIT_FAILURE_, SD_BUS_ERROR_NO_SERVER, NULL, msg);
        }
        /* Let polkit ask for a password when a person is at the terminal. */
        (void) sd_bus_set_allow_interactive_authorization(*ret, isatty(STDIN_FILENO));
        return 0;
}

/* Exit 2 with the contract's message when the verb's daemon does not own its name. */
static int check_running(sd_bus *bus) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        int has = 0, r;

        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", &error, &reply, "s", arg_bus_name);
        if (r < 0)
                return call_failed("Failed to ask the bus", r, &error);
        r = sd_bus_message_read(reply, "b", &has);
        if (r < 0)
                return call_failed("Failed to parse the bus's answer", r, NULL);
        if (!has) {
                sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_NAME_HAS_NO_OWNER, "");
                return call_failed("Error", -ESRCH, &e);
        }
        return 0;
}

static int read_nodes(sd_bus_message *m, struct cluster_info *c) {
        uint32_t pnn, flags;
        const char *address;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(usu)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(usu)", &pnn, &address, &flags)) > 0) {
                struct node_info *n = realloc(c->nodes, (c->n_nodes + 1) * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                c->nodes = n;
                n[c->n_nodes] = (struct node_info){ .pnn = pnn, .address = strdup(address), .flags = flags };
                if (!n[c->n_nodes].address)
                        return -ENOMEM;
                c->n_nodes++;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int get_cluster_info(sd_bus *bus, struct cluster_info *c) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        const char *name;
        int r;

        *c = (struct cluster_info) { .this_node = PNN_NONE, .leader = PNN_NONE };
        r = sd_bus_call_method(bus, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                               "org.freedesktop.DBus.Properties", "GetAll", &error, &reply, "s",
                               CLUSTERD_MANAGER_IFACE);
        if (r < 0) {
                /* Whichever daemon the verb is for (ip's is ipd), it is clusterd that did not answer. */
                arg_bus_name = CLUSTERD_BUS_NAME;
                arg_daemon = "ctdb-clusterd";
                return call_failed("Failed to read the cluster state", r, &error);
        }

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &name);
                if (r < 0)
                        break;
                if (strcmp(name, "ThisNode") == 0)
                        r = sd_bus_message_read(reply, "v", "u", &c->this_node);
                else if (strcmp(name, "Leader") == 0)
                        r = sd_bus_message_read(reply, "v", "u", &c->leader);
                else if (strcmp(name, "Generation") == 0)
                        r = sd_bus_message_read(reply, "v", "u", &c->generation);
                else if (strcmp(name, "Recovering") == 0)
                        r = sd_bus_message_read(reply, "v", "b", &c->recovering);
                else if (strcmp(name, "Quorate") == 0)
                        r = sd_bus_message_read(reply, "v", "b", &c->quorate);
                else if (strcmp(name, "Nodes") == 0) {
                        r = sd_bus_message_enter_container(reply, 'v', "a(usu)");
                        if (r >= 0)
                                r = read_nodes(reply, c);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else
                        r = sd_bus_message_skip(reply, "v");
                if (r < 0)
                        break;
                r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                cluster_info_free(c);
                return call_failed("Failed to parse the cluster state", r, NULL);
        }
        return 0;
}

/* ---- verbs ------------------------------------------------------------------ */

static int verb_status(sd_bus *bus, const struct verb *v, int argc, char **argv) {
        struct cluster_info c;
        size_t deleted = 0, active = 0;
        char buf[128];
        int r;

        r = get_cluster_info(bus, &c);
        if (r != 0)
                return r;
        for (size_t i = 0; i < c.n_nodes; i++) {
                if (c.nodes[i].flags & FLAG_DELETED)
                        deleted++;
                else if (!(c.nodes[i].flags & FLAGS_INACTIVE))
                        active++;
        }

        if (arg_json) {
                printf("{\"this_node\":");
                if (c.this_node == PNN_NONE)
                        printf("null");
                else
                        printf("%" PRIu32, c.this_node);
                printf(",\"nodes\":[");
                for (size_t i = 0; i < c.n_nodes; i++) {
                        const struct node_info *n = &c.nodes[i];

                        printf("%s{\"pnn\":%" PRIu32 ",\"address\":", i ? "," : "", n->pnn);
                        json_string(n->address);
                        printf(",\"flags\":%" PRIu32 ",\"state\":", n->flags);
                        json_string(bus_node_flags_to_string(n->flags, buf, sizeof(buf)));
                        printf(",\"this_node\":%s}", n->pnn == c.this_node ? "true" : "false");
                }
                printf("],\"generation\":%" PRIu32 ",\"size\":%zu,\"recovery_mode\":\"%s\",\"leader\":",
                       c.generation, active, c.recovering ? "RECOVERY" : "NORMAL");
                if (c.leader == PNN_NONE)
                        printf("null");
                else
                        printf("%" PRIu32, c.leader);
                printf(",\"quorate\":%s}\n", c.quorate ? "true" : "false");
        } else {
                if (deleted)
                        printf("Number of nodes:%zu (including %zu deleted nodes)\n", c.n_nodes, deleted);
                else
                        printf("Number of nodes:%zu\n", c.n_nodes);
                for (size_t i = 0; i < c.n_nodes; i++) {
                        const struct node_info *n = &c.nodes[i];

                        if (n->flags & FLAG_DELETED)
                                continue;
                        printf("pnn:%" PRIu32 " %-16s %s%s\n", n->pnn, n->address,
                               bus_node_flags_to_string(n->flags, buf, sizeof(buf)),
                               n->pnn == c.this_node ? " (THIS NODE)" : "");
                }
                printf("Generation:%" PRIu32 "\n", c.generation);
                printf("Size:%zu\n", active);
                printf("Recovery mode:%s\n", c.recovering ? "RECOVERY (1)" : "NORMAL (0)");
                if (c.leader == PNN_NONE)
                        printf("Leader:UNKNOWN\n");
                else
                        printf("Leader:%" PRIu32 "\n", c.leader);
                printf("Quorate:%s\n", c.quorate ? "yes" : "no");
        }
        cluster_info_free(&c);
        return 0;
}

static int get_ban_time_left(sd_bus *bus, uint32_t pnn, uint32_t *ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        char path[64];

        snprintf(path, sizeof(path), CLUSTERD_NODE_PREFIX "/%" PRIu32, pnn);
        return sd_bus_get_property_trivial(bus, CLUSTERD_BUS_NAME, path, CLUSTERD_NODE_IFACE, "BanTimeLeft",
                                           &error, 'u', ret);
}

static int verb_nodes(sd_bus *bus, const struct verb *v, int argc, char **argv) {
        struct cluster_info c;
        char buf[128];
        int r;

        r = get_cluster_info(bus, &c);
        if (r != 0)
                return r;
        if (arg_json)
                printf("{\"nodes\":[");
        else
                printf("%-4s %-39s %-28s %s\n", "PNN", "ADDRESS", "STATE", "BAN");
        for (size_t i = 0; i < c.n_nodes; i++) {
                const struct node_info *n = &c.nodes[i];
                uint32_t ban = 0;

                if (!(n->flags & FLAG_DELETED))
                        (void) get_ban_time_left(bus, n->pnn, &ban);
                bus_node_flags_to_string(n->flags, buf, sizeof(buf));
                if (arg_json) {
                        printf("%s{\"pnn\":%" PRIu32 ",\"address\":", i ? "," : "", n->pnn);
                        json_string(n->address);
                        printf(",\"flags\":%" PRIu32 ",\"state\":", n->flags);
                        json_string(buf);
                        printf(",\"ban_time_left\":%" PRIu32 ",\"this_node\":%s}", ban,
                               n->pnn == c.this_node ? "true" : "false");
                } else {
                        char ban_s[16] = "-";

                        if (ban)
                                snprintf(ban_s, sizeof(ban_s), "%" PRIu32 "s", ban);
                        printf("%-4" PRIu32 " %-39s %-28s %s%s\n", n->pnn, n->address[0] ? n->address : "-",
                               buf, ban_s, n->pnn == c.this_node ? "  (this node)" : "");
                }
        }
        if (arg_json)
                printf("]}\n");
        cluster_info_free(&c);
        return 0;
}

int parse_u32(const char *s, const char *what, uint32_t *ret) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (!*s || *end || errno || v > UINT32_MAX || s[0] == '-') {
                fprintf(stderr, "Invalid %s \"%s\" (a number)\n", what, s);
                return -EINVAL;
        }
        *ret = (uint32_t) v;
        return 0;
}


/* ban/unban/disable/enable/stop/continue: Manager.<Method>(pnn[, seconds]) */
static int verb_node(sd_bus *bus, const struct verb *v, int argc, char **argv) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        uint32_t pnn, seconds = 0;
        int r;

        if (parse_u32(argv[1], "PNN", &pnn) < 0)
                return EXIT_USAGE;
        if (argc > 2 && parse_u32(argv[2], "SECONDS", &seconds) < 0)
                return EXIT_USAGE;

        if (argc > 2)
                r = sd_bus_call_method(bus, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH, CLUSTERD_MANAGER_IFACE,
                                       v->method, &error, &reply, "uu", pnn, seconds);
        else
                r = sd_bus_call_method(bus, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH, CLUSTERD_MANAGER_IFACE,
                                       v->method, &error, &reply, "u", pnn);
        if (r < 0) {
                char what[64];

                snprintf(what, sizeof(what), "Failed to %s node %" PRIu32, v->name, pnn);
                return call_failed(what, r, &error);
        }
        if (arg_json) {
                printf("{\"ok\":true,\"verb\":\"%s\",\"pnn\":%" PRIu32, v->name, pnn);
                if (argc > 2)
                        printf(",\"seconds\":%" PRIu32, seconds);
                printf("}\n");
        }
        return 0;
}

/* Verbs that call one Manager method without arguments. */
static int verb_plain(sd_bus *bus, const struct verb *v, int argc, char **argv) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH, CLUSTERD_MANAGER_IFACE,
                               v->method, &error, &reply, NULL);
        if (r < 0)
                return call_failed(v->failure, r, &error);
        if (arg_json)
                printf("{\"ok\":true,\"verb\":\"%s\"}\n", v->name);
        return 0;
}

static const struct verb verbs[] = {
        { "status", 1, 1, "", "Show the nodes, generation, recovery mode and leader", verb_status },
        { "nodes", 1, 1, "", "List the nodes with their state and ban time left", verb_nodes },
        { "ban", 3, 3, "PNN SECONDS", "Ban a node for SECONDS", verb_node, "Ban" },
        { "unban", 2, 2, "PNN", "Lift a node's ban", verb_node, "Unban" },
        { "disable", 2, 2, "PNN", "Disable a node (it hosts no public addresses)", verb_node, "Disable" },
        { "enable", 2, 2, "PNN", "Enable a disabled node", verb_node, "Enable" },
        { "stop", 2, 2, "PNN", "Stop a node (inactive until continued)", verb_node, "Stop" },
        { "continue", 2, 2, "PNN", "Continue a stopped node", verb_node, "Continue" },
        { "recover", 1, 1, "", "Make the leader run a recovery (new generation)", verb_plain, "Recover",
          "Failed to start a recovery" },
        { "reloadnodes", 1, 1, "", "Re-read this node's nodes file (ctdb-clusterd and ctdb-tunneld)",
          verb_plain, "ReloadNodes", "Failed to reload the nodes file" },
        { "db", 2, 8, "VERB ...", "Databases (see below)", verb_db, NULL, NULL, DBD_BUS_NAME, "ctdb-dbd" },
        { "glock", 2, 2, "list", "Cluster-wide g_locks (see below)", verb_glock, NULL, NULL, DBD_BUS_NAME,
          "ctdb-dbd" },
        { "ip", 1, 24, "[plan] ...", "Public addresses and where they are (see below)", verb_ip, NULL, NULL,
          IPD_BUS_NAME, "ctdb-ipd", verb_ip_offline },
        { "move-ip", 3, 3, "ADDRESS PNN", "Move a public address to node PNN", verb_ipd, "Move",
          "Failed to move the address", IPD_BUS_NAME, "ctdb-ipd" },
        { "reload-ips", 1, 1, "", "Re-read this node's public_addresses (adds and drops, keeps the rest)",
          verb_ipd, "Reload", "Failed to reload the public addresses", IPD_BUS_NAME, "ctdb-ipd" },
        { "rebalance", 1, 1, "", "Spread the public addresses over every node that can host them", verb_ipd,
          "Rebalance", "Failed to rebalance the public addresses", IPD_BUS_NAME, "ctdb-ipd" },
};

static void help(void) {
        printf("Usage: ctdbctl [OPTIONS] COMMAND [ARGS]\n\n"
               "Administer a ctdb-remix cluster over D-Bus.\n\n"
               "Commands:\n");
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                printf("  %-11s %-12s %s\n", verbs[i].name, verbs[i].args, verbs[i].help);
        printf("\nOptions:\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --json               One JSON object on stdout\n"
               "     --bus-address=ADDR   Use this bus instead of the system bus\n"
               "  -H --host=[USER@]HOST   The system bus of a remote host, over ssh\n"
               "\nExit status: 0 ok, 1 usage, 2 the daemon not running (ctdb-clusterd; ctdb-dbd for db\n"
               "and glock; ctdb-ipd for ip, move-ip, reload-ips and rebalance), 3 access denied,\n"
               "4 other failure (a missing database or record, too).\n"
               "JSON: status {this_node, nodes[{pnn,address,flags,state,this_node}], generation, size,\n"
               "      recovery_mode, leader (null if none), quorate}; nodes {nodes[{...,ban_time_left}]};\n"
               "      actions {ok:true, verb, pnn[, seconds]}; failures {ok:false, error, message}.\n");
        help_db();
        help_glock();
        help_ip();
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_JSON, ARG_BUS_ADDRESS };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
                { "host", required_argument, NULL, 'H' },
                {},
        };
        int c;

        /* "+": options end at the verb, so that verbs can take their own later. */
        while ((c = getopt_long(argc, argv, "+hH:", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("ctdbctl %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_BUS_ADDRESS:
                        arg_bus_address = optarg;
                        break;
                case 'H':
                        arg_host = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_bus_ sd_bus *bus = NULL;
        const struct verb *v = NULL;
        char **args;
        int r, n;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;

        /* Options may also follow the verb ("ctdbctl status --json"). */
        n = argc - optind;
        if (n < 1) {
                fprintf(stderr, "Missing command; see ctdbctl --help\n");
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                if (strcmp(verbs[i].name, argv[optind]) == 0)
                        v = &verbs[i];
        if (!v) {
                fprintf(stderr, "Unknown command \"%s\"; see ctdbctl --help\n", argv[optind]);
                return EXIT_USAGE;
        }
        /* The verb's own argv, taken before a verb's getopt moves optind (ip parses its options twice). */
        args = argv + optind;
        {
                int k = 0;

                for (int i = 0; i < n; i++) {
                        if (strcmp(args[i], "--json") == 0)
                                arg_json = true;
                        else
                                args[k++] = args[i];
                }
                n = k;
        }
        if (n < v->min_args || n > v->max_args) {
                fprintf(stderr, "Usage: ctdbctl %s %s\n", v->name, v->args);
                return EXIT_USAGE;
        }

        if (v->offline) {
                r = v->offline(n, args);
                if (r >= 0)
                        return r;
        }
        if (v->bus_name) {
                arg_bus_name = v->bus_name;
                arg_daemon = v->daemon;
        }
        r = connect_bus(&bus);
        if (r != 0)
                return r;
        r = check_running(bus);
        if (r != 0)
                return r;
        return v->run(bus, v, n, args);
}
