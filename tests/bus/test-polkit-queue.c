/*
 * polkit as ctdb-clusterd sees it, mocked with libglib-testing's GtDBusQueue:
 * the test answers each CheckAuthorization itself, after asserting what was
 * asked (the action and the subject), and checks that the method call only
 * goes through on "yes".
 *
 * GtDBusQueue runs its own bus, which admits only the uid that started it, and
 * uid 0 never reaches polkit. So when the test runs as root it first becomes
 * uid/gid 65534: the bus, the daemons under test and the callers are all then
 * an ordinary user, which is exactly the case that must be asked.
 */

#undef NDEBUG

#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <libglib-testing/dbus-queue.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testbus.h"

#define NAME    "org.ctdb.cluster1"
#define PATH    "/org/ctdb/cluster1"
#define IFACE   "org.ctdb.cluster1.Manager"
#define PK_NAME "org.freedesktop.PolicyKit1"
#define PK_PATH "/org/freedesktop/PolicyKit1/Authority"
#define PK_IFACE "org.freedesktop.PolicyKit1.Authority"
#define ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define CTDB_NODE_FLAG_BANNED 0x8u
#define DEADLINE_US (10 * G_USEC_PER_SEC)

typedef struct Fixture {
        GtDBusQueue *queue;
        GDBusConnection *client;
        char *dir;
        GPid tunneld, clusterd;
        guint polkit_name, polkit_object;
        GDBusNodeInfo *polkit_info;
} Fixture;

typedef struct CallResult {
        gboolean done;
        GVariant *reply;
        GError *error;
} CallResult;

static void call_done(GObject *source, GAsyncResult *res, gpointer userdata) {
        CallResult *r = userdata;

        r->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &r->error);
        r->done = TRUE;
}

static void wait_call(CallResult *r) {
        gint64 deadline = g_get_monotonic_time() + DEADLINE_US;

        while (!r->done && g_get_monotonic_time() < deadline)
                if (!g_main_context_iteration(NULL, FALSE))
                        g_usleep(1000);
        g_assert_true(r->done);
}

static void call_manager(Fixture *f, const char *method, GVariant *args, CallResult *r) {
        g_dbus_connection_call(f->client, NAME, PATH, IFACE, method, args, NULL,
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, call_done, r);
}

static gboolean name_has_owner(Fixture *f, const char *name) {
        g_autoptr(GVariant) v = g_dbus_connection_call_sync(
                f->client, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "NameHasOwner", g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"),
                G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
        gboolean owned = FALSE;

        if (v)
                g_variant_get(v, "(b)", &owned);
        return owned;
}

/* The daemons must not outlive a test that failed an assertion. */
static void die_with_parent(gpointer userdata) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static GPid spawn(Fixture *f, const char *relative, const char *bus_name) {
        g_autofree char *binary = g_build_filename(g_getenv("CTDB_BUILD_DIR"), relative, NULL);
        const char *address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
        const char *argv[] = { binary, "--config-dir", f->dir, "--bus-address", address, "--foreground", NULL };
        g_autoptr(GError) error = NULL;
        GPid pid;
        gint64 deadline = g_get_monotonic_time() + DEADLINE_US;

        g_assert_nonnull(address);
        g_assert_true(g_spawn_async(NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL, &pid,
                                    &error));
        g_assert_no_error(error);
        while (!name_has_owner(f, bus_name)) {
                g_assert_cmpint(waitpid(pid, NULL, WNOHANG), ==, 0); /* it must not have died */
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                g_usleep(20 * 1000);
        }
        return pid;
}

static void stop(GPid pid) {
        if (pid <= 0)
                return;
        kill(pid, SIGTERM);
        g_assert_cmpint(waitpid(pid, NULL, 0), ==, pid);
}

static void setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *nodes = NULL, *conf = NULL, *run = NULL;
        guint port = (guint) g_random_int_range(20000, 60000);

        f->queue = gt_dbus_queue_new();
        g_assert_true(gt_dbus_queue_connect(f->queue, &error));
        g_assert_no_error(error);
        f->client = gt_dbus_queue_get_client_connection(f->queue);

        f->dir = g_dir_make_tmp("ctdb-polkit-XXXXXX", &error);
        g_assert_no_error(error);
        run = g_build_filename(f->dir, "run", NULL);
        g_assert_cmpint(g_mkdir(run, 0700), ==, 0);
        nodes = g_build_filename(f->dir, "nodes", NULL);
        g_assert_true(g_file_set_contents(nodes, "127.0.0.1\n", -1, NULL));
        conf = g_strdup_printf("[cluster]\ntunnel port = %u\n[paths]\nruntime directory = %s\n"
                               "state directory = %s\n",
                               port, run, f->dir);
        g_autofree char *conf_path = g_build_filename(f->dir, "ctdb.conf", NULL);
        g_assert_true(g_file_set_contents(conf_path, conf, -1, NULL));

        f->polkit_info = g_dbus_node_info_new_for_xml(test_polkit_authority_xml, &error);
        g_assert_no_error(error);
        f->polkit_object = gt_dbus_queue_export_object(f->queue, PK_PATH, f->polkit_info->interfaces[0], &error);
        g_assert_no_error(error);
        f->polkit_name = gt_dbus_queue_own_name(f->queue, PK_NAME);

        f->tunneld = spawn(f, "services/tunneld/ctdb-tunneld", "org.ctdb.tunnel1");
        f->clusterd = spawn(f, "services/clusterd/ctdb-clusterd", NAME);
}

static void teardown(Fixture *f, gconstpointer data) {
        stop(f->clusterd);
        stop(f->tunneld);
        if (f->polkit_name)
                gt_dbus_queue_unown_name(f->queue, f->polkit_name);
        gt_dbus_queue_unexport_object(f->queue, f->polkit_object);
        gt_dbus_queue_disconnect(f->queue, TRUE);
        gt_dbus_queue_free(f->queue);
        g_dbus_node_info_unref(f->polkit_info);
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
        g_assert_cmpint(system(cmd), ==, 0);
        g_free(f->dir);
}

/*
 * Pops the CheckAuthorization that the pending call caused, asserts that it asks
 * for action about the caller, and answers it.
 */
static void answer_polkit(Fixture *f, const char *action, gboolean allow) {
        g_autoptr(GDBusMethodInvocation) invocation = NULL;
        g_autoptr(GVariant) subject_details = NULL, details = NULL;
        const char *subject_kind, *action_id, *cancellation_id, *subject_name = NULL;
        guint32 flags;

        g_assert_true(gt_dbus_queue_pop_message(f->queue, &invocation));
        g_assert_cmpstr(g_dbus_method_invocation_get_object_path(invocation), ==, PK_PATH);
        g_assert_cmpstr(g_dbus_method_invocation_get_interface_name(invocation), ==, PK_IFACE);
        g_assert_cmpstr(g_dbus_method_invocation_get_method_name(invocation), ==, "CheckAuthorization");
        g_variant_get(g_dbus_method_invocation_get_parameters(invocation), "((&s@a{sv})&s@a{ss}u&s)",
                      &subject_kind, &subject_details, &action_id, &details, &flags, &cancellation_id);

        g_assert_cmpstr(subject_kind, ==, "system-bus-name");
        g_assert_true(g_variant_lookup(subject_details, "name", "&s", &subject_name));
        g_assert_cmpstr(subject_name, ==, g_dbus_connection_get_unique_name(f->client));
        g_assert_cmpstr(action_id, ==, action);

        g_dbus_method_invocation_return_value(
                g_steal_pointer(&invocation),
                g_variant_new("((bb@a{ss}))", allow, FALSE, g_variant_new_array(G_VARIANT_TYPE("{ss}"), NULL, 0)));
}

static guint32 node0_flags(Fixture *f) {
        g_autoptr(GVariant) v = g_dbus_connection_call_sync(
                f->client, NAME, PATH "/node/0", "org.freedesktop.DBus.Properties", "Get",
                g_variant_new("(ss)", "org.ctdb.cluster1.Node", "Flags"), G_VARIANT_TYPE("(v)"),
                G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
        g_autoptr(GVariant) inner = NULL;

        g_assert_nonnull(v);
        g_variant_get(v, "(v)", &inner);
        return g_variant_get_uint32(inner);
}

static void test_ban_denied(Fixture *f, gconstpointer data) {
        CallResult r = {};

        call_manager(f, "Ban", g_variant_new("(uu)", 0, 30), &r);
        answer_polkit(f, "org.ctdb.cluster1.manage", FALSE);
        wait_call(&r);

        g_assert_null(r.reply);
        g_assert_nonnull(r.error);
        g_autofree char *remote = g_dbus_error_get_remote_error(r.error);
        g_assert_cmpstr(remote, ==, ACCESS_DENIED);
        g_error_free(r.error);
        g_assert_cmpuint(node0_flags(f) & CTDB_NODE_FLAG_BANNED, ==, 0);
}

static void test_ban_allowed(Fixture *f, gconstpointer data) {
        CallResult ban = {}, unban = {};

        call_manager(f, "Ban", g_variant_new("(uu)", 0, 30), &ban);
        answer_polkit(f, "org.ctdb.cluster1.manage", TRUE);
        wait_call(&ban);
        g_assert_no_error(ban.error);
        g_variant_unref(ban.reply);
        g_assert_cmpuint(node0_flags(f) & CTDB_NODE_FLAG_BANNED, ==, CTDB_NODE_FLAG_BANNED);

        call_manager(f, "Unban", g_variant_new("(u)", 0), &unban);
        answer_polkit(f, "org.ctdb.cluster1.manage", TRUE);
        wait_call(&unban);
        g_assert_no_error(unban.error);
        g_variant_unref(unban.reply);
        g_assert_cmpuint(node0_flags(f) & CTDB_NODE_FLAG_BANNED, ==, 0);
}

/* Nobody owns org.freedesktop.PolicyKit1: denied, and nothing reaches the mock. */
static void test_no_polkit_denied(Fixture *f, gconstpointer data) {
        CallResult r = {};

        gt_dbus_queue_unown_name(f->queue, f->polkit_name);
        f->polkit_name = 0;
        while (name_has_owner(f, PK_NAME))
                g_usleep(10 * 1000);

        call_manager(f, "Recover", NULL, &r);
        wait_call(&r);
        g_assert_nonnull(r.error);
        g_autofree char *remote = g_dbus_error_get_remote_error(r.error);
        g_assert_cmpstr(remote, ==, ACCESS_DENIED);
        g_error_free(r.error);
        gt_dbus_queue_assert_no_messages(f->queue);
}

static gboolean drop_privileges(void) {
        if (geteuid() != 0)
                return TRUE;
        return setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0;
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        if (!drop_privileges()) {
                g_test_skip("cannot become uid 65534 to be an unprivileged caller");
                return EXIT_SUCCESS;
        }

        g_test_add("/polkit-queue/ban-denied", Fixture, NULL, setup, test_ban_denied, teardown);
        g_test_add("/polkit-queue/ban-allowed", Fixture, NULL, setup, test_ban_allowed, teardown);
        g_test_add("/polkit-queue/no-polkit-denied", Fixture, NULL, setup, test_no_polkit_denied, teardown);
        return g_test_run();
}
