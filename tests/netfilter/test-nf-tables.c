/*
 * The table inet ctdb: reset rules for an address being released, tracked
 * connections, the SYN-ACK log of new connections, this node's sockets on an
 * address destroyed, idempotent re-creation, the NAT gateway, and that nothing
 * outside the table changes.
 */
#undef NDEBUG

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nf-log.h"
#include "nf-sock.h"
#include "nf-tables.h"
#include "nftest.h"

static void setup(void) {
        nftest_ns_add("A");
        nftest_ns_add("B");
        nftest_veth("A", "v1", "B", "v2");
        nftest_sh(false,
                  "ip -n @A addr add 192.0.2.1/24 dev v1 && ip -n @B addr add 192.0.2.2/24 dev v2 && "
                  "ip -n @B addr add 203.0.113.10/32 dev v2 && ip -n @B addr add 203.0.113.11/32 dev v2 && "
                  "ip -n @A route add 203.0.113.0/24 via 192.0.2.2 && "
                  "ip -n @A addr add 2001:db8::1/64 dev v1 nodad && ip -n @B addr add 2001:db8::2/64 dev v2 "
                  "nodad && "
                  "ip -n @B addr add 2001:db8:1::10/128 dev v2 nodad && "
                  "ip -n @A route add 2001:db8:1::/64 via 2001:db8::2");
        /* Somebody else's rules, which must come through untouched. */
        nftest_sh(false,
                  "ip netns exec @B nft -f - <<'EOF'\n"
                  "table ip other {\n"
                  "  chain c { type filter hook input priority 0; policy accept; tcp dport 9999 accept; }\n"
                  "}\n"
                  "table inet other2 { set s { type ipv4_addr; elements = { 198.51.100.1 }; }; }\n"
                  "EOF");
}

static void enter_b_or_fail(void) {
        nftest_enter("B");
}

struct tracked {
        const char *client, *server;
        uint16_t cport, sport;
        int n;
};

static int tracked_cb(const struct nf_tracked_conn *c, void *userdata) {
        struct tracked *t = userdata;
        char cs[64], ss[64];

        if (c->client.sa.sa_family == AF_INET) {
                inet_ntop(AF_INET, &c->client.in.sin_addr, cs, sizeof(cs));
                inet_ntop(AF_INET, &c->server.in.sin_addr, ss, sizeof(ss));
                if (strcmp(cs, t->client) == 0 && strcmp(ss, t->server) == 0 &&
                    ntohs(c->client.in.sin_port) == t->cport && ntohs(c->server.in.sin_port) == t->sport &&
                    c->expires_ms > 0)
                        t->n++;
        } else {
                inet_ntop(AF_INET6, &c->client.in6.sin6_addr, cs, sizeof(cs));
                inet_ntop(AF_INET6, &c->server.in6.sin6_addr, ss, sizeof(ss));
                if (strcmp(cs, t->client) == 0 && strcmp(ss, t->server) == 0 &&
                    ntohs(c->client.in6.sin6_port) == t->cport && ntohs(c->server.in6.sin6_port) == t->sport)
                        t->n++;
        }
        return 0;
}

static int count_tracked(int fd, const char *client, const char *server, uint16_t sport) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        struct tracked t = { .client = client, .server = server, .sport = sport };
        char err[256];

        g_assert_cmpint(getsockname(fd, (struct sockaddr *) &ss, &len), ==, 0);
        t.cport = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *) &ss)->sin_port
                                                : ((struct sockaddr_in6 *) &ss)->sin6_port);
        enter_b_or_fail();
        g_assert_cmpint(nf_tables_tracked_list(AF_UNSPEC, tracked_cb, &t, err, sizeof(err)), >=, 0);
        nftest_enter(NULL);
        return t.n;
}

static int udp_probe(const char *addr, uint16_t port) {
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
        int fd, r;

        nftest_enter("A");
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        nftest_enter(NULL);
        g_assert_cmpint(fd, >=, 0);
        inet_pton(AF_INET, addr, &sin.sin_addr);
        g_assert_cmpint(connect(fd, (struct sockaddr *) &sin, sizeof(sin)), ==, 0);
        g_assert_cmpint(send(fd, "x", 1, 0), ==, 1);
        r = nftest_wait_error(fd, false, 2000);
        close(fd);
        return r;
}

static int tcp_connect_error(const char *addr, uint16_t port) {
        struct sockaddr_storage ss = {};
        socklen_t len;
        int fd, err = 0;
        socklen_t elen = sizeof(err);

        if (strchr(addr, ':')) {
                struct sockaddr_in6 *s6 = (void *) &ss;
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(port);
                inet_pton(AF_INET6, addr, &s6->sin6_addr);
                len = sizeof(*s6);
        } else {
                struct sockaddr_in *s4 = (void *) &ss;
                s4->sin_family = AF_INET;
                s4->sin_port = htons(port);
                inet_pton(AF_INET, addr, &s4->sin_addr);
                len = sizeof(*s4);
        }
        nftest_enter("A");
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        nftest_enter(NULL);
        g_assert_cmpint(fd, >=, 0);
        if (connect(fd, (struct sockaddr *) &ss, len) < 0 && errno != EINPROGRESS) {
                err = errno;
        } else {
                g_assert_cmpint(nftest_poll(fd, POLLOUT, nftest_deadline(3000)), !=, 0);
                g_assert_cmpint(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen), ==, 0);
        }
        close(fd);
        return err;
}

static void test_reset(void) {
        struct ctdb_ip rel[2], pub[3];
        char err[512] = "";
        char *before, *during, *other_during, *table1, *table2, *after;
        int c10, s10, c11, s11, c6, s6;

        setup();
        before = nftest_sh_out("ip netns exec @B nft list ruleset");

        /* Without the table, a change names the set and says what is missing. */
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.10", &rel[0], NULL), ==, 0);
        g_assert_cmpint(ctdb_ip_prefix_from_string("2001:db8:1::10", &rel[1], NULL), ==, 0);
        enter_b_or_fail();
        g_assert_cmpint(nf_tables_release_add(rel, 1, err, sizeof(err)), ==, -ENOENT);
        g_assert_nonnull(strstr(err, "203.0.113.10"));
        g_assert_nonnull(strstr(err, "release4"));
        g_assert_cmpint(nf_tables_create(err, sizeof(err)), ==, 0);
        nftest_enter(NULL);
        table1 = nftest_sh_out("ip netns exec @B nft list table inet ctdb");
        enter_b_or_fail();
        g_assert_cmpint(nf_tables_create(err, sizeof(err)), ==, 0);
        nftest_enter(NULL);
        table2 = nftest_sh_out("ip netns exec @B nft list table inet ctdb");
        /* Idempotent: the same table, not a second copy of every rule. */
        g_assert_cmpstr(table1, ==, table2);
        g_assert_nonnull(strstr(table1, "ip daddr @release4 meta l4proto tcp reject with tcp reset"));
        g_assert_null(
                strstr(strstr(table1, "reject with tcp reset") + 1, "ip daddr @release4 meta l4proto tcp"));

        nftest_tcp_pair("A", "B", "203.0.113.10", 445, &c10, &s10);
        nftest_tcp_pair("A", "B", "203.0.113.11", 445, &c11, &s11);
        nftest_tcp_pair("A", "B", "2001:db8:1::10", 445, &c6, &s6);

        /* Tracking: once the addresses are public, the next client packet records the connection. */
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.10", &pub[0], NULL), ==, 0);
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.11", &pub[1], NULL), ==, 0);
        g_assert_cmpint(ctdb_ip_prefix_from_string("2001:db8:1::10", &pub[2], NULL), ==, 0);
        enter_b_or_fail();
        g_assert_cmpint(nf_tables_public_add(pub, 3, err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_tables_public_add(pub, 3, err, sizeof(err)), ==, 0);
        nftest_enter(NULL);
        nftest_tcp_roundtrip(c10, s10);
        nftest_tcp_roundtrip(c11, s11);
        nftest_tcp_roundtrip(c6, s6);
        g_assert_cmpint(count_tracked(c10, "192.0.2.1", "203.0.113.10", 445), ==, 1);
        g_assert_cmpint(count_tracked(c11, "192.0.2.1", "203.0.113.11", 445), ==, 1);
        g_assert_cmpint(count_tracked(c6, "2001:db8::1", "2001:db8:1::10", 445), ==, 1);

        /* Release 203.0.113.10 and 2001:db8:1::10 (twice: idempotent). */
        enter_b_or_fail();
        g_assert_cmpint(nf_tables_release_add(rel, 2, err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_tables_release_add(rel, 2, err, sizeof(err)), ==, 0);
        nftest_enter(NULL);
        during = nftest_sh_out("ip netns exec @B nft list table inet ctdb");
        g_test_message("nft list table inet ctdb, releasing 203.0.113.10 and 2001:db8:1::10:\n%s", during);
        g_assert_nonnull(strstr(during, "elements = { 203.0.113.10 }"));

        /* Established traffic to the released addresses is reset... */
        g_assert_cmpint(nftest_wait_error(c10, true, 3000), ==, ECONNRESET);
        g_assert_cmpint(nftest_wait_error(c6, true, 3000), ==, ECONNRESET);
        /* ... and so are new connections, and UDP is rejected ... */
        g_assert_cmpint(tcp_connect_error("203.0.113.10", 446), ==, ECONNREFUSED);
        g_assert_cmpint(tcp_connect_error("2001:db8:1::10", 446), ==, ECONNREFUSED);
        g_assert_cmpint(udp_probe("203.0.113.10", 53), ==, ECONNREFUSED);
        /* ... while the other address is untouched. */
        nftest_tcp_roundtrip(c11, s11);
        nftest_tcp_roundtrip(s11, c11);

        /* Nothing outside inet ctdb changed. */
        other_during =
                nftest_sh_out("ip netns exec @B nft list ruleset | sed -n '/^table inet ctdb/,/^}/!p'");
        g_assert_cmpstr(other_during, ==, before);

        /* Taking the address back: no more resets. */
        enter_b_or_fail();
        g_assert_cmpint(nf_tables_release_del(rel, 2, err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_tables_release_del(rel, 1, err, sizeof(err)), ==, -ENOENT);
        g_assert_nonnull(strstr(err, "203.0.113.10"));
        nftest_enter(NULL);
        g_assert_cmpint(tcp_connect_error("203.0.113.10", 446), ==,
                        ECONNREFUSED); /* no listener: a real RST */
        close(c10);
        close(s10);
        nftest_tcp_pair("A", "B", "203.0.113.10", 447, &c10, &s10);
        nftest_tcp_roundtrip(c10, s10);

        /* The table goes away whole, and deleting it again is fine. */
        enter_b_or_fail();
        g_assert_cmpint(nf_tables_delete(err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_tables_delete(err, sizeof(err)), ==, 0);
        nftest_enter(NULL);
        after = nftest_sh_out("ip netns exec @B nft list ruleset");
        g_assert_cmpstr(after, ==, before);
        g_assert_null(strstr(after, "ctdb"));
        nftest_tcp_roundtrip(c11, s11);

        close(c10), close(s10), close(c11), close(s11), close(c6), close(s6);
        g_free(before), g_free(during), g_free(other_during), g_free(table1), g_free(table2), g_free(after);
        nftest_sh(false, "ip netns del @A && ip netns del @B");
}

/* Private client A -> gateway G -> outside O: O sees G's public address. */
static void test_natgw(void) {
        struct nf_natgw_entry gw = { .ifname = "g1" };
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5353) }, from;
        socklen_t flen = sizeof(from);
        char err[256], buf[8], addr[32];
        char *table;
        int o, c;

        nftest_ns_add("A");
        nftest_ns_add("G");
        nftest_ns_add("O");
        nftest_veth("A", "v1", "G", "g0");
        nftest_veth("G", "g1", "O", "o1");
        nftest_sh(false,
                  "ip -n @A addr add 192.0.2.1/24 dev v1 && ip -n @A route add default via 192.0.2.254 && "
                  "ip -n @G addr add 192.0.2.254/24 dev g0 && ip -n @G addr add 198.51.100.1/24 dev g1 && "
                  "ip netns exec @G sysctl -qw net.ipv4.ip_forward=1 && "
                  "ip -n @O addr add 198.51.100.2/24 dev o1");

        g_assert_cmpint(ctdb_ip_prefix_from_string("192.0.2.0/24", &gw.network, NULL), ==, 0);
        nftest_enter("G");
        g_assert_cmpint(nf_tables_natgw_apply(&gw, 1, err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_tables_natgw_apply(&gw, 1, err, sizeof(err)), ==, 0);
        nftest_enter(NULL);
        table = nftest_sh_out("ip netns exec @G nft list table inet ctdb");
        g_test_message("nft list table inet ctdb, NAT gateway:\n%s", table);
        g_assert_nonnull(
                strstr(table, "ip saddr 192.0.2.0/24 ip daddr != 192.0.2.0/24 oifname \"g1\" masquerade"));
        g_assert_null(strstr(strstr(table, "masquerade") + 1, "masquerade"));
        g_free(table);

        nftest_enter("O");
        o = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        g_assert_cmpint(bind(o, (struct sockaddr *) &sin, sizeof(sin)), ==, 0);
        nftest_enter("A");
        c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        nftest_enter(NULL);
        inet_pton(AF_INET, "198.51.100.2", &sin.sin_addr);
        g_assert_cmpint(sendto(c, "n", 1, 0, (struct sockaddr *) &sin, sizeof(sin)), ==, 1);
        g_assert_cmpint(nftest_poll(o, POLLIN, nftest_deadline(5000)) & POLLIN, !=, 0);
        g_assert_cmpint(recvfrom(o, buf, sizeof(buf), 0, (struct sockaddr *) &from, &flen), ==, 1);
        g_assert_cmpstr(inet_ntop(AF_INET, &from.sin_addr, addr, sizeof(addr)), ==, "198.51.100.1");

        /* Removing the gateway rules leaves an empty table. */
        nftest_enter("G");
        g_assert_cmpint(nf_tables_natgw_apply(NULL, 0, err, sizeof(err)), ==, 0);
        nftest_enter(NULL);
        table = nftest_sh_out("ip netns exec @G nft list table inet ctdb");
        g_assert_null(strstr(table, "natgw"));
        g_free(table);

        close(o);
        close(c);
        nftest_sh(false, "ip netns del @A && ip netns del @G && ip netns del @O");
}

struct logged {
        char server[64][64], client[64][64];
        int n;
};

static void logged_cb(const union nf_sockaddr *server, const union nf_sockaddr *client, void *userdata) {
        struct logged *l = userdata;

        if (l->n < 64) {
                nf_sockaddr_to_string(server, l->server[l->n], sizeof(l->server[0]));
                nf_sockaddr_to_string(client, l->client[l->n], sizeof(l->client[0]));
                l->n++;
        }
}

/* Reads the SYN-ACK log of B until want entries came or the deadline passed. */
static void read_log(nf_log *log, struct logged *l, int want) {
        gint64 deadline = nftest_deadline(3000);

        while (l->n < want && nftest_poll(nf_log_fd(log), POLLIN, deadline))
                g_assert_cmpint(nf_log_process(log, logged_cb, l), >=, 0);
}

static bool logged_has(const struct logged *l, const char *server, int client_fd) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        union nf_sockaddr me;
        char s[64];

        g_assert_cmpint(getsockname(client_fd, (struct sockaddr *) &ss, &len), ==, 0);
        memcpy(&me, &ss, sizeof(me));
        nf_sockaddr_to_string(&me, s, sizeof(s));
        for (int i = 0; i < l->n; i++)
                if (strcmp(l->server[i], server) == 0 && strcmp(l->client[i], s) == 0)
                        return true;
        return false;
}

/* A connection to a public address is logged as its SYN-ACK leaves, one to another address is not. */
static void test_synack_log(void) {
        struct ctdb_ip pub[2];
        struct logged l = {};
        char err[512] = "";
        nf_log *log = NULL;
        int c10, s10, c11, s11, c6, s6;

        setup();
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.10", &pub[0], NULL), ==, 0);
        g_assert_cmpint(ctdb_ip_prefix_from_string("2001:db8:1::10", &pub[1], NULL), ==, 0);
        enter_b_or_fail();
        g_assert_cmpint(nf_tables_create(err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_tables_public_add(pub, 2, err, sizeof(err)), ==, 0);
        g_assert_cmpint(nf_log_new(NF_LOG_GROUP, &log, err, sizeof(err)), ==, 0);
        nftest_enter(NULL);

        nftest_tcp_pair("A", "B", "203.0.113.11", 445, &c11, &s11);
        nftest_tcp_pair("A", "B", "203.0.113.10", 445, &c10, &s10);
        nftest_tcp_pair("A", "B", "2001:db8:1::10", 445, &c6, &s6);
        read_log(log, &l, 2);
        g_assert_cmpint(l.n, ==, 2);
        g_assert_true(logged_has(&l, "203.0.113.10:445", c10));
        g_assert_true(logged_has(&l, "[2001:db8:1::10]:445", c6));
        g_assert_false(logged_has(&l, "203.0.113.11:445", c11));

        /* sock_diag: B's own sockets on 203.0.113.10 end, both ends learn; 203.0.113.11 is untouched. */
        enter_b_or_fail();
        unsigned n = 0;
        g_assert_cmpint(nf_sock_destroy_local(&pub[0], &n, err, sizeof(err)), ==, 0);
        nftest_enter(NULL);
        g_assert_cmpuint(n, ==, 1);
        g_assert_cmpint(nftest_wait_error(s10, false, 3000), ==, ECONNABORTED);
        g_assert_cmpint(nftest_wait_error(c10, false, 3000), ==, ECONNRESET);
        nftest_tcp_roundtrip(c11, s11);

        nf_log_free(log);
        close(c10), close(s10), close(c11), close(s11), close(c6), close(s6);
        nftest_sh(false, "ip netns del @A && ip netns del @B");
}

static void add_tests(void) {
        g_test_add_func("/nf-tables/synack-log", test_synack_log);
        g_test_add_func("/nf-tables/release-reset", test_reset);
        g_test_add_func("/nf-tables/natgw", test_natgw);
}

int main(int argc, char **argv) {
        return nftest_main(argc, argv, add_tests);
}
