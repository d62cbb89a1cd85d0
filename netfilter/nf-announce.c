#include "nf-announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nf-arp.h"
#include "nf-csum.h"
#include "nf-link.h"
#include "nf-netlink.h"

struct nf_na_frame {
        struct ether_header eth;
        struct ip6_hdr ip6;
        struct nd_neighbor_advert na;
        struct nd_opt_hdr opt;
        uint8_t opt_mac[6];
} __attribute__((packed));

int nf_announce_build_arp(uint8_t *buf, size_t len, const uint8_t mac[6], const struct in_addr *ip,
                          uint16_t op) {
        struct nf_arp_frame f = {};

        if (len < sizeof(f))
                return -ENOBUFS;
        memset(f.eth.ether_dhost, 0xff, 6);
        memcpy(f.eth.ether_shost, mac, 6);
        f.eth.ether_type = htons(ETHERTYPE_ARP);
        f.arp.ar_hrd = htons(ARPHRD_ETHER);
        f.arp.ar_pro = htons(ETHERTYPE_IP);
        f.arp.ar_hln = 6;
        f.arp.ar_pln = 4;
        f.arp.ar_op = htons(op);
        memcpy(f.sha, mac, 6);
        memcpy(f.spa, &ip->s_addr, 4);
        /* Gratuitous: the target is the sender's own address. A reply names our
         * MAC as target hardware address too (what CTDB and arping -A send). */
        if (op == ARPOP_REPLY)
                memcpy(f.tha, mac, 6);
        memcpy(f.tpa, &ip->s_addr, 4);
        memcpy(buf, &f, sizeof(f));
        return (int) sizeof(f);
}

int nf_announce_build_na(uint8_t *buf, size_t len, const uint8_t mac[6], const struct in6_addr *ip) {
        static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
        struct nf_na_frame f = {};
        size_t icmp_len = sizeof(f.na) + sizeof(f.opt) + sizeof(f.opt_mac);

        if (len < sizeof(f))
                return -ENOBUFS;
        memcpy(f.eth.ether_dhost, all_nodes_mac, 6);
        memcpy(f.eth.ether_shost, mac, 6);
        f.eth.ether_type = htons(ETHERTYPE_IPV6);

        f.ip6.ip6_flow = htonl(6u << 28);
        f.ip6.ip6_plen = htons((uint16_t) icmp_len);
        f.ip6.ip6_nxt = IPPROTO_ICMPV6;
        f.ip6.ip6_hlim = 255;   /* RFC 4861: receivers drop ND with another hop limit */
        f.ip6.ip6_src = *ip;
        inet_pton(AF_INET6, "ff02::1", &f.ip6.ip6_dst);

        f.na.nd_na_type = ND_NEIGHBOR_ADVERT;
        f.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
        f.na.nd_na_target = *ip;
        f.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
        f.opt.nd_opt_len = 1;   /* in units of 8 bytes */
        memcpy(f.opt_mac, mac, 6);

        f.na.nd_na_cksum = nf_csum_fold(nf_csum_add(
                nf_csum_pseudo6(&f.ip6.ip6_src, &f.ip6.ip6_dst, (uint32_t) icmp_len, IPPROTO_ICMPV6), &f.na,
                icmp_len));

        memcpy(buf, &f, sizeof(f));
        return (int) sizeof(f);
}

static void nf_sleep_usec(unsigned usec) {
        struct timespec ts = { .tv_sec = usec / 1000000, .tv_nsec = (long) (usec % 1000000) * 1000 };

        while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
                ;
}

int nf_announce_socket(void) {
        /* Protocol 0: a send-only packet socket, nothing is queued for reading. */
        int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

        return fd < 0 ? -errno : fd;
}

int nf_announce(const char *ifname, const struct ctdb_ip *a, unsigned count, unsigned interval_usec,
                unsigned arp_forms, char *err, size_t errlen) {
        return nf_announce_fd(-1, ifname, a, count, interval_usec, arp_forms, err, errlen);
}

int nf_announce_fd(int ext_fd, const char *ifname, const struct ctdb_ip *a, unsigned count,
                   unsigned interval_usec, unsigned arp_forms, char *err, size_t errlen) {
        char s[CTDB_IP_STRLEN];
        struct nf_link_state link;
        struct sockaddr_ll sll = {};
        uint8_t frames[2][128];
        size_t flen[2];
        unsigned nframes = 0;
        int fd, r, sent = 0;

        ctdb_ip_to_string(a, false, s, sizeof(s));
        r = nf_link_get(ifname, &link, err, errlen);
        if (r < 0) {
                nf_seterr(err, errlen, "Cannot announce %s on %s: %s", s, ifname ? ifname : "",
                          r == -ENODEV ? "no such interface" : strerror(-r));
                return r;
        }
        if (link.mac_len != 6) {
                nf_seterr(err, errlen, "Cannot announce %s on %s: not an Ethernet interface", s, ifname);
                return -EAFNOSUPPORT;
        }

        if (a->family == AF_INET) {
                if (arp_forms == 0)
                        arp_forms = NF_ARP_REQUEST;
                if (arp_forms & NF_ARP_REQUEST) {
                        flen[nframes] = (size_t) nf_announce_build_arp(frames[nframes], sizeof(frames[0]),
                                                                       link.mac, &a->u.in, ARPOP_REQUEST);
                        nframes++;
                }
                if (arp_forms & NF_ARP_REPLY) {
                        flen[nframes] = (size_t) nf_announce_build_arp(frames[nframes], sizeof(frames[0]),
                                                                       link.mac, &a->u.in, ARPOP_REPLY);
                        nframes++;
                }
        } else if (a->family == AF_INET6) {
                flen[0] = (size_t) nf_announce_build_na(frames[0], sizeof(frames[0]), link.mac, &a->u.in6);
                nframes = 1;
        } else {
                nf_seterr(err, errlen, "Cannot announce %s on %s: unknown address family", s, ifname);
                return -EAFNOSUPPORT;
        }

        fd = ext_fd >= 0 ? ext_fd : nf_announce_socket();
        if (fd < 0) {
                r = fd;
                nf_seterr(err, errlen, "Cannot announce %s on %s: packet socket: %s", s, ifname,
                          strerror(-r));
                return r;
        }
        sll.sll_family = AF_PACKET;
        sll.sll_ifindex = link.ifindex;
        sll.sll_halen = 6;

        for (unsigned i = 0; i < count; i++) {
                if (i > 0 && interval_usec > 0)
                        nf_sleep_usec(interval_usec);
                for (unsigned k = 0; k < nframes; k++) {
                        const struct ether_header *eth = (const struct ether_header *) frames[k];

                        sll.sll_protocol = eth->ether_type;
                        memcpy(sll.sll_addr, eth->ether_dhost, 6);
                        if (sendto(fd, frames[k], flen[k], 0, (struct sockaddr *) &sll, sizeof(sll)) < 0) {
                                r = -errno;
                                nf_seterr(err, errlen, "Cannot announce %s on %s: %s", s, ifname,
                                          strerror(-r));
                                if (fd != ext_fd)
                                        close(fd);
                                return r;
                        }
                        sent++;
                }
        }
        if (fd != ext_fd)
                close(fd);
        return sent;
}
