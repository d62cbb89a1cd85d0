/*
 * The nodes file (config.h). It follows CTDB's own reader (ctdb/conf/node.c)
 * so that an existing /etc/ctdb works unchanged, with two deliberate
 * differences: a duplicate address, which CTDB silently accepts but cannot be
 * meant, is an error here, and every error names file and line.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config-internal.h"
#include "config.h"
#include "talloc-util.h"

int ctdb_nodes_parse(void *mem_ctx, const char *name, const char *text, struct ctdb_nodes **ret,
                     char **ret_error) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        _cleanup_talloc_ struct ctdb_nodes *nodes = NULL;
        struct config_line_file f;
        unsigned first, again, index;
        int r;

        /* ctdb_nodes_find() returns a PNN as int. */
        r = config_line_file_open(tmp, name, text, INT32_MAX, "nodes", mem_ctx, ret_error, &f);
        if (r < 0)
                return r;
        nodes = talloc_zero(NULL, struct ctdb_nodes);
        if (!nodes || !(nodes->nodes = talloc_zero_array(nodes, struct ctdb_node_entry, f.n_lines + 1)))
                return -ENOMEM;

        for (size_t i = 0; i < f.n_lines; i++) {
                struct ctdb_node_entry *e = &nodes->nodes[nodes->n_nodes];
                const char *line = f.lines[i].s;
                char s[CTDB_IP_STRLEN];
                struct ctdb_ip a;

                *e = (struct ctdb_node_entry) { .pnn = nodes->n_nodes++ };

                /*
                 * CTDB keeps the PNN slot of every '#' line, not just of a
                 * commented-out address: its own test suite relies on a
                 * leading "# comment" line being node 0, DELETED. Doing the
                 * same keeps every node's PNN identical to what CTDB gave it.
                 */
                if (line[0] == '#') {
                        e->deleted = true;
                        continue;
                }

                if (ctdb_ip_from_string(line, CTDB_IP_MAP_V4, &a) < 0)
                        return config_fail(
                                mem_ctx, ret_error,
                                "%s:%u: %s is not an IP address (expected one IPv4 or IPv6 address "
                                "per line, or a line starting with '#' for a deleted node)",
                                name, f.lines[i].no, config_quote(tmp, line));
                if (ctdb_ip_is_unspecified(&a))
                        return config_fail(mem_ctx, ret_error,
                                           "%s:%u: %s is the unspecified address (expected a node's private "
                                           "address)",
                                           name, f.lines[i].no, config_quote(tmp, line));

                e->address = talloc_strdup(nodes->nodes, ctdb_ip_to_string(&a, false, s, sizeof(s)));
                if (!e->address)
                        return -ENOMEM;
                e->sa_len = ctdb_ip_to_sockaddr(&a, 0, &e->sa);
                config_line_file_add_key(&f, &a, f.lines[i].no, e->pnn);
        }

        if (config_line_file_find_duplicate(&f, &first, &again, &index))
                return config_fail(mem_ctx, ret_error,
                                   "%s:%u: %s is already node %u on line %u (each address may appear once)",
                                   name, again, nodes->nodes[index].address, nodes->nodes[index].pnn, first);
        if (f.n_keys == 0)
                return config_fail(mem_ctx, ret_error,
                                   "%s: no node addresses (expected one IPv4 or IPv6 address per line)",
                                   name);

        *ret = talloc_steal(mem_ctx, nodes);
        nodes = NULL;
        return 0;
}

int ctdb_nodes_load(void *mem_ctx, const char *path, struct ctdb_nodes **ret, char **ret_error) {
        _cleanup_talloc_ char *text = NULL;
        int r = config_read_text_file(mem_ctx, path, &text, ret_error);

        return r < 0 ? r : ctdb_nodes_parse(mem_ctx, path, text, ret, ret_error);
}

uint32_t ctdb_nodes_active(const struct ctdb_nodes *nodes) {
        uint32_t n = 0;

        if (!nodes)
                return 0;
        for (uint32_t i = 0; i < nodes->n_nodes; i++)
                n += !nodes->nodes[i].deleted;
        return n;
}

int ctdb_nodes_find(const struct ctdb_nodes *nodes, const struct sockaddr *sa, socklen_t len) {
        struct ctdb_ip want;

        /* A dual-stack socket shows an IPv4 peer as ::ffff:a.b.c.d. */
        if (!nodes || !sa || ctdb_ip_from_sockaddr(sa, len, CTDB_IP_MAP_V4, &want) < 0)
                return -ENOENT;
        for (uint32_t i = 0; i < nodes->n_nodes; i++) {
                const struct ctdb_node_entry *e = &nodes->nodes[i];
                struct ctdb_ip have;

                if (e->deleted)
                        continue;
                if (ctdb_ip_from_sockaddr((const struct sockaddr *) &e->sa, e->sa_len, CTDB_IP_MAP_V4,
                                          &have) == 0 &&
                    ctdb_ip_equal(&have, &want))
                        return (int) e->pnn;
        }
        return -ENOENT;
}

int ctdb_nodes_check_reload(const struct ctdb_nodes *cur, const struct ctdb_nodes *next, const bool *in_use,
                            char *why, size_t why_size) {
        if (next->n_nodes < cur->n_nodes) {
                snprintf(why, why_size,
                         "the nodes file has %" PRIu32 " slots, %" PRIu32 " are configured: nodes are never "
                         "removed, mark them \"#deleted\" instead",
                         next->n_nodes, cur->n_nodes);
                return -EOPNOTSUPP;
        }
        for (uint32_t i = 0; i < cur->n_nodes; i++) {
                const struct ctdb_node_entry *was = &cur->nodes[i], *is = &next->nodes[i];

                if (was->deleted && !is->deleted) {
                        snprintf(why, why_size,
                                 "node %" PRIu32
                                 " was deleted and cannot come back; add a new line at the end "
                                 "instead",
                                 i);
                        return -EOPNOTSUPP;
                }
                if (!was->deleted && !is->deleted && strcmp(was->address, is->address) != 0) {
                        snprintf(why, why_size,
                                 "the address of node %" PRIu32
                                 " changed (%s -> %s); this is not supported, "
                                 "delete the node and add a new one",
                                 i, was->address, is->address);
                        return -EOPNOTSUPP;
                }
                if (!was->deleted && is->deleted && in_use[i]) {
                        snprintf(why, why_size,
                                 "node %" PRIu32 " is still running; shut it down before deleting it", i);
                        return -EBUSY;
                }
        }
        return 0;
}
