/*
 * ctdb-netfilter: the building blocks of IP failover (netfilter/) from the
 * command line, for tests and admins. Each subcommand is one library call;
 * the exit code says whether it worked (0), failed (1) or was misused (2).
 */

#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nf-addr.h"
#include "nf-announce.h"
#include "nf-link.h"
#include "nf-tables.h"
#include "nf-tickle.h"

static unsigned arg_flags;
static unsigned arg_count = 3;
static unsigned arg_interval_ms = 1000;
static unsigned arg_forms;
static unsigned arg_watch_sec;
static unsigned arg_iterations = 100;

static char err[512];

static void help(void) {
        printf("Usage: ctdb-netfilter [OPTIONS] COMMAND ...\n"
               "\n"
               "Addresses and links (rtnetlink):\n"
               "  addr add IFACE ADDR/PREFIX     add an address [--noprefixroute] [--nodad]\n"
               "  addr del IFACE ADDR[/PREFIX]   remove an address (prefix looked up if omitted)\n"
               "  addr list [IFACE]              list addresses\n"
               "  link IFACE                     show up/down and carrier [--watch SEC: print changes]\n"
               "Announcements and tickles:\n"
               "  garp IFACE ADDR                gratuitous ARP burst [--count N] [--interval-ms MS]\n"
               "                                 [--form request|reply|both]\n"
               "  na IFACE ADDR                  unsolicited neighbour advertisement burst\n"
               "  tickle SERVER:PORT CLIENT:PORT tickle ACKs from the public address to a client [--count "
               "N]\n"
               "nftables (table inet " NF_TABLE_NAME " only):\n"
               "  table create|delete            create (idempotent) or delete the table\n"
               "  release-reset add|del ADDR...  reset/reject traffic to addresses being released\n"
               "  public add|del ADDR...         public addresses whose TCP clients are tracked\n"
               "  tracked list                   tracked connections (CLIENT SERVER EXPIRES_MS)\n"
               "  lb apply [ADDR N SLOT]...      accept ADDR's clients with jhash(saddr) %% N == SLOT;\n"
               "                                 no arguments removes load balancing\n"
               "  natgw apply [NETWORK IFACE]... masquerade NETWORK leaving through IFACE; none removes\n"
               "Measurements:\n"
               "  bench IFACE ADDR               time addr add + 3-frame announcement, and the reset rules\n"
               "                                 for one address [--iterations N]\n"
               "\n"
               "Options:\n"
               "  -h --help                      show this help\n"
               "     --count N                   frames per burst / tickles (default 3)\n"
               "     --interval-ms MS            between frames of a burst (default 1000)\n");
}

static int fail(int r) {
        fprintf(stderr, "ctdb-netfilter: %s\n", err[0] ? err : strerror(-r));
        return EXIT_FAILURE;
}

static int usage(const char *what) {
        fprintf(stderr, "ctdb-netfilter: %s (see --help)\n", what);
        return 2;
}

static int parse_addr(const char *s, struct ctdb_ip *a, bool *prefix_given) {
        if (ctdb_ip_prefix_from_string(s, a, prefix_given) < 0) {
                fprintf(stderr, "ctdb-netfilter: \"%s\" is not an IPv4 or IPv6 address[/prefix]\n", s);
                return -EINVAL;
        }
        return 0;
}

static int print_addr(const struct nf_addr_info *info, void *userdata) {
        char ifname[IF_NAMESIZE] = "?", s[CTDB_IP_STRLEN];

        if_indextoname((unsigned) info->ifindex, ifname);
        printf("%-10s %-45s%s%s%s\n", ifname, ctdb_ip_to_string(&info->addr, true, s, sizeof(s)),
               info->flags & 0x200 ? " noprefixroute" : "", info->flags & 0x40 ? " tentative" : "",
               info->flags & 0x02 ? " nodad" : "");
        return 0;
}

static int cmd_addr(int argc, char **argv) {
        struct ctdb_ip a;
        bool given;
        int r;

        if (argc < 1)
                return usage("addr needs add, del or list");
        if (strcmp(argv[0], "list") == 0) {
                if (argc > 2)
                        return usage("addr list takes at most an interface");
                r = nf_addr_list(argc == 2 ? argv[1] : NULL, AF_UNSPEC, print_addr, NULL, err, sizeof(err));
                return r < 0 ? fail(r) : 0;
        }
        if (argc != 3)
                return usage("addr add/del need IFACE ADDR");
        if (parse_addr(argv[2], &a, &given) < 0)
                return 2;
        if (strcmp(argv[0], "add") == 0)
                r = nf_addr_add(argv[1], &a, arg_flags, err, sizeof(err));
        else if (strcmp(argv[0], "del") == 0) {
                if (!given)
                        a.prefixlen = 0;
                r = nf_addr_del(argv[1], &a, err, sizeof(err));
        } else
                return usage("addr needs add, del or list");
        return r < 0 ? fail(r) : 0;
}

static void print_link(const struct nf_link_state *s, void *userdata) {
        const char *want = userdata;
        char buf[64];

        if (want && strcmp(want, s->ifname) != 0)
                return;
        printf("%s %s\n", s->ifname, nf_link_state_string(s, buf, sizeof(buf)));
        fflush(stdout);
}

static int cmd_link(int argc, char **argv) {
        struct nf_link_state s;
        nf_link_monitor *m = NULL;
        struct timespec start, now;
        int r;

        if (argc != 1)
                return usage("link needs IFACE");
        if (arg_watch_sec > 0) {
                /* Subscribe before reading, so no change between the two is lost. */
                r = nf_link_monitor_new(&m);
                if (r < 0) {
                        snprintf(err, sizeof(err), "Cannot watch links: %s", strerror(-r));
                        return fail(r);
                }
        }
        r = nf_link_get(argv[0], &s, err, sizeof(err));
        if (r < 0) {
                nf_link_monitor_free(m);
                return fail(r);
        }
        print_link(&s, NULL);
        if (!m)
                return 0;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                struct pollfd p = { .fd = nf_link_monitor_fd(m), .events = POLLIN };
                long left;

                clock_gettime(CLOCK_MONOTONIC, &now);
                left = (long) arg_watch_sec * 1000 - ((now.tv_sec - start.tv_sec) * 1000 +
                                                      (now.tv_nsec - start.tv_nsec) / 1000000);
                if (left <= 0)
                        break;
                r = poll(&p, 1, (int) left);
                if (r < 0 && errno != EINTR)
                        break;
                if (r > 0 && nf_link_monitor_process(m, print_link, argv[0]) < 0)
                        break;
        }
        nf_link_monitor_free(m);
        return 0;
}

static int cmd_announce(int argc, char **argv, bool v6) {
        struct ctdb_ip a;
        int r;

        if (argc != 2)
                return usage(v6 ? "na needs IFACE ADDR" : "garp needs IFACE ADDR");
        if (parse_addr(argv[1], &a, NULL) < 0)
                return 2;
        if ((a.family == AF_INET6) != v6)
                return usage(v6 ? "na is for IPv6 addresses" : "garp is for IPv4 addresses");
        r = nf_announce(argv[0], &a, arg_count, arg_interval_ms * 1000, arg_forms, err, sizeof(err));
        if (r < 0)
                return fail(r);
        printf("%d frames sent\n", r);
        return 0;
}

static int cmd_tickle(int argc, char **argv) {
        union nf_sockaddr server, client;
        int r;

        if (argc != 2)
                return usage("tickle needs SERVER:PORT CLIENT:PORT");
        if (nf_sockaddr_from_string(argv[0], &server) < 0 || nf_sockaddr_from_string(argv[1], &client) < 0)
                return usage("addresses are ADDR:PORT or [ADDR6]:PORT");
        r = nf_tickle(&server, &client, arg_count, err, sizeof(err));
        return r < 0 ? fail(r) : 0;
}

static int parse_addrs(int argc, char **argv, struct ctdb_ip **ret) {
        struct ctdb_ip *a = calloc((size_t) argc + 1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        for (int i = 0; i < argc; i++)
                if (parse_addr(argv[i], &a[i], NULL) < 0) {
                        free(a);
                        return -EINVAL;
                }
        *ret = a;
        return 0;
}

static int cmd_set(int argc, char **argv, bool release) {
        struct ctdb_ip *a;
        int r;

        if (argc < 2 || (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "del") != 0))
                return usage("needs add|del ADDR...");
        if (parse_addrs(argc - 1, argv + 1, &a) < 0)
                return 2;
        if (strcmp(argv[0], "add") == 0)
                r = (release ? nf_tables_release_add : nf_tables_public_add)(a, (size_t) argc - 1, err,
                                                                             sizeof(err));
        else
                r = (release ? nf_tables_release_del : nf_tables_public_del)(a, (size_t) argc - 1, err,
                                                                             sizeof(err));
        free(a);
        return r < 0 ? fail(r) : 0;
}

static int print_tracked(const struct nf_tracked_conn *c, void *userdata) {
        char s1[64], s2[64];

        printf("%-47s %-47s %llu\n", nf_sockaddr_to_string(&c->client, s1, sizeof(s1)),
               nf_sockaddr_to_string(&c->server, s2, sizeof(s2)), (unsigned long long) c->expires_ms);
        return 0;
}

static int parse_uint(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > 0xffffffffu)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int cmd_lb(int argc, char **argv) {
        struct nf_lb_entry *e;
        size_t n = (size_t) argc / 3;
        int r;

        if (argc % 3 != 0)
                return usage("lb apply takes triples ADDR N SLOT");
        e = calloc(n + 1, sizeof(*e));
        if (!e)
                return fail(-ENOMEM);
        for (size_t i = 0; i < n; i++)
                if (parse_addr(argv[3 * i], &e[i].addr, NULL) < 0 ||
                    parse_uint(argv[3 * i + 1], &e[i].modulus) < 0 ||
                    parse_uint(argv[3 * i + 2], &e[i].slot) < 0) {
                        free(e);
                        return usage("lb apply takes triples ADDR N SLOT");
                }
        r = nf_tables_lb_apply(e, n, err, sizeof(err));
        free(e);
        return r < 0 ? fail(r) : 0;
}

static int cmd_natgw(int argc, char **argv) {
        struct nf_natgw_entry *e;
        size_t n = (size_t) argc / 2;
        int r;

        if (argc % 2 != 0)
                return usage("natgw apply takes pairs NETWORK IFACE");
        e = calloc(n + 1, sizeof(*e));
        if (!e)
                return fail(-ENOMEM);
        for (size_t i = 0; i < n; i++) {
                if (parse_addr(argv[2 * i], &e[i].network, NULL) < 0 ||
                    strlen(argv[2 * i + 1]) >= IF_NAMESIZE) {
                        free(e);
                        return usage("natgw apply takes pairs NETWORK IFACE");
                }
                strcpy(e[i].ifname, argv[2 * i + 1]);
        }
        r = nf_tables_natgw_apply(e, n, err, sizeof(err));
        free(e);
        return r < 0 ? fail(r) : 0;
}

static double now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, unsigned n) {
        qsort(v, n, sizeof(*v), cmp_double);
        printf("%-36s median %8.1f us   min %8.1f us   max %8.1f us   (%u runs)\n", what, v[n / 2], v[0],
               v[n - 1], n);
}

/*
 * What a takeover costs this node: add the address, announce it with a
 * 3-frame burst (sent back to back: the spacing of a real burst is a choice,
 * not a cost), and what a release costs: the reset rule for one address.
 */
static int cmd_bench(int argc, char **argv) {
        struct ctdb_ip a;
        double *t_add, *t_garp, *t_both, *t_reset, *t_unreset, *t_del;
        unsigned n = arg_iterations;
        int r = 0, pfd = -1;

        if (argc != 2)
                return usage("bench needs IFACE ADDR");
        if (parse_addr(argv[1], &a, NULL) < 0)
                return 2;
        if (n == 0 || n > 100000)
                return usage("--iterations must be 1..100000");
        t_add = calloc(n, sizeof(double));
        t_garp = calloc(n, sizeof(double));
        t_both = calloc(n, sizeof(double));
        t_reset = calloc(n, sizeof(double));
        t_unreset = calloc(n, sizeof(double));
        t_del = calloc(n, sizeof(double));
        if (!t_add || !t_garp || !t_both || !t_reset || !t_unreset || !t_del) {
                r = -ENOMEM;
                goto out;
        }
        r = nf_tables_create(err, sizeof(err));
        if (r < 0)
                goto out;
        /* One packet socket for all rounds, as a daemon keeps it (see nf_announce_fd()). */
        pfd = nf_announce_socket();
        if (pfd < 0) {
                r = pfd;
                goto out;
        }
        for (unsigned i = 0; i < n; i++) {
                double t0 = now_us(), t1, t2, t3, t4, t5;

                r = nf_addr_add(argv[0], &a, NF_ADDR_NODAD, err, sizeof(err));
                if (r < 0)
                        goto out;
                t1 = now_us();
                r = nf_announce_fd(pfd, argv[0], &a, 3, 0, NF_ARP_REQUEST, err, sizeof(err));
                if (r < 0)
                        goto out;
                t2 = now_us();
                r = nf_tables_release_add(&a, 1, err, sizeof(err));
                if (r < 0)
                        goto out;
                t3 = now_us();
                r = nf_tables_release_del(&a, 1, err, sizeof(err));
                if (r < 0)
                        goto out;
                t4 = now_us();
                r = nf_addr_del(argv[0], &a, err, sizeof(err));
                if (r < 0)
                        goto out;
                t5 = now_us();
                t_add[i] = t1 - t0;
                t_garp[i] = t2 - t1;
                t_both[i] = t2 - t0;
                t_reset[i] = t3 - t2;
                t_unreset[i] = t4 - t3;
                t_del[i] = t5 - t4;
        }
        report("addr add", t_add, n);
        report(a.family == AF_INET ? "garp burst (3 frames)" : "na burst (3 frames)", t_garp, n);
        report("addr add + burst", t_both, n);
        report("release-reset add (1 address)", t_reset, n);
        report("release-reset del (1 address)", t_unreset, n);
        report("addr del", t_del, n);
out:
        if (pfd >= 0)
                close(pfd);
        free(t_add);
        free(t_garp);
        free(t_both);
        free(t_reset);
        free(t_unreset);
        free(t_del);
        return r < 0 ? fail(r) : 0;
}

int main(int argc, char **argv) {
        enum {
                ARG_COUNT = 0x100,
                ARG_INTERVAL,
                ARG_FORM,
                ARG_WATCH,
                ARG_ITER,
                ARG_NOPREFIXROUTE,
                ARG_NODAD
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "count", required_argument, NULL, ARG_COUNT },
                { "interval-ms", required_argument, NULL, ARG_INTERVAL },
                { "form", required_argument, NULL, ARG_FORM },
                { "watch", required_argument, NULL, ARG_WATCH },
                { "iterations", required_argument, NULL, ARG_ITER },
                { "noprefixroute", no_argument, NULL, ARG_NOPREFIXROUTE },
                { "nodad", no_argument, NULL, ARG_NODAD },
                {}
        };
        const char *cmd;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_COUNT:
                        if (parse_uint(optarg, &arg_count) < 0 || arg_count > 1000)
                                return usage("--count must be 0..1000");
                        break;
                case ARG_INTERVAL:
                        if (parse_uint(optarg, &arg_interval_ms) < 0 || arg_interval_ms > 60000)
                                return usage("--interval-ms must be 0..60000");
                        break;
                case ARG_FORM:
                        if (strcmp(optarg, "request") == 0)
                                arg_forms = NF_ARP_REQUEST;
                        else if (strcmp(optarg, "reply") == 0)
                                arg_forms = NF_ARP_REPLY;
                        else if (strcmp(optarg, "both") == 0)
                                arg_forms = NF_ARP_REQUEST | NF_ARP_REPLY;
                        else
                                return usage("--form is request, reply or both");
                        break;
                case ARG_WATCH:
                        if (parse_uint(optarg, &arg_watch_sec) < 0)
                                return usage("--watch takes seconds");
                        break;
                case ARG_ITER:
                        if (parse_uint(optarg, &arg_iterations) < 0)
                                return usage("--iterations takes a number");
                        break;
                case ARG_NOPREFIXROUTE:
                        arg_flags |= NF_ADDR_NOPREFIXROUTE;
                        break;
                case ARG_NODAD:
                        arg_flags |= NF_ADDR_NODAD;
                        break;
                default:
                        return 2;
                }

        if (optind >= argc)
                return usage("no command given");
        cmd = argv[optind];
        argc -= optind + 1;
        argv += optind + 1;

        if (strcmp(cmd, "addr") == 0)
                return cmd_addr(argc, argv);
        if (strcmp(cmd, "link") == 0)
                return cmd_link(argc, argv);
        if (strcmp(cmd, "garp") == 0)
                return cmd_announce(argc, argv, false);
        if (strcmp(cmd, "na") == 0)
                return cmd_announce(argc, argv, true);
        if (strcmp(cmd, "tickle") == 0)
                return cmd_tickle(argc, argv);
        if (strcmp(cmd, "table") == 0) {
                int r;
                if (argc != 1 || (strcmp(argv[0], "create") != 0 && strcmp(argv[0], "delete") != 0))
                        return usage("table needs create or delete");
                r = strcmp(argv[0], "create") == 0 ? nf_tables_create(err, sizeof(err))
                                                   : nf_tables_delete(err, sizeof(err));
                return r < 0 ? fail(r) : 0;
        }
        if (strcmp(cmd, "release-reset") == 0)
                return cmd_set(argc, argv, true);
        if (strcmp(cmd, "public") == 0)
                return cmd_set(argc, argv, false);
        if (strcmp(cmd, "tracked") == 0) {
                int r;
                if (argc != 1 || strcmp(argv[0], "list") != 0)
                        return usage("tracked needs list");
                r = nf_tables_tracked_list(AF_UNSPEC, print_tracked, NULL, err, sizeof(err));
                return r < 0 ? fail(r) : 0;
        }
        if (strcmp(cmd, "lb") == 0) {
                if (argc < 1 || strcmp(argv[0], "apply") != 0)
                        return usage("lb needs apply");
                return cmd_lb(argc - 1, argv + 1);
        }
        if (strcmp(cmd, "natgw") == 0) {
                if (argc < 1 || strcmp(argv[0], "apply") != 0)
                        return usage("natgw needs apply");
                return cmd_natgw(argc - 1, argv + 1);
        }
        if (strcmp(cmd, "bench") == 0)
                return cmd_bench(argc, argv);
        return usage("unknown command");
}
