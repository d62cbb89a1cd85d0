/*
 * Gratuitous ARP and unsolicited NA bursts, captured on the peer side of a
 * veth with an AF_PACKET socket; the peer's kernel must also accept them
 * (its neighbour entry for the address moves to the sender's MAC).
 */
#undef NDEBUG

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nf-announce.h"
#include "nf-link.h"
#include "nf-probe.h"
#include "nftest.h"

struct capture {
        int fd;
        unsigned requests, replies, nas;
        bool bad;
};

static int capture_open(const char *ns, const char *ifname) {
        struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
        int fd;

        nftest_enter(ns);
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
        g_assert_cmpint(fd, >=, 0);
        sll.sll_ifindex = (int) if_nametoindex(ifname);
        g_assert_cmpint(sll.sll_ifindex, >, 0);
        g_assert_cmpint(bind(fd, (struct sockaddr *) &sll, sizeof(sll)), ==, 0);
        nftest_enter(NULL);
        return fd;
}

/* Counts the frames announcing addr from mac; anything malformed about them sets bad. */
static void capture_read(struct capture *c, const struct ctdb_ip *addr, const uint8_t mac[6]) {
        _Alignas(8) uint8_t buf[2048];   /* the ARP header at offset 14 needs 2-byte alignment */
        ssize_t n;

        while ((n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
                const struct ether_header *eth = (const void *) buf;

                if ((size_t) n < sizeof(*eth) || memcmp(eth->ether_shost, mac, 6) != 0)
                        continue;
                if (ntohs(eth->ether_type) == ETHERTYPE_ARP && addr->family == AF_INET) {
                        const uint8_t *arp = buf + sizeof(*eth);
                        const struct arphdr *ah = (const void *) arp;

                        if ((size_t) n < sizeof(*eth) + 28 || memcmp(arp + 14, &addr->u.in, 4) != 0)
                                continue;
                        if (memcmp(arp + 8, mac, 6) != 0 || memcmp(arp + 24, &addr->u.in, 4) != 0 ||
                            ah->ar_hln != 6 || ah->ar_pln != 4)
                                c->bad = true;
                        if (ntohs(ah->ar_op) == ARPOP_REQUEST)
                                c->requests++;
                        else if (ntohs(ah->ar_op) == ARPOP_REPLY)
                                c->replies++;
                        else
                                c->bad = true;
                } else if (ntohs(eth->ether_type) == ETHERTYPE_IPV6 && addr->family == AF_INET6) {
                        /* The headers sit at offset 14 of buf: copy them into aligned locals. */
                        struct ip6_hdr ip6;
                        struct nd_neighbor_advert na;

                        if ((size_t) n < sizeof(*eth) + sizeof(ip6) + sizeof(na))
                                continue;
                        memcpy(&ip6, buf + sizeof(*eth), sizeof(ip6));
                        memcpy(&na, buf + sizeof(*eth) + sizeof(ip6), sizeof(na));
                        if (ip6.ip6_nxt != IPPROTO_ICMPV6 || na.nd_na_type != ND_NEIGHBOR_ADVERT ||
                            memcmp(&na.nd_na_target, &addr->u.in6, 16) != 0)
                                continue;
                        if (memcmp(&ip6.ip6_src, &addr->u.in6, 16) != 0 || ip6.ip6_hlim != 255 ||
                            !(na.nd_na_flags_reserved & ND_NA_FLAG_OVERRIDE) ||
                            (na.nd_na_flags_reserved & ND_NA_FLAG_SOLICITED))
                                c->bad = true;
                        c->nas++;
                }
        }
}

/* Reads until want frames were seen, then a short look for extras. */
static void capture_wait(struct capture *c, const struct ctdb_ip *addr, const uint8_t mac[6],
                         unsigned want) {
        gint64 deadline = nftest_deadline(5000);

        while (c->requests + c->replies + c->nas < want && nftest_poll(c->fd, POLLIN, deadline))
                capture_read(c, addr, mac);
        deadline = nftest_deadline(100);
        while (nftest_poll(c->fd, POLLIN, deadline))
                capture_read(c, addr, mac);
}

static void get_mac(const char *ns, const char *ifname, uint8_t mac[6]) {
        struct nf_link_state s;
        char err[256];

        nftest_enter(ns);
        g_assert_cmpint(nf_link_get(ifname, &s, err, sizeof(err)), ==, 0);
        g_assert_cmpuint(s.mac_len, ==, 6);
        memcpy(mac, s.mac, 6);
        nftest_enter(NULL);
}

/* Polls "ip neigh" on the peer until the entry for addr shows mac. */
static void wait_neigh(const char *addr, const uint8_t mac[6]) {
        gint64 deadline = nftest_deadline(5000);
        char want[32];
        bool ok = false;

        snprintf(want, sizeof(want), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                 mac[5]);
        while (!ok && nftest_left_ms(deadline) > 0) {
                char *out = nftest_sh_out("ip -n @B neigh show %s dev v2", addr);
                ok = strstr(out, want) != NULL;
                g_free(out);
                if (!ok)
                        g_usleep(10000);
        }
        g_assert_true(ok);
}

static void setup(uint8_t mac[6]) {
        nftest_ns_add("A");
        nftest_ns_add("B");
        nftest_veth("A", "v1", "B", "v2");
        nftest_sh(false, "ip -n @B addr add 203.0.113.20/24 dev v2 && ip -n @B addr add 2001:db8::20/64 dev "
                         "v2 nodad");
        get_mac("A", "v1", mac);
}

static void teardown(void) {
        nftest_sh(false, "ip netns del @A && ip netns del @B");
}

static void test_garp(void) {
        struct capture c = {};
        struct ctdb_ip a;
        uint8_t mac[6];
        char err[256];

        setup(mac);
        /* A stale entry with another MAC: a valid GARP must move it to ours. */
        nftest_sh(false, "ip -n @B neigh add 203.0.113.10 lladdr 02:00:00:00:00:01 dev v2 nud stale");
        c.fd = capture_open("B", "v2");
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.10", &a, NULL), ==, 0);

        nftest_enter("A");
        g_assert_cmpint(nf_announce("v1", &a, 3, 20000, NF_ARP_REQUEST, err, sizeof(err)), ==, 3);
        nftest_enter(NULL);
        capture_wait(&c, &a, mac, 3);
        g_assert_false(c.bad);
        g_assert_cmpuint(c.requests, ==, 3);
        g_assert_cmpuint(c.replies, ==, 0);
        wait_neigh("203.0.113.10", mac);

        /* Both forms: one request and one reply per round. */
        c.requests = c.replies = 0;
        nftest_enter("A");
        g_assert_cmpint(nf_announce("v1", &a, 2, 1000, NF_ARP_REQUEST | NF_ARP_REPLY, err, sizeof(err)), ==,
                        4);
        g_assert_cmpint(nf_announce("v1", &a, 1, 0, NF_ARP_REPLY, err, sizeof(err)), ==, 1);
        /* A missing interface is named in the error. */
        g_assert_cmpint(nf_announce("nosuch0", &a, 1, 0, 0, err, sizeof(err)), ==, -ENODEV);
        g_assert_nonnull(strstr(err, "nosuch0"));
        g_assert_nonnull(strstr(err, "203.0.113.10"));
        nftest_enter(NULL);
        capture_wait(&c, &a, mac, 5);
        g_assert_false(c.bad);
        g_assert_cmpuint(c.requests, ==, 2);
        g_assert_cmpuint(c.replies, ==, 3);

        close(c.fd);
        teardown();
}

static void test_na(void) {
        struct capture c = {};
        struct ctdb_ip a;
        uint8_t mac[6];
        char err[256];

        setup(mac);
        nftest_sh(false, "ip -n @B neigh add 2001:db8::10 lladdr 02:00:00:00:00:01 dev v2 nud stale");
        c.fd = capture_open("B", "v2");
        g_assert_cmpint(ctdb_ip_prefix_from_string("2001:db8::10", &a, NULL), ==, 0);

        nftest_enter("A");
        g_assert_cmpint(nf_announce("v1", &a, 3, 20000, 0, err, sizeof(err)), ==, 3);
        nftest_enter(NULL);
        capture_wait(&c, &a, mac, 3);
        g_assert_false(c.bad);
        g_assert_cmpuint(c.nas, ==, 3);
        /* The kernel checks hop limit and checksum before it updates the entry. */
        wait_neigh("2001:db8::10", mac);

        close(c.fd);
        teardown();
}

/* A probe from A for B's address is answered (in use); once B dropped it, nobody answers. */
static void test_probe(void) {
        struct ctdb_ip a, v6;
        uint8_t mac[6];
        char err[256] = "";
        gint64 t0;

        setup(mac);
        g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.20", &a, NULL), ==, 0);
        g_assert_cmpint(ctdb_ip_prefix_from_string("2001:db8::20", &v6, NULL), ==, 0);
        nftest_enter("A");
        t0 = g_get_monotonic_time();
        g_assert_cmpint(nf_probe_wait("v1", &a, 5000, 50000, err, sizeof(err)), ==, -EADDRINUSE);
        g_assert_nonnull(strstr(err, "203.0.113.20"));
        g_assert_cmpint(g_get_monotonic_time() - t0, >=, 40000);
        g_assert_cmpint(nf_probe_wait("v1", &v6, 5000, 50000, err, sizeof(err)), ==, -EAFNOSUPPORT);
        nftest_enter(NULL);
        nftest_sh(false, "ip -n @B addr del 203.0.113.20/24 dev v2");
        nftest_enter("A");
        g_assert_cmpint(nf_probe_wait("v1", &a, 5000, 50000, err, sizeof(err)), ==, 0);
        nftest_enter(NULL);
        teardown();
}

static void add_tests(void) {
        g_test_add_func("/nf-announce/probe", test_probe);
        g_test_add_func("/nf-announce/garp", test_garp);
        g_test_add_func("/nf-announce/na", test_na);
}

int main(int argc, char **argv) {
        return nftest_main(argc, argv, add_tests);
}
