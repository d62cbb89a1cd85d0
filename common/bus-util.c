/* Small sd-bus helpers shared by the daemons and ctdbctl; see bus-util.h. */

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-daemon.h>

#include "bus-util.h"

int bus_open(const char *address, sd_bus **ret) {
        _cleanup_bus_ sd_bus *bus = NULL;
        int r;

        if (!ret)
                return -EINVAL;

        if (!address || !*address)
                return sd_bus_open_system(ret);

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        /* Ask for the peer's credentials at connect, like sd_bus_open_system() does. */
        (void) sd_bus_negotiate_creds(bus, true, SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID);
        r = sd_bus_start(bus);
        if (r < 0)
                return r;

        *ret = bus;
        bus = NULL;
        return 0;
}

int bus_attach_and_request_name(sd_bus *bus, sd_event *event, const char *name) {
        int r;

        if (!bus || !event || !name)
                return -EINVAL;

        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;

        /*
         * Synchronous on purpose: at start-up there is nothing else to do until
         * the name is ours, and a failure (another instance, bus policy) must
         * end the daemon with a clear error rather than leave it half started.
         */
        return sd_bus_request_name(bus, name, 0);
}

int daemon_event_new(sd_event **ret) {
        _cleanup_event_ sd_event *e = NULL;
        sigset_t mask;
        int r;

        if (!ret)
                return -EINVAL;

        r = sd_event_default(&e);
        if (r < 0)
                return r;

        /* sd-event needs the signals blocked before it can take them as sources. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;

        /* A NULL handler makes sd-event exit the loop (exit code 0) on the signal. */
        r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
        if (r < 0)
                return r;
        r = sd_event_add_signal(e, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return r;

        /* Honours WatchdogSec= (a no-op when $WATCHDOG_USEC is unset). */
        r = sd_event_set_watchdog(e, true);
        if (r < 0)
                return r;

        *ret = e;
        e = NULL;
        return 0;
}

void daemon_notify_ready(const char *status) {
        /* Without $NOTIFY_SOCKET this is a no-op; a failure to notify is not fatal. */
        if (status)
                (void) sd_notifyf(false, "READY=1\nSTATUS=%s", status);
        else
                (void) sd_notify(false, "READY=1");
}
