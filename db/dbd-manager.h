#pragma once

/*
 * ctdb-dbd's manager: the databases of this node, its view of the cluster
 * (from ctdb-clusterd's properties: ThisNode, Generation, Recovering, VnnMap,
 * Leader), the tunnel to the other nodes' dbd (CTDB_TUNNEL_DBD through
 * ctdb-tunneld) and db.sock for local clients. Record traffic is in
 * dbd-migrate.c, recovery in dbd-recovery.c, vacuuming in dbd-vacuum.c; the
 * D-Bus glue (org.ctdb.db1) in dbd-bus.c calls what is declared here.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "daemon.h"
#include "ltdb.h"

typedef struct dbd_manager dbd_manager;
typedef struct dbd_db dbd_db;

int dbd_manager_new(void *mem_ctx, struct daemon_context *d, dbd_manager **ret);
int dbd_manager_start(dbd_manager *m);

/*
 * One frame of dbd's tunnel (an inner message of DBD_MSG_KINDS) from node src,
 * as tunneld delivers it: what its handler returns, -ENOMSG for a kind dbd
 * does not handle, -EBADMSG for a malformed frame. The tests and fuzzers feed
 * frames here too.
 */
int dbd_manager_receive(dbd_manager *m, uint32_t src, const uint8_t *data, size_t len);

sd_bus *dbd_manager_bus(dbd_manager *m);
uint32_t dbd_manager_pnn(dbd_manager *m);

/* The attached databases, in attach order (index 0 .. n-1). */
size_t dbd_manager_n_dbs(dbd_manager *m);
dbd_db *dbd_manager_db(dbd_manager *m, size_t i);
dbd_db *dbd_manager_find(dbd_manager *m, const char *name);
dbd_db *dbd_manager_find_id(dbd_manager *m, uint32_t db_id);

/*
 * Attaches name as kind on this node (opening or creating its file); the other
 * nodes attach it at the next recovery, which this starts when the database is
 * new. -EINVAL for a bad name (ltdb_name_is_valid()), -EEXIST when attached
 * with another kind, -EOPNOTSUPP for a kind not served yet.
 */
int dbd_manager_attach(dbd_manager *m, const char *name, enum ltdb_kind kind, dbd_db **ret);

const char *dbd_db_name(const dbd_db *db);
enum ltdb_kind dbd_db_kind(const dbd_db *db);
uint32_t dbd_db_id(const dbd_db *db);
const char *dbd_db_path(const dbd_db *db);
/* The D-Bus object path of the database (/org/ctdb/db1/db/<escaped name>). */
const char *dbd_db_object_path(const dbd_db *db);
/* Records in this node's file (live, deleted and pointers alike). */
uint64_t dbd_db_records(dbd_db *db);
uint64_t dbd_db_seqnum(const dbd_db *db);
bool dbd_db_readonly(const dbd_db *db);
bool dbd_db_sticky(const dbd_db *db);

/*
 * Record operations of the control plane, asynchronous: they may wait for
 * another node or for a recovery. done is called exactly once: error 0 or
 * negative (-ENOENT: no such record), value valid until done returns. It may
 * run before the call returns (a record this node holds is answered at once),
 * so the caller sets up what done needs first. A negative return means done
 * will not be called.
 */
typedef void (*dbd_value_fn)(void *userdata, int error, const uint8_t *value, size_t len);
typedef void (*dbd_done_fn)(void *userdata, int error);
/* One key of a Keys() answer. */
struct dbd_key {
        const uint8_t *key;
        size_t len;
};
typedef void (*dbd_keys_fn)(void *userdata, int error, const struct dbd_key *keys, size_t n);
/* One record of a Dump() answer, as the node that is its dmaster holds it. */
struct dbd_record_view {
        const uint8_t *key;
        size_t key_len;
        const uint8_t *value;
        size_t value_len;
        uint64_t rsn;
        uint32_t dmaster;
        uint32_t flags;
};
typedef void (*dbd_records_fn)(void *userdata, int error, const struct dbd_record_view *records, size_t n);

/* The current value wherever the record lives, without moving it. */
int dbd_db_fetch(dbd_db *db, const uint8_t *key, size_t key_len, dbd_value_fn done, void *userdata);
/* Migrates the record here and stores value, as a client's fetch-lock + store would. */
int dbd_db_store(dbd_db *db, const uint8_t *key, size_t key_len, const uint8_t *value, size_t len,
                 dbd_done_fn done, void *userdata);
/* Migrates the record here and deletes it (queued for vacuuming). */
int dbd_db_delete(dbd_db *db, const uint8_t *key, size_t key_len, dbd_done_fn done, void *userdata);
/* Up to max live keys of the whole cluster. */
int dbd_db_keys(dbd_db *db, uint32_t max, dbd_keys_fn done, void *userdata);
/* Up to max live records of the whole cluster, with rsn, dmaster and flags (ctdbctl db dump). */
int dbd_db_dump(dbd_db *db, uint32_t max, dbd_records_fn done, void *userdata);
/* Removes every record on every active node. */
int dbd_db_wipe(dbd_db *db, dbd_done_fn done, void *userdata);
/* Switches read-only delegations / sticky records on, on every node (CTDB's setdbreadonly/-sticky). */
int dbd_db_set_readonly(dbd_db *db, dbd_done_fn done, void *userdata);
int dbd_db_set_sticky(dbd_db *db, dbd_done_fn done, void *userdata);

/* ---- transactions (persistent and replicated databases, dbd-txn.c) ------- */

/* One write of a transaction; value_len 0 deletes the key (CTDB's empty record). */
struct dbd_txn_write {
        const uint8_t *key;
        size_t key_len;
        const uint8_t *value;
        size_t value_len;
};
/* done: error 0 with the database's seqnum after this commit, or negative:
 * -EINVAL volatile database, -ENOLINK not quorate (this node is in a minority),
 * -EBUSY a conflicting commit won (retry), -EAGAIN a recovery ended it (retry),
 * -E2BIG over a limit. */
typedef void (*dbd_commit_fn)(void *userdata, int error, uint64_t seqnum);
/* Commits writes atomically on every active node (persistent/replicated only);
 * done exactly once (possibly before this returns); a negative return means done is not called. */
int dbd_db_transaction(dbd_db *db, const struct dbd_txn_write *writes, size_t n, dbd_commit_fn done,
                       void *userdata);
