/* ctdbctl's pure output: see ctdbctl-format.h. */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctdb-node.h"
#include "ctdbctl-format.h"

void json_fputs(FILE *f, const char *s) {
        fputc('"', f);
        for (; s && *s; s++) {
                unsigned char c = (unsigned char) *s;

                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c < 0x20)
                        fprintf(f, "\\u%04x", c);
                else
                        fputc(c, f);
        }
        fputc('"', f);
}

/* CTDB prints the pnn as an int: CTDB_PNN_NONE is -1. */
static int pnn_int(uint32_t pnn) {
        return pnn == CTDB_PNN_NONE ? -1 : (int) pnn;
}

static void json_pnn(FILE *f, uint32_t pnn) {
        if (pnn == CTDB_PNN_NONE)
                fputs("null", f);
        else
                fprintf(f, "%" PRIu32, pnn);
}

/*
 * The address of "ADDRESS/PREFIX" without its prefix, as `ctdb ip` shows it,
 * and the prefix (-1 when s is not ADDRESS/PREFIX: then s as it is).
 */
static const char *bare_address(const char *s, char *buf, size_t len, int *ret_prefix) {
        struct ctdb_ip ip;
        bool given;

        if (ctdb_ip_prefix_from_string(s, &ip, &given) < 0) {
                *ret_prefix = -1;
                return s;
        }
        *ret_prefix = (int) ip.prefixlen;
        return ctdb_ip_to_string(&ip, false, buf, len);
}

static bool row_shown(const struct ip_row *row, unsigned flags) {
        return (flags & IP_PRINT_ALL) || (row->interfaces && row->interfaces[0]);
}

void ip_print_table(FILE *f, const struct ip_row *rows, size_t n, uint32_t this_node, unsigned flags) {
        if (flags & IP_PRINT_ALL)
                fprintf(f, "Public IPs on ALL nodes\n");
        else
                fprintf(f, "Public IPs on node %d\n", pnn_int(this_node));
        for (size_t i = 0; i < n; i++) {
                char buf[CTDB_IP_STRLEN];
                int prefix;

                if (!row_shown(&rows[i], flags))
                        continue;
                fprintf(f, "%s %d", bare_address(rows[i].address, buf, sizeof(buf), &prefix),
                        pnn_int(rows[i].pnn));
                if (flags & IP_PRINT_VERBOSE)
                        fprintf(f, " %s",
                                rows[i].interfaces && rows[i].interfaces[0] ? rows[i].interfaces : "-");
                fputc('\n', f);
        }
}

void ip_print_json(FILE *f, const struct ip_row *rows, size_t n, unsigned flags) {
        bool first = true;

        fputc('[', f);
        for (size_t i = 0; i < n; i++) {
                const char *s = rows[i].interfaces ? rows[i].interfaces : "";
                char buf[CTDB_IP_STRLEN];
                int prefix;

                if (!row_shown(&rows[i], flags))
                        continue;
                fputs(first ? "{\"address\":" : ",{\"address\":", f);
                first = false;
                json_fputs(f, bare_address(rows[i].address, buf, sizeof(buf), &prefix));
                if (prefix >= 0)
                        fprintf(f, ",\"prefix\":%d", prefix);
                else
                        fputs(",\"prefix\":null", f);
                fputs(",\"interfaces\":[", f);
                /* The comma-separated list as JSON strings, empty items left out. */
                for (bool any = false; *s;) {
                        size_t len = strcspn(s, ",");

                        if (len > 0) {
                                char *name = strndup(s, len);

                                fputs(any ? "," : "", f);
                                json_fputs(f, name ? name : "");
                                free(name);
                                any = true;
                        }
                        s += len + (s[len] == ',');
                }
                fputs("],\"pnn\":", f);
                json_pnn(f, rows[i].pnn);
                fputc('}', f);
        }
        fputs("]\n", f);
}

static int cmp_desc(const void *a, const void *b, void *userdata) {
        const struct ipalloc_ip *ips = userdata;
        const struct ctdb_ip *x = &ips[*(const size_t *) a].addr, *y = &ips[*(const size_t *) b].addr;

        /* CTDB's order: IPv6 above IPv4, then by address, highest first. */
        if (x->family != y->family)
                return x->family == AF_INET6 ? -1 : 1;
        return -memcmp(x->u.bytes, y->u.bytes, ctdb_ip_len(x));
}

static void print_move(FILE *f, uint32_t from, uint32_t to) {
        if (from == to)
                return;
        if (from == CTDB_PNN_NONE)
                fprintf(f, " (held by no node now)");
        else if (to == CTDB_PNN_NONE)
                fprintf(f, " (released by %" PRIu32 ")", from);
        else
                fprintf(f, " (moves from %" PRIu32 ")", from);
}

static void print_score(FILE *f, const struct ipalloc_ip *ips, size_t n_ips, uint32_t n_nodes,
                        const uint32_t *pnn, unsigned moved) {
        uint64_t total = 0;

        for (uint32_t node = 0; node < n_nodes; node++) {
                uint64_t imb = ipalloc_imbalance(ips, n_ips, pnn, node);
                unsigned n = 0;

                for (size_t i = 0; i < n_ips; i++)
                        n += pnn[i] == node;
                fprintf(f, "# node %" PRIu32 ": %u addresses, imbalance %" PRIu64 "\n", node, n, imb);
                total += imb;
        }
        fprintf(f, "# total imbalance %" PRIu64 ", %u moved\n", total, moved);
}

int ip_print_plan(FILE *f, const struct ipalloc_ip *ips, size_t n_ips, uint32_t n_nodes, const uint32_t *pnn,
                  unsigned flags) {
        size_t *order = calloc(n_ips + 1, sizeof(*order));
        bool json = flags & IP_PLAN_JSON;
        unsigned moved = 0;

        if (!order)
                return -ENOMEM;
        for (size_t i = 0; i < n_ips; i++)
                order[i] = i;
        qsort_r(order, n_ips, sizeof(*order), cmp_desc, (void *) ips);
        if (json)
                fputc('[', f);
        for (size_t k = 0; k < n_ips; k++) {
                char buf[CTDB_IP_STRLEN];
                size_t i = order[k];

                ctdb_ip_to_string(&ips[i].addr, false, buf, sizeof(buf));
                if (json) {
                        fputs(k ? ",{\"address\":" : "{\"address\":", f);
                        json_fputs(f, buf);
                        fputs(",\"pnn\":", f);
                        json_pnn(f, pnn[i]);
                        fputs(",\"current\":", f);
                        json_pnn(f, ips[i].pnn);
                        fputc('}', f);
                } else {
                        fprintf(f, "%s %d", buf, pnn_int(pnn[i]));
                        if (flags & IP_PLAN_MOVES)
                                print_move(f, ips[i].pnn, pnn[i]);
                        fputc('\n', f);
                }
                moved += ips[i].pnn != pnn[i];
        }
        free(order);
        if (json) {
                fputs("]\n", f);
                return 0;
        }
        if (flags & IP_PLAN_SCORE)
                print_score(f, ips, n_ips, n_nodes, pnn, moved);
        if (flags & IP_PLAN_MOVES)
                fprintf(f, "# %u of %zu addresses move\n", moved, n_ips);
        return 0;
}

int ip_plan_mark(uint32_t *flags, uint32_t n_nodes, const char *list, uint32_t flag, const char **ret_bad) {
        for (const char *s = list;;) {
                unsigned long pnn;
                char *end;

                errno = 0;
                pnn = strtoul(s, &end, 10);
                if (!isdigit((unsigned char) *s) || errno || (*end && *end != ',') || pnn >= n_nodes) {
                        *ret_bad = s;
                        return -EINVAL;
                }
                flags[pnn] |= flag;
                if (!*end)
                        return 0;
                s = end + 1;
        }
}
