/*
 * One shared address over three nodes on one Ethernet segment, through
 * services/ipd/ipd-lb on the netfilter library: a bridge (multicast snooping
 * off, so it floods the cluster MAC whatever the bridge's defaults), a client
 * and three node namespaces, each node serving 203.0.113.100 with its slot
 * and a TCP listener answering its node number. The client connects from many
 * source addresses; every connection must be answered by exactly one node, in
 * roughly equal shares. Then node 2 is disconnected (N = 2): the survivors
 * answer everything and node 2 keeps nothing.
 */
#undef NDEBUG

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <talloc.h>

#include "config.h"
#include "ctdb-node.h"
#include "ipd-lb.h"
#include "ipd-natgw.h"
#include "nftest.h"

#define NODES       3
#define SOURCES     90
#define PORT        7000
#define VIP         "203.0.113.100"
#define CLUSTER_MAC "03:63:cb:00:71:64"

static char node_ns[NODES][4] = { "N0", "N1", "N2" };

static void setup(char *dir, size_t len) {
        char path[256];
        FILE *f;

        nftest_ns_add("B");
        nftest_ns_add("C");
        nftest_sh(false, "ip -n @B link add br0 type bridge mcast_snooping 0 && ip -n @B link set br0 up");
        nftest_veth("B", "pc", "C", "eth0");
        nftest_sh(false, "ip -n @B link set pc master br0 && ip -n @C addr add 203.0.113.250/24 dev eth0");
        for (unsigned i = 0; i < SOURCES; i++)
                nftest_sh(false, "ip -n @C addr add 198.51.100.%u/32 dev eth0", 10 + i);
        for (unsigned n = 0; n < NODES; n++) {
                char port[8];

                snprintf(port, sizeof(port), "p%u", n);
                nftest_ns_add(node_ns[n]);
                nftest_veth("B", port, node_ns[n], "eth0");
                nftest_sh(
                        false,
                        "ip -n @B link set %s master br0 && ip -n @%s addr add 203.0.113.%u/24 dev eth0 && "
                        "ip -n @%s route add 198.51.100.0/24 via 203.0.113.250",
                        port, node_ns[n], n + 1, node_ns[n]);
        }

        g_assert_nonnull(g_mkdtemp(strncpy(dir, "/tmp/nf-cluster-XXXXXX", len)));
        snprintf(path, sizeof(path), "%s/script.options", dir);
        f = fopen(path, "w");
        g_assert_nonnull(f);
        fprintf(f,
                "# CTDB 4.17 event script options\nCTDB_LVS_NODES=%s/lvs_nodes\n"
                "CTDB_LVS_PUBLIC_IP=\"" VIP "\"\nexport CTDB_LVS_PUBLIC_IFACE=eth0  # the bridge side\n",
                dir);
        fclose(f);
        snprintf(path, sizeof(path), "%s/lvs_nodes", dir);
        f = fopen(path, "w");
        g_assert_nonnull(f);
        fputs("203.0.113.1\n203.0.113.2 follower-only\n203.0.113.3\n", f);
        fclose(f);
}

static int listen_in(const char *ns) {
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
        int one = 1, fd;

        nftest_enter(ns);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        nftest_enter(NULL);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), ==, 0);
        g_assert_cmpint(bind(fd, (struct sockaddr *) &sin, sizeof(sin)), ==, 0);
        g_assert_cmpint(listen(fd, 64), ==, 0);
        return fd;
}

/*
 * Connects from 198.51.100.(10 + src) and serves the listeners until the
 * client has its answer: the number of the node that accepted. Asserts
 * exactly one accept.
 */
static int connect_once(unsigned src, const int *lfd) {
        struct sockaddr_in from = { .sin_family = AF_INET },
                           to = { .sin_family = AF_INET, .sin_port = htons(PORT) };
        gint64 deadline = nftest_deadline(5000);
        int fd, accepted = 0, answer = -1;
        char s[32];

        snprintf(s, sizeof(s), "198.51.100.%u", 10 + src);
        inet_pton(AF_INET, s, &from.sin_addr);
        inet_pton(AF_INET, VIP, &to.sin_addr);
        nftest_enter("C");
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        nftest_enter(NULL);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(bind(fd, (struct sockaddr *) &from, sizeof(from)), ==, 0);
        g_assert_true(connect(fd, (struct sockaddr *) &to, sizeof(to)) == 0 || errno == EINPROGRESS);

        while (answer < 0) {
                struct pollfd p[NODES + 1];
                char c;

                for (unsigned n = 0; n < NODES; n++)
                        p[n] = (struct pollfd){ .fd = lfd[n], .events = POLLIN };
                p[NODES] = (struct pollfd){ .fd = fd, .events = POLLIN };
                g_assert_cmpint(poll(p, NODES + 1, nftest_left_ms(deadline)), >, 0);
                for (unsigned n = 0; n < NODES; n++) {
                        int a = accept4(lfd[n], NULL, NULL, SOCK_CLOEXEC);

                        if (a < 0)
                                continue;
                        accepted++;
                        c = (char) ('0' + n);
                        g_assert_cmpint(write(a, &c, 1), ==, 1);
                        close(a);
                }
                if (p[NODES].revents) {
                        g_assert_cmpint(read(fd, &c, 1), ==, 1);
                        answer = c - '0';
                }
        }
        close(fd);
        g_assert_cmpint(accepted, ==, 1);
        return answer;
}

static void update_all(struct ipd_lb **lb, const uint32_t *flags) {
        char err[256];

        for (unsigned n = 0; n < NODES; n++) {
                nftest_enter(node_ns[n]);
                /* Twice: an update is idempotent. */
                for (int k = 0; k < 2; k++)
                        if (ipd_lb_update(lb[n], n, flags, NODES, err, sizeof(err)) < 0)
                                g_error("node %u: %s", n, err);
        }
        nftest_enter(NULL);
}

static void shares(const int *lfd, int *share) {
        memset(share, 0, sizeof(int) * NODES);
        for (unsigned i = 0; i < SOURCES; i++) {
                int n = connect_once(i, lfd);

                g_assert_cmpint(n, >=, 0);
                g_assert_cmpint(n, <, NODES);
                share[n]++;
        }
        g_test_message("shares: %d %d %d of %d", share[0], share[1], share[2], SOURCES);
}

static void test_cluster(void) {
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *nodes;
        struct ipd_lb *lb[NODES];
        uint32_t flags[NODES] = {}, n, slot;
        int lfd[NODES], share[NODES];
        char dir[64], *error = NULL, *out;

        setup(dir, sizeof(dir));
        g_assert_cmpint(
                ctdb_nodes_parse(ctx, "nodes", "203.0.113.1\n203.0.113.2\n203.0.113.3\n", &nodes, &error),
                ==, 0);
        for (unsigned i = 0; i < NODES; i++) {
                g_assert_cmpint(ipd_lb_new(ctx, dir, nodes, &lb[i], &error), ==, 0);
                g_assert_nonnull(lb[i]);
                lfd[i] = listen_in(node_ns[i]);
        }

        update_all(lb, flags);
        for (unsigned i = 0; i < NODES; i++) {
                ipd_lb_share(lb[i], &n, &slot);
                g_assert_cmpuint(n, ==, 3);
                g_assert_cmpuint(slot, ==, i);
        }
        out = nftest_sh_out("ip -n @N1 maddr show dev eth0; ip netns exec @N1 nft list ruleset");
        g_test_message("node 1:\n%s", out);
        g_assert_nonnull(strstr(out, CLUSTER_MAC));
        g_assert_nonnull(strstr(out, "arp saddr ip " VIP " arp saddr ether set " CLUSTER_MAC));
        g_assert_nonnull(strstr(out, "jhash ip saddr mod 3 seed 0x63746462 != 1 drop"));
        g_assert_nonnull(strstr(out, "meta pkttype set host"));
        g_free(out);

        shares(lfd, share);
        for (unsigned i = 0; i < NODES; i++)
                g_assert_cmpint(share[i], >=, SOURCES / NODES / 2);
        /* Every node's ARP for the address carried the cluster MAC, so the client never learnt another. */
        out = nftest_sh_out("ip -n @C neigh show " VIP);
        g_test_message("client: %s", out);
        g_assert_nonnull(strstr(out, CLUSTER_MAC));
        g_free(out);

        /* Node 2 is gone: two slots, and node 2 withdraws everything. */
        flags[2] = CTDB_NODE_FLAG_DISCONNECTED;
        update_all(lb, flags);
        ipd_lb_share(lb[2], &n, &slot);
        g_assert_cmpuint(n, ==, 0);
        out = nftest_sh_out("ip -n @N2 addr show dev eth0; ip -n @N2 maddr show dev eth0; "
                            "ip netns exec @N2 nft list ruleset");
        g_assert_null(strstr(out, VIP));
        g_assert_null(strstr(out, CLUSTER_MAC));
        g_assert_null(strstr(out, "jhash"));
        g_free(out);
        shares(lfd, share);
        g_assert_cmpint(share[2], ==, 0);
        g_assert_cmpint(share[0], >=, SOURCES / 2 / 2);
        g_assert_cmpint(share[1], >=, SOURCES / 2 / 2);

        for (unsigned i = 0; i < NODES; i++) {
                nftest_enter(node_ns[i]);
                ipd_lb_stop(lb[i]);
                ipd_lb_stop(lb[i]);
                nftest_enter(NULL);
                close(lfd[i]);
        }
        out = nftest_sh_out("ip -n @N0 addr show dev eth0; ip -n @N0 maddr show dev eth0; "
                            "ip netns exec @N0 nft list ruleset");
        g_assert_null(strstr(out, VIP));
        g_assert_null(strstr(out, CLUSTER_MAC));
        g_assert_null(strstr(out, "jhash"));
        g_assert_null(strstr(out, "table arp"));
        g_free(out);
        nftest_sh(false, "rm -r %s", dir);
        talloc_free(ctx);
}

/*
 * The NAT gateway of three nodes (private network 192.0.2.0/24 on a bridge,
 * public interface pub, one end of a veth pair): the first node leads, the others route through it;
 * when it is disconnected the next leads and it keeps nothing.
 */
static void test_natgw(void) {
        static const char *const ns[NODES] = { "G0", "G1", "G2" };
        void *ctx = talloc_new(NULL);
        struct ctdb_nodes *nodes;
        struct ipd_natgw *ng[NODES];
        uint32_t flags[NODES] = {};
        char dir[64], path[128], err[256], *error = NULL, *out;
        FILE *f;

        nftest_ns_add("GB");
        nftest_sh(false, "ip -n @GB link add br0 type bridge && ip -n @GB link set br0 up");
        for (unsigned n = 0; n < NODES; n++) {
                char port[8];

                snprintf(port, sizeof(port), "g%u", n);
                nftest_ns_add(ns[n]);
                nftest_veth("GB", port, ns[n], "eth0");
                nftest_sh(false,
                          "ip -n @GB link set %s master br0 && ip -n @%s addr add 192.0.2.%u/24 dev eth0 && "
                          "ip -n @%s link add pub type veth peer name pubx && ip -n @%s link set pub up",
                          port, ns[n], n + 1, ns[n], ns[n]);
        }
        g_assert_nonnull(g_mkdtemp(strcpy(dir, "/tmp/nf-natgw-XXXXXX")));
        snprintf(path, sizeof(path), "%s/script.options", dir);
        f = fopen(path, "w");
        g_assert_nonnull(f);
        fprintf(f,
                "CTDB_NATGW_NODES=%s/natgw_nodes\nCTDB_NATGW_PUBLIC_IP=203.0.113.200/24\n"
                "CTDB_NATGW_PUBLIC_IFACE=pub\nCTDB_NATGW_PRIVATE_NETWORK=192.0.2.0/24\n"
                "CTDB_NATGW_DEFAULT_GATEWAY=203.0.113.254\n",
                dir);
        fclose(f);
        snprintf(path, sizeof(path), "%s/natgw_nodes", dir);
        f = fopen(path, "w");
        g_assert_nonnull(f);
        fputs("192.0.2.1\n192.0.2.2\n192.0.2.3 follower-only\n", f);
        fclose(f);
        g_assert_cmpint(ctdb_nodes_parse(ctx, "nodes", "192.0.2.1\n192.0.2.2\n192.0.2.3\n", &nodes, &error),
                        ==, 0);

        for (int round = 0; round < 2; round++) {
                unsigned lead = (unsigned) round;

                for (unsigned n = 0; n < NODES; n++) {
                        if (round == 0)
                                g_assert_cmpint(ipd_natgw_new(ctx, dir, nodes, &ng[n], &error), ==, 0);
                        nftest_enter(ns[n]);
                        for (int k = 0; k < 2; k++)
                                if (ipd_natgw_update(ng[n], n, flags, NODES, err, sizeof(err)) < 0)
                                        g_error("node %u: %s", n, err);
                        nftest_enter(NULL);
                        g_assert_cmpuint(ipd_natgw_leader(ng[n]), ==, lead);
                }
                out = nftest_sh_out(
                        "ip -n @%s addr show dev pub; ip -n @%s route; ip netns exec @%s nft list "
                        "ruleset; ip netns exec @%s sysctl -n net.ipv4.ip_forward",
                        ns[lead], ns[lead], ns[lead], ns[lead]);
                g_test_message("leader %u:\n%s", lead, out);
                g_assert_nonnull(strstr(out, "203.0.113.200/24"));
                g_assert_nonnull(strstr(out, "default via 203.0.113.254 dev pub proto static metric 10"));
                g_assert_nonnull(strstr(out, "masquerade"));
                g_assert_true(g_str_has_suffix(out, "1\n"));
                g_free(out);
                out = nftest_sh_out("ip -n @G2 route");
                g_assert_nonnull(
                        strstr(out, lead == 0 ? "default via 192.0.2.1 dev eth0 proto static metric 10"
                                              : "default via 192.0.2.2 dev eth0 proto static metric 10"));
                g_assert_null(strstr(out, lead == 0 ? "192.0.2.2 dev" : "via 192.0.2.1"));
                g_free(out);
                flags[0] = CTDB_NODE_FLAG_DISCONNECTED;
        }
        /* The old leader kept nothing of leading; it follows like the rest. */
        out = nftest_sh_out(
                "ip -n @G0 addr show dev pub; ip -n @G0 route; ip netns exec @G0 nft list ruleset; "
                "ip netns exec @G0 sysctl -n net.ipv4.ip_forward");
        g_assert_null(strstr(out, "203.0.113.200"));
        g_assert_null(strstr(out, "masquerade"));
        g_assert_nonnull(strstr(out, "default via 192.0.2.2"));
        g_assert_true(g_str_has_suffix(out, "0\n"));
        g_free(out);
        for (unsigned n = 0; n < NODES; n++) {
                nftest_enter(ns[n]);
                ipd_natgw_stop(ng[n]);
                nftest_enter(NULL);
        }
        out = nftest_sh_out("ip -n @G1 addr show dev pub; ip -n @G1 route; ip -n @G2 route; "
                            "ip netns exec @G1 nft list ruleset");
        g_assert_null(strstr(out, "203.0.113.200"));
        g_assert_null(strstr(out, "metric 10"));
        g_assert_null(strstr(out, "masquerade"));
        g_free(out);
        nftest_sh(false, "rm -r %s", dir);
        talloc_free(ctx);
}

static void add_tests(void) {
        g_test_add_func("/nf-cluster/lb-over-bridge", test_cluster);
        g_test_add_func("/nf-cluster/natgw", test_natgw);
}

int main(int argc, char **argv) {
        return nftest_main(argc, argv, add_tests);
}
