/*
 * Operations on a whole database or on one record for the control plane
 * (D-Bus, dbd-manager.h) and for db.sock's TRAVERSE: a cluster-wide traverse
 * (every node sends the live records it is the dmaster of), Keys, Wipe,
 * read-only and sticky switches, and Fetch/Store/Delete as a client would do
 * them (Store and Delete migrate the record here first).
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "dbd-batch.h"
#include "dbd-internal.h"
#include "list.h"
#include "local-server.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

#define OP_TIMEOUT_USEC (30 * 1000 * 1000ull)

/* ---- a request to every node of the VnnMap ------------------------------ */

struct cluster_op;

/* One node's part; a talloc child of its peer request. First member: the sink for RECORDS. */
struct op_part {
        struct dbd_sink sink;
        struct op_part *next, *prev;
        struct cluster_op *op;
        struct peer_request *req;
};

/* Embedded first in its owner; the owner's destructor calls op_cancel(). */
struct cluster_op {
        dbd_manager *m;
        bool here_only;         /* persistent and replicated: this node's copy is all of it */
        struct op_part *parts;
        unsigned outstanding;
        int error;
        /* traverse */
        uint32_t max;
        uint64_t seen;
        int (*record)(struct cluster_op *op, const struct db_record *r);
        void (*finished)(struct cluster_op *op, int error);
        void *userdata;
};

static void op_part_done(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct op_part *part = userdata;
        struct cluster_op *op = part->op;
        const struct dbd_ack_msg *a = reply;

        if (!op)
                return;
        LIST_REMOVE(op->parts, part);
        part->op = NULL;
        if (error >= 0 && a && a->error)
                error = -a->error;
        if (error < 0 && !op->error)
                op->error = error;
        if (--op->outstanding == 0)
                op->finished(op, op->error);
}

static int op_batch(struct dbd_sink *s, uint32_t src, const struct db_records *batch) {
        struct op_part *part = (struct op_part *) s;
        struct cluster_op *op = part->op;

        if (!op)
                return -ECANCELED;
        for (uint32_t i = 0; i < batch->n_records; i++) {
                int r;

                if (op->max && op->seen >= op->max)
                        break;
                op->seen++;
                r = op->record(op, &batch->records[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int part_destructor(struct op_part *part) {
        if (part->op)
                LIST_REMOVE(part->op->parts, part);
        return 0;
}

/* The parts still out are cancelled: their answers find no request. */
static void op_cancel(struct cluster_op *op) {
        while (op->parts) {
                struct op_part *part = op->parts;

                LIST_REMOVE(op->parts, part);
                part->op = NULL;
                peer_request_cancel(part->req);
        }
}

/*
 * Sends desc/msg (whose first member is a uint32_t id) to every node of the
 * VnnMap; op->finished runs once all answered. An op that goes away first
 * (its owner was freed) cancels nothing: its parts just find no op.
 */
static int op_send_all(struct cluster_op *op, const struct wire_desc *desc, void *msg, uint32_t *id) {
        dbd_manager *m = op->m;
        int r = 0;

        if (m->n_vnnmap == 0 || m->frozen)
                return -EAGAIN;
        for (uint32_t i = 0; i < m->n_vnnmap; i++) {
                uint32_t to = op->here_only ? m->pnn : m->vnnmap[i];
                struct peer_request *req;
                struct op_part *part;

                if (op->here_only && i > 0)
                        break;
                r = peer_request_new(m->requests, to, OP_TIMEOUT_USEC, op_part_done, NULL, &req);
                if (r < 0)
                        break;
                part = talloc_zero(req, struct op_part);
                if (!part) {
                        peer_request_cancel(req);
                        r = -ENOMEM;
                        break;
                }
                *part = (struct op_part) { .sink.batch = op_batch, .op = op, .req = req };
                talloc_set_destructor(part, part_destructor);
                LIST_PREPEND(op->parts, part);
                peer_request_set_userdata(req, part);
                *id = peer_request_id(req);
                r = dbd_send(m, to, desc, msg);
                if (r < 0) {
                        peer_request_cancel(req);
                        break;
                }
                op->outstanding++;
        }
        if (r < 0 && op->outstanding > 0) {
                /* Those sent will answer; the op finishes with the error then. */
                op->error = r;
                return 0;
        }
        return r;
}

/* ---- answers to requests of every kind (RECORDS batches, ACK) ----------- */

int dbd_on_records(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                      size_t len) {
        const struct dbd_records_msg *r = msg;
        dbd_manager *m = userdata;
        struct peer_request *req = peer_requests_find(m->requests, h->src, r->id);
        struct dbd_sink *sink;
        int q;

        if (!req)
                return 0;       /* timed out or cancelled */
        sink = peer_request_get_userdata(req);
        q = sink && sink->batch ? sink->batch(sink, h->src, &r->batch) : -EBADMSG;
        if (q < 0) {
                struct dbd_ack_msg fail = { .id = r->id, .error = -q };

                return peer_requests_complete(m->requests, h->src, r->id, &fail), 0;
        }
        if (r->batch.last) {
                struct dbd_ack_msg ok = { .id = r->id };

                (void) peer_requests_complete(m->requests, h->src, r->id, &ok);
        }
        return 0;
}

int dbd_on_ack(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                  size_t len) {
        const struct dbd_ack_msg *a = msg;
        dbd_manager *m = userdata;

        (void) peer_requests_complete(m->requests, h->src, a->id, a);
        return 0;
}

/* ---- traverse: the responder -------------------------------------------- */

struct traverse_send {
        dbd_manager *m;
        uint32_t to, id, generation, max;
        uint64_t n;
};

static int traverse_flush(void *userdata, const struct db_records *batch) {
        struct traverse_send *ts = userdata;
        struct dbd_records_msg msg = { .id = ts->id, .generation = ts->generation, .batch = *batch };

        return dbd_send(ts->m, ts->to, &dbd_records_desc, &msg);
}

struct traverse_walk {
        struct dbd_batch batch;
        struct traverse_send *ts;
        bool full;
};

static int traverse_one(void *userdata, const uint8_t *key, size_t key_len, const struct ltdb_header *h,
                        const uint8_t *value, size_t value_len) {
        struct traverse_walk *w = userdata;

        /* Live records of which this node holds the current copy (every one of a full copy). */
        if ((!w->full && h->dmaster != w->ts->m->pnn) || value_len == 0)
                return 0;
        if (w->ts->max && w->ts->n >= w->ts->max)
                return 1;
        w->ts->n++;
        return dbd_batch_add(&w->batch, key, key_len, h, value, value_len);
}

int dbd_traverse_on_request(void *userdata, const struct wire_header *h, const void *msg,
                            const uint8_t *payload, size_t len) {
        const struct dbd_traverse_msg *t = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, t->db_id);
        struct traverse_send ts = { .m = m, .to = h->src, .id = t->id, .generation = t->generation,
                                    .max = t->max };
        struct traverse_walk w = { .ts = &ts };
        int r;

        if (!db || m->frozen || t->generation != m->generation) {
                struct dbd_ack_msg a = { .id = t->id, .error = db ? EAGAIN : ENOENT };

                return dbd_send(m, h->src, &dbd_ack_desc, &a), 0;
        }
        w.full = db->kind != LTDB_VOLATILE;
        dbd_batch_init(&w.batch, db->id, traverse_flush, &ts);
        r = dbd_store_traverse(db->store, traverse_one, &w);
        if (r >= 0)
                r = dbd_batch_finish(&w.batch);
        else
                dbd_batch_clear(&w.batch);
        if (r < 0) {
                struct dbd_ack_msg a = { .id = t->id, .error = -r };

                (void) dbd_send(m, h->src, &dbd_ack_desc, &a);
        }
        return 0;
}

int dbd_wipe_on_request(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                        size_t len) {
        const struct dbd_wipe_msg *w = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, w->db_id);
        struct dbd_ack_msg a = { .id = w->id };
        int r = !db ? -ENOENT : m->frozen ? -EAGAIN : db->kind != LTDB_VOLATILE ? -EINVAL : 0;

        /* A client in the middle of a record makes this wait: the caller tries again. */
        if (r >= 0)
                r = dbd_store_freeze(db->store);
        if (r >= 0) {
                r = dbd_store_wipe(db->store);
                dbd_store_thaw(db->store);
        }
        a.error = r < 0 ? -r : 0;
        return dbd_send(m, h->src, &dbd_ack_desc, &a), 0;
}

/* ---- a traverse record by record ------------------------------------------ */

struct stream_traverse {
        struct cluster_op op;
        int (*record)(void *userdata, const struct db_record *r);
        void (*finished)(void *userdata, int error);
        void *userdata;
};

static int stream_record(struct cluster_op *op, const struct db_record *r) {
        struct stream_traverse *t = (struct stream_traverse *) op;

        return t->record(t->userdata, r);
}

static void stream_finished(struct cluster_op *op, int error) {
        struct stream_traverse *t = (struct stream_traverse *) op;

        /* Off its owner first: finished may free that (and with it, otherwise, t). */
        (void) talloc_steal(NULL, t);
        t->finished(t->userdata, error);
        talloc_free(t);
}

static int stream_destructor(struct stream_traverse *t) {
        op_cancel(&t->op);
        return 0;
}

int dbd_db_traverse(dbd_db *db, void *mem_ctx, int (*record)(void *userdata, const struct db_record *r),
                    void (*finished)(void *userdata, int error), void *userdata) {
        dbd_manager *m = db->m;
        struct dbd_traverse_msg t = { .generation = m->generation, .db_id = db->id };
        struct stream_traverse *st = talloc_zero(mem_ctx, struct stream_traverse);
        int r;

        if (!st)
                return -ENOMEM;
        st->op = (struct cluster_op){ .m = m, .record = stream_record, .finished = stream_finished,
                                      .here_only = db->kind != LTDB_VOLATILE };
        st->record = record;
        st->finished = finished;
        st->userdata = userdata;
        talloc_set_destructor(st, stream_destructor);
        r = op_send_all(&st->op, &dbd_traverse_desc, &t, &t.id);
        if (r < 0)
                talloc_free(st);
        return r;
}

/* ---- traverse for a db.sock client -------------------------------------- */

struct client_traverse {
        struct local_client *c;
        uint64_t id;
        struct dbd_batch batch;
};

static int client_flush(void *userdata, const struct db_records *batch) {
        struct client_traverse *ct = userdata;

        dbd_local_send_records(ct->c, ct->id, batch);
        return 0;
}

static int client_record(void *userdata, const struct db_record *r) {
        struct client_traverse *ct = userdata;
        struct ltdb_header h = { .rsn = r->rsn, .dmaster = r->dmaster, .flags = r->flags };

        return dbd_batch_add(&ct->batch, r->key, r->key_len, &h, r->value, r->value_len);
}

static void client_finished(void *userdata, int error) {
        struct client_traverse *ct = userdata;

        if (error < 0) {
                dbd_batch_clear(&ct->batch);
                dbd_local_send_error(ct->c, ct->id, error);
        } else {
                (void) dbd_batch_finish(&ct->batch);
        }
        talloc_free(ct);
}

static int client_traverse_destructor(struct client_traverse *ct) {
        dbd_batch_clear(&ct->batch);
        return 0;
}

int dbd_traverse_local_client(dbd_manager *m, struct local_client *c, uint64_t id, uint32_t db_id) {
        dbd_db *db = dbd_manager_find_id(m, db_id);
        struct client_traverse *ct;
        int r;

        if (!db)
                return -ENOENT;
        ct = talloc_zero(local_client_ctx(c), struct client_traverse);
        if (!ct)
                return -ENOMEM;
        ct->c = c;
        ct->id = id;
        dbd_batch_init(&ct->batch, db_id, client_flush, ct);
        talloc_set_destructor(ct, client_traverse_destructor);
        /* The traverse is ct's child: freeing ct (its client went) cancels it. */
        r = dbd_db_traverse(db, ct, client_record, client_finished, ct);
        if (r < 0)
                talloc_free(ct);
        return r;
}

/* ---- Keys ------------------------------------------------------------------ */

/* Keys and Dump: the records of every node, collected (keys only for Keys). */
struct collect_op {
        struct cluster_op op;
        bool values;
        struct dbd_record_view *records;
        size_t n;
        dbd_keys_fn keys_done;
        dbd_records_fn records_done;
        void *userdata;
};

static int collect_record(struct cluster_op *op, const struct db_record *r) {
        struct collect_op *k = (struct collect_op *) op;
        struct dbd_record_view *a = talloc_realloc(k, k->records, struct dbd_record_view, k->n + 1);

        if (!a)
                return -ENOMEM;
        k->records = a;
        a[k->n] = (struct dbd_record_view) { .key_len = r->key_len, .rsn = r->rsn, .dmaster = r->dmaster,
                                             .flags = r->flags };
        a[k->n].key = talloc_memdup_any(k, r->key, r->key_len);
        if (k->values) {
                a[k->n].value = talloc_memdup_any(k, r->value, r->value_len);
                a[k->n].value_len = r->value_len;
        }
        if (!a[k->n].key || (k->values && !a[k->n].value))
                return -ENOMEM;
        k->n++;
        return 0;
}

static void collect_finished(struct cluster_op *op, int error) {
        struct collect_op *k = (struct collect_op *) op;
        size_t n = error < 0 ? 0 : k->n;

        if (k->records_done) {
                k->records_done(k->userdata, error, k->records, n);
        } else {
                struct dbd_key *keys = talloc_zero_array(k, struct dbd_key, n ? n : 1);

                if (!keys && error >= 0)
                        error = -ENOMEM;
                for (size_t i = 0; keys && i < n; i++)
                        keys[i] = (struct dbd_key){ .key = k->records[i].key, .len = k->records[i].key_len };
                k->keys_done(k->userdata, error, keys, keys ? n : 0);
        }
        talloc_free(k);
}

static int collect_destructor(struct collect_op *k) {
        op_cancel(&k->op);
        return 0;
}

static int collect(dbd_db *db, uint32_t max, bool values, dbd_keys_fn keys_done, dbd_records_fn records_done,
                   void *userdata) {
        dbd_manager *m = db->m;
        struct dbd_traverse_msg t = { .generation = m->generation, .db_id = db->id, .max = max };
        struct collect_op *k = talloc_zero(db, struct collect_op);
        int r;

        if (!k)
                return -ENOMEM;
        k->op = (struct cluster_op){
                .m = m, .max = max, .record = collect_record, .finished = collect_finished,
                .here_only = db->kind != LTDB_VOLATILE,
        };
        k->values = values;
        k->keys_done = keys_done;
        k->records_done = records_done;
        k->userdata = userdata;
        talloc_set_destructor(k, collect_destructor);
        r = op_send_all(&k->op, &dbd_traverse_desc, &t, &t.id);
        if (r < 0)
                talloc_free(k);
        return r;
}

int dbd_db_keys(dbd_db *db, uint32_t max, dbd_keys_fn done, void *userdata) {
        return collect(db, max, false, done, NULL, userdata);
}

int dbd_db_dump(dbd_db *db, uint32_t max, dbd_records_fn done, void *userdata) {
        return collect(db, max, true, NULL, done, userdata);
}

/* ---- Wipe ------------------------------------------------------------------ */

struct done_op {
        struct cluster_op op;
        dbd_done_fn done;
        void *userdata;
};

static void done_finished(struct cluster_op *op, int error) {
        struct done_op *d = (struct done_op *) op;

        d->done(d->userdata, error);
        talloc_free(d);
}

static int done_destructor(struct done_op *d) {
        op_cancel(&d->op);
        return 0;
}

/*
 * A persistent or replicated database changes only by commits: its wipe is
 * one transaction deleting every key this node's copy has (the seqnum rises).
 */
struct txn_wipe {
        dbd_db *db;
        dbd_done_fn done;
        void *userdata;
};

static void on_wipe_committed(void *userdata, int error, uint64_t seqnum) {
        struct txn_wipe *w = userdata;

        w->done(w->userdata, error);
        talloc_free(w);
}

static int wipe_key(void *userdata, const uint8_t *key, size_t key_len, const struct ltdb_header *h,
                    const uint8_t *value, size_t value_len) {
        struct dbd_txn_write **writes = userdata;
        size_t n = talloc_array_length(*writes);

        if (value_len == 0 ||
            (key_len == sizeof(DB_SEQNUM_KEY) && memcmp(key, DB_SEQNUM_KEY, key_len) == 0))
                return 0;
        if (n >= DB_TXN_RECORDS)
                return -E2BIG;
        *writes = talloc_realloc(NULL, *writes, struct dbd_txn_write, n + 1);
        if (!*writes)
                return -ENOMEM;
        (*writes)[n] =
                (struct dbd_txn_write){ .key = talloc_memdup(*writes, key, key_len), .key_len = key_len };
        return (*writes)[n].key ? 0 : -ENOMEM;
}

static int wipe_by_transaction(dbd_db *db, dbd_done_fn done, void *userdata) {
        struct dbd_txn_write *writes = talloc_array(NULL, struct dbd_txn_write, 0);
        struct txn_wipe *w = talloc_zero(db, struct txn_wipe);
        int r = writes && w ? dbd_store_traverse(db->store, wipe_key, &writes) : -ENOMEM;

        if (r >= 0) {
                *w = (struct txn_wipe) { .db = db, .done = done, .userdata = userdata };
                r = dbd_db_transaction(db, writes, talloc_array_length(writes), on_wipe_committed, w);
        }
        talloc_free(writes);
        if (r < 0)
                talloc_free(w);
        return r;
}

int dbd_db_wipe(dbd_db *db, dbd_done_fn done, void *userdata) {
        dbd_manager *m = db->m;
        struct dbd_wipe_msg w = { .generation = m->generation, .db_id = db->id };
        struct done_op *d;
        int r;

        if (db->kind != LTDB_VOLATILE)
                return wipe_by_transaction(db, done, userdata);
        d = talloc_zero(db, struct done_op);
        if (!d)
                return -ENOMEM;
        d->op = (struct cluster_op) { .m = m, .finished = done_finished };
        d->done = done;
        d->userdata = userdata;
        talloc_set_destructor(d, done_destructor);
        r = op_send_all(&d->op, &dbd_wipe_desc, &w, &w.id);
        if (r < 0)
                talloc_free(d);
        return r;
}

/* Set here, and on every node by the recovery this asks for (the flags travel in FREEZE's answer). */
static int db_set_flag(dbd_db *db, uint32_t flag, const char *what, dbd_done_fn done, void *userdata) {
        if (db->kind != LTDB_VOLATILE)
                return -EOPNOTSUPP;
        if (!(db->flags & flag)) {
                db->flags |= flag;
                dbd_request_recovery(db->m, what);
        }
        done(userdata, 0);
        return 0;
}

int dbd_db_set_readonly(dbd_db *db, dbd_done_fn done, void *userdata) {
        return db_set_flag(db, DBD_DB_READONLY, "read-only delegations were switched on", done, userdata);
}

int dbd_db_set_sticky(dbd_db *db, dbd_done_fn done, void *userdata) {
        return db_set_flag(db, DBD_DB_STICKY, "sticky records were switched on", done, userdata);
}

/* ---- Fetch, Store, Delete ----------------------------------------------- */

struct record_op {
        struct dbd_waiter w;
        dbd_db *db;
        uint8_t *key;
        size_t key_len;
        uint8_t *value;         /* Store; NULL and 0 with delete */
        size_t len;
        dbd_done_fn done;
        dbd_value_fn value_done;
        void *userdata;
};

static int record_op_destructor(struct record_op *op) {
        dbd_waiter_cancel(&op->w);
        return 0;
}

static void on_fetch_done(struct dbd_waiter *w, int error, const uint8_t *value, size_t len) {
        struct record_op *op = (struct record_op *) w;

        op->value_done(op->userdata, error, value, len);
        talloc_free(op);
}

/* Migrated here: dbd-migrate.c calls this with the record's chain locked by this process. */
static void on_migrated_store(struct dbd_waiter *w, int error) {
        struct record_op *op = (struct record_op *) w;
        struct dbd_store *s = op->db->store;
        struct ltdb_header h;

        if (error >= 0)
                error = dbd_store_trylock(s, op->key, op->key_len);
        if (error >= 0) {
                error = dbd_store_fetch_header(s, op->key, op->key_len, &h);
                if (error >= 0 && h.dmaster != op->db->m->pnn)
                        error = -EAGAIN;
                if (error >= 0)
                        error = dbd_store_store(s, op->key, op->key_len, &h, op->value, op->len);
                dbd_store_unlock(s, op->key, op->key_len);
                if (error >= 0 && op->len == 0)
                        dbd_vacuum_queue(op->db, op->key, op->key_len);
        }
        op->done(op->userdata, error);
        talloc_free(op);
}

static struct record_op *record_op_new(dbd_db *db, const uint8_t *key, size_t key_len, void *userdata) {
        struct record_op *op = talloc_zero(db, struct record_op);

        if (!op)
                return NULL;
        op->db = db;
        op->key_len = key_len;
        op->userdata = userdata;
        if (!(op->key = talloc_memdup_any(op, key, key_len))) {
                talloc_free(op);
                return NULL;
        }
        talloc_set_destructor(op, record_op_destructor);
        return op;
}

int dbd_db_fetch(dbd_db *db, const uint8_t *key, size_t key_len, dbd_value_fn done, void *userdata) {
        struct record_op *op;
        int r;

        if (key_len > DB_KEY_MAX)
                return -E2BIG;
        op = record_op_new(db, key, key_len, userdata);
        if (!op)
                return -ENOMEM;
        op->value_done = done;
        op->w.value = on_fetch_done;
        r = dbd_fetch_value(db, op->key, key_len, false, &op->w);
        if (r < 0)
                talloc_free(op);
        return r;
}

static int store_or_delete(dbd_db *db, const uint8_t *key, size_t key_len, const uint8_t *value, size_t len,
                           dbd_done_fn done, void *userdata) {
        struct record_op *op;
        int r;

        if (key_len > DB_KEY_MAX || len > DB_VALUE_MAX)
                return -E2BIG;
        op = record_op_new(db, key, key_len, userdata);
        if (!op)
                return -ENOMEM;
        if (len && !(op->value = talloc_memdup(op, value, len))) {
                talloc_free(op);
                return -ENOMEM;
        }
        op->len = len;
        op->done = done;
        op->w.done = on_migrated_store;
        r = dbd_migrate(db, op->key, key_len, &op->w);
        if (r < 0)
                talloc_free(op);
        return r;
}

int dbd_db_store(dbd_db *db, const uint8_t *key, size_t key_len, const uint8_t *value, size_t len,
                 dbd_done_fn done, void *userdata) {
        return store_or_delete(db, key, key_len, value, len, done, userdata);
}

int dbd_db_delete(dbd_db *db, const uint8_t *key, size_t key_len, dbd_done_fn done, void *userdata) {
        /* A header-only record is a deleted one (CTDB's rule); vacuuming removes it later. */
        return store_or_delete(db, key, key_len, NULL, 0, done, userdata);
}
