/*
 * ctdb-clusterd on a private bus: one ctdb-tunneld and one ctdb-clusterd for a
 * single-node cluster on 127.0.0.1 (random high tunnel port, temp runtime dir).
 *
 * polkit is mocked by an org.freedesktop.PolicyKit1 object served from the
 * test's own connection to the private bus (testbus serves the main context
 * while it waits). GtDBusQueue cannot be used for this mock: it starts its
 * own session-type bus, which the uid 65534 caller of test_call_unprivileged()
 * may not connect to, and clusterd must ask polkit on the bus it serves on.
 */

#undef NDEBUG

#include <glib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testbus.h"

#define NAME   "org.ctdb.cluster1"
#define PATH   "/org/ctdb/cluster1"
#define IFACE  "org.ctdb.cluster1.Manager"
#define NODE0  "/org/ctdb/cluster1/node/0"
#define NIFACE "org.ctdb.cluster1.Node"
#define ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"

typedef struct Fixture {
        TestBus *bus;
        char *config_dir;
        GPid tunneld, clusterd;
        /* polkit mock */
        guint polkit_object;
        gboolean polkit_allow;
        guint polkit_calls;
        char *polkit_action;
        char *polkit_subject_kind;
} Fixture;

static gboolean is_true(GVariant *v, gpointer userdata) {
        return g_variant_get_boolean(v);
}

static gboolean is_false(GVariant *v, gpointer userdata) {
        return !g_variant_get_boolean(v);
}

static gboolean u32_equals(GVariant *v, gpointer userdata) {
        return g_variant_get_uint32(v) == GPOINTER_TO_UINT(userdata);
}

static guint32 get_u32(Fixture *f, const char *path, const char *iface, const char *prop) {
        g_autoptr(GVariant) v = test_get_property(f->bus, NAME, path, iface, prop);

        g_assert_nonnull(v);
        return g_variant_get_uint32(v);
}

static void setup(Fixture *f, gconstpointer data) {
        g_autofree char *conf = NULL;
        g_autofree char *nodes = NULL;
        g_autofree char *cfgfile = NULL;
        guint port = (guint) g_random_int_range(20000, 60000);

        f->bus = test_bus_new();
        nodes = test_write_file(f->bus, "etc/nodes", "127.0.0.1\n");
        conf = g_strdup_printf("[cluster]\n"
                               "tunnel port = %u\n"
                               "[paths]\n"
                               "runtime directory = %s/run\n"
                               "state directory = %s/state\n",
                               port, f->bus->dir, f->bus->dir);
        cfgfile = test_write_file(f->bus, "etc/ctdb.conf", conf);
        f->config_dir = g_path_get_dirname(cfgfile);
        g_assert_cmpint(g_mkdir_with_parents(g_build_filename(f->bus->dir, "run", NULL), 0755), ==, 0);

        {
                const char *argv[] = { "services/tunneld/ctdb-tunneld", "--config-dir", f->config_dir,
                                       "--bus-address", f->bus->address, "--foreground", NULL };
                f->tunneld = test_spawn_daemon(f->bus, argv, "org.ctdb.tunnel1", 10000);
        }
        {
                const char *argv[] = { "services/clusterd/ctdb-clusterd", "--config-dir", f->config_dir,
                                       "--bus-address", f->bus->address, "--foreground", "--log-level", "info",
                                       NULL };
                f->clusterd = test_spawn_daemon(f->bus, argv, NAME, 10000);
        }
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Quorate", is_true, NULL, 10000));
}

static void teardown(Fixture *f, gconstpointer data) {
        if (f->polkit_object)
                g_dbus_connection_unregister_object(f->bus->conn, f->polkit_object);
        test_stop_daemon(f->clusterd);
        test_stop_daemon(f->tunneld);
        test_bus_free(f->bus);
        g_free(f->config_dir);
        g_free(f->polkit_action);
        g_free(f->polkit_subject_kind);
}

/* ---- the polkit mock ---------------------------------------------------------- */

static const char polkit_xml[] =
        "<node>"
        "  <interface name='org.freedesktop.PolicyKit1.Authority'>"
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

static void polkit_method_call(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                               const char *method, GVariant *params, GDBusMethodInvocation *invocation,
                               gpointer userdata) {
        Fixture *f = userdata;
        g_autoptr(GVariant) subject = NULL;
        const char *action;

        g_assert_cmpstr(method, ==, "CheckAuthorization");
        subject = g_variant_get_child_value(params, 0);
        g_variant_get_child(params, 1, "&s", &action);
        f->polkit_calls++;
        g_free(f->polkit_action);
        f->polkit_action = g_strdup(action);
        g_free(f->polkit_subject_kind);
        g_variant_get_child(subject, 0, "s", &f->polkit_subject_kind);
        g_dbus_method_invocation_return_value(invocation,
                                              g_variant_new("((bb@a{ss}))", f->polkit_allow, FALSE,
                                                            g_variant_new_array(G_VARIANT_TYPE("{ss}"), NULL, 0)));
}

static const GDBusInterfaceVTable polkit_vtable = { polkit_method_call, NULL, NULL, { 0 } };

static void polkit_mock_start(Fixture *f, gboolean allow) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml(polkit_xml, &error);
        g_autoptr(GVariant) reply = NULL;

        g_assert_no_error(error);
        f->polkit_allow = allow;
        f->polkit_object = g_dbus_connection_register_object(f->bus->conn, "/org/freedesktop/PolicyKit1/Authority",
                                                             info->interfaces[0], &polkit_vtable, f, NULL, &error);
        g_assert_no_error(error);
        reply = g_dbus_connection_call_sync(f->bus->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "RequestName",
                                            g_variant_new("(su)", "org.freedesktop.PolicyKit1", 4),
                                            G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
}

/* ---- calls ---------------------------------------------------------------------- */

typedef struct CallWait {
        gboolean done;
        GError *error;
} CallWait;

static void call_done(GObject *source, GAsyncResult *res, gpointer userdata) {
        CallWait *w = userdata;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &w->error);

        w->done = TRUE;
}

/* A call on the test's own connection (as root it passes without asking polkit). Returns the error name or NULL. */
static char *call_privileged(Fixture *f, const char *method, GVariant *args) {
        CallWait w = { 0 };
        gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
        char *name;

        g_dbus_connection_call(f->bus->conn, NAME, PATH, IFACE, method, args, NULL, G_DBUS_CALL_FLAGS_NONE, 30000,
                               NULL, call_done, &w);
        while (!w.done && g_get_monotonic_time() < deadline)
                g_main_context_iteration(NULL, TRUE);
        g_assert_true(w.done);
        if (!w.error)
                return NULL;
        name = g_dbus_error_get_remote_error(w.error);
        g_test_message("%s: %s", method, w.error->message);
        g_error_free(w.error);
        return name ? name : g_strdup("(local error)");
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_properties(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) nodes = NULL;
        g_autoptr(GVariant) health = NULL;
        g_autoptr(GVariant) address = NULL;
        const char *addr;
        guint32 pnn, flags;

        g_assert_cmpuint(get_u32(f, PATH, IFACE, "ThisNode"), ==, 0);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Leader", u32_equals, GUINT_TO_POINTER(0), 5000));
        g_assert_cmpuint(get_u32(f, PATH, IFACE, "Generation"), >=, 1);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Recovering", is_false, NULL, 5000));

        nodes = test_get_property(f->bus, NAME, PATH, IFACE, "Nodes");
        g_assert_nonnull(nodes);
        g_assert_cmpstr(g_variant_get_type_string(nodes), ==, "a(usu)");
        g_assert_cmpuint(g_variant_n_children(nodes), ==, 1);
        g_variant_get_child(nodes, 0, "(u&su)", &pnn, &addr, &flags);
        g_assert_cmpuint(pnn, ==, 0);
        g_assert_cmpstr(addr, ==, "127.0.0.1");
        g_assert_cmpuint(flags, ==, 0);

        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Pnn"), ==, 0);
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Flags"), ==, 0);
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "BanTimeLeft"), ==, 0);
        health = test_get_property(f->bus, NAME, NODE0, NIFACE, "Health");
        g_assert_cmpstr(g_variant_get_string(health, NULL), ==, "OK");
        address = test_get_property(f->bus, NAME, NODE0, NIFACE, "Address");
        g_assert_cmpstr(g_variant_get_string(address, NULL), ==, "127.0.0.1");

        /* No object for a slot that does not exist. */
        g_assert_null(test_get_property(f->bus, NAME, "/org/ctdb/cluster1/node/1", NIFACE, "Pnn"));
}

static void test_ban_privileged(Fixture *f, gconstpointer data) {
        g_autofree char *err = NULL;
        guint32 gen = get_u32(f, PATH, IFACE, "Generation");

        /* As non-root the test's own calls are unprivileged: then polkit (the mock) must say yes. */
        if (geteuid() != 0)
                polkit_mock_start(f, TRUE);

        err = call_privileged(f, "Ban", g_variant_new("(uu)", 0, 1));
        g_assert_null(err);
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Flags"), ==, 0x8);
        g_assert_cmpuint(get_u32(f, PATH, IFACE, "Leader"), ==, 0xffffffff);
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "BanTimeLeft"), >=, 1);

        /* It clears by itself after about a second, and the node leads again with a new generation. */
        g_assert_true(test_wait_property(f->bus, NAME, NODE0, NIFACE, "Flags", u32_equals, GUINT_TO_POINTER(0), 3000));
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "BanTimeLeft"), ==, 0);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Leader", u32_equals, GUINT_TO_POINTER(0), 3000));
        g_assert_cmpuint(get_u32(f, PATH, IFACE, "Generation"), >, gen);
}

static void test_ban_denied_without_polkit(Fixture *f, gconstpointer data) {
        g_autofree char *err = NULL;

        err = test_call_unprivileged(f->bus, NAME, PATH, IFACE, "Ban", g_variant_new("(uu)", 0, 5));
        g_assert_cmpstr(err, ==, ACCESS_DENIED);
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Flags"), ==, 0);
}

static void test_ban_denied_by_polkit(Fixture *f, gconstpointer data) {
        g_autofree char *err = NULL;

        polkit_mock_start(f, FALSE);
        err = test_call_unprivileged(f->bus, NAME, PATH, IFACE, "Ban", g_variant_new("(uu)", 0, 5));
        g_assert_cmpstr(err, ==, ACCESS_DENIED);
        g_assert_cmpuint(f->polkit_calls, ==, 1);
        g_assert_cmpstr(f->polkit_action, ==, "org.ctdb.cluster1.manage");
        g_assert_cmpstr(f->polkit_subject_kind, ==, "system-bus-name");
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Flags"), ==, 0);
}

static void test_ban_allowed_by_polkit(Fixture *f, gconstpointer data) {
        g_autofree char *err = NULL;
        g_autofree char *err2 = NULL;

        polkit_mock_start(f, TRUE);
        err = test_call_unprivileged(f->bus, NAME, PATH, IFACE, "Ban", g_variant_new("(uu)", 0, 30));
        g_assert_null(err);
        g_assert_cmpuint(f->polkit_calls, ==, 1);
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Flags"), ==, 0x8);

        err2 = test_call_unprivileged(f->bus, NAME, PATH, IFACE, "Unban", g_variant_new("(u)", 0));
        g_assert_null(err2);
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Flags"), ==, 0);
}

static void test_invalid_args(Fixture *f, gconstpointer data) {
        g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL;

        e1 = call_privileged(f, "Ban", g_variant_new("(uu)", 7, 1));
        g_assert_cmpstr(e1, ==, "org.ctdb.Error.InvalidArgs");
        e2 = call_privileged(f, "Ban", g_variant_new("(uu)", 0, 0));
        g_assert_cmpstr(e2, ==, "org.ctdb.Error.InvalidArgs");
        /* Validation comes before polkit: an unprivileged caller gets the same answer. */
        e3 = test_call_unprivileged(f->bus, NAME, PATH, IFACE, "Disable", g_variant_new("(u)", 3));
        g_assert_cmpstr(e3, ==, "org.ctdb.Error.InvalidArgs");
}

static void on_signal(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                      const char *signal, GVariant *params, gpointer userdata) {
        GPtrArray *seen = userdata;
        guint32 gen;

        g_variant_get(params, "(u)", &gen);
        g_ptr_array_add(seen, g_strdup_printf("%s %u", signal, gen));
}

static void test_recover_and_flags(Fixture *f, gconstpointer data) {
        g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
        g_autofree char *started = NULL, *finished = NULL;
        guint id;
        guint32 gen;
        gint64 deadline;

        if (geteuid() != 0)
                polkit_mock_start(f, TRUE);
        id = g_dbus_connection_signal_subscribe(f->bus->conn, NAME, IFACE, NULL, PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                on_signal, seen, NULL);
        gen = get_u32(f, PATH, IFACE, "Generation");
        e1 = call_privileged(f, "Recover", NULL);
        g_assert_null(e1);
        g_assert_cmpuint(get_u32(f, PATH, IFACE, "Generation"), ==, gen + 1);

        started = g_strdup_printf("RecoveryStarted %u", gen + 1);
        finished = g_strdup_printf("RecoveryFinished %u", gen + 1);
        deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
        while (seen->len < 2 && g_get_monotonic_time() < deadline)
                if (!g_main_context_iteration(NULL, FALSE))
                        g_usleep(10000);
        g_assert_cmpuint(seen->len, ==, 2);
        g_assert_cmpstr(seen->pdata[0], ==, started);
        g_assert_cmpstr(seen->pdata[1], ==, finished);
        g_dbus_connection_signal_unsubscribe(f->bus->conn, id);

        e2 = call_privileged(f, "Disable", g_variant_new("(u)", 0));
        g_assert_null(e2);
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Flags"), ==, 0x4);
        /* A disabled node may still lead (as in CTDB). */
        g_assert_cmpuint(get_u32(f, PATH, IFACE, "Leader"), ==, 0);
        e3 = call_privileged(f, "Stop", g_variant_new("(u)", 0));
        g_assert_null(e3);
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Flags"), ==, 0x24);
        g_assert_cmpuint(get_u32(f, PATH, IFACE, "Leader"), ==, 0xffffffff);
        e4 = call_privileged(f, "Continue", g_variant_new("(u)", 0));
        g_assert_null(e4);
        g_free(e4);
        e4 = call_privileged(f, "Enable", g_variant_new("(u)", 0));
        g_assert_null(e4);
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Flags"), ==, 0);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Leader", u32_equals, GUINT_TO_POINTER(0), 3000));
}

/* ctdbctl against the same bus: the status table, --json and the exit code when clusterd is gone. */
static int run_ctdbctl(Fixture *f, const char *const *args, char **ret_out) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;
        int status = 0;

        g_ptr_array_add(argv, test_build_path("tools/ctdbctl"));
        g_ptr_array_add(argv, g_strdup("--bus-address"));
        g_ptr_array_add(argv, g_strdup(f->bus->address));
        for (size_t i = 0; args[i]; i++)
                g_ptr_array_add(argv, g_strdup(args[i]));
        g_ptr_array_add(argv, NULL);
        g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, ret_out, NULL, &status, &error);
        g_assert_no_error(error);
        g_assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static void test_ctdbctl(Fixture *f, gconstpointer data) {
        g_autofree char *out = NULL, *json = NULL, *gone = NULL;
        const char *status_args[] = { "status", NULL };
        const char *json_args[] = { "--json", "status", NULL };
        const char *bad_args[] = { "ban", "0", NULL };

        g_assert_cmpint(run_ctdbctl(f, status_args, &out), ==, 0);
        g_assert_nonnull(strstr(out, "Number of nodes:1\n"));
        g_assert_nonnull(strstr(out, "pnn:0 127.0.0.1        OK (THIS NODE)\n"));
        g_assert_nonnull(strstr(out, "Leader:0\n"));
        g_assert_nonnull(strstr(out, "Quorate:yes\n"));
        g_assert_cmpint(run_ctdbctl(f, json_args, &json), ==, 0);
        g_assert_nonnull(strstr(json, "\"quorate\":true"));
        g_assert_nonnull(strstr(json, "\"leader\":0"));
        g_free(out);
        out = NULL;
        g_assert_cmpint(run_ctdbctl(f, bad_args, &out), ==, 1);

        test_stop_daemon(f->clusterd);
        f->clusterd = 0;
        g_assert_cmpint(run_ctdbctl(f, status_args, &gone), ==, 2);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, Fixture, NULL, setup, fn, teardown)
        ADD("/clusterd/properties", test_properties);
        ADD("/clusterd/ban/privileged", test_ban_privileged);
        ADD("/clusterd/ban/denied-without-polkit", test_ban_denied_without_polkit);
        ADD("/clusterd/ban/denied-by-polkit", test_ban_denied_by_polkit);
        ADD("/clusterd/ban/allowed-by-polkit", test_ban_allowed_by_polkit);
        ADD("/clusterd/invalid-args", test_invalid_args);
        ADD("/clusterd/recover-and-flags", test_recover_and_flags);
        ADD("/clusterd/ctdbctl", test_ctdbctl);
        return g_test_run();
}
