/*
 * The systemd mock of the bus tests (see testsystemd.h), on libglib-testing's
 * GtDBusQueue connected to the test's private bus (test_dbus_queue_connect()).
 *
 * The queue's server thread answers every call as it arrives (serve()). The
 * test thread changes units and sends their PropertiesChanged; both hold
 * sd->lock while they read or write a unit and send, so a GetAll answered with
 * the old state never reaches the client after the signal of the new one (a
 * connection sends in the order its senders queued).
 *
 * GtDBusQueue does not hand out the connection that owns the name and serves
 * the objects, and a signal must come from it: the clients' matches name
 * org.freedesktop.systemd1 as the sender. It is taken from the first call that
 * reaches the mock.
 */

#include "testsystemd.h"

#include <string.h>

#include <libglib-testing/dbus-queue.h>

#include "testbus.h"
#include "testpolkit.h"

#define SD_NAME          "org.freedesktop.systemd1"
#define SD_PATH          "/org/freedesktop/systemd1"
#define SD_UNIT_PREFIX   SD_PATH "/unit/"
#define SD_MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define SD_UNIT_IFACE    "org.freedesktop.systemd1.Unit"
#define PROPERTIES_IFACE "org.freedesktop.DBus.Properties"
#define NAME_TIMEOUT_MS  5000

static const char test_systemd_xml[] = "<node>"
                                       "  <interface name='" SD_MANAGER_IFACE "'>"
                                       "    <method name='Subscribe'/>"
                                       "    <method name='LoadUnit'>"
                                       "      <arg type='s' name='name' direction='in'/>"
                                       "      <arg type='o' name='unit' direction='out'/>"
                                       "    </method>"
                                       "  </interface>"
                                       "  <interface name='" SD_UNIT_IFACE "'>"
                                       "    <property type='s' name='Id' access='read'/>"
                                       "    <property type='s' name='LoadState' access='read'/>"
                                       "    <property type='s' name='ActiveState' access='read'/>"
                                       "    <property type='s' name='SubState' access='read'/>"
                                       "    <property type='t' name='StateChangeTimestamp' access='read'/>"
                                       "  </interface>"
                                       "</node>";

typedef struct TestSystemdUnit {
        char *name, *path;
        char *load_state, *active_state, *sub_state;
        guint64 since_usec; /* CLOCK_REALTIME, as systemd's StateChangeTimestamp */
        guint object_id;    /* 0 while not exported */
} TestSystemdUnit;

struct TestSystemd {
        GDBusConnection *conn; /* the test's connection, for the waits on the name */
        GDBusNodeInfo *info;   /* the exported objects point into it */
        GtDBusQueue *queue;    /* NULL while stopped */
        guint name_id, manager_id;

        /* Written by the server thread as well as the test thread. */
        GMutex lock;
        GHashTable *units;            /* name -> TestSystemdUnit */
        GDBusConnection *server;      /* the queue's serving connection, once a call showed it */
        GMainContext *server_context; /* NULL until serve() runs */
        gboolean stopping;
        unsigned subscribes, loads;
};

char *test_systemd_unit_path(const char *name) {
        GString *path = g_string_new(SD_UNIT_PREFIX);

        /* systemd's bus_label_escape(): [A-Za-z0-9] stay, every other byte is _xx. */
        for (const char *c = name; *c; c++)
                if (g_ascii_isalnum(*c))
                        g_string_append_c(path, *c);
                else
                        g_string_append_printf(path, "_%02x", (unsigned char) *c);
        if (!*name)
                g_string_append_c(path, '_');
        return g_string_free(path, FALSE);
}

static void unit_free(gpointer p) {
        TestSystemdUnit *u = p;

        g_free(u->name);
        g_free(u->path);
        g_free(u->load_state);
        g_free(u->active_state);
        g_free(u->sub_state);
        g_free(u);
}

/* Under sd->lock. */
static TestSystemdUnit *unit_by_path(TestSystemd *sd, const char *path) {
        GHashTableIter iter;
        gpointer value;

        g_hash_table_iter_init(&iter, sd->units);
        while (g_hash_table_iter_next(&iter, NULL, &value))
                if (strcmp(((TestSystemdUnit *) value)->path, path) == 0)
                        return value;
        return NULL;
}

/* Under sd->lock: the properties of the Unit interface, all of them or only the states. */
static GVariant *unit_properties(const TestSystemdUnit *u, gboolean all) {
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        if (all)
                g_variant_builder_add(&b, "{sv}", "Id", g_variant_new_string(u->name));
        g_variant_builder_add(&b, "{sv}", "LoadState", g_variant_new_string(u->load_state));
        g_variant_builder_add(&b, "{sv}", "ActiveState", g_variant_new_string(u->active_state));
        g_variant_builder_add(&b, "{sv}", "SubState", g_variant_new_string(u->sub_state));
        g_variant_builder_add(&b, "{sv}", "StateChangeTimestamp", g_variant_new_uint64(u->since_usec));
        return g_variant_builder_end(&b);
}

/* Under sd->lock; consumes invocation. */
static void answer_get_all(TestSystemd *sd, GDBusMethodInvocation *invocation) {
        TestSystemdUnit *u = unit_by_path(sd, g_dbus_method_invocation_get_object_path(invocation));
        const char *iface;

        g_variant_get(g_dbus_method_invocation_get_parameters(invocation), "(&s)", &iface);
        if (!u || strcmp(iface, SD_UNIT_IFACE) != 0) {
                g_dbus_method_invocation_return_dbus_error(invocation,
                                                           "org.freedesktop.DBus.Error.UnknownInterface",
                                                           "The mock serves only " SD_UNIT_IFACE);
                return;
        }
        g_dbus_method_invocation_return_value(invocation,
                                              g_variant_new("(@a{sv})", unit_properties(u, TRUE)));
}

/* Under sd->lock; consumes invocation. */
static void answer_load_unit(TestSystemd *sd, GDBusMethodInvocation *invocation) {
        const char *name;
        TestSystemdUnit *u;

        g_variant_get(g_dbus_method_invocation_get_parameters(invocation), "(&s)", &name);
        u = g_hash_table_lookup(sd->units, name);
        if (!u) {
                g_dbus_method_invocation_return_dbus_error(invocation, "org.freedesktop.systemd1.NoSuchUnit",
                                                           "The test declared no such unit");
                return;
        }
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(o)", u->path));
}

/* Server thread; consumes invocation. */
static void answer(TestSystemd *sd, GDBusMethodInvocation *invocation) {
        const char *iface = g_dbus_method_invocation_get_interface_name(invocation);
        const char *method = g_dbus_method_invocation_get_method_name(invocation);

        g_mutex_lock(&sd->lock);
        if (!sd->server)
                sd->server = g_object_ref(g_dbus_method_invocation_get_connection(invocation));
        if (strcmp(iface, SD_MANAGER_IFACE) == 0 && strcmp(method, "Subscribe") == 0) {
                sd->subscribes++;
                g_dbus_method_invocation_return_value(invocation, NULL);
        } else if (strcmp(iface, SD_MANAGER_IFACE) == 0 && strcmp(method, "LoadUnit") == 0) {
                sd->loads++;
                answer_load_unit(sd, invocation);
        } else if (strcmp(iface, PROPERTIES_IFACE) == 0 && strcmp(method, "GetAll") == 0)
                answer_get_all(sd, invocation);
        else
                g_dbus_method_invocation_return_dbus_error(invocation,
                                                           "org.freedesktop.DBus.Error.UnknownMethod",
                                                           "The mock does not serve this method");
        g_mutex_unlock(&sd->lock);
}

static void answer_queued(TestSystemd *sd, GtDBusQueue *queue) {
        GDBusMethodInvocation *invocation = NULL;

        /* Not gt_dbus_queue_try_pop_message(): in libglib-testing 0.1.x it never pops (testpolkit.c). */
        while (gt_dbus_queue_get_n_messages(queue) > 0) {
                g_assert_true(gt_dbus_queue_pop_message(queue, &invocation));
                answer(sd, invocation);
        }
}

static gboolean is_stopping(TestSystemd *sd) {
        gboolean stopping;

        g_mutex_lock(&sd->lock);
        stopping = sd->stopping;
        g_mutex_unlock(&sd->lock);
        return stopping;
}

/*
 * The GtDBusQueueServerFunc: answers until test_systemd_stop() says stop. The
 * objects are unexported by then, so after what was already on its way nothing
 * new is queued, and gt_dbus_queue_disconnect() joins this thread.
 */
static void serve(GtDBusQueue *queue, gpointer userdata) {
        TestSystemd *sd = userdata;
        GMainContext *context = g_main_context_get_thread_default();

        g_mutex_lock(&sd->lock);
        sd->server_context = context;
        g_mutex_unlock(&sd->lock);

        while (!is_stopping(sd)) {
                answer_queued(sd, queue);
                g_main_context_iteration(context, TRUE);
        }
        while (g_main_context_iteration(context, FALSE))
                ;
        answer_queued(sd, queue);
}

/* Test thread: exports u's object on the queue. */
static void unit_export(TestSystemd *sd, TestSystemdUnit *u) {
        g_autoptr(GError) error = NULL;

        u->object_id = gt_dbus_queue_export_object(sd->queue, u->path, sd->info->interfaces[1], &error);
        g_assert_no_error(error);
}

void test_systemd_start(TestSystemd *sd) {
        g_autoptr(GError) error = NULL;
        GHashTableIter iter;
        gpointer value;

        g_assert_null(sd->queue);
        g_assert_true(test_wait_name_owner(sd->conn, SD_NAME, FALSE, 0));
        sd->stopping = FALSE;
        sd->queue = gt_dbus_queue_new();
        test_dbus_queue_connect(sd->queue, sd->conn);
        gt_dbus_queue_set_server_func(sd->queue, serve, sd);
        sd->manager_id = gt_dbus_queue_export_object(sd->queue, SD_PATH, sd->info->interfaces[0], &error);
        g_assert_no_error(error);
        /* The test thread alone adds units: no lock needed to walk them here. */
        g_hash_table_iter_init(&iter, sd->units);
        while (g_hash_table_iter_next(&iter, NULL, &value))
                unit_export(sd, value);
        /* The queue only sends the RequestName: wait until the bus has given the name. */
        sd->name_id = gt_dbus_queue_own_name(sd->queue, SD_NAME);
        g_assert_true(test_wait_name_owner(sd->conn, SD_NAME, TRUE, NAME_TIMEOUT_MS));
}

void test_systemd_stop(TestSystemd *sd) {
        GHashTableIter iter;
        gpointer value;

        if (!sd->queue)
                return;
        /* First no new calls, then serve() drains what came and ends; the disconnect joins it. */
        gt_dbus_queue_unexport_object(sd->queue, sd->manager_id);
        g_hash_table_iter_init(&iter, sd->units);
        while (g_hash_table_iter_next(&iter, NULL, &value)) {
                TestSystemdUnit *u = value;

                gt_dbus_queue_unexport_object(sd->queue, u->object_id);
                u->object_id = 0;
        }
        g_mutex_lock(&sd->lock);
        sd->stopping = TRUE;
        /* NULL: serve() has not started, and sees the flag before it first blocks. */
        if (sd->server_context)
                g_main_context_wakeup(sd->server_context);
        g_mutex_unlock(&sd->lock);
        /*
         * Released and waited for before the disconnect, as testpolkit.c does: what
         * the unown leaves for the server thread's context then runs there before the
         * thread ends (gt_dbus_queue_free() asserts that context has nothing left).
         */
        gt_dbus_queue_unown_name(sd->queue, sd->name_id);
        sd->name_id = 0;
        if (!g_dbus_connection_is_closed(sd->conn))
                g_assert_true(test_wait_name_owner(sd->conn, SD_NAME, FALSE, NAME_TIMEOUT_MS));
        gt_dbus_queue_disconnect(sd->queue, TRUE);
        gt_dbus_queue_free(sd->queue);
        sd->queue = NULL;

        g_mutex_lock(&sd->lock);
        g_clear_object(&sd->server);
        sd->server_context = NULL;
        g_mutex_unlock(&sd->lock);
}

TestSystemd *test_systemd_new(GDBusConnection *conn) {
        g_autoptr(GError) error = NULL;
        TestSystemd *sd = g_new0(TestSystemd, 1);

        sd->conn = g_object_ref(conn);
        g_mutex_init(&sd->lock);
        sd->units = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, unit_free);
        sd->info = g_dbus_node_info_new_for_xml(test_systemd_xml, &error);
        g_assert_no_error(error);
        test_systemd_start(sd);
        return sd;
}

void test_systemd_free(TestSystemd *sd) {
        if (!sd)
                return;
        test_systemd_stop(sd);
        g_hash_table_unref(sd->units);
        g_dbus_node_info_unref(sd->info);
        g_object_unref(sd->conn);
        g_mutex_clear(&sd->lock);
        g_free(sd);
}

/* Under sd->lock: sets *field to value; TRUE if that changed it. */
static gboolean set_state(char **field, const char *value) {
        if (g_strcmp0(*field, value) == 0)
                return FALSE;
        g_free(*field);
        *field = g_strdup(value);
        return TRUE;
}

/* A new unit, exported while served, so that LoadUnit never names an object that is not there yet. */
static TestSystemdUnit *unit_new(TestSystemd *sd, const char *name) {
        TestSystemdUnit *u = g_new0(TestSystemdUnit, 1);

        u->name = g_strdup(name);
        u->path = test_systemd_unit_path(name);
        if (sd->queue)
                unit_export(sd, u);
        return u;
}

void test_systemd_set_unit(TestSystemd *sd, const char *name, const char *load_state,
                           const char *active_state, const char *sub_state) {
        g_autoptr(GError) error = NULL;
        TestSystemdUnit *u;
        gboolean added = FALSE;

        g_mutex_lock(&sd->lock);
        u = g_hash_table_lookup(sd->units, name);
        g_mutex_unlock(&sd->lock);
        if (!u) {
                /* Outside the lock: the export waits for the server thread, which may want the lock. */
                u = unit_new(sd, name);
                added = TRUE;
        }

        g_mutex_lock(&sd->lock);
        if (added)
                g_hash_table_insert(sd->units, u->name, u);
        /* Each one, not ||: every field is set. */
        if (set_state(&u->load_state, load_state) | set_state(&u->active_state, active_state) |
            set_state(&u->sub_state, sub_state)) {
                u->since_usec = (guint64) g_get_real_time();
                /* A unit nobody could have loaded yet, or no client yet: nobody is watching. */
                if (!added && sd->server) {
                        g_autoptr(GVariant) args = g_variant_ref_sink(
                                g_variant_new("(s@a{sv}@as)", SD_UNIT_IFACE, unit_properties(u, FALSE),
                                              g_variant_new_strv(NULL, 0)));

                        g_dbus_connection_emit_signal(sd->server, NULL, u->path, PROPERTIES_IFACE,
                                                      "PropertiesChanged", args, &error);
                        g_assert_no_error(error);
                }
        }
        g_mutex_unlock(&sd->lock);
}

static unsigned get_count(TestSystemd *sd, const unsigned *count) {
        unsigned n;

        g_mutex_lock(&sd->lock);
        n = *count;
        g_mutex_unlock(&sd->lock);
        return n;
}

unsigned test_systemd_get_subscribes(TestSystemd *sd) {
        return get_count(sd, &sd->subscribes);
}

unsigned test_systemd_get_loads(TestSystemd *sd) {
        return get_count(sd, &sd->loads);
}
