/*
 * db.sock: ctdb-dbd's local clients (common/db-proto.h), on
 * common/local-server.c. A client attaches, then asks for migrations,
 * fetches and traverses; what it waits for hangs on its talloc context, so a
 * client that goes away takes its waiters with it.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "db-proto.h"
#include "dbd-glock.h"
#include "dbd-internal.h"
#include "local-server.h"
#include "log.h"
#include "talloc-util.h"

/* smbd opens one connection per process: a busy file server has hundreds. */
static const struct local_server_limits limits = {
        .clients_max = 4096u,
        .outq_frames_max = 1024u,
        .outq_bytes_max = 8u * 1024u * 1024u,
};

/* One request of a client that waits (a migration or a fetch). */
struct local_wait {
        struct dbd_waiter w;
        struct local_client *c;
        uint64_t id;
};

static int local_wait_destructor(struct local_wait *lw) {
        dbd_waiter_cancel(&lw->w);
        return 0;
}

static void reply(struct local_client *c, uint64_t id, uint16_t kind, const struct wire_desc *desc,
                  const void *msg) {
        struct wire_header h = { .kind = kind, .srvid = id };
        uint8_t stack[1024];
        _cleanup_talloc_ uint8_t *heap = NULL;
        uint8_t *buf = stack;
        size_t need = WIRE_HEADER_SIZE + wire_payload_size(desc, msg);
        int len;

        if (need > sizeof(stack) && !(buf = heap = talloc_size(NULL, need)))
                return (void) log_oom();
        len = wire_frame_pack(&h, desc, msg, buf, need);
        if (len < 0)
                return (void) log_warning_errno(len, "Failed to pack a %s answer: %m",
                                                db_local_kind_to_string(kind));
        local_client_send(c, buf, buf + WIRE_HEADER_SIZE, (size_t) len - WIRE_HEADER_SIZE);
}

static void reply_error(struct local_client *c, uint64_t id, int error) {
        struct db_reply r = { .error = error < 0 ? -error : error };

        reply(c, id, DB_LOCAL_REPLY, &db_reply_desc, &r);
}

static void on_migrated(struct dbd_waiter *w, int error) {
        struct local_wait *lw = (struct local_wait *) w;

        reply_error(lw->c, lw->id, error);
        talloc_free(lw);
}

static void on_fetched(struct dbd_waiter *w, int error, const uint8_t *value, size_t len) {
        struct local_wait *lw = (struct local_wait *) w;
        struct db_value v = { .error = error < 0 ? -error : 0, .value = value, .value_len = (uint32_t) len };

        reply(lw->c, lw->id, DB_LOCAL_VALUE, &db_value_desc, &v);
        talloc_free(lw);
}

static int on_attach(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t len) {
        const struct db_attach *a = msg;
        struct local_client *c = userdata;
        dbd_manager *m = local_client_get_userdata(c);
        struct db_attach_reply r = { 0 };
        dbd_db *db = NULL;
        int q;

        q = a->kind > LTDB_REPLICATED ? -EINVAL : dbd_manager_attach(m, a->name, a->kind, &db);
        /*
         * A persistent or replicated copy is read straight from the file: not
         * before this node's recovery brought it up to date (the client retries).
         */
        if (q >= 0 && a->kind != LTDB_VOLATILE && !dbd_db_txn_ready(db))
                q = -EAGAIN;
        if (q < 0) {
                r.error = -q;
                r.path = (char *) "";
        } else {
                r = (struct db_attach_reply) {
                        .db_id = db->id,
                        .tdb_flags = (uint32_t) dbd_store_tdb_flags(db->store),
                        .hash_size = LTDB_HASH_SIZE,
                        .path = db->path,
                        .path_len = (uint32_t) strlen(db->path),
                };
        }
        r.path_len = (uint32_t) strlen(r.path);
        reply(c, h->srvid, DB_LOCAL_ATTACH_REPLY, &db_attach_reply_desc, &r);
        return 0;
}

static int on_key_request(void *userdata, const struct wire_header *h, const void *msg,
                          const uint8_t *payload, size_t len) {
        const struct db_key_req *k = msg;
        struct local_client *c = userdata;
        dbd_manager *m = local_client_get_userdata(c);
        dbd_db *db = dbd_manager_find_id(m, k->db_id);
        struct local_wait *lw;
        int r;

        if (h->kind == DB_LOCAL_DELETED) {
                if (db)
                        dbd_vacuum_queue(db, k->key, k->key_len);
                return 0;
        }
        if (!db) {
                reply_error(c, h->srvid, ENOENT);
                return 0;
        }
        lw = talloc_zero(local_client_ctx(c), struct local_wait);
        if (!lw)
                return -ENOMEM;
        lw->c = c;
        lw->id = h->srvid;
        talloc_set_destructor(lw, local_wait_destructor);
        if (h->kind == DB_LOCAL_FETCH) {
                lw->w.value = on_fetched;
                r = dbd_fetch_value(db, k->key, k->key_len, k->flags & DB_FETCH_READONLY, &lw->w);
        } else {
                lw->w.done = on_migrated;
                r = dbd_migrate(db, k->key, k->key_len, &lw->w);
        }
        if (r < 0) {
                talloc_free(lw);
                reply_error(c, h->srvid, r);
        }
        return 0;
}

/* A client's commit (dbd-txn.c): answered when it is durable everywhere, or why not. */
struct local_commit {
        struct dbd_commit c;
        struct local_client *client;
        uint64_t id;
};

static int local_commit_destructor(struct local_commit *lc) {
        dbd_commit_cancel(&lc->c);
        return 0;
}

static void on_committed(struct dbd_commit *c, int error, uint64_t seqnum) {
        struct local_commit *lc = (struct local_commit *) c;
        struct db_txn_result res = { .error = error < 0 ? -error : 0, .seqnum = seqnum };

        reply(lc->client, lc->id, DB_LOCAL_TXN_RESULT, &db_txn_result_desc, &res);
        talloc_free(lc);
}

static int on_txn_commit(void *userdata, const struct wire_header *h, const void *msg,
                         const uint8_t *payload, size_t len) {
        const struct db_txn *txn = msg;
        struct local_client *c = userdata;
        dbd_manager *m = local_client_get_userdata(c);
        dbd_db *db = dbd_manager_find_id(m, txn->db_id);
        struct local_commit *lc = talloc_zero(local_client_ctx(c), struct local_commit);
        struct db_txn plain = *txn;
        char lock[32] = "";
        int r;

        if (!lc)
                return -ENOMEM;
        *lc = (struct local_commit) { .c.done = on_committed, .client = c, .id = h->srvid,
                                      .c.pid = (uint32_t) local_client_pid(c) };
        talloc_set_destructor(lc, local_commit_destructor);
        /* The transaction lock goes with the commit; without it held there is nothing to give up. */
        if (txn->flags & DB_TXN_UNLOCK) {
                snprintf(lock, sizeof(lock), DB_TXN_LOCK_NAME, txn->db_id);
                if (dbd_glock_client_held(m, c, lock, strlen(lock), &lc->c.lock_id) < 0) {
                        plain.flags &= ~DB_TXN_UNLOCK;
                        txn = &plain;
                        lock[0] = 0;
                }
        }
        r = db ? dbd_txn_commit(db, txn, &lc->c) : -ENOENT;
        if (lock[0]) {
                struct db_glock_unlock u = { .name = lock, .name_len = (uint32_t) strlen(lock) };

                /* Sent: the master releases it on arrival. Not sent: released here as an unlock would. */
                if (r >= 0)
                        dbd_glock_client_forget(m, lc->c.lock_id);
                else
                        (void) dbd_glock_client_unlock(m, c, &u);
        }
        if (r < 0) {
                struct db_txn_result res = { .error = -r };

                talloc_free(lc);
                reply(c, h->srvid, DB_LOCAL_TXN_RESULT, &db_txn_result_desc, &res);
        }
        return 0;
}

/* Every live record of the cluster, streamed to the client as RECORDS (dbd-ops.c). */
static int on_traverse(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                       size_t len) {
        const struct db_traverse *t = msg;
        struct local_client *c = userdata;
        int r = dbd_traverse_local_client(local_client_get_userdata(c), c, h->srvid, t->db_id);

        if (r < 0)
                reply_error(c, h->srvid, r);
        return 0;
}

/* ---- g_lock (dbd-glock.c) ---- */

static int on_glock_lock(void *userdata, const struct wire_header *h, const void *msg,
                         const uint8_t *payload, size_t len) {
        struct local_client *c = userdata;
        int r = dbd_glock_client_lock(local_client_get_userdata(c), c, h->srvid, msg);

        if (r < 0)
                reply(c, h->srvid, DB_LOCAL_GLOCK_REPLY, &db_glock_reply_desc, &(struct db_reply){ -r });
        return 0;
}

static int on_glock_unlock(void *userdata, const struct wire_header *h, const void *msg,
                           const uint8_t *payload, size_t len) {
        struct local_client *c = userdata;
        int r = dbd_glock_client_unlock(local_client_get_userdata(c), c, msg);

        reply(c, h->srvid, DB_LOCAL_GLOCK_REPLY, &db_glock_reply_desc, &(struct db_reply){ r < 0 ? -r : 0 });
        return 0;
}

/* A client's GLOCK_LIST while the master answers; goes with the client. */
struct local_list {
        struct dbd_glock_lister l;
        struct local_client *c;
        uint64_t id;
};

static int local_list_destructor(struct local_list *ll) {
        dbd_glock_list_cancel(&ll->l);
        return 0;
}

static void on_glock_listed(struct dbd_glock_lister *l, int error, const struct db_glock_entries *list) {
        struct local_list *ll = (struct local_list *) l;
        struct db_glock_entries none = { .error = -error };

        reply(ll->c, ll->id, DB_LOCAL_GLOCK_ENTRIES, &db_glock_entries_desc, error < 0 ? &none : list);
        talloc_free(ll);
}

static int on_glock_list(void *userdata, const struct wire_header *h, const void *msg,
                         const uint8_t *payload, size_t len) {
        struct local_client *c = userdata;
        struct local_list *ll = talloc_zero(local_client_ctx(c), struct local_list);
        int r;

        if (!ll)
                return -ENOMEM;
        *ll = (struct local_list){ .l.done = on_glock_listed, .c = c, .id = h->srvid };
        talloc_set_destructor(ll, local_list_destructor);
        r = dbd_glock_list(local_client_get_userdata(c), &ll->l);
        if (r < 0) {
                talloc_free(ll);
                reply_error(c, h->srvid, r);
        }
        return 0;
}

static const struct wire_handler local_handlers[] = {
        { DB_LOCAL_ATTACH, &db_attach_desc, on_attach },
        { DB_LOCAL_MIGRATE, &db_key_req_desc, on_key_request },
        { DB_LOCAL_FETCH, &db_key_req_desc, on_key_request },
        { DB_LOCAL_DELETED, &db_key_req_desc, on_key_request },
        { DB_LOCAL_TRAVERSE, &db_traverse_desc, on_traverse },
        { DB_LOCAL_TXN_COMMIT, &db_txn_desc, on_txn_commit },
        { DB_LOCAL_GLOCK_LOCK, &db_glock_lock_desc, on_glock_lock },
        { DB_LOCAL_GLOCK_UNLOCK, &db_glock_unlock_desc, on_glock_unlock },
        { DB_LOCAL_GLOCK_LIST, &db_glock_list_desc, on_glock_list },
};

static void on_hello(void *userdata, struct wire_hello *ret) {
        dbd_manager *m = userdata;

        *ret = (struct wire_hello) {
                .magic = WIRE_MAGIC,
                .major = WIRE_VERSION_MAJOR,
                .minor = WIRE_VERSION_MINOR,
                .pnn = m->pnn,
                .n_nodes = m->n_nodes,
        };
}

static int on_connected(struct local_client *c, void *userdata) {
        local_client_set_userdata(c, userdata);
        return 0;
}

static int on_frame(struct local_client *c, const struct wire_header *h, const uint8_t *payload, size_t len,
                    void *userdata) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        int r;

        r = wire_dispatch(local_handlers, ELEMENTSOF(local_handlers), tmp, h, payload, len, c);
        if (r == -ENOMSG) {
                log_debug("Client %d sent an unknown frame kind %u", (int) local_client_pid(c), h->kind);
                return -EBADMSG;
        }
        return r;
}

/* The client's process died or closed the socket: its g_locks go (CTDB: the owner's death). */
static void on_disconnected(struct local_client *c, void *userdata) {
        dbd_glock_client_gone(userdata, c);
}

static const struct local_server_ops ops = {
        .hello = on_hello,
        .connected = on_connected,
        .frame = on_frame,
        .disconnected = on_disconnected,
};

int dbd_local_start(dbd_manager *m) {
        int r = local_server_new(m, m->event, m->socket_path, &ops, &limits, m, &m->local);

        if (r < 0)
                return log_error_errno(r, "Failed to listen on %s: %m", m->socket_path);
        return 0;
}

void dbd_local_send_records(struct local_client *c, uint64_t id, const struct db_records *batch) {
        reply(c, id, DB_LOCAL_RECORDS, &db_records_desc, batch);
}

void dbd_local_send_error(struct local_client *c, uint64_t id, int error) {
        reply_error(c, id, error);
}
