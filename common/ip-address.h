#pragma once

/*
 * The project's one IP address type and its one parser: node addresses (nodes,
 * ctdb.conf, tunneld), public addresses and the kernel side of failover
 * (netfilter) all read and write addresses here, so that what one part accepts
 * the others accept too. An address carries a prefix length: ADDRESS/PREFIX
 * for public addresses, interface addresses and networks; a bare address is a
 * host (32 or 128). No allocation, no logging: netfilter links this alone.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* "ADDRESS/PREFIX" at most, NUL included: INET6_ADDRSTRLEN + "/128". */
#define CTDB_IP_STRLEN (INET6_ADDRSTRLEN + 4)

struct ctdb_ip {
        int family;                     /* AF_INET or AF_INET6 */
        union {
                struct in_addr in;
                struct in6_addr in6;
                uint8_t bytes[16];
        } u;
        unsigned prefixlen;             /* 0..32 or 0..128 */
};

/* Flags of ctdb_ip_from_string() and ctdb_ip_from_sockaddr(). */
enum {
        /* ::ffff:a.b.c.d is the IPv4 address a.b.c.d, as CTDB's ip_from_string() reads it. */
        CTDB_IP_MAP_V4 = 1u << 0,
};

/*
 * One IPv4 or IPv6 address and nothing around it (no prefix, port, scope or
 * blanks); prefixlen becomes the full length. 0 or -EINVAL.
 */
int ctdb_ip_from_string(const char *s, unsigned flags, struct ctdb_ip *ret);
/* A prefix length of family: decimal digits only, 0..32 or 0..128. 0, -EINVAL or -ERANGE. */
int ctdb_ip_prefixlen_from_string(const char *s, int family, unsigned *ret);
/*
 * "203.0.113.10/24", "2001:db8::10/64" or a bare address (full length, and
 * *ret_prefix_given false). An IPv4-mapped address stays IPv6. 0 or -EINVAL.
 */
int ctdb_ip_prefix_from_string(const char *s, struct ctdb_ip *ret, bool *ret_prefix_given);
/* Writes "ADDRESS/PREFIX" (with_prefix) or "ADDRESS" to buf (CTDB_IP_STRLEN bytes suffice); returns buf. */
const char *ctdb_ip_to_string(const struct ctdb_ip *a, bool with_prefix, char *buf, size_t len);

/* Bytes of the address (4 or 16) and bits of a full prefix (32 or 128); 0 for another family. */
size_t ctdb_ip_len(const struct ctdb_ip *a);
unsigned ctdb_ip_family_bits(int family);
/* Same family and address; the prefix is not compared. */
bool ctdb_ip_equal(const struct ctdb_ip *a, const struct ctdb_ip *b);
/* Orders by family, then address, for sorting (prefix not compared). */
int ctdb_ip_compare(const struct ctdb_ip *a, const struct ctdb_ip *b);
bool ctdb_ip_is_unspecified(const struct ctdb_ip *a);
bool ctdb_ip_is_v4_mapped(const struct ctdb_ip *a);

/* The socket address of a with port (host order); returns its length. */
socklen_t ctdb_ip_to_sockaddr(const struct ctdb_ip *a, uint16_t port, struct sockaddr_storage *ret);
/*
 * The address of an AF_INET or AF_INET6 socket address of at least its
 * family's length (CTDB_IP_MAP_V4: a dual-stack socket's ::ffff:a.b.c.d is
 * IPv4). 0, or -EAFNOSUPPORT for anything else.
 */
int ctdb_ip_from_sockaddr(const struct sockaddr *sa, socklen_t len, unsigned flags, struct ctdb_ip *ret);
