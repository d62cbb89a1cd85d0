/* Unit tests of common/ip-address.c: the one IP address type and its parser. */

#undef NDEBUG

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/un.h>

#include "common/ip-address.h"

static void assert_round_trip(const char *in, unsigned flags, int family, const char *out) {
        char s[CTDB_IP_STRLEN];
        struct ctdb_ip a;

        g_assert_cmpint(ctdb_ip_from_string(in, flags, &a), ==, 0);
        g_assert_cmpint(a.family, ==, family);
        g_assert_cmpuint(a.prefixlen, ==, family == AF_INET ? 32 : 128);
        g_assert_cmpuint(ctdb_ip_len(&a), ==, family == AF_INET ? 4 : 16);
        g_assert_cmpstr(ctdb_ip_to_string(&a, false, s, sizeof(s)), ==, out);
}

static void test_ipv4(void) {
        char s[CTDB_IP_STRLEN];
        struct ctdb_ip a;

        assert_round_trip("192.0.2.1", 0, AF_INET, "192.0.2.1");
        assert_round_trip("255.255.255.255", 0, AF_INET, "255.255.255.255");
        g_assert_cmpint(ctdb_ip_from_string("192.0.2.1", 0, &a), ==, 0);
        g_assert_cmpuint(ntohl(a.u.in.s_addr), ==, 0xc0000201);
        g_assert_cmpstr(ctdb_ip_to_string(&a, true, s, sizeof(s)), ==, "192.0.2.1/32");
}

/* Whatever the spelling, the text that comes back is the canonical one. */
static void test_ipv6(void) {
        char s[CTDB_IP_STRLEN];
        struct ctdb_ip a;

        assert_round_trip("2001:DB8:0:0::0001", 0, AF_INET6, "2001:db8::1");
        assert_round_trip("fe80::1:2", 0, AF_INET6, "fe80::1:2");
        assert_round_trip("::", 0, AF_INET6, "::");
        g_assert_cmpint(ctdb_ip_from_string("2001:db8::1", 0, &a), ==, 0);
        g_assert_cmpuint(a.u.in6.s6_addr[15], ==, 1);
        g_assert_cmpstr(ctdb_ip_to_string(&a, true, s, sizeof(s)), ==, "2001:db8::1/128");
        /* The longest address with the longest prefix fits CTDB_IP_STRLEN. */
        g_assert_cmpint(ctdb_ip_from_string("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0, &a), ==, 0);
        g_assert_cmpstr(ctdb_ip_to_string(&a, true, s, sizeof(s)), ==,
                        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
}

static void test_bad(void) {
        static const char *const bad[] = {
                "",           "192.0.2.300", "192.0.2",      " 192.0.2.1",   "192.0.2.1 ",  "192.0.2.1/24",
                "192.0.2.1:80", "fe80::1%eth0", "[2001:db8::1]", "2001:db8:::1", "node1",       "0x7f.1",
                "2001:db8::1/64",
        };
        struct ctdb_ip a = { .family = 12345 };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_test_message("%s", bad[i]);
                g_assert_cmpint(ctdb_ip_from_string(bad[i], 0, &a), ==, -EINVAL);
                g_assert_cmpint(ctdb_ip_from_string(bad[i], CTDB_IP_MAP_V4, &a), ==, -EINVAL);
        }
        /* A failure leaves *ret alone. */
        g_assert_cmpint(a.family, ==, 12345);
}

/* As config reads node addresses: ::ffff:a.b.c.d is the IPv4 node only when asked for. */
static void test_v4_mapped(void) {
        char s[CTDB_IP_STRLEN];
        struct ctdb_ip a, b;

        g_assert_cmpint(ctdb_ip_from_string("::ffff:192.0.2.9", 0, &a), ==, 0);
        g_assert_cmpint(a.family, ==, AF_INET6);
        g_assert_true(ctdb_ip_is_v4_mapped(&a));
        g_assert_cmpstr(ctdb_ip_to_string(&a, false, s, sizeof(s)), ==, "::ffff:192.0.2.9");

        assert_round_trip("::ffff:192.0.2.9", CTDB_IP_MAP_V4, AF_INET, "192.0.2.9");
        g_assert_cmpint(ctdb_ip_from_string("::ffff:192.0.2.9", CTDB_IP_MAP_V4, &a), ==, 0);
        g_assert_false(ctdb_ip_is_v4_mapped(&a));
        g_assert_cmpint(ctdb_ip_from_string("192.0.2.9", 0, &b), ==, 0);
        g_assert_true(ctdb_ip_equal(&a, &b));
        /* Only ::ffff:0:0/96 is mapped; IPv4-compatible ::a.b.c.d stays IPv6. */
        assert_round_trip("::192.0.2.9", CTDB_IP_MAP_V4, AF_INET6, "::192.0.2.9");
        /* ADDRESS/PREFIX never maps: the caller decides what a mapped address means there. */
        g_assert_cmpint(ctdb_ip_prefix_from_string("::ffff:192.0.2.9/120", &a, NULL), ==, 0);
        g_assert_cmpint(a.family, ==, AF_INET6);
        g_assert_cmpuint(a.prefixlen, ==, 120);
}

static void assert_prefix(const char *in, int family, unsigned prefixlen, bool given, const char *out) {
        char s[CTDB_IP_STRLEN];
        struct ctdb_ip a;
        bool g = !given;

        g_assert_cmpint(ctdb_ip_prefix_from_string(in, &a, &g), ==, 0);
        g_assert_cmpint(a.family, ==, family);
        g_assert_cmpuint(a.prefixlen, ==, prefixlen);
        g_assert_cmpint(g, ==, given);
        g_assert_cmpstr(ctdb_ip_to_string(&a, true, s, sizeof(s)), ==, out);
}

static void test_prefix(void) {
        assert_prefix("203.0.113.10/24", AF_INET, 24, true, "203.0.113.10/24");
        assert_prefix("203.0.113.10", AF_INET, 32, false, "203.0.113.10/32");
        assert_prefix("2001:DB8::10/64", AF_INET6, 64, true, "2001:db8::10/64");
        assert_prefix("2001:db8::10", AF_INET6, 128, false, "2001:db8::10/128");
        /* Leading zeros are decimal, not octal. */
        assert_prefix("192.0.2.0/0000000000000000000000000000000000000000000000000000024", AF_INET, 24, true,
                      "192.0.2.0/24");
        g_assert_cmpint(ctdb_ip_prefix_from_string("192.0.2.1/24", &(struct ctdb_ip) {}, NULL), ==, 0);
}

static void test_prefix_bounds(void) {
        assert_prefix("0.0.0.0/0", AF_INET, 0, true, "0.0.0.0/0");
        assert_prefix("192.0.2.1/32", AF_INET, 32, true, "192.0.2.1/32");
        assert_prefix("::/0", AF_INET6, 0, true, "::/0");
        assert_prefix("2001:db8::1/128", AF_INET6, 128, true, "2001:db8::1/128");
}

static void test_prefix_bad(void) {
        static const char *const bad[] = {
                "192.0.2.1/33",    "2001:db8::1/129", "192.0.2.1/",     "192.0.2.1/-1", "192.0.2.1/+24",
                "192.0.2.1/ 24",   "192.0.2.1/24 ",   "192.0.2.1/24x",  "192.0.2.1/0x10", "192.0.2/24",
                "a/b/24",          "192.0.2.1/24/1",  "/24",            "",              "192.0.2.1//24",
                "192.0.2.1/99999999999999999999999",
        };
        struct ctdb_ip a;

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_test_message("%s", bad[i]);
                g_assert_cmpint(ctdb_ip_prefix_from_string(bad[i], &a, NULL), ==, -EINVAL);
        }
        g_assert_cmpint(ctdb_ip_prefix_from_string(NULL, &a, NULL), ==, -EINVAL);
}

/* The prefix length alone, as config reads it after its own checks of the address. */
static void test_prefixlen(void) {
        unsigned p = 99;

        g_assert_cmpint(ctdb_ip_prefixlen_from_string("24", AF_INET, &p), ==, 0);
        g_assert_cmpuint(p, ==, 24);
        g_assert_cmpint(ctdb_ip_prefixlen_from_string("33", AF_INET, &p), ==, -ERANGE);
        g_assert_cmpint(ctdb_ip_prefixlen_from_string("128", AF_INET6, &p), ==, 0);
        g_assert_cmpuint(p, ==, 128);
        g_assert_cmpint(ctdb_ip_prefixlen_from_string("129", AF_INET6, &p), ==, -ERANGE);
        g_assert_cmpint(ctdb_ip_prefixlen_from_string("99999999999999999999", AF_INET6, &p), ==, -ERANGE);
        g_assert_cmpint(ctdb_ip_prefixlen_from_string("", AF_INET, &p), ==, -EINVAL);
        g_assert_cmpint(ctdb_ip_prefixlen_from_string("2x", AF_INET, &p), ==, -EINVAL);
        g_assert_cmpint(ctdb_ip_prefixlen_from_string("999x", AF_INET, &p), ==, -EINVAL);
        g_assert_cmpint(ctdb_ip_prefixlen_from_string("8", AF_UNIX, &p), ==, -EAFNOSUPPORT);
        g_assert_cmpuint(p, ==, 128);
}

/* Equality and order look at family and address, never at the prefix. */
static void test_equal_compare(void) {
        struct ctdb_ip a, b, c;

        g_assert_cmpint(ctdb_ip_prefix_from_string("192.0.2.1/24", &a, NULL), ==, 0);
        g_assert_cmpint(ctdb_ip_prefix_from_string("192.0.2.1/32", &b, NULL), ==, 0);
        g_assert_true(ctdb_ip_equal(&a, &b));
        g_assert_cmpint(ctdb_ip_compare(&a, &b), ==, 0);
        g_assert_cmpint(ctdb_ip_prefix_from_string("192.0.2.2", &c, NULL), ==, 0);
        g_assert_false(ctdb_ip_equal(&a, &c));
        g_assert_cmpint(ctdb_ip_compare(&a, &c), <, 0);
        g_assert_cmpint(ctdb_ip_compare(&c, &a), >, 0);
        /* The same four bytes in another family are another address. */
        g_assert_cmpint(ctdb_ip_from_string("c000:201::", 0, &c), ==, 0);
        g_assert_false(ctdb_ip_equal(&a, &c));
        g_assert_cmpint(ctdb_ip_compare(&a, &c), !=, 0);
        g_assert_cmpint(ctdb_ip_compare(&a, &c), ==, -ctdb_ip_compare(&c, &a));
}

static void test_unspecified(void) {
        struct ctdb_ip a;

        g_assert_cmpint(ctdb_ip_from_string("0.0.0.0", 0, &a), ==, 0);
        g_assert_true(ctdb_ip_is_unspecified(&a));
        g_assert_cmpint(ctdb_ip_from_string("::", 0, &a), ==, 0);
        g_assert_true(ctdb_ip_is_unspecified(&a));
        g_assert_cmpint(ctdb_ip_from_string("0.0.0.1", 0, &a), ==, 0);
        g_assert_false(ctdb_ip_is_unspecified(&a));
        g_assert_cmpint(ctdb_ip_from_string("::1", 0, &a), ==, 0);
        g_assert_false(ctdb_ip_is_unspecified(&a));
}

static void test_sockaddr(void) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        struct sockaddr_storage ss;
        struct ctdb_ip a, b;
        socklen_t len;
        int r;

        g_assert_cmpint(ctdb_ip_from_string("192.0.2.1", 0, &a), ==, 0);
        len = ctdb_ip_to_sockaddr(&a, 4379, &ss);
        g_assert_cmpuint(len, ==, sizeof(struct sockaddr_in));
        g_assert_cmpint(ss.ss_family, ==, AF_INET);
        g_assert_cmpuint(ntohs(((struct sockaddr_in *) &ss)->sin_port), ==, 4379);
        g_assert_cmpint(ctdb_ip_from_sockaddr((struct sockaddr *) &ss, len, 0, &b), ==, 0);
        g_assert_true(ctdb_ip_equal(&a, &b));
        g_assert_cmpuint(b.prefixlen, ==, 32);
        /* A short length is not read past. */
        g_assert_cmpint(ctdb_ip_from_sockaddr((struct sockaddr *) &ss, len - 1, 0, &b), ==, -EAFNOSUPPORT);

        g_assert_cmpint(ctdb_ip_from_string("2001:db8::3", 0, &a), ==, 0);
        len = ctdb_ip_to_sockaddr(&a, 0, &ss);
        g_assert_cmpuint(len, ==, sizeof(struct sockaddr_in6));
        g_assert_cmpuint(((struct sockaddr_in6 *) &ss)->sin6_port, ==, 0);
        g_assert_cmpint(ctdb_ip_from_sockaddr((struct sockaddr *) &ss, len, 0, &b), ==, 0);
        g_assert_true(ctdb_ip_equal(&a, &b));
        g_assert_cmpuint(b.prefixlen, ==, 128);

        r = ctdb_ip_from_sockaddr((struct sockaddr *) &un, sizeof(un), 0, &b);
        g_assert_cmpint(r, ==, -EAFNOSUPPORT);
}

/* An IPv4 peer on a dual-stack socket is ::ffff:a.b.c.d: with CTDB_IP_MAP_V4 it is the IPv4 address. */
static void test_sockaddr_v4_mapped(void) {
        struct sockaddr_storage ss;
        struct ctdb_ip a, b;
        socklen_t len;

        g_assert_cmpint(ctdb_ip_from_string("::ffff:192.0.2.1", 0, &a), ==, 0);
        len = ctdb_ip_to_sockaddr(&a, 445, &ss);
        g_assert_cmpint(ctdb_ip_from_sockaddr((struct sockaddr *) &ss, len, 0, &b), ==, 0);
        g_assert_cmpint(b.family, ==, AF_INET6);
        g_assert_cmpint(ctdb_ip_from_sockaddr((struct sockaddr *) &ss, len, CTDB_IP_MAP_V4, &b), ==, 0);
        g_assert_cmpint(b.family, ==, AF_INET);
        g_assert_cmpuint(b.prefixlen, ==, 32);
        g_assert_cmpuint(ntohl(b.u.in.s_addr), ==, 0xc0000201);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/ip-address/ipv4", test_ipv4);
        g_test_add_func("/ip-address/ipv6", test_ipv6);
        g_test_add_func("/ip-address/bad", test_bad);
        g_test_add_func("/ip-address/v4-mapped", test_v4_mapped);
        g_test_add_func("/ip-address/prefix", test_prefix);
        g_test_add_func("/ip-address/prefix-bounds", test_prefix_bounds);
        g_test_add_func("/ip-address/prefix-bad", test_prefix_bad);
        g_test_add_func("/ip-address/prefixlen", test_prefixlen);
        g_test_add_func("/ip-address/equal-compare", test_equal_compare);
        g_test_add_func("/ip-address/unspecified", test_unspecified);
        g_test_add_func("/ip-address/sockaddr", test_sockaddr);
        g_test_add_func("/ip-address/sockaddr-v4-mapped", test_sockaddr_v4_mapped);

        return g_test_run();
}
