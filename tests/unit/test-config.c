/* Unit tests of common/config-*.c: nodes, public_addresses and ctdb.conf. */

#undef NDEBUG

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <syslog.h>
#include <talloc.h>

/* "config.h" alone would find the build's generated config.h first. */
#include "common/config.h"

/* ---- helpers ---------------------------------------------------------------- */

/* How an error message must match the expected one. */
enum match {
        MATCH_WHOLE,
        MATCH_PREFIX,
        MATCH_SUBSTRING,
};

static void assert_message(const char *error, const char *expected, enum match match) {
        g_assert_nonnull(error);
        switch (match) {
        case MATCH_WHOLE:
                g_assert_cmpstr(error, ==, expected);
                break;
        case MATCH_PREFIX:
                if (!g_str_has_prefix(error, expected))
                        g_error("expected an error starting with \"%s\", got \"%s\"", expected, error);
                break;
        case MATCH_SUBSTRING:
                if (!strstr(error, expected))
                        g_error("expected an error containing \"%s\", got \"%s\"", expected, error);
                break;
        }
}

/*
 * A bad input and what must come of it: the parser returns error, sets no
 * result, and leaves nothing on its context but the message, which is message
 * (or, with MATCH_PREFIX, starts with it).
 */
struct bad_case {
        const char *text;
        int error;
        const char *message;
        enum match match;
};

#define BAD(text, message) { text, -EINVAL, message, MATCH_WHOLE }
#define BAD_PREFIX(text, message) { text, -EINVAL, message, MATCH_PREFIX }

/*
 * Each format's parser and loader behind one signature, so that one function walks
 * every table of bad inputs and one the table of files to load.
 */
typedef int (*parse_fn)(void *ctx, const char *name, const char *text, void **ret, char **ret_error);
typedef int (*load_fn)(void *ctx, const char *path, void **ret, char **ret_error);

static int parse_nodes(void *ctx, const char *name, const char *text, void **ret, char **ret_error) {
        struct ctdb_nodes *n = NULL;
        int r = ctdb_nodes_parse(ctx, name, text, &n, ret_error);

        *ret = n;
        return r;
}

static int parse_public(void *ctx, const char *name, const char *text, void **ret, char **ret_error) {
        struct ctdb_public_addresses *p = NULL;
        int r = ctdb_public_addresses_parse(ctx, name, text, &p, ret_error);

        *ret = p;
        return r;
}

static int parse_conf(void *ctx, const char *name, const char *text, void **ret, char **ret_error) {
        struct ctdb_config *c = NULL;
        int r = ctdb_config_parse(ctx, name, text, &c, ret_error);

        *ret = c;
        return r;
}

static int load_nodes(void *ctx, const char *path, void **ret, char **ret_error) {
        struct ctdb_nodes *n = NULL;
        int r = ctdb_nodes_load(ctx, path, &n, ret_error);

        *ret = n;
        return r;
}

static int load_public(void *ctx, const char *path, void **ret, char **ret_error) {
        struct ctdb_public_addresses *p = NULL;
        int r = ctdb_public_addresses_load(ctx, path, &p, ret_error);

        *ret = p;
        return r;
}

static int load_conf(void *ctx, const char *path, void **ret, char **ret_error) {
        struct ctdb_config *c = NULL;
        int r = ctdb_config_load(ctx, path, &c, ret_error);

        *ret = c;
        return r;
}

/* A good input: a result and no message. */
static void *check_ok(parse_fn parse, const char *name, void *ctx, const char *text) {
        void *result = NULL;
        char *error = NULL;
        int r = parse(ctx, name, text, &result, &error);

        g_assert_null(error);
        g_assert_cmpint(r, ==, 0);
        g_assert_nonnull(result);
        return result;
}

static struct ctdb_nodes *nodes_ok(void *ctx, const char *text) {
        return check_ok(parse_nodes, "nodes", ctx, text);
}

static struct ctdb_public_addresses *public_ok(void *ctx, const char *text) {
        return check_ok(parse_public, "public_addresses", ctx, text);
}

static struct ctdb_config *conf_ok(void *ctx, const char *text) {
        return check_ok(parse_conf, "ctdb.conf", ctx, text);
}

/* ctdb.conf with one value put into format, a one-key file. */
static struct ctdb_config *conf_ok_with(void *ctx, const char *format, const char *value) {
        g_autofree char *text = g_strdup_printf(format, value);

        return conf_ok(ctx, text);
}

static void check_bad(parse_fn parse, const char *name, const struct bad_case *c) {
        void *ctx = talloc_new(NULL);
        void *result = NULL;
        char *error = NULL;
        int r = parse(ctx, name, c->text, &result, &error);

        g_assert_cmpint(r, ==, c->error);
        g_assert_null(result);
        assert_message(error, c->message, c->match);
        g_assert_cmpint(talloc_total_blocks(ctx), ==, 2);
        talloc_free(ctx);
}

static void check_bad_table(parse_fn parse, const char *name, const struct bad_case *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                g_test_message("%s case %zu", name, i);
                check_bad(parse, name, &cases[i]);
        }
}

/* Everything hangs off result: freeing it leaves ctx empty again. */
static void assert_frees_to_empty(void *ctx, void *result) {
        talloc_free(result);
        g_assert_cmpint(talloc_total_blocks(ctx), ==, 1);
}

/* text does not parse, and after it ctx holds blocks talloc blocks: of the attempt, only its message. */
static void assert_parse_leaves(parse_fn parse, void *ctx, const char *name, const char *text,
                                char **ret_error, int blocks) {
        void *result = NULL;

        g_assert_cmpint(parse(ctx, name, text, &result, ret_error), ==, -EINVAL);
        g_assert_cmpint(talloc_total_blocks(ctx), ==, blocks);
}

/* ---- nodes ------------------------------------------------------------------ */

static void test_nodes_ipv4(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *n = nodes_ok(ctx, "192.0.2.1\n192.0.2.2\n192.0.2.3\n");
        const struct sockaddr_in *sin;

        g_assert_cmpuint(n->n_nodes, ==, 3);
        g_assert_cmpuint(ctdb_nodes_active(n), ==, 3);
        for (uint32_t i = 0; i < 3; i++) {
                g_assert_cmpuint(n->nodes[i].pnn, ==, i);
                g_assert_false(n->nodes[i].deleted);
        }
        g_assert_cmpstr(n->nodes[2].address, ==, "192.0.2.3");
        sin = (const struct sockaddr_in *) &n->nodes[2].sa;
        g_assert_cmpint(sin->sin_family, ==, AF_INET);
        g_assert_cmpuint(sin->sin_port, ==, 0);
        g_assert_cmpuint(ntohl(sin->sin_addr.s_addr), ==, 0xc0000203);
        g_assert_cmpuint(n->nodes[2].sa_len, ==, sizeof(struct sockaddr_in));
        talloc_free(ctx);
}

static void test_nodes_ipv6(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *n = nodes_ok(ctx, "2001:DB8::0001\n192.0.2.2\nfe80::1:2\n");
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) &n->nodes[0].sa;

        g_assert_cmpuint(n->n_nodes, ==, 3);
        g_assert_cmpstr(n->nodes[0].address, ==, "2001:db8::1");
        g_assert_cmpint(sin6->sin6_family, ==, AF_INET6);
        g_assert_cmpuint(n->nodes[0].sa_len, ==, sizeof(struct sockaddr_in6));
        g_assert_cmpuint(sin6->sin6_addr.s6_addr[15], ==, 1);
        g_assert_cmpstr(n->nodes[2].address, ==, "fe80::1:2");
        talloc_free(ctx);
}

/* As CTDB's ip_from_string(): an IPv4-mapped address is the IPv4 node. */
static void test_nodes_v4_mapped(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *n = nodes_ok(ctx, "::ffff:192.0.2.9\n");

        g_assert_cmpstr(n->nodes[0].address, ==, "192.0.2.9");
        g_assert_cmpint(n->nodes[0].sa.ss_family, ==, AF_INET);
        talloc_free(ctx);
}

static void test_nodes_deleted_slots(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *n = nodes_ok(ctx,
                                        "192.0.2.1\n"
                                        "#192.0.2.2\n"
                                        "\n"
                                        "   \t\n"
                                        "#deleted\n"
                                        "  # 192.0.2.4 retired\n"
                                        "192.0.2.5\n");

        g_assert_cmpuint(n->n_nodes, ==, 5);
        g_assert_cmpuint(ctdb_nodes_active(n), ==, 2);
        g_assert_false(n->nodes[0].deleted);
        for (int i = 1; i <= 3; i++) {
                g_assert_true(n->nodes[i].deleted);
                g_assert_null(n->nodes[i].address);
                g_assert_cmpuint(n->nodes[i].pnn, ==, i);
        }
        g_assert_cmpuint(n->nodes[4].pnn, ==, 4);
        g_assert_cmpstr(n->nodes[4].address, ==, "192.0.2.5");
        talloc_free(ctx);
}

/* CTDB gives every '#' line a slot, even a plain comment; PNNs must match CTDB's. */
static void test_nodes_comment_is_slot(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *n = nodes_ok(ctx, "# Adding a comment!\n192.0.2.41\n192.0.2.42\n");

        g_assert_cmpuint(n->n_nodes, ==, 3);
        g_assert_true(n->nodes[0].deleted);
        g_assert_cmpstr(n->nodes[1].address, ==, "192.0.2.41");
        g_assert_cmpuint(n->nodes[1].pnn, ==, 1);
        talloc_free(ctx);
}

static void test_nodes_blanks_crlf(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *n = nodes_ok(ctx, "  192.0.2.1 \t\r\n\r\n\t192.0.2.2\r\n\n\n");

        g_assert_cmpuint(n->n_nodes, ==, 2);
        g_assert_cmpstr(n->nodes[0].address, ==, "192.0.2.1");
        g_assert_cmpstr(n->nodes[1].address, ==, "192.0.2.2");
        talloc_free(ctx);
}

static void test_nodes_no_trailing_newline(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *n = nodes_ok(ctx, "192.0.2.1\n192.0.2.2");

        g_assert_cmpuint(n->n_nodes, ==, 2);
        talloc_free(ctx);
}

static void test_nodes_long_value_quoted_short(void) {
        char text[300];
        const struct bad_case c = BAD(
                text,
                "nodes:1: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is not an "
                "IP address (expected one IPv4 or IPv6 address per line, or a line starting with '#' "
                "for a deleted node)");

        memset(text, 'x', sizeof(text) - 1);
        text[sizeof(text) - 1] = '\0';
        check_bad(parse_nodes, "nodes", &c);
}

static void test_nodes_find(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *n = nodes_ok(ctx, "192.0.2.1\n#192.0.2.2\n2001:db8::3\n192.0.2.4\n");
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1234) };
        struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

        inet_pton(AF_INET, "192.0.2.4", &sin.sin_addr);
        g_assert_cmpint(ctdb_nodes_find(n, (struct sockaddr *) &sin, sizeof(sin)), ==, 3);
        inet_pton(AF_INET, "192.0.2.2", &sin.sin_addr);
        g_assert_cmpint(ctdb_nodes_find(n, (struct sockaddr *) &sin, sizeof(sin)), ==, -ENOENT);
        inet_pton(AF_INET, "198.51.100.1", &sin.sin_addr);
        g_assert_cmpint(ctdb_nodes_find(n, (struct sockaddr *) &sin, sizeof(sin)), ==, -ENOENT);
        /* A short length is not read past. */
        inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
        g_assert_cmpint(ctdb_nodes_find(n, (struct sockaddr *) &sin, 2), ==, -ENOENT);

        inet_pton(AF_INET6, "2001:db8::3", &sin6.sin6_addr);
        g_assert_cmpint(ctdb_nodes_find(n, (struct sockaddr *) &sin6, sizeof(sin6)), ==, 2);
        /* An IPv4 peer seen through a dual-stack socket. */
        inet_pton(AF_INET6, "::ffff:192.0.2.1", &sin6.sin6_addr);
        g_assert_cmpint(ctdb_nodes_find(n, (struct sockaddr *) &sin6, sizeof(sin6)), ==, 0);

        g_assert_cmpint(ctdb_nodes_find(NULL, (struct sockaddr *) &sin6, sizeof(sin6)), ==, -ENOENT);
        g_assert_cmpuint(ctdb_nodes_active(NULL), ==, 0);
        talloc_free(ctx);
}

/* Everything hangs off the result; a failure leaves nothing but the message. */
static void test_nodes_memory(void) {
        void *ctx = talloc_new(NULL);
        char *error = NULL;

        assert_frees_to_empty(ctx, nodes_ok(ctx, "192.0.2.1\n#x\n2001:db8::1\n"));
        assert_parse_leaves(parse_nodes, ctx, "nodes", "192.0.2.1\nbad\n", &error, 2);
        assert_parse_leaves(parse_nodes, ctx, "nodes", "192.0.2.1\nbad\n", NULL, 2);
        talloc_free(ctx);
}

static void test_nodes_many(void) {
        void *ctx = talloc_new(NULL);
        GString *s = g_string_new(NULL);
        struct ctdb_nodes *n;

        for (unsigned i = 0; i < 1000; i++)
                g_string_append_printf(s, "10.%u.%u.1\n", i / 256, i % 256);
        n = nodes_ok(ctx, s->str);
        g_assert_cmpuint(n->n_nodes, ==, 1000);
        g_assert_cmpstr(n->nodes[999].address, ==, "10.3.231.1");
        g_string_append(s, "10.2.0.1\n");
        g_assert_cmpint(ctdb_nodes_parse(ctx, "nodes", s->str, &n, NULL), ==, -EINVAL);
        g_string_free(s, TRUE);
        talloc_free(ctx);
}

static const struct bad_case nodes_bad_cases[] = {
        /* duplicate; the same address spelled two ways is still the same node */
        BAD("192.0.2.1\n192.0.2.2\n\n#deleted\n192.0.2.1\n",
            "nodes:5: 192.0.2.1 is already node 0 on line 1 (each address may appear once)"),
        BAD("2001:db8::1\n2001:DB8:0:0::1\n",
            "nodes:2: 2001:db8::1 is already node 0 on line 1 (each address may appear once)"),
        BAD("192.0.2.7\n::ffff:192.0.2.7\n",
            "nodes:2: 192.0.2.7 is already node 0 on line 1 (each address may appear once)"),
        /* with several duplicates the first one in file order is reported */
        BAD("192.0.2.9\n192.0.2.1\n192.0.2.1\n192.0.2.9\n",
            "nodes:3: 192.0.2.1 is already node 1 on line 2 (each address may appear once)"),
        /* bad-address */
        BAD("192.0.2.1\n192.0.2.300\n",
            "nodes:2: '192.0.2.300' is not an IP address (expected one IPv4 or IPv6 address per line, "
            "or a line starting with '#' for a deleted node)"),
        BAD("node1.example.com\n",
            "nodes:1: 'node1.example.com' is not an IP address (expected one IPv4 or IPv6 address per "
            "line, or a line starting with '#' for a deleted node)"),
        BAD("192.0.2.1 192.0.2.2\n",
            "nodes:1: '192.0.2.1 192.0.2.2' is not an IP address (expected one IPv4 or IPv6 address "
            "per line, or a line starting with '#' for a deleted node)"),
        BAD("192.0.2.1:4379\n",
            "nodes:1: '192.0.2.1:4379' is not an IP address (expected one IPv4 or IPv6 address per "
            "line, or a line starting with '#' for a deleted node)"),
        BAD("\x01\xff\n",
            "nodes:1: '\\x01\\xff' is not an IP address (expected one IPv4 or IPv6 address per line, "
            "or a line starting with '#' for a deleted node)"),
        /* unspecified */
        BAD("0.0.0.0\n",
            "nodes:1: '0.0.0.0' is the unspecified address (expected a node's private address)"),
        BAD("::\n",
            "nodes:1: '::' is the unspecified address (expected a node's private address)"),
        /* empty */
        BAD("",
            "nodes: no node addresses (expected one IPv4 or IPv6 address per line)"),
        BAD("\n\n#deleted\n",
            "nodes: no node addresses (expected one IPv4 or IPv6 address per line)"),
};

static void test_nodes_bad(void) {
        check_bad_table(parse_nodes, "nodes", nodes_bad_cases, G_N_ELEMENTS(nodes_bad_cases));
}

/* A file of blank lines is as empty as an empty one, and costs no per-line memory. */
static void test_nodes_blank_lines_only(void) {
        g_autofree char *text = g_strnfill(200000, '\n');
        const struct bad_case c =
                BAD(text, "nodes: no node addresses (expected one IPv4 or IPv6 address per line)");

        text[100] = ' ';
        text[101] = '\t';
        check_bad(parse_nodes, "nodes", &c);
}

/* ---- public_addresses ------------------------------------------------------- */

static void test_public_basic(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_public_addresses *p = public_ok(ctx,
                                                    "# public addresses\n"
                                                    "\n"
                                                    "192.0.2.100/24 eth1\n"
                                                    "  198.51.100.7/28\teth1,eth2  \n"
                                                    "2001:DB8::0:100/64 bond0 # v6\n");

        g_assert_cmpuint(p->n_addresses, ==, 3);

        g_assert_cmpstr(p->addresses[0].address, ==, "192.0.2.100/24");
        g_assert_cmpint(p->addresses[0].addr.family, ==, AF_INET);
        g_assert_cmpuint(ntohl(p->addresses[0].addr.u.in.s_addr), ==, 0xc0000264);
        g_assert_cmpuint(p->addresses[0].addr.prefixlen, ==, 24);
        g_assert_cmpuint(p->addresses[0].n_interfaces, ==, 1);
        g_assert_cmpstr(p->addresses[0].interfaces[0], ==, "eth1");
        g_assert_null(p->addresses[0].interfaces[1]);

        g_assert_cmpstr(p->addresses[1].address, ==, "198.51.100.7/28");
        g_assert_cmpuint(p->addresses[1].n_interfaces, ==, 2);
        g_assert_cmpstr(p->addresses[1].interfaces[0], ==, "eth1");
        g_assert_cmpstr(p->addresses[1].interfaces[1], ==, "eth2");
        g_assert_null(p->addresses[1].interfaces[2]);

        g_assert_cmpstr(p->addresses[2].address, ==, "2001:db8::100/64");
        g_assert_cmpint(p->addresses[2].addr.family, ==, AF_INET6);
        g_assert_cmpuint(p->addresses[2].addr.prefixlen, ==, 64);
        g_assert_cmpuint(p->addresses[2].addr.u.in6.s6_addr[14], ==, 1);
        g_assert_cmpstr(p->addresses[2].interfaces[0], ==, "bond0");
        talloc_free(ctx);
}

/* Also the first finding of fuzz-config under UBSan: qsort() of an empty list. */
static void test_public_empty(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_public_addresses *p = public_ok(ctx, "");

        g_assert_cmpuint(p->n_addresses, ==, 0);
        p = public_ok(ctx, "# none here\n\n");
        g_assert_cmpuint(p->n_addresses, ==, 0);
        talloc_free(ctx);
}

static void test_public_prefix_edges(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_public_addresses *p =
                public_ok(ctx, "192.0.2.1/32 e0\n192.0.2.2/1 e0\n2001:db8::1/128 e0\n");

        g_assert_cmpuint(p->addresses[0].addr.prefixlen, ==, 32);
        g_assert_cmpuint(p->addresses[1].addr.prefixlen, ==, 1);
        g_assert_cmpuint(p->addresses[2].addr.prefixlen, ==, 128);
        talloc_free(ctx);
}

static void test_public_interfaces_deduplicated(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_public_addresses *p = public_ok(ctx, "192.0.2.1/24 eth0,eth1,eth0\n");

        g_assert_cmpuint(p->addresses[0].n_interfaces, ==, 2);
        g_assert_cmpstr(p->addresses[0].interfaces[1], ==, "eth1");
        g_assert_null(p->addresses[0].interfaces[2]);
        talloc_free(ctx);
}

static void test_public_memory(void) {
        void *ctx = talloc_new(NULL);
        char *error = NULL;

        assert_frees_to_empty(ctx, public_ok(ctx, "192.0.2.1/24 a,b,c\n2001:db8::1/64 d\n"));
        assert_parse_leaves(parse_public, ctx, "p", "192.0.2.1/24 a,b\n192.0.2.2/24 a,,b\n", &error, 2);
        talloc_free(ctx);
}

static const struct bad_case public_bad_cases[] = {
        /* bad-prefix */
        BAD("192.0.2.1/33 eth0\n",
            "public_addresses:1: '33' is not a valid prefix length for 192.0.2.1 (allowed: 1..32)"),
        BAD("\n192.0.2.1/0 eth0\n",
            "public_addresses:2: '0' is not a valid prefix length for 192.0.2.1 (allowed: 1..32)"),
        BAD("2001:db8::1/129 eth0\n",
            "public_addresses:1: '129' is not a valid prefix length for 2001:db8::1 (allowed: 1..128)"),
        BAD("192.0.2.1/24x eth0\n",
            "public_addresses:1: '24x' is not a valid prefix length for 192.0.2.1 (allowed: 1..32)"),
        BAD("192.0.2.1/-1 eth0\n",
            "public_addresses:1: '-1' is not a valid prefix length for 192.0.2.1 (allowed: 1..32)"),
        BAD("192.0.2.1/ eth0\n",
            "public_addresses:1: '' is not a valid prefix length for 192.0.2.1 (allowed: 1..32)"),
        BAD("192.0.2.1/99999999999999999999999 eth0\n",
            "public_addresses:1: '99999999999999999999999' is not a valid prefix length for 192.0.2.1 "
            "(allowed: 1..32)"),
        /* no-prefix */
        BAD("192.0.2.1 eth0\n",
            "public_addresses:1: '192.0.2.1' has no /PREFIX (expected ADDRESS/PREFIX IFACE[,IFACE...])"),
        /* bad-address */
        BAD("192.0.2.256/24 eth0\n",
            "public_addresses:1: '192.0.2.256' is not an IP address (expected ADDRESS/PREFIX "
            "IFACE[,IFACE...])"),
        BAD("::ffff:192.0.2.1/120 eth0\n",
            "public_addresses:1: '::ffff:192.0.2.1' is an IPv4-mapped IPv6 address (write IPv4 "
            "addresses as a.b.c.d/PREFIX)"),
        BAD("0.0.0.0/8 eth0\n",
            "public_addresses:1: '0.0.0.0' is the unspecified address (expected an address clients use)"),
        /* no interface: current CTDB refuses that (the default interface is gone) */
        BAD("192.0.2.1/24 eth0\n192.0.2.2/24\n",
            "public_addresses:2: no interface for 192.0.2.2/24 (expected ADDRESS/PREFIX IFACE[,IFACE...])"),
        BAD("192.0.2.2/24   # eth0\n",
            "public_addresses:1: no interface for 192.0.2.2/24 (expected ADDRESS/PREFIX IFACE[,IFACE...])"),
        /* bad-interface */
        BAD("192.0.2.1/24 eth0,,eth1\n",
            "public_addresses:1: '' is not an interface name (allowed: 1-15 characters, no '/', ':' or "
            "blanks; several are separated by ',')"),
        BAD("192.0.2.1/24 eth0,\n",
            "public_addresses:1: '' is not an interface name (allowed: 1-15 characters, no '/', ':' or "
            "blanks; several are separated by ',')"),
        BAD("192.0.2.1/24 abcdefghijklmnop\n",
            "public_addresses:1: 'abcdefghijklmnop' is not an interface name (allowed: 1-15 characters, "
            "no '/', ':' or blanks; several are separated by ',')"),
        BAD("192.0.2.1/24 eth0:1\n",
            "public_addresses:1: 'eth0:1' is not an interface name (allowed: 1-15 characters, no '/', "
            "':' or blanks; several are separated by ',')"),
        BAD("192.0.2.1/24 ..\n",
            "public_addresses:1: '..' is not an interface name (allowed: 1-15 characters, no '/', ':' "
            "or blanks; several are separated by ',')"),
        /* trailing-text */
        BAD("192.0.2.1/24 eth0 eth1\n",
            "public_addresses:1: unexpected 'eth1' after the interfaces (expected ADDRESS/PREFIX "
            "IFACE[,IFACE...], interfaces separated by ',' without blanks)"),
        BAD("192.0.2.1/24 eth0, eth1\n",
            "public_addresses:1: unexpected 'eth1' after the interfaces (expected ADDRESS/PREFIX "
            "IFACE[,IFACE...], interfaces separated by ',' without blanks)"),
        /* duplicate */
        BAD("192.0.2.1/24 eth0\n# x\n198.51.100.1/24 eth1\n192.0.2.1/25 eth1\n",
            "public_addresses:4: 192.0.2.1 is already on line 1 (each public address may appear once)"),
        BAD("2001:db8::1/64 eth0\n2001:DB8::0:1/64 eth1\n",
            "public_addresses:2: 2001:db8::1 is already on line 1 (each public address may appear once)"),
};

static void test_public_bad(void) {
        check_bad_table(parse_public, "public_addresses", public_bad_cases, G_N_ELEMENTS(public_bad_cases));
}

/* ---- ctdb.conf -------------------------------------------------------------- */

static void assert_defaults(const struct ctdb_config *c) {
        g_assert_null(c->log_location);
        g_assert_cmpint(c->log_level, ==, LOG_NOTICE);
        g_assert_null(c->node_address);
        g_assert_cmpint(c->lock_backend, ==, CTDB_LOCK_QUORUM);
        g_assert_null(c->lock_argument);
        g_assert_cmpuint(c->tunnel_port, ==, CTDB_DEFAULT_PORT);
        g_assert_cmpuint(c->heartbeat_interval_ms, ==, CTDB_DEFAULT_HEARTBEAT_MS);
        g_assert_cmpuint(c->heartbeat_timeout_ms, ==, CTDB_DEFAULT_HEARTBEAT_TIMEOUT_MS);
        g_assert_null(c->psk_file);
        g_assert_true(c->leader_capability);
        g_assert_cmpstr(c->volatile_db_dir, ==, CTDB_STATE_DIR "/volatile");
        g_assert_cmpstr(c->persistent_db_dir, ==, CTDB_STATE_DIR "/persistent");
        g_assert_cmpstr(c->state_db_dir, ==, CTDB_STATE_DIR "/state");
        g_assert_false(c->failover_disabled);
        g_assert_false(c->no_ip_failback);
        g_assert_false(c->no_ip_takeover);
        g_assert_nonnull(c->monitor_units);
        g_assert_null(c->monitor_units[0]);
        g_assert_cmpstr(c->run_dir, ==, CTDB_RUN_DIR);
        g_assert_cmpstr(c->state_dir, ==, CTDB_STATE_DIR);
        g_assert_false(c->start_as_disabled);
        g_assert_false(c->start_as_stopped);
        g_assert_nonnull(c->warnings);
        g_assert_null(c->warnings[0]);
        g_assert_cmpuint(c->n_warnings, ==, 0);
}

static void test_conf_defaults(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = NULL;

        g_assert_cmpint(ctdb_config_defaults(ctx, &c), ==, 0);
        assert_defaults(c);
        assert_defaults(conf_ok(ctx, ""));
        assert_defaults(conf_ok(ctx, "# nothing\n; nothing either\n\n[logging]\n[cluster]\n"));
        g_assert_cmpstr(CTDB_STATE_DIR, ==, "/var/lib/ctdb");
        g_assert_cmpstr(CTDB_RUN_DIR, ==, "/run/ctdb");
        talloc_free(ctx);
}

/* CTDB's own sample ctdb.conf indents every key with a tab. */
static void test_conf_full(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx,
                                        "[logging]\n"
                                        "\tlocation = syslog\n"
                                        "\tlog level = INFO\n"
                                        "[cluster]\n"
                                        "\tnode address = 2001:DB8::5\n"
                                        "\tcluster lock = /clusterfs/.ctdb/reclock\n"
                                        "\ttunnel port = 4400\n"
                                        "\theartbeat interval = 250\n"
                                        "\theartbeat timeout = 3000\n"
                                        "\tpre-shared key file = /etc/ctdb/psk\n"
                                        "\tleader capability = false\n"
                                        "[database]\n"
                                        "\tvolatile database directory = /fast/volatile\n"
                                        "\tpersistent database directory = /safe/persistent\n"
                                        "\tstate database directory = /safe/state\n"
                                        "[failover]\n"
                                        "\tdisabled = yes\n"
                                        "\tno ip failback = true\n"
                                        "\tno ip takeover = 1\n"
                                        "[monitor]\n"
                                        "\tunits = smbd.service winbind.service\n"
                                        "[paths]\n"
                                        "\truntime directory = /run/ctdb-test\n"
                                        "\tstate directory = /var/lib/ctdb-test\n"
                                        "[legacy]\n"
                                        "\tstart as disabled = on\n"
                                        "\tstart as stopped = 1\n");

        g_assert_cmpstr(c->log_location, ==, "syslog");
        g_assert_cmpint(c->log_level, ==, LOG_INFO);
        g_assert_cmpstr(c->node_address, ==, "2001:db8::5");
        g_assert_cmpint(c->lock_backend, ==, CTDB_LOCK_FCNTL);
        g_assert_cmpstr(c->lock_argument, ==, "/clusterfs/.ctdb/reclock");
        g_assert_cmpuint(c->tunnel_port, ==, 4400);
        g_assert_cmpuint(c->heartbeat_interval_ms, ==, 250);
        g_assert_cmpuint(c->heartbeat_timeout_ms, ==, 3000);
        g_assert_cmpstr(c->psk_file, ==, "/etc/ctdb/psk");
        g_assert_false(c->leader_capability);
        g_assert_cmpstr(c->volatile_db_dir, ==, "/fast/volatile");
        g_assert_cmpstr(c->persistent_db_dir, ==, "/safe/persistent");
        g_assert_cmpstr(c->state_db_dir, ==, "/safe/state");
        g_assert_true(c->failover_disabled);
        g_assert_true(c->no_ip_failback);
        g_assert_true(c->no_ip_takeover);
        g_assert_cmpstr(c->monitor_units[0], ==, "smbd.service");
        g_assert_cmpstr(c->monitor_units[1], ==, "winbind.service");
        g_assert_null(c->monitor_units[2]);
        g_assert_cmpstr(c->run_dir, ==, "/run/ctdb-test");
        g_assert_cmpstr(c->state_dir, ==, "/var/lib/ctdb-test");
        g_assert_true(c->start_as_disabled);
        g_assert_true(c->start_as_stopped);
        g_assert_cmpuint(c->n_warnings, ==, 0);
        talloc_free(ctx);
}

/* CTDB matches section and key names without regard to case. */
static void test_conf_case_insensitive(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx, "[Cluster]\nTunnel Port = 5000\n[FAILOVER]\nDisabled = TRUE\n");

        g_assert_cmpuint(c->tunnel_port, ==, 5000);
        g_assert_true(c->failover_disabled);
        g_assert_cmpuint(c->n_warnings, ==, 0);
        talloc_free(ctx);
}

static void test_conf_booleans(void) {
        static const struct {
                const char *text;
                bool value;
        } cases[] = {
                { "true", true },  { "yes", true },  { "on", true },   { "1", true },    { "YES", true },
                { "false", false }, { "no", false }, { "off", false }, { "0", false }, { "Off", false },
        };
        void *ctx = talloc_new(NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                struct ctdb_config *c = conf_ok_with(ctx, "[failover]\ndisabled = %s\n", cases[i].text);

                g_assert_cmpint(c->failover_disabled, ==, cases[i].value);
        }
        talloc_free(ctx);
}

static void test_conf_unknown_key_warns(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx,
                                        "[cluster]\n"
                                        "tunnel port = 4400\n"
                                        "frobnicate = 1\n"
                                        "[nosuchsection]\n"
                                        "\tkey = value\n");

        g_assert_cmpuint(c->tunnel_port, ==, 4400);
        g_assert_cmpuint(c->n_warnings, ==, 2);
        g_assert_cmpstr(c->warnings[0], ==, "ctdb.conf:3: unknown key 'frobnicate' in section [cluster]");
        g_assert_cmpstr(c->warnings[1], ==, "ctdb.conf:5: unknown key 'key' in section [nosuchsection]");
        g_assert_null(c->warnings[2]);
        talloc_free(ctx);
}

/* Keys of CTDB's ctdb.conf that this project does not use are accepted quietly. */
static void test_conf_ctdb_keys_accepted(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx,
                                        "[cluster]\n"
                                        "transport = tcp\n"
                                        "leader timeout = 5\n"
                                        "[database]\n"
                                        "lock debug script = debug_locks.sh\n"
                                        "tdb mutexes = true\n"
                                        "[event]\n"
                                        "debug script = debug-hung-script.sh\n"
                                        "[failover]\n"
                                        "shutdown extra timeout = 0\n"
                                        "shutdown failover timeout = 10\n"
                                        "[legacy]\n"
                                        "realtime scheduling = false\n"
                                        "lmaster capability = true\n"
                                        "script log level = ERROR\n");

        g_assert_cmpuint(c->n_warnings, ==, 0);
        assert_defaults(c);
        talloc_free(ctx);
}

static void test_conf_nodes_list_warns(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx, "[cluster]\nnodes list = /etc/ctdb/other-nodes\n");

        g_assert_cmpuint(c->n_warnings, ==, 1);
        g_assert_cmpstr(
                c->warnings[0], ==,
                "ctdb.conf:2: [cluster] nodes list is not supported and is ignored (the nodes file in "
                "the configuration directory is used)");
        talloc_free(ctx);
}

static void test_conf_heartbeat_timeout_above_interval(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx, "[cluster]\nheartbeat interval = 10\nheartbeat timeout = 20\n");

        g_assert_cmpuint(c->heartbeat_interval_ms, ==, 10);
        g_assert_cmpuint(c->heartbeat_timeout_ms, ==, 20);
        talloc_free(ctx);
}

static void test_conf_cluster_lock(void) {
        static const struct {
                const char *value;
                enum ctdb_lock_backend backend;
                const char *argument;
        } cases[] = {
                { "", CTDB_LOCK_QUORUM, NULL },
                { "quorum", CTDB_LOCK_QUORUM, NULL },
                { "/gpfs/.ctdb/lock", CTDB_LOCK_FCNTL, "/gpfs/.ctdb/lock" },
                { "fcntl:/gpfs/.ctdb/lock", CTDB_LOCK_FCNTL, "/gpfs/.ctdb/lock" },
                { "etcd:http://192.0.2.1:2379", CTDB_LOCK_ETCD, "http://192.0.2.1:2379" },
                { "etcd:https://a:2379,https://b:2379", CTDB_LOCK_ETCD, "https://a:2379,https://b:2379" },
        };
        void *ctx = talloc_new(NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                struct ctdb_config *c = conf_ok_with(ctx, "[cluster]\ncluster lock = %s\n", cases[i].value);

                g_assert_cmpint(c->lock_backend, ==, cases[i].backend);
                g_assert_cmpstr(c->lock_argument, ==, cases[i].argument);
        }
        talloc_free(ctx);
}

static void test_conf_cluster_lock_bad(void) {
        static const char *const bad[] = {
                "fcntl:relative/path", "relative/path", "etcd:", "etcd:192.0.2.1:2379", "etcd:http://a,",
                "etcd:://x", "etcd:http://", "!/usr/libexec/ctdb/ctdb_mutex_ceph_rados_helper", "Quorum",
                "fcntl:",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autofree char *text = g_strdup_printf("[cluster]\ncluster lock = %s\n", bad[i]);
                g_autofree char *prefix =
                        g_strdup_printf("ctdb.conf:2: [cluster] cluster lock: '%s' is not a "
                                        "cluster lock (allowed: quorum, fcntl:/ABSOLUTE/PATH",
                                        bad[i]);
                const struct bad_case c = BAD_PREFIX(text, prefix);

                check_bad(parse_conf, "ctdb.conf", &c);
        }
}

static void test_conf_etcd_keys(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx, "[cluster]\ncluster lock = etcd:http://192.0.2.1:2379\n");
        static const char *const bad_prefix[] = { "ctdb/", "/a b/", "" };

        /* The defaults. */
        g_assert_cmpstr(c->etcd_prefix, ==, "/ctdb/");
        g_assert_cmpuint(c->etcd_lease_ttl_s, ==, 5);
        g_assert_cmpuint(c->etcd_request_timeout_ms, ==, 250);
        g_assert_null(c->etcd_ca_file);
        c = conf_ok(ctx, "[cluster]\netcd prefix = /ctdb/site-a\netcd lease ttl = 9\n"
                         "etcd request timeout = 500\netcd ca file = /etc/ctdb/etcd-ca.pem\n"
                         "etcd certificate file = /etc/ctdb/etcd.pem\netcd key file = /etc/ctdb/etcd.key\n");
        /* A missing final '/' is added: keys are PREFIX"leader" and PREFIX"nodes/N". */
        g_assert_cmpstr(c->etcd_prefix, ==, "/ctdb/site-a/");
        g_assert_cmpuint(c->etcd_lease_ttl_s, ==, 9);
        g_assert_cmpuint(c->etcd_request_timeout_ms, ==, 500);
        g_assert_cmpstr(c->etcd_ca_file, ==, "/etc/ctdb/etcd-ca.pem");
        g_assert_cmpstr(c->etcd_cert_file, ==, "/etc/ctdb/etcd.pem");
        g_assert_cmpstr(c->etcd_key_file, ==, "/etc/ctdb/etcd.key");
        for (size_t i = 0; i < G_N_ELEMENTS(bad_prefix); i++) {
                g_autofree char *text = g_strdup_printf("[cluster]\netcd prefix = %s\n", bad_prefix[i]);
                const struct bad_case b =
                        BAD_PREFIX(text, "ctdb.conf:2: [cluster] etcd prefix: ");

                check_bad(parse_conf, "ctdb.conf", &b);
        }
        {
                const struct bad_case b = BAD_PREFIX("[cluster]\netcd lease ttl = 0\n",
                                                     "ctdb.conf:2: [cluster] etcd lease ttl: '0'");
                const struct bad_case k =
                        BAD_PREFIX("[cluster]\nnode address =\netcd key file = /k.pem\n",
                                   "ctdb.conf:3: [cluster] etcd key file: set without etcd certificate file");

                check_bad(parse_conf, "ctdb.conf", &b);
                check_bad(parse_conf, "ctdb.conf", &k);
        }
        talloc_free(ctx);
}

static void test_conf_recovery_lock_alias(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx, "[cluster]\nrecovery lock = /shared/reclock\n");

        g_assert_cmpint(c->lock_backend, ==, CTDB_LOCK_FCNTL);
        g_assert_cmpstr(c->lock_argument, ==, "/shared/reclock");
        g_assert_cmpuint(c->n_warnings, ==, 1);
        g_assert_cmpstr(c->warnings[0], ==,
                        "ctdb.conf:2: [cluster] recovery lock is deprecated, use cluster lock");

        /* "cluster lock" wins wherever it is. */
        c = conf_ok(ctx, "[cluster]\ncluster lock = quorum\nrecovery lock = /shared/reclock\n");
        g_assert_cmpint(c->lock_backend, ==, CTDB_LOCK_QUORUM);
        g_assert_null(c->lock_argument);
        talloc_free(ctx);
}

static void test_conf_log_level(void) {
        static const struct {
                const char *text;
                int level;
        } cases[] = {
                { "ERROR", LOG_ERR },     { "error", LOG_ERR }, { "WARNING", LOG_WARNING },
                { "NOTICE", LOG_NOTICE }, { "info", LOG_INFO }, { "DEBUG", LOG_DEBUG },
                { "0", LOG_ERR },         { "1", LOG_WARNING }, { "3", LOG_NOTICE },
                { "5", LOG_INFO },        { "10", LOG_DEBUG },
        };
        void *ctx = talloc_new(NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                struct ctdb_config *c = conf_ok_with(ctx, "[logging]\nlog level = %s\n", cases[i].text);

                g_assert_cmpint(c->log_level, ==, cases[i].level);
        }
        talloc_free(ctx);
}

static void test_conf_log_location(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx, "[logging]\nlocation = file:/var/log/log.ctdb\n");

        g_assert_cmpstr(c->log_location, ==, "file:/var/log/log.ctdb");
        c = conf_ok(ctx, "[logging]\nlocation = syslog:nonblocking\n");
        g_assert_cmpstr(c->log_location, ==, "syslog:nonblocking");
        talloc_free(ctx);
}

static void test_conf_node_address(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx, "[cluster]\nnode address = 192.0.2.10\n");

        g_assert_cmpstr(c->node_address, ==, "192.0.2.10");
        talloc_free(ctx);
}

static void test_conf_db_dirs_follow_state_dir(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx,
                                        "[database]\n"
                                        "persistent database directory = /safe/p\n"
                                        "[paths]\n"
                                        "state directory = /srv/ctdb\n");

        g_assert_cmpstr(c->state_dir, ==, "/srv/ctdb");
        g_assert_cmpstr(c->volatile_db_dir, ==, "/srv/ctdb/volatile");
        g_assert_cmpstr(c->persistent_db_dir, ==, "/safe/p");
        g_assert_cmpstr(c->state_db_dir, ==, "/srv/ctdb/state");
        talloc_free(ctx);
}

static void test_conf_psk_empty(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx, "[cluster]\npre-shared key file = /k\npre-shared key file =\n");

        g_assert_null(c->psk_file);
        talloc_free(ctx);
}

static void test_conf_monitor_units(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx, "[monitor]\nunits = smbd  nmbd.service,winbind smbd.service "
                                             "nfs-server@x.service\n");

        g_assert_cmpstr(c->monitor_units[0], ==, "smbd.service");
        g_assert_cmpstr(c->monitor_units[1], ==, "nmbd.service");
        g_assert_cmpstr(c->monitor_units[2], ==, "winbind.service");
        g_assert_cmpstr(c->monitor_units[3], ==, "nfs-server@x.service");
        g_assert_null(c->monitor_units[4]);

        /* A later line replaces an earlier one. */
        c = conf_ok(ctx, "[monitor]\nunits = a\nunits = b.socket\n");
        g_assert_cmpstr(c->monitor_units[0], ==, "b.socket");
        g_assert_null(c->monitor_units[1]);
        c = conf_ok(ctx, "[monitor]\nunits = a\nunits =\n");
        g_assert_null(c->monitor_units[0]);
        talloc_free(ctx);
}

static void test_conf_line_too_long(void) {
        GString *s = g_string_new("[cluster]\ncluster lock = /");
        struct bad_case c = BAD_PREFIX(NULL, "ctdb.conf:2: line too long (allowed: up to ");

        g_string_append_printf(s, "%0300d\n", 0);
        c.text = s->str;
        check_bad(parse_conf, "ctdb.conf", &c);
        g_string_free(s, TRUE);
}

/* Indented lines are never continuations, whatever inih was built with. */
static void test_conf_indented_not_continuation(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c =
                conf_ok(ctx, "[cluster]\n  tunnel port = 4400\n    heartbeat interval = 50\n");

        g_assert_cmpuint(c->tunnel_port, ==, 4400);
        g_assert_cmpuint(c->heartbeat_interval_ms, ==, 50);
        talloc_free(ctx);
}

static void test_conf_inline_comment_and_crlf(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx, "[cluster]\r\ntunnel port = 4401 ; the port\r\n# comment\r\n");

        g_assert_cmpuint(c->tunnel_port, ==, 4401);
        talloc_free(ctx);
}

static void test_conf_memory(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c =
                conf_ok(ctx, "[cluster]\nfoo = 1\ncluster lock = /x\n[monitor]\nunits = a b\n");

        g_assert_cmpuint(c->n_warnings, ==, 1);
        /* cfg, run_dir, state_dir, 3 db dirs, units array + 2, warnings array + 1, lock argument,
         * etcd prefix */
        g_assert_cmpint(talloc_total_blocks(c), ==, 13);
        assert_frees_to_empty(ctx, c);
        talloc_free(ctx);
}

/* Every plainly typed key lands in its own field (the key table stores by offset). */
static void test_conf_typed_fields(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *c = conf_ok(ctx, "[cluster]\n"
                                             "tunnel port = 65535\n"
                                             "heartbeat interval = 250\n"
                                             "heartbeat timeout = 600000\n"
                                             "leader capability = off\n"
                                             "pre-shared key file = /p\n"
                                             "[failover]\ndisabled = 1\n"
                                             "[legacy]\nstart as disabled = yes\nstart as stopped = TRUE\n"
                                             "realtime scheduling = true\n"
                                             "[database]\nstate database directory = /s\n"
                                             "[paths]\nruntime directory = /r\nstate directory = /v\n");

        g_assert_cmpuint(c->tunnel_port, ==, 65535);
        g_assert_cmpuint(c->heartbeat_interval_ms, ==, 250);
        g_assert_cmpuint(c->heartbeat_timeout_ms, ==, 600000);
        g_assert_false(c->leader_capability);
        g_assert_cmpstr(c->psk_file, ==, "/p");
        g_assert_true(c->failover_disabled);
        g_assert_true(c->start_as_disabled);
        g_assert_true(c->start_as_stopped);
        g_assert_cmpstr(c->state_db_dir, ==, "/s");
        g_assert_cmpstr(c->volatile_db_dir, ==, "/v/volatile");
        g_assert_cmpstr(c->persistent_db_dir, ==, "/v/persistent");
        g_assert_cmpstr(c->run_dir, ==, "/r");
        g_assert_cmpstr(c->state_dir, ==, "/v");
        g_assert_cmpuint(c->n_warnings, ==, 0);
        talloc_free(ctx);
}

static const struct bad_case conf_bad_cases[] = {
        /* booleans */
        BAD("[failover]\ndisabled = maybe\n",
            "ctdb.conf:2: [failover] disabled: 'maybe' is not a boolean (allowed: true, false, yes, no, on, "
            "off, 1, 0)"),
        BAD("[legacy]\nstart as stopped = 2\n", "ctdb.conf:2: [legacy] start as stopped: '2' is not a "
                                                "boolean (allowed: true, false, yes, no, on, "
                                                "off, 1, 0)"),
        /* ctdb-keys-validated */
        BAD("[cluster]\ntransport = ib\n",
            "ctdb.conf:2: [cluster] transport: 'ib' is not a supported transport (allowed: tcp)"),
        BAD("[cluster]\nleader timeout = 0\n",
            "ctdb.conf:2: [cluster] leader timeout: '0' is not a number (allowed: a positive number of "
            "seconds)"),
        BAD("[database]\ntdb mutexes = sometimes\n",
            "ctdb.conf:2: [database] tdb mutexes: 'sometimes' is not a boolean (allowed: true, false, yes, "
            "no, on, off, 1, 0)"),
        /* heartbeat-bad */
        BAD("[cluster]\nheartbeat interval = abc\n",
            "ctdb.conf:2: [cluster] heartbeat interval: 'abc' is not a number of milliseconds (allowed: "
            "10..60000)"),
        BAD("[cluster]\n\n heartbeat interval = 9\n",
            "ctdb.conf:3: [cluster] heartbeat interval: '9' is not a number of milliseconds (allowed: "
            "10..60000)"),
        BAD("[cluster]\nheartbeat interval = 60001\n",
            "ctdb.conf:2: [cluster] heartbeat interval: '60001' is not a number of milliseconds (allowed: "
            "10..60000)"),
        BAD("[cluster]\nheartbeat interval = -100\n",
            "ctdb.conf:2: [cluster] heartbeat interval: '-100' is not a number of milliseconds (allowed: "
            "10..60000)"),
        BAD("[cluster]\nheartbeat timeout = 1s\n",
            "ctdb.conf:2: [cluster] heartbeat timeout: '1s' is not a number of milliseconds (allowed: "
            "20..600000, more than heartbeat interval)"),
        /* heartbeat-timeout-above-interval */
        BAD("[cluster]\nheartbeat interval = 500\nheartbeat timeout = 500\n",
            "ctdb.conf:3: [cluster] heartbeat timeout: 500 ms is not more than heartbeat interval 500 ms "
            "(allowed: more than heartbeat interval)"),
        BAD("[cluster]\nheartbeat timeout = 400\nheartbeat interval = 500\n",
            "ctdb.conf:3: [cluster] heartbeat interval: 500 ms is not less than heartbeat timeout 400 ms "
            "(allowed: less than heartbeat timeout)"),
        /* against the default timeout of 1000 ms */
        BAD("[cluster]\nheartbeat interval = 2000\n",
            "ctdb.conf:2: [cluster] heartbeat interval: 2000 ms is not less than heartbeat timeout 1000 ms "
            "(allowed: less than heartbeat timeout)"),
        /* recovery-lock-alias */
        BAD_PREFIX("[cluster]\n\nrecovery lock = !helper\n",
                   "ctdb.conf:3: [cluster] recovery lock: '!helper' is not a cluster lock (allowed: "),
        /* log-level */
        BAD("[logging]\nlog level = 11\n", "ctdb.conf:2: [logging] log level: '11' is not a log level "
                                           "(allowed: error, warning, notice, info, "
                                           "debug, or CTDB's 0..10)"),
        BAD("[logging]\nlog level = loud\n",
            "ctdb.conf:2: [logging] log level: 'loud' is not a log level (allowed: error, warning, notice, "
            "info, debug, or CTDB's 0..10)"),
        /* log-location */
        BAD_PREFIX(
                "[logging]\nlocation = file:relative\n",
                "ctdb.conf:2: [logging] location: 'file:relative' is not a log location (allowed: syslog"),
        BAD_PREFIX("[logging]\nlocation = \n", "ctdb.conf:2: [logging] location: '' is not a log location"),
        /* node-address */
        BAD("[cluster]\nnode address = node1\n",
            "ctdb.conf:2: [cluster] node address: 'node1' is not an IP address (allowed: an IPv4 or IPv6 "
            "address of this node)"),
        /* tunnel-port */
        BAD("[cluster]\ntunnel port = 0\n",
            "ctdb.conf:2: [cluster] tunnel port: '0' is not a TCP port (allowed: 1..65535)"),
        BAD("[cluster]\ntunnel port = 65536\n",
            "ctdb.conf:2: [cluster] tunnel port: '65536' is not a TCP port (allowed: 1..65535)"),
        BAD("[cluster]\ntunnel port = 0x10\n",
            "ctdb.conf:2: [cluster] tunnel port: '0x10' is not a TCP port (allowed: 1..65535)"),
        /* paths-absolute */
        BAD("[paths]\nruntime directory = run/ctdb\n", "ctdb.conf:2: [paths] runtime directory: 'run/ctdb' "
                                                       "is not an absolute path (allowed: an absolute "
                                                       "path)"),
        BAD("[database]\nvolatile database directory =\n",
            "ctdb.conf:2: [database] volatile database directory: '' is not an absolute path (allowed: an "
            "absolute path)"),
        BAD("[cluster]\npre-shared key file = psk\n", "ctdb.conf:2: [cluster] pre-shared key file: 'psk' is "
                                                      "not an absolute path (allowed: an absolute "
                                                      "path)"),
        /* monitor-units */
        BAD("[monitor]\nunits = smbd.service smb$d\n",
            "ctdb.conf:2: [monitor] units: 'smb$d' is not a systemd unit name (allowed: systemd unit names "
            "separated by blanks)"),
        BAD("[monitor]\nunits = smbd.serviceX\n", "ctdb.conf:2: [monitor] units: 'smbd.serviceX' is not a "
                                                  "systemd unit name (allowed: systemd unit "
                                                  "names separated by blanks)"),
        /* syntax-error */
        BAD("[cluster]\nthis is not ini\n",
            "ctdb.conf:2: 'this is not ini' is neither a [section] line nor key = value"),
        BAD("[cluster\ntunnel port = 1\n",
            "ctdb.conf:1: '[cluster' is neither a [section] line nor key = value"),
        /* key-outside-section */
        BAD("tunnel port = 1\n",
            "ctdb.conf:1: key 'tunnel port' is not in a section (expected a [section] line before it)"),
        /* only the first problem is reported, whatever its kind */
        BAD("[cluster]\ntunnel port = x\ngarbage\n",
            "ctdb.conf:2: [cluster] tunnel port: 'x' is not a TCP port (allowed: 1..65535)"),
        BAD("[cluster]\ngarbage\ntunnel port = x\n",
            "ctdb.conf:2: 'garbage' is neither a [section] line nor key = value"),
        /* quotes-garbage */
        BAD("[cluster]\ntunnel port = \x1b[31m\n",
            "ctdb.conf:2: [cluster] tunnel port: '\\x1b[31m' is not a TCP port (allowed: 1..65535)"),
        /* nothing but the message is left behind (check_bad() counts the blocks of every row) */
        BAD_PREFIX("[cluster]\nfoo = 1\ncluster lock = /x\nunits = a b\ntunnel port = 0\n",
                   "ctdb.conf:5: [cluster] tunnel port:"),
};

static void test_conf_bad(void) {
        check_bad_table(parse_conf, "ctdb.conf", conf_bad_cases, G_N_ELEMENTS(conf_bad_cases));
}

/* ---- loading files ---------------------------------------------------------- */

/*
 * A file to load and what must come of it. file is a name in the test's directory, where
 * len bytes of data (NUL bytes allowed) are written, or with data NULL a file that does
 * not exist; message is printf'd with the file's path, which every message names. On
 * success check looks at the result; on failure no result is set, and the message (if
 * ret_error is given) is all that is left on the context.
 */
struct load_case {
        load_fn load;
        const char *file;
        const char *data;
        size_t len;
        int error;
        const char *message;
        enum match match;
        void (*check)(const void *result, const char *path);
        bool without_ret_error;
};

static void check_load(const char *dir, const struct load_case *c) {
        g_autofree char *path =
                g_path_is_absolute(c->file) ? g_strdup(c->file) : g_build_filename(dir, c->file, NULL);
        g_autofree char *expected = c->message ? g_strdup_printf(c->message, path) : NULL;
        void *ctx = talloc_new(NULL);
        void *result = NULL;
        char *error = NULL;

        if (c->data)
                g_assert_true(g_file_set_contents(path, c->data, (gssize) c->len, NULL));
        g_assert_cmpint(c->load(ctx, path, &result, c->without_ret_error ? NULL : &error), ==, c->error);
        if (c->error == 0) {
                g_assert_null(error);
                g_assert_nonnull(result);
                g_assert_cmpint(talloc_total_blocks(ctx), ==, 1 + talloc_total_blocks(result));
                c->check(result, path);
        } else {
                g_assert_null(result);
                if (!c->without_ret_error)
                        g_assert_nonnull(error);
                if (expected)
                        assert_message(error, expected, c->match);
                g_assert_cmpint(talloc_total_blocks(ctx), ==, c->without_ret_error ? 1 : 2);
        }
        talloc_free(ctx);
        if (c->data)
                g_assert_cmpint(g_unlink(path), ==, 0);
}

/* Each row in a fresh directory, removed (and so found empty) at the end. */
static void check_load_table(const struct load_case *cases, size_t n) {
        g_autofree char *dir = g_dir_make_tmp("test-config-XXXXXX", NULL);

        g_assert_nonnull(dir);
        for (size_t i = 0; i < n; i++) {
                g_test_message("load case %zu: %s", i, cases[i].file);
                check_load(dir, &cases[i]);
        }
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void check_two_nodes(const void *result, const char *path) {
        const struct ctdb_nodes *n = result;

        g_assert_cmpuint(n->n_nodes, ==, 2);
}

static void check_one_public_address(const void *result, const char *path) {
        const struct ctdb_public_addresses *p = result;

        g_assert_cmpuint(p->n_addresses, ==, 1);
}

static void check_conf_port_4500(const void *result, const char *path) {
        const struct ctdb_config *c = result;
        g_autofree char *expected = g_strdup_printf("%s:3: unknown key 'x' in section [cluster]", path);

        g_assert_cmpuint(c->tunnel_port, ==, 4500);
        g_assert_cmpstr(c->warnings[0], ==, expected);
}

static void check_defaults(const void *result, const char *path) {
        assert_defaults(result);
}

static const struct load_case load_cases[] = {
        { load_nodes, "nodes", "192.0.2.1\n192.0.2.2\n", 20, .check = check_two_nodes },
        { load_nodes, "nodes.bad", "192.0.2.1\nbogus\n", 16, -EINVAL, "%s:2: 'bogus' is not an IP address",
          MATCH_PREFIX },
        { load_nodes, "nodes.nul", "192.0.2.1\n192.0.2.2\0\n", 21, -EINVAL,
          "%s:2: NUL byte (allowed: text only)" },
        { load_nodes, "missing", NULL, 0, -ENOENT },
        /* ret_error may be NULL. */
        { load_nodes, "missing", NULL, 0, -ENOENT, .without_ret_error = true },

        { load_public, "public_addresses", "192.0.2.1/24 eth0\n", 18, .check = check_one_public_address },
        { load_public, "public_addresses.bad", "\n192.0.2.1/40 eth0\n", 19, -EINVAL,
          "%s:2: '40' is not a valid prefix length for 192.0.2.1 (allowed: 1..32)" },
        { load_public, "missing", NULL, 0, -ENOENT },

        /* 33 of the 35 bytes: the file ends in "x = ", an unknown key without a value or newline. */
        { load_conf, "ctdb.conf", "[cluster]\ntunnel port = 4500\nx = y\n", 33,
          .check = check_conf_port_4500 },
        /* 29 of the 30 bytes: no newline at the end. */
        { load_conf, "bad.conf", "[cluster]\ntunnel port = 99999\n", 29, -EINVAL,
          "%s:2: [cluster] tunnel port: '99999' is not a TCP port (allowed: 1..65535)" },
        /* No ctdb.conf: the defaults, and nothing else is left behind. */
        { load_conf, "missing.conf", NULL, 0, .check = check_defaults },
        { load_conf, "/nonexistent/ctdb.conf", NULL, 0, .check = check_defaults },
};

static void test_load(void) {
        check_load_table(load_cases, G_N_ELEMENTS(load_cases));
}

/* Every format is read up to the same limit. */
static void test_load_too_large(void) {
        g_autofree char *over = g_strnfill(1024 * 1024 + 1, '#');
        g_autofree char *limit = g_strnfill(1024 * 1024, '#');
        const struct load_case cases[] = {
                { load_nodes, "nodes", over, 1024 * 1024 + 1, -EFBIG,
                  "%s: file too large (allowed: up to 1048576 bytes)" },
                { load_conf, "nodes", over, 1024 * 1024 + 1, -EFBIG, .without_ret_error = true },
                /* Exactly the limit is read and parsed: the error is then about its first line. */
                { load_nodes, "nodes", limit, 1024 * 1024, -EINVAL, "'1' is not an IP address",
                  MATCH_SUBSTRING },
        };

        memcpy(limit, "1\n1\n", 4);
        check_load_table(cases, G_N_ELEMENTS(cases));
}

static void test_config_path(void) {
        void *ctx = talloc_new(NULL);

        g_assert_cmpstr(ctdb_config_path(ctx, "/etc/ctdb", "nodes"), ==, "/etc/ctdb/nodes");
        g_assert_cmpstr(ctdb_config_path(ctx, "/tmp/n1/", "ctdb.conf"), ==, "/tmp/n1/ctdb.conf");
        g_assert_cmpstr(ctdb_config_path(ctx, NULL, "public_addresses"), ==,
                        CTDB_CONFIG_DIR "/public_addresses");
        g_assert_cmpstr(ctdb_config_path(ctx, "/", "nodes"), ==, "/nodes");
        talloc_free(ctx);
}

/* What a reload cannot apply is named; what it applies, and a mere rewrite, is not. */
static void test_restart_changes(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *a, *b, *c;
        char *err = NULL;

        g_assert_cmpint(ctdb_config_parse(ctx, "a", "[cluster]\ntunnel port = 4379\n[monitor]\nunits = a\n", &a,
                                          &err), ==, 0);
        g_assert_cmpint(ctdb_config_parse(ctx, "b",
                                          "[cluster]\ntunnel port = 4380\ncluster lock = fcntl:/cfs/lock\n"
                                          "[paths]\nruntime directory = /run/x\n[monitor]\nunits = b\n",
                                          &b, &err), ==, 0);
        g_assert_cmpint(ctdb_config_parse(ctx, "c",
                                          "[cluster]\nheartbeat interval = 50\n[database]\nvacuum interval = 0\n"
                                          "[failover]\nno ip failback = yes\n",
                                          &c, &err), ==, 0);
        g_assert_cmpstr(ctdb_config_restart_changes(ctx, a, b), ==,
                        "[cluster] cluster lock, [cluster] tunnel port, [paths] runtime directory");
        g_assert_cmpstr(ctdb_config_restart_changes(ctx, a, a), ==, "");
        g_assert_cmpstr(ctdb_config_restart_changes(ctx, a, c), ==, "");
        talloc_free(ctx);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/config/nodes/ipv4", test_nodes_ipv4);
        g_test_add_func("/config/nodes/ipv6", test_nodes_ipv6);
        g_test_add_func("/config/nodes/v4-mapped", test_nodes_v4_mapped);
        g_test_add_func("/config/nodes/deleted-slots", test_nodes_deleted_slots);
        g_test_add_func("/config/nodes/comment-is-slot", test_nodes_comment_is_slot);
        g_test_add_func("/config/nodes/blanks-crlf", test_nodes_blanks_crlf);
        g_test_add_func("/config/nodes/no-trailing-newline", test_nodes_no_trailing_newline);
        g_test_add_func("/config/nodes/bad", test_nodes_bad);
        g_test_add_func("/config/nodes/long-value-quoted-short", test_nodes_long_value_quoted_short);
        g_test_add_func("/config/nodes/find", test_nodes_find);
        g_test_add_func("/config/nodes/memory", test_nodes_memory);
        g_test_add_func("/config/nodes/many", test_nodes_many);

        g_test_add_func("/config/public/basic", test_public_basic);
        g_test_add_func("/config/public/empty", test_public_empty);
        g_test_add_func("/config/public/prefix-edges", test_public_prefix_edges);
        g_test_add_func("/config/public/bad", test_public_bad);
        g_test_add_func("/config/public/interfaces-deduplicated", test_public_interfaces_deduplicated);
        g_test_add_func("/config/public/memory", test_public_memory);

        g_test_add_func("/config/conf/defaults", test_conf_defaults);
        g_test_add_func("/config/conf/full", test_conf_full);
        g_test_add_func("/config/conf/case-insensitive", test_conf_case_insensitive);
        g_test_add_func("/config/conf/booleans", test_conf_booleans);
        g_test_add_func("/config/conf/unknown-key-warns", test_conf_unknown_key_warns);
        g_test_add_func("/config/conf/ctdb-keys-accepted", test_conf_ctdb_keys_accepted);
        g_test_add_func("/config/conf/nodes-list-warns", test_conf_nodes_list_warns);
        g_test_add_func("/config/conf/heartbeat-timeout-above-interval",
                        test_conf_heartbeat_timeout_above_interval);
        g_test_add_func("/config/conf/cluster-lock", test_conf_cluster_lock);
        g_test_add_func("/config/conf/cluster-lock-bad", test_conf_cluster_lock_bad);
        g_test_add_func("/config/conf/recovery-lock-alias", test_conf_recovery_lock_alias);
        g_test_add_func("/config/conf/etcd-keys", test_conf_etcd_keys);
        g_test_add_func("/config/conf/log-level", test_conf_log_level);
        g_test_add_func("/config/conf/log-location", test_conf_log_location);
        g_test_add_func("/config/conf/node-address", test_conf_node_address);
        g_test_add_func("/config/conf/db-dirs-follow-state-dir", test_conf_db_dirs_follow_state_dir);
        g_test_add_func("/config/conf/psk-empty", test_conf_psk_empty);
        g_test_add_func("/config/conf/monitor-units", test_conf_monitor_units);
        g_test_add_func("/config/conf/line-too-long", test_conf_line_too_long);
        g_test_add_func("/config/conf/indented-not-continuation", test_conf_indented_not_continuation);
        g_test_add_func("/config/conf/inline-comment-and-crlf", test_conf_inline_comment_and_crlf);
        g_test_add_func("/config/conf/bad", test_conf_bad);
        g_test_add_func("/config/conf/memory", test_conf_memory);
        g_test_add_func("/config/conf/typed-fields", test_conf_typed_fields);
        g_test_add_func("/config/nodes/blank-lines-only", test_nodes_blank_lines_only);
        g_test_add_func("/config/load", test_load);
        g_test_add_func("/config/load-too-large", test_load_too_large);
        g_test_add_func("/config/path", test_config_path);
        g_test_add_func("/config/restart-changes", test_restart_changes);

        return g_test_run();
}
