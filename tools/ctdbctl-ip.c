/*
 * ctdbctl ip plan --flags F0,F1,... --input FILE: what a takeover run would do
 * for a scenario, computed here with ctdb-ipd's own allocation
 * (services/ipd/ipd-alloc.h), no cluster needed. FILE (- for standard input)
 * has `ADDRESS CURRENT_PNN [PNN,...]` per line (ipd-plan.h); the answer is
 * `ADDRESS PNN` per line, highest address first as CTDB prints it (-1: no
 * node can host it). --no-failback and --no-takeover are CTDB's NoIPFailback
 * and NoIPTakeover; --score adds LCP2's balance figure per node, the total and
 * how many addresses moved.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "ctdbctl.h"
#include "ipd-plan.h"
#include "talloc-util.h"

#define PLAN_INPUT_MAX (64u * 1024u * 1024u)

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

static int cmp_desc(const void *a, const void *b, void *userdata) {
        const struct ipalloc_ip *ips = userdata;
        const struct ctdb_ip *x = &ips[*(const size_t *) a].addr, *y = &ips[*(const size_t *) b].addr;

        /* CTDB's order: IPv6 above IPv4, then by address, highest first. */
        if (x->family != y->family)
                return x->family == AF_INET6 ? -1 : 1;
        return -memcmp(x->u.bytes, y->u.bytes, ctdb_ip_len(x));
}

static void print_plan(const struct ipd_plan *p, const uint32_t *pnn, bool score) {
        size_t *order = calloc(p->in.n_ips + 1, sizeof(*order));
        uint64_t total = 0;
        unsigned moved = 0;

        if (!order)
                return;
        for (size_t i = 0; i < p->in.n_ips; i++)
                order[i] = i;
        qsort_r(order, p->in.n_ips, sizeof(*order), cmp_desc, p->ips);
        for (size_t k = 0; k < p->in.n_ips; k++) {
                char buf[CTDB_IP_STRLEN];
                size_t i = order[k];

                printf("%s %d\n", ctdb_ip_to_string(&p->ips[i].addr, false, buf, sizeof(buf)),
                       pnn[i] == CTDB_PNN_NONE ? -1 : (int) pnn[i]);
                moved += p->ips[i].pnn != pnn[i];
        }
        free(order);
        if (!score)
                return;
        for (uint32_t node = 0; node < p->in.n_nodes; node++) {
                uint64_t imb = ipalloc_imbalance(p->ips, p->in.n_ips, pnn, node);
                unsigned n = 0;

                for (size_t i = 0; i < p->in.n_ips; i++)
                        n += pnn[i] == node;
                printf("# node %" PRIu32 ": %u addresses, imbalance %" PRIu64 "\n", node, n, imb);
                total += imb;
        }
        printf("# total imbalance %" PRIu64 ", %u moved\n", total, moved);
}

static int ip_plan_offline(int argc, char **argv) {
        enum { ARG_FLAGS = 0x100, ARG_INPUT, ARG_NO_FAILBACK, ARG_NO_TAKEOVER, ARG_SCORE };
        static const struct option options[] = {
                { "flags", required_argument, NULL, ARG_FLAGS },
                { "input", required_argument, NULL, ARG_INPUT },
                { "no-failback", no_argument, NULL, ARG_NO_FAILBACK },
                { "no-takeover", no_argument, NULL, ARG_NO_TAKEOVER },
                { "score", no_argument, NULL, ARG_SCORE },
                {},
        };
        _cleanup_talloc_ void *ctx = talloc_new(NULL);
        const char *flags = NULL, *input = NULL;
        bool no_failback = false, no_takeover = false, score = false;
        struct ipd_plan *p;
        char *text, *error = NULL;
        uint32_t *pnn;
        FILE *f;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case ARG_FLAGS:
                        flags = optarg;
                        break;
                case ARG_INPUT:
                        input = optarg;
                        break;
                case ARG_NO_FAILBACK:
                        no_failback = true;
                        break;
                case ARG_NO_TAKEOVER:
                        no_takeover = true;
                        break;
                case ARG_SCORE:
                        score = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (!flags || !input || optind != argc) {
                fprintf(stderr, "Usage: ctdbctl ip plan --flags F0,F1,... --input FILE [--no-failback] "
                                "[--no-takeover] [--score]\n");
                return EXIT_USAGE;
        }
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
        r = ipd_plan_parse(ctx, flags, strcmp(input, "-") == 0 ? "stdin" : input, text, &p, &error);
        if (r < 0) {
                fprintf(stderr, "%s\n", error ? error : strerror(-r));
                return r == -EINVAL ? EXIT_USAGE : EXIT_FAILURE_;
        }
        p->in.no_failback = no_failback;
        p->in.no_takeover = no_takeover;
        pnn = talloc_zero_array(ctx, uint32_t, p->in.n_ips + 1);
        r = pnn ? ipalloc_run(&p->in, pnn) : -ENOMEM;
        if (r < 0) {
                fprintf(stderr, "Failed to plan: %s\n", strerror(-r));
                return EXIT_FAILURE_;
        }
        print_plan(p, pnn, score);
        return 0;
}

int verb_ip_offline(int argc, char **argv) {
        if (argc >= 2 && strcmp(argv[1], "plan") == 0)
                return ip_plan_offline(argc - 1, argv + 1);
        fprintf(stderr, "ctdbctl ip: only 'ip plan --flags ... --input FILE' is in this build "
                        "(ctdb-ipd, which serves the rest, is not yet)\n");
        return EXIT_USAGE;
}

void help_ip(void) {
        printf("\nip plan --flags F0,F1,... --input FILE [--no-failback] [--no-takeover] [--score]\n"
               "  What a takeover run would do, with no cluster: FILE (- for stdin) has one line per\n"
               "  address, ADDRESS CURRENT_PNN [PNN,...] (-1: nobody; the nodes that can host it,\n"
               "  default all); F is each node's flags in CTDB's bits (DISCONNECTED 0x1, UNHEALTHY 0x2,\n"
               "  PERMANENTLY_DISABLED 0x4, BANNED 0x8, DELETED 0x10, STOPPED 0x20). Prints ADDRESS PNN\n"
               "  per line, highest address first (-1: no node can host it); --score adds LCP2's\n"
               "  imbalance per node, the total and how many moved.\n");
}
