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
        struct bus_properties_watch *props;
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

/* One property of the Manager into the view: 1 when read, 0 for one the view does not keep. */
static int read_property(void *userdata, const char *name, sd_bus_message *msg) {
        struct cluster_view_watch *w = userdata;
        struct cluster_view *v = &w->view;
        int r;

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

                r = sd_bus_message_enter_container(msg, 'v', "au");

                if (r >= 0)
                        r = sd_bus_message_read_array(msg, 'u', &a, &size);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
                talloc_free(v->vnnmap);
                v->n_vnnmap = (uint32_t) (size / sizeof(uint32_t));
                v->vnnmap = talloc_memdup_any(w, a, size);
                return v->vnnmap ? 1 : -ENOMEM;
        }
        if (strcmp(name, "Nodes") == 0) {
                r = read_nodes(w, msg);
                return r < 0 ? r : 1;
        }
        return 0;
}

/* GetAll's answer makes the view known; a change is passed on only while it is. */
static int on_properties(void *userdata, sd_bus_message *properties, bool all) {
        struct cluster_view_watch *w = userdata;
        int r = bus_properties_read(properties, read_property, w);

        if (r < 0)
                return r;
        if (all) {
                if (!w->view.known)
                        log_info("ctdb-clusterd is on the bus; read its state");
                w->view.known = true;
        }
        if (w->view.known)
                w->ops->changed(w->userdata, &w->view);
        return 0;
}

static void on_clusterd_gone(void *userdata) {
        struct cluster_view_watch *w = userdata;

        w->view.known = false;
        if (w->ops->gone)
                w->ops->gone(w->userdata);
}

static const struct bus_properties_ops clusterd_ops = {
        .changed = on_properties,
        .gone = on_clusterd_gone,
};

static int watch_destructor(struct cluster_view_watch *w) {
        TALLOC_FREE(w->props);
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
        r = bus_properties_watch_new(w, bus, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH, CLUSTERD_MANAGER_IFACE,
                                     &clusterd_ops, w, &w->props);
        if (r < 0) {
                talloc_free(w);
                return r;
        }
        *ret = w;
        return 0;
}
