#pragma once

/*
 * libctdb-client, databases: the record API of ctdb-dbd for applications, the
 * fast path Samba's dbwrap takes. A client connects to dbd's local socket
 * (default /run/ctdb/db.sock, overridden by $CTDB_DB_SOCKET), attaches
 * databases by name and kind, and opens each database's tdb file itself with
 * the flags dbd names, so that records of which this node is the dmaster are
 * read and written without crossing a socket:
 *
 *   fetch-lock  locks the record's hash chain in the caller's process and
 *               reads CTDB's record header; when this node is the dmaster it
 *               is done, else it unlocks, asks dbd to migrate the record here
 *               (MIGRATE) and tries again;
 *   store       writes header + value under that lock (this node is dmaster);
 *   delete      stores a header-only record and tells dbd to vacuum it;
 *   fetch       reads without migrating: the local copy when this node is the
 *               dmaster or holds a read-only copy, else the value from wherever
 *               it lives (FETCH);
 *   traverse    every live record of the cluster, through dbd.
 *
 * Plain C types: no talloc and no event loop in this API. All functions are
 * thread-safe; calls may block (a migration waits for other nodes and for a
 * recovery to finish), each at most for the client's timeout. When dbd goes
 * away, every call in progress and every later one returns -ECONNRESET at once.
 * Values handed out are malloc()'d; the caller free()s them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ctdb_db_client ctdb_db_client;   /* a connection to db.sock */
typedef struct ctdb_db ctdb_db;                 /* an attached database */
typedef struct ctdb_record ctdb_record;         /* a record locked by fetch-lock */

enum ctdb_db_kind {
        CTDB_DB_VOLATILE = 0,
        CTDB_DB_PERSISTENT = 1,
        CTDB_DB_REPLICATED = 2,
};

/* The socket path used when none is given. */
const char *ctdb_db_default_socket(void);
/*
 * Connects and exchanges versions (blocking, at most 5 s). path NULL = default.
 * -ENOENT/-ECONNREFUSED when dbd is not running.
 */
int ctdb_db_connect(const char *path, ctdb_db_client **ret);
/* Closes the connection; the databases attached through it must be closed first. */
void ctdb_db_client_free(ctdb_db_client *c);
/* This node's pnn, as dbd told it. */
uint32_t ctdb_db_client_pnn(ctdb_db_client *c);
/* Longest a call blocks (default 60 s); -ETIMEDOUT after it. */
void ctdb_db_client_set_timeout(ctdb_db_client *c, unsigned msec);

/* Attaches (creating it cluster-wide if needed) and opens the database's file. */
int ctdb_db_attach(ctdb_db_client *c, const char *name, enum ctdb_db_kind kind, ctdb_db **ret);
/* Closes this process's handle (the database stays attached in the cluster). */
void ctdb_db_close(ctdb_db *db);
uint32_t ctdb_db_id(const ctdb_db *db);
const char *ctdb_db_path(const ctdb_db *db);

/*
 * Locks the record and makes this node its dmaster. *ret_value and *ret_len: a
 * copy of the current value (NULL and 0 for a record that is new or deleted;
 * both may be NULL). The lock is held until ctdb_record_unlock(), which must
 * come from the thread that locked (tdb's chain mutexes belong to a thread);
 * one record at a time per thread (tdb's DISALLOW_NESTING). Keys are 1 byte to
 * 16 KiB (-E2BIG above), values at most 256 KiB.
 */
int ctdb_db_fetch_lock(ctdb_db *db, const void *key, size_t key_len, ctdb_record **ret, void **ret_value,
                       size_t *ret_len);
/* Stores value under the lock (rsn and dmaster kept). */
int ctdb_record_store(ctdb_record *r, const void *value, size_t len);
/* Deletes under the lock: a header-only record, queued for vacuuming. */
int ctdb_record_delete(ctdb_record *r);
/* Unlocks and frees r; NULL is fine. */
void ctdb_record_unlock(ctdb_record *r);

/*
 * Reads a value without moving the record. -ENOENT when there is none.
 * readonly: on a database with read-only delegations, leave a read-only copy
 * here so that the next read is local (until the dmaster revokes it).
 */
int ctdb_db_fetch(ctdb_db *db, const void *key, size_t key_len, bool readonly, void **ret_value,
                  size_t *ret_len);

/* Called per live record; key and value live until it returns. Non-zero stops the traverse. */
typedef int (*ctdb_traverse_fn)(const void *key, size_t key_len, const void *value, size_t len,
                                void *userdata);
/* Every live record of the cluster once. Returns the number of records seen, or negative. */
int ctdb_db_traverse(ctdb_db *db, ctdb_traverse_fn fn, void *userdata);

/*
 * Transactions on persistent and replicated databases. Reads come from this
 * node's copy (every node has all of it) and are remembered with the rsn
 * they saw; writes are buffered; the commit sends both to dbd, which applies
 * the writes atomically on every active node, or refuses the commit if a key
 * it read was changed by another commit meanwhile (-EBUSY: start again).
 * With CTDB_TXN_LOCKED the transaction first takes the cluster-wide g_lock
 * "transaction_db_0x%08x" (the database id; Samba's dbwrap_ctdb lock), so
 * locked transactions of a database run one at a time and never conflict
 * with each other. A transaction belongs to one thread at a time.
 */
typedef struct ctdb_txn ctdb_txn;

#define CTDB_TXN_LOCKED 0x1u

int ctdb_txn_start(ctdb_db *db, unsigned flags, ctdb_txn **ret);
/* The value as this transaction sees it (its own writes first); -ENOENT when there is none. */
int ctdb_txn_fetch(ctdb_txn *t, const void *key, size_t key_len, void **ret_value, size_t *ret_len);
int ctdb_txn_store(ctdb_txn *t, const void *key, size_t key_len, const void *value, size_t len);
int ctdb_txn_delete(ctdb_txn *t, const void *key, size_t key_len);
/*
 * Commits and frees t. 0: durable on every active node (ret_seqnum, may be
 * NULL: the database's seqnum with it). Otherwise nothing of it was written
 * anywhere: -EBUSY (a read key changed), -ENOLINK (this node is not in the
 * quorate part of the cluster), -ETIMEDOUT, -E2BIG (over DB_TXN_* limits). A
 * commit that a recovery ended is sent again by the library until its timeout.
 */
int ctdb_txn_commit(ctdb_txn *t, uint64_t *ret_seqnum);
/* Drops t and its writes (and its lock); NULL is fine. */
void ctdb_txn_cancel(ctdb_txn *t);
/* The seqnum of this node's copy (CTDB's __db_sequence_number__). */
int ctdb_db_seqnum(ctdb_db *db, uint64_t *ret);

