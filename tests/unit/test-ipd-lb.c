/* The pure parts of load balancing and the NAT gateway: script.options, group files, slots, leader, routes.
 */
#undef NDEBUG

#include <glib.h>
#include <string.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "ipd-lb.h"
#include "ipd-natgw.h"
#include "ipd-scriptopts.h"

#define NODES_TEXT "192.0.2.1\n192.0.2.2\n192.0.2.3\n192.0.2.4\n"

static struct ctdb_nodes *nodes4(void *ctx) {
        struct ctdb_nodes *n;
        char *error = NULL;

        g_assert_cmpint(ctdb_nodes_parse(ctx, "nodes", NODES_TEXT, &n, &error), ==, 0);
        return n;
}

static void test_options_good(void) {
        void *ctx = talloc_new(NULL);
        struct ipd_script_options *o;
        char *error = NULL;

        g_assert_cmpint(
                ipd_script_options_parse(ctx, "so",
                                         "# comment\n"
                                         "CTDB_NATGW_NODES=/etc/ctdb/natgw_nodes\n"
                                         "CTDB_NATGW_PUBLIC_IP=\"203.0.113.200/24\"  # trailing\n"
                                         "export CTDB_NATGW_PUBLIC_IFACE='eth0'\n"
                                         "CTDB_NATGW_STATIC_ROUTES=\"10.0.0.0/8 10.1.0.0/16@192.0.2.254\"\n"
                                         "CTDB_OTHER=$(whatever) ; not ours\n"
                                         "if true; then echo; fi\n"
                                         "CTDB_LVS_PUBLIC_IP=\n",
                                         &o, &error),
                ==, 0);
        g_assert_cmpstr(o->value[IPD_OPT_NATGW_NODES], ==, "/etc/ctdb/natgw_nodes");
        g_assert_cmpstr(o->value[IPD_OPT_NATGW_PUBLIC_IP], ==, "203.0.113.200/24");
        g_assert_cmpstr(o->value[IPD_OPT_NATGW_PUBLIC_IFACE], ==, "eth0");
        g_assert_cmpuint(o->line[IPD_OPT_NATGW_PUBLIC_IFACE], ==, 4);
        g_assert_cmpstr(o->value[IPD_OPT_NATGW_STATIC_ROUTES], ==, "10.0.0.0/8 10.1.0.0/16@192.0.2.254");
        g_assert_null(o->value[IPD_OPT_LVS_PUBLIC_IP]);
        g_assert_null(o->value[IPD_OPT_LVS_NODES]);
        talloc_free(ctx);
}

static void test_options_bad(void) {
        static const char *const bad[] = {
                "\nCTDB_LVS_PUBLIC_IP=$IP\n",
                "\nCTDB_LVS_PUBLIC_IP=\"10.0.0.1\n",
                "\nCTDB_LVS_PUBLIC_IP=10.0.0.1 eth0\n",
                "\nCTDB_LVS_PUBLIC_IP=\"`hostname`\"\n",
        };
        void *ctx = talloc_new(NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                struct ipd_script_options *o = NULL;
                char *error = NULL;

                g_assert_cmpint(ipd_script_options_parse(ctx, "so", bad[i], &o, &error), ==, -EINVAL);
                g_assert_nonnull(error);
                g_assert_true(g_str_has_prefix(error, "so:2: CTDB_LVS_PUBLIC_IP"));
        }
        talloc_free(ctx);
}

static void test_group(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *nodes = nodes4(ctx);
        struct ipd_group *g;
        char *error = NULL;

        g_assert_cmpint(
                ipd_group_parse(ctx, "g", "# c\n192.0.2.3\n\n192.0.2.1 follower-only\n", nodes, &g, &error),
                ==, 0);
        g_assert_cmpuint(g->n, ==, 2);
        g_assert_cmpuint(g->nodes[0].pnn, ==, 0);
        g_assert_true(g->nodes[0].follower_only);
        g_assert_cmpuint(g->nodes[1].pnn, ==, 2);
        g_assert_false(g->nodes[1].follower_only);

        g_assert_cmpint(ipd_group_parse(ctx, "g", "192.0.2.1\n192.0.2.9\n", nodes, &g, &error), ==, -EINVAL);
        g_assert_cmpstr(error, ==, "g:2: 192.0.2.9 is not in the nodes file");
        g_assert_cmpint(ipd_group_parse(ctx, "g", "192.0.2.1\n192.0.2.1\n", nodes, &g, &error), ==, -EINVAL);
        g_assert_cmpstr(error, ==, "g:2: 192.0.2.1 is listed twice");
        g_assert_cmpint(ipd_group_parse(ctx, "g", "192.0.2.1 leader\n", nodes, &g, &error), ==, -EINVAL);
        g_assert_true(g_str_has_prefix(error, "g:1: \"leader\""));
        talloc_free(ctx);
}

static struct ipd_group *group_all(void *ctx) {
        struct ipd_group *g;
        char *error = NULL;

        g_assert_cmpint(ipd_group_parse(ctx, "g", NODES_TEXT, nodes4(ctx), &g, &error), ==, 0);
        return g;
}

static void test_lb_slot(void) {
        void *ctx = talloc_new(NULL);
        struct ipd_group *g = group_all(ctx);
        uint32_t flags[4] = {}, slot;

        g_assert_cmpuint(ipd_group_lb_slot(g, 2, flags, 4, &slot), ==, 4);
        g_assert_cmpuint(slot, ==, 2);
        /* Every node agrees: ranks among the serving nodes. */
        flags[1] = CTDB_NODE_FLAG_BANNED;
        g_assert_cmpuint(ipd_group_lb_slot(g, 2, flags, 4, &slot), ==, 3);
        g_assert_cmpuint(slot, ==, 1);
        g_assert_cmpuint(ipd_group_lb_slot(g, 1, flags, 4, &slot), ==, 3);
        g_assert_cmpuint(slot, ==, UINT32_MAX);
        /* A node beyond the flags is disconnected. */
        g_assert_cmpuint(ipd_group_lb_slot(g, 3, flags, 3, &slot), ==, 2);
        g_assert_cmpuint(slot, ==, UINT32_MAX);
        /* None healthy: the unhealthy serve, not the banned or disabled. */
        uint32_t sick[4] = { CTDB_NODE_FLAG_UNHEALTHY, CTDB_NODE_FLAG_BANNED, CTDB_NODE_FLAG_UNHEALTHY,
                             CTDB_NODE_FLAG_PERMANENTLY_DISABLED };
        g_assert_cmpuint(ipd_group_lb_slot(g, 2, sick, 4, &slot), ==, 2);
        g_assert_cmpuint(slot, ==, 1);
        uint32_t dead[4] = { 1, 1, 1, 1 };
        g_assert_cmpuint(ipd_group_lb_slot(g, 0, dead, 4, &slot), ==, 0);
        g_assert_cmpuint(slot, ==, UINT32_MAX);
        talloc_free(ctx);
}

static void test_natgw_leader(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *nodes = nodes4(ctx);
        struct ipd_group *g;
        char *error = NULL;
        uint32_t idx;

        g_assert_cmpint(ipd_group_parse(ctx, "g", "192.0.2.1 follower-only\n192.0.2.2\n192.0.2.3\n", nodes,
                                        &g, &error),
                        ==, 0);
        uint32_t ok[4] = {};
        g_assert_cmpuint(ipd_group_natgw_leader(g, ok, 4, &idx), ==, 1);
        g_assert_cmpuint(idx, ==, 1);
        /* Tier 1 prefers a healthy node after an unhealthy one. */
        uint32_t t1[4] = { 0, CTDB_NODE_FLAG_UNHEALTHY, 0, 0 };
        g_assert_cmpuint(ipd_group_natgw_leader(g, t1, 4, NULL), ==, 2);
        /* Tier 2: banned or unhealthy will do, stopped not. */
        uint32_t t2[4] = { 0, CTDB_NODE_FLAG_STOPPED, CTDB_NODE_FLAG_BANNED, 0 };
        g_assert_cmpuint(ipd_group_natgw_leader(g, t2, 4, NULL), ==, 2);
        /* Tier 3: stopped will do, disconnected or disabled not. */
        uint32_t t3[4] = { 0, CTDB_NODE_FLAG_STOPPED, CTDB_NODE_FLAG_DISCONNECTED, 0 };
        g_assert_cmpuint(ipd_group_natgw_leader(g, t3, 4, NULL), ==, 1);
        uint32_t none[4] = { 0, CTDB_NODE_FLAG_PERMANENTLY_DISABLED, CTDB_NODE_FLAG_DISCONNECTED, 0 };
        g_assert_cmpuint(ipd_group_natgw_leader(g, none, 4, NULL), ==, CTDB_PNN_NONE);
        talloc_free(ctx);
}

static void test_natgw_routes(void) {
        void *ctx = talloc_new(NULL);
        struct nf_route *rt;
        char *error = NULL, s[CTDB_IP_STRLEN];
        size_t n;

        g_assert_cmpint(ipd_natgw_parse_routes(ctx, NULL, "203.0.113.1", &rt, &n, &error), ==, 0);
        g_assert_cmpuint(n, ==, 1);
        g_assert_cmpstr(ctdb_ip_to_string(&rt[0].dst, true, s, sizeof(s)), ==, "0.0.0.0/0");
        g_assert_cmpstr(ctdb_ip_to_string(&rt[0].gw, false, s, sizeof(s)), ==, "203.0.113.1");
        g_assert_cmpuint(rt[0].metric, ==, 10);

        g_assert_cmpint(
                ipd_natgw_parse_routes(ctx, "10.0.0.0/8 172.16.0.0/12@203.0.113.9", NULL, &rt, &n, &error),
                ==, 0);
        g_assert_cmpuint(n, ==, 2);
        g_assert_cmpint(rt[0].gw.family, ==, 0);
        g_assert_cmpstr(ctdb_ip_to_string(&rt[1].gw, false, s, sizeof(s)), ==, "203.0.113.9");

        g_assert_cmpint(ipd_natgw_parse_routes(ctx, "10.0.0.0/8@nowhere", NULL, &rt, &n, &error), ==,
                        -EINVAL);
        g_assert_nonnull(strstr(error, "nowhere"));
        talloc_free(ctx);
}

static void test_cluster_mac(void) {
        struct ctdb_ip a, b;
        uint8_t m[6], m2[6];

        g_assert_cmpint(ctdb_ip_from_string("203.0.113.100", 0, &a), ==, 0);
        g_assert_cmpint(ctdb_ip_from_string("203.0.113.101", 0, &b), ==, 0);
        ipd_lb_cluster_mac(&a, m);
        ipd_lb_cluster_mac(&b, m2);
        g_assert_cmpmem(m, 6, ((uint8_t[]){ 0x03, 0x63, 203, 0, 113, 100 }), 6);
        g_assert_true(m[0] & 1); /* multicast */
        g_assert_cmpint(memcmp(m, m2, 6), !=, 0);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ipd-lb/options/good", test_options_good);
        g_test_add_func("/ipd-lb/options/bad", test_options_bad);
        g_test_add_func("/ipd-lb/group", test_group);
        g_test_add_func("/ipd-lb/slot", test_lb_slot);
        g_test_add_func("/ipd-lb/natgw-leader", test_natgw_leader);
        g_test_add_func("/ipd-lb/natgw-routes", test_natgw_routes);
        g_test_add_func("/ipd-lb/cluster-mac", test_cluster_mac);
        return g_test_run();
}
