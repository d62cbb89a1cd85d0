/*
 * ctdb-clusterd on a private bus: one ctdb-tunneld and one ctdb-clusterd for a
 * single-node cluster on 127.0.0.1 (random high tunnel port, temp runtime dir).
 *
 * polkit is mocked by tests/lib/testpolkit.c, a GtDBusQueue on the private bus
 * that answers from a thread of its own: clusterd must ask polkit on the bus it
 * serves on, which the uid 65534 caller of test_call_unprivileged() connects to
 * as well.
 */

#undef NDEBUG

#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctdb-client.h"
#include "ctdb-srvid.h"
#include "db-proto.h"
#include "testbus.h"
#include "testnode.h"
#include "testpolkit.h"

#define NAME   "org.ctdb.cluster1"
#define PATH   "/org/ctdb/cluster1"
#define IFACE  "org.ctdb.cluster1.Manager"
#define NODE0  "/org/ctdb/cluster1/node/0"
#define NIFACE "org.ctdb.cluster1.Node"
#define ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define DBD_NAME      "org.ctdb.db1"
/* clusterd's acknowledgement deadline (CLUSTERD_RECOVERY_ACK_TIMEOUT_USEC) and a second more. */
#define PAST_ACK_DEADLINE_MS 6000
/* Above the 25 s D-Bus call timeout of ctdbctl: it gives up first and says so. */
#define CTDBCTL_TIMEOUT_MS 30000

typedef struct Fixture {
        TestBus *bus;
        TestNode *node;
        TestPolkit *polkit; /* NULL: nobody owns org.freedesktop.PolicyKit1 */
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

static gboolean get_bool(Fixture *f, const char *prop) {
        g_autoptr(GVariant) v = test_get_property(f->bus, NAME, PATH, IFACE, prop);

        g_assert_nonnull(v);
        return g_variant_get_boolean(v);
}

static void setup(Fixture *f, gconstpointer data) {
        f->bus = test_bus_new();
        f->node = test_node_new(f->bus, NULL);
        test_node_start_tunneld(f->node);
        test_node_start_clusterd(f->node);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Quorate", is_true, NULL, 10000));
}

static void teardown(Fixture *f, gconstpointer data) {
        test_polkit_free(f->polkit);
        test_node_free(f->node);
        test_bus_free(f->bus);
}

/* polkit (the mock) on the bus from now on, answering every question with allow or deny. */
static void polkit_mock_start(Fixture *f, gboolean allow) {
        g_assert_null(f->polkit);
        f->polkit = test_polkit_new(f->bus->conn, allow ? TEST_POLKIT_ALLOW : TEST_POLKIT_DENY);
}

/* ---- calls ---------------------------------------------------------------------- */

typedef struct CallWait {
        gboolean done;
        GError *error;
} CallWait;

static void call_done(GObject *source, GAsyncResult *res, gpointer userdata) {
        CallWait *w = userdata;
        GVariant *reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &w->error);

        if (reply)
                g_variant_unref(reply);
        w->done = TRUE;
}

/*
 * A call on the test's own connection (as root it passes without asking polkit).
 * Returns the error name or NULL.
 */
static char *call_privileged(Fixture *f, const char *method, GVariant *args) {
        CallWait w = { 0 };
        char *name;

        g_dbus_connection_call(f->bus->conn, NAME, PATH, IFACE, method, args, NULL, G_DBUS_CALL_FLAGS_NONE,
                               30000, NULL, call_done, &w);
        /* A little longer than the call's own timeout, which then ends it first. */
        g_assert_true(test_wait_flag(&w.done, 31000));
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
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Leader", u32_equals,
                                         GUINT_TO_POINTER(0), 5000));
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
        g_assert_true(test_wait_property(f->bus, NAME, NODE0, NIFACE, "Flags", u32_equals,
                                         GUINT_TO_POINTER(0), 3000));
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "BanTimeLeft"), ==, 0);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Leader", u32_equals,
                                         GUINT_TO_POINTER(0), 3000));
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
        g_assert_cmpuint(test_polkit_get_calls(f->polkit), ==, 1);
        g_assert_cmpstr(test_polkit_get_action(f->polkit), ==, "org.ctdb.cluster1.manage");
        g_assert_cmpstr(test_polkit_get_subject_kind(f->polkit), ==, "system-bus-name");
        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Flags"), ==, 0);
}

static void test_ban_allowed_by_polkit(Fixture *f, gconstpointer data) {
        g_autofree char *err = NULL;
        g_autofree char *err2 = NULL;

        polkit_mock_start(f, TRUE);
        err = test_call_unprivileged(f->bus, NAME, PATH, IFACE, "Ban", g_variant_new("(uu)", 0, 30));
        g_assert_null(err);
        g_assert_cmpuint(test_polkit_get_calls(f->polkit), ==, 1);
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
        id = g_dbus_connection_signal_subscribe(f->bus->conn, NAME, IFACE, NULL, PATH, NULL,
                                                G_DBUS_SIGNAL_FLAGS_NONE, on_signal, seen, NULL);
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
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Leader", u32_equals,
                                         GUINT_TO_POINTER(0), 3000));
}

/* ---- PropertiesChanged ------------------------------------------------------------ */

/*
 * Every PropertiesChanged (and InterfacesAdded) of clusterd, as strings
 * "<object> <Property>=<value>" with object "manager" or "node<pnn>", e.g.
 * "node0 Flags=8", "manager Quorate=false", "node1 added".
 */
typedef struct Changes {
        GPtrArray *seen;
        guint ids[2];
} Changes;

static const char *object_name(const char *path, char *buf, size_t size) {
        if (strcmp(path, PATH) == 0)
                return "manager";
        if (g_str_has_prefix(path, "/org/ctdb/cluster1/node/")) {
                g_snprintf(buf, size, "node%s", path + strlen("/org/ctdb/cluster1/node/"));
                return buf;
        }
        return path;
}

static void on_properties_changed(GDBusConnection *conn, const char *sender, const char *path,
                                  const char *iface, const char *signal, GVariant *params,
                                  gpointer userdata) {
        Changes *c = userdata;
        g_autoptr(GVariant) changed = g_variant_get_child_value(params, 1);
        g_autoptr(GVariant) invalidated = g_variant_get_child_value(params, 2);
        GVariantIter iter;
        const char *prop;
        GVariant *value;
        char buf[64];

        g_variant_iter_init(&iter, changed);
        while (g_variant_iter_next(&iter, "{&sv}", &prop, &value)) {
                g_autofree char *text = g_variant_print(value, FALSE);

                g_ptr_array_add(c->seen, g_strdup_printf("%s %s=%s", object_name(path, buf, sizeof(buf)),
                                                         prop, text));
                g_variant_unref(value);
        }
        /* Every property is EMITS_CHANGE: an invalidation-only entry would be a bug. */
        g_assert_cmpuint(g_variant_n_children(invalidated), ==, 0);
}

static void on_interfaces_added(GDBusConnection *conn, const char *sender, const char *path,
                                const char *iface, const char *signal, GVariant *params, gpointer userdata) {
        Changes *c = userdata;
        const char *object;
        char buf[64];

        g_variant_get_child(params, 0, "&o", &object);
        g_ptr_array_add(c->seen, g_strdup_printf("%s added", object_name(object, buf, sizeof(buf))));
}

static void changes_start(Fixture *f, Changes *c) {
        c->seen = g_ptr_array_new_with_free_func(g_free);
        c->ids[0] = g_dbus_connection_signal_subscribe(
                f->bus->conn, NAME, "org.freedesktop.DBus.Properties", "PropertiesChanged", NULL, NULL,
                G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed, c, NULL);
        c->ids[1] = g_dbus_connection_signal_subscribe(
                f->bus->conn, NAME, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded", PATH, NULL,
                G_DBUS_SIGNAL_FLAGS_NONE, on_interfaces_added, c, NULL);
        /* A round trip makes sure the match rules are in place before anything happens. */
        g_assert_cmpuint(get_u32(f, PATH, IFACE, "ThisNode"), ==, 0);
}

static void changes_stop(Fixture *f, Changes *c) {
        g_dbus_connection_signal_unsubscribe(f->bus->conn, c->ids[0]);
        g_dbus_connection_signal_unsubscribe(f->bus->conn, c->ids[1]);
        g_ptr_array_unref(c->seen);
}

static gboolean changes_has(Changes *c, const char *what) {
        for (guint i = 0; i < c->seen->len; i++)
                if (strcmp(c->seen->pdata[i], what) == 0)
                        return TRUE;
        return FALSE;
}

/* Waits (up to timeout_ms) until "what" was emitted; on failure lists what was. */
static void changes_wait(Changes *c, const char *what, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        while (!changes_has(c, what) && g_get_monotonic_time() < deadline)
                if (!g_main_context_iteration(NULL, FALSE))
                        g_usleep(5000);
        if (!changes_has(c, what)) {
                for (guint i = 0; i < c->seen->len; i++)
                        g_test_message("seen: %s", (char *) c->seen->pdata[i]);
                g_error("no PropertiesChanged \"%s\" within %u ms", what, timeout_ms);
        }
}

static void test_properties_changed(Fixture *f, gconstpointer data) {
        Changes c;
        g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL;
        g_autofree char *gen = NULL;

        if (geteuid() != 0)
                polkit_mock_start(f, TRUE);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Leader", u32_equals,
                                         GUINT_TO_POINTER(0), 5000));
        changes_start(f, &c);

        /* Ban: the node's Flags, Health and BanTimeLeft (counting down), the Manager's Nodes and Leader. */
        e1 = call_privileged(f, "Ban", g_variant_new("(uu)", 0, 2));
        g_assert_null(e1);
        changes_wait(&c, "node0 Flags=8", 2000);
        changes_wait(&c, "node0 Health='BANNED'", 2000);
        changes_wait(&c, "node0 BanTimeLeft=2", 2000);
        changes_wait(&c, "manager Nodes=[(0, '127.0.0.1', 8)]", 2000);
        changes_wait(&c, "manager Leader=4294967295", 2000);
        changes_wait(&c, "node0 BanTimeLeft=1", 3000);
        /* It ends by itself: back to OK, leader again, a new generation. */
        changes_wait(&c, "node0 BanTimeLeft=0", 3000);
        changes_wait(&c, "node0 Flags=0", 3000);
        changes_wait(&c, "node0 Health='OK'", 3000);
        changes_wait(&c, "manager Leader=0", 3000);
        gen = g_strdup_printf("manager Generation=%u", get_u32(f, PATH, IFACE, "Generation"));
        changes_wait(&c, gen, 3000);

        /* Disable: Flags and Health only (a disabled node still leads). */
        e2 = call_privileged(f, "Disable", g_variant_new("(u)", 0));
        g_assert_null(e2);
        changes_wait(&c, "node0 Health='DISABLED'", 2000);
        e3 = call_privileged(f, "Enable", g_variant_new("(u)", 0));
        g_assert_null(e3);

        /* Losing tunneld: not quorate, no leader; back when it returns. */
        test_node_stop_tunneld(f->node);
        changes_wait(&c, "manager Quorate=false", 5000);
        g_assert_cmpuint(get_u32(f, PATH, IFACE, "Leader"), ==, 0xffffffff);
        g_ptr_array_set_size(c.seen, 0);
        test_node_start_tunneld(f->node);
        changes_wait(&c, "manager Quorate=true", 10000);
        changes_wait(&c, "manager Leader=0", 5000);
        changes_stop(f, &c);
}

/* ReloadNodes: a slot added (InterfacesAdded, Nodes), then deleted while down (Address, Flags, Health). */
static void test_reload_nodes(Fixture *f, gconstpointer data) {
        Changes c;
        g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL;
        g_autoptr(GVariant) address = NULL;

        if (geteuid() != 0)
                polkit_mock_start(f, TRUE);
        changes_start(f, &c);

        test_node_write_nodes(f->node, "127.0.0.1\n127.0.0.2\n");
        e1 = call_privileged(f, "ReloadNodes", NULL);
        g_assert_null(e1);
        changes_wait(&c, "node1 added", 2000);
        changes_wait(&c, "manager Nodes=[(0, '127.0.0.1', 0), (1, '127.0.0.2', 1)]", 2000);
        /* 1 of 2 nodes is no majority. */
        changes_wait(&c, "manager Quorate=false", 2000);

        test_node_write_nodes(f->node, "127.0.0.1\n#127.0.0.2\n");
        e2 = call_privileged(f, "ReloadNodes", NULL);
        g_assert_null(e2);
        changes_wait(&c, "node1 Address=''", 2000);
        changes_wait(&c, "node1 Flags=16", 2000);
        changes_wait(&c, "node1 Health='DELETED'", 2000);
        changes_wait(&c, "manager Quorate=true", 2000);
        address = test_get_property(f->bus, NAME, "/org/ctdb/cluster1/node/1", NIFACE, "Address");
        g_assert_cmpstr(g_variant_get_string(address, NULL), ==, "");

        /* Un-deleting is refused and changes nothing. */
        test_node_write_nodes(f->node, "127.0.0.1\n127.0.0.2\n");
        e3 = call_privileged(f, "ReloadNodes", NULL);
        g_assert_cmpstr(e3, ==, "org.ctdb.Error.NotSupported");
        g_assert_cmpuint(get_u32(f, "/org/ctdb/cluster1/node/1", NIFACE, "Flags"), ==, 0x10);
        changes_stop(f, &c);
}

/* ---- VnnMap and the databases' recovery ------------------------------------------- */

/*
 * The test plays ctdb-dbd: it owns org.ctdb.db1 on the private bus (clusterd then
 * announces the LMASTER capability) and sends the coordinator's RECOVERED through
 * tunneld. The Manager's PropertiesChanged are kept whole (one a{sv} per signal),
 * so that what changed together can be checked.
 */
typedef struct DbFixture {
        Fixture *f;
        guint own_id;
        GPtrArray *changed; /* GVariant a{sv} of each PropertiesChanged of the Manager */
        guint sub_id;
} DbFixture;

static void on_manager_changed(GDBusConnection *conn, const char *sender, const char *path,
                               const char *iface, const char *signal, GVariant *params, gpointer userdata) {
        DbFixture *d = userdata;
        const char *interface;

        g_variant_get_child(params, 0, "&s", &interface);
        if (strcmp(interface, IFACE) == 0)
                g_ptr_array_add(d->changed, g_variant_get_child_value(params, 1));
}

static void db_start(Fixture *f, DbFixture *d) {
        *d = (DbFixture) {
                .f = f,
                .changed = g_ptr_array_new_with_free_func((GDestroyNotify) g_variant_unref),
        };
        d->sub_id = g_dbus_connection_signal_subscribe(
                f->bus->conn, NAME, "org.freedesktop.DBus.Properties", "PropertiesChanged", PATH, NULL,
                G_DBUS_SIGNAL_FLAGS_NONE, on_manager_changed, d, NULL);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Recovering", is_false, NULL, 5000));
}

static void db_stop(DbFixture *d) {
        if (d->own_id)
                g_bus_unown_name(d->own_id);
        g_dbus_connection_signal_unsubscribe(d->f->bus->conn, d->sub_id);
        g_ptr_array_unref(d->changed);
}

static guint32 n_vnnmap(Fixture *f) {
        g_autoptr(GVariant) v = test_get_property(f->bus, NAME, PATH, IFACE, "VnnMap");

        g_assert_nonnull(v);
        g_assert_cmpstr(g_variant_get_type_string(v), ==, "au");
        return (guint32) g_variant_n_children(v);
}

static gboolean vnnmap_is_node0(GVariant *v, gpointer userdata) {
        guint32 pnn = CTDB_PNN_NONE;

        if (g_variant_n_children(v) == 1)
                g_variant_get_child(v, 0, "u", &pnn);
        return pnn == 0;
}

static gboolean vnnmap_is_empty(GVariant *v, gpointer userdata) {
        return g_variant_n_children(v) == 0;
}

/* Sends RECOVERED(generation, error) to pnn 0's CTDB_SRVID_DB_RECOVERY, as the dbd coordinator does. */
static void send_recovered(Fixture *f, guint32 generation, gint32 error) {
        struct db_recovered r = { .generation = generation, .error = error };
        ctdb_client *c = NULL;
        uint8_t buf[64];
        int len;

        len = wire_inner_pack_into(&db_recovered_desc, &r, buf, sizeof(buf));
        g_assert_cmpint(len, >, 0);
        g_assert_cmpint(ctdb_client_connect(f->node->socket, &c), ==, 0);
        g_assert_cmpint(ctdb_client_send(c, 0, CTDB_SRVID_DB_RECOVERY, buf, (size_t) len), ==, 0);
        /* One packet on a SOCK_SEQPACKET socket: it is tunneld's once send() returned. */
        ctdb_client_free(c);
}

/* RECOVERED(generation, 0) ends the recovery of that generation, and nothing else changes. */
static void recovered_ends_recovery(Fixture *f, guint32 generation) {
        send_recovered(f, generation, 0);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Recovering", is_false, NULL, 5000));
        g_assert_cmpuint(get_u32(f, PATH, IFACE, "Generation"), ==, generation);
}

/* The test takes org.ctdb.db1: clusterd recovers with VnnMap [0]; returns that recovery's generation. */
static guint32 dbd_appears(DbFixture *d) {
        Fixture *f = d->f;
        guint32 gen = get_u32(f, PATH, IFACE, "Generation"), new_gen;

        g_assert_cmpuint(n_vnnmap(f), ==, 0);
        d->own_id = g_bus_own_name_on_connection(f->bus->conn, DBD_NAME, G_BUS_NAME_OWNER_FLAGS_NONE, NULL,
                                                 NULL, NULL, NULL);
        g_assert_true(test_wait_name_owner(f->bus->conn, DBD_NAME, TRUE, 5000));
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "VnnMap", vnnmap_is_node0, NULL, 5000));
        new_gen = get_u32(f, PATH, IFACE, "Generation");
        g_assert_cmpuint(new_gen, >, gen);
        g_assert_true(get_bool(f, "Recovering"));
        return new_gen;
}

/* Serves the main loop for ms, failing if Recovering goes false meanwhile. */
static void assert_stays_recovering(Fixture *f, unsigned ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) ms * 1000;

        while (g_get_monotonic_time() < deadline) {
                g_assert_true(get_bool(f, "Recovering"));
                while (g_main_context_iteration(NULL, FALSE))
                        ;
                g_usleep(100000);
        }
}

/*
 * A dbd appears: a new recovery whose VnnMap lists this node, published in the
 * same PropertiesChanged as Generation and Recovering = true, and it lasts until
 * RECOVERED for exactly that generation arrives.
 */
static void test_vnnmap_dbd_joins(Fixture *f, gconstpointer data) {
        DbFixture d;
        guint32 gen;
        gboolean seen = FALSE;

        db_start(f, &d);
        gen = dbd_appears(&d);
        /* Let every signal in, then find the one that started this recovery. */
        while (g_main_context_iteration(NULL, FALSE))
                ;
        for (guint i = 0; i < d.changed->len; i++) {
                GVariant *c = d.changed->pdata[i];
                g_autoptr(GVariant) rec = g_variant_lookup_value(c, "Recovering", G_VARIANT_TYPE_BOOLEAN);
                g_autoptr(GVariant) vnn = g_variant_lookup_value(c, "VnnMap", G_VARIANT_TYPE("au"));
                g_autoptr(GVariant) g = g_variant_lookup_value(c, "Generation", G_VARIANT_TYPE_UINT32);

                /* VnnMap never changes without the generation changing with it. */
                if (vnn)
                        g_assert_nonnull(g);
                if (!rec || !g_variant_get_boolean(rec) || !g || g_variant_get_uint32(g) != gen)
                        continue;
                g_assert_nonnull(vnn);
                g_assert_true(vnnmap_is_node0(vnn, NULL));
                seen = TRUE;
        }
        g_assert_true(seen);

        /* The acknowledgement (this node's own, at once) and its deadline do not end it. */
        assert_stays_recovering(f, PAST_ACK_DEADLINE_MS);
        recovered_ends_recovery(f, gen);
        g_assert_cmpuint(n_vnnmap(f), ==, 1);
        db_stop(&d);
}

/* RECOVERED of another generation says nothing about this recovery. */
static void test_vnnmap_other_generation_ignored(Fixture *f, gconstpointer data) {
        DbFixture d;
        guint32 gen;

        db_start(f, &d);
        gen = dbd_appears(&d);
        send_recovered(f, gen - 1, 0);
        send_recovered(f, gen + 1, 0);
        assert_stays_recovering(f, 1000);
        g_assert_cmpuint(get_u32(f, PATH, IFACE, "Generation"), ==, gen);
        recovered_ends_recovery(f, gen);
        db_stop(&d);
}

/* RECOVERED with an error: a new recovery with a new generation, which the next RECOVERED ends. */
static void test_vnnmap_recovery_failed(Fixture *f, gconstpointer data) {
        DbFixture d;
        guint32 gen;

        db_start(f, &d);
        gen = dbd_appears(&d);
        send_recovered(f, gen, -EIO);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Generation", u32_equals,
                                         GUINT_TO_POINTER(gen + 1), 5000));
        g_assert_true(get_bool(f, "Recovering"));
        g_assert_cmpuint(n_vnnmap(f), ==, 1);
        /* The failed generation's report is stale now. */
        send_recovered(f, gen, 0);
        assert_stays_recovering(f, 1000);
        recovered_ends_recovery(f, gen + 1);
        db_stop(&d);
}

/* The dbd goes away: a recovery with an empty VnnMap, which the acknowledgements end by themselves. */
static void test_vnnmap_dbd_leaves(Fixture *f, gconstpointer data) {
        DbFixture d;
        guint32 gen;

        db_start(f, &d);
        gen = dbd_appears(&d);
        recovered_ends_recovery(f, gen);
        g_bus_unown_name(d.own_id);
        d.own_id = 0;
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "VnnMap", vnnmap_is_empty, NULL, 5000));
        g_assert_cmpuint(get_u32(f, PATH, IFACE, "Generation"), >, gen);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Recovering", is_false, NULL, 2000));
        db_stop(&d);
}

/* ---- the XML in bus/ describes what the daemon serves ---------------------------- */

static void test_introspection_matches_xml(Fixture *f, gconstpointer data) {
        test_check_introspection(f->bus, NAME, "org.ctdb.cluster1.Manager.xml", PATH, IFACE);
        test_check_introspection(f->bus, NAME, "org.ctdb.cluster1.Node.xml", NODE0, NIFACE);
}

/* ---- ctdbctl against the same bus ------------------------------------------------ */

/*
 * Runs the built ctdbctl with args; it finds the bus through
 * DBUS_SYSTEM_BUS_ADDRESS (set by the test bus). As uid 65534 when nobody is
 * set and the test is root (setpriv), so the call is an unprivileged one.
 * Returns the exit code; stdout and stderr in ret_out / ret_err if given.
 */
static int run_ctdbctl_as(Fixture *f, gboolean nobody, const char *const *args, char **ret_out,
                          char **ret_err) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *out = NULL, *err = NULL;
        int status;

        if (nobody && geteuid() == 0) {
                char *setpriv = g_find_program_in_path("setpriv");

                g_assert_nonnull(setpriv);
                g_ptr_array_add(argv, setpriv); /* owned by argv */
                g_ptr_array_add(argv, g_strdup("--reuid=65534"));
                g_ptr_array_add(argv, g_strdup("--regid=65534"));
                g_ptr_array_add(argv, g_strdup("--clear-groups"));
        }
        g_ptr_array_add(argv, test_build_path("tools/ctdbctl"));
        for (size_t i = 0; args[i]; i++)
                g_ptr_array_add(argv, g_strdup(args[i]));
        g_ptr_array_add(argv, NULL);
        /*
         * stdin is not a terminal: ctdbctl does not ask polkit for interaction. The polkit
         * mock answers what clusterd asks from its own thread meanwhile.
         */
        status = test_run((const char *const *) argv->pdata, &out, &err, CTDBCTL_TIMEOUT_MS);
        g_assert_true(WIFEXITED(status));
        g_test_message("ctdbctl %s -> %d\n%s%s", args[0], WEXITSTATUS(status), out, err);
        if (ret_out)
                *ret_out = g_steal_pointer(&out);
        if (ret_err)
                *ret_err = g_steal_pointer(&err);
        return WEXITSTATUS(status);
}

static int run_ctdbctl(Fixture *f, const char *const *args, char **ret_out) {
        return run_ctdbctl_as(f, FALSE, args, ret_out, NULL);
}

/* A --json answer: one object on one line, with every key named. */
static void assert_json(const char *out, const char *const *keys) {
        g_assert_nonnull(out);
        g_assert_true(g_str_has_prefix(out, "{"));
        g_assert_true(g_str_has_suffix(out, "}\n"));
        g_assert_true(strchr(out, '\n') == out + strlen(out) - 1); /* one line */
        for (size_t i = 0; keys[i]; i++) {
                g_autofree char *key = g_strdup_printf("\"%s\":", keys[i]);

                if (!strstr(out, key))
                        g_error("no key %s in %s", key, out);
        }
}

static gboolean flags_are(Fixture *f, guint32 flags) {
        return test_wait_property(f->bus, NAME, NODE0, NIFACE, "Flags", u32_equals, GUINT_TO_POINTER(flags),
                                  3000);
}

static void test_ctdbctl(Fixture *f, gconstpointer data) {
        g_autofree char *out = NULL, *gone = NULL, *gone_err = NULL;

        if (geteuid() != 0)
                polkit_mock_start(f, TRUE);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Leader", u32_equals,
                                         GUINT_TO_POINTER(0), 5000));

        {
                const char *args[] = { "status", NULL };

                g_assert_cmpint(run_ctdbctl(f, args, &out), ==, 0);
                g_assert_nonnull(strstr(out, "Number of nodes:1\n"));
                g_assert_nonnull(strstr(out, "pnn:0"));
                g_assert_nonnull(strstr(out, "THIS NODE"));
                g_assert_nonnull(strstr(out, "pnn:0 127.0.0.1        OK (THIS NODE)\n"));
                g_assert_nonnull(strstr(out, "Recovery mode:NORMAL (0)\n"));
                g_assert_nonnull(strstr(out, "Leader:0\n"));
                g_assert_nonnull(strstr(out, "Quorate:yes\n"));
                g_clear_pointer(&out, g_free);
        }
        {
                /* --bus-address, and --json after the verb */
                const char *args[] = { "--bus-address", f->bus->address, "status", "--json", NULL };
                const char *keys[] = { "this_node", "nodes", "pnn", "address", "flags", "state",
                                       "generation", "size", "recovery_mode", "leader", "quorate", NULL };

                g_assert_cmpint(run_ctdbctl(f, args, &out), ==, 0);
                assert_json(out, keys);
                g_assert_nonnull(strstr(out, "\"this_node\":0,"));
                g_assert_nonnull(strstr(out, "\"state\":\"OK\""));
                g_assert_nonnull(strstr(out, "\"quorate\":true"));
                g_assert_nonnull(strstr(out, "\"leader\":0"));
                g_clear_pointer(&out, g_free);
        }
        {
                const char *args[] = { "nodes", NULL };
                const char *jargs[] = { "--json", "nodes", NULL };
                const char *keys[] = { "nodes", "pnn", "address", "flags", "state", "ban_time_left",
                                       "this_node", NULL };

                g_assert_cmpint(run_ctdbctl(f, args, &out), ==, 0);
                g_assert_nonnull(strstr(out, "127.0.0.1"));
                g_clear_pointer(&out, g_free);
                g_assert_cmpint(run_ctdbctl(f, jargs, &out), ==, 0);
                assert_json(out, keys);
                g_clear_pointer(&out, g_free);
        }

        /* Each action, plain and --json, and its effect. */
        {
                static const struct {
                        const char *verb, *seconds;
                        guint32 flags_after;
                } actions[] = {
                        { "disable", NULL, 0x4 }, { "enable", NULL, 0 },  { "stop", NULL, 0x20 },
                        { "continue", NULL, 0 },  { "ban", "30", 0x8 },   { "unban", NULL, 0 },
                };

                for (size_t i = 0; i < G_N_ELEMENTS(actions); i++) {
                        for (int json = 0; json < 2; json++) {
                                const char *args[5];
                                size_t n = 0;
                                g_autofree char *want = g_strdup_printf("\"verb\":\"%s\"", actions[i].verb);
                                const char *keys[] = { "ok", "verb", "pnn", NULL };

                                if (json)
                                        args[n++] = "--json";
                                args[n++] = actions[i].verb;
                                args[n++] = "0";
                                if (actions[i].seconds)
                                        args[n++] = actions[i].seconds;
                                args[n] = NULL;
                                g_assert_cmpint(run_ctdbctl(f, args, &out), ==, 0);
                                if (json) {
                                        assert_json(out, keys);
                                        g_assert_nonnull(strstr(out, "\"ok\":true"));
                                        g_assert_nonnull(strstr(out, want));
                                } else {
                                        g_assert_cmpstr(out, ==, "");
                                }
                                g_clear_pointer(&out, g_free);
                                g_assert_true(flags_are(f, actions[i].flags_after));
                        }
                }
        }
        {
                const char *args[] = { "ban", "0", "1", NULL };

                g_assert_cmpint(run_ctdbctl(f, args, NULL), ==, 0);
                g_assert_true(flags_are(f, 0x8));
                g_assert_true(flags_are(f, 0));
        }
        {
                const char *args[] = { "recover", NULL };
                const char *jargs[] = { "--json", "recover", NULL };
                const char *keys[] = { "ok", "verb", NULL };
                guint32 gen;

                g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Leader", u32_equals,
                                                 GUINT_TO_POINTER(0), 5000));
                gen = get_u32(f, PATH, IFACE, "Generation");
                g_assert_cmpint(run_ctdbctl(f, args, NULL), ==, 0);
                g_assert_cmpuint(get_u32(f, PATH, IFACE, "Generation"), >, gen);
                g_assert_cmpint(run_ctdbctl(f, jargs, &out), ==, 0);
                assert_json(out, keys);
                g_clear_pointer(&out, g_free);
        }

        {
                /* The nodes file as it is: nothing to change, and no tunneld here to ask. */
                const char *args[] = { "reloadnodes", NULL };
                const char *jargs[] = { "--json", "reloadnodes", NULL };
                const char *keys[] = { "ok", "verb", NULL };

                g_assert_cmpint(run_ctdbctl(f, args, &out), ==, 0);
                g_assert_cmpstr(out, ==, "");
                g_clear_pointer(&out, g_free);
                g_assert_cmpint(run_ctdbctl(f, jargs, &out), ==, 0);
                assert_json(out, keys);
                g_assert_nonnull(strstr(out, "\"verb\":\"reloadnodes\""));
                g_clear_pointer(&out, g_free);
        }

        /* Usage errors: 1. */
        {
                const char *missing[] = { "ban", "0", NULL };
                const char *bad_number[] = { "ban", "x", "1", NULL };
                const char *no_node[] = { "disable", "7", NULL };
                const char *unknown[] = { "frobnicate", NULL };

                g_assert_cmpint(run_ctdbctl(f, missing, NULL), ==, 1);
                g_assert_cmpint(run_ctdbctl(f, bad_number, NULL), ==, 1);
                g_assert_cmpint(run_ctdbctl(f, no_node, NULL), ==, 1);
                g_assert_cmpint(run_ctdbctl(f, unknown, NULL), ==, 1);
        }

        /* Access denied: 3, for an unprivileged caller with no polkit on the bus; reading is open. */
        if (geteuid() == 0) {
                const char *args[] = { "ban", "0", "5", NULL };
                const char *jargs[] = { "--json", "disable", "0", NULL };
                const char *status[] = { "status", NULL };
                const char *keys[] = { "ok", "error", "message", NULL };
                g_autofree char *err = NULL;
                g_autofree char *setpriv = g_find_program_in_path("setpriv");

                if (!setpriv) {
                        g_test_message(
                                "setpriv (util-linux) not found: not checking the unprivileged exit code");
                } else {
                        g_assert_cmpint(run_ctdbctl_as(f, TRUE, args, NULL, &err), ==, 3);
                        g_assert_nonnull(strstr(err, "Access denied"));
                        g_assert_cmpint(run_ctdbctl_as(f, TRUE, jargs, &out, NULL), ==, 3);
                        assert_json(out, keys);
                        g_assert_nonnull(strstr(out, "org.freedesktop.DBus.Error.AccessDenied"));
                        g_clear_pointer(&out, g_free);
                        g_assert_cmpint(run_ctdbctl_as(f, TRUE, status, NULL, NULL), ==, 0);
                        g_assert_cmpuint(get_u32(f, NODE0, NIFACE, "Flags"), ==, 0);
                }
        }

        /* The daemon stopped: 2, with a message that says so. */
        test_node_stop_clusterd(f->node);
        {
                const char *args[] = { "status", NULL };
                const char *jargs[] = { "--json", "ban", "0", "1", NULL };

                g_assert_cmpint(run_ctdbctl_as(f, FALSE, args, &gone, &gone_err), ==, 2);
                g_assert_cmpstr(gone, ==, "");
                g_assert_nonnull(strstr(gone_err, "ctdb-clusterd is not running"));
                g_assert_cmpint(run_ctdbctl(f, jargs, &out), ==, 2);
                g_assert_nonnull(strstr(out, "\"ok\":false"));
        }
}

/* ---- health from ctdb-monitord --------------------------------------------------------------- */

/* The test plays ctdb-monitord: org.ctdb.monitor1 with Healthy and Services it sets. */
typedef struct Monitor {
        gboolean healthy;
        const char *failing;    /* the unit shown failed in Services, NULL: none */
        guint reg_id, own_id;
} Monitor;

static const char monitor_xml[] =
        "<node><interface name='org.ctdb.monitor1.Manager'>"
        "<property name='Healthy' type='b' access='read'/>"
        "<property name='Services' type='a(ssst)' access='read'/>"
        "</interface></node>";

static GVariant *monitor_services(Monitor *mon) {
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE("a(ssst)"));
        g_variant_builder_add(&b, "(ssst)", "ctdb-test-ok.service", "active", "running", (guint64) 1);
        if (mon->failing)
                g_variant_builder_add(&b, "(ssst)", mon->failing, "failed", "failed", (guint64) 2);
        return g_variant_builder_end(&b);
}

static GVariant *monitor_get(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                             const char *prop, GError **error, gpointer userdata) {
        Monitor *mon = userdata;

        if (g_str_equal(prop, "Healthy"))
                return g_variant_new_boolean(mon->healthy);
        return monitor_services(mon);
}

static void monitor_set(Fixture *f, Monitor *mon, gboolean healthy, const char *failing) {
        GVariantBuilder changed;

        mon->healthy = healthy;
        mon->failing = failing;
        g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&changed, "{sv}", "Healthy", g_variant_new_boolean(healthy));
        g_variant_builder_add(&changed, "{sv}", "Services", monitor_services(mon));
        g_assert_true(g_dbus_connection_emit_signal(
                f->bus->conn, NULL, "/org/ctdb/monitor1", "org.freedesktop.DBus.Properties",
                "PropertiesChanged",
                g_variant_new("(sa{sv}as)", "org.ctdb.monitor1.Manager", &changed, NULL), NULL));
}

static gboolean flags_unhealthy(GVariant *v, gpointer userdata) {
        return (g_variant_get_uint32(v) & 0x2u) != 0;
}

static gboolean flags_healthy(GVariant *v, gpointer userdata) {
        return (g_variant_get_uint32(v) & 0x2u) == 0;
}

/*
 * ctdb-monitord's Healthy goes false: this node is UNHEALTHY and its Health
 * names the failing unit; true again: the flag goes. Already unhealthy when it
 * appears: read at once (GetAll).
 */
static void test_health_from_monitord(Fixture *f, gconstpointer data) {
        static const GDBusInterfaceVTable vtable = { .get_property = monitor_get };
        g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml(monitor_xml, NULL);
        g_autoptr(GVariant) health = NULL;
        Monitor mon = { .healthy = FALSE, .failing = "smbd.service" };

        mon.reg_id = g_dbus_connection_register_object(f->bus->conn, "/org/ctdb/monitor1",
                                                       info->interfaces[0], &vtable, &mon, NULL, NULL);
        g_assert_cmpuint(mon.reg_id, >, 0);
        mon.own_id = g_bus_own_name_on_connection(f->bus->conn, "org.ctdb.monitor1",
                                                  G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL, NULL, NULL);
        g_assert_true(test_wait_property(f->bus, NAME, NODE0, NIFACE, "Flags", flags_unhealthy, NULL, 5000));
        health = test_get_property(f->bus, NAME, NODE0, NIFACE, "Health");
        g_assert_nonnull(strstr(g_variant_get_string(health, NULL), "smbd.service"));

        monitor_set(f, &mon, TRUE, NULL);
        g_assert_true(test_wait_property(f->bus, NAME, NODE0, NIFACE, "Flags", flags_healthy, NULL, 5000));
        monitor_set(f, &mon, FALSE, "winbind.service");
        g_assert_true(test_wait_property(f->bus, NAME, NODE0, NIFACE, "Flags", flags_unhealthy, NULL, 5000));
        g_clear_pointer(&health, g_variant_unref);
        health = test_get_property(f->bus, NAME, NODE0, NIFACE, "Health");
        g_assert_nonnull(strstr(g_variant_get_string(health, NULL), "winbind.service"));

        /* monitord goes away (a restart): the last health stays. */
        g_bus_unown_name(mon.own_id);
        g_assert_true(test_wait_name_owner(f->bus->conn, "org.ctdb.monitor1", FALSE, 5000));
        g_clear_pointer(&health, g_variant_unref);
        health = test_get_property(f->bus, NAME, NODE0, NIFACE, "Flags");
        g_assert_true(flags_unhealthy(health, NULL));
        g_dbus_connection_unregister_object(f->bus->conn, mon.reg_id);
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
        ADD("/clusterd/properties-changed", test_properties_changed);
        ADD("/clusterd/reload-nodes", test_reload_nodes);
        ADD("/clusterd/vnnmap/dbd-joins", test_vnnmap_dbd_joins);
        ADD("/clusterd/vnnmap/other-generation-ignored", test_vnnmap_other_generation_ignored);
        ADD("/clusterd/vnnmap/recovery-failed", test_vnnmap_recovery_failed);
        ADD("/clusterd/vnnmap/dbd-leaves", test_vnnmap_dbd_leaves);
        ADD("/clusterd/introspection-matches-xml", test_introspection_matches_xml);
        ADD("/clusterd/ctdbctl", test_ctdbctl);
        ADD("/clusterd/health-from-monitord", test_health_from_monitord);
        return g_test_run();
}
