#pragma once

/*
 * A local data-plane server (docs/architecture.md, "Local data plane"): a
 * SOCK_SEQPACKET unix socket, one frame (common/wire.h) per packet, for clients
 * on this node, or a SOCK_STREAM one of another protocol (struct
 * local_stream_ops). What every such socket needs is here; the daemon adds what
 * its frames mean through callbacks:
 *   - bind: a stale socket of a dead daemon is removed (a live one is refused with
 *     -EADDRINUSE), parent directories are created, the socket is 0600 from the
 *     start;
 *   - accept: the client must run as root or as our euid (SO_PEERCRED), at most
 *     clients_max at a time;
 *   - HELLO: the server sends its own at once (ops->hello builds it), the client's
 *     must come first and be of our major version; then ops->connected;
 *   - receive: packets are taken in batches (sock-batch.h), at most
 *     LOCAL_RECV_ROUNDS batches per client per wake-up so that one busy client
 *     cannot starve the others; every frame after HELLO goes to ops->frame;
 *   - send: frames that do not fit the socket are queued per client, bounded by
 *     frames and bytes; beyond that they are dropped (counted, logged once per
 *     stretch): a client that does not read never blocks the daemon.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "wire.h"

struct local_server;
struct local_client;

/* Batches taken from one client per wake-up before others get a turn. */
#define LOCAL_RECV_ROUNDS 4u

/*
 * A byte-stream protocol instead of the data plane's frames (CTDB's client
 * socket, ctdbd.socket): SOCK_STREAM, no HELLO, packets cut by the protocol's
 * own length field. Packets are read in bulk into a per-client buffer and
 * handed over whole. A client whose output queue overflows is disconnected,
 * not dropped from: a stream cannot lose a packet and stay in step.
 */
struct local_stream_ops {
        size_t header_size;             /* bytes packet_length() needs */
        size_t packet_max;              /* largest packet accepted */
        /* The length of the packet at buf, whose first header_size bytes are there. */
        size_t (*packet_length)(const uint8_t *buf);
        /* One whole packet (header_size <= len <= packet_max). Negative closes the client. */
        int (*packet)(struct local_client *c, const uint8_t *buf, size_t len, void *userdata);
};

struct local_server_ops {
        /* NULL: the data plane's SOCK_SEQPACKET frames with HELLO; else a stream protocol. */
        const struct local_stream_ops *stream;
        /* This side's HELLO, sent to each client as it connects (frames only). */
        void (*hello)(void *userdata, struct wire_hello *ret);
        /* The client's HELLO was accepted (a stream client: it connected). Negative closes it. May be NULL. */
        int (*connected)(struct local_client *c, void *userdata);
        /*
         * One frame after HELLO; the header is checked (length == packet length),
         * the payload is not. Negative closes the client: -EBADMSG is logged as a
         * malformed frame, anything else as refused.
         */
        int (*frame)(struct local_client *c, const struct wire_header *h, const uint8_t *payload, size_t len,
                     void *userdata);
        /* The client is going away (its memory still valid). May be NULL. */
        void (*disconnected)(struct local_client *c, void *userdata);
        /* Around the frames of one wake-up (e.g. to cork links). Both may be NULL. */
        void (*receive_begin)(void *userdata);
        void (*receive_end)(void *userdata);
};

struct local_server_limits {
        unsigned clients_max;
        unsigned outq_frames_max; /* queued frames per client */
        size_t outq_bytes_max;    /* queued bytes per client */
};

/*
 * Binds path and starts accepting on event; the server is a talloc child of
 * mem_ctx and freeing it closes every client and removes the socket file.
 * ops and limits must outlive the server. path NULL: no socket, clients come
 * only through local_server_add_client() (tests, fuzzers).
 */
int local_server_new(void *mem_ctx, sd_event *event, const char *path, const struct local_server_ops *ops,
                     const struct local_server_limits *limits, void *userdata, struct local_server **ret);

/*
 * Takes a connected socket as a client (fd owned from now on, also on error),
 * as accept does after its checks; the server's HELLO is sent at once. For
 * tests and fuzzers, which hand in one end of a socketpair.
 */
int local_server_add_client(struct local_server *s, int fd, pid_t pid, uid_t uid, struct local_client **ret);

/*
 * Handles one received packet of c as the receive path does. Negative means the
 * client is to be closed (the caller frees it); for fuzzers.
 */
int local_client_feed(struct local_client *c, const uint8_t *packet, size_t len);

/* Closes a client now (calls ops->disconnected). */
void local_client_free(struct local_client *c);

/* Per-client data of the daemon (NULL until set). */
void local_client_set_userdata(struct local_client *c, void *userdata);
void *local_client_get_userdata(struct local_client *c);
pid_t local_client_pid(const struct local_client *c);
/* The client's talloc context: what is allocated on it goes with the client. */
void *local_client_ctx(struct local_client *c);

/*
 * Sends one frame: a packed header and its payload (the header's length must
 * match). Queued if the socket is full, dropped (counted) if the queue is full.
 */
void local_client_send(struct local_client *c, const uint8_t hdr[WIRE_HEADER_SIZE], const uint8_t *payload,
                       size_t payload_len);
/*
 * Sends one packed frame (header + payload, len bytes) with fd passed along as
 * SCM_RIGHTS; fd stays the caller's (a queued frame holds a duplicate). 0 sent
 * or queued (or the client is dead, which its read side handles), -ENOBUFS
 * dropped (queue full), -EMSGSIZE larger than the socket takes, -errno.
 */
int local_client_send_fd(struct local_client *c, const uint8_t *frame, size_t len, int fd);
/*
 * Packs h (kind from desc unless desc's is 0, length set here) and msg and sends
 * them; -EMSGSIZE above 256 payload bytes: for control frames.
 */
int local_client_send_msg(struct local_client *c, struct wire_header *h, const struct wire_desc *desc,
                          const void *msg);
/*
 * Sends one packet of a stream protocol (len bytes). Queued as far as the
 * socket does not take it; a full queue disconnects the client (-ENOBUFS).
 */
int local_client_send_bytes(struct local_client *c, const uint8_t *buf, size_t len);
/* Sends one packed frame to every client past HELLO. */
void local_server_broadcast(struct local_server *s, const uint8_t hdr[WIRE_HEADER_SIZE],
                            const uint8_t *payload, size_t payload_len);

unsigned local_server_n_clients(const struct local_server *s);
