/* Records in batches; see dbd-batch.h. */

#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "dbd-batch.h"

/* What one record adds to a batch on the wire: rsn, dmaster, flags, two lengths. */
#define RECORD_OVERHEAD 24u

void dbd_batch_init(struct dbd_batch *b, uint32_t db_id, dbd_batch_flush_fn flush, void *userdata) {
        *b = (struct dbd_batch) { .db_id = db_id, .flush = flush, .userdata = userdata };
}

void dbd_batch_clear(struct dbd_batch *b) {
        TALLOC_FREE(b->ctx);
        b->records = (struct db_records) { 0 };
        b->cap = 0;
        b->bytes = 0;
}

static int batch_flush(struct dbd_batch *b, bool last) {
        int r;

        b->records.db_id = b->db_id;
        b->records.last = last;
        r = b->flush(b->userdata, &b->records);
        b->sent += b->records.n_records;
        dbd_batch_clear(b);
        return r;
}

int dbd_batch_add(struct dbd_batch *b, const uint8_t *key, size_t key_len, const struct ltdb_header *h,
                  const uint8_t *value, size_t value_len) {
        struct db_record *rec;
        uint8_t *copy;

        if (key_len > DB_KEY_MAX || value_len > DB_VALUE_MAX)
                return -E2BIG;
        if (b->records.n_records > 0 &&
            (b->bytes + RECORD_OVERHEAD + key_len + value_len > DB_BATCH_BYTES ||
             b->records.n_records >= DB_BATCH_RECORDS)) {
                int r = batch_flush(b, false);

                if (r < 0)
                        return r;
        }
        if (!b->ctx && !(b->ctx = talloc_new(NULL)))
                return -ENOMEM;
        if (b->records.n_records == b->cap) {
                uint32_t cap = b->cap ? b->cap * 2 : 64;
                struct db_record *a = talloc_realloc(b->ctx, b->records.records, struct db_record, cap);

                if (!a)
                        return -ENOMEM;
                b->records.records = a;
                b->cap = cap;
        }
        copy = talloc_size(b->ctx, key_len + value_len + 1);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, key, key_len);
        if (value_len)
                memcpy(copy + key_len, value, value_len);
        rec = &b->records.records[b->records.n_records++];
        *rec = (struct db_record) {
                .rsn = h->rsn,
                .dmaster = h->dmaster,
                .flags = h->flags,
                .key = copy,
                .key_len = (uint32_t) key_len,
                .value = copy + key_len,
                .value_len = (uint32_t) value_len,
        };
        b->bytes += RECORD_OVERHEAD + key_len + value_len;
        return 0;
}

int dbd_batch_finish(struct dbd_batch *b) {
        return batch_flush(b, true);
}
