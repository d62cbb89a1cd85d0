/*
 * Test helpers for the bus suite (see testbus.h).
 *
 * Every wait here iterates the thread-default main context while it waits, so a
 * test may serve a mock (say an object registered on bus->conn) from its own main
 * loop while a helper blocks on a call that needs the mock.
 * For the same reason all calls are made asynchronously and waited for.
 */

#include "testbus.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#define BUS_START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define POLL_INTERVAL_MS 20
/* Above the 25 s default D-Bus method timeout, so the call itself times out first. */
#define CALL_TIMEOUT_MS 30000

/*
 * A spawned process gets SIGTERM when the test process dies (an assertion
 * aborts it), so a failed test never leaves a bus or a daemon running.
 */
static void child_setup_pdeathsig(gpointer userdata) {
        (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
}

typedef struct CallWait {
        GVariant *reply;
        GError *error;
        gboolean done;
} CallWait;

static void call_done(GObject *source, GAsyncResult *result, gpointer userdata) {
        CallWait *w = userdata;

        w->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &w->error);
        w->done = TRUE;
}

static gboolean flag_set(gpointer userdata) {
        *(gboolean *) userdata = TRUE;
        return G_SOURCE_REMOVE;
}

/* Iterates the default context until *done or the deadline (monotonic us) passed. */
static void wait_until(const gboolean *done, gint64 deadline) {
        while (!*done) {
                gint64 now = g_get_monotonic_time();
                gboolean tick = FALSE;
                GSource *timeout;

                if (now >= deadline)
                        return;
                timeout = g_timeout_source_new(MIN((deadline - now) / 1000 + 1, POLL_INTERVAL_MS));
                g_source_set_callback(timeout, flag_set, &tick, NULL);
                g_source_attach(timeout, g_main_context_get_thread_default());
                while (!*done && !tick)
                        g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
                g_source_destroy(timeout);
                g_source_unref(timeout);
        }
}

/* Sleeps ms milliseconds while serving the default context. */
static void pause_serving(unsigned ms) {
        gboolean never = FALSE;

        wait_until(&never, g_get_monotonic_time() + (gint64) ms * 1000);
}

/* A method call on conn, waited for while serving the default context. */
static GVariant *call_serving(GDBusConnection *conn, const char *name, const char *path, const char *iface,
                              const char *method, GVariant *args, const GVariantType *reply_type,
                              GError **error) {
        CallWait w = { 0 };

        g_dbus_connection_call(conn, name, path, iface, method, args, reply_type, G_DBUS_CALL_FLAGS_NONE, -1,
                               NULL, call_done, &w);
        wait_until(&w.done, g_get_monotonic_time() + (gint64) CALL_TIMEOUT_MS * 1000);
        if (!w.done) {
                /* The async call still points at w: never return before it finished. */
                wait_until(&w.done, G_MAXINT64);
        }
        if (w.error) {
                g_propagate_error(error, w.error);
                return NULL;
        }
        return w.reply;
}

gboolean test_wait_flag(const gboolean *flag, unsigned timeout_ms) {
        wait_until(flag, g_get_monotonic_time() + (gint64) timeout_ms * 1000);
        return *flag;
}

gboolean test_wait_condition(TestCondition condition, gpointer userdata, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        for (;;) {
                if (condition(userdata))
                        return TRUE;
                if (g_get_monotonic_time() >= deadline)
                        return FALSE;
                pause_serving(POLL_INTERVAL_MS);
        }
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        if (remove(path) < 0)
                g_test_message("testbus: could not remove %s: %s", path, g_strerror(errno));
        return 0;
}

static void rm_rf(const char *dir) {
        (void) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char bus_config[] =
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig>\n"
        "  <type>system</type>\n"
        "  <listen>unix:path=%s/system_bus_socket</listen>\n"
        "  <auth>EXTERNAL</auth>\n"
        "  <policy context=\"default\">\n"
        "    <allow user=\"*\"/>\n"
        "    <allow own=\"*\"/>\n"
        "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
        "    <allow send_type=\"method_call\"/>\n"
        "    <allow send_type=\"signal\"/>\n"
        "    <allow send_type=\"method_return\"/>\n"
        "    <allow send_type=\"error\"/>\n"
        "    <allow receive_sender=\"*\"/>\n"
        "    <allow receive_type=\"method_call\"/>\n"
        "    <allow receive_type=\"signal\"/>\n"
        "    <allow receive_type=\"method_return\"/>\n"
        "    <allow receive_type=\"error\"/>\n"
        "    <allow eavesdrop=\"true\"/>\n"
        "  </policy>\n"
        "</busconfig>\n";

/* Reads one line (the bus address) from fd, within the deadline. */
static char *read_line(int fd, gint64 deadline) {
        GString *s = g_string_new(NULL);

        for (;;) {
                char c;
                ssize_t n;
                gint64 now = g_get_monotonic_time();

                if (now >= deadline)
                        break;
                n = read(fd, &c, 1);
                if (n == 1) {
                        if (c == '\n')
                                return g_string_free(s, FALSE);
                        g_string_append_c(s, c);
                } else if (n == 0)
                        break;
                else if (errno == EAGAIN)
                        g_usleep(5000);
                else if (errno != EINTR)
                        break;
        }
        g_string_free(s, TRUE);
        return NULL;
}

TestBus *test_bus_new(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *config = NULL, *config_path = NULL, *config_arg = NULL, *printed = NULL;
        TestBus *bus = g_new0(TestBus, 1);
        int out_fd = -1;

        bus->dir = g_dir_make_tmp("ctdb-testbus-XXXXXX", &error);
        g_assert_no_error(error);
        /* Reachable for test_call_unprivileged's uid 65534 child. */
        g_assert_cmpint(g_chmod(bus->dir, 0755), ==, 0);
        bus->address = g_strdup_printf("unix:path=%s/system_bus_socket", bus->dir);

        config = g_strdup_printf(bus_config, bus->dir);
        config_path = g_build_filename(bus->dir, "bus.conf", NULL);
        g_file_set_contents(config_path, config, -1, &error);
        g_assert_no_error(error);

        config_arg = g_strconcat("--config-file=", config_path, NULL);
        {
                const char *argv[] = { "dbus-daemon", config_arg, "--nofork", "--print-address=1", NULL };

                g_spawn_async_with_pipes(NULL, (char **) argv, NULL,
                                         G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                         child_setup_pdeathsig, NULL, &bus->dbus_pid, NULL, &out_fd, NULL,
                                         &error);
        }
        g_assert_no_error(error);

        /* dbus-daemon prints its address only once it listens: then it answers. */
        g_unix_set_fd_nonblocking(out_fd, TRUE, NULL);
        printed = read_line(out_fd, g_get_monotonic_time() + (gint64) BUS_START_TIMEOUT_MS * 1000);
        close(out_fd);
        if (!printed)
                g_error("testbus: dbus-daemon did not print its address within %d ms (see its stderr above)",
                        BUS_START_TIMEOUT_MS);

        g_setenv("DBUS_SYSTEM_BUS_ADDRESS", bus->address, TRUE);

        bus->conn = g_dbus_connection_new_for_address_sync(
                bus->address,
                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        g_assert_no_error(error);
        g_test_message("testbus: private system bus at %s (dbus-daemon pid %d)", bus->address,
                       (int) bus->dbus_pid);
        return bus;
}

void test_bus_free(TestBus *bus) {
        if (!bus)
                return;
        if (bus->conn) {
                (void) g_dbus_connection_close_sync(bus->conn, NULL, NULL);
                g_object_unref(bus->conn);
        }
        test_stop_daemon(bus->dbus_pid);
        if (bus->dir)
                rm_rf(bus->dir);
        g_unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
        g_free(bus->dir);
        g_free(bus->address);
        g_free(bus);
}

char *test_build_path(const char *relative) {
        const char *dir;

        if (g_path_is_absolute(relative))
                return g_strdup(relative);
        dir = g_getenv("CTDB_BUILD_DIR");
        if (!dir || !*dir)
                g_error("testbus: CTDB_BUILD_DIR is not set; run the test with 'meson test' "
                        "or set it to the build directory");
        return g_build_filename(dir, relative, NULL);
}

static gboolean name_has_owner(GDBusConnection *conn, const char *name) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        gboolean has = FALSE;

        reply = call_serving(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                             "NameHasOwner", g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"), &error);
        g_assert_no_error(error);
        g_variant_get(reply, "(b)", &has);
        return has;
}

typedef struct NameWait {
        GDBusConnection *conn;
        const char *name;
        gboolean owned;
} NameWait;

static gboolean name_is_as_wanted(gpointer userdata) {
        const NameWait *w = userdata;

        return name_has_owner(w->conn, w->name) == w->owned;
}

gboolean test_wait_name_owner(GDBusConnection *conn, const char *name, gboolean owned, unsigned timeout_ms) {
        NameWait w = { conn, name, owned };

        if (test_wait_condition(name_is_as_wanted, &w, timeout_ms))
                return TRUE;
        g_test_message("testbus: %s still %s after %u ms", name, owned ? "has no owner" : "has an owner",
                       timeout_ms);
        return FALSE;
}

static char *describe_status(int status) {
        if (WIFEXITED(status))
                return g_strdup_printf("exit status %d", WEXITSTATUS(status));
        if (WIFSIGNALED(status))
                return g_strdup_printf("signal %s", strsignal(WTERMSIG(status)));
        return g_strdup_printf("wait status 0x%x", status);
}

/* Spawns argv (argv[0] relative to the build dir) against bus; $NOTIFY_SOCKET is notify_socket or unset. */
static GPid spawn_daemon(TestBus *bus, const char *const *argv, const char *notify_socket,
                         char **ret_cmdline) {
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) env = g_get_environ();
        g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
        GPid pid;

        g_assert_nonnull(argv);
        g_assert_nonnull(argv[0]);
        g_ptr_array_add(args, test_build_path(argv[0]));
        for (size_t i = 1; argv[i]; i++)
                g_ptr_array_add(args, g_strdup(argv[i]));
        g_ptr_array_add(args, NULL);
        *ret_cmdline = g_strjoinv(" ", (char **) args->pdata);

        env = g_environ_setenv(env, "DBUS_SYSTEM_BUS_ADDRESS", bus->address, TRUE);
        /* Never the test runner's own: a daemon under test must not notify the runner's manager. */
        if (notify_socket)
                env = g_environ_setenv(env, "NOTIFY_SOCKET", notify_socket, TRUE);
        else
                env = g_environ_unsetenv(env, "NOTIFY_SOCKET");
        /* stdout and stderr are inherited: the daemon's log lands in the test log. */
        g_spawn_async(NULL, (char **) args->pdata, env, G_SPAWN_DO_NOT_REAP_CHILD, child_setup_pdeathsig,
                      NULL, &pid, &error);
        if (error)
                g_error("testbus: could not start %s: %s", *ret_cmdline, error->message);
        return pid;
}

static gboolean set_flag_on_fd(int fd, GIOCondition condition, gpointer userdata) {
        *(gboolean *) userdata = TRUE;
        return G_SOURCE_CONTINUE;
}

/*
 * Waits, serving the default context, until started(userdata) is true; the test
 * fails if the daemon ends first or it takes longer than timeout_ms. Data on
 * wake_fd (if >= 0) ends a pause early, so started() looks at it at once.
 */
static void wait_daemon_started(GPid pid, const char *cmdline, const char *what, TestCondition started,
                                gpointer userdata, int wake_fd, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        gboolean woken = FALSE;
        GSource *wake = NULL;

        if (wake_fd >= 0) {
                wake = g_unix_fd_source_new(wake_fd, G_IO_IN);
                g_source_set_callback(wake, G_SOURCE_FUNC(set_flag_on_fd), &woken, NULL);
                g_source_attach(wake, g_main_context_get_thread_default());
        }
        for (;;) {
                int status;
                pid_t r = waitpid(pid, &status, WNOHANG);

                if (r == pid) {
                        g_autofree char *how = describe_status(status);

                        g_spawn_close_pid(pid);
                        g_error("testbus: %s ended (%s) before %s", cmdline, how, what);
                }
                if (started(userdata))
                        break;
                if (g_get_monotonic_time() >= deadline) {
                        test_stop_daemon(pid);
                        g_error("testbus: %s: not %s within %u ms", cmdline, what, timeout_ms);
                }
                woken = FALSE;
                wait_until(&woken, MIN(deadline, g_get_monotonic_time() + (gint64) POLL_INTERVAL_MS * 1000));
        }
        if (wake) {
                g_source_destroy(wake);
                g_source_unref(wake);
        }
}

GPid test_spawn_daemon(TestBus *bus, const char *const *argv, const char *bus_name, unsigned timeout_ms) {
        g_autofree char *cmdline = NULL, *what = g_strconcat("it owned ", bus_name, NULL);
        NameWait w = { bus->conn, bus_name, TRUE };
        GPid pid = spawn_daemon(bus, argv, NULL, &cmdline);

        wait_daemon_started(pid, cmdline, what, name_is_as_wanted, &w, -1, timeout_ms);
        g_test_message("testbus: %s owns %s (pid %d)", cmdline, bus_name, (int) pid);
        return pid;
}

/* Reads every datagram waiting on the notify socket; TRUE once one of them had the line READY=1. */
static gboolean notify_has_ready(gpointer userdata) {
        int fd = GPOINTER_TO_INT(userdata);
        gboolean ready = FALSE;

        for (;;) {
                char buf[4096];
                ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
                g_auto(GStrv) lines = NULL;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return ready;
                if (n < 0)
                        g_error("testbus: reading the notify socket: %s", g_strerror(errno));
                buf[n] = '\0';
                lines = g_strsplit(buf, "\n", -1);
                for (size_t i = 0; lines[i]; i++)
                        ready = ready || strcmp(lines[i], "READY=1") == 0;
        }
}

/* A datagram socket at a fresh path under bus->dir for a daemon's sd_notify(); returns the fd. */
static int notify_socket_new(TestBus *bus, char **ret_path) {
        static unsigned counter;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        g_autofree char *name = g_strdup_printf("notify-%u.sock", counter++);
        g_autofree char *path = g_build_filename(bus->dir, name, NULL);
        int fd;

        g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                g_error("testbus: notify socket %s: %s", path, g_strerror(errno));
        *ret_path = g_steal_pointer(&path);
        return fd;
}

GPid test_spawn_daemon_ready(TestBus *bus, const char *const *argv, const char *bus_name,
                             unsigned timeout_ms) {
        g_autofree char *cmdline = NULL, *notify_path = NULL;
        int fd = notify_socket_new(bus, &notify_path);
        GPid pid = spawn_daemon(bus, argv, notify_path, &cmdline);

        wait_daemon_started(pid, cmdline, "it sent READY=1", notify_has_ready, GINT_TO_POINTER(fd), fd,
                            timeout_ms);
        /* Later notifications (RELOADING=1, STOPPING=1) then fail in the daemon, which ignores that. */
        close(fd);
        (void) unlink(notify_path);
        if (!name_has_owner(bus->conn, bus_name))
                g_error("testbus: %s sent READY=1 but does not own %s", cmdline, bus_name);
        g_test_message("testbus: %s is ready and owns %s (pid %d)", cmdline, bus_name, (int) pid);
        return pid;
}

void test_stop_daemon(GPid pid) {
        gint64 deadline;
        int status = 0;
        pid_t r;

        if (pid <= 0)
                return;
        if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
                g_test_message("testbus: kill(%d, SIGTERM): %s", (int) pid, g_strerror(errno));

        deadline = g_get_monotonic_time() + (gint64) STOP_TIMEOUT_MS * 1000;
        while ((r = waitpid(pid, &status, WNOHANG)) == 0 && g_get_monotonic_time() < deadline)
                g_usleep(10 * 1000);
        if (r == 0) {
                g_test_message("testbus: pid %d ignored SIGTERM for %d ms, sending SIGKILL", (int) pid,
                               STOP_TIMEOUT_MS);
                (void) kill(pid, SIGKILL);
                r = waitpid(pid, &status, 0);
        }
        if (r == pid) {
                g_autofree char *how = describe_status(status);

                g_test_message("testbus: pid %d stopped (%s)", (int) pid, how);
        }
        g_spawn_close_pid(pid);
}

char *test_write_file(TestBus *bus, const char *name, const char *text) {
        g_autoptr(GError) error = NULL;
        g_autofree char *parent = NULL;
        char *path = g_build_filename(bus->dir, name, NULL);

        parent = g_path_get_dirname(path);
        g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
        g_file_set_contents(path, text, -1, &error);
        g_assert_no_error(error);
        return path;
}

GVariant *test_get_property(TestBus *bus, const char *name, const char *path, const char *iface,
                            const char *prop) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        GVariant *value = NULL;

        reply = call_serving(bus->conn, name, path, "org.freedesktop.DBus.Properties", "Get",
                             g_variant_new("(ss)", iface, prop), G_VARIANT_TYPE("(v)"), &error);
        if (!reply) {
                g_test_message("testbus: Get %s %s %s.%s: %s", name, path, iface, prop, error->message);
                return NULL;
        }
        g_variant_get(reply, "(v)", &value);
        return value;
}

gboolean test_wait_property(TestBus *bus, const char *name, const char *path, const char *iface,
                            const char *prop, TestPredicate predicate, gpointer userdata,
                            unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        g_autofree char *last = NULL;

        for (;;) {
                g_autoptr(GVariant) value = test_get_property(bus, name, path, iface, prop);

                if (value) {
                        if (predicate(value, userdata))
                                return TRUE;
                        g_free(last);
                        last = g_variant_print(value, TRUE);
                }
                if (g_get_monotonic_time() >= deadline)
                        break;
                pause_serving(POLL_INTERVAL_MS);
        }
        g_test_message("testbus: %s.%s on %s %s did not reach the expected value within %u ms (last: %s)",
                       iface, prop, name, path, timeout_ms, last ? last : "none");
        return FALSE;
}

/* The D-Bus error name of a failed call; a local failure gets a name of its own. */
static char *error_name(const GError *error) {
        char *remote;

        if (g_dbus_error_is_remote_error(error)) {
                remote = g_dbus_error_get_remote_error(error);
                if (remote)
                        return remote;
        }
        g_test_message("testbus: local failure of the call: %s", error->message);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
                return g_strdup("org.freedesktop.DBus.Error.Timeout");
        return g_strdup("org.freedesktop.DBus.Error.Failed");
}

/* One output of test_run(): a non-blocking pipe read into a string until EOF. */
typedef struct RunOutput {
        int fd;
        GString *text;
} RunOutput;

/* Reads what is there; FALSE once the pipe is at its end (or was never opened). */
static gboolean run_output_read(RunOutput *o) {
        char buf[4096];
        ssize_t n;

        while (o->fd >= 0) {
                n = read(o->fd, buf, sizeof(buf));
                if (n > 0) {
                        g_string_append_len(o->text, buf, n);
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return TRUE;
                if (n < 0)
                        g_error("testbus: reading a child's output: %s", g_strerror(errno));
                close(o->fd);
                o->fd = -1;
        }
        return FALSE;
}

int test_run(const char *const *argv, char **ret_out, char **ret_err, unsigned timeout_ms) {
        g_autoptr(GError) error = NULL;
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        RunOutput out = { -1, g_string_new(NULL) }, err = { -1, g_string_new(NULL) };
        int status = 0;
        GPid pid;

        g_spawn_async_with_pipes(NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 child_setup_pdeathsig, NULL, &pid, NULL, ret_out ? &out.fd : NULL,
                                 ret_err ? &err.fd : NULL, &error);
        if (error)
                g_error("testbus: could not start %s: %s", argv[0], error->message);
        if (out.fd >= 0)
                g_unix_set_fd_nonblocking(out.fd, TRUE, NULL);
        if (err.fd >= 0)
                g_unix_set_fd_nonblocking(err.fd, TRUE, NULL);

        for (;;) {
                gboolean open_out = run_output_read(&out), open_err = run_output_read(&err);

                /* Both outputs at their end: the program closed them, so it ends, or ended. */
                if (!open_out && !open_err && waitpid(pid, &status, WNOHANG) == pid)
                        break;
                if (g_get_monotonic_time() >= deadline) {
                        test_stop_daemon(pid);
                        g_error("testbus: %s did not finish within %u ms", argv[0], timeout_ms);
                }
                pause_serving(5);
        }
        g_spawn_close_pid(pid);
        if (ret_out)
                *ret_out = g_string_free(out.text, FALSE);
        else
                g_string_free(out.text, TRUE);
        if (ret_err)
                *ret_err = g_string_free(err.text, FALSE);
        else
                g_string_free(err.text, TRUE);
        return status;
}

/*
 * As root: fork+exec tests/lib/testbus-call, which drops to uid/gid 65534 before
 * it connects. A fork without exec cannot use GDBus: the child would inherit the
 * parent's shared GDBus worker state without its thread and hang.
 */
static char *call_as_nobody(TestBus *bus, const char *name, const char *path, const char *iface,
                            const char *method, GVariant *args) {
        g_autofree char *helper = test_build_path("tests/lib/testbus-call");
        g_autofree char *args_text = g_variant_print(args, TRUE);
        g_autofree char *out = NULL;
        const char *argv[] = { helper, bus->address, name, path, iface, method, args_text, NULL };
        int status;

        status = test_run(argv, &out, NULL, CALL_TIMEOUT_MS + 5000);
        if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
                g_autofree char *how = describe_status(status);

                g_error("testbus: %s failed (%s; see its stderr above)", helper, how);
        }
        g_strstrip(out);
        if (WEXITSTATUS(status) == 0)
                return NULL;
        g_assert_cmpuint(strlen(out), >, 0);
        return g_steal_pointer(&out);
}

char *test_call_unprivileged(TestBus *bus, const char *name, const char *path, const char *iface,
                             const char *method, GVariant *args) {
        g_autoptr(GVariant) owned_args = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) conn = NULL;
        g_autoptr(GVariant) reply = NULL;

        owned_args = g_variant_ref_sink(args ? args : g_variant_new("()"));
        if (geteuid() == 0)
                return call_as_nobody(bus, name, path, iface, method, owned_args);

        /* Not root: a fresh connection, so the caller has a unique name of its own. */
        conn = g_dbus_connection_new_for_address_sync(bus->address,
                                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                              G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                      NULL, NULL, &error);
        g_assert_no_error(error);
        reply = call_serving(conn, name, path, iface, method, owned_args, NULL, &error);
        (void) g_dbus_connection_close_sync(conn, NULL, NULL);
        if (reply)
                return NULL;
        return error_name(error);
}
