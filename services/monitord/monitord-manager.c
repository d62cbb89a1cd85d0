/* ctdb-monitord's watch of systemd's units; see monitord-manager.h. */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "bus-name.h"
#include "bus-util.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "monitord-manager.h"
#include "talloc-util.h"

#define USEC_PER_SEC 1000000ULL

static uint64_t now_usec(monitord_manager *m) {
        uint64_t t = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

static bool unit_ok(monitord_manager *m, const struct monitord_unit *u, uint64_t now) {
        /*
         * Not read yet: the node is not called unhealthy for what nobody has
         * seen, for MONITORD_FIRST_READ_USEC after the unit was added (else
         * every start of monitord, or a reload naming one more unit, would move
         * the node's addresses away and back); after that a unit systemd never
         * told of counts as failed.
         */
        if (!u->load_state)
                return now < u->added_usec + MONITORD_FIRST_READ_USEC;
        if (strcmp(u->load_state, "loaded") != 0 || !u->active_state)
                return false;
        if (strcmp(u->active_state, "active") == 0 || strcmp(u->active_state, "reloading") == 0)
                return true;
        return strcmp(u->active_state, "activating") == 0 && u->activating_usec &&
               now < u->activating_usec + m->grace_usec;
}

bool monitord_healthy(monitord_manager *m) {
        uint64_t now = now_usec(m);

        for (size_t i = 0; i < m->n_units; i++)
                if (!unit_ok(m, m->units[i], now))
                        return false;
        return true;
}

char *monitord_failing(monitord_manager *m, void *mem_ctx) {
        uint64_t now = now_usec(m);
        char *s = talloc_strdup(mem_ctx, "");

        for (size_t i = 0; s && i < m->n_units; i++)
                if (!unit_ok(m, m->units[i], now))
                        s = talloc_asprintf_append(s, "%s%s", *s ? " " : "", m->units[i]->name);
        return s;
}

static int on_grace(sd_event_source *s, uint64_t usec, void *userdata);

/* Publishes, and arms the timer for the first activating unit whose grace runs out. */
static void evaluate(monitord_manager *m) {
        uint64_t now = now_usec(m), next = UINT64_MAX;
        int r = 0;

        for (size_t i = 0; i < m->n_units; i++) {
                struct monitord_unit *u = m->units[i];

                /* The end of the first read's allowance is a change of health too. */
                if (!u->load_state && now < u->added_usec + MONITORD_FIRST_READ_USEC &&
                    u->added_usec + MONITORD_FIRST_READ_USEC < next)
                        next = u->added_usec + MONITORD_FIRST_READ_USEC;
                if (u->activating_usec && now < u->activating_usec + m->grace_usec &&
                    u->activating_usec + m->grace_usec < next)
                        next = u->activating_usec + m->grace_usec;
        }
        if (next != UINT64_MAX) {
                if (!m->grace_timer)
                        r = sd_event_add_time(m->event, &m->grace_timer, CLOCK_MONOTONIC, next, 1000,
                                              on_grace, m);
                else
                        r = sd_event_source_set_time(m->grace_timer, next);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->grace_timer, SD_EVENT_ONESHOT);
                if (r < 0)
                        log_error_errno(r, "Failed to arm the activating grace timer: %m");
        }
        monitord_bus_changed(m);
}

static int on_grace(sd_event_source *s, uint64_t usec, void *userdata) {
        evaluate(userdata);
        return 0;
}

static int set_str(struct monitord_unit *u, char **field, const char *v) {
        char *c = talloc_strdup(u->m, v);

        if (!c)
                return -ENOMEM;
        talloc_free(*field);
        *field = c;
        return 0;
}

/* One property of a{sv} of org.freedesktop.systemd1.Unit. */
static int read_unit_property(struct monitord_unit *u, sd_bus_message *msg, const char *name) {
        const char *s;
        int r;

        if (strcmp(name, "LoadState") == 0 || strcmp(name, "ActiveState") == 0 ||
            strcmp(name, "SubState") == 0) {
                r = sd_bus_message_read(msg, "v", "s", &s);
                if (r < 0)
                        return r;
                if (strcmp(name, "LoadState") == 0)
                        return set_str(u, &u->load_state, s);
                if (strcmp(name, "SubState") == 0)
                        return set_str(u, &u->sub_state, s);
                if (strcmp(s, "activating") == 0 &&
                    !(u->active_state && strcmp(u->active_state, "activating") == 0))
                        u->activating_usec = now_usec(u->m);
                else if (strcmp(s, "activating") != 0)
                        u->activating_usec = 0;
                return set_str(u, &u->active_state, s);
        }
        if (strcmp(name, "StateChangeTimestamp") == 0)
                return sd_bus_message_read(msg, "v", "t", &u->since_usec);
        return sd_bus_message_skip(msg, "v");
}

/* read_unit_property() reads (or skips) every property's variant. */
static int unit_property(void *userdata, const char *name, sd_bus_message *msg) {
        int r = read_unit_property(userdata, msg, name);

        return r < 0 ? r : 1;
}

static int read_unit_properties(struct monitord_unit *u, sd_bus_message *msg) {
        return bus_properties_read(msg, unit_property, u);
}

static int on_unit_all(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct monitord_unit *u = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int r;

        u->call = sd_bus_slot_unref(u->call);
        if (e) {
                log_warning("Failed to read unit %s from systemd: %s", u->name, e->message);
                return 0;
        }
        r = read_unit_properties(u, reply);
        if (r < 0)
                log_warning_errno(r, "Failed to parse the properties of unit %s: %m", u->name);
        evaluate(u->m);
        return 0;
}

static int unit_read(struct monitord_unit *u) {
        u->call = sd_bus_slot_unref(u->call);
        return sd_bus_call_method_async(u->m->bus, &u->call, SYSTEMD_BUS_NAME, u->path,
                                        "org.freedesktop.DBus.Properties", "GetAll", on_unit_all, u, "s",
                                        SYSTEMD_UNIT_IFACE);
}

static int on_unit_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        struct monitord_unit *u = userdata;
        const char *iface;
        int r = sd_bus_message_read(msg, "s", &iface);

        if (r < 0 || strcmp(iface, SYSTEMD_UNIT_IFACE) != 0)
                return 0;
        r = read_unit_properties(u, msg);
        if (r >= 0)
                /* Invalidated ones (as) are read again whole. */
                r = sd_bus_message_enter_container(msg, 'a', "s");
        if (r > 0) {
                const char *name;
                bool again = false;

                while (sd_bus_message_read(msg, "s", &name) > 0)
                        again = again || strcmp(name, "ActiveState") == 0 || strcmp(name, "LoadState") == 0;
                if (again)
                        (void) unit_read(u);
        }
        if (r < 0)
                log_warning_errno(r, "Failed to parse a change of unit %s: %m", u->name);
        evaluate(u->m);
        return 0;
}

static int on_unit_loaded(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct monitord_unit *u = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        _cleanup_talloc_ char *match = NULL;
        const char *path;
        int r;

        u->call = sd_bus_slot_unref(u->call);
        if (e) {
                /* A name systemd refuses is as good as a missing unit: unhealthy, and said so. */
                log_warning("systemd does not load unit %s: %s", u->name, e->message);
                (void) set_str(u, &u->load_state, "error");
                evaluate(u->m);
                return 0;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0 || set_str(u, &u->path, path) < 0)
                return log_warning_errno(r < 0 ? r : -ENOMEM, "Bad answer to LoadUnit(%s): %m", u->name), 0;
        match = talloc_asprintf(NULL,
                                "type='signal',sender='" SYSTEMD_BUS_NAME "',path='%s',"
                                "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'",
                                path);
        u->match = sd_bus_slot_unref(u->match);
        r = match ? sd_bus_add_match(u->m->bus, &u->match, match, on_unit_changed, u) : -ENOMEM;
        /* The match is in place before the read: no change falls between them. */
        if (r >= 0)
                r = unit_read(u);
        if (r < 0)
                log_error_errno(r, "Failed to watch unit %s: %m", u->name);
        return 0;
}

/* Asks systemd for the unit's object; on_unit_loaded() watches and reads it. */
static int unit_load(struct monitord_unit *u) {
        u->call = sd_bus_slot_unref(u->call);
        return sd_bus_call_method_async(u->m->bus, &u->call, SYSTEMD_BUS_NAME, SYSTEMD_PATH,
                                        SYSTEMD_MANAGER_IFACE, "LoadUnit", on_unit_loaded, u, "s", u->name);
}

int monitord_manager_rescan(monitord_manager *m) {
        int r = 0;

        if (!m->systemd_present)
                return -ENOTCONN;
        for (size_t i = 0; i < m->n_units && r >= 0; i++)
                r = unit_load(m->units[i]);
        return r;
}

static int on_subscribed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        monitord_manager *m = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        m->subscribe_call = sd_bus_slot_unref(m->subscribe_call);
        if (e)
                log_warning("Failed to subscribe to systemd's signals: %s; unit changes may go unseen",
                            e->message);
        return 0;
}

/* systemd (re)appeared: subscribe and read every unit again. */
static void systemd_presence(monitord_manager *m, bool present) {
        int r;

        if (present == m->systemd_present)
                return;
        m->systemd_present = present;
        if (!present) {
                /* The last states stay until systemd is back: a restart of it is no failure of the units. */
                log_notice("systemd left the bus; keeping the units' last state until it is back");
                return;
        }
        m->subscribe_call = sd_bus_slot_unref(m->subscribe_call);
        r = sd_bus_call_method_async(m->bus, &m->subscribe_call, SYSTEMD_BUS_NAME, SYSTEMD_PATH,
                                     SYSTEMD_MANAGER_IFACE, "Subscribe", on_subscribed, m, NULL);
        if (r >= 0)
                r = monitord_manager_rescan(m);
        if (r < 0)
                log_error_errno(r, "Failed to read the units from systemd: %m");
}

static void on_systemd(void *userdata, bool present) {
        systemd_presence(userdata, present);
}

int monitord_manager_start(monitord_manager *m) {
        int r;

        r = bus_name_watch_new(m, m->bus, SYSTEMD_BUS_NAME, on_systemd, m, &m->systemd_watch);

        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd on the bus: %m");
        /* Healthy (no units, or not read yet) is published from the start. */
        evaluate(m);
        return 0;
}

static int unit_destructor(struct monitord_unit *u) {
        u->match = sd_bus_slot_unref(u->match);
        u->call = sd_bus_slot_unref(u->call);
        return 0;
}

static struct monitord_unit *unit_new(monitord_manager *m, void *mem_ctx, const char *name) {
        struct monitord_unit *u = talloc_zero(mem_ctx, struct monitord_unit);

        if (!u || !(u->name = talloc_strdup(u, name)))
                return talloc_free(u), NULL;
        u->m = m;
        u->added_usec = now_usec(m);
        talloc_set_destructor(u, unit_destructor);
        return u;
}

static struct monitord_unit *unit_find(monitord_manager *m, const char *name) {
        for (size_t i = 0; i < m->n_units; i++)
                if (strcmp(m->units[i]->name, name) == 0)
                        return m->units[i];
        return NULL;
}

/*
 * The units of config, in its order: a unit watched before keeps its state
 * (and its watch), one no longer named is dropped (the units are children of
 * their array). The new ones are made first, so that without memory nothing
 * changes.
 */
static int set_units(monitord_manager *m, const struct ctdb_config *config) {
        struct monitord_unit **units;
        size_t n = 0;

        while (config->monitor_units && config->monitor_units[n])
                n++;
        units = talloc_zero_array(m, struct monitord_unit *, n ? n : 1);
        if (!units)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!unit_find(m, config->monitor_units[i]) &&
                    !(units[i] = unit_new(m, units, config->monitor_units[i]))) {
                        talloc_free(units);
                        return -ENOMEM;
                }
        for (size_t i = 0; i < n; i++)
                if (!units[i])
                        units[i] = talloc_steal(units, unit_find(m, config->monitor_units[i]));
        talloc_free(m->units);
        m->units = units;
        m->n_units = n;
        m->grace_usec = (uint64_t) config->monitor_grace_s * USEC_PER_SEC;
        return 0;
}

int monitord_manager_reload(monitord_manager *m, const struct ctdb_config *config) {
        _cleanup_talloc_ char *names = NULL;
        int r = set_units(m, config);

        if (r < 0)
                return r;
        names = talloc_strdup(NULL, "");
        for (size_t i = 0; names && i < m->n_units; i++) {
                names = talloc_asprintf_append(names, " %s", m->units[i]->name);
                if (m->systemd_present && !m->units[i]->path && !m->units[i]->call)
                        r = unit_load(m->units[i]);
                if (r < 0)
                        return log_error_errno(r, "Failed to read unit %s from systemd: %m", m->units[i]->name);
        }
        log_info("Watching %zu unit(s)%s%s, activating grace %" PRIu32 " s", m->n_units, names && *names ? ":" : "",
                 names ? names : "", config->monitor_grace_s);
        evaluate(m);
        return 0;
}

static int manager_destructor(monitord_manager *m) {
        /* The units' slots first: their callbacks point at m. */
        TALLOC_FREE(m->units);
        m->subscribe_call = sd_bus_slot_unref(m->subscribe_call);
        m->vtable_slot = sd_bus_slot_unref(m->vtable_slot);
        m->grace_timer = sd_event_source_disable_unref(m->grace_timer);
        m->polkit = polkit_registry_free(m->polkit);
        sd_bus_unref(m->bus);
        sd_event_unref(m->event);
        return 0;
}

int monitord_manager_new(void *mem_ctx, struct daemon_context *d, monitord_manager **ret) {
        monitord_manager *m = talloc_zero(mem_ctx, monitord_manager);

        if (!m)
                return log_oom();
        m->event = sd_event_ref(d->event);
        m->bus = sd_bus_ref(d->bus);
        m->config = talloc_steal(m, d->config);
        talloc_set_destructor(m, manager_destructor);
        if (set_units(m, m->config) < 0) {
                talloc_free(m);
                return log_oom();
        }
        if (m->n_units == 0)
                log_info("[monitor] units names none: this node is healthy");
        *ret = m;
        return 0;
}
