#pragma once

/*
 * What both halves of libctdb-client (tunnel.sock in ctdb-client.c, db.sock in
 * ctdb-db.c) do the same way on a local data-plane socket: connect with the
 * HELLO exchange of common/local-server.h, and send one frame per packet.
 * Internal to client/, not installed.
 */

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Bound of connect() and of the wait for the server's HELLO. */
#define CLIENT_CONNECT_TIMEOUT_SEC 5

/*
 * Sends header (packed here, length set from len) and payload as one packet.
 * -EMSGSIZE above WIRE_FRAME_MAX, -EAGAIN when a non-blocking send would block,
 * -ECONNRESET when the server is gone.
 */
int client_send_frame(int fd, struct wire_header *h, const uint8_t *payload, size_t len, int flags);

/*
 * Connects a SOCK_SEQPACKET socket to path, sizes its buffers, exchanges HELLO
 * (blocking, each step bounded by CLIENT_CONNECT_TIMEOUT_SEC) and leaves it
 * non-blocking. buf (WIRE_FRAME_MAX + 1 bytes) receives the server's HELLO.
 * *ret_max_packet: the largest packet the socket sends; *ret_hello: the
 * server's HELLO, checked. -ETIMEDOUT, -EPROTO (not a HELLO),
 * -EPROTONOSUPPORT (another major version), or what connect() says.
 */
int client_socket_connect(const char *path, uint8_t *buf, int *ret_fd, size_t *ret_max_packet,
                          struct wire_hello *ret_hello);
