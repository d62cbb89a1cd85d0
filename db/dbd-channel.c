/*
 * Direct channels to the other nodes' dbd (docs/architecture.md, "Channels").
 * Record traffic through tunneld costs two more process wake-ups per leg
 * (dbd -> tunneld -> tunneld -> dbd); tunneld can instead hand each dbd a TCP
 * connection to a peer that it opened and authenticated itself (HELLO, the
 * pre-shared key), after which the two dbds speak link frames (TUNNEL kind) on
 * it directly. tunneld keeps owning links, keys and heartbeats: when its link
 * to a node goes down, dbd closes its channels to that node too.
 *
 * Each side sends only on the channel it asked for, so the frames one node
 * sends another stay in order; it reads from every channel it has. Without a
 * channel (not open yet, refused, closed) frames go through tunneld as before,
 * and a new one is asked for after a backoff.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "ctdb-srvid.h"
#include "dbd-internal.h"
#include "dp-client.h"
#include "event-util.h"
#include "list.h"
#include "log.h"
#include "talloc-util.h"

#define READ_CHUNK (64u * 1024u)
/* Bytes queued on one channel before sends fall back to tunneld (which has its own bound). */
#define WRITE_MAX (8u * 1024u * 1024u)
#define REOPEN_MIN_USEC (100 * 1000ull)
#define REOPEN_MAX_USEC (5 * 1000 * 1000ull)

struct dbd_channel {
        struct dbd_channel *next, *prev;
        dbd_manager *m;
        uint32_t pnn;
        bool outgoing;                  /* this side asked for it: frames to pnn go here */
        int fd;
        sd_event_source *io;
        uint32_t io_events;
        uint8_t *rbuf;
        size_t rlen;
        uint8_t *wbuf;
        size_t wlen, woff;
        bool in_io;                     /* its io callback runs: a loss frees it afterwards */
        bool lost;
};

/* Per peer: the channel frames go on, and when to ask again. */
struct dbd_peer_channel {
        struct dbd_channel *out;
        bool asked;
        uint64_t backoff_usec;
        uint64_t next_usec;
};

static void channel_free(struct dbd_channel *ch);

static int channel_destructor(struct dbd_channel *ch) {
        dbd_manager *m = ch->m;

        ch->io = sd_event_source_disable_unref(ch->io);
        if (ch->fd >= 0)
                close(ch->fd);
        LIST_REMOVE(m->channels, ch);
        if (ch->outgoing && ch->pnn < m->n_peer_channels && m->peer_channels[ch->pnn].out == ch)
                m->peer_channels[ch->pnn].out = NULL;
        return 0;
}

static void channel_free(struct dbd_channel *ch) {
        talloc_free(ch);
}

static struct dbd_peer_channel *peer_of(dbd_manager *m, uint32_t pnn) {
        if (pnn >= DBD_MAX_NODES)
                return NULL;
        if (pnn >= m->n_peer_channels) {
                struct dbd_peer_channel *a;
                uint32_t n = pnn + 1;

                a = talloc_realloc(m, m->peer_channels, struct dbd_peer_channel, n);
                if (!a)
                        return NULL;
                memset(a + m->n_peer_channels, 0, (n - m->n_peer_channels) * sizeof(*a));
                m->peer_channels = a;
                m->n_peer_channels = n;
        }
        return &m->peer_channels[pnn];
}

/* Frames are whole link frames: the header names the tunnel; the channel names the node. */
static int channel_process(struct dbd_channel *ch) {
        size_t off = 0;
        int r = 0;

        while (!ch->lost && ch->rlen - off >= WIRE_HEADER_SIZE) {
                struct wire_header h;

                r = wire_header_unpack(ch->rbuf + off, WIRE_FRAME_MAX, &h);
                if (r < 0)
                        break;
                if (ch->rlen - off < h.length)
                        break;
                if (h.kind != WIRE_KIND_TUNNEL || h.srvid != CTDB_TUNNEL_DBD) {
                        r = -EBADMSG;
                        break;
                }
                /* TUNNEL's payload: u32 length + data (the tunnel description). */
                {
                        struct wire_message msg;
                        int q = wire_unpack(&wire_tunnel_desc, NULL, ch->rbuf + off + WIRE_HEADER_SIZE,
                                            h.length - WIRE_HEADER_SIZE, &msg);

                        if (q < 0) {
                                r = q;
                                break;
                        }
                        dbd_manager_frame(ch->m, ch->pnn, msg.data, msg.data_len);
                }
                off += h.length;
        }
        if (off > 0) {
                memmove(ch->rbuf, ch->rbuf + off, ch->rlen - off);
                ch->rlen -= off;
        }
        return r;
}

static int channel_read(struct dbd_channel *ch) {
        for (;;) {
                size_t want_room;
                ssize_t n;
                int r;

                if (!ch->rbuf || talloc_get_size(ch->rbuf) - ch->rlen < READ_CHUNK) {
                        size_t want = ch->rlen + READ_CHUNK;
                        uint8_t *b;

                        if (want > WIRE_FRAME_MAX + READ_CHUNK)
                                return -EMSGSIZE;
                        b = talloc_realloc(ch, ch->rbuf, uint8_t, want);
                        if (!b)
                                return -ENOMEM;
                        ch->rbuf = b;
                }
                want_room = talloc_get_size(ch->rbuf) - ch->rlen;
                n = recv(ch->fd, ch->rbuf + ch->rlen, want_room, MSG_DONTWAIT);
                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                if (n == 0)
                        return -ECONNRESET;
                ch->rlen += (size_t) n;
                r = channel_process(ch);
                if (r < 0 || ch->lost)
                        return r;
                /* Short of the room it had: drained. (epoll wakes the loop for what comes next.) */
                if ((size_t) n < want_room)
                        return 0;
        }
}

static int channel_flush(struct dbd_channel *ch) {
        while (ch->woff < ch->wlen) {
                ssize_t n =
                        send(ch->fd, ch->wbuf + ch->woff, ch->wlen - ch->woff, MSG_DONTWAIT | MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return -errno;
                }
                ch->woff += (size_t) n;
        }
        if (ch->woff == ch->wlen)
                ch->woff = ch->wlen = 0;
        event_source_set_io_events_cached(ch->io, &ch->io_events, EPOLLIN | (ch->wlen ? EPOLLOUT : 0));
        return 0;
}

static void channel_lost(struct dbd_channel *ch, int error) {
        dbd_manager *m = ch->m;
        struct dbd_peer_channel *pc = ch->outgoing ? peer_of(m, ch->pnn) : NULL;

        if (ch->lost)
                return;
        ch->lost = true;
        log_info_errno(error, "Channel to node %" PRIu32 " closed: %m; record traffic goes through tunneld",
                       ch->pnn);
        if (pc) {
                pc->backoff_usec = pc->backoff_usec ? pc->backoff_usec * 2 : REOPEN_MIN_USEC;
                if (pc->backoff_usec > REOPEN_MAX_USEC)
                        pc->backoff_usec = REOPEN_MAX_USEC;
                if (pc->out == ch)
                        pc->out = NULL;
        }
        /* A handler of a frame read from it sent on it: its reader frees it when it returns. */
        if (!ch->in_io)
                channel_free(ch);
}

static int on_channel_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct dbd_channel *ch = userdata;
        int r = 0;

        ch->in_io = true;
        if (revents & EPOLLOUT)
                r = channel_flush(ch);
        if (r >= 0 && !ch->lost && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                r = channel_read(ch);
        ch->in_io = false;
        if (r < 0)
                channel_lost(ch, r);
        else if (ch->lost)
                channel_free(ch);
        return 0;
}

void dbd_channel_received(dbd_manager *m, uint32_t pnn, uint64_t tunnel_id, int fd, const uint8_t *pending,
                          size_t pending_len) {
        struct dbd_peer_channel *pc = peer_of(m, pnn);
        struct dbd_channel *ch;
        bool outgoing = pc && pc->asked;
        int r;

        if (pc && outgoing)
                pc->asked = false;
        if (fd < 0) {
                if (pc) {
                        pc->backoff_usec = pc->backoff_usec ? pc->backoff_usec * 2 : REOPEN_MIN_USEC;
                        if (pc->backoff_usec > REOPEN_MAX_USEC)
                                pc->backoff_usec = REOPEN_MAX_USEC;
                }
                log_debug_errno(fd, "No channel to node %" PRIu32 ": %m", pnn);
                return;
        }
        if (tunnel_id != CTDB_TUNNEL_DBD || !pc || pnn == m->pnn) {
                close(fd);
                return;
        }
        ch = talloc_zero(m, struct dbd_channel);
        if (!ch) {
                close(fd);
                return (void) log_oom();
        }
        ch->m = m;
        ch->pnn = pnn;
        ch->fd = fd;
        LIST_PREPEND(m->channels, ch);
        talloc_set_destructor(ch, channel_destructor);
        ch->io_events = EPOLLIN;
        r = sd_event_add_io(m->event, &ch->io, fd, EPOLLIN, on_channel_io, ch);
        if (r >= 0 && pending_len > 0) {
                ch->rbuf = talloc_memdup(ch, pending, pending_len);
                if (!ch->rbuf)
                        r = -ENOMEM;
                ch->rlen = pending_len;
                if (r >= 0)
                        r = channel_process(ch);
        }
        if (r < 0) {
                log_warning_errno(r, "Failed to take the channel from node %" PRIu32 ": %m", pnn);
                channel_free(ch);
                return;
        }
        /* A peer's channel is read from; the one this side asked for is also sent on. */
        if (outgoing) {
                if (pc->out)
                        channel_free(pc->out);
                ch->outgoing = true;
                pc->out = ch;
                pc->backoff_usec = 0;
                log_info("Channel to node %" PRIu32 " is up: record traffic goes direct", pnn);
        }
}

void dbd_channel_want(dbd_manager *m, uint32_t pnn) {
        struct dbd_peer_channel *pc;
        uint64_t now = 0;

        if (pnn == m->pnn || !(pc = peer_of(m, pnn)) || pc->out || pc->asked)
                return;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (now < pc->next_usec)
                return;
        if (dp_client_open_channel(m->dp, pnn, CTDB_TUNNEL_DBD) < 0)
                return;
        pc->asked = true;
        pc->next_usec = now + pc->backoff_usec;
}

void dbd_channel_drop(dbd_manager *m, uint32_t pnn) {
        struct dbd_channel *ch, *next;

        for (ch = m->channels; ch; ch = next) {
                next = ch->next;
                if (pnn != CTDB_PNN_ALL && ch->pnn != pnn)
                        continue;
                if (ch->outgoing && ch->pnn < m->n_peer_channels && m->peer_channels[ch->pnn].out == ch)
                        m->peer_channels[ch->pnn].out = NULL;
                if (ch->in_io)
                        ch->lost = true;
                else
                        channel_free(ch);
        }
        if (pnn == CTDB_PNN_ALL) {
                for (uint32_t i = 0; i < m->n_peer_channels; i++)
                        m->peer_channels[i].asked = false;
        } else if (pnn < m->n_peer_channels) {
                m->peer_channels[pnn].asked = false;
        }
}

int dbd_channel_send(dbd_manager *m, uint32_t pnn, const uint8_t *data, size_t len) {
        struct dbd_peer_channel *pc = pnn < m->n_peer_channels ? &m->peer_channels[pnn] : NULL;
        struct dbd_channel *ch = pc ? pc->out : NULL;
        struct wire_header h = { .src = m->pnn, .dst = pnn, .srvid = CTDB_TUNNEL_DBD };
        struct wire_message tm = { .data = data, .data_len = (uint32_t) len };
        size_t need = WIRE_HEADER_SIZE + wire_payload_size(&wire_tunnel_desc, &tm);
        int r;

        if (!ch) {
                dbd_channel_want(m, pnn);
                return -ENOTCONN;
        }
        if (ch->wlen + need > WRITE_MAX)
                return -ENOBUFS;
        /* Queued behind what the socket did not take yet, then written at once if it is alone. */
        if (!ch->wbuf || talloc_get_size(ch->wbuf) < ch->wlen + need) {
                uint8_t *b = talloc_realloc(ch, ch->wbuf, uint8_t, ch->wlen + need);

                if (!b)
                        return -ENOMEM;
                ch->wbuf = b;
        }
        r = wire_frame_pack(&h, &wire_tunnel_desc, &tm, ch->wbuf + ch->wlen, need);
        if (r < 0)
                return r;
        ch->wlen += (size_t) r;
        r = channel_flush(ch);
        if (r < 0) {
                channel_lost(ch, r);
                return -ENOTCONN;
        }
        return 0;
}
