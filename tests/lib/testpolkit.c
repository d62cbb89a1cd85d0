/*
 * The polkit mock of the bus tests (see testpolkit.h), on libglib-testing's GtDBusQueue.
 *
 * GtDBusQueue always connects to the bus of the GTestDBus it makes; GTestDBus
 * starts $G_TEST_DBUS_DAEMON and connects to the address that prints. So for the
 * connect we point G_TEST_DBUS_DAEMON at tests/lib/testbus-print-address, which
 * prints the address of the test's private bus: the queue then serves where the
 * daemons under test ask.
 *
 * The queue's server thread runs serve() from the connect to the free: with
 * allow/deny it answers each question as it arrives, so an answer needs nothing of
 * the test thread; with hold the questions stay in the queue until the test
 * thread takes them (collect()).
 */

#include "testpolkit.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <libglib-testing/dbus-queue.h>

#include "testbus.h"

#define PK_NAME "org.freedesktop.PolicyKit1"
#define PK_PATH "/org/freedesktop/PolicyKit1/Authority"
#define PK_IFACE "org.freedesktop.PolicyKit1.Authority"
#define NAME_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 5000

/* Only CheckAuthorization, the one method the daemons call. */
static const char test_polkit_authority_xml[] =
        "<node>"
        "  <interface name='" PK_IFACE "'>"
        "    <method name='CheckAuthorization'>"
        "      <arg type='(sa{sv})' name='subject' direction='in'/>"
        "      <arg type='s' name='action_id' direction='in'/>"
        "      <arg type='a{ss}' name='details' direction='in'/>"
        "      <arg type='u' name='flags' direction='in'/>"
        "      <arg type='s' name='cancellation_id' direction='in'/>"
        "      <arg type='(bba{ss})' name='result' direction='out'/>"
        "    </method>"
        "  </interface>"
        "</node>";

struct TestPolkit {
        GDBusConnection *conn; /* the test's connection, for the waits on the name */
        GtDBusQueue *queue;
        GDBusNodeInfo *info; /* the exported object points into it */
        guint name_id, object_id;
        TestPolkitAnswer answer;
        GQueue held; /* hold: GDBusMethodInvocation * taken from the queue, oldest first; test thread only */

        /* Written by the server thread as well as the test thread. */
        GMutex lock;
        GCond stopped_cond;
        GMainContext *server_context; /* NULL until serve() runs */
        gboolean stopping, stopped;
        unsigned calls;
        const char *action, *subject_kind, *subject_name; /* interned */
};

/* Consumes invocation: (is_authorized, is_challenge = no, no details). */
static void reply(GDBusMethodInvocation *invocation, gboolean allow) {
        g_dbus_method_invocation_return_value(
                invocation, g_variant_new("((bb@a{ss}))", allow, FALSE,
                                          g_variant_new_array(G_VARIANT_TYPE("{ss}"), NULL, 0)));
}

/* Asserts that invocation is the Authority's CheckAuthorization and records its question (any thread). */
static void record(TestPolkit *pk, GDBusMethodInvocation *invocation) {
        g_autoptr(GVariant) details = NULL;
        const char *kind, *action, *name = NULL;

        g_assert_cmpstr(g_dbus_method_invocation_get_object_path(invocation), ==, PK_PATH);
        g_assert_cmpstr(g_dbus_method_invocation_get_interface_name(invocation), ==, PK_IFACE);
        g_assert_cmpstr(g_dbus_method_invocation_get_method_name(invocation), ==, "CheckAuthorization");
        g_variant_get(g_dbus_method_invocation_get_parameters(invocation), "((&s@a{sv})&s@a{ss}u&s)", &kind,
                      &details, &action, NULL, NULL, NULL);
        (void) g_variant_lookup(details, "name", "&s", &name);

        g_mutex_lock(&pk->lock);
        pk->calls++;
        pk->action = g_intern_string(action);
        pk->subject_kind = g_intern_string(kind);
        pk->subject_name = g_intern_string(name);
        g_mutex_unlock(&pk->lock);
}

/*
 * The oldest question in the queue, NULL if there is none. Not
 * gt_dbus_queue_try_pop_message(): in libglib-testing 0.1.x it never pops (its
 * loop runs only when it may wait). The blocking pop returns at once when the
 * queue has a message, and only one thread pops at a time (serve() with
 * allow/deny, the test thread with hold, serve() again only while the test
 * thread waits in stop_serving()).
 */
static GDBusMethodInvocation *pop_queued(TestPolkit *pk) {
        GDBusMethodInvocation *invocation = NULL;

        if (gt_dbus_queue_get_n_messages(pk->queue) == 0)
                return NULL;
        g_assert_true(gt_dbus_queue_pop_message(pk->queue, &invocation));
        return invocation;
}

/* Records and answers every question in the queue (any thread). */
static void answer_queued(TestPolkit *pk, gboolean allow) {
        GDBusMethodInvocation *invocation;

        while ((invocation = pop_queued(pk))) {
                record(pk, invocation);
                reply(invocation, allow);
        }
}

static gboolean is_stopping(TestPolkit *pk) {
        gboolean stopping;

        g_mutex_lock(&pk->lock);
        stopping = pk->stopping;
        g_mutex_unlock(&pk->lock);
        return stopping;
}

/* The GtDBusQueueServerFunc: runs in the queue's server thread until stop_serving(). */
static void serve(GtDBusQueue *queue, gpointer userdata) {
        TestPolkit *pk = userdata;
        GMainContext *context = g_main_context_get_thread_default();

        g_mutex_lock(&pk->lock);
        pk->server_context = context;
        g_mutex_unlock(&pk->lock);

        /* A question is queued while this thread dispatches it, so it is seen right after the iteration. */
        while (!is_stopping(pk)) {
                if (pk->answer != TEST_POLKIT_HOLD)
                        answer_queued(pk, pk->answer == TEST_POLKIT_ALLOW);
                g_main_context_iteration(context, TRUE);
        }

        /*
         * The object is unexported by now, so nothing new is queued: dispatch what
         * was already on its way, then answer everything left "no" (the queue asserts
         * it is empty when it disconnects).
         */
        while (g_main_context_iteration(context, FALSE))
                ;
        answer_queued(pk, FALSE);

        g_mutex_lock(&pk->lock);
        pk->stopped = TRUE;
        g_cond_signal(&pk->stopped_cond);
        g_mutex_unlock(&pk->lock);
}

/* Makes serve() drain the queue and return, and waits (with a deadline) until it did. */
static void stop_serving(TestPolkit *pk) {
        gint64 deadline = g_get_monotonic_time() + (gint64) STOP_TIMEOUT_MS * 1000;

        g_mutex_lock(&pk->lock);
        pk->stopping = TRUE;
        /* NULL: serve() has not started, and sees the flag before it first blocks. */
        if (pk->server_context)
                g_main_context_wakeup(pk->server_context);
        while (!pk->stopped)
                if (!g_cond_wait_until(&pk->stopped_cond, &pk->lock, deadline))
                        g_error("testpolkit: the queue's server thread did not stop within %d ms",
                                STOP_TIMEOUT_MS);
        g_mutex_unlock(&pk->lock);
}

/* The address of the bus conn is connected to (a unix socket: the private bus's). */
static char *bus_address_of(GDBusConnection *conn) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GSocketAddress) peer = NULL;
        g_autofree char *escaped = NULL;
        GIOStream *stream = g_dbus_connection_get_stream(conn);
        struct sockaddr_un sa = { 0 };

        g_assert_true(G_IS_SOCKET_CONNECTION(stream));
        peer = g_socket_connection_get_remote_address(G_SOCKET_CONNECTION(stream), &error);
        g_assert_no_error(error);
        g_assert_cmpint(g_socket_address_get_family(peer), ==, G_SOCKET_FAMILY_UNIX);
        g_assert_true(g_socket_address_to_native(peer, &sa, sizeof(sa), &error));
        g_assert_no_error(error);
        g_assert_cmpint(sa.sun_path[0], ==, '/');
        g_assert_nonnull(memchr(sa.sun_path, '\0', sizeof(sa.sun_path)));
        escaped = g_dbus_address_escape_value(sa.sun_path);
        return g_strconcat("unix:path=", escaped, NULL);
}

void test_dbus_queue_connect(GtDBusQueue *queue, GDBusConnection *conn) {
        g_autoptr(GError) error = NULL;
        g_autofree char *address = bus_address_of(conn);
        g_autofree char *stand_in = test_build_path("tests/lib/testbus-print-address");

        g_setenv("G_TEST_DBUS_DAEMON", stand_in, TRUE);
        g_setenv("CTDB_TESTBUS_ADDRESS", address, TRUE);
        gt_dbus_queue_connect(queue, &error);
        g_unsetenv("G_TEST_DBUS_DAEMON");
        g_unsetenv("CTDB_TESTBUS_ADDRESS");
        g_assert_no_error(error);
}

TestPolkit *test_polkit_new(GDBusConnection *conn, TestPolkitAnswer answer) {
        g_autoptr(GError) error = NULL;
        TestPolkit *pk = g_new0(TestPolkit, 1);

        pk->conn = g_object_ref(conn);
        pk->answer = answer;
        g_queue_init(&pk->held);
        g_mutex_init(&pk->lock);
        g_cond_init(&pk->stopped_cond);
        pk->info = g_dbus_node_info_new_for_xml(test_polkit_authority_xml, &error);
        g_assert_no_error(error);

        /* The queue asks for the name without DO_NOT_QUEUE: owned afterwards only if it was free. */
        g_assert_true(test_wait_name_owner(conn, PK_NAME, FALSE, 0));
        pk->queue = gt_dbus_queue_new();
        test_dbus_queue_connect(pk->queue, conn);
        gt_dbus_queue_set_server_func(pk->queue, serve, pk);
        pk->object_id = gt_dbus_queue_export_object(pk->queue, PK_PATH, pk->info->interfaces[0], &error);
        g_assert_no_error(error);
        /* The queue only sends the RequestName: wait until the bus has given the name. */
        pk->name_id = gt_dbus_queue_own_name(pk->queue, PK_NAME);
        g_assert_true(test_wait_name_owner(conn, PK_NAME, TRUE, NAME_TIMEOUT_MS));
        return pk;
}

void test_polkit_release_name(TestPolkit *pk) {
        if (pk->name_id == 0)
                return;
        /* Sends ReleaseName and waits for its reply: the bus then has handled it. */
        gt_dbus_queue_unown_name(pk->queue, pk->name_id);
        pk->name_id = 0;
        g_assert_true(test_wait_name_owner(pk->conn, PK_NAME, FALSE, NAME_TIMEOUT_MS));
}

void test_polkit_free(TestPolkit *pk) {
        GDBusMethodInvocation *invocation;

        if (!pk)
                return;
        /* First no new questions, then no pending ones: then the queue is empty when it disconnects. */
        gt_dbus_queue_unexport_object(pk->queue, pk->object_id);
        while ((invocation = g_queue_pop_head(&pk->held)))
                reply(invocation, FALSE);
        stop_serving(pk);
        gt_dbus_queue_assert_no_messages(pk->queue);
        /* A closed connection (the bus freed first) has lost the name already; the disconnect unowns it. */
        if (!g_dbus_connection_is_closed(pk->conn))
                test_polkit_release_name(pk);
        gt_dbus_queue_disconnect(pk->queue, TRUE);
        gt_dbus_queue_free(pk->queue);

        g_dbus_node_info_unref(pk->info);
        g_object_unref(pk->conn);
        g_cond_clear(&pk->stopped_cond);
        g_mutex_clear(&pk->lock);
        g_free(pk);
}

/* Hold: takes every question that reached the queue into pk->held, recording each (test thread). */
static void collect(TestPolkit *pk) {
        GDBusMethodInvocation *invocation;

        if (pk->answer != TEST_POLKIT_HOLD)
                return;
        while ((invocation = pop_queued(pk))) {
                record(pk, invocation);
                g_queue_push_tail(&pk->held, invocation);
        }
}

static gboolean has_question(gpointer userdata) {
        TestPolkit *pk = userdata;

        collect(pk);
        return !g_queue_is_empty(&pk->held);
}

gboolean test_polkit_wait_question(TestPolkit *pk, unsigned timeout_ms) {
        g_assert_cmpint(pk->answer, ==, TEST_POLKIT_HOLD);
        return test_wait_condition(has_question, pk, timeout_ms);
}

void test_polkit_answer(TestPolkit *pk, gboolean allow) {
        GDBusMethodInvocation *invocation;

        g_assert_cmpint(pk->answer, ==, TEST_POLKIT_HOLD);
        collect(pk);
        invocation = g_queue_pop_head(&pk->held);
        g_assert_nonnull(invocation);
        reply(invocation, allow);
}

unsigned test_polkit_get_calls(TestPolkit *pk) {
        unsigned calls;

        collect(pk);
        g_mutex_lock(&pk->lock);
        calls = pk->calls;
        g_mutex_unlock(&pk->lock);
        return calls;
}

/* One recorded string, read under the lock; interned, so it stays valid after the unlock. */
static const char *get_string(TestPolkit *pk, const char *const *field) {
        const char *s;

        collect(pk);
        g_mutex_lock(&pk->lock);
        s = *field;
        g_mutex_unlock(&pk->lock);
        return s;
}

const char *test_polkit_get_action(TestPolkit *pk) {
        return get_string(pk, &pk->action);
}

const char *test_polkit_get_subject_kind(TestPolkit *pk) {
        return get_string(pk, &pk->subject_kind);
}

const char *test_polkit_get_subject_name(TestPolkit *pk) {
        return get_string(pk, &pk->subject_name);
}
