/*
 * D-Bus glue of ctdb-clusterd: org.ctdb.cluster1.Manager at /org/ctdb/cluster1
 * and org.ctdb.cluster1.Node at /org/ctdb/cluster1/node/<pnn> (DESIGN.md
 * section 3). Reading is open to everyone; every method checks polkit action
 * org.ctdb.cluster1.manage. The XML in bus/ mirrors these vtables.
 */

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "clusterd-bus.h"
#include "config.h"
#include "event-target.h"
#include "log.h"
#include "clusterd-wire.h"

/* ---- publishing ---------------------------------------------------------- */

static void log_flags_event(clusterd_manager *m, uint32_t pnn, uint32_t old, uint32_t new) {
        char a[128], b[128], f1[32], f2[32], f3[32];
        const char *extra[] = { f1, f2, f3, NULL };

        snprintf(f1, sizeof(f1), "CTDB_PNN=%" PRIu32, pnn);
        snprintf(f2, sizeof(f2), "CTDB_FLAGS=0x%" PRIx32, new);
        snprintf(f3, sizeof(f3), "CTDB_OLD_FLAGS=0x%" PRIx32, old);
        log_event(LOG_NOTICE, CTDB_MESSAGE_NODE_FLAGS, extra, "Node %" PRIu32 " flags changed: %s -> %s%s",
                  pnn, bus_node_flags_to_string(old, a, sizeof(a)),
                  bus_node_flags_to_string(new, b, sizeof(b)), pnn == m->self ? " (this node)" : "");
}

/*
 * Whether the VnnMap on the bus is m's; if not, it becomes so (a copy). Out of
 * memory it says "published" and keeps the old copy, so the next change emits it.
 */
static bool vnnmap_published(clusterd_manager *m) {
        uint32_t *copy = NULL;

        if (m->pub_n_vnnmap == m->n_vnnmap &&
            (m->n_vnnmap == 0 || memcmp(m->pub_vnnmap, m->vnnmap, m->n_vnnmap * sizeof(uint32_t)) == 0))
                return true;
        if (m->n_vnnmap > 0 && !(copy = talloc_memdup(m, m->vnnmap, m->n_vnnmap * sizeof(uint32_t)))) {
                log_oom();
                return true;
        }
        talloc_free(m->pub_vnnmap);
        m->pub_vnnmap = copy;
        m->pub_n_vnnmap = m->n_vnnmap;
        return false;
}

/*
 * Emits PropertiesChanged (and journal events) for everything that changed since
 * last time, the Manager's in one signal: a VnnMap set with a recovery arrives
 * together with its Generation and Recovering = true.
 */
void clusterd_bus_publish(clusterd_manager *m) {
        char *props[9];
        unsigned n = 0;
        bool nodes_changed = false;

        for (uint32_t i = 0; i < m->n_nodes; i++) {
                struct clusterd_node *node = &m->nodes[i];
                uint32_t flags = clusterd_manager_node_flags(m, i);
                uint32_t ban_left = clusterd_manager_node_ban_left(m, i);
                bool added = node->pub_flags == CLUSTERD_PUB_NEW;
                char *np[5];
                unsigned k = 0;

                if (added && m->pub_valid)
                        clusterd_bus_emit_node_added(m, i);
                if (flags != node->pub_flags) {
                        if (m->pub_valid && !added)
                                log_flags_event(m, i, node->pub_flags, flags);
                        /* A slot deleted by ReloadNodes loses its address. */
                        if (!added && (flags ^ node->pub_flags) & CTDB_NODE_FLAG_DELETED)
                                np[k++] = (char *) "Address";
                        node->pub_flags = flags;
                        np[k++] = (char *) "Flags";
                        np[k++] = (char *) "Health";
                        nodes_changed = true;
                } else if (node->health_changed)
                        np[k++] = (char *) "Health";
                node->health_changed = false;
                if (ban_left != node->pub_ban_left) {
                        node->pub_ban_left = ban_left;
                        np[k++] = (char *) "BanTimeLeft";
                }
                np[k] = NULL;
                if (k > 0 && m->pub_valid)
                        clusterd_bus_emit_node_changed(m, i, np);
        }

        if (m->self != m->pub_self)
                props[n++] = (char *) "ThisNode";
        if (m->leader != m->pub_leader) {
                char f1[32];
                const char *extra[] = { f1, NULL };

                snprintf(f1, sizeof(f1), "CTDB_LEADER=%" PRIu32, m->leader);
                if (!m->pub_valid)
                        ;
                else if (m->leader == CTDB_PNN_NONE)
                        log_event(LOG_NOTICE, CTDB_MESSAGE_LEADER, extra, "No leader (%s)",
                                  m->quorate ? "election in progress" : "not quorate");
                else
                        log_event(LOG_NOTICE, CTDB_MESSAGE_LEADER, extra, "Leader is node %" PRIu32 "%s",
                                  m->leader, m->leader == m->self ? " (this node)" : "");
                props[n++] = (char *) "Leader";
        }
        if (m->generation != m->pub_generation) {
                char f1[32];
                const char *extra[] = { f1, NULL };

                snprintf(f1, sizeof(f1), "CTDB_GENERATION=%" PRIu32, m->generation);
                if (m->pub_valid)
                        log_event(LOG_INFO, CTDB_MESSAGE_GENERATION, extra, "Generation %" PRIu32,
                                  m->generation);
                props[n++] = (char *) "Generation";
        }
        if (m->recovering != m->pub_recovering)
                props[n++] = (char *) "Recovering";
        if (m->quorate != m->pub_quorate) {
                if (m->pub_valid)
                        log_notice("%s", m->quorate ? "Partition is quorate" : "Partition lost quorum");
                props[n++] = (char *) "Quorate";
        }
        if (nodes_changed)
                props[n++] = (char *) "Nodes";
        if (!vnnmap_published(m))
                props[n++] = (char *) "VnnMap";
        props[n] = NULL;

        m->pub_self = m->self;
        m->pub_leader = m->leader;
        m->pub_generation = m->generation;
        m->pub_recovering = m->recovering;
        m->pub_quorate = m->quorate;

        if (n > 0 && m->pub_valid)
                clusterd_bus_emit_manager_changed(m, props);
        m->pub_valid = true;
}

/* ---- Manager ---------------------------------------------------------------- */

static int property_get_recovering(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        clusterd_manager *m = userdata;

        return sd_bus_message_append(reply, "b", m->recovering);
}

static int property_get_quorate(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        clusterd_manager *m = userdata;

        return sd_bus_message_append(reply, "b", m->quorate);
}

static int property_get_vnnmap(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        clusterd_manager *m = userdata;

        return sd_bus_message_append_array(reply, 'u', m->vnnmap, m->n_vnnmap * sizeof(uint32_t));
}

static int property_get_nodes(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        clusterd_manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(usu)");
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < m->n_nodes; i++) {
                const struct clusterd_node *n = &m->nodes[i];

                r = sd_bus_message_append(reply, "(usu)", i, n->address ? n->address : "",
                                          clusterd_manager_node_flags(m, i));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

/* Validation shared by the node methods: an existing, not deleted pnn. */
static int check_pnn(clusterd_manager *m, uint32_t pnn, sd_bus_error *error) {
        if (pnn >= m->n_nodes)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "Node %" PRIu32 " does not exist (nodes are 0..%" PRIu32 ")", pnn,
                                         m->n_nodes ? m->n_nodes - 1 : 0);
        if (m->nodes[pnn].deleted)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS, "Node %" PRIu32 " is deleted", pnn);
        return 0;
}

/*
 * The no-op shortcut only for this node, whose flags are known for certain; a
 * remote node's flags in our view may lag behind a change just made.
 */
static bool control_is_noop(clusterd_manager *m, uint32_t op, uint32_t pnn) {
        if (pnn != m->self)
                return false;
        switch (op) {
        case CLUSTERD_OP_UNBAN:
                return !(m->flags & CTDB_NODE_FLAG_BANNED);
        case CLUSTERD_OP_DISABLE:
                return m->flags & CTDB_NODE_FLAG_PERMANENTLY_DISABLED;
        case CLUSTERD_OP_ENABLE:
                return !(m->flags & CTDB_NODE_FLAG_PERMANENTLY_DISABLED);
        case CLUSTERD_OP_STOP:
                return m->flags & CTDB_NODE_FLAG_STOPPED;
        case CLUSTERD_OP_CONTINUE:
                return !(m->flags & CTDB_NODE_FLAG_STOPPED);
        }
        return false;
}

/* The methods that act through clusterd_manager_control(), by member name. */
static const struct {
        const char *member;
        uint32_t op;
} control_methods[] = {
        { "Ban", CLUSTERD_OP_BAN },         { "Unban", CLUSTERD_OP_UNBAN },
        { "Disable", CLUSTERD_OP_DISABLE }, { "Enable", CLUSTERD_OP_ENABLE },
        { "Stop", CLUSTERD_OP_STOP },       { "Continue", CLUSTERD_OP_CONTINUE },
        { "Recover", CLUSTERD_OP_RECOVER },
};

/*
 * Ban(u pnn, u seconds), Unban/Disable/Enable/Stop/Continue(u pnn), Recover():
 * one handler in STYLE.md's order. Called again with the same message when
 * polkit answers.
 */
static int method_control(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        clusterd_manager *m = userdata;
        const char *member = sd_bus_message_get_member(call);
        uint32_t op = 0, pnn = CTDB_PNN_NONE, seconds = 0;
        int r;

        for (size_t i = 0; i < sizeof(control_methods) / sizeof(control_methods[0]); i++)
                if (member && strcmp(member, control_methods[i].member) == 0)
                        op = control_methods[i].op;
        if (op == 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_METHOD, "Unknown method %s",
                                         member ? member : "");

        if (op != CLUSTERD_OP_RECOVER) {
                r = sd_bus_message_read(call, "u", &pnn);
                if (r < 0)
                        return r;
        }
        if (op == CLUSTERD_OP_BAN) {
                r = sd_bus_message_read(call, "u", &seconds);
                if (r < 0)
                        return r;
        }

        if (op != CLUSTERD_OP_RECOVER) {
                r = check_pnn(m, pnn, error);
                if (r < 0)
                        return r;
        }
        if (op == CLUSTERD_OP_BAN && seconds == 0)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "Ban time must be at least 1 second");

        if (control_is_noop(m, op, pnn))
                return sd_bus_reply_method_return(call, NULL);

        r = bus_verify_polkit_async(call, CTDB_POLKIT_CLUSTER_MANAGE, &m->polkit, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* called again when polkit answers */

        /* Acts, publishes the change and replies (now or when the target node answers). */
        return clusterd_manager_control(m, call, op, pnn, seconds, error);
}

/* ctdb-tunneld's answer to the ReloadNodes clusterd passed on: the caller's answer (if there is one). */
static int on_tunnel_reloaded(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        _cleanup_bus_message_ sd_bus_message *call = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        /* Not running: it reads the file as it is now when it starts. */
        if (!e || sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                return call ? sd_bus_reply_method_return(call, NULL) : 0;
        log_warning("ctdb-tunneld did not reload the nodes file: %s", e->message);
        if (!call)
                return 0;
        return sd_bus_reply_method_errorf(call, e->name,
                                          "ctdb-clusterd reloaded the nodes file, ctdb-tunneld did not: %s",
                                          e->message);
}

int clusterd_bus_reload_nodes(clusterd_manager *m, sd_bus_message *call, sd_bus_error *error) {
        _cleanup_bus_message_ sd_bus_message *fwd = NULL;
        int r;

        r = clusterd_manager_reload_nodes(m, error);
        if (r < 0)
                return r;

        /* The tunnel must know the new peers too; the caller hears once both have
         * reloaded. No auto-start: a tunneld that is not running has nothing to reload. */
        r = sd_bus_message_new_method_call(m->bus, &fwd, TUNNELD_BUS_NAME, TUNNELD_BUS_PATH,
                                           TUNNELD_BUS_INTERFACE, "ReloadNodes");
        if (r >= 0)
                r = sd_bus_message_set_auto_start(fwd, false);
        if (r >= 0) {
                r = sd_bus_call_async(m->bus, NULL, fwd, on_tunnel_reloaded, call, 0);
                if (r >= 0)
                        sd_bus_message_ref(call); /* until on_tunnel_reloaded() */
        }
        if (r < 0) {
                log_warning_errno(r, "Failed to ask ctdb-tunneld to reload the nodes file: %m");
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED,
                                         "ctdb-clusterd reloaded the nodes file, but could not ask "
                                         "ctdb-tunneld to: %s",
                                         strerror(-r));
        }
        return 1;
}

static int method_reload_nodes(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        clusterd_manager *m = userdata;
        int r;

        r = bus_verify_polkit_async(call, CTDB_POLKIT_CLUSTER_MANAGE, &m->polkit, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1;
        return clusterd_bus_reload_nodes(m, call, error);
}

static const sd_bus_vtable clusterd_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("ThisNode", "u", NULL, offsetof(clusterd_manager, self),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Leader", "u", NULL, offsetof(clusterd_manager, leader),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Generation", "u", NULL, offsetof(clusterd_manager, generation),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Recovering", "b", property_get_recovering, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Quorate", "b", property_get_quorate, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Nodes", "a(usu)", property_get_nodes, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("VnnMap", "au", property_get_vnnmap, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES("Ban", "uu", SD_BUS_PARAM(pnn) SD_BUS_PARAM(seconds), "", "",
                                 method_control, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Unban", "u", SD_BUS_PARAM(pnn), "", "", method_control,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Disable", "u", SD_BUS_PARAM(pnn), "", "", method_control,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Enable", "u", SD_BUS_PARAM(pnn), "", "", method_control,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Stop", "u", SD_BUS_PARAM(pnn), "", "", method_control,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Continue", "u", SD_BUS_PARAM(pnn), "", "", method_control,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Recover", "", "", method_control, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ReloadNodes", "", "", method_reload_nodes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("RecoveryStarted", "u", SD_BUS_PARAM(generation), 0),
        SD_BUS_SIGNAL_WITH_NAMES("RecoveryFinished", "u", SD_BUS_PARAM(generation), 0),
        SD_BUS_VTABLE_END,
};

/* ---- Node ------------------------------------------------------------------- */

static int property_get_node_address(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        struct clusterd_node *n = userdata;

        return sd_bus_message_append(reply, "s", n->address ? n->address : "");
}

static int property_get_node_flags(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        struct clusterd_node *n = userdata;

        return sd_bus_message_append(reply, "u", clusterd_manager_node_flags(n->manager, n->pnn));
}

static int property_get_node_ban_time_left(sd_bus *bus, const char *path, const char *interface,
                                           const char *property, sd_bus_message *reply, void *userdata,
                                           sd_bus_error *error) {
        struct clusterd_node *n = userdata;

        return sd_bus_message_append(reply, "u", clusterd_manager_node_ban_left(n->manager, n->pnn));
}

static int property_get_node_health(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        struct clusterd_node *n = userdata;
        clusterd_manager *m = n->manager;
        char buf[128], health[512];

        uint32_t flags = clusterd_manager_node_flags(m, n->pnn);
        /* This node's failing units come from ctdb-monitord, another node's from its announcements. */
        const char *units = n->pnn == m->self ? m->health_units : n->health;

        bus_node_flags_to_string(flags, buf, sizeof(buf));
        if (units && (flags & CTDB_NODE_FLAG_UNHEALTHY)) {
                snprintf(health, sizeof(health), "%s: %s", buf, units);
                return sd_bus_message_append(reply, "s", health);
        }
        return sd_bus_message_append(reply, "s", buf);
}

static const sd_bus_vtable node_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Pnn", "u", NULL, offsetof(struct clusterd_node, pnn), SD_BUS_VTABLE_PROPERTY_CONST),
        /* Not const: ReloadNodes may delete the slot, and its address becomes "". */
        SD_BUS_PROPERTY("Address", "s", property_get_node_address, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Flags", "u", property_get_node_flags, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("BanTimeLeft", "u", property_get_node_ban_time_left, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Health", "s", property_get_node_health, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* "/org/ctdb/cluster1/node/<pnn>" -> pnn, or -ENOENT. */
static int node_path_to_pnn(const clusterd_manager *m, const char *path, uint32_t *ret) {
        const char *p;
        char *end;
        unsigned long v;

        if (strncmp(path, CLUSTERD_NODE_PREFIX "/", strlen(CLUSTERD_NODE_PREFIX "/")) != 0)
                return -ENOENT;
        p = path + strlen(CLUSTERD_NODE_PREFIX "/");
        if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
                return -ENOENT;
        errno = 0;
        v = strtoul(p, &end, 10);
        if (errno != 0 || *end != '\0' || v >= m->n_nodes)
                return -ENOENT;
        *ret = (uint32_t) v;
        return 0;
}

static int node_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                     sd_bus_error *error) {
        clusterd_manager *m = userdata;
        uint32_t pnn;

        if (node_path_to_pnn(m, path, &pnn) < 0)
                return 0;
        *found = &m->nodes[pnn];
        return 1;
}

static int node_enumerate(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes,
                          sd_bus_error *error) {
        clusterd_manager *m = userdata;
        char **l;

        l = calloc((size_t) m->n_nodes + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (uint32_t i = 0; i < m->n_nodes; i++) {
                if (asprintf(&l[i], CLUSTERD_NODE_PREFIX "/%" PRIu32, i) < 0) {
                        for (uint32_t k = 0; k < i; k++)
                                free(l[k]);
                        free(l);
                        return -ENOMEM;
                }
        }
        *ret_nodes = l;
        return 0;
}

int clusterd_bus_register(clusterd_manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, CLUSTERD_MANAGER_PATH, CLUSTERD_MANAGER_IFACE,
                                     clusterd_manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(m->bus, NULL, CLUSTERD_NODE_PREFIX, CLUSTERD_NODE_IFACE, node_vtable,
                                       node_find, m);
        if (r < 0)
                return r;
        r = sd_bus_add_node_enumerator(m->bus, NULL, CLUSTERD_NODE_PREFIX, node_enumerate, m);
        if (r < 0)
                return r;
        return sd_bus_add_object_manager(m->bus, NULL, CLUSTERD_MANAGER_PATH);
}

void clusterd_bus_emit_manager_changed(clusterd_manager *m, char **props) {
        if (!m->bus || !props || !props[0])
                return;
        (void) sd_bus_emit_properties_changed_strv(m->bus, CLUSTERD_MANAGER_PATH, CLUSTERD_MANAGER_IFACE,
                                                   props);
}

void clusterd_bus_emit_node_changed(clusterd_manager *m, uint32_t pnn, char **props) {
        char path[64];

        if (!m->bus || !props || !props[0])
                return;
        snprintf(path, sizeof(path), CLUSTERD_NODE_PREFIX "/%" PRIu32, pnn);
        (void) sd_bus_emit_properties_changed_strv(m->bus, path, CLUSTERD_NODE_IFACE, props);
}

void clusterd_bus_emit_node_added(clusterd_manager *m, uint32_t pnn) {
        char path[64];

        if (!m->bus)
                return;
        snprintf(path, sizeof(path), CLUSTERD_NODE_PREFIX "/%" PRIu32, pnn);
        (void) sd_bus_emit_interfaces_added(m->bus, path, CLUSTERD_NODE_IFACE, NULL);
}

void clusterd_bus_emit_recovery(clusterd_manager *m, bool started, uint32_t generation) {
        char gen[48], pnn[32];
        const char *env[] = { gen, pnn, NULL };

        if (!m->bus)
                return;
        (void) sd_bus_emit_signal(m->bus, CLUSTERD_MANAGER_PATH, CLUSTERD_MANAGER_IFACE,
                                  started ? "RecoveryStarted" : "RecoveryFinished", "u", generation);
        if (started)
                return;
        snprintf(gen, sizeof(gen), "CTDB_GENERATION=%" PRIu32, generation);
        snprintf(pnn, sizeof(pnn), "CTDB_PNN=%" PRIu32, m->self);
        (void) ctdb_event_start(m->bus, m->config->run_dir, CTDB_EVENT_RECOVERED, env);
}
