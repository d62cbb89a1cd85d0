/*
 * The three configuration files of DESIGN.md section 4 (see config.h).
 *
 * nodes and public_addresses follow CTDB's own readers (ctdb/conf/node.c and
 * ctdb_set_public_addresses() in ctdb/server/ctdb_takeover.c) so that an
 * existing /etc/ctdb works unchanged, with two deliberate differences: what
 * CTDB silently accepts but cannot be meant (a duplicate address, text after
 * the interfaces, a prefix out of range) is an error here, and every error
 * names file and line.
 *
 * ctdb.conf is read with libinih, fed line by line through our own reader so
 * that we know line numbers (Debian builds inih with INI_HANDLER_LINENO=0).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ini.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "talloc-util.h"

/* Longest configuration file we read: far beyond any real one, small enough to slurp. */
#define CONFIG_FILE_MAX (1024u * 1024u)

/* Longest piece of a bad value quoted back in a message. */
#define QUOTE_MAX 64

/* ---- small helpers --------------------------------------------------------- */

/* Same layout as the anonymous union in struct ctdb_public_address. */
union ip_addr {
        struct in_addr in;
        struct in6_addr in6;
};

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Strips blanks on both ends in place. */
static char *strip(char *s) {
        size_t n;

        while (is_blank(*s))
                s++;
        n = strlen(s);
        while (n > 0 && is_blank(s[n - 1]))
                s[--n] = '\0';
        return s;
}

/*
 * A value quoted for a message: at most QUOTE_MAX bytes, control and non-ASCII
 * bytes escaped, so that a garbage file cannot put garbage into the journal.
 */
static char *escape(void *ctx, const char *s, const char *open, const char *close) {
        char *q = talloc_strdup(ctx, open);
        size_t i;

        for (i = 0; q && s[i] && i < QUOTE_MAX; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
                        q = talloc_asprintf_append_buffer(q, "\\x%02x", c);
                else
                        q = talloc_asprintf_append_buffer(q, "%c", c);
        }
        if (q && s[i])
                q = talloc_strdup_append_buffer(q, "...");
        if (q)
                q = talloc_strdup_append_buffer(q, close);
        return q;
}

static char *quote(void *ctx, const char *s) {
        return escape(ctx, s, "'", "'");
}

/* Sets *ret_error (if wanted) and returns -EINVAL; -ENOMEM if the message cannot be made. */
static int fail(void *mem_ctx, char **ret_error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(void *mem_ctx, char **ret_error, const char *fmt, ...) {
        va_list ap;
        char *m;

        if (!ret_error)
                return -EINVAL;
        va_start(ap, fmt);
        m = talloc_vasprintf(mem_ctx, fmt, ap);
        va_end(ap);
        if (!m)
                return -ENOMEM;
        *ret_error = m;
        return -EINVAL;
}

/*
 * Reads a whole text file into *ret_text (talloc'd without a parent: the
 * caller frees it). I/O errors come back as they are (-ENOENT ...), a NUL
 * byte as -EINVAL, a file over CONFIG_FILE_MAX as -EFBIG, each with a message
 * on mem_ctx.
 */
static int read_text_file(void *mem_ctx, const char *path, char **ret_text, char **ret_error) {
        _cleanup_talloc_ char *buf = NULL;
        size_t size = 0, alloc = 4096;
        int fd, r = 0;

        if (ret_error)
                *ret_error = NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                r = -errno;
        else if (!(buf = talloc_size(NULL, alloc)))
                r = -ENOMEM;
        while (r == 0) {
                ssize_t k;

                if (size > CONFIG_FILE_MAX) {
                        r = -EFBIG;
                        break;
                }
                if (size + 1 >= alloc) {
                        char *n = talloc_realloc_size(NULL, buf, alloc *= 2);
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        buf = n;
                }
                k = read(fd, buf + size, alloc - size - 1);
                if (k < 0 && errno != EINTR)
                        r = -errno;
                else if (k == 0)
                        break;
                else if (k > 0)
                        size += (size_t) k;
        }
        if (fd >= 0)
                close(fd);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (ret_error)
                        *ret_error = r == -EFBIG
                                             ? talloc_asprintf(mem_ctx, "%s: file too large (allowed: up to %u bytes)",
                                                               path, CONFIG_FILE_MAX)
                                             : talloc_asprintf(mem_ctx, "%s: %s", path, strerror(-r));
                return r;
        }

        buf[size] = '\0';
        if (strlen(buf) != size) {
                unsigned line = 1;
                for (const char *p = buf; *p; p++)
                        line += *p == '\n';
                return fail(mem_ctx, ret_error, "%s:%u: NUL byte (allowed: text only)", path, line);
        }
        *ret_text = buf;
        buf = NULL;
        return 0;
}

/* An IP address in binary form, so that duplicates can be found by sorting. */
struct addr_key {
        int family;
        uint8_t bytes[16];
        unsigned line;
        unsigned index;
};

/* A line with something on it: stripped, NUL-terminated, and its number in the file. */
struct text_line {
        char *s;
        unsigned no;
};

/* A line-oriented file (nodes, public_addresses): its non-blank lines, and an address key per line. */
struct line_file {
        struct text_line *lines;
        size_t n_lines;
        struct addr_key *keys;
        size_t n_keys;
};

/* Splits a copy of text (on ctx, which may be NULL: -ENOMEM) into its non-blank lines. */
static int line_file_split(void *ctx, const char *text, struct line_file *ret) {
        struct line_file f = {};
        size_t max = 0;
        bool content = false;
        unsigned no = 0;
        char *s;

        if (!ctx)
                return -ENOMEM;
        /* Count first: a hostile file of blank lines costs no memory. */
        for (const char *c = text; *c; c++)
                if (*c == '\n') {
                        max += content;
                        content = false;
                } else if (!is_blank(*c))
                        content = true;
        max += content;

        s = talloc_strdup(ctx, text);
        f.lines = talloc_array(ctx, struct text_line, max + 1);
        f.keys = talloc_array(ctx, struct addr_key, max + 1);
        if (!s || !f.lines || !f.keys)
                return -ENOMEM;
        while (*s) {
                char *nl = strchr(s, '\n'), *line = s;

                if (nl)
                        *nl = '\0';
                s = nl ? nl + 1 : s + strlen(s);
                no++;
                line = strip(line);
                if (*line)
                        f.lines[f.n_lines++] = (struct text_line) { line, no };
        }
        *ret = f;
        return 0;
}

static struct addr_key addr_key_make(int family, const void *addr, unsigned line, unsigned index) {
        struct addr_key k = { .family = family, .line = line, .index = index };

        memcpy(k.bytes, addr, family == AF_INET ? 4 : 16);
        return k;
}

static int addr_key_cmp(const void *a, const void *b) {
        const struct addr_key *x = a, *y = b;
        int c;

        if (x->family != y->family)
                return x->family < y->family ? -1 : 1;
        c = memcmp(x->bytes, y->bytes, sizeof(x->bytes));
        if (c != 0)
                return c;
        return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * Finds the first line (in file order) that repeats an earlier address; the
 * index returned is that of the earlier entry. Sorting keeps this O(n log n) however long a hostile file is.
 */
static bool addr_keys_find_duplicate(struct addr_key *keys, size_t n, unsigned *ret_first,
                                     unsigned *ret_again, unsigned *ret_index) {
        size_t group = 0;
        bool found = false;

        if (n < 2)
                return false;
        qsort(keys, n, sizeof(*keys), addr_key_cmp);
        for (size_t i = 1; i < n; i++) {
                if (keys[i].family != keys[group].family ||
                    memcmp(keys[i].bytes, keys[group].bytes, sizeof(keys[i].bytes)) != 0) {
                        group = i;
                        continue;
                }
                if (i != group + 1)
                        continue;
                if (!found || keys[i].line < *ret_again) {
                        *ret_first = keys[group].line;
                        *ret_again = keys[i].line;
                        *ret_index = keys[group].index;
                        found = true;
                }
        }
        return found;
}

/*
 * Parses an IPv4 or IPv6 address (no port, no scope). An IPv4-mapped IPv6
 * address becomes the IPv4 address when map_v4 is set, as CTDB's
 * ip_from_string() does.
 */
static int parse_ip(const char *s, bool map_v4, int *ret_family, union ip_addr *ret) {
        if (inet_pton(AF_INET, s, &ret->in) == 1) {
                *ret_family = AF_INET;
                return 0;
        }
        if (inet_pton(AF_INET6, s, &ret->in6) == 1) {
                if (map_v4 && IN6_IS_ADDR_V4MAPPED(&ret->in6)) {
                        struct in_addr v4;
                        memcpy(&v4, &ret->in6.s6_addr[12], 4);
                        ret->in = v4;
                        *ret_family = AF_INET;
                        return 0;
                }
                *ret_family = AF_INET6;
                return 0;
        }
        return -EINVAL;
}

static bool ip_is_unspecified(int family, const void *a) {
        if (family == AF_INET)
                return ((const struct in_addr *) a)->s_addr == htonl(INADDR_ANY);
        return IN6_IS_ADDR_UNSPECIFIED((const struct in6_addr *) a);
}

static char *ip_to_string(void *ctx, int family, const void *a) {
        char buf[INET6_ADDRSTRLEN];

        if (!inet_ntop(family, a, buf, sizeof(buf)))
                return NULL;
        return talloc_strdup(ctx, buf);
}

/* Decimal digits only (no sign, no blanks), at most max. */
static int parse_uint(const char *s, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (!*s)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "true", "yes", "on", "1" };
        static const char *const no[] = { "false", "no", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/* ---- nodes ------------------------------------------------------------------ */

int ctdb_nodes_parse(void *mem_ctx, const char *name, const char *text, struct ctdb_nodes **ret,
                     char **ret_error) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        _cleanup_talloc_ struct ctdb_nodes *nodes = NULL;
        struct line_file f;
        unsigned first, again, index;
        int r;

        if (ret_error)
                *ret_error = NULL;
        r = line_file_split(tmp, text, &f);
        if (r < 0)
                return r;
        /* ctdb_nodes_find() returns a PNN as int. */
        if (f.n_lines > INT32_MAX)
                return fail(mem_ctx, ret_error, "%s:%u: too many nodes (allowed: up to %d)", name,
                            f.lines[INT32_MAX].no, INT32_MAX);
        nodes = talloc_zero(NULL, struct ctdb_nodes);
        if (!nodes || !(nodes->nodes = talloc_zero_array(nodes, struct ctdb_node_entry, f.n_lines + 1)))
                return -ENOMEM;

        for (size_t i = 0; i < f.n_lines; i++) {
                struct ctdb_node_entry *e = &nodes->nodes[nodes->n_nodes];
                const char *line = f.lines[i].s;
                union ip_addr a;
                int family;

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

                if (line[strcspn(line, " \t\r\f\v")] != '\0' || parse_ip(line, true, &family, &a) < 0)
                        return fail(mem_ctx, ret_error,
                                    "%s:%u: %s is not an IP address (expected one IPv4 or IPv6 address "
                                    "per line, or a line starting with '#' for a deleted node)",
                                    name, f.lines[i].no, quote(tmp, line));
                if (ip_is_unspecified(family, &a))
                        return fail(mem_ctx, ret_error,
                                    "%s:%u: %s is the unspecified address (expected a node's private address)",
                                    name, f.lines[i].no, quote(tmp, line));

                e->address = ip_to_string(nodes->nodes, family, &a);
                if (!e->address)
                        return -ENOMEM;
                if (family == AF_INET) {
                        struct sockaddr_in *sin = (struct sockaddr_in *) &e->sa;
                        sin->sin_family = AF_INET;
                        sin->sin_addr = a.in;
                        e->sa_len = sizeof(*sin);
                } else {
                        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &e->sa;
                        sin6->sin6_family = AF_INET6;
                        sin6->sin6_addr = a.in6;
                        e->sa_len = sizeof(*sin6);
                }
                f.keys[f.n_keys++] = addr_key_make(family, &a, f.lines[i].no, e->pnn);
        }

        if (addr_keys_find_duplicate(f.keys, f.n_keys, &first, &again, &index))
                return fail(mem_ctx, ret_error,
                            "%s:%u: %s is already node %u on line %u (each address may appear once)", name, again,
                            nodes->nodes[index].address, nodes->nodes[index].pnn, first);
        if (f.n_keys == 0)
                return fail(mem_ctx, ret_error,
                            "%s: no node addresses (expected one IPv4 or IPv6 address per line)", name);

        *ret = talloc_steal(mem_ctx, nodes);
        nodes = NULL;
        return 0;
}

int ctdb_nodes_load(void *mem_ctx, const char *path, struct ctdb_nodes **ret, char **ret_error) {
        _cleanup_talloc_ char *text = NULL;
        int r = read_text_file(mem_ctx, path, &text, ret_error);

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

/* The address of an IPv4 or IPv6 socket address and its length; NULL for another family. */
static const void *sockaddr_ip(const struct sockaddr *sa, socklen_t len, int *ret_family, size_t *ret_len) {
        if (sa->sa_family == AF_INET && len >= (socklen_t) sizeof(struct sockaddr_in)) {
                *ret_family = AF_INET;
                *ret_len = sizeof(struct in_addr);
                return &((const struct sockaddr_in *) sa)->sin_addr;
        }
        if (sa->sa_family == AF_INET6 && len >= (socklen_t) sizeof(struct sockaddr_in6)) {
                const struct in6_addr *a6 = &((const struct sockaddr_in6 *) sa)->sin6_addr;
                /* A dual-stack socket shows an IPv4 peer as ::ffff:a.b.c.d. */
                if (IN6_IS_ADDR_V4MAPPED(a6)) {
                        *ret_family = AF_INET;
                        *ret_len = sizeof(struct in_addr);
                        return &a6->s6_addr[12];
                }
                *ret_family = AF_INET6;
                *ret_len = sizeof(struct in6_addr);
                return a6;
        }
        return NULL;
}

int ctdb_nodes_find(const struct ctdb_nodes *nodes, const struct sockaddr *sa, socklen_t len) {
        const void *want;
        size_t want_len;
        int family;

        if (!nodes || !sa || !(want = sockaddr_ip(sa, len, &family, &want_len)))
                return -ENOENT;
        for (uint32_t i = 0; i < nodes->n_nodes; i++) {
                const struct ctdb_node_entry *e = &nodes->nodes[i];
                const void *have;
                size_t have_len;
                int have_family;

                if (e->deleted)
                        continue;
                have = sockaddr_ip((const struct sockaddr *) &e->sa, e->sa_len, &have_family, &have_len);
                if (have && have_family == family && memcmp(have, want, want_len) == 0)
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

/* ---- public_addresses ------------------------------------------------------- */

#define PUBLIC_SYNTAX "expected ADDRESS/PREFIX IFACE[,IFACE...]"

/* The kernel's rules for a network interface name (dev_valid_name()). */
static bool ifname_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n >= IFNAMSIZ)
                return false;
        if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (; *s; s++)
                if (*s == '/' || *s == ':' || (unsigned char) *s <= ' ' || (unsigned char) *s >= 0x7f)
                        return false;
        return true;
}

static int public_parse_interfaces(void *owner, void *tmp, struct ctdb_public_address *pa, char *list,
                                   const char *name, unsigned lineno, void *mem_ctx, char **ret_error) {
        size_t n = 1;
        char *p, *s;

        for (p = list; *p; p++)
                n += *p == ',';
        pa->interfaces = talloc_zero_array(owner, char *, n + 1);
        if (!pa->interfaces)
                return -ENOMEM;

        pa->n_interfaces = 0;
        s = list;
        for (;;) {
                char *comma = strchr(s, ',');
                bool dup = false;

                if (comma)
                        *comma = '\0';
                if (!ifname_is_valid(s))
                        return fail(mem_ctx, ret_error,
                                    "%s:%u: %s is not an interface name (allowed: 1-%d characters, no '/', "
                                    "':' or blanks; several are separated by ',')",
                                    name, lineno, quote(tmp, s), IFNAMSIZ - 1);
                for (unsigned i = 0; i < pa->n_interfaces; i++)
                        dup = dup || strcmp(pa->interfaces[i], s) == 0;
                if (!dup) {
                        pa->interfaces[pa->n_interfaces] = talloc_strdup(pa->interfaces, s);
                        if (!pa->interfaces[pa->n_interfaces])
                                return -ENOMEM;
                        pa->n_interfaces++;
                }
                if (!comma)
                        break;
                s = comma + 1;
        }
        return 0;
}

int ctdb_public_addresses_parse(void *mem_ctx, const char *name, const char *text,
                                struct ctdb_public_addresses **ret, char **ret_error) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        _cleanup_talloc_ struct ctdb_public_addresses *list = NULL;
        struct line_file f;
        unsigned first, again, index;
        int r;

        if (ret_error)
                *ret_error = NULL;
        r = line_file_split(tmp, text, &f);
        if (r < 0)
                return r;
        if (f.n_lines >= UINT_MAX)
                return fail(mem_ctx, ret_error, "%s:%u: too many addresses", name, f.lines[UINT_MAX - 1].no);
        list = talloc_zero(NULL, struct ctdb_public_addresses);
        if (!list || !(list->addresses = talloc_zero_array(list, struct ctdb_public_address, f.n_lines + 1)))
                return -ENOMEM;

        for (size_t i = 0; i < f.n_lines; i++) {
                struct ctdb_public_address *pa;
                char *line = f.lines[i].s, *addr, *ifaces, *rest, *slash;
                unsigned lineno = f.lines[i].no, max_prefix;
                uint64_t prefix;

                if (line[0] == '#')
                        continue;
                pa = &list->addresses[list->n_addresses];
                *pa = (struct ctdb_public_address) {};

                addr = line;
                ifaces = addr + strcspn(addr, " \t\r\f\v");
                if (*ifaces) {
                        *ifaces++ = '\0';
                        ifaces += strspn(ifaces, " \t\r\f\v");
                }
                if (*ifaces == '#')
                        *ifaces = '\0'; /* a comment where the interfaces belong */
                rest = ifaces + strcspn(ifaces, " \t\r\f\v");
                if (*rest) {
                        *rest++ = '\0';
                        rest += strspn(rest, " \t\r\f\v");
                }

                slash = strrchr(addr, '/');
                if (!slash)
                        return fail(mem_ctx, ret_error, "%s:%u: %s has no /PREFIX (" PUBLIC_SYNTAX ")", name,
                                    lineno, quote(tmp, addr));
                *slash = '\0';
                if (parse_ip(addr, false, &pa->family, (union ip_addr *) &pa->addr) < 0)
                        return fail(mem_ctx, ret_error, "%s:%u: %s is not an IP address (" PUBLIC_SYNTAX ")",
                                    name, lineno, quote(tmp, addr));
                if (pa->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&pa->addr.in6))
                        return fail(mem_ctx, ret_error,
                                    "%s:%u: %s is an IPv4-mapped IPv6 address (write IPv4 addresses as "
                                    "a.b.c.d/PREFIX)",
                                    name, lineno, quote(tmp, addr));
                if (ip_is_unspecified(pa->family, &pa->addr))
                        return fail(mem_ctx, ret_error,
                                    "%s:%u: %s is the unspecified address (expected an address clients use)",
                                    name, lineno, quote(tmp, addr));

                max_prefix = pa->family == AF_INET ? 32 : 128;
                r = parse_uint(slash + 1, max_prefix, &prefix);
                if (r < 0 || prefix == 0)
                        return fail(mem_ctx, ret_error, "%s:%u: %s is not a valid prefix length for %s (allowed: 1..%u)",
                                    name, lineno, quote(tmp, slash + 1), addr, max_prefix);
                pa->prefix = (uint8_t) prefix;

                if (!*ifaces)
                        return fail(mem_ctx, ret_error,
                                    "%s:%u: no interface for %s/%u (" PUBLIC_SYNTAX ")", name, lineno, addr,
                                    pa->prefix);
                /* CTDB ignores everything after the interfaces; only a comment is meant to be there. */
                if (*rest && *rest != '#')
                        return fail(mem_ctx, ret_error,
                                    "%s:%u: unexpected %s after the interfaces (" PUBLIC_SYNTAX
                                    ", interfaces separated by ',' without blanks)",
                                    name, lineno, quote(tmp, rest));

                r = public_parse_interfaces(list->addresses, tmp, pa, ifaces, name, lineno, mem_ctx, ret_error);
                if (r < 0)
                        return r;

                pa->address = ip_to_string(list->addresses, pa->family, &pa->addr);
                if (!pa->address)
                        return -ENOMEM;
                pa->address = talloc_asprintf_append_buffer(pa->address, "/%u", pa->prefix);
                if (!pa->address)
                        return -ENOMEM;

                f.keys[f.n_keys++] = addr_key_make(pa->family, &pa->addr, lineno, list->n_addresses++);
        }

        if (addr_keys_find_duplicate(f.keys, f.n_keys, &first, &again, &index)) {
                const char *a = list->addresses[index].address;
                return fail(mem_ctx, ret_error,
                            "%s:%u: %.*s is already on line %u (each public address may appear once)", name,
                            again, (int) strcspn(a, "/"), a, first);
        }

        *ret = talloc_steal(mem_ctx, list);
        list = NULL;
        return 0;
}

int ctdb_public_addresses_load(void *mem_ctx, const char *path, struct ctdb_public_addresses **ret,
                               char **ret_error) {
        _cleanup_talloc_ char *text = NULL;
        int r = read_text_file(mem_ctx, path, &text, ret_error);

        return r < 0 ? r : ctdb_public_addresses_parse(mem_ctx, path, text, ret, ret_error);
}

/* ---- ctdb.conf ------------------------------------------------------------ */

struct conf_parser {
        struct ctdb_config *cfg;
        void *tmp;              /* scratch (quoted values), freed after the parse */
        const char *name;
        const char *text;       /* all of it, to quote a line inih rejected */
        const char *pos;        /* what the reader hands out next */
        unsigned line;          /* of the line last handed to inih */

        char *error;            /* the first error, talloc'd on cfg */
        unsigned error_line;
        bool oom;

        unsigned *key_lines;    /* per conf_keys[] entry: the line that last set it, 0 if none */
        char *recovery_lock;    /* deprecated CTDB spelling, used when cluster lock is absent */
};

/*
 * How a key's value is checked and where it is stored. Most keys are a plain
 * field of struct ctdb_config (offset/size); size 0 means a CTDB key this
 * project has no use for: accepted if CTDB would accept the value.
 */
enum conf_type {
        CONF_ANY,               /* any string, ignored */
        CONF_BOOL,              /* bool */
        CONF_UINT,              /* uint16_t or uint32_t, min..max */
        CONF_PATH,              /* char *: an absolute path */
        CONF_PATH_OR_EMPTY,     /* char *: an absolute path, or empty for none */
        CONF_FUNC,              /* parse() */
};

struct conf_key {
        const char *section;
        const char *key;
        enum conf_type type;
        size_t offset, size;
        uint32_t min, max;
        const char *what;       /* CONF_UINT: "is not a ..." */
        int (*parse)(struct conf_parser *p, const struct conf_key *k, const char *value);
        const char *allowed;    /* for messages */
};

/* Records the first error (at the current line); -EINVAL, or -ENOMEM if it cannot be made. */
static int conf_error(struct conf_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int conf_error(struct conf_parser *p, const char *fmt, ...) {
        va_list ap;

        if (p->error)
                return -EINVAL;
        va_start(ap, fmt);
        p->error = talloc_vasprintf(p->cfg, fmt, ap);
        va_end(ap);
        p->error_line = p->line;
        if (!p->error) {
                p->oom = true;
                return -ENOMEM;
        }
        return -EINVAL;
}

static int conf_fail(struct conf_parser *p, const struct conf_key *k, const char *value, const char *what) {
        return conf_error(p, "%s:%u: [%s] %s: %s %s (allowed: %s)", p->name, p->line, k->section, k->key,
                          quote(p->tmp, value), what, k->allowed);
}

static int conf_warn(struct conf_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int conf_warn(struct conf_parser *p, const char *fmt, ...) {
        struct ctdb_config *cfg = p->cfg;
        char **w;
        va_list ap;

        w = talloc_realloc(cfg, cfg->warnings, char *, cfg->n_warnings + 2);
        if (!w)
                return -ENOMEM;
        cfg->warnings = w;
        va_start(ap, fmt);
        w[cfg->n_warnings] = talloc_vasprintf(w, fmt, ap);
        va_end(ap);
        if (!w[cfg->n_warnings])
                return -ENOMEM;
        w[++cfg->n_warnings] = NULL;
        return 0;
}

static int conf_set_string(struct conf_parser *p, char **field, const char *value) {
        char *s = NULL;

        if (*value) {
                s = talloc_strdup(p->cfg, value);
                if (!s)
                        return -ENOMEM;
        }
        talloc_free(*field);
        *field = s;
        return 0;
}

/* Checks value for the plain types and stores it in its field, if it has one. */
static int conf_set(struct conf_parser *p, const struct conf_key *k, const char *value) {
        void *field = (uint8_t *) p->cfg + k->offset;
        uint64_t v;
        bool b;

        switch (k->type) {
        case CONF_ANY:
                return 0;
        case CONF_BOOL:
                if (parse_bool(value, &b) < 0)
                        return conf_fail(p, k, value, "is not a boolean");
                if (k->size)
                        *(bool *) field = b;
                return 0;
        case CONF_UINT:
                if (parse_uint(value, k->max, &v) < 0 || v < k->min)
                        return conf_fail(p, k, value, k->what);
                if (k->size == sizeof(uint16_t))
                        *(uint16_t *) field = (uint16_t) v;
                else if (k->size == sizeof(uint32_t))
                        *(uint32_t *) field = (uint32_t) v;
                return 0;
        case CONF_PATH:
        case CONF_PATH_OR_EMPTY:
                if (*value || k->type == CONF_PATH) {
                        if (value[0] != '/')
                                return conf_fail(p, k, value, "is not an absolute path");
                        if (strlen(value) >= PATH_MAX)
                                return conf_fail(p, k, value, "is too long");
                }
                return conf_set_string(p, field, value);
        case CONF_FUNC:
                return k->parse(p, k, value);
        }
        return -EINVAL;
}

/* [logging] */

static int parse_log_location(struct conf_parser *p, const struct conf_key *k, const char *value) {
        static const char *const plain[] = {
                "syslog", "syslog:nonblocking", "syslog:udp", "syslog:udp-rfc5424", "journal", "stderr",
        };

        for (size_t i = 0; i < ELEMENTSOF(plain); i++)
                if (strcmp(value, plain[i]) == 0)
                        return conf_set_string(p, &p->cfg->log_location, value);
        if (strncmp(value, "file:", 5) == 0 && value[5] == '/')
                return conf_set_string(p, &p->cfg->log_location, value);
        return conf_fail(p, k, value, "is not a log location");
}

static int parse_log_level(struct conf_parser *p, const struct conf_key *k, const char *value) {
        static const struct {
                const char *name;
                int level;
        } names[] = {
                { "error", LOG_ERR },   { "err", LOG_ERR },   { "warning", LOG_WARNING }, { "warn", LOG_WARNING },
                { "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
        };
        /* CTDB's numeric levels are Samba debug levels 0..10 (debug_level_parse()). */
        static const int numeric[] = {
                LOG_ERR, LOG_WARNING, LOG_WARNING, LOG_NOTICE, LOG_NOTICE, LOG_INFO,
                LOG_INFO, LOG_INFO,   LOG_INFO,    LOG_INFO,   LOG_DEBUG,
        };
        uint64_t n;

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(value, names[i].name) == 0) {
                        p->cfg->log_level = names[i].level;
                        return 0;
                }
        if (parse_uint(value, ELEMENTSOF(numeric) - 1, &n) == 0) {
                p->cfg->log_level = numeric[n];
                return 0;
        }
        return conf_fail(p, k, value, "is not a log level");
}

/* [cluster] */

static int parse_node_address(struct conf_parser *p, const struct conf_key *k, const char *value) {
        union ip_addr a;
        int family;
        char *s;

        if (!*value) {
                TALLOC_FREE(p->cfg->node_address);
                return 0;
        }
        if (parse_ip(value, true, &family, &a) < 0)
                return conf_fail(p, k, value, "is not an IP address");
        s = ip_to_string(p->cfg, family, &a);
        if (!s)
                return -ENOMEM;
        talloc_free(p->cfg->node_address);
        p->cfg->node_address = s;
        return 0;
}

static int lock_from_string(struct conf_parser *p, const struct conf_key *k, const char *value) {
        struct ctdb_config *cfg = p->cfg;
        const char *arg = NULL;
        enum ctdb_lock_backend backend;

        if (!*value || strcmp(value, "quorum") == 0)
                backend = CTDB_LOCK_QUORUM;
        else if (value[0] == '/') {
                backend = CTDB_LOCK_FCNTL;
                arg = value;
        } else if (strncmp(value, "fcntl:", 6) == 0 && value[6] == '/') {
                backend = CTDB_LOCK_FCNTL;
                arg = value + 6;
        } else if (strncmp(value, "etcd:", 5) == 0 && value[5] != '\0') {
                /* One or more endpoints, comma-separated, each a URL. */
                const char *u = value + 5;
                for (;;) {
                        size_t n = strcspn(u, ",");
                        const char *sep = memmem(u, n, "://", 3);
                        if (n == 0 || !sep || sep == u || (size_t) (sep - u) + 3 == n ||
                            strcspn(u, " \t") < n)
                                return conf_fail(p, k, value, "is not a cluster lock");
                        if (!u[n])
                                break;
                        u += n + 1;
                }
                backend = CTDB_LOCK_ETCD;
                arg = value + 5;
        } else
                return conf_fail(p, k, value, "is not a cluster lock");

        if (arg && strlen(arg) >= PATH_MAX)
                return conf_fail(p, k, value, "is too long");

        talloc_free(cfg->lock_argument);
        cfg->lock_argument = NULL;
        if (arg) {
                cfg->lock_argument = talloc_strdup(cfg, arg);
                if (!cfg->lock_argument)
                        return -ENOMEM;
        }
        cfg->lock_backend = backend;
        return 0;
}

/*
 * CTDB still honours the old name when "cluster lock" is absent, with a
 * deprecation warning; so do we. Validated now, applied after the whole file.
 */
static int parse_recovery_lock(struct conf_parser *p, const struct conf_key *k, const char *value) {
        int r;

        r = conf_warn(p, "%s:%u: [cluster] recovery lock is deprecated, use cluster lock", p->name, p->line);
        if (r < 0)
                return r;
        return conf_set_string(p, &p->recovery_lock, value);
}

static int parse_transport(struct conf_parser *p, const struct conf_key *k, const char *value) {
        if (strcmp(value, "tcp") != 0)
                return conf_fail(p, k, value, "is not a supported transport");
        return 0;
}

static int parse_nodes_list(struct conf_parser *p, const struct conf_key *k, const char *value) {
        return conf_warn(p, "%s:%u: [cluster] nodes list is not supported and is ignored (the nodes file "
                            "in the configuration directory is used)", p->name, p->line);
}

/* [monitor] */

static bool unit_name_is_valid(const char *s) {
        static const char *const types[] = {
                ".service", ".socket", ".target", ".mount", ".automount", ".swap",
                ".path",    ".timer",  ".slice",  ".scope", ".device",
        };
        const char *dot = strrchr(s, '.');
        size_t n = strlen(s);

        if (n == 0 || n > 255 || !dot || dot == s)
                return false;
        for (const char *c = s; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      strchr(":-_.\\@", *c)))
                        return false;
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (strcmp(dot, types[i]) == 0)
                        return true;
        return false;
}

static int parse_monitor_units(struct conf_parser *p, const struct conf_key *k, const char *value) {
        _cleanup_talloc_ char *copy = talloc_strdup(NULL, value);
        char **units, *tok, *save = NULL;
        size_t n = 0;

        if (!copy)
                return -ENOMEM;
        units = talloc_zero_array(p->cfg, char *, strlen(value) / 2 + 2);
        if (!units)
                return -ENOMEM;

        for (tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                char *u;
                bool dup = false;

                /* As systemctl does: a name without a type is a service. */
                if (!strchr(tok, '.'))
                        u = talloc_asprintf(units, "%s.service", tok);
                else
                        u = talloc_strdup(units, tok);
                if (!u) {
                        talloc_free(units);
                        return -ENOMEM;
                }
                if (!unit_name_is_valid(u)) {
                        talloc_free(units);
                        return conf_fail(p, k, tok, "is not a systemd unit name");
                }
                for (size_t i = 0; i < n; i++)
                        dup = dup || strcmp(units[i], u) == 0;
                if (dup)
                        talloc_free(u);
                else
                        units[n++] = u;
        }

        talloc_free(p->cfg->monitor_units);
        p->cfg->monitor_units = units;
        return 0;
}

#define BOOLEANS "true, false, yes, no, on, off, 1, 0"
#define ABS_PATH "an absolute path"

#define FIELD(f) .offset = offsetof(struct ctdb_config, f), .size = sizeof(((struct ctdb_config *) NULL)->f)
#define KEY_FUNC(s, k, fn, a) { s, k, CONF_FUNC, .parse = fn, .allowed = a }
#define KEY_ANY(s, k) { s, k, CONF_ANY, .allowed = "" }
#define KEY_BOOL(s, k, ...) { s, k, CONF_BOOL, __VA_ARGS__, .allowed = BOOLEANS }
#define KEY_UINT(s, k, lo, hi, w, a, ...) \
        { s, k, CONF_UINT, __VA_ARGS__, .min = lo, .max = hi, .what = w, .allowed = a }
#define KEY_PATH(s, k, f) { s, k, CONF_PATH, FIELD(f), .allowed = ABS_PATH }
#define NO_FIELD .size = 0

#define HEARTBEAT_INTERVAL_MIN 10
#define HEARTBEAT_INTERVAL_MAX 60000
#define HEARTBEAT_TIMEOUT_MIN  20
#define HEARTBEAT_TIMEOUT_MAX  600000

static const struct conf_key conf_keys[] = {
        KEY_FUNC("logging", "location", parse_log_location,
                 "syslog, syslog:nonblocking, syslog:udp, syslog:udp-rfc5424, file:/ABSOLUTE/PATH, journal, stderr"),
        KEY_FUNC("logging", "log level", parse_log_level, "error, warning, notice, info, debug, or CTDB's 0..10"),

        KEY_FUNC("cluster", "node address", parse_node_address, "an IPv4 or IPv6 address of this node"),
        KEY_FUNC("cluster", "cluster lock", lock_from_string,
                 "quorum, fcntl:/ABSOLUTE/PATH, /ABSOLUTE/PATH, etcd:URL[,URL...]; CTDB's '!helper' is not supported"),
        KEY_FUNC("cluster", "recovery lock", parse_recovery_lock, "as cluster lock"),
        KEY_UINT("cluster", "tunnel port", 1, 65535, "is not a TCP port", "1..65535", FIELD(tunnel_port)),
        KEY_UINT("cluster", "heartbeat interval", HEARTBEAT_INTERVAL_MIN, HEARTBEAT_INTERVAL_MAX,
                 "is not a number of milliseconds", "10..60000", FIELD(heartbeat_interval_ms)),
        KEY_UINT("cluster", "heartbeat timeout", HEARTBEAT_TIMEOUT_MIN, HEARTBEAT_TIMEOUT_MAX,
                 "is not a number of milliseconds", "20..600000, more than heartbeat interval",
                 FIELD(heartbeat_timeout_ms)),
        { "cluster", "pre-shared key file", CONF_PATH_OR_EMPTY, FIELD(psk_file), .allowed = ABS_PATH },
        KEY_BOOL("cluster", "leader capability", FIELD(leader_capability)),
        KEY_FUNC("cluster", "transport", parse_transport, "tcp"),
        KEY_FUNC("cluster", "nodes list", parse_nodes_list, ""),
        KEY_UINT("cluster", "leader timeout", 1, INT_MAX, "is not a number", "a positive number of seconds", NO_FIELD),

        KEY_PATH("database", "volatile database directory", volatile_db_dir),
        KEY_PATH("database", "persistent database directory", persistent_db_dir),
        KEY_PATH("database", "state database directory", state_db_dir),
        KEY_ANY("database", "lock debug script"),
        KEY_BOOL("database", "tdb mutexes", NO_FIELD),

        KEY_ANY("event", "debug script"),

        KEY_BOOL("failover", "disabled", FIELD(failover_disabled)),
        KEY_UINT("failover", "shutdown extra timeout", 0, INT_MAX, "is not a number", "a number of seconds", NO_FIELD),
        KEY_UINT("failover", "shutdown failover timeout", 0, INT_MAX, "is not a number", "a number of seconds",
                 NO_FIELD),

        KEY_FUNC("monitor", "units", parse_monitor_units, "systemd unit names separated by blanks"),

        KEY_PATH("paths", "runtime directory", run_dir),
        KEY_PATH("paths", "state directory", state_dir),

        KEY_BOOL("legacy", "start as disabled", FIELD(start_as_disabled)),
        KEY_BOOL("legacy", "start as stopped", FIELD(start_as_stopped)),
        KEY_BOOL("legacy", "realtime scheduling", NO_FIELD),
        KEY_BOOL("legacy", "lmaster capability", NO_FIELD),
        KEY_ANY("legacy", "script log level"),
};

/* The line of the file that last set key (0 if none did). */
static unsigned conf_key_line(const struct conf_parser *p, const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++)
                if (strcmp(conf_keys[i].key, key) == 0)
                        return p->key_lines[i];
        return 0;
}

/*
 * Hands inih one line at a time so that p->line is the line inih is looking at
 * when it calls the handler. Leading blanks are cut because Debian's inih is
 * built with INI_ALLOW_MULTILINE: an indented "key = value" (which CTDB's own
 * sample ctdb.conf uses throughout) would otherwise be read as a continuation
 * of the previous value.
 */
static char *conf_reader(char *buf, int size, void *stream) {
        struct conf_parser *p = stream;
        const char *s = p->pos, *nl;
        size_t n;

        if (!*s || size < 2)
                return NULL;
        nl = strchr(s, '\n');
        n = nl ? (size_t) (nl - s) : strlen(s);
        p->pos = nl ? nl + 1 : s + n;
        p->line++;

        while (n > 0 && (*s == ' ' || *s == '\t')) {
                s++;
                n--;
        }
        /* inih reads at most size-1 bytes per line: a longer line is refused, not split. */
        if (n + 2 > (size_t) size) {
                (void) conf_error(p, "%s:%u: line too long (allowed: up to %d characters)", p->name, p->line,
                                  size - 2);
                n = 0;
        }
        memcpy(buf, s, n);
        buf[n] = '\n';
        buf[n + 1] = '\0';
        return buf;
}

static int conf_handler(void *user, const char *section, const char *key, const char *value) {
        struct conf_parser *p = user;
        int r;

        if (p->error)
                return 1; /* only the first error is reported; let inih finish quietly */

        if (!*section) {
                (void) conf_error(p, "%s:%u: key %s is not in a section (expected a [section] line before it)",
                                  p->name, p->line, quote(p->tmp, key));
                return 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++) {
                const struct conf_key *k = &conf_keys[i];

                if (strcasecmp(section, k->section) != 0 || strcasecmp(key, k->key) != 0)
                        continue;
                p->key_lines[i] = p->line;
                r = conf_set(p, k, value);
                if (r == -ENOMEM)
                        p->oom = true;
                return r < 0 ? 0 : 1;
        }

        r = conf_warn(p, "%s:%u: unknown key %s in section %s", p->name, p->line, quote(p->tmp, key),
                      escape(p->tmp, section, "[", "]"));
        if (r < 0)
                p->oom = true;
        return r < 0 ? 0 : 1;
}

/* Quotes line n of text for a syntax error. */
static char *conf_quote_line(void *ctx, const char *text, unsigned n) {
        _cleanup_talloc_ char *l = NULL;
        const char *s = text;

        for (unsigned i = 1; i < n && s; i++) {
                s = strchr(s, '\n');
                if (s)
                        s++;
        }
        if (!s)
                return talloc_strdup(ctx, "''");
        l = talloc_strndup(NULL, s, strcspn(s, "\n"));
        if (!l)
                return NULL;
        return quote(ctx, strip(l));
}

static int conf_defaults_fill(struct ctdb_config *cfg) {
        *cfg = (struct ctdb_config) {
                .log_level = LOG_NOTICE,
                .lock_backend = CTDB_LOCK_QUORUM,
                .tunnel_port = CTDB_DEFAULT_PORT,
                .heartbeat_interval_ms = CTDB_DEFAULT_HEARTBEAT_MS,
                .heartbeat_timeout_ms = CTDB_DEFAULT_HEARTBEAT_TIMEOUT_MS,
                .leader_capability = true,
        };
        cfg->run_dir = talloc_strdup(cfg, CTDB_RUN_DIR);
        cfg->state_dir = talloc_strdup(cfg, CTDB_STATE_DIR);
        cfg->monitor_units = talloc_zero_array(cfg, char *, 1);
        cfg->warnings = talloc_zero_array(cfg, char *, 1);
        if (!cfg->run_dir || !cfg->state_dir || !cfg->monitor_units || !cfg->warnings)
                return -ENOMEM;
        return 0;
}

/* Database directories not set in the file follow the state directory, as CTDB's follow CTDB_VARDIR. */
static int conf_db_dirs_fill(struct ctdb_config *cfg) {
        struct {
                char **dir;
                const char *name;
        } dirs[] = {
                { &cfg->volatile_db_dir, "volatile" },
                { &cfg->persistent_db_dir, "persistent" },
                { &cfg->state_db_dir, "state" },
        };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (!*dirs[i].dir && !(*dirs[i].dir = talloc_asprintf(cfg, "%s/%s", cfg->state_dir, dirs[i].name)))
                        return -ENOMEM;
        return 0;
}

int ctdb_config_defaults(void *mem_ctx, struct ctdb_config **ret) {
        _cleanup_talloc_ struct ctdb_config *cfg = talloc_zero(NULL, struct ctdb_config);
        int r;

        if (!cfg)
                return -ENOMEM;
        r = conf_defaults_fill(cfg);
        if (r < 0)
                return r;
        r = conf_db_dirs_fill(cfg);
        if (r < 0)
                return r;
        *ret = talloc_steal(mem_ctx, cfg);
        cfg = NULL;
        return 0;
}

int ctdb_config_parse(void *mem_ctx, const char *name, const char *text, struct ctdb_config **ret,
                      char **ret_error) {
        _cleanup_talloc_ struct ctdb_config *cfg = talloc_zero(NULL, struct ctdb_config);
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct conf_parser p;
        unsigned interval_line, timeout_line, recovery_lock_line;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (!cfg || !tmp)
                return -ENOMEM;
        r = conf_defaults_fill(cfg);
        if (r < 0)
                return r;

        p = (struct conf_parser) { .cfg = cfg, .tmp = tmp, .name = name, .text = text, .pos = text,
                                   .key_lines = talloc_zero_array(tmp, unsigned, ELEMENTSOF(conf_keys)) };
        if (!p.key_lines)
                return -ENOMEM;
        r = ini_parse_stream(conf_reader, &p, conf_handler, &p);
        if (r == -2 || p.oom)
                return -ENOMEM;
        if (r > 0 && (!p.error || (unsigned) r < p.error_line)) {
                TALLOC_FREE(p.error);
                p.error = talloc_asprintf(cfg, "%s:%d: %s is neither a [section] line nor key = value", name, r,
                                          conf_quote_line(tmp, text, (unsigned) r));
                if (!p.error)
                        return -ENOMEM;
        }
        if (p.error)
                return fail(mem_ctx, ret_error, "%s", p.error);

        recovery_lock_line = conf_key_line(&p, "recovery lock");
        if (recovery_lock_line && !conf_key_line(&p, "cluster lock")) {
                static const struct conf_key k = {
                        "cluster", "recovery lock", CONF_FUNC,
                        .allowed = "quorum, fcntl:/ABSOLUTE/PATH, /ABSOLUTE/PATH, etcd:URL",
                };
                p.line = recovery_lock_line;
                r = lock_from_string(&p, &k, p.recovery_lock ? p.recovery_lock : "");
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return fail(mem_ctx, ret_error, "%s", p.error);
        }

        /* Blame whichever of the two the file set last. */
        interval_line = conf_key_line(&p, "heartbeat interval");
        timeout_line = conf_key_line(&p, "heartbeat timeout");
        if (cfg->heartbeat_timeout_ms <= cfg->heartbeat_interval_ms) {
                if (timeout_line > interval_line)
                        return fail(mem_ctx, ret_error,
                                    "%s:%u: [cluster] heartbeat timeout: %" PRIu32 " ms is not more than "
                                    "heartbeat interval %" PRIu32 " ms (allowed: more than heartbeat interval)",
                                    name, timeout_line, cfg->heartbeat_timeout_ms, cfg->heartbeat_interval_ms);
                return fail(mem_ctx, ret_error,
                            "%s:%u: [cluster] heartbeat interval: %" PRIu32 " ms is not less than heartbeat "
                            "timeout %" PRIu32 " ms (allowed: less than heartbeat timeout)",
                            name, interval_line, cfg->heartbeat_interval_ms, cfg->heartbeat_timeout_ms);
        }

        r = conf_db_dirs_fill(cfg);
        if (r < 0)
                return r;

        TALLOC_FREE(p.recovery_lock);
        *ret = talloc_steal(mem_ctx, cfg);
        cfg = NULL;
        return 0;
}

int ctdb_config_load(void *mem_ctx, const char *path, struct ctdb_config **ret, char **ret_error) {
        _cleanup_talloc_ char *text = NULL;
        int r;

        r = read_text_file(mem_ctx, path, &text, ret_error);
        if (r == -ENOENT) {
                if (ret_error)
                        TALLOC_FREE(*ret_error);
                return ctdb_config_defaults(mem_ctx, ret);
        }
        return r < 0 ? r : ctdb_config_parse(mem_ctx, path, text, ret, ret_error);
}

char *ctdb_config_path(void *mem_ctx, const char *config_dir, const char *file) {
        size_t n;

        if (!config_dir || !*config_dir)
                config_dir = CTDB_CONFIG_DIR;
        n = strlen(config_dir);
        while (n > 0 && config_dir[n - 1] == '/')
                n--;
        return talloc_asprintf(mem_ctx, "%.*s/%s", (int) n, config_dir, file);
}
