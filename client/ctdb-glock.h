#pragma once

/*
 * libctdb-client, g_lock: named cluster-wide locks served by ctdb-dbd
 * (docs/architecture.md, "g_lock"), on a db.sock connection (ctdb-db.h).
 * The owner of a lock is this process on this node (dbd takes the pid from
 * the socket's credentials); it is released by ctdb_glock_unlock(), or when
 * the connection closes (the process died), or when the node leaves the
 * cluster. Waiters are served in the order they asked, cluster-wide; a
 * shared request behind a waiting exclusive one waits too.
 *
 * Thread-safe, plain C types, blocking calls. Names are 1 byte to 16 KiB
 * (Samba's are like "transaction_db_0x%08x").
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctdb-db.h"

enum ctdb_glock_mode {
        CTDB_GLOCK_SHARED = 0,
        CTDB_GLOCK_EXCLUSIVE = 1,
};

/*
 * Takes name in mode, waiting up to timeout_ms (0: for ever) behind earlier
 * holders and waiters. -ETIMEDOUT after it (the request leaves the queue),
 * -EDEADLK when this process holds or waits for name already, -E2BIG over
 * the limits (256 locks per connection, 4096 waiters per lock), -EINVAL for
 * a bad name or mode, -ECONNRESET when dbd went away.
 */
int ctdb_glock_lock(ctdb_db_client *c, const char *name, enum ctdb_glock_mode mode, unsigned timeout_ms);
/* Releases name; -ENOENT when this connection does not hold it. */
int ctdb_glock_unlock(ctdb_db_client *c, const char *name);

struct ctdb_glock_entry {
        char *name;
        enum ctdb_glock_mode mode;
        uint32_t pnn;
        uint32_t pid;
        bool held; /* false: waiting */
};

/*
 * Every holder and waiter of every lock of the cluster, each lock's queue in
 * order, as the lock master has them. The array and its names are malloc()'d:
 * free with ctdb_glock_entries_free(). -EAGAIN while the cluster has no lock
 * master yet (before the first recovery).
 */
int ctdb_glock_list(ctdb_db_client *c, struct ctdb_glock_entry **ret, size_t *ret_n);
void ctdb_glock_entries_free(struct ctdb_glock_entry *entries, size_t n);
