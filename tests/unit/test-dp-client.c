/*
 * The daemons' connection to ctdb-tunneld's data plane (common/dp-client.c),
 * against a fake tunneld built on common/local-server.c.
 *
 * The fake runs its own sd-event loop in a thread: ctdb_client_connect() waits
 * (blocking, up to 5 s) for the server's HELLO, which the server sends only
 * once its loop has accepted, so the two cannot share one loop. The test
 * thread drives the fake through tunneld_call(), which runs a function in the
 * fake's thread and waits for it; what the fake records is read under its lock.
 */
#undef NDEBUG

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <talloc.h>
#include <time.h>
#include <unistd.h>

#include "dp-client.h"
#include "local-server.h"
#include "wire.h"

#define WAIT_USEC      (5 * 1000 * 1000) /* generous: a wait never decides a result */
#define SERVER_PNN     2u
#define SERVER_N_NODES 4u
#define SRVID_A        UINT64_C(0xf100000000000001)
#define SRVID_B        UINT64_C(0xf100000000000002)
#define RECORD_MAX     16u
#define DATA_MAX       64u

/* Link states the fake announces to every client as it connects, in this order. */
static const struct wire_link fake_links[] = {
        { .pnn = 0, .connected = 1 },
        { .pnn = 1, .connected = 0 },
        { .pnn = 3, .connected = 1 },
};

struct frame_record {
        uint32_t src, dst;
        uint64_t srvid;
        uint8_t data[DATA_MAX];
        size_t len;
};

/* The fake tunneld. The counters and records are written in its thread, under lock. */
struct tunneld {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        sd_event *event;
        int cmd[2]; /* pipe: struct tunneld_cmd pointers into the fake's thread */
        const char *path;
        struct local_server *server;
        struct local_client *client; /* the last client that connected, while it is there */

        unsigned n_connected, n_disconnected;
        uint64_t registered[RECORD_MAX]; /* REGISTER frames' srvids, in arrival order */
        unsigned n_registered;
        struct frame_record messages[RECORD_MAX]; /* MESSAGE frames from clients */
        unsigned n_messages;
};

struct tunneld_cmd {
        int (*fn)(struct tunneld *t, const void *arg);
        const void *arg;
        int result;
        bool done;
};

/* The client side, written by dp_client's callbacks in the test thread. */
struct fixture {
        sd_event *event;
        char *dir;
        char *path;
        struct tunneld t;
        struct dp_client *dp;
        int connected_result; /* what the connected callback returns */

        unsigned n_connected, n_disconnected;
        uint32_t pnn, n_nodes;
        int disconnect_error;
        uint64_t connected_usec, disconnected_usec;
        struct wire_link links[RECORD_MAX];
        unsigned n_links;
        struct frame_record messages[RECORD_MAX];
        unsigned n_messages;
};

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* ---- the fake tunneld (its thread) -------------------------------------------- */

static void fake_hello(void *userdata, struct wire_hello *ret) {
        *ret = (struct wire_hello){
                .magic = WIRE_MAGIC,
                .major = WIRE_VERSION_MAJOR,
                .minor = WIRE_VERSION_MINOR,
                .pnn = SERVER_PNN,
                .n_nodes = SERVER_N_NODES,
        };
}

static int fake_connected(struct local_client *c, void *userdata) {
        struct tunneld *t = userdata;

        pthread_mutex_lock(&t->lock);
        t->n_connected++;
        t->client = c;
        pthread_mutex_unlock(&t->lock);
        for (size_t i = 0; i < G_N_ELEMENTS(fake_links); i++) {
                struct wire_header h = { .src = SERVER_PNN, .dst = SERVER_PNN };
                int r = local_client_send_msg(c, &h, &wire_link_desc, &fake_links[i]);

                if (r < 0)
                        return r;
        }
        return 0;
}

static void fake_disconnected(struct local_client *c, void *userdata) {
        struct tunneld *t = userdata;

        pthread_mutex_lock(&t->lock);
        /* Only clients past HELLO were counted as connected. */
        if (t->client == c) {
                t->client = NULL;
                t->n_disconnected++;
        }
        pthread_mutex_unlock(&t->lock);
}

static int fake_frame(struct local_client *c, const struct wire_header *h, const uint8_t *payload,
                      size_t len, void *userdata) {
        struct tunneld *t = userdata;
        struct wire_message m;
        int r = 0;

        pthread_mutex_lock(&t->lock);
        if (h->kind == WIRE_KIND_REGISTER && t->n_registered < RECORD_MAX) {
                t->registered[t->n_registered++] = h->srvid;
        } else if (h->kind == WIRE_KIND_MESSAGE && t->n_messages < RECORD_MAX) {
                r = wire_unpack(&wire_message_desc, NULL, payload, len, &m);
                if (r >= 0 && m.data_len <= DATA_MAX) {
                        struct frame_record *rec = &t->messages[t->n_messages++];

                        *rec = (struct frame_record){ .src = h->src, .dst = h->dst, .srvid = h->srvid };
                        memcpy(rec->data, m.data, m.data_len);
                        rec->len = m.data_len;
                }
        }
        pthread_mutex_unlock(&t->lock);
        return r < 0 ? -EBADMSG : 0;
}

static const struct local_server_ops fake_ops = {
        .hello = fake_hello,
        .connected = fake_connected,
        .frame = fake_frame,
        .disconnected = fake_disconnected,
};

static const struct local_server_limits fake_limits = {
        .clients_max = 4,
        .outq_frames_max = 64,
        .outq_bytes_max = 1024 * 1024,
};

static int fake_bind(struct tunneld *t, const void *arg) {
        return local_server_new(NULL, t->event, t->path, &fake_ops, &fake_limits, t, &t->server);
}

/* Freeing the server closes its clients and removes the socket: tunneld exiting. */
static int fake_unbind(struct tunneld *t, const void *arg) {
        talloc_free(t->server);
        t->server = NULL;
        return 0;
}

static int fake_drop_client(struct tunneld *t, const void *arg) {
        if (!t->client)
                return -ENOTCONN;
        local_client_free(t->client);
        return 0;
}

/* A MESSAGE frame to the client, as tunneld forwards one from node rec->src. */
static int fake_send_message(struct tunneld *t, const void *arg) {
        const struct frame_record *rec = arg;
        struct wire_header h = { .src = rec->src, .dst = rec->dst, .srvid = rec->srvid };
        struct wire_message m = { .data = rec->data, .data_len = (uint32_t) rec->len };

        if (!t->client)
                return -ENOTCONN;
        return local_client_send_msg(t->client, &h, &wire_message_desc, &m);
}

static int fake_stop(struct tunneld *t, const void *arg) {
        fake_unbind(t, NULL);
        return sd_event_exit(t->event, 0);
}

static int on_cmd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct tunneld *t = userdata;
        struct tunneld_cmd *cmd;

        if (read(fd, &cmd, sizeof(cmd)) != sizeof(cmd))
                return 0;
        cmd->result = cmd->fn(t, cmd->arg);
        pthread_mutex_lock(&t->lock);
        cmd->done = true;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        return 0;
}

static void *fake_thread(void *userdata) {
        struct tunneld *t = userdata;

        (void) sd_event_loop(t->event);
        return NULL;
}

/* Runs fn in the fake's thread and returns its result. */
static int tunneld_call(struct tunneld *t, int (*fn)(struct tunneld *t, const void *arg), const void *arg) {
        struct tunneld_cmd cmd = { .fn = fn, .arg = arg };
        struct tunneld_cmd *p = &cmd;

        g_assert_cmpint(write(t->cmd[1], &p, sizeof(p)), ==, sizeof(p));
        pthread_mutex_lock(&t->lock);
        while (!cmd.done)
                pthread_cond_wait(&t->cond, &t->lock);
        pthread_mutex_unlock(&t->lock);
        return cmd.result;
}

/* One of the fake's counters, read under its lock. */
static unsigned tunneld_get(struct tunneld *t, const unsigned *counter) {
        unsigned v;

        pthread_mutex_lock(&t->lock);
        v = *counter;
        pthread_mutex_unlock(&t->lock);
        return v;
}

static void tunneld_start(struct tunneld *t, const char *path) {
        sd_event_source *s = NULL;

        t->path = path;
        g_assert_cmpint(pthread_mutex_init(&t->lock, NULL), ==, 0);
        g_assert_cmpint(pthread_cond_init(&t->cond, NULL), ==, 0);
        g_assert_cmpint(pipe2(t->cmd, O_CLOEXEC), ==, 0);
        g_assert_cmpint(sd_event_new(&t->event), >=, 0);
        g_assert_cmpint(sd_event_add_io(t->event, &s, t->cmd[0], EPOLLIN, on_cmd, t), >=, 0);
        g_assert_cmpint(sd_event_source_set_floating(s, true), >=, 0);
        sd_event_source_unref(s);
        g_assert_cmpint(pthread_create(&t->thread, NULL, fake_thread, t), ==, 0);
}

static void tunneld_stop(struct tunneld *t) {
        g_assert_cmpint(tunneld_call(t, fake_stop, NULL), >=, 0);
        g_assert_cmpint(pthread_join(t->thread, NULL), ==, 0);
        sd_event_unref(t->event);
        close(t->cmd[0]);
        close(t->cmd[1]);
        pthread_cond_destroy(&t->cond);
        pthread_mutex_destroy(&t->lock);
}

/* ---- the client (test thread) ------------------------------------------------- */

static int on_connected(void *userdata, uint32_t pnn, uint32_t n_nodes) {
        struct fixture *f = userdata;

        f->n_connected++;
        f->pnn = pnn;
        f->n_nodes = n_nodes;
        f->connected_usec = now_usec();
        return f->connected_result;
}

static void on_disconnected(void *userdata, int error) {
        struct fixture *f = userdata;

        f->n_disconnected++;
        f->disconnect_error = error;
        f->disconnected_usec = now_usec();
}

static void on_message(void *userdata, uint32_t src, uint64_t srvid, const uint8_t *data, size_t len) {
        struct fixture *f = userdata;
        struct frame_record *rec;

        g_assert_cmpuint(f->n_messages, <, RECORD_MAX);
        g_assert_cmpuint(len, <=, DATA_MAX);
        rec = &f->messages[f->n_messages++];
        *rec = (struct frame_record){ .src = src, .srvid = srvid, .len = len };
        memcpy(rec->data, data, len);
}

static void on_link(void *userdata, uint32_t pnn, bool connected) {
        struct fixture *f = userdata;

        g_assert_cmpuint(f->n_links, <, RECORD_MAX);
        f->links[f->n_links++] = (struct wire_link){ .pnn = pnn, .connected = connected };
}

static const struct dp_client_ops client_ops = {
        .connected = on_connected,
        .disconnected = on_disconnected,
        .message = on_message,
        .link = on_link,
};

/* Runs the client's loop until cond holds, at most WAIT_USEC. */
#define WAIT_FOR(f, cond)                                                            \
        do {                                                                         \
                uint64_t deadline_ = now_usec() + WAIT_USEC;                         \
                while (!(cond)) {                                                    \
                        g_assert_cmpuint(now_usec(), <, deadline_);                  \
                        g_assert_cmpint(sd_event_run((f)->event, 10 * 1000), >=, 0); \
                }                                                                    \
        } while (0)

/* Runs the client's loop for usec, for checking that nothing happens meanwhile. */
static void run_for(struct fixture *f, uint64_t usec) {
        uint64_t end = now_usec() + usec;

        while (now_usec() < end)
                g_assert_cmpint(sd_event_run(f->event, 10 * 1000), >=, 0);
}

static void setup(struct fixture *f, gconstpointer data) {
        g_assert_cmpint(sd_event_new(&f->event), >=, 0);
        f->dir = g_dir_make_tmp("ctdb-test-dp-client-XXXXXX", NULL);
        g_assert_nonnull(f->dir);
        f->path = g_build_filename(f->dir, "tunnel.sock", NULL);
        tunneld_start(&f->t, f->path);
        g_assert_cmpint(dp_client_new(NULL, f->event, f->path, &client_ops, f, &f->dp), ==, 0);
}

static void teardown(struct fixture *f, gconstpointer data) {
        talloc_free(f->dp);
        tunneld_stop(&f->t);
        g_assert_cmpint(rmdir(f->dir), ==, 0);
        g_free(f->path);
        g_free(f->dir);
        sd_event_unref(f->event);
}

/* tunneld binds its socket; the client's connection number n follows by itself. */
static void bind_and_wait(struct fixture *f, unsigned n) {
        g_assert_cmpint(tunneld_call(&f->t, fake_bind, NULL), ==, 0);
        WAIT_FOR(f, f->n_connected == n);
        g_assert_true(dp_client_is_connected(f->dp));
        g_assert_cmpuint(f->pnn, ==, SERVER_PNN);
}

static void bind_and_connect(struct fixture *f) {
        g_assert_cmpint(dp_client_start(f->dp), >=, 0);
        bind_and_wait(f, 1);
        WAIT_FOR(f, f->n_links == G_N_ELEMENTS(fake_links));
}

static void assert_not_connected(struct fixture *f) {
        g_assert_false(dp_client_is_connected(f->dp));
        g_assert_cmpint(dp_client_send(f->dp, 1, SRVID_B, "x", 1), ==, -ENOTCONN);
}

/* ---- tests -------------------------------------------------------------------- */

/* connected gets tunneld's pnn and n_nodes, then link once per LINK frame, in order. */
static void test_connect(struct fixture *f, gconstpointer data) {
        g_assert_cmpint(tunneld_call(&f->t, fake_bind, NULL), ==, 0);
        g_assert_false(dp_client_is_connected(f->dp));
        g_assert_cmpint(dp_client_start(f->dp), >=, 0);
        WAIT_FOR(f, f->n_links == G_N_ELEMENTS(fake_links));
        g_assert_cmpuint(f->n_connected, ==, 1);
        g_assert_cmpuint(f->pnn, ==, SERVER_PNN);
        g_assert_cmpuint(f->n_nodes, ==, SERVER_N_NODES);
        g_assert_true(dp_client_is_connected(f->dp));
        for (unsigned i = 0; i < G_N_ELEMENTS(fake_links); i++) {
                g_assert_cmpuint(f->links[i].pnn, ==, fake_links[i].pnn);
                g_assert_cmpuint(f->links[i].connected, ==, fake_links[i].connected);
        }
        /* Nothing more: no second round of links, no disconnect. */
        run_for(f, 50 * 1000);
        g_assert_cmpuint(f->n_links, ==, G_N_ELEMENTS(fake_links));
        g_assert_cmpuint(f->n_connected, ==, 1);
        g_assert_cmpuint(f->n_disconnected, ==, 0);
        g_assert_cmpuint(tunneld_get(&f->t, &f->t.n_connected), ==, 1);
        g_assert_cmpuint(tunneld_get(&f->t, &f->t.n_disconnected), ==, 0);
}

/* srvids registered before start reach tunneld on connect, and again after a reconnect. */
static void test_register_on_every_connection(struct fixture *f, gconstpointer data) {
        g_assert_cmpint(dp_client_register(f->dp, SRVID_A), ==, 0);
        g_assert_cmpint(dp_client_register(f->dp, SRVID_B), ==, 0);
        g_assert_cmpint(dp_client_register(f->dp, SRVID_A), ==, 0); /* once is enough */
        bind_and_connect(f);
        WAIT_FOR(f, tunneld_get(&f->t, &f->t.n_registered) == 2);
        g_assert_cmphex(f->t.registered[0], ==, SRVID_A);
        g_assert_cmphex(f->t.registered[1], ==, SRVID_B);

        g_assert_cmpint(tunneld_call(&f->t, fake_drop_client, NULL), ==, 0);
        WAIT_FOR(f, f->n_connected == 2);
        WAIT_FOR(f, tunneld_get(&f->t, &f->t.n_registered) == 4);
        g_assert_cmphex(f->t.registered[2], ==, SRVID_A);
        g_assert_cmphex(f->t.registered[3], ==, SRVID_B);
}

/* A srvid registered while connected reaches tunneld at once. */
static void test_register_while_connected(struct fixture *f, gconstpointer data) {
        bind_and_connect(f);
        g_assert_cmpint(dp_client_register(f->dp, SRVID_B), ==, 0);
        WAIT_FOR(f, tunneld_get(&f->t, &f->t.n_registered) == 1);
        g_assert_cmphex(f->t.registered[0], ==, SRVID_B);
}

/* A MESSAGE frame from tunneld reaches the message callback with src, srvid and data. */
static void test_receive_message(struct fixture *f, gconstpointer data) {
        struct frame_record rec = { .src = 3, .dst = SERVER_PNN, .srvid = SRVID_A, .len = 5 };

        memcpy(rec.data, "hello", 5);
        g_assert_cmpint(dp_client_register(f->dp, SRVID_A), ==, 0);
        bind_and_connect(f);
        g_assert_cmpint(tunneld_call(&f->t, fake_send_message, &rec), ==, 0);
        WAIT_FOR(f, f->n_messages == 1);
        g_assert_cmpuint(f->messages[0].src, ==, 3);
        g_assert_cmphex(f->messages[0].srvid, ==, SRVID_A);
        g_assert_cmpmem(f->messages[0].data, f->messages[0].len, "hello", 5);
}

/* dp_client_send() is -ENOTCONN until connected, then reaches tunneld as a MESSAGE frame. */
static void test_send(struct fixture *f, gconstpointer data) {
        assert_not_connected(f);
        bind_and_connect(f);
        g_assert_cmpint(dp_client_send(f->dp, 1, SRVID_B, "ping", 4), ==, 0);
        WAIT_FOR(f, tunneld_get(&f->t, &f->t.n_messages) == 1);
        g_assert_cmpuint(f->t.messages[0].dst, ==, 1);
        g_assert_cmpuint(f->t.messages[0].src, ==, SERVER_PNN);
        g_assert_cmphex(f->t.messages[0].srvid, ==, SRVID_B);
        g_assert_cmpmem(f->t.messages[0].data, f->t.messages[0].len, "ping", 4);
}

/*
 * tunneld going away calls disconnected; once a new one binds the same path the
 * client comes back by itself, after the first backoff step (100 ms).
 */
static void test_server_gone(struct fixture *f, gconstpointer data) {
        uint64_t elapsed;

        bind_and_connect(f);
        g_assert_cmpint(tunneld_call(&f->t, fake_unbind, NULL), ==, 0);
        WAIT_FOR(f, f->n_disconnected == 1);
        g_assert_cmpint(f->disconnect_error, <, 0);
        assert_not_connected(f);

        bind_and_wait(f, 2);
        /*
         * The timer is due 100 ms after the loop's timestamp of the iteration that
         * saw the loss, a little before the callback's clock reading: hence 80 ms.
         * Retries come at 0.1, 0.3, 0.7 and 1.5 s after the loss, so a slow machine
         * still connects below 1.9 s; a backoff that started at its 2 s cap would not.
         */
        elapsed = f->connected_usec - f->disconnected_usec;
        g_assert_cmpuint(elapsed, >=, 80 * 1000);
        g_assert_cmpuint(elapsed, <, 1900 * 1000);
        /* The peers' links are told again on the new connection. */
        WAIT_FOR(f, f->n_links == 2 * G_N_ELEMENTS(fake_links));
        g_assert_cmpuint(f->n_disconnected, ==, 1);
}

/* tunneld closing this client (not exiting) is a lost connection too, and it comes back. */
static void test_client_closed(struct fixture *f, gconstpointer data) {
        bind_and_connect(f);
        g_assert_cmpint(tunneld_call(&f->t, fake_drop_client, NULL), ==, 0);
        WAIT_FOR(f, f->n_disconnected == 1);
        g_assert_false(dp_client_is_connected(f->dp));
        WAIT_FOR(f, f->n_connected == 2);
        g_assert_true(dp_client_is_connected(f->dp));
        /* The client is connected once tunneld's HELLO is in; tunneld may take its HELLO later. */
        WAIT_FOR(f, tunneld_get(&f->t, &f->t.n_connected) == 2);
}

/* A connected callback that refuses drops the connection; the client tries again later. */
static void test_connected_refuses(struct fixture *f, gconstpointer data) {
        f->connected_result = -EIO;
        g_assert_cmpint(tunneld_call(&f->t, fake_bind, NULL), ==, 0);
        g_assert_cmpint(dp_client_start(f->dp), >=, 0);
        WAIT_FOR(f, f->n_connected == 1);
        g_assert_false(dp_client_is_connected(f->dp));
        WAIT_FOR(f, tunneld_get(&f->t, &f->t.n_disconnected) == 1);
        g_assert_cmpuint(f->n_links, ==, 0); /* nothing of a refused connection is handed on */

        f->connected_result = 0;
        WAIT_FOR(f, f->n_connected == 2);
        g_assert_true(dp_client_is_connected(f->dp));
        WAIT_FOR(f, tunneld_get(&f->t, &f->t.n_connected) == 2);
        g_assert_cmpuint(tunneld_get(&f->t, &f->t.n_disconnected), ==, 1);
        /* Never connected as far as the daemon is concerned, so never disconnected. */
        g_assert_cmpuint(f->n_disconnected, ==, 0);
}

/* No tunneld at start: nothing is called; once one appears, the client connects. */
static void test_no_server_at_start(struct fixture *f, gconstpointer data) {
        g_assert_cmpint(dp_client_start(f->dp), >=, 0);
        /* Long enough for the attempts at 0, 100 and 300 ms. */
        run_for(f, 400 * 1000);
        g_assert_cmpuint(f->n_connected, ==, 0);
        g_assert_cmpuint(f->n_disconnected, ==, 0);
        g_assert_cmpuint(f->n_links, ==, 0);
        assert_not_connected(f);

        bind_and_wait(f, 1);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/dp-client/" name, struct fixture, NULL, setup, fn, teardown)
        ADD("connect", test_connect);
        ADD("register-on-every-connection", test_register_on_every_connection);
        ADD("register-while-connected", test_register_while_connected);
        ADD("receive-message", test_receive_message);
        ADD("send", test_send);
        ADD("server-gone", test_server_gone);
        ADD("client-closed", test_client_closed);
        ADD("connected-refuses", test_connected_refuses);
        ADD("no-server-at-start", test_no_server_at_start);
        return g_test_run();
}
