#pragma once

/*
 * One database file of this node: a tdb with CTDB's record header in front of
 * every value (common/ltdb.h), opened with the flags of its kind and shared
 * with local clients that open it themselves (as smbd does). ctdb-dbd never
 * blocks on a chain lock a client holds: it tries, and its caller retries
 * later (dbd-migrate.c). The freeze of a recovery holds every chain at once
 * (tdb_lockall), after which the daemon may read and write anything while
 * clients wait in their own chain locks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "db-proto.h"
#include "ltdb.h"

struct tdb_context;
struct dbd_store;

/*
 * Opens path (created; removed first when wipe is set, so that a volatile
 * database starts empty even if a stale client still has the old file open).
 * A talloc child of mem_ctx; freeing it closes the file.
 */
int dbd_store_open(void *mem_ctx, const char *path, enum ltdb_kind kind, bool wipe, struct dbd_store **ret);
struct tdb_context *dbd_store_tdb(struct dbd_store *s);
int dbd_store_tdb_flags(const struct dbd_store *s);

/* The chain of key, without waiting: 0, -EAGAIN when another process holds it. Free while frozen. */
int dbd_store_trylock(struct dbd_store *s, const uint8_t *key, size_t len);
void dbd_store_unlock(struct dbd_store *s, const uint8_t *key, size_t len);

/*
 * With the chain locked (or frozen): the record's header and a talloc copy of
 * its value on mem_ctx (NULL/0 for a header-only record). -ENOENT when the key
 * has no record, -EBADMSG for one shorter than a header (which a client wrote).
 */
int dbd_store_fetch(struct dbd_store *s, void *mem_ctx, const uint8_t *key, size_t len,
                    struct ltdb_header *ret_header, uint8_t **ret_value, size_t *ret_value_len);
/* Only the header: as dbd_store_fetch() without copying the value. */
int dbd_store_fetch_header(struct dbd_store *s, const uint8_t *key, size_t len, struct ltdb_header *ret);
int dbd_store_store(struct dbd_store *s, const uint8_t *key, size_t len, const struct ltdb_header *h,
                    const uint8_t *value, size_t value_len);
/* Removes the record; 0 also when there was none. */
int dbd_store_delete(struct dbd_store *s, const uint8_t *key, size_t len);

/*
 * Persistent and replicated databases. The seqnum is the u64 value of
 * DB_SEQNUM_KEY (0 without one); its header's reserved1 holds the epoch,
 * the generation of the recovery that last stamped the copy.
 */
int dbd_store_seqnum(struct dbd_store *s, uint64_t *ret_seqnum, uint32_t *ret_epoch);
/*
 * Writes records (value_len 0: a header-only record, i.e. deleted) and the
 * seqnum record in one tdb transaction: all of it or nothing, on disk before
 * it returns unless the file is opened with TDB_NOSYNC (replicated).
 */
int dbd_store_apply(struct dbd_store *s, const struct db_record *records, size_t n, uint64_t seqnum,
                    uint32_t epoch);
/* Writes epoch into the seqnum record (a transaction; nothing when it is there already). */
int dbd_store_stamp(struct dbd_store *s, uint32_t epoch);
/*
 * As dbd_store_apply(), but it returns once the batch is visible in the file,
 * and done runs from event's loop once it is durable as well (a persistent
 * file's log is synced by a thread meanwhile, dbd-wal.h). 1: durable already
 * (a replicated file: done will not run); 0: done will run; negative errno.
 */
typedef void (*dbd_store_durable_fn)(void *userdata, int error);
int dbd_store_apply_visible(struct dbd_store *s, sd_event *event, const struct db_record *records, size_t n,
                            uint64_t seqnum, uint32_t epoch, dbd_store_durable_fn done, void *userdata);
/*
 * A transaction that wipes the file and fills it again from several calls
 * (a recovery's push), frozen meanwhile: begin, put..., commit (or cancel).
 */
int dbd_store_replace_begin(struct dbd_store *s);
int dbd_store_replace_commit(struct dbd_store *s);
void dbd_store_replace_cancel(struct dbd_store *s);

/* Takes every chain without waiting: 0, -EAGAIN while a client holds one. */
int dbd_store_freeze(struct dbd_store *s);
void dbd_store_thaw(struct dbd_store *s);
bool dbd_store_is_frozen(const struct dbd_store *s);
/* Frozen only: removes every record. */
int dbd_store_wipe(struct dbd_store *s);

/*
 * Calls fn for every record (frozen, or as a read traverse that takes chain
 * locks one at a time); a record shorter than a header is skipped. fn's
 * non-zero return stops the walk and is returned. Returns 0 or negative errno.
 */
typedef int (*dbd_store_fn)(void *userdata, const uint8_t *key, size_t key_len, const struct ltdb_header *h,
                            const uint8_t *value, size_t value_len);
int dbd_store_traverse(struct dbd_store *s, dbd_store_fn fn, void *userdata);
/* Records in the file (tdb's count, header-only ones included). */
uint64_t dbd_store_records(struct dbd_store *s);
/* Rewrites the file without its free space (tdb_repack), frozen meanwhile; skipped while a client holds a
 * chain. */
void dbd_store_repack(struct dbd_store *s, const char *name);
