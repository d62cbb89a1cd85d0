/*
 * Channels through two ctdb-tunnelds (127.0.0.1 = node 0, 127.0.0.2 = node 1),
 * each on its own private bus: a direct TCP connection that the tunnelds set up
 * and authenticate and hand to the owners of one tunnel id on both nodes
 * (SCM_RIGHTS). Frames on it are the links' framing; nothing of the link
 * changes when channels come and go.
 */

#undef NDEBUG

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctdb-client.h"
#include "test-clients.h"
#include "testbus.h"
#include "testnode.h"
#include "wire.h"

#define WAIT_MS   10000
#define TUNNEL_ID UINT64_C(0x7e57000000000c01)
#define OTHER_ID  UINT64_C(0x7e57000000000c02)
#define N_FRAMES  200u

typedef struct Fixture {
        TestBus *bus[2];
        TestNode *node[2];
} Fixture;

/* One client and what it received. */
typedef struct Peer {
        ctdb_client *c;
        bool link_seen[2];
        bool link_up[2];
        unsigned link_events; /* LINK frames after the link was up */
        unsigned n_errors;
        int error;
        enum ctdb_client_request request;
        unsigned n_channels;
        int fd; /* of the last channel (or -errno) */
        uint32_t channel_pnn;
        uint64_t channel_id;
        uint8_t pending[WIRE_CHANNEL_PENDING_MAX];
        size_t pending_len;
        bool write_at_once; /* the handler writes N_FRAMES frames on a new channel at once */
        unsigned n_tunnel_frames;
} Peer;

static const char *node_address(unsigned i) {
        return i == 0 ? "127.0.0.1" : "127.0.0.2";
}

/* One TUNNEL frame numbered i on a channel, as the links frame it. */
static size_t frame_make(uint32_t src, uint32_t dst, unsigned i, uint8_t *buf, size_t size) {
        char text[32];
        struct wire_header h = { .src = src, .dst = dst, .srvid = TUNNEL_ID };
        struct wire_message m = { .data = (const uint8_t *) text };
        int r;

        m.data_len = (uint32_t) snprintf(text, sizeof(text), "frame %u", i);
        r = wire_frame_pack(&h, &wire_tunnel_desc, &m, buf, size);
        g_assert_cmpint(r, >, 0);
        return (size_t) r;
}

static void write_all(int fd, const uint8_t *buf, size_t len) {
        while (len > 0) {
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                ssize_t n = write(fd, buf, len);

                if (n < 0) {
                        g_assert_true(errno == EAGAIN || errno == EINTR);
                        g_assert_cmpint(poll(&p, 1, WAIT_MS), ==, 1);
                        continue;
                }
                buf += n;
                len -= (size_t) n;
        }
}

static void write_frames(int fd, uint32_t src, uint32_t dst, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                uint8_t buf[128];
                size_t len = frame_make(src, dst, i, buf, sizeof(buf));

                write_all(fd, buf, len);
        }
}

/*
 * Reads n frames from pending then fd, checking each is frame i from src in
 * order; a read with a deadline, so a lost byte fails rather than hangs.
 */
static void read_frames(int fd, const uint8_t *pending, size_t pending_len, uint32_t src, unsigned n) {
        gint64 deadline = g_get_monotonic_time() + (gint64) WAIT_MS * 1000;
        g_autofree uint8_t *buf = g_malloc(64 * 1024 + pending_len);
        size_t have = pending_len, pos = 0;
        unsigned got = 0;

        memcpy(buf, pending, pending_len);
        while (got < n) {
                struct wire_header h;
                struct wire_message m;
                char want[32];

                if (have - pos >= WIRE_HEADER_SIZE) {
                        g_assert_cmpint(wire_header_unpack(buf + pos, WIRE_FRAME_MAX, &h), ==, 0);
                        if (have - pos >= h.length) {
                                g_assert_cmpuint(h.kind, ==, WIRE_KIND_TUNNEL);
                                g_assert_cmpuint(h.src, ==, src);
                                g_assert_cmpuint(h.srvid, ==, TUNNEL_ID);
                                g_assert_cmpint(wire_unpack(&wire_tunnel_desc, NULL,
                                                            buf + pos + WIRE_HEADER_SIZE,
                                                            h.length - WIRE_HEADER_SIZE, &m),
                                                >, 0);
                                snprintf(want, sizeof(want), "frame %u", got);
                                g_assert_cmpmem(m.data, m.data_len, want, strlen(want));
                                pos += h.length;
                                got++;
                                continue;
                        }
                }
                memmove(buf, buf + pos, have - pos);
                have -= pos;
                pos = 0;
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 50) <= 0)
                        continue;
                ssize_t r = read(fd, buf + have, 64 * 1024 - have);
                g_assert_cmpint(r, >, 0);
                have += (size_t) r;
        }
}

/* EOF within the deadline: the other side closed its channel. */
static bool wait_eof(int fd) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        uint8_t b[256];

        while (poll(&p, 1, WAIT_MS) == 1) {
                ssize_t n = read(fd, b, sizeof(b));
                if (n == 0)
                        return true;
                if (n < 0 && errno != EAGAIN)
                        return errno == ECONNRESET;
        }
        return false;
}

static void on_link(ctdb_client *c, uint32_t pnn, bool connected, void *userdata) {
        Peer *p = userdata;

        if (pnn >= 2)
                return;
        /* Any LINK frame once the link was up means it went down (or was replaced). */
        if (p->link_up[pnn])
                p->link_events++;
        p->link_seen[pnn] = true;
        p->link_up[pnn] = connected;
}

static void on_error(ctdb_client *c, int error, enum ctdb_client_request request, uint64_t srvid,
                     uint32_t dst, void *userdata) {
        Peer *p = userdata;

        p->n_errors++;
        p->error = error;
        p->request = request;
}

static void on_channel(ctdb_client *c, uint32_t pnn, uint64_t id, int fd, const void *pending,
                       size_t pending_len, void *userdata) {
        Peer *p = userdata;

        if (p->n_channels > 0 && p->fd >= 0)
                close(p->fd);
        p->n_channels++;
        p->fd = fd;
        p->channel_pnn = pnn;
        p->channel_id = id;
        g_assert_cmpuint(pending_len, <=, sizeof(p->pending));
        if (pending_len)
                memcpy(p->pending, pending, pending_len);
        p->pending_len = pending_len;
        if (fd >= 0 && p->write_at_once)
                write_frames(fd, ctdb_client_pnn(c), pnn, N_FRAMES);
}

static void on_tunnel(ctdb_client *c, uint32_t src, uint64_t id, const void *data, size_t len,
                      void *userdata) {
        Peer *p = userdata;

        p->n_tunnel_frames++;
}

static void peer_connect(Fixture *fx, unsigned node, Peer *p) {
        memset(p, 0, sizeof(*p));
        p->fd = -1;
        g_assert_cmpint(ctdb_client_connect(fx->node[node]->socket, &p->c), ==, 0);
        ctdb_client_set_link_handler(p->c, on_link, p);
        ctdb_client_set_error_handler(p->c, on_error, p);
        ctdb_client_set_channel_handler(p->c, on_channel, p);
        ctdb_client_set_tunnel_handler(p->c, on_tunnel, p);
}

static void peer_close(Peer *p) {
        if (p->n_channels > 0 && p->fd >= 0)
                close(p->fd);
        ctdb_client_free(p->c);
        p->c = NULL;
}

typedef bool (*Condition)(Peer *p);

/* Processes every peer's frames until the condition holds for peers[0] or the deadline passes. */
struct wait_call {
        Condition cond;
        Peer *peer;
};

static bool wait_call_done(void *arg) {
        struct wait_call *c = arg;

        return c->cond(c->peer);
}

static bool wait_for(Peer **peers, unsigned n, Condition cond) {
        struct wait_call call = { .cond = cond, .peer = peers[0] };
        ctdb_client *clients[4];

        g_assert_cmpuint(n, <=, G_N_ELEMENTS(clients));
        for (unsigned i = 0; i < n; i++)
                clients[i] = peers[i]->c;
        return test_clients_wait(clients, n, wait_call_done, &call, WAIT_MS);
}

static bool has_channel(Peer *p) {
        return p->n_channels > 0;
}

static bool has_error(Peer *p) {
        return p->n_errors > 0;
}

static bool has_tunnel_frame(Peer *p) {
        return p->n_tunnel_frames > 0;
}

static bool link_up(Peer *p) {
        return p->link_up[1 - ctdb_client_pnn(p->c)];
}

static bool links_told(Peer *p) {
        return p->link_seen[1 - ctdb_client_pnn(p->c)];
}

/* The fd of p's channel reads EOF (checked without blocking). */
static bool channel_eof(Peer *p) {
        uint8_t b[256];

        return p->fd >= 0 && read(p->fd, b, sizeof(b)) == 0;
}

static void fixture_setup(Fixture *fx, gconstpointer data) {
        static const char *const addresses[] = { "127.0.0.1", "127.0.0.2", NULL };
        const char *key = data;
        unsigned port = test_pick_port(addresses);

        for (unsigned i = 0; i < 2; i++) {
                TestNodeConfig config = {
                        .nodes = "127.0.0.1\n127.0.0.2\n",
                        .address = node_address(i),
                        .port = port,
                        .psk = key,
                        .heartbeat_interval_ms = 100,
                        .heartbeat_timeout_ms = 1000,
                };

                fx->bus[i] = test_bus_new();
                fx->node[i] = test_node_new(fx->bus[i], &config);
        }
        for (unsigned i = 0; i < 2; i++)
                test_node_start_tunneld(fx->node[i]);
}

static void fixture_teardown(Fixture *fx, gconstpointer data) {
        for (unsigned i = 0; i < 2; i++) {
                test_node_free(fx->node[i]);
                test_bus_free(fx->bus[i]);
        }
}

/*
 * a on node `from`, b on the other node, both owning TUNNEL_ID, both past their
 * first LINK frames, and the link up: a tunnel frame from a reached b.
 */
static void peers_connect(Fixture *fx, unsigned from, Peer *a, Peer *b) {
        Peer *pa[] = { a }, *pb[] = { b };

        peer_connect(fx, from, a);
        peer_connect(fx, 1 - from, b);
        g_assert_cmpint(ctdb_client_register_tunnel(a->c, TUNNEL_ID), ==, 0);
        g_assert_cmpint(ctdb_client_register_tunnel(b->c, TUNNEL_ID), ==, 0);
        /* b's registration is in once its own frame on the id came back (one socket, in order). */
        g_assert_cmpint(ctdb_client_send_tunnel(b->c, 1 - from, TUNNEL_ID, "self", 4), ==, 0);
        g_assert_true(wait_for(pb, 1, has_tunnel_frame));
        g_assert_cmpuint(b->n_errors, ==, 0);
        g_assert_true(wait_for(pa, 1, link_up));
        g_assert_true(wait_for(pb, 1, link_up));
}

/* Opens a channel from a to b's node and waits for both ends. */
static void open_channel(Peer *a, Peer *b) {
        Peer *pa[] = { a, b }, *pb[] = { b, a };
        uint32_t dst = 1 - ctdb_client_pnn(a->c);

        g_assert_cmpint(ctdb_client_open_channel(a->c, dst, TUNNEL_ID), ==, 0);
        g_assert_true(wait_for(pa, 2, has_channel));
        g_assert_true(wait_for(pb, 2, has_channel));
        g_assert_cmpint(a->fd, >=, 0);
        g_assert_cmpint(b->fd, >=, 0);
        g_assert_cmpuint(a->channel_pnn, ==, dst);
        g_assert_cmpuint(b->channel_pnn, ==, ctdb_client_pnn(a->c));
        g_assert_cmpuint(a->channel_id, ==, TUNNEL_ID);
        g_assert_cmpuint(b->channel_id, ==, TUNNEL_ID);
}

/* Also with a pre-shared key: the channel's handshake is the link's challenge. */
static void test_open(Fixture *fx, gconstpointer data) {
        Peer a, b;

        peers_connect(fx, 0, &a, &b);
        open_channel(&a, &b);
        write_frames(a.fd, 0, 1, 3);
        read_frames(b.fd, b.pending, b.pending_len, 0, 3);
        write_frames(b.fd, 1, 0, 3);
        read_frames(a.fd, a.pending, a.pending_len, 1, 3);
        g_assert_cmpuint(a.n_errors, ==, 0);
        peer_close(&a);
        peer_close(&b);
}

/* The higher pnn opens one too: the links' "lower pnn connects" rule is not the channels'. */
static void test_open_from_higher(Fixture *fx, gconstpointer data) {
        Peer a, b;

        peers_connect(fx, 1, &a, &b);
        open_channel(&a, &b);
        write_frames(a.fd, 1, 0, 2);
        read_frames(b.fd, b.pending, b.pending_len, 1, 2);
        peer_close(&a);
        peer_close(&b);
}

/* Both ends write the moment they have the socket: nothing is lost, whatever tunneld had read already. */
static void test_write_at_once(Fixture *fx, gconstpointer data) {
        Peer a, b;

        peers_connect(fx, 0, &a, &b);
        a.write_at_once = true;
        b.write_at_once = true;
        open_channel(&a, &b);
        read_frames(b.fd, b.pending, b.pending_len, 0, N_FRAMES);
        read_frames(a.fd, a.pending, a.pending_len, 1, N_FRAMES);
        peer_close(&a);
        peer_close(&b);
}

/*
 * A requester (this test, from node 0's address) that sends its first frames in
 * the same write as its HELLO: node 1's tunneld reads them with the handshake
 * and hands them to the owner as pending bytes, in order before the socket's.
 */
static void test_pending(Fixture *fx, gconstpointer data) {
        struct sockaddr_in from = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
        struct wire_hello hello = {
                .magic = WIRE_MAGIC,
                .major = WIRE_VERSION_MAJOR,
                .minor = WIRE_VERSION_MINOR,
                .pnn = 0,
                .n_nodes = 2,
                .channel = TUNNEL_ID,
        };
        struct wire_header h = { .src = 0, .dst = 1 };
        uint8_t buf[8192];
        size_t len;
        Peer b;
        Peer *one[] = { &b };
        int fd, r;

        peer_connect(fx, 1, &b);
        g_assert_cmpint(ctdb_client_register_tunnel(b.c, TUNNEL_ID), ==, 0);
        g_assert_true(wait_for(one, 1, links_told));
        r = wire_frame_pack(&h, &wire_hello_desc, &hello, buf, sizeof(buf));
        g_assert_cmpint(r, >, 0);
        len = (size_t) r;
        for (unsigned i = 0; i < 20; i++)
                len += frame_make(0, 1, i, buf + len, sizeof(buf) - len);

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(inet_pton(AF_INET, "127.0.0.1", &from.sin_addr), ==, 1);
        g_assert_cmpint(inet_pton(AF_INET, "127.0.0.2", &to.sin_addr), ==, 1);
        to.sin_port = htons((uint16_t) fx->node[1]->port);
        g_assert_cmpint(bind(fd, (struct sockaddr *) &from, sizeof(from)), ==, 0);
        g_assert_cmpint(connect(fd, (struct sockaddr *) &to, sizeof(to)), ==, 0);
        write_all(fd, buf, len);

        g_assert_true(wait_for(one, 1, has_channel));
        g_assert_cmpint(b.fd, >=, 0);
        g_assert_cmpuint(b.channel_pnn, ==, 0);
        g_assert_cmpuint(b.pending_len, >, 0);
        read_frames(b.fd, b.pending, b.pending_len, 0, 20);
        close(fd);
        g_assert_true(wait_eof(b.fd));
        peer_close(&b);
}

static void test_no_owner(Fixture *fx, gconstpointer data) {
        Peer a, b;
        Peer *pa[] = { &a, &b };

        peers_connect(fx, 0, &a, &b);
        g_assert_cmpint(ctdb_client_register_tunnel(a.c, OTHER_ID), ==, 0);
        g_assert_cmpint(ctdb_client_open_channel(a.c, 1, OTHER_ID), ==, 0);
        g_assert_true(wait_for(pa, 2, has_channel));
        g_assert_cmpint(a.fd, ==, -ESRCH);
        g_assert_cmpuint(a.channel_pnn, ==, 1);
        g_assert_cmpuint(a.channel_id, ==, OTHER_ID);
        g_assert_cmpuint(b.n_channels, ==, 0);
        peer_close(&a);
        peer_close(&b);
}

static void test_unknown_node(Fixture *fx, gconstpointer data) {
        Peer a, b;
        Peer *pa[] = { &a };

        peers_connect(fx, 0, &a, &b);
        g_assert_cmpint(ctdb_client_open_channel(a.c, 7, TUNNEL_ID), ==, 0);
        g_assert_true(wait_for(pa, 1, has_channel));
        g_assert_cmpint(a.fd, ==, -ENOENT);
        g_assert_cmpuint(a.channel_pnn, ==, 7);
        /* This node itself is no peer either. */
        a.n_channels = 0;
        g_assert_cmpint(ctdb_client_open_channel(a.c, 0, TUNNEL_ID), ==, 0);
        g_assert_true(wait_for(pa, 1, has_channel));
        g_assert_cmpint(a.fd, ==, -ENOENT);
        peer_close(&a);
        peer_close(&b);
}

static void test_not_owner(Fixture *fx, gconstpointer data) {
        Peer a, b;
        Peer *pa[] = { &a };

        peers_connect(fx, 0, &a, &b);
        g_assert_cmpint(ctdb_client_open_channel(a.c, 1, OTHER_ID), ==, 0);
        g_assert_true(wait_for(pa, 1, has_error));
        g_assert_cmpint(a.error, ==, -EPERM);
        g_assert_cmpint(a.request, ==, CTDB_CLIENT_REQUEST_CHANNEL);
        g_assert_cmpuint(a.n_channels, ==, 0);
        peer_close(&a);
        peer_close(&b);
}

static void test_no_link(Fixture *fx, gconstpointer data) {
        Peer a;
        Peer *pa[] = { &a };

        test_node_stop_tunneld(fx->node[1]);
        peer_connect(fx, 0, &a);
        g_assert_cmpint(ctdb_client_register_tunnel(a.c, TUNNEL_ID), ==, 0);
        g_assert_cmpint(ctdb_client_open_channel(a.c, 1, TUNNEL_ID), ==, 0);
        g_assert_true(wait_for(pa, 1, has_channel));
        g_assert_cmpint(a.fd, ==, -ENOTCONN);
        peer_close(&a);
}

/*
 * Channels opened, used and closed (from either end) leave the link alone: no
 * LINK change reaches any client, and tunnel frames still go through it.
 */
static void test_link_kept(Fixture *fx, gconstpointer data) {
        Peer a, b;
        Peer *to_b[] = { &b, &a };

        peers_connect(fx, 0, &a, &b);
        for (unsigned i = 0; i < 5; i++) {
                a.n_channels = b.n_channels = 0;
                open_channel(&a, &b);
                write_frames(a.fd, 0, 1, 1);
                read_frames(b.fd, b.pending, b.pending_len, 0, 1);
                if (i % 2 == 0) {
                        close(a.fd);
                        g_assert_true(wait_eof(b.fd));
                } else {
                        close(b.fd);
                        g_assert_true(wait_eof(a.fd));
                }
                close(i % 2 == 0 ? b.fd : a.fd);
                a.fd = b.fd = -1;
        }
        b.n_tunnel_frames = 0;
        g_assert_cmpint(ctdb_client_send_tunnel(a.c, 1, TUNNEL_ID, "still", 5), ==, 0);
        g_assert_true(wait_for(to_b, 2, has_tunnel_frame));
        g_assert_cmpuint(a.n_errors, ==, 0);
        g_assert_cmpuint(a.link_events, ==, 0);
        g_assert_cmpuint(b.link_events, ==, 0);
        peer_close(&a);
        peer_close(&b);
}

/* A client without a channel handler: the library closes the fd (the peer sees EOF). */
static void test_no_handler(Fixture *fx, gconstpointer data) {
        Peer a, b;
        Peer *pa[] = { &a, &b };

        peers_connect(fx, 0, &a, &b);
        ctdb_client_set_channel_handler(b.c, NULL, NULL);
        g_assert_cmpint(ctdb_client_open_channel(a.c, 1, TUNNEL_ID), ==, 0);
        g_assert_true(wait_for(pa, 2, has_channel));
        g_assert_cmpint(a.fd, >=, 0);
        g_assert_true(wait_for(pa, 2, channel_eof));
        g_assert_cmpuint(b.n_channels, ==, 0);
        peer_close(&a);
        peer_close(&b);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
#define ADD(name, key, fn) g_test_add("/channels/" name, Fixture, key, fixture_setup, fn, fixture_teardown)
        ADD("open", NULL, test_open);
        ADD("open-from-higher-pnn", NULL, test_open_from_higher);
        ADD("write-at-once", NULL, test_write_at_once);
        ADD("pending", NULL, test_pending);
        ADD("psk", "channel key", test_open);
        ADD("no-owner", NULL, test_no_owner);
        ADD("unknown-node", NULL, test_unknown_node);
        ADD("not-owner", NULL, test_not_owner);
        ADD("no-link", NULL, test_no_link);
        ADD("link-kept", NULL, test_link_kept);
        ADD("no-handler", NULL, test_no_handler);
        return g_test_run();
}
