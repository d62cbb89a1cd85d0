/* ARP probes for addresses a node is about to take; see nf-probe.h. */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nf-arp.h"
#include "nf-link.h"
#include "nf-netlink.h"
#include "nf-probe.h"

int nf_probe_socket(void) {
        int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));

        return fd < 0 ? -errno : fd;
}

int nf_probe_send(int fd, const char *ifname, const struct ctdb_ip *a, char *err, size_t errlen) {
        struct nf_arp_frame f = {};
        struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                                   .sll_protocol = htons(ETH_P_ARP),
                                   .sll_halen = 6 };
        struct nf_link_state link;
        char s[CTDB_IP_STRLEN];
        int r;

        ctdb_ip_to_string(a, false, s, sizeof(s));
        if (a->family != AF_INET) {
                nf_seterr(err, errlen, "Cannot probe %s: only IPv4 addresses are probed", s);
                return -EAFNOSUPPORT;
        }
        r = nf_link_get(ifname, &link, err, errlen);
        if (r < 0)
                return r;
        if (link.mac_len != 6) {
                nf_seterr(err, errlen, "Cannot probe %s on %s: not an Ethernet interface", s, ifname);
                return -EAFNOSUPPORT;
        }
        memset(f.eth.ether_dhost, 0xff, 6);
        memcpy(f.eth.ether_shost, link.mac, 6);
        f.eth.ether_type = htons(ETHERTYPE_ARP);
        f.arp.ar_hrd = htons(ARPHRD_ETHER);
        f.arp.ar_pro = htons(ETHERTYPE_IP);
        f.arp.ar_hln = 6;
        f.arp.ar_pln = 4;
        f.arp.ar_op = htons(ARPOP_REQUEST);
        memcpy(f.sha, link.mac, 6);
        /* spa stays 0.0.0.0: a probe teaches nobody's ARP cache anything. */
        memcpy(f.tpa, &a->u.in.s_addr, 4);
        sll.sll_ifindex = link.ifindex;
        memset(sll.sll_addr, 0xff, 6);
        if (sendto(fd, &f, sizeof(f), 0, (struct sockaddr *) &sll, sizeof(sll)) < 0) {
                r = -errno;
                nf_seterr(err, errlen, "Cannot probe %s on %s: %s", s, ifname, strerror(-r));
                return r;
        }
        return 0;
}

int nf_probe_parse(const uint8_t *frame, size_t len, struct in_addr *ret_sender) {
        struct nf_arp_frame f;

        if (len < sizeof(f))
                return 0;
        memcpy(&f, frame, sizeof(f));
        if (ntohs(f.eth.ether_type) != ETHERTYPE_ARP || ntohs(f.arp.ar_hrd) != ARPHRD_ETHER ||
            ntohs(f.arp.ar_pro) != ETHERTYPE_IP || f.arp.ar_hln != 6 || f.arp.ar_pln != 4)
                return 0;
        memcpy(&ret_sender->s_addr, f.spa, 4);
        return ret_sender->s_addr != 0;
}

int nf_probe_read(int fd, nf_probe_cb cb, void *userdata) {
        int n = 0;

        for (;;) {
                uint8_t buf[256];
                struct sockaddr_ll from;
                socklen_t fromlen = sizeof(from);
                struct in_addr sender;
                ssize_t len =
                        recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *) &from, &fromlen);

                if (len < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return n;
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (from.sll_pkttype == PACKET_OUTGOING || nf_probe_parse(buf, (size_t) len, &sender) <= 0)
                        continue;
                n++;
                if (cb)
                        cb(&sender, userdata);
        }
}

struct nf_probe_seen {
        in_addr_t addr;
        bool seen;
};

static void nf_probe_seen_cb(const struct in_addr *sender, void *userdata) {
        struct nf_probe_seen *p = userdata;

        p->seen |= sender->s_addr == p->addr;
}

static uint64_t nf_probe_now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

int nf_probe_wait(const char *ifname, const struct ctdb_ip *a, unsigned round_usec, unsigned budget_usec,
                  char *err, size_t errlen) {
        uint64_t end = nf_probe_now_usec() + budget_usec;
        struct nf_probe_seen p = { .addr = a->u.in.s_addr, .seen = true };
        int fd = nf_probe_socket(), r = 0;

        if (fd < 0) {
                nf_seterr(err, errlen, "Cannot probe: packet socket: %s", strerror(-fd));
                return fd;
        }
        while (p.seen && r >= 0) {
                uint64_t round_end = nf_probe_now_usec() + round_usec;

                if (round_end > end) {
                        r = -EADDRINUSE;
                        break;
                }
                (void) nf_probe_read(fd, NULL, NULL);
                r = nf_probe_send(fd, ifname, a, err, errlen);
                p.seen = false;
                for (uint64_t now; r >= 0 && (now = nf_probe_now_usec()) < round_end;) {
                        struct pollfd pfd = { .fd = fd, .events = POLLIN };

                        if (poll(&pfd, 1, (int) ((round_end - now + 999) / 1000)) > 0)
                                r = nf_probe_read(fd, nf_probe_seen_cb, &p);
                }
        }
        close(fd);
        if (r == -EADDRINUSE) {
                char s[CTDB_IP_STRLEN];

                nf_seterr(err, errlen, "%s still answers on the network",
                          ctdb_ip_to_string(a, false, s, sizeof(s)));
        }
        return r < 0 ? r : 0;
}
