/* Following who owns a bus name; see bus-name.h. */

#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "bus-name.h"
#include "log.h"

struct bus_name_watch {
        sd_bus *bus;
        char *name;
        bus_name_fn fn;
        void *userdata;
        bool present;
        sd_bus_slot *match, *call;
};

static void set_present(struct bus_name_watch *w, bool present) {
        if (present == w->present)
                return;
        w->present = present;
        w->fn(w->userdata, present);
}

static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        struct bus_name_watch *w = userdata;
        const char *name, *old_owner, *new_owner;

        /* The bus daemon's own signal: one we cannot parse changes nothing we know. */
        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0 || strcmp(name, w->name) != 0)
                return 0;
        if (old_owner[0] && new_owner[0])
                set_present(w, false);
        set_present(w, new_owner[0] != '\0');
        return 0;
}

static int on_owner_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct bus_name_watch *w = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        w->call = sd_bus_slot_unref(w->call);
        if (e && !sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                /* The match is in place: the next NameOwnerChanged corrects this. */
                log_warning("Failed to ask the bus who owns %s: %s", w->name, e->message);
        set_present(w, !e);
        return 0;
}

static int on_match_installed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct bus_name_watch *w = userdata;
        int r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_error("Failed to watch %s on the bus: %s", w->name,
                          sd_bus_message_get_error(reply)->message);
                return 0;
        }
        r = sd_bus_call_method_async(w->bus, &w->call, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetNameOwner", on_owner_reply, w, "s",
                                     w->name);
        if (r < 0)
                log_error_errno(r, "Failed to ask the bus who owns %s: %m", w->name);
        return 0;
}

static int watch_destructor(struct bus_name_watch *w) {
        w->match = sd_bus_slot_unref(w->match);
        w->call = sd_bus_slot_unref(w->call);
        sd_bus_unref(w->bus);
        return 0;
}

int bus_name_watch_new(void *mem_ctx, sd_bus *bus, const char *name, bus_name_fn fn, void *userdata,
                       struct bus_name_watch **ret) {
        struct bus_name_watch *w = talloc_zero(mem_ctx, struct bus_name_watch);
        char *match;
        int r;

        if (!w || !(w->name = talloc_strdup(w, name))) {
                talloc_free(w);
                return -ENOMEM;
        }
        w->bus = sd_bus_ref(bus);
        w->fn = fn;
        w->userdata = userdata;
        talloc_set_destructor(w, watch_destructor);
        match = talloc_asprintf(w,
                                "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                                name);
        r = match ? sd_bus_add_match_async(bus, &w->match, match, on_owner_changed, on_match_installed, w)
                  : -ENOMEM;
        if (r < 0) {
                talloc_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

/* ---- an interface's properties ------------------------------------------------------ */

struct bus_properties_watch {
        sd_bus *bus;
        const char *name, *path, *interface;
        const struct bus_properties_ops *ops;
        void *userdata;
        struct bus_name_watch *owner;
        sd_bus_slot *match, *call;
};

static void properties_read(struct bus_properties_watch *w, sd_bus_message *msg, bool all) {
        int r = w->ops->changed(w->userdata, msg, all);

        if (r < 0)
                log_warning_errno(r, "Failed to read the properties of %s: %m", w->name);
}

static int on_properties_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        struct bus_properties_watch *w = userdata;
        const char *interface;

        if (sd_bus_message_read(msg, "s", &interface) >= 0 && strcmp(interface, w->interface) == 0)
                properties_read(w, msg, false);
        return 0;
}

static int on_properties_all(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct bus_properties_watch *w = userdata;

        w->call = sd_bus_slot_unref(w->call);
        /* An owner that went again already, or does not serve the object yet: the next owner is read. */
        if (sd_bus_message_is_method_error(reply, NULL))
                log_debug("%s did not answer GetAll: %s", w->name, sd_bus_message_get_error(reply)->message);
        else
                properties_read(w, reply, true);
        return 0;
}

static void on_properties_owner(void *userdata, bool present) {
        struct bus_properties_watch *w = userdata;

        w->call = sd_bus_slot_unref(w->call);
        if (!present) {
                if (w->ops->gone)
                        w->ops->gone(w->userdata);
                return;
        }
        if (sd_bus_call_method_async(w->bus, &w->call, w->name, w->path, "org.freedesktop.DBus.Properties",
                                     "GetAll", on_properties_all, w, "s", w->interface) < 0)
                log_warning("Failed to ask %s for its properties", w->name);
}

static int properties_watch_destructor(struct bus_properties_watch *w) {
        TALLOC_FREE(w->owner);
        w->match = sd_bus_slot_unref(w->match);
        w->call = sd_bus_slot_unref(w->call);
        sd_bus_unref(w->bus);
        return 0;
}

int bus_properties_watch_new(void *mem_ctx, sd_bus *bus, const char *name, const char *path,
                             const char *interface, const struct bus_properties_ops *ops, void *userdata,
                             struct bus_properties_watch **ret) {
        struct bus_properties_watch *w = talloc_zero(mem_ctx, struct bus_properties_watch);
        int r;

        if (!w)
                return -ENOMEM;
        *w = (struct bus_properties_watch){ .bus = sd_bus_ref(bus), .name = name, .path = path,
                                            .interface = interface, .ops = ops, .userdata = userdata };
        talloc_set_destructor(w, properties_watch_destructor);
        /* The change match first: a change between the owner's arrival and GetAll is not lost. */
        r = sd_bus_match_signal_async(bus, &w->match, name, path, "org.freedesktop.DBus.Properties",
                                      "PropertiesChanged", on_properties_changed, NULL, w);
        if (r >= 0)
                r = bus_name_watch_new(w, bus, name, on_properties_owner, w, &w->owner);
        if (r < 0) {
                talloc_free(w);
                return r;
        }
        if (ret)
                *ret = w;
        return 0;
}

int bus_properties_read(sd_bus_message *msg, int (*property)(void *userdata, const char *name,
                                                             sd_bus_message *msg),
                        void *userdata) {
        int r = sd_bus_message_enter_container(msg, 'a', "{sv}");

        while (r >= 0 && (r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *name;

                r = sd_bus_message_read(msg, "s", &name);
                if (r >= 0)
                        r = property(userdata, name, msg);
                if (r == 0)
                        r = sd_bus_message_skip(msg, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        return r < 0 ? r : 0;
}
