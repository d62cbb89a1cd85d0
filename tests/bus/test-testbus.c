/*
 * Tests of the bus test helpers themselves (tests/lib/testbus.c).
 *
 * The spawned "daemon" is this binary started with --own-name NAME: it owns NAME
 * on the private bus and runs until SIGTERM. With --own-name-ready NAME FILE it
 * then also starts "its work" (a while later, it creates FILE) and only after that
 * sends READY=1 to $NOTIFY_SOCKET, as the daemons do.
 */

#undef NDEBUG

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testbus.h"
#include "testpolkit.h"

#define SELF "tests/bus/test-testbus"
#define TEST_NAME "org.ctdb.Test.Helper"
#define TEST_PATH "/org/ctdb/Test"
#define TEST_IFACE "org.ctdb.Test"

static const char introspection[] =
        "<node>"
        "  <interface name='" TEST_IFACE "'>"
        "    <method name='WhoAmI'/>"
        "    <property name='Counter' type='u' access='read'/>"
        "  </interface>"
        "</node>";

typedef struct Fixture {
        TestBus *bus;
        guint object_id;
        guint32 counter;
        gint64 caller_uid;
} Fixture;

static gboolean quit_on_signal(gpointer userdata) {
        g_main_loop_quit(userdata);
        return G_SOURCE_REMOVE;
}

/* Sends text as one datagram to $NOTIFY_SOCKET, as sd_notify() does. */
static int notify(const char *text) {
        const char *path = g_getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (!path || strlen(path) >= sizeof(sa.sun_path)) {
                g_printerr("own-name: no usable NOTIFY_SOCKET\n");
                return -1;
        }
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        r = sendto(fd, text, strlen(text), 0, (struct sockaddr *) &sa, sizeof(sa)) < 0 ? -1 : 0;
        if (r < 0)
                g_printerr("own-name: sendto %s: %s\n", path, g_strerror(errno));
        close(fd);
        return r;
}

/* The work of --own-name-ready, after the name: long enough that a wait for the name alone returns first. */
static int start_work(const char *file) {
        g_autoptr(GError) error = NULL;

        if (notify("STATUS=Starting") < 0)
                return -1;
        g_usleep(300 * 1000);
        if (!g_file_set_contents(file, "", 0, &error)) {
                g_printerr("own-name: %s\n", error->message);
                return -1;
        }
        return notify("READY=1\nSTATUS=Up");
}

/* The --own-name mode: a stand-in daemon for test_spawn_daemon (and, with ready_file, for _ready). */
static int own_name_main(const char *name, const char *ready_file) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) conn = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
        g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
        g_autoptr(GVariant) reply = NULL;

        if (!conn) {
                g_printerr("own-name: %s\n", error->message);
                return 1;
        }
        reply = g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "RequestName",
                                            g_variant_new("(su)", name, 4), G_VARIANT_TYPE("(u)"),
                                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        if (!reply) {
                g_printerr("own-name: %s\n", error->message);
                return 1;
        }
        if (ready_file && start_work(ready_file) < 0)
                return 1;
        g_unix_signal_add(SIGTERM, quit_on_signal, loop);
        g_main_loop_run(loop);
        return 0;
}

static void method_call(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                        const char *method, GVariant *params, GDBusMethodInvocation *invocation,
                        gpointer userdata) {
        Fixture *f = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        guint32 uid;

        reply = g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "GetConnectionUnixUser",
                                            g_variant_new("(s)", sender), G_VARIANT_TYPE("(u)"),
                                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_variant_get(reply, "(u)", &uid);
        f->caller_uid = uid;
        if (uid != 0)
                g_dbus_method_invocation_return_dbus_error(invocation, "org.ctdb.Test.Denied", "not root");
        else
                g_dbus_method_invocation_return_value(invocation, NULL);
}

static GVariant *get_property(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                              const char *prop, GError **error, gpointer userdata) {
        Fixture *f = userdata;

        return g_variant_new_uint32(f->counter);
}

static const GDBusInterfaceVTable vtable = { method_call, get_property, NULL, { 0 } };

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml(introspection, NULL);
        g_autoptr(GError) error = NULL;

        f->bus = test_bus_new();
        f->caller_uid = -1;
        f->object_id = g_dbus_connection_register_object(f->bus->conn, TEST_PATH, info->interfaces[0],
                                                         &vtable, f, NULL, &error);
        g_assert_no_error(error);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_dbus_connection_unregister_object(f->bus->conn, f->object_id);
        test_bus_free(f->bus);
}

static void test_bus_up(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        const char *id = NULL;

        g_assert_cmpstr(g_getenv("DBUS_SYSTEM_BUS_ADDRESS"), ==, f->bus->address);
        g_assert_true(g_str_has_prefix(f->bus->address, "unix:path="));
        g_assert_nonnull(g_dbus_connection_get_unique_name(f->bus->conn));
        reply = g_dbus_connection_call_sync(f->bus->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "GetId", NULL, G_VARIANT_TYPE("(s)"),
                                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_variant_get(reply, "(&s)", &id);
        g_assert_cmpuint(strlen(id), ==, 32);
}

static gboolean name_owned(TestBus *bus, const char *name) {
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        gboolean has = FALSE;

        reply = g_dbus_connection_call_sync(bus->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "NameHasOwner",
                                            g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"),
                                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_variant_get(reply, "(b)", &has);
        return has;
}

static void test_spawn_and_stop(Fixture *f, gconstpointer data) {
        const char *argv[] = { SELF, "--own-name", TEST_NAME ".Spawned", NULL };
        GPid pid;

        g_assert_false(name_owned(f->bus, TEST_NAME ".Spawned"));
        pid = test_spawn_daemon(f->bus, argv, TEST_NAME ".Spawned", 10000);
        g_assert_cmpint(pid, >, 0);
        g_assert_true(name_owned(f->bus, TEST_NAME ".Spawned"));
        test_stop_daemon(pid);
        /* The bus drops the name when the owner's connection closes. */
        g_assert_true(test_wait_name_owner(f->bus->conn, TEST_NAME ".Spawned", FALSE, 5000));
        g_assert_false(name_owned(f->bus, TEST_NAME ".Spawned"));
        g_assert_cmpint(kill(pid, 0), <, 0);
}

/* The wait ends at READY=1, which comes after the name and the daemon's work (the file). */
static void test_spawn_ready(Fixture *f, gconstpointer data) {
        g_autofree char *file = g_build_filename(f->bus->dir, "working", NULL);
        const char *argv[] = { SELF, "--own-name-ready", TEST_NAME ".Ready", file, NULL };
        GPid pid = test_spawn_daemon_ready(f->bus, argv, TEST_NAME ".Ready", 10000);

        g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
        g_assert_true(name_owned(f->bus, TEST_NAME ".Ready"));
        test_stop_daemon(pid);
}

static gboolean bump_counter(gpointer userdata) {
        Fixture *f = userdata;

        f->counter++;
        return f->counter < 5 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean counter_is(GVariant *value, gpointer userdata) {
        return g_variant_get_uint32(value) == GPOINTER_TO_UINT(userdata);
}

static void test_wait_property_reached(Fixture *f, gconstpointer data) {
        const char *unique = g_dbus_connection_get_unique_name(f->bus->conn);
        g_autoptr(GVariant) value = NULL;

        value = test_get_property(f->bus, unique, TEST_PATH, TEST_IFACE, "Counter");
        g_assert_nonnull(value);
        g_assert_cmpuint(g_variant_get_uint32(value), ==, 0);

        /* The counter moves only while the helper serves the main context. */
        g_timeout_add(30, bump_counter, f);
        g_assert_true(test_wait_property(f->bus, unique, TEST_PATH, TEST_IFACE, "Counter", counter_is,
                                         GUINT_TO_POINTER(5), 5000));
}

static void test_wait_property_times_out(Fixture *f, gconstpointer data) {
        const char *unique = g_dbus_connection_get_unique_name(f->bus->conn);
        gint64 start = g_get_monotonic_time();

        g_assert_false(test_wait_property(f->bus, unique, TEST_PATH, TEST_IFACE, "Counter", counter_is,
                                          GUINT_TO_POINTER(7), 200));
        g_assert_cmpint(g_get_monotonic_time() - start, >=, 200 * 1000);
        g_assert_null(test_get_property(f->bus, unique, TEST_PATH, TEST_IFACE, "NoSuchProperty"));
}

static void test_unprivileged_call(Fixture *f, gconstpointer data) {
        g_autofree char *err = NULL, *err_unknown = NULL, *err_denied = NULL;

        err = test_call_unprivileged(f->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetId", NULL);
        g_assert_null(err);

        err_unknown = test_call_unprivileged(f->bus, "org.ctdb.NoSuchName", "/", "org.ctdb.Nothing",
                                             "Nothing", g_variant_new("(us)", 1, "x"));
        g_assert_cmpstr(err_unknown, ==, "org.freedesktop.DBus.Error.ServiceUnknown");

        /* Served from this process's main context while the helper waits. */
        err_denied = test_call_unprivileged(f->bus, g_dbus_connection_get_unique_name(f->bus->conn),
                                            TEST_PATH, TEST_IFACE, "WhoAmI", NULL);
        if (geteuid() == 0) {
                g_assert_cmpint(f->caller_uid, ==, 65534);
                g_assert_cmpstr(err_denied, ==, "org.ctdb.Test.Denied");
        } else {
                g_assert_cmpint(f->caller_uid, ==, getuid());
                g_assert_cmpstr(err_denied, ==, "org.ctdb.Test.Denied");
        }
}

static void test_files(Fixture *f, gconstpointer data) {
        g_autofree char *path = test_write_file(f->bus, "node0/nodes", "192.0.2.1\n");
        g_autofree char *text = NULL;
        g_autofree char *abs = test_build_path("/usr/bin/true");
        g_autofree char *rel = test_build_path(SELF);

        g_assert_true(g_str_has_prefix(path, f->bus->dir));
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        g_assert_cmpstr(text, ==, "192.0.2.1\n");
        g_assert_cmpstr(abs, ==, "/usr/bin/true");
        g_assert_true(g_file_test(rel, G_FILE_TEST_IS_EXECUTABLE));
}

typedef struct CheckCall {
        gboolean done;
        GVariant *reply;
        GError *error;
} CheckCall;

static void check_done(GObject *source, GAsyncResult *res, gpointer userdata) {
        CheckCall *c = userdata;

        c->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &c->error);
        c->done = TRUE;
}

/* Asks org.freedesktop.PolicyKit1 as a daemon does, about the bus name ":1.42". */
static void check_start(Fixture *f, const char *action, CheckCall *c) {
        GVariantBuilder details;

        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&details, "{sv}", "name", g_variant_new_string(":1.42"));
        g_dbus_connection_call(
                f->bus->conn, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization",
                g_variant_new("((sa{sv})sa{ss}us)", "system-bus-name", &details, action, NULL, 0, ""),
                G_VARIANT_TYPE("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, check_done, c);
}

/* Waits for the answer; TRUE for "authorized". */
static gboolean check_finish(CheckCall *c) {
        gboolean authorized = FALSE;

        g_assert_true(test_wait_flag(&c->done, 5000));
        g_assert_no_error(c->error);
        g_variant_get(c->reply, "((bb@a{ss}))", &authorized, NULL, NULL);
        g_variant_unref(c->reply);
        return authorized;
}

static void test_polkit_answers(Fixture *f, gconstpointer data) {
        g_autoptr(TestPolkit) allow = NULL;
        CheckCall c1 = { 0 }, c2 = { 0 };

        {
                g_autoptr(TestPolkit) deny = test_polkit_new(f->bus->conn, TEST_POLKIT_DENY);

                check_start(f, "org.ctdb.test.one", &c1);
                g_assert_false(check_finish(&c1));
                g_assert_cmpuint(test_polkit_get_calls(deny), ==, 1);
                g_assert_cmpstr(test_polkit_get_action(deny), ==, "org.ctdb.test.one");
                g_assert_cmpstr(test_polkit_get_subject_kind(deny), ==, "system-bus-name");
                g_assert_cmpstr(test_polkit_get_subject_name(deny), ==, ":1.42");
        }
        /* Freed: the name is free for the next mock. */
        allow = test_polkit_new(f->bus->conn, TEST_POLKIT_ALLOW);
        check_start(f, "org.ctdb.test.two", &c2);
        g_assert_true(check_finish(&c2));
        g_assert_cmpuint(test_polkit_get_calls(allow), ==, 1);
        g_assert_cmpstr(test_polkit_get_action(allow), ==, "org.ctdb.test.two");
}

static void test_polkit_held(Fixture *f, gconstpointer data) {
        g_autoptr(TestPolkit) pk = test_polkit_new(f->bus->conn, TEST_POLKIT_HOLD);
        CheckCall c = { 0 };

        g_assert_false(test_polkit_wait_question(pk, 50));
        check_start(f, "org.ctdb.test.held", &c);
        g_assert_true(test_polkit_wait_question(pk, 5000));
        /* Held: no answer until the test gives one. */
        g_assert_false(c.done);
        g_assert_cmpstr(test_polkit_get_action(pk), ==, "org.ctdb.test.held");
        test_polkit_answer(pk, TRUE);
        g_assert_true(check_finish(&c));

        /* Released: nobody owns the name, and a question finds no polkit. */
        test_polkit_release_name(pk);
        g_assert_false(name_owned(f->bus, "org.freedesktop.PolicyKit1"));
}

/* Allow/deny answer from the mock's own thread: a blocking call of the test thread gets its answer. */
static void test_polkit_answers_blocked(Fixture *f, gconstpointer data) {
        g_autoptr(TestPolkit) pk = test_polkit_new(f->bus->conn, TEST_POLKIT_ALLOW);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        GVariantBuilder details;
        gboolean authorized = FALSE;

        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        reply = g_dbus_connection_call_sync(
                f->bus->conn, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization",
                g_variant_new("((sa{sv})sa{ss}us)", "unix-process", &details, "org.ctdb.test.sync", NULL, 0,
                              ""),
                G_VARIANT_TYPE("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
        g_assert_no_error(error);
        g_variant_get(reply, "((bb@a{ss}))", &authorized, NULL, NULL);
        g_assert_true(authorized);
        g_assert_cmpuint(test_polkit_get_calls(pk), ==, 1);
        g_assert_cmpstr(test_polkit_get_subject_kind(pk), ==, "unix-process");
        g_assert_null(test_polkit_get_subject_name(pk));
}

static gboolean two_calls(gpointer userdata) {
        return test_polkit_get_calls(userdata) == 2;
}

/* Freed while holding questions: each gets "no", and the queue is left empty (its free asserts that). */
static void test_polkit_free_pending(Fixture *f, gconstpointer data) {
        TestPolkit *pk = test_polkit_new(f->bus->conn, TEST_POLKIT_HOLD);
        CheckCall first = { 0 }, second = { 0 };

        check_start(f, "org.ctdb.test.first", &first);
        check_start(f, "org.ctdb.test.second", &second);
        g_assert_true(test_wait_condition(two_calls, pk, 5000));
        g_assert_false(first.done);
        g_assert_false(second.done);
        test_polkit_free(pk);
        g_assert_false(check_finish(&first));
        g_assert_false(check_finish(&second));
        g_assert_false(name_owned(f->bus, "org.freedesktop.PolicyKit1"));
}

static void test_run_serves(Fixture *f, gconstpointer data) {
        const char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL };
        g_autofree char *out = NULL, *err = NULL;
        int status = test_run(argv, &out, &err, 5000);

        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 3);
        g_assert_cmpstr(out, ==, "out\n");
        g_assert_cmpstr(err, ==, "err\n");
}

int main(int argc, char *argv[]) {
        if (argc == 3 && strcmp(argv[1], "--own-name") == 0)
                return own_name_main(argv[2], NULL);
        if (argc == 4 && strcmp(argv[1], "--own-name-ready") == 0)
                return own_name_main(argv[2], argv[3]);

        g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/testbus/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("bus-up", test_bus_up);
        ADD("spawn-and-stop", test_spawn_and_stop);
        ADD("spawn-ready", test_spawn_ready);
        ADD("wait-property", test_wait_property_reached);
        ADD("wait-property-timeout", test_wait_property_times_out);
        ADD("call-unprivileged", test_unprivileged_call);
        ADD("files", test_files);
        ADD("polkit-answers", test_polkit_answers);
        ADD("polkit-held", test_polkit_held);
        ADD("polkit-answers-blocked", test_polkit_answers_blocked);
        ADD("polkit-free-pending", test_polkit_free_pending);
        ADD("run", test_run_serves);
        return g_test_run();
}
