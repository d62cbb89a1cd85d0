/*
 * Load balancing of one shared address over N=3 slots in three namespaces:
 * a client namespace sends one UDP datagram from each of many source
 * addresses to every slot (raw frames, so the sources can be many); each
 * source must be accepted by exactly one slot, and the shares be about equal.
 */
#undef NDEBUG

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nf-link.h"
#include "nf-tables.h"
#include "nftest.h"

#define SLOTS 3
#define SOURCES 508
#define PORT 5000

static uint16_t ip_csum(const void *data, size_t len) {
        const uint8_t *p = data;
        uint32_t sum = 0;

        for (; len > 1; p += 2, len -= 2)
                sum += (uint32_t) (p[0] << 8 | p[1]);
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return htons((uint16_t) ~sum);
}

static void source_addr(unsigned i, struct in_addr *a) {
        char s[32];

        /* 198.51.100.1-254 and 192.0.2.1-254 */
        snprintf(s, sizeof(s), "%s.%u", i < 254 ? "198.51.100" : "192.0.2", i % 254 + 1);
        inet_pton(AF_INET, s, a);
}

static void test_lb(void) {
        int fds[SLOTS], got[SOURCES] = {}, share[SLOTS] = {}, total = 0, pkt_fd;
        int ifindex[SLOTS];
        uint8_t mac[SLOTS][6];
        char err[256];
        char *table = NULL;
        gint64 deadline;

        nftest_ns_add("C");
        for (unsigned s = 0; s < SLOTS; s++) {
                char ns[8], cif[8];
                struct nf_lb_entry e = { .modulus = SLOTS, .slot = s };
                struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
                struct nf_link_state ls;

                snprintf(ns, sizeof(ns), "S%u", s);
                snprintf(cif, sizeof(cif), "c%u", s);
                nftest_ns_add(ns);
                nftest_veth("C", cif, ns, "v");
                nftest_sh(false,
                          "ip -n @%s addr add 203.0.113.50/32 dev v && ip -n @%s route add default dev v && "
                          "ip netns exec @%s sysctl -qw net.ipv4.conf.all.rp_filter=0 "
                          "net.ipv4.conf.v.rp_filter=0",
                          ns, ns, ns);
                nftest_enter(ns);
                g_assert_cmpint(nf_link_get("v", &ls, err, sizeof(err)), ==, 0);
                memcpy(mac[s], ls.mac, 6);
                g_assert_cmpint(ctdb_ip_prefix_from_string("203.0.113.50", &e.addr, NULL), ==, 0);
                g_assert_cmpint(nf_tables_lb_apply(&e, 1, err, sizeof(err)), ==, 0);
                g_assert_cmpint(nf_tables_lb_apply(&e, 1, err, sizeof(err)), ==, 0);
                fds[s] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                g_assert_cmpint(fds[s], >=, 0);
                g_assert_cmpint(bind(fds[s], (struct sockaddr *) &sin, sizeof(sin)), ==, 0);
                nftest_enter("C");
                ifindex[s] = (int) if_nametoindex(cif);
                g_assert_cmpint(ifindex[s], >, 0);
                nftest_enter(NULL);
                if (s == 1) {
                        table = nftest_sh_out("ip netns exec @S1 nft list table inet ctdb");
                        g_test_message("nft list table inet ctdb, load balancing slot 1 of 3:\n%s", table);
                        g_assert_nonnull(strstr(
                                table,
                                "ip daddr 203.0.113.50 jhash ip saddr mod 3 seed 0x63746462 != 1 drop"));
                        g_assert_null(strstr(strstr(table, "jhash") + 1, "jhash"));
                }
        }

        nftest_enter("C");
        pkt_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
        nftest_enter(NULL);
        g_assert_cmpint(pkt_fd, >=, 0);

        for (unsigned i = 0; i < SOURCES; i++) {
                struct {
                        struct iphdr ip;
                        struct udphdr udp;
                        uint32_t idx;
                } __attribute__((packed)) p = {};

                p.ip.version = 4;
                p.ip.ihl = 5;
                p.ip.tot_len = htons(sizeof(p));
                p.ip.ttl = 64;
                p.ip.protocol = IPPROTO_UDP;
                struct in_addr src, dst;
                source_addr(i, &src);
                inet_pton(AF_INET, "203.0.113.50", &dst);
                p.ip.saddr = src.s_addr;
                p.ip.daddr = dst.s_addr;
                p.ip.check = ip_csum(&p.ip, sizeof(p.ip));
                p.udp.source = htons(40000);
                p.udp.dest = htons(PORT);
                p.udp.len = htons(sizeof(p.udp) + sizeof(p.idx));
                p.idx = i;      /* UDP checksum 0: none, allowed for IPv4 */
                for (unsigned s = 0; s < SLOTS; s++) {
                        struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                                                   .sll_ifindex = ifindex[s], .sll_halen = 6 };
                        memcpy(sll.sll_addr, mac[s], 6);
                        g_assert_cmpint(
                                sendto(pkt_fd, &p, sizeof(p), 0, (struct sockaddr *) &sll, sizeof(sll)), ==,
                                (int) sizeof(p));
                }
        }

        /* Collect until every source arrived once; then a short look for duplicates. */
        deadline = nftest_deadline(5000);
        for (bool settle = false;;) {
                struct pollfd p[SLOTS];
                int r;

                for (unsigned s = 0; s < SLOTS; s++)
                        p[s] = (struct pollfd) { .fd = fds[s], .events = POLLIN };
                r = poll(p, SLOTS, nftest_left_ms(deadline));
                g_assert_cmpint(r, >=, 0);
                if (r == 0) {
                        if (settle || total >= SOURCES)
                                break;
                        g_assert_cmpint(total, ==, SOURCES); /* timed out short */
                }
                for (unsigned s = 0; s < SLOTS; s++) {
                        uint32_t idx;
                        while (recv(fds[s], &idx, sizeof(idx), MSG_DONTWAIT) == sizeof(idx)) {
                                g_assert_cmpuint(idx, <, SOURCES);
                                got[idx]++;
                                share[s]++;
                                total++;
                        }
                }
                if (total >= SOURCES && !settle) {
                        settle = true;
                        deadline = nftest_deadline(100);
                }
        }
        for (unsigned i = 0; i < SOURCES; i++)
                g_assert_cmpint(got[i], ==, 1);
        g_test_message("shares: %d %d %d of %d", share[0], share[1], share[2], SOURCES);
        for (unsigned s = 0; s < SLOTS; s++) {
                g_assert_cmpint(share[s], >, SOURCES / SLOTS * 7 / 10);
                g_assert_cmpint(share[s], <, SOURCES / SLOTS * 13 / 10);
        }

        /* No entries: the lb chain goes away. */
        nftest_enter("S0");
        g_assert_cmpint(nf_tables_lb_apply(NULL, 0, err, sizeof(err)), ==, 0);
        nftest_enter(NULL);
        g_free(table);
        table = nftest_sh_out("ip netns exec @S0 nft list table inet ctdb");
        g_assert_null(strstr(table, "chain lb"));
        g_free(table);

        close(pkt_fd);
        for (unsigned s = 0; s < SLOTS; s++)
                close(fds[s]);
        nftest_sh(false, "ip netns del @C && ip netns del @S0 && ip netns del @S1 && ip netns del @S2");
}

static void add_tests(void) {
        g_test_add_func("/nf-tables/load-balancing", test_lb);
}

int main(int argc, char **argv) {
        return nftest_main(argc, argv, add_tests);
}
