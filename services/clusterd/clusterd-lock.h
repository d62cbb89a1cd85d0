#pragma once

/*
 * The fcntl cluster lock (ctdb.conf "cluster lock = fcntl:PATH", CTDB's recovery
 * lock): an open file description lock (F_OFD_SETLK) on byte 0 of a file on the
 * shared cluster filesystem.
 *
 * A cluster filesystem can hang, and open() and fcntl() on it hang with it. So,
 * as CTDB does with its mutex helper, a child process takes the lock and holds
 * it, and clusterd's event loop only waits for the child's answer (giving up
 * after CLUSTER_LOCK_ANSWER_USEC). The child exits, and the kernel drops the
 * lock, when clusterd releases it or dies, or when the lock file is removed or
 * replaced under it (checked every CLUSTER_LOCK_RECHECK_MSEC).
 */

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#define CLUSTER_LOCK_ANSWER_USEC (5 * 1000 * 1000)
#define CLUSTER_LOCK_RECHECK_MSEC 1000

typedef struct cluster_lock cluster_lock;

/*
 * Called from the event loop when an attempt ends or a held lock is lost:
 * 1 = now held; 0 = someone else holds it; negative errno = the attempt failed
 * (-ETIMEDOUT: no answer in time) or the held lock is gone (-ESTALE: the file
 * was removed or replaced; -ENOLCK: the helper died).
 */
typedef void (*cluster_lock_fn)(cluster_lock *l, int result, void *userdata);

/* path is copied; SIGCHLD gets blocked (sd-event reaps the helpers). The lock
 * starts released. */
cluster_lock *cluster_lock_new(void *mem_ctx, sd_event *event, const char *path, cluster_lock_fn fn,
                               void *userdata);
/* Releases and frees; NULL is fine. */
void cluster_lock_free(cluster_lock *l);

/* 1 = held; 0 = an attempt is under way (now started, or already running; its
 * answer comes through the callback); negative errno = no attempt could start. */
int cluster_lock_try(cluster_lock *l);
/* Drops a held lock, or abandons an attempt under way. Never calls back. */
void cluster_lock_release(cluster_lock *l);
bool cluster_lock_held(const cluster_lock *l);
/* The helper process, 0 when there is none (for tests). */
pid_t cluster_lock_helper_pid(const cluster_lock *l);
const char *cluster_lock_path(const cluster_lock *l);
