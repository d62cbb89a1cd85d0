#pragma once

/*
 * ctdb-dbd's contracts with its local clients and with clusterd, described once
 * (common/wire.h) and shared by ctdb-dbd, libctdb-client and ctdb-clusterd.
 *
 * db.sock (`[paths] runtime directory`/db.sock): SOCK_SEQPACKET, one frame per
 * packet, HELLO both ways first (common/local-server.c), then requests from the
 * client. A request carries an id of the client's choosing in header.srvid; its
 * answer carries the same id, and answers may come in any order:
 *   ATTACH   -> ATTACH_REPLY   attach (or create) a database by name and kind
 *   MIGRATE  -> REPLY          make this node the record's dmaster (fetch-lock's
 *                              slow path); answered once the record is in this
 *                              node's file with dmaster = this node, so the
 *                              client's retry under its chain lock finds it
 *   FETCH    -> VALUE          the current value wherever the record lives,
 *                              without moving it (DB_FETCH_READONLY: leave a
 *                              read-only copy here, on a database with
 *                              read-only delegations)
 *   TRAVERSE -> RECORDS...     every live record of the cluster, in batches;
 *                              the last batch has last = 1 (REPLY on failure)
 *   DELETED  (no answer)       the client stored a header-only record (a
 *                              delete); dbd queues the key for vacuuming
 *   TXN_COMMIT -> TXN_RESULT   commit a transaction on a persistent or
 *                              replicated database: what it read (each key
 *                              with the rsn seen, 0 for no record) and what
 *                              it writes; answered once it is durable on
 *                              every active node (or with why not)
 *   GLOCK_LOCK   -> GLOCK_REPLY   a cluster-wide g_lock by name (1 to
 *                              DB_KEY_MAX bytes), shared or exclusive, for
 *                              this client's process (SO_PEERCRED's pid);
 *                              answered once granted, or ETIMEDOUT after
 *                              timeout_ms (0: wait for ever), EDEADLK when the
 *                              process holds or waits for it already, E2BIG
 *                              over DB_GLOCK_PER_CLIENT or the lock's waiters
 *   GLOCK_UNLOCK -> GLOCK_REPLY   releases it (ENOENT: not held)
 *   GLOCK_LIST   -> GLOCK_ENTRIES every lock of the cluster with its holders
 *                              and waiters, as the lock master has them
 * Errors are positive errnos in the answer: ENOENT (no such database or
 * record), EINVAL (bad request), E2BIG (over a limit below), EAGAIN (try again
 * shortly; for a commit: nothing of it was written anywhere), ESHUTDOWN (dbd
 * is stopping), EBUSY (a commit read a key another commit changed since),
 * ENOLINK (this node is not in the quorate part of the cluster).
 *
 * ctdb-dbd -> ctdb-clusterd: the recovery coordinator's RECOVERED, an inner
 * message (wire_inner_*()) in a MESSAGE to the leader's CTDB_SRVID_DB_RECOVERY.
 */

#include <stdint.h>

#include "wire.h"

/* Limits of every path into the databases (db.sock, D-Bus, peers). */
#define DB_KEY_MAX      (16u * 1024u)
#define DB_VALUE_MAX    (256u * 1024u)
#define DB_NAME_MAX     255u
#define DB_PATH_MAX     4096u
/* Bytes of records per RECORDS batch (local or between nodes). */
#define DB_BATCH_BYTES  (128u * 1024u)
#define DB_BATCH_RECORDS 65536u
/*
 * One transaction: at most this many reads and writes each, and this many
 * bytes of keys and values with 32 bytes counted per record, so that it always
 * fits one frame between nodes.
 */
#define DB_TXN_RECORDS  10000u
#define DB_TXN_BYTES    (768u * 1024u)
/* The record that holds a persistent database's seqnum (u64, host order), as CTDB and Samba keep it. */
#define DB_SEQNUM_KEY   "__db_sequence_number__"

#define DB_LOCAL_KINDS(X)                                                                               \
        X(ATTACH, 64, db_attach_desc)                                                                   \
        X(ATTACH_REPLY, 65, db_attach_reply_desc)                                                       \
        X(MIGRATE, 66, db_key_req_desc)                                                                 \
        X(REPLY, 67, db_reply_desc)                                                                     \
        X(FETCH, 68, db_key_req_desc)                                                                   \
        X(VALUE, 69, db_value_desc)                                                                     \
        X(TRAVERSE, 70, db_traverse_desc)                                                               \
        X(RECORDS, 71, db_records_desc)                                                                 \
        X(DELETED, 72, db_key_req_desc)                                                                 \
        X(TXN_COMMIT, 73, db_txn_desc)                                                                  \
        X(TXN_RESULT, 74, db_txn_result_desc)                                                           \
        X(GLOCK_LOCK, 80, db_glock_lock_desc)                                                           \
        X(GLOCK_REPLY, 81, db_glock_reply_desc)                                                         \
        X(GLOCK_UNLOCK, 82, db_glock_unlock_desc)                                                       \
        X(GLOCK_LIST, 83, db_glock_list_desc)                                                           \
        X(GLOCK_ENTRIES, 84, db_glock_entries_desc)

enum db_local_kind {
#define DB_LOCAL_ENUM_(name, value, desc) DB_LOCAL_##name = (value),
        DB_LOCAL_KINDS(DB_LOCAL_ENUM_)
#undef DB_LOCAL_ENUM_
};

struct db_attach {
        uint32_t kind;                  /* enum ltdb_kind */
        uint32_t name_len;
        char *name;
};

struct db_attach_reply {
        int32_t error;
        uint32_t db_id;
        uint32_t tdb_flags;             /* open the file with exactly these (ltdb_tdb_flags()) */
        uint32_t hash_size;
        uint32_t path_len;
        char *path;
};

/* MIGRATE, FETCH, DELETED */
#define DB_FETCH_READONLY 0x1u
struct db_key_req {
        uint32_t db_id;
        uint32_t flags;
        uint32_t key_len;
        const uint8_t *key;
};

struct db_reply {
        int32_t error;
};

struct db_value {
        int32_t error;
        uint64_t rsn;
        uint32_t dmaster;
        uint32_t value_len;
        const uint8_t *value;
};

struct db_traverse {
        uint32_t db_id;
        uint32_t flags;
};

/* One record with its header fields, in RECORDS and in dbd's batches between nodes. */
struct db_record {
        uint64_t rsn;
        uint32_t dmaster;
        uint32_t flags;
        uint32_t key_len;
        const uint8_t *key;
        uint32_t value_len;
        const uint8_t *value;
};

struct db_records {
        uint32_t db_id;
        uint8_t last;
        uint32_t n_records;
        struct db_record *records;
};

/*
 * TXN_COMMIT's flags. DB_TXN_UNLOCK: the client holds the database's
 * transaction lock (g_lock "transaction_db_0x%08x", DB_TXN_LOCK_NAME) and
 * gives it up with this commit: it is released as soon as the coordinator
 * accepted (or refused) the commit, and whoever gets it next reads only after
 * its own node applied the commit (docs/architecture.md). Held or not, the
 * client holds it no more once the answer comes.
 */
#define DB_TXN_UNLOCK      0x1u
#define DB_TXN_LOCK_NAME   "transaction_db_0x%08x"

/* A read of a transaction: the key and the rsn its record had (0: no record). */
struct db_txn_read {
        uint64_t rsn;
        uint32_t key_len;
        const uint8_t *key;
};

/* TXN_COMMIT; writes use key and value only (value_len 0 deletes the key). */
struct db_txn {
        uint32_t db_id;
        uint32_t flags;
        uint32_t n_reads;
        struct db_txn_read *reads;
        uint32_t n_writes;
        struct db_record *writes;
};

struct db_txn_result {
        int32_t error;
        uint64_t seqnum;        /* the database's seqnum with this commit */
};

/* g_lock (GLOCK_*): modes as libctdb-client's enum ctdb_glock_mode. */
#define DB_GLOCK_SHARED    0u
#define DB_GLOCK_EXCLUSIVE 1u
/* Locks one client may hold or wait for at once, and waiters one lock may have. */
#define DB_GLOCK_PER_CLIENT 256u
#define DB_GLOCK_WAITERS    4096u
/* Entries one GLOCK_ENTRIES answer lists at most (truncated = 1 beyond it or beyond a frame). */
#define DB_GLOCK_LIST_MAX   65536u

struct db_glock_lock {
        uint32_t mode;
        uint32_t timeout_ms;
        uint32_t name_len;
        char *name;
};

struct db_glock_unlock {
        uint32_t name_len;
        char *name;
};

struct db_glock_list {
        uint32_t flags;
};

/* One holder or waiter of a lock, in GLOCK_ENTRIES and in dbd's answer between nodes. */
struct db_glock_entry {
        uint32_t pnn;
        uint32_t pid;
        uint32_t mode;
        uint8_t held;
        uint32_t name_len;
        char *name;
};

struct db_glock_entries {
        int32_t error;
        uint8_t truncated;
        uint32_t n_entries;
        struct db_glock_entry *entries;
};

/* dbd's recovery coordinator -> the leader's clusterd: generation done (error 0) or failed. */
enum db_recovery_kind {
        DB_RECOVERY_RECOVERED = 1,
};

struct db_recovered {
        uint32_t generation;
        int32_t error;
};

extern const struct wire_desc db_attach_desc;
extern const struct wire_desc db_attach_reply_desc;
extern const struct wire_desc db_key_req_desc;     /* kind 0: MIGRATE, FETCH and DELETED share it */
extern const struct wire_desc db_reply_desc;
extern const struct wire_desc db_value_desc;
extern const struct wire_desc db_traverse_desc;
extern const struct wire_desc db_records_desc;
extern const struct wire_desc db_record_desc;      /* one struct db_record, for nesting */
extern const struct wire_desc db_recovered_desc;
extern const struct wire_desc db_txn_desc;
extern const struct wire_desc db_txn_result_desc;

/*
 * Whether a transaction keeps the limits above (counts, sizes, keys of 1 byte
 * or more): 0, -EINVAL or -E2BIG. Every path into a commit checks it.
 */
int db_txn_check(const struct db_txn *txn);
extern const struct wire_desc db_glock_lock_desc;
extern const struct wire_desc db_glock_reply_desc;         /* struct db_reply */
extern const struct wire_desc db_glock_unlock_desc;
extern const struct wire_desc db_glock_list_desc;
extern const struct wire_desc db_glock_entries_desc;
extern const struct wire_desc db_glock_entry_desc;         /* one struct db_glock_entry, for nesting */

/* "ATTACH", "MIGRATE", ...; "unknown" for another kind. */
const char *db_local_kind_to_string(uint16_t kind);
