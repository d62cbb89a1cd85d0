/*
 * glock-tool: an application of libctdb-client's g_lock API for the cluster
 * tests (tests/cluster/test-glock.sh).
 *
 *   glock-tool lock NAME [shared|exclusive] [TIMEOUT_MS] [HOLD_MS]
 *       takes the lock; prints "locked NAME" (flushed) once it has it; then
 *       holds it HOLD_MS and releases it ("unlocked NAME"), or without HOLD_MS
 *       until killed (its connection closing releases it)
 *   glock-tool list
 *       "NAME MODE PNN PID held|waiting" per entry, each lock's queue in order
 *
 * Exit status 0, or 1 with the error on stderr (ETIMEDOUT, EDEADLK, ...).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctdb-glock.h"

static int fail(const char *what, int r) {
        fprintf(stderr, "glock-tool: %s: %s\n", what, strerror(-r));
        return 1;
}

static int do_lock(ctdb_db_client *c, int argc, char **argv) {
        enum ctdb_glock_mode mode =
                argc > 3 && strcmp(argv[3], "shared") == 0 ? CTDB_GLOCK_SHARED : CTDB_GLOCK_EXCLUSIVE;
        unsigned timeout = argc > 4 ? (unsigned) strtoul(argv[4], NULL, 10) : 0;
        int r = ctdb_glock_lock(c, argv[2], mode, timeout);

        if (r < 0)
                return fail("lock", r);
        printf("locked %s\n", argv[2]);
        fflush(stdout);
        if (argc <= 5)
                for (;;)
                        pause();
        (void) nanosleep(&(struct timespec){ .tv_sec = strtol(argv[5], NULL, 10) / 1000,
                                             .tv_nsec = strtol(argv[5], NULL, 10) % 1000 * 1000000 },
                         NULL);
        r = ctdb_glock_unlock(c, argv[2]);
        if (r < 0)
                return fail("unlock", r);
        printf("unlocked %s\n", argv[2]);
        return 0;
}

static int do_list(ctdb_db_client *c) {
        struct ctdb_glock_entry *e;
        size_t n;
        int r = ctdb_glock_list(c, &e, &n);

        if (r < 0)
                return fail("list", r);
        for (size_t i = 0; i < n; i++)
                printf("%s %s %u %u %s\n", e[i].name,
                       e[i].mode == CTDB_GLOCK_EXCLUSIVE ? "exclusive" : "shared", e[i].pnn, e[i].pid,
                       e[i].held ? "held" : "waiting");
        ctdb_glock_entries_free(e, n);
        return 0;
}

int main(int argc, char **argv) {
        ctdb_db_client *c;
        int r;

        if (argc < 2 || (strcmp(argv[1], "lock") == 0 && argc < 3)) {
                fprintf(stderr,
                        "usage: glock-tool lock NAME [shared|exclusive] [TIMEOUT_MS] [HOLD_MS] | list\n");
                return 2;
        }
        r = ctdb_db_connect(NULL, &c);
        if (r < 0)
                return fail("connect", r);
        r = strcmp(argv[1], "list") == 0 ? do_list(c) : do_lock(c, argc, argv);
        ctdb_db_client_free(c);
        return r;
}
