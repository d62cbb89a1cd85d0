/* Addresses and link state over rtnetlink, in a namespace of this test. */
#undef NDEBUG

#include <errno.h>
#include <linux/ip.h>
#include <string.h>
#include <sys/socket.h>

#include "nf-addr.h"
#include "nf-link.h"
#include "nftest.h"

struct found {
        struct ctdb_ip want;
        int n;
        unsigned prefixlen;
        uint32_t flags;
};

static int find_cb(const struct nf_addr_info *info, void *userdata) {
        struct found *f = userdata;

        if (ctdb_ip_equal(&info->addr, &f->want)) {
                f->n++;
                f->prefixlen = info->addr.prefixlen;
                f->flags = info->flags;
        }
        return 0;
}

static int count_addr(const char *ifname, const char *addr, unsigned *ret_prefixlen) {
        struct found f = {};
        char err[256];

        g_assert_cmpint(ctdb_ip_prefix_from_string(addr, &f.want, NULL), ==, 0);
        g_assert_cmpint(nf_addr_list(ifname, AF_UNSPEC, find_cb, &f, err, sizeof(err)), ==, 0);
        if (ret_prefixlen)
                *ret_prefixlen = f.prefixlen;
        return f.n;
}

static void test_parse(void) {
        struct ctdb_ip a;
        bool given;
        char s[CTDB_IP_STRLEN];

        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.10/24", &a, &given), ==, 0);
        g_assert_cmpint(a.family, ==, AF_INET);
        g_assert_cmpuint(a.prefixlen, ==, 24);
        g_assert_true(given);
        g_assert_cmpstr(ctdb_ip_to_string(&a, true, s, sizeof(s)), ==, "203.0.113.10/24");
        g_assert_cmpint(ctdb_ip_prefix_from_string("2001:db8::10", &a, &given), ==, 0);
        g_assert_cmpuint(a.prefixlen, ==, 128);
        g_assert_false(given);
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.10/33", &a, NULL), ==, -EINVAL);
        g_assert_cmpint(ctdb_ip_prefix_from_string("2001:db8::/129", &a, NULL), ==, -EINVAL);
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.10/", &a, NULL), ==, -EINVAL);
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113/24", &a, NULL), ==, -EINVAL);
        g_assert_cmpint(ctdb_ip_prefix_from_string("", &a, NULL), ==, -EINVAL);
}

static void test_add_list_del(void) {
        char err[256] = "";
        struct ctdb_ip a4, a6;
        unsigned plen;
        char *out;

        nftest_ns_add("A");
        nftest_sh(false, "ip -n @A link add d0 type veth peer name d1 && ip -n @A link set d0 up && ip -n "
                         "@A link set d1 up");
        nftest_enter("A");

        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.10/24", &a4, NULL), ==, 0);
        g_assert_cmpint(ctdb_ip_prefix_from_string("2001:db8::10/64", &a6, NULL), ==, 0);
        g_assert_cmpint(nf_addr_add("d0", &a4, 0, err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_addr_add("d0", &a6, NF_ADDR_NODAD, err, sizeof(err)), ==, 0);

        g_assert_cmpint(count_addr("d0", "203.0.113.10", &plen), ==, 1);
        g_assert_cmpuint(plen, ==, 24);
        g_assert_cmpint(count_addr("d0", "2001:db8::10", &plen), ==, 1);
        g_assert_cmpuint(plen, ==, 64);
        g_assert_cmpint(count_addr("lo", "203.0.113.10", NULL), ==, 0);

        /* The kernel agrees, with the broadcast address of the prefix. */
        out = nftest_sh_out("ip -n @A -o addr show dev d0");
        g_assert_nonnull(strstr(out, "inet 203.0.113.10/24 brd 203.0.113.255"));
        g_assert_nonnull(strstr(out, "inet6 2001:db8::10/64"));
        g_free(out);
        /* NODAD: usable at once, not tentative. */
        out = nftest_sh_out("ip -n @A -o addr show dev d0 to 2001:db8::10/128");
        g_assert_nonnull(strstr(out, "2001:db8::10/64"));
        g_assert_null(strstr(out, "tentative"));
        g_free(out);

        /* Adding again: EEXIST, naming address and interface. */
        g_assert_cmpint(nf_addr_add("d0", &a4, 0, err, sizeof(err)), ==, -EEXIST);
        g_assert_nonnull(strstr(err, "203.0.113.10/24"));
        g_assert_nonnull(strstr(err, "d0"));

        /* Remove with the prefix looked up, and with the prefix given. */
        a4.prefixlen = 0;
        g_assert_cmpint(nf_addr_del("d0", &a4, err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_addr_del("d0", &a6, err, sizeof(err)), ==, 0);
        g_assert_cmpint(count_addr("d0", "203.0.113.10", NULL), ==, 0);
        g_assert_cmpint(count_addr("d0", "2001:db8::10", NULL), ==, 0);

        /* Removing an absent address is reported. */
        err[0] = '\0';
        g_assert_cmpint(nf_addr_del("d0", &a6, err, sizeof(err)), ==, -EADDRNOTAVAIL);
        g_assert_nonnull(strstr(err, "2001:db8::10"));
        g_assert_nonnull(strstr(err, "d0"));
        a4.prefixlen = 24;
        err[0] = '\0';
        g_assert_cmpint(nf_addr_del("d0", &a4, err, sizeof(err)), ==, -EADDRNOTAVAIL);
        g_assert_nonnull(strstr(err, "203.0.113.10/24"));
        a4.prefixlen = 0;
        g_assert_cmpint(nf_addr_del("d0", &a4, err, sizeof(err)), ==, -EADDRNOTAVAIL);

        nftest_enter(NULL);
        nftest_sh(false, "ip netns del @A");
}

static void test_missing_interface(void) {
        char err[256] = "";
        struct ctdb_ip a;

        nftest_ns_add("M");
        nftest_enter("M");
        g_assert_cmpint(ctdb_ip_prefix_from_string("198.51.100.7/24", &a, NULL), ==, 0);
        g_assert_cmpint(nf_addr_add("nosuch0", &a, 0, err, sizeof(err)), ==, -ENODEV);
        g_assert_nonnull(strstr(err, "198.51.100.7/24"));
        g_assert_nonnull(strstr(err, "nosuch0"));
        err[0] = '\0';
        g_assert_cmpint(nf_addr_del("nosuch0", &a, err, sizeof(err)), ==, -ENODEV);
        g_assert_nonnull(strstr(err, "nosuch0"));
        g_assert_cmpint(nf_addr_list("nosuch0", AF_UNSPEC, find_cb, NULL, err, sizeof(err)), ==, -ENODEV);
        nftest_enter(NULL);
        nftest_sh(false, "ip netns del @M");
}

/* Removing the first address of a subnet keeps the later ones once secondaries are promoted. */
static void test_promote_secondaries(void) {
        char err[256] = "";
        struct ctdb_ip a, b;
        char *out;

        nftest_ns_add("S");
        nftest_sh(false, "ip -n @S link add d0 type veth peer name d1 && ip -n @S link set d0 up");
        nftest_enter("S");
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.10/24", &a, NULL), ==, 0);
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.11/24", &b, NULL), ==, 0);
        g_assert_cmpint(nf_link_set_ipv4_conf("d0", IPV4_DEVCONF_PROMOTE_SECONDARIES, 1, err, sizeof(err)),
                        ==, 0);
        g_assert_cmpint(
                nf_link_set_ipv4_conf("nosuch0", IPV4_DEVCONF_PROMOTE_SECONDARIES, 1, err, sizeof(err)), <,
                0);
        g_assert_nonnull(strstr(err, "nosuch0"));
        g_assert_cmpint(nf_addr_add("d0", &a, 0, err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_addr_add("d0", &b, 0, err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_addr_del("d0", &a, err, sizeof(err)), ==, 0);
        nftest_enter(NULL);

        out = nftest_sh_out("ip netns exec @S cat /proc/sys/net/ipv4/conf/d0/promote_secondaries");
        g_assert_cmpstr(g_strstrip(out), ==, "1");
        g_free(out);
        out = nftest_sh_out("ip -n @S -4 addr show dev d0");
        g_assert_null(strstr(out, "203.0.113.10/"));
        g_assert_nonnull(strstr(out, "203.0.113.11/"));
        g_free(out);
        nftest_sh(false, "ip netns del @S");
}

static void test_noprefixroute(void) {
        char err[256] = "";
        struct ctdb_ip a, b;
        char *routes;

        nftest_ns_add("R");
        nftest_sh(false, "ip -n @R link add d0 type veth peer name d1 && ip -n @R link set d0 up && ip -n "
                         "@R link set d1 up");
        nftest_enter("R");
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.10/24", &a, NULL), ==, 0);
        g_assert_cmpint(ctdb_ip_prefix_from_string("198.51.100.10/24", &b, NULL), ==, 0);
        g_assert_cmpint(nf_addr_add("d0", &a, NF_ADDR_NOPREFIXROUTE, err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_addr_add("d0", &b, 0, err, sizeof(err)), ==, 0);
        nftest_enter(NULL);

        routes = nftest_sh_out("ip -n @R route show");
        g_assert_null(strstr(routes, "203.0.113.0/24"));
        g_assert_nonnull(strstr(routes, "198.51.100.0/24"));
        g_free(routes);
        routes = nftest_sh_out("ip -n @R addr show dev d0");
        g_assert_nonnull(strstr(routes, "noprefixroute"));
        g_free(routes);
        nftest_sh(false, "ip netns del @R");
}

struct seen {
        const char *ifname;
        bool want_up, want_carrier;
        bool matched;
};

static void link_cb(const struct nf_link_state *s, void *userdata) {
        struct seen *w = userdata;

        if (strcmp(s->ifname, w->ifname) == 0 && s->up == w->want_up && s->carrier == w->want_carrier)
                w->matched = true;
}

static void wait_state(nf_link_monitor *m, const char *ifname, bool up, bool carrier) {
        struct seen w = { .ifname = ifname, .want_up = up, .want_carrier = carrier };
        gint64 deadline = nftest_deadline(5000);

        while (!w.matched) {
                g_assert_cmpint(nftest_poll(nf_link_monitor_fd(m), POLLIN, deadline), !=, 0);
                g_assert_cmpint(nf_link_monitor_process(m, link_cb, &w), >=, 0);
        }
}

static void test_link(void) {
        struct nf_link_state s;
        nf_link_monitor *m;
        char err[256];

        nftest_ns_add("L");
        nftest_ns_add("P");
        nftest_veth("L", "v1", "P", "v2");
        nftest_enter("L");
        g_assert_cmpint(nf_link_get("v1", &s, err, sizeof(err)), ==, 0);
        g_assert_true(s.up);
        g_assert_cmpuint(s.mac_len, ==, 6);
        g_assert_cmpint(nf_link_get("nosuch0", &s, err, sizeof(err)), ==, -ENODEV);
        g_assert_nonnull(strstr(err, "nosuch0"));

        g_assert_cmpint(nf_link_monitor_new(&m), ==, 0);
        nftest_enter(NULL);

        /* Carrier follows the peer: down there means no carrier here. */
        nftest_sh(false, "ip -n @P link set v2 down");
        wait_state(m, "v1", true, false);
        nftest_enter("L");
        g_assert_cmpint(nf_link_get("v1", &s, err, sizeof(err)), ==, 0);
        g_assert_true(s.up);
        g_assert_false(s.carrier);
        nftest_enter(NULL);

        nftest_sh(false, "ip -n @P link set v2 up");
        wait_state(m, "v1", true, true);
        nftest_sh(false, "ip -n @L link set v1 down");
        wait_state(m, "v1", false, false);
        nftest_sh(false, "ip -n @L link set v1 up");
        wait_state(m, "v1", true, true);

        nf_link_monitor_free(m);
        nftest_sh(false, "ip netns del @L && ip netns del @P");
}

static void add_tests(void) {
        g_test_add_func("/nf-addr/parse", test_parse);
        g_test_add_func("/nf-addr/add-list-del", test_add_list_del);
        g_test_add_func("/nf-addr/missing-interface", test_missing_interface);
        g_test_add_func("/nf-addr/noprefixroute", test_noprefixroute);
        g_test_add_func("/nf-addr/promote-secondaries", test_promote_secondaries);
        g_test_add_func("/nf-link/state-and-monitor", test_link);
}

int main(int argc, char **argv) {
        return nftest_main(argc, argv, add_tests);
}
