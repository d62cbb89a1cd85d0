#pragma once

/*
 * ctdbd.socket: CTDB 4.x's client protocol (ctdb-protocol.h) served on the
 * stream mode of common/local-server.c, for stock smbd, the stock ctdb tool
 * and CTDB's test programs (../shared/notes/ctdb-client-protocol.md).
 *
 * The server keeps what belongs to the socket: each client's pid, the srvids
 * it registered, the routing of messages between this node's clients, the
 * leader broadcast the ctdb tool waits for, and the controls that need only
 * the daemon's view of the cluster. Everything about databases, records and
 * other nodes goes to the daemon that links it, through struct
 * ctdb_server_ops; the daemon answers a request now or later with
 * ctdb_request_reply_control() / ctdb_request_reply_call().
 *
 * A control addressed to another node is handed to ops->forward; that node's
 * daemon runs it through its own server with ctdb_server_remote_control()
 * and sends the reply packet back, so every control is answered where the
 * node it names has the state (PROCESS_EXISTS on the holder's node, as ctdbd).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "ctdb-protocol.h"

struct ctdb_server;
struct ctdb_client;

/* What the controls answered by the server itself read, filled in by ops->view. */
struct ctdb_server_view {
        uint32_t pnn;        /* CTDB_UNKNOWN_PNN while unknown */
        uint32_t generation; /* CTDB_INVALID_GENERATION while none */
        bool recovering;
        uint32_t leader;                /* CTDB_UNKNOWN_PNN: none */
        uint32_t capabilities;          /* CTDB_CAP_* of this node */
        const struct ctdb_nodes *nodes; /* the nodes file: addresses */
        const uint32_t *flags;          /* per pnn, n_flags of them (CTDB_NODE_FLAG_*) */
        uint32_t n_flags;
        const uint32_t *vnnmap;
        uint32_t n_vnnmap;
        struct timeval last_recovery_started, last_recovery_finished;
};

/*
 * A control or call waiting for its answer. A talloc object: a request of a
 * client is its child (gone with the client), a forwarded one the server's;
 * the daemon hangs what it needs under it and answers exactly once (which
 * frees it), or frees it to drop it unanswered.
 */
struct ctdb_request {
        struct ctdb_server *server;
        struct ctdb_client *client; /* NULL for a control forwarded from another node */
        uint32_t src_pnn;           /* the node of the client that sent it */
        struct ctdb_pkt_header hdr;
        struct ctdb_req_control control; /* REQ_CONTROL (data points into packet) */
        struct ctdb_req_call call;       /* REQ_CALL (key and call data point into packet) */
        uint8_t *packet;                 /* a copy of the whole packet, owned by the request */
        size_t len;
};

struct ctdb_server_ops {
        /* The state the server's own controls read. */
        void (*view)(void *userdata, struct ctdb_server_view *ret);
        /*
         * A message to another node's clients: dst is a pnn other than this
         * node's, or CTDB_BROADCAST_* for every other node it reaches (the
         * server delivers to this node's clients itself). There it goes to
         * ctdb_server_deliver(). Nothing is answered; a node not reached loses it.
         */
        void (*send_message)(void *userdata, uint32_t dst, uint64_t srvid, const uint8_t *data, size_t len);
        /* A control for this node that the server does not answer itself. */
        void (*control)(void *userdata, struct ctdb_request *req);
        /* A control for node dst (another one): answered with the reply packet dst's server made. */
        void (*forward)(void *userdata, struct ctdb_request *req, uint32_t dst);
        /* A REQ_CALL: answered with ctdb_request_reply_call(). */
        void (*call)(void *userdata, struct ctdb_request *req);
        /*
         * Every message that reaches this node (from a client here or another
         * node), before this node's clients get it: what the daemon itself
         * answers (CTDB_SRVID_TAKEOVER_RUN). May be NULL.
         */
        void (*daemon_message)(void *userdata, uint32_t src_pnn, uint64_t srvid, const uint8_t *data,
                               size_t len);
        /*
         * A REQ_TUNNEL for node dst's client that registered tunnel_id (there:
         * ctdb_server_tunnel_deliver()). Nothing is answered; lost when it does
         * not get there. May be NULL (tunnels reach this node's clients only).
         */
        void (*send_tunnel)(void *userdata, uint32_t dst, uint64_t tunnel_id, uint32_t flags,
                            const uint8_t *data, size_t len);
        /* A client went away (its requests are freed after this). May be NULL. */
        void (*client_gone)(void *userdata, struct ctdb_client *c);
};

/*
 * Serves path (SOCK_STREAM, 0600, root and this uid only). path NULL: no
 * socket, clients come through ctdb_server_add_client() (tests).
 */
int ctdb_server_new(void *mem_ctx, sd_event *event, const char *path, const struct ctdb_server_ops *ops,
                    void *userdata, struct ctdb_server **ret);
/* Takes a connected stream socket as a client (tests and fuzzers). */
int ctdb_server_add_client(struct ctdb_server *s, int fd, pid_t pid, struct ctdb_client **ret);

/* A message from node src_pnn for this node's clients that registered srvid. */
void ctdb_server_deliver(struct ctdb_server *s, uint32_t src_pnn, uint64_t srvid, const uint8_t *data,
                         size_t len);

/* A REQ_TUNNEL from node src_pnn for the client here that registered tunnel_id (dropped if none did). */
void ctdb_server_tunnel_deliver(struct ctdb_server *s, uint32_t src_pnn, uint64_t tunnel_id, uint32_t flags,
                                const uint8_t *data, size_t len);

/*
 * A control that node src_pnn forwarded (its whole packet): run here as if a
 * client had sent it. answer runs exactly once, possibly before this returns:
 * with the reply packet, or with NULL when there is none to send (a NOREPLY
 * control, or one the daemon dropped). Negative (answer not called) for a
 * packet that is not a control.
 */
typedef void (*ctdb_remote_answer_fn)(void *userdata, const uint8_t *reply, size_t len);
int ctdb_server_remote_control(struct ctdb_server *s, uint32_t src_pnn, const uint8_t *packet, size_t len,
                               ctdb_remote_answer_fn answer, void *userdata);

/* The reply to a control: status, and data (status 0) or an error message (status != 0). Frees req. */
void ctdb_request_reply_control(struct ctdb_request *req, int32_t status, const uint8_t *data, size_t len,
                                const char *error);
/* ... with data packed from msg by desc. */
void ctdb_request_reply_payload(struct ctdb_request *req, const struct wire_desc *desc, const void *msg);
/* A control forwarded to another node: the reply packet it sent back, for the client. Frees req. */
void ctdb_request_reply_packet(struct ctdb_request *req, const uint8_t *packet, size_t len);
/* The reply to a REQ_CALL. Frees req. */
void ctdb_request_reply_call(struct ctdb_request *req, int32_t status, const uint8_t *data, size_t len);

pid_t ctdb_client_pid(const struct ctdb_client *c);
/* Whether a client of this node runs as pid (and, with srvid, registered it). */
bool ctdb_server_has_pid(struct ctdb_server *s, pid_t pid, bool check_srvid, uint64_t srvid);
unsigned ctdb_server_n_clients(const struct ctdb_server *s);
