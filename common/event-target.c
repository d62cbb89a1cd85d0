/* Events as systemd targets; see event-target.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "event-target.h"
#include "log.h"

static int on_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        /* No systemd (a private bus) or no such target installed: the signal is all there is. */
        if (e)
                log_debug("Starting an event's target failed: %s", e->message);
        return 0;
}

/* The file is replaced whole (written aside, renamed): a hook never reads half of one. */
static int write_env(const char *path, const char *event, const char *const *env) {
        char tmp[4096];
        FILE *f;
        int fd, r = 0;

        if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int) sizeof(tmp))
                return -ENAMETOOLONG;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                close(fd);
                unlink(tmp);
                return r;
        }
        fprintf(f, "CTDB_EVENT=%s\n", event);
        for (size_t i = 0; env && env[i]; i++)
                fprintf(f, "%s\n", env[i]);
        if (fflush(f) != 0 || ferror(f))
                r = -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

int ctdb_event_start(sd_bus *bus, const char *run_dir, const char *event, const char *const *env) {
        char path[4096], unit[128];
        int r;

        if (snprintf(path, sizeof(path), "%s/event-%s.env", run_dir ? run_dir : CTDB_RUN_DIR, event) >=
                    (int) sizeof(path) ||
            snprintf(unit, sizeof(unit), "ctdb-%s.target", event) >= (int) sizeof(unit))
                return -ENAMETOOLONG;
        r = write_env(path, event, env);
        if (r < 0)
                return r;
        return sd_bus_call_method_async(bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                        "org.freedesktop.systemd1.Manager", "StartUnit", on_started, NULL,
                                        "ss", unit, "replace");
}
