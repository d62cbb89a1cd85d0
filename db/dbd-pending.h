#pragma once

/*
 * The per-key state of record traffic (dbd-pending.c): shared by the message
 * handlers of dbd-migrate.c and the read-only delegations of dbd-readonly.c.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbd-internal.h"

/* Forwarding steps before a request is sent back to start over at the lmaster. */
#define HOPS_MAX 16u
/* Accuracy of the timers of records in flight (sd-event's for 0 would be 250 ms). */
#define DBD_TIMER_ACCURACY_USEC 10ull
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
        uint16_t kind;          /* DBD_MSG_MIGRATE, DBD_MSG_FETCH or DBD_MSG_REVOKE */
        uint32_t src;
        uint32_t requester;
        uint32_t hops;
        uint32_t id, first;     /* FETCH; REVOKE: id */
        uint32_t flags;         /* FETCH: DBD_FETCH_READONLY */
        uint64_t rsn;           /* REVOKE */
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
        bool fetch_readonly;            /* a fetcher wants a read-only copy here */
        bool revoking;                  /* this node, the dmaster, revokes the read-only copies */
        bool revoked;                   /* ... and every node answered: clear the flag next run */
        unsigned revoke_outstanding;
        uint64_t lock_retry_usec;
        uint64_t backoff_usec;
        uint64_t hold_until;            /* parked requests wait until then (a local turn) */
        uint64_t sent_deadline;         /* PENDING_SENT: no RECORD by then, start over */
        struct peer_request *fetch_req;
        sd_event_source *timer;
        bool running;
        bool rerun;                     /* pending_run() was called while it ran */
};

uint64_t dbd_now_usec(dbd_manager *m);
struct dbd_pending *dbd_pending_find(dbd_db *db, const uint8_t *key, size_t len, uint32_t hash);
/* The entry of key, created if there is none; NULL when out of memory. */
struct dbd_pending *dbd_pending_get(dbd_db *db, const uint8_t *key, size_t len);
bool dbd_pending_idle(const struct dbd_pending *p);
/* Everything that waits on the key, under its chain lock; frees the entry when nothing is left. */
void dbd_pending_run(struct dbd_pending *p);
/* Runs the entry again at the monotonic time at. */
void dbd_pending_arm(struct dbd_pending *p, uint64_t at);
/* A request failed: try again via the lmaster after a growing delay (BACKOFF_MIN..MAX_USEC). */
void dbd_pending_backoff(struct dbd_pending *p);
void dbd_send_retry(dbd_manager *m, dbd_db *db, uint32_t to, const uint8_t *key, size_t len, int error);
void dbd_send_value(dbd_manager *m, uint32_t to, uint32_t id, uint32_t first, int error, uint32_t flags,
                    const struct ltdb_header *h, const uint8_t *value, size_t len);
/* dbd-readonly.c: read-only delegations, called from dbd_pending_run() under the chain lock. */
/* The dmaster must revoke before it lets a writer or another node have the record. */
bool dbd_ro_must_revoke(const struct dbd_pending *p, bool have, const struct ltdb_header *h);
void dbd_ro_revoke_start(struct dbd_pending *p, const struct ltdb_header *h);
/* Revocation answered everywhere: the dmaster's RO_HAVE_DELEGATIONS goes. */
int dbd_ro_revoke_finish(struct dbd_pending *p, struct ltdb_header *h);
/* A parked FETCH with a read-only request: delegate (marks the dmaster's header); false: do not. */
bool dbd_ro_delegate(struct dbd_pending *p, const struct parked *x, struct ltdb_header *h);
/* A delegated VALUE reached the requester: keep it as a read-only copy if nothing newer is here. */
void dbd_ro_keep_copy(struct dbd_pending *p, const struct dbd_value_msg *v);
/* A parked REVOKE: drop this node's read-only copy and answer. */
void dbd_ro_serve_revoke(struct dbd_pending *p, struct parked *x, bool *have, struct ltdb_header *h);

void dbd_pending_for_each(dbd_manager *m, void (*fn)(struct dbd_pending *p));
void dbd_pending_forget(struct dbd_pending *p);
void dbd_pending_restart(struct dbd_pending *p);
