#pragma once

/*
 * The lock table of the g_lock master, pure (no I/O, no clocks), so that the
 * unit tests check the rules themselves (docs/architecture.md, "g_lock").
 *
 * A lock is a name with one FIFO queue: its holders first, then its waiters
 * in the order they came. A waiter is granted only when it is compatible with
 * every holder (shared with shared) and no earlier waiter still waits, so a
 * shared request behind a waiting exclusive one waits too (no barging). An
 * owner is (pnn, pid); asking again for a lock it is queued for or holds is
 * -EDEADLK, as in CTDB. Every grant, and every claimed lock the table cannot
 * honour, is told through the table's grant callback, in queue order.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dbd_glock_mode {
        DBD_GLOCK_SHARED = 0,
        DBD_GLOCK_EXCLUSIVE = 1,
};

struct dbd_glock_table;
struct dbd_glock;

/* One owner's place in a lock's queue. */
struct dbd_glock_entry {
        struct dbd_glock_entry *next, *prev;
        struct dbd_glock *lock;
        uint32_t pnn;
        uint32_t pid;
        uint64_t id; /* the request of the owner's node that made it: answers name it */
        enum dbd_glock_mode mode;
        bool held;
        bool stale; /* a claim round of its node has not confirmed it yet */
};

struct dbd_glock_limits {
        unsigned locks_max;   /* locks in the table (with at least one entry) */
        unsigned waiters_max; /* waiters per lock */
};

/*
 * e was granted (error 0), or e, a claimed lock this table could not grant
 * as held, was refused (-ENOLCK) and is gone once the callback returns.
 */
typedef void (*dbd_glock_grant_fn)(void *userdata, const char *name, size_t name_len,
                                   const struct dbd_glock_entry *e, int error);

int dbd_glock_table_new(void *mem_ctx, const struct dbd_glock_limits *limits, dbd_glock_grant_fn grant,
                        void *userdata, struct dbd_glock_table **ret);
/* Drops every entry without calling the callback. */
void dbd_glock_table_clear(struct dbd_glock_table *t);

/*
 * Queues (pnn, pid) for name in mode, granting at once when the rules allow.
 * -EINVAL: empty or too long name (DB_KEY_MAX), bad mode; -EDEADLK: the owner
 * is queued for name or holds it; -E2BIG: waiters_max wait for name, or
 * locks_max locks exist.
 */
int dbd_glock_lock(struct dbd_glock_table *t, const char *name, size_t name_len, uint32_t pnn, uint32_t pid,
                   uint64_t id, enum dbd_glock_mode mode);
/* Removes the owner's entry for name (held or waiting; id 0: whatever its id); -ENOENT without one. */
int dbd_glock_unlock(struct dbd_glock_table *t, const char *name, size_t name_len, uint32_t pnn,
                     uint32_t pid, uint64_t id);
/* The owner process died: every entry of (pnn, pid) goes. Returns how many. */
unsigned dbd_glock_drop_owner(struct dbd_glock_table *t, uint32_t pnn, uint32_t pid);
/* The node left the cluster: every entry of pnn goes. Returns how many. */
unsigned dbd_glock_drop_node(struct dbd_glock_table *t, uint32_t pnn);
/* Every entry of a node outside vnnmap goes (a new view). Returns how many. */
unsigned dbd_glock_drop_outside(struct dbd_glock_table *t, const uint32_t *vnnmap, uint32_t n);

/*
 * While paused nothing is granted (a new master waits for every node's
 * claims, so that a waiter does not get a lock another node still holds).
 * Resuming grants what the rules allow.
 */
void dbd_glock_pause(struct dbd_glock_table *t, bool paused);

/*
 * A claim round of pnn (after a recovery): begin marks its entries, each
 * claimed entry confirms its own or is added (held ones among the holders if
 * compatible with them, else refused with -ENOLCK; waiting ones at the end,
 * in the order claimed), end drops what was not confirmed. A claimed waiter
 * that the table holds as granted is told again (its grant was lost).
 */
void dbd_glock_claim_begin(struct dbd_glock_table *t, uint32_t pnn);
int dbd_glock_claim(struct dbd_glock_table *t, const char *name, size_t name_len, uint32_t pnn, uint32_t pid,
                    uint64_t id, enum dbd_glock_mode mode, bool held);
void dbd_glock_claim_end(struct dbd_glock_table *t, uint32_t pnn);

/* Calls fn for each entry, lock by lock in no particular order, each lock's queue in order; stops at
 * non-zero. */
typedef int (*dbd_glock_each_fn)(void *userdata, const char *name, size_t name_len,
                                 const struct dbd_glock_entry *e);
int dbd_glock_foreach(struct dbd_glock_table *t, dbd_glock_each_fn fn, void *userdata);
unsigned dbd_glock_n_locks(const struct dbd_glock_table *t);
