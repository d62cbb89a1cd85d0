/*
 * ctdb-dbd's org.ctdb.db1 on a private bus: one node (ctdb-tunneld,
 * ctdb-clusterd and ctdb-dbd on 127.0.0.1, the volatile database directory
 * in the test's temp dir). Every test starts once clusterd's first recovery
 * with dbd is over (Recovering false, VnnMap [0]).
 *
 * polkit is mocked by tests/lib/testpolkit.c; as root the test's own calls
 * pass without it, and test_call_unprivileged() calls as uid 65534. Not as
 * root, every call is unprivileged and the mock must say yes.
 */

#undef NDEBUG

#include <glib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db-proto.h"
#include "ltdb.h"
#include "testbus.h"
#include "testnode.h"
#include "testpolkit.h"

#define NAME          "org.ctdb.db1"
#define PATH          "/org/ctdb/db1"
#define IFACE         "org.ctdb.db1.Manager"
#define DB_PREFIX     "/org/ctdb/db1/db"
#define DB_IFACE      "org.ctdb.db1.Database"
#define DB_NAME       "test.tdb"
#define DB_PATH       "/org/ctdb/db1/db/test_2etdb"
#define CLUSTER_NAME  "org.ctdb.cluster1"
#define CLUSTER_PATH  "/org/ctdb/cluster1"
#define CLUSTER_IFACE "org.ctdb.cluster1.Manager"

#define NOT_FOUND     "org.ctdb.Error.NotFound"
#define INVALID_ARGS  "org.ctdb.Error.InvalidArgs"
#define NOT_SUPPORTED "org.ctdb.Error.NotSupported"
#define BUSY          "org.ctdb.Error.Busy"
#define ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
/* dbd-bus.h's DBD_BUS_KEYS_MAX */
#define KEYS_MAX            100000u
#define RECOVERY_TIMEOUT_MS 15000
#define CALL_TIMEOUT_MS     30000
/* Above ctdbctl's 25 s D-Bus call timeout: it gives up first and says so. */
#define CTDBCTL_TIMEOUT_MS 30000

typedef struct Fixture {
        TestBus *bus;
        TestNode *node;
        TestPolkit *polkit; /* NULL: nobody owns org.freedesktop.PolicyKit1 */
} Fixture;

/* ---- cluster state ---------------------------------------------------------------- */

static guint32 cluster_u32(Fixture *f, const char *prop) {
        g_autoptr(GVariant) v = test_get_property(f->bus, CLUSTER_NAME, CLUSTER_PATH, CLUSTER_IFACE, prop);

        g_assert_nonnull(v);
        return g_variant_get_uint32(v);
}

typedef struct Settled {
        Fixture *f;
        guint32 after; /* a generation above this one */
} Settled;

/* clusterd is done recovering with dbd in its VnnMap, in a generation above s->after. */
static gboolean cluster_settled(gpointer userdata) {
        Settled *s = userdata;
        TestBus *bus = s->f->bus;
        g_autoptr(GVariant) rec =
                test_get_property(bus, CLUSTER_NAME, CLUSTER_PATH, CLUSTER_IFACE, "Recovering");
        g_autoptr(GVariant) vnn =
                test_get_property(bus, CLUSTER_NAME, CLUSTER_PATH, CLUSTER_IFACE, "VnnMap");
        g_autoptr(GVariant) gen =
                test_get_property(bus, CLUSTER_NAME, CLUSTER_PATH, CLUSTER_IFACE, "Generation");

        return rec && vnn && gen && !g_variant_get_boolean(rec) && g_variant_n_children(vnn) > 0 &&
               g_variant_get_uint32(gen) > s->after;
}

static void wait_settled(Fixture *f, guint32 after) {
        Settled s = { .f = f, .after = after };

        g_assert_true(test_wait_condition(cluster_settled, &s, RECOVERY_TIMEOUT_MS));
}

static void setup(Fixture *f, gconstpointer data) {
        f->bus = test_bus_new();
        f->node = test_node_new(f->bus, NULL);
        test_node_start_tunneld(f->node);
        test_node_start_clusterd(f->node);
        test_node_start_dbd(f->node);
        wait_settled(f, 0);
}

static void teardown(Fixture *f, gconstpointer data) {
        test_polkit_free(f->polkit);
        test_node_free(f->node);
        test_bus_free(f->bus);
}

static void polkit_mock_start(Fixture *f, gboolean allow) {
        g_assert_null(f->polkit);
        f->polkit = test_polkit_new(f->bus->conn, allow ? TEST_POLKIT_ALLOW : TEST_POLKIT_DENY);
}

/* The test's own calls succeed: as root they pass anyway, else polkit (the mock) says yes. */
static void privileged(Fixture *f) {
        if (geteuid() != 0 && !f->polkit)
                polkit_mock_start(f, TRUE);
}

/* ---- calls ------------------------------------------------------------------------ */

/*
 * Calls method on path; returns NULL and the reply in *ret_reply (if given), or
 * the D-Bus error name and its message in *ret_message (if given). Busy
 * ("recovery in progress, try again") is retried with a deadline, as the
 * contract tells callers to.
 */
static char *call_full(Fixture *f, const char *path, const char *iface, const char *method, GVariant *args,
                       GVariant **ret_reply, char **ret_message) {
        g_autoptr(GVariant) owned = g_variant_ref_sink(args ? args : g_variant_new("()"));
        gint64 deadline = g_get_monotonic_time() + (gint64) RECOVERY_TIMEOUT_MS * 1000;

        for (;;) {
                g_autoptr(GError) error = NULL;
                GVariant *reply =
                        g_dbus_connection_call_sync(f->bus->conn, NAME, path, iface, method, owned, NULL,
                                                    G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
                char *name;

                if (reply) {
                        if (ret_reply)
                                *ret_reply = reply;
                        else
                                g_variant_unref(reply);
                        return NULL;
                }
                name = g_dbus_error_get_remote_error(error);
                g_test_message("%s %s: %s", path, method, error->message);
                if (!name)
                        return g_strdup("(local error)");
                if (strcmp(name, BUSY) != 0 || g_get_monotonic_time() > deadline) {
                        if (ret_message)
                                *ret_message = g_strdup(error->message);
                        return name;
                }
                g_free(name);
                g_usleep(50000);
        }
}

static char *call(Fixture *f, const char *path, const char *iface, const char *method, GVariant *args,
                  GVariant **ret_reply) {
        return call_full(f, path, iface, method, args, ret_reply, NULL);
}

static void call_ok(Fixture *f, const char *path, const char *iface, const char *method, GVariant *args,
                    GVariant **ret_reply) {
        g_autofree char *err = call(f, path, iface, method, args, ret_reply);

        g_assert_null(err);
}

static void call_fails(Fixture *f, const char *path, const char *iface, const char *method, GVariant *args,
                       const char *want) {
        g_autofree char *err = call(f, path, iface, method, args, NULL);

        g_assert_cmpstr(err, ==, want);
}

static GVariant *bytes(const char *s) {
        return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, s, strlen(s), 1);
}

static GVariant *zeros(gsize n) {
        g_autofree guint8 *buf = g_malloc0(n);

        return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, buf, n, 1);
}

/*
 * Attaches name as kind; returns the path. A persistent or replicated one
 * comes to every node through a recovery, which this waits for; a volatile one
 * through ATTACHED, with the generation as it was.
 */
static char *attach_kind(Fixture *f, const char *name, const char *kind) {
        g_autoptr(GVariant) reply = NULL;
        guint32 gen = cluster_u32(f, "Generation");
        const char *path;

        privileged(f);
        call_ok(f, PATH, IFACE, "Attach", g_variant_new("(ss)", name, kind), &reply);
        g_variant_get(reply, "(&o)", &path);
        if (g_str_equal(kind, "volatile"))
                g_assert_cmpuint(cluster_u32(f, "Generation"), ==, gen);
        else
                wait_settled(f, gen);
        return g_strdup(path);
}

static char *attach(Fixture *f, const char *name) {
        return attach_kind(f, name, "volatile");
}

static void store(Fixture *f, const char *key, const char *value) {
        call_ok(f, DB_PATH, DB_IFACE, "Store", g_variant_new("(@ay@ay)", bytes(key), bytes(value)), NULL);
}

/* The value of key, or NULL with the error name in *ret_error. */
static char *fetch(Fixture *f, const char *key, char **ret_error) {
        g_autoptr(GVariant) reply = NULL, value = NULL;
        char *err = call(f, DB_PATH, DB_IFACE, "Fetch", g_variant_new("(@ay)", bytes(key)), &reply);
        const char *data;
        gsize n;

        *ret_error = err;
        if (err)
                return NULL;
        value = g_variant_get_child_value(reply, 0);
        data = g_variant_get_fixed_array(value, &n, 1);
        return g_strndup(data, n);
}

static void assert_value(Fixture *f, const char *key, const char *want) {
        g_autofree char *err = NULL, *got = fetch(f, key, &err);

        g_assert_null(err);
        g_assert_cmpstr(got, ==, want);
}

static void assert_no_record(Fixture *f, const char *key) {
        g_autofree char *err = NULL, *got = fetch(f, key, &err);

        g_assert_null(got);
        g_assert_cmpstr(err, ==, NOT_FOUND);
}

static gint compare_strings(gconstpointer a, gconstpointer b) {
        return g_strcmp0(*(const char *const *) a, *(const char *const *) b);
}

/* Keys(max) as a sorted NULL-terminated list of strings. */
static GStrv keys(Fixture *f, guint32 max) {
        g_autoptr(GVariant) reply = NULL, list = NULL;
        g_autoptr(GPtrArray) out = g_ptr_array_new();

        call_ok(f, DB_PATH, DB_IFACE, "Keys", g_variant_new("(u)", max), &reply);
        list = g_variant_get_child_value(reply, 0);
        for (gsize i = 0; i < g_variant_n_children(list); i++) {
                g_autoptr(GVariant) k = g_variant_get_child_value(list, i);
                gsize n;
                const char *data = g_variant_get_fixed_array(k, &n, 1);

                g_ptr_array_add(out, g_strndup(data, n));
        }
        g_ptr_array_sort(out, compare_strings);
        g_ptr_array_add(out, NULL);
        return (GStrv) g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

static GVariant *db_property(Fixture *f, const char *path, const char *prop) {
        GVariant *v = test_get_property(f->bus, NAME, path, DB_IFACE, prop);

        g_assert_nonnull(v);
        return v;
}

static gboolean db_bool(Fixture *f, const char *prop) {
        g_autoptr(GVariant) v = db_property(f, DB_PATH, prop);

        return g_variant_get_boolean(v);
}

/* ---- the Manager ------------------------------------------------------------------- */

static void test_attach(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        g_autoptr(GVariant) dbs = test_get_property(f->bus, NAME, PATH, IFACE, "Databases");
        const char *name, *obj, *kind;

        g_assert_cmpstr(path, ==, DB_PATH);
        g_assert_nonnull(dbs);
        g_assert_cmpuint(g_variant_n_children(dbs), ==, 1);
        g_variant_get_child(dbs, 0, "(&s&o&s)", &name, &obj, &kind);
        g_assert_cmpstr(name, ==, DB_NAME);
        g_assert_cmpstr(obj, ==, DB_PATH);
        g_assert_cmpstr(kind, ==, "volatile");
}

static void test_attach_again(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        g_autoptr(GVariant) reply = NULL, dbs = NULL;
        const char *again;

        call_ok(f, PATH, IFACE, "Attach", g_variant_new("(ss)", DB_NAME, "volatile"), &reply);
        g_variant_get(reply, "(&o)", &again);
        g_assert_cmpstr(again, ==, path);
        dbs = test_get_property(f->bus, NAME, PATH, IFACE, "Databases");
        g_assert_cmpuint(g_variant_n_children(dbs), ==, 1);
}

static void test_database_properties(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        g_autofree char *file = g_strdup_printf("%s/%s.0", f->node->volatile_dir, DB_NAME);
        g_autoptr(GVariant) name = db_property(f, path, "Name"), kind = db_property(f, path, "Kind"),
                            id = db_property(f, path, "Id"), p = db_property(f, path, "Path"),
                            seq = db_property(f, path, "SeqNum");

        g_assert_cmpstr(g_variant_get_string(name, NULL), ==, DB_NAME);
        g_assert_cmpstr(g_variant_get_string(kind, NULL), ==, "volatile");
        g_assert_cmpuint(g_variant_get_uint32(id), ==, ltdb_db_id(DB_NAME));
        g_assert_cmpstr(g_variant_get_string(p, NULL), ==, file);
        g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));
        g_assert_cmpuint(g_variant_get_uint64(seq), ==, 0);
        g_assert_false(db_bool(f, "ReadOnly"));
        g_assert_false(db_bool(f, "Sticky"));
}

/* CTDB's id of locking.tdb: the Jenkins hash of the name with its NUL. */
static void test_id_of_locking_tdb(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, "locking.tdb");
        g_autoptr(GVariant) id = db_property(f, path, "Id");

        g_assert_cmpstr(path, ==, DB_PREFIX "/locking_2etdb");
        g_assert_cmpuint(g_variant_get_uint32(id), ==, ltdb_db_id("locking.tdb"));
}

/* InterfacesAdded on the ObjectManager at /org/ctdb/db1, PropertiesChanged for Databases. */
static void on_signal(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                      const char *signal, GVariant *params, gpointer userdata) {
        GPtrArray *seen = userdata;

        if (strcmp(signal, "InterfacesAdded") == 0) {
                const char *obj;

                g_variant_get_child(params, 0, "&o", &obj);
                g_ptr_array_add(seen, g_strdup_printf("added %s", obj));
        } else if (strcmp(path, PATH) == 0) {
                g_autoptr(GVariant) changed = g_variant_get_child_value(params, 1);

                if (g_variant_lookup_value(changed, "Databases", NULL))
                        g_ptr_array_add(seen, g_strdup("Databases"));
        }
}

static gboolean seen_both(gpointer userdata) {
        GPtrArray *seen = userdata;
        gboolean added = FALSE, changed = FALSE;

        for (guint i = 0; i < seen->len; i++) {
                added |= strcmp(seen->pdata[i], "added " DB_PATH) == 0;
                changed |= strcmp(seen->pdata[i], "Databases") == 0;
        }
        return added && changed;
}

static void test_attach_signals(Fixture *f, gconstpointer data) {
        g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
        guint a = g_dbus_connection_signal_subscribe(
                f->bus->conn, NAME, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded", PATH, NULL,
                G_DBUS_SIGNAL_FLAGS_NONE, on_signal, seen, NULL);
        guint c = g_dbus_connection_signal_subscribe(f->bus->conn, NAME, "org.freedesktop.DBus.Properties",
                                                     "PropertiesChanged", PATH, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_signal, seen, NULL);
        g_autofree char *path = attach(f, DB_NAME);

        g_assert_true(test_wait_condition(seen_both, seen, 5000));
        g_dbus_connection_signal_unsubscribe(f->bus->conn, a);
        g_dbus_connection_signal_unsubscribe(f->bus->conn, c);
}

/* `busctl tree org.ctdb.db1` finds every database: the prefix lists it as a child node. */
static void test_tree_lists_databases(Fixture *f, gconstpointer data) {
        g_autofree char *a = attach(f, DB_NAME), *b = attach(f, "locking.tdb");
        g_autoptr(GVariant) reply = NULL, objects = NULL;
        g_autoptr(GDBusNodeInfo) node = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) obj = NULL;
        const char *xml;
        gboolean found[2] = { FALSE, FALSE };

        call_ok(f, DB_PREFIX, "org.freedesktop.DBus.Introspectable", "Introspect", NULL, &reply);
        g_variant_get(reply, "(&s)", &xml);
        node = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        for (size_t i = 0; node->nodes && node->nodes[i]; i++) {
                found[0] |= strcmp(node->nodes[i]->path, "test_2etdb") == 0;
                found[1] |= strcmp(node->nodes[i]->path, "locking_2etdb") == 0;
        }
        g_assert_true(found[0] && found[1]);

        call_ok(f, PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL, &objects);
        obj = g_variant_get_child_value(objects, 0);
        g_assert_true(g_variant_lookup(obj, DB_PATH, "@a{sa{sv}}", NULL));
}

static void test_introspection_matches_xml(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);

        test_check_introspection(f->bus, NAME, "org.ctdb.db1.Manager.xml", PATH, IFACE);
        test_check_introspection(f->bus, NAME, "org.ctdb.db1.Database.xml", path, DB_IFACE);
}

static void test_detach_not_supported(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);

        call_fails(f, PATH, IFACE, "Detach", g_variant_new("(s)", DB_NAME), NOT_SUPPORTED);
        call_fails(f, PATH, IFACE, "Detach", g_variant_new("(s)", "nosuch.tdb"), NOT_FOUND);
}

/* persistent and replicated come with the next issue. */
/* ---- records ----------------------------------------------------------------------- */

static void test_store_fetch(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        g_autoptr(GVariant) records = NULL;

        store(f, "key", "value");
        assert_value(f, "key", "value");
        store(f, "key", "second");
        assert_value(f, "key", "second");
        records = db_property(f, path, "Records");
        g_assert_cmpuint(g_variant_get_uint64(records), >=, 1);
}

static void test_fetch_missing(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);

        assert_no_record(f, "never-stored");
}

static void test_delete(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);

        store(f, "key", "value");
        call_ok(f, DB_PATH, DB_IFACE, "Delete", g_variant_new("(@ay)", bytes("key")), NULL);
        assert_no_record(f, "key");
}

static void test_keys(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        const char *const want[] = { "a", "b", "c", NULL };
        g_auto(GStrv) all = NULL, two = NULL, none = NULL;

        none = keys(f, 0);
        g_assert_cmpuint(g_strv_length(none), ==, 0);
        store(f, "b", "2");
        store(f, "a", "1");
        store(f, "c", "3");
        all = keys(f, 0);
        g_assert_true(g_strv_equal((const char *const *) all, want));
        two = keys(f, 2);
        g_assert_cmpuint(g_strv_length(two), ==, 2);
        for (size_t i = 0; two[i]; i++)
                g_assert_true(g_strv_contains(want, two[i]));
}

/* A deleted record is a header-only one: not a live key. */
static void test_keys_skip_deleted(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        const char *const want[] = { "kept", NULL };
        g_auto(GStrv) got = NULL;

        store(f, "kept", "1");
        store(f, "gone", "2");
        call_ok(f, DB_PATH, DB_IFACE, "Delete", g_variant_new("(@ay)", bytes("gone")), NULL);
        got = keys(f, 0);
        g_assert_true(g_strv_equal((const char *const *) got, want));
}

static void test_wipe(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        g_auto(GStrv) left = NULL;

        store(f, "a", "1");
        store(f, "b", "2");
        call_ok(f, DB_PATH, DB_IFACE, "Wipe", NULL, NULL);
        left = keys(f, 0);
        g_assert_cmpuint(g_strv_length(left), ==, 0);
        assert_no_record(f, "a");
}

/* ---- transactions: the checks of the call (they pass without the engine) ----------- */

/* Transaction's arguments: store as NULL-terminated key, value pairs, delete as keys. */
static GVariant *txn_args(const char *const *store, const char *const *del) {
        GVariantBuilder s, d;

        g_variant_builder_init(&s, G_VARIANT_TYPE("a(ayay)"));
        for (size_t i = 0; store && store[i]; i += 2)
                g_variant_builder_add(&s, "(@ay@ay)", bytes(store[i]), bytes(store[i + 1]));
        g_variant_builder_init(&d, G_VARIANT_TYPE("aay"));
        for (size_t i = 0; del && del[i]; i++)
                g_variant_builder_add(&d, "@ay", bytes(del[i]));
        return g_variant_new("(a(ayay)aay)", &s, &d);
}

/* Transaction(args) on test.tdb is InvalidArgs, and its message says want. */
static void txn_invalid(Fixture *f, GVariant *args, const char *want) {
        g_autofree char *msg = NULL;
        g_autofree char *err = call_full(f, DB_PATH, DB_IFACE, "Transaction", args, NULL, &msg);

        g_assert_cmpstr(err, ==, INVALID_ARGS);
        g_assert_nonnull(msg);
        g_assert_nonnull(strstr(msg, want));
}

static void test_transaction_volatile(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        const char *const store_[] = { "k", "v", NULL };

        txn_invalid(f, txn_args(store_, NULL),
                    "is volatile: transactions are for persistent and replicated");
        assert_no_record(f, "k");
}

static void test_transaction_invalid_empty_key(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        const char *const store_[] = { "a", "1", "", "v", NULL };
        const char *const del[] = { "", NULL };

        txn_invalid(f, txn_args(store_, NULL), "Record 1 of store has an empty key");
        txn_invalid(f, txn_args(NULL, del), "Record 0 of delete has an empty key");
}

static void test_transaction_invalid_empty_value(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        const char *const store_[] = { "k", "", NULL };

        txn_invalid(f, txn_args(store_, NULL), "has an empty value; to delete the key, put it in delete");
}

static void test_transaction_invalid_duplicate(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        const char *const store_[] = { "a", "1", "k", "v", NULL };
        const char *const store_twice[] = { "k", "v", "k", "w", NULL };
        const char *const del[] = { "b", "k", NULL };
        const char *const del_twice[] = { "k", "k", NULL };

        txn_invalid(f, txn_args(store_, del), "The key \"k\" is both in store and in delete");
        txn_invalid(f, txn_args(store_twice, NULL), "The key \"k\" is twice in store");
        txn_invalid(f, txn_args(NULL, del_twice), "The key \"k\" is twice in delete");
}

static void test_transaction_invalid_oversize(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        GVariantBuilder s, d;

        g_variant_builder_init(&s, G_VARIANT_TYPE("a(ayay)"));
        g_variant_builder_add(&s, "(@ay@ay)", zeros(DB_KEY_MAX + 1), bytes("v"));
        g_variant_builder_init(&d, G_VARIANT_TYPE("aay"));
        txn_invalid(f, g_variant_new("(a(ayay)aay)", &s, &d), "above the limit of 16384 bytes (DB_KEY_MAX)");
        g_variant_builder_init(&s, G_VARIANT_TYPE("a(ayay)"));
        g_variant_builder_add(&s, "(@ay@ay)", bytes("k"), zeros(DB_VALUE_MAX + 1));
        g_variant_builder_init(&d, G_VARIANT_TYPE("aay"));
        txn_invalid(f, g_variant_new("(a(ayay)aay)", &s, &d),
                    "above the limit of 262144 bytes (DB_VALUE_MAX)");
        g_variant_builder_init(&s, G_VARIANT_TYPE("a(ayay)"));
        g_variant_builder_init(&d, G_VARIANT_TYPE("aay"));
        g_variant_builder_add(&d, "@ay", zeros(DB_KEY_MAX + 1));
        txn_invalid(f, g_variant_new("(a(ayay)aay)", &s, &d), "Record 0 of delete: the key is 16385 bytes");
}

/* DBD_BUS_TXN_RECORDS_MAX (10000): stores and deletes together. */
static void test_transaction_invalid_too_many(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        GVariantBuilder s, d;

        g_variant_builder_init(&s, G_VARIANT_TYPE("a(ayay)"));
        g_variant_builder_init(&d, G_VARIANT_TYPE("aay"));
        for (guint i = 0; i < 10001; i++) {
                g_autofree char *key = g_strdup_printf("k%u", i);

                if (i % 2)
                        g_variant_builder_add(&s, "(@ay@ay)", bytes(key), bytes("v"));
                else
                        g_variant_builder_add(&d, "@ay", bytes(key));
        }
        txn_invalid(f, g_variant_new("(a(ayay)aay)", &s, &d), "More than 10000 records in one transaction");
}

/* ---- transactions committed ------------------------------------------------------- */

static guint64 seqnum(Fixture *f) {
        g_autoptr(GVariant) v = db_property(f, DB_PATH, "SeqNum");

        return g_variant_get_uint64(v);
}

static void transaction(Fixture *f, const char *const *store_, const char *const *del) {
        call_ok(f, DB_PATH, DB_IFACE, "Transaction", txn_args(store_, del), NULL);
}

/* data: the kind. Every commit is seen at once, and SeqNum rises by one per commit. */
static void test_transaction_commit(Fixture *f, gconstpointer data) {
        g_autofree char *path = NULL;
        const char *const first[] = { "a", "1", "b", "2", NULL };
        const char *const second[] = { "a", "3", "c", "4", NULL };
        const char *const del[] = { "b", NULL };
        guint64 seq;

        path = attach_kind(f, DB_NAME, data);
        seq = seqnum(f);
        transaction(f, first, NULL);
        g_assert_cmpuint(seqnum(f), ==, seq + 1);
        assert_value(f, "a", "1");
        assert_value(f, "b", "2");
        transaction(f, second, del);
        g_assert_cmpuint(seqnum(f), ==, seq + 2);
        assert_value(f, "a", "3");
        assert_value(f, "c", "4");
        assert_no_record(f, "b");
        /* Nothing to write: nothing committed. */
        transaction(f, NULL, NULL);
        g_assert_cmpuint(seqnum(f), ==, seq + 2);
}

/* data: the kind. Store and Delete are transactions of one record; an empty value deletes. */
static void test_transaction_store_delete(Fixture *f, gconstpointer data) {
        g_autofree char *path = NULL;
        guint64 seq;

        path = attach_kind(f, DB_NAME, data);
        seq = seqnum(f);
        store(f, "k", "v");
        g_assert_cmpuint(seqnum(f), ==, seq + 1);
        assert_value(f, "k", "v");
        call_ok(f, DB_PATH, DB_IFACE, "Delete", g_variant_new("(@ay)", bytes("k")), NULL);
        g_assert_cmpuint(seqnum(f), ==, seq + 2);
        assert_no_record(f, "k");
        store(f, "e", "x");
        store(f, "e", "");
        assert_no_record(f, "e");
        call_fails(f, DB_PATH, DB_IFACE, "Store", g_variant_new("(@ay@ay)", bytes(""), bytes("v")),
                   INVALID_ARGS);
        g_assert_cmpuint(seqnum(f), ==, seq + 4);
}

/* A malformed transaction on a persistent database commits nothing. */
static void test_transaction_invalid_commits_nothing(Fixture *f, gconstpointer data) {
        g_autofree char *path = NULL;
        const char *const store_[] = { "a", "1", "k", "v", NULL };
        const char *const del[] = { "k", NULL };
        guint64 seq;

        path = attach_kind(f, DB_NAME, "persistent");
        seq = seqnum(f);
        txn_invalid(f, txn_args(store_, del), "is both in store and in delete");
        g_assert_cmpuint(seqnum(f), ==, seq);
        assert_no_record(f, "a");
}

/* An unprivileged Transaction is AccessDenied (mock: polkit is asked, and says no) and commits nothing. */
static void check_transaction_denied(Fixture *f, gboolean mock) {
        g_autofree char *path = NULL, *err = NULL;
        const char *const store_[] = { "k", "v", NULL };
        guint64 seq;

        if (geteuid() != 0) {
                g_test_skip("the test's own calls need polkit when not root");
                return;
        }
        path = attach_kind(f, DB_NAME, "persistent");
        seq = seqnum(f);
        if (mock)
                polkit_mock_start(f, FALSE);
        err = test_call_unprivileged(f->bus, NAME, DB_PATH, DB_IFACE, "Transaction", txn_args(store_, NULL));
        g_assert_cmpstr(err, ==, ACCESS_DENIED);
        if (mock) {
                g_assert_cmpuint(test_polkit_get_calls(f->polkit), ==, 1);
                g_assert_cmpstr(test_polkit_get_action(f->polkit), ==, "org.ctdb.db1.write");
        }
        g_assert_cmpuint(seqnum(f), ==, seq);
        assert_no_record(f, "k");
}

static void test_transaction_denied_without_polkit(Fixture *f, gconstpointer data) {
        check_transaction_denied(f, FALSE);
}

static void test_transaction_denied_by_polkit(Fixture *f, gconstpointer data) {
        check_transaction_denied(f, TRUE);
}

typedef struct SeqNumSignals {
        GArray *values; /* guint64, as signalled */
} SeqNumSignals;

static void on_seqnum_changed(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                              const char *signal, GVariant *params, gpointer userdata) {
        SeqNumSignals *s = userdata;
        g_autoptr(GVariant) changed = g_variant_get_child_value(params, 1);
        g_autoptr(GVariant) v = g_variant_lookup_value(changed, "SeqNum", G_VARIANT_TYPE_UINT64);
        guint64 seq;

        if (!v)
                return;
        seq = g_variant_get_uint64(v);
        g_array_append_val(s->values, seq);
}

typedef struct SeqNumWait {
        SeqNumSignals *s;
        guint64 want;
} SeqNumWait;

static gboolean seqnum_signalled(gpointer userdata) {
        SeqNumWait *w = userdata;

        return w->s->values->len > 0 &&
               g_array_index(w->s->values, guint64, w->s->values->len - 1) == w->want;
}

/* SeqNum's PropertiesChanged: the last value always comes, at most one per 100 ms. */
static void test_transaction_seqnum_signal(Fixture *f, gconstpointer data) {
        g_autofree char *path = NULL;
        SeqNumSignals s = { g_array_new(FALSE, FALSE, sizeof(guint64)) };
        SeqNumWait w = { &s };
        gint64 start, elapsed_ms;
        guint id;
        guint64 seq;

        path = attach_kind(f, DB_NAME, "persistent");
        seq = seqnum(f);
        id = g_dbus_connection_signal_subscribe(f->bus->conn, NAME, "org.freedesktop.DBus.Properties",
                                                "PropertiesChanged", DB_PATH, DB_IFACE,
                                                G_DBUS_SIGNAL_FLAGS_NONE, on_seqnum_changed, &s, NULL);
        start = g_get_monotonic_time();
        for (guint i = 0; i < 30; i++) {
                g_autofree char *key = g_strdup_printf("k%u", i);
                const char *const store_[] = { key, "v", NULL };

                transaction(f, store_, NULL);
        }
        w.want = seq + 30;
        g_assert_true(test_wait_condition(seqnum_signalled, &w, 5000));
        elapsed_ms = (g_get_monotonic_time() - start) / 1000;
        g_dbus_connection_signal_unsubscribe(f->bus->conn, id);
        g_assert_cmpuint(s.values->len, <=, (guint) (elapsed_ms / 100) + 2);
        for (guint i = 1; i < s.values->len; i++)
                g_assert_cmpuint(g_array_index(s.values, guint64, i), >,
                                 g_array_index(s.values, guint64, i - 1));
        g_array_unref(s.values);
}

typedef struct FlagWait {
        const char *prop;
        gboolean seen;
} FlagWait;

static void on_flag_changed(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                            const char *signal, GVariant *params, gpointer userdata) {
        FlagWait *w = userdata;
        g_autoptr(GVariant) changed = g_variant_get_child_value(params, 1);
        g_autoptr(GVariant) v = g_variant_lookup_value(changed, w->prop, G_VARIANT_TYPE_BOOLEAN);

        if (v && g_variant_get_boolean(v))
                w->seen = TRUE;
}

/* SetReadOnly/SetSticky: the property turns true with a PropertiesChanged; a second call is a no-op. */
static void check_flag(Fixture *f, const char *method, const char *prop) {
        g_autofree char *path = attach(f, DB_NAME);
        FlagWait w = { .prop = prop };
        guint id = g_dbus_connection_signal_subscribe(f->bus->conn, NAME, "org.freedesktop.DBus.Properties",
                                                      "PropertiesChanged", DB_PATH, DB_IFACE,
                                                      G_DBUS_SIGNAL_FLAGS_NONE, on_flag_changed, &w, NULL);

        g_assert_false(db_bool(f, prop));
        call_ok(f, DB_PATH, DB_IFACE, method, NULL, NULL);
        g_assert_true(db_bool(f, prop));
        g_assert_true(test_wait_flag(&w.seen, 5000));
        call_ok(f, DB_PATH, DB_IFACE, method, NULL, NULL);
        g_assert_true(db_bool(f, prop));
        g_dbus_connection_signal_unsubscribe(f->bus->conn, id);
        /* The records still work under the flag (and the recovery it asked for). */
        store(f, "key", "value");
        assert_value(f, "key", "value");
}

static void test_set_readonly(Fixture *f, gconstpointer data) {
        check_flag(f, "SetReadOnly", "ReadOnly");
}

static void test_set_sticky(Fixture *f, gconstpointer data) {
        check_flag(f, "SetSticky", "Sticky");
}

/* ---- bad input --------------------------------------------------------------------- */

static void test_unknown_database(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        const char *nosuch = DB_PREFIX "/nosuch_2etdb";
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = NULL;
        g_autofree char *name = NULL;

        call_fails(f, nosuch, DB_IFACE, "Fetch", g_variant_new("(@ay)", bytes("k")), NOT_FOUND);
        call_fails(f, nosuch, DB_IFACE, "Store", g_variant_new("(@ay@ay)", bytes("k"), bytes("v")),
                   NOT_FOUND);
        call_fails(f, nosuch, DB_IFACE, "Keys", g_variant_new("(u)", 10), NOT_FOUND);
        v = g_dbus_connection_call_sync(f->bus->conn, NAME, nosuch, "org.freedesktop.DBus.Properties", "Get",
                                        g_variant_new("(ss)", DB_IFACE, "Name"), NULL,
                                        G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
        g_assert_null(v);
        name = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(name, ==, NOT_FOUND);
}

static void test_invalid_key_and_value(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);

        call_fails(f, DB_PATH, DB_IFACE, "Fetch", g_variant_new("(@ay)", zeros(DB_KEY_MAX + 1)),
                   INVALID_ARGS);
        call_fails(f, DB_PATH, DB_IFACE, "Store",
                   g_variant_new("(@ay@ay)", zeros(DB_KEY_MAX + 1), bytes("v")), INVALID_ARGS);
        call_fails(f, DB_PATH, DB_IFACE, "Delete", g_variant_new("(@ay)", zeros(DB_KEY_MAX + 1)),
                   INVALID_ARGS);
        call_fails(f, DB_PATH, DB_IFACE, "Store",
                   g_variant_new("(@ay@ay)", bytes("k"), zeros(DB_VALUE_MAX + 1)), INVALID_ARGS);
        assert_no_record(f, "k");
        /* At the limits it is fine. */
        call_ok(f, DB_PATH, DB_IFACE, "Store",
                g_variant_new("(@ay@ay)", zeros(DB_KEY_MAX), zeros(DB_VALUE_MAX)), NULL);
}

static void test_invalid_keys_max(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        g_auto(GStrv) at_limit = NULL;

        call_fails(f, DB_PATH, DB_IFACE, "Keys", g_variant_new("(u)", KEYS_MAX + 1), INVALID_ARGS);
        at_limit = keys(f, KEYS_MAX);
        g_assert_cmpuint(g_strv_length(at_limit), ==, 0);
}

static void test_invalid_attach(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);

        call_fails(f, PATH, IFACE, "Attach", g_variant_new("(ss)", "x.tdb", "fast"), INVALID_ARGS);
        call_fails(f, PATH, IFACE, "Attach", g_variant_new("(ss)", "a/b", "volatile"), INVALID_ARGS);
        call_fails(f, PATH, IFACE, "Attach", g_variant_new("(ss)", "", "volatile"), INVALID_ARGS);
        call_fails(f, PATH, IFACE, "Attach", g_variant_new("(ss)", "..", "volatile"), INVALID_ARGS);
        /* Attached already, as another kind. */
        call_fails(f, PATH, IFACE, "Attach", g_variant_new("(ss)", DB_NAME, "persistent"), INVALID_ARGS);
}

/* ---- polkit ------------------------------------------------------------------------ */

static char *call_unprivileged(Fixture *f, const char *method, GVariant *args) {
        return test_call_unprivileged(f->bus, NAME, DB_PATH, DB_IFACE, method, args);
}

static void test_store_denied_without_polkit(Fixture *f, gconstpointer data) {
        g_autofree char *path = NULL, *err = NULL;

        if (geteuid() != 0) {
                g_test_skip("the test's own calls need polkit when not root");
                return;
        }
        path = attach(f, DB_NAME);
        err = call_unprivileged(f, "Store", g_variant_new("(@ay@ay)", bytes("k"), bytes("v")));
        g_assert_cmpstr(err, ==, ACCESS_DENIED);
        assert_no_record(f, "k");
}

static void test_store_denied_by_polkit(Fixture *f, gconstpointer data) {
        g_autofree char *path = NULL, *err = NULL, *read_err = NULL;

        if (geteuid() != 0) {
                g_test_skip("the test's own calls need polkit to say yes when not root");
                return;
        }
        path = attach(f, DB_NAME);
        store(f, "k", "before");
        polkit_mock_start(f, FALSE);
        err = call_unprivileged(f, "Store", g_variant_new("(@ay@ay)", bytes("k"), bytes("after")));
        g_assert_cmpstr(err, ==, ACCESS_DENIED);
        g_assert_cmpuint(test_polkit_get_calls(f->polkit), ==, 1);
        g_assert_cmpstr(test_polkit_get_action(f->polkit), ==, "org.ctdb.db1.write");
        g_assert_cmpstr(test_polkit_get_subject_kind(f->polkit), ==, "system-bus-name");
        assert_value(f, "k", "before");
        /* Reading asks too (org.ctdb.db1.read): records may hold what a share keeps private. */
        read_err = call_unprivileged(f, "Fetch", g_variant_new("(@ay)", bytes("k")));
        g_assert_cmpstr(read_err, ==, ACCESS_DENIED);
        g_assert_cmpstr(test_polkit_get_action(f->polkit), ==, "org.ctdb.db1.read");
}

static void test_store_allowed_by_polkit(Fixture *f, gconstpointer data) {
        g_autofree char *path = NULL, *err = NULL, *read_err = NULL;

        polkit_mock_start(f, TRUE);
        path = attach(f, DB_NAME);
        err = call_unprivileged(f, "Store", g_variant_new("(@ay@ay)", bytes("k"), bytes("v")));
        g_assert_null(err);
        g_assert_cmpstr(test_polkit_get_action(f->polkit), ==, "org.ctdb.db1.write");
        assert_value(f, "k", "v");
        read_err = call_unprivileged(f, "Fetch", g_variant_new("(@ay)", bytes("k")));
        g_assert_null(read_err);
        g_assert_cmpstr(test_polkit_get_action(f->polkit), ==, "org.ctdb.db1.read");
}

/* ---- ctdbctl db ---------------------------------------------------------------------- */

/* Runs the built ctdbctl with args (DBUS_SYSTEM_BUS_ADDRESS is the test bus); returns its exit code. */
static int ctdbctl(const char *const *args, char **ret_out, char **ret_err) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *out = NULL, *err = NULL;
        int status;

        g_ptr_array_add(argv, test_build_path("tools/ctdbctl"));
        for (size_t i = 0; args[i]; i++)
                g_ptr_array_add(argv, g_strdup(args[i]));
        g_ptr_array_add(argv, NULL);
        status = test_run((const char *const *) argv->pdata, &out, &err, CTDBCTL_TIMEOUT_MS);
        g_assert_true(WIFEXITED(status));
        g_test_message("ctdbctl %s %s -> %d\n%s%s", args[0], args[1] ? args[1] : "", WEXITSTATUS(status),
                       out, err);
        if (ret_out)
                *ret_out = g_steal_pointer(&out);
        if (ret_err)
                *ret_err = g_steal_pointer(&err);
        return WEXITSTATUS(status);
}

/* Exit 0 and exactly want on stdout. */
static void ctdbctl_prints(const char *const *args, const char *want) {
        g_autofree char *out = NULL;

        g_assert_cmpint(ctdbctl(args, &out, NULL), ==, 0);
        g_assert_cmpstr(out, ==, want);
}

static void test_ctdbctl_records(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        const char *put[] = { "db", "put", DB_NAME, "key", "value", NULL };
        const char *get[] = { "db", "get", DB_NAME, "key", NULL };
        const char *del[] = { "db", "delete", DB_NAME, "key", NULL };
        const char *keys_[] = { "db", "keys", DB_NAME, NULL };
        g_autofree char *err = NULL;

        ctdbctl_prints(put, "");
        ctdbctl_prints(get, "value\n");
        assert_value(f, "key", "value");
        ctdbctl_prints(keys_, "key\n");
        ctdbctl_prints(del, "");
        /* A missing record: exit 4 with NotFound's message. */
        g_assert_cmpint(ctdbctl(get, NULL, &err), ==, 4);
        g_assert_nonnull(strstr(err, "No record"));
}

static void test_ctdbctl_list_attach(Fixture *f, gconstpointer data) {
        const char *attach_[] = { "db", "attach", DB_NAME, NULL };
        const char *list[] = { "db", "list", NULL };
        const char *jlist[] = { "--json", "db", "list", NULL };
        const char *bad_kind[] = { "db", "attach", "x.tdb", "fast", NULL };
        g_autofree char *out = NULL, *jout = NULL;

        privileged(f);
        ctdbctl_prints(attach_, "");
        g_assert_cmpint(ctdbctl(list, &out, NULL), ==, 0);
        g_assert_nonnull(strstr(out, DB_NAME));
        g_assert_nonnull(strstr(out, "volatile"));
        g_assert_cmpint(ctdbctl(jlist, &jout, NULL), ==, 0);
        g_assert_nonnull(strstr(jout, "{\"databases\":[{\"name\":\"test.tdb\",\"path\":\"" DB_PATH
                                      "\",\"kind\":\"volatile\",\"id\":"));
        g_assert_cmpint(ctdbctl(bad_kind, NULL, NULL), ==, 1);
}

/* Bytes that are not printable text come out as hex; --hex takes and prints hex. */
static void test_ctdbctl_hex(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        const char *put[] = { "db", "put", "--hex", DB_NAME, "00ff", "0a0b41", NULL };
        const char *get[] = { "db", "get", DB_NAME, "--hex", "00ff", NULL };
        const char *get_text[] = { "db", "get", "--hex", DB_NAME, "6b", NULL };
        const char *put_text[] = { "db", "put", DB_NAME, "k", "text", NULL };
        const char *get_plain[] = { "db", "get", DB_NAME, "k", NULL };
        const char *keys_[] = { "db", "keys", DB_NAME, NULL };
        const char *bad_hex[] = { "db", "get", "--hex", DB_NAME, "0g", NULL };

        ctdbctl_prints(put, "");
        ctdbctl_prints(get, "0a0b41\n");
        ctdbctl_prints(put_text, "");
        ctdbctl_prints(get_plain, "text\n");
        ctdbctl_prints(get_text, "74657874\n");
        {
                g_autofree char *out = NULL;

                g_assert_cmpint(ctdbctl(keys_, &out, NULL), ==, 0);
                g_assert_true(g_str_equal(out, "0x00ff\nk\n") || g_str_equal(out, "k\n0x00ff\n"));
        }
        g_assert_cmpint(ctdbctl(bad_hex, NULL, NULL), ==, 1);
}

static void test_ctdbctl_json(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        const char *put[] = { "db", "put", "--json", DB_NAME, "key", "value", NULL };
        const char *get[] = { "--json", "db", "get", DB_NAME, "key", NULL };
        const char *keys_[] = { "db", "keys", DB_NAME, "--json", NULL };
        const char *dump[] = { "db", "dump", DB_NAME, "--json", NULL };
        const char *missing[] = { "--json", "db", "get", DB_NAME, "nokey", NULL };

        ctdbctl_prints(put, "{\"ok\":true,\"verb\":\"db put\",\"db\":\"test.tdb\"}\n");
        ctdbctl_prints(get, "{\"key\":\"key\",\"key_hex\":\"6b6579\",\"value\":\"value\",\"value_hex\":"
                            "\"76616c7565\"}\n");
        ctdbctl_prints(keys_, "{\"keys\":[{\"key\":\"key\",\"key_hex\":\"6b6579\"}]}\n");
        ctdbctl_prints(dump, "{\"records\":[{\"key\":\"key\",\"key_hex\":\"6b6579\",\"value\":\"value\","
                             "\"value_hex\":\"76616c7565\",\"dmaster\":0,\"rsn\":0,\"flags\":0}]}\n");
        {
                g_autofree char *out = NULL;

                g_assert_cmpint(ctdbctl(missing, &out, NULL), ==, 4);
                g_assert_nonnull(strstr(out, "\"ok\":false,\"error\":\"org.ctdb.Error.NotFound\""));
        }
}

static void test_ctdbctl_dump_wipe_flags(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        const char *dump[] = { "db", "dump", DB_NAME, NULL };
        const char *wipe[] = { "db", "wipe", DB_NAME, NULL };
        const char *ro[] = { "db", "readonly", DB_NAME, NULL };
        const char *sticky[] = { "db", "sticky", DB_NAME, NULL };
        const char *max[] = { "db", "keys", DB_NAME, "--max", "1", NULL };
        const char *bad_max[] = { "db", "keys", DB_NAME, "--max", "100001", NULL };
        const char *no_db[] = { "db", "keys", "nosuch.tdb", NULL };
        g_autofree char *out = NULL, *max_out = NULL;

        store(f, "a", "1");
        store(f, "b", "2");
        g_assert_cmpint(ctdbctl(dump, &out, NULL), ==, 0);
        /* ctdb catdb's layout; one node, the lmaster created both: rsn 0, dmaster 0. */
        g_assert_nonnull(
                strstr(out, "key(1) = \"a\"\ndmaster: 0\nrsn: 0\nflags: 0x00000000\ndata(1) = \"1\"\n"));
        g_assert_nonnull(
                strstr(out, "key(1) = \"b\"\ndmaster: 0\nrsn: 0\nflags: 0x00000000\ndata(1) = \"2\"\n"));
        g_assert_nonnull(strstr(out, "Dumped 2 records\n"));
        g_assert_cmpint(ctdbctl(max, &max_out, NULL), ==, 0);
        g_assert_cmpuint(strlen(max_out), ==, 2);
        g_assert_cmpint(ctdbctl(bad_max, NULL, NULL), ==, 1);
        g_assert_cmpint(ctdbctl(no_db, NULL, NULL), ==, 4);
        ctdbctl_prints(wipe, "");
        assert_no_record(f, "a");
        ctdbctl_prints(ro, "");
        g_assert_true(db_bool(f, "ReadOnly"));
        ctdbctl_prints(sticky, "");
        g_assert_true(db_bool(f, "Sticky"));
}

/* ptrans refuses a volatile database and a bad line (exit 1, nothing sent); seqnum of a volatile one is 0.
 */
static void test_ctdbctl_ptrans_refused(Fixture *f, gconstpointer data) {
        g_autofree char *path = attach(f, DB_NAME);
        g_autofree char *good = test_write_file(f->bus, "good.ptrans", "\"k\" \"v\"\n");
        g_autofree char *bad = test_write_file(f->bus, "bad.ptrans", "\"a\" \"1\"\n\"key3\"\n");
        const char *volatile_[] = { "db", "ptrans", DB_NAME, good, NULL };
        const char *bad_line[] = { "db", "ptrans", DB_NAME, bad, NULL };
        const char *seq[] = { "db", "seqnum", DB_NAME, NULL };
        const char *jseq[] = { "--json", "db", "seqnum", DB_NAME, NULL };
        const char *no_db[] = { "db", "seqnum", "nosuch.tdb", NULL };
        g_autofree char *err = NULL, *bad_err = NULL;

        g_assert_cmpint(ctdbctl(volatile_, NULL, &err), ==, 1);
        g_assert_nonnull(strstr(err, "is volatile"));
        g_assert_cmpint(ctdbctl(bad_line, NULL, &bad_err), ==, 1);
        g_assert_nonnull(strstr(bad_err, ":2: the value is missing"));
        assert_no_record(f, "k");
        assert_no_record(f, "a");
        ctdbctl_prints(seq, "0\n");
        ctdbctl_prints(jseq, "{\"db\":\"test.tdb\",\"seqnum\":0}\n");
        g_assert_cmpint(ctdbctl(no_db, NULL, NULL), ==, 4);
}

/* Needs the engine: attach persistent, ptrans (CTDB's tool test), seqnum, put/get/delete. */
static void test_ctdbctl_persistent(Fixture *f, gconstpointer data) {
        g_autofree char *input = NULL, *input2 = NULL;
        guint32 gen = cluster_u32(f, "Generation");
        const char *attach_[] = { "db", "attach", DB_NAME, "persistent", NULL };
        const char *put[] = { "db", "put", DB_NAME, "key0", "value0", NULL };
        const char *ptrans[] = { "db", "ptrans", DB_NAME, NULL, NULL };
        const char *jptrans[] = { "--json", "db", "ptrans", DB_NAME, NULL, NULL };
        const char *get0[] = { "db", "get", DB_NAME, "key0", NULL };
        const char *get1[] = { "db", "get", DB_NAME, "key1", NULL };
        const char *get2[] = { "db", "get", DB_NAME, "key2", NULL };
        const char *del[] = { "db", "delete", DB_NAME, "key0", NULL };
        const char *seq[] = { "db", "seqnum", DB_NAME, NULL };

        privileged(f);
        input = test_write_file(
                f->bus, "in.ptrans",
                "\"key1\" \"value1\"\n\"key2\" \"value2\"\n\"key1\" \"\"\n\"key2\" \"value3\"\n");
        input2 = test_write_file(f->bus, "in2.ptrans", "key3 v3\n\"key2\" \"\"\n");
        ptrans[3] = input;
        jptrans[4] = input2;
        ctdbctl_prints(attach_, "");
        wait_settled(f, gen);
        ctdbctl_prints(put, "");
        ctdbctl_prints(ptrans, "");
        ctdbctl_prints(get0, "value0\n");
        ctdbctl_prints(get2, "value3\n");
        g_assert_cmpint(ctdbctl(get1, NULL, NULL), ==, 4);
        ctdbctl_prints(seq, "2\n");
        ctdbctl_prints(
                jptrans,
                "{\"ok\":true,\"verb\":\"db ptrans\",\"db\":\"test.tdb\",\"stored\":1,\"deleted\":1}\n");
        g_assert_cmpint(ctdbctl(get2, NULL, NULL), ==, 4);
        ctdbctl_prints(del, "");
        g_assert_cmpint(ctdbctl(get0, NULL, NULL), ==, 4);
        ctdbctl_prints(seq, "4\n");
}

/* dbd stopped: 2, naming ctdb-dbd. */
static void test_ctdbctl_not_running(Fixture *f, gconstpointer data) {
        const char *list[] = { "db", "list", NULL };
        g_autofree char *err = NULL;

        test_node_stop_dbd(f->node);
        g_assert_cmpint(ctdbctl(list, NULL, &err), ==, 2);
        g_assert_nonnull(strstr(err, "ctdb-dbd is not running"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, Fixture, NULL, setup, fn, teardown)
#define ADD_KIND(name, fn, kind) g_test_add(name, Fixture, kind, setup, fn, teardown)
        ADD("/dbd/attach", test_attach);
        ADD("/dbd/attach-again", test_attach_again);
        ADD("/dbd/attach-signals", test_attach_signals);
        ADD("/dbd/database-properties", test_database_properties);
        ADD("/dbd/id-of-locking-tdb", test_id_of_locking_tdb);
        ADD("/dbd/tree-lists-databases", test_tree_lists_databases);
        ADD("/dbd/introspection-matches-xml", test_introspection_matches_xml);
        ADD("/dbd/detach-not-supported", test_detach_not_supported);
        ADD("/dbd/store-fetch", test_store_fetch);
        ADD("/dbd/fetch-missing", test_fetch_missing);
        ADD("/dbd/delete", test_delete);
        ADD("/dbd/keys", test_keys);
        ADD("/dbd/keys-skip-deleted", test_keys_skip_deleted);
        ADD("/dbd/wipe", test_wipe);
        ADD("/dbd/transaction/volatile", test_transaction_volatile);
        ADD("/dbd/transaction/invalid/empty-key", test_transaction_invalid_empty_key);
        ADD("/dbd/transaction/invalid/empty-value", test_transaction_invalid_empty_value);
        ADD("/dbd/transaction/invalid/duplicate", test_transaction_invalid_duplicate);
        ADD("/dbd/transaction/invalid/oversize", test_transaction_invalid_oversize);
        ADD("/dbd/transaction/invalid/too-many", test_transaction_invalid_too_many);
        /* These need the transaction engine (db/dbd-txn.c); with its stub they skip. */
        ADD_KIND("/dbd/transaction/persistent/commit", test_transaction_commit, "persistent");
        ADD_KIND("/dbd/transaction/replicated/commit", test_transaction_commit, "replicated");
        ADD_KIND("/dbd/transaction/persistent/store-delete", test_transaction_store_delete, "persistent");
        ADD_KIND("/dbd/transaction/replicated/store-delete", test_transaction_store_delete, "replicated");
        ADD("/dbd/transaction/persistent/invalid-commits-nothing", test_transaction_invalid_commits_nothing);
        ADD("/dbd/transaction/persistent/denied-without-polkit", test_transaction_denied_without_polkit);
        ADD("/dbd/transaction/persistent/denied-by-polkit", test_transaction_denied_by_polkit);
        ADD("/dbd/transaction/persistent/seqnum-signal", test_transaction_seqnum_signal);
        ADD("/dbd/set-readonly", test_set_readonly);
        ADD("/dbd/set-sticky", test_set_sticky);
        ADD("/dbd/unknown-database", test_unknown_database);
        ADD("/dbd/invalid/key-and-value", test_invalid_key_and_value);
        ADD("/dbd/invalid/keys-max", test_invalid_keys_max);
        ADD("/dbd/invalid/attach", test_invalid_attach);
        ADD("/dbd/polkit/store-denied-without-polkit", test_store_denied_without_polkit);
        ADD("/dbd/polkit/store-denied-by-polkit", test_store_denied_by_polkit);
        ADD("/dbd/polkit/store-allowed-by-polkit", test_store_allowed_by_polkit);
        ADD("/dbd/ctdbctl/list-attach", test_ctdbctl_list_attach);
        ADD("/dbd/ctdbctl/records", test_ctdbctl_records);
        ADD("/dbd/ctdbctl/hex", test_ctdbctl_hex);
        ADD("/dbd/ctdbctl/json", test_ctdbctl_json);
        ADD("/dbd/ctdbctl/dump-wipe-flags", test_ctdbctl_dump_wipe_flags);
        ADD("/dbd/ctdbctl/ptrans-refused", test_ctdbctl_ptrans_refused);
        ADD("/dbd/ctdbctl/persistent", test_ctdbctl_persistent); /* needs the engine */
        ADD("/dbd/ctdbctl/not-running", test_ctdbctl_not_running);
        return g_test_run();
}
