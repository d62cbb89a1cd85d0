/*
 * What a peer's frames mean: the HELLO/AUTH handshake, then heartbeats, messages
 * and tunnels of an up link. See tunneld-conn.h and docs/architecture.md ("Links").
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "talloc-util.h"
#include "tunneld-conn.h"
#include "tunneld-hmac.h"
#include "tunneld-local.h"

/* ---- handshake -------------------------------------------------------- */

int conn_send_hello(struct conn *c) {
        struct tunneld_manager *m = c->manager;
        struct wire_hello hello;
        int r;

        tunneld_manager_hello(m, &hello);
        /* A zero nonce says "no key here", so a key mismatch of that kind is named in the log. */
        if (m->psk) {
                r = hmac_random(c->nonce, sizeof(c->nonce));
                if (r < 0)
                        return r;
        }
        memcpy(hello.nonce, c->nonce, sizeof(c->nonce));
        /* Says what this connection is for; an accepted one learns it from the peer's HELLO. */
        if (c->channel_out)
                hello.channel = c->channel;
        c->state = CONN_HELLO;
        return conn_queue_msg(c, &wire_hello_desc, 0, &hello);
}

static void conn_up(struct conn *c) {
        struct tunneld_manager *m = c->manager;
        struct link *l = c->link;
        uint64_t now = now_usec(m);

        if (c->channel) {
                channel_ready(c);
                return;
        }
        c->state = CONN_UP;
        c->last_rx_usec = now;
        /* From now on the manager's heartbeat tick keeps the time of this connection. */
        (void) sd_event_source_set_enabled(c->timer_source, SD_EVENT_OFF);

        if (c->pending) {
                conn_pending_remove(c);

                /* The peer restarted and reconnected before our side noticed: the new one wins. */
                if (l->conn)
                        conn_end(l->conn, CONN_END_CLOSED, 0, "replaced by a new connection from the peer");
                talloc_steal(l, c);
                l->conn = c;
        }

        l->up = true;
        l->peer_minor = c->peer_minor;
        l->backoff_usec = LINK_BACKOFF_MIN_USEC;
        link_heartbeat_arm(m);

        char pnn_field[32], addr_field[80];
        snprintf(pnn_field, sizeof(pnn_field), "CTDB_PNN=%u", l->pnn);
        snprintf(addr_field, sizeof(addr_field), "CTDB_PEER_ADDRESS=%s", l->address);
        const char *extra[] = { pnn_field, addr_field, NULL };
        log_event(LOG_NOTICE, CTDB_MESSAGE_LINK_UP, extra, "Link to node %u (%s) is up.", l->pnn,
                  l->address);

        tunneld_manager_link_changed(m, l, true);
}

int conn_reject(struct conn *c, const char *fmt, const char *detail) {
        char text[256], pnn_field[32], addr_field[80];

        snprintf(text, sizeof(text), fmt, detail);
        snprintf(pnn_field, sizeof(pnn_field), "CTDB_PNN=%u", c->link ? c->link->pnn : CTDB_PNN_NONE);
        snprintf(addr_field, sizeof(addr_field), "CTDB_PEER_ADDRESS=%s", c->address);
        const char *extra[] = { pnn_field, addr_field, NULL };
        if (tunneld_manager_reject_log_allowed(c->manager))
                log_event(LOG_WARNING, CTDB_MESSAGE_PEER_REJECTED, extra, "Refused peer %s: %s", c->address,
                          text);
        tunneld_manager_count_rejected_peer(c->manager);
        return -EPERM;
}

static bool nonce_is_zero(const uint8_t n[WIRE_NONCE_SIZE]) {
        uint8_t acc = 0;

        for (size_t i = 0; i < WIRE_NONCE_SIZE; i++)
                acc |= n[i];
        return acc == 0;
}

/*
 * The handlers of conn_frame_handlers[]. Each returns 0, -EBADMSG for a malformed
 * or unexpected frame, -EPERM for a refused peer, or another error (cannot answer);
 * all negative ones close the connection.
 */
static int conn_handle_hello(void *userdata, const struct wire_header *h, const void *msg,
                             const uint8_t *payload, size_t len) {
        struct conn *c = userdata;
        struct tunneld_manager *m = c->manager;
        const struct wire_hello *hello = msg;
        char detail[96];
        int r;

        if (c->state != CONN_HELLO)
                return -EBADMSG;
        r = wire_hello_check(hello);
        if (r == -EPROTONOSUPPORT) {
                snprintf(detail, sizeof(detail), "it speaks protocol %u.%u, we speak %u.%u", hello->major,
                         hello->minor, WIRE_VERSION_MAJOR, WIRE_VERSION_MINOR);
                return conn_reject(c, "%s", detail);
        }
        if (r < 0)
                return conn_reject(c, "%s", "its HELLO has a wrong magic number");
        if (hello->pnn != c->link->pnn) {
                snprintf(detail, sizeof(detail), "it says it is node %u, but its address is node %u's",
                         hello->pnn, c->link->pnn);
                return conn_reject(c, "%s", detail);
        }
        c->peer_minor = hello->minor;
        /*
         * Either node may open a channel, but only the lower pnn opens the link: a
         * connection is known to be a channel only now, so the rule is checked here.
         */
        if (c->pending) {
                c->channel = hello->channel;
                if (!c->channel && c->link->outgoing)
                        return conn_reject(c, "%s", "a node with a higher pnn must wait for our connection");
        }

        if (!m->psk) {
                if (!nonce_is_zero(hello->nonce))
                        return conn_reject(c, "%s", "it requires a pre-shared key and we have none");
                conn_up(c);
                return 0;
        }
        if (nonce_is_zero(hello->nonce))
                return conn_reject(c, "%s", "it has no pre-shared key configured and we require one");

        struct wire_auth auth;
        hmac_auth_compute(m->psk, m->psk_len, hello->nonce, m->pnn, auth.mac);
        c->state = CONN_AUTH;
        return conn_queue_msg(c, &wire_auth_desc, 0, &auth);
}

static int conn_handle_auth(void *userdata, const struct wire_header *h, const void *msg,
                            const uint8_t *payload, size_t len) {
        struct conn *c = userdata;
        struct tunneld_manager *m = c->manager;
        const struct wire_auth *auth = msg;
        uint8_t expected[WIRE_MAC_SIZE];

        if (c->state != CONN_AUTH)
                return -EBADMSG;
        hmac_auth_compute(m->psk, m->psk_len, c->nonce, c->link->pnn, expected);
        if (!hmac_auth_equal(expected, auth->mac))
                return conn_reject(c, "%s", "wrong pre-shared key");
        conn_up(c);
        return 0;
}

static int conn_handle_heartbeat(void *userdata, const struct wire_header *h, const void *msg,
                                 const uint8_t *payload, size_t len) {
        struct conn *c = userdata;

        return c->state == CONN_UP ? 0 : -EBADMSG;
}

static int conn_handle_message(void *userdata, const struct wire_header *h, const void *msg,
                               const uint8_t *payload, size_t len) {
        struct conn *c = userdata;
        struct tunneld_manager *m = c->manager;
        struct wire_header fwd = *h;

        if (c->state != CONN_UP)
                return -EBADMSG;
        /* Messages are never relayed: one for another node was sent to the wrong link. */
        if (h->dst != m->pnn && h->dst != CTDB_PNN_ALL)
                return 0;
        fwd.src = c->link->pnn;
        tunneld_manager_deliver_local(m, &fwd, payload, len);
        return 0;
}

/*
 * A TUNNEL for this node (or all) goes to its local owner; without one the
 * sender hears it back over this link as TUNNEL_ERROR (ESRCH, this node, the
 * id), so a tunnel frame is never dropped in silence.
 */
static int conn_handle_tunnel(void *userdata, const struct wire_header *h, const void *msg,
                              const uint8_t *payload, size_t len) {
        struct conn *c = userdata;
        struct tunneld_manager *m = c->manager;
        struct wire_header fwd = *h;
        struct wire_error e = { .error = ESRCH, .request_kind = WIRE_KIND_TUNNEL, .srvid = h->srvid };
        int r;

        if (c->state != CONN_UP)
                return -EBADMSG;
        if (h->dst != m->pnn && h->dst != CTDB_PNN_ALL)
                return 0; /* never relayed, as messages */
        fwd.src = c->link->pnn;
        r = m->local ? tunneld_local_tunnel_deliver(m->local, &fwd, payload, len) : -ESRCH;
        if (r != -ESRCH)
                return r;
        e.dst = m->pnn;
        r = conn_queue_msg(c, &wire_tunnel_error_desc, h->srvid, &e);
        /* A full queue: the peer does not read, and its silence will end the link. */
        return r == -ENOBUFS ? 0 : r;
}

/* The answer to one of our TUNNELs: the node that had no owner is the peer itself. */
static int conn_handle_tunnel_error(void *userdata, const struct wire_header *h, const void *msg,
                                    const uint8_t *payload, size_t len) {
        struct conn *c = userdata;
        struct tunneld_manager *m = c->manager;
        struct wire_error e = *(const struct wire_error *) msg;

        if (c->state != CONN_UP)
                return -EBADMSG;
        if (h->dst != m->pnn || e.error <= 0)
                return 0;
        e.dst = c->link->pnn;
        /* Our owner of the id went away since it sent: nobody is left to tell. */
        if (m->local)
                (void) tunneld_local_tunnel_error(m->local, &e);
        return 0;
}

/* The acceptor's verdict on a channel we opened; tunneld-channel.c acts on it once the loop stops. */
static int conn_handle_channel_fd(void *userdata, const struct wire_header *h, const void *msg,
                                  const uint8_t *payload, size_t len) {
        struct conn *c = userdata;
        const struct wire_channel_fd *v = msg;

        if (c->state != CONN_CHANNEL_WAIT)
                return -EBADMSG;
        c->channel_error = v->error < 0 ? EPROTO : v->error;
        c->state = CONN_HANDOFF;
        return 0;
}

static const struct wire_handler conn_frame_handlers[] = {
        { WIRE_KIND_HELLO, &wire_hello_desc, conn_handle_hello },
        { WIRE_KIND_AUTH, &wire_auth_desc, conn_handle_auth },
        { WIRE_KIND_HEARTBEAT, &wire_heartbeat_desc, conn_handle_heartbeat },
        { WIRE_KIND_MESSAGE, &wire_message_desc, conn_handle_message },
        { WIRE_KIND_TUNNEL, &wire_tunnel_desc, conn_handle_tunnel },
        { WIRE_KIND_TUNNEL_ERROR, &wire_tunnel_error_desc, conn_handle_tunnel_error },
        { WIRE_KIND_CHANNEL_FD, &wire_channel_fd_desc, conn_handle_channel_fd },
};

/* A payload that does not unpack and a kind not in the table both close the link (-EBADMSG). */
int conn_handle_frame(struct conn *c, const struct wire_header *h, const uint8_t *payload, size_t len) {
        int r = wire_dispatch(conn_frame_handlers, ELEMENTSOF(conn_frame_handlers), NULL, h, payload, len,
                              c);

        return r == -ENOMSG ? -EBADMSG : r;
}
