/* The local SOCK_SEQPACKET socket and its clients; see tunneld-local.h. */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "talloc-util.h"
#include "tunneld-link.h"
#include "tunneld-local.h"
#include "tunneld-manager.h"
#include "tunneld-util.h"

#define REG_BUCKETS 256u
/* Packets taken from one client per recvmmsg(), and rounds before others get a turn. */
#define RECV_BATCH 4u
#define RECV_ROUNDS 4u
/* Room for the largest frame in the kernel's accounting of one queued packet. */
#define LOCAL_SOCKBUF_SIZE ((int) (WIRE_FRAME_MAX + 64u * 1024u))

struct reg {
        uint64_t srvid;
        struct local_client *client;
        struct reg *bucket_next;
        struct reg *client_next;
};

struct outpkt {
        uint8_t *data;
        uint32_t len;
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

        struct reg *regs;
        unsigned n_regs;

        struct outpkt *q; /* ring of LOCAL_OUTQ_FRAMES_MAX, allocated while used */
        unsigned q_head, q_len;
        size_t q_bytes;
        bool dropping;
        bool warned_size; /* logged a message too large for the socket */
        uint64_t dropped; /* messages dropped since the queue last overflowed */
};

struct local_server {
        struct tunneld_manager *manager;
        char *path;
        int fd;
        sd_event_source *io_source;
        struct local_client *clients;
        unsigned n_clients;
        struct reg *buckets[REG_BUCKETS];
        /* RECV_BATCH buffers of WIRE_FRAME_MAX + 1; only the pages a frame touches become resident. */
        uint8_t *rbuf;
};

static unsigned reg_bucket(uint64_t srvid) {
        uint64_t h = srvid * UINT64_C(0x9e3779b97f4a7c15);
        return (unsigned) (h >> 56) % REG_BUCKETS;
}

static struct reg *client_find_reg(struct local_client *c, uint64_t srvid) {
        for (struct reg *r = c->server->buckets[reg_bucket(srvid)]; r; r = r->bucket_next)
                if (r->srvid == srvid && r->client == c)
                        return r;
        return NULL;
}

static void reg_unlink(struct local_server *s, struct reg *reg) {
        struct reg **p;

        for (p = &s->buckets[reg_bucket(reg->srvid)]; *p; p = &(*p)->bucket_next)
                if (*p == reg) {
                        *p = reg->bucket_next;
                        break;
                }
        for (p = &reg->client->regs; *p; p = &(*p)->client_next)
                if (*p == reg) {
                        *p = reg->client_next;
                        break;
                }
        reg->client->n_regs--;
        talloc_free(reg);
}

static int client_destructor(struct local_client *c) {
        struct local_server *s = c->server;

        while (c->regs)
                reg_unlink(s, c->regs);
        sd_event_source_disable_unref(c->io_source);
        if (c->fd >= 0)
                close(c->fd);
        TUNNELD_LIST_REMOVE(s->clients, c);
        s->n_clients--;
        return 0;
}

static void client_set_io_events(struct local_client *c, uint32_t events) {
        tunneld_io_set_events(c->io_source, &c->io_events, events);
}

/* Writes queued frames until the socket is full. Returns negative on a dead socket. */
static int client_flush(struct local_client *c) {
        while (c->q_len > 0) {
                struct outpkt *p = &c->q[c->q_head];
                ssize_t n = send(c->fd, p->data, p->len, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                c->q_bytes -= p->len;
                TALLOC_FREE(p->data);
                c->q_head = (c->q_head + 1) % LOCAL_OUTQ_FRAMES_MAX;
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

/*
 * Sends one frame (packed header + payload) now, or queues it if the client's
 * socket is full. A full queue drops the frame (counted): the daemon never waits
 * for a client. Errors of a dead socket are left to the read side, which sees EOF.
 */
static void client_send_packed(struct local_client *c, const uint8_t hdr[WIRE_HEADER_SIZE],
                               const uint8_t *payload, size_t payload_len) {
        size_t total = WIRE_HEADER_SIZE + payload_len;

        if (c->q_len == 0) {
                struct iovec iov[2] = {
                        { .iov_base = (void *) hdr, .iov_len = WIRE_HEADER_SIZE },
                        { .iov_base = (void *) payload, .iov_len = payload_len },
                };
                struct msghdr mh = { .msg_iov = iov, .msg_iovlen = payload_len > 0 ? 2 : 1 };
                ssize_t n;

                do
                        n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
                while (n < 0 && errno == EINTR);
                if (n >= 0)
                        return;
                /*
                 * Larger than the socket buffer the kernel allowed us (net.core.wmem_max,
                 * no CAP_NET_ADMIN): it never fits. libctdb-client refuses such messages
                 * (ctdb_client_max_message()), so it came from a node with a larger limit.
                 */
                if (errno == EMSGSIZE) {
                        if (!c->warned_size) {
                                c->warned_size = true;
                                log_warning("Dropped a message of %zu bytes for local client (pid %d): above "
                                            "this node's local socket limit (raise net.core.wmem_max).",
                                            total, (int) c->pid);
                        }
                        return;
                }
                /* A dead socket: the read side sees EOF and closes the client. */
                if (errno != EAGAIN)
                        return;
        }

        if (c->q_len >= LOCAL_OUTQ_FRAMES_MAX || c->q_bytes + total > LOCAL_OUTQ_BYTES_MAX)
                goto drop;
        if (!c->q) {
                c->q = talloc_array(c, struct outpkt, LOCAL_OUTQ_FRAMES_MAX);
                if (!c->q)
                        goto drop;
        }
        struct outpkt *p = &c->q[(c->q_head + c->q_len) % LOCAL_OUTQ_FRAMES_MAX];
        p->data = talloc_size(c->q, total);
        if (!p->data)
                goto drop;
        memcpy(p->data, hdr, WIRE_HEADER_SIZE);
        if (payload_len > 0)
                memcpy(p->data + WIRE_HEADER_SIZE, payload, payload_len);
        p->len = (uint32_t) total;
        c->q_len++;
        c->q_bytes += total;
        client_set_io_events(c, EPOLLIN | EPOLLOUT);
        return;

drop:
        c->dropped++;
        if (!c->dropping) {
                c->dropping = true;
                log_warning("Local client (pid %d) does not read its socket, dropping messages for it.",
                            (int) c->pid);
        }
}

static void client_send_msg(struct local_client *c, struct wire_header *h, const struct wire_desc *desc,
                            const void *msg) {
        uint8_t hdr[WIRE_HEADER_SIZE], payload[128];
        int r;

        r = wire_pack(desc, msg, payload, sizeof(payload));
        if (r < 0)
                return; /* only fixed-size control frames go through here; cannot happen */
        h->length = WIRE_HEADER_SIZE + (uint32_t) r;
        wire_header_pack(h, hdr);
        client_send_packed(c, hdr, payload, (size_t) r);
}

static void client_send_link(struct local_client *c, uint32_t pnn, bool up) {
        struct tunneld_manager *m = c->server->manager;
        struct wire_header h = { .kind = WIRE_KIND_LINK, .src = m->pnn, .dst = m->pnn };
        struct wire_link link = { .pnn = pnn, .connected = up };

        client_send_msg(c, &h, &wire_link_desc, &link);
}

static void client_send_error(struct local_client *c, const struct wire_header *req, int error) {
        struct tunneld_manager *m = c->server->manager;
        struct wire_header h = {
                .kind = WIRE_KIND_ERROR, .src = m->pnn, .dst = m->pnn, .srvid = req->srvid
        };
        struct wire_error e = {
                .error = error < 0 ? -error : error,
                .request_kind = req->kind,
                .srvid = req->srvid,
                .dst = req->dst,
        };

        client_send_msg(c, &h, &wire_error_desc, &e);
}

static int client_handle_hello(struct local_client *c, const uint8_t *payload, size_t len) {
        struct tunneld_manager *m = c->server->manager;
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
        for (uint32_t i = 0; i < m->nodes->n_nodes; i++) {
                struct link *l = m->links[i];
                if (l)
                        client_send_link(c, l->pnn, l->up);
        }
        return 0;
}

static int client_handle_register(struct local_client *c, const struct wire_header *h) {
        struct local_server *s = c->server;
        struct reg *reg;
        unsigned b;

        if (client_find_reg(c, h->srvid))
                return 0;
        if (c->n_regs >= LOCAL_REGISTRATIONS_MAX) {
                client_send_error(c, h, ENOSPC);
                return 0;
        }
        reg = talloc_zero(c, struct reg);
        if (!reg) {
                client_send_error(c, h, ENOMEM);
                return 0;
        }
        reg->srvid = h->srvid;
        reg->client = c;
        b = reg_bucket(h->srvid);
        reg->bucket_next = s->buckets[b];
        s->buckets[b] = reg;
        reg->client_next = c->regs;
        c->regs = reg;
        c->n_regs++;
        return 0;
}

/* Returns negative to close the client. */
static int client_handle_packet(struct local_client *c, const uint8_t *buf, size_t len) {
        struct tunneld_manager *m = c->server->manager;
        const uint8_t *payload = buf + WIRE_HEADER_SIZE;
        size_t payload_len;
        struct wire_header h;
        int r;

        if (len < WIRE_HEADER_SIZE || wire_header_unpack(buf, WIRE_FRAME_MAX, &h) < 0 || h.length != len)
                return -EBADMSG;
        payload_len = len - WIRE_HEADER_SIZE;

        if (!c->hello_done) {
                if (h.kind != WIRE_KIND_HELLO)
                        return -EBADMSG;
                return client_handle_hello(c, payload, payload_len);
        }

        switch (h.kind) {
        case WIRE_KIND_REGISTER:
                return client_handle_register(c, &h);
        case WIRE_KIND_DEREGISTER: {
                struct reg *reg = client_find_reg(c, h.srvid);
                if (reg)
                        reg_unlink(c->server, reg);
                return 0;
        }
        case WIRE_KIND_MESSAGE: {
                struct wire_message msg;
                if (wire_unpack(&wire_message_desc, NULL, payload, payload_len, &msg) < 0)
                        return -EBADMSG;
                /* The source is this node, whatever the client wrote. */
                h.src = m->pnn;
                r = tunneld_manager_send_message(m, &h, payload, payload_len);
                if (r < 0)
                        client_send_error(c, &h, r);
                return 0;
        }
        default:
                return -EBADMSG;
        }
}

static int client_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct local_client *c = userdata;
        struct local_server *s = c->server;
        struct tunneld_manager *m = s->manager;
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

        if (!s->rbuf) {
                s->rbuf = talloc_size(s, (size_t) RECV_BATCH * (WIRE_FRAME_MAX + 1));
                if (!s->rbuf)
                        return log_oom();
        }

        /* Frames to the links are queued while we read, then written in one go per link. */
        m->cork++;
        for (unsigned round = 0; round < RECV_ROUNDS; round++) {
                struct mmsghdr msgs[RECV_BATCH];
                struct iovec iov[RECV_BATCH];
                int n;

                memset(msgs, 0, sizeof(msgs));
                for (unsigned i = 0; i < RECV_BATCH; i++) {
                        iov[i] = (struct iovec){ .iov_base = s->rbuf + (size_t) i * (WIRE_FRAME_MAX + 1),
                                                 .iov_len = WIRE_FRAME_MAX + 1 };
                        msgs[i].msg_hdr.msg_iov = &iov[i];
                        msgs[i].msg_hdr.msg_iovlen = 1;
                }
                n = recvmmsg(fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        r = -errno;
                        reason = "receive failed";
                        break;
                }
                for (int i = 0; i < n && r >= 0; i++) {
                        if (msgs[i].msg_len == 0) {
                                r = -ECONNRESET;
                                reason = NULL;
                        } else if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC ||
                                   msgs[i].msg_len > WIRE_FRAME_MAX) {
                                r = -EMSGSIZE;
                                reason = "frame larger than the limit";
                        } else {
                                r = client_handle_packet(c, iov[i].iov_base, msgs[i].msg_len);
                                if (r < 0)
                                        reason = r == -EBADMSG ? "malformed frame" : "refused";
                        }
                }
                if (r < 0 || (unsigned) n < RECV_BATCH)
                        break;
        }
        m->cork--;
        tunneld_manager_uncork(m);
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

static void local_accept_one(struct local_server *s, int fd) {
        struct tunneld_manager *m = s->manager;
        struct wire_header h = { .kind = WIRE_KIND_HELLO, .src = m->pnn, .dst = CTDB_PNN_NONE };
        struct wire_hello hello;
        struct local_client *c;
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
        if (s->n_clients >= LOCAL_CLIENTS_MAX) {
                log_warning("Refused local client pid %d: %u clients already connected.", (int) cred.pid,
                            s->n_clients);
                close(fd);
                return;
        }

        c = talloc_zero(s, struct local_client);
        if (!c) {
                log_oom();
                close(fd);
                return;
        }
        c->server = s;
        c->fd = fd;
        c->pid = cred.pid;
        c->uid = cred.uid;
        TUNNELD_LIST_PREPEND(s->clients, c);
        s->n_clients++;
        talloc_set_destructor(c, client_destructor);

        r = sd_event_add_io(m->event, &c->io_source, fd, EPOLLIN, client_io, c);
        if (r < 0) {
                log_warning_errno(r, "Cannot watch local client pid %d: %m", (int) cred.pid);
                talloc_free(c);
                return;
        }
        c->io_events = EPOLLIN;
        set_sockbuf(fd);
        log_debug("Local client connected: pid %d uid %u.", (int) cred.pid, (unsigned) cred.uid);
        tunneld_manager_hello(m, &hello);
        client_send_msg(c, &h, &wire_hello_desc, &hello);
}

static int local_listen_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct local_server *s = userdata;

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
        if (s->fd >= 0) {
                close(s->fd);
                (void) unlink(s->path);
        }
        return 0;
}

static int mkdir_parents(const char *dir, mode_t mode) {
        char buf[PATH_MAX];
        size_t len = strlen(dir);

        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, dir, len + 1);
        for (char *p = buf + 1;; p++) {
                if (*p == '/' || *p == '\0') {
                        char c = *p;
                        *p = '\0';
                        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                                return -errno;
                        *p = c;
                        if (c == '\0')
                                break;
                }
        }
        return 0;
}

/* Removes a socket left by a daemon that died; refuses to take over from a live one. */
static int remove_stale_socket(const struct sockaddr_un *sun, socklen_t len) {
        struct stat st;
        int fd, r;

        if (lstat(sun->sun_path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
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

int local_server_new(struct tunneld_manager *m, const char *path, struct local_server **ret) {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        struct local_server *s;
        socklen_t len;
        mode_t old_umask;
        char *dir, *slash;
        int fd, r;

        if (strlen(path) >= sizeof(sun.sun_path))
                return -ENAMETOOLONG;
        strcpy(sun.sun_path, path);
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);

        dir = talloc_strdup(m, path);
        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                r = mkdir_parents(dir, 0755);
                if (r < 0) {
                        talloc_free(dir);
                        return r;
                }
        }
        talloc_free(dir);

        r = remove_stale_socket(&sun, len);
        if (r < 0)
                return r;

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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

        s = talloc_zero(m, struct local_server);
        if (!s) {
                close(fd);
                (void) unlink(path);
                return -ENOMEM;
        }
        s->manager = m;
        s->fd = fd;
        s->path = talloc_strdup(s, path);
        talloc_set_destructor(s, server_destructor);
        if (!s->path) {
                talloc_free(s);
                return -ENOMEM;
        }
        r = sd_event_add_io(m->event, &s->io_source, fd, EPOLLIN, local_listen_io, s);
        if (r < 0) {
                talloc_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

void local_server_deliver(struct local_server *s, const struct wire_header *h, const uint8_t *payload,
                          size_t payload_len) {
        uint8_t hdr[WIRE_HEADER_SIZE];
        struct wire_header out = *h;
        bool packed = false;

        for (struct reg *r = s->buckets[reg_bucket(h->srvid)]; r; r = r->bucket_next) {
                if (r->srvid != h->srvid || !r->client->hello_done)
                        continue;
                if (!packed) {
                        out.kind = WIRE_KIND_MESSAGE;
                        out.length = (uint32_t) (WIRE_HEADER_SIZE + payload_len);
                        wire_header_pack(&out, hdr);
                        packed = true;
                }
                client_send_packed(r->client, hdr, payload, payload_len);
        }
}

void local_server_link_changed(struct local_server *s, uint32_t pnn, bool up) {
        for (struct local_client *c = s->clients; c; c = c->next)
                if (c->hello_done)
                        client_send_link(c, pnn, up);
}

