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
#include "dbd-glock.h"
#include "dbd-internal.h"
#include "dbd-rules.h"
#include "dp-client.h"
#include "list.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

/* Each step of a recovery must be answered by every node within this. */
#define STEP_TIMEOUT_USEC (10 * 1000 * 1000ull)
#define FREEZE_RETRY_USEC (1000ull)
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

/* What a node keeps while it freezes for a coordinator. */
struct dbd_freeze_wait {
        uint32_t src;
        uint32_t id;
        uint32_t generation;
};

static uint64_t now_usec(dbd_manager *m) {
        uint64_t t = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

static void send_ack(dbd_manager *m, uint32_t to, uint32_t id, uint32_t generation, int error,
                     struct dbd_db_info *dbs, uint32_t n_dbs) {
        struct dbd_ack_msg a = { .id = id, .generation = generation, .error = error < 0 ? -error : error,
                                 .dbs = dbs, .n_dbs = n_dbs };
        int r = dbd_send(m, to, &dbd_ack_desc, &a);

        if (r < 0)
                log_warning_errno(r, "Failed to answer node %" PRIu32 ": %m", to);
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
                if (r >= 0)
                        r = dbd_batch_finish(&batches[i]);
                else
                        dbd_batch_clear(&batches[i]);
        }
        talloc_free(batches);
        return r;
}

static int on_resend(sd_event_source *s, uint64_t usec, void *userdata) {
        struct dbd_recovery *rec = userdata;
        const struct dbd_cluster_view *v = &rec->m->view;

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
                                          .n_vnnmap = rec->n_vnnmap };

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
        const struct dbd_cluster_view *v = &m->view;
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

/* ---- every node's side -------------------------------------------------- */

static struct dbd_db_info *db_infos(dbd_manager *m, void *ctx) {
        struct dbd_db_info *dbs = talloc_zero_array(ctx, struct dbd_db_info, m->n_dbs ? m->n_dbs : 1);

        if (!dbs)
                return NULL;
        for (size_t i = 0; i < m->n_dbs; i++)
                dbs[i] = (struct dbd_db_info) {
                        .db_id = m->dbs[i]->id,
                        .kind = m->dbs[i]->kind,
                        .flags = m->dbs[i]->flags,
                        .name = m->dbs[i]->name,
                        .name_len = (uint32_t) strlen(m->dbs[i]->name),
                };
        return dbs;
}

static int freeze_all(dbd_manager *m) {
        for (size_t i = 0; i < m->n_dbs; i++) {
                int r = dbd_store_freeze(m->dbs[i]->store);

                if (r < 0)
                        return r;
        }
        return 0;
}

static void freeze_try(dbd_manager *m) {
        struct dbd_freeze_wait *fw = m->freeze_wait;
        _cleanup_talloc_ struct dbd_db_info *dbs = NULL;
        int r;

        r = freeze_all(m);
        if (r == -EAGAIN) {
                /* A client holds a chain: it finishes, then we have it. */
                (void) sd_event_source_set_time_relative(m->freeze_timer, FREEZE_RETRY_USEC);
                (void) sd_event_source_set_enabled(m->freeze_timer, SD_EVENT_ONESHOT);
                return;
        }
        m->freeze_wait = NULL;
        dbs = db_infos(m, NULL);
        if (r >= 0 && !dbs)
                r = -ENOMEM;
        send_ack(m, fw->src, fw->id, fw->generation, r, dbs, dbs ? (uint32_t) m->n_dbs : 0);
        talloc_free(fw);
}

static int on_freeze_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        dbd_manager *m = userdata;

        if (m->freeze_wait)
                freeze_try(m);
        return 0;
}

static int on_freeze(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t len) {
        const struct dbd_freeze_msg *f = msg;
        dbd_manager *m = userdata;
        int r;

        if (!m->freeze_timer) {
                r = sd_event_add_time_relative(m->event, &m->freeze_timer, CLOCK_MONOTONIC,
                                               FREEZE_RETRY_USEC, 0, on_freeze_timer, m);
                if (r < 0)
                        return r;
        }
        if (!m->frozen)
                log_info("Freezing the databases for the recovery of generation %" PRIu32, f->generation);
        m->frozen = true;
        m->frozen_generation = f->generation;
        dbd_migrate_freeze(m);
        /* A newer freeze replaces the one still waiting: only the latest coordinator is answered. */
        if (!m->freeze_wait && !(m->freeze_wait = talloc_zero(m, struct dbd_freeze_wait)))
                return -ENOMEM;
        *m->freeze_wait =
                (struct dbd_freeze_wait){ .src = h->src, .id = f->id, .generation = f->generation };
        freeze_try(m);
        return 0;
}

static int on_attach(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t len) {
        const struct dbd_attach_msg *a = msg;
        dbd_manager *m = userdata;
        int r = m->frozen && m->frozen_generation == a->generation ? 0 : -ESTALE;

        for (uint32_t i = 0; i < a->n_dbs && r >= 0; i++) {
                dbd_db *db;

                r = dbd_db_open(m, a->dbs[i].name, a->dbs[i].kind, &db);
                if (r >= 0) {
                        uint32_t old = db->flags;

                        db->flags |= a->dbs[i].flags;
                        if (db->flags != old)
                                dbd_bus_db_flags_changed(m, db, old);
                        /* Nobody else has the new file open yet: this cannot wait. */
                        r = dbd_store_freeze(db->store);
                }
        }
        send_ack(m, h->src, a->id, a->generation, r, NULL, 0);
        return 0;
}

struct pull_send {
        dbd_manager *m;
        uint32_t to;
        uint32_t id;
        uint32_t generation;
};

static int pull_flush(void *userdata, const struct db_records *batch) {
        struct pull_send *ps = userdata;
        struct dbd_records_msg msg = { .id = ps->id, .generation = ps->generation, .batch = *batch };

        return dbd_send(ps->m, ps->to, &dbd_records_desc, &msg);
}

static int pull_one(void *userdata, const uint8_t *key, size_t key_len, const struct ltdb_header *h,
                    const uint8_t *value, size_t value_len) {
        return dbd_batch_add(userdata, key, key_len, h, value, value_len);
}

static int on_pull(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                   size_t len) {
        const struct dbd_pull_msg *p = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, p->db_id);
        struct pull_send ps = { .m = m, .to = h->src, .id = p->id, .generation = p->generation };
        struct dbd_batch b;
        int r;

        if (!db || !m->frozen || m->frozen_generation != p->generation) {
                send_ack(m, h->src, p->id, p->generation, db ? ESTALE : ENOENT, NULL, 0);
                return 0;
        }
        dbd_batch_init(&b, db->id, pull_flush, &ps);
        r = dbd_store_traverse(db->store, pull_one, &b);
        if (r >= 0)
                r = dbd_batch_finish(&b);
        else
                dbd_batch_clear(&b);
        if (r < 0)
                send_ack(m, h->src, p->id, p->generation, r, NULL, 0);
        return 0;
}

static int on_push(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                   size_t len) {
        const struct dbd_records_msg *p = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, p->batch.db_id);
        int r = 0;

        /* Not of the recovery this node is frozen for: answered, and nothing of it touched. */
        if (!db || !m->frozen || m->frozen_generation != p->generation) {
                send_ack(m, h->src, p->id, p->generation, db ? ESTALE : ENOENT, NULL, 0);
                return 0;
        }
        if (db->pushed_generation != p->generation) {
                r = dbd_store_wipe(db->store);
                db->pushed_generation = p->generation;
        }
        for (uint32_t i = 0; i < p->batch.n_records && r >= 0; i++) {
                const struct db_record *rec = &p->batch.records[i];
                struct ltdb_header hdr = { .rsn = rec->rsn, .dmaster = rec->dmaster, .flags = rec->flags };

                r = dbd_store_store(db->store, rec->key, rec->key_len, &hdr, rec->value, rec->value_len);
        }
        if (r < 0)
                db->pushed_generation = 0;
        if (p->batch.last || r < 0)
                send_ack(m, h->src, p->id, p->generation, r, NULL, 0);
        return 0;
}

static int on_thaw(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                   size_t len) {
        const struct dbd_thaw_msg *t = msg;
        dbd_manager *m = userdata;
        uint32_t *vnnmap;

        if (!m->frozen || m->frozen_generation != t->generation) {
                send_ack(m, h->src, t->id, t->generation, ESTALE, NULL, 0);
                return 0;
        }
        /*
         * A peer's bytes are not trusted: a pnn beyond the largest cluster is
         * refused. (Not this node's slot count: ReloadNodes may have added
         * nodes the coordinator already counts.)
         */
        for (uint32_t i = 0; i < t->n_vnnmap; i++)
                if (t->vnnmap[i] >= DBD_MAX_NODES) {
                        send_ack(m, h->src, t->id, t->generation, EINVAL, NULL, 0);
                        return 0;
                }
        vnnmap = talloc_memdup_any(m, t->vnnmap, t->n_vnnmap * sizeof(uint32_t));
        if (!vnnmap)
                return -ENOMEM;
        /*
         * Every database of the recovery had its push (an empty last batch at
         * least); one attached here while frozen was frozen from its start and
         * so holds nothing: neither is wiped again here.
         */
        for (size_t i = 0; i < m->n_dbs; i++)
                dbd_store_thaw(m->dbs[i]->store);
        talloc_free(m->vnnmap);
        m->vnnmap = vnnmap;
        m->n_vnnmap = t->n_vnnmap;
        m->generation = t->generation;
        m->frozen = false;
        log_info("Databases thawed with generation %" PRIu32, t->generation);
        send_ack(m, h->src, t->id, t->generation, 0, NULL, 0);
        /* Record traffic of this generation goes direct where it can. */
        for (uint32_t i = 0; i < m->n_vnnmap; i++)
                dbd_channel_want(m, m->vnnmap[i]);
        dbd_migrate_thaw(m);
        /* The coordinator of the recovery is the g_lock master of its generation. */
        dbd_glock_thaw(m, h->src);
        return 0;
}

static const struct wire_handler recovery_handlers[] = {
        { DBD_MSG_FREEZE, &dbd_freeze_desc, on_freeze },
        { DBD_MSG_ATTACH, &dbd_attach_desc, on_attach },
        { DBD_MSG_PULL, &dbd_pull_desc, on_pull },
        { DBD_MSG_PUSH, &dbd_push_desc, on_push },
        { DBD_MSG_THAW, &dbd_thaw_desc, on_thaw },
        { DBD_MSG_RECORDS, &dbd_records_desc, dbd_on_records },
        { DBD_MSG_ACK, &dbd_ack_desc, dbd_on_ack },
        { DBD_MSG_TRAVERSE, &dbd_traverse_desc, dbd_traverse_on_request },
        { DBD_MSG_WIPE, &dbd_wipe_desc, dbd_wipe_on_request },
        { DBD_MSG_VACUUM, &dbd_vacuum_desc, dbd_vacuum_on_vacuum },
        { DBD_MSG_PURGE, &dbd_purge_desc, dbd_vacuum_on_purge },
};

bool dbd_recovery_handles(uint16_t kind) {
        for (size_t i = 0; i < ELEMENTSOF(recovery_handlers); i++)
                if (recovery_handlers[i].kind == kind)
                        return true;
        return false;
}

int dbd_recovery_receive(dbd_manager *m, const struct wire_header *h, const uint8_t *payload, size_t len) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);

        return wire_dispatch(recovery_handlers, ELEMENTSOF(recovery_handlers), tmp, h, payload, len, m);
}
