/*
 * Record migration between nodes, CTDB's semantics (docs/architecture.md, "How
 * a record travels"). Every key with something in flight on this node has one
 * pending entry in its database's table; everything about that key happens
 * there, under the key's chain lock, in pending_run():
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
#include "dbd-rules.h"
#include "list.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

/* Forwarding steps before a request is sent back to start over at the lmaster. */
#define HOPS_MAX 16u
#define LOCK_RETRY_MIN_USEC 50ull
#define LOCK_RETRY_MAX_USEC (10 * 1000ull)
#define BACKOFF_MIN_USEC (500ull)
#define BACKOFF_MAX_USEC (100 * 1000ull)
/* No answer to a MIGRATE for this long: ask the lmaster instead (links that drop start recoveries). */
#define MIGRATE_TIMEOUT_USEC (2 * 1000 * 1000ull)
#define FETCH_TIMEOUT_USEC (5 * 1000 * 1000ull)
#define LOCAL_TURN_USEC 200ull
/* CTDB's StickyPindown: 200 ms. */
#define STICKY_PINDOWN_USEC (200 * 1000ull)

enum pending_state {
        PENDING_IDLE,
        PENDING_SENT,           /* a MIGRATE is out; the RECORD is awaited */
};

struct parked {
        struct parked *next, *prev;
        uint16_t kind;          /* DBD_MSG_MIGRATE or DBD_MSG_FETCH */
        uint32_t src;
        uint32_t requester;
        uint32_t hops;
        uint32_t id, first;     /* FETCH */
};

struct dbd_pending {
        struct dbd_pending *next, *prev;
        dbd_db *db;
        uint8_t *key;
        size_t key_len;
        uint32_t hash;
        struct dbd_waiter *waiters;
        struct dbd_waiter *fetchers;
        struct parked *parked;
        struct dbd_record_msg *record;  /* copy; key and value under it */
        bool have_dmaster;
        uint64_t dmaster_rsn;
        uint32_t dmaster;
        enum pending_state state;
        bool via_lmaster;
        bool fetch_sent;
        uint64_t lock_retry_usec;
        uint64_t backoff_usec;
        uint64_t hold_until;            /* parked requests wait until then (a local turn) */
        uint64_t sent_deadline;         /* PENDING_SENT: no RECORD by then, start over */
        struct peer_request *fetch_req;
        sd_event_source *timer;
        bool running;
        bool rerun;                     /* pending_run() was called while it ran */
};

static uint64_t now_usec(dbd_manager *m) {
        uint64_t t = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

static struct dbd_pending *pending_find(dbd_db *db, const uint8_t *key, size_t len, uint32_t hash) {
        for (struct dbd_pending *p = db->pending[hash % DBD_PENDING_BUCKETS]; p; p = p->next)
                if (p->hash == hash && p->key_len == len && memcmp(p->key, key, len) == 0)
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

static struct dbd_pending *pending_get(dbd_db *db, const uint8_t *key, size_t len) {
        uint32_t hash = ltdb_hash(key, len);
        struct dbd_pending *p = pending_find(db, key, len, hash);

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

static bool pending_idle(const struct dbd_pending *p) {
        return !p->waiters && !p->fetchers && !p->parked && !p->record && !p->have_dmaster;
}

static void pending_run(struct dbd_pending *p);

static int on_pending_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct dbd_pending *p = userdata;

        if (p->state == PENDING_SENT && usec >= p->sent_deadline) {
                /* The MIGRATE went unanswered: start over at the lmaster. */
                log_debug("Migration of a record of %s timed out; asking its lmaster", p->db->name);
                p->state = PENDING_IDLE;
                p->via_lmaster = true;
        }
        pending_run(p);
        return 0;
}

static void pending_arm(struct dbd_pending *p, uint64_t at) {
        dbd_manager *m = p->db->m;

        if (!p->timer) {
                if (sd_event_add_time(m->event, &p->timer, CLOCK_MONOTONIC, at, 0, on_pending_timer, p) < 0) {
                        p->timer = NULL;
                        log_oom();
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

static void send_retry(dbd_manager *m, dbd_db *db, uint32_t to, const uint8_t *key, size_t len, int error) {
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

static void send_value(dbd_manager *m, uint32_t to, uint32_t id, uint32_t first, int error,
                       const struct ltdb_header *h, const uint8_t *value, size_t len) {
        struct dbd_value_msg v = {
                .id = id,
                .first = first,
                .error = error,
                .rsn = h ? h->rsn : 0,
                .dmaster = h ? h->dmaster : CTDB_PNN_NONE,
                .value = value,
                .value_len = (uint32_t) len,
        };
        int q = dbd_send(m, to, &dbd_value_desc, &v);

        if (q < 0)
                log_debug_errno(q, "Failed to send VALUE to node %" PRIu32 ": %m", to);
}

static int send_request(struct dbd_pending *p, uint16_t kind, uint32_t to, uint32_t requester, uint32_t hops,
                        uint32_t id, uint32_t first) {
        dbd_manager *m = p->db->m;

        if (kind == DBD_MSG_FETCH) {
                struct dbd_fetch_msg f = {
                        .id = id, .first = first, .generation = m->generation, .db_id = p->db->id,
                        .requester = requester, .hops = hops, .key = p->key, .key_len = (uint32_t) p->key_len,
                };
                return dbd_send(m, to, &dbd_fetch_desc, &f);
        }
        struct dbd_migrate_msg g = {
                .generation = m->generation, .db_id = p->db->id, .requester = requester, .hops = hops,
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
                p->hold_until = now_usec(m) +
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
        q = dbd_store_fetch(db->store, p, p->key, p->key_len, &h, &value, &len);
        if (q < 0 && q != -ENOENT)
                return (void) log_warning_errno(q, "Failed to read a record of %s: %m", db->name);
        h = (struct ltdb_header) { .rsn = p->dmaster_rsn, .dmaster = p->dmaster,
                                   .flags = LTDB_REC_FLAG_POINTER };
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
        uint32_t lmaster;
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
        lmaster = dbd_lmaster(m, p->key, p->key_len);
        if (lmaster != m->pnn && lmaster != requester && lmaster != CTDB_PNN_NONE) {
                struct dbd_dmaster_msg d = {
                        .generation = m->generation, .db_id = db->id, .rsn = moved.rsn, .dmaster = requester,
                        .key = p->key, .key_len = (uint32_t) p->key_len,
                };
                /* Best effort: a node that follows the old pointer is forwarded along the chain. */
                (void) dbd_send(m, lmaster, &dbd_dmaster_desc, &d);
        }
        return 0;
}

static uint32_t route(struct dbd_pending *p, bool have, const struct ltdb_header *h, bool via_lmaster) {
        dbd_manager *m = p->db->m;

        return dbd_route(m->pnn, dbd_lmaster(m, p->key, p->key_len), have, h, via_lmaster);
}

static void serve_parked(struct dbd_pending *p, bool *have, struct ltdb_header *h) {
        dbd_manager *m = p->db->m;
        uint64_t now = now_usec(m);
        struct parked *x, *next;

        for (x = p->parked; x; x = next) {
                uint32_t to;
                int r;

                next = x->next;
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
                                int q = dbd_store_fetch(p->db->store, p, p->key, p->key_len, &cur, &value, &len);

                                send_value(m, x->requester, x->id, x->first, q < 0 ? -q : len ? 0 : ENOENT,
                                           &cur, value, len);
                                talloc_free(value);
                                LIST_REMOVE(p->parked, x);
                                talloc_free(x);
                                continue;
                        }
                        if (now < p->hold_until) {
                                pending_arm(p, p->hold_until);
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
                                send_value(m, x->requester, x->id, x->first, EAGAIN, NULL, NULL, 0);
                        else
                                send_retry(m, p->db, x->requester, p->key, p->key_len,
                                           x->hops >= HOPS_MAX ? ELOOP : EAGAIN);
                } else {
                        r = send_request(p, x->kind, to, x->requester, x->hops + 1, x->id, x->first);
                        if (r < 0)
                                log_debug_errno(r, "Failed to forward a request of %s to node %" PRIu32 ": %m",
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
                } else if ((r = peer_request_new(m->requests, to, FETCH_TIMEOUT_USEC, on_value, p, &req)) < 0 ||
                           (r = send_request(p, DBD_MSG_FETCH, to, m->pnn, 0, peer_request_id(req), to)) < 0) {
                        if (r != -EBUSY)
                                peer_request_cancel(req);
                        fetchers_done(p, r, NULL, 0);
                } else {
                        p->fetch_sent = true;
                        p->fetch_req = req;
                }
        }

        if (!p->waiters || p->state == PENDING_SENT)
                return;
        if (*have && h->dmaster == m->pnn) {
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
        r = send_request(p, DBD_MSG_MIGRATE, to, m->pnn, 0, 0, 0);
        if (r < 0) {
                log_debug_errno(r, "Failed to ask node %" PRIu32 " for a record of %s: %m", to, p->db->name);
                p->via_lmaster = true;
                p->backoff_usec = p->backoff_usec ? p->backoff_usec * 2 : BACKOFF_MIN_USEC;
                if (p->backoff_usec > BACKOFF_MAX_USEC)
                        p->backoff_usec = BACKOFF_MAX_USEC;
                pending_arm(p, now_usec(m) + p->backoff_usec);
                return;
        }
        p->state = PENDING_SENT;
        p->sent_deadline = now_usec(m) + MIGRATE_TIMEOUT_USEC;
        pending_arm(p, p->sent_deadline);
}

static void pending_run(struct dbd_pending *p) {
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
                pending_arm(p, now_usec(m) + p->lock_retry_usec);
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
        serve_local(p, &have, &h);
        serve_parked(p, &have, &h);

        dbd_store_unlock(db->store, p->key, p->key_len);
        p->running = false;
        if (p->rerun) {
                p->rerun = false;
                pending_run(p);
                return;
        }
        if (pending_idle(p) && p->state == PENDING_IDLE && !p->fetch_sent)
                talloc_free(p);
}

/* ---- entry points ------------------------------------------------------- */

int dbd_migrate(dbd_db *db, const uint8_t *key, size_t len, struct dbd_waiter *w) {
        struct dbd_pending *p;

        if (len > DB_KEY_MAX)
                return -E2BIG;
        p = pending_get(db, key, len);
        if (!p)
                return -ENOMEM;
        w->pending = p;
        LIST_PREPEND(p->waiters, w);
        pending_run(p);
        return 0;
}

int dbd_fetch_value(dbd_db *db, const uint8_t *key, size_t len, struct dbd_waiter *w) {
        struct dbd_pending *p;

        if (len > DB_KEY_MAX)
                return -E2BIG;
        p = pending_get(db, key, len);
        if (!p)
                return -ENOMEM;
        w->pending = p;
        LIST_PREPEND(p->fetchers, w);
        pending_run(p);
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

static void on_value(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct dbd_pending *p = userdata;
        const struct dbd_value_msg *v = reply;

        p->fetch_sent = false;
        p->fetch_req = NULL;
        if (error >= 0 && v->error == EAGAIN) {
                /* The record moved under the request: ask again, via the lmaster. */
                p->via_lmaster = true;
                pending_arm(p, now_usec(p->db->m) + BACKOFF_MIN_USEC);
                return;
        }
        if (error < 0)
                fetchers_done(p, error, NULL, 0);
        else
                fetchers_done(p, v->error ? -v->error : 0, v->value, v->value_len);
        if (pending_idle(p) && p->state == PENDING_IDLE)
                talloc_free(p);
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
                send_retry(m, NULL, src, key, len, error);
        return NULL;
}

static int park(dbd_db *db, uint16_t kind, uint32_t src, uint32_t requester, uint32_t hops, uint32_t id,
                uint32_t first, const uint8_t *key, size_t len) {
        struct dbd_pending *p = pending_get(db, key, len);
        struct parked *x;

        if (!p)
                return -ENOMEM;
        x = talloc_zero(p, struct parked);
        if (!x) {
                if (pending_idle(p))
                        talloc_free(p);
                return -ENOMEM;
        }
        *x = (struct parked) { .kind = kind, .src = src, .requester = requester, .hops = hops, .id = id,
                               .first = first };
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
        pending_run(p);
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
                struct dbd_pending *p = pending_find(db, g->key, g->key_len, ltdb_hash(g->key, g->key_len));

                if (p && p->state == PENDING_SENT) {
                        p->state = PENDING_IDLE;
                        p->via_lmaster = true;
                        pending_arm(p, now_usec(m) + BACKOFF_MIN_USEC);
                }
                return 0;
        }
        return park(db, DBD_MSG_MIGRATE, h->src, g->requester, g->hops, 0, 0, g->key, g->key_len);
}

static int on_fetch(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                    size_t len) {
        const struct dbd_fetch_msg *f = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, f->db_id);

        if (m->frozen || f->generation != m->generation || !db) {
                send_value(m, f->requester, f->id, f->first, EAGAIN, NULL, NULL, 0);
                return 0;
        }
        return park(db, DBD_MSG_FETCH, h->src, f->requester, f->hops, f->id, f->first, f->key, f->key_len);
}

int dbd_migrate_take(dbd_db *db, const uint8_t *key, size_t key_len, uint64_t rsn, uint32_t flags,
                     const uint8_t *value, size_t value_len) {
        struct dbd_pending *p = pending_get(db, key, key_len);

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
        pending_run(p);
        return 0;
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
        p = pending_get(db, d->key, d->key_len);
        if (!p)
                return -ENOMEM;
        if (!p->have_dmaster || d->rsn > p->dmaster_rsn) {
                p->have_dmaster = true;
                p->dmaster_rsn = d->rsn;
                p->dmaster = d->dmaster;
        }
        pending_run(p);
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
        p = pending_find(db, r->key, r->key_len, ltdb_hash(r->key, r->key_len));
        if (!p || p->state != PENDING_SENT)
                return 0;
        log_debug("Node %" PRIu32 " could not serve a record of %s (%s); trying again", h->src, db->name,
                  strerror(r->error));
        p->state = PENDING_IDLE;
        p->via_lmaster = true;
        p->backoff_usec = p->backoff_usec ? p->backoff_usec * 2 : BACKOFF_MIN_USEC;
        if (p->backoff_usec > BACKOFF_MAX_USEC)
                p->backoff_usec = BACKOFF_MAX_USEC;
        pending_arm(p, now_usec(m) + p->backoff_usec);
        return 0;
}

static int on_value_msg(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                        size_t len) {
        const struct dbd_value_msg *v = msg;
        dbd_manager *m = userdata;

        (void) peer_requests_complete(m->requests, v->first, v->id, v);
        return 0;
}

static const struct wire_handler migrate_handlers[] = {
        { DBD_MSG_MIGRATE, &dbd_migrate_desc, on_migrate },
        { DBD_MSG_RECORD, &dbd_record_desc, on_record },
        { DBD_MSG_DMASTER, &dbd_dmaster_desc, on_dmaster },
        { DBD_MSG_RETRY, &dbd_retry_desc, on_retry },
        { DBD_MSG_FETCH, &dbd_fetch_desc, on_fetch },
        { DBD_MSG_VALUE, &dbd_value_desc, on_value_msg },
};

bool dbd_migrate_handles(uint16_t kind) {
        for (size_t i = 0; i < ELEMENTSOF(migrate_handlers); i++)
                if (migrate_handlers[i].kind == kind)
                        return true;
        return false;
}

int dbd_migrate_receive(dbd_manager *m, const struct wire_header *h, const uint8_t *payload, size_t len) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);

        return wire_dispatch(migrate_handlers, ELEMENTSOF(migrate_handlers), tmp, h, payload, len, m);
}

static void for_each_pending(dbd_manager *m, void (*fn)(struct dbd_pending *p)) {
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

static void pending_forget(struct dbd_pending *p) {
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
        for_each_pending(m, pending_forget);
}

static void pending_restart(struct dbd_pending *p) {
        if (pending_idle(p) && !p->fetch_sent)
                talloc_free(p);
        else
                pending_run(p);
}

void dbd_migrate_thaw(dbd_manager *m) {
        for_each_pending(m, pending_restart);
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
