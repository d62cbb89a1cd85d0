/* libctdb-client's db.sock connection: requests by id and their answers; see db-conn.h. */

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client-socket.h"
#include "db-conn.h"
#include "db-proto.h"
#include "list.h"

#define DEFAULT_TIMEOUT_MSEC 60000u
/*
 * Answers queued for one request (a traverse's batches while its callback
 * runs, up to DB_BATCH_BYTES each): beyond this the request fails with
 * -ENOBUFS instead of holding an unbounded share of dbd's output here.
 */
#define PENDING_FRAMES_MAX 256u
/* Payloads up to this size are packed on the stack. */
#define SEND_STACK_MAX 1024u

int db_cond_init(pthread_cond_t *cond) {
        pthread_condattr_t attr;
        int r;

        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        r = pthread_cond_init(cond, &attr);
        pthread_condattr_destroy(&attr);
        return -r;
}

int db_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *m, uint64_t deadline) {
        struct timespec ts = { .tv_sec = (time_t) (deadline / 1000000u),
                               .tv_nsec = (long) (deadline % 1000000u) * 1000 };

        return pthread_cond_timedwait(cond, m, &ts);
}

static int poll_until(int fd, short events, uint64_t deadline) {
        struct pollfd pfd = { .fd = fd, .events = events };
        uint64_t now = db_now_usec(), ms = now < deadline ? (deadline - now + 999u) / 1000u : 0;
        int n = poll(&pfd, 1, ms > INT_MAX ? INT_MAX : (int) ms);

        return n < 0 ? -errno : n;
}

const char *ctdb_db_default_socket(void) {
        const char *e = getenv("CTDB_DB_SOCKET");

        return e && *e ? e : CTDB_RUN_DIR "/db.sock";
}

int ctdb_db_connect(const char *path, ctdb_db_client **ret) {
        struct wire_hello hello;
        size_t max_packet;
        ctdb_db_client *c;
        int r;

        if (!ret)
                return -EINVAL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->fd = -1;
        c->timeout_msec = DEFAULT_TIMEOUT_MSEC;
        r = -pthread_mutex_init(&c->lock, NULL);
        if (r < 0) {
                free(c);
                return r;
        }
        pthread_mutex_init(&c->attach_lock, NULL);
        r = db_cond_init(&c->cond);
        if (r >= 0)
                r = sock_batch_init(&c->batch, WIRE_FRAME_MAX);
        if (r >= 0)
                r = client_socket_connect(path ? path : ctdb_db_default_socket(),
                                          sock_batch_buffer(&c->batch, 0), &c->fd, &max_packet, &hello);
        if (r < 0) {
                ctdb_db_client_free(c);
                return r;
        }
        /* dbd's HELLO names this node; a record is ours when its header says this pnn. */
        c->pnn = hello.pnn;
        *ret = c;
        return 0;
}

void ctdb_db_client_free(ctdb_db_client *c) {
        if (!c)
                return;
        if (c->fd >= 0)
                close(c->fd);
        sock_batch_done(&c->batch);
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->attach_lock);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

uint32_t ctdb_db_client_pnn(ctdb_db_client *c) {
        return c->pnn;
}

void ctdb_db_client_set_timeout(ctdb_db_client *c, unsigned msec) {
        pthread_mutex_lock(&c->lock);
        c->timeout_msec = msec;
        pthread_mutex_unlock(&c->lock);
}

/* c->lock held. */
static uint64_t deadline_locked(ctdb_db_client *c) {
        return db_now_usec() + (uint64_t) c->timeout_msec * 1000u;
}

uint64_t db_conn_deadline(ctdb_db_client *c) {
        uint64_t d;

        pthread_mutex_lock(&c->lock);
        d = deadline_locked(c);
        pthread_mutex_unlock(&c->lock);
        return d;
}

int db_conn_error(ctdb_db_client *c) {
        return __atomic_load_n(&c->error, __ATOMIC_ACQUIRE);
}

/*
 * c->lock held. The connection is broken for good: every waiting and later
 * call gets error. shutdown() wakes a reader in poll() and tells dbd.
 */
static void conn_fail(ctdb_db_client *c, int error) {
        if (c->error == 0) {
                __atomic_store_n(&c->error, error, __ATOMIC_RELEASE);
                (void) shutdown(c->fd, SHUT_RDWR);
        }
        pthread_cond_broadcast(&c->cond);
}

int db_conn_bad_answer(ctdb_db_client *c) {
        pthread_mutex_lock(&c->lock);
        conn_fail(c, -EBADMSG);
        pthread_mutex_unlock(&c->lock);
        return -EBADMSG;
}

int db_conn_answer_error(ctdb_db_client *c, int32_t error) {
        if (error == 0)
                return 0;
        if (error < 0 || error > 4095)
                return db_conn_bad_answer(c);
        return -error;
}

int db_conn_reply_error(ctdb_db_client *c, const struct db_frame *f) {
        struct db_reply reply;

        if (wire_unpack(&db_reply_desc, NULL, f->payload, f->len, &reply) < 0)
                return db_conn_bad_answer(c);
        return db_conn_answer_error(c, reply.error);
}

/* c->lock held. Queues one received packet on its request; answers to nobody are dropped. */
static int deliver(ctdb_db_client *c, const uint8_t *buf, size_t len) {
        struct wire_header h;
        struct db_pending *p;
        struct db_frame *f;

        if (len < WIRE_HEADER_SIZE || wire_header_unpack(buf, WIRE_FRAME_MAX, &h) < 0 || h.length != len)
                return -EBADMSG;
        for (p = c->pending; p && p->id != h.srvid; p = p->next)
                ;
        if (!p || p->error < 0)
                return 0;
        if (p->n_frames >= PENDING_FRAMES_MAX) {
                p->error = -ENOBUFS;
                return 0;
        }
        f = malloc(sizeof(*f) + len - WIRE_HEADER_SIZE);
        if (!f)
                return -ENOMEM;
        *f = (struct db_frame){ .kind = h.kind, .len = len - WIRE_HEADER_SIZE };
        memcpy(f->payload, buf + WIRE_HEADER_SIZE, f->len);
        *p->tail = f;
        p->tail = &f->next;
        p->n_frames++;
        return 0;
}

/* c->lock held, as this thread's turn as the reader; it is dropped while waiting for the socket. */
static int read_answers(ctdb_db_client *c, uint64_t deadline) {
        int n;

        pthread_mutex_unlock(&c->lock);
        n = poll_until(c->fd, POLLIN, deadline);
        if (n > 0)
                n = sock_batch_recv(&c->batch, c->fd);
        pthread_mutex_lock(&c->lock);
        if (n == 0 || n == -EAGAIN || n == -EINTR)
                return 0;
        if (n < 0)
                return -ECONNRESET;
        for (int i = 0; i < n; i++) {
                const uint8_t *buf;
                ssize_t len = sock_batch_packet(&c->batch, (unsigned) i, &buf);
                int r;

                /* A zero-length packet is how SOCK_SEQPACKET says the peer closed. */
                if (len == 0)
                        return -ECONNRESET;
                r = len < 0 ? -EBADMSG : deliver(c, buf, (size_t) len);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Sends one request with id; waits for room in the socket until deadline. */
static int send_request(ctdb_db_client *c, uint16_t kind, const struct wire_desc *desc, const void *msg,
                        uint64_t id, uint64_t deadline) {
        struct wire_header h = {
                .kind = desc->kind ? desc->kind : kind, .src = c->pnn, .dst = c->pnn, .srvid = id
        };
        uint8_t stack[SEND_STACK_MAX], *buf = stack;
        size_t size = wire_payload_size(desc, msg);
        int r;

        if (size > sizeof(stack)) {
                buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
        }
        r = wire_pack(desc, msg, buf, size);
        while (r >= 0) {
                r = client_send_frame(c->fd, &h, buf, size, MSG_DONTWAIT);
                if (r != -EAGAIN)
                        break;
                r = poll_until(c->fd, POLLOUT, deadline);
                if (r == 0 && db_now_usec() >= deadline)
                        r = -ETIMEDOUT;
                else if (r == 0 || r == -EINTR)
                        r = 1;
        }
        if (buf != stack)
                free(buf);
        if (r == -ECONNRESET || r == -ENOTCONN) {
                pthread_mutex_lock(&c->lock);
                conn_fail(c, -ECONNRESET);
                r = c->error;
                pthread_mutex_unlock(&c->lock);
        }
        return r < 0 ? r : 0;
}

static void pending_remove(ctdb_db_client *c, struct db_pending *p) {
        LIST_REMOVE(c->pending, p);
        while (p->head) {
                struct db_frame *f = p->head;

                p->head = f->next;
                free(f);
        }
}

int db_conn_start(ctdb_db_client *c, uint16_t kind, const struct wire_desc *desc, const void *msg,
                  struct db_pending *p) {
        int r;

        pthread_mutex_lock(&c->lock);
        r = c->error;
        if (r < 0) {
                pthread_mutex_unlock(&c->lock);
                return r;
        }
        /* Registered before the send: the answer may come before this thread waits. */
        *p = (struct db_pending){ .id = ++c->next_id, .deadline = deadline_locked(c) };
        p->tail = &p->head;
        LIST_PREPEND(c->pending, p);
        pthread_mutex_unlock(&c->lock);

        r = send_request(c, kind, desc, msg, p->id, p->deadline);
        if (r < 0)
                db_conn_end(c, p);
        return r;
}

int db_conn_next(ctdb_db_client *c, struct db_pending *p, struct db_frame **ret) {
        int r;

        pthread_mutex_lock(&c->lock);
        for (;;) {
                if (p->head) {
                        *ret = p->head;
                        p->head = p->head->next;
                        if (!p->head)
                                p->tail = &p->head;
                        p->n_frames--;
                        p->deadline = deadline_locked(c);
                        r = 0;
                        break;
                }
                r = p->error < 0 ? p->error : c->error;
                if (r < 0)
                        break;
                if (db_now_usec() >= p->deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                if (!c->reading) {
                        c->reading = true;
                        r = read_answers(c, p->deadline);
                        c->reading = false;
                        if (r < 0)
                                conn_fail(c, r);
                        /* Answers for others may have come, and someone else may read now. */
                        pthread_cond_broadcast(&c->cond);
                        continue;
                }
                (void) db_cond_wait_until(&c->cond, &c->lock, p->deadline);
        }
        pthread_mutex_unlock(&c->lock);
        return r;
}

void db_conn_end(ctdb_db_client *c, struct db_pending *p) {
        pthread_mutex_lock(&c->lock);
        pending_remove(c, p);
        pthread_mutex_unlock(&c->lock);
}

int db_conn_call(ctdb_db_client *c, uint16_t kind, const struct wire_desc *desc, const void *msg,
                 uint16_t expect, struct db_frame **ret) {
        return db_conn_call_until(c, kind, desc, msg, expect, 0, ret);
}

int db_conn_call_until(ctdb_db_client *c, uint16_t kind, const struct wire_desc *desc, const void *msg,
                       uint16_t expect, uint64_t deadline, struct db_frame **ret) {
        struct db_pending p;
        struct db_frame *f = NULL;
        int r;

        r = db_conn_start(c, kind, desc, msg, &p);
        if (r < 0)
                return r;
        /* Only this thread reads p's deadline (under c->lock). */
        if (deadline) {
                pthread_mutex_lock(&c->lock);
                p.deadline = deadline;
                pthread_mutex_unlock(&c->lock);
        }
        r = db_conn_next(c, &p, &f);
        db_conn_end(c, &p);
        if (r < 0)
                return r;
        if (f->kind == expect) {
                *ret = f;
                return 0;
        }
        r = f->kind == DB_LOCAL_REPLY ? db_conn_reply_error(c, f) : db_conn_bad_answer(c);
        /* A REPLY that says success carries no answer. */
        if (r == 0)
                r = db_conn_bad_answer(c);
        free(f);
        return r;
}

int db_conn_send(ctdb_db_client *c, uint16_t kind, const struct wire_desc *desc, const void *msg) {
        uint64_t id, deadline;
        int r;

        pthread_mutex_lock(&c->lock);
        r = c->error;
        id = ++c->next_id;
        deadline = deadline_locked(c);
        pthread_mutex_unlock(&c->lock);
        return r < 0 ? r : send_request(c, kind, desc, msg, id, deadline);
}
