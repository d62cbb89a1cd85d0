/* ctdbctl's ip output from a stand-in Addresses list and plan (tools/ctdbctl-format.h). */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "ctdb-node.h"
#include "ctdbctl-format.h"

/* What Addresses could say on node 1 of three: one address unheld, two not in this node's file. */
static const struct ip_row rows[] = {
        { "203.0.113.1/24", "eth0", 0 },  { "203.0.113.2/24", "eth0,eth1", 1 },
        { "203.0.113.3/24", "", 2 },      { "203.0.113.4/24", "eth0", CTDB_PNN_NONE },
        { "2001:db8::10/64", "eth0", 0 }, { "2001:db8::11/64", "", 1 },
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

/* Runs one printer into a string (freed by the caller). */
#define CAPTURE(call)                                   \
        ({                                              \
                char *_buf = NULL;                      \
                size_t _len = 0;                        \
                FILE *f = open_memstream(&_buf, &_len); \
                g_assert_nonnull(f);                    \
                call;                                   \
                g_assert_cmpint(fclose(f), ==, 0);      \
                _buf;                                   \
        })

static void test_table_this_node(void) {
        char *out = CAPTURE(ip_print_table(f, rows, N_ROWS, 1, 0));

        /* Only the addresses this node has, without their prefix, and -1 as CTDB prints none. */
        g_assert_cmpstr(out, ==,
                        "Public IPs on node 1\n"
                        "203.0.113.1 0\n"
                        "203.0.113.2 1\n"
                        "203.0.113.4 -1\n"
                        "2001:db8::10 0\n");
        free(out);
}

static void test_table_all_verbose(void) {
        char *out = CAPTURE(ip_print_table(f, rows, N_ROWS, 1, IP_PRINT_ALL | IP_PRINT_VERBOSE));

        g_assert_cmpstr(out, ==,
                        "Public IPs on ALL nodes\n"
                        "203.0.113.1 0 eth0\n"
                        "203.0.113.2 1 eth0,eth1\n"
                        "203.0.113.3 2 -\n"
                        "203.0.113.4 -1 eth0\n"
                        "2001:db8::10 0 eth0\n"
                        "2001:db8::11 1 -\n");
        free(out);
}

static void test_table_no_this_node(void) {
        char *out = CAPTURE(ip_print_table(f, NULL, 0, CTDB_PNN_NONE, 0));

        g_assert_cmpstr(out, ==, "Public IPs on node -1\n");
        free(out);
}

static void test_json(void) {
        char *out = CAPTURE(ip_print_json(f, rows, 4, IP_PRINT_ALL));

        g_assert_cmpstr(
                out, ==,
                "[{\"address\":\"203.0.113.1\",\"prefix\":24,\"interfaces\":[\"eth0\"],\"pnn\":0},"
                "{\"address\":\"203.0.113.2\",\"prefix\":24,\"interfaces\":[\"eth0\",\"eth1\"],\"pnn\":1},"
                "{\"address\":\"203.0.113.3\",\"prefix\":24,\"interfaces\":[],\"pnn\":2},"
                "{\"address\":\"203.0.113.4\",\"prefix\":24,\"interfaces\":[\"eth0\"],\"pnn\":null}]\n");
        free(out);
}

static void test_json_this_node_only(void) {
        char *out = CAPTURE(ip_print_json(f, rows + 2, 1, 0));

        g_assert_cmpstr(out, ==, "[]\n");
        free(out);
}

/* An interface name is the admin's text: escaped; empty items of the list left out. */
static void test_json_escapes(void) {
        const struct ip_row odd = { "2001:db8::1/128", "a\"b,,c\\d\t", 3 };
        char *out = CAPTURE(ip_print_json(f, &odd, 1, 0));

        g_assert_cmpstr(out, ==,
                        "[{\"address\":\"2001:db8::1\",\"prefix\":128,"
                        "\"interfaces\":[\"a\\\"b\",\"c\\\\d\\u0009\"],\"pnn\":3}]\n");
        free(out);
}

/* What ctdb-ipd sent is shown even when ctdbctl cannot read it as an address. */
static void test_unparsable_address(void) {
        const struct ip_row bad = { "not-an-address", "eth0", 0 };
        char *table = CAPTURE(ip_print_table(f, &bad, 1, 0, 0));
        char *json = CAPTURE(ip_print_json(f, &bad, 1, 0));

        g_assert_cmpstr(table, ==, "Public IPs on node 0\nnot-an-address 0\n");
        g_assert_cmpstr(
                json, ==,
                "[{\"address\":\"not-an-address\",\"prefix\":null,\"interfaces\":[\"eth0\"],\"pnn\":0}]\n");
        free(table);
        free(json);
}

/* A plan of five addresses on three nodes: ips[].pnn is the holder now, to[] the plan. */
static void plan_fixture(struct ipalloc_ip ips[5], uint32_t to[5]) {
        static const struct {
                const char *addr;
                uint32_t now, to;
        } p[] = {
                { "203.0.113.1", 0, 0 },             /* stays */
                { "203.0.113.9", 1, 2 },             /* moves */
                { "2001:db8::10", 1, 1 },            /* stays */
                { "203.0.113.5", CTDB_PNN_NONE, 0 }, /* placed */
                { "203.0.113.7", 2, CTDB_PNN_NONE }, /* nowhere to go */
        };

        for (size_t i = 0; i < 5; i++) {
                g_assert_cmpint(ctdb_ip_from_string(p[i].addr, 0, &ips[i].addr), ==, 0);
                ips[i].pnn = p[i].now;
                to[i] = p[i].to;
        }
}

/* ctdbctl ip plan --input's format: IPv6 first, then highest first, -1 for none, nothing else. */
static void test_plan_offline_format(void) {
        struct ipalloc_ip ips[5];
        uint32_t to[5];
        char *out;

        plan_fixture(ips, to);
        out = CAPTURE(g_assert_cmpint(ip_print_plan(f, ips, 5, 3, to, 0), ==, 0));
        g_assert_cmpstr(out, ==,
                        "2001:db8::10 1\n"
                        "203.0.113.9 2\n"
                        "203.0.113.7 -1\n"
                        "203.0.113.5 0\n"
                        "203.0.113.1 0\n");
        free(out);
}

static void test_plan_moves(void) {
        struct ipalloc_ip ips[5];
        uint32_t to[5];
        char *out;

        plan_fixture(ips, to);
        out = CAPTURE(g_assert_cmpint(ip_print_plan(f, ips, 5, 3, to, IP_PLAN_MOVES), ==, 0));
        g_assert_cmpstr(out, ==,
                        "2001:db8::10 1\n"
                        "203.0.113.9 2 (moves from 1)\n"
                        "203.0.113.7 -1 (released by 2)\n"
                        "203.0.113.5 0 (held by no node now)\n"
                        "203.0.113.1 0\n"
                        "# 3 of 5 addresses move\n");
        free(out);
}

static void test_plan_score(void) {
        struct ipalloc_ip ips[5];
        uint32_t to[5];
        char *out;

        plan_fixture(ips, to);
        out = CAPTURE(g_assert_cmpint(ip_print_plan(f, ips, 5, 3, to, IP_PLAN_SCORE), ==, 0));
        /* Node 0: .1 and .5 share 96 + 29 bits (125² = 15625). */
        g_assert_nonnull(strstr(out, "# node 0: 2 addresses, imbalance 15625\n"
                                     "# node 1: 1 addresses, imbalance 0\n"
                                     "# node 2: 1 addresses, imbalance 0\n"
                                     "# total imbalance 15625, 3 moved\n"));
        g_assert_true(g_str_has_suffix(out, "3 moved\n"));
        free(out);
}

static void test_plan_json(void) {
        struct ipalloc_ip ips[5];
        uint32_t to[5];
        char *out;

        plan_fixture(ips, to);
        out = CAPTURE(g_assert_cmpint(ip_print_plan(f, ips, 2, 3, to, IP_PLAN_JSON | IP_PLAN_MOVES), ==, 0));
        g_assert_cmpstr(out, ==,
                        "[{\"address\":\"203.0.113.9\",\"pnn\":2,\"current\":1},"
                        "{\"address\":\"203.0.113.1\",\"pnn\":0,\"current\":0}]\n");
        free(out);
}

static void test_plan_empty(void) {
        char *out = CAPTURE(g_assert_cmpint(ip_print_plan(f, NULL, 0, 3, NULL, IP_PLAN_MOVES), ==, 0));

        g_assert_cmpstr(out, ==, "# 0 of 0 addresses move\n");
        free(out);
}

static void test_mark_lists(void) {
        uint32_t flags[4] = { 0, CTDB_NODE_FLAG_UNHEALTHY, 0, 0 };
        const char *bad = NULL;

        g_assert_cmpint(ip_plan_mark(flags, 4, "1,3", CTDB_NODE_FLAG_DISCONNECTED, &bad), ==, 0);
        g_assert_cmpint(ip_plan_mark(flags, 4, "0", CTDB_NODE_FLAG_PERMANENTLY_DISABLED, &bad), ==, 0);
        /* Repeating a node is harmless: the bit is set once. */
        g_assert_cmpint(ip_plan_mark(flags, 4, "3,3", CTDB_NODE_FLAG_DISCONNECTED, &bad), ==, 0);
        g_assert_cmpuint(flags[0], ==, CTDB_NODE_FLAG_PERMANENTLY_DISABLED);
        g_assert_cmpuint(flags[1], ==, CTDB_NODE_FLAG_UNHEALTHY | CTDB_NODE_FLAG_DISCONNECTED);
        g_assert_cmpuint(flags[2], ==, 0);
        g_assert_cmpuint(flags[3], ==, CTDB_NODE_FLAG_DISCONNECTED);
        g_assert_null(bad);
}

static void assert_mark_bad(const char *list, const char *want_bad) {
        uint32_t flags[3] = { 0 };
        const char *bad = NULL;

        g_assert_cmpint(ip_plan_mark(flags, 3, list, CTDB_NODE_FLAG_DISCONNECTED, &bad), ==, -EINVAL);
        g_assert_nonnull(bad);
        g_assert_cmpstr(bad, ==, want_bad);
}

static void test_mark_rejects(void) {
        assert_mark_bad("", "");
        assert_mark_bad("3", "3");
        assert_mark_bad("0,7", "7");
        assert_mark_bad("1,", "");
        assert_mark_bad(",1", ",1");
        assert_mark_bad("-1", "-1");
        assert_mark_bad("+1", "+1");
        assert_mark_bad(" 1", " 1");
        assert_mark_bad("1x", "1x");
        assert_mark_bad("99999999999999999999", "99999999999999999999");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ctdbctl-ip/table/this-node", test_table_this_node);
        g_test_add_func("/ctdbctl-ip/table/all-verbose", test_table_all_verbose);
        g_test_add_func("/ctdbctl-ip/table/no-this-node", test_table_no_this_node);
        g_test_add_func("/ctdbctl-ip/json/all", test_json);
        g_test_add_func("/ctdbctl-ip/json/this-node-only", test_json_this_node_only);
        g_test_add_func("/ctdbctl-ip/json/escapes", test_json_escapes);
        g_test_add_func("/ctdbctl-ip/unparsable-address", test_unparsable_address);
        g_test_add_func("/ctdbctl-ip/plan/offline-format", test_plan_offline_format);
        g_test_add_func("/ctdbctl-ip/plan/moves", test_plan_moves);
        g_test_add_func("/ctdbctl-ip/plan/score", test_plan_score);
        g_test_add_func("/ctdbctl-ip/plan/json", test_plan_json);
        g_test_add_func("/ctdbctl-ip/plan/empty", test_plan_empty);
        g_test_add_func("/ctdbctl-ip/mark/lists", test_mark_lists);
        g_test_add_func("/ctdbctl-ip/mark/rejects", test_mark_rejects);
        return g_test_run();
}
