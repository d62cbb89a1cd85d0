/* A takeover scenario as text; see ipd-plan.h. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "ipd-plan.h"
#include "talloc-util.h"

#define BLANKS " \t\r"

static int fail(void *mem_ctx, char **ret_error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(void *mem_ctx, char **ret_error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (ret_error && !(*ret_error = talloc_vasprintf(mem_ctx, fmt, ap))) {
                va_end(ap);
                return -ENOMEM;
        }
        va_end(ap);
        return -EINVAL;
}

/* A number as strtoul(s, 0) reads it (decimal, 0x hex), whole, at most max. */
static int parse_number(const char *s, unsigned long max, unsigned long *ret) {
        char *end;

        errno = 0;
        *ret = strtoul(s, &end, 0);
        return errno || !*s || *end || *s == '-' || *ret > max ? -EINVAL : 0;
}

static int parse_flags(struct ipd_plan *p, const char *flags, void *mem_ctx, char **ret_error) {
        _cleanup_talloc_ char *copy = talloc_strdup(NULL, flags ? flags : "");
        char *save = NULL, *tok;

        if (!copy)
                return -ENOMEM;
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                unsigned long f;

                if (p->in.n_nodes >= IPD_PLAN_MAX_NODES)
                        return fail(mem_ctx, ret_error, "more than %u nodes in the flags",
                                    IPD_PLAN_MAX_NODES);
                if (parse_number(tok, UINT32_MAX, &f) < 0)
                        return fail(mem_ctx, ret_error, "node %u's flags '%s' are not a number",
                                    p->in.n_nodes, tok);
                p->flags = talloc_realloc(p, p->flags, uint32_t, p->in.n_nodes + 1);
                if (!p->flags)
                        return -ENOMEM;
                p->flags[p->in.n_nodes++] = (uint32_t) f;
        }
        if (p->in.n_nodes == 0)
                return fail(mem_ctx, ret_error, "no node flags (one per node, e.g. 0,0,0)");
        return 0;
}

/* The nodes that can host address i: "PNN,PNN,...". */
static int parse_allowed(struct ipd_plan *p, size_t i, char *list, const char *where, void *mem_ctx,
                         char **ret_error) {
        char *save = NULL, *tok;

        memset(p->can_host + i * p->in.n_nodes, 0, p->in.n_nodes);
        for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                unsigned long pnn;

                if (parse_number(tok, p->in.n_nodes - 1, &pnn) < 0)
                        return fail(mem_ctx, ret_error, "%s: '%s' is not a node of the %u in the flags",
                                    where, tok, p->in.n_nodes);
                p->can_host[i * p->in.n_nodes + pnn] = 1;
        }
        return 0;
}

static int parse_line(struct ipd_plan *p, char *line, const char *where, void *mem_ctx, char **ret_error) {
        char *save = NULL, *addr = strtok_r(line, BLANKS, &save), *holder = strtok_r(NULL, BLANKS, &save);
        char *allowed = strtok_r(NULL, BLANKS, &save);
        struct ipalloc_ip *ip;
        size_t i = p->in.n_ips;

        if (!holder)
                return fail(mem_ctx, ret_error, "%s: expected ADDRESS CURRENT_PNN [PNN,...]", where);
        if (strtok_r(NULL, BLANKS, &save))
                return fail(mem_ctx, ret_error, "%s: text after the nodes that can host the address", where);
        if (i >= IPD_PLAN_MAX_IPS)
                return fail(mem_ctx, ret_error, "%s: more than %u addresses", where, IPD_PLAN_MAX_IPS);
        p->ips = talloc_realloc(p, p->ips, struct ipalloc_ip, i + 1);
        p->can_host = talloc_realloc(p, p->can_host, uint8_t, (i + 1) * p->in.n_nodes);
        if (!p->ips || !p->can_host)
                return -ENOMEM;
        ip = &p->ips[i];
        if (ctdb_ip_from_string(addr, 0, &ip->addr) < 0)
                return fail(mem_ctx, ret_error, "%s: '%s' is not an IPv4 or IPv6 address", where, addr);
        for (size_t j = 0; j < i; j++)
                if (ctdb_ip_equal(&p->ips[j].addr, &ip->addr))
                        return fail(mem_ctx, ret_error, "%s: %s is there twice", where, addr);
        if (strcmp(holder, "-1") == 0) {
                ip->pnn = CTDB_PNN_NONE;
        } else {
                unsigned long pnn;

                if (parse_number(holder, p->in.n_nodes - 1, &pnn) < 0)
                        return fail(mem_ctx, ret_error,
                                    "%s: the holder '%s' is neither -1 nor one of the %u nodes", where,
                                    holder, p->in.n_nodes);
                ip->pnn = (uint32_t) pnn;
        }
        memset(p->can_host + i * p->in.n_nodes, 1, p->in.n_nodes);
        if (allowed) {
                int r = parse_allowed(p, i, allowed, where, mem_ctx, ret_error);

                if (r < 0)
                        return r;
        }
        p->in.n_ips++;
        return 0;
}

int ipd_plan_parse(void *mem_ctx, const char *flags, const char *name, const char *text,
                   struct ipd_plan **ret, char **ret_error) {
        _cleanup_talloc_ struct ipd_plan *p = talloc_zero(NULL, struct ipd_plan);
        _cleanup_talloc_ char *copy = talloc_strdup(NULL, text ? text : "");
        char *line, *next;
        unsigned no = 0;
        int r;

        if (!p || !copy)
                return -ENOMEM;
        r = parse_flags(p, flags, mem_ctx, ret_error);
        if (r < 0)
                return r;
        for (line = copy; line; line = next) {
                char where[64], *hash;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                no++;
                if ((hash = strchr(line, '#')))
                        *hash = 0;
                if (line[strspn(line, BLANKS)] == 0)
                        continue;
                snprintf(where, sizeof(where), "%s:%u", name, no);
                r = parse_line(p, line, where, mem_ctx, ret_error);
                if (r < 0)
                        return r;
        }
        p->in.flags = p->flags;
        p->in.ips = p->ips;
        p->in.can_host = p->can_host;
        *ret = talloc_steal(mem_ctx, p);
        p = NULL;
        return 0;
}
