/*
 * testbus-call ADDRESS NAME PATH IFACE METHOD ARGS
 *
 * Helper of test_call_unprivileged() (testbus.c): started as root, it drops to
 * uid/gid 65534 with no supplementary groups, connects to the bus at ADDRESS
 * and calls METHOD with ARGS (a GVariant tuple in text form, type-annotated).
 * Exit 0: the call succeeded. Exit 1: the call failed, the D-Bus error name is
 * on stdout. Exit 2: this helper itself failed (reason on stderr).
 */

#include <gio/gio.h>
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

#define NOBODY 65534

static int drop_privileges(void) {
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0) {
                perror("testbus-call: dropping to uid 65534");
                return -1;
        }
        if (getuid() != NOBODY || geteuid() != NOBODY || getgid() != NOBODY) {
                fprintf(stderr, "testbus-call: still uid %u after setuid\n", (unsigned) geteuid());
                return -1;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) conn = NULL;
        g_autoptr(GVariant) args = NULL, reply = NULL;
        g_autofree char *remote = NULL;

        if (argc != 7) {
                fprintf(stderr, "usage: testbus-call ADDRESS NAME PATH IFACE METHOD ARGS\n");
                return 2;
        }
        if (geteuid() == 0 && drop_privileges() < 0)
                return 2;

        args = g_variant_parse(NULL, argv[6], NULL, NULL, &error);
        if (!args || !g_variant_is_of_type(args, G_VARIANT_TYPE_TUPLE)) {
                fprintf(stderr, "testbus-call: ARGS must be a tuple: %s\n",
                        error ? error->message : argv[6]);
                return 2;
        }

        conn = g_dbus_connection_new_for_address_sync(argv[1],
                                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                              G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                      NULL, NULL, &error);
        if (!conn) {
                fprintf(stderr, "testbus-call: connecting to %s as uid %u: %s\n", argv[1],
                        (unsigned) getuid(), error->message);
                return 2;
        }

        reply = g_dbus_connection_call_sync(conn, argv[2], argv[3], argv[4], argv[5], g_steal_pointer(&args),
                                            NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        if (reply)
                return 0;

        remote = g_dbus_error_get_remote_error(error);
        if (!remote) {
                fprintf(stderr, "testbus-call: %s.%s failed locally: %s\n", argv[4], argv[5],
                        error->message);
                printf("%s\n", g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
                                       ? "org.freedesktop.DBus.Error.Timeout"
                                       : "org.freedesktop.DBus.Error.Failed");
                return 1;
        }
        printf("%s\n", remote);
        return 1;
}
