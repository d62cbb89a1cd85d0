#pragma once

/*
 * Tickle ACKs (CTDB's "tickle"): after a takeover the new node has no socket
 * for a client's TCP connection. An ACK with sequence 0 from the public
 * address makes the client answer with an ACK carrying its real sequence
 * numbers; this node's kernel, having no socket for it, answers that with a
 * RST the client accepts, so the client reconnects at once instead of waiting
 * for its retransmission timeout.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

union nf_sockaddr {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
};

/* "192.0.2.1:445" or "[2001:db8::1]:445". Returns 0 or -EINVAL. */
int nf_sockaddr_from_string(const char *s, union nf_sockaddr *ret);
const char *nf_sockaddr_to_string(const union nf_sockaddr *sa, char *buf, size_t len);

/* Builds the IP+TCP packet (exposed for tests). Returns its length or a negative errno. */
int nf_tickle_build(uint8_t *buf, size_t len, const union nf_sockaddr *src, const union nf_sockaddr *dst,
                    uint32_t seq, uint32_t ack, bool rst);

/*
 * Sends one TCP segment from src to dst through a raw socket: ACK with seq and
 * ack, and RST too when rst. Both addresses must be of one family.
 */
int nf_tickle_send(const union nf_sockaddr *src, const union nf_sockaddr *dst, uint32_t seq, uint32_t ack,
                   bool rst, char *err, size_t errlen);

/*
 * The tickle of a connection: count ACKs with seq 0 and ack 0 from the public
 * address/port (server) to the client address/port. Returns 0 or a negative errno.
 */
int nf_tickle(const union nf_sockaddr *server, const union nf_sockaddr *client, unsigned count, char *err,
              size_t errlen);
