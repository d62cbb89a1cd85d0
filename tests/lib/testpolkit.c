/* The polkit mock of the bus tests (see testpolkit.h). */

#include "testpolkit.h"

#include "testbus.h"

#define PK_NAME "org.freedesktop.PolicyKit1"
#define PK_PATH "/org/freedesktop/PolicyKit1/Authority"
#define PK_IFACE "org.freedesktop.PolicyKit1.Authority"
/* dbus-daemon's RequestName flag DBUS_NAME_FLAG_DO_NOT_QUEUE, and its reply "primary owner". */
#define NAME_FLAG_DO_NOT_QUEUE 4u
#define NAME_REPLY_PRIMARY_OWNER 1u
#define RELEASE_TIMEOUT_MS 5000

/* Only CheckAuthorization, the one method the daemons call. */
static const char authority_xml[] =
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

/* Consumes invocation: (is_authorized, is_challenge = no, no details). */
static void reply(GDBusMethodInvocation *invocation, gboolean allow) {
        g_dbus_method_invocation_return_value(
                invocation, g_variant_new("((bb@a{ss}))", allow, FALSE,
                                          g_variant_new_array(G_VARIANT_TYPE("{ss}"), NULL, 0)));
}

static void method_call(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                        const char *method, GVariant *params, GDBusMethodInvocation *invocation,
                        gpointer userdata) {
        TestPolkit *pk = userdata;
        g_autoptr(GVariant) details = NULL;
        const char *kind, *action;

        g_assert_cmpstr(path, ==, PK_PATH);
        g_assert_cmpstr(iface, ==, PK_IFACE);
        g_assert_cmpstr(method, ==, "CheckAuthorization");
        g_variant_get(params, "((&s@a{sv})&s@a{ss}u&s)", &kind, &details, &action, NULL, NULL, NULL);

        pk->calls++;
        g_free(pk->action);
        pk->action = g_strdup(action);
        g_free(pk->subject_kind);
        pk->subject_kind = g_strdup(kind);
        g_clear_pointer(&pk->subject_name, g_free);
        (void) g_variant_lookup(details, "name", "s", &pk->subject_name);

        if (pk->answer == TEST_POLKIT_HOLD)
                g_queue_push_tail(&pk->held, invocation);
        else
                reply(invocation, pk->answer == TEST_POLKIT_ALLOW);
}

static const GDBusInterfaceVTable vtable = { method_call, NULL, NULL, { 0 } };

TestPolkit *test_polkit_new(GDBusConnection *conn, TestPolkitAnswer answer) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml(authority_xml, &error);
        g_autoptr(GVariant) reply_v = NULL;
        TestPolkit *pk = g_new0(TestPolkit, 1);
        guint32 result;

        g_assert_no_error(error);
        pk->conn = g_object_ref(conn);
        pk->answer = answer;
        g_queue_init(&pk->held);
        pk->object = g_dbus_connection_register_object(conn, PK_PATH, info->interfaces[0], &vtable, pk, NULL,
                                                       &error);
        g_assert_no_error(error);
        /* The bus answers this itself: a blocking call needs nothing of our main context. */
        reply_v = g_dbus_connection_call_sync(
                conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName",
                g_variant_new("(su)", PK_NAME, NAME_FLAG_DO_NOT_QUEUE), G_VARIANT_TYPE("(u)"),
                G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_variant_get(reply_v, "(u)", &result);
        g_assert_cmpuint(result, ==, NAME_REPLY_PRIMARY_OWNER);
        pk->owns_name = TRUE;
        return pk;
}

void test_polkit_release_name(TestPolkit *pk) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply_v = NULL;

        if (!pk->owns_name)
                return;
        reply_v = g_dbus_connection_call_sync(pk->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                              "org.freedesktop.DBus", "ReleaseName",
                                              g_variant_new("(s)", PK_NAME), G_VARIANT_TYPE("(u)"),
                                              G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        pk->owns_name = FALSE;
        g_assert_true(test_wait_name_owner(pk->conn, PK_NAME, FALSE, RELEASE_TIMEOUT_MS));
}

void test_polkit_free(TestPolkit *pk) {
        GDBusMethodInvocation *invocation;

        if (!pk)
                return;
        while ((invocation = g_queue_pop_head(&pk->held)))
                reply(invocation, FALSE);
        /* A closed connection (the bus freed first) has already lost both. */
        if (!g_dbus_connection_is_closed(pk->conn)) {
                test_polkit_release_name(pk);
                g_dbus_connection_unregister_object(pk->conn, pk->object);
        }
        g_object_unref(pk->conn);
        g_free(pk->action);
        g_free(pk->subject_kind);
        g_free(pk->subject_name);
        g_free(pk);
}

static gboolean has_question(gpointer userdata) {
        TestPolkit *pk = userdata;

        return !g_queue_is_empty(&pk->held);
}

gboolean test_polkit_wait_question(TestPolkit *pk, unsigned timeout_ms) {
        g_assert_cmpint(pk->answer, ==, TEST_POLKIT_HOLD);
        return test_wait_condition(has_question, pk, timeout_ms);
}

void test_polkit_answer(TestPolkit *pk, gboolean allow) {
        GDBusMethodInvocation *invocation = g_queue_pop_head(&pk->held);

        g_assert_nonnull(invocation);
        reply(invocation, allow);
}
