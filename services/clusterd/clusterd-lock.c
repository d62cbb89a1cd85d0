/* fcntl cluster lock; see clusterd-lock.h. */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <talloc.h>

#include "clusterd-lock.h"

struct cluster_lock {
        char *path;
        int fd;                 /* open (and locked) only while held */
};

static int cluster_lock_destructor(cluster_lock *l) {
        cluster_lock_release(l);
        return 0;
}

cluster_lock *cluster_lock_new(void *mem_ctx, const char *path) {
        cluster_lock *l;

        if (!path)
                return NULL;
        l = talloc_zero(mem_ctx, cluster_lock);
        if (!l)
                return NULL;
        l->fd = -1;
        l->path = talloc_strdup(l, path);
        if (!l->path) {
                talloc_free(l);
                return NULL;
        }
        talloc_set_destructor(l, cluster_lock_destructor);
        return l;
}

void cluster_lock_free(cluster_lock *l) {
        talloc_free(l);
}

int cluster_lock_try(cluster_lock *l) {
        /* CTDB locks byte 0 of the recovery lock file; the same here, so that
         * a mixed setup would at least exclude each other. */
        struct flock fl = {
                .l_type = F_WRLCK,
                .l_whence = SEEK_SET,
                .l_start = 0,
                .l_len = 1,
        };
        int fd;

        if (!l)
                return -EINVAL;
        if (l->fd >= 0)
                return 1;

        fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;

        /* OFD locks belong to this open file, not to the process, so two nodes
         * run as processes of one host (tests, local-cluster) exclude each other. */
        if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
                int r = -errno;

                close(fd);
                if (r == -EAGAIN || r == -EACCES)
                        return 0;
                return r;
        }
        l->fd = fd;
        return 1;
}

void cluster_lock_release(cluster_lock *l) {
        if (!l || l->fd < 0)
                return;
        /* Closing the last fd of the open file description drops the lock. */
        close(l->fd);
        l->fd = -1;
}

bool cluster_lock_held(const cluster_lock *l) {
        return l && l->fd >= 0;
}

const char *cluster_lock_path(const cluster_lock *l) {
        return l ? l->path : NULL;
}
