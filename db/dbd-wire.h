#pragma once

/*
 * ctdb-dbd's messages between nodes: inner messages (common/wire.h,
 * wire_inner_*()) in TUNNEL frames on tunnel id CTDB_TUNNEL_DBD, each kind
 * described once. Every one carries the sender's database generation; a
 * record message of another generation than the receiver's is never applied
 * (docs/architecture.md, "How a record travels").
 *
 * Records:
 *   MIGRATE   requester wants to become dmaster of key; sent to the dmaster
 *             its header names, else to the lmaster; a node that is not the
 *             dmaster forwards it (hops + 1)
 *   RECORD    the dmaster hands the record (rsn + 1) to the requester
 *   DMASTER   ... and tells the lmaster where it went (rsn orders these)
 *   RETRY     a MIGRATE or FETCH was not served (stale generation, hop limit,
 *             unknown database): the requester tries again via the lmaster
 *   FETCH     read the value where it lives, routed like MIGRATE; VALUE answers
 *             (with DBD_FETCH_READONLY on a read-only database the dmaster
 *             delegates: the requester keeps a read-only copy)
 *   REVOKE    the dmaster, before a write or a hand-off, has every node drop
 *             its read-only copy; ACK answers
 *   TRAVERSE  a node's live records (it is their dmaster) of one database;
 *             answered by RECORDS batches
 *   WIPE      remove every record of a database; ACK answers
 * Vacuuming (dbd-vacuum.c):
 *   VACUUM    a dmaster hands deleted (header-only) records back to their
 *             lmaster (rsn + 1), in bulk; no answer
 *   PURGE     the lmaster asks every other node to drop its copies of those
 *             records that are not newer; ACK answers, then it drops its own
 * Recovery (coordinator -> every active node; ACK / RECORDS answer):
 *   FREEZE    stop record traffic, take every chain; ACK lists the node's databases
 *   ATTACH    attach these databases (a database on one node is on all)
 *   PULL      send every record of a database (RECORDS batches)
 *   PUSH      records of a database after the merge (a batch; last = 1 ends it);
 *             the first batch of a generation wipes the node's copy
 *   THAW      take the generation and VnnMap, release the chains, resume
 * Outside recovery:
 *   ATTACHED  a client attached these volatile databases on the sender: attach
 *             them too (CTDB broadcasts DB_ATTACH alike); ATTACH's layout, no answer
 * Transactions on persistent and replicated databases (dbd-txn.c):
 *   TXN       a node's client commits: its reads and writes, to the commit
 *             coordinator (the recovery coordinator); TXN_DONE answers
 *   TXN_DONE  committed on every node (with the seqnum), or refused
 *   UPDATE    the coordinator's batch of commits (seqnums seq_from + 1 ..
 *             seq_to, in order) to every active node, itself included: applied
 *             in one tdb transaction where the node's seqnum is seq_from; ACK
 * g_lock (dbd-glock.c; every node -> the lock master, the recovery's coordinator):
 *   GLOCK_LOCK    queue (src, pid) for a lock; GLOCK_GRANT answers once granted
 *                 or refused (error), naming the request's id
 *   GLOCK_UNLOCK  remove (src, pid)'s entry of that id, held or waiting; no answer
 *   GLOCK_CLAIM   after a thaw, everything the node's clients hold and wait for,
 *                 in their order, in batches (last = 1 ends the node's claim)
 *   GLOCK_LIST    the master's table; GLOCK_ENTRIES answers
 * ctdbd.socket (dbd-ctdb.c; protocol/ctdb-server.h):
 *   CTDB_MESSAGE  a REQ_MESSAGE of a client for the clients of the receiver
 *                 that registered its srvid; no answer
 *   CTDB_CONTROL  a client's REQ_CONTROL (the whole packet) for the receiver
 *                 to run; CTDB_REPLY answers with its REPLY_CONTROL packet
 *   CTDB_TUNNEL   a client's REQ_TUNNEL for the receiver's client of that tunnel id
 *   CTDB_SEQNUM   the tdb seqnum of a database with ENABLE_SEQNUM changed on
 *                 the sender: the receiver raises its own (CTDB's UPDATE_SEQNUM)
 */

#include <stdint.h>

#include "db-proto.h"
#include "wire.h"

#define DBD_MSG_KINDS(X)                                                                                \
        X(MIGRATE, 1, dbd_migrate_desc)                                                                 \
        X(RECORD, 2, dbd_record_desc)                                                                   \
        X(DMASTER, 3, dbd_dmaster_desc)                                                                 \
        X(RETRY, 4, dbd_retry_desc)                                                                     \
        X(FETCH, 5, dbd_fetch_desc)                                                                     \
        X(VALUE, 6, dbd_value_desc)                                                                     \
        X(TRAVERSE, 7, dbd_traverse_desc)                                                               \
        X(RECORDS, 8, dbd_records_desc)                                                                 \
        X(WIPE, 9, dbd_wipe_desc)                                                                       \
        X(ACK, 10, dbd_ack_desc)                                                                        \
        X(VACUUM, 11, dbd_vacuum_desc)                                                                  \
        X(PURGE, 12, dbd_purge_desc)                                                                    \
        X(REVOKE, 13, dbd_revoke_desc)                                                                  \
        X(FREEZE, 16, dbd_freeze_desc)                                                                  \
        X(ATTACH, 17, dbd_attach_desc)                                                                  \
        X(PULL, 18, dbd_pull_desc)                                                                      \
        X(PUSH, 19, dbd_push_desc)                                                                   \
        X(THAW, 20, dbd_thaw_desc)                                                                      \
        X(TXN, 21, dbd_txn_desc)                                                                        \
        X(TXN_DONE, 22, dbd_txn_done_desc)                                                              \
        X(UPDATE, 23, dbd_update_desc)                                                                  \
        X(GLOCK_LOCK, 24, dbd_glock_lock_desc)                                                          \
        X(GLOCK_UNLOCK, 25, dbd_glock_unlock_desc)                                                      \
        X(GLOCK_GRANT, 26, dbd_glock_grant_desc)                                                        \
        X(GLOCK_CLAIM, 27, dbd_glock_claim_desc)                                                        \
        X(GLOCK_LIST, 28, dbd_glock_list_desc)                                                          \
        X(GLOCK_ENTRIES, 29, dbd_glock_entries_desc)                                                    \
        X(CTDB_MESSAGE, 30, dbd_ctdb_message_desc)                                                      \
        X(CTDB_CONTROL, 31, dbd_ctdb_control_desc)                                                      \
        X(CTDB_REPLY, 32, dbd_ctdb_reply_desc)                                                          \
        X(CTDB_SEQNUM, 33, dbd_ctdb_seqnum_desc)                                                        \
        X(CTDB_TUNNEL, 34, dbd_ctdb_tunnel_desc)                                                        \
        X(ATTACHED, 35, dbd_attached_desc)

enum dbd_msg_kind {
#define DBD_MSG_ENUM_(name, value, desc) DBD_MSG_##name = (value),
        DBD_MSG_KINDS(DBD_MSG_ENUM_)
#undef DBD_MSG_ENUM_
};

struct dbd_ctdb_message_msg {
        uint64_t srvid;
        uint32_t data_len;
        const uint8_t *data;
};

struct dbd_ctdb_tunnel_msg {
        uint64_t tunnel_id;
        uint32_t flags;
        uint32_t data_len;
        const uint8_t *data;
};

struct dbd_ctdb_seqnum_msg {
        uint32_t db_id;
};

/* CTDB_CONTROL and CTDB_REPLY: a packet of CTDB's client protocol, and the peer request's id. */
struct dbd_ctdb_packet_msg {
        uint32_t id;
        uint32_t packet_len;
        const uint8_t *packet;
};

/* Most nodes a VnnMap may list, most databases a node may have. */
#define DBD_MAX_NODES 1024u
#define DBD_MAX_DBS   1024u

struct dbd_migrate_msg {
        uint32_t generation;
        uint32_t db_id;
        uint32_t requester;
        uint32_t hops;
        uint32_t key_len;
        const uint8_t *key;
};

struct dbd_record_msg {
        uint32_t generation;
        uint32_t db_id;
        uint64_t rsn;
        uint32_t flags;
        uint32_t key_len;
        const uint8_t *key;
        uint32_t value_len;
        const uint8_t *value;
};

struct dbd_dmaster_msg {
        uint32_t generation;
        uint32_t db_id;
        uint64_t rsn;
        uint32_t dmaster;
        uint32_t key_len;
        const uint8_t *key;
};

struct dbd_retry_msg {
        uint32_t generation;
        uint32_t db_id;
        int32_t error;          /* positive errno: why */
        uint32_t key_len;
        const uint8_t *key;
};

#define DBD_FETCH_READONLY  0x1u      /* FETCH: a read-only copy is wanted */
#define DBD_VALUE_DELEGATED 0x1u      /* VALUE: keep it as a read-only copy */

struct dbd_fetch_msg {
        uint32_t id;            /* the requester's peer request, answered from any node */
        uint32_t first;         /* the node the requester sent it to (its peer request's pnn) */
        uint32_t generation;
        uint32_t db_id;
        uint32_t requester;
        uint32_t hops;
        uint32_t flags;
        uint32_t key_len;
        const uint8_t *key;
};

struct dbd_value_msg {
        uint32_t id;
        uint32_t first;
        int32_t error;
        uint32_t flags;
        uint64_t rsn;
        uint32_t dmaster;
        uint32_t value_len;
        const uint8_t *value;
};

struct dbd_traverse_msg {
        uint32_t id;
        uint32_t generation;
        uint32_t db_id;
        uint32_t max;           /* records at most, 0: all */
};

/* RECORDS (answers TRAVERSE and PULL), PUSH, VACUUM and PURGE. */
struct dbd_records_msg {
        uint32_t id;
        uint32_t generation;
        struct db_records batch;
};

struct dbd_revoke_msg {
        uint32_t id;
        uint32_t generation;
        uint32_t db_id;
        uint64_t rsn;           /* copies of this rsn or older go */
        uint32_t key_len;
        const uint8_t *key;
};

struct dbd_wipe_msg {
        uint32_t id;
        uint32_t generation;
        uint32_t db_id;
};

/* One database as recovery lists it. */
struct dbd_db_info {
        uint32_t db_id;
        uint32_t kind;
        uint32_t flags;         /* DBD_DB_READONLY, DBD_DB_STICKY */
        uint32_t name_len;
        char *name;
        /* persistent and replicated: the copy's seqnum and the recovery that last stamped it */
        uint64_t seqnum;
        uint32_t epoch;
};

#define DBD_DB_READONLY 0x1u
#define DBD_DB_STICKY   0x2u

struct dbd_ack_msg {
        uint32_t id;
        uint32_t generation;
        int32_t error;
        uint32_t n_dbs;         /* FREEZE's answer: the node's databases */
        struct dbd_db_info *dbs;
};

struct dbd_freeze_msg {
        uint32_t id;
        uint32_t generation;
};

struct dbd_attach_msg {
        uint32_t id;
        uint32_t generation;
        uint32_t n_dbs;
        struct dbd_db_info *dbs;
};

struct dbd_pull_msg {
        uint32_t id;
        uint32_t generation;
        uint32_t db_id;
};

struct dbd_thaw_msg {
        uint32_t id;
        uint32_t generation;
        uint32_t n_vnnmap;
        uint32_t *vnnmap;
        uint32_t epoch;         /* persistent and replicated copies are stamped with it (dbd-txn.c) */
};

struct dbd_txn_msg {
        uint32_t id;
        uint32_t generation;
        struct db_txn txn;
        /* DB_TXN_UNLOCK: the g_lock the master releases once this is accepted or refused */
        uint32_t pid;
        uint64_t lock_id;
};

struct dbd_txn_done_msg {
        uint32_t id;
        uint32_t generation;
        int32_t error;
        uint64_t seqnum;
};

/* A commit in an UPDATE: whose it is (its origin's TXN id) and its seqnum. */
struct dbd_txn_ref {
        uint32_t origin;
        uint32_t id;
        uint64_t seqnum;
};

struct dbd_update_msg {
        uint32_t id;
        uint32_t generation;
        uint32_t db_id;
        uint64_t seq_from;
        uint64_t seq_to;
        uint32_t n_txns;
        struct dbd_txn_ref *txns;
        uint32_t n_records;     /* in commit order; a later write of a key replaces an earlier one */
        struct db_record *records;
};

/* Most commits in one UPDATE. */
#define DBD_UPDATE_TXNS 4096u
/* GLOCK_LOCK and GLOCK_UNLOCK (whose mode is 0). */
struct dbd_glock_lock_msg {
        uint32_t generation;
        uint32_t pid;
        uint64_t id;
        uint32_t mode;
        uint32_t name_len;
        char *name;
};

struct dbd_glock_grant_msg {
        uint32_t generation;
        uint32_t pid;
        uint64_t id;
        int32_t error;          /* positive errno: refused (E2BIG, EDEADLK, ENOLCK: a claim lost) */
        /*
         * A database's transaction lock (transaction_db_0x%08x): the grantee's
         * node answers its client once its copy of db_id has every commit
         * accepted before the grant (seqnum ready), so a lock released at a
         * commit's acceptance is never read around. db_id 0: any other lock.
         */
        uint32_t db_id;
        uint64_t ready;
};

struct dbd_glock_claim_entry {
        uint32_t pid;
        uint64_t id;
        uint32_t mode;
        uint8_t held;
        uint32_t name_len;
        char *name;
};

/* Entries one CLAIM batch carries at most (and at most DBD_GLOCK_CLAIM_BYTES of them). */
#define DBD_GLOCK_CLAIM_MAX   4096u
#define DBD_GLOCK_CLAIM_BYTES (512u * 1024u)

struct dbd_glock_claim_msg {
        uint32_t generation;
        uint8_t last;
        uint32_t n_entries;
        struct dbd_glock_claim_entry *entries;
};

struct dbd_glock_list_msg {
        uint32_t id;
        uint32_t generation;
};

struct dbd_glock_entries_msg {
        uint32_t id;
        uint32_t generation;
        struct db_glock_entries list;
};

#define DBD_MSG_DESC_EXTERN_(name, value, desc) extern const struct wire_desc desc;
DBD_MSG_KINDS(DBD_MSG_DESC_EXTERN_)
#undef DBD_MSG_DESC_EXTERN_

const struct wire_desc *dbd_msg_desc_by_kind(uint16_t kind);
const char *dbd_msg_kind_to_string(uint16_t kind);
