/*
 * libctdb-client: the local data plane of ctdb-tunneld (see ctdb-client.h and
 * docs/architecture.md, "Local data plane"). One SOCK_SEQPACKET socket, one
 * frame per packet, frames from common/wire.h. Plain malloc inside; a recursive
 * mutex makes every call thread-safe and lets handlers call back into the API.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client-socket.h"
#include "ctdb-client.h"
#include "sock-batch.h"
#include "wire.h"

#define ASSERT_KIND(r, k) \
        _Static_assert((int) CTDB_CLIENT_REQUEST_##r == (int) WIRE_KIND_##k, "request kinds")
ASSERT_KIND(MESSAGE, MESSAGE);
ASSERT_KIND(TUNNEL, TUNNEL);
ASSERT_KIND(REGISTER, REGISTER);
ASSERT_KIND(DEREGISTER, DEREGISTER);
ASSERT_KIND(TUNNEL_REGISTER, TUNNEL_REGISTER);
ASSERT_KIND(TUNNEL_DEREGISTER, TUNNEL_DEREGISTER);
ASSERT_KIND(CHANNEL, CHANNEL);

/* Frames handled per ctdb_client_process() call, so one busy client cannot spin forever. */
#define PROCESS_MAX_FRAMES 1024
/* Payloads up to this size are packed on the stack. */
#define SEND_STACK_MAX 8192u

struct ctdb_client {
        pthread_mutex_t lock;
        int fd;
        uint32_t pnn;
        uint32_t n_nodes;
        ctdb_message_fn message_fn;
        void *message_userdata;
        ctdb_link_fn link_fn;
        void *link_userdata;
        ctdb_error_fn error_fn;
        void *error_userdata;
        ctdb_tunnel_fn tunnel_fn;
        void *tunnel_userdata;
        ctdb_channel_fn channel_fn;
        void *channel_userdata;
        int rx_fd;          /* passed with the frame being handled, until a handler takes it; -1 none */
        bool rx_fd_lost;    /* the frame being handled came with more than the kernel could pass */
        size_t max_message; /* data bytes of the largest MESSAGE the socket carries */
        struct sock_batch batch;
};

const char *ctdb_client_default_socket(void) {
        const char *e = getenv("CTDB_TUNNEL_SOCKET");

        return e && *e ? e : CTDB_RUN_DIR "/tunnel.sock";
}

int ctdb_client_connect(const char *path, ctdb_client **ret) {
        struct wire_hello hello;
        pthread_mutexattr_t attr;
        size_t max_packet = 0;
        ctdb_client *c;
        int r;

        if (!ret)
                return -EINVAL;
        if (!path)
                path = ctdb_client_default_socket();

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->fd = -1;
        c->rx_fd = -1;
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        r = pthread_mutex_init(&c->lock, &attr);
        pthread_mutexattr_destroy(&attr);
        if (r != 0) {
                free(c);
                return -r;
        }
        r = sock_batch_init(&c->batch, WIRE_FRAME_MAX);
        if (r < 0)
                goto fail;
        /* Channels arrive as fds; every one received is closed unless a handler takes it. */
        c->batch.want_fds = true;
        r = client_socket_connect(path, sock_batch_buffer(&c->batch, 0), &c->fd, &max_packet, &hello);
        if (r < 0)
                goto fail;
        /* A MESSAGE payload is the data with its u32 length in front. */
        c->max_message = max_packet - WIRE_HEADER_SIZE - sizeof(uint32_t);
        c->pnn = hello.pnn;
        c->n_nodes = hello.n_nodes;
        *ret = c;
        return 0;

fail:
        ctdb_client_free(c);
        return r;
}

void ctdb_client_free(ctdb_client *c) {
        if (!c)
                return;
        if (c->fd >= 0)
                close(c->fd);
        sock_batch_done(&c->batch);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

int ctdb_client_fd(ctdb_client *c) {
        return c->fd;
}

uint32_t ctdb_client_pnn(ctdb_client *c) {
        return c->pnn;
}

uint32_t ctdb_client_n_nodes(ctdb_client *c) {
        return c->n_nodes;
}

size_t ctdb_client_max_message(ctdb_client *c) {
        return c->max_message;
}

void ctdb_client_set_error_handler(ctdb_client *c, ctdb_error_fn fn, void *userdata) {
        pthread_mutex_lock(&c->lock);
        c->error_fn = fn;
        c->error_userdata = userdata;
        pthread_mutex_unlock(&c->lock);
}

void ctdb_client_set_message_handler(ctdb_client *c, ctdb_message_fn fn, void *userdata) {
        pthread_mutex_lock(&c->lock);
        c->message_fn = fn;
        c->message_userdata = userdata;
        pthread_mutex_unlock(&c->lock);
}

void ctdb_client_set_tunnel_handler(ctdb_client *c, ctdb_tunnel_fn fn, void *userdata) {
        pthread_mutex_lock(&c->lock);
        c->tunnel_fn = fn;
        c->tunnel_userdata = userdata;
        pthread_mutex_unlock(&c->lock);
}

void ctdb_client_set_channel_handler(ctdb_client *c, ctdb_channel_fn fn, void *userdata) {
        pthread_mutex_lock(&c->lock);
        c->channel_fn = fn;
        c->channel_userdata = userdata;
        pthread_mutex_unlock(&c->lock);
}

void ctdb_client_set_link_handler(ctdb_client *c, ctdb_link_fn fn, void *userdata) {
        pthread_mutex_lock(&c->lock);
        c->link_fn = fn;
        c->link_userdata = userdata;
        pthread_mutex_unlock(&c->lock);
}

static int send_control(ctdb_client *c, uint16_t kind, uint64_t srvid) {
        struct wire_header h = { .kind = kind, .src = c->pnn, .dst = c->pnn, .srvid = srvid };
        int r;

        pthread_mutex_lock(&c->lock);
        r = client_send_frame(c->fd, &h, NULL, 0, MSG_DONTWAIT);
        pthread_mutex_unlock(&c->lock);
        return r;
}

int ctdb_client_register(ctdb_client *c, uint64_t srvid) {
        return send_control(c, WIRE_KIND_REGISTER, srvid);
}

int ctdb_client_deregister(ctdb_client *c, uint64_t srvid) {
        return send_control(c, WIRE_KIND_DEREGISTER, srvid);
}

int ctdb_client_register_tunnel(ctdb_client *c, uint64_t tunnel_id) {
        return send_control(c, WIRE_KIND_TUNNEL_REGISTER, tunnel_id);
}

int ctdb_client_deregister_tunnel(ctdb_client *c, uint64_t tunnel_id) {
        return send_control(c, WIRE_KIND_TUNNEL_DEREGISTER, tunnel_id);
}

int ctdb_client_open_channel(ctdb_client *c, uint32_t pnn, uint64_t tunnel_id) {
        struct wire_header h = { .kind = WIRE_KIND_CHANNEL, .dst = pnn, .srvid = tunnel_id };
        int r;

        pthread_mutex_lock(&c->lock);
        h.src = c->pnn;
        r = client_send_frame(c->fd, &h, NULL, 0, MSG_DONTWAIT);
        pthread_mutex_unlock(&c->lock);
        return r;
}

/* A MESSAGE or TUNNEL (the same payload, desc names the kind). */
static int send_data(ctdb_client *c, const struct wire_desc *desc, uint32_t dst_pnn, uint64_t srvid,
                     const void *data, size_t len) {
        struct wire_header h = { .kind = desc->kind, .dst = dst_pnn, .srvid = srvid };
        struct wire_message msg = { .data = data, .data_len = (uint32_t) len };
        uint8_t stack[SEND_STACK_MAX + 4];
        uint8_t *buf = stack;
        size_t size;
        int r;

        if (len > c->max_message)
                return -EMSGSIZE;
        size = wire_payload_size(desc, &msg);
        if (size > sizeof(stack)) {
                buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
        }
        r = wire_pack(desc, &msg, buf, size);
        if (r >= 0) {
                pthread_mutex_lock(&c->lock);
                h.src = c->pnn;
                r = client_send_frame(c->fd, &h, buf, (size_t) r, MSG_DONTWAIT);
                pthread_mutex_unlock(&c->lock);
        }
        if (buf != stack)
                free(buf);
        return r;
}

int ctdb_client_send(ctdb_client *c, uint32_t dst_pnn, uint64_t srvid, const void *data, size_t len) {
        return send_data(c, &wire_message_desc, dst_pnn, srvid, data, len);
}

int ctdb_client_send_tunnel(ctdb_client *c, uint32_t dst_pnn, uint64_t tunnel_id, const void *data,
                            size_t len) {
        return send_data(c, &wire_tunnel_desc, dst_pnn, tunnel_id, data, len);
}

/* The handlers of client_frame_handlers[]; userdata is the client. */
static int on_message(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                      size_t len) {
        ctdb_client *c = userdata;
        const struct wire_message *m = msg;

        if (c->message_fn)
                c->message_fn(c, h->src, h->srvid, m->data, m->data_len, c->message_userdata);
        return 0;
}

static int on_tunnel(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t len) {
        ctdb_client *c = userdata;
        const struct wire_message *m = msg;

        if (c->tunnel_fn)
                c->tunnel_fn(c, h->src, h->srvid, m->data, m->data_len, c->tunnel_userdata);
        return 0;
}

static int on_link(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                   size_t len) {
        ctdb_client *c = userdata;
        const struct wire_link *link = msg;

        if (c->link_fn)
                c->link_fn(c, link->pnn, link->connected != 0, c->link_userdata);
        return 0;
}

static int on_error(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                    size_t len) {
        ctdb_client *c = userdata;
        const struct wire_error *e = msg;

        if (c->error_fn && e->error > 0)
                c->error_fn(c, -e->error, (enum ctdb_client_request) e->request_kind, e->srvid, e->dst,
                            c->error_userdata);
        return 0;
}

/* The fd that came with a CHANNEL_FD goes to the handler; an error or a missing fd as -errno. */
static int on_channel_fd(void *userdata, const struct wire_header *h, const void *msg,
                         const uint8_t *payload, size_t len) {
        ctdb_client *c = userdata;
        const struct wire_channel_fd *m = msg;
        int fd = c->rx_fd;

        c->rx_fd = -1;
        if (m->error != 0 || fd < 0) {
                if (fd >= 0)
                        close(fd);
                /* No fd with a success: the kernel could not install it (RLIMIT_NOFILE). */
                fd = m->error > 0 ? -m->error : c->rx_fd_lost ? -EMFILE : -EPROTO;
        }
        if (c->channel_fn)
                c->channel_fn(c, m->pnn, h->srvid, fd, m->pending, m->pending_len, c->channel_userdata);
        else if (fd >= 0)
                close(fd);
        return 0;
}

static const struct wire_handler client_frame_handlers[] = {
        { WIRE_KIND_MESSAGE, &wire_message_desc, on_message },
        { WIRE_KIND_TUNNEL, &wire_tunnel_desc, on_tunnel },
        { WIRE_KIND_LINK, &wire_link_desc, on_link },
        { WIRE_KIND_ERROR, &wire_error_desc, on_error },
        { WIRE_KIND_CHANNEL_FD, &wire_channel_fd_desc, on_channel_fd },
};

/* Frames that do not parse are skipped: tunneld never sends them, and a newer one may add kinds. */
static void handle_frame(ctdb_client *c, const struct wire_header *h, const uint8_t *payload, size_t len) {
        size_t n = sizeof(client_frame_handlers) / sizeof(client_frame_handlers[0]);

        (void) wire_dispatch(client_frame_handlers, n, NULL, h, payload, len, c);
}

int ctdb_client_process(ctdb_client *c) {
        int handled = 0, r = 0;

        pthread_mutex_lock(&c->lock);
        while (handled < PROCESS_MAX_FRAMES) {
                /* One recvmmsg() takes everything waiting (up to the batch) without a
                 * second call that would only say EAGAIN: a syscall saved per message. */
                int n = sock_batch_recv(&c->batch, c->fd);

                if (n == -EINTR)
                        continue;
                if (n < 0) {
                        if (n != -EAGAIN)
                                r = -ECONNRESET;
                        break;
                }
                for (int i = 0; i < n; i++) {
                        const uint8_t *buf;
                        ssize_t len = sock_batch_packet(&c->batch, (unsigned) i, &buf);
                        struct wire_header h;

                        if (len == 0) {
                                r = -ECONNRESET;
                                break;
                        }
                        handled++;
                        if (len < (ssize_t) WIRE_HEADER_SIZE ||
                            wire_header_unpack(buf, WIRE_FRAME_MAX, &h) < 0 || h.length != (size_t) len)
                                continue;
                        /* Only CHANNEL_FD's handler takes an fd; any other is closed below. */
                        c->rx_fd = sock_batch_take_fd(&c->batch, (unsigned) i);
                        c->rx_fd_lost = c->rx_fd == -EMSGSIZE;
                        handle_frame(c, &h, buf + WIRE_HEADER_SIZE, (size_t) len - WIRE_HEADER_SIZE);
                        if (c->rx_fd >= 0)
                                close(c->rx_fd);
                        c->rx_fd = -1;
                }
                /* What came with packets not handled (after EOF, truncated, malformed). */
                sock_batch_close_fds(&c->batch, (unsigned) n);
                if (r < 0 || (unsigned) n < SOCK_BATCH_MAX)
                        break;
        }
        pthread_mutex_unlock(&c->lock);
        return r < 0 ? r : handled;
}
