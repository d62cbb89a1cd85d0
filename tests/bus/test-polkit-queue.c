/*
 * polkit as ctdb-clusterd sees it, with the mock of tests/lib/testpolkit.c
 * holding every question: the test answers each CheckAuthorization itself,
 * after asserting what was asked (the action and the subject), and checks that
 * the method call only goes through on "yes".
 *
 * uid 0 never reaches polkit. So when the test runs as root it first becomes
 * uid/gid 65534: the private bus, the daemons under test and the callers are all
 * then an ordinary user, which is exactly the case that must be asked.
 */

#undef NDEBUG

#include <glib.h>
#include <grp.h>
#include <stdlib.h>
#include <unistd.h>

#include "testbus.h"
#include "testnode.h"
#include "testpolkit.h"

#define NAME    "org.ctdb.cluster1"
#define PATH    "/org/ctdb/cluster1"
#define IFACE   "org.ctdb.cluster1.Manager"
#define ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define CTDB_NODE_FLAG_BANNED 0x8u
#define DEADLINE_MS 10000

typedef struct Fixture {
        TestBus *bus;
        GDBusConnection *client; /* the caller: the test's own connection */
        TestNode *node;
        TestPolkit *polkit;
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
        g_assert_true(test_wait_flag(&r->done, DEADLINE_MS));
}

static void call_manager(Fixture *f, const char *method, GVariant *args, CallResult *r) {
        g_dbus_connection_call(f->client, NAME, PATH, IFACE, method, args, NULL,
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, call_done, r);
}

static void setup(Fixture *f, gconstpointer data) {
        f->bus = test_bus_new();
        f->client = f->bus->conn;
        f->polkit = test_polkit_new(f->bus->conn, TEST_POLKIT_HOLD);
        f->node = test_node_new(f->bus, NULL);
        test_node_start_tunneld(f->node);
        test_node_start_clusterd(f->node);
}

static void teardown(Fixture *f, gconstpointer data) {
        test_node_free(f->node);
        test_polkit_free(f->polkit);
        test_bus_free(f->bus);
}

/*
 * Waits for the CheckAuthorization that the pending call caused (the mock
 * asserts its path, interface and method), asserts that it asks for action
 * about the caller, and answers it.
 */
static void answer_polkit(Fixture *f, const char *action, gboolean allow) {
        g_assert_true(test_polkit_wait_question(f->polkit, DEADLINE_MS));
        g_assert_cmpstr(test_polkit_get_subject_kind(f->polkit), ==, "system-bus-name");
        g_assert_nonnull(test_polkit_get_subject_name(f->polkit));
        g_assert_cmpstr(test_polkit_get_subject_name(f->polkit), ==,
                        g_dbus_connection_get_unique_name(f->client));
        g_assert_cmpstr(test_polkit_get_action(f->polkit), ==, action);
        test_polkit_answer(f->polkit, allow);
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

        /* Waits, with a deadline, until the bus says nobody owns the name. */
        test_polkit_release_name(f->polkit);

        call_manager(f, "Recover", NULL, &r);
        wait_call(&r);
        g_assert_nonnull(r.error);
        g_autofree char *remote = g_dbus_error_get_remote_error(r.error);
        g_assert_cmpstr(remote, ==, ACCESS_DENIED);
        g_error_free(r.error);
        g_assert_cmpuint(test_polkit_get_calls(f->polkit), ==, 0);
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
