/*
 * A tickle ACK resets a real established TCP connection on the client side.
 * The server's socket is first made to vanish without the client noticing (its
 * RST is dropped by a test table), which is the state after a takeover: the
 * node that now holds the public address has no socket for the connection.
 */
#undef NDEBUG

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nf-tickle.h"
#include "nftest.h"

static void setup(void) {
        nftest_ns_add("A");
        nftest_ns_add("B");
        nftest_veth("A", "v1", "B", "v2");
        nftest_sh(false, "ip -n @A addr add 192.0.2.1/24 dev v1 && ip -n @B addr add 192.0.2.2/24 dev v2 && "
                         "ip -n @B addr add 203.0.113.10/32 dev v2 && ip -n @A route add 203.0.113.10/32 "
                         "via 192.0.2.2 && "
                         "ip -n @A addr add 2001:db8::1/64 dev v1 nodad && ip -n @B addr add 2001:db8::2/64 "
                         "dev v2 nodad && "
                         "ip -n @B addr add 2001:db8:1::10/128 dev v2 nodad && "
                         "ip -n @A route add 2001:db8:1::10/128 via 2001:db8::2");
}

/* Closes the server side silently: SO_LINGER 0 sends a RST, which the test table drops. */
static void vanish(int s) {
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };

        nftest_sh(false, "ip netns exec @B nft add table inet nftest && "
                         "ip netns exec @B nft 'add chain inet nftest out { type filter hook output "
                         "priority 0; }' && "
                         "ip netns exec @B nft add rule inet nftest out tcp flags rst drop");
        g_assert_cmpint(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), ==, 0);
        close(s);
        nftest_sh(false, "ip netns exec @B nft delete table inet nftest");
}

static void tickle_case(const char *server, uint16_t port) {
        union nf_sockaddr srv, cli;
        socklen_t len = sizeof(cli);
        char err[256];
        int c, s;

        nftest_tcp_pair("A", "B", server, port, &c, &s);
        nftest_tcp_roundtrip(c, s);
        g_assert_cmpint(getsockname(c, &cli.sa, &len), ==, 0);
        len = sizeof(srv);
        g_assert_cmpint(getpeername(c, &srv.sa, &len), ==, 0);
        vanish(s);

        /* The client has no idea yet: nothing arrives by itself. */
        g_assert_cmpint(nftest_wait_error(c, false, 100), ==, 0);

        nftest_enter("B");
        g_assert_cmpint(nf_tickle(&srv, &cli, 1, err, sizeof(err)), ==, 0);
        nftest_enter(NULL);
        g_assert_cmpint(nftest_wait_error(c, false, 3000), ==, ECONNRESET);
        close(c);
}

static void test_tickle4(void) {
        setup();
        tickle_case("203.0.113.10", 4450);
        nftest_sh(false, "ip netns del @A && ip netns del @B");
}

static void test_tickle6(void) {
        setup();
        tickle_case("2001:db8:1::10", 4451);
        nftest_sh(false, "ip netns del @A && ip netns del @B");
}

static void test_parse(void) {
        union nf_sockaddr a;
        char s[64];
        uint8_t pkt[128];

        g_assert_cmpint(nf_sockaddr_from_string("192.0.2.1:445", &a), ==, 0);
        g_assert_cmpstr(nf_sockaddr_to_string(&a, s, sizeof(s)), ==, "192.0.2.1:445");
        g_assert_cmpint(nf_sockaddr_from_string("[2001:db8::1]:445", &a), ==, 0);
        g_assert_cmpstr(nf_sockaddr_to_string(&a, s, sizeof(s)), ==, "[2001:db8::1]:445");
        g_assert_cmpint(nf_sockaddr_from_string("2001:db8::1:445", &a), ==, -EINVAL);
        g_assert_cmpint(nf_sockaddr_from_string("192.0.2.1:65536", &a), ==, -EINVAL);
        g_assert_cmpint(nf_sockaddr_from_string("192.0.2.1", &a), ==, -EINVAL);
        g_assert_cmpint(nf_sockaddr_from_string("[192.0.2.1]:1", &a), ==, -EINVAL);

        union nf_sockaddr b;
        g_assert_cmpint(nf_sockaddr_from_string("192.0.2.1:1", &b), ==, 0);
        g_assert_cmpint(nf_tickle_build(pkt, sizeof(pkt), &a, &b, 0, 0, false), ==, -EINVAL);
        g_assert_cmpint(nf_tickle_build(pkt, 10, &b, &b, 0, 0, false), ==, -ENOBUFS);
        g_assert_cmpint(nf_tickle_build(pkt, sizeof(pkt), &b, &b, 0, 0, false), ==, 40);
        g_assert_cmpint(nf_tickle_build(pkt, sizeof(pkt), &a, &a, 0, 0, true), ==, 60);
}

static void add_tests(void) {
        g_test_add_func("/nf-tickle/parse", test_parse);
        g_test_add_func("/nf-tickle/ipv4", test_tickle4);
        g_test_add_func("/nf-tickle/ipv6", test_tickle6);
}

int main(int argc, char **argv) {
        return nftest_main(argc, argv, add_tests);
}
