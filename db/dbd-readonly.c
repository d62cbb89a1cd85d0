/*
 * Read-only delegations (CTDB's, switched on per database by SetReadOnly):
 * the hot-record case where many readers on other nodes read a record that
 * one node writes now and then. A reader asks with DBD_FETCH_READONLY; the
 * dmaster answers with the value and DBD_VALUE_DELEGATED and marks its own
 * header RO_HAVE_DELEGATIONS; the reader's dbd keeps the value as a read-only
 * copy (RO_HAVE_READONLY, dmaster still the real one), which its clients read
 * locally without asking anyone.
 *
 * Before the dmaster lets a writer have the record (a local fetch-lock, which
 * sees RO_HAVE_DELEGATIONS and asks dbd, or a D-Bus Store) or hands it to
 * another node, it revokes: REVOKE to every node of the VnnMap, each drops its
 * read-only copy (waiting for a client reading it to let go) and answers;
 * then the flag goes and the writer proceeds. So once a writer's store has
 * returned, no node still holds an older read-only copy. While it revokes,
 * fetches are answered without delegating.
 */

#include <errno.h>
#include <inttypes.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "dbd-internal.h"
#include "dbd-pending.h"
#include "list.h"
#include "log.h"
#include "peer-request.h"

#define REVOKE_TIMEOUT_USEC (5 * 1000 * 1000ull)

static bool wants_record(const struct dbd_pending *p) {
        for (const struct parked *x = p->parked; x; x = x->next)
                if (x->kind == DBD_MSG_MIGRATE)
                        return true;
        return p->waiters != NULL;
}

bool dbd_ro_must_revoke(const struct dbd_pending *p, bool have, const struct ltdb_header *h) {
        return have && h->dmaster == p->db->m->pnn && (h->flags & LTDB_REC_RO_HAVE_DELEGATIONS) &&
               wants_record(p);
}

static void on_revoked(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct dbd_pending *p = userdata;
        const struct dbd_ack_msg *a = reply;

        /*
         * A node that does not answer is gone or about to be (its link drops):
         * the recovery that follows wipes its copies, so waiting longer gains
         * nothing.
         */
        if (error < 0 || (a && a->error))
                log_debug("Node %" PRIu32 " did not confirm a revocation in %s: %s", peer_request_pnn(req),
                          p->db->name, strerror(error < 0 ? -error : a->error));
        if (--p->revoke_outstanding > 0)
                return;
        p->revoking = false;
        p->revoked = true;
        dbd_pending_run(p);
}

void dbd_ro_revoke_start(struct dbd_pending *p, const struct ltdb_header *h) {
        dbd_manager *m = p->db->m;
        struct dbd_revoke_msg r = { .generation = m->generation, .db_id = p->db->id, .rsn = h->rsn,
                                    .key = p->key, .key_len = (uint32_t) p->key_len };

        if (p->revoking)
                return;
        p->revoking = true;
        p->revoke_outstanding = 1;      /* ours, released below once every request is out */
        for (uint32_t i = 0; i < m->n_vnnmap; i++) {
                struct peer_request *req;

                if (m->vnnmap[i] == m->pnn)
                        continue;
                if (peer_request_new(m->requests, m->vnnmap[i], REVOKE_TIMEOUT_USEC, on_revoked, p, &req) <
                    0)
                        continue;       /* the set is full: that node's copy goes with the next recovery */
                r.id = peer_request_id(req);
                if (dbd_send(m, m->vnnmap[i], &dbd_revoke_desc, &r) < 0) {
                        peer_request_cancel(req);
                        continue;
                }
                p->revoke_outstanding++;
        }
        /* Not under the chain lock's run: on_revoked() runs the entry again when all answered. */
        if (--p->revoke_outstanding == 0) {
                p->revoking = false;
                p->revoked = true;
                p->rerun = true;
        }
}

int dbd_ro_revoke_finish(struct dbd_pending *p, struct ltdb_header *h) {
        uint8_t *value = NULL;
        size_t len = 0;
        int r;

        p->revoked = false;
        if (h->dmaster != p->db->m->pnn || !(h->flags & LTDB_REC_RO_HAVE_DELEGATIONS))
                return 0;
        r = dbd_store_fetch(p->db->store, p, p->key, p->key_len, h, &value, &len);
        if (r >= 0) {
                h->flags &= ~LTDB_REC_RO_HAVE_DELEGATIONS;
                r = dbd_store_store(p->db->store, p->key, p->key_len, h, value, len);
        }
        talloc_free(value);
        return r;
}

bool dbd_ro_delegate(struct dbd_pending *p, const struct parked *x, struct ltdb_header *h) {
        uint8_t *value = NULL;
        size_t len = 0;
        bool ok;

        if (!(x->flags & DBD_FETCH_READONLY) || !(p->db->flags & DBD_DB_READONLY) || p->revoking ||
            wants_record(p))
                return false;
        if (h->flags & LTDB_REC_RO_HAVE_DELEGATIONS)
                return true;
        if (dbd_store_fetch(p->db->store, p, p->key, p->key_len, h, &value, &len) < 0)
                return false;
        h->flags |= LTDB_REC_RO_HAVE_DELEGATIONS;
        ok = dbd_store_store(p->db->store, p->key, p->key_len, h, value, len) >= 0;
        if (!ok)
                h->flags &= ~LTDB_REC_RO_HAVE_DELEGATIONS;
        talloc_free(value);
        return ok;
}

void dbd_ro_keep_copy(struct dbd_pending *p, const struct dbd_value_msg *v) {
        dbd_db *db = p->db;
        struct ltdb_header cur,
                copy = { .rsn = v->rsn, .dmaster = v->dmaster, .flags = LTDB_REC_RO_HAVE_READONLY };
        bool have;

        /*
         * Without the chain now, no copy: a REVOKE behind this VALUE must find
         * nothing left over, so the copy is made here or not at all.
         */
        if (v->dmaster == db->m->pnn || dbd_store_trylock(db->store, p->key, p->key_len) < 0)
                return;
        have = dbd_store_fetch_header(db->store, p->key, p->key_len, &cur) >= 0;
        if (!have || (cur.dmaster != db->m->pnn && cur.rsn <= v->rsn))
                (void) dbd_store_store(db->store, p->key, p->key_len, &copy, v->value, v->value_len);
        dbd_store_unlock(db->store, p->key, p->key_len);
}

void dbd_ro_serve_revoke(struct dbd_pending *p, struct parked *x, bool *have, struct ltdb_header *h) {
        dbd_manager *m = p->db->m;
        struct dbd_ack_msg a = { .id = x->id, .generation = m->generation };

        if (*have && (h->flags & LTDB_REC_RO_HAVE_READONLY) && h->dmaster != m->pnn && h->rsn <= x->rsn) {
                /* The lmaster's copy was also its pointer to the dmaster: that part stays. */
                if (dbd_lmaster(m, p->key, p->key_len) == m->pnn) {
                        h->flags = LTDB_REC_FLAG_POINTER;
                        (void) dbd_store_store(p->db->store, p->key, p->key_len, h, NULL, 0);
                } else if (dbd_store_delete(p->db->store, p->key, p->key_len) >= 0) {
                        *have = false;
                }
        }
        (void) dbd_send(m, x->src, &dbd_ack_desc, &a);
        LIST_REMOVE(p->parked, x);
        talloc_free(x);
}
