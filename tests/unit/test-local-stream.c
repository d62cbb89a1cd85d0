/*
 * common/local-server.c in stream mode (struct local_stream_ops, as
 * ctdbd.socket uses it), against a toy protocol: a packet is a u32 length
 * (little endian, the whole packet) and bytes. The test holds the client end
 * of a socketpair and drives the server's sd-event loop itself.
 */
#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <talloc.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "local-server.h"

#define PACKET_MAX (1024u * 1024u)
#define MAX_SEEN   64u

typedef struct Fixture {
        sd_event *event;
        struct local_server *server;
        struct local_client *client;
        int peer; /* the test's end */
        unsigned connected, disconnected;
        size_t seen_len[MAX_SEEN];
        uint8_t seen_first[MAX_SEEN];
        unsigned n_seen;
        gboolean echo; /* answer every packet with itself */
} Fixture;

static size_t toy_length(const uint8_t *buf) {
        return (size_t) buf[0] | (size_t) buf[1] << 8 | (size_t) buf[2] << 16 | (size_t) buf[3] << 24;
}

static int toy_packet(struct local_client *c, const uint8_t *buf, size_t len, void *userdata) {
        Fixture *f = userdata;

        g_assert_cmpuint(toy_length(buf), ==, len);
        if (f->n_seen < MAX_SEEN) {
                f->seen_len[f->n_seen] = len;
                f->seen_first[f->n_seen] = len > 4 ? buf[4] : 0;
        }
        f->n_seen++;
        if (f->echo)
                g_assert_cmpint(local_client_send_bytes(c, buf, len), ==, 0);
        return 0;
}

static int toy_connected(struct local_client *c, void *userdata) {
        ((Fixture *) userdata)->connected++;
        return 0;
}

static void toy_disconnected(struct local_client *c, void *userdata) {
        Fixture *f = userdata;

        f->disconnected++;
        f->client = NULL;
}

static const struct local_stream_ops toy_stream = {
        .header_size = 4,
        .packet_max = PACKET_MAX,
        .packet_length = toy_length,
        .packet = toy_packet,
};

static const struct local_server_ops toy_ops = {
        .stream = &toy_stream,
        .connected = toy_connected,
        .disconnected = toy_disconnected,
};

static const struct local_server_limits toy_limits = {
        .clients_max = 4,
        .outq_frames_max = 8,
        .outq_bytes_max = 4u * 1024u * 1024u,
};

static void setup(Fixture *f, gconstpointer data) {
        int sv[2];

        g_assert_cmpint(sd_event_new(&f->event), >=, 0);
        g_assert_cmpint(local_server_new(NULL, f->event, NULL, &toy_ops, &toy_limits, f, &f->server), ==, 0);
        g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), ==, 0);
        g_assert_cmpint(local_server_add_client(f->server, sv[0], getpid(), getuid(), &f->client), ==, 0);
        f->peer = sv[1];
        /* A stream client has no HELLO: it counts as connected at once, and nothing is sent to it. */
        g_assert_cmpuint(f->connected, ==, 1);
}

static void teardown(Fixture *f, gconstpointer data) {
        talloc_free(f->server);
        close(f->peer);
        sd_event_unref(f->event);
}

/* Runs the server's loop until cond holds (a bounded number of iterations). */
static void run_until(Fixture *f, gboolean (*cond)(Fixture *f)) {
        for (unsigned i = 0; i < 1000 && !cond(f); i++)
                g_assert_cmpint(sd_event_run(f->event, 10 * 1000), >=, 0);
        g_assert_true(cond(f));
}

static unsigned want_seen;
static gboolean seen_enough(Fixture *f) {
        return f->n_seen >= want_seen;
}

static gboolean gone(Fixture *f) {
        return f->disconnected > 0;
}

static uint8_t *toy_build(size_t len, uint8_t first) {
        uint8_t *p = g_malloc0(len);

        p[0] = len & 0xff;
        p[1] = (len >> 8) & 0xff;
        p[2] = (len >> 16) & 0xff;
        p[3] = (len >> 24) & 0xff;
        if (len > 4)
                p[4] = first;
        return p;
}

static void peer_write(Fixture *f, const uint8_t *buf, size_t len) {
        g_assert_cmpint(write(f->peer, buf, len), ==, (ssize_t) len);
}

/* Packets split at every byte are put together again, in order. */
static void test_split(Fixture *f, gconstpointer data) {
        g_autofree uint8_t *a = toy_build(9, 'a'), *b = toy_build(5, 'b');

        for (size_t i = 0; i < 9; i++) {
                peer_write(f, a + i, 1);
                (void) sd_event_run(f->event, 0);
        }
        for (size_t i = 0; i < 5; i++)
                peer_write(f, b + i, 1);
        want_seen = 2;
        run_until(f, seen_enough);
        g_assert_cmpuint(f->n_seen, ==, 2);
        g_assert_cmpuint(f->seen_len[0], ==, 9);
        g_assert_cmpuint(f->seen_first[0], ==, 'a');
        g_assert_cmpuint(f->seen_len[1], ==, 5);
        g_assert_cmpuint(f->seen_first[1], ==, 'b');
}

/* Many packets in one write, and one larger than the usual input buffer, each arrive whole. */
static void test_many_and_large(Fixture *f, gconstpointer data) {
        g_autoptr(GByteArray) all = g_byte_array_new();
        g_autofree uint8_t *big = toy_build(300 * 1024, 'B');
        size_t off = 0;

        for (unsigned i = 0; i < 40; i++) {
                g_autofree uint8_t *p = toy_build(8 + i, (uint8_t) i);

                g_byte_array_append(all, p, 8 + i);
        }
        g_byte_array_append(all, big, 300 * 1024);
        /* The socket takes it in pieces; the loop reads between them. */
        while (off < all->len) {
                ssize_t n = write(f->peer, all->data + off, all->len - off);

                if (n < 0) {
                        g_assert_cmpint(errno, ==, EAGAIN);
                        (void) sd_event_run(f->event, 10 * 1000);
                        continue;
                }
                off += (size_t) n;
        }
        want_seen = 41;
        run_until(f, seen_enough);
        for (unsigned i = 0; i < 40; i++) {
                g_assert_cmpuint(f->seen_len[i], ==, 8 + i);
                g_assert_cmpuint(f->seen_first[i], ==, i);
        }
        g_assert_cmpuint(f->seen_len[40], ==, 300 * 1024);
        g_assert_cmpuint(f->seen_first[40], ==, 'B');
}

/* A length below the header or above the maximum closes the client. */
static void test_bad_length(Fixture *f, gconstpointer data) {
        const uint8_t short_len[4] = { 3, 0, 0, 0 };

        peer_write(f, short_len, sizeof(short_len));
        run_until(f, gone);
        g_assert_cmpuint(f->n_seen, ==, 0);
}

static void test_too_long(Fixture *f, gconstpointer data) {
        const uint32_t len = PACKET_MAX + 1;
        const uint8_t hdr[4] = { len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, len >> 24 };

        peer_write(f, hdr, sizeof(hdr));
        run_until(f, gone);
        g_assert_cmpuint(f->n_seen, ==, 0);
}

/* EOF from the client: disconnected. */
static void test_eof(Fixture *f, gconstpointer data) {
        shutdown(f->peer, SHUT_WR);
        run_until(f, gone);
}

/*
 * Answers larger than the socket takes are queued and reach the client whole
 * and in order, however it reads them.
 */
static void test_send_queued(Fixture *f, gconstpointer data) {
        g_autofree uint8_t *buf = g_malloc(4 * 700 * 1024);
        size_t got = 0, want = 0;

        for (unsigned i = 0; i < 4; i++) {
                g_autofree uint8_t *p = toy_build(700 * 1024, (uint8_t) ('w' + i));

                g_assert_cmpint(local_client_send_bytes(f->client, p, 700 * 1024), ==, 0);
                want += 700 * 1024;
        }
        while (got < want) {
                ssize_t n = read(f->peer, buf + got, 4096);

                if (n < 0) {
                        g_assert_cmpint(errno, ==, EAGAIN);
                        g_assert_cmpint(sd_event_run(f->event, 10 * 1000), >=, 0);
                        continue;
                }
                g_assert_cmpint(n, >, 0);
                got += (size_t) n;
        }
        for (unsigned i = 0; i < 4; i++) {
                const uint8_t *p = buf + i * 700 * 1024;

                g_assert_cmpuint(toy_length(p), ==, 700 * 1024);
                g_assert_cmpuint(p[4], ==, 'w' + i);
        }
        g_assert_cmpuint(f->disconnected, ==, 0);
}

/* A client that never reads: once its queue is full it is disconnected, not silently dropped from. */
static void test_overflow_disconnects(Fixture *f, gconstpointer data) {
        g_autofree uint8_t *p = toy_build(512 * 1024, 'x');
        int r = 0;

        for (unsigned i = 0; i < 64 && r == 0; i++)
                r = local_client_send_bytes(f->client, p, 512 * 1024);
        g_assert_cmpint(r, ==, -ENOBUFS);
        run_until(f, gone);
}

/* Echo: what a packet callback sends goes out in order with the rest. */
static void test_echo(Fixture *f, gconstpointer data) {
        g_autofree uint8_t *a = toy_build(6, 'e');
        uint8_t back[6];

        f->echo = TRUE;
        peer_write(f, a, 6);
        want_seen = 1;
        run_until(f, seen_enough);
        g_assert_cmpint(read(f->peer, back, sizeof(back)), ==, 6);
        g_assert_cmpmem(back, 6, a, 6);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, Fixture, NULL, setup, fn, teardown)
        ADD("/local-stream/split", test_split);
        ADD("/local-stream/many-and-large", test_many_and_large);
        ADD("/local-stream/bad-length", test_bad_length);
        ADD("/local-stream/too-long", test_too_long);
        ADD("/local-stream/eof", test_eof);
        ADD("/local-stream/send-queued", test_send_queued);
        ADD("/local-stream/overflow-disconnects", test_overflow_disconnects);
        ADD("/local-stream/echo", test_echo);
#undef ADD
        return g_test_run();
}
