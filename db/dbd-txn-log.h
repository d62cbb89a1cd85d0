#pragma once

/*
 * The commit coordinator's log of one persistent or replicated database: the
 * commits it accepted that are not yet durable on every node, in seqnum order,
 * and an overlay of their writes by key. A commit is accepted only if every
 * key it read still has the rsn it saw, counting those accepted commits (the
 * overlay) before the file: so a commit that read what another changed
 * meanwhile is refused (-EBUSY) instead of overwriting it. A written record
 * takes the commit's seqnum as its rsn, so rsns never repeat. Pure: no I/O,
 * the file is asked through a callback (tests/unit/test-dbd-txn-log.c).
 */

#include <stddef.h>
#include <stdint.h>

#include "db-proto.h"

struct dbd_txn_log;

/* One accepted commit: its origin's request and its writes (copies; rsn = seqnum, dmaster = origin). */
struct dbd_txn_entry {
        struct dbd_txn_entry *next;
        uint32_t origin;
        uint32_t id;
        uint64_t seqnum;
        uint32_t n_writes;
        struct db_record *writes;
        size_t bytes;           /* marshalled size of the writes, about */
};

/* Counting from seqnum (the file's); a talloc child of mem_ctx. */
int dbd_txn_log_new(void *mem_ctx, uint64_t seqnum, struct dbd_txn_log **ret);
/* The last seqnum given out. */
uint64_t dbd_txn_log_seqnum(const struct dbd_txn_log *l);
/* Commits accepted and not yet completed. */
size_t dbd_txn_log_pending(const struct dbd_txn_log *l);

/* The rsn key has in the file (0: no record), or negative errno. */
typedef int (*dbd_txn_base_fn)(void *userdata, const uint8_t *key, size_t len, uint64_t *ret_rsn);

/*
 * Checks txn's reads and accepts it with the next seqnum (*ret, may be NULL).
 * -EBUSY: a read key changed; nothing of it is kept. The log copies what it keeps.
 */
int dbd_txn_log_accept(struct dbd_txn_log *l, uint32_t origin, uint32_t id, const struct db_txn *txn,
                       dbd_txn_base_fn base, void *userdata, struct dbd_txn_entry **ret);

/*
 * The next commits to send, oldest first, marked sent: at least one (if any
 * is waiting), then more while they fit max_bytes and max_txns. Returns how
 * many; *ret_first the first of them (the rest follow by ->next).
 */
size_t dbd_txn_log_next_batch(struct dbd_txn_log *l, size_t max_bytes, size_t max_txns,
                              struct dbd_txn_entry **ret_first);
/* Whether commits are sent and not completed. */
int dbd_txn_log_in_flight(const struct dbd_txn_log *l);

/*
 * Every sent commit up to seq_to is durable everywhere: fn sees each (oldest
 * first), then it and its overlay entries are forgotten.
 */
void dbd_txn_log_complete(struct dbd_txn_log *l, uint64_t seq_to,
                          void (*fn)(void *userdata, const struct dbd_txn_entry *e), void *userdata);
