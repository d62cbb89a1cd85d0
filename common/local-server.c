/* A local SOCK_SEQPACKET server of the data plane, or a SOCK_STREAM one; see local-server.h. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "event-util.h"
#include "fs-util.h"
#include "list.h"
#include "local-server.h"
#include "log.h"
#include "sock-batch.h"
#include "talloc-util.h"

/* Room for the largest frame in the kernel's accounting of one queued packet. */
#define LOCAL_SOCKBUF_SIZE ((int) (WIRE_FRAME_MAX + 64u * 1024u))
/* Payload room of local_client_send_msg(): control frames only. */
#define LOCAL_MSG_PAYLOAD_MAX 256u
/* A stream client's input buffer while nothing larger is arriving. */
#define LOCAL_STREAM_BUF_SIZE (64u * 1024u)

struct outpkt {
        uint8_t *data;
        uint32_t len;
        uint32_t off; /* stream: bytes of it written already */
        int fd; /* passed with the packet (SCM_RIGHTS), ours until sent; -1 for none */
};

struct local_client {
        struct local_server *server;
        struct local_client *next, *prev;
        int fd;
        sd_event_source *io_source;
        uint32_t io_events;
        pid_t pid;
        uid_t uid;
        bool hello_done;
        void *userdata;

        struct outpkt *q; /* ring of outq_frames_max, allocated while used */
        unsigned q_head, q_len;
        size_t q_bytes;
        bool dropping;
        bool warned_size; /* logged a message too large for the socket */
        uint64_t dropped; /* messages dropped since the queue last overflowed */

        /* stream: what arrived and is not a whole packet yet */
        uint8_t *in;
        size_t in_len, in_size;
};

struct local_server {
        sd_event *event;
        const struct local_server_ops *ops;
        const struct local_server_limits *limits;
        void *userdata;
        char *path;
        int fd;
        sd_event_source *io_source;
        struct local_client *clients;
        unsigned n_clients;
        struct sock_batch batch; /* shared by all clients, allocated on first use */
};

static void outpkt_release(struct outpkt *p) {
        TALLOC_FREE(p->data);
        if (p->fd >= 0)
                close(p->fd);
        p->fd = -1;
}

static int client_destructor(struct local_client *c) {
        struct local_server *s = c->server;

        for (unsigned i = 0; i < c->q_len; i++)
                outpkt_release(&c->q[(c->q_head + i) % s->limits->outq_frames_max]);

        if (s->ops->disconnected)
                s->ops->disconnected(c, s->userdata);
        sd_event_source_disable_unref(c->io_source);
        if (c->fd >= 0)
                close(c->fd);
        LIST_REMOVE(s->clients, c);
        s->n_clients--;
        return 0;
}

void local_client_free(struct local_client *c) {
        talloc_free(c);
}

void local_client_set_userdata(struct local_client *c, void *userdata) {
        c->userdata = userdata;
}

void *local_client_get_userdata(struct local_client *c) {
        return c->userdata;
}

pid_t local_client_pid(const struct local_client *c) {
        return c->pid;
}

void *local_client_ctx(struct local_client *c) {
        return c;
}

unsigned local_server_n_clients(const struct local_server *s) {
        return s->n_clients;
}

static void client_set_io_events(struct local_client *c, uint32_t events) {
        event_source_set_io_events_cached(c->io_source, &c->io_events, events);
}

/* One packet of header + payload (payload_len may be 0), with fd passed along if >= 0. */
static ssize_t send_packet(int sock, const uint8_t *hdr, const uint8_t *payload, size_t payload_len,
                           int fd) {
        union {
                struct cmsghdr align;
                uint8_t bytes[CMSG_SPACE(sizeof(int))];
        } control;
        struct iovec iov[2] = {
                { .iov_base = (void *) hdr, .iov_len = WIRE_HEADER_SIZE },
                { .iov_base = (void *) payload, .iov_len = payload_len },
        };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = payload_len > 0 ? 2 : 1 };
        ssize_t n;

        if (fd >= 0) {
                struct cmsghdr *cm;

                memset(&control, 0, sizeof(control));
                mh.msg_control = control.bytes;
                mh.msg_controllen = sizeof(control.bytes);
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        }
        do
                n = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n;
}

/* Writes p (for a stream, what is left of it): the bytes written, or -1 with errno. */
static ssize_t outpkt_send(struct local_client *c, const struct outpkt *p) {
        if (c->server->ops->stream)
                return send(c->fd, p->data + p->off, p->len - p->off, MSG_DONTWAIT | MSG_NOSIGNAL);
        return send_packet(c->fd, p->data, p->data + WIRE_HEADER_SIZE, p->len - WIRE_HEADER_SIZE, p->fd);
}

/* Writes queued frames until the socket is full. Returns negative on a dead socket. */
static int client_flush(struct local_client *c) {
        unsigned ring = c->server->limits->outq_frames_max;

        while (c->q_len > 0) {
                struct outpkt *p = &c->q[c->q_head];
                ssize_t n = outpkt_send(c, p);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return -errno;
                }
                if (c->server->ops->stream && (p->off += (uint32_t) n) < p->len)
                        break; /* the socket took part of it: full */
                c->q_bytes -= p->len;
                outpkt_release(p);
                c->q_head = (c->q_head + 1) % ring;
                c->q_len--;
        }
        if (c->q_len == 0) {
                TALLOC_FREE(c->q);
                c->q_head = 0;
                if (c->dropping)
                        log_notice("Local client (pid %d) reads its socket again; %" PRIu64
                                   " messages were dropped for it.",
                                   (int) c->pid, c->dropped);
                c->dropping = false;
                c->dropped = 0;
                client_set_io_events(c, EPOLLIN);
        } else
                client_set_io_events(c, EPOLLIN | EPOLLOUT);
        return 0;
}

/* The next free slot of c's queue with room for len bytes, or NULL when the queue is full. */
static struct outpkt *queue_slot(struct local_client *c, size_t len) {
        const struct local_server_limits *lim = c->server->limits;
        struct outpkt *p;

        if (c->q_len >= lim->outq_frames_max || c->q_bytes + len > lim->outq_bytes_max)
                return NULL;
        if (!c->q && !(c->q = talloc_array(c, struct outpkt, lim->outq_frames_max)))
                return NULL;
        p = &c->q[(c->q_head + c->q_len) % lim->outq_frames_max];
        *p = (struct outpkt) { .data = talloc_size(c->q, len), .len = (uint32_t) len, .fd = -1 };
        return p->data ? p : NULL;
}

/* The slot from queue_slot(), filled: it is sent when the socket has room. */
static void queue_commit(struct local_client *c, struct outpkt *p) {
        c->q_len++;
        c->q_bytes += p->len;
        client_set_io_events(c, EPOLLIN | EPOLLOUT);
}

/*
 * Sends now, or queues if the client's socket is full (with a duplicate of fd,
 * if fd >= 0). A full queue drops the frame (counted, -ENOBUFS): the daemon never
 * waits for a client. Errors of a dead socket are left to the read side, which
 * sees EOF (0 here).
 */
static int client_send(struct local_client *c, const uint8_t hdr[WIRE_HEADER_SIZE], const uint8_t *payload,
                       size_t payload_len, int fd) {
        size_t total = WIRE_HEADER_SIZE + payload_len;
        int r = -ENOBUFS;

        if (c->q_len == 0) {
                ssize_t n = send_packet(c->fd, hdr, payload, payload_len, fd);

                if (n >= 0)
                        return 0;
                /*
                 * Larger than the socket buffer the kernel allowed us (net.core.wmem_max,
                 * no CAP_NET_ADMIN): it never fits. libctdb-client refuses such messages
                 * (ctdb_client_max_message()), so it came from a node with a larger limit.
                 */
                if (errno == EMSGSIZE) {
                        if (!c->warned_size) {
                                c->warned_size = true;
                                log_warning("Dropped a message of %zu bytes for local client (pid %d): "
                                            "above this node's local socket limit "
                                            "(raise net.core.wmem_max).",
                                            total, (int) c->pid);
                        }
                        return -EMSGSIZE;
                }
                /* A dead socket: the read side sees EOF and closes the client. */
                if (errno != EAGAIN)
                        return 0;
        }

        struct outpkt *p = queue_slot(c, total);
        if (!p)
                goto drop;
        if (fd >= 0) {
                p->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (p->fd < 0) {
                        r = -errno;
                        outpkt_release(p);
                        goto drop;
                }
        }
        memcpy(p->data, hdr, WIRE_HEADER_SIZE);
        if (payload_len > 0)
                memcpy(p->data + WIRE_HEADER_SIZE, payload, payload_len);
        queue_commit(c, p);
        return 0;

drop:
        c->dropped++;
        if (!c->dropping) {
                c->dropping = true;
                log_warning("Local client (pid %d) does not read its socket, dropping messages for it.",
                            (int) c->pid);
        }
        return r;
}

int local_client_send_bytes(struct local_client *c, const uint8_t *buf, size_t len) {
        struct outpkt *p;
        ssize_t n = 0;

        if (!c->server->ops->stream || len == 0)
                return -EINVAL;
        if (c->q_len == 0) {
                n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n == (ssize_t) len)
                        return 0;
                /* A dead socket: the read side sees EOF and closes the client. */
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        return 0;
                if (n < 0)
                        n = 0;
        }
        p = queue_slot(c, len - (size_t) n);
        if (!p) {
                /* Losing a packet would put the stream out of step: the client goes instead. */
                log_warning("Local client (pid %d) does not read its socket; disconnecting it.", (int) c->pid);
                (void) shutdown(c->fd, SHUT_RDWR);
                return -ENOBUFS;
        }
        memcpy(p->data, buf + n, len - (size_t) n);
        queue_commit(c, p);
        return 0;
}

void local_client_send(struct local_client *c, const uint8_t hdr[WIRE_HEADER_SIZE], const uint8_t *payload,
                       size_t payload_len) {
        (void) client_send(c, hdr, payload, payload_len, -1);
}

int local_client_send_fd(struct local_client *c, const uint8_t *frame, size_t len, int fd) {
        if (len < WIRE_HEADER_SIZE)
                return -EINVAL;
        return client_send(c, frame, frame + WIRE_HEADER_SIZE, len - WIRE_HEADER_SIZE, fd);
}

int local_client_send_msg(struct local_client *c, struct wire_header *h, const struct wire_desc *desc,
                          const void *msg) {
        uint8_t frame[WIRE_HEADER_SIZE + LOCAL_MSG_PAYLOAD_MAX];
        int r;

        r = wire_frame_pack(h, desc, msg, frame, sizeof(frame));
        if (r < 0)
                return r;
        local_client_send(c, frame, frame + WIRE_HEADER_SIZE, (size_t) r - WIRE_HEADER_SIZE);
        return 0;
}

void local_server_broadcast(struct local_server *s, const uint8_t hdr[WIRE_HEADER_SIZE],
                            const uint8_t *payload, size_t payload_len) {
        for (struct local_client *c = s->clients; c; c = c->next)
                if (c->hello_done)
                        local_client_send(c, hdr, payload, payload_len);
}

static int client_handle_hello(struct local_client *c, const uint8_t *payload, size_t len) {
        struct local_server *s = c->server;
        struct wire_hello hello;
        int r;

        if (wire_unpack(&wire_hello_desc, NULL, payload, len, &hello) < 0)
                return -EBADMSG;
        r = wire_hello_check(&hello);
        if (r == -EPROTONOSUPPORT) {
                log_notice("Refused local client (pid %d): it speaks protocol %u.%u, we speak %u.%u.",
                           (int) c->pid, hello.major, hello.minor, WIRE_VERSION_MAJOR, WIRE_VERSION_MINOR);
                return r;
        }
        if (r < 0)
                return -EBADMSG;
        c->hello_done = true;
        return s->ops->connected ? s->ops->connected(c, s->userdata) : 0;
}

int local_client_feed(struct local_client *c, const uint8_t *buf, size_t len) {
        struct local_server *s = c->server;
        struct wire_header h;

        if (len < WIRE_HEADER_SIZE || wire_header_unpack(buf, WIRE_FRAME_MAX, &h) < 0 || h.length != len)
                return -EBADMSG;
        if (!c->hello_done) {
                if (h.kind != WIRE_KIND_HELLO)
                        return -EBADMSG;
                return client_handle_hello(c, buf + WIRE_HEADER_SIZE, len - WIRE_HEADER_SIZE);
        }
        return s->ops->frame(c, &h, buf + WIRE_HEADER_SIZE, len - WIRE_HEADER_SIZE, s->userdata);
}

/* The whole packets at the start of c->in, handed over; the rest moved to the front. */
static int stream_packets(struct local_client *c, size_t *ret_need, const char **ret_reason) {
        const struct local_stream_ops *st = c->server->ops->stream;
        size_t off = 0;
        int r = 0;

        *ret_need = st->header_size;
        while (c->in_len - off >= st->header_size) {
                size_t len = st->packet_length(c->in + off);

                if (len < st->header_size || len > st->packet_max) {
                        *ret_reason = "packet length out of bounds";
                        return -EBADMSG;
                }
                if (c->in_len - off < len) {
                        *ret_need = len;
                        break;
                }
                r = st->packet(c, c->in + off, len, c->server->userdata);
                if (r < 0) {
                        *ret_reason = r == -EBADMSG ? "malformed packet" : "refused";
                        return r;
                }
                off += len;
        }
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
        return 0;
}

/* Reads what a stream client sent, in up to LOCAL_RECV_ROUNDS reads. Negative closes it. */
static int stream_receive(struct local_client *c, const char **ret_reason) {
        size_t need = c->server->ops->stream->header_size;
        int r;

        for (unsigned round = 0; round < LOCAL_RECV_ROUNDS; round++) {
                size_t want = need > LOCAL_STREAM_BUF_SIZE ? need : LOCAL_STREAM_BUF_SIZE, room;
                ssize_t n;

                /* Grown for a large packet, and back to the usual size once it is through. */
                if (c->in_size < want || (c->in_size > want && c->in_len <= want)) {
                        uint8_t *in = talloc_realloc(c, c->in, uint8_t, want);

                        if (!in) {
                                *ret_reason = "out of memory";
                                return -ENOMEM;
                        }
                        c->in = in;
                        c->in_size = want;
                }
                room = c->in_size - c->in_len;
                n = read(c->fd, c->in + c->in_len, room);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        break;
                if (n < 0) {
                        *ret_reason = "receive failed";
                        return -errno;
                }
                if (n == 0) {
                        *ret_reason = NULL;
                        return -ECONNRESET;
                }
                c->in_len += (size_t) n;
                r = stream_packets(c, &need, ret_reason);
                if (r < 0)
                        return r;
                /* Short of the room it had: drained (epoll wakes the loop for what comes next). */
                if ((size_t) n < room)
                        break;
        }
        return 0;
}

/* Up to LOCAL_RECV_ROUNDS batches of c. Negative (with *ret_reason) closes the client. */
static int client_receive(struct local_client *c, const char **ret_reason) {
        struct local_server *s = c->server;
        int r = 0;

        for (unsigned round = 0; round < LOCAL_RECV_ROUNDS; round++) {
                int n = sock_batch_recv(&s->batch, c->fd);

                if (n == -EAGAIN || n == -EINTR)
                        break;
                if (n < 0) {
                        *ret_reason = "receive failed";
                        return n;
                }
                for (int i = 0; i < n && r >= 0; i++) {
                        const uint8_t *data;
                        ssize_t len = sock_batch_packet(&s->batch, (unsigned) i, &data);

                        if (len == 0) {
                                *ret_reason = NULL;
                                r = -ECONNRESET;
                        } else if (len < 0) {
                                *ret_reason = "frame larger than the limit";
                                r = (int) len;
                        } else {
                                r = local_client_feed(c, data, (size_t) len);
                                if (r < 0)
                                        *ret_reason = r == -EBADMSG ? "malformed frame" : "refused";
                        }
                }
                if (r < 0 || (unsigned) n < SOCK_BATCH_MAX)
                        break;
        }
        return r;
}

static int client_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct local_client *c = userdata;
        struct local_server *s = c->server;
        const char *reason = NULL;
        int r = 0;

        if (revents & EPOLLOUT) {
                r = client_flush(c);
                if (r < 0) {
                        reason = "send failed";
                        goto close;
                }
        }
        if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return 0;

        /* Never fail the callback: sd-event would disable the source and leave the
         * client in its slot, unread, for good. Without a buffer it is closed. */
        if (!s->ops->stream && !s->batch.buf) {
                r = sock_batch_init(&s->batch, WIRE_FRAME_MAX);
                if (r < 0) {
                        reason = "out of memory";
                        goto close;
                }
        }

        if (s->ops->receive_begin)
                s->ops->receive_begin(s->userdata);
        r = s->ops->stream ? stream_receive(c, &reason) : client_receive(c, &reason);
        if (s->ops->receive_end)
                s->ops->receive_end(s->userdata);
        if (r >= 0)
                return 0;

close:
        if (reason)
                log_info_errno(r, "Closing local client (pid %d): %s.", (int) c->pid, reason);
        else
                log_debug("Local client (pid %d) disconnected.", (int) c->pid);
        talloc_free(c);
        return 0;
}

static void set_sockbuf(int fd) {
        int size = LOCAL_SOCKBUF_SIZE;

        /* FORCE needs CAP_NET_ADMIN; without it the kernel's wmem_max caps the size. */
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

int local_server_add_client(struct local_server *s, int fd, pid_t pid, uid_t uid,
                            struct local_client **ret) {
        struct wire_header h = { .kind = WIRE_KIND_HELLO, .dst = CTDB_PNN_NONE };
        struct wire_hello hello;
        struct local_client *c;
        int r;

        c = talloc_zero(s, struct local_client);
        if (!c) {
                close(fd);
                return -ENOMEM;
        }
        c->server = s;
        c->fd = fd;
        c->pid = pid;
        c->uid = uid;
        LIST_PREPEND(s->clients, c);
        s->n_clients++;
        talloc_set_destructor(c, client_destructor);

        r = sd_event_add_io(s->event, &c->io_source, fd, EPOLLIN, client_io, c);
        if (r < 0) {
                talloc_free(c);
                return r;
        }
        c->io_events = EPOLLIN;
        set_sockbuf(fd);
        if (s->ops->stream) {
                c->hello_done = true;
                r = s->ops->connected ? s->ops->connected(c, s->userdata) : 0;
                if (r < 0) {
                        talloc_free(c);
                        return r;
                }
                if (ret)
                        *ret = c;
                return 0;
        }
        s->ops->hello(s->userdata, &hello);
        h.src = hello.pnn;
        r = local_client_send_msg(c, &h, &wire_hello_desc, &hello);
        if (r < 0) {
                talloc_free(c);
                return r;
        }
        if (ret)
                *ret = c;
        return 0;
}

static void local_accept_one(struct local_server *s, int fd) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        int r;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                log_warning_errno(errno, "Cannot identify a local client: %m");
                close(fd);
                return;
        }
        if (cred.uid != 0 && cred.uid != geteuid()) {
                log_notice("Refused local client pid %d: uid %u is neither root nor ours.", (int) cred.pid,
                           (unsigned) cred.uid);
                close(fd);
                return;
        }
        if (s->n_clients >= s->limits->clients_max) {
                log_warning("Refused local client pid %d: %u clients already connected.", (int) cred.pid,
                            s->n_clients);
                close(fd);
                return;
        }
        r = local_server_add_client(s, fd, cred.pid, cred.uid, NULL);
        if (r < 0) {
                log_warning_errno(r, "Cannot take local client pid %d: %m", (int) cred.pid);
                return;
        }
        log_debug("Local client connected: pid %d uid %u.", (int) cred.pid, (unsigned) cred.uid);
}

static int local_listen_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct local_server *s = userdata;

        /* Bounded, so a connection flood cannot starve the clients already here. */
        for (unsigned i = 0; i < 16; i++) {
                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warning_errno(errno, "Failed to accept a local client: %m");
                        break;
                }
                local_accept_one(s, cfd);
        }
        return 0;
}

static int server_destructor(struct local_server *s) {
        while (s->clients)
                talloc_free(s->clients);
        sd_event_source_disable_unref(s->io_source);
        if (s->fd >= 0)
                close(s->fd);
        if (s->fd >= 0 && s->path)
                (void) unlink(s->path);
        sock_batch_done(&s->batch);
        return 0;
}

/* Creates the directories above path (not path itself). */
static int mkdir_parents_of(const char *path) {
        char dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        size_t len;

        if (!slash || slash == path)
                return 0;
        len = (size_t) (slash - path);
        if (len >= sizeof(dir))
                return -ENAMETOOLONG;
        memcpy(dir, path, len);
        dir[len] = '\0';
        return mkdir_p(dir, 0755);
}

/* Removes a socket left by a daemon that died; refuses to take over from a live one. */
static int remove_stale_socket(const struct sockaddr_un *sun, socklen_t len, int type) {
        struct stat st;
        int fd, r;

        if (lstat(sun->sun_path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;
        fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        r = connect(fd, (const struct sockaddr *) sun, len);
        close(fd);
        if (r == 0)
                return -EADDRINUSE;
        if (unlink(sun->sun_path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/* The listening socket of type at path; *ret_fd owned by the caller. */
static int local_server_bind(const char *path, int type, int *ret_fd) {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        socklen_t len;
        mode_t old_umask;
        int fd, r;

        if (strlen(path) >= sizeof(sun.sun_path))
                return -ENAMETOOLONG;
        strcpy(sun.sun_path, path);
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);

        r = mkdir_parents_of(path);
        if (r < 0)
                return r;
        r = remove_stale_socket(&sun, len, type);
        if (r < 0)
                return r;

        fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* 0600 from the start: no window in which another user could connect. */
        old_umask = umask(0177);
        r = bind(fd, (const struct sockaddr *) &sun, len);
        umask(old_umask);
        if (r < 0 || listen(fd, 128) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

int local_server_new(void *mem_ctx, sd_event *event, const char *path, const struct local_server_ops *ops,
                     const struct local_server_limits *limits, void *userdata, struct local_server **ret) {
        struct local_server *s;
        int fd = -1, r;

        if (path) {
                r = local_server_bind(path, ops->stream ? SOCK_STREAM : SOCK_SEQPACKET, &fd);
                if (r < 0)
                        return r;
        }
        s = talloc_zero(mem_ctx, struct local_server);
        if (!s) {
                if (fd >= 0) {
                        close(fd);
                        (void) unlink(path);
                }
                return -ENOMEM;
        }
        s->event = event;
        s->ops = ops;
        s->limits = limits;
        s->userdata = userdata;
        s->fd = fd;
        talloc_set_destructor(s, server_destructor);
        if (!path) {
                *ret = s;
                return 0;
        }
        s->path = talloc_strdup(s, path);
        if (!s->path) {
                talloc_free(s);
                return -ENOMEM;
        }
        r = sd_event_add_io(event, &s->io_source, fd, EPOLLIN, local_listen_io, s);
        if (r < 0) {
                talloc_free(s);
                return r;
        }
        *ret = s;
        return 0;
}
