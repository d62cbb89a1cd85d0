/*
 * Record migration between nodes: the entry points for local callers and the
 * handlers of other nodes' record messages (MIGRATE, RECORD, DMASTER, RETRY,
 * FETCH, VALUE). What happens to one key is decided in dbd-pending.c.
 */


#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "dbd-internal.h"
#include "dbd-pending.h"
#include "dbd-rules.h"
#include "list.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

int dbd_migrate(dbd_db *db, const uint8_t *key, size_t len, struct dbd_waiter *w) {
        struct dbd_pending *p;

        if (len > DB_KEY_MAX)
                return -E2BIG;
        p = dbd_pending_get(db, key, len);
        if (!p)
                return -ENOMEM;
        w->pending = p;
        LIST_PREPEND(p->waiters, w);
        dbd_pending_run(p);
        return 0;
}

int dbd_fetch_value(dbd_db *db, const uint8_t *key, size_t len, bool readonly, struct dbd_waiter *w) {
        struct dbd_pending *p;

        if (len > DB_KEY_MAX)
                return -E2BIG;
        p = dbd_pending_get(db, key, len);
        if (!p)
                return -ENOMEM;
        /* A read-only copy only where the database delegates (SetReadOnly). */
        if (readonly && (db->flags & DBD_DB_READONLY))
                p->fetch_readonly = true;
        w->pending = p;
        LIST_PREPEND(p->fetchers, w);
        dbd_pending_run(p);
        return 0;
}

void dbd_waiter_cancel(struct dbd_waiter *w) {
        struct dbd_pending *p = w->pending;

        if (!p)
                return;
        if (w->value)
                LIST_REMOVE(p->fetchers, w);
        else
                LIST_REMOVE(p->waiters, w);
        w->pending = NULL;
}

static dbd_db *db_for(dbd_manager *m, uint32_t db_id, uint32_t generation, uint32_t src, const uint8_t *key,
                      size_t len, bool answer) {
        dbd_db *db;
        int error = 0;

        if (m->frozen || generation != m->generation || m->generation == 0)
                error = m->frozen ? EAGAIN : ESTALE;
        else if (!(db = dbd_manager_find_id(m, db_id)))
                error = EAGAIN; /* attached elsewhere; the next recovery attaches it here */
        if (error == 0)
                return db;
        if (answer)
                dbd_send_retry(m, NULL, src, key, len, error);
        return NULL;
}

/* Another node's request for the key waits in its entry, in arrival order. */
static int park(dbd_db *db, const struct parked *req, const uint8_t *key, size_t len) {
        struct dbd_pending *p = dbd_pending_get(db, key, len);
        struct parked *x;

        if (!p)
                return -ENOMEM;
        x = talloc_zero(p, struct parked);
        if (!x) {
                if (dbd_pending_idle(p))
                        talloc_free(p);
                return -ENOMEM;
        }
        *x = *req;
        x->next = x->prev = NULL;
        /* FIFO: the oldest request is served first. */
        if (!p->parked) {
                p->parked = x;
        } else {
                struct parked *last = p->parked;

                while (last->next)
                        last = last->next;
                last->next = x;
                x->prev = last;
        }
        dbd_pending_run(p);
        return 0;
}

static int on_migrate(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                      size_t len) {
        const struct dbd_migrate_msg *g = msg;
        dbd_manager *m = userdata;
        dbd_db *db = db_for(m, g->db_id, g->generation, g->requester, g->key, g->key_len, true);

        if (!db)
                return 0;
        if (g->requester == m->pnn) {
                /* Our own request came back along a chain of stale pointers: ask the lmaster. */
                struct dbd_pending *p =
                        dbd_pending_find(db, g->key, g->key_len, ltdb_hash(g->key, g->key_len));

                if (p && p->state == PENDING_SENT) {
                        p->state = PENDING_IDLE;
                        p->via_lmaster = true;
                        dbd_pending_arm(p, dbd_now_usec(m) + BACKOFF_MIN_USEC);
                }
                return 0;
        }
        return park(db,
                    &(struct parked) { .kind = DBD_MSG_MIGRATE, .src = h->src, .requester = g->requester,
                                       .hops = g->hops },
                    g->key, g->key_len);
}

static int on_fetch(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                    size_t len) {
        const struct dbd_fetch_msg *f = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, f->db_id);

        if (m->frozen || f->generation != m->generation || !db) {
                dbd_send_value(m, f->requester, f->id, f->first, EAGAIN, 0, NULL, NULL, 0);
                return 0;
        }
        return park(db,
                    &(struct parked) { .kind = DBD_MSG_FETCH, .src = h->src, .requester = f->requester,
                                       .hops = f->hops, .id = f->id, .first = f->first, .flags = f->flags },
                    f->key, f->key_len);
}

int dbd_migrate_take(dbd_db *db, const uint8_t *key, size_t key_len, uint64_t rsn, uint32_t flags,
                     const uint8_t *value, size_t value_len) {
        struct dbd_pending *p = dbd_pending_get(db, key, key_len);

        if (!p)
                return -ENOMEM;
        if (p->record && p->record->rsn >= rsn)
                return 0;
        talloc_free(p->record);
        p->record = talloc_zero(p, struct dbd_record_msg);
        if (!p->record)
                return -ENOMEM;
        *p->record = (struct dbd_record_msg) { .db_id = db->id, .rsn = rsn, .flags = flags,
                                               .value_len = (uint32_t) value_len };
        p->record->value = value_len ? talloc_memdup(p->record, value, value_len) : NULL;
        if (value_len && !p->record->value)
                return -ENOMEM;
        dbd_pending_run(p);
        return 0;
}

static int on_revoke(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t len) {
        const struct dbd_revoke_msg *r = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, r->db_id);

        /* Frozen or of another generation: the recovery wipes every read-only copy anyway. */
        if (!db || m->frozen || r->generation != m->generation) {
                struct dbd_ack_msg a = { .id = r->id, .generation = r->generation };

                return dbd_send(m, h->src, &dbd_ack_desc, &a), 0;
        }
        return park(db,
                    &(struct parked){ .kind = DBD_MSG_REVOKE, .src = h->src, .id = r->id, .rsn = r->rsn },
                    r->key, r->key_len);
}

static int on_record(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t len) {
        const struct dbd_record_msg *r = msg;
        dbd_manager *m = userdata;
        dbd_db *db = db_for(m, r->db_id, r->generation, h->src, r->key, r->key_len, false);

        /*
         * Of another generation (or frozen): a recovery is under way, and the
         * sender's copy (rsn + 1, real data) is what that recovery keeps.
         */
        if (!db)
                return 0;
        return dbd_migrate_take(db, r->key, r->key_len, r->rsn, r->flags, r->value, r->value_len);
}

static int on_dmaster(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                      size_t len) {
        const struct dbd_dmaster_msg *d = msg;
        dbd_manager *m = userdata;
        dbd_db *db = db_for(m, d->db_id, d->generation, h->src, d->key, d->key_len, false);
        struct dbd_pending *p;

        if (!db)
                return 0;
        p = dbd_pending_get(db, d->key, d->key_len);
        if (!p)
                return -ENOMEM;
        if (!p->have_dmaster || d->rsn > p->dmaster_rsn) {
                p->have_dmaster = true;
                p->dmaster_rsn = d->rsn;
                p->dmaster = d->dmaster;
        }
        dbd_pending_run(p);
        return 0;
}

static int on_retry(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                    size_t len) {
        const struct dbd_retry_msg *r = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, r->db_id);
        struct dbd_pending *p;

        if (!db)
                return 0;
        p = dbd_pending_find(db, r->key, r->key_len, ltdb_hash(r->key, r->key_len));
        if (!p || p->state != PENDING_SENT)
                return 0;
        log_debug("Node %" PRIu32 " could not serve a record of %s (%s); trying again", h->src, db->name,
                  strerror(r->error));
        dbd_pending_backoff(p);
        return 0;
}

static int on_value_msg(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                        size_t len) {
        const struct dbd_value_msg *v = msg;
        dbd_manager *m = userdata;

        (void) peer_requests_complete(m->requests, v->first, v->id, v);
        return 0;
}

const struct wire_handler dbd_migrate_handlers[] = {
        { DBD_MSG_MIGRATE, &dbd_migrate_desc, on_migrate },
        { DBD_MSG_RECORD, &dbd_record_desc, on_record },
        { DBD_MSG_DMASTER, &dbd_dmaster_desc, on_dmaster },
        { DBD_MSG_RETRY, &dbd_retry_desc, on_retry },
        { DBD_MSG_FETCH, &dbd_fetch_desc, on_fetch },
        { DBD_MSG_VALUE, &dbd_value_desc, on_value_msg },
        { DBD_MSG_REVOKE, &dbd_revoke_desc, on_revoke },
};
const size_t dbd_migrate_n_handlers = ELEMENTSOF(dbd_migrate_handlers);
