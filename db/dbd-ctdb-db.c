/*
 * ctdbd.socket's database controls and REQ_CALL in ctdb-dbd (dbd-ctdb.c has
 * the rest): attach, the paths and flags smbd opens the files with, the
 * database map, migrations and fetches, TRANS3_COMMIT and the deletion hints,
 * each onto what db.sock's clients already use (notes, sections 6, 8 and 12).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>
#include <tdb.h>

#include "ctdb-server.h"
#include "dbd-internal.h"
#include "list.h"
#include "log.h"
#include "talloc-util.h"

/* An attach of a persistent or replicated database waits at most this long for this node's recovery. */
#define ATTACH_WAIT_USEC (60ull * 1000 * 1000)
/* ... asking for another recovery this often meanwhile (one normally takes well under this). */
#define ATTACH_RETRY_USEC (1000ull * 1000)

static void reply_error(struct ctdb_request *req, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void reply_error(struct ctdb_request *req, const char *fmt, ...) {
        char why[160];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        ctdb_request_reply_control(req, -1, NULL, 0, why);
}

static int data_u32(const struct ctdb_request *req, uint32_t *ret) {
        struct ctdb_u32_data d;
        int r = ctdb_payload_unpack(&ctdb_u32_data_desc, NULL, req->control.data, req->control.datalen, &d);

        *ret = d.value;
        return r;
}

/* The database a control's u32 data names; NULL with the request answered. */
static dbd_db *db_of(dbd_manager *m, struct ctdb_request *req) {
        uint32_t db_id;
        dbd_db *db;

        if (data_u32(req, &db_id) < 0)
                return reply_error(req, "%s: bad data", ctdb_control_to_string(req->control.opcode)), NULL;
        db = dbd_manager_find_id(m, db_id);
        if (!db)
                reply_error(req, "unknown database 0x%08" PRIx32, db_id);
        return db;
}

static void reply_string(struct ctdb_request *req, const char *s) {
        ctdb_request_reply_control(req, 0, (const uint8_t *) s, strlen(s) + 1, NULL);
}

/* ---- attach ------------------------------------------------------------------------ */

/* A persistent or replicated attach waiting for this node's recovery to bring the copy up to date. */
struct attach_wait {
        struct attach_wait *next, *prev;
        dbd_manager *m;
        struct ctdb_request *req;
        dbd_db *db;
        sd_event_source *timeout, *retry;
};

static int attach_wait_destructor(struct attach_wait *a) {
        LIST_REMOVE(a->m->ctdb_attaching, a);
        a->timeout = sd_event_source_disable_unref(a->timeout);
        a->retry = sd_event_source_disable_unref(a->retry);
        return 0;
}

static void reply_db_id(struct ctdb_request *req, dbd_db *db) {
        ctdb_request_reply_payload(req, &ctdb_u32_data_desc, &(struct ctdb_u32_data){ dbd_db_id(db) });
}

static int on_attach_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct attach_wait *a = userdata;

        reply_error(a->req, "database %s was not recovered on this node in time", dbd_db_name(a->db));
        return 0;
}

/*
 * Still waiting a while after the attach: the recovery it asked for did not
 * bring the database in (one opened here after this node answered a
 * recovery's FREEZE is not in that recovery, and clusterd does not start a
 * second while one runs). Ask again, until the deadline.
 */
static int on_attach_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        struct attach_wait *a = userdata;

        dbd_request_recovery(a->m, "an attached database is not recovered on this node yet");
        return sd_event_source_set_time_relative(s, ATTACH_RETRY_USEC);
}

void dbd_ctdb_thawed(dbd_manager *m) {
        struct attach_wait *a = m->ctdb_attaching, *next;

        for (; a; a = next) {
                next = a->next;
                if (dbd_db_txn_ready(a->db))
                        reply_db_id(a->req, a->db); /* frees a */
        }
}

static void control_attach(dbd_manager *m, struct ctdb_request *req, enum ltdb_kind kind) {
        const char *name;
        struct attach_wait *a;
        dbd_db *db;
        int r;

        if (ctdb_payload_string(req->control.data, req->control.datalen, &name) < 0)
                return reply_error(req, "attach: the name must be one NUL-terminated string");
        r = dbd_manager_attach(m, name, kind, &db);
        if (r == -EEXIST)
                return reply_error(req, "database %s is attached with another kind", name);
        if (r < 0)
                return reply_error(req, "cannot attach %s: %s", name, strerror(-r));
        /* A copy read straight from the file must be this node's recovered one (smbd opens it next). */
        if (kind == LTDB_VOLATILE || dbd_db_txn_ready(db))
                return reply_db_id(req, db);
        a = talloc_zero(req, struct attach_wait);
        if (!a)
                return reply_error(req, "out of memory");
        *a = (struct attach_wait){ .m = m, .req = req, .db = db };
        LIST_PREPEND(m->ctdb_attaching, a);
        talloc_set_destructor(a, attach_wait_destructor);
        r = sd_event_add_time_relative(m->event, &a->timeout, CLOCK_MONOTONIC, ATTACH_WAIT_USEC, 0,
                                       on_attach_timeout, a);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &a->retry, CLOCK_MONOTONIC, ATTACH_RETRY_USEC,
                                               ATTACH_RETRY_USEC / 10, on_attach_retry, a);
        if (r >= 0)
                r = sd_event_source_set_enabled(a->retry, SD_EVENT_ON);
        if (r < 0)
                reply_error(req, "cannot wait for the recovery of %s: %s", name, strerror(-r));
}

/* ---- the database map and each database's facts -------------------------------------- */

static uint8_t db_flags(dbd_db *db) {
        uint8_t f = 0;

        if (dbd_db_kind(db) == LTDB_PERSISTENT)
                f |= CTDB_DB_FLAGS_PERSISTENT;
        if (dbd_db_kind(db) == LTDB_REPLICATED)
                f |= CTDB_DB_FLAGS_REPLICATED;
        if (dbd_db_readonly(db))
                f |= CTDB_DB_FLAGS_READONLY;
        if (dbd_db_sticky(db))
                f |= CTDB_DB_FLAGS_STICKY;
        return f;
}

static void control_dbmap(dbd_manager *m, struct ctdb_request *req) {
        size_t n = dbd_manager_n_dbs(m);
        _cleanup_talloc_ struct ctdb_dbid *dbs = talloc_zero_array(NULL, struct ctdb_dbid, n ? n : 1);

        if (!dbs)
                return reply_error(req, "out of memory");
        for (size_t i = 0; i < n; i++)
                dbs[i] = (struct ctdb_dbid){ dbd_db_id(dbd_manager_db(m, i)),
                                             db_flags(dbd_manager_db(m, i)) };
        ctdb_request_reply_payload(req, &ctdb_dbid_map_desc, &(struct ctdb_dbid_map){ (uint32_t) n, dbs });
}

static void control_db_seqnum(dbd_manager *m, struct ctdb_request *req) {
        struct ctdb_get_db_seqnum g;
        dbd_db *db;

        if (ctdb_payload_unpack(&ctdb_get_db_seqnum_desc, NULL, req->control.data, req->control.datalen,
                                &g) < 0)
                return reply_error(req, "GET_DB_SEQNUM: bad data");
        db = dbd_manager_find_id(m, g.db_id);
        if (!db)
                return reply_error(req, "unknown database 0x%08" PRIx32, g.db_id);
        ctdb_request_reply_payload(req, &ctdb_u64_data_desc, &(struct ctdb_u64_data){ dbd_db_seqnum(db) });
}

/* smbd's hint (NOREPLY) and the tool's delete: the header-only record is vacuumed. */
static void control_schedule_for_deletion(dbd_manager *m, struct ctdb_request *req) {
        struct ctdb_key_data k;
        dbd_db *db;

        if (ctdb_payload_unpack(&ctdb_key_data_desc, NULL, req->control.data, req->control.datalen, &k) < 0)
                return reply_error(req, "SCHEDULE_FOR_DELETION: bad data");
        db = dbd_manager_find_id(m, k.db_id);
        if (db && dbd_db_kind(db) == LTDB_VOLATILE)
                dbd_vacuum_queue(db, k.key, k.keylen);
        ctdb_request_reply_control(req, 0, NULL, 0, NULL);
}

/* ---- asynchronous answers ---------------------------------------------------------- */

static void on_op_done(void *userdata, int error) {
        struct ctdb_request *req = dbd_ctdb_op_take(userdata);

        if (!req)
                return;
        if (error < 0)
                reply_error(req, "%s failed: %s", ctdb_control_to_string(req->control.opcode),
                            strerror(-error));
        else
                ctdb_request_reply_control(req, 0, NULL, 0, NULL);
}

static void control_set_flag(dbd_manager *m, struct ctdb_request *req) {
        struct pending_op *op;
        dbd_db *db = db_of(m, req);
        int r;

        if (!db)
                return;
        if (dbd_db_kind(db) != LTDB_VOLATILE)
                return reply_error(req, "%s is not a volatile database", dbd_db_name(db));
        if ((req->control.opcode == CTDB_CONTROL_SET_DB_READONLY && dbd_db_readonly(db)) ||
            (req->control.opcode == CTDB_CONTROL_SET_DB_STICKY && dbd_db_sticky(db)))
                return ctdb_request_reply_control(req, 0, NULL, 0, NULL);
        op = dbd_ctdb_op_new(m, req);
        if (!op)
                return reply_error(req, "out of memory");
        r = req->control.opcode == CTDB_CONTROL_SET_DB_READONLY ? dbd_db_set_readonly(db, on_op_done, op)
                                                                : dbd_db_set_sticky(db, on_op_done, op);
        if (r < 0)
                on_op_done(op, r);
}

/*
 * TRANS3_COMMIT: the client's records (header + value each; empty deletes),
 * written on every active node before the answer. dbd keeps
 * __db_sequence_number__ itself, one up per commit, which is what the
 * client's own record of it says: that record is left out.
 */
static void on_committed(void *userdata, int error, uint64_t seqnum) {
        struct ctdb_request *req = dbd_ctdb_op_take(userdata);

        if (!req)
                return;
        if (error < 0)
                reply_error(req, "trans3 commit failed: %s", strerror(-error));
        else
                ctdb_request_reply_control(req, 0, NULL, 0, NULL);
}

static void control_trans3_commit(dbd_manager *m, struct ctdb_request *req) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct ctdb_rec_buffer b;
        struct dbd_txn_write *writes;
        struct pending_op *op;
        size_t n = 0;
        dbd_db *db;
        int r;

        if (!tmp)
                return reply_error(req, "out of memory");
        if (ctdb_payload_unpack(&ctdb_rec_buffer_desc, tmp, req->control.data, req->control.datalen, &b) < 0)
                return reply_error(req, "TRANS3_COMMIT: bad record buffer");
        db = dbd_manager_find_id(m, b.db_id);
        if (!db)
                return reply_error(req, "unknown database 0x%08" PRIx32, b.db_id);
        writes = talloc_zero_array(tmp, struct dbd_txn_write, b.count ? b.count : 1);
        if (!writes)
                return reply_error(req, "out of memory");
        for (uint32_t i = 0; i < b.count; i++) {
                const struct ctdb_rec_data *rd = &b.records[i];
                struct ltdb_header h;
                const uint8_t *value;
                size_t len;

                if (ltdb_header_parse(rd->data, rd->datalen, &h, &value, &len) < 0)
                        return reply_error(req, "TRANS3_COMMIT: a record without its header");
                if (rd->keylen == sizeof(DB_SEQNUM_KEY) && memcmp(rd->key, DB_SEQNUM_KEY, rd->keylen) == 0)
                        continue;
                /* The same key more than once: the last one wins (smbd's buffer may repeat it). */
                size_t j = 0;
                while (j < n &&
                       !(writes[j].key_len == rd->keylen && memcmp(writes[j].key, rd->key, rd->keylen) == 0))
                        j++;
                writes[j] = (struct dbd_txn_write){ rd->key, rd->keylen, value, len };
                if (j == n)
                        n++;
        }
        op = dbd_ctdb_op_new(m, req);
        if (!op)
                return reply_error(req, "out of memory");
        r = dbd_db_transaction(db, writes, n, on_committed, op);
        if (r < 0)
                on_committed(op, r, 0);
}

/* ---- tdb seqnums (ENABLE_SEQNUM) ------------------------------------------------------- */

/*
 * smbd's brlock and others watch a volatile database's tdb seqnum to learn of
 * changes anywhere in the cluster: each node's daemon compares it every
 * second and makes the others raise theirs (CTDB's SeqnumInterval and
 * UPDATE_SEQNUM).
 */
#define SEQNUM_INTERVAL_USEC (1000u * 1000u)

struct seqnum_watch {
        uint32_t db_id;
        int last;
};

static int on_seqnum_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        dbd_manager *m = userdata;
        size_t n = talloc_array_length(m->ctdb_seqnums);

        for (size_t i = 0; i < n; i++) {
                struct seqnum_watch *w = &m->ctdb_seqnums[i];
                dbd_db *db = dbd_manager_find_id(m, w->db_id);
                int now;

                if (!db)
                        continue;
                now = tdb_get_seqnum(dbd_store_tdb(db->store));
                if (now == w->last)
                        continue;
                w->last = now;
                dbd_send_others(m, &dbd_ctdb_seqnum_desc, &(struct dbd_ctdb_seqnum_msg){ w->db_id });
        }
        (void) sd_event_source_set_time_relative(src, SEQNUM_INTERVAL_USEC);
        return sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
}

static void control_enable_seqnum(dbd_manager *m, struct ctdb_request *req) {
        size_t n = talloc_array_length(m->ctdb_seqnums);
        struct seqnum_watch *w;
        dbd_db *db = db_of(m, req);

        if (!db)
                return;
        for (size_t i = 0; i < n; i++)
                if (m->ctdb_seqnums[i].db_id == dbd_db_id(db))
                        return ctdb_request_reply_control(req, 0, NULL, 0, NULL);
        w = talloc_realloc(m, m->ctdb_seqnums, struct seqnum_watch, n + 1);
        if (!w)
                return reply_error(req, "out of memory");
        m->ctdb_seqnums = w;
        tdb_enable_seqnum(dbd_store_tdb(db->store));
        w[n] = (struct seqnum_watch){ dbd_db_id(db), tdb_get_seqnum(dbd_store_tdb(db->store)) };
        if (!m->ctdb_seqnum_timer &&
            sd_event_add_time_relative(m->event, &m->ctdb_seqnum_timer, CLOCK_MONOTONIC,
                                       SEQNUM_INTERVAL_USEC, 10 * 1000, on_seqnum_timer, m) < 0)
                return reply_error(req, "cannot watch the seqnum of %s", dbd_db_name(db));
        ctdb_request_reply_control(req, 0, NULL, 0, NULL);
}

void dbd_ctdb_seqnum_raise(dbd_manager *m, uint32_t db_id) {
        size_t n = talloc_array_length(m->ctdb_seqnums);
        dbd_db *db = dbd_manager_find_id(m, db_id);
        struct tdb_context *tdb;

        if (!db)
                return;
        tdb = dbd_store_tdb(db->store);
        tdb_increment_seqnum_nonblock(tdb);
        /* Not a change of this node's to pass on. */
        for (size_t i = 0; i < n; i++)
                if (m->ctdb_seqnums[i].db_id == db_id)
                        m->ctdb_seqnums[i].last = tdb_get_seqnum(tdb);
}

/* ---- traverses ------------------------------------------------------------------------ */

/*
 * TRAVERSE_START(_EXT): the control is answered first, then every record
 * goes to the client's srvid as a message (a ctdb_rec_data with the ltdb
 * header before the value), and an empty record ends it. It lives with the
 * client, not the request.
 */
struct client_traverse {
        dbd_manager *m;
        uint32_t reqid;
        uint64_t srvid;
        bool empty_too;
};

static void traverse_send(struct client_traverse *t, const uint8_t *key, uint32_t keylen,
                          const uint8_t *data, uint32_t datalen) {
        struct ctdb_rec_data rd = {
                .reqid = t->reqid, .keylen = keylen, .datalen = datalen, .key = key, .data = data
        };
        _cleanup_talloc_ uint8_t *buf = NULL;
        uint32_t len;

        if (ctdb_payload_build(NULL, &ctdb_rec_data_desc, &rd, &buf, &len) >= 0)
                ctdb_server_deliver(t->m->ctdb, t->m->pnn, t->srvid, buf, len);
}

static int traverse_record(void *userdata, const struct db_record *r) {
        struct client_traverse *t = userdata;
        struct ltdb_header h = { .rsn = r->rsn, .dmaster = r->dmaster, .flags = r->flags };
        _cleanup_talloc_ uint8_t *data = NULL;

        if (r->value_len == 0 && !t->empty_too)
                return 0;
        data = talloc_size(NULL, LTDB_HEADER_SIZE + r->value_len);
        if (!data)
                return -ENOMEM;
        memcpy(data, &h, LTDB_HEADER_SIZE);
        if (r->value_len)
                memcpy(data + LTDB_HEADER_SIZE, r->value, r->value_len);
        traverse_send(t, r->key, r->key_len, data, LTDB_HEADER_SIZE + r->value_len);
        return 0;
}

static void traverse_finished(void *userdata, int error) {
        struct client_traverse *t = userdata;

        /* The end, also of a traverse that failed part way: CTDB's clients know no other. */
        traverse_send(t, NULL, 0, NULL, 0);
        talloc_free(t);
}

static void control_traverse(dbd_manager *m, struct ctdb_request *req) {
        struct ctdb_traverse_start_ext ext = { 0 };
        struct client_traverse *t;
        dbd_db *db;
        int r;

        if (req->control.opcode == CTDB_CONTROL_TRAVERSE_START_EXT)
                r = ctdb_payload_unpack(&ctdb_traverse_start_ext_desc, NULL, req->control.data,
                                        req->control.datalen, &ext);
        else {
                struct ctdb_traverse_start ts;

                r = ctdb_payload_unpack(&ctdb_traverse_start_desc, NULL, req->control.data,
                                        req->control.datalen, &ts);
                ext = (struct ctdb_traverse_start_ext){ ts.db_id, ts.reqid, ts.srvid, 0 };
        }
        if (r < 0)
                return reply_error(req, "%s: bad data", ctdb_control_to_string(req->control.opcode));
        db = dbd_manager_find_id(m, ext.db_id);
        if (!db)
                return reply_error(req, "unknown database 0x%08" PRIx32, ext.db_id);
        if (!req->client)
                return reply_error(req, "a traverse is started on the client's own node");
        t = talloc_zero(req->client, struct client_traverse);
        if (!t)
                return reply_error(req, "out of memory");
        *t = (struct client_traverse){ m, ext.reqid, ext.srvid, ext.withemptyrecords };
        /* The reply before the first record (smbd insists). */
        ctdb_request_reply_control(req, 0, NULL, 0, NULL);
        r = dbd_db_traverse(db, t, traverse_record, traverse_finished, t);
        if (r < 0)
                traverse_finished(t, r);
}

void dbd_ctdb_db_control(dbd_manager *m, struct ctdb_request *req) {
        dbd_db *db;
        int32_t flags;

        switch (req->control.opcode) {
        case CTDB_CONTROL_DB_ATTACH:
                return control_attach(m, req, LTDB_VOLATILE);
        case CTDB_CONTROL_DB_ATTACH_PERSISTENT:
                return control_attach(m, req, LTDB_PERSISTENT);
        case CTDB_CONTROL_DB_ATTACH_REPLICATED:
                return control_attach(m, req, LTDB_REPLICATED);
        case CTDB_CONTROL_GETDBPATH:
                if ((db = db_of(m, req)))
                        reply_string(req, dbd_db_path(db));
                return;
        case CTDB_CONTROL_GET_DBNAME:
                if ((db = db_of(m, req)))
                        reply_string(req, dbd_db_name(db));
                return;
        case CTDB_CONTROL_DB_OPEN_FLAGS:
                if ((db = db_of(m, req))) {
                        flags = dbd_store_tdb_flags(db->store);
                        ctdb_request_reply_payload(req, &ctdb_u32_data_desc,
                                                   &(struct ctdb_u32_data){ (uint32_t) flags });
                }
                return;
        case CTDB_CONTROL_DB_GET_HEALTH:
                /* No data: healthy (any string, even "", makes CTDB's attach fail). */
                if ((db = db_of(m, req)))
                        ctdb_request_reply_control(req, 0, NULL, 0, NULL);
                return;
        case CTDB_CONTROL_ENABLE_SEQNUM:
                return control_enable_seqnum(m, req);
        case CTDB_CONTROL_GET_DBMAP:
                return control_dbmap(m, req);
        case CTDB_CONTROL_GET_DB_SEQNUM:
                return control_db_seqnum(m, req);
        case CTDB_CONTROL_SET_DB_READONLY:
        case CTDB_CONTROL_SET_DB_STICKY:
                return control_set_flag(m, req);
        case CTDB_CONTROL_SCHEDULE_FOR_DELETION:
                return control_schedule_for_deletion(m, req);
        case CTDB_CONTROL_TRANS3_COMMIT:
                return control_trans3_commit(m, req);
        case CTDB_CONTROL_TRAVERSE_START:
        case CTDB_CONTROL_TRAVERSE_START_EXT:
                return control_traverse(m, req);
        default:
                return reply_error(req, "control %s is not supported",
                                   ctdb_control_to_string(req->control.opcode));
        }
}

/* ---- REQ_CALL ------------------------------------------------------------------------ */

/* A migration or fetch a client waits for; it goes with the request. */
struct call_wait {
        struct dbd_waiter w;
        struct ctdb_request *req;
};

static int call_wait_destructor(struct call_wait *cw) {
        dbd_waiter_cancel(&cw->w);
        return 0;
}

/* Migrated: the record is in this node's file with dmaster = this node (smbd reads it there next). */
static void on_migrated(struct dbd_waiter *w, int error) {
        struct call_wait *cw = (struct call_wait *) w;

        ctdb_request_reply_call(cw->req, error < 0 ? -1 : 0, NULL, 0);
}

/* The value without its header; an absent record is an empty one. */
static void on_fetched(struct dbd_waiter *w, int error, const uint8_t *value, size_t len) {
        struct call_wait *cw = (struct call_wait *) w;

        if (error == -ENOENT)
                error = 0, len = 0;
        ctdb_request_reply_call(cw->req, error < 0 ? -1 : 0, value, error < 0 ? 0 : len);
}

void dbd_ctdb_call(dbd_manager *m, struct ctdb_request *req) {
        const struct ctdb_req_call *c = &req->call;
        dbd_db *db = dbd_manager_find_id(m, c->db_id);
        struct call_wait *cw;
        int r;

        /* ctdbd answers an unknown database with nothing at all; a failure at least ends the client's wait.
         */
        if (!db || dbd_db_kind(db) != LTDB_VOLATILE)
                return ctdb_request_reply_call(req, -1, NULL, 0);
        cw = talloc_zero(req, struct call_wait);
        if (!cw)
                return ctdb_request_reply_call(req, -1, NULL, 0);
        cw->req = req;
        talloc_set_destructor(cw, call_wait_destructor);
        if (c->callid == CTDB_FETCH_FUNC) {
                cw->w.value = on_fetched;
                r = dbd_fetch_value(db, c->key, c->keylen, c->flags & CTDB_WANT_READONLY, &cw->w);
        } else {
                /* NULL_FUNC with IMMEDIATE_MIGRATION, as smbd and the tool send it: make the record local.
                 */
                cw->w.done = on_migrated;
                r = dbd_migrate(db, c->key, c->keylen, &cw->w);
        }
        if (r < 0)
                ctdb_request_reply_call(req, -1, NULL, 0);
}
