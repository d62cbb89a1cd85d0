#pragma once

/*
 * The local data plane (docs/architecture.md, "Local data plane"): a SOCK_SEQPACKET
 * socket, one frame per packet, for clients on this node (libctdb-client). Clients
 * must run as root or as the daemon's user (SO_PEERCRED). After HELLO they get
 * one LINK frame per peer, then send REGISTER/DEREGISTER/MESSAGE and receive
 * MESSAGE/LINK/ERROR. A client that does not read loses messages (counted),
 * it never blocks the daemon.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct tunneld_manager;
struct local_server;

#define LOCAL_CLIENTS_MAX 1024u
#define LOCAL_REGISTRATIONS_MAX 4096u /* srvids per client */
#define LOCAL_OUTQ_FRAMES_MAX 1024u   /* queued frames per client */
#define LOCAL_OUTQ_BYTES_MAX (4u * 1024u * 1024u)

/* Binds path (removing a stale socket, creating the directory) and starts accepting. */
int local_server_new(struct tunneld_manager *m, const char *path, struct local_server **ret);

/* Sends a MESSAGE to every client registered for h->srvid. */
void local_server_deliver(struct local_server *s, const struct wire_header *h, const uint8_t *payload,
                          size_t payload_len);
/* Tells every client that the link to pnn came up or went down. */
void local_server_link_changed(struct local_server *s, uint32_t pnn, bool up);

