/* fcntl cluster lock, held by a helper process; see clusterd-lock.h. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <talloc.h>

#include "clusterd-lock.h"

struct cluster_lock {
        sd_event *event;
        char *path;
        cluster_lock_fn fn;
        void *userdata;
        pid_t pid;              /* the helper, 0 when none runs */
        int fd;                 /* our end of the socketpair with it */
        bool held;
        sd_event_source *answer; /* the helper's answers on fd */
        sd_event_source *deadline;
};

/* ---- the helper (child) ------------------------------------------------------------ */

static void helper_send(int fd, int32_t answer) {
        (void) !write(fd, &answer, sizeof(answer));
}

/*
 * Takes the lock and tells the parent (int32: 1 held, 0 busy, -errno); while
 * held, waits for the parent to hang up and checks every so often that PATH is
 * still the file it locked. Only system calls from here on: the child shares
 * nothing with the parent's event loop or bus but the memory it was forked with.
 */
static _Noreturn void helper_main(const char *path, int fd, pid_t parent) {
        /* CTDB locks byte 0 of the recovery lock file; the same here, so that a
         * mixed setup would at least exclude each other. */
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
        struct stat locked;
        int lf;

        /* With clusterd gone the lock must go too, even before it hangs up. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(EXIT_FAILURE);
        /* Nothing of the parent's but our socket stays open here. */
        if ((fd > 3 && close_range(3, (unsigned) fd - 1, 0) < 0) ||
            close_range((unsigned) fd + 1, ~0U, 0) < 0)
                _exit(EXIT_FAILURE);

        lf = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (lf < 0) {
                helper_send(fd, -errno);
                _exit(EXIT_SUCCESS);
        }
        /* OFD locks belong to the open file, not to the process, so two nodes run
         * as processes of one host (tests, local-cluster) exclude each other. */
        if (fcntl(lf, F_OFD_SETLK, &fl) < 0) {
                helper_send(fd, errno == EAGAIN || errno == EACCES ? 0 : -errno);
                _exit(EXIT_SUCCESS);
        }
        if (fstat(lf, &locked) < 0) {
                helper_send(fd, -errno);
                _exit(EXIT_SUCCESS);
        }
        helper_send(fd, 1);

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                struct stat now;
                int n = poll(&p, 1, CLUSTER_LOCK_RECHECK_MSEC);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n != 0) /* the parent hung up (released) or wrote: either way, done */
                        _exit(EXIT_SUCCESS);
                if (stat(path, &now) < 0 || now.st_dev != locked.st_dev || now.st_ino != locked.st_ino) {
                        helper_send(fd, -ESTALE);
                        _exit(EXIT_SUCCESS);
                }
        }
}

/* ---- the parent ---------------------------------------------------------------------- */

static int on_helper_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        return 0; /* sd-event reaps it; everything else went through the socket */
}

/* Ends the helper: hanging up makes it exit at once, and a helper stuck in the
 * filesystem gets SIGKILL as well (it dies when the filesystem lets go). */
static void helper_stop(cluster_lock *l) {
        l->answer = sd_event_source_disable_unref(l->answer);
        l->deadline = sd_event_source_disable_unref(l->deadline);
        if (l->fd >= 0) {
                close(l->fd);
                l->fd = -1;
        }
        if (l->pid > 0)
                (void) kill(l->pid, SIGKILL);
        l->pid = 0;
        l->held = false;
}

static void helper_done(cluster_lock *l, int result) {
        helper_stop(l);
        if (l->fn)
                l->fn(l, result, l->userdata);
}

static int on_answer(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        cluster_lock *l = userdata;
        int32_t answer;
        ssize_t n = read(fd, &answer, sizeof(answer));

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n == sizeof(answer) && answer == 1 && !l->held) {
                l->held = true;
                l->deadline = sd_event_source_disable_unref(l->deadline);
                if (l->fn)
                        l->fn(l, 1, l->userdata);
                return 0;
        }
        /* Anything else ends this helper: busy, an error, a lost lock, or its death. */
        if (n == sizeof(answer))
                helper_done(l, answer > 0 ? -EIO : answer);
        else
                helper_done(l, n < 0 ? -errno : l->held ? -ENOLCK : -EIO);
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        helper_done(userdata, -ETIMEDOUT);
        return 0;
}

int cluster_lock_try(cluster_lock *l) {
        int sp[2], r;
        pid_t parent = getpid(), pid;

        if (!l)
                return -EINVAL;
        if (l->held)
                return 1;
        if (l->pid > 0)
                return 0;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(sp[0]);
                close(sp[1]);
                return r;
        }
        if (pid == 0)
                helper_main(l->path, sp[1], parent);
        close(sp[1]);
        l->fd = sp[0];
        l->pid = pid;

        r = sd_event_add_child(l->event, NULL, pid, WEXITED, on_helper_exit, NULL);
        if (r >= 0)
                r = sd_event_add_io(l->event, &l->answer, l->fd, EPOLLIN, on_answer, l);
        if (r >= 0)
                r = sd_event_add_time_relative(l->event, &l->deadline, CLOCK_MONOTONIC,
                                               CLUSTER_LOCK_ANSWER_USEC, 0, on_deadline, l);
        if (r < 0) {
                helper_stop(l);
                return r;
        }
        return 0;
}

void cluster_lock_release(cluster_lock *l) {
        if (l)
                helper_stop(l);
}

static int cluster_lock_destructor(cluster_lock *l) {
        helper_stop(l);
        sd_event_unref(l->event);
        return 0;
}

cluster_lock *cluster_lock_new(void *mem_ctx, sd_event *event, const char *path, cluster_lock_fn fn,
                               void *userdata) {
        cluster_lock *l;
        sigset_t mask;

        if (!event || !path)
                return NULL;
        /* sd-event can watch (and reap) children only with SIGCHLD blocked. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return NULL;

        l = talloc_zero(mem_ctx, cluster_lock);
        if (!l)
                return NULL;
        l->fd = -1;
        l->fn = fn;
        l->userdata = userdata;
        l->path = talloc_strdup(l, path);
        if (!l->path) {
                talloc_free(l);
                return NULL;
        }
        l->event = sd_event_ref(event);
        talloc_set_destructor(l, cluster_lock_destructor);
        return l;
}

void cluster_lock_free(cluster_lock *l) {
        talloc_free(l);
}

bool cluster_lock_held(const cluster_lock *l) {
        return l && l->held;
}

pid_t cluster_lock_helper_pid(const cluster_lock *l) {
        return l ? l->pid : 0;
}

const char *cluster_lock_path(const cluster_lock *l) {
        return l ? l->path : NULL;
}
