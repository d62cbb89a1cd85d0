#pragma once

/*
 * What the files of ctdb-dbd share inside the daemon: the manager and the
 * database structs, and the entry points of each module. Nothing outside db/
 * includes this; the D-Bus glue and the tests use dbd-manager.h.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cluster-view.h"
#include "dbd-manager.h"
#include "dbd-store.h"
#include "dbd-wire.h"

struct dp_client;
struct peer_requests;
struct local_server;
struct local_client;
struct dbd_recovery;
struct dbd_pending;
struct dbd_bus;
struct dbd_glock;
struct ctdb_server;

/* Buckets of a database's table of keys with something in flight. */
#define DBD_PENDING_BUCKETS 1024u

struct dbd_db {
        dbd_manager *m;
        char *name;
        enum ltdb_kind kind;
        uint32_t id;
        char *path;
        char *object_path;
        struct dbd_store *store;
        uint32_t flags;                 /* DBD_DB_READONLY, DBD_DB_STICKY */
        uint32_t pushed_generation;     /* recovery: the first PUSH of a generation wipes */
        struct dbd_pending *pending[DBD_PENDING_BUCKETS];
        unsigned n_pending;
        sd_bus_slot *slot;              /* its D-Bus object (dbd-bus.c) */
        struct dbd_vacuum *vacuum;      /* its delete queue (dbd-vacuum.c) */
        struct dbd_txn_db *txn;         /* persistent and replicated: commits (dbd-txn.c) */
};

struct dbd_manager {
        struct daemon_context *d;
        sd_event *event;
        sd_bus *bus;
        struct ctdb_config *config;

        uint32_t pnn;                   /* CTDB_PNN_NONE until tunneld told it */
        uint32_t n_nodes;
        char *volatile_dir;
        char *persistent_dir;
        char *socket_path;

        dbd_db **dbs;                   /* talloc array, attach order */
        size_t n_dbs;

        /* The database generation: the last recovery this node thawed with, 0 = none yet. */
        uint32_t generation;
        uint32_t n_vnnmap;
        uint32_t *vnnmap;
        bool frozen;
        uint32_t frozen_generation;
        struct timeval recovery_started, recovery_finished; /* of the last recovery here (CTDB's uptime) */
        /* The node whose dbd ran the last recovery (sent THAW): it coordinates the commits. */
        uint32_t coordinator;

        /* What clusterd publishes, as last read (a copy; vnnmap talloc'd on the manager). */
        struct cluster_view view;
        struct cluster_view_watch *view_watch;

        struct dp_client *dp;
        struct peer_requests *requests;
        struct local_server *local;
        struct dbd_recovery *recovery;  /* this node coordinates one (dbd-recovery.c) */
        sd_event_source *freeze_timer;  /* retries the freeze while a client holds a chain */
        struct dbd_freeze_wait *freeze_wait;
        sd_event_source *vacuum_timer;
        /* Frames this node sends itself, handed over from the loop (dbd-manager.c). */
        struct self_frame *self_queue, *self_tail;
        sd_event_source *self_event;

        /* Direct channels to the other dbds (dbd-channel.c). */
        struct dbd_channel *channels;
        struct dbd_peer_channel *peer_channels;  /* by pnn */
        uint32_t n_peer_channels;

        struct dbd_bus *bus_glue; /* org.ctdb.db1's objects (dbd-bus.c) */
        struct dbd_glock *glock;        /* g_lock: this node's clients' locks, the master's table */
        struct ctdb_server *ctdb;       /* ctdbd.socket, CTDB's client protocol (dbd-ctdb.c) */
        struct attach_wait *ctdb_attaching; /* its attaches waiting for a recovery (dbd-ctdb-db.c) */
        struct seqnum_watch *ctdb_seqnums;  /* ENABLE_SEQNUM's databases (talloc array) */
        struct dbd_ctdb_ips *ctdb_ips;      /* ctdb-ipd's addresses, followed (dbd-ctdb-ip.c) */
        sd_event_source *ctdb_seqnum_timer;

        bool ready;
};

/* ---- dbd-manager.c ------------------------------------------------------ */

/* Sends one of dbd's messages to pnn's dbd: on the channel to pnn if there is one, else the tunnel. */
int dbd_send(dbd_manager *m, uint32_t pnn, const struct wire_desc *desc, const void *msg);
/* Another node that is there now (known, not disconnected or deleted). */
bool dbd_node_reachable(dbd_manager *m, uint32_t pnn);
/* One of dbd's messages to every other node that is there, each on its channel where it has one. */
void dbd_send_others(dbd_manager *m, const struct wire_desc *desc, const void *msg);
/* One frame of dbd's messages from src (tunnel or channel): dispatched, problems logged. */
void dbd_manager_frame(dbd_manager *m, uint32_t src, const uint8_t *data, size_t len);
/* The lmaster of a key under this node's VnnMap (CTDB_PNN_NONE before the first recovery). */
uint32_t dbd_lmaster(dbd_manager *m, const uint8_t *key, size_t len);
/* Opens (creating) a database here; what ATTACH and recovery's ATTACH do. */
int dbd_db_open(dbd_manager *m, const char *name, enum ltdb_kind kind, dbd_db **ret);
/* Asks the local clusterd for a recovery (a database was attached). */
void dbd_request_recovery(dbd_manager *m, const char *why);

/* ---- dbd-migrate.c ------------------------------------------------------ */

/*
 * Someone local waits for this node to become the record's dmaster: done runs
 * once with 0 (the record is in this node's file with dmaster = this node) or
 * a negative errno. The owner keeps the waiter alive until then, or removes it
 * with dbd_waiter_cancel().
 */
struct dbd_waiter {
        struct dbd_waiter *next, *prev;
        struct dbd_pending *pending;
        void (*done)(struct dbd_waiter *w, int error);
        /* fetch waiters: the value instead (error -ENOENT: no record) */
        void (*value)(struct dbd_waiter *w, int error, const uint8_t *value, size_t len);
};

int dbd_migrate(dbd_db *db, const uint8_t *key, size_t len, struct dbd_waiter *w);
/* readonly: leave a read-only copy here if the database delegates (a client's DB_FETCH_READONLY). */
int dbd_fetch_value(dbd_db *db, const uint8_t *key, size_t len, bool readonly, struct dbd_waiter *w);
void dbd_waiter_cancel(struct dbd_waiter *w);
/* A record handed to this node (RECORD, VACUUM): stored with dmaster = this node if rsn is newer. */
int dbd_migrate_take(dbd_db *db, const uint8_t *key, size_t key_len, uint64_t rsn, uint32_t flags,
                     const uint8_t *value, size_t value_len);
/* Frames of the record kinds from the tunnel. */
/* The record kinds' handlers (userdata: the manager), dispatched by dbd_manager_receive(). */
extern const struct wire_handler dbd_migrate_handlers[];
extern const size_t dbd_migrate_n_handlers;
/* Recovery froze the databases: everything in flight is forgotten, waiters stay. */
void dbd_migrate_freeze(dbd_manager *m);
/* Thawed (new generation): every waiter starts again. */
void dbd_migrate_thaw(dbd_manager *m);
/* Frees a database's table (detach, shutdown): waiters get error. */
void dbd_migrate_db_free(dbd_db *db, int error);

/* ---- dbd-recovery.c ----------------------------------------------------- */

/*
 * What a multi-part answer (RECORDS batches) is handed to: the first member of
 * the userdata of the peer request it answers. The last batch completes it.
 */
struct dbd_sink {
        int (*batch)(struct dbd_sink *s, uint32_t src, const struct db_records *batch);
};

/* clusterd's view changed: coordinate a recovery if it is ours to run. */
void dbd_recovery_view_changed(dbd_manager *m);
/* The recovery-time kinds' handlers (dbd-recovery-node.c; userdata: the manager). */
extern const struct wire_handler dbd_recovery_handlers[];
extern const size_t dbd_recovery_n_handlers;
/* Ends the recovery this node coordinates, if any (its requests are cancelled). */
void dbd_recovery_free(dbd_manager *m);

/* ---- dbd-txn.c ---------------------------------------------------------- */

/*
 * A commit of a local caller (db.sock, D-Bus), embedded first in the caller's
 * struct: done runs once with 0 and the seqnum (durable on every active node)
 * or a negative errno (-EBUSY: a read key changed; -EAGAIN: nothing of it was
 * written anywhere; -ENOLINK: not quorate). A caller that goes away first
 * calls dbd_commit_cancel(): the commit goes on, unanswered.
 */
struct dbd_commit {
        struct origin_txn *origin;
        void (*done)(struct dbd_commit *c, int error, uint64_t seqnum);
        /* With DB_TXN_UNLOCK in the commit's flags: the transaction lock it gives up (dbd-glock.h). */
        uint32_t pid;
        uint64_t lock_id;
};

/* txn is checked (db_txn_check()) and copied; a negative return means done will not run. */
int dbd_txn_commit(dbd_db *db, const struct db_txn *txn, struct dbd_commit *c);
void dbd_commit_cancel(struct dbd_commit *c);
/* Whether commits (and attaching clients) are served: the database is in this node's last recovery. */
bool dbd_db_txn_ready(dbd_db *db);
extern const struct wire_handler dbd_txn_handlers[];
extern const size_t dbd_txn_n_handlers;
/* Recovery: FREEZE ends every batch; THAW (from coordinator) answers the commits it ended. */
void dbd_txn_freeze(dbd_manager *m);
void dbd_txn_thaw(dbd_manager *m, uint32_t coordinator, uint32_t epoch);
/*
 * For a grant of the g_lock name: when it is a database's transaction lock
 * (DB_TXN_LOCK_NAME), its id and the last seqnum this coordinator accepted
 * for it (what the grantee must have applied before it reads); else 0, 0.
 */
void dbd_txn_lock_ready(dbd_manager *m, const char *name, size_t len, uint32_t *ret_db_id,
                        uint64_t *ret_ready);
/* The seqnum and epoch a FREEZE answer lists for db. */
void dbd_txn_db_info(dbd_db *db, struct dbd_db_info *info);

/* ---- dbd-traverse.c ----------------------------------------------------- */

/*
 * Every live record of db in the cluster (persistent and replicated: this
 * node's copy) to record, one at a time (a negative return ends it), then
 * finished once, after which the traverse is gone. It is a talloc child of
 * mem_ctx: freeing that before finished cancels it.
 */
int dbd_db_traverse(dbd_db *db, void *mem_ctx, int (*record)(void *userdata, const struct db_record *r),
                    void (*finished)(void *userdata, int error), void *userdata);
/* A client's TRAVERSE of db_id: every live record of the cluster, as RECORDS to it. */
int dbd_traverse_local_client(dbd_manager *m, struct local_client *c, uint64_t id, uint32_t db_id);
/* The answers of peer requests: RECORDS batches to the request's sink, ACK completes it. */
int dbd_on_records(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                   size_t len);
int dbd_on_ack(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
               size_t len);
/* The responders of TRAVERSE and WIPE (in recovery's dispatch table). */
int dbd_traverse_on_request(void *userdata, const struct wire_header *h, const void *msg,
                            const uint8_t *payload, size_t len);
int dbd_wipe_on_request(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                        size_t len);
/* dbd-local.c: what a traverse sends its client. */
void dbd_local_send_records(struct local_client *c, uint64_t id, const struct db_records *batch);
void dbd_local_send_error(struct local_client *c, uint64_t id, int error);

/* ---- dbd-channel.c ------------------------------------------------------ */

/* A channel tunneld opened (fd >= 0, owned from now on; pending: bytes read already) or failed to. */
void dbd_channel_received(dbd_manager *m, uint32_t pnn, uint64_t tunnel_id, int fd, const uint8_t *pending,
                          size_t pending_len);
/* Sends data (an inner message) on this node's channel to pnn: -ENOTCONN without one (one is asked for). */
int dbd_channel_send(dbd_manager *m, uint32_t pnn, const uint8_t *data, size_t len);
/* Asks for a channel to pnn unless there is one, one is being opened, or the last failed just now. */
void dbd_channel_want(dbd_manager *m, uint32_t pnn);
/* Closes the channels to pnn (CTDB_PNN_ALL: all): its link went down. */
void dbd_channel_drop(dbd_manager *m, uint32_t pnn);

/* ---- dbd-vacuum.c ------------------------------------------------------- */

/* key of db was deleted here (a header-only record): vacuum it at the next run. */
void dbd_vacuum_queue(dbd_db *db, const uint8_t *key, size_t len);
int dbd_vacuum_start(dbd_manager *m);
/* SIGHUP: [database] vacuum interval and repack limit as ctdb.conf now says. */
int dbd_vacuum_reload(dbd_manager *m, uint32_t interval_s, uint32_t repack_limit);
/* The receivers of VACUUM and PURGE (in recovery's dispatch table). */
int dbd_vacuum_on_vacuum(void *userdata, const struct wire_header *h, const void *msg,
                         const uint8_t *payload, size_t len);
int dbd_vacuum_on_purge(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                        size_t len);

/* ---- dbd-ctdb.c --------------------------------------------------------- */

/* Serves ctdbd.socket in the runtime directory (once this node's pnn is known). */
int dbd_ctdb_start(dbd_manager *m);
extern const struct wire_handler dbd_ctdb_handlers[];
extern const size_t dbd_ctdb_n_handlers;
/* dbd-ctdb-db.c: the database controls and REQ_CALL of ctdbd.socket's clients. */
struct ctdb_request;
void dbd_ctdb_db_control(dbd_manager *m, struct ctdb_request *req);
void dbd_ctdb_call(dbd_manager *m, struct ctdb_request *req);
/* A recovery thawed this node: attaches that waited for their database's copy are answered. */
void dbd_ctdb_thawed(dbd_manager *m);
/*
 * The userdata of an operation that calls back whenever it ends, perhaps
 * after req's client went away: take() gives the request back (NULL if it is
 * gone) and frees the op.
 */
struct pending_op;
struct pending_op *dbd_ctdb_op_new(dbd_manager *m, struct ctdb_request *req);
/* dbd-ctdb-ip.c: ctdb-ipd's addresses for GET_PUBLIC_IPS(_INFO), RELEASE_IP to the clients, TCP_CLIENT. */
int dbd_ctdb_ips_start(dbd_manager *m);
void dbd_ctdb_public_ips(dbd_manager *m, struct ctdb_request *req);
void dbd_ctdb_public_ip_info(dbd_manager *m, struct ctdb_request *req);
/* TCP_CLIENT: the connection to ipd's TrackConnection, answered with its result. */
void dbd_ctdb_tcp_client(dbd_manager *m, struct ctdb_request *req);
/* Another node's seqnum of db_id changed (CTDB_SEQNUM): this node's rises. */
void dbd_ctdb_seqnum_raise(dbd_manager *m, uint32_t db_id);
struct ctdb_request *dbd_ctdb_op_take(struct pending_op *op);

/* ---- dbd-local.c -------------------------------------------------------- */

int dbd_local_start(dbd_manager *m);

/* ---- dbd-bus.c ---------------------------------------------------------- */

int dbd_bus_add(dbd_manager *m, sd_bus *bus);
/* A database appeared: its object and the Manager's Databases property. */
int dbd_bus_db_added(dbd_manager *m, dbd_db *db);
/*
 * The engine committed to db (its dbd_db_seqnum() may have changed): SeqNum's
 * PropertiesChanged follows, coalesced to one per DBD_BUS_SEQNUM_USEC at most.
 */
void dbd_bus_seqnum_changed(dbd_db *db);
