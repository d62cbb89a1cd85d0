#include "nf-tickle.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ip-address.h"
#include "nf-csum.h"
#include "nf-netlink.h"

int nf_sockaddr_from_string(const char *s, union nf_sockaddr *ret) {
        char host[INET6_ADDRSTRLEN + 2];
        struct sockaddr_storage ss;
        struct ctdb_ip ip;
        socklen_t len;
        const char *colon;
        char *end;
        unsigned long port;
        size_t hlen;

        if (!s)
                return -EINVAL;
        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (!close || close[1] != ':')
                        return -EINVAL;
                hlen = (size_t) (close - s - 1);
                if (hlen >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s + 1, hlen);
                host[hlen] = '\0';
                colon = close + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon)
                        return -EINVAL;
                hlen = (size_t) (colon - s);
                if (hlen >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s, hlen);
                host[hlen] = '\0';
        }
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end || port > 65535)
                return -EINVAL;

        /* IPv6 only bracketed: in "2001:db8::1:445" the port cannot be told apart. */
        if (ctdb_ip_from_string(host, 0, &ip) < 0 || (ip.family == AF_INET6) != (s[0] == '['))
                return -EINVAL;
        len = ctdb_ip_to_sockaddr(&ip, (uint16_t) port, &ss);
        *ret = (union nf_sockaddr) {};
        memcpy(ret, &ss, len);
        return 0;
}

const char *nf_sockaddr_to_string(const union nf_sockaddr *sa, char *buf, size_t len) {
        char host[CTDB_IP_STRLEN];
        struct ctdb_ip ip;

        if (ctdb_ip_from_sockaddr(&sa->sa, sizeof(*sa), 0, &ip) < 0)
                snprintf(buf, len, "(family %d)", sa->sa.sa_family);
        else if (ip.family == AF_INET)
                snprintf(buf, len, "%s:%u", ctdb_ip_to_string(&ip, false, host, sizeof(host)),
                         ntohs(sa->in.sin_port));
        else
                snprintf(buf, len, "[%s]:%u", ctdb_ip_to_string(&ip, false, host, sizeof(host)),
                         ntohs(sa->in6.sin6_port));
        return buf;
}

int nf_tickle_build(uint8_t *buf, size_t len, const union nf_sockaddr *src, const union nf_sockaddr *dst,
                    uint32_t seq, uint32_t ack, bool rst) {
        struct tcphdr tcp = {};
        uint32_t sum, tmp;
        size_t iplen;

        if (src->sa.sa_family != dst->sa.sa_family)
                return -EINVAL;

        tcp.th_seq = htonl(seq);
        tcp.th_ack = htonl(ack);
        tcp.th_off = sizeof(tcp) / 4;
        tcp.th_flags = TH_ACK | (rst ? TH_RST : 0);
        /* CTDB uses a window of 1234; any non-zero window will do. */
        tcp.th_win = htons(1234);

        if (src->sa.sa_family == AF_INET) {
                struct ip ip = {};

                iplen = sizeof(ip);
                if (len < iplen + sizeof(tcp))
                        return -ENOBUFS;
                tcp.th_sport = src->in.sin_port;
                tcp.th_dport = dst->in.sin_port;
                ip.ip_v = 4;
                ip.ip_hl = sizeof(ip) / 4;
                ip.ip_len = htons((uint16_t) (iplen + sizeof(tcp)));
                ip.ip_ttl = 255;
                ip.ip_p = IPPROTO_TCP;
                ip.ip_src = src->in.sin_addr;
                ip.ip_dst = dst->in.sin_addr;
                ip.ip_sum = nf_csum_fold(nf_csum_add(0, &ip, sizeof(ip)));

                /* The IPv4 pseudo header: addresses, zero, protocol, TCP length. */
                sum = nf_csum_add(0, &ip.ip_src, 8);
                tmp = htonl(IPPROTO_TCP << 16 | sizeof(tcp));
                sum = nf_csum_add(sum, &tmp, 4);
                memcpy(buf, &ip, iplen);
        } else if (src->sa.sa_family == AF_INET6) {
                struct ip6_hdr ip6 = {};

                iplen = sizeof(ip6);
                if (len < iplen + sizeof(tcp))
                        return -ENOBUFS;
                tcp.th_sport = src->in6.sin6_port;
                tcp.th_dport = dst->in6.sin6_port;
                ip6.ip6_flow = htonl(6u << 28);
                ip6.ip6_plen = htons(sizeof(tcp));
                ip6.ip6_nxt = IPPROTO_TCP;
                ip6.ip6_hlim = 64;
                ip6.ip6_src = src->in6.sin6_addr;
                ip6.ip6_dst = dst->in6.sin6_addr;

                sum = nf_csum_pseudo6(&ip6.ip6_src, &ip6.ip6_dst, sizeof(tcp), IPPROTO_TCP);
                memcpy(buf, &ip6, iplen);
        } else
                return -EAFNOSUPPORT;

        tcp.th_sum = nf_csum_fold(nf_csum_add(sum, &tcp, sizeof(tcp)));

        memcpy(buf + iplen, &tcp, sizeof(tcp));
        return (int) (iplen + sizeof(tcp));
}

int nf_tickle_send(const union nf_sockaddr *src, const union nf_sockaddr *dst, uint32_t seq, uint32_t ack,
                   bool rst, char *err, size_t errlen) {
        char s1[INET6_ADDRSTRLEN + 8], s2[INET6_ADDRSTRLEN + 8];
        union nf_sockaddr to = *dst;
        uint8_t pkt[128];
        socklen_t tolen;
        int fd, n, r;

        n = nf_tickle_build(pkt, sizeof(pkt), src, dst, seq, ack, rst);
        if (n < 0) {
                nf_seterr(err, errlen,
                          "Cannot send a TCP segment from %s to %s: addresses of different families",
                          nf_sockaddr_to_string(src, s1, sizeof(s1)),
                          nf_sockaddr_to_string(dst, s2, sizeof(s2)));
                return n;
        }
        /* IPPROTO_RAW implies IP_HDRINCL (and IPV6_HDRINCL since Linux 4.5): we send our own header,
         * so the source may be an address the routing would not pick. The port of a raw socket's
         * destination address must be 0 (IPv6 takes it as the protocol). */
        fd = socket(src->sa.sa_family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        if (fd < 0) {
                r = -errno;
                nf_seterr(err, errlen, "Cannot send a TCP segment from %s to %s: raw socket: %s",
                          nf_sockaddr_to_string(src, s1, sizeof(s1)),
                          nf_sockaddr_to_string(dst, s2, sizeof(s2)), strerror(-r));
                return r;
        }
        if (to.sa.sa_family == AF_INET) {
                to.in.sin_port = 0;
                tolen = sizeof(to.in);
        } else {
                to.in6.sin6_port = 0;
                tolen = sizeof(to.in6);
        }
        if (sendto(fd, pkt, (size_t) n, 0, &to.sa, tolen) < 0) {
                r = -errno;
                nf_seterr(err, errlen, "Cannot send a TCP segment from %s to %s: %s",
                          nf_sockaddr_to_string(src, s1, sizeof(s1)),
                          nf_sockaddr_to_string(dst, s2, sizeof(s2)), strerror(-r));
                close(fd);
                return r;
        }
        close(fd);
        return 0;
}

int nf_tickle(const union nf_sockaddr *server, const union nf_sockaddr *client, unsigned count, char *err,
              size_t errlen) {
        for (unsigned i = 0; i < count; i++) {
                int r = nf_tickle_send(server, client, 0, 0, false, err, errlen);
                if (r < 0)
                        return r;
        }
        return 0;
}
