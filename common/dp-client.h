#pragma once

/*
 * A daemon's connection to ctdb-tunneld's data plane (tunnel.sock), on sd-event:
 * libctdb-client underneath, plus what every daemon needs around it. It connects
 * from the loop, retries with backoff (100 ms doubling to 2 s) while tunneld is
 * not there and after it goes away, registers the daemon's srvids again on every
 * connection, and hands frames to the daemon only after libctdb-client's read
 * loop has returned (an inbox), so a handler may send, and may even lose the
 * connection, safely. clusterd is its first user; dbd, ipd and monitord use it too.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "ctdb-client.h"

struct dp_client;

struct dp_client_ops {
        /*
         * tunneld answered: this node is pnn, with n_nodes slots. Negative refuses
         * the connection (it is dropped and tried again after the backoff).
         */
        int (*connected)(void *userdata, uint32_t pnn, uint32_t n_nodes);
        /* The connection to tunneld is gone (error < 0); reconnecting has been scheduled. */
        void (*disconnected)(void *userdata, int error);
        /* A message for one of the registered srvids. data lives until the handler returns. */
        void (*message)(void *userdata, uint32_t src, uint64_t srvid, const uint8_t *data, size_t len);
        /* A frame on a tunnel id the daemon owns. data lives until the handler returns. May be NULL. */
        void (*tunnel)(void *userdata, uint32_t src, uint64_t tunnel_id, const uint8_t *data, size_t len);
        /* A link came up or went down; once per peer right after connecting. */
        void (*link)(void *userdata, uint32_t pnn, bool connected);
        /* A request tunneld accepted failed later (ctdb_error_fn of ctdb-client.h). May be NULL. */
        void (*error)(void *userdata, int error, enum ctdb_client_request request, uint64_t srvid,
                      uint32_t dst);
        /*
         * A channel to or from node pnn for tunnel_id (ctdb_channel_fn of ctdb-client.h):
         * fd >= 0 is the handler's from then on, fd < 0 a negative errno of a failed
         * dp_client_open_channel(). pending lives until the handler returns. May be
         * NULL (fds are closed). An fd still in the inbox when the connection to
         * tunneld drops is closed, never handed over.
         */
        void (*channel)(void *userdata, uint32_t pnn, uint64_t tunnel_id, int fd, const uint8_t *pending,
                        size_t pending_len);
};

/*
 * The socket path a daemon gives dp_client_new(): NULL (libctdb-client's
 * default) when $CTDB_TUNNEL_SOCKET is set or run_dir is NULL, else
 * <run_dir>/tunnel.sock on mem_ctx.
 */
char *dp_client_socket_path(void *mem_ctx, const char *run_dir);

/*
 * A client on mem_ctx for the socket at path (NULL: libctdb-client's default,
 * $CTDB_TUNNEL_SOCKET or /run/ctdb/tunnel.sock). Nothing happens until
 * dp_client_start(). ops must outlive the client.
 */
int dp_client_new(void *mem_ctx, sd_event *event, const char *path, const struct dp_client_ops *ops,
                  void *userdata, struct dp_client **ret);

/* Registers srvid now (if connected) and on every later connection. */
int dp_client_register(struct dp_client *c, uint64_t srvid);

/*
 * Owns tunnel_id now (if connected) and on every later connection; a refusal
 * (-EADDRINUSE: another process owns it here) comes through ops->error.
 */
int dp_client_register_tunnel(struct dp_client *c, uint64_t tunnel_id);
/* The first connection attempt, from the loop. */
int dp_client_start(struct dp_client *c);

bool dp_client_is_connected(const struct dp_client *c);

/*
 * Sends a message (ctdb_client_send()); -ENOTCONN while tunneld is not connected.
 * When its socket is full the frame waits in a queue (in order with later ones)
 * until it drains; -ENOBUFS when 16 MiB wait already.
 */
int dp_client_send(struct dp_client *c, uint32_t dst, uint64_t srvid, const void *data, size_t len);
/* Sends on an owned tunnel id (ctdb_client_send_tunnel()); queued and refused as dp_client_send(). */
int dp_client_send_tunnel(struct dp_client *c, uint32_t dst, uint64_t tunnel_id, const void *data,
                          size_t len);
/*
 * Asks tunneld for a channel to the owner of tunnel_id (owned by this daemon) on
 * pnn (ctdb_client_open_channel()); the outcome comes through ops->channel.
 * -ENOTCONN while tunneld is not connected, -EAGAIN when its socket is full.
 */
int dp_client_open_channel(struct dp_client *c, uint32_t pnn, uint64_t tunnel_id);
