/*
 * ctdb-monitord on a private bus, with org.freedesktop.systemd1 mocked by
 * tests/lib/testsystemd.c (a GtDBusQueue answering from a thread of its own).
 * Every test declares its units in the mock, starts the daemon with them in
 * [monitor] units, and changes their state as systemd would: the daemon must
 * follow the PropertiesChanged of each unit and publish Healthy and Services.
 *
 * polkit is mocked by tests/lib/testpolkit.c where a test needs it; as root the
 * test's own calls pass without it, and test_call_unprivileged() calls as uid
 * 65534.
 */

#undef NDEBUG

#include <glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "testbus.h"
#include "testnode.h"
#include "testpolkit.h"
#include "testsystemd.h"

#define NAME              "org.ctdb.monitor1"
#define PATH              "/org/ctdb/monitor1"
#define IFACE             "org.ctdb.monitor1.Manager"
#define UNIT              "ctdb-test.service"
#define MISSING           "ctdb-missing.service"
#define OTHER             "ctdb-other.service"
#define ACCESS_DENIED     "org.freedesktop.DBus.Error.AccessDenied"
#define NOT_CONNECTED     "org.ctdb.Error.NotConnected"
#define START_TIMEOUT_MS  10000
#define CHANGE_TIMEOUT_MS 5000
#define CALL_TIMEOUT_MS   30000

/* What a test starts with: g_test_add()'s data. */
typedef struct Setup {
        const char *units; /* [monitor] units; NULL: the key is not written */
        unsigned grace_s;  /* [monitor] activating grace; 0: the default */
        gboolean missing;  /* MISSING is watched too, and systemd has no such unit */
        gboolean no_systemd; /* monitord starts while systemd is not on the bus */
} Setup;

typedef struct Fixture {
        TestBus *bus;
        TestNode *node; /* only its configuration: etc/ under bus->dir */
        TestSystemd *systemd;
        TestPolkit *polkit; /* NULL: nobody owns org.freedesktop.PolicyKit1 */
        GPid monitord;
} Fixture;

static const Setup one_unit = { .units = UNIT };
static const Setup one_unit_short_grace = { .units = UNIT, .grace_s = 1 };
static const Setup with_missing = { .units = UNIT " " MISSING, .missing = TRUE };
static const Setup no_units = { 0 };
static const Setup without_systemd = { .units = UNIT, .no_systemd = TRUE };

/* ---- the daemon and its properties ------------------------------------------------- */

static void write_monitor_config(Fixture *f, const Setup *s) {
        g_autofree char *path = g_build_filename(f->node->config_dir, "ctdb.conf", NULL);
        g_autofree char *text = NULL, *written = NULL;
        g_autoptr(GString) conf = NULL;

        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        conf = g_string_new(text);
        g_string_append(conf, "[monitor]\n");
        if (s->units)
                g_string_append_printf(conf, "units = %s\n", s->units);
        if (s->grace_s)
                g_string_append_printf(conf, "activating grace = %u\n", s->grace_s);
        written = test_write_file(f->bus, "etc/ctdb.conf", conf->str);
}

static void start_monitord(Fixture *f) {
        const char *argv[] = { "services/monitord/ctdb-monitord",
                               "--config-dir",
                               f->node->config_dir,
                               "--bus-address",
                               f->bus->address,
                               "--foreground",
                               "--log-level",
                               "info",
                               NULL };

        f->monitord = test_spawn_daemon_ready(f->bus, argv, NAME, START_TIMEOUT_MS);
}

static void setup(Fixture *f, gconstpointer data) {
        const Setup *s = data;

        f->bus = test_bus_new();
        f->node = test_node_new(f->bus, NULL);
        write_monitor_config(f, s);
        f->systemd = test_systemd_new(f->bus->conn);
        test_systemd_set_unit(f->systemd, UNIT, "loaded", "active", "running");
        if (s->missing)
                test_systemd_set_unit(f->systemd, MISSING, "not-found", "inactive", "dead");
        if (s->no_systemd)
                test_systemd_stop(f->systemd);
        start_monitord(f);
}


static void teardown(Fixture *f, gconstpointer data) {
        if (f->monitord)
                test_stop_daemon(f->monitord);
        test_systemd_free(f->systemd);
        test_polkit_free(f->polkit);
        test_node_free(f->node);
        test_bus_free(f->bus);
}

static gboolean is_true(GVariant *v, gpointer userdata) {
        return g_variant_get_boolean(v);
}

static gboolean is_false(GVariant *v, gpointer userdata) {
        return !g_variant_get_boolean(v);
}

static gboolean get_healthy(Fixture *f) {
        g_autoptr(GVariant) v = test_get_property(f->bus, NAME, PATH, IFACE, "Healthy");

        g_assert_nonnull(v);
        return g_variant_get_boolean(v);
}

static void wait_healthy(Fixture *f, gboolean healthy) {
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Healthy", healthy ? is_true : is_false,
                                         NULL, CHANGE_TIMEOUT_MS));
}

typedef struct Service {
        const char *unit, *state, *sub_state;
        guint64 since;
} Service;

/* Finds s->unit in Services (a(ssst)) and fills in the rest of s; FALSE if it is not there. */
static gboolean find_service(GVariant *services, Service *s) {
        GVariantIter iter;
        const char *unit, *state, *sub;
        guint64 since;

        g_assert_cmpstr(g_variant_get_type_string(services), ==, "a(ssst)");
        g_variant_iter_init(&iter, services);
        while (g_variant_iter_next(&iter, "(&s&s&st)", &unit, &state, &sub, &since))
                if (strcmp(unit, s->unit) == 0) {
                        s->state = g_intern_string(state);
                        s->sub_state = g_intern_string(sub);
                        s->since = since;
                        return TRUE;
                }
        return FALSE;
}

/* userdata: the Service that must be listed, with the state it must be in. */
static gboolean service_in_state(GVariant *services, gpointer userdata) {
        const Service *want = userdata;
        Service s = { .unit = want->unit };

        return find_service(services, &s) && strcmp(s.state, want->state) == 0;
}

/* Waits until Services lists unit in state; returns what it lists for it. */
static Service wait_service(Fixture *f, const char *unit, const char *state) {
        Service want = { .unit = unit, .state = state }, s = { .unit = unit };
        g_autoptr(GVariant) services = NULL;

        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Services", service_in_state, &want,
                                         CHANGE_TIMEOUT_MS));
        services = test_get_property(f->bus, NAME, PATH, IFACE, "Services");
        g_assert_true(find_service(services, &s));
        return s;
}

/*
 * The tests start once monitord has read the unit from systemd: before that
 * it is healthy too (the first read's allowance), so Healthy says nothing of
 * whether it asked systemd yet.
 */
static void setup_read(Fixture *f, gconstpointer data) {
        const Setup *s = data;

        setup(f, data);
        if (s->units && !s->no_systemd)
                (void) wait_service(f, UNIT, "active");
}

/* ---- calls ------------------------------------------------------------------------- */

/*
 * Rescan on the test's own connection (as root it passes without polkit); the
 * error name or NULL. A blocking call is fine: both mocks answer from threads
 * of their own, and the daemon answers Rescan without waiting for systemd.
 */
static char *call_rescan(Fixture *f) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply =
                g_dbus_connection_call_sync(f->bus->conn, NAME, PATH, IFACE, "Rescan", NULL, NULL,
                                            G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
        char *name;

        if (!error)
                return NULL;
        name = g_dbus_error_get_remote_error(error);
        g_test_message("Rescan: %s", error->message);
        return name ? name : g_strdup("(local error)");
}

/* The test's own calls succeed: as root they pass anyway, else polkit (the mock) says yes. */
static void privileged(Fixture *f) {
        if (geteuid() != 0 && !f->polkit)
                f->polkit = test_polkit_new(f->bus->conn, TEST_POLKIT_ALLOW);
}

/* A counter of the systemd mock above a value. */
typedef struct CountAbove {
        TestSystemd *systemd;
        unsigned (*get)(TestSystemd *sd);
        unsigned count;
} CountAbove;

static gboolean count_above(gpointer userdata) {
        const CountAbove *c = userdata;

        return c->get(c->systemd) > c->count;
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_introspection(Fixture *f, gconstpointer data) {
        test_check_introspection(f->bus, NAME, "org.ctdb.monitor1.Manager.xml", PATH, IFACE);
}

static void test_failed_and_back(Fixture *f, gconstpointer data) {
        Service s;

        wait_healthy(f, TRUE);
        s = wait_service(f, UNIT, "active");
        g_assert_cmpstr(s.sub_state, ==, "running");
        g_assert_cmpuint(s.since, >, 0);
        g_assert_cmpuint(test_systemd_get_subscribes(f->systemd), ==, 1);

        test_systemd_set_unit(f->systemd, UNIT, "loaded", "failed", "failed");
        wait_healthy(f, FALSE);
        s = wait_service(f, UNIT, "failed");
        g_assert_cmpstr(s.sub_state, ==, "failed");

        test_systemd_set_unit(f->systemd, UNIT, "loaded", "active", "running");
        wait_healthy(f, TRUE);
        s = wait_service(f, UNIT, "active");
        g_assert_cmpstr(s.sub_state, ==, "running");
}

static void test_reloading_is_healthy(Fixture *f, gconstpointer data) {
        wait_healthy(f, TRUE);
        test_systemd_set_unit(f->systemd, UNIT, "loaded", "reloading", "reload");
        /* Services shows the daemon has seen it: the health it publishes with it is what counts. */
        (void) wait_service(f, UNIT, "reloading");
        g_assert_true(get_healthy(f));
}

static void test_activating_within_grace(Fixture *f, gconstpointer data) {
        wait_healthy(f, TRUE);
        test_systemd_set_unit(f->systemd, UNIT, "loaded", "activating", "start");
        (void) wait_service(f, UNIT, "activating");
        /* The default grace is 30 s. */
        g_assert_true(get_healthy(f));
}

typedef struct HealthSignal {
        gboolean unhealthy; /* a PropertiesChanged said Healthy false */
        gint64 at;          /* when (monotonic us) */
} HealthSignal;

static void on_properties_changed(GDBusConnection *conn, const char *sender, const char *path,
                                  const char *iface, const char *signal, GVariant *args, gpointer userdata) {
        HealthSignal *h = userdata;
        g_autoptr(GVariant) changed = NULL;
        gboolean healthy;

        g_variant_get(args, "(&s@a{sv}@as)", NULL, &changed, NULL);
        if (!h->unhealthy && g_variant_lookup(changed, "Healthy", "b", &healthy) && !healthy) {
                h->unhealthy = TRUE;
                h->at = g_get_monotonic_time();
        }
}

static void test_activating_past_grace(Fixture *f, gconstpointer data) {
        HealthSignal h = { 0 };
        gint64 start;
        guint id;

        wait_healthy(f, TRUE);
        id = g_dbus_connection_signal_subscribe(f->bus->conn, NULL, "org.freedesktop.DBus.Properties",
                                                "PropertiesChanged", PATH, IFACE, G_DBUS_SIGNAL_FLAGS_NONE,
                                                on_properties_changed, &h, NULL);
        start = g_get_monotonic_time();
        test_systemd_set_unit(f->systemd, UNIT, "loaded", "activating", "start");
        /*
         * No property is read while waiting and systemd says nothing more: only
         * the daemon's own timer can tell that the grace (1 s) ran out.
         */
        g_assert_true(test_wait_flag(&h.unhealthy, CHANGE_TIMEOUT_MS));
        g_dbus_connection_signal_unsubscribe(f->bus->conn, id);
        g_assert_cmpint(h.at - start, >=, 900 * G_TIME_SPAN_MILLISECOND);
        g_assert_false(get_healthy(f));
        (void) wait_service(f, UNIT, "activating");

        test_systemd_set_unit(f->systemd, UNIT, "loaded", "active", "running");
        wait_healthy(f, TRUE);
}

static void test_missing_unit(Fixture *f, gconstpointer data) {
        Service s;

        /* A unit systemd does not have is listed by name with its LoadState, and is a failure. */
        s = wait_service(f, MISSING, "not-found");
        g_assert_cmpstr(s.sub_state, ==, "dead");
        wait_healthy(f, FALSE);
        (void) wait_service(f, UNIT, "active");
        g_assert_false(get_healthy(f));
}

static void test_no_units(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) services = test_get_property(f->bus, NAME, PATH, IFACE, "Services");

        g_assert_nonnull(services);
        g_assert_cmpstr(g_variant_get_type_string(services), ==, "a(ssst)");
        g_assert_cmpuint(g_variant_n_children(services), ==, 0);
        g_assert_true(get_healthy(f));
}

static void test_systemd_restart(Fixture *f, gconstpointer data) {
        CountAbove once = { .systemd = f->systemd, .get = test_systemd_get_subscribes, .count = 1 };

        wait_healthy(f, TRUE);
        g_assert_cmpuint(test_systemd_get_subscribes(f->systemd), ==, 1);

        test_systemd_stop(f->systemd);
        /* systemd away is no failure of the units: the last state stays. */
        g_assert_true(get_healthy(f));
        test_systemd_set_unit(f->systemd, UNIT, "loaded", "failed", "failed");
        test_systemd_start(f->systemd);

        /* The new systemd knows nobody: the daemon subscribes again and reads the unit again. */
        g_assert_true(test_wait_condition(count_above, &once, CHANGE_TIMEOUT_MS));
        wait_healthy(f, FALSE);
        (void) wait_service(f, UNIT, "failed");
        g_assert_cmpuint(test_systemd_get_subscribes(f->systemd), ==, 2);

        /* And it follows the unit's signals from the new connection. */
        test_systemd_set_unit(f->systemd, UNIT, "loaded", "active", "running");
        wait_healthy(f, TRUE);
}

static void test_rescan(Fixture *f, gconstpointer data) {
        CountAbove loads = { .systemd = f->systemd, .get = test_systemd_get_loads };
        g_autofree char *err = NULL;

        privileged(f);
        wait_healthy(f, TRUE);
        loads.count = test_systemd_get_loads(f->systemd);
        err = call_rescan(f);
        g_assert_null(err);
        /* Rescan asks systemd for the unit again. */
        g_assert_true(test_wait_condition(count_above, &loads, CHANGE_TIMEOUT_MS));
        g_assert_true(get_healthy(f));
}

static void test_rescan_without_systemd(Fixture *f, gconstpointer data) {
        g_autofree char *err = NULL;

        privileged(f);
        wait_healthy(f, TRUE);
        test_systemd_stop(f->systemd);
        err = call_rescan(f);
        g_assert_cmpstr(err, ==, NOT_CONNECTED);
}

/*
 * Started while systemd is away: healthy for the first read's allowance (a
 * start must not mark the node unhealthy for what nobody has seen yet), then
 * unhealthy since nothing told of the unit; systemd back: healthy.
 */
static void test_first_read(Fixture *f, gconstpointer data) {
        gint64 t0 = g_get_monotonic_time();

        g_assert_true(get_healthy(f));
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Healthy", is_false, NULL, 8000));
        /* MONITORD_FIRST_READ_USEC is 5 s from monitord's start, which came before t0. */
        g_assert_cmpint(g_get_monotonic_time() - t0, >, 3 * G_USEC_PER_SEC);
        test_systemd_start(f->systemd);
        wait_healthy(f, TRUE);
}

static void test_rescan_denied(Fixture *f, gconstpointer data) {
        CountAbove loads = { .systemd = f->systemd, .get = test_systemd_get_loads };
        g_autofree char *err = NULL;

        wait_healthy(f, TRUE);
        loads.count = test_systemd_get_loads(f->systemd);
        f->polkit = test_polkit_new(f->bus->conn, TEST_POLKIT_DENY);
        err = test_call_unprivileged(f->bus, NAME, PATH, IFACE, "Rescan", NULL);
        g_assert_cmpstr(err, ==, ACCESS_DENIED);
        g_assert_cmpuint(test_polkit_get_calls(f->polkit), ==, 1);
        g_assert_cmpstr(test_polkit_get_action(f->polkit), ==, "org.ctdb.cluster1.manage");
        /* Refused before it acted: systemd was not asked again. */
        g_assert_cmpuint(test_systemd_get_loads(f->systemd), ==, loads.count);
}

static gboolean lacks_other(GVariant *services, gpointer userdata) {
        Service s = { .unit = OTHER };

        return !find_service(services, &s);
}

/*
 * SIGHUP (systemctl reload): [monitor] units read again. A unit added is
 * watched (here a failed one: unhealthy), the unit watched before keeps its
 * state without being asked for again, and a unit dropped no longer counts.
 */
static void test_reload_units(Fixture *f, gconstpointer data) {
        const Setup both = { .units = UNIT " " OTHER }, one = { .units = UNIT };
        Service before, after;
        unsigned loads;

        wait_healthy(f, TRUE);
        before = wait_service(f, UNIT, "active");
        loads = test_systemd_get_loads(f->systemd);
        test_systemd_set_unit(f->systemd, OTHER, "loaded", "failed", "failed");

        write_monitor_config(f, &both);
        g_assert_cmpint(kill(f->monitord, SIGHUP), ==, 0);
        (void) wait_service(f, OTHER, "failed");
        wait_healthy(f, FALSE);
        after = wait_service(f, UNIT, "active");
        g_assert_cmpuint(after.since, ==, before.since);
        g_assert_cmpuint(test_systemd_get_loads(f->systemd), ==, loads + 1);

        write_monitor_config(f, &one);
        g_assert_cmpint(kill(f->monitord, SIGHUP), ==, 0);
        g_assert_true(test_wait_property(f->bus, NAME, PATH, IFACE, "Services", lacks_other, NULL,
                                         CHANGE_TIMEOUT_MS));
        wait_healthy(f, TRUE);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(name, setup_data, fn) g_test_add(name, Fixture, &setup_data, setup_read, fn, teardown)
        ADD("/monitord/introspection", one_unit, test_introspection);
        ADD("/monitord/failed-and-back", one_unit, test_failed_and_back);
        ADD("/monitord/reloading-is-healthy", one_unit, test_reloading_is_healthy);
        ADD("/monitord/activating-within-grace", one_unit, test_activating_within_grace);
        ADD("/monitord/activating-past-grace", one_unit_short_grace, test_activating_past_grace);
        ADD("/monitord/missing-unit", with_missing, test_missing_unit);
        ADD("/monitord/no-units", no_units, test_no_units);
        ADD("/monitord/systemd-restart", one_unit, test_systemd_restart);
        ADD("/monitord/rescan", one_unit, test_rescan);
        ADD("/monitord/rescan-without-systemd", one_unit, test_rescan_without_systemd);
        ADD("/monitord/rescan-denied", one_unit, test_rescan_denied);
        ADD("/monitord/first-read", without_systemd, test_first_read);
        ADD("/monitord/reload-units", one_unit, test_reload_units);
#undef ADD

        return g_test_run();
}
