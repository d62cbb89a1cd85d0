/*
 * ctdb-tunneld against private buses: two daemons on 127.0.0.1 and 127.0.0.2
 * (bindable on Linux without any set-up), each on its own private system bus,
 * with a random high tunnel port per run. No root needed.
 */

#undef NDEBUG

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctdb-client.h"
#include "testbus.h"
#include "testnode.h"
#include "wire.h"

#define BUS_NAME "org.ctdb.tunnel1"
#define BUS_PATH "/org/ctdb/tunnel1"
#define BUS_IFACE "org.ctdb.tunnel1.Manager"
#define WAIT_MS 10000
#define TEST_SRVID UINT64_C(0x0000000012345678)

typedef struct Fixture {
        TestBus *bus[2];
        TestNode *node[2];
} Fixture;

/* Per-test set-up: the pre-shared key of each node (NULL = none). */
typedef struct Setup {
        const char *key[2];
        bool wait_up;
} Setup;

static const Setup setup_plain = { { NULL, NULL }, true };
static const Setup setup_same_key = { { "correct horse", "correct horse" }, true };
static const Setup setup_wrong_key = { { "correct horse", "battery staple" }, false };

static const char *node_address(unsigned i) {
        return i == 0 ? "127.0.0.1" : "127.0.0.2";
}

static void node_start(Fixture *fx, unsigned i) {
        test_node_start_tunneld(fx->node[i]);
}

static void node_stop(Fixture *fx, unsigned i) {
        test_node_stop_tunneld(fx->node[i]);
}

/* The pnns in a Links value, in order, as "0:a 2:d" (a = connected, d = not). */
static char *links_summary_of(GVariant *links) {
        GString *s = g_string_new(NULL);
        GVariantIter it;
        guint32 pnn;
        const char *address;
        gboolean up;
        guint64 tx, rx;

        g_variant_iter_init(&it, links);
        while (g_variant_iter_next(&it, "(u&sbtt)", &pnn, &address, &up, &tx, &rx))
                g_string_append_printf(s, "%s%u:%s", s->len ? " " : "", pnn, up ? "a" : "d");
        return g_string_free(s, FALSE);
}

/* userdata: the peer's pnn, | 0x100 for "connected". */
static gboolean link_state_is(GVariant *links, gpointer userdata) {
        guint32 want = GPOINTER_TO_UINT(userdata);
        g_autofree char *summary = links_summary_of(links);
        g_autofree char *entry = g_strdup_printf("%u:%s", want & 0xff, (want >> 8) != 0 ? "a" : "d");
        g_auto(GStrv) entries = g_strsplit(summary, " ", -1);

        return g_strv_contains((const char *const *) entries, entry);
}

static gboolean wait_link(Fixture *fx, unsigned i, gboolean connected) {
        return test_wait_property(fx->bus[i], BUS_NAME, BUS_PATH, BUS_IFACE, "Links", link_state_is,
                                  GUINT_TO_POINTER((1u - i) | (connected ? 0x100u : 0u)), WAIT_MS);
}

static void fixture_setup(Fixture *fx, gconstpointer data) {
        static const char *const addresses[] = { "127.0.0.1", "127.0.0.2", NULL };
        const Setup *setup = data;
        unsigned port = test_pick_port(addresses);

        for (unsigned i = 0; i < 2; i++) {
                TestNodeConfig config = {
                        .nodes = "127.0.0.1\n127.0.0.2\n",
                        .address = node_address(i),
                        .port = port,
                        .psk = setup->key[i],
                        .heartbeat_interval_ms = 100,
                        .heartbeat_timeout_ms = 1000,
                };

                fx->bus[i] = test_bus_new();
                fx->node[i] = test_node_new(fx->bus[i], &config);
        }
        for (unsigned i = 0; i < 2; i++)
                node_start(fx, i);
        if (setup->wait_up) {
                g_assert_true(wait_link(fx, 0, TRUE));
                g_assert_true(wait_link(fx, 1, TRUE));
        }
}

static void fixture_teardown(Fixture *fx, gconstpointer data) {
        for (unsigned i = 0; i < 2; i++) {
                test_node_free(fx->node[i]);
                test_bus_free(fx->bus[i]);
        }
}

static guint64 get_u64(Fixture *fx, unsigned i, const char *prop) {
        g_autoptr(GVariant) v = test_get_property(fx->bus[i], BUS_NAME, BUS_PATH, BUS_IFACE, prop);
        g_assert_nonnull(v);
        return g_variant_get_uint64(v);
}

static gboolean u64_at_least(GVariant *v, gpointer userdata) {
        return g_variant_get_uint64(v) >= GPOINTER_TO_UINT(userdata);
}

/*
 * AddMatch of a signal subscription is sent without waiting for the bus; a
 * round trip on the same connection makes sure the bus has it before we act.
 */
static void sync_bus(Fixture *fx, unsigned i) {
        g_autoptr(GVariant) v = test_get_property(fx->bus[i], BUS_NAME, BUS_PATH, BUS_IFACE, "ThisNode");
        g_assert_nonnull(v);
}

static GVariant *call(Fixture *fx, unsigned i, const char *method, GVariant *args, GError **error) {
        return g_dbus_connection_call_sync(fx->bus[i]->conn, BUS_NAME, BUS_PATH, BUS_IFACE, method,
                                           args, NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, error);
}

static void assert_remote_error(const GError *error, const char *name) {
        g_autofree char *remote = NULL;

        g_assert_nonnull(error);
        remote = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(remote, ==, name);
}

/* ---- tests ------------------------------------------------------------ */

static void test_links(Fixture *fx, gconstpointer data) {
        for (unsigned i = 0; i < 2; i++) {
                g_autoptr(GVariant) this_node =
                        test_get_property(fx->bus[i], BUS_NAME, BUS_PATH, BUS_IFACE, "ThisNode");
                g_autoptr(GVariant) links =
                        test_get_property(fx->bus[i], BUS_NAME, BUS_PATH, BUS_IFACE, "Links");
                guint32 pnn;
                const char *address;
                gboolean up;
                guint64 tx, rx;

                g_assert_cmpuint(g_variant_get_uint32(this_node), ==, i);
                /* Exactly one entry: the peer, never this node itself. */
                g_assert_cmpuint(g_variant_n_children(links), ==, 1);
                g_variant_get_child(links, 0, "(u&sbtt)", &pnn, &address, &up, &tx, &rx);
                g_assert_cmpuint(pnn, ==, 1 - i);
                g_assert_cmpstr(address, ==, node_address(1 - i));
                g_assert_true(up);
                g_assert_cmpuint(tx, >, 0);
                g_assert_cmpuint(rx, >, 0);
                g_assert_cmpuint(get_u64(fx, i, "BadFrames"), ==, 0);
                g_assert_cmpuint(get_u64(fx, i, "RejectedPeers"), ==, 0);
        }
}

/* Node i's Links now, as links_summary_of() writes it. */
static char *links_summary(Fixture *fx, unsigned i) {
        g_autoptr(GVariant) links =
                test_get_property(fx->bus[i], BUS_NAME, BUS_PATH, BUS_IFACE, "Links");

        return links_summary_of(links);
}

static void reload_nodes(Fixture *fx, unsigned i, const char *nodes, const char *want_error) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;

        test_node_write_nodes(fx->node[i], nodes);
        reply = call(fx, i, "ReloadNodes", NULL, &error);
        if (want_error)
                assert_remote_error(error, want_error);
        else
                g_assert_no_error(error);
}

/* ReloadNodes: a slot added gets a link, a slot deleted loses it; what CTDB does
 * not allow is refused and changes nothing. */
static void test_reload_nodes(Fixture *fx, gconstpointer data) {
        g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;

        reload_nodes(fx, 0, "127.0.0.1\n127.0.0.2\n127.0.0.3\n", NULL);
        s1 = links_summary(fx, 0);
        g_assert_cmpstr(s1, ==, "1:a 2:d"); /* nobody at 127.0.0.3 */

        reload_nodes(fx, 0, "127.0.0.1\n127.0.0.2\n#127.0.0.3\n", NULL);
        s2 = links_summary(fx, 0);
        g_assert_cmpstr(s2, ==, "1:a");

        reload_nodes(fx, 0, "127.0.0.1\n127.0.0.2\n127.0.0.3\n", "org.ctdb.Error.NotSupported");
        reload_nodes(fx, 0, "127.0.0.1\n127.0.0.9\n#127.0.0.3\n", "org.ctdb.Error.NotSupported");
        reload_nodes(fx, 0, "127.0.0.1\n", "org.ctdb.Error.NotSupported");
        /* Node 1 is connected: it cannot be deleted. */
        reload_nodes(fx, 0, "127.0.0.1\n#deleted\n#127.0.0.3\n", "org.ctdb.Error.Busy");
        s3 = links_summary(fx, 0);
        g_assert_cmpstr(s3, ==, "1:a");

        /* Once it is gone it can; the link goes with the slot. */
        node_stop(fx, 1);
        g_assert_true(wait_link(fx, 0, FALSE));
        reload_nodes(fx, 0, "127.0.0.1\n#deleted\n#127.0.0.3\n", NULL);
        s4 = links_summary(fx, 0);
        g_assert_cmpstr(s4, ==, "");
}

static gboolean links_are(gpointer userdata) {
        const char **want = userdata;
        Fixture *fx = (Fixture *) want[1];
        g_autofree char *now = links_summary(fx, 0);

        return g_strcmp0(now, want[0]) == 0;
}

/* SIGHUP reloads the nodes file as ReloadNodes does; a refused reload keeps the daemon running. */
static void test_reload_sighup(Fixture *fx, gconstpointer data) {
        const char *want[2] = { "1:a 2:d", (const char *) fx };
        g_autofree char *s = NULL;

        test_node_write_nodes(fx->node[0], "127.0.0.1\n127.0.0.2\n127.0.0.3\n");
        g_assert_cmpint(kill(fx->node[0]->tunneld, SIGHUP), ==, 0);
        g_assert_true(test_wait_condition(links_are, want, 5000));

        /* Not allowed (an address changed): logged, nothing changes, the daemon still answers. */
        test_node_write_nodes(fx->node[0], "127.0.0.1\n127.0.0.9\n127.0.0.3\n");
        g_assert_cmpint(kill(fx->node[0]->tunneld, SIGHUP), ==, 0);
        test_node_write_nodes(fx->node[0], "127.0.0.1\n127.0.0.2\n#127.0.0.3\n");
        g_assert_cmpint(kill(fx->node[0]->tunneld, SIGHUP), ==, 0);
        want[0] = "1:a";
        g_assert_true(test_wait_condition(links_are, want, 5000));
        s = links_summary(fx, 0);
        g_assert_cmpstr(s, ==, "1:a");
}

typedef struct MessageWait {
        gboolean got;
        guint32 from;
        guint64 srvid;
        GBytes *data;
} MessageWait;

static void on_message_signal(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                              const char *signal, GVariant *params, gpointer userdata) {
        MessageWait *w = userdata;
        g_autoptr(GVariant) data = NULL;

        g_variant_get(params, "(ut@ay)", &w->from, &w->srvid, &data);
        g_clear_pointer(&w->data, g_bytes_unref);
        w->data = g_variant_get_data_as_bytes(data);
        w->got = TRUE;
}

static GVariant *bytes_variant(const char *s) {
        return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, s, strlen(s), 1);
}

static void assert_message(MessageWait *w, guint32 from, const char *text) {
        gsize len;
        const void *p;

        g_assert_true(test_wait_flag(&w->got, WAIT_MS));
        g_assert_cmpuint(w->from, ==, from);
        g_assert_cmpuint(w->srvid, ==, TEST_SRVID);
        p = g_bytes_get_data(w->data, &len);
        g_assert_cmpmem(p, len, text, strlen(text));
        w->got = FALSE;
}

static void test_send_register(Fixture *fx, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        MessageWait w = { 0 };
        guint sub;

        sub = g_dbus_connection_signal_subscribe(fx->bus[1]->conn, NULL, BUS_IFACE, "Message", BUS_PATH,
                                                 NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_message_signal, &w,
                                                 NULL);
        reply = call(fx, 1, "Register", g_variant_new("(t)", TEST_SRVID), &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);

        /* Node 0 to node 1 over the link. */
        reply = call(fx, 0, "Send", g_variant_new("(ut@ay)", 1, TEST_SRVID, bytes_variant("hello node 1")),
                     &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        assert_message(&w, 0, "hello node 1");

        /* Broadcast reaches node 1 too. */
        reply = call(fx, 0, "Send",
                     g_variant_new("(ut@ay)", 0xffffffffu, TEST_SRVID, bytes_variant("to all")), &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        assert_message(&w, 0, "to all");

        /* To this node's own pnn: delivered locally. */
        reply = call(fx, 1, "Send", g_variant_new("(ut@ay)", 1, TEST_SRVID, bytes_variant("loopback")),
                     &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        assert_message(&w, 1, "loopback");

        /* An unknown node is the caller's mistake. */
        reply = call(fx, 0, "Send", g_variant_new("(ut@ay)", 7, TEST_SRVID, bytes_variant("x")), &error);
        g_assert_null(reply);
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, "not a configured node"));
        assert_remote_error(error, "org.ctdb.Error.InvalidArgs");
        g_clear_error(&error);

        /* Deregistered: nothing arrives any more (a later message proves the order). */
        reply = call(fx, 1, "Deregister", g_variant_new("(t)", TEST_SRVID), &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        reply = call(fx, 0, "Send", g_variant_new("(ut@ay)", 1, TEST_SRVID, bytes_variant("lost")), &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        reply = call(fx, 1, "Register", g_variant_new("(t)", TEST_SRVID), &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        reply = call(fx, 0, "Send", g_variant_new("(ut@ay)", 1, TEST_SRVID, bytes_variant("after")), &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        assert_message(&w, 0, "after");

        g_dbus_connection_signal_unsubscribe(fx->bus[1]->conn, sub);
        g_clear_pointer(&w.data, g_bytes_unref);
}

static void test_send_unprivileged(Fixture *fx, gconstpointer data) {
        g_autofree char *err = NULL;

        if (geteuid() != 0) {
                g_test_skip("needs root to call as another user");
                return;
        }
        /* No polkit on the private bus: a non-root caller is denied. */
        err = test_call_unprivileged(fx->bus[0], BUS_NAME, BUS_PATH, BUS_IFACE, "Send",
                                     g_variant_new("(ut@ay)", 1, TEST_SRVID, bytes_variant("x")));
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err, "AccessDenied"));
}

typedef struct LinkChangedWait {
        gboolean got;
        guint32 pnn;
        gboolean connected;
} LinkChangedWait;

static void on_link_changed(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                            const char *signal, GVariant *params, gpointer userdata) {
        LinkChangedWait *w = userdata;

        g_variant_get(params, "(ub)", &w->pnn, &w->connected);
        w->got = TRUE;
}

static void test_peer_killed(Fixture *fx, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        LinkChangedWait w = { 0 };
        guint sub;

        sub = g_dbus_connection_signal_subscribe(fx->bus[0]->conn, NULL, BUS_IFACE, "LinkChanged",
                                                 BUS_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_link_changed,
                                                 &w, NULL);
        sync_bus(fx, 0);
        node_stop(fx, 1);
        g_assert_true(test_wait_flag(&w.got, WAIT_MS));
        g_assert_cmpuint(w.pnn, ==, 1);
        g_assert_false(w.connected);
        g_assert_true(wait_link(fx, 0, FALSE));

        reply = call(fx, 0, "Send", g_variant_new("(ut@ay)", 1, TEST_SRVID, bytes_variant("x")), &error);
        g_assert_null(reply);
        assert_remote_error(error, "org.ctdb.Error.NotConnected");

        /* It comes back by itself once the peer is back (reconnect with backoff). */
        w.got = FALSE;
        node_start(fx, 1);
        g_assert_true(test_wait_flag(&w.got, WAIT_MS));
        g_assert_true(w.connected);
        g_assert_true(wait_link(fx, 0, TRUE));
        g_dbus_connection_signal_unsubscribe(fx->bus[0]->conn, sub);
}

static void test_peer_hung(Fixture *fx, gconstpointer data) {
        gint64 start;

        /* A stopped peer keeps its socket open: only the heartbeat timeout (1 s here) notices. */
        g_assert_cmpint(kill(fx->node[1]->tunneld, SIGSTOP), ==, 0);
        start = g_get_monotonic_time();
        g_assert_true(wait_link(fx, 0, FALSE));
        g_assert_cmpint(g_get_monotonic_time() - start, >=, 900 * 1000);
        g_assert_cmpint(kill(fx->node[1]->tunneld, SIGCONT), ==, 0);

        /* Node 0 reconnects; node 1 replaces its stale connection with the new one. */
        g_assert_true(wait_link(fx, 0, TRUE));
        g_assert_true(wait_link(fx, 1, TRUE));
}

/* Connects to node 1's tunnel port from address (bound), or -errno. */
static int connect_from(Fixture *fx, const char *address) {
        struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
        int fd;

        g_assert_cmpint(inet_pton(AF_INET, address, &src.sin_addr), ==, 1);
        g_assert_cmpint(inet_pton(AF_INET, node_address(1), &dst.sin_addr), ==, 1);
        dst.sin_port = htons((uint16_t) fx->node[1]->port);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(bind(fd, (struct sockaddr *) &src, sizeof(src)), ==, 0);
        g_assert_cmpint(connect(fd, (struct sockaddr *) &dst, sizeof(dst)), ==, 0);
        return fd;
}

/* Waits until the daemon closed fd (EOF or reset), reading whatever it sent first. */
static gboolean wait_closed(int fd) {
        gint64 deadline = g_get_monotonic_time() + (gint64) WAIT_MS * 1000;
        char buf[4096];

        while (g_get_monotonic_time() < deadline) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 100) > 0) {
                        ssize_t n = recv(fd, buf, sizeof(buf), 0);
                        if (n == 0 || (n < 0 && errno == ECONNRESET))
                                return TRUE;
                }
        }
        return FALSE;
}

static gboolean u64_equals(GVariant *v, gpointer userdata) {
        return g_variant_get_uint64(v) == GPOINTER_TO_UINT(userdata);
}

/* Waits until node i counted exactly bad BadFrames and rejected RejectedPeers. */
static void assert_counters_reach(Fixture *fx, unsigned i, unsigned bad, unsigned rejected) {
        g_assert_true(test_wait_property(fx->bus[i], BUS_NAME, BUS_PATH, BUS_IFACE, "BadFrames", u64_equals,
                                         GUINT_TO_POINTER(bad), WAIT_MS));
        g_assert_true(test_wait_property(fx->bus[i], BUS_NAME, BUS_PATH, BUS_IFACE, "RejectedPeers",
                                         u64_equals, GUINT_TO_POINTER(rejected), WAIT_MS));
}

static void test_garbage(Fixture *fx, gconstpointer data) {
        static const char garbage[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n and then some more junk bytes";
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        LinkChangedWait w[2] = { { 0 } };
        MessageWait m = { 0 };
        guint sub[2], msg_sub;
        int fd;

        for (unsigned i = 0; i < 2; i++) {
                sub[i] = g_dbus_connection_signal_subscribe(fx->bus[i]->conn, NULL, BUS_IFACE, "LinkChanged",
                                                            BUS_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                            on_link_changed, &w[i], NULL);
                sync_bus(fx, i);
        }

        /* From node 0's own address: admitted to the handshake, then cut off at the bad frame. */
        fd = connect_from(fx, node_address(0));
        g_assert_cmpint(send(fd, garbage, sizeof(garbage), MSG_NOSIGNAL), ==, (ssize_t) sizeof(garbage));
        g_assert_true(wait_closed(fd));
        close(fd);
        assert_counters_reach(fx, 1, 1, 0);

        /* From an address that is not in nodes: refused at once. */
        fd = connect_from(fx, "127.0.0.9");
        g_assert_true(wait_closed(fd));
        close(fd);
        assert_counters_reach(fx, 1, 1, 1);

        /* A well-formed HELLO of another major version: refused, counted. */
        {
                struct wire_hello hello = {
                        .magic = WIRE_MAGIC, .major = 2, .minor = 0, .pnn = 0, .n_nodes = 2
                };
                struct wire_header h = { .src = 0, .dst = 1 };
                uint8_t frame[WIRE_HEADER_SIZE + 128];
                int n = wire_frame_pack(&h, &wire_hello_desc, &hello, frame, sizeof(frame));

                g_assert_cmpint(n, >, (int) WIRE_HEADER_SIZE);
                fd = connect_from(fx, node_address(0));
                g_assert_cmpint(send(fd, frame, (size_t) n, MSG_NOSIGNAL), ==, n);
                g_assert_true(wait_closed(fd));
                close(fd);
                assert_counters_reach(fx, 1, 1, 2);
        }

        /* The real link is up at both ends and still carries a message from node 0 to node 1... */
        g_assert_true(wait_link(fx, 1, TRUE));
        g_assert_true(wait_link(fx, 0, TRUE));
        msg_sub = g_dbus_connection_signal_subscribe(fx->bus[1]->conn, NULL, BUS_IFACE, "Message", BUS_PATH,
                                                     NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_message_signal, &m,
                                                     NULL);
        reply = call(fx, 1, "Register", g_variant_new("(t)", TEST_SRVID), &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        reply = call(fx, 0, "Send", g_variant_new("(ut@ay)", 1, TEST_SRVID, bytes_variant("still here")),
                     &error);
        g_assert_no_error(error);
        assert_message(&m, 0, "still here");
        g_dbus_connection_signal_unsubscribe(fx->bus[1]->conn, msg_sub);
        g_clear_pointer(&m.data, g_bytes_unref);

        /*
         * ...and neither end ever saw it go down, not even for a moment. A daemon's
         * signals reach us before its reply to a later call, and both are dispatched
         * in that order: after a round trip to each daemon, every LinkChanged either
         * emitted so far has been counted here.
         */
        for (unsigned i = 0; i < 2; i++) {
                sync_bus(fx, i);
                while (g_main_context_iteration(NULL, FALSE))
                        ;
                g_assert_false(w[i].got);
                g_dbus_connection_signal_unsubscribe(fx->bus[i]->conn, sub[i]);
        }
        /* Nothing counted twice, and nothing at all on the side that was left alone. */
        assert_counters_reach(fx, 1, 1, 2);
        assert_counters_reach(fx, 0, 0, 0);
}

static void test_same_key(Fixture *fx, gconstpointer data) {
        /* The fixture waited for both links to come up through the HMAC challenge. */
        g_assert_cmpuint(get_u64(fx, 0, "RejectedPeers"), ==, 0);
        g_assert_cmpuint(get_u64(fx, 1, "RejectedPeers"), ==, 0);
}

static void test_wrong_key(Fixture *fx, gconstpointer data) {
        /* Node 1 accepts; it and node 0 each refuse the other's proof. */
        g_assert_true(test_wait_property(fx->bus[1], BUS_NAME, BUS_PATH, BUS_IFACE, "RejectedPeers",
                                         u64_at_least, GUINT_TO_POINTER(2), WAIT_MS));
        g_assert_true(wait_link(fx, 0, FALSE));
        g_assert_true(wait_link(fx, 1, FALSE));
}

typedef struct ClientState {
        unsigned n_messages;
        guint32 from;
        guint64 srvid;
        char data[64];
        bool link_seen[2];
        bool link_up[2];
} ClientState;

static void client_on_message(ctdb_client *c, uint32_t src, uint64_t srvid, const void *data, size_t len,
                              void *userdata) {
        ClientState *s = userdata;

        s->n_messages++;
        s->from = src;
        s->srvid = srvid;
        g_assert_cmpuint(len, <, sizeof(s->data));
        memcpy(s->data, data, len);
        s->data[len] = '\0';
}

static void client_on_link(ctdb_client *c, uint32_t pnn, bool connected, void *userdata) {
        ClientState *s = userdata;

        g_assert_cmpuint(pnn, <, 2);
        s->link_seen[pnn] = true;
        s->link_up[pnn] = connected;
}

typedef struct BigState {
        unsigned n;
        size_t len;
        uint8_t last;
} BigState;

static void client_on_big(ctdb_client *c, uint32_t src, uint64_t srvid, const void *data, size_t len,
                          void *userdata) {
        BigState *b = userdata;

        b->n++;
        b->len = len;
        b->last = len > 0 ? ((const uint8_t *) data)[len - 1] : 0;
}

/* Processes c until *count reaches n or the deadline passed. */
static gboolean client_wait_count(ctdb_client *c, const unsigned *count, unsigned n) {
        gint64 deadline = g_get_monotonic_time() + (gint64) WAIT_MS * 1000;

        while (*count < n && g_get_monotonic_time() < deadline) {
                struct pollfd p = { .fd = ctdb_client_fd(c), .events = POLLIN };
                if (poll(&p, 1, 100) > 0)
                        g_assert_cmpint(ctdb_client_process(c), >=, 0);
        }
        return *count >= n;
}

static gboolean client_wait(ctdb_client *c, ClientState *s, unsigned n) {
        return client_wait_count(c, &s->n_messages, n);
}

typedef struct ErrorState {
        unsigned n;
        int error;
        enum ctdb_client_request request;
        uint64_t srvid;
        uint32_t dst;
} ErrorState;

static void client_on_error(ctdb_client *c, int error, enum ctdb_client_request request, uint64_t srvid,
                            uint32_t dst, void *userdata) {
        ErrorState *e = userdata;

        e->n++;
        e->error = error;
        e->request = request;
        e->srvid = srvid;
        e->dst = dst;
}

/* A send tunneld cannot route comes back to the error handler with what was asked. */
static void test_client_error(Fixture *fx, gconstpointer data) {
        ctdb_client *c0 = NULL;
        ClientState s0 = { 0 };
        ErrorState e = { 0 };
        gint64 deadline;

        g_assert_cmpint(ctdb_client_connect(fx->node[0]->socket, &c0), ==, 0);
        ctdb_client_set_link_handler(c0, client_on_link, &s0);
        ctdb_client_set_error_handler(c0, client_on_error, &e);

        /* No such node. */
        g_assert_cmpint(ctdb_client_send(c0, 7, TEST_SRVID, "x", 1), ==, 0);
        g_assert_true(client_wait_count(c0, &e.n, 1));
        g_assert_cmpint(e.error, ==, -ENOENT);
        g_assert_cmpint(e.request, ==, CTDB_CLIENT_REQUEST_MESSAGE);
        g_assert_cmpuint(e.srvid, ==, TEST_SRVID);
        g_assert_cmpuint(e.dst, ==, 7);

        /* A node whose link is down: wait until the client itself has heard so. */
        node_stop(fx, 1);
        s0.link_seen[1] = false;
        deadline = g_get_monotonic_time() + (gint64) WAIT_MS * 1000;
        while (!(s0.link_seen[1] && !s0.link_up[1])) {
                struct pollfd p = { .fd = ctdb_client_fd(c0), .events = POLLIN };
                /* Other frames may come first, but not for ever. */
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                g_assert_cmpint(poll(&p, 1, WAIT_MS), ==, 1);
                g_assert_cmpint(ctdb_client_process(c0), >=, 0);
        }
        g_assert_cmpint(ctdb_client_send(c0, 1, TEST_SRVID + 2, "x", 1), ==, 0);
        g_assert_true(client_wait_count(c0, &e.n, 2));
        g_assert_cmpint(e.error, ==, -ENOTCONN);
        g_assert_cmpint(e.request, ==, CTDB_CLIENT_REQUEST_MESSAGE);
        g_assert_cmpuint(e.srvid, ==, TEST_SRVID + 2);
        g_assert_cmpuint(e.dst, ==, 1);

        /* Without a handler errors are dropped quietly. */
        ctdb_client_set_error_handler(c0, NULL, NULL);
        g_assert_cmpint(ctdb_client_send(c0, 1, TEST_SRVID, "x", 1), ==, 0);
        ctdb_client_free(c0);
}

static void test_client_unprivileged(Fixture *fx, gconstpointer data) {
        pid_t pid;
        int status;

        if (geteuid() != 0) {
                g_test_skip("needs root to connect as another user");
                return;
        }
        /*
         * The socket is 0600 and tunneld checks SO_PEERCRED: nobody else gets in. The child
         * reports through a pipe, not its exit status, which valgrind (--error-exitcode) owns
         * when the test runs under it.
         */
        int pipefd[2], result = 0;

        g_assert_cmpint(pipe(pipefd), ==, 0);
        pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                ctdb_client *c = NULL;
                int r = -EPERM;
                close(pipefd[0]);
                if (setresgid(65534, 65534, 65534) == 0 && setresuid(65534, 65534, 65534) == 0)
                        r = ctdb_client_connect(fx->node[0]->socket, &c);
                if (write(pipefd[1], &r, sizeof(r)) != sizeof(r))
                        _exit(3);
                _exit(0);
        }
        close(pipefd[1]);
        {
                /* The child's connect is bounded by the client's own socket timeouts; this by ours. */
                struct pollfd p = { .fd = pipefd[0], .events = POLLIN };

                g_assert_cmpint(poll(&p, 1, WAIT_MS), ==, 1);
        }
        g_assert_cmpint(read(pipefd[0], &result, sizeof(result)), ==, sizeof(result));
        close(pipefd[0]);
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_cmpint(result, ==, -EACCES);
}

static void test_client(Fixture *fx, gconstpointer data) {
        ctdb_client *c0 = NULL, *c1 = NULL;
        ClientState s0 = { 0 }, s1 = { 0 };
        gint64 deadline;

        g_assert_cmpint(ctdb_client_connect("/nonexistent/tunnel.sock", &c0), ==, -ENOENT);
        g_assert_cmpint(ctdb_client_connect(fx->node[0]->socket, &c0), ==, 0);
        g_assert_cmpint(ctdb_client_connect(fx->node[1]->socket, &c1), ==, 0);
        g_assert_cmpuint(ctdb_client_pnn(c0), ==, 0);
        g_assert_cmpuint(ctdb_client_pnn(c1), ==, 1);
        g_assert_cmpuint(ctdb_client_n_nodes(c1), ==, 2);
        ctdb_client_set_message_handler(c0, client_on_message, &s0);
        ctdb_client_set_message_handler(c1, client_on_message, &s1);
        ctdb_client_set_link_handler(c1, client_on_link, &s1);
        g_assert_cmpint(ctdb_client_register(c0, TEST_SRVID), ==, 0);
        g_assert_cmpint(ctdb_client_register(c1, TEST_SRVID), ==, 0);

        /* One LINK frame per peer right after connect: node 1 hears that node 0 is up. */
        deadline = g_get_monotonic_time() + (gint64) WAIT_MS * 1000;
        while (!s1.link_seen[0] && g_get_monotonic_time() < deadline) {
                struct pollfd p = { .fd = ctdb_client_fd(c1), .events = POLLIN };
                if (poll(&p, 1, 100) > 0)
                        g_assert_cmpint(ctdb_client_process(c1), >=, 0);
        }
        g_assert_true(s1.link_seen[0]);
        g_assert_true(s1.link_up[0]);
        g_assert_false(s1.link_seen[1]);

        /* The registrations are in before a message can overtake them: the socket is ordered, and a
         * local round trip through node 1 proves node 1 has read c1's REGISTER. */
        g_assert_cmpint(ctdb_client_send(c1, 1, TEST_SRVID, "self", 4), ==, 0);
        g_assert_true(client_wait(c1, &s1, 1));
        g_assert_cmpuint(s1.from, ==, 1);
        g_assert_cmpstr(s1.data, ==, "self");

        g_assert_cmpint(ctdb_client_send(c0, 1, TEST_SRVID, "ping", 4), ==, 0);
        g_assert_true(client_wait(c1, &s1, 2));
        g_assert_cmpuint(s1.from, ==, 0);
        g_assert_cmpuint(s1.srvid, ==, TEST_SRVID);
        g_assert_cmpstr(s1.data, ==, "ping");

        g_assert_cmpint(ctdb_client_send(c1, CTDB_CLIENT_PNN_ALL, TEST_SRVID, "pong", 4), ==, 0);
        g_assert_true(client_wait(c0, &s0, 1));
        g_assert_cmpuint(s0.from, ==, 1);
        g_assert_cmpstr(s0.data, ==, "pong");

        /*
         * The largest message the client accepts crosses, one byte more is refused at once:
         * the client never sends what tunneld could not hand to its local receivers.
         */
        {
                size_t len = ctdb_client_max_message(c0);
                g_autofree uint8_t *big = g_malloc(len + 1);
                BigState b = { 0 };

                g_assert_cmpuint(len, <=, WIRE_FRAME_MAX - WIRE_HEADER_SIZE - 4);
                g_assert_cmpuint(len, >=, 64 * 1024);
                g_assert_cmpuint(ctdb_client_max_message(c1), ==, len);
                memset(big, 'x', len + 1);
                big[len - 1] = 'y';
                g_assert_cmpint(ctdb_client_send(c0, 1, TEST_SRVID, big, len + 1), ==, -EMSGSIZE);
                ctdb_client_set_message_handler(c1, client_on_big, &b);
                g_assert_cmpint(ctdb_client_register(c1, TEST_SRVID + 1), ==, 0);
                g_assert_cmpint(ctdb_client_send(c1, 1, TEST_SRVID + 1, "x", 1), ==, 0);
                g_assert_true(client_wait_count(c1, &b.n, 1));
                g_assert_cmpint(ctdb_client_send(c0, 1, TEST_SRVID + 1, big, len), ==, 0);
                g_assert_true(client_wait_count(c1, &b.n, 2));
                g_assert_cmpuint(b.len, ==, len);
                g_assert_cmpuint(b.last, ==, 'y');
                /* And locally, through the same socket limit on the way out of tunneld. */
                g_assert_cmpint(ctdb_client_send(c1, 1, TEST_SRVID + 1, big, len), ==, 0);
                g_assert_true(client_wait_count(c1, &b.n, 3));
                g_assert_cmpuint(b.len, ==, len);
                ctdb_client_set_message_handler(c1, client_on_message, &s1);
        }

        g_assert_cmpint(ctdb_client_deregister(c1, TEST_SRVID), ==, 0);
        ctdb_client_free(c0);
        ctdb_client_free(c1);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add("/tunneld/links", Fixture, &setup_plain, fixture_setup, test_links, fixture_teardown);
        g_test_add("/tunneld/reload-nodes", Fixture, &setup_plain, fixture_setup, test_reload_nodes,
                   fixture_teardown);
        g_test_add("/tunneld/reload-sighup", Fixture, &setup_plain, fixture_setup, test_reload_sighup,
                   fixture_teardown);
        g_test_add("/tunneld/send-register", Fixture, &setup_plain, fixture_setup, test_send_register,
                   fixture_teardown);
        g_test_add("/tunneld/send-unprivileged", Fixture, &setup_plain, fixture_setup,
                   test_send_unprivileged, fixture_teardown);
        g_test_add("/tunneld/peer-killed", Fixture, &setup_plain, fixture_setup, test_peer_killed,
                   fixture_teardown);
        g_test_add("/tunneld/peer-hung", Fixture, &setup_plain, fixture_setup, test_peer_hung,
                   fixture_teardown);
        g_test_add("/tunneld/garbage", Fixture, &setup_plain, fixture_setup, test_garbage, fixture_teardown);
        g_test_add("/tunneld/psk-same", Fixture, &setup_same_key, fixture_setup, test_same_key,
                   fixture_teardown);
        g_test_add("/tunneld/psk-wrong", Fixture, &setup_wrong_key, fixture_setup, test_wrong_key,
                   fixture_teardown);
        g_test_add("/tunneld/client-unprivileged", Fixture, &setup_plain, fixture_setup,
                   test_client_unprivileged, fixture_teardown);
        g_test_add("/tunneld/client", Fixture, &setup_plain, fixture_setup, test_client, fixture_teardown);
        g_test_add("/tunneld/client-error", Fixture, &setup_plain, fixture_setup, test_client_error,
                   fixture_teardown);

        return g_test_run();
}
