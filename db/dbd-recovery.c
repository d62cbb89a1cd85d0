/*
 * Database recovery (DESIGN.md section 5; docs/architecture.md, "Recovery of
 * the databases"). clusterd's leader sets Generation, VnnMap and Recovering;
 * the coordinator (the leader's dbd, or VnnMap[0]'s when the leader runs no
 * dbd) then drives every node of the VnnMap through
 *
 *   FREEZE  every node stops record traffic and takes every chain of every
 *           database (clients wait in their chain locks, they are not refused)
 *           and lists its databases;
 *   ATTACH  every node attaches the union (a database on one node is on all);
 *   PULL    every node sends every record, in batches; the coordinator keeps
 *           the highest rsn per key (a real copy beats the lmaster's pointer
 *           of equal rsn);
 *   PUSH    each record goes to its lmaster under the new VnnMap, which becomes
 *           its dmaster; the first batch of a generation wipes the node's copy;
 *   THAW    every node takes the generation and VnnMap and resumes;
 *
 * and reports RECOVERED to the leader's clusterd, which only then ends the
 * recovery (again every 0.5 s while clusterd still shows that recovery: a
 * message can be lost). A failure at any step is reported too; clusterd
 * starts another.
 */

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <string.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "ctdb-srvid.h"
#include "dbd-batch.h"
#include "dbd-bus.h"
#include "dbd-internal.h"
#include "dbd-rules.h"
#include "dp-client.h"
#include "list.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

/* Each step of a recovery must be answered by every node within this. */
#define STEP_TIMEOUT_USEC (10 * 1000 * 1000ull)
#define RESEND_USEC (500 * 1000ull)

enum step {
        STEP_FREEZE,
        STEP_ATTACH,
        STEP_PULL,
        STEP_PUSH,
        STEP_THAW,
        STEP_DONE,
};

static const char *const step_names[] = { "freeze", "attach", "pull", "push", "thaw", "done" };

struct merged {
        struct merged *next;
        uint32_t hash;
        uint32_t src;           /* the node this copy came from */
        struct db_record rec;   /* key and value copied behind it */
};

struct merge_db {
        uint32_t db_id;
        struct merged **buckets;
        uint32_t n_buckets;
        uint64_t n;
};

struct step_ref;

struct dbd_recovery {
        dbd_manager *m;
        struct step_ref *refs;          /* the requests of the current step */
        uint32_t generation;
        uint32_t leader;
        uint32_t *vnnmap;
        uint32_t n_vnnmap;
        enum step step;
        unsigned outstanding;
        int error;
        uint64_t start_usec;
        struct dbd_db_info *dbs;        /* the union of every node's databases */
        uint32_t n_dbs;
        struct merge_db *merge;         /* per entry of dbs */
        struct dbd_persist_copy *copies; /* every node's persistent and replicated copies */
        size_t n_copies;
        uint64_t records;
        sd_event_source *resend;        /* RECOVERED again while clusterd still recovers it */
};

/*
 * One request of a step, a talloc child of its peer request (so it goes with
 * it) and on the recovery's list (so a failed or replaced recovery cancels
 * exactly its own requests). Pulls hand their batches to the merge of db.
 */
struct step_ref {
        struct dbd_sink sink;           /* first: RECORDS batches find it through the request */
        struct step_ref *next, *prev;
        struct dbd_recovery *rec;
        struct merge_db *db;
        struct peer_request *req;
};


static uint64_t now_usec(dbd_manager *m) {
        uint64_t t = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

/* ---- the coordinator ---------------------------------------------------- */

static void recovery_report(struct dbd_recovery *rec, int error) {
        dbd_manager *m = rec->m;
        struct db_recovered msg = { .generation = rec->generation, .error = error < 0 ? -error : error };
        uint8_t buf[64];
        int len = wire_inner_pack_into(&db_recovered_desc, &msg, buf, sizeof(buf));

        if (error < 0)
                log_error_errno(error, "Recovery of generation %" PRIu32 " failed at %s: %m",
                                rec->generation, step_names[rec->step]);
        else
                log_info("Recovered %" PRIu32 " database(s), %" PRIu64 " record(s), for generation %" PRIu32
                         " in %.3f s",
                         rec->n_dbs, rec->records, rec->generation,
                         (double) (now_usec(m) - rec->start_usec) / 1e6);
        if (len >= 0)
                len = dp_client_send(m->dp, rec->leader, CTDB_SRVID_DB_RECOVERY, buf, (size_t) len);
        if (len < 0)
                log_warning_errno(
                        len, "Failed to tell clusterd on node %" PRIu32 " about generation %" PRIu32 ": %m",
                        rec->leader, rec->generation);
}

static void recovery_cancel_requests(struct dbd_recovery *rec) {
        while (rec->refs) {
                struct step_ref *ref = rec->refs;

                LIST_REMOVE(rec->refs, ref);
                ref->rec = NULL;
                peer_request_cancel(ref->req);
        }
}

static void recovery_fail(struct dbd_recovery *rec, int error) {
        if (rec->error)
                return;
        rec->error = error;
        recovery_cancel_requests(rec);
        recovery_report(rec, error);
}

static void step_next(struct dbd_recovery *rec);

static int persist_add(struct dbd_recovery *rec, struct peer_request *req, const struct dbd_db_info *info) {
        struct dbd_persist_copy *c =
                talloc_realloc(rec, rec->copies, struct dbd_persist_copy, rec->n_copies + 1);

        if (!c)
                return -ENOMEM;
        rec->copies = c;
        c[rec->n_copies++] = (struct dbd_persist_copy){ .db_id = info->db_id,
                                                        .pnn = peer_request_pnn(req),
                                                        .seqnum = info->seqnum,
                                                        .epoch = info->epoch };
        return 0;
}

/* Persistent and replicated databases come whole from the winning copy and go to every node without it. */
static bool persist_skip(struct dbd_recovery *rec, const struct dbd_db_info *db, uint32_t pnn, bool pull) {
        int w;

        if (db->kind == LTDB_VOLATILE)
                return false;
        if (!pull)
                return dbd_persist_current(rec->copies, rec->n_copies, db->db_id, pnn, rec->m->pnn);
        w = dbd_persist_winner(rec->copies, rec->n_copies, db->db_id, rec->m->pnn);
        return w < 0 ? pnn != rec->vnnmap[0] : rec->copies[w].pnn != pnn;
}

static void on_step_answer(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct step_ref *ref = userdata;
        struct dbd_recovery *rec = ref->rec;
        const struct dbd_ack_msg *a = reply;

        if (!rec)
                return;
        LIST_REMOVE(rec->refs, ref);
        ref->rec = NULL;
        if (rec->error)
                return;
        if (error >= 0 && a && a->error)
                error = -a->error;
        if (error < 0) {
                log_warning_errno(error, "Node %" PRIu32 " failed the %s step: %m", peer_request_pnn(req),
                                  step_names[rec->step]);
                recovery_fail(rec, error);
                return;
        }
        if (rec->step == STEP_FREEZE && a) {
                /* Every node's databases, once each: the union is attached everywhere next. */
                for (uint32_t i = 0; i < a->n_dbs; i++) {
                        bool known = false;

                        if (a->dbs[i].kind != LTDB_VOLATILE && persist_add(rec, req, &a->dbs[i]) < 0)
                                return recovery_fail(rec, -ENOMEM);

                        /* Read-only and sticky set on any node are set on all. */
                        for (uint32_t j = 0; j < rec->n_dbs && !known; j++)
                                if ((known = rec->dbs[j].db_id == a->dbs[i].db_id))
                                        rec->dbs[j].flags |= a->dbs[i].flags;
                        if (known)
                                continue;
                        struct dbd_db_info *dbs = talloc_realloc(rec, rec->dbs, struct dbd_db_info,
                                                                 rec->n_dbs + 1);
                        if (!dbs)
                                return recovery_fail(rec, -ENOMEM);
                        rec->dbs = dbs;
                        rec->dbs[rec->n_dbs] = a->dbs[i];
                        rec->dbs[rec->n_dbs].name = talloc_strdup(rec, a->dbs[i].name);
                        if (!rec->dbs[rec->n_dbs].name)
                                return recovery_fail(rec, -ENOMEM);
                        rec->n_dbs++;
                }
        }
        if (--rec->outstanding == 0)
                step_next(rec);
}

static int step_ref_destructor(struct step_ref *ref) {
        if (ref->rec)
                LIST_REMOVE(ref->rec->refs, ref);
        return 0;
}

static int pull_batch(struct dbd_sink *s, uint32_t src, const struct db_records *batch);

/* A request of the current step to pnn; db: a pull, whose batches go into that merge. */
static int step_request(struct dbd_recovery *rec, uint32_t pnn, struct merge_db *db,
                        struct peer_request **ret) {
        struct step_ref *ref;
        struct peer_request *req;
        int r = peer_request_new(rec->m->requests, pnn, STEP_TIMEOUT_USEC, on_step_answer, NULL, &req);

        if (r < 0)
                return r;
        ref = talloc_zero(req, struct step_ref);
        if (!ref) {
                peer_request_cancel(req);
                return -ENOMEM;
        }
        *ref = (struct step_ref) { .sink.batch = db ? pull_batch : NULL, .rec = rec, .db = db, .req = req };
        talloc_set_destructor(ref, step_ref_destructor);
        LIST_PREPEND(rec->refs, ref);
        peer_request_set_userdata(req, ref);
        rec->outstanding++;
        *ret = req;
        return 0;
}

/* ---- pull: merge ---- */

static bool record_wins(const struct db_record *a, uint32_t a_src, const struct merged *b) {
        struct dbd_copy ca = { .rsn = a->rsn, .dmaster = a->dmaster, .flags = a->flags, .src = a_src };
        struct dbd_copy cb = {
                .rsn = b->rec.rsn, .dmaster = b->rec.dmaster, .flags = b->rec.flags, .src = b->src
        };

        return dbd_copy_wins(&ca, &cb);
}

static int merge_grow(struct merge_db *d, void *ctx) {
        uint32_t n = d->n_buckets ? d->n_buckets * 4 : 1024;
        struct merged **b = talloc_zero_array(ctx, struct merged *, n);

        if (!b)
                return -ENOMEM;
        for (uint32_t i = 0; i < d->n_buckets; i++)
                for (struct merged *e = d->buckets[i], *next; e; e = next) {
                        next = e->next;
                        e->next = b[e->hash & (n - 1)];
                        b[e->hash & (n - 1)] = e;
                }
        talloc_free(d->buckets);
        d->buckets = b;
        d->n_buckets = n;
        return 0;
}

static int merge_add(struct dbd_recovery *rec, struct merge_db *d, uint32_t src, const struct db_record *r) {
        uint32_t hash = ltdb_hash(r->key, r->key_len);
        struct merged *e, **slot;
        uint8_t *copy;

        if (d->n >= 2ull * d->n_buckets && merge_grow(d, rec->merge) < 0)
                return -ENOMEM;
        for (slot = &d->buckets[hash & (d->n_buckets - 1)]; (e = *slot); slot = &e->next)
                if (e->hash == hash && e->rec.key_len == r->key_len &&
                    (r->key_len == 0 || memcmp(e->rec.key, r->key, r->key_len) == 0))
                        break;
        if (e && !record_wins(r, src, e))
                return 0;
        copy = talloc_size(rec->merge, sizeof(*e) + r->key_len + r->value_len);
        if (!copy)
                return -ENOMEM;
        if (e) {
                *slot = e->next;
                talloc_free(e);
        } else {
                d->n++;
        }
        e = (struct merged *) copy;
        e->hash = hash;
        e->src = src;
        e->rec = *r;
        e->rec.key = copy + sizeof(*e);
        memcpy(copy + sizeof(*e), r->key, r->key_len);
        e->rec.value = copy + sizeof(*e) + r->key_len;
        if (r->value_len)
                memcpy(copy + sizeof(*e) + r->key_len, r->value, r->value_len);
        e->next = d->buckets[hash & (d->n_buckets - 1)];
        d->buckets[hash & (d->n_buckets - 1)] = e;
        return 0;
}

static int pull_batch(struct dbd_sink *s, uint32_t src, const struct db_records *batch) {
        struct step_ref *ref = (struct step_ref *) s;

        if (!ref->rec)
                return -ECANCELED;
        for (uint32_t i = 0; i < batch->n_records; i++) {
                int r = merge_add(ref->rec, ref->db, src, &batch->records[i]);

                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- push ---- */

struct push_state {
        struct dbd_recovery *rec;
        uint32_t to;
        struct peer_request *last_req;
};

static int push_flush(void *userdata, const struct db_records *batch) {
        struct push_state *ps = userdata;
        struct dbd_recovery *rec = ps->rec;
        struct dbd_records_msg msg = { .generation = rec->generation, .batch = *batch };
        struct peer_request *req = NULL;
        int r;

        if (batch->last) {
                r = step_request(rec, ps->to, NULL, &req);
                if (r < 0)
                        return r;
                msg.id = peer_request_id(req);
        }
        r = dbd_send(rec->m, ps->to, &dbd_push_desc, &msg);
        if (r < 0 && req) {
                peer_request_cancel(req);
                rec->outstanding--;
        }
        return r;
}

/* A record of the winning copy goes as it is to every node that lacks that copy (deletes excepted, as CTDB).
 */
static int push_copy(struct dbd_recovery *rec, uint32_t index, struct dbd_batch *batches,
                     const struct merged *e) {
        struct ltdb_header h = { .rsn = e->rec.rsn, .dmaster = e->rec.dmaster, .flags = e->rec.flags };
        int r = 0;

        if (e->rec.value_len == 0)
                return 0;
        for (uint32_t i = 0; i < rec->n_vnnmap && r >= 0; i++)
                if (!persist_skip(rec, &rec->dbs[index], rec->vnnmap[i], false))
                        r = dbd_batch_add(&batches[i], e->rec.key, e->rec.key_len, &h, e->rec.value,
                                          e->rec.value_len);
        rec->records++;
        return r;
}

static int push_db(struct dbd_recovery *rec, uint32_t index) {
        struct merge_db *d = &rec->merge[index];
        struct dbd_batch *batches = talloc_zero_array(NULL, struct dbd_batch, rec->n_vnnmap);
        struct push_state *states = talloc_zero_array(batches, struct push_state, rec->n_vnnmap);
        int r = 0;

        if (!batches || !states) {
                talloc_free(batches);
                return -ENOMEM;
        }
        for (uint32_t i = 0; i < rec->n_vnnmap; i++) {
                states[i] = (struct push_state) { .rec = rec, .to = rec->vnnmap[i] };
                dbd_batch_init(&batches[i], d->db_id, push_flush, &states[i]);
        }
        for (uint32_t b = 0; b < d->n_buckets && r >= 0; b++)
                for (struct merged *e = d->buckets[b]; e && r >= 0; e = e->next) {
                        uint32_t i = ltdb_hash(e->rec.key, e->rec.key_len) % rec->n_vnnmap;
                        struct ltdb_header h = { .rsn = e->rec.rsn, .dmaster = rec->vnnmap[i] };

                        if (rec->dbs[index].kind != LTDB_VOLATILE) {
                                r = push_copy(rec, index, batches, e);
                                continue;
                        }
                        /* Deleted everywhere: nothing to keep. */
                        if (e->rec.value_len == 0 && !(e->rec.flags & LTDB_REC_FLAG_POINTER))
                                continue;
                        if (e->rec.flags & LTDB_REC_FLAG_POINTER)
                                continue; /* only a pointer survived: the dmaster and its data are gone */
                        r = dbd_batch_add(&batches[i], e->rec.key, e->rec.key_len, &h, e->rec.value,
                                          e->rec.value_len);
                        rec->records++;
                }
        for (uint32_t i = 0; i < rec->n_vnnmap; i++) {
                if (r >= 0 && persist_skip(rec, &rec->dbs[index], rec->vnnmap[i], false))
                        dbd_batch_clear(&batches[i]);
                else if (r >= 0)
                        r = dbd_batch_finish(&batches[i]);
                else
                        dbd_batch_clear(&batches[i]);
        }
        talloc_free(batches);
        return r;
}

static int on_resend(sd_event_source *s, uint64_t usec, void *userdata) {
        struct dbd_recovery *rec = userdata;
        const struct cluster_view *v = &rec->m->view;

        if (!v->recovering || v->generation != rec->generation)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        recovery_report(rec, 0);
        (void) sd_event_source_set_time_relative(s, RESEND_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static void step_next(struct dbd_recovery *rec) {
        dbd_manager *m = rec->m;
        struct peer_request *req;
        int r = 0;

        rec->step++;
        log_debug("Recovery of generation %" PRIu32 ": %s", rec->generation, step_names[rec->step]);
        switch (rec->step) {
        case STEP_ATTACH: {
                struct dbd_attach_msg a = { .generation = rec->generation,
                                            .dbs = rec->dbs,
                                            .n_dbs = rec->n_dbs };

                for (uint32_t i = 0; i < rec->n_vnnmap && r >= 0; i++)
                        if ((r = step_request(rec, rec->vnnmap[i], NULL, &req)) >= 0) {
                                a.id = peer_request_id(req);
                                r = dbd_send(m, rec->vnnmap[i], &dbd_attach_desc, &a);
                        }
                break;
        }
        case STEP_PULL:
                rec->merge = talloc_zero_array(rec, struct merge_db, rec->n_dbs ? rec->n_dbs : 1);
                if (!rec->merge) {
                        r = -ENOMEM;
                        break;
                }
                for (uint32_t d = 0; d < rec->n_dbs && r >= 0; d++) {
                        rec->merge[d].db_id = rec->dbs[d].db_id;
                        r = merge_grow(&rec->merge[d], rec->merge);
                        for (uint32_t i = 0; i < rec->n_vnnmap && r >= 0; i++) {
                                struct dbd_pull_msg p = { .generation = rec->generation,
                                                          .db_id = rec->dbs[d].db_id };

                                if (persist_skip(rec, &rec->dbs[d], rec->vnnmap[i], true))
                                        continue;
                                if ((r = step_request(rec, rec->vnnmap[i], &rec->merge[d], &req)) >= 0) {
                                        p.id = peer_request_id(req);
                                        r = dbd_send(m, rec->vnnmap[i], &dbd_pull_desc, &p);
                                }
                        }
                }
                break;
        case STEP_PUSH:
                for (uint32_t d = 0; d < rec->n_dbs && r >= 0; d++)
                        r = push_db(rec, d);
                /* The merge of a large database is tens of MiB: give it back to the system now. */
                TALLOC_FREE(rec->merge);
                (void) malloc_trim(0);
                break;
        case STEP_THAW: {
                struct dbd_thaw_msg t = { .generation = rec->generation, .vnnmap = rec->vnnmap,
                                          .n_vnnmap = rec->n_vnnmap,
                                          .epoch = dbd_persist_next_epoch(rec->copies, rec->n_copies) };

                for (uint32_t i = 0; i < rec->n_vnnmap && r >= 0; i++)
                        if ((r = step_request(rec, rec->vnnmap[i], NULL, &req)) >= 0) {
                                t.id = peer_request_id(req);
                                r = dbd_send(m, rec->vnnmap[i], &dbd_thaw_desc, &t);
                        }
                break;
        }
        case STEP_DONE:
                recovery_report(rec, 0);
                /* A report can be lost (tunneld restarting): it goes again until clusterd took it. */
                if (sd_event_add_time_relative(m->event, &rec->resend, CLOCK_MONOTONIC, RESEND_USEC, 0,
                                               on_resend, rec) < 0)
                        rec->resend = NULL;
                return;
        default:
                return;
        }
        if (r < 0)
                recovery_fail(rec, r);
        else if (rec->outstanding == 0)
                step_next(rec);
}

static void recovery_start(dbd_manager *m) {
        struct dbd_recovery *rec;
        struct dbd_freeze_msg f;
        struct peer_request *req;
        int r = 0;

        dbd_recovery_free(m);
        rec = talloc_zero(m, struct dbd_recovery);
        if (!rec)
                return (void) log_oom();
        rec->m = m;
        rec->generation = m->view.generation;
        rec->leader = m->view.leader;
        rec->n_vnnmap = m->view.n_vnnmap;
        rec->vnnmap = talloc_memdup(rec, m->view.vnnmap, m->view.n_vnnmap * sizeof(uint32_t));
        rec->start_usec = now_usec(m);
        m->recovery = rec;
        if (!rec->vnnmap)
                return recovery_fail(rec, -ENOMEM);
        log_info("Recovering the databases for generation %" PRIu32 " on %" PRIu32 " node(s)",
                 rec->generation, rec->n_vnnmap);
        f = (struct dbd_freeze_msg) { .generation = rec->generation };
        for (uint32_t i = 0; i < rec->n_vnnmap && r >= 0; i++)
                if ((r = step_request(rec, rec->vnnmap[i], NULL, &req)) >= 0) {
                        f.id = peer_request_id(req);
                        r = dbd_send(m, rec->vnnmap[i], &dbd_freeze_desc, &f);
                }
        if (r < 0)
                recovery_fail(rec, r);
}

void dbd_recovery_free(dbd_manager *m) {
        if (!m->recovery)
                return;
        /* Answers still on their way find no request and are dropped. */
        recovery_cancel_requests(m->recovery);
        m->recovery->resend = sd_event_source_disable_unref(m->recovery->resend);
        TALLOC_FREE(m->recovery);
}

void dbd_recovery_view_changed(dbd_manager *m) {
        const struct cluster_view *v = &m->view;
        uint32_t coordinator;

        if (!v->known || !v->recovering || v->n_vnnmap == 0 || m->pnn == CTDB_PNN_NONE)
                return;
        coordinator = dbd_coordinator(v->leader, v->vnnmap, v->n_vnnmap);
        if (coordinator != m->pnn)
                return;
        if (m->recovery && m->recovery->generation == v->generation)
                return;
        recovery_start(m);
}
