#pragma once

/*
 * One peer link (docs/architecture.md, "Links"): a TCP connection per node pair,
 * opened by the lower pnn, accepted by the higher one; HELLO both ways, then AUTH
 * when a pre-shared key is configured; then heartbeats and messages. A link owns
 * at most one established connection ("conn"); accepted connections stay pending,
 * owned by the manager, until their handshake succeeds, so a stranger cannot
 * knock down a working link by connecting from a node's address.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "wire.h"

struct tunneld_manager;
struct conn;

/* Bounded send queue per connection (bytes); beyond it a send fails with ENOBUFS. */
#define LINK_SENDQ_MAX (16u * 1024u * 1024u)
#define LINK_BACKOFF_MIN_USEC (100u * 1000u)
#define LINK_BACKOFF_MAX_USEC (2000u * 1000u)

struct link {
        struct tunneld_manager *manager;
        uint32_t pnn;
        const char *address;        /* textual, from nodes */
        struct sockaddr_storage sa; /* peer address with the tunnel port */
        socklen_t sa_len;
        bool outgoing; /* we connect (our pnn is lower) */

        struct conn *conn; /* current connection, or NULL */
        bool up;           /* conn completed its handshake */
        uint16_t peer_minor; /* the peer's minor version, from the HELLO of conn */

        uint64_t tx_bytes;
        uint64_t rx_bytes;

        uint64_t backoff_usec;
        sd_event_source *reconnect_source;
};

int link_new(struct tunneld_manager *m, uint32_t pnn, struct link **ret);
/* Closes the link (and any connection from its peer still in the handshake) and frees it. */
void link_free(struct link *l);

/* Starts connecting if this side connects; the passive side just waits. */
int link_start(struct link *l);

/*
 * Queues one frame (header + payload, the header's length is set here) on an up
 * link and writes it unless the manager is corked. -ENOTCONN if the link is not
 * up, -ENOBUFS if its queue is full.
 */
int link_send(struct link *l, struct wire_header *h, const void *payload, size_t payload_len);

/* Writes what is queued (after a cork). */
void link_flush(struct link *l);

/*
 * Feeds bytes to a connection's receive path as if one recv() after another had
 * read them. Negative: the connection was ended (and freed) for that reason.
 * For fuzzers; the daemon reads its sockets itself.
 */
int conn_feed(struct conn *c, const uint8_t *data, size_t len);

/* Takes an accepted TCP connection (fd is owned from now on, also on error). */
void link_accept(struct tunneld_manager *m, int fd, const struct sockaddr *sa, socklen_t sa_len);

