/*
 * ctdbctl glock list: every g_lock of the cluster (org.ctdb.db1.Manager
 * ListLocks, answered from the lock master): one row per holder or waiter,
 * each lock's queue in order.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bus-util.h"
#include "ctdb-names.h"
#include "ctdbctl.h"

static int glock_list(sd_bus *bus) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        const char *name, *mode;
        uint32_t pnn, pid;
        size_t n = 0;
        int held, r;

        r = sd_bus_call_method(bus, DBD_BUS_NAME, DBD_MANAGER_PATH, DBD_MANAGER_IFACE, "ListLocks", &error,
                               &reply, "");
        if (r < 0)
                return call_failed("Failed to list the g_locks", r, &error);
        r = sd_bus_message_enter_container(reply, 'a', "(ssuub)");
        if (r < 0)
                return call_failed("Failed to parse the g_locks", r, NULL);
        if (arg_json)
                printf("{\"locks\":[");
        while ((r = sd_bus_message_read(reply, "(ssuub)", &name, &mode, &pnn, &pid, &held)) > 0) {
                if (arg_json) {
                        printf("%s{\"name\":", n ? "," : "");
                        json_string(name);
                        printf(",\"mode\":");
                        json_string(mode);
                        printf(",\"pnn\":%" PRIu32 ",\"pid\":%" PRIu32 ",\"held\":%s}", pnn, pid,
                               held ? "true" : "false");
                } else {
                        if (n == 0)
                                printf("%-32s %-9s %-5s %-8s %s\n", "NAME", "MODE", "PNN", "PID", "STATE");
                        printf("%-32s %-9s %-5" PRIu32 " %-8" PRIu32 " %s\n", name, mode, pnn, pid,
                               held ? "held" : "waiting");
                }
                n++;
        }
        if (r < 0)
                return call_failed("Failed to parse the g_locks", r, NULL);
        if (arg_json)
                printf("]}\n");
        else if (n == 0)
                printf("No g_locks held or waited for\n");
        return 0;
}

int verb_glock(sd_bus *bus, const struct verb *v, int argc, char **argv) {
        if (argc != 2 || strcmp(argv[1], "list") != 0) {
                fprintf(stderr, "Usage: ctdbctl glock list; see ctdbctl --help\n");
                return EXIT_USAGE;
        }
        return glock_list(bus);
}

void help_glock(void) {
        printf("\nglock verbs (ctdb-dbd's cluster-wide g_locks):\n"
               "  glock list               every holder and waiter, each lock's queue in order\n"
               "JSON: glock list {locks[{name, mode: shared|exclusive, pnn, pid, held}]}.\n");
}
