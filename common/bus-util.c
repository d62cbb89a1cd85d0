/* Small sd-bus helpers shared by the daemons and ctdbctl; see bus-util.h. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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

bool bus_error_name_is_valid(const char *name) {
        size_t elements = 0;
        bool element_start = true;

        if (!name || strlen(name) > 255)
                return false;
        for (const char *p = name; *p; p++) {
                char c = *p;

                if (c == '.') {
                        if (element_start)
                                return false;
                        element_start = true;
                        continue;
                }
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
                      (!element_start && c >= '0' && c <= '9')))
                        return false;
                if (element_start)
                        elements++;
                element_start = false;
        }
        return elements >= 2 && !element_start;
}

static const struct {
        uint32_t flag;
        const char *name;
} node_flag_names[] = {
        /* CTDB's words and order (ctdb/tools/ctdb.c) */
        { CTDB_NODE_FLAG_DISCONNECTED, "DISCONNECTED" },
        { CTDB_NODE_FLAG_PERMANENTLY_DISABLED, "DISABLED" },
        { CTDB_NODE_FLAG_BANNED, "BANNED" },
        { CTDB_NODE_FLAG_UNHEALTHY, "UNHEALTHY" },
        { CTDB_NODE_FLAG_DELETED, "DELETED" },
        { CTDB_NODE_FLAG_STOPPED, "STOPPED" },
};

const char *bus_node_flags_to_string(uint32_t flags, char *buf, size_t size) {
        size_t len = 0;

        if (!buf || size == 0)
                return NULL;
        buf[0] = '\0';
        if (flags == 0) {
                snprintf(buf, size, "OK");
                return buf;
        }
        for (size_t i = 0; i < sizeof(node_flag_names) / sizeof(node_flag_names[0]); i++) {
                int n;

                if (!(flags & node_flag_names[i].flag))
                        continue;
                flags &= ~node_flag_names[i].flag;
                n = snprintf(buf + len, size - len, "%s%s", len ? "|" : "", node_flag_names[i].name);
                if (n < 0 || (size_t) n >= size - len)
                        return buf; /* truncated, still terminated */
                len += (size_t) n;
        }
        if (flags)
                snprintf(buf + len, size - len, "%s0x%x", len ? "|" : "", flags);
        return buf;
}
