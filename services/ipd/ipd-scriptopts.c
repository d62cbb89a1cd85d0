/* CTDB's script.options and group files for LVS and the NAT gateway; see ipd-scriptopts.h. */

#include "ipd-scriptopts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "talloc-util.h"

#define BLANKS " \t\r"
/* Both files are a few lines; a bigger one is a mistake, not a configuration. */
#define IPD_FILE_MAX (256u * 1024u)

static const char *const opt_names[IPD_OPT_MAX] = {
        [IPD_OPT_NATGW_NODES] = "CTDB_NATGW_NODES",
        [IPD_OPT_NATGW_PUBLIC_IP] = "CTDB_NATGW_PUBLIC_IP",
        [IPD_OPT_NATGW_PUBLIC_IFACE] = "CTDB_NATGW_PUBLIC_IFACE",
        [IPD_OPT_NATGW_PRIVATE_NETWORK] = "CTDB_NATGW_PRIVATE_NETWORK",
        [IPD_OPT_NATGW_DEFAULT_GATEWAY] = "CTDB_NATGW_DEFAULT_GATEWAY",
        [IPD_OPT_NATGW_STATIC_ROUTES] = "CTDB_NATGW_STATIC_ROUTES",
        [IPD_OPT_LVS_NODES] = "CTDB_LVS_NODES",
        [IPD_OPT_LVS_PUBLIC_IP] = "CTDB_LVS_PUBLIC_IP",
        [IPD_OPT_LVS_PUBLIC_IFACE] = "CTDB_LVS_PUBLIC_IFACE",
};

const char *ipd_opt_name(enum ipd_opt o) {
        return o < IPD_OPT_MAX ? opt_names[o] : "?";
}

int ipd_set_error(void *mem_ctx, char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (ret_error && !(*ret_error = talloc_vasprintf(mem_ctx, fmt, ap)))
                r = -ENOMEM;
        va_end(ap);
        return r;
}

/* The whole file, NUL-terminated; -ENOENT etc. as they come, with a message. */
static int read_text(void *mem_ctx, const char *path, char **ret, char **ret_error) {
        _cleanup_talloc_ char *buf = NULL;
        struct stat st;
        size_t len = 0;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                return ipd_set_error(mem_ctx, ret_error, r, "%s: %s", path, strerror(-r));
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t) st.st_size > IPD_FILE_MAX)
                r = -EFBIG;
        else if (!(buf = talloc_size(NULL, IPD_FILE_MAX + 1)))
                r = -ENOMEM;
        while (r == 0) {
                ssize_t k = read(fd, buf + len, IPD_FILE_MAX + 1 - len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        r = -errno;
                else if (k == 0)
                        break;
                else if ((len += (size_t) k) > IPD_FILE_MAX)
                        r = -EFBIG;
        }
        close(fd);
        if (r == 0 && memchr(buf, '\0', len))
                r = -EINVAL;
        if (r < 0) {
                return ipd_set_error(mem_ctx, ret_error, r, "%s: %s", path,
                                     r == -EFBIG    ? "not a regular file of at most 256 KiB"
                                     : r == -EINVAL ? "a NUL byte (not a text file)"
                                                    : strerror(-r));
        }
        buf[len] = '\0';
        *ret = talloc_steal(mem_ctx, buf);
        buf = NULL;
        return 0;
}

/*
 * The value of one assignment, unquoted, into out (as long as the line).
 * NULL when a shell would do more than assign it: expand ($ ` \), run a
 * command (a blank in a bare value), or find the quotes unbalanced.
 */
static const char *shell_value(const char *v, char *out) {
        char *o = out;

        while (*v && !strchr(BLANKS "#", *v)) {
                if (*v == '\'' || *v == '"') {
                        char q = *v++;
                        const char *end = strchr(v, q);

                        if (!end)
                                return NULL;
                        for (; v < end; v++) {
                                if (q == '"' && strchr("$`\\", *v))
                                        return NULL;
                                *o++ = *v;
                        }
                        v++;
                } else if (strchr("$`\\;|&<>()", *v))
                        return NULL;
                else
                        *o++ = *v++;
        }
        *o = '\0';
        v += strspn(v, BLANKS);
        return *v == '\0' || *v == '#' ? out : NULL;
}

int ipd_script_options_parse(void *mem_ctx, const char *name, const char *text,
                             struct ipd_script_options **ret, char **ret_error) {
        _cleanup_talloc_ struct ipd_script_options *o = talloc_zero(NULL, struct ipd_script_options);
        _cleanup_talloc_ char *copy = talloc_strdup(NULL, text ? text : "");
        unsigned lineno = 0;

        if (!o || !copy || !(o->file = talloc_strdup(o, name)))
                return -ENOMEM;
        /* strtok_r would skip empty lines and lose the numbering; walk by hand. */
        for (char *line = copy, *next; line; line = next) {
                char *p, *value, *eq;
                size_t nlen;
                int which = -1;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                lineno++;
                p = line + strspn(line, BLANKS);
                if (strncmp(p, "export", 6) == 0 && p[6] && strchr(BLANKS, p[6]))
                        p += 6 + strspn(p + 6, BLANKS);
                eq = strchr(p, '=');
                if (!eq)
                        continue;
                nlen = (size_t) (eq - p);
                for (int i = 0; i < IPD_OPT_MAX; i++)
                        if (strlen(opt_names[i]) == nlen && strncmp(p, opt_names[i], nlen) == 0)
                                which = i;
                if (which < 0)
                        continue; /* not ours: another script's variable, or not an assignment */
                value = talloc_size(o, strlen(eq + 1) + 1);
                if (!value)
                        return -ENOMEM;
                if (!shell_value(eq + 1, value))
                        return ipd_set_error(
                                mem_ctx, ret_error, -EINVAL,
                                "%s:%u: %s: the value must be plain, '...' or \"...\" without $, ` or \\, "
                                "and nothing but a comment after it",
                                name, lineno, opt_names[which]);
                talloc_free(o->value[which]);
                o->value[which] = value[0] ? value : NULL;
                if (!value[0])
                        talloc_free(value);
                o->line[which] = lineno;
        }
        *ret = talloc_steal(mem_ctx, o);
        o = NULL;
        return 0;
}

int ipd_script_options_load(void *mem_ctx, const char *config_dir, struct ipd_script_options **ret,
                            char **ret_error) {
        _cleanup_talloc_ char *path = talloc_asprintf(NULL, "%s/script.options", config_dir);
        _cleanup_talloc_ char *text = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_text(NULL, path, &text, ret_error);
        if (r == -ENOENT) {
                /* No file is no LVS and no NAT gateway, as with CTDB. */
                if (ret_error)
                        TALLOC_FREE(*ret_error);
                return ipd_script_options_parse(mem_ctx, path, "", ret, ret_error);
        }
        if (r < 0) {
                if (ret_error && *ret_error)
                        talloc_steal(mem_ctx, *ret_error);
                return r;
        }
        return ipd_script_options_parse(mem_ctx, path, text, ret, ret_error);
}

int ipd_group_parse(void *mem_ctx, const char *name, const char *text, const struct ctdb_nodes *nodes,
                    struct ipd_group **ret, char **ret_error) {
        _cleanup_talloc_ struct ipd_group *g = talloc_zero(NULL, struct ipd_group);
        _cleanup_talloc_ char *copy = talloc_strdup(NULL, text ? text : "");
        unsigned lineno = 0;

        if (!g || !copy)
                return -ENOMEM;
        for (char *line = copy, *next; line; line = next) {
                char *addr, *opt, *rest, *save = NULL;
                struct sockaddr_storage ss;
                struct ipd_group_node n = {};
                int pnn;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                lineno++;
                addr = strtok_r(line, BLANKS, &save);
                if (!addr || addr[0] == '#')
                        continue;
                opt = strtok_r(NULL, BLANKS, &save);
                rest = strtok_r(NULL, BLANKS, &save);
                if (rest || (opt && strcmp(opt, "follower-only") != 0 && strcmp(opt, "slave-only") != 0))
                        return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                             "%s:%u: \"%s\" after the address (allowed: follower-only)",
                                             name, lineno, rest ? rest : opt);
                if (ctdb_ip_from_string(addr, CTDB_IP_MAP_V4, &n.addr) < 0)
                        return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                             "%s:%u: \"%s\" is not an IP address", name, lineno, addr);
                pnn = ctdb_nodes_find(nodes, (struct sockaddr *) &ss, ctdb_ip_to_sockaddr(&n.addr, 0, &ss));
                if (pnn < 0)
                        return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                             "%s:%u: %s is not in the nodes file", name, lineno, addr);
                n.pnn = (uint32_t) pnn;
                n.follower_only = opt != NULL;
                for (uint32_t i = 0; i < g->n; i++)
                        if (g->nodes[i].pnn == n.pnn)
                                return ipd_set_error(mem_ctx, ret_error, -EINVAL,
                                                     "%s:%u: %s is listed twice", name, lineno, addr);
                g->nodes = talloc_realloc(g, g->nodes, struct ipd_group_node, g->n + 1);
                if (!g->nodes)
                        return -ENOMEM;
                /* Kept in PNN order: the leader and the slots are defined by it. */
                uint32_t at = g->n;
                while (at > 0 && g->nodes[at - 1].pnn > n.pnn) {
                        g->nodes[at] = g->nodes[at - 1];
                        at--;
                }
                g->nodes[at] = n;
                g->n++;
        }
        *ret = talloc_steal(mem_ctx, g);
        g = NULL;
        return 0;
}

int ipd_group_load(void *mem_ctx, const char *config_dir, const char *path, const struct ctdb_nodes *nodes,
                   struct ipd_group **ret, char **ret_error) {
        _cleanup_talloc_ char *full = path[0] == '/' ? talloc_strdup(NULL, path)
                                                     : talloc_asprintf(NULL, "%s/%s", config_dir, path);
        _cleanup_talloc_ char *text = NULL;
        int r;

        if (!full)
                return -ENOMEM;
        r = read_text(mem_ctx, full, &text, ret_error);
        if (r < 0)
                return r;
        return ipd_group_parse(mem_ctx, full, text, nodes, ret, ret_error);
}

/* CTDB's "Disabled" column of ctdb -X nodestatus: permanently disabled only. */
#define F_DISABLED CTDB_NODE_FLAG_PERMANENTLY_DISABLED

static uint32_t node_flags(uint32_t pnn, const uint32_t *flags, uint32_t n_nodes) {
        return pnn < n_nodes && flags ? flags[pnn] : CTDB_NODE_FLAG_DISCONNECTED;
}

uint32_t ipd_group_lb_slot(const struct ipd_group *g, uint32_t this_pnn, const uint32_t *flags,
                           uint32_t n_nodes, uint32_t *ret_slot) {
        /* First tier: healthy and active; second: unhealthy will do. */
        static const uint32_t refuse[] = { 0x3fu, F_DISABLED | CTDB_NODE_FLAGS_INACTIVE };
        uint32_t n = 0;

        *ret_slot = UINT32_MAX;
        for (size_t t = 0; t < ELEMENTSOF(refuse) && n == 0; t++)
                for (uint32_t i = 0; g && i < g->n; i++) {
                        if (node_flags(g->nodes[i].pnn, flags, n_nodes) & refuse[t])
                                continue;
                        if (g->nodes[i].pnn == this_pnn)
                                *ret_slot = n;
                        n++;
                }
        return n;
}

uint32_t ipd_group_natgw_leader(const struct ipd_group *g, const uint32_t *flags, uint32_t n_nodes,
                                uint32_t *ret_index) {
        static const uint32_t refuse[] = {
                F_DISABLED | CTDB_NODE_FLAG_UNHEALTHY | CTDB_NODE_FLAGS_INACTIVE,
                CTDB_NODE_FLAG_DISCONNECTED | F_DISABLED | CTDB_NODE_FLAG_STOPPED | CTDB_NODE_FLAG_DELETED,
                CTDB_NODE_FLAG_DISCONNECTED | F_DISABLED | CTDB_NODE_FLAG_DELETED,
        };

        for (size_t t = 0; t < ELEMENTSOF(refuse); t++)
                for (uint32_t i = 0; g && i < g->n; i++)
                        if (!g->nodes[i].follower_only &&
                            !(node_flags(g->nodes[i].pnn, flags, n_nodes) & refuse[t])) {
                                if (ret_index)
                                        *ret_index = i;
                                return g->nodes[i].pnn;
                        }
        return CTDB_PNN_NONE;
}
