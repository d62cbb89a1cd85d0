/* A daemon's sd-event connection to ctdb-tunneld's data plane; see dp-client.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <talloc.h>

#include "dp-client.h"
#include "event-util.h"
#include "log.h"
#include "talloc-util.h"

#define DP_RECONNECT_MIN_USEC (100 * 1000ULL)
#define DP_RECONNECT_MAX_USEC (2 * 1000 * 1000ULL)
/* Bytes queued while tunnel.sock is full; beyond that a send fails with ENOBUFS. */
#define DP_OUTQ_BYTES_MAX (16u * 1024u * 1024u)
/* srvids (and tunnel ids) one daemon registers; a daemon needs a handful. */
#define DP_SRVIDS_MAX 64u
#define DP_TUNNELS_MAX 8u

enum inbox_kind {
        INBOX_MESSAGE,
        INBOX_TUNNEL,
        INBOX_LINK,
        INBOX_ERROR,
        INBOX_CHANNEL,
};

/*
 * What libctdb-client's callbacks saw, handled after ctdb_client_process()
 * returns: handling sends and may drop the client, neither of which is safe
 * from inside the client's own read loop.
 */
struct inbox_entry {
        struct inbox_entry *next;
        enum inbox_kind kind;
        uint32_t pnn;           /* MESSAGE, TUNNEL: source; LINK: peer; ERROR: destination */
        bool connected;
        uint64_t srvid;
        int error;
        enum ctdb_client_request request;
        uint8_t *data;
        size_t len;
        int fd; /* CHANNEL: ours until handed over, closed with the entry */
};

/* A message or tunnel frame that did not fit tunnel.sock yet, sent in order once it drains. */
struct outq_entry {
        struct outq_entry *next;
        bool tunnel;
        uint32_t dst;
        uint64_t srvid;
        size_t len;
        uint8_t data[];
};

struct dp_client {
        sd_event *event;
        const struct dp_client_ops *ops;
        void *userdata;
        char *path;                     /* NULL: libctdb-client's default */

        ctdb_client *client;
        sd_event_source *io;
        sd_event_source *reconnect_timer;
        uint64_t reconnect_usec;
        bool warned;                    /* "not reachable" logged since the last connection */

        uint64_t srvids[DP_SRVIDS_MAX];
        unsigned n_srvids;
        uint64_t tunnels[DP_TUNNELS_MAX];
        unsigned n_tunnels;

        struct outq_entry *outq, *outq_tail;
        size_t outq_bytes;
        uint32_t io_events;

        struct inbox_entry *inbox, *inbox_tail;
        /* An allocation failed in a callback: the inbox is incomplete, so reconnect. */
        bool inbox_lost;
};

static void dp_schedule_reconnect(struct dp_client *c) {
        (void) sd_event_source_set_time_relative(c->reconnect_timer, c->reconnect_usec);
        (void) sd_event_source_set_enabled(c->reconnect_timer, SD_EVENT_ONESHOT);
}

static void outq_clear(struct dp_client *c) {
        while (c->outq) {
                struct outq_entry *e = c->outq;

                c->outq = e->next;
                talloc_free(e);
        }
        c->outq_tail = NULL;
        c->outq_bytes = 0;
}

static void dp_drop(struct dp_client *c) {
        c->io = sd_event_source_disable_unref(c->io);
        outq_clear(c);
        ctdb_client_free(c->client);
        c->client = NULL;
        while (c->inbox) {
                struct inbox_entry *e = c->inbox;

                c->inbox = e->next;
                talloc_free(e);
        }
        c->inbox_tail = NULL;
        c->inbox_lost = false;
}

static void dp_lost(struct dp_client *c, int error) {
        log_warning_errno(error, "Lost the connection to ctdb-tunneld: %m; all peers are disconnected until "
                                 "it is back");
        dp_drop(c);
        c->reconnect_usec = DP_RECONNECT_MIN_USEC;
        c->warned = true;
        dp_schedule_reconnect(c);
        if (c->ops->disconnected)
                c->ops->disconnected(c->userdata, error);
}

static int inbox_entry_destructor(struct inbox_entry *e) {
        if (e->fd >= 0)
                close(e->fd);
        return 0;
}

static struct inbox_entry *inbox_add(struct dp_client *c, enum inbox_kind kind, uint32_t pnn) {
        struct inbox_entry *e = talloc_zero(c, struct inbox_entry);

        if (!e) {
                c->inbox_lost = true;
                return NULL;
        }
        e->fd = -1;
        talloc_set_destructor(e, inbox_entry_destructor);
        e->kind = kind;
        e->pnn = pnn;
        if (c->inbox_tail)
                c->inbox_tail->next = e;
        else
                c->inbox = e;
        c->inbox_tail = e;
        return e;
}

static void inbox_add_data(struct dp_client *c, enum inbox_kind kind, uint32_t src, uint64_t srvid,
                           const void *data, size_t len) {
        struct inbox_entry *e = inbox_add(c, kind, src);

        if (!e)
                return;
        e->srvid = srvid;
        e->len = len;
        e->data = talloc_memdup_any(e, data, len);
        if (!e->data)
                c->inbox_lost = true;
}

static void on_client_message(ctdb_client *client, uint32_t src, uint64_t srvid, const void *data,
                              size_t len, void *userdata) {
        inbox_add_data(userdata, INBOX_MESSAGE, src, srvid, data, len);
}

static void on_client_tunnel(ctdb_client *client, uint32_t src, uint64_t tunnel_id, const void *data,
                             size_t len, void *userdata) {
        inbox_add_data(userdata, INBOX_TUNNEL, src, tunnel_id, data, len);
}

static void on_client_link(ctdb_client *client, uint32_t pnn, bool connected, void *userdata) {
        struct inbox_entry *e = inbox_add(userdata, INBOX_LINK, pnn);

        if (e)
                e->connected = connected;
}

static void on_client_channel(ctdb_client *client, uint32_t pnn, uint64_t tunnel_id, int fd,
                              const void *pending, size_t pending_len, void *userdata) {
        struct dp_client *c = userdata;
        struct inbox_entry *e = inbox_add(c, INBOX_CHANNEL, pnn);

        if (!e) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        e->srvid = tunnel_id;
        e->fd = fd >= 0 ? fd : -1;
        e->error = fd >= 0 ? 0 : fd;
        e->len = pending_len;
        e->data = talloc_memdup_any(e, pending, pending_len);
        if (!e->data)
                c->inbox_lost = true;
}

static void on_client_error(ctdb_client *client, int error, enum ctdb_client_request request, uint64_t srvid,
                            uint32_t dst, void *userdata) {
        struct inbox_entry *e = inbox_add(userdata, INBOX_ERROR, dst);

        if (!e)
                return;
        e->error = error;
        e->request = request;
        e->srvid = srvid;
}

static void inbox_drain(struct dp_client *c) {
        while (c->inbox) {
                struct inbox_entry *e = c->inbox;

                c->inbox = e->next;
                if (!c->inbox)
                        c->inbox_tail = NULL;
                /* A handler may lose the connection; what is left is stale then. */
                if (c->client) {
                        switch (e->kind) {
                        case INBOX_MESSAGE:
                                if (c->ops->message)
                                        c->ops->message(c->userdata, e->pnn, e->srvid, e->data, e->len);
                                break;
                        case INBOX_TUNNEL:
                                if (c->ops->tunnel)
                                        c->ops->tunnel(c->userdata, e->pnn, e->srvid, e->data, e->len);
                                break;
                        case INBOX_LINK:
                                if (c->ops->link)
                                        c->ops->link(c->userdata, e->pnn, e->connected);
                                break;
                        case INBOX_ERROR:
                                if (c->ops->error)
                                        c->ops->error(c->userdata, e->error, e->request, e->srvid, e->pnn);
                                break;
                        case INBOX_CHANNEL:
                                if (c->ops->channel) {
                                        int fd = e->fd;

                                        e->fd = -1;
                                        c->ops->channel(c->userdata, e->pnn, e->srvid,
                                                        fd >= 0 ? fd : e->error, e->data, e->len);
                                }
                                break;
                        }
                }
                talloc_free(e);
        }
}

static int send_now(struct dp_client *c, bool tunnel, uint32_t dst, uint64_t srvid, const void *data,
                    size_t len) {
        return tunnel ? ctdb_client_send_tunnel(c->client, dst, srvid, data, len)
                      : ctdb_client_send(c->client, dst, srvid, data, len);
}

/* Writes what waited for room, in order; the rest waits for the next EPOLLOUT. */
static int outq_flush(struct dp_client *c) {
        while (c->outq) {
                struct outq_entry *e = c->outq;
                int r = send_now(c, e->tunnel, e->dst, e->srvid, e->data, e->len);

                if (r == -EAGAIN)
                        break;
                c->outq = e->next;
                if (!c->outq)
                        c->outq_tail = NULL;
                c->outq_bytes -= e->len;
                talloc_free(e);
                if (r < 0)
                        return r;
        }
        event_source_set_io_events_cached(c->io, &c->io_events, EPOLLIN | (c->outq ? EPOLLOUT : 0));
        return 0;
}

/*
 * tunnel.sock is full: tunneld reads behind a burst (a recovery's batches).
 * The frame waits in a bounded queue instead of failing.
 */
static int outq_add(struct dp_client *c, bool tunnel, uint32_t dst, uint64_t srvid, const void *data,
                    size_t len) {
        struct outq_entry *e;

        if (c->outq_bytes + len > DP_OUTQ_BYTES_MAX)
                return -ENOBUFS;
        e = talloc_size(c, sizeof(*e) + len);
        if (!e)
                return -ENOMEM;
        *e = (struct outq_entry) { .tunnel = tunnel, .dst = dst, .srvid = srvid, .len = len };
        if (len)
                memcpy(e->data, data, len);
        if (c->outq_tail)
                c->outq_tail->next = e;
        else
                c->outq = e;
        c->outq_tail = e;
        c->outq_bytes += len;
        event_source_set_io_events_cached(c->io, &c->io_events, EPOLLIN | EPOLLOUT);
        return 0;
}

static int dp_send(struct dp_client *c, bool tunnel, uint32_t dst, uint64_t srvid, const void *data,
                   size_t len) {
        int r;

        if (!c->client)
                return -ENOTCONN;
        if (c->outq)
                return outq_add(c, tunnel, dst, srvid, data, len);
        r = send_now(c, tunnel, dst, srvid, data, len);
        return r == -EAGAIN ? outq_add(c, tunnel, dst, srvid, data, len) : r;
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct dp_client *c = userdata;
        int r;

        if ((revents & EPOLLOUT) && c->outq) {
                r = outq_flush(c);
                if (r < 0) {
                        dp_lost(c, r);
                        return 0;
                }
        }
        r = ctdb_client_process(c->client);
        inbox_drain(c);
        if (!c->client)
                return 0;
        /*
         * A frame that could not be queued (out of memory) would leave the daemon's
         * view of links silently wrong: start over, tunneld tells everything again.
         */
        if (r >= 0 && c->inbox_lost)
                r = -ENOMEM;
        if (r < 0)
                dp_lost(c, r);
        else if (revents & (EPOLLHUP | EPOLLERR) && r == 0)
                dp_lost(c, -ECONNRESET);
        return 0;
}

static int dp_connect(struct dp_client *c) {
        ctdb_client *client = NULL;
        uint32_t pnn;
        int r;

        r = ctdb_client_connect(c->path, &client);
        if (r < 0)
                return r;

        ctdb_client_set_message_handler(client, on_client_message, c);
        ctdb_client_set_link_handler(client, on_client_link, c);
        ctdb_client_set_error_handler(client, on_client_error, c);
        ctdb_client_set_tunnel_handler(client, on_client_tunnel, c);
        ctdb_client_set_channel_handler(client, on_client_channel, c);
        for (unsigned i = 0; i < c->n_srvids && r >= 0; i++)
                r = ctdb_client_register(client, c->srvids[i]);
        for (unsigned i = 0; i < c->n_tunnels && r >= 0; i++)
                r = ctdb_client_register_tunnel(client, c->tunnels[i]);
        if (r >= 0)
                r = sd_event_add_io(c->event, &c->io, ctdb_client_fd(client), EPOLLIN, on_client_io, c);
        c->io_events = EPOLLIN;
        if (r < 0) {
                ctdb_client_free(client);
                return r;
        }
        c->client = client;

        pnn = ctdb_client_pnn(client);
        r = c->ops->connected ? c->ops->connected(c->userdata, pnn, ctdb_client_n_nodes(client)) : 0;
        if (r < 0) {
                dp_drop(c);
                return r;
        }
        c->reconnect_usec = DP_RECONNECT_MIN_USEC;
        c->warned = false;
        log_info("Connected to ctdb-tunneld, this node is pnn %" PRIu32, pnn);

        /* Link states of the peers arrive as LINK frames right after connect. */
        on_client_io(c->io, ctdb_client_fd(client), 0, c);
        return 0;
}

static int on_reconnect_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct dp_client *c = userdata;
        int r;

        r = dp_connect(c);
        if (r >= 0)
                return 0;
        /* tunneld usually starts alongside; complain only once it is late (about 1.5 s). */
        if (!c->warned && c->reconnect_usec >= 8 * DP_RECONNECT_MIN_USEC) {
                log_warning_errno(r, "ctdb-tunneld is not reachable at %s: %m; retrying",
                                  c->path ? c->path : ctdb_client_default_socket());
                c->warned = true;
        } else {
                log_debug_errno(r, "ctdb-tunneld still not reachable: %m");
        }
        c->reconnect_usec *= 2;
        if (c->reconnect_usec > DP_RECONNECT_MAX_USEC)
                c->reconnect_usec = DP_RECONNECT_MAX_USEC;
        dp_schedule_reconnect(c);
        return 0;
}

static int dp_client_destructor(struct dp_client *c) {
        dp_drop(c);
        c->reconnect_timer = sd_event_source_disable_unref(c->reconnect_timer);
        sd_event_unref(c->event);
        return 0;
}

char *dp_client_socket_path(void *mem_ctx, const char *run_dir) {
        if (getenv("CTDB_TUNNEL_SOCKET") || !run_dir)
                return NULL;
        return talloc_asprintf(mem_ctx, "%s/tunnel.sock", run_dir);
}

int dp_client_new(void *mem_ctx, sd_event *event, const char *path, const struct dp_client_ops *ops,
                  void *userdata, struct dp_client **ret) {
        struct dp_client *c;
        int r;

        if (!event || !ops || !ret)
                return -EINVAL;
        c = talloc_zero(mem_ctx, struct dp_client);
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        c->ops = ops;
        c->userdata = userdata;
        c->reconnect_usec = DP_RECONNECT_MIN_USEC;
        talloc_set_destructor(c, dp_client_destructor);
        if (path && !(c->path = talloc_strdup(c, path))) {
                talloc_free(c);
                return -ENOMEM;
        }
        /* 1 ms: sd-event's default accuracy (for 0) would let a reconnect wait up to 250 ms. */
        r = sd_event_add_time_relative(event, &c->reconnect_timer, CLOCK_MONOTONIC, 0, 1000, on_reconnect_timer,
                                       c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->reconnect_timer, SD_EVENT_OFF);
        if (r < 0) {
                talloc_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int dp_client_register(struct dp_client *c, uint64_t srvid) {
        for (unsigned i = 0; i < c->n_srvids; i++)
                if (c->srvids[i] == srvid)
                        return 0;
        if (c->n_srvids >= DP_SRVIDS_MAX)
                return -ENOSPC;
        c->srvids[c->n_srvids++] = srvid;
        return c->client ? ctdb_client_register(c->client, srvid) : 0;
}

int dp_client_register_tunnel(struct dp_client *c, uint64_t tunnel_id) {
        for (unsigned i = 0; i < c->n_tunnels; i++)
                if (c->tunnels[i] == tunnel_id)
                        return 0;
        if (c->n_tunnels >= DP_TUNNELS_MAX)
                return -ENOSPC;
        c->tunnels[c->n_tunnels++] = tunnel_id;
        return c->client ? ctdb_client_register_tunnel(c->client, tunnel_id) : 0;
}

int dp_client_start(struct dp_client *c) {
        (void) sd_event_source_set_time_relative(c->reconnect_timer, 0);
        return sd_event_source_set_enabled(c->reconnect_timer, SD_EVENT_ONESHOT);
}

bool dp_client_is_connected(const struct dp_client *c) {
        return c && c->client;
}

int dp_client_send(struct dp_client *c, uint32_t dst, uint64_t srvid, const void *data, size_t len) {
        return dp_send(c, false, dst, srvid, data, len);
}

int dp_client_send_tunnel(struct dp_client *c, uint32_t dst, uint64_t tunnel_id, const void *data,
                          size_t len) {
        return dp_send(c, true, dst, tunnel_id, data, len);
}

int dp_client_open_channel(struct dp_client *c, uint32_t pnn, uint64_t tunnel_id) {
        if (!c->client)
                return -ENOTCONN;
        return ctdb_client_open_channel(c->client, pnn, tunnel_id);
}
