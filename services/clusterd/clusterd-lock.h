#pragma once

/*
 * The fcntl cluster lock (ctdb.conf "cluster lock = fcntl:PATH", CTDB's recovery
 * lock): an open file description lock (F_OFD_SETLK) on a file on the shared
 * cluster filesystem. Taking it never blocks; the manager retries on a timer.
 * Releasing is closing the file, which also happens if the daemon dies.
 */

#include <stdbool.h>

typedef struct cluster_lock cluster_lock;

/* path is copied. The lock starts released. */
cluster_lock *cluster_lock_new(void *mem_ctx, const char *path);
/* Releases (closes) and frees; NULL is fine. */
void cluster_lock_free(cluster_lock *l);

/*
 * Tries to take the lock without waiting: 1 = now held (or already was),
 * 0 = someone else holds it, negative errno = the file cannot be opened or locked.
 */
int cluster_lock_try(cluster_lock *l);
void cluster_lock_release(cluster_lock *l);
bool cluster_lock_held(const cluster_lock *l);
const char *cluster_lock_path(const cluster_lock *l);
