/*
 * g_lock (docs/architecture.md, "g_lock"): named cluster-wide locks of local
 * clients' processes, served by one lock master, the coordinator of the last
 * recovery. Every node keeps what its own clients hold and wait for (the
 * requests below, in the order they came); the master keeps the lock table
 * (dbd-glock-queue.c) and answers over dbd's messages. A master on this node
 * is reached through dbd_send() too, which hands self-frames over in the loop.
 *
 * After every thaw each node claims all of its requests at the (perhaps new)
 * master, which grants nothing until every node of the VnnMap has claimed
 * (or CLAIM_TIMEOUT passed), so a lock held through the recovery is held
 * again before any waiter is considered. Entries of nodes that left the
 * VnnMap are dropped at the thaw: their locks do not survive them.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "db-proto.h"
#include "dbd-glock-queue.h"
#include "dbd-glock.h"
#include "dbd-internal.h"
#include "list.h"
#include "local-server.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

#define GLOCK_ID_BUCKETS     4096u
#define GLOCK_CLIENT_BUCKETS 1024u
#define CLAIM_TIMEOUT_USEC   (5u * 1000u * 1000u)
#define LIST_TIMEOUT_USEC    (5u * 1000u * 1000u)
/* Frames of a generation this node has not thawed with yet, kept until it has. */
#define EARLY_FRAMES_MAX 4096u
/* A frame of GLOCK_ENTRIES keeps this much room below the inner-message limit. */
#define LIST_BYTES_MAX (WIRE_INNER_MAX - 4096u)
/* A node's claim: the master waits for it after a thaw; its first batch came. */
#define CLAIM_AWAITED 0x1u
#define CLAIM_BEGUN   0x2u

static const struct dbd_glock_limits table_limits = {
        .locks_max = 1u << 20,
        .waiters_max = DB_GLOCK_WAITERS,
};

/* A lock one local client holds or waits for. */
struct glock_req {
        struct glock_req *next, *prev;   /* g->reqs, in the order they came */
        struct glock_req *cnext, *cprev; /* its client's */
        struct glock_req *hnext;         /* bucket by id */
        struct glock_client *gc;
        uint64_t id;
        uint64_t client_id; /* the db.sock request, answered on grant */
        uint32_t pid;
        enum dbd_glock_mode mode;
        bool held;
        bool sent; /* the master knows it (or was told) */
        /* Granted, answered once this node's copy of ready_db has commit ready (DB_TXN_UNLOCK). */
        uint32_t ready_db;
        uint64_t ready;
        sd_event_source *timer;
        char *name;
        uint32_t name_len;
};

/* A db.sock client with g_lock requests, on the client's talloc context. */
struct glock_client {
        struct glock_client *next, *prev;
        struct dbd_glock *g;
        struct local_client *c;
        struct glock_req *reqs;
        unsigned n_reqs;
};

struct early_frame {
        struct early_frame *next;
        uint32_t src;
        size_t len;
        uint8_t data[];
};

struct dbd_glock {
        dbd_manager *m;
        uint32_t master; /* CTDB_PNN_NONE until a thaw named one */
        uint64_t next_id;
        struct glock_req *reqs, *reqs_tail;
        struct glock_req *by_id[GLOCK_ID_BUCKETS];
        struct glock_client *clients[GLOCK_CLIENT_BUCKETS];

        /* The master's side. */
        struct dbd_glock_table *table;
        uint8_t claim_state[DBD_MAX_NODES]; /* by pnn: CLAIM_* */
        unsigned n_awaited;                 /* nodes whose claim the table waits for (paused) */
        sd_event_source *claim_timer;
        struct early_frame *early, *early_tail;
        unsigned n_early;

        struct dbd_glock_lister *listers; /* waiting for the master's list */
};

static bool is_master(struct dbd_glock *g) {
        return g->master != CTDB_PNN_NONE && g->master == g->m->pnn;
}

/* ---- sending ------------------------------------------------------------- */

static void send_grant(struct dbd_glock *g, const char *name, size_t name_len, uint32_t pnn, uint32_t pid,
                       uint64_t id, int error) {
        struct dbd_glock_grant_msg msg = {
                .generation = g->m->generation, .pid = pid, .id = id, .error = error < 0 ? -error : error
        };
        int r;

        if (error == 0)
                dbd_txn_lock_ready(g->m, name, name_len, &msg.db_id, &msg.ready);
        r = dbd_send(g->m, pnn, &dbd_glock_grant_desc, &msg);

        /* The node is unreachable: the recovery that follows has it claim again, or drops it. */
        if (r < 0)
                log_debug_errno(r, "Failed to send a g_lock answer to node %" PRIu32 ": %m", pnn);
}

static void on_table_grant(void *userdata, const char *name, size_t name_len,
                           const struct dbd_glock_entry *e, int error) {
        send_grant(userdata, name, name_len, e->pnn, e->pid, e->id, error);
}

/* Tells the master of a request (LOCK) or its end (UNLOCK). Unsent ones are claimed after the next thaw. */
static void send_req(struct dbd_glock *g, struct glock_req *q, const struct wire_desc *desc) {
        struct dbd_glock_lock_msg msg = {
                .generation = g->m->generation,
                .pid = q->pid,
                .id = q->id,
                .mode = desc == &dbd_glock_lock_desc ? (uint32_t) q->mode : 0,
                .name = q->name,
                .name_len = q->name_len,
        };
        int r;

        if (g->master == CTDB_PNN_NONE)
                return;
        r = dbd_send(g->m, g->master, desc, &msg);
        if (r < 0)
                log_debug_errno(r, "Failed to send a g_lock request to node %" PRIu32 ": %m", g->master);
        else
                q->sent = true;
}

/* ---- this node's requests ------------------------------------------------ */

static struct glock_req **id_bucket(struct dbd_glock *g, uint64_t id) {
        return &g->by_id[id % GLOCK_ID_BUCKETS];
}

static struct glock_req *req_find(struct dbd_glock *g, uint64_t id) {
        for (struct glock_req *q = *id_bucket(g, id); q; q = q->hnext)
                if (q->id == id)
                        return q;
        return NULL;
}

static int req_destructor(struct glock_req *q) {
        struct dbd_glock *g = q->gc->g;
        struct glock_req **p;

        for (p = id_bucket(g, q->id); *p != q; p = &(*p)->hnext)
                ;
        *p = q->hnext;
        if (g->reqs_tail == q)
                g->reqs_tail = q->prev;
        LIST_REMOVE(g->reqs, q);
        if (q->cprev)
                q->cprev->cnext = q->cnext;
        else
                q->gc->reqs = q->cnext;
        if (q->cnext)
                q->cnext->cprev = q->cprev;
        q->gc->n_reqs--;
        q->timer = sd_event_source_disable_unref(q->timer);
        return 0;
}

static void reply(struct glock_req *q, int error) {
        struct wire_header h = { .srvid = q->client_id };
        struct db_reply r = { .error = error < 0 ? -error : error };
        int s = local_client_send_msg(q->gc->c, &h, &db_glock_reply_desc, &r);

        if (s < 0)
                log_debug_errno(s, "Failed to answer a g_lock request of client %d: %m", (int) q->pid);
}

/* The request ends here: the master is told (if it knew of it) and the client's entry goes. */
static void req_end(struct dbd_glock *g, struct glock_req *q) {
        if (q->sent)
                send_req(g, q, &dbd_glock_unlock_desc);
        talloc_free(q);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct glock_req *q = userdata;

        reply(q, -ETIMEDOUT);
        req_end(q->gc->g, q);
        return 0;
}

static struct glock_client **client_bucket(struct dbd_glock *g, struct local_client *c) {
        return &g->clients[((uintptr_t) c >> 4) % GLOCK_CLIENT_BUCKETS];
}

static struct glock_client *client_find(struct dbd_glock *g, struct local_client *c) {
        for (struct glock_client *gc = *client_bucket(g, c); gc; gc = gc->next)
                if (gc->c == c)
                        return gc;
        return NULL;
}

static int client_destructor(struct glock_client *gc) {
        while (gc->reqs)
                talloc_free(gc->reqs);
        LIST_REMOVE(*client_bucket(gc->g, gc->c), gc);
        return 0;
}

static struct glock_client *client_get(struct dbd_glock *g, struct local_client *c) {
        struct glock_client *gc = client_find(g, c), **b;

        if (gc)
                return gc;
        gc = talloc_zero(local_client_ctx(c), struct glock_client);
        if (!gc)
                return NULL;
        gc->g = g;
        gc->c = c;
        b = client_bucket(g, c);
        LIST_PREPEND(*b, gc);
        talloc_set_destructor(gc, client_destructor);
        return gc;
}

int dbd_glock_client_lock(dbd_manager *m, struct local_client *c, uint64_t client_id,
                          const struct db_glock_lock *l) {
        struct dbd_glock *g = m->glock;
        struct glock_client *gc;
        struct glock_req *q, **b;
        int r;

        if (l->name_len == 0 || l->mode > DB_GLOCK_EXCLUSIVE)
                return -EINVAL;
        gc = client_get(g, c);
        if (!gc)
                return -ENOMEM;
        /* CTDB's g_lock_lock() says EDEADLK to a process that asks for a lock it has. */
        for (q = gc->reqs; q; q = q->cnext)
                if (q->name_len == l->name_len && memcmp(q->name, l->name, l->name_len) == 0)
                        return -EDEADLK;
        if (gc->n_reqs >= DB_GLOCK_PER_CLIENT)
                return -E2BIG;
        q = talloc_zero(gc, struct glock_req);
        if (!q)
                return -ENOMEM;
        q->name = talloc_memdup(q, l->name, l->name_len + 1);
        if (!q->name) {
                talloc_free(q);
                return -ENOMEM;
        }
        q->gc = gc;
        q->id = ++g->next_id;
        q->client_id = client_id;
        q->pid = (uint32_t) local_client_pid(c);
        q->mode = (enum dbd_glock_mode) l->mode;
        q->name_len = l->name_len;
        if (l->timeout_ms > 0) {
                r = sd_event_add_time_relative(m->event, &q->timer, CLOCK_MONOTONIC,
                                               (uint64_t) l->timeout_ms * 1000u, 0, on_timeout, q);
                if (r < 0) {
                        talloc_free(q);
                        return r;
                }
        }
        b = id_bucket(g, q->id);
        q->hnext = *b;
        *b = q;
        q->prev = g->reqs_tail;
        if (g->reqs_tail)
                g->reqs_tail->next = q;
        else
                g->reqs = q;
        g->reqs_tail = q;
        q->cnext = gc->reqs;
        if (gc->reqs)
                gc->reqs->cprev = q;
        gc->reqs = q;
        gc->n_reqs++;
        talloc_set_destructor(q, req_destructor);
        send_req(g, q, &dbd_glock_lock_desc);
        return 0;
}

int dbd_glock_client_unlock(dbd_manager *m, struct local_client *c, const struct db_glock_unlock *u) {
        struct glock_client *gc = client_find(m->glock, c);

        for (struct glock_req *q = gc ? gc->reqs : NULL; q; q = q->cnext)
                if (q->held && q->name_len == u->name_len && memcmp(q->name, u->name, u->name_len) == 0) {
                        req_end(m->glock, q);
                        return 0;
                }
        return -ENOENT;
}

int dbd_glock_client_held(dbd_manager *m, struct local_client *c, const char *name, size_t len,
                          uint64_t *ret_id) {
        struct glock_client *gc = m->glock ? client_find(m->glock, c) : NULL;

        for (struct glock_req *q = gc ? gc->reqs : NULL; q; q = q->cnext)
                if (q->held && !q->ready_db && q->name_len == len && memcmp(q->name, name, len) == 0) {
                        *ret_id = q->id;
                        return 0;
                }
        return -ENOENT;
}

void dbd_glock_client_forget(dbd_manager *m, uint64_t id) {
        talloc_free(req_find(m->glock, id));
}

void dbd_glock_master_release(dbd_manager *m, const char *name, size_t len, uint32_t pnn, uint32_t pid,
                              uint64_t id) {
        struct dbd_glock *g = m->glock;

        /* The commit coordinator is the master of its generation (both are the THAW's sender). */
        if (is_master(g))
                (void) dbd_glock_unlock(g->table, name, len, pnn, pid, id);
}

void dbd_glock_db_applied(dbd_manager *m, uint32_t db_id, uint64_t seqnum) {
        for (struct glock_req *q = m->glock ? m->glock->reqs : NULL; q; q = q->next)
                if (q->ready_db && (db_id == 0 || (q->ready_db == db_id && q->ready <= seqnum))) {
                        q->ready_db = 0;
                        reply(q, 0);
                }
}

void dbd_glock_client_gone(dbd_manager *m, struct local_client *c) {
        struct glock_client *gc = m->glock ? client_find(m->glock, c) : NULL;

        if (!gc)
                return;
        /* The owner died: each of its locks is released (its waits withdrawn) at the master. */
        while (gc->reqs)
                req_end(m->glock, gc->reqs);
        talloc_free(gc);
}

static int on_grant(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                    size_t len) {
        const struct dbd_glock_grant_msg *a = msg;
        struct dbd_glock *g = ((dbd_manager *) userdata)->glock;
        struct glock_req *q;

        /* Of another generation or master: the claim after this node's thaw settles it. */
        if (a->generation != g->m->generation || h->src != g->master)
                return 0;
        q = req_find(g, a->id);
        /* Gone (timed out, unlocked): its UNLOCK is on its way to the master. */
        if (!q || q->pid != a->pid)
                return 0;
        if (a->error == 0) {
                dbd_db *db = a->db_id ? dbd_manager_find_id(g->m, a->db_id) : NULL;

                if (q->held)
                        return 0;
                q->held = true;
                q->timer = sd_event_source_disable_unref(q->timer);
                /* A commit accepted before the grant is not in this copy yet: the client waits for it. */
                if (db && dbd_db_seqnum(db) < a->ready) {
                        q->ready_db = a->db_id;
                        q->ready = a->ready;
                        return 0;
                }
                reply(q, 0);
                return 0;
        }
        if (q->held)
                log_warning("g_lock %s of process %" PRIu32 " was lost in a recovery: another node holds it",
                            q->name, q->pid);
        else
                reply(q, -a->error);
        talloc_free(q);
        return 0;
}

/* ---- the master's side --------------------------------------------------- */

/* A frame of a generation this node has not thawed with: kept for the thaw, bounded. */
static int park(struct dbd_glock *g, const struct wire_header *h, const uint8_t *payload, size_t len) {
        struct early_frame *f;

        if (g->n_early >= EARLY_FRAMES_MAX)
                return -ENOBUFS;
        f = talloc_size(g, sizeof(*f) + WIRE_INNER_PREFIX_SIZE + len);
        if (!f)
                return -ENOMEM;
        f->next = NULL;
        f->src = h->src;
        f->len = WIRE_INNER_PREFIX_SIZE + len;
        /* The inner prefix as wire.c packs it: u16 kind, u16 reserved, little endian. */
        f->data[0] = (uint8_t) (h->kind & 0xff);
        f->data[1] = (uint8_t) (h->kind >> 8);
        f->data[2] = f->data[3] = 0;
        memcpy(f->data + WIRE_INNER_PREFIX_SIZE, payload, len);
        if (g->early_tail)
                g->early_tail->next = f;
        else
                g->early = f;
        g->early_tail = f;
        g->n_early++;
        return 0;
}

/* 1: handle it now; 0: not for this master now (parked or dropped). */
static int master_check(struct dbd_glock *g, uint32_t generation, const struct wire_header *h,
                        const uint8_t *payload, size_t len) {
        if (generation > g->m->generation)
                return park(g, h, payload, len) < 0 ? -ENOBUFS : 0;
        return generation == g->m->generation && is_master(g) && h->src < DBD_MAX_NODES;
}

static int on_lock(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                   size_t len) {
        const struct dbd_glock_lock_msg *l = msg;
        struct dbd_glock *g = ((dbd_manager *) userdata)->glock;
        int r = master_check(g, l->generation, h, payload, len);

        if (r <= 0)
                return r;
        if (h->kind == DBD_MSG_GLOCK_UNLOCK) {
                (void) dbd_glock_unlock(g->table, l->name, l->name_len, h->src, l->pid, l->id);
                return 0;
        }
        r = dbd_glock_lock(g->table, l->name, l->name_len, h->src, l->pid, l->id, l->mode);
        if (r < 0)
                send_grant(g, NULL, 0, h->src, l->pid, l->id, r);
        return 0;
}

static void claims_done(struct dbd_glock *g) {
        g->claim_timer = sd_event_source_disable_unref(g->claim_timer);
        g->n_awaited = 0;
        dbd_glock_pause(g->table, false);
}

static int on_claim_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct dbd_glock *g = ((dbd_manager *) userdata)->glock;

        log_warning("%u node(s) did not claim their g_locks in time; granting without them", g->n_awaited);
        claims_done(g);
        return 0;
}

static int on_claim(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                    size_t len) {
        const struct dbd_glock_claim_msg *c = msg;
        struct dbd_glock *g = ((dbd_manager *) userdata)->glock;
        int r = master_check(g, c->generation, h, payload, len);
        uint8_t *st;

        if (r <= 0)
                return r;
        st = &g->claim_state[h->src];
        if (!(*st & CLAIM_BEGUN)) {
                dbd_glock_claim_begin(g->table, h->src);
                *st |= CLAIM_BEGUN;
        }
        for (uint32_t i = 0; i < c->n_entries; i++) {
                const struct dbd_glock_claim_entry *e = &c->entries[i];

                r = dbd_glock_claim(g->table, e->name, e->name_len, h->src, e->pid, e->id, e->mode, e->held);
                /* -ENOLCK went to the node as a GRANT error already. */
                if (r < 0 && r != -ENOLCK)
                        send_grant(g, NULL, 0, h->src, e->pid, e->id, r);
        }
        if (!c->last)
                return 0;
        dbd_glock_claim_end(g->table, h->src);
        if ((*st & CLAIM_AWAITED) && --g->n_awaited == 0)
                claims_done(g);
        *st = 0;
        return 0;
}

struct list_build {
        struct db_glock_entries list;
        size_t bytes;
        void *ctx;
};

static int list_add(void *userdata, const char *name, size_t name_len, const struct dbd_glock_entry *e) {
        struct list_build *b = userdata;
        struct db_glock_entry *entries;

        b->bytes += 17 + name_len;
        if (b->list.n_entries >= DB_GLOCK_LIST_MAX || b->bytes > LIST_BYTES_MAX) {
                b->list.truncated = 1;
                return 1;
        }
        if (b->list.n_entries % 64 == 0) {
                entries = talloc_realloc(b->ctx, b->list.entries, struct db_glock_entry,
                                         b->list.n_entries + 64);
                if (!entries)
                        return -ENOMEM;
                b->list.entries = entries;
        }
        b->list.entries[b->list.n_entries++] = (struct db_glock_entry){
                .pnn = e->pnn,
                .pid = e->pid,
                .mode = e->mode,
                .held = e->held,
                .name = (char *) name,
                .name_len = (uint32_t) name_len,
        };
        return 0;
}

/* The master's table as a list on ctx (names point into the table: use it at once). */
static int list_table(struct dbd_glock *g, void *ctx, struct db_glock_entries *ret) {
        struct list_build b = { .ctx = ctx };
        int r = dbd_glock_foreach(g->table, list_add, &b);

        if (r < 0)
                return r;
        *ret = b.list;
        return 0;
}

static int on_list(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                   size_t len) {
        const struct dbd_glock_list_msg *l = msg;
        struct dbd_glock *g = ((dbd_manager *) userdata)->glock;
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct dbd_glock_entries_msg a = { .id = l->id, .generation = g->m->generation };
        int r = is_master(g) ? list_table(g, tmp, &a.list) : -ESRCH;

        a.list.error = r < 0 ? -r : 0;
        if (r < 0)
                a.list.n_entries = 0;
        return dbd_send(g->m, h->src, &dbd_glock_entries_desc, &a);
}

static int on_entries(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                      size_t len) {
        const struct dbd_glock_entries_msg *a = msg;
        struct dbd_glock *g = ((dbd_manager *) userdata)->glock;

        (void) peer_requests_complete(g->m->requests, h->src, a->id, &a->list);
        return 0;
}

const struct wire_handler dbd_glock_handlers[] = {
        { DBD_MSG_GLOCK_LOCK, &dbd_glock_lock_desc, on_lock },
        { DBD_MSG_GLOCK_UNLOCK, &dbd_glock_unlock_desc, on_lock },
        { DBD_MSG_GLOCK_GRANT, &dbd_glock_grant_desc, on_grant },
        { DBD_MSG_GLOCK_CLAIM, &dbd_glock_claim_desc, on_claim },
        { DBD_MSG_GLOCK_LIST, &dbd_glock_list_desc, on_list },
        { DBD_MSG_GLOCK_ENTRIES, &dbd_glock_entries_desc, on_entries },
};
const size_t dbd_glock_n_handlers = ELEMENTSOF(dbd_glock_handlers);

/* ---- listing ------------------------------------------------------------- */

static void on_list_answer(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct dbd_glock_lister *l = userdata;
        const struct db_glock_entries *list = reply;

        l->req = NULL;
        LIST_REMOVE(l->g->listers, l);
        if (error == 0 && list->error != 0)
                error = -list->error;
        l->done(l, error, error == 0 ? list : NULL);
}

int dbd_glock_list(dbd_manager *m, struct dbd_glock_lister *l) {
        struct dbd_glock *g = m->glock;
        struct dbd_glock_list_msg msg = { .generation = m->generation };
        int r;

        if (g->master == CTDB_PNN_NONE)
                return -EAGAIN;
        if (is_master(g)) {
                _cleanup_talloc_ void *tmp = talloc_new(NULL);
                struct db_glock_entries list;

                r = tmp ? list_table(g, tmp, &list) : -ENOMEM;
                if (r < 0)
                        return r;
                l->done(l, 0, &list);
                return 0;
        }
        r = peer_request_new(m->requests, g->master, LIST_TIMEOUT_USEC, on_list_answer, l, &l->req);
        if (r < 0)
                return r;
        l->g = g;
        LIST_PREPEND(g->listers, l);
        msg.id = peer_request_id(l->req);
        r = dbd_send(m, g->master, &dbd_glock_list_desc, &msg);
        if (r < 0)
                dbd_glock_list_cancel(l);
        return r;
}

void dbd_glock_list_cancel(struct dbd_glock_lister *l) {
        /* A request still there means g is too (its destructor ends them all). */
        if (!l->req)
                return;
        peer_request_cancel(l->req);
        l->req = NULL;
        LIST_REMOVE(l->g->listers, l);
}

/* ---- recovery ------------------------------------------------------------ */

/* Everything this node's clients hold and wait for, in their order, to the master, in batches. */
static void claim_all(struct dbd_glock *g) {
        struct glock_req *q = g->reqs;

        do {
                _cleanup_talloc_ struct dbd_glock_claim_entry *entries =
                        talloc_zero_array(NULL, struct dbd_glock_claim_entry, DBD_GLOCK_CLAIM_MAX);
                struct dbd_glock_claim_msg c = { .generation = g->m->generation, .entries = entries };
                size_t bytes = 0;
                int r;

                if (!entries)
                        return (void) log_oom();
                for (; q && c.n_entries < DBD_GLOCK_CLAIM_MAX && bytes < DBD_GLOCK_CLAIM_BYTES;
                     q = q->next) {
                        entries[c.n_entries++] = (struct dbd_glock_claim_entry){
                                .pid = q->pid,
                                .id = q->id,
                                .mode = q->mode,
                                .held = q->held,
                                .name = q->name,
                                .name_len = q->name_len,
                        };
                        bytes += 21 + q->name_len;
                        q->sent = true;
                }
                c.last = q == NULL;
                r = dbd_send(g->m, g->master, &dbd_glock_claim_desc, &c);
                if (r < 0)
                        return (void) log_warning_errno(r, "Failed to claim g_locks at node %" PRIu32 ": %m",
                                                        g->master);
        } while (q);
}

void dbd_glock_thaw(dbd_manager *m, uint32_t master) {
        struct dbd_glock *g = m->glock;
        struct early_frame *early = g->early;
        int r;

        g->early = g->early_tail = NULL;
        g->n_early = 0;
        if (master != m->pnn || g->master != m->pnn)
                dbd_glock_table_clear(g->table);
        if (g->master != master)
                log_info("The g_lock master is node %" PRIu32, master);
        g->master = master;
        if (master == m->pnn) {
                /* Locks of a node that left never survive it. */
                unsigned n = dbd_glock_drop_outside(g->table, m->vnnmap, m->n_vnnmap);

                if (n > 0)
                        log_info("Released %u g_lock entries of nodes that left", n);
                memset(g->claim_state, 0, sizeof(g->claim_state));
                g->n_awaited = 0;
                for (uint32_t i = 0; i < m->n_vnnmap; i++)
                        if (m->vnnmap[i] < DBD_MAX_NODES && !g->claim_state[m->vnnmap[i]]) {
                                g->claim_state[m->vnnmap[i]] = CLAIM_AWAITED;
                                g->n_awaited++;
                        }
                dbd_glock_pause(g->table, true);
                g->claim_timer = sd_event_source_disable_unref(g->claim_timer);
                r = sd_event_add_time_relative(m->event, &g->claim_timer, CLOCK_MONOTONIC,
                                               CLAIM_TIMEOUT_USEC, 0, on_claim_timeout, g);
                if (r < 0) {
                        log_warning_errno(r, "Not waiting for g_lock claims: %m");
                        claims_done(g);
                }
        }
        claim_all(g);
        /* What came early for this generation, in the order it came. */
        while (early) {
                struct early_frame *f = early;

                early = f->next;
                dbd_manager_frame(m, f->src, f->data, f->len);
                talloc_free(f);
        }
}

/* ---- set-up -------------------------------------------------------------- */

static int glock_destructor(struct dbd_glock *g) {
        g->m->glock = NULL;
        while (g->listers)
                dbd_glock_list_cancel(g->listers);
        g->claim_timer = sd_event_source_disable_unref(g->claim_timer);
        /* The clients' requests are freed with the clients; they must not find this. */
        for (unsigned b = 0; b < GLOCK_CLIENT_BUCKETS; b++)
                while (g->clients[b])
                        talloc_free(g->clients[b]);
        return 0;
}

int dbd_glock_new(dbd_manager *m) {
        struct dbd_glock *g = talloc_zero(m, struct dbd_glock);
        int r;

        if (!g)
                return -ENOMEM;
        g->m = m;
        g->master = CTDB_PNN_NONE;
        r = dbd_glock_table_new(g, &table_limits, on_table_grant, g, &g->table);
        if (r < 0) {
                talloc_free(g);
                return r;
        }
        talloc_set_destructor(g, glock_destructor);
        m->glock = g;
        return 0;
}
