/*
 * Tunnels through two ctdb-tunnelds (127.0.0.1 = node 0, 127.0.0.2 = node 1),
 * each on its own private bus: one owner per tunnel id and node, and every
 * tunnel frame that cannot be delivered comes back to its sender as an error
 * naming the node and the id. Also that srvid messages still fan out.
 */

#undef NDEBUG

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctdb-client.h"
#include "test-clients.h"
#include "testbus.h"

#define BUS_NAME  "org.ctdb.tunnel1"
#define WAIT_MS   10000
#define TUNNEL_ID UINT64_C(0x7e57000000000001)
#define SRVID     UINT64_C(0x7e57000000000002)

typedef struct Daemon {
        TestBus *bus;
        GPid pid;
        char *config_dir;
        char *socket;
} Daemon;

typedef struct Fixture {
        Daemon node[2];
} Fixture;

/* One client and what it received. */
typedef struct Peer {
        ctdb_client *c;
        bool link_up[2];
        unsigned n_errors;
        int error;
        enum ctdb_client_request request;
        uint64_t error_srvid;
        uint32_t error_dst;
        unsigned n_frames; /* tunnel frames other than "end" */
        bool got_end;
        uint32_t frame_src;
        uint64_t frame_id;
        char frame[64];
        unsigned n_messages;   /* on SRVID */
        unsigned n_from_node0; /* on SRVID, from node 0 */
} Peer;

static void on_link(ctdb_client *c, uint32_t pnn, bool connected, void *userdata) {
        Peer *p = userdata;

        if (pnn < 2)
                p->link_up[pnn] = connected;
}

static void on_error(ctdb_client *c, int error, enum ctdb_client_request request, uint64_t srvid,
                     uint32_t dst, void *userdata) {
        Peer *p = userdata;

        p->n_errors++;
        p->error = error;
        p->request = request;
        p->error_srvid = srvid;
        p->error_dst = dst;
}

static void on_tunnel(ctdb_client *c, uint32_t src, uint64_t id, const void *data, size_t len,
                      void *userdata) {
        Peer *p = userdata;

        if (len == 3 && memcmp(data, "end", 3) == 0) {
                p->got_end = true;
                return;
        }
        p->n_frames++;
        p->frame_src = src;
        p->frame_id = id;
        g_assert_cmpuint(len, <, sizeof(p->frame));
        memcpy(p->frame, data, len);
        p->frame[len] = '\0';
}

static void on_message(ctdb_client *c, uint32_t src, uint64_t srvid, const void *data, size_t len,
                       void *userdata) {
        Peer *p = userdata;

        if (srvid != SRVID)
                return;
        p->n_messages++;
        if (src == 0)
                p->n_from_node0++;
}

static void peer_connect(Fixture *fx, unsigned node, Peer *p) {
        memset(p, 0, sizeof(*p));
        g_assert_cmpint(ctdb_client_connect(fx->node[node].socket, &p->c), ==, 0);
        ctdb_client_set_link_handler(p->c, on_link, p);
        ctdb_client_set_error_handler(p->c, on_error, p);
        ctdb_client_set_tunnel_handler(p->c, on_tunnel, p);
        ctdb_client_set_message_handler(p->c, on_message, p);
}

static void peer_close(Peer *p) {
        ctdb_client_free(p->c);
        p->c = NULL;
}

typedef bool (*Condition)(Peer *p, gconstpointer arg);

/* Processes every peer's frames until the condition holds for peers[0] or the deadline passes. */
struct wait_call {
        Condition cond;
        Peer *peer;
        gconstpointer arg;
};

static bool wait_call_done(void *arg) {
        struct wait_call *c = arg;

        return c->cond(c->peer, c->arg);
}

static bool wait_for(Peer **peers, unsigned n, Condition cond, gconstpointer arg) {
        struct wait_call call = { .cond = cond, .peer = peers[0], .arg = arg };
        ctdb_client *clients[4];

        g_assert_cmpuint(n, <=, G_N_ELEMENTS(clients));
        for (unsigned i = 0; i < n; i++)
                clients[i] = peers[i]->c;
        return test_clients_wait(clients, n, wait_call_done, &call, WAIT_MS);
}

static bool has_error(Peer *p, gconstpointer arg) {
        return p->n_errors > 0;
}

static bool has_end(Peer *p, gconstpointer arg) {
        return p->got_end;
}

static bool has_frame(Peer *p, gconstpointer arg) {
        return p->n_frames > 0 || p->n_errors > 0;
}

static bool link_is(Peer *p, gconstpointer arg) {
        return p->link_up[1] == (arg != NULL);
}

static bool has_message(Peer *p, gconstpointer arg) {
        return p->n_messages > 0;
}

static bool has_message_from_node0(Peer *p, gconstpointer arg) {
        return p->n_from_node0 > 0;
}

static void assert_error(Peer *p, int error, enum ctdb_client_request request, uint64_t srvid,
                         uint32_t dst) {
        Peer *one[] = { p };

        g_assert_true(wait_for(one, 1, has_error, NULL));
        g_assert_cmpint(p->error, ==, error);
        g_assert_cmpint(p->request, ==, request);
        g_assert_cmpuint(p->error_srvid, ==, srvid);
        g_assert_cmpuint(p->error_dst, ==, dst);
}

/* A port free on both addresses: the kernel's pick for one, checked on the other. */
static unsigned pick_port(void) {
        for (unsigned tries = 0; tries < 50; tries++) {
                struct sockaddr_in sa = { .sin_family = AF_INET };
                socklen_t len = sizeof(sa);
                int a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), b;
                bool ok;

                g_assert_cmpint(inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr), ==, 1);
                g_assert_cmpint(bind(a, (struct sockaddr *) &sa, sizeof(sa)), ==, 0);
                g_assert_cmpint(getsockname(a, (struct sockaddr *) &sa, &len), ==, 0);
                close(a);
                b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                g_assert_cmpint(inet_pton(AF_INET, "127.0.0.2", &sa.sin_addr), ==, 1);
                ok = bind(b, (struct sockaddr *) &sa, sizeof(sa)) == 0;
                close(b);
                if (ok)
                        return ntohs(sa.sin_port);
        }
        g_error("no tunnel port free on 127.0.0.1 and 127.0.0.2");
}

static void daemon_start(Daemon *d) {
        const char *argv[] = { "services/tunneld/ctdb-tunneld", "--config-dir", d->config_dir,
                               "--foreground", NULL };

        d->pid = test_spawn_daemon(d->bus, argv, BUS_NAME, WAIT_MS);
}

static void fixture_setup(Fixture *fx, gconstpointer data) {
        unsigned port = pick_port();

        for (unsigned i = 0; i < 2; i++) {
                Daemon *d = &fx->node[i];
                g_autofree char *nodes = NULL, *conf = NULL, *ctdb_conf = NULL, *run_dir = NULL;

                d->bus = test_bus_new();
                nodes = test_write_file(d->bus, "etc/nodes", "127.0.0.1\n127.0.0.2\n");
                d->config_dir = g_path_get_dirname(nodes);
                run_dir = g_build_filename(d->bus->dir, "run", NULL);
                d->socket = g_build_filename(run_dir, "tunnel.sock", NULL);
                conf = g_strdup_printf("[cluster]\nnode address = 127.0.0.%u\ntunnel port = %u\n"
                                       "[paths]\nruntime directory = %s\n",
                                       i + 1, port, run_dir);
                ctdb_conf = test_write_file(d->bus, "etc/ctdb.conf", conf);
                daemon_start(d);
        }
}

static void fixture_teardown(Fixture *fx, gconstpointer data) {
        for (unsigned i = 0; i < 2; i++) {
                Daemon *d = &fx->node[i];

                if (d->pid > 0)
                        test_stop_daemon(d->pid);
                test_bus_free(d->bus);
                g_free(d->config_dir);
                g_free(d->socket);
        }
}

/* A client on node 0 that has seen the link to node 1 come up. */
static void peer_connect_up(Fixture *fx, Peer *p) {
        Peer *one[] = { p };

        peer_connect(fx, 0, p);
        g_assert_true(wait_for(one, 1, link_is, GUINT_TO_POINTER(1)));
}

static void test_register_twice(Fixture *fx, gconstpointer data) {
        Peer a, b;
        Peer *one[] = { &a };

        peer_connect(fx, 0, &a);
        peer_connect(fx, 0, &b);
        g_assert_cmpint(ctdb_client_register_tunnel(a.c, TUNNEL_ID), ==, 0);
        /* a's registration is in before b's is sent: a's own send on it works. */
        g_assert_cmpint(ctdb_client_send_tunnel(a.c, ctdb_client_pnn(a.c), TUNNEL_ID, "mine", 4), ==, 0);
        g_assert_true(wait_for(one, 1, has_frame, NULL));
        g_assert_cmpuint(a.n_errors, ==, 0);

        g_assert_cmpint(ctdb_client_register_tunnel(b.c, TUNNEL_ID), ==, 0);
        assert_error(&b, -EADDRINUSE, CTDB_CLIENT_REQUEST_TUNNEL_REGISTER, TUNNEL_ID, ctdb_client_pnn(b.c));
        /* The owner keeps it; a second registration by the owner is refused as well. */
        g_assert_cmpint(ctdb_client_register_tunnel(a.c, TUNNEL_ID), ==, 0);
        assert_error(&a, -EADDRINUSE, CTDB_CLIENT_REQUEST_TUNNEL_REGISTER, TUNNEL_ID, ctdb_client_pnn(a.c));
        peer_close(&a);
        peer_close(&b);
}

static bool owns_tunnel(Peer *p, gconstpointer arg) {
        return p->n_frames > 0;
}

static void test_reregister_after_disconnect(Fixture *fx, gconstpointer data) {
        gint64 deadline = g_get_monotonic_time() + (gint64) WAIT_MS * 1000;
        Peer a, b;
        Peer *one[] = { &b };

        peer_connect(fx, 0, &a);
        g_assert_cmpint(ctdb_client_register_tunnel(a.c, TUNNEL_ID), ==, 0);
        peer_connect(fx, 0, &b);
        g_assert_cmpint(ctdb_client_register_tunnel(b.c, TUNNEL_ID), ==, 0);
        assert_error(&b, -EADDRINUSE, CTDB_CLIENT_REQUEST_TUNNEL_REGISTER, TUNNEL_ID, ctdb_client_pnn(b.c));
        peer_close(&a);

        /* tunneld sees a's end on another socket, so b retries until the id is free. */
        while (!owns_tunnel(&b, NULL)) {
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                b.n_errors = 0;
                g_assert_cmpint(ctdb_client_register_tunnel(b.c, TUNNEL_ID), ==, 0);
                g_assert_cmpint(ctdb_client_send_tunnel(b.c, ctdb_client_pnn(b.c), TUNNEL_ID, "b", 1), ==,
                                0);
                g_assert_true(wait_for(one, 1, has_frame, NULL));
                if (b.n_errors > 0) {
                        g_assert_true(b.error == -EADDRINUSE || b.error == -EPERM);
                        g_usleep(20000);
                }
        }
        g_assert_cmpstr(b.frame, ==, "b");
        g_assert_cmpuint(b.frame_id, ==, TUNNEL_ID);
        peer_close(&b);
}

static void test_not_owner(Fixture *fx, gconstpointer data) {
        Peer a;

        peer_connect_up(fx, &a);
        g_assert_cmpint(ctdb_client_send_tunnel(a.c, 1, TUNNEL_ID, "x", 1), ==, 0);
        assert_error(&a, -EPERM, CTDB_CLIENT_REQUEST_TUNNEL, TUNNEL_ID, 1);
        peer_close(&a);
}

static void test_no_owner_remote(Fixture *fx, gconstpointer data) {
        Peer a;

        peer_connect_up(fx, &a);
        g_assert_cmpint(ctdb_client_register_tunnel(a.c, TUNNEL_ID), ==, 0);
        g_assert_cmpint(ctdb_client_send_tunnel(a.c, 1, TUNNEL_ID, "anyone?", 7), ==, 0);
        assert_error(&a, -ESRCH, CTDB_CLIENT_REQUEST_TUNNEL, TUNNEL_ID, 1);
        g_assert_cmpuint(a.n_errors, ==, 1);
        peer_close(&a);
}

static void test_no_owner_broadcast(Fixture *fx, gconstpointer data) {
        Peer a;

        peer_connect_up(fx, &a);
        g_assert_cmpint(ctdb_client_register_tunnel(a.c, TUNNEL_ID), ==, 0);
        g_assert_cmpint(ctdb_client_send_tunnel(a.c, CTDB_CLIENT_PNN_ALL, TUNNEL_ID, "all", 3), ==, 0);
        assert_error(&a, -ESRCH, CTDB_CLIENT_REQUEST_TUNNEL, TUNNEL_ID, 1);
        peer_close(&a);
}

static void test_no_link(Fixture *fx, gconstpointer data) {
        Peer a;
        Peer *one[] = { &a };

        peer_connect_up(fx, &a);
        g_assert_cmpint(ctdb_client_register_tunnel(a.c, TUNNEL_ID), ==, 0);
        test_stop_daemon(fx->node[1].pid);
        fx->node[1].pid = 0;
        g_assert_true(wait_for(one, 1, link_is, NULL));

        g_assert_cmpint(ctdb_client_send_tunnel(a.c, 1, TUNNEL_ID, "gone", 4), ==, 0);
        assert_error(&a, -ENOTCONN, CTDB_CLIENT_REQUEST_TUNNEL, TUNNEL_ID, 1);
        a.n_errors = 0;
        g_assert_cmpint(ctdb_client_send_tunnel(a.c, 7, TUNNEL_ID, "nobody", 6), ==, 0);
        assert_error(&a, -ENOENT, CTDB_CLIENT_REQUEST_TUNNEL, TUNNEL_ID, 7);
        peer_close(&a);
}

static void test_delivered_once(Fixture *fx, gconstpointer data) {
        Peer a, b;
        Peer *to_b[] = { &b, &a }, *to_a[] = { &a, &b }, *one[] = { &b };

        peer_connect_up(fx, &a);
        peer_connect(fx, 1, &b);
        g_assert_cmpint(ctdb_client_register_tunnel(b.c, TUNNEL_ID), ==, 0);
        g_assert_cmpint(ctdb_client_register_tunnel(a.c, TUNNEL_ID), ==, 0);
        /* b's registration reached tunneld before this round trip through it ended. */
        g_assert_cmpint(ctdb_client_send_tunnel(b.c, 1, TUNNEL_ID, "self", 4), ==, 0);
        g_assert_true(wait_for(one, 1, has_frame, NULL));
        b.n_frames = 0;

        g_assert_cmpint(ctdb_client_send_tunnel(a.c, 1, TUNNEL_ID, "ping", 4), ==, 0);
        /* Frames keep their order on a link: a copy of "ping" would come before "end". */
        g_assert_cmpint(ctdb_client_send_tunnel(a.c, 1, TUNNEL_ID, "end", 3), ==, 0);
        g_assert_true(wait_for(to_b, 2, has_end, NULL));
        g_assert_cmpuint(b.n_frames, ==, 1);
        g_assert_cmpstr(b.frame, ==, "ping");
        g_assert_cmpuint(b.frame_src, ==, 0);
        g_assert_cmpuint(b.frame_id, ==, TUNNEL_ID);
        g_assert_cmpuint(a.n_errors, ==, 0);

        /* The answer comes back on the same id to its owner on node 0. */
        g_assert_cmpint(ctdb_client_send_tunnel(b.c, 0, TUNNEL_ID, "pong", 4), ==, 0);
        g_assert_true(wait_for(to_a, 2, has_frame, NULL));
        g_assert_cmpuint(a.n_errors, ==, 0);
        g_assert_cmpstr(a.frame, ==, "pong");
        g_assert_cmpuint(a.frame_src, ==, 1);
        peer_close(&a);
        peer_close(&b);
}

static void test_srvid_fanout(Fixture *fx, gconstpointer data) {
        Peer a, b1, b2;
        Peer *all[] = { &b1, &b2, &a }, *second[] = { &b2, &b1, &a };

        peer_connect_up(fx, &a);
        peer_connect(fx, 1, &b1);
        peer_connect(fx, 1, &b2);
        /* A registration is in once its client hears its own message to its node (one socket, in order). */
        g_assert_cmpint(ctdb_client_register(b1.c, SRVID), ==, 0);
        g_assert_cmpint(ctdb_client_send(b1.c, 1, SRVID, "r", 1), ==, 0);
        g_assert_true(wait_for(all, 3, has_message, NULL));
        g_assert_cmpint(ctdb_client_register(b2.c, SRVID), ==, 0);
        g_assert_cmpint(ctdb_client_send(b2.c, 1, SRVID, "r", 1), ==, 0);
        g_assert_true(wait_for(second, 3, has_message, NULL));

        g_assert_cmpint(ctdb_client_send(a.c, 1, SRVID, "both", 4), ==, 0);
        g_assert_true(wait_for(all, 3, has_message_from_node0, NULL));
        g_assert_true(wait_for(second, 3, has_message_from_node0, NULL));
        g_assert_cmpuint(b1.n_from_node0, ==, 1);
        g_assert_cmpuint(b2.n_from_node0, ==, 1);
        g_assert_cmpuint(a.n_errors, ==, 0);
        peer_close(&a);
        peer_close(&b1);
        peer_close(&b2);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/tunnels/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("register-twice", test_register_twice);
        ADD("reregister-after-disconnect", test_reregister_after_disconnect);
        ADD("not-owner", test_not_owner);
        ADD("no-owner-remote", test_no_owner_remote);
        ADD("no-owner-broadcast", test_no_owner_broadcast);
        ADD("no-link", test_no_link);
        ADD("delivered-once", test_delivered_once);
        ADD("srvid-fanout", test_srvid_fanout);
        return g_test_run();
}
