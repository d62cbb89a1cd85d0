#pragma once

/*
 * A stand-in for systemd's org.freedesktop.systemd1 on a test's private bus,
 * as much of it as ctdb-monitord uses: Manager.Subscribe (counted),
 * Manager.LoadUnit (the object of a unit the test declared) and
 * Properties.GetAll of each unit's org.freedesktop.systemd1.Unit. Served by
 * libglib-testing's GtDBusQueue, answering from the queue's thread; a change of
 * a unit's state by the test is announced with PropertiesChanged from the
 * unit's object, as systemd does. Stopping and starting it again is a restart
 * of systemd: the name goes away and comes back on a new connection, and the
 * units keep the state the test gave them.
 */

#include <gio/gio.h>
#include <glib.h>

typedef struct TestSystemd TestSystemd;

/* Serves on the bus conn is connected to and owns org.freedesktop.systemd1 (owned when this returns). */
TestSystemd *test_systemd_new(GDBusConnection *conn);
/* Stops serving (if it does) and forgets the units. NULL is fine. */
void test_systemd_free(TestSystemd *sd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestSystemd, test_systemd_free)

/*
 * Declares the unit name or changes its state. While served, a change is sent
 * as PropertiesChanged(org.freedesktop.systemd1.Unit, {changed states,
 * StateChangeTimestamp}, []) from the unit's object once a client has talked
 * to the mock (before that nobody can be watching). LoadUnit of a name never
 * declared is answered with org.freedesktop.systemd1.NoSuchUnit.
 */
void test_systemd_set_unit(TestSystemd *sd, const char *name, const char *load_state,
                           const char *active_state, const char *sub_state);

/* systemd goes away: disconnects and waits (with a deadline) until nobody owns the name. */
void test_systemd_stop(TestSystemd *sd);
/* systemd comes back on a new connection, serving every declared unit; owned when this returns. */
void test_systemd_start(TestSystemd *sd);

/* How many Manager.Subscribe calls were answered, over every connection. */
unsigned test_systemd_get_subscribes(TestSystemd *sd);
/* How many Manager.LoadUnit calls were answered (any name, declared or not). */
unsigned test_systemd_get_loads(TestSystemd *sd);
/* The object path systemd gives unit name (its label escaped); g_free it. */
char *test_systemd_unit_path(const char *name);
