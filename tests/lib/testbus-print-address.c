/*
 * testbus-print-address --print-address[=FD] --config-file=FILE
 *
 * The dbus-daemon that GTestDBus starts for GtDBusQueue, when testpolkit.c sets
 * $G_TEST_DBUS_DAEMON to this program: GTestDBus connects to the address its
 * daemon prints, so printing $CTDB_TESTBUS_ADDRESS (the test's private bus) makes
 * the queue serve there. Like dbus-daemon it prints to FD if given (GLib 2.74
 * passes a pipe that way), else to stdout; the other arguments are ignored.
 * Then it waits for the SIGTERM with which GTestDBus stops its daemon (or GLib's
 * test watcher does), or until the test process is gone.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PRINT_ADDRESS "--print-address"

/* The fd named by --print-address=FD, STDOUT_FILENO without one; -1 for a bad FD. */
static int address_fd(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i];
                char *end;
                long fd;

                if (strncmp(arg, PRINT_ADDRESS "=", strlen(PRINT_ADDRESS "=")) != 0)
                        continue;
                errno = 0;
                fd = strtol(arg + strlen(PRINT_ADDRESS "="), &end, 10);
                if (errno != 0 || *end != '\0' || fd < 0 || fd > 1 << 20)
                        return -1;
                return (int) fd;
        }
        return STDOUT_FILENO;
}

int main(int argc, char *argv[]) {
        const char *address = getenv("CTDB_TESTBUS_ADDRESS");
        int fd = address_fd(argc, argv);

        if (!address || !*address) {
                fprintf(stderr, "testbus-print-address: CTDB_TESTBUS_ADDRESS is not set\n");
                return EXIT_FAILURE;
        }
        if (fd < 0) {
                fprintf(stderr, "testbus-print-address: bad " PRINT_ADDRESS " argument\n");
                return EXIT_FAILURE;
        }
        if (dprintf(fd, "%s\n", address) < 0) {
                perror("testbus-print-address: writing the address");
                return EXIT_FAILURE;
        }
        if (fd != STDOUT_FILENO)
                (void) close(fd); /* the reader's end of the line, as dbus-daemon does */
        /*
         * Until the SIGTERM, or until the test process is gone: a test that
         * aborts sends none, and an orphan here would keep meson's output pipe
         * open, turning the failure into a timeout. (Not PR_SET_PDEATHSIG: it
         * follows the thread that started us, which may be a worker's.)
         */
        for (pid_t parent = getppid(); getppid() == parent;)
                sleep(1);
        return EXIT_SUCCESS;
}
