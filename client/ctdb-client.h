#pragma once

/*
 * libctdb-client: the data-plane API of ctdb-remix for applications and for the
 * daemons themselves. It speaks the local socket of ctdb-tunneld (SOCK_SEQPACKET,
 * default /run/ctdb/tunnel.sock, overridden by $CTDB_TUNNEL_SOCKET): register a
 * srvid, send a message to one node or all, receive messages and link events;
 * or own a tunnel id and exchange frames with the owners of the same id on
 * other nodes, with every undeliverable frame reported back (see below).
 *
 * Plain C types, no talloc and no event loop in this API: poll ctdb_client_fd()
 * for POLLIN and call ctdb_client_process(). All functions are thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTDB_CLIENT_PNN_ALL  UINT32_C(0xffffffff)

typedef struct ctdb_client ctdb_client;

typedef void (*ctdb_message_fn)(ctdb_client *c, uint32_t src_pnn, uint64_t srvid, const void *data,
                                size_t len, void *userdata);
typedef void (*ctdb_link_fn)(ctdb_client *c, uint32_t pnn, bool connected, void *userdata);
typedef void (*ctdb_tunnel_fn)(ctdb_client *c, uint32_t src_pnn, uint64_t tunnel_id, const void *data,
                               size_t len, void *userdata);

/* The request an error is about (the values of the wire kinds). */
enum ctdb_client_request {
        CTDB_CLIENT_REQUEST_MESSAGE = 4,
        CTDB_CLIENT_REQUEST_TUNNEL = 5,
        CTDB_CLIENT_REQUEST_REGISTER = 16,
        CTDB_CLIENT_REQUEST_DEREGISTER = 17,
        CTDB_CLIENT_REQUEST_TUNNEL_REGISTER = 20,
        CTDB_CLIENT_REQUEST_TUNNEL_DEREGISTER = 21,
        CTDB_CLIENT_REQUEST_CHANNEL = 22,
};

/*
 * A request that tunneld accepted from the socket failed later, e.g. a send to a
 * node whose link is down (-ENOTCONN), an unknown node (-ENOENT), a full send
 * queue (-ENOBUFS), too many registrations (-ENOSPC). error is a negative errno;
 * request, srvid and dst are those of the failed request (for a tunnel: srvid
 * is the tunnel id, dst the node that could not take the frame).
 */
typedef void (*ctdb_error_fn)(ctdb_client *c, int error, enum ctdb_client_request request, uint64_t srvid,
                              uint32_t dst, void *userdata);

/* The socket path used when none is given. */
const char *ctdb_client_default_socket(void);

/*
 * Connects and exchanges versions (blocking, bounded by a 5 s timeout).
 * path NULL = default. -ENOENT/-ECONNREFUSED when tunneld is not running,
 * -EPROTONOSUPPORT when its major version differs.
 */
int ctdb_client_connect(const char *path, ctdb_client **ret);
void ctdb_client_free(ctdb_client *c);

/* A non-blocking fd to poll for POLLIN. */
int ctdb_client_fd(ctdb_client *c);
/* This node's pnn, as tunneld told it in HELLO. */
uint32_t ctdb_client_pnn(ctdb_client *c);
/* Configured node slots, as tunneld told it in HELLO. */
uint32_t ctdb_client_n_nodes(ctdb_client *c);

void ctdb_client_set_message_handler(ctdb_client *c, ctdb_message_fn fn, void *userdata);
/* Called once per peer right after connect (current state) and on every change. */
void ctdb_client_set_link_handler(ctdb_client *c, ctdb_link_fn fn, void *userdata);

/*
 * Errors of requests come back asynchronously, through ctdb_client_process().
 * Without a handler they are discarded.
 */
void ctdb_client_set_error_handler(ctdb_client *c, ctdb_error_fn fn, void *userdata);

int ctdb_client_register(ctdb_client *c, uint64_t srvid);
int ctdb_client_deregister(ctdb_client *c, uint64_t srvid);

/*
 * The largest message (data bytes) ctdb_client_send() accepts. A message crosses
 * tunnel.sock as one packet, which must fit the socket's send buffer on both
 * sides; without CAP_NET_ADMIN that buffer is capped by net.core.wmem_max, and
 * ctdb-tunneld normally runs without it. So the client sizes its buffer the way
 * an unprivileged tunneld does and reads back what the kernel granted: with the
 * default wmem_max (208 KiB, doubled by the kernel) about 416 KiB, at most the
 * wire frame limit (1 MiB less the headers). Raise net.core.wmem_max on every
 * node to send larger messages.
 */
size_t ctdb_client_max_message(ctdb_client *c);

/*
 * Queues a message for dst_pnn (CTDB_CLIENT_PNN_ALL: every connected node but
 * this one; this node's own pnn: local delivery). -EAGAIN when the socket is
 * full (poll for POLLOUT and retry), -EMSGSIZE above ctdb_client_max_message().
 * Failures after the message was queued (no link to dst_pnn, ...) go to the
 * error handler.
 */
int ctdb_client_send(ctdb_client *c, uint32_t dst_pnn, uint64_t srvid, const void *data, size_t len);

/*
 * Tunnels: a tunnel id has exactly one owner per node; frames on it go from the
 * owner on one node to the owner on another, and one that cannot be delivered
 * comes back through the error handler, never dropped in silence:
 *   -EADDRINUSE  (TUNNEL_REGISTER) the id has an owner on this node already;
 *   -ENOSPC      (TUNNEL_REGISTER) too many tunnel ids for this client;
 *   -EPERM       (TUNNEL) this client does not own the id;
 *   -ENOENT      (TUNNEL) dst is not a node;
 *   -ENOTCONN    (TUNNEL) no link to dst;
 *   -ENOBUFS     (TUNNEL) dst's send queue is full;
 *   -ESRCH       (TUNNEL) nobody owns the id on dst (reported by dst's tunneld,
 *                so it arrives after a round trip).
 * The ids are released when the client deregisters or disconnects.
 */
int ctdb_client_register_tunnel(ctdb_client *c, uint64_t tunnel_id);
int ctdb_client_deregister_tunnel(ctdb_client *c, uint64_t tunnel_id);
/* Frames for the tunnel ids this client owns. */
void ctdb_client_set_tunnel_handler(ctdb_client *c, ctdb_tunnel_fn fn, void *userdata);
/*
 * Sends on a tunnel id this client owns to the owner of the id on dst_pnn
 * (CTDB_CLIENT_PNN_ALL: on every connected node but this one, each node without
 * an owner answering -ESRCH; this node's pnn: to the owner here, the client
 * itself). Returns as ctdb_client_send(); later failures go to the error handler.
 */
int ctdb_client_send_tunnel(ctdb_client *c, uint32_t dst_pnn, uint64_t tunnel_id, const void *data,
                            size_t len);

/*
 * Channels: a TCP connection of the client's own to the owner of a tunnel id on
 * another node, set up and authenticated by the two tunnelds (the same HELLO and
 * pre-shared key challenge as their links), then handed to both owners. Over it
 * both sides speak the links' framing: a 32-byte wire header (common/wire.h;
 * kind TUNNEL, src/dst/srvid filled in by the sender) and its payload, nothing
 * else; tunneld is out of the path from then on.
 *
 * ctdb_client_open_channel() asks for one to the owner of tunnel_id (which this
 * client must own here, else -EPERM comes through the error handler with
 * CTDB_CLIENT_REQUEST_CHANNEL) on node pnn. The answer comes later through the
 * channel handler, once: fd >= 0 the connected socket, or fd < 0 a negative
 * errno: -ENOENT pnn is not a node (or is this one), -ENOTCONN no link to pnn,
 * -EOPNOTSUPP pnn's tunneld has no channels (an older minor version), -ESRCH
 * nobody owns tunnel_id on pnn, -ETIMEDOUT the handshake did not finish within
 * the heartbeat timeout, -EBUSY too many channels being set up at once,
 * -ECONNRESET/-ECONNREFUSED/-EACCES the connection failed or was refused.
 * The owner of tunnel_id on pnn gets the other end through its channel handler,
 * unasked, with pnn = this node: that is the only way it learns of a channel.
 *
 * fd is non-blocking, close-on-exec and belongs to the handler from then on
 * (without a handler the library closes it). pending (pending_len bytes, valid
 * during the call) is what tunneld had already read from the socket past the
 * handshake: the start of the peer's stream, to be parsed before anything read
 * from fd. A channel has no heartbeats of its own: close it when the link to pnn
 * goes down (the link handler), as tunneld's heartbeats are what tells a node
 * is gone; a closed channel does not affect the link.
 */
typedef void (*ctdb_channel_fn)(ctdb_client *c, uint32_t pnn, uint64_t tunnel_id, int fd,
                                const void *pending, size_t pending_len, void *userdata);
void ctdb_client_set_channel_handler(ctdb_client *c, ctdb_channel_fn fn, void *userdata);
/* Asks for a channel (see above); returns as ctdb_client_send(), the outcome goes to the handler. */
int ctdb_client_open_channel(ctdb_client *c, uint32_t pnn, uint64_t tunnel_id);

/*
 * Reads every frame that is waiting and calls the handlers. Returns the number
 * of frames handled (0 = nothing waiting), -ECONNRESET when tunneld went away.
 */
int ctdb_client_process(ctdb_client *c);
