#pragma once

/*
 * Records in batches: what a traverse, a recovery pull and a push send. A
 * batch copies what it is given (a tdb traverse's key and value live only
 * during its callback) and hands itself to flush once it holds DB_BATCH_BYTES;
 * dbd_batch_finish() flushes the rest with last = 1.
 */

#include <stddef.h>
#include <stdint.h>

#include "db-proto.h"
#include "ltdb.h"

typedef int (*dbd_batch_flush_fn)(void *userdata, const struct db_records *batch);

struct dbd_batch {
        void *ctx;              /* the current batch's copies */
        uint32_t db_id;
        struct db_records records;
        uint32_t cap;
        size_t bytes;
        dbd_batch_flush_fn flush;
        void *userdata;
        uint64_t sent;          /* records flushed so far */
};

void dbd_batch_init(struct dbd_batch *b, uint32_t db_id, dbd_batch_flush_fn flush, void *userdata);
int dbd_batch_add(struct dbd_batch *b, const uint8_t *key, size_t key_len, const struct ltdb_header *h,
                  const uint8_t *value, size_t value_len);
/* Flushes what is left as the last batch (possibly empty) and frees the copies. */
int dbd_batch_finish(struct dbd_batch *b);
/* Frees the copies without flushing (an error path). */
void dbd_batch_clear(struct dbd_batch *b);
