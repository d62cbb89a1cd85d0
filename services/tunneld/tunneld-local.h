#pragma once

/*
 * tunneld's local data plane (docs/architecture.md, "Local data plane") on the
 * shared local server (common/local-server.h): tunnel.sock for clients on this
 * node (libctdb-client). After HELLO they get one LINK frame per peer, then send
 * REGISTER/DEREGISTER/MESSAGE and receive MESSAGE/LINK/ERROR. A client that does
 * not read loses messages (counted), it never blocks the daemon.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct tunneld_manager;
struct tunneld_local;
struct local_server;

#define LOCAL_CLIENTS_MAX 1024u
#define LOCAL_REGISTRATIONS_MAX 4096u /* srvids per client */
#define LOCAL_OUTQ_FRAMES_MAX 1024u   /* queued frames per client */
#define LOCAL_OUTQ_BYTES_MAX (4u * 1024u * 1024u)

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
