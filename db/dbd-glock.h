#pragma once

/*
 * g_lock's daemon glue (dbd-glock.c): db.sock's GLOCK_* requests of local
 * clients, dbd's GLOCK_* messages between nodes, and the hand-over to a new
 * lock master after each thaw. The rules of the queue are dbd-glock-queue.h's.
 */

#include <stdbool.h>
#include <stdint.h>

#include "db-proto.h"
#include "dbd-manager.h"
#include "wire.h"

struct local_client;
struct peer_request;

int dbd_glock_new(dbd_manager *m);

/*
 * A client's GLOCK_LOCK (client_id: its request, answered with GLOCK_REPLY
 * once granted, refused or timed out). Negative: refused at once, nothing
 * was queued (the caller answers).
 */
int dbd_glock_client_lock(dbd_manager *m, struct local_client *c, uint64_t client_id,
                          const struct db_glock_lock *l);
/* A client's GLOCK_UNLOCK of a lock it holds; -ENOENT when it holds none of that name. */
int dbd_glock_client_unlock(dbd_manager *m, struct local_client *c, const struct db_glock_unlock *u);
/* The client's connection closed (its process died or let go): all it held or waited for goes. */
void dbd_glock_client_gone(dbd_manager *m, struct local_client *c);

/*
 * The list of every lock as the master has it. done runs once, perhaps
 * before dbd_glock_list() returns (this node is the master), with 0 and the
 * list (valid during the call) or a negative errno (-ETIMEDOUT, -ENOTCONN).
 * Negative from dbd_glock_list(): done will not run (-EAGAIN: no master yet).
 * The owner of l calls dbd_glock_list_cancel() if it goes first.
 */
struct dbd_glock_lister {
        void (*done)(struct dbd_glock_lister *l, int error, const struct db_glock_entries *list);
        /* dbd-glock.c's: the request to the master, and its place among those waiting. */
        struct peer_request *req;
        struct dbd_glock_lister *next, *prev;
        struct dbd_glock *g;
};
int dbd_glock_list(dbd_manager *m, struct dbd_glock_lister *l);
void dbd_glock_list_cancel(struct dbd_glock_lister *l);

/*
 * A commit that gives up its database's transaction lock (DB_TXN_UNLOCK):
 * the id of the lock name c holds (-ENOENT: none), then, once the commit went
 * out, forget() drops it from this node's books without an UNLOCK, because
 * the master releases it when the commit arrives (master_release()).
 */
int dbd_glock_client_held(dbd_manager *m, struct local_client *c, const char *name, size_t len,
                          uint64_t *ret_id);
void dbd_glock_client_forget(dbd_manager *m, uint64_t id);
void dbd_glock_master_release(dbd_manager *m, const char *name, size_t len, uint32_t pnn, uint32_t pid,
                              uint64_t id);
/* This node's copy of db_id reached seqnum (db_id 0: a thaw, all): grants waiting for it are answered. */
void dbd_glock_db_applied(dbd_manager *m, uint32_t db_id, uint64_t seqnum);

/* This node thawed with a new generation that master coordinated: locks are claimed there again. */
void dbd_glock_thaw(dbd_manager *m, uint32_t master);

/* GLOCK_* kinds' handlers (userdata: the manager). */
extern const struct wire_handler dbd_glock_handlers[];
extern const size_t dbd_glock_n_handlers;
