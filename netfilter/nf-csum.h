#pragma once

/*
 * The Internet checksum (RFC 1071) of the packets netfilter/ builds itself
 * (announcements, tickles): a 32-bit running sum of 16-bit big-endian words,
 * folded and inverted at the end.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

static inline uint32_t nf_csum_add(uint32_t sum, const void *data, size_t len) {
        const uint8_t *p = data;

        for (; len > 1; p += 2, len -= 2)
                sum += (uint32_t) (p[0] << 8 | p[1]);
        if (len)
                sum += (uint32_t) (p[0] << 8);
        return sum;
}

/* The checksum field's value, in network byte order. */
static inline uint16_t nf_csum_fold(uint32_t sum) {
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return htons((uint16_t) ~sum);
}

/* The sum over the IPv6 pseudo header (RFC 8200 section 8.1) of an upper-layer packet of len bytes;
 * src and dst are 16-byte addresses, possibly unaligned (in a packed frame). */
static inline uint32_t nf_csum_pseudo6(const void *src, const void *dst, uint32_t len,
                                       uint8_t proto) {
        uint32_t sum = 0, tmp;

        sum = nf_csum_add(sum, src, 16);
        sum = nf_csum_add(sum, dst, 16);
        tmp = htonl(len);
        sum = nf_csum_add(sum, &tmp, 4);
        tmp = htonl(proto);
        return nf_csum_add(sum, &tmp, 4);
}
