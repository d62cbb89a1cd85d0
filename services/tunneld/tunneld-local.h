#pragma once

/*
 * tunneld's local data plane (docs/architecture.md, "Local data plane") on the
 * shared local server (common/local-server.h): tunnel.sock for clients on this
 * node (libctdb-client). After HELLO they get one LINK frame per peer, then send
 * REGISTER/DEREGISTER/MESSAGE and receive MESSAGE/LINK/ERROR. A client that does
 * not read loses messages (counted), it never blocks the daemon.
 *
 * Tunnels (TUNNEL_REGISTER/TUNNEL_DEREGISTER/TUNNEL) are point to point: one
 * owner per tunnel id on this node, and a TUNNEL that cannot be delivered comes
 * back to its sender as an ERROR naming the node (dst) and the id (srvid):
 *   EADDRINUSE  TUNNEL_REGISTER of an id that has an owner here (also the caller);
 *   ENOSPC      more than LOCAL_TUNNELS_MAX ids for one client;
 *   EPERM       TUNNEL on an id the sender does not own here;
 *   ENOENT      TUNNEL to an unknown or deleted node;
 *   ENOTCONN    TUNNEL to a node whose link is down;
 *   ENOBUFS     the link's send queue is full;
 *   ESRCH       nobody owns the id on the destination node (this one, or a peer
 *               that answered with TUNNEL_ERROR).
 * CHANNEL (tunneld-channel.h) needs the id owned here too (else ERROR EPERM); its
 * outcome comes back as CHANNEL_FD.
 * CTDB_PNN_ALL sends to every connected node but this one; each of them without
 * an owner answers with its own ESRCH, a full queue gives ENOBUFS for its node.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct tunneld_manager;
struct tunneld_local;
struct local_server;

#define LOCAL_CLIENTS_MAX       1024u
#define LOCAL_REGISTRATIONS_MAX 4096u /* srvids per client */
#define LOCAL_TUNNELS_MAX       1024u /* tunnel ids per client */
#define LOCAL_OUTQ_FRAMES_MAX   1024u /* queued frames per client */
#define LOCAL_OUTQ_BYTES_MAX    (4u * 1024u * 1024u)

/*
 * Binds path (removing a stale socket, creating the directory) and starts
 * accepting; a talloc child of m. path NULL: no socket (fuzzers add clients
 * through tunneld_local_server()).
 */
int tunneld_local_new(struct tunneld_manager *m, const char *path, struct tunneld_local **ret);

/* The generic server underneath, for tests and fuzzers. */
struct local_server *tunneld_local_server(struct tunneld_local *t);

/* Sends a MESSAGE to every client registered for h->srvid. */
void tunneld_local_deliver(struct tunneld_local *t, const struct wire_header *h, const uint8_t *payload,
                           size_t payload_len);
/* Tells every client that the link to pnn came up or went down. */
void tunneld_local_link_changed(struct tunneld_local *t, uint32_t pnn, bool up);

/*
 * Hands a TUNNEL (h->src its source, h->srvid the id) to this node's owner of
 * the id. -ESRCH if nobody owns it.
 */
int tunneld_local_tunnel_deliver(struct tunneld_local *t, const struct wire_header *h,
                                 const uint8_t *payload, size_t payload_len);
/*
 * A peer could not deliver a TUNNEL of ours (its TUNNEL_ERROR, e->dst the node,
 * e->srvid the id): tells this node's owner of the id with an ERROR frame.
 * -ESRCH if nobody owns the id here any more.
 */
int tunneld_local_tunnel_error(struct tunneld_local *t, const struct wire_error *e);

/* This node's owner of tunnel id id, or NULL. */
struct local_client *tunneld_local_tunnel_owner(struct tunneld_local *t, uint64_t id);
/*
 * CHANNEL_FD to lc: the channel with pnn for tunnel id id; error 0 passes fd
 * (still the caller's) and the pending bytes, else only the error (positive
 * errno). -errno when it could not be sent (local_client_send_fd()).
 */
int tunneld_local_send_channel(struct tunneld_local *t, struct local_client *lc, uint32_t pnn, uint64_t id,
                               int error, const uint8_t *pending, size_t len, int fd);
