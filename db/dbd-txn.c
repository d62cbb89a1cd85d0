/*
 * Transactions on persistent and replicated databases (docs/architecture.md,
 * "How a transaction travels"). A client's commit goes from its node (the
 * origin) to the commit coordinator of the generation, the node whose dbd ran
 * its recovery (it sent THAW), as TXN. The coordinator checks the commit's
 * reads against everything it accepted before (dbd-txn-log.c), gives it the
 * next seqnum, and sends the commits it accepted as UPDATEs (two at most out
 * at once) to every node of the VnnMap, itself included; each applies a batch
 * in one tdb transaction where its seqnum is the batch's first, and ACKs once
 * the batch is durable (dbd-wal.h). When every node has, each origin gets
 * TXN_DONE: commits that arrive while batches are out share the next round
 * and the next fsync (group commit).
 *
 * A recovery ends whatever is in flight. It keeps the copy with the highest
 * (epoch, seqnum), and every copy of it is alike; at the thaw each origin
 * answers the commits it ended: where the recovered copy continues this
 * node's history, a commit is in it exactly when its seqnum is not above the
 * recovered one (success), else it is not (-EAGAIN: nothing of it anywhere).
 * An origin learns its commit's seqnum from the UPDATE it applies; one whose
 * UPDATE never reached it counts as not committed.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "dbd-glock.h"
#include "dbd-internal.h"
#include "dbd-txn-log.h"
#include "list.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

/* An UPDATE applies in milliseconds; a node silent this long is failing the cluster. */
#define TXN_TIMEOUT_USEC (20 * 1000 * 1000ull)

struct origin_txn;
struct dbd_txn_db;

/*
 * Batches out at once per database. A node applies them in order (each
 * where its seqnum is the batch's first), so the next goes before the one
 * out completes: a lock released at a commit's acceptance reaches its next
 * holder after one fsync on its node, not after a whole round.
 */
#define TXN_BATCHES_OUT 2u

/* An UPDATE out: the ACKs it waits for (one peer request per node), a talloc child of its db's state. */
struct txn_batch {
        struct txn_batch *next;
        struct dbd_txn_db *t;
        uint64_t seq_to;
        unsigned outstanding;
        int error;
        uint32_t n_reqs;
        struct peer_request *reqs[];
};

/* Per database (db->txn). */
struct dbd_txn_db {
        dbd_db *db;
        uint64_t seqnum;                /* this node's copy */
        uint32_t epoch;
        uint32_t pre_epoch;             /* the copy's epoch when the recovery froze it */
        bool recovered;                 /* known to every node since the last thaw */
        struct origin_txn *origins;     /* this node's commits in flight */
        /* coordinator */
        struct dbd_txn_log *log;
        uint32_t log_generation;
        struct txn_batch *batches;      /* UPDATEs out, oldest first */
        unsigned n_batches;
        bool stuck;                     /* a node failed an UPDATE: nothing more until the recovery */
};

/* A commit of this node in flight; a talloc child of its db's state. */
struct origin_txn {
        struct origin_txn *next, *prev;
        struct dbd_txn_db *t;
        struct peer_request *req;
        struct dbd_commit *commit;      /* NULL once its caller went away */
        uint32_t id;
        uint64_t seqnum;                /* from the UPDATE that carried it (0: none seen) */
        bool in_doubt;                  /* a recovery came first: the thaw answers it */
};

static int origin_destructor(struct origin_txn *o) {
        if (o->req)
                peer_request_cancel(o->req);
        /* Freed with its database: the caller's handle must not point here any more. */
        if (o->commit)
                o->commit->origin = NULL;
        return 0;
}

static struct dbd_txn_db *txn_state(dbd_db *db) {
        if (!db->txn && db->kind != LTDB_VOLATILE) {
                db->txn = talloc_zero(db, struct dbd_txn_db);
                if (db->txn) {
                        db->txn->db = db;
                        (void) dbd_store_seqnum(db->store, &db->txn->seqnum, &db->txn->epoch);
                        db->txn->pre_epoch = db->txn->epoch;
                }
        }
        return db->txn;
}

uint64_t dbd_db_seqnum(const dbd_db *db) {
        return db->txn ? db->txn->seqnum : 0;
}

bool dbd_db_txn_ready(dbd_db *db) {
        struct dbd_txn_db *t = txn_state(db);

        return t && t->recovered && !db->m->frozen;
}

/* ---- origin ------------------------------------------------------------- */

static void origin_finish(struct origin_txn *o, int error, uint64_t seqnum) {
        struct dbd_commit *c = o->commit;

        LIST_REMOVE(o->t->origins, o);
        o->req = NULL;
        talloc_free(o);
        if (c) {
                c->origin = NULL;
                c->done(c, error, seqnum);
        }
}

static void on_txn_answer(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct origin_txn *o = userdata;
        const struct dbd_txn_done_msg *d = reply;

        o->req = NULL;
        if (error < 0) {
                /* The coordinator or its link is gone: a recovery follows, and its thaw answers. */
                log_debug("A commit to %s is in doubt: %s", o->t->db->name, strerror(-error));
                o->in_doubt = true;
                dbd_request_recovery(o->t->db->m, "a commit got no answer");
                return;
        }
        origin_finish(o, d->error ? -d->error : 0, d->seqnum);
}

void dbd_commit_cancel(struct dbd_commit *c) {
        if (c && c->origin) {
                c->origin->commit = NULL;
                c->origin = NULL;
        }
}

static int commit_check(dbd_db *db, const struct db_txn *txn) {
        dbd_manager *m = db->m;
        int r;

        if (db->kind == LTDB_VOLATILE)
                return -EINVAL;
        r = db_txn_check(txn);
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < txn->n_writes; i++)
                if (txn->writes[i].key_len == sizeof(DB_SEQNUM_KEY) &&
                    memcmp(txn->writes[i].key, DB_SEQNUM_KEY, sizeof(DB_SEQNUM_KEY)) == 0)
                        return -EINVAL; /* dbd keeps it */
        if (!m->view.known || !m->view.quorate)
                return -ENOLINK;
        if (m->n_vnnmap == 0 || m->coordinator == CTDB_PNN_NONE || !dbd_db_txn_ready(db))
                return -EAGAIN;
        return 0;
}

int dbd_txn_commit(dbd_db *db, const struct db_txn *txn, struct dbd_commit *c) {
        dbd_manager *m = db->m;
        struct dbd_txn_msg msg = { .generation = m->generation, .txn = *txn, .pid = c->pid,
                                   .lock_id = c->lock_id };
        struct dbd_txn_db *t;
        struct origin_txn *o;
        int r = commit_check(db, txn);

        if (r < 0)
                return r;
        t = txn_state(db);
        o = talloc_zero(t, struct origin_txn);
        if (!o)
                return -ENOMEM;
        r = peer_request_new(m->requests, m->coordinator, TXN_TIMEOUT_USEC, on_txn_answer, o, &o->req);
        if (r < 0) {
                talloc_free(o);
                return r;
        }
        o->t = t;
        o->id = msg.id = peer_request_id(o->req);
        msg.txn.db_id = db->id;
        r = dbd_send(m, m->coordinator, &dbd_txn_desc, &msg);
        if (r < 0) {
                peer_request_cancel(o->req);
                talloc_free(o);
                return r;
        }
        o->commit = c;
        c->origin = o;
        talloc_set_destructor(o, origin_destructor);
        LIST_PREPEND(t->origins, o);
        return 0;
}

static int on_txn_done(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                       size_t len) {
        const struct dbd_txn_done_msg *d = msg;
        dbd_manager *m = userdata;

        /* An answer of another generation: the thaw of the recovery between answers that commit. */
        if (d->generation == m->generation && !m->frozen)
                (void) peer_requests_complete(m->requests, h->src, d->id, d);
        return 0;
}

/* ---- coordinator -------------------------------------------------------- */

static int base_rsn(void *userdata, const uint8_t *key, size_t len, uint64_t *ret) {
        struct ltdb_header h;
        int r = dbd_store_fetch_header(userdata, key, len, &h);

        *ret = r >= 0 ? h.rsn : 0;
        return r == -ENOENT ? 0 : r;
}

static void send_done(dbd_manager *m, uint32_t to, uint32_t id, int error, uint64_t seqnum) {
        struct dbd_txn_done_msg d = { .id = id, .generation = m->generation, .error = -error,
                                      .seqnum = seqnum };
        int r = dbd_send(m, to, &dbd_txn_done_desc, &d);

        if (r < 0)
                log_debug("Failed to answer a commit of node %" PRIu32 ": %s", to, strerror(-r));
}

static void txn_pump(struct dbd_txn_db *t);

static void on_done_entry(void *userdata, const struct dbd_txn_entry *e) {
        send_done(userdata, e->origin, e->id, 0, e->seqnum);
}

static int batch_destructor(struct txn_batch *b) {
        for (uint32_t i = 0; i < b->n_reqs; i++)
                if (b->reqs[i])
                        peer_request_cancel(b->reqs[i]);
        return 0;
}

static void batch_fail(struct dbd_txn_db *t, struct txn_batch *b) {
        /* Some nodes may have it and others not: only a recovery makes them alike again. */
        log_warning("A node failed commits up to %" PRIu64 " of %s: %s", b->seq_to, t->db->name,
                    strerror(-b->error));
        t->stuck = true;
        dbd_request_recovery(t->db->m, "a node failed to apply commits");
}

static void on_update_answer(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct txn_batch *b = userdata;
        struct dbd_txn_db *t = b->t;
        const struct dbd_ack_msg *a = reply;

        for (uint32_t i = 0; i < b->n_reqs; i++)
                if (b->reqs[i] == req)
                        b->reqs[i] = NULL;
        if (error >= 0 && a->error)
                error = -a->error;
        if (error < 0 && !b->error)
                b->error = error;
        if (--b->outstanding > 0)
                return;
        if (b->error < 0)
                return batch_fail(t, b);
        /* Batches complete in order: one done behind another still out waits for it. */
        while (t->batches && t->batches->outstanding == 0 && !t->stuck) {
                struct txn_batch *head = t->batches;

                t->batches = head->next;
                t->n_batches--;
                dbd_txn_log_complete(t->log, head->seq_to, on_done_entry, t->db->m);
                talloc_free(head);
        }
        txn_pump(t);
}

static void txn_send_batch(struct dbd_txn_db *t, struct dbd_txn_entry *first, size_t n);

/* Sends batches of accepted commits to every node while fewer than TXN_BATCHES_OUT are out. */
static void txn_pump(struct dbd_txn_db *t) {
        struct dbd_txn_entry *first;
        size_t n;

        while (t->log && !t->stuck && t->n_batches < TXN_BATCHES_OUT &&
               (n = dbd_txn_log_next_batch(t->log, DB_TXN_BYTES, DBD_UPDATE_TXNS, &first)) > 0)
                txn_send_batch(t, first, n);
}

static void txn_send_batch(struct dbd_txn_db *t, struct dbd_txn_entry *first, size_t n) {
        dbd_manager *m = t->db->m;
        struct dbd_update_msg u = { .generation = m->generation, .db_id = t->db->id };
        struct txn_batch *b, **tail;
        struct dbd_txn_entry *e;
        uint32_t n_records = 0;
        int r = 0;

        u.seq_from = first->seqnum - 1;
        u.txns = talloc_zero_array(t, struct dbd_txn_ref, n);
        e = first;
        for (size_t i = 0; i < n; i++, e = e->next)
                n_records += e->n_writes;
        u.records = talloc_zero_array(u.txns, struct db_record, n_records ? n_records : 1);
        b = talloc_zero_size(t, sizeof(*b) + m->n_vnnmap * sizeof(b->reqs[0]));
        if (!u.txns || !u.records || !b) {
                talloc_free(u.txns);
                talloc_free(b);
                t->stuck = true;
                return dbd_request_recovery(m, "out of memory in a commit");
        }
        b->t = t;
        talloc_set_destructor(b, batch_destructor);
        for (tail = &t->batches; *tail; tail = &(*tail)->next)
                ;
        *tail = b;
        t->n_batches++;
        e = first;
        for (size_t i = 0; i < n; i++, e = e->next) {
                u.txns[u.n_txns++] = (struct dbd_txn_ref) { .origin = e->origin, .id = e->id,
                                                            .seqnum = e->seqnum };
                memcpy(u.records + u.n_records, e->writes, e->n_writes * sizeof(*e->writes));
                u.n_records += e->n_writes;
                u.seq_to = e->seqnum;
        }
        b->seq_to = u.seq_to;
        /* The others first: this node's own apply (a self-frame) runs after, beside their fsyncs. */
        for (uint32_t i = 0; i < m->n_vnnmap && r >= 0; i++) {
                struct peer_request *req;

                r = peer_request_new(m->requests, m->vnnmap[i], TXN_TIMEOUT_USEC, on_update_answer, b, &req);
                if (r < 0)
                        break;
                u.id = peer_request_id(req);
                r = dbd_send(m, m->vnnmap[i], &dbd_update_desc, &u);
                if (r < 0) {
                        peer_request_cancel(req);
                        break;
                }
                b->reqs[b->n_reqs++] = req;
                b->outstanding++;
        }
        talloc_free(u.txns);
        if (r < 0) {
                /* Those sent answer; the batch cannot complete, so the recovery decides. */
                b->error = r;
                batch_fail(t, b);
        }
}

/* 0: accepted into the log; negative: refused (the caller answers). */
static int txn_accept(dbd_db *db, uint32_t src, const struct dbd_txn_msg *x) {
        dbd_manager *m = db->m;
        struct dbd_txn_db *t;
        int r = commit_check(db, &x->txn);

        if (r >= 0 && (x->generation != m->generation || m->coordinator != m->pnn))
                r = -EAGAIN;
        t = r >= 0 ? txn_state(db) : NULL;
        if (r >= 0 && !t)
                r = -ENOMEM;
        if (t && t->stuck)
                r = -EAGAIN;
        if (r >= 0 && (!t->log || t->log_generation != m->generation)) {
                TALLOC_FREE(t->log);
                r = dbd_txn_log_new(t, t->seqnum, &t->log);
                t->log_generation = m->generation;
        }
        if (r >= 0)
                r = dbd_txn_log_accept(t->log, src, x->id, &x->txn, base_rsn, db->store, NULL);
        return r;
}

static int on_txn(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                  size_t len) {
        const struct dbd_txn_msg *x = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, x->txn.db_id);
        int r;

        if (!db)
                return send_done(m, h->src, x->id, -ENOENT, 0), 0;
        r = txn_accept(db, h->src, x);
        /* Accepted or refused, the lock it gives up goes now: its next holder waits for this commit. */
        if (x->txn.flags & DB_TXN_UNLOCK) {
                char name[32];

                snprintf(name, sizeof(name), DB_TXN_LOCK_NAME, db->id);
                dbd_glock_master_release(m, name, strlen(name), h->src, x->pid, x->lock_id);
        }
        if (r < 0)
                return send_done(m, h->src, x->id, r, 0), 0;
        txn_pump(db->txn);
        return 0;
}

void dbd_txn_lock_ready(dbd_manager *m, const char *name, size_t len, uint32_t *ret_db_id,
                        uint64_t *ret_ready) {
        char copy[32];
        unsigned id;
        int n = -1;
        dbd_db *db;

        *ret_db_id = 0;
        *ret_ready = 0;
        if (!name || len == 0 || len >= sizeof(copy))
                return;
        memcpy(copy, name, len);
        copy[len] = 0;
        if (sscanf(copy, DB_TXN_LOCK_NAME "%n", &id, &n) != 1 || (size_t) n != len)
                return;
        db = dbd_manager_find_id(m, id);
        if (!db || !db->txn)
                return;
        *ret_db_id = db->id;
        *ret_ready = db->txn->log && db->txn->log_generation == m->generation
                             ? dbd_txn_log_seqnum(db->txn->log)
                             : db->txn->seqnum;
}

/* ---- every node: apply -------------------------------------------------- */

/* An UPDATE applied and waiting for its log's sync: the ACK it owes. */
struct update_ack {
        dbd_manager *m;
        uint32_t to, id, generation;
};

static void on_durable(void *userdata, int error) {
        struct update_ack *ack = userdata;
        struct dbd_ack_msg a = { .id = ack->id, .generation = ack->generation, .error = -error };

        if (error < 0)
                log_warning("Failed to sync a batch of commits: %s", strerror(-error));
        (void) dbd_send(ack->m, ack->to, &dbd_ack_desc, &a);
        talloc_free(ack);
}

static int on_update(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t len) {
        const struct dbd_update_msg *u = msg;
        dbd_manager *m = userdata;
        dbd_db *db = dbd_manager_find_id(m, u->db_id);
        struct dbd_txn_db *t = db ? txn_state(db) : NULL;
        struct dbd_ack_msg a = { .id = u->id, .generation = u->generation };
        bool pending = false;
        int r = 0;

        if (!t)
                r = -ENOENT;
        else if (u->generation != m->generation || m->frozen || h->src != m->coordinator)
                r = -ESTALE;
        else if (u->seq_from != t->seqnum || u->seq_to <= u->seq_from)
                r = -EPROTO;    /* a gap: this copy is not the coordinator's */
        if (r >= 0) {
                struct update_ack *ack = talloc_zero(t, struct update_ack);

                if (!ack)
                        return -ENOMEM;
                *ack = (struct update_ack){ .m = m, .to = h->src, .id = u->id, .generation = u->generation };
                r = dbd_store_apply_visible(db->store, m->event, u->records, u->n_records, u->seq_to,
                                            t->epoch, on_durable, ack);
                if (r != 0)
                        talloc_free(ack);
                if (r == 0)
                        pending = true;
        }
        if (r >= 0) {
                t->seqnum = u->seq_to;
                dbd_bus_seqnum_changed(db);
                dbd_glock_db_applied(m, db->id, t->seqnum);
                for (uint32_t i = 0; i < u->n_txns; i++) {
                        if (u->txns[i].origin != m->pnn)
                                continue;
                        for (struct origin_txn *o = t->origins; o; o = o->next)
                                if (o->id == u->txns[i].id)
                                        o->seqnum = u->txns[i].seqnum;
                }
        } else {
                log_warning("Failed to apply commits %" PRIu64 "..%" PRIu64 " of database 0x%08" PRIx32
                            ": %s", u->seq_from + 1, u->seq_to, u->db_id, strerror(-r));
        }
        /* Visible here now, which is what a lock's next holder waits for; the ACK says durable. */
        if (pending)
                return 0;
        a.error = -r;
        return dbd_send(m, h->src, &dbd_ack_desc, &a), 0;
}

/* ---- recovery ----------------------------------------------------------- */

void dbd_txn_freeze(dbd_manager *m) {
        for (size_t i = 0; i < m->n_dbs; i++) {
                struct dbd_txn_db *t = m->dbs[i]->txn;

                if (!t)
                        continue;
                /* The coordinator's batches end here; their commits are answered at the thaw. */
                TALLOC_FREE(t->log);
                while (t->batches) {
                        struct txn_batch *b = t->batches;

                        t->batches = b->next;
                        talloc_free(b);
                }
                t->n_batches = 0;
                t->stuck = false;
                /* The first freeze since the last thaw: what this copy was before any push. */
                if (t->recovered)
                        t->pre_epoch = t->epoch;
                t->recovered = false;
                for (struct origin_txn *o = t->origins; o; o = o->next) {
                        o->in_doubt = true;
                        if (o->req) {
                                peer_request_cancel(o->req);
                                o->req = NULL;
                        }
                }
        }
}

void dbd_txn_thaw(dbd_manager *m, uint32_t coordinator, uint32_t epoch) {
        m->coordinator = coordinator;
        for (size_t i = 0; i < m->n_dbs; i++) {
                struct dbd_txn_db *t = txn_state(m->dbs[i]);
                uint32_t copy_epoch = 0;
                bool same;
                int r;

                if (!t)
                        continue;
                /*
                 * The recovered copy (pushed here, or this one) continues this
                 * node's own history only if it is of the epoch this node had:
                 * then a commit of ours is in it exactly when its seqnum is not
                 * above the copy's. A copy of a later epoch went on through a
                 * recovery without us, and its seqnums are other commits.
                 */
                (void) dbd_store_seqnum(m->dbs[i]->store, &t->seqnum, &copy_epoch);
                same = t->pre_epoch == copy_epoch;
                /*
                 * Every copy is the recovered one now: the new epoch marks it, so a
                 * node that was not here loses to it later however many commits of
                 * its own it has (dbd_persist_winner()).
                 */
                r = dbd_store_stamp(m->dbs[i]->store, epoch);
                if (r < 0)
                        log_warning("Failed to stamp %s with epoch %" PRIu32 ": %s", m->dbs[i]->name, epoch,
                                    strerror(-r));
                (void) dbd_store_seqnum(m->dbs[i]->store, &t->seqnum, &t->epoch);
                t->pre_epoch = t->epoch;
                dbd_bus_seqnum_changed(m->dbs[i]);
                t->recovered = true;
                while (t->origins) {
                        struct origin_txn *o = t->origins;
                        bool in = same && o->seqnum != 0 && o->seqnum <= t->seqnum;

                        origin_finish(o, in ? 0 : -EAGAIN, o->seqnum);
                }
        }
        /* Grants that waited for commits: what was not recovered will not come. */
        dbd_glock_db_applied(m, 0, 0);
}

void dbd_txn_db_info(dbd_db *db, struct dbd_db_info *info) {
        struct dbd_txn_db *t = txn_state(db);

        if (t) {
                info->seqnum = t->seqnum;
                info->epoch = t->epoch;
        }
}

const struct wire_handler dbd_txn_handlers[] = {
        { DBD_MSG_TXN, &dbd_txn_desc, on_txn },
        { DBD_MSG_TXN_DONE, &dbd_txn_done_desc, on_txn_done },
        { DBD_MSG_UPDATE, &dbd_update_desc, on_update },
};
const size_t dbd_txn_n_handlers = ELEMENTSOF(dbd_txn_handlers);

/* ---- the control plane's transaction ------------------------------------ */

struct bus_commit {
        struct dbd_commit c;
        dbd_commit_fn done;
        void *userdata;
};

static void on_bus_commit(struct dbd_commit *c, int error, uint64_t seqnum) {
        struct bus_commit *b = (struct bus_commit *) c;

        b->done(b->userdata, error, seqnum);
        talloc_free(b);
}

int dbd_db_transaction(dbd_db *db, const struct dbd_txn_write *writes, size_t n, dbd_commit_fn done,
                       void *userdata) {
        struct bus_commit *b;
        struct db_txn txn = { .db_id = db->id, .n_writes = (uint32_t) n };
        int r;

        if (db->kind == LTDB_VOLATILE)
                return -EINVAL;
        if (n > DB_TXN_RECORDS)
                return -E2BIG;
        b = talloc_zero(db, struct bus_commit);
        txn.writes = b ? talloc_zero_array(b, struct db_record, n ? n : 1) : NULL;
        if (!txn.writes) {
                talloc_free(b);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                txn.writes[i] = (struct db_record){ .key = writes[i].key,
                                                    .key_len = (uint32_t) writes[i].key_len,
                                                    .value = writes[i].value,
                                                    .value_len = (uint32_t) writes[i].value_len };
        *b = (struct bus_commit) { .c.done = on_bus_commit, .done = done, .userdata = userdata };
        r = dbd_txn_commit(db, &txn, &b->c);
        if (r < 0)
                talloc_free(b);
        return r;
}
