/*
 * ctdb-dbd's manager (dbd-manager.h): the databases of this node, clusterd's
 * view read over D-Bus, and the tunnel to the other nodes' dbd through
 * tunneld. Record traffic is dbd-migrate.c's, recovery dbd-recovery.c's.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "bus-util.h"
#include "config.h"
#include "ctdb-names.h"
#include "ctdb-node.h"
#include "ctdb-srvid.h"
#include "dbd-glock.h"
#include "dbd-internal.h"
#include "dp-client.h"
#include "fs-util.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

/* Requests this node may have waiting on other nodes (fetches, recovery steps). */
#define DBD_REQUESTS_MAX 4096u

/* ---- the tunnel --------------------------------------------------------- */

/* A frame to this node's own dbd (a recovery step, a request this node routes to itself). */
struct self_frame {
        struct self_frame *next;
        size_t len;
        uint8_t data[];
};

static int on_self(sd_event_source *s, void *userdata) {
        dbd_manager *m = userdata;

        /* Handlers may send to this node again: those wait for the next round. */
        struct self_frame *list = m->self_queue;

        m->self_queue = m->self_tail = NULL;
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        while (list) {
                struct self_frame *f = list;

                list = f->next;
                dbd_manager_frame(m, m->pnn, f->data, f->len);
                talloc_free(f);
        }
        return 0;
}

/*
 * Frames to this node itself are handed to its own handlers from the loop,
 * not sent through tunneld (and its socket, which a recovery's batches to
 * itself could fill).
 */
static int send_self(dbd_manager *m, const uint8_t *data, size_t len) {
        struct self_frame *f;
        int r;

        if (!m->self_event) {
                r = sd_event_add_defer(m->event, &m->self_event, on_self, m);
                if (r < 0)
                        return r;
        }
        f = talloc_size(m, sizeof(*f) + len);
        if (!f)
                return -ENOMEM;
        f->next = NULL;
        f->len = len;
        memcpy(f->data, data, len);
        if (m->self_tail)
                m->self_tail->next = f;
        else
                m->self_queue = f;
        m->self_tail = f;
        return sd_event_source_set_enabled(m->self_event, SD_EVENT_ON);
}

int dbd_send(dbd_manager *m, uint32_t pnn, const struct wire_desc *desc, const void *msg) {
        uint8_t stack[4096];
        _cleanup_talloc_ uint8_t *heap = NULL;
        uint8_t *buf = stack;
        size_t need = wire_inner_size(desc, msg);
        int len;

        if (need > sizeof(stack)) {
                if (need > WIRE_INNER_MAX)
                        return -EMSGSIZE;
                buf = heap = talloc_size(NULL, need);
                if (!heap)
                        return -ENOMEM;
        }
        len = wire_inner_pack_into(desc, msg, buf, need);
        if (len < 0)
                return len;
        if (pnn == m->pnn)
                return send_self(m, buf, (size_t) len);
        /* Direct to the peer's dbd where there is a channel; else through tunneld (and ask for one). */
        if (pnn != CTDB_PNN_ALL && dbd_channel_send(m, pnn, buf, (size_t) len) >= 0)
                return 0;
        return dp_client_send_tunnel(m->dp, pnn, CTDB_TUNNEL_DBD, buf, (size_t) len);
}

bool dbd_node_reachable(dbd_manager *m, uint32_t pnn) {
        return pnn != m->pnn && m->view.known && pnn < m->view.n_nodes &&
               !(m->view.flags[pnn] & (CTDB_NODE_FLAG_DISCONNECTED | CTDB_NODE_FLAG_DELETED));
}

void dbd_send_others(dbd_manager *m, const struct wire_desc *desc, const void *msg) {
        for (uint32_t pnn = 0; pnn < m->view.n_nodes; pnn++)
                if (dbd_node_reachable(m, pnn))
                        (void) dbd_send(m, pnn, desc, msg);
}

/* The modules that handle dbd's kinds from other nodes; each handler gets the manager. */
static const struct {
        const struct wire_handler *handlers;
        const size_t *n;
} modules[] = {
        { dbd_migrate_handlers, &dbd_migrate_n_handlers },
        { dbd_txn_handlers, &dbd_txn_n_handlers },
        { dbd_recovery_handlers, &dbd_recovery_n_handlers },
        { dbd_glock_handlers, &dbd_glock_n_handlers },
        { dbd_ctdb_handlers, &dbd_ctdb_n_handlers },
};

int dbd_manager_receive(dbd_manager *m, uint32_t src, const uint8_t *data, size_t len) {
        struct wire_header h = { .src = src, .srvid = CTDB_TUNNEL_DBD };
        int kind = wire_inner_kind(data, len);

        if (kind < 0)
                return kind;
        h.kind = (uint16_t) kind;
        h.length = (uint32_t) len;
        data += WIRE_INNER_PREFIX_SIZE;
        len -= WIRE_INNER_PREFIX_SIZE;
        for (size_t i = 0; i < ELEMENTSOF(modules); i++)
                for (size_t j = 0; j < *modules[i].n; j++)
                        if (modules[i].handlers[j].kind == h.kind) {
                                _cleanup_talloc_ void *tmp = talloc_new(NULL);

                                return wire_dispatch(modules[i].handlers, *modules[i].n, tmp, &h, data, len, m);
                        }
        return -ENOMSG;
}

void dbd_manager_frame(dbd_manager *m, uint32_t src, const uint8_t *data, size_t len) {
        int kind = wire_inner_kind(data, len);
        int r = dbd_manager_receive(m, src, data, len);

        if (kind < 0)
                log_warning("Dropped a malformed frame from node %" PRIu32, src);
        else if (r == -ENOMSG)
                log_debug("Ignored a %s frame from node %" PRIu32, dbd_msg_kind_to_string(kind), src);
        else if (r < 0)
                log_warning_errno(r, "Dropped a %s frame from node %" PRIu32 ": %m",
                                  dbd_msg_kind_to_string(kind), src);
}

static void on_tunnel(void *userdata, uint32_t src, uint64_t tunnel_id, const uint8_t *data, size_t len) {
        dbd_manager_frame(userdata, src, data, len);
}

static void on_channel(void *userdata, uint32_t pnn, uint64_t tunnel_id, int fd, const uint8_t *pending,
                       size_t pending_len) {
        dbd_channel_received(userdata, pnn, tunnel_id, fd, pending, pending_len);
}

static int on_connected(void *userdata, uint32_t pnn, uint32_t n_nodes) {
        dbd_manager *m = userdata;
        int r;

        if (m->pnn != CTDB_PNN_NONE && m->pnn != pnn)
                return log_error_errno(
                        EINVAL, "ctdb-tunneld now says this node is %" PRIu32 ", not %" PRIu32, pnn, m->pnn);
        m->pnn = pnn;
        m->n_nodes = n_nodes;
        if (m->ready)
                return 0;
        r = dbd_local_start(m);
        if (r >= 0)
                r = dbd_ctdb_start(m);
        if (r < 0)
                return r;
        m->ready = true;
        daemon_notify_ready("Serving databases");
        return 0;
}

static void on_disconnected(void *userdata, int error) {
        dbd_manager *m = userdata;

        /*
         * Nothing from other nodes will answer now: what waits on them fails and
         * starts over. Channels go too: without tunneld nobody watches their peers.
         */
        dbd_channel_drop(m, CTDB_PNN_ALL);
        peer_requests_fail(m->requests, CTDB_PNN_ALL, -ENOTCONN);
}

static void on_link(void *userdata, uint32_t pnn, bool connected) {
        dbd_manager *m = userdata;

        /* tunneld's heartbeats are the channels' liveness check too. */
        if (!connected) {
                dbd_channel_drop(m, pnn);
                peer_requests_fail(m->requests, pnn, -ENOTCONN);
        }
}

static void on_error(void *userdata, int error, enum ctdb_client_request request, uint64_t srvid,
                     uint32_t dst) {
        dbd_manager *m = userdata;

        if (request == CTDB_CLIENT_REQUEST_TUNNEL_REGISTER) {
                log_error_errno(error, "Could not own dbd's tunnel: %m (is another ctdb-dbd running?)");
                return;
        }
        log_debug_errno(error, "A frame to node %" PRIu32 " was not delivered: %m", dst);
        /* No dbd there (ESRCH) or no link: what waits on that node would only time out. */
        if (request == CTDB_CLIENT_REQUEST_TUNNEL)
                peer_requests_fail(m->requests, dst, error);
}

static const struct dp_client_ops tunnel_ops = {
        .connected = on_connected,
        .disconnected = on_disconnected,
        .tunnel = on_tunnel,
        .channel = on_channel,
        .link = on_link,
        .error = on_error,
};

uint32_t dbd_lmaster(dbd_manager *m, const uint8_t *key, size_t len) {
        return ltdb_lmaster(m->vnnmap, m->n_vnnmap, key, len);
}

/* ---- clusterd's view ---------------------------------------------------- */

static void on_view_changed(void *userdata, const struct cluster_view *v) {
        dbd_manager *m = userdata;
        uint32_t *vnnmap = talloc_memdup_any(m, v->vnnmap, v->n_vnnmap * sizeof(uint32_t));
        /* The node flags, for ctdbd.socket's nodemap and its messages' routing. */
        uint32_t *flags = talloc_memdup_any(m, v->flags, v->n_nodes * sizeof(uint32_t));

        if ((v->n_vnnmap && !vnnmap) || (v->n_nodes && !flags)) {
                talloc_free(vnnmap);
                talloc_free(flags);
                return (void) log_oom();
        }
        talloc_free(m->view.vnnmap);
        talloc_free(m->view.flags);
        m->view = *v;
        m->view.vnnmap = vnnmap;
        m->view.flags = flags;
        log_debug("clusterd: generation %" PRIu32 "%s, leader %" PRIu32 ", %" PRIu32 " in the VnnMap",
                  v->generation, v->recovering ? " (recovering)" : "", v->leader, v->n_vnnmap);
        dbd_recovery_view_changed(m);
}

static void on_view_gone(void *userdata) {
        dbd_manager *m = userdata;

        log_warning("ctdb-clusterd left the bus; records wait for its return");
        m->view.known = false;
}

static const struct cluster_view_ops view_ops = {
        .changed = on_view_changed,
        .gone = on_view_gone,
};

static int on_recover_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        if (sd_bus_message_is_method_error(reply, NULL))
                log_info("clusterd did not start a recovery: %s", sd_bus_message_get_error(reply)->message);
        return 0;
}

void dbd_request_recovery(dbd_manager *m, const char *why) {
        int r;

        log_info("Asking for a recovery: %s", why);
        r = sd_bus_call_method_async(m->bus, NULL, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                                     CLUSTERD_MANAGER_IFACE, "Recover", on_recover_reply, m, "");
        if (r < 0)
                log_warning_errno(r, "Failed to ask clusterd for a recovery: %m");
}

/* ---- databases ---------------------------------------------------------- */

static int db_destructor(dbd_db *db) {
        dbd_migrate_db_free(db, -ESHUTDOWN);
        db->slot = sd_bus_slot_unref(db->slot);
        return 0;
}

/* Replicated databases live beside the volatile ones, as in CTDB: both start empty. */
static const char *db_dir(dbd_manager *m, enum ltdb_kind kind) {
        return kind == LTDB_PERSISTENT ? m->persistent_dir : m->volatile_dir;
}

int dbd_db_open(dbd_manager *m, const char *name, enum ltdb_kind kind, dbd_db **ret) {
        _cleanup_talloc_ char *escaped = NULL;
        dbd_db *db, **dbs;
        int r;

        if (!ltdb_name_is_valid(name))
                return -EINVAL;
        db = dbd_manager_find(m, name);
        if (db) {
                if (db->kind != kind)
                        return -EEXIST;
                *ret = db;
                return 0;
        }
        if (m->n_dbs >= DBD_MAX_DBS)
                return -ENOSPC;
        if (dbd_manager_find_id(m, ltdb_db_id(name)))
                return -EEXIST;         /* two names with one id: CTDB refuses that too */

        db = talloc_zero(m, dbd_db);
        if (!db)
                return -ENOMEM;
        db->m = m;
        db->kind = kind;
        db->id = ltdb_db_id(name);
        db->name = talloc_strdup(db, name);
        db->path = talloc_asprintf(db, "%s/%s.%" PRIu32, db_dir(m, kind), name, m->pnn);
        r = sd_bus_path_encode(DBD_DB_PREFIX, name, &escaped);
        if (r < 0 || !db->name || !db->path || !(db->object_path = talloc_strdup(db, escaped))) {
                talloc_free(db);
                return r < 0 ? r : -ENOMEM;
        }
        free(escaped);
        escaped = NULL;
        /*
         * Volatile and replicated databases start empty with every start of the
         * daemon (CTDB wipes them too); a replicated one is filled again by the
         * recovery from the nodes still running. Persistent ones are kept.
         */
        r = dbd_store_open(db, db->path, kind, kind != LTDB_PERSISTENT, &db->store);
        if (r < 0) {
                log_error_errno(r, "Failed to open %s: %m", db->path);
                talloc_free(db);
                return r;
        }
        /*
         * Opened during a recovery's freeze (a client attached meanwhile): frozen
         * from the start, so nothing is written to it that the recovery would not see.
         */
        if (m->frozen && (r = dbd_store_freeze(db->store)) < 0) {
                talloc_free(db);
                return r;
        }
        dbs = talloc_realloc(m, m->dbs, dbd_db *, m->n_dbs + 1);
        if (!dbs) {
                talloc_free(db);
                return -ENOMEM;
        }
        m->dbs = dbs;
        m->dbs[m->n_dbs++] = db;
        talloc_set_destructor(db, db_destructor);
        log_info("Attached %s database %s (id 0x%08" PRIx32 ") at %s", ltdb_kind_to_string(kind), name,
                 db->id, db->path);
        (void) dbd_bus_db_added(m, db);
        *ret = db;
        return 0;
}

/*
 * A new volatile database is empty on every node: the others attach it when
 * told (ATTACHED, as CTDB broadcasts DB_ATTACH), and nothing is recovered. A
 * persistent or replicated one may have copies that differ, so it comes to
 * the others through a recovery, which also makes them alike; so does a
 * volatile one attached while a recovery is under way, which would not see it.
 */
int dbd_manager_attach(dbd_manager *m, const char *name, enum ltdb_kind kind, dbd_db **ret) {
        bool known = dbd_manager_find(m, name) != NULL;
        int r = dbd_db_open(m, name, kind, ret);

        if (r < 0 || known)
                return r;
        if (kind == LTDB_VOLATILE && !m->frozen && m->generation) {
                struct dbd_db_info info = { .db_id = (*ret)->id,
                                            .kind = kind,
                                            .flags = (*ret)->flags,
                                            .name_len = (uint32_t) strlen((*ret)->name),
                                            .name = (*ret)->name };

                dbd_send_others(
                        m, &dbd_attached_desc,
                        &(struct dbd_attach_msg){ .generation = m->generation, .n_dbs = 1, .dbs = &info });
        } else
                dbd_request_recovery(m, "a database was attached");
        return r;
}

size_t dbd_manager_n_dbs(dbd_manager *m) {
        return m->n_dbs;
}

dbd_db *dbd_manager_db(dbd_manager *m, size_t i) {
        return i < m->n_dbs ? m->dbs[i] : NULL;
}

dbd_db *dbd_manager_find(dbd_manager *m, const char *name) {
        for (size_t i = 0; i < m->n_dbs; i++)
                if (strcmp(m->dbs[i]->name, name) == 0)
                        return m->dbs[i];
        return NULL;
}

dbd_db *dbd_manager_find_id(dbd_manager *m, uint32_t db_id) {
        for (size_t i = 0; i < m->n_dbs; i++)
                if (m->dbs[i]->id == db_id)
                        return m->dbs[i];
        return NULL;
}

sd_bus *dbd_manager_bus(dbd_manager *m) {
        return m->bus;
}

uint32_t dbd_manager_pnn(dbd_manager *m) {
        return m->pnn;
}

const char *dbd_db_name(const dbd_db *db) {
        return db->name;
}

enum ltdb_kind dbd_db_kind(const dbd_db *db) {
        return db->kind;
}

uint32_t dbd_db_id(const dbd_db *db) {
        return db->id;
}

const char *dbd_db_path(const dbd_db *db) {
        return db->path;
}

const char *dbd_db_object_path(const dbd_db *db) {
        return db->object_path;
}

uint64_t dbd_db_records(dbd_db *db) {
        return dbd_store_records(db->store);
}

bool dbd_db_readonly(const dbd_db *db) {
        return db->flags & DBD_DB_READONLY;
}

bool dbd_db_sticky(const dbd_db *db) {
        return db->flags & DBD_DB_STICKY;
}

/* ---- the manager -------------------------------------------------------- */

static int manager_destructor(dbd_manager *m) {
        /* First: closing clients below must not send their locks' ends any more. */
        TALLOC_FREE(m->glock);
        dbd_recovery_free(m);
        dbd_channel_drop(m, CTDB_PNN_ALL);
        /* Databases first: their waiters are answered while the sockets are still there. */
        while (m->n_dbs > 0)
                talloc_free(m->dbs[--m->n_dbs]);
        TALLOC_FREE(m->view_watch);
        m->freeze_timer = sd_event_source_disable_unref(m->freeze_timer);
        m->vacuum_timer = sd_event_source_disable_unref(m->vacuum_timer);
        m->ctdb_seqnum_timer = sd_event_source_disable_unref(m->ctdb_seqnum_timer);
        m->self_event = sd_event_source_disable_unref(m->self_event);
        sd_bus_unref(m->bus);
        sd_event_unref(m->event);
        return 0;
}

int dbd_manager_new(void *mem_ctx, struct daemon_context *d, dbd_manager **ret) {
        const struct ctdb_config *cfg = d->config;
        const char *run_dir = cfg->run_dir ? cfg->run_dir : CTDB_RUN_DIR;
        _cleanup_talloc_ char *tunnel_path = NULL;
        dbd_manager *m;
        int r;

        m = talloc_zero(mem_ctx, dbd_manager);
        if (!m)
                return log_oom();
        m->d = d;
        m->event = sd_event_ref(d->event);
        m->bus = sd_bus_ref(d->bus);
        m->config = talloc_steal(m, d->config);
        m->pnn = CTDB_PNN_NONE;
        talloc_set_destructor(m, manager_destructor);

        m->coordinator = CTDB_PNN_NONE;
        m->volatile_dir = talloc_strdup(m, cfg->volatile_db_dir ? cfg->volatile_db_dir
                                                                : CTDB_STATE_DIR "/volatile");
        m->persistent_dir = talloc_strdup(m, cfg->persistent_db_dir ? cfg->persistent_db_dir
                                                                    : CTDB_STATE_DIR "/persistent");
        m->socket_path = talloc_asprintf(m, "%s/db.sock", run_dir);
        tunnel_path = dp_client_socket_path(NULL, cfg->run_dir);
        if (!m->volatile_dir || !m->persistent_dir || !m->socket_path) {
                talloc_free(m);
                return log_oom();
        }
        for (enum ltdb_kind k = LTDB_VOLATILE; k <= LTDB_REPLICATED; k++) {
                r = mkdir_p(db_dir(m, k), 0700);
                if (r < 0) {
                        r = log_error_errno(r, "Failed to create %s: %m", db_dir(m, k));
                        talloc_free(m);
                        return r;
                }
        }

        r = peer_requests_new(m, m->event, DBD_REQUESTS_MAX, &m->requests);
        if (r >= 0)
                r = dbd_glock_new(m);
        if (r >= 0)
                r = dp_client_new(m, m->event, tunnel_path, &tunnel_ops, m, &m->dp);
        if (r >= 0)
                r = dp_client_register_tunnel(m->dp, CTDB_TUNNEL_DBD);
        if (r < 0) {
                talloc_free(m);
                return log_error_errno(r, "Failed to set up the manager: %m");
        }
        *ret = m;
        return 0;
}

int dbd_manager_start(dbd_manager *m) {
        int r = cluster_view_watch_new(m, m->bus, &view_ops, m, &m->view_watch);

        if (r < 0)
                return log_error_errno(r, "Failed to watch ctdb-clusterd: %m");
        r = dbd_vacuum_start(m);
        if (r < 0)
                return log_error_errno(r, "Failed to start vacuuming: %m");
        return dp_client_start(m->dp);
}
