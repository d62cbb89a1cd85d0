/*
 * Vacuuming of volatile databases (CTDB's semantics, docs/architecture.md,
 * "Vacuuming"). A deleted record is a header-only one; the keys deleted on
 * this node (a client's DELETED, a D-Bus Delete) go into the database's
 * delete queue, and every `vacuum interval` seconds each queued key of which
 * this node is still the dmaster, and still deleted, is
 *
 *   - handed back to its lmaster (VACUUM, in bulk: rsn + 1, dmaster = the
 *     lmaster), unless this node is the lmaster; then
 *   - at the lmaster, dropped everywhere: PURGE asks every other node to drop
 *     its copies that are not newer, and once all answered the lmaster drops
 *     its own copy if nothing changed meanwhile (a new fetch-lock took it).
 *
 * Every sixth run also walks the whole file for deleted records nobody queued
 * (CTDB's full vacuuming). A file whose free list grew beyond `repack limit`
 * is repacked, frozen for the time it takes. Chains a client holds are
 * skipped and come again next run.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <talloc.h>
#include <tdb.h>

#include "config.h"
#include "ctdb-node.h"
#include "dbd-batch.h"
#include "dbd-internal.h"
#include "dbd-rules.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

/* Keys a delete queue holds; beyond, the next run walks the file instead. */
#define QUEUE_MAX 200000u
#define FULL_EVERY 6u
#define PURGE_TIMEOUT_USEC (10 * 1000 * 1000ull)

struct dbd_vacuum {
        dbd_db *db;
        struct dbd_key *queue;          /* talloc array, keys talloc'd under it */
        size_t n_queue;
        bool overflow;
        unsigned runs;
        uint64_t vacuumed;              /* records dropped here, for the log */
};

static struct dbd_vacuum *vacuum_of(dbd_db *db) {
        if (!db->vacuum && (db->vacuum = talloc_zero(db, struct dbd_vacuum)))
                db->vacuum->db = db;
        return db->vacuum;
}

void dbd_vacuum_queue(dbd_db *db, const uint8_t *key, size_t len) {
        struct dbd_vacuum *v = vacuum_of(db);
        struct dbd_key *q;
        void *copy;

        if (!v || len == 0 || len > DB_KEY_MAX)
                return;
        if (v->n_queue >= QUEUE_MAX) {
                v->overflow = true;     /* the full walk finds them */
                return;
        }
        q = talloc_realloc(v, v->queue, struct dbd_key, v->n_queue + 1);
        if (!q || !(copy = talloc_memdup(q, key, len))) {
                v->overflow = true;
                if (q)
                        v->queue = q;
                return;
        }
        v->queue = q;
        q[v->n_queue++] = (struct dbd_key) { .key = copy, .len = len };
}

/* ---- at the lmaster: drop everywhere ------------------------------------ */

/* One PURGE batch in flight: its records, checked again once every node answered. */
struct purge {
        dbd_db *db;
        struct db_records batch;
        unsigned outstanding;
        int error;
        void *keys;             /* the batch's copies */
};

static void purge_finish(struct purge *p) {
        dbd_db *db = p->db;
        uint64_t dropped = 0;

        for (uint32_t i = 0; i < p->batch.n_records && p->error >= 0; i++) {
                const struct db_record *r = &p->batch.records[i];
                struct ltdb_header h;
                uint8_t *value = NULL;
                size_t len = 0;
                bool have;

                if (dbd_store_trylock(db->store, r->key, r->key_len) < 0)
                        continue;       /* a client has it: it is alive again, or will be next run */
                /* Only if nothing happened to it since the PURGE went out. */
                have = dbd_store_fetch(db->store, p, r->key, r->key_len, &h, &value, &len) >= 0;
                if (dbd_vacuum_drop_own(db->m->pnn, have, &h, len, r->rsn) &&
                    dbd_store_delete(db->store, r->key, r->key_len) >= 0)
                        dropped++;
                talloc_free(value);
                dbd_store_unlock(db->store, r->key, r->key_len);
        }
        if (p->error < 0)
                log_debug_errno(p->error, "Vacuuming of %s: a node did not drop its copies: %m", db->name);
        if (db->vacuum)
                db->vacuum->vacuumed += dropped;
        talloc_free(p);
}

static void on_purged(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct purge *p = userdata;
        const struct dbd_ack_msg *a = reply;

        if (error >= 0 && a && a->error)
                error = -a->error;
        if (error < 0 && p->error >= 0)
                p->error = error;
        if (--p->outstanding == 0)
                purge_finish(p);
}

static int purge_flush(void *userdata, const struct db_records *batch) {
        dbd_db *db = userdata;
        dbd_manager *m = db->m;
        struct purge *p;
        struct dbd_records_msg msg = { .generation = m->generation, .batch = *batch };
        int r = 0;

        if (batch->n_records == 0)
                return 0;
        p = talloc_zero(db, struct purge);
        if (!p)
                return -ENOMEM;
        p->db = db;
        /* The batch's copies belong to the batch builder: keep our own for the check afterwards. */
        p->batch = *batch;
        p->batch.records = talloc_memdup(p, batch->records, batch->n_records * sizeof(struct db_record));
        if (!p->batch.records) {
                talloc_free(p);
                return -ENOMEM;
        }
        for (uint32_t i = 0; i < batch->n_records; i++) {
                void *k = talloc_memdup_any(p, batch->records[i].key, batch->records[i].key_len);

                if (!k) {
                        talloc_free(p);
                        return -ENOMEM;
                }
                p->batch.records[i].key = k;
        }
        p->outstanding = 1;     /* ours, dropped below: the batch finishes only after the loop */
        for (uint32_t i = 0; i < m->n_vnnmap && r >= 0; i++) {
                struct peer_request *req;

                if (m->vnnmap[i] == m->pnn)
                        continue;
                r = peer_request_new(m->requests, m->vnnmap[i], PURGE_TIMEOUT_USEC, on_purged, p, &req);
                if (r < 0)
                        break;
                msg.id = peer_request_id(req);
                r = dbd_send(m, m->vnnmap[i], &dbd_purge_desc, &msg);
                if (r < 0)
                        peer_request_cancel(req);
                else
                        p->outstanding++;
        }
        if (r < 0)
                p->error = r;
        on_purged(NULL, 0, NULL, p);
        return 0;
}

int dbd_vacuum_on_purge(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                        size_t len) {
        const struct dbd_records_msg *p = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, p->batch.db_id);
        struct dbd_ack_msg a = { .id = p->id, .generation = p->generation };

        if (!db || m->frozen || p->generation != m->generation) {
                a.error = db ? EAGAIN : ENOENT;
                return dbd_send(m, h->src, &dbd_ack_desc, &a), 0;
        }
        for (uint32_t i = 0; i < p->batch.n_records; i++) {
                const struct db_record *r = &p->batch.records[i];
                struct ltdb_header cur;
                bool have;

                if (dbd_store_trylock(db->store, r->key, r->key_len) < 0) {
                        a.error = EAGAIN;       /* the lmaster keeps its copy; next run tries again */
                        continue;
                }
                /* A copy that is not newer and not this node's own live record is stale. */
                have = dbd_store_fetch_header(db->store, r->key, r->key_len, &cur) >= 0;
                if (dbd_vacuum_drop_copy(m->pnn, have, &cur, r->rsn))
                        (void) dbd_store_delete(db->store, r->key, r->key_len);
                dbd_store_unlock(db->store, r->key, r->key_len);
        }
        return dbd_send(m, h->src, &dbd_ack_desc, &a), 0;
}

/* ---- at the dmaster: hand back ------------------------------------------ */

int dbd_vacuum_on_vacuum(void *userdata, const struct wire_header *h, const void *msg,
                         const uint8_t *payload, size_t len) {
        const struct dbd_records_msg *v = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, v->batch.db_id);

        if (!db || m->frozen || v->generation != m->generation)
                return 0;       /* the sender's copy says dmaster = us: the next recovery settles it */
        for (uint32_t i = 0; i < v->batch.n_records; i++) {
                const struct db_record *r = &v->batch.records[i];
                int q = dbd_migrate_take(db, r->key, r->key_len, r->rsn, LTDB_REC_FLAG_VACUUM_MIGRATED, NULL,
                                         0);

                if (q < 0)
                        return q;
                dbd_vacuum_queue(db, r->key, r->key_len);
        }
        return 0;
}

struct handback {
        dbd_db *db;
        uint32_t to;
};

static int handback_send(void *userdata, const struct db_records *batch) {
        struct handback *hb = userdata;
        struct dbd_records_msg msg = { .generation = hb->db->m->generation, .batch = *batch };

        if (batch->n_records == 0)
                return 0;
        return dbd_send(hb->db->m, hb->to, &dbd_vacuum_desc, &msg);
}

struct vacuum_run {
        dbd_db *db;
        struct dbd_batch *handback;     /* per VnnMap index: to that lmaster */
        struct dbd_batch purge;         /* the keys this node is the lmaster of */
};

/* One deleted key of which this node may be the dmaster: hand it back, or purge it here. */
static int vacuum_key(struct vacuum_run *run, const uint8_t *key, size_t len) {
        dbd_db *db = run->db;
        dbd_manager *m = db->m;
        struct ltdb_header h;
        uint8_t *value = NULL;
        size_t vlen = 0;
        uint32_t lmaster = dbd_lmaster(m, key, len), idx = ltdb_hash(key, len) % m->n_vnnmap;
        enum dbd_vacuum_action action;
        int r;

        if (dbd_store_trylock(db->store, key, len) < 0)
                return 0;
        r = dbd_store_fetch(db->store, NULL, key, len, &h, &value, &vlen);
        talloc_free(value);
        action = dbd_vacuum_decide(m->pnn, lmaster, r >= 0, &h, vlen);
        if (action == DBD_VACUUM_SKIP) {
                dbd_store_unlock(db->store, key, len);
                return 0;
        }
        if (action == DBD_VACUUM_PURGE) {
                r = dbd_batch_add(&run->purge, key, len, &h, NULL, 0);
        } else {
                struct ltdb_header back = { .rsn = h.rsn + 1, .dmaster = lmaster,
                                            .flags = LTDB_REC_FLAG_VACUUM_MIGRATED };

                r = dbd_store_store(db->store, key, len, &back, NULL, 0);
                if (r >= 0)
                        r = dbd_batch_add(&run->handback[idx], key, len, &back, NULL, 0);
        }
        dbd_store_unlock(db->store, key, len);
        return r;
}

static int vacuum_walk_one(void *userdata, const uint8_t *key, size_t key_len, const struct ltdb_header *h,
                           const uint8_t *value, size_t value_len) {
        struct vacuum_run *run = userdata;

        if (value_len == 0 && h->dmaster == run->db->m->pnn)
                dbd_vacuum_queue(run->db, key, key_len);
        return 0;
}

static void vacuum_db(dbd_db *db) {
        dbd_manager *m = db->m;
        struct dbd_vacuum *v = vacuum_of(db);
        struct vacuum_run run = { .db = db };
        struct handback *hbs;
        _cleanup_talloc_ void *tmp = NULL;
        struct dbd_key *queue;
        size_t n;
        int r = 0;

        if (!v || m->n_vnnmap == 0)
                return;
        if (++v->runs % FULL_EVERY == 0 || v->overflow) {
                v->overflow = false;
                (void) dbd_store_traverse(db->store, vacuum_walk_one, &run);
        }
        if (v->n_queue == 0)
                goto repack;

        tmp = talloc_new(NULL);
        queue = v->queue ? talloc_steal(tmp, v->queue) : NULL;
        n = v->n_queue;
        v->queue = NULL;
        v->n_queue = 0;
        run.handback = talloc_zero_array(tmp, struct dbd_batch, m->n_vnnmap);
        hbs = talloc_zero_array(tmp, struct handback, m->n_vnnmap);
        if (!tmp || !run.handback || !hbs)
                return (void) log_oom();
        for (uint32_t i = 0; i < m->n_vnnmap; i++) {
                hbs[i] = (struct handback) { .db = db, .to = m->vnnmap[i] };
                dbd_batch_init(&run.handback[i], db->id, handback_send, &hbs[i]);
        }
        dbd_batch_init(&run.purge, db->id, purge_flush, db);
        for (size_t i = 0; i < n && r >= 0; i++)
                r = vacuum_key(&run, queue[i].key, queue[i].len);
        for (uint32_t i = 0; i < m->n_vnnmap; i++)
                if (r >= 0)
                        r = dbd_batch_finish(&run.handback[i]);
                else
                        dbd_batch_clear(&run.handback[i]);
        if (r >= 0)
                r = dbd_batch_finish(&run.purge);
        else
                dbd_batch_clear(&run.purge);
        if (r < 0)
                log_warning_errno(r, "Vacuuming of %s stopped early: %m", db->name);
        if (v->vacuumed)
                log_info("Vacuumed %" PRIu64 " deleted record(s) of %s", v->vacuumed, db->name);
        v->vacuumed = 0;

repack:
        if (m->config->repack_limit &&
            tdb_freelist_size(dbd_store_tdb(db->store)) > (int) m->config->repack_limit)
                dbd_store_repack(db->store, db->name);
}

static int on_vacuum_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        dbd_manager *m = userdata;

        /* Not while frozen or before the first recovery: nobody can be asked. */
        if (!m->frozen && m->generation != 0)
                for (size_t i = 0; i < m->n_dbs; i++)
                        vacuum_db(m->dbs[i]);
        (void) sd_event_source_set_time_relative(s, (uint64_t) m->config->vacuum_interval_s * 1000000ull);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

int dbd_vacuum_start(dbd_manager *m) {
        if (m->config->vacuum_interval_s == 0)
                return 0;
        return sd_event_add_time_relative(m->event, &m->vacuum_timer, CLOCK_MONOTONIC,
                                          (uint64_t) m->config->vacuum_interval_s * 1000000ull, 0,
                                          on_vacuum_timer, m);
}

int dbd_vacuum_reload(dbd_manager *m, uint32_t interval_s, uint32_t repack_limit) {
        m->config->repack_limit = repack_limit;
        if (interval_s == m->config->vacuum_interval_s)
                return 0;
        log_info("Vacuuming every %" PRIu32 " s (0: off), repacking past %" PRIu32 " free entries", interval_s,
                 repack_limit);
        /* The next run is one new interval from now. */
        m->config->vacuum_interval_s = interval_s;
        m->vacuum_timer = sd_event_source_disable_unref(m->vacuum_timer);
        return dbd_vacuum_start(m);
}
