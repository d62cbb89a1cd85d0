#pragma once

/*
 * Announcing a public address after a takeover: gratuitous ARP for IPv4 and
 * unsolicited neighbour advertisement for IPv6, sent as raw Ethernet frames
 * over AF_PACKET, so the address need not be configured (or past DAD) yet.
 */

#include <stddef.h>
#include <stdint.h>

#include "nf-addr.h"

/* Which ARP forms to send per round (IPv4 only); CTDB sends both. */
enum {
        NF_ARP_REQUEST = 1u << 0,
        NF_ARP_REPLY = 1u << 1,
};

/* Frame builders (exposed for tests): return the frame length, or -ENOBUFS. */
int nf_announce_build_arp(uint8_t *buf, size_t len, const uint8_t mac[6], const struct in_addr *ip,
                          uint16_t op);
int nf_announce_build_na(uint8_t *buf, size_t len, const uint8_t mac[6], const struct in6_addr *ip);

/*
 * Sends count rounds on ifname, interval_usec apart (no wait after the last).
 * A round is one ARP frame per form in arp_forms (0 means NF_ARP_REQUEST) for
 * IPv4, or one unsolicited NA for IPv6. Blocks for (count-1)*interval_usec.
 * Returns the number of frames sent, or a negative errno with err naming the
 * address and interface.
 */
/*
 * The same on a packet socket the caller keeps (from nf_announce_socket(), fd
 * >= 0), or on one opened and closed for this call (fd < 0). Keeping one
 * matters to a daemon: closing a packet socket waits for an RCU grace period
 * (synchronize_net(), about 8 ms measured), longer than the burst itself.
 */
int nf_announce_socket(void);
int nf_announce_fd(int fd, const char *ifname, const struct ctdb_ip *a, unsigned count,
                   unsigned interval_usec, unsigned arp_forms, char *err, size_t errlen);
int nf_announce(const char *ifname, const struct ctdb_ip *a, unsigned count, unsigned interval_usec,
                unsigned arp_forms, char *err, size_t errlen);
