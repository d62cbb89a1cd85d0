/*
 * Stands in for the transaction engine (dbd-txn.c) until it lands, so that the
 * D-Bus glue of dbd-bus-txn.c builds and its validation can be tested: a
 * persistent or replicated database cannot be attached yet, and were one
 * attached, its transactions would be refused as not supported.
 */

#include <errno.h>

#include "dbd-internal.h"

int dbd_db_transaction(dbd_db *db, const struct dbd_txn_write *writes, size_t n, dbd_commit_fn done,
                       void *userdata) {
        if (dbd_db_kind(db) == LTDB_VOLATILE)
                return -EINVAL;
        return -EOPNOTSUPP;
}
