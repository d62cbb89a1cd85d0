/*
 * Record migration between nodes, CTDB's semantics (docs/architecture.md, "How
 * a record travels"). Every key with something in flight on this node has one
 * pending entry in its database's table; everything about that key happens
 * there, under the key's chain lock, in dbd_pending_run():
 *
 *   waiters  local callers that want this node to be the dmaster (a client's
 *            MIGRATE, a D-Bus Store) or want the value (FETCH);
 *   parked   other nodes' MIGRATE/FETCH requests for the key;
 *   record   a RECORD that arrived while a client held the chain;
 *   dmaster  a DMASTER update (this node is the lmaster) waiting likewise.
 *
 * dbd never waits for a chain lock: it tries, and on failure retries from a
 * timer (a client holding the chain, as smbd does, delays the migration until
 * it lets go). Requests from one node for one key collapse into one MIGRATE.
 * A record that arrives for local waiters stays at least LOCAL_TURN_USEC (a
 * sticky database: STICKY_PINDOWN_USEC) before a parked request takes it away,
 * so the clients that waited get their turn instead of a ping-pong.
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

uint64_t dbd_now_usec(dbd_manager *m) {
        uint64_t t = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

struct dbd_pending *dbd_pending_find(dbd_db *db, const uint8_t *key, size_t len, uint32_t hash) {
        for (struct dbd_pending *p = db->pending[hash % DBD_PENDING_BUCKETS]; p; p = p->next)
                if (p->hash == hash && p->key_len == len && (len == 0 || memcmp(p->key, key, len) == 0))
                        return p;
        return NULL;
}

static int pending_destructor(struct dbd_pending *p) {
        struct dbd_waiter *lists[2] = { p->waiters, p->fetchers };

        for (unsigned i = 0; i < 2; i++)
                for (struct dbd_waiter *w = lists[i]; w; w = w->next)
                        w->pending = NULL;
        p->timer = sd_event_source_disable_unref(p->timer);
        if (p->fetch_req)
                peer_request_cancel(p->fetch_req);
        LIST_REMOVE(p->db->pending[p->hash % DBD_PENDING_BUCKETS], p);
        p->db->n_pending--;
        return 0;
}

struct dbd_pending *dbd_pending_get(dbd_db *db, const uint8_t *key, size_t len) {
        uint32_t hash = ltdb_hash(key, len);
        struct dbd_pending *p = dbd_pending_find(db, key, len, hash);

        if (p)
                return p;
        p = talloc_zero(db, struct dbd_pending);
        if (!p)
                return NULL;
        p->key = talloc_memdup_any(p, key, len);
        if (!p->key) {
                talloc_free(p);
                return NULL;
        }
        p->db = db;
        p->key_len = len;
        p->hash = hash;
        LIST_PREPEND(db->pending[hash % DBD_PENDING_BUCKETS], p);
        db->n_pending++;
        talloc_set_destructor(p, pending_destructor);
        return p;
}

bool dbd_pending_idle(const struct dbd_pending *p) {
        return !p->waiters && !p->fetchers && !p->parked && !p->record && !p->have_dmaster && !p->revoking &&
               !p->revoked;
}


static int on_pending_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct dbd_pending *p = userdata;

        if (p->state == PENDING_SENT && usec >= p->sent_deadline) {
                /* The MIGRATE went unanswered: start over at the lmaster. */
                log_debug("Migration of a record of %s timed out; asking its lmaster", p->db->name);
                p->state = PENDING_IDLE;
                p->via_lmaster = true;
        }
        dbd_pending_run(p);
        return 0;
}

void dbd_pending_backoff(struct dbd_pending *p) {
        p->state = PENDING_IDLE;
        p->via_lmaster = true;
        p->backoff_usec = p->backoff_usec ? p->backoff_usec * 2 : BACKOFF_MIN_USEC;
        if (p->backoff_usec > BACKOFF_MAX_USEC)
                p->backoff_usec = BACKOFF_MAX_USEC;
        dbd_pending_arm(p, dbd_now_usec(p->db->m) + p->backoff_usec);
}

void dbd_pending_arm(struct dbd_pending *p, uint64_t at) {
        dbd_manager *m = p->db->m;

        if (!p->timer) {
                /* Microseconds matter here (chain lock retries from 50 us): sd-event's
                 * default accuracy, for 0, is 250 ms. */
                int r = sd_event_add_time(m->event, &p->timer, CLOCK_MONOTONIC, at, DBD_TIMER_ACCURACY_USEC,
                                          on_pending_timer, p);

                if (r < 0) {
                        /* Nothing runs this entry again: what waits on it times out or starts over. */
                        p->timer = NULL;
                        log_warning_errno(r, "Failed to add a timer for a record of %s: %m", p->db->name);
                }
                return;
        }
        (void) sd_event_source_set_time(p->timer, at);
        (void) sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

static void waiters_done(struct dbd_waiter **list, int error) {
        while (*list) {
                struct dbd_waiter *w = *list;

                LIST_REMOVE(*list, w);
                w->pending = NULL;
                w->done(w, error);
        }
}

static void fetchers_done(struct dbd_pending *p, int error, const uint8_t *value, size_t len) {
        while (p->fetchers) {
                struct dbd_waiter *w = p->fetchers;

                LIST_REMOVE(p->fetchers, w);
                w->pending = NULL;
                w->value(w, error, value, len);
        }
}

/* ---- sending ------------------------------------------------------------ */

void dbd_send_retry(dbd_manager *m, dbd_db *db, uint32_t to, const uint8_t *key, size_t len, int error) {
        struct dbd_retry_msg r = {
                .generation = m->generation,
                .db_id = db ? db->id : 0,
                .error = error,
                .key = key,
                .key_len = (uint32_t) len,
        };
        int q = dbd_send(m, to, &dbd_retry_desc, &r);

        if (q < 0)
                log_debug_errno(q, "Failed to send RETRY to node %" PRIu32 ": %m", to);
}

void dbd_send_value(dbd_manager *m, uint32_t to, uint32_t id, uint32_t first, int error, uint32_t flags,
                    const struct ltdb_header *h, const uint8_t *value, size_t len) {
        struct dbd_value_msg v = {
                .id = id,
                .first = first,
                .error = error,
                .flags = flags,
                .rsn = h ? h->rsn : 0,
                .dmaster = h ? h->dmaster : CTDB_PNN_NONE,
                .value = value,
                .value_len = (uint32_t) len,
        };
        int q = dbd_send(m, to, &dbd_value_desc, &v);

        if (q < 0)
                log_debug_errno(q, "Failed to send VALUE to node %" PRIu32 ": %m", to);
}

/* A MIGRATE or FETCH for the key, new (hops 0) or forwarded; flags: a FETCH's. */
static int send_request(struct dbd_pending *p, const struct parked *x, uint32_t to) {
        dbd_manager *m = p->db->m;

        if (x->kind == DBD_MSG_FETCH) {
                struct dbd_fetch_msg f = {
                        .id = x->id, .first = x->first, .generation = m->generation, .db_id = p->db->id,
                        .requester = x->requester, .hops = x->hops, .flags = x->flags, .key = p->key,
                        .key_len = (uint32_t) p->key_len,
                };
                return dbd_send(m, to, &dbd_fetch_desc, &f);
        }
        struct dbd_migrate_msg g = {
                .generation = m->generation, .db_id = p->db->id, .requester = x->requester, .hops = x->hops,
                .key = p->key, .key_len = (uint32_t) p->key_len,
        };
        return dbd_send(m, to, &dbd_migrate_desc, &g);
}

/* ---- under the chain lock ----------------------------------------------- */

/* The lmaster (this node) has no record: it creates the empty record and is its dmaster. */
static int create_here(struct dbd_pending *p, struct ltdb_header *h) {
        *h = (struct ltdb_header) { .rsn = 0, .dmaster = p->db->m->pnn };
        return dbd_store_store(p->db->store, p->key, p->key_len, h, NULL, 0);
}

static void apply_record(struct dbd_pending *p, bool have, const struct ltdb_header *cur) {
        struct dbd_record_msg *r = p->record;
        dbd_manager *m = p->db->m;
        struct ltdb_header h;
        int q;

        p->record = NULL;
        if (!dbd_record_accept(have, cur, r->rsn)) {
                log_debug("Refused a record of %s with rsn %" PRIu64 " (have %" PRIu64 ")", p->db->name,
                          r->rsn, cur->rsn);
                talloc_free(r);
                return;
        }
        h = (struct ltdb_header) {
                .rsn = r->rsn,
                .dmaster = m->pnn,
                .flags = (r->flags & ~(LTDB_REC_FLAG_POINTER | LTDB_REC_RO_FLAGS)) |
                         (r->flags & LTDB_REC_FLAG_VACUUM_MIGRATED ? 0 : LTDB_REC_FLAG_MIGRATED_WITH_DATA),
        };
        q = dbd_store_store(p->db->store, p->key, p->key_len, &h, r->value, r->value_len);
        talloc_free(r);
        if (q < 0) {
                /* The giver's copy (this rsn, its data) is what a recovery will keep. */
                log_error_errno(q, "Failed to store a migrated record of %s: %m", p->db->name);
                waiters_done(&p->waiters, q);
                return;
        }
        if (p->state == PENDING_SENT) {
                p->state = PENDING_IDLE;
                p->via_lmaster = false;
                p->backoff_usec = 0;
        }
        if (p->waiters)
                p->hold_until = dbd_now_usec(m) +
                                (p->db->flags & DBD_DB_STICKY ? STICKY_PINDOWN_USEC : LOCAL_TURN_USEC);
        waiters_done(&p->waiters, 0);
}

static void apply_dmaster(struct dbd_pending *p, bool have, const struct ltdb_header *cur) {
        dbd_db *db = p->db;
        struct ltdb_header h;
        uint8_t *value = NULL;
        size_t len = 0;
        int q;

        p->have_dmaster = false;
        if (!dbd_dmaster_accept(have, cur, p->dmaster_rsn))
                return;
        /*
         * Another node than the lmaster keeps it only as a hint in a copy it has
         * (rsn and flags stay its own copy's), so that its next request goes
         * straight to the dmaster; the lmaster's copy becomes its pointer.
         */
        if (dbd_lmaster(db->m, p->key, p->key_len) != db->m->pnn && (!have || cur->dmaster == db->m->pnn))
                return;
        q = dbd_store_fetch(db->store, p, p->key, p->key_len, &h, &value, &len);
        if (q < 0 && q != -ENOENT)
                return (void) log_warning_errno(q, "Failed to read a record of %s: %m", db->name);
        if (dbd_lmaster(db->m, p->key, p->key_len) == db->m->pnn)
                h = (struct ltdb_header) { .rsn = p->dmaster_rsn, .dmaster = p->dmaster,
                                           .flags = LTDB_REC_FLAG_POINTER };
        else
                h.dmaster = p->dmaster;
        q = dbd_store_store(db->store, p->key, p->key_len, &h, value, len);
        talloc_free(value);
        if (q < 0)
                log_warning_errno(q, "Failed to note where a record of %s went: %m", db->name);
}

/* This node is the dmaster: hand the record to requester (rsn + 1). */
static int hand_off(struct dbd_pending *p, struct ltdb_header *h, uint32_t requester) {
        dbd_db *db = p->db;
        dbd_manager *m = db->m;
        struct ltdb_header old = *h, moved;
        uint8_t *value = NULL;
        size_t len = 0;
        int r;

        r = dbd_store_fetch(db->store, p, p->key, p->key_len, &old, &value, &len);
        if (r < 0)
                return r;
        moved = (struct ltdb_header) { .rsn = old.rsn + 1, .dmaster = requester, .flags = 0 };
        r = dbd_store_store(db->store, p->key, p->key_len, &moved, value, len);
        if (r >= 0) {
                struct dbd_record_msg rec = {
                        .generation = m->generation, .db_id = db->id, .rsn = moved.rsn,
                        .flags = LTDB_REC_FLAG_MIGRATED_WITH_DATA, .key = p->key,
                        .key_len = (uint32_t) p->key_len, .value = value, .value_len = (uint32_t) len,
                };
                r = dbd_send(m, requester, &dbd_record_desc, &rec);
                if (r < 0) /* not handed off after all: this node stays the dmaster */
                        (void) dbd_store_store(db->store, p->key, p->key_len, &old, value, len);
        }
        talloc_free(value);
        if (r < 0)
                return r;
        *h = moved;
        /*
         * The lmaster must know where the record went; the other nodes learn it
         * too, so that their next request for it goes to the dmaster at once
         * instead of along a chain of old pointers (a ring of nodes passing one
         * record then costs one leg per request). Best effort: a node that
         * follows an old pointer is forwarded along the chain.
         */
        for (uint32_t i = 0; i < m->n_vnnmap; i++) {
                struct dbd_dmaster_msg d = {
                        .generation = m->generation, .db_id = db->id, .rsn = moved.rsn, .dmaster = requester,
                        .key = p->key, .key_len = (uint32_t) p->key_len,
                };

                if (m->vnnmap[i] != m->pnn && m->vnnmap[i] != requester)
                        (void) dbd_send(m, m->vnnmap[i], &dbd_dmaster_desc, &d);
        }
        return 0;
}

static uint32_t route(struct dbd_pending *p, bool have, const struct ltdb_header *h, bool via_lmaster) {
        dbd_manager *m = p->db->m;

        return dbd_route(m->pnn, dbd_lmaster(m, p->key, p->key_len), have, h, via_lmaster);
}

static void serve_parked(struct dbd_pending *p, bool *have, struct ltdb_header *h) {
        dbd_manager *m = p->db->m;
        uint64_t now = dbd_now_usec(m);
        struct parked *x, *next;

        for (x = p->parked; x; x = next) {
                uint32_t to;
                int r;

                next = x->next;
                if (x->kind == DBD_MSG_REVOKE) {
                        dbd_ro_serve_revoke(p, x, have, h);
                        continue;
                }
                if (!*have && dbd_lmaster(m, p->key, p->key_len) == m->pnn) {
                        if (create_here(p, h) < 0)
                                break;
                        *have = true;
                }
                if (*have && h->dmaster == m->pnn) {
                        if (x->kind == DBD_MSG_FETCH) {
                                uint8_t *value = NULL;
                                size_t len = 0;
                                struct ltdb_header cur;
                                bool delegated = dbd_ro_delegate(p, x, h);
                                int q = dbd_store_fetch(p->db->store, p, p->key, p->key_len, &cur, &value,
                                                        &len);
                                int error = q < 0 ? -q : len == 0 ? ENOENT : 0;

                                dbd_send_value(m, x->requester, x->id, x->first, error,
                                               delegated && error == 0 ? DBD_VALUE_DELEGATED : 0, &cur,
                                               value, len);
                                talloc_free(value);
                                LIST_REMOVE(p->parked, x);
                                talloc_free(x);
                                continue;
                        }
                        /* Read-only copies go before anyone else may write the record. */
                        if (p->revoking)
                                continue;
                        if (dbd_ro_must_revoke(p, *have, h)) {
                                dbd_ro_revoke_start(p, h);
                                continue;
                        }
                        if (now < p->hold_until) {
                                dbd_pending_arm(p, p->hold_until);
                                return;
                        }
                        r = hand_off(p, h, x->requester);
                        if (r < 0)
                                log_debug_errno(r, "Failed to hand a record of %s to node %" PRIu32 ": %m",
                                                p->db->name, x->requester);
                        LIST_REMOVE(p->parked, x);
                        talloc_free(x);
                        continue;
                }
                if (p->state == PENDING_SENT)
                        continue;       /* the record is on its way here; serve it then */
                to = route(p, *have, h, false);
                if (x->hops >= HOPS_MAX || to == x->requester || to == CTDB_PNN_NONE || to == m->pnn) {
                        if (x->kind == DBD_MSG_FETCH)
                                dbd_send_value(m, x->requester, x->id, x->first, EAGAIN, 0, NULL, NULL, 0);
                        else
                                dbd_send_retry(m, p->db, x->requester, p->key, p->key_len,
                                           x->hops >= HOPS_MAX ? ELOOP : EAGAIN);
                } else {
                        x->hops++;
                        r = send_request(p, x, to);
                        if (r < 0)
                                log_debug_errno(r,
                                                "Failed to forward a request of %s to node %" PRIu32 ": %m",
                                                p->db->name, to);
                }
                LIST_REMOVE(p->parked, x);
                talloc_free(x);
        }
}

static void on_value(struct peer_request *req, int error, const void *reply, void *userdata);

static void serve_local(struct dbd_pending *p, bool *have, struct ltdb_header *h) {
        dbd_manager *m = p->db->m;
        uint32_t to;
        int r;

        if (p->fetchers && *have && h->dmaster == m->pnn) {
                uint8_t *value = NULL;
                size_t len = 0;
                struct ltdb_header cur;

                r = dbd_store_fetch(p->db->store, p, p->key, p->key_len, &cur, &value, &len);
                fetchers_done(p, r < 0 ? r : len ? 0 : -ENOENT, value, len);
                talloc_free(value);
        } else if (p->fetchers && !p->fetch_sent) {
                struct peer_request *req;

                to = route(p, *have, h, p->via_lmaster);
                if (to == CTDB_PNN_NONE) {
                        fetchers_done(p, -ENOENT, NULL, 0);
                } else if ((r = peer_request_new(m->requests, to, FETCH_TIMEOUT_USEC, on_value, p, &req)) <
                                   0 ||
                           (r = send_request(
                                    p,
                                    &(struct parked){ .kind = DBD_MSG_FETCH,
                                                      .requester = m->pnn,
                                                      .id = peer_request_id(req),
                                                      .first = to,
                                                      .flags = p->fetch_readonly ? DBD_FETCH_READONLY : 0 },
                                    to)) < 0) {
                        if (r != -EBUSY)
                                peer_request_cancel(req);
                        fetchers_done(p, r, NULL, 0);
                } else {
                        p->fetch_sent = true;
                        p->fetch_req = req;
                }
        }

        if (!p->waiters || p->state == PENDING_SENT || p->revoking)
                return;
        if (*have && h->dmaster == m->pnn) {
                /* A local writer waits until no node holds a read-only copy any more. */
                if (dbd_ro_must_revoke(p, *have, h))
                        dbd_ro_revoke_start(p, h);
                else
                        waiters_done(&p->waiters, 0);
                return;
        }
        to = route(p, *have, h, p->via_lmaster);
        if (to == CTDB_PNN_NONE) {
                r = create_here(p, h);
                if (r >= 0)
                        *have = true;
                waiters_done(&p->waiters, r);
                return;
        }
        r = send_request(p, &(struct parked) { .kind = DBD_MSG_MIGRATE, .requester = m->pnn }, to);
        if (r < 0) {
                log_debug_errno(r, "Failed to ask node %" PRIu32 " for a record of %s: %m", to, p->db->name);
                dbd_pending_backoff(p);
                return;
        }
        p->state = PENDING_SENT;
        p->sent_deadline = dbd_now_usec(m) + MIGRATE_TIMEOUT_USEC;
        dbd_pending_arm(p, p->sent_deadline);
}

void dbd_pending_run(struct dbd_pending *p) {
        dbd_db *db = p->db;
        dbd_manager *m = db->m;
        struct ltdb_header h;
        bool have;
        int r;

        /* A waiter's callback may call back in here (a Store that migrates again). */
        if (p->running) {
                p->rerun = true;
                return;
        }
        if (m->frozen || m->generation == 0)
                return;         /* dbd_migrate_thaw() runs every entry again */
        r = dbd_store_trylock(db->store, p->key, p->key_len);
        if (r < 0) {
                p->lock_retry_usec = p->lock_retry_usec ? p->lock_retry_usec * 2 : LOCK_RETRY_MIN_USEC;
                if (p->lock_retry_usec > LOCK_RETRY_MAX_USEC)
                        p->lock_retry_usec = LOCK_RETRY_MAX_USEC;
                dbd_pending_arm(p, dbd_now_usec(m) + p->lock_retry_usec);
                return;
        }
        p->lock_retry_usec = 0;
        p->running = true;

        have = dbd_store_fetch_header(db->store, p->key, p->key_len, &h) >= 0;
        if (p->record || p->have_dmaster) {
                if (p->record)
                        apply_record(p, have, &h);
                if (p->have_dmaster)
                        apply_dmaster(p, have, &h);
                have = dbd_store_fetch_header(db->store, p->key, p->key_len, &h) >= 0;
        }
        if (p->revoked && have && dbd_ro_revoke_finish(p, &h) < 0)
                log_warning("Failed to clear the delegations of a record of %s", db->name);
        serve_local(p, &have, &h);
        serve_parked(p, &have, &h);

        dbd_store_unlock(db->store, p->key, p->key_len);
        p->running = false;
        if (p->rerun) {
                p->rerun = false;
                dbd_pending_run(p);
                return;
        }
        if (dbd_pending_idle(p) && p->state == PENDING_IDLE && !p->fetch_sent)
                talloc_free(p);
}

/* ---- entry points ------------------------------------------------------- */

static void on_value(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct dbd_pending *p = userdata;
        const struct dbd_value_msg *v = reply;

        p->fetch_sent = false;
        p->fetch_req = NULL;
        if (error >= 0 && v->error == EAGAIN) {
                /* The record moved under the request: ask again, via the lmaster. */
                p->via_lmaster = true;
                dbd_pending_arm(p, dbd_now_usec(p->db->m) + BACKOFF_MIN_USEC);
                return;
        }
        if (error >= 0 && v->error == 0 && (v->flags & DBD_VALUE_DELEGATED))
                dbd_ro_keep_copy(p, v);
        p->fetch_readonly = false;
        if (error < 0)
                fetchers_done(p, error, NULL, 0);
        else
                fetchers_done(p, v->error ? -v->error : 0, v->value, v->value_len);
        if (dbd_pending_idle(p) && p->state == PENDING_IDLE)
                talloc_free(p);
}

void dbd_pending_for_each(dbd_manager *m, void (*fn)(struct dbd_pending *p)) {
        for (size_t i = 0; i < m->n_dbs; i++) {
                dbd_db *db = m->dbs[i];

                for (unsigned b = 0; b < DBD_PENDING_BUCKETS; b++) {
                        struct dbd_pending *p, *next;

                        for (p = db->pending[b]; p; p = next) {
                                next = p->next;
                                fn(p);
                        }
                }
        }
}

void dbd_pending_forget(struct dbd_pending *p) {
        /* Requests of other nodes are of the old generation; their senders start over. */
        while (p->parked) {
                struct parked *x = p->parked;

                LIST_REMOVE(p->parked, x);
                talloc_free(x);
        }
        TALLOC_FREE(p->record);
        p->have_dmaster = false;
        p->state = PENDING_IDLE;
        p->via_lmaster = false;
        p->backoff_usec = 0;
        p->hold_until = 0;
        (void) sd_event_source_set_enabled(p->timer, SD_EVENT_OFF);
}

void dbd_migrate_freeze(dbd_manager *m) {
        dbd_pending_for_each(m, dbd_pending_forget);
}

void dbd_pending_restart(struct dbd_pending *p) {
        if (dbd_pending_idle(p) && !p->fetch_sent)
                talloc_free(p);
        else
                dbd_pending_run(p);
}

void dbd_migrate_thaw(dbd_manager *m) {
        dbd_pending_for_each(m, dbd_pending_restart);
}

void dbd_migrate_db_free(dbd_db *db, int error) {
        for (unsigned b = 0; b < DBD_PENDING_BUCKETS; b++)
                while (db->pending[b]) {
                        struct dbd_pending *p = db->pending[b];

                        waiters_done(&p->waiters, error);
                        fetchers_done(p, error, NULL, 0);
                        talloc_free(p);
                }
}
