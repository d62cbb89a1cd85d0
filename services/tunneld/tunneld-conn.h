#pragma once

/*
 * Inside a peer link: one TCP connection (struct conn) as tunneld-link.c (I/O,
 * framing, timers, queue) and tunneld-peer.c (what the frames mean) share it.
 * Private to those two files.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "tunneld-link.h"
#include "tunneld-manager.h"
#include "wire.h"

/* Receive buffer kept while idle; a bigger one (for a large frame) is dropped after use. */
#define CONN_RBUF_SIZE (64u * 1024u)
#define CONN_WBUF_KEEP (64u * 1024u)
/* Timer slack: heartbeats are 100 ms apart by default, sd-event's default slack is 250 ms. */
#define CONN_TIMER_ACCURACY_USEC 1000u
/* Before the handshake only HELLO and AUTH are valid: a stranger cannot make us buffer 1 MiB. */
#define CONN_HANDSHAKE_FRAME_MAX 4096u

enum conn_state {
        CONN_CONNECTING,
        CONN_HELLO, /* HELLO sent, waiting for the peer's */
        CONN_AUTH,  /* AUTH sent, waiting for the peer's */
        CONN_UP,
        /* Channel connections (tunneld-channel.c) never reach CONN_UP: */
        CONN_CHANNEL_WAIT, /* requester: handshake done, waiting for the acceptor's CHANNEL_FD */
        CONN_HANDOFF,      /* ready to be handed to its owner; the receive loop stops here */
};

/* How a connection ended; decides what is counted and how loudly it is logged. */
enum conn_end {
        CONN_END_CLOSED,    /* I/O error, timeout, closed by the peer */
        CONN_END_BAD_FRAME, /* malformed frame: BadFrames */
        CONN_END_REJECTED,  /* failed the admission rules: RejectedPeers */
};

struct conn {
        struct tunneld_manager *manager;
        struct link *link;        /* the node this connection is (or claims to be) */
        struct conn *next, *prev; /* in manager->pending while pending, manager->channels if channel_out */
        bool pending;             /* accepted, in manager->pending, not yet link->conn */
        bool outgoing;
        uint16_t peer_minor;      /* from the peer's HELLO */

        /*
         * A channel connection (tunnel id; 0 = a link's). Accepted ones are pending
         * too; ours are in manager->channels for the local client that asked.
         */
        uint64_t channel;
        bool channel_out;
        struct local_client *requester;
        int32_t channel_error; /* the acceptor's verdict (positive errno) */

        int fd;
        sd_event_source *io_source;
        sd_event_source *timer_source;
        uint32_t io_events;
        enum conn_state state;
        char address[INET6_ADDRSTRLEN];

        uint8_t nonce[WIRE_NONCE_SIZE];

        uint64_t last_rx_usec;
        uint64_t heartbeat_seq;
        bool sent_since_tick; /* a frame was queued since the last heartbeat tick: no heartbeat due */

        uint8_t *rbuf;
        size_t rlen, rcap;
        uint8_t *wbuf;
        size_t woff, wlen, wcap;
        int write_error;
        bool dirty; /* queued while corked */
};

static inline uint64_t now_usec(struct tunneld_manager *m) {
        uint64_t t = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

static inline uint64_t heartbeat_interval_usec(struct tunneld_manager *m) {
        return (uint64_t) m->config->heartbeat_interval_ms * 1000u;
}

static inline uint64_t heartbeat_timeout_usec(struct tunneld_manager *m) {
        return (uint64_t) m->config->heartbeat_timeout_ms * 1000u;
}

/* tunneld-link.c */
/* A new connection to l (socket, bind to our nodes address, connect), a talloc child of parent. */
int conn_connect(struct link *l, void *parent, struct conn **ret);
/* Sends HELLO if conn_connect() connected at once (else that happens when the connect completes). */
void conn_start(struct conn *c);
/*
 * Ends a connection. A pending one just goes away; the link's own one takes the
 * link down (if it was up) and, on the connecting side, schedules a reconnect.
 */
void conn_end(struct conn *c, enum conn_end how, int error, const char *reason);
void conn_pending_remove(struct conn *c);
void conn_set_timer(struct conn *c, uint64_t usec);
/*
 * (Re)arms the manager's heartbeat timer for the links that are up now: the
 * next tick, or an earlier deadline; off while no link is up.
 */
void link_heartbeat_arm(struct tunneld_manager *m);
/* Queues one control frame of desc to the peer (written unless corked). */
int conn_queue_msg(struct conn *c, const struct wire_desc *desc, uint64_t srvid, const void *msg);

/* tunneld-peer.c */
/* Logs (rate-limited) and counts a refused peer; returns -EPERM. */
int conn_reject(struct conn *c, const char *fmt, const char *detail);
/* Sends our HELLO (with a fresh challenge when a key is set). */
int conn_send_hello(struct conn *c);
/*
 * Acts on one received frame. 0, or negative to close: -EBADMSG malformed or
 * unexpected, -EPERM peer refused, else cannot answer.
 */
int conn_handle_frame(struct conn *c, const struct wire_header *h, const uint8_t *payload, size_t len);

/* tunneld-channel.c */
/* A channel connection finished its handshake (from conn_up()). */
void channel_ready(struct conn *c);
/*
 * Hands a CONN_HANDOFF connection to its owner with the len bytes read past the
 * handshake, or tells the requester why not. Frees c.
 */
void channel_handoff(struct conn *c, const uint8_t *pending, size_t len);
/* A channel connection failed (from conn_end()): the requester hears why. Frees c. */
void channel_failed(struct conn *c, enum conn_end how, int error);
