#pragma once

/*
 * Test helpers for the bus suite: a private dbus-daemon per test, daemons from
 * the build tree spawned against it, and waits with deadlines (never a fixed sleep).
 */

#include <gio/gio.h>
#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct TestBus {
        char *dir;              /* temp dir: bus config, socket, daemon config/state */
        char *address;          /* unix:path=DIR/system_bus_socket */
        GPid dbus_pid;
        GDBusConnection *conn;  /* the test's own connection */
} TestBus;

/* Starts dbus-daemon with an allow-all system-type config; sets DBUS_SYSTEM_BUS_ADDRESS. */
TestBus *test_bus_new(void);
void test_bus_free(TestBus *bus);

/* Path of a build-tree binary, from $CTDB_BUILD_DIR (e.g. "services/tunneld/ctdb-tunneld"). */
char *test_build_path(const char *relative);

/*
 * Spawns argv (argv[0] relative to the build dir) with the bus address in the
 * environment, then waits up to timeout_ms for bus_name to appear. Returns the pid.
 */
GPid test_spawn_daemon(TestBus *bus, const char *const *argv, const char *bus_name, unsigned timeout_ms);
/*
 * As test_spawn_daemon, but waits for the daemon's READY=1: it gets $NOTIFY_SOCKET,
 * a datagram socket the test made in bus->dir. A daemon owns its bus name before
 * it starts its work (binds its sockets, ...) and sends READY=1 after that
 * (common/daemon.c), so only READY=1 says that its sockets take connections.
 * Asserts that bus_name is owned then.
 */
GPid test_spawn_daemon_ready(TestBus *bus, const char *const *argv, const char *bus_name,
                             unsigned timeout_ms);
/* SIGTERM, wait (then SIGKILL after 5 s). */
void test_stop_daemon(GPid pid);

/* Writes text to DIR/name; returns the path. */
char *test_write_file(TestBus *bus, const char *name, const char *text);

/* Reads a property; NULL on error (error message logged with g_test_message). */
GVariant *test_get_property(TestBus *bus, const char *name, const char *path, const char *iface,
                            const char *prop);

/*
 * Polls the property every 20 ms until predicate(value, userdata) is true or
 * timeout_ms passed. Returns TRUE if it became true.
 */
typedef gboolean (*TestPredicate)(GVariant *value, gpointer userdata);
gboolean test_wait_property(TestBus *bus, const char *name, const char *path, const char *iface,
                            const char *prop, TestPredicate predicate, gpointer userdata,
                            unsigned timeout_ms);

/*
 * Calls a method as an unprivileged user: when running as root, a child process
 * with uid/gid 65534 makes the call on its own connection. Returns the D-Bus
 * error name, or NULL on success (g_free the result).
 */
char *test_call_unprivileged(TestBus *bus, const char *name, const char *path, const char *iface,
                             const char *method, GVariant *args);

/* Iterates the default main context until *flag is true or timeout_ms passed; returns *flag. */
gboolean test_wait_flag(const gboolean *flag, unsigned timeout_ms);

/*
 * Polls condition(userdata) every 20 ms, serving the default main context in
 * between, until it is true or timeout_ms passed. Returns TRUE if it became true.
 */
typedef gboolean (*TestCondition)(gpointer userdata);
gboolean test_wait_condition(TestCondition condition, gpointer userdata, unsigned timeout_ms);

/* Waits until name has an owner on conn's bus (owned) or none (!owned); TRUE if it did in time. */
gboolean test_wait_name_owner(GDBusConnection *conn, const char *name, gboolean owned, unsigned timeout_ms);

/*
 * Runs argv (argv[0] a path) to its end while serving the default main context,
 * so a mock on the test's connection can answer what the program causes; the
 * program is stopped and the test fails after timeout_ms. Returns the wait status;
 * stdout and stderr in ret_out / ret_err if given (g_free them), else inherited.
 */
int test_run(const char *const *argv, char **ret_out, char **ret_err, unsigned timeout_ms);
