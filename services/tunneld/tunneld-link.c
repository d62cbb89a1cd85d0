/*
 * Peer links: connection set-up, framing, heartbeat timers and the send queue;
 * what the frames mean is in tunneld-peer.c. See tunneld-link.h and
 * docs/architecture.md ("Links").
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event-util.h"
#include "list.h"
#include "log.h"
#include "talloc-util.h"
#include "tunneld-conn.h"
#include "tunneld-link.h"
#include "tunneld-manager.h"

static enum conn_end conn_end_kind(int r);
static void link_schedule_reconnect(struct link *l);

/* Formats "ADDRESS" or "[ADDRESS]" without port into buf. */
static const char *link_format_address(const struct sockaddr *sa, char *buf, size_t size) {
        const void *a = sa->sa_family == AF_INET6
                ? (const void *) &((const struct sockaddr_in6 *) sa)->sin6_addr
                : (const void *) &((const struct sockaddr_in *) sa)->sin_addr;
        if (!inet_ntop(sa->sa_family, a, buf, (socklen_t) size))
                snprintf(buf, size, "?");
        return buf;
}

void conn_pending_remove(struct conn *c) {
        struct tunneld_manager *m = c->manager;

        if (!c->pending)
                return;
        LIST_REMOVE(m->pending, c);
        m->n_pending--;
        c->pending = false;
}

static int conn_destructor(struct conn *c) {
        sd_event_source_disable_unref(c->io_source);
        sd_event_source_disable_unref(c->timer_source);
        if (c->fd >= 0)
                close(c->fd);
        conn_pending_remove(c);
        if (c->channel_out) {
                LIST_REMOVE(c->manager->channels, c);
                c->manager->n_channels--;
        }
        return 0;
}

static void conn_set_io_events(struct conn *c, uint32_t events) {
        event_source_set_io_events_cached(c->io_source, &c->io_events, events);
}

void conn_set_timer(struct conn *c, uint64_t usec) {
        (void) sd_event_source_set_time(c->timer_source, usec);
        (void) sd_event_source_set_enabled(c->timer_source, SD_EVENT_ON);
}

/* ---- sending ---------------------------------------------------------- */

/* Writes as much of the queue as the socket takes, in one syscall where possible. */
static void conn_flush(struct conn *c) {
        c->dirty = false;
        while (c->woff < c->wlen && c->write_error == 0) {
                ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                /* Closed from the io handler, never from inside a caller's send. */
                                c->write_error = -errno;
                        break;
                }
                c->woff += (size_t) n;
                /* A channel's handshake is not the link's traffic. */
                if (!c->channel)
                        c->link->tx_bytes += (uint64_t) n;
        }
        if (c->woff == c->wlen) {
                c->woff = c->wlen = 0;
                if (c->wcap > CONN_WBUF_KEEP) {
                        TALLOC_FREE(c->wbuf);
                        c->wcap = 0;
                }
        }
        if (c->state != CONN_CONNECTING)
                conn_set_io_events(c, EPOLLIN | (c->woff < c->wlen || c->write_error ? EPOLLOUT : 0));
}

/* Room for total more bytes at wbuf + wlen (compacting or growing the buffer). */
static int conn_reserve(struct conn *c, size_t total) {
        if (total > WIRE_FRAME_MAX)
                return -EMSGSIZE;
        if (c->wlen - c->woff + total > LINK_SENDQ_MAX)
                return -ENOBUFS;

        if (c->wcap - c->wlen < total && c->woff > 0) {
                memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
                c->wlen -= c->woff;
                c->woff = 0;
        }
        if (c->wcap - c->wlen < total) {
                size_t cap = c->wcap ? c->wcap * 2 : 16384;
                uint8_t *p;

                while (cap < c->wlen + total)
                        cap *= 2;
                p = talloc_realloc(c, c->wbuf, uint8_t, cap);
                if (!p)
                        return -ENOMEM;
                c->wbuf = p;
                c->wcap = cap;
        }
        return 0;
}

/* The frame of total bytes at wbuf + wlen is complete: take it, and write it unless corked. */
static void conn_commit(struct conn *c, size_t total) {
        c->wlen += total;
        c->sent_since_tick = true;
        /* tunneld_manager_uncork() flushes links only; a channel's handshake goes now. */
        if (c->manager->cork > 0 && !c->channel)
                c->dirty = true;
        else
                conn_flush(c);
}

static int conn_queue(struct conn *c, struct wire_header *h, const void *payload, size_t payload_len) {
        size_t total = WIRE_HEADER_SIZE + payload_len;
        int r;

        r = conn_reserve(c, total);
        if (r < 0)
                return r;
        wire_header_finish(h, payload_len, c->wbuf + c->wlen);
        if (payload_len > 0)
                memcpy(c->wbuf + c->wlen + WIRE_HEADER_SIZE, payload, payload_len);
        conn_commit(c, total);
        return 0;
}

int conn_queue_msg(struct conn *c, const struct wire_desc *desc, uint64_t srvid, const void *msg) {
        struct tunneld_manager *m = c->manager;
        struct wire_header h = {
                .src = m->pnn,
                .dst = c->link->pnn,
                .srvid = srvid,
        };
        size_t total = WIRE_HEADER_SIZE + wire_payload_size(desc, msg);
        int r;

        r = conn_reserve(c, total);
        if (r < 0)
                return r;
        r = wire_frame_pack(&h, desc, msg, c->wbuf + c->wlen, c->wcap - c->wlen);
        if (r < 0)
                return r;
        conn_commit(c, (size_t) r);
        return 0;
}

int link_send(struct link *l, struct wire_header *h, const void *payload, size_t payload_len) {
        if (!l->up || !l->conn)
                return -ENOTCONN;
        return conn_queue(l->conn, h, payload, payload_len);
}

void link_flush(struct link *l) {
        if (l->conn && l->conn->dirty)
                conn_flush(l->conn);
}

/* ---- receiving -------------------------------------------------------- */

static int conn_rbuf_alloc(struct conn *c, const char **ret_reason) {
        if (c->rbuf)
                return 0;
        c->rbuf = talloc_size(c, CONN_RBUF_SIZE);
        if (!c->rbuf) {
                *ret_reason = "cannot allocate receive buffer";
                return -ENOMEM;
        }
        c->rcap = CONN_RBUF_SIZE;
        return 0;
}

/*
 * Takes the n bytes just put after rbuf + rlen, then every complete frame.
 * Negative = close; 1 = c was handed over as a channel (and is gone).
 */
static int conn_process(struct conn *c, size_t n, const char **ret_reason) {
        size_t pos = 0;
        int r = 0;

        c->rlen += n;
        if (!c->channel)
                c->link->rx_bytes += (uint64_t) n;
        c->last_rx_usec = now_usec(c->manager);

        while (c->rlen - pos >= WIRE_HEADER_SIZE) {
                struct wire_header h;

                r = wire_header_unpack(c->rbuf + pos,
                                       c->state == CONN_UP ? WIRE_FRAME_MAX : CONN_HANDSHAKE_FRAME_MAX, &h);
                if (r < 0) {
                        *ret_reason =
                                r == -EMSGSIZE ? "frame larger than the limit" : "malformed frame header";
                        r = -EBADMSG;
                        break;
                }
                if (h.length > c->rlen - pos) {
                        if (h.length > c->rcap) {
                                uint8_t *p;
                                memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
                                c->rlen -= pos;
                                pos = 0;
                                p = talloc_realloc(c, c->rbuf, uint8_t, h.length);
                                if (!p) {
                                        *ret_reason = "cannot buffer frame";
                                        r = -ENOMEM;
                                        break;
                                }
                                c->rbuf = p;
                                c->rcap = h.length;
                        }
                        break;
                }
                r = conn_handle_frame(c, &h, c->rbuf + pos + WIRE_HEADER_SIZE, h.length - WIRE_HEADER_SIZE);
                if (r < 0) {
                        if (r == -EBADMSG)
                                *ret_reason = "malformed frame";
                        else if (r == -EPERM)
                                *ret_reason = "refused";
                        else
                                *ret_reason = "cannot answer frame";
                        break;
                }
                pos += h.length;
                /* What follows is the channel's owners' stream, not ours to parse. */
                if (c->state == CONN_HANDOFF) {
                        channel_handoff(c, c->rbuf + pos, c->rlen - pos);
                        return 1;
                }
        }
        if (r < 0)
                return r;

        if (pos > 0) {
                memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
                c->rlen -= pos;
        }
        /* Keep the daemon lean: a buffer grown for one big frame is not kept. */
        if (c->rlen == 0 && c->rcap > CONN_RBUF_SIZE) {
                TALLOC_FREE(c->rbuf);
                c->rcap = 0;
        }
        return 0;
}

/* One read, then every complete frame in the buffer. As conn_process(). */
static int conn_read(struct conn *c, const char **ret_reason) {
        ssize_t n;
        int r;

        r = conn_rbuf_alloc(c, ret_reason);
        if (r < 0)
                return r;
        n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                *ret_reason = "receive failed";
                return -errno;
        }
        if (n == 0) {
                *ret_reason = "closed by the peer";
                return -EPIPE;
        }
        return conn_process(c, (size_t) n, ret_reason);
}

int conn_feed(struct conn *c, const uint8_t *data, size_t len) {
        const char *reason = NULL;
        int r = 0;

        /* In pieces of what one recv() could take, so the buffer handling is the real one. */
        while (len > 0 && r >= 0) {
                size_t n;

                r = conn_rbuf_alloc(c, &reason);
                if (r < 0)
                        break;
                n = c->rcap - c->rlen < len ? c->rcap - c->rlen : len;
                memcpy(c->rbuf + c->rlen, data, n);
                data += n;
                len -= n;
                r = conn_process(c, n, &reason);
                if (r > 0)
                        return 0; /* handed over: c is gone */
        }
        if (r < 0)
                conn_end(c, conn_end_kind(r), r, reason);
        return r;
}

static void conn_established(struct conn *c) {
        int r;

        conn_set_io_events(c, EPOLLIN);
        r = conn_send_hello(c);
        if (r < 0)
                conn_end(c, CONN_END_CLOSED, r, "cannot send HELLO");
}

static enum conn_end conn_end_kind(int r) {
        if (r == -EBADMSG)
                return CONN_END_BAD_FRAME;
        if (r == -EPERM)
                return CONN_END_REJECTED;
        return CONN_END_CLOSED;
}

static int conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct conn *c = userdata;
        const char *reason = NULL;
        int r;

        if (c->state == CONN_CONNECTING) {
                int error = 0;
                socklen_t len = sizeof(error);

                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                        error = errno;
                if (error != 0) {
                        conn_end(c, CONN_END_CLOSED, -error, "connect failed");
                        return 0;
                }
                /* Handshake deadline from now on. */
                conn_set_timer(c, now_usec(c->manager) + heartbeat_timeout_usec(c->manager));
                conn_established(c);
                return 0;
        }

        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                r = conn_read(c, &reason);
                if (r > 0)
                        return 0; /* handed over as a channel: c is gone */
                if (r < 0) {
                        /* EOF (-EPIPE) needs no errno text. */
                        conn_end(c, conn_end_kind(r), r == -EPIPE ? 0 : r, reason);
                        return 0;
                }
        }
        if (revents & EPOLLOUT)
                conn_flush(c);
        if (c->write_error < 0)
                conn_end(c, CONN_END_CLOSED, c->write_error, "send failed");
        return 0;
}

/* Deadlines of a connection before it is up: connect and handshake. Up ones are the heartbeat tick's. */
static int conn_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct conn *c = userdata;

        switch (c->state) {
        case CONN_CONNECTING:
                conn_end(c, CONN_END_CLOSED, -ETIMEDOUT, "connect timed out");
                return 0;
        case CONN_HELLO:
        case CONN_AUTH:
        case CONN_CHANNEL_WAIT:
        case CONN_HANDOFF:
                if (c->pending) {
                        (void) conn_reject(c, "%s", "no handshake in time");
                        conn_end(c, CONN_END_REJECTED, -ETIMEDOUT, "handshake timed out");
                } else
                        conn_end(c, CONN_END_CLOSED, -ETIMEDOUT, "handshake timed out");
                return 0;
        case CONN_UP:
                break; /* not armed while up */
        }
        return 0;
}

/* ---- heartbeats ------------------------------------------------------- */

/*
 * One timer serves every up link, instead of one per link: each tick queues the
 * heartbeats of all links under one cork (one wake-up and one write per link),
 * and the timer is also armed for the earliest receive deadline, so a silent
 * link is closed exactly at its timeout. The ticks fall on multiples of the
 * interval on the wall clock, the same instants on every node whose clock is
 * in sync (all nodes of one host are): a node then gets its peers' heartbeats
 * together and reads them in a few wake-ups rather than one per peer. A link
 * that carried a frame since the last tick sends no heartbeat (the frame did
 * its work: any frame resets the peer's deadline), so the gap between frames
 * on a link stays below two intervals, far under the timeout.
 */

/* now: this iteration's CLOCK_MONOTONIC (sd_event_now()), taken with the wall clock it reads. */
static uint64_t heartbeat_next_tick(struct tunneld_manager *m, uint64_t now) {
        uint64_t interval = heartbeat_interval_usec(m), real = 0;

        (void) sd_event_now(m->event, CLOCK_REALTIME, &real);
        return now + interval - real % interval;
}

static struct conn *link_up_conn(struct link *l) {
        return l && l->up && l->conn && l->conn->state == CONN_UP ? l->conn : NULL;
}

static int heartbeat_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct tunneld_manager *m = userdata;
        uint64_t timeout = heartbeat_timeout_usec(m);
        bool beat = usec >= m->next_tick_usec;

        m->cork++;
        for (uint32_t i = 0; i < m->nodes->n_nodes; i++) {
                struct conn *c = link_up_conn(m->links[i]);
                int r;

                if (!c)
                        continue;
                /* Any frame received moved last_rx_usec on: checked here instead of re-arming per frame. */
                if (usec >= c->last_rx_usec + timeout) {
                        conn_end(c, CONN_END_CLOSED, -ETIMEDOUT, "no heartbeat within the timeout");
                        continue;
                }
                if (!beat)
                        continue;
                if (!c->sent_since_tick) {
                        struct wire_heartbeat hb = { .seq = ++c->heartbeat_seq };

                        r = conn_queue_msg(c, &wire_heartbeat_desc, 0, &hb);
                        /* A full queue: the peer is not reading; its silence ends the link, not this. */
                        if (r < 0 && r != -ENOBUFS) {
                                conn_end(c, CONN_END_CLOSED, r, "cannot send heartbeat");
                                continue;
                        }
                }
                c->sent_since_tick = false;
        }
        m->cork--;
        tunneld_manager_uncork(m);
        if (beat)
                m->next_tick_usec = heartbeat_next_tick(m, now_usec(m));
        link_heartbeat_arm(m);
        return 0;
}

/* See tunneld-conn.h. */
void link_heartbeat_arm(struct tunneld_manager *m) {
        uint64_t now = now_usec(m), timeout = heartbeat_timeout_usec(m), when;
        bool any = false;
        int r;

        if (m->next_tick_usec <= now)
                m->next_tick_usec = heartbeat_next_tick(m, now);
        when = m->next_tick_usec;
        for (uint32_t i = 0; i < m->nodes->n_nodes; i++) {
                struct conn *c = link_up_conn(m->links[i]);

                if (!c)
                        continue;
                any = true;
                if (c->last_rx_usec + timeout < when)
                        when = c->last_rx_usec + timeout;
        }
        if (!any) {
                (void) sd_event_source_set_enabled(m->heartbeat_timer, SD_EVENT_OFF);
                return;
        }
        if (!m->heartbeat_timer) {
                r = sd_event_add_time(m->event, &m->heartbeat_timer, CLOCK_MONOTONIC, when,
                                      CONN_TIMER_ACCURACY_USEC, heartbeat_tick, m);
                if (r < 0)
                        /* Without it no heartbeat goes out and the peers drop us: say so loudly. */
                        log_error_errno(r, "Cannot start the heartbeat timer: %m");
                return;
        }
        (void) sd_event_source_set_time(m->heartbeat_timer, when);
        (void) sd_event_source_set_enabled(m->heartbeat_timer, SD_EVENT_ON);
}

static int conn_new(struct tunneld_manager *m, void *parent, struct link *l, int fd, struct conn **ret) {
        struct conn *c;
        int r;

        c = talloc_zero(parent, struct conn);
        if (!c) {
                close(fd);
                return -ENOMEM;
        }
        c->manager = m;
        c->link = l;
        c->fd = fd;
        talloc_set_destructor(c, conn_destructor);

        r = sd_event_add_io(m->event, &c->io_source, fd, EPOLLIN, conn_io, c);
        if (r < 0)
                goto fail;
        c->io_events = EPOLLIN;
        r = sd_event_add_time(m->event, &c->timer_source, CLOCK_MONOTONIC,
                              now_usec(m) + heartbeat_timeout_usec(m), CONN_TIMER_ACCURACY_USEC, conn_timer,
                              c);
        if (r < 0)
                goto fail;
        *ret = c;
        return 0;
fail:
        talloc_free(c);
        return r;
}

/* See tunneld-conn.h. */
void conn_end(struct conn *c, enum conn_end how, int error, const char *reason) {
        struct tunneld_manager *m = c->manager;
        struct link *l = c->link;
        bool was_up = !c->pending && l->conn == c && l->up;
        char text[160];

        snprintf(text, sizeof(text), "%s%s%s", reason, error ? ": " : "",
                 error ? strerror(error < 0 ? -error : error) : "");
        if (c->channel) {
                /* Never the link's: nothing of the link changes, nothing reconnects. */
                if (how == CONN_END_BAD_FRAME)
                        tunneld_manager_count_bad_frame(m);
                log_debug("Channel connection %s %s (node %u, tunnel id 0x%" PRIx64 "): %s.",
                          c->outgoing ? "to" : "from", c->address, l->pnn, c->channel, text);
                channel_failed(c, how, error);
                return;
        }
        if (how == CONN_END_BAD_FRAME) {
                tunneld_manager_count_bad_frame(m);
                if (was_up || tunneld_manager_reject_log_allowed(m))
                        log_warning("Closing connection %s %s (node %u): %s.", c->outgoing ? "to" : "from",
                                    c->address, l->pnn, text);
        } else if (how == CONN_END_CLOSED && !was_up)
                log_debug("Connection %s %s (node %u): %s.", c->outgoing ? "to" : "from", c->address, l->pnn,
                          text);

        if (c->pending) {
                talloc_free(c);
                return;
        }

        if (l->conn == c)
                l->conn = NULL;
        l->up = false;
        talloc_free(c);

        if (was_up) {
                char pnn_field[32], addr_field[80];
                snprintf(pnn_field, sizeof(pnn_field), "CTDB_PNN=%u", l->pnn);
                snprintf(addr_field, sizeof(addr_field), "CTDB_PEER_ADDRESS=%s", l->address);
                const char *extra[] = { pnn_field, addr_field, NULL };
                log_event(LOG_WARNING, CTDB_MESSAGE_LINK_DOWN, extra, "Link to node %u (%s) is down: %s.",
                          l->pnn, l->address, text);
                tunneld_manager_link_changed(m, l, false);
        }
        if (l->outgoing && !l->conn)
                link_schedule_reconnect(l);
}

/* ---- connecting ------------------------------------------------------- */

int conn_connect(struct link *l, void *parent, struct conn **ret) {
        struct tunneld_manager *m = l->manager;
        const struct ctdb_node_entry *self = &m->nodes->nodes[m->pnn];
        struct conn *c;
        int fd, r, one = 1;

        fd = socket(l->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        (void) setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        /* The peer identifies us by source address, so it must be our nodes address. */
        if (bind(fd, (const struct sockaddr *) &self->sa, self->sa_len) < 0) {
                r = -errno;
                close(fd);
                return r;
        }

        r = conn_new(m, parent, l, fd, &c);
        if (r < 0)
                return r;
        c->outgoing = true;
        snprintf(c->address, sizeof(c->address), "%s", l->address);

        if (connect(fd, (const struct sockaddr *) &l->sa, l->sa_len) < 0) {
                if (errno != EINPROGRESS) {
                        r = -errno;
                        talloc_free(c);
                        return r;
                }
                c->state = CONN_CONNECTING;
                conn_set_io_events(c, EPOLLOUT);
        } else
                c->state = CONN_HELLO; /* connected at once: HELLO from conn_start() */
        *ret = c;
        return 0;
}

void conn_start(struct conn *c) {
        if (c->state != CONN_CONNECTING)
                conn_established(c);
}

static int link_connect(struct link *l) {
        struct conn *c;
        int r;

        r = conn_connect(l, l, &c);
        if (r < 0)
                return r;
        l->conn = c;
        conn_start(c);
        return 0;
}

/* Connects now; a failure at once (no route, no address yet) is retried with backoff. */
static void link_try_connect(struct link *l) {
        int r;

        r = link_connect(l);
        if (r < 0) {
                log_debug_errno(r, "Cannot connect to node %u (%s): %m", l->pnn, l->address);
                link_schedule_reconnect(l);
        }
}

static int link_reconnect_cb(sd_event_source *s, uint64_t usec, void *userdata) {
        struct link *l = userdata;

        if (!l->conn)
                link_try_connect(l);
        return 0;
}

static void link_schedule_reconnect(struct link *l) {
        struct tunneld_manager *m = l->manager;
        uint64_t when = now_usec(m) + l->backoff_usec;
        int r;

        l->backoff_usec =
                l->backoff_usec * 2 > LINK_BACKOFF_MAX_USEC ? LINK_BACKOFF_MAX_USEC : l->backoff_usec * 2;
        if (l->reconnect_source) {
                (void) sd_event_source_set_time(l->reconnect_source, when);
                (void) sd_event_source_set_enabled(l->reconnect_source, SD_EVENT_ONESHOT);
                return;
        }
        r = sd_event_add_time(m->event, &l->reconnect_source, CLOCK_MONOTONIC, when,
                              CONN_TIMER_ACCURACY_USEC, link_reconnect_cb, l);
        if (r < 0)
                /* Without a timer there is no retry; the daemon cannot do its job, say so loudly. */
                log_error_errno(r, "Cannot schedule reconnect to node %u: %m", l->pnn);
}

int link_start(struct link *l) {
        if (l->outgoing)
                link_try_connect(l);
        return 0;
}

static int link_destructor(struct link *l) {
        sd_event_source_disable_unref(l->reconnect_source);
        return 0;
}

void link_free(struct link *l) {
        struct tunneld_manager *m;

        if (!l)
                return;
        m = l->manager;
        /* Accepted connections and channels are the manager's until handshake or hand-over. */
        for (struct conn *c = m->pending, *next; c; c = next) {
                next = c->next;
                if (c->link == l)
                        talloc_free(c);
        }
        for (struct conn *c = m->channels, *next; c; c = next) {
                next = c->next;
                if (c->link == l)
                        channel_failed(c, CONN_END_CLOSED, -ENOENT);
        }
        talloc_free(l);
}

int link_new(struct tunneld_manager *m, uint32_t pnn, struct link **ret) {
        const struct ctdb_node_entry *n = &m->nodes->nodes[pnn];
        struct link *l;

        l = talloc_zero(m, struct link);
        if (!l)
                return -ENOMEM;
        l->manager = m;
        l->pnn = pnn;
        l->address = n->address;
        l->outgoing = m->pnn < pnn;
        l->backoff_usec = LINK_BACKOFF_MIN_USEC;
        memcpy(&l->sa, &n->sa, n->sa_len);
        l->sa_len = n->sa_len;
        if (l->sa.ss_family == AF_INET6)
                ((struct sockaddr_in6 *) &l->sa)->sin6_port = htons(m->config->tunnel_port);
        else
                ((struct sockaddr_in *) &l->sa)->sin_port = htons(m->config->tunnel_port);
        talloc_set_destructor(l, link_destructor);
        *ret = l;
        return 0;
}

/* ---- accepting -------------------------------------------------------- */

void link_accept(struct tunneld_manager *m, int fd, const struct sockaddr *sa, socklen_t sa_len) {
        char address[INET6_ADDRSTRLEN];
        const char *reason = NULL;
        struct link *l;
        struct conn *c;
        int pnn, r, one = 1;

        link_format_address(sa, address, sizeof(address));
        pnn = ctdb_nodes_find(m->nodes, sa, sa_len);
        l = pnn >= 0 ? tunneld_manager_get_link(m, (uint32_t) pnn) : NULL;
        if (pnn < 0)
                reason = "its address is not in the nodes file";
        else if (!l)
                reason = "its node slot is deleted or our own";
        else if (m->n_pending >= MANAGER_PENDING_MAX)
                reason = "too many unauthenticated connections";
        if (reason) {
                char pnn_field[32], addr_field[80];
                snprintf(pnn_field, sizeof(pnn_field), "CTDB_PNN=%d", pnn);
                snprintf(addr_field, sizeof(addr_field), "CTDB_PEER_ADDRESS=%s", address);
                const char *extra[] = { pnn_field, addr_field, NULL };
                if (tunneld_manager_reject_log_allowed(m))
                        log_event(LOG_WARNING, CTDB_MESSAGE_PEER_REJECTED, extra, "Refused peer %s: %s",
                                  address, reason);
                tunneld_manager_count_rejected_peer(m);
                close(fd);
                return;
        }

        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        r = conn_new(m, m, l, fd, &c);
        if (r < 0) {
                log_warning_errno(r, "Cannot set up connection from %s: %m", address);
                return;
        }
        memcpy(c->address, address, sizeof(address));
        c->pending = true;
        LIST_PREPEND(m->pending, c);
        m->n_pending++;

        r = conn_send_hello(c);
        if (r < 0)
                conn_end(c, CONN_END_CLOSED, r, "cannot send HELLO");
}
