/* Channels: set-up, verdict and hand-over of direct connections; see tunneld-channel.h. */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "list.h"
#include "local-server.h"
#include "log.h"
#include "talloc-util.h"
#include "tunneld-channel.h"
#include "tunneld-conn.h"
#include "tunneld-local.h"

/* Everything read past the handshake fits one CHANNEL_FD: the handshake never grows the buffer. */
_Static_assert(CONN_RBUF_SIZE <= WIRE_CHANNEL_PENDING_MAX, "pending bytes of a channel");
_Static_assert(CONN_HANDSHAKE_FRAME_MAX <= CONN_RBUF_SIZE, "handshake frames fit the buffer");

int tunneld_channel_open(struct tunneld_manager *m, struct local_client *requester, uint32_t dst,
                         uint64_t id) {
        struct link *l = tunneld_manager_get_link(m, dst);
        struct conn *c;
        int r;

        if (!l)
                return -ENOENT;
        if (!l->up)
                return -ENOTCONN;
        /* A minor-0 peer would take the connection for a new link and drop its current one. */
        if (l->peer_minor < 1)
                return -EOPNOTSUPP;
        if (id == 0)
                return -EINVAL;
        if (m->n_channels >= MANAGER_CHANNELS_MAX)
                return -EBUSY;

        r = conn_connect(l, m, &c);
        if (r < 0)
                return r;
        c->channel = id;
        c->channel_out = true;
        c->requester = requester;
        LIST_PREPEND(m->channels, c);
        m->n_channels++;
        /* A failure here already answered the requester (channel_failed()). */
        conn_start(c);
        return 0;
}

void tunneld_channel_client_gone(struct tunneld_manager *m, struct local_client *requester) {
        for (struct conn *c = m->channels, *next; c; c = next) {
                next = c->next;
                if (c->requester == requester)
                        talloc_free(c);
        }
}

void channel_ready(struct conn *c) {
        c->state = c->outgoing ? CONN_CHANNEL_WAIT : CONN_HANDOFF;
}

/* CHANNEL_FD to a local client; -errno if it could not be sent (its queue is full). */
static int channel_tell(struct tunneld_manager *m, struct local_client *lc, struct conn *c, int error,
                        const uint8_t *pending, size_t len, int fd) {
        if (!m->local)
                return -ESRCH;
        return tunneld_local_send_channel(m->local, lc, c->link->pnn, c->channel, error, pending, len, fd);
}

void channel_failed(struct conn *c, enum conn_end how, int error) {
        int e = error < 0 ? -error : error;

        /* The peer refused us (conn_reject()): not the requester's own EPERM. */
        if (e == EPERM || (e == 0 && how == CONN_END_REJECTED))
                e = EACCES;
        else if (e == EBADMSG)
                e = EPROTO;
        else if (e == 0 || e == EPIPE)
                e = ECONNRESET;
        if (c->channel_out && c->requester)
                (void) channel_tell(c->manager, c->requester, c, e, NULL, 0, -1);
        talloc_free(c);
}

/* The acceptor's side: verdict to the requester first, so the owner's first bytes come after it. */
static void channel_accept(struct conn *c, const uint8_t *pending, size_t len) {
        struct tunneld_manager *m = c->manager;
        struct local_client *owner = m->local ? tunneld_local_tunnel_owner(m->local, c->channel) : NULL;
        struct wire_channel_fd verdict = { .pnn = m->pnn, .error = owner ? 0 : ESRCH };
        int r;

        r = conn_queue_msg(c, &wire_channel_fd_desc, c->channel, &verdict);
        if (r >= 0 && (c->write_error < 0 || c->wlen > 0))
                r = c->write_error < 0 ? c->write_error : -ENOBUFS;
        if (r < 0 || !owner) {
                log_debug("Channel from node %u for tunnel id 0x%" PRIx64 " refused: %s.", c->link->pnn,
                          c->channel, owner ? strerror(-r) : "no owner here");
                talloc_free(c);
                return;
        }
        r = channel_tell(m, owner, c, 0, pending, len, c->fd);
        if (r < 0)
                /* The requester sees the channel close at once. */
                log_warning_errno(r,
                                  "Cannot hand a channel from node %u (tunnel id 0x%" PRIx64
                                  ") to its owner (pid %d): %m",
                                  c->link->pnn, c->channel, (int) local_client_pid(owner));
        talloc_free(c);
}

void channel_handoff(struct conn *c, const uint8_t *pending, size_t len) {
        int r;

        if (len > WIRE_CHANNEL_PENDING_MAX) {
                channel_failed(c, CONN_END_CLOSED, -EMSGSIZE);
                return;
        }
        if (!c->outgoing) {
                channel_accept(c, pending, len);
                return;
        }
        if (c->channel_error != 0) {
                channel_failed(c, CONN_END_CLOSED, -c->channel_error);
                return;
        }
        r = c->requester ? channel_tell(c->manager, c->requester, c, 0, pending, len, c->fd) : -ESRCH;
        if (r < 0)
                log_warning_errno(r,
                                  "Cannot hand a channel to node %u (tunnel id 0x%" PRIx64
                                  ") to the client that asked: %m",
                                  c->link->pnn, c->channel);
        talloc_free(c);
}
