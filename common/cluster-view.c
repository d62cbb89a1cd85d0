/* clusterd's published state as the other daemons follow it; see cluster-view.h. */

#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "bus-name.h"
#include "bus-util.h"
#include "cluster-view.h"
#include "ctdb-names.h"
#include "ctdb-node.h"
#include "log.h"
#include "talloc-util.h"

struct cluster_view_watch {
        sd_bus *bus;
        struct cluster_view view;
        const struct cluster_view_ops *ops;
        void *userdata;
        struct bus_name_watch *owner;
        sd_bus_slot *match, *call;
};

static int read_bool(sd_bus_message *msg, bool *ret) {
        int b, r = sd_bus_message_read(msg, "v", "b", &b);

        if (r >= 0)
                *ret = b;
        return r;
}

/* Nodes a(usu): the flags of every slot, by pnn (a deleted slot reads as DELETED). */
static int read_nodes(struct cluster_view_watch *w, sd_bus_message *msg) {
        struct cluster_view *v = &w->view;
        uint32_t *flags = NULL, n = 0, pnn, f;
        const char *address;
        int r = sd_bus_message_enter_container(msg, 'v', "a(usu)");

        if (r >= 0)
                r = sd_bus_message_enter_container(msg, 'a', "(usu)");
        while (r >= 0 && (r = sd_bus_message_read(msg, "(usu)", &pnn, &address, &f)) > 0) {
                if (pnn >= CLUSTER_VIEW_MAX_NODES) {
                        r = -EBADMSG;
                        break;
                }
                if (pnn >= n) {
                        uint32_t *a = talloc_realloc(w, flags, uint32_t, pnn + 1);

                        if (!a) {
                                r = -ENOMEM;
                                break;
                        }
                        for (flags = a; n <= pnn; n++)
                                flags[n] = CTDB_NODE_FLAG_DELETED;
                }
                flags[pnn] = f;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        if (r < 0) {
                talloc_free(flags);
                return r;
        }
        talloc_free(v->flags);
        v->flags = flags;
        v->n_nodes = n;
        return 0;
}

static int read_property(struct cluster_view_watch *w, sd_bus_message *msg, const char *name) {
        struct cluster_view *v = &w->view;

        if (strcmp(name, "ThisNode") == 0)
                return sd_bus_message_read(msg, "v", "u", &v->this_node);
        if (strcmp(name, "Leader") == 0)
                return sd_bus_message_read(msg, "v", "u", &v->leader);
        if (strcmp(name, "Generation") == 0)
                return sd_bus_message_read(msg, "v", "u", &v->generation);
        if (strcmp(name, "Recovering") == 0)
                return read_bool(msg, &v->recovering);
        if (strcmp(name, "Quorate") == 0)
                return read_bool(msg, &v->quorate);
        if (strcmp(name, "VnnMap") == 0) {
                const void *a;
                size_t size;
                int r = sd_bus_message_enter_container(msg, 'v', "au");

                if (r >= 0)
                        r = sd_bus_message_read_array(msg, 'u', &a, &size);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
                talloc_free(v->vnnmap);
                v->n_vnnmap = (uint32_t) (size / sizeof(uint32_t));
                v->vnnmap = talloc_memdup_any(w, a, size);
                return v->vnnmap ? 0 : -ENOMEM;
        }
        if (strcmp(name, "Nodes") == 0)
                return read_nodes(w, msg);
        return sd_bus_message_skip(msg, "v");
}

/* a{sv} of the Manager's properties, as GetAll answers and PropertiesChanged carries. */
static int read_all(struct cluster_view_watch *w, sd_bus_message *msg) {
        int r = sd_bus_message_enter_container(msg, 'a', "{sv}");

        while (r > 0 && (r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *name;

                r = sd_bus_message_read(msg, "s", &name);
                if (r >= 0)
                        r = read_property(w, msg, name);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r >= 0)
                        r = 1;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        return r;
}

static int on_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        struct cluster_view_watch *w = userdata;
        const char *iface;
        int r;

        r = sd_bus_message_read(msg, "s", &iface);
        if (r < 0 || strcmp(iface, CLUSTERD_MANAGER_IFACE) != 0)
                return 0;
        r = read_all(w, msg);
        if (r < 0)
                return log_warning_errno(r, "Failed to read clusterd's properties: %m"), 0;
        if (w->view.known)
                w->ops->changed(w->userdata, &w->view);
        return 0;
}

static int on_all(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct cluster_view_watch *w = userdata;
        int r;

        w->call = sd_bus_slot_unref(w->call);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_debug("clusterd is not on the bus yet: %s", sd_bus_message_get_error(reply)->message);
                return 0;
        }
        r = read_all(w, reply);
        if (r < 0)
                return log_warning_errno(r, "Failed to read clusterd's properties: %m"), 0;
        w->view.known = true;
        w->ops->changed(w->userdata, &w->view);
        return 0;
}

static int load(struct cluster_view_watch *w) {
        w->call = sd_bus_slot_unref(w->call);
        return sd_bus_call_method_async(w->bus, &w->call, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                                        "org.freedesktop.DBus.Properties", "GetAll", on_all, w, "s",
                                        CLUSTERD_MANAGER_IFACE);
}

static void on_clusterd(void *userdata, bool present) {
        struct cluster_view_watch *w = userdata;

        if (present) {
                log_info("ctdb-clusterd is on the bus; reading its state");
                if (load(w) < 0)
                        log_warning("Failed to ask ctdb-clusterd for its state");
                return;
        }
        w->call = sd_bus_slot_unref(w->call);
        w->view.known = false;
        if (w->ops->gone)
                w->ops->gone(w->userdata);
}

static int watch_destructor(struct cluster_view_watch *w) {
        w->match = sd_bus_slot_unref(w->match);
        TALLOC_FREE(w->owner);
        w->call = sd_bus_slot_unref(w->call);
        sd_bus_unref(w->bus);
        return 0;
}

int cluster_view_watch_new(void *mem_ctx, sd_bus *bus, const struct cluster_view_ops *ops, void *userdata,
                           struct cluster_view_watch **ret) {
        struct cluster_view_watch *w = talloc_zero(mem_ctx, struct cluster_view_watch);
        int r;

        if (!w)
                return -ENOMEM;
        *w = (struct cluster_view_watch) { .bus = sd_bus_ref(bus), .ops = ops, .userdata = userdata };
        talloc_set_destructor(w, watch_destructor);
        r = sd_bus_match_signal_async(bus, &w->match, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                                      "org.freedesktop.DBus.Properties", "PropertiesChanged", on_changed,
                                      NULL, w);
        /* The change match first: a change between clusterd's arrival and GetAll is not lost. */
        if (r >= 0)
                r = bus_name_watch_new(w, bus, CLUSTERD_BUS_NAME, on_clusterd, w, &w->owner);
        if (r < 0) {
                talloc_free(w);
                return r;
        }
        *ret = w;
        return 0;
}
