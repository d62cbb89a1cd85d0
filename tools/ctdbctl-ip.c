/*
 * ctdbctl's public address verbs, on ctdb-ipd (org.ctdb.ipfailover1):
 * - `ip [--all] [-v]`: `ctdb ip`'s table of this node's public addresses (or
 *   every address of the cluster) and the node hosting each, from Addresses;
 * - `ip plan [--down PNN] [--unhealthy PNN] [--disabled PNN] [--flags F,...]`:
 *   what a takeover run would do now or with those node states (ipd's Plan),
 *   each address that would move marked, so that an admin sees a move before
 *   making it;
 * - `ip plan --flags F0,F1,... --input FILE`: the same for a scenario,
 *   computed here with ctdb-ipd's own allocation (services/ipd/ipd-alloc.h),
 *   no cluster needed. FILE (- for standard input) has `ADDRESS CURRENT_PNN
 *   [PNN,...]` per line (ipd-plan.h); --no-failback and --no-takeover are
 *   CTDB's NoIPFailback and NoIPTakeover;
 * - `move-ip ADDRESS PNN`, `reload-ips`, `rebalance`: Move, Reload, Rebalance.
 * A plan prints `ADDRESS PNN` per line, highest address first as CTDB prints
 * it (-1: no node can host it); --score adds LCP2's balance figure per node,
 * the total and how many addresses moved.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "bus-util.h"
#include "ctdb-names.h"
#include "ctdb-node.h"
#include "ctdbctl-format.h"
#include "ctdbctl.h"
#include "ipd-plan.h"
#include "talloc-util.h"

#define PLAN_INPUT_MAX (64u * 1024u * 1024u)
/* How many --down/--unhealthy/--disabled options one `ip plan` takes (each may list several nodes). */
#define PLAN_MARKS_MAX 64u

static char *read_all(void *ctx, FILE *f) {
        size_t len = 0, cap = 4096;
        char *buf = talloc_size(ctx, cap);

        while (buf) {
                size_t n = fread(buf + len, 1, cap - len - 1, f);

                len += n;
                if (n == 0)
                        break;
                if (len + 1 == cap) {
                        if (cap >= PLAN_INPUT_MAX)
                                return talloc_free(buf), NULL;
                        cap *= 2;
                        buf = talloc_realloc(ctx, buf, char, cap);
                }
        }
        if (buf)
                buf[len] = 0;
        return ferror(f) ? NULL : buf;
}

struct plan_args {
        const char *flags, *input;
        bool no_failback, no_takeover, score;
        struct {
                const char *option, *list;
                uint32_t flag;
        } marks[PLAN_MARKS_MAX];
        unsigned n_marks;
};

static void plan_usage(void) {
        fprintf(stderr, "Usage: ctdbctl ip plan [--down PNN,...] [--unhealthy PNN,...] [--disabled PNN,...] "
                        "[--flags F0,F1,...] [--score]\n"
                        "       ctdbctl ip plan --flags F0,F1,... --input FILE [--no-failback] "
                        "[--no-takeover] [--score]\n");
}

/* `ip plan`'s options (argv[0] is "plan"): 0, or EXIT_USAGE after saying what is wrong. */
static int parse_plan_args(int argc, char **argv, struct plan_args *a) {
        enum {
                ARG_FLAGS = 0x100,
                ARG_INPUT,
                ARG_NO_FAILBACK,
                ARG_NO_TAKEOVER,
                ARG_SCORE,
                ARG_DOWN,
                ARG_UNHEALTHY,
                ARG_DISABLED
        };
        static const struct option options[] = {
                { "flags", required_argument, NULL, ARG_FLAGS },
                { "input", required_argument, NULL, ARG_INPUT },
                { "no-failback", no_argument, NULL, ARG_NO_FAILBACK },
                { "no-takeover", no_argument, NULL, ARG_NO_TAKEOVER },
                { "score", no_argument, NULL, ARG_SCORE },
                { "down", required_argument, NULL, ARG_DOWN },
                { "unhealthy", required_argument, NULL, ARG_UNHEALTHY },
                { "disabled", required_argument, NULL, ARG_DISABLED },
                {},
        };
        int c;

        *a = (struct plan_args){};
        /* 0, not 1: this may be the second parse of argv (verb_ip_offline, then verb_ip). */
        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case ARG_FLAGS:
                        a->flags = optarg;
                        break;
                case ARG_INPUT:
                        a->input = optarg;
                        break;
                case ARG_NO_FAILBACK:
                        a->no_failback = true;
                        break;
                case ARG_NO_TAKEOVER:
                        a->no_takeover = true;
                        break;
                case ARG_SCORE:
                        a->score = true;
                        break;
                case ARG_DOWN:
                case ARG_UNHEALTHY:
                case ARG_DISABLED:
                        if (a->n_marks == PLAN_MARKS_MAX) {
                                fprintf(stderr,
                                        "ctdbctl ip plan: at most %u node options (list nodes: --down "
                                        "1,2)\n",
                                        PLAN_MARKS_MAX);
                                return EXIT_USAGE;
                        }
                        a->marks[a->n_marks].option = c == ARG_DOWN        ? "--down"
                                                      : c == ARG_UNHEALTHY ? "--unhealthy"
                                                                           : "--disabled";
                        a->marks[a->n_marks].list = optarg;
                        a->marks[a->n_marks++].flag = c == ARG_DOWN ? CTDB_NODE_FLAG_DISCONNECTED
                                                      : c == ARG_UNHEALTHY
                                                              ? CTDB_NODE_FLAG_UNHEALTHY
                                                              : CTDB_NODE_FLAG_PERMANENTLY_DISABLED;
                        break;
                default:
                        plan_usage();
                        return EXIT_USAGE;
                }
        if (optind != argc) {
                plan_usage();
                return EXIT_USAGE;
        }
        if (a->input && (!a->flags || a->n_marks)) {
                fprintf(stderr, "ctdbctl ip plan: --input needs --flags (one per node) and takes no "
                                "--down/--unhealthy/--disabled (write those bits into --flags)\n");
                return EXIT_USAGE;
        }
        if (!a->input && (a->no_failback || a->no_takeover)) {
                fprintf(stderr, "ctdbctl ip plan: --no-failback and --no-takeover only with --input "
                                "(on a cluster ctdb-ipd's configuration decides)\n");
                return EXIT_USAGE;
        }
        return 0;
}

static int ip_plan_offline(const struct plan_args *a) {
        _cleanup_talloc_ void *ctx = talloc_new(NULL);
        const char *input = a->input;
        struct ipd_plan *p;
        char *text, *error = NULL;
        uint32_t *pnn;
        FILE *f;
        int r;

        f = strcmp(input, "-") == 0 ? stdin : fopen(input, "re");
        if (!f) {
                fprintf(stderr, "Failed to open %s: %m\n", input);
                return EXIT_FAILURE_;
        }
        text = read_all(ctx, f);
        if (f != stdin)
                fclose(f);
        if (!text) {
                fprintf(stderr, "Failed to read %s (at most %u MiB)\n", input, PLAN_INPUT_MAX >> 20);
                return EXIT_FAILURE_;
        }
        r = ipd_plan_parse(ctx, a->flags, strcmp(input, "-") == 0 ? "stdin" : input, text, &p, &error);
        if (r < 0) {
                fprintf(stderr, "%s\n", error ? error : strerror(-r));
                return r == -EINVAL ? EXIT_USAGE : EXIT_FAILURE_;
        }
        p->in.no_failback = a->no_failback;
        p->in.no_takeover = a->no_takeover;
        pnn = talloc_zero_array(ctx, uint32_t, p->in.n_ips + 1);
        r = pnn ? ipalloc_run(&p->in, pnn) : -ENOMEM;
        if (r >= 0)
                r = ip_print_plan(stdout, p->ips, p->in.n_ips, p->in.n_nodes, pnn,
                                  a->score ? IP_PLAN_SCORE : 0);
        if (r < 0) {
                fprintf(stderr, "Failed to plan: %s\n", strerror(-r));
                return EXIT_FAILURE_;
        }
        return 0;
}

/* ipd's Addresses; the rows' strings belong to *ret_reply. 0 or the exit code after reporting. */
static int read_addresses(sd_bus *bus, void *ctx, sd_bus_message **ret_reply, struct ip_row **ret_rows,
                          size_t *ret_n) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        struct ip_row *rows = NULL, row;
        size_t n = 0;
        int r;

        r = sd_bus_get_property(bus, IPD_BUS_NAME, IPD_MANAGER_PATH, IPD_MANAGER_IFACE, "Addresses", &error,
                                ret_reply, "a(ssu)");
        if (r < 0)
                return call_failed("Failed to read the public addresses", r, &error);
        r = sd_bus_message_enter_container(*ret_reply, 'a', "(ssu)");
        while (r >= 0 &&
               (r = sd_bus_message_read(*ret_reply, "(ssu)", &row.address, &row.interfaces, &row.pnn)) > 0) {
                rows = talloc_realloc(ctx, rows, struct ip_row, n + 1);
                if (!rows)
                        return call_failed("Failed to read the public addresses", -ENOMEM, NULL);
                rows[n++] = row;
        }
        if (r < 0)
                return call_failed("Failed to parse the public addresses", r, NULL);
        *ret_rows = rows;
        *ret_n = n;
        return 0;
}

/* `ip [--all|all] [-v|--verbose]` (argv[0] is "ip"): 0 and IP_PRINT_* in *ret_flags, or EXIT_USAGE. */
static int parse_list_args(int argc, char **argv, unsigned *ret_flags) {
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "verbose", no_argument, NULL, 'v' },
                {},
        };
        unsigned flags = 0;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "v", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        flags |= IP_PRINT_ALL;
                        break;
                case 'v':
                        flags |= IP_PRINT_VERBOSE;
                        break;
                default:
                        return EXIT_USAGE;
                }
        /* CTDB's own spelling, `ctdb ip all`, too. */
        if (optind < argc && strcmp(argv[optind], "all") == 0) {
                flags |= IP_PRINT_ALL;
                optind++;
        }
        if (optind != argc) {
                fprintf(stderr, "Usage: ctdbctl ip [--all] [-v|--verbose], ctdbctl ip plan ...; see ctdbctl "
                                "--help\n");
                return EXIT_USAGE;
        }
        *ret_flags = flags;
        return 0;
}

static int ip_list(sd_bus *bus, int argc, char **argv) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_talloc_ void *ctx = talloc_new(NULL);
        struct cluster_info c;
        struct ip_row *rows = NULL;
        unsigned flags = 0;
        size_t n = 0;
        int r;

        r = parse_list_args(argc, argv, &flags);
        if (r != 0)
                return r;
        if (!ctx)
                return call_failed("Failed to list the public addresses", -ENOMEM, NULL);
        r = read_addresses(bus, ctx, &reply, &rows, &n);
        if (r != 0)
                return r;
        if (arg_json) {
                ip_print_json(stdout, rows, n, flags);
                return 0;
        }
        /* Only the heading needs clusterd: which node this is. */
        r = get_cluster_info(bus, &c);
        if (r != 0)
                return r;
        ip_print_table(stdout, rows, n, c.this_node, flags);
        cluster_info_free(&c);
        return 0;
}

/*
 * The flags to plan with: none (ipd's own, the flags the nodes have now) when
 * no option changes them, else --flags or clusterd's Nodes, with the nodes of
 * --down/--unhealthy/--disabled marked. 0 or the exit code after reporting.
 */
static int plan_flags(sd_bus *bus, void *ctx, const struct plan_args *a, uint32_t **ret_flags,
                      uint32_t *ret_n) {
        struct cluster_info c;
        uint32_t *flags = NULL, n = 0;
        int r;

        if (a->flags) {
                struct ipd_plan *p;
                char *error = NULL;

                r = ipd_plan_parse(ctx, a->flags, "--flags", "", &p, &error);
                if (r < 0)
                        return report_failure(r == -EINVAL ? EXIT_USAGE : EXIT_FAILURE_, NULL, "--flags",
                                              error ? error : strerror(-r));
                flags = p->flags;
                n = p->in.n_nodes;
        } else {
                r = get_cluster_info(bus, &c);
                if (r != 0)
                        return r;
                /* Nodes lists every pnn once, deleted ones too; a gap would be a node that cannot host. */
                for (size_t i = 0; i < c.n_nodes; i++)
                        if (c.nodes[i].pnn < IPD_PLAN_MAX_NODES && c.nodes[i].pnn >= n)
                                n = c.nodes[i].pnn + 1;
                flags = talloc_array(ctx, uint32_t, n + 1);
                for (uint32_t i = 0; flags && i < n; i++)
                        flags[i] = CTDB_NODE_FLAG_DELETED;
                for (size_t i = 0; flags && i < c.n_nodes; i++)
                        if (c.nodes[i].pnn < n)
                                flags[c.nodes[i].pnn] = c.nodes[i].flags;
                cluster_info_free(&c);
                if (!flags)
                        return call_failed("Failed to plan", -ENOMEM, NULL);
        }
        for (unsigned i = 0; i < a->n_marks; i++) {
                const char *bad;

                if (ip_plan_mark(flags, n, a->marks[i].list, a->marks[i].flag, &bad) < 0) {
                        fprintf(stderr,
                                "ctdbctl ip plan: %s: \"%.*s\" is not a node (the cluster has 0..%" PRIu32
                                ")\n",
                                a->marks[i].option, (int) strcspn(bad, ","), bad, n - 1);
                        return EXIT_USAGE;
                }
        }
        *ret_flags = flags;
        *ret_n = n;
        return 0;
}

/* ipd's Plan(flags) as (address, current holder) and the planned pnn per address. */
static int call_plan(sd_bus *bus, void *ctx, const uint32_t *flags, uint32_t n_flags,
                     struct ipalloc_ip **ret_ips, uint32_t **ret_pnn, size_t *ret_n) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        struct ipalloc_ip *ips = NULL;
        uint32_t *pnn = NULL, to;
        const char *address;
        size_t n = 0;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, IPD_BUS_NAME, IPD_MANAGER_PATH, IPD_MANAGER_IFACE,
                                           "Plan");
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'u', flags, n_flags * sizeof(*flags));
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return call_failed("Failed to plan", r, &error);
        r = sd_bus_message_enter_container(reply, 'a', "(su)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(su)", &address, &to)) > 0) {
                bool given;

                ips = talloc_realloc(ctx, ips, struct ipalloc_ip, n + 1);
                pnn = talloc_realloc(ctx, pnn, uint32_t, n + 1);
                if (!ips || !pnn)
                        return call_failed("Failed to plan", -ENOMEM, NULL);
                if (ctdb_ip_prefix_from_string(address, &ips[n].addr, &given) < 0) {
                        char msg[256];

                        snprintf(msg, sizeof(msg), "ctdb-ipd planned \"%s\", which is not an address",
                                 address);
                        return report_failure(EXIT_FAILURE_, NULL, "Failed to plan", msg);
                }
                ips[n].pnn = CTDB_PNN_NONE;
                pnn[n++] = to;
        }
        if (r < 0)
                return call_failed("Failed to parse the plan", r, NULL);
        *ret_ips = ips;
        *ret_pnn = pnn;
        *ret_n = n;
        return 0;
}

/* `ip plan` on the cluster: ipd's plan, and against Addresses what it moves. */
static int ip_plan_live(sd_bus *bus, const struct plan_args *a) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_talloc_ void *ctx = talloc_new(NULL);
        struct ipalloc_ip *ips = NULL;
        struct ip_row *rows = NULL;
        uint32_t *flags = NULL, *pnn = NULL, n_nodes = 0;
        size_t n = 0, n_rows = 0;
        int r;

        if (!ctx)
                return call_failed("Failed to plan", -ENOMEM, NULL);
        r = plan_flags(bus, ctx, a, &flags, &n_nodes);
        if (r != 0)
                return r;
        /* Nothing changed by an option: the empty array, the flags ipd sees now (the contract's "now"). */
        r = call_plan(bus, ctx, flags, a->flags || a->n_marks ? n_nodes : 0, &ips, &pnn, &n);
        if (r != 0)
                return r;
        r = read_addresses(bus, ctx, &reply, &rows, &n_rows);
        if (r != 0)
                return r;
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < n_rows; k++) {
                        struct ctdb_ip cur;
                        bool given;

                        if (ctdb_ip_prefix_from_string(rows[k].address, &cur, &given) >= 0 &&
                            ctdb_ip_equal(&cur, &ips[i].addr)) {
                                ips[i].pnn = rows[k].pnn;
                                break;
                        }
                }
        r = ip_print_plan(stdout, ips, n, n_nodes, pnn,
                          IP_PLAN_MOVES | (a->score ? IP_PLAN_SCORE : 0) | (arg_json ? IP_PLAN_JSON : 0));
        if (r < 0)
                return call_failed("Failed to plan", r, NULL);
        return 0;
}

/* Usage errors before the bus: a wrong word is a wrong word whether ipd runs or not. */
int verb_ip_offline(int argc, char **argv) {
        struct plan_args a;
        unsigned flags;
        int r;

        if (argc >= 2 && strcmp(argv[1], "plan") == 0) {
                r = parse_plan_args(argc - 1, argv + 1, &a);
                if (r != 0)
                        return r;
                return a.input ? ip_plan_offline(&a) : -1;
        }
        r = parse_list_args(argc, argv, &flags);
        return r != 0 ? r : -1;
}

int verb_ip(sd_bus *bus, const struct verb *v, int argc, char **argv) {
        struct plan_args a;
        int r;

        if (argc >= 2 && strcmp(argv[1], "plan") == 0) {
                r = parse_plan_args(argc - 1, argv + 1, &a);
                return r != 0 ? r : ip_plan_live(bus, &a);
        }
        return ip_list(bus, argc, argv);
}

/* move-ip ADDRESS PNN, reload-ips, rebalance: the verb's method on ipd's Manager. */
int verb_ipd(sd_bus *bus, const struct verb *v, int argc, char **argv) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        char address[CTDB_IP_STRLEN];
        uint32_t pnn = 0;
        int r;

        if (argc == 3) {
                struct ctdb_ip ip;
                bool given;

                if (ctdb_ip_prefix_from_string(argv[1], &ip, &given) < 0) {
                        fprintf(stderr, "Invalid ADDRESS \"%s\" (an IPv4 or IPv6 address)\n", argv[1]);
                        return EXIT_USAGE;
                }
                if (parse_u32(argv[2], "PNN", &pnn) < 0)
                        return EXIT_USAGE;
                /* The bare address, as Addresses names it without its prefix. */
                ctdb_ip_to_string(&ip, false, address, sizeof(address));
                r = sd_bus_call_method(bus, IPD_BUS_NAME, IPD_MANAGER_PATH, IPD_MANAGER_IFACE, v->method,
                                       &error, &reply, "su", address, pnn);
        } else
                r = sd_bus_call_method(bus, IPD_BUS_NAME, IPD_MANAGER_PATH, IPD_MANAGER_IFACE, v->method,
                                       &error, &reply, NULL);
        if (r < 0) {
                char what[128];

                if (argc == 3)
                        snprintf(what, sizeof(what), "Failed to move %s to node %" PRIu32, address, pnn);
                return call_failed(argc == 3 ? what : v->failure, r, &error);
        }
        if (arg_json) {
                printf("{\"ok\":true,\"verb\":\"%s\"", v->name);
                if (argc == 3) {
                        printf(",\"address\":");
                        json_string(address);
                        printf(",\"pnn\":%" PRIu32, pnn);
                }
                printf("}\n");
        }
        return 0;
}

void help_ip(void) {
        printf("\nip verbs (ctdb-ipd's public addresses):\n"
               "  ip [--all] [-v]          this node's public addresses and the node hosting each (-1: "
               "none),\n"
               "                           like `ctdb ip`; --all every address of the cluster; -v adds "
               "this\n"
               "                           node's interfaces for each\n"
               "  ip plan [--down PNN,...] [--unhealthy PNN,...] [--disabled PNN,...] [--flags F0,F1,...]\n"
               "          [--score]        where a takeover run would put each address now, or were those\n"
               "                           nodes disconnected, unhealthy or disabled (or had the flags F):\n"
               "                           ADDRESS PNN per line, \"(moves from N)\" on each that would "
               "move\n"
               "  move-ip ADDRESS PNN      reload-ips                rebalance\n"
               "\nip plan --flags F0,F1,... --input FILE [--no-failback] [--no-takeover] [--score]\n"
               "  What a takeover run would do, with no cluster: FILE (- for stdin) has one line per\n"
               "  address, ADDRESS CURRENT_PNN [PNN,...] (-1: nobody; the nodes that can host it,\n"
               "  default all); F is each node's flags in CTDB's bits (DISCONNECTED 0x1, UNHEALTHY 0x2,\n"
               "  PERMANENTLY_DISABLED 0x4, BANNED 0x8, DELETED 0x10, STOPPED 0x20). Prints ADDRESS PNN\n"
               "  per line, highest address first (-1: no node can host it); --score adds LCP2's\n"
               "  imbalance per node, the total and how many moved.\n"
               "JSON: ip [{address, prefix, interfaces[], pnn (null: none)}]; ip plan (live)\n"
               "      [{address, pnn, current}]; move-ip {ok:true, verb, address, pnn}.\n");
}
