/*
 * The public_addresses file (config.h). It follows CTDB's own reader
 * (ctdb_set_public_addresses() in ctdb/server/ctdb_takeover.c) so that an
 * existing /etc/ctdb works unchanged, with two deliberate differences: what
 * CTDB silently accepts but cannot be meant (a duplicate address, text after
 * the interfaces, a prefix out of range) is an error here, and every error
 * names file and line.
 */

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <string.h>

#include "config-internal.h"
#include "config.h"
#include "talloc-util.h"

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
                        return config_fail(
                                mem_ctx, ret_error,
                                "%s:%u: %s is not an interface name (allowed: 1-%d characters, no "
                                "'/', ':' or blanks; several are separated by ',')",
                                name, lineno, config_quote(tmp, s), IFNAMSIZ - 1);
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

/* Cuts the next blank-separated field off *s; what is left starts at the field after it. */
static char *next_field(char **s) {
        char *field = *s, *end = field + strcspn(field, CONFIG_BLANKS);

        if (*end) {
                *end++ = '\0';
                end += strspn(end, CONFIG_BLANKS);
        }
        *s = end;
        return field;
}

/* One "ADDRESS/PREFIX IFACE[,IFACE...] [# comment]" line into pa. */
static int public_parse_line(void *owner, void *tmp, struct ctdb_public_address *pa, char *line,
                             const char *name, unsigned lineno, void *mem_ctx, char **ret_error) {
        char s[CTDB_IP_STRLEN];
        char *addr, *ifaces, *slash;
        unsigned max_prefix;
        int r;

        addr = next_field(&line);
        if (*line == '#')
                *line = '\0'; /* a comment where the interfaces belong */
        ifaces = next_field(&line);

        slash = strrchr(addr, '/');
        if (!slash)
                return config_fail(mem_ctx, ret_error, "%s:%u: %s has no /PREFIX (" PUBLIC_SYNTAX ")", name,
                                   lineno, config_quote(tmp, addr));
        *slash = '\0';
        if (ctdb_ip_from_string(addr, 0, &pa->addr) < 0)
                return config_fail(mem_ctx, ret_error, "%s:%u: %s is not an IP address (" PUBLIC_SYNTAX ")",
                                   name, lineno, config_quote(tmp, addr));
        if (ctdb_ip_is_v4_mapped(&pa->addr))
                return config_fail(mem_ctx, ret_error,
                                   "%s:%u: %s is an IPv4-mapped IPv6 address (write IPv4 addresses as "
                                   "a.b.c.d/PREFIX)",
                                   name, lineno, config_quote(tmp, addr));
        if (ctdb_ip_is_unspecified(&pa->addr))
                return config_fail(mem_ctx, ret_error,
                                   "%s:%u: %s is the unspecified address (expected an address clients use)",
                                   name, lineno, config_quote(tmp, addr));

        max_prefix = ctdb_ip_family_bits(pa->addr.family);
        r = ctdb_ip_prefixlen_from_string(slash + 1, pa->addr.family, &pa->addr.prefixlen);
        if (r < 0 || pa->addr.prefixlen == 0)
                return config_fail(mem_ctx, ret_error,
                                   "%s:%u: %s is not a valid prefix length for %s (allowed: 1..%u)", name,
                                   lineno, config_quote(tmp, slash + 1), addr, max_prefix);

        if (!*ifaces)
                return config_fail(mem_ctx, ret_error, "%s:%u: no interface for %s/%u (" PUBLIC_SYNTAX ")",
                                   name, lineno, addr, pa->addr.prefixlen);
        /* CTDB ignores everything after the interfaces; only a comment is meant to be there. */
        if (*line && *line != '#')
                return config_fail(mem_ctx, ret_error,
                                   "%s:%u: unexpected %s after the interfaces (" PUBLIC_SYNTAX
                                   ", interfaces separated by ',' without blanks)",
                                   name, lineno, config_quote(tmp, line));

        r = public_parse_interfaces(owner, tmp, pa, ifaces, name, lineno, mem_ctx, ret_error);
        if (r < 0)
                return r;

        pa->address = talloc_strdup(owner, ctdb_ip_to_string(&pa->addr, true, s, sizeof(s)));
        return pa->address ? 0 : -ENOMEM;
}

int ctdb_public_addresses_parse(void *mem_ctx, const char *name, const char *text,
                                struct ctdb_public_addresses **ret, char **ret_error) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        _cleanup_talloc_ struct ctdb_public_addresses *list = NULL;
        struct config_line_file f;
        unsigned first, again, index;
        int r;

        r = config_line_file_open(tmp, name, text, UINT_MAX - 1, "addresses", mem_ctx, ret_error, &f);
        if (r < 0)
                return r;
        list = talloc_zero(NULL, struct ctdb_public_addresses);
        if (!list || !(list->addresses = talloc_zero_array(list, struct ctdb_public_address, f.n_lines + 1)))
                return -ENOMEM;

        for (size_t i = 0; i < f.n_lines; i++) {
                struct ctdb_public_address *pa = &list->addresses[list->n_addresses];

                if (f.lines[i].s[0] == '#')
                        continue;
                *pa = (struct ctdb_public_address) {};
                r = public_parse_line(list->addresses, tmp, pa, f.lines[i].s, name, f.lines[i].no, mem_ctx,
                                      ret_error);
                if (r < 0)
                        return r;
                config_line_file_add_key(&f, &pa->addr, f.lines[i].no, list->n_addresses++);
        }

        if (config_line_file_find_duplicate(&f, &first, &again, &index)) {
                const char *a = list->addresses[index].address;
                return config_fail(mem_ctx, ret_error,
                                   "%s:%u: %.*s is already on line %u (each public address may appear once)",
                                   name, again, (int) strcspn(a, "/"), a, first);
        }

        *ret = talloc_steal(mem_ctx, list);
        list = NULL;
        return 0;
}

int ctdb_public_addresses_load(void *mem_ctx, const char *path, struct ctdb_public_addresses **ret,
                               char **ret_error) {
        _cleanup_talloc_ char *text = NULL;
        int r = config_read_text_file(mem_ctx, path, &text, ret_error);

        return r < 0 ? r : ctdb_public_addresses_parse(mem_ctx, path, text, ret, ret_error);
}
