/*
 * Every node's side of a recovery (dbd-recovery.c is the coordinator's):
 * FREEZE, ATTACH, PULL, PUSH and THAW as they arrive, and the dispatch of
 * every recovery-time kind. Persistent and replicated databases are replaced
 * whole by a push, in one tdb transaction, and re-stamped at the thaw.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/time.h>

#include <talloc.h>

#include "dbd-batch.h"
#include "dbd-bus.h"
#include "dbd-glock.h"
#include "dbd-internal.h"
#include "dbd-pending.h"
#include "log.h"
#include "talloc-util.h"

#define FREEZE_RETRY_USEC (1000ull)

/* What a node keeps while it freezes for a coordinator. */
struct dbd_freeze_wait {
        uint32_t src;
        uint32_t id;
        uint32_t generation;
};

static void send_ack(dbd_manager *m, uint32_t to, uint32_t id, uint32_t generation, int error,
                     struct dbd_db_info *dbs, uint32_t n_dbs) {
        struct dbd_ack_msg a = { .id = id, .generation = generation, .error = error < 0 ? -error : error,
                                 .dbs = dbs, .n_dbs = n_dbs };
        int r = dbd_send(m, to, &dbd_ack_desc, &a);

        if (r < 0)
                log_warning_errno(r, "Failed to answer node %" PRIu32 ": %m", to);
}

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
        for (size_t i = 0; i < m->n_dbs; i++)
                dbd_txn_db_info(m->dbs[i], &dbs[i]);
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
                                               FREEZE_RETRY_USEC, DBD_TIMER_ACCURACY_USEC, on_freeze_timer, m);
                if (r < 0)
                        return r;
        }
        if (!m->frozen) {
                log_info("Freezing the databases for the recovery of generation %" PRIu32, f->generation);
                gettimeofday(&m->recovery_started, NULL);
        }
        m->frozen = true;
        m->frozen_generation = f->generation;
        dbd_migrate_freeze(m);
        dbd_txn_freeze(m);
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

/* ATTACHED: what a client attached on another node, here too at once (volatile databases only). */
static int on_attached(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                       size_t len) {
        const struct dbd_attach_msg *a = msg;
        dbd_manager *m = userdata;

        for (uint32_t i = 0; i < a->n_dbs; i++) {
                dbd_db *db;
                int r;

                if (a->dbs[i].kind != LTDB_VOLATILE)
                        continue;
                r = dbd_db_open(m, a->dbs[i].name, a->dbs[i].kind, &db);
                if (r < 0) {
                        /* The next recovery attaches the union: it is not lost. */
                        log_warning_errno(r, "Failed to attach %s as node %" PRIu32 " did: %m",
                                          a->dbs[i].name, h->src);
                        continue;
                }
                if ((db->flags | a->dbs[i].flags) != db->flags) {
                        uint32_t old = db->flags;

                        db->flags |= a->dbs[i].flags;
                        dbd_bus_db_flags_changed(m, db, old);
                }
        }
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
        /* Persistent and replicated: the whole copy is replaced in one tdb transaction. */
        if (db->pushed_generation != p->generation) {
                r = db->kind == LTDB_VOLATILE ? dbd_store_wipe(db->store)
                                              : dbd_store_replace_begin(db->store);
                db->pushed_generation = p->generation;
        }
        for (uint32_t i = 0; i < p->batch.n_records && r >= 0; i++) {
                const struct db_record *rec = &p->batch.records[i];
                struct ltdb_header hdr = { .rsn = rec->rsn, .dmaster = rec->dmaster, .flags = rec->flags };

                r = dbd_store_store(db->store, rec->key, rec->key_len, &hdr, rec->value, rec->value_len);
        }
        if (r >= 0 && p->batch.last && db->kind != LTDB_VOLATILE)
                r = dbd_store_replace_commit(db->store);
        if (r < 0) {
                if (db->kind != LTDB_VOLATILE)
                        dbd_store_replace_cancel(db->store);
                db->pushed_generation = 0;
        }
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
        gettimeofday(&m->recovery_finished, NULL);
        log_info("Databases thawed with generation %" PRIu32, t->generation);
        send_ack(m, h->src, t->id, t->generation, 0, NULL, 0);
        /* Record traffic of this generation goes direct where it can. */
        for (uint32_t i = 0; i < m->n_vnnmap; i++)
                dbd_channel_want(m, m->vnnmap[i]);
        dbd_migrate_thaw(m);
        dbd_txn_thaw(m, h->src, t->epoch);
        dbd_ctdb_thawed(m);
        /* The coordinator of the recovery is the g_lock master of its generation. */
        dbd_glock_thaw(m, h->src);
        return 0;
}

const struct wire_handler dbd_recovery_handlers[] = {
        { DBD_MSG_FREEZE, &dbd_freeze_desc, on_freeze },
        { DBD_MSG_ATTACH, &dbd_attach_desc, on_attach },
        { DBD_MSG_ATTACHED, &dbd_attached_desc, on_attached },
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
const size_t dbd_recovery_n_handlers = ELEMENTSOF(dbd_recovery_handlers);
