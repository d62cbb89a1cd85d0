/* The coordinator's log of accepted commits and their overlay; see dbd-txn-log.h. */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <talloc.h>

#include "dbd-txn-log.h"
#include "ltdb.h"

#define OVERLAY_BUCKETS 4096u

/* The newest accepted write of a key. */
struct overlay {
        struct overlay *next;
        uint32_t hash;
        uint64_t rsn;
        uint32_t key_len;
        uint8_t key[];
};

struct dbd_txn_log {
        uint64_t seqnum;
        struct dbd_txn_entry *head, *tail;      /* accepted, oldest first */
        struct dbd_txn_entry *unsent;           /* the first not sent yet (NULL: all sent) */
        size_t n;
        size_t n_sent;
        struct overlay *buckets[OVERLAY_BUCKETS];
};

int dbd_txn_log_new(void *mem_ctx, uint64_t seqnum, struct dbd_txn_log **ret) {
        struct dbd_txn_log *l = talloc_zero(mem_ctx, struct dbd_txn_log);

        if (!l)
                return -ENOMEM;
        l->seqnum = seqnum;
        *ret = l;
        return 0;
}

uint64_t dbd_txn_log_seqnum(const struct dbd_txn_log *l) {
        return l->seqnum;
}

size_t dbd_txn_log_pending(const struct dbd_txn_log *l) {
        return l->n;
}

int dbd_txn_log_in_flight(const struct dbd_txn_log *l) {
        return l->n_sent > 0;
}

static struct overlay **overlay_slot(struct dbd_txn_log *l, const uint8_t *key, uint32_t len,
                                     uint32_t hash) {
        struct overlay **slot = &l->buckets[hash % OVERLAY_BUCKETS];

        for (; *slot; slot = &(*slot)->next)
                if ((*slot)->hash == hash && (*slot)->key_len == len && memcmp((*slot)->key, key, len) == 0)
                        break;
        return slot;
}

static int current_rsn(struct dbd_txn_log *l, const uint8_t *key, uint32_t len, dbd_txn_base_fn base,
                       void *userdata, uint64_t *ret) {
        struct overlay *o = *overlay_slot(l, key, len, ltdb_hash(key, len));

        if (o) {
                *ret = o->rsn;
                return 0;
        }
        return base(userdata, key, len, ret);
}

/* *ret_prev: the rsn the overlay had for the key before (0: none), for undoing it. */
static int overlay_set(struct dbd_txn_log *l, const struct db_record *w, uint64_t *ret_prev) {
        uint32_t hash = ltdb_hash(w->key, w->key_len);
        struct overlay **slot = overlay_slot(l, w->key, w->key_len, hash);

        *ret_prev = *slot ? (*slot)->rsn : 0;
        if (!*slot) {
                struct overlay *o = talloc_size(l, sizeof(*o) + w->key_len);

                if (!o)
                        return -ENOMEM;
                *o = (struct overlay) { .hash = hash, .key_len = w->key_len };
                memcpy(o->key, w->key, w->key_len);
                *slot = o;
        }
        (*slot)->rsn = w->rsn;
        return 0;
}

/* Undoes overlay_set() of w: back to the earlier commit's rsn, or gone if none. */
static void overlay_undo(struct dbd_txn_log *l, const struct db_record *w, uint64_t prev) {
        struct overlay **slot = overlay_slot(l, w->key, w->key_len, ltdb_hash(w->key, w->key_len));
        struct overlay *o = *slot;

        if (o && prev) {
                o->rsn = prev;
        } else if (o) {
                *slot = o->next;
                talloc_free(o);
        }
}

static void overlay_forget(struct dbd_txn_log *l, const struct db_record *w) {
        struct overlay **slot = overlay_slot(l, w->key, w->key_len, ltdb_hash(w->key, w->key_len));
        struct overlay *o = *slot;

        /* A later commit wrote it again: that one still counts. */
        if (o && o->rsn == w->rsn) {
                *slot = o->next;
                talloc_free(o);
        }
}

static struct dbd_txn_entry *entry_copy(struct dbd_txn_log *l, uint32_t origin, uint32_t id,
                                        const struct db_txn *txn) {
        struct dbd_txn_entry *e = talloc_zero(l, struct dbd_txn_entry);

        if (!e)
                return NULL;
        *e = (struct dbd_txn_entry) { .origin = origin, .id = id, .seqnum = l->seqnum + 1,
                                      .n_writes = txn->n_writes };
        e->writes = talloc_zero_array(e, struct db_record, txn->n_writes ? txn->n_writes : 1);
        if (!e->writes)
                return talloc_free(e), NULL;
        for (uint32_t i = 0; i < txn->n_writes; i++) {
                const struct db_record *w = &txn->writes[i];
                uint8_t *copy = talloc_size(e->writes, w->key_len + w->value_len + 1);

                if (!copy)
                        return talloc_free(e), NULL;
                memcpy(copy, w->key, w->key_len);
                if (w->value_len)
                        memcpy(copy + w->key_len, w->value, w->value_len);
                e->writes[i] = (struct db_record) { .rsn = e->seqnum, .dmaster = origin,
                                                    .key = copy, .key_len = w->key_len,
                                                    .value = copy + w->key_len, .value_len = w->value_len };
                e->bytes += 32u + w->key_len + w->value_len;
        }
        return e;
}

int dbd_txn_log_accept(struct dbd_txn_log *l, uint32_t origin, uint32_t id, const struct db_txn *txn,
                       dbd_txn_base_fn base, void *userdata, struct dbd_txn_entry **ret) {
        struct dbd_txn_entry *e;
        uint64_t *prevs;

        for (uint32_t i = 0; i < txn->n_reads; i++) {
                const struct db_txn_read *rd = &txn->reads[i];
                uint64_t rsn;
                int r = current_rsn(l, rd->key, rd->key_len, base, userdata, &rsn);

                if (r < 0)
                        return r;
                if (rsn != rd->rsn)
                        return -EBUSY;
        }
        e = entry_copy(l, origin, id, txn);
        if (!e)
                return -ENOMEM;
        prevs = talloc_zero_array(e, uint64_t, e->n_writes ? e->n_writes : 1);
        if (!prevs) {
                talloc_free(e);
                return -ENOMEM;
        }
        for (uint32_t i = 0; i < e->n_writes; i++) {
                int r = overlay_set(l, &e->writes[i], &prevs[i]);

                if (r < 0) {
                        /* Back to what the commits before had written, the newest first. */
                        for (uint32_t j = i; j-- > 0;)
                                overlay_undo(l, &e->writes[j], prevs[j]);
                        talloc_free(e);
                        return r;
                }
        }
        talloc_free(prevs);
        l->seqnum = e->seqnum;
        if (l->tail)
                l->tail->next = e;
        else
                l->head = e;
        l->tail = e;
        if (!l->unsent)
                l->unsent = e;
        l->n++;
        if (ret)
                *ret = e;
        return 0;
}

size_t dbd_txn_log_next_batch(struct dbd_txn_log *l, size_t max_bytes, size_t max_txns,
                              struct dbd_txn_entry **ret_first) {
        size_t n = 0, bytes = 0;

        *ret_first = l->unsent;
        while (l->unsent && n < max_txns && (n == 0 || bytes + l->unsent->bytes <= max_bytes)) {
                bytes += l->unsent->bytes;
                l->unsent = l->unsent->next;
                n++;
        }
        l->n_sent += n;
        return n;
}

void dbd_txn_log_complete(struct dbd_txn_log *l, uint64_t seq_to,
                          void (*fn)(void *userdata, const struct dbd_txn_entry *e), void *userdata) {
        while (l->head && l->head != l->unsent && l->head->seqnum <= seq_to) {
                struct dbd_txn_entry *e = l->head;

                l->head = e->next;
                if (!l->head)
                        l->tail = NULL;
                l->n--;
                l->n_sent--;
                if (fn)
                        fn(userdata, e);
                for (uint32_t i = 0; i < e->n_writes; i++)
                        overlay_forget(l, &e->writes[i]);
                talloc_free(e);
        }
}
