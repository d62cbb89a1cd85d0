/*
 * The fcntl cluster lock (services/clusterd/clusterd-lock.c): taken and held by
 * a helper process whose answers arrive through the event loop. Checked against
 * the kernel's own view of the lock (F_OFD_GETLK from this process).
 */
#undef NDEBUG

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <talloc.h>
#include <time.h>
#include <unistd.h>

#include "clusterd-lock.h"

#define WAIT_USEC (10 * 1000 * 1000) /* generous: a wait never decides a result */

struct fixture {
        sd_event *event;
        char *dir;
        char *path;
};

struct answer {
        int result;
        unsigned count;
};

static void on_answer(cluster_lock *l, int result, void *userdata) {
        struct answer *a = userdata;

        a->result = result;
        a->count++;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Runs the loop until the callback has been called `count` times in all. */
static int wait_answer(struct fixture *f, struct answer *a, unsigned count) {
        uint64_t deadline = now_usec() + WAIT_USEC;

        while (a->count < count) {
                g_assert_cmpuint(now_usec(), <, deadline);
                g_assert_cmpint(sd_event_run(f->event, 100 * 1000), >=, 0);
        }
        g_assert_cmpuint(a->count, ==, count);
        return a->result;
}

/* Whether any open file description holds byte 0 of the file, as the kernel says. */
static bool locked_by_anyone(const char *path) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
        int fd = open(path, O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return false;
        g_assert_cmpint(fcntl(fd, F_OFD_GETLK, &fl), ==, 0);
        close(fd);
        return fl.l_type != F_UNLCK;
}

static void wait_unlocked(struct fixture *f, const char *path) {
        uint64_t deadline = now_usec() + WAIT_USEC;

        while (locked_by_anyone(path)) {
                g_assert_cmpuint(now_usec(), <, deadline);
                (void) sd_event_run(f->event, 10 * 1000);
        }
}

static void setup(struct fixture *f, gconstpointer data) {
        g_assert_cmpint(sd_event_new(&f->event), >=, 0);
        f->dir = g_dir_make_tmp("ctdb-test-lock-XXXXXX", NULL);
        g_assert_nonnull(f->dir);
        f->path = g_build_filename(f->dir, "cluster.lock", NULL);
}

static void teardown(struct fixture *f, gconstpointer data) {
        unlink(f->path);
        rmdir(f->dir);
        g_free(f->path);
        g_free(f->dir);
        /* Reap whatever helpers are left (killed at release). */
        while (sd_event_run(f->event, 50 * 1000) > 0)
                ;
        sd_event_unref(f->event);
}

/* Taken by one, refused to a second while held, taken by the second after release. */
static void test_take_contend_release(struct fixture *f, gconstpointer data) {
        struct answer a = {}, b = {};
        cluster_lock *la = cluster_lock_new(NULL, f->event, f->path, on_answer, &a);
        cluster_lock *lb = cluster_lock_new(NULL, f->event, f->path, on_answer, &b);

        g_assert_nonnull(la);
        g_assert_nonnull(lb);
        g_assert_false(cluster_lock_held(la));
        g_assert_cmpint(cluster_lock_try(la), ==, 0);
        g_assert_cmpint(cluster_lock_try(la), ==, 0); /* one attempt at a time */
        g_assert_cmpint(wait_answer(f, &a, 1), ==, 1);
        g_assert_true(cluster_lock_held(la));
        g_assert_cmpint(cluster_lock_try(la), ==, 1);
        g_assert_cmpint(cluster_lock_helper_pid(la), >, 0);
        g_assert_true(locked_by_anyone(f->path));

        g_assert_cmpint(cluster_lock_try(lb), ==, 0);
        g_assert_cmpint(wait_answer(f, &b, 1), ==, 0);
        g_assert_false(cluster_lock_held(lb));
        g_assert_cmpint(cluster_lock_helper_pid(lb), ==, 0);

        cluster_lock_release(la);
        g_assert_false(cluster_lock_held(la));
        wait_unlocked(f, f->path);
        g_assert_cmpuint(a.count, ==, 1); /* release never calls back */

        g_assert_cmpint(cluster_lock_try(lb), ==, 0);
        g_assert_cmpint(wait_answer(f, &b, 2), ==, 1);
        g_assert_true(cluster_lock_held(lb));

        cluster_lock_free(lb);
        wait_unlocked(f, f->path);
        cluster_lock_free(la);
}

/* Removing or replacing the lock file under a holder takes the lock away. */
static void test_file_removed(struct fixture *f, gconstpointer data) {
        struct answer a = {};
        cluster_lock *l = cluster_lock_new(NULL, f->event, f->path, on_answer, &a);

        g_assert_cmpint(cluster_lock_try(l), ==, 0);
        g_assert_cmpint(wait_answer(f, &a, 1), ==, 1);
        g_assert_cmpint(unlink(f->path), ==, 0);
        g_assert_cmpint(wait_answer(f, &a, 2), ==, -ESTALE);
        g_assert_false(cluster_lock_held(l));
        g_assert_cmpint(cluster_lock_helper_pid(l), ==, 0);

        /* A new file is a new lock. */
        g_assert_cmpint(cluster_lock_try(l), ==, 0);
        g_assert_cmpint(wait_answer(f, &a, 3), ==, 1);
        cluster_lock_free(l);
}

/* A helper that dies takes the lock with it, and the holder hears of it. */
static void test_helper_killed(struct fixture *f, gconstpointer data) {
        struct answer a = {};
        cluster_lock *l = cluster_lock_new(NULL, f->event, f->path, on_answer, &a);

        g_assert_cmpint(cluster_lock_try(l), ==, 0);
        g_assert_cmpint(wait_answer(f, &a, 1), ==, 1);
        g_assert_cmpint(kill(cluster_lock_helper_pid(l), SIGKILL), ==, 0);
        g_assert_cmpint(wait_answer(f, &a, 2), ==, -ENOLCK);
        g_assert_false(cluster_lock_held(l));
        wait_unlocked(f, f->path);
        cluster_lock_free(l);
}

/* clusterd dying (here: a child of the test that holds the lock) frees the lock
 * at once, with no hang-up from it first. */
static void test_holder_dies(struct fixture *f, gconstpointer data) {
        int ready[2];
        pid_t pid;
        char c;

        g_assert_cmpint(pipe(ready), ==, 0);
        pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                sd_event *e = NULL;
                struct answer a = {};
                cluster_lock *l;

                close(ready[0]);
                if (sd_event_new(&e) < 0)
                        _exit(1);
                l = cluster_lock_new(NULL, e, f->path, on_answer, &a);
                if (!l || cluster_lock_try(l) < 0)
                        _exit(1);
                while (a.count == 0)
                        if (sd_event_run(e, UINT64_MAX) < 0)
                                _exit(1);
                if (a.result != 1 || write(ready[1], "x", 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        close(ready[1]);
        g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
        close(ready[0]);
        g_assert_true(locked_by_anyone(f->path));
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        g_assert_cmpint(waitpid(pid, NULL, 0), ==, pid);
        wait_unlocked(f, f->path);
}

/* A lock file that cannot be opened is an error, reported through the callback. */
static void test_cannot_open(struct fixture *f, gconstpointer data) {
        struct answer a = {};
        g_autofree char *path = g_build_filename(f->dir, "missing", "cluster.lock", NULL);
        cluster_lock *l = cluster_lock_new(NULL, f->event, path, on_answer, &a);

        g_assert_cmpint(cluster_lock_try(l), ==, 0);
        g_assert_cmpint(wait_answer(f, &a, 1), ==, -ENOENT);
        g_assert_false(cluster_lock_held(l));
        cluster_lock_free(l);
}

/* Releasing while an attempt is under way abandons it without a callback. */
static void test_release_attempt(struct fixture *f, gconstpointer data) {
        struct answer a = {};
        cluster_lock *l = cluster_lock_new(NULL, f->event, f->path, on_answer, &a);

        g_assert_cmpint(cluster_lock_try(l), ==, 0);
        cluster_lock_release(l);
        g_assert_cmpint(cluster_lock_helper_pid(l), ==, 0);
        for (int i = 0; i < 20; i++)
                (void) sd_event_run(f->event, 10 * 1000);
        g_assert_cmpuint(a.count, ==, 0);
        wait_unlocked(f, f->path);
        cluster_lock_free(l);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/lock/" name, struct fixture, NULL, setup, fn, teardown)
        ADD("take-contend-release", test_take_contend_release);
        ADD("file-removed", test_file_removed);
        ADD("helper-killed", test_helper_killed);
        ADD("holder-dies", test_holder_dies);
        ADD("cannot-open", test_cannot_open);
        ADD("release-attempt", test_release_attempt);
        return g_test_run();
}
