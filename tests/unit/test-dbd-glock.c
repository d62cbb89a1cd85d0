/*
 * Unit tests of g_lock's lock table (db/dbd-glock-queue.c): FIFO order,
 * shared and exclusive, no barging, owner and node death, a waiter that
 * leaves (timeout), EDEADLK, claims after a recovery, and bad requests.
 * Grants are recorded in the order the table tells them. Then db.sock's
 * GLOCK_* path (db/dbd-local.c, db/dbd-glock.c) on a manager without
 * tunneld that is its own lock master (it thawed itself).
 */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <talloc.h>
#include <unistd.h>

#include "db-proto.h"
#include "dbd-glock-queue.h"
#include "dbd-testing.h"
#include "dbd-wire.h"
#include "local-server.h"
#include "log.h"

struct grants {
        uint32_t pid[64];
        int error[64];
        unsigned n;
};

static void on_grant(void *userdata, const char *name, size_t name_len, const struct dbd_glock_entry *e,
                     int error) {
        struct grants *g = userdata;

        g_assert_cmpuint(g->n, <, G_N_ELEMENTS(g->pid));
        g->pid[g->n] = e->pid;
        g->error[g->n++] = error;
}

static const struct dbd_glock_limits limits = { .locks_max = 8, .waiters_max = 4 };

static struct dbd_glock_table *table(void *ctx, struct grants *g) {
        struct dbd_glock_table *t;

        memset(g, 0, sizeof(*g));
        g_assert_cmpint(dbd_glock_table_new(ctx, &limits, on_grant, g, &t), ==, 0);
        return t;
}

#define LOCK(t, pnn, pid, mode) dbd_glock_lock(t, "k", 1, pnn, pid, pid, mode)
#define UNLOCK(t, pnn, pid)     dbd_glock_unlock(t, "k", 1, pnn, pid, 0)
#define X                       DBD_GLOCK_EXCLUSIVE
#define S                       DBD_GLOCK_SHARED

static void test_exclusive_fifo(void) {
        void *ctx = talloc_new(NULL);
        struct grants g;
        struct dbd_glock_table *t = table(ctx, &g);

        g_assert_cmpint(LOCK(t, 0, 10, X), ==, 0);
        g_assert_cmpint(LOCK(t, 1, 11, X), ==, 0);
        g_assert_cmpint(LOCK(t, 2, 12, X), ==, 0);
        g_assert_cmpuint(g.n, ==, 1);
        g_assert_cmpuint(g.pid[0], ==, 10);
        g_assert_cmpint(UNLOCK(t, 0, 10), ==, 0);
        g_assert_cmpuint(g.n, ==, 2);
        g_assert_cmpuint(g.pid[1], ==, 11);
        g_assert_cmpint(UNLOCK(t, 1, 11), ==, 0);
        g_assert_cmpuint(g.pid[2], ==, 12);
        g_assert_cmpint(UNLOCK(t, 2, 12), ==, 0);
        g_assert_cmpuint(dbd_glock_n_locks(t), ==, 0);
        talloc_free(ctx);
}

static void test_shared_together(void) {
        void *ctx = talloc_new(NULL);
        struct grants g;
        struct dbd_glock_table *t = table(ctx, &g);

        g_assert_cmpint(LOCK(t, 0, 1, S), ==, 0);
        g_assert_cmpint(LOCK(t, 1, 2, S), ==, 0);
        g_assert_cmpuint(g.n, ==, 2);
        g_assert_cmpint(LOCK(t, 2, 3, X), ==, 0);
        g_assert_cmpuint(g.n, ==, 2);
        g_assert_cmpint(UNLOCK(t, 0, 1), ==, 0);
        g_assert_cmpuint(g.n, ==, 2); /* one shared holder is left */
        g_assert_cmpint(UNLOCK(t, 1, 2), ==, 0);
        g_assert_cmpuint(g.n, ==, 3);
        g_assert_cmpuint(g.pid[2], ==, 3);
        talloc_free(ctx);
}

static void test_no_barging(void) {
        void *ctx = talloc_new(NULL);
        struct grants g;
        struct dbd_glock_table *t = table(ctx, &g);

        g_assert_cmpint(LOCK(t, 0, 1, S), ==, 0);
        g_assert_cmpint(LOCK(t, 0, 2, X), ==, 0);
        /* Compatible with the shared holder, but behind a waiting exclusive one: waits. */
        g_assert_cmpint(LOCK(t, 0, 3, S), ==, 0);
        g_assert_cmpuint(g.n, ==, 1);
        g_assert_cmpint(UNLOCK(t, 0, 1), ==, 0);
        g_assert_cmpuint(g.n, ==, 2);
        g_assert_cmpuint(g.pid[1], ==, 2);
        g_assert_cmpint(UNLOCK(t, 0, 2), ==, 0);
        g_assert_cmpuint(g.pid[2], ==, 3);
        talloc_free(ctx);
}

static void test_owner_death(void) {
        void *ctx = talloc_new(NULL);
        struct grants g;
        struct dbd_glock_table *t = table(ctx, &g);

        g_assert_cmpint(LOCK(t, 0, 1, X), ==, 0);
        g_assert_cmpint(dbd_glock_lock(t, "other", 5, 0, 1, 9, X), ==, 0);
        g_assert_cmpint(LOCK(t, 1, 2, X), ==, 0);
        g_assert_cmpuint(dbd_glock_drop_owner(t, 0, 1), ==, 2);
        g_assert_cmpuint(g.n, ==, 3);
        g_assert_cmpuint(g.pid[2], ==, 2);
        g_assert_cmpuint(dbd_glock_n_locks(t), ==, 1);
        talloc_free(ctx);
}

static void test_node_death(void) {
        void *ctx = talloc_new(NULL);
        struct grants g;
        struct dbd_glock_table *t = table(ctx, &g);
        uint32_t alive[] = { 0, 2 };

        g_assert_cmpint(LOCK(t, 1, 1, X), ==, 0);
        g_assert_cmpint(LOCK(t, 1, 2, X), ==, 0);
        g_assert_cmpint(LOCK(t, 2, 3, X), ==, 0);
        g_assert_cmpuint(dbd_glock_drop_node(t, 1), ==, 2);
        g_assert_cmpuint(g.n, ==, 2);
        g_assert_cmpuint(g.pid[1], ==, 3);
        g_assert_cmpint(LOCK(t, 3, 4, S), ==, 0);
        g_assert_cmpuint(dbd_glock_drop_outside(t, alive, 2), ==, 1);
        g_assert_cmpint(UNLOCK(t, 3, 4), ==, -ENOENT);
        talloc_free(ctx);
}

/* A waiter that leaves (its timeout: the node withdraws it) lets those behind it in. */
static void test_waiter_leaves(void) {
        void *ctx = talloc_new(NULL);
        struct grants g;
        struct dbd_glock_table *t = table(ctx, &g);

        g_assert_cmpint(LOCK(t, 0, 1, S), ==, 0);
        g_assert_cmpint(LOCK(t, 0, 2, X), ==, 0);
        g_assert_cmpint(LOCK(t, 0, 3, S), ==, 0);
        g_assert_cmpint(dbd_glock_unlock(t, "k", 1, 0, 2, 2), ==, 0);
        g_assert_cmpuint(g.n, ==, 2);
        g_assert_cmpuint(g.pid[1], ==, 3);
        /* An unlock naming another request of the owner removes nothing. */
        g_assert_cmpint(dbd_glock_unlock(t, "k", 1, 0, 3, 99), ==, -ENOENT);
        talloc_free(ctx);
}

static void test_deadlock(void) {
        void *ctx = talloc_new(NULL);
        struct grants g;
        struct dbd_glock_table *t = table(ctx, &g);

        g_assert_cmpint(LOCK(t, 0, 1, X), ==, 0);
        g_assert_cmpint(LOCK(t, 0, 1, S), ==, -EDEADLK);
        g_assert_cmpint(LOCK(t, 1, 2, X), ==, 0);
        g_assert_cmpint(LOCK(t, 1, 2, X), ==, -EDEADLK);
        /* The same pid on another node is another owner. */
        g_assert_cmpint(LOCK(t, 2, 1, X), ==, 0);
        talloc_free(ctx);
}

static void test_bad_requests_and_limits(void) {
        void *ctx = talloc_new(NULL);
        struct grants g;
        struct dbd_glock_table *t = table(ctx, &g);
        char name[8];

        g_assert_cmpint(dbd_glock_lock(t, "", 0, 0, 1, 1, X), ==, -EINVAL);
        g_assert_cmpint(dbd_glock_lock(t, "k", DB_KEY_MAX + 1, 0, 1, 1, X), ==, -EINVAL);
        g_assert_cmpint(dbd_glock_lock(t, "k", 1, 0, 1, 1, (enum dbd_glock_mode) 2), ==, -EINVAL);
        g_assert_cmpint(UNLOCK(t, 0, 1), ==, -ENOENT);
        g_assert_cmpint(dbd_glock_unlock(t, "", 0, 0, 1, 0), ==, -ENOENT);
        g_assert_cmpint(LOCK(t, 0, 1, X), ==, 0);
        for (uint32_t i = 0; i < limits.waiters_max; i++)
                g_assert_cmpint(LOCK(t, 0, 100 + i, X), ==, 0);
        g_assert_cmpint(LOCK(t, 0, 200, X), ==, -E2BIG);
        for (unsigned i = 1; i < limits.locks_max; i++) {
                snprintf(name, sizeof(name), "l%u", i);
                g_assert_cmpint(dbd_glock_lock(t, name, strlen(name), 0, 1, 1, S), ==, 0);
        }
        g_assert_cmpint(dbd_glock_lock(t, "one-more", 8, 0, 1, 1, S), ==, -E2BIG);
        g_assert_cmpuint(dbd_glock_n_locks(t), ==, limits.locks_max);
        talloc_free(ctx);
}

/* A new master: held claims are held again, waiters queue in claim order, nothing granted until resumed. */
static void test_claims(void) {
        void *ctx = talloc_new(NULL);
        struct grants g;
        struct dbd_glock_table *t = table(ctx, &g);

        dbd_glock_pause(t, true);
        dbd_glock_claim_begin(t, 1);
        g_assert_cmpint(dbd_glock_claim(t, "k", 1, 1, 5, 50, X, false), ==, 0);
        dbd_glock_claim_end(t, 1);
        g_assert_cmpuint(g.n, ==, 0);
        dbd_glock_claim_begin(t, 2);
        g_assert_cmpint(dbd_glock_claim(t, "k", 1, 2, 6, 60, X, true), ==, 0);
        /* A second holder that cannot share: that claim lost its lock. */
        g_assert_cmpint(dbd_glock_claim(t, "k", 1, 2, 7, 70, X, true), ==, -ENOLCK);
        dbd_glock_claim_end(t, 2);
        g_assert_cmpuint(g.n, ==, 1);
        g_assert_cmpint(g.error[0], ==, -ENOLCK);
        dbd_glock_pause(t, false);
        g_assert_cmpuint(g.n, ==, 1);
        g_assert_cmpint(dbd_glock_unlock(t, "k", 1, 2, 6, 60), ==, 0);
        g_assert_cmpuint(g.n, ==, 2);
        g_assert_cmpuint(g.pid[1], ==, 5);
        talloc_free(ctx);
}

/* The same master again: a node's claim keeps its entries' places and drops what it no longer has. */
static void test_claim_reconciles(void) {
        void *ctx = talloc_new(NULL);
        struct grants g;
        struct dbd_glock_table *t = table(ctx, &g);

        g_assert_cmpint(LOCK(t, 0, 1, X), ==, 0);
        g_assert_cmpint(LOCK(t, 1, 2, X), ==, 0);
        g_assert_cmpint(LOCK(t, 0, 3, X), ==, 0);
        dbd_glock_pause(t, true);
        dbd_glock_claim_begin(t, 0);
        g_assert_cmpint(dbd_glock_claim(t, "k", 1, 0, 3, 3, X, false), ==, 0); /* pid 1 let go meanwhile */
        dbd_glock_claim_end(t, 0);
        dbd_glock_claim_begin(t, 1);
        g_assert_cmpint(dbd_glock_claim(t, "k", 1, 1, 2, 2, X, false), ==, 0);
        dbd_glock_claim_end(t, 1);
        g_assert_cmpuint(g.n, ==, 1);
        dbd_glock_pause(t, false);
        g_assert_cmpuint(g.n, ==, 2);
        g_assert_cmpuint(g.pid[1], ==, 2); /* it was ahead of pid 3 before */
        /* A claimed waiter the table had granted is told again. */
        dbd_glock_claim_begin(t, 1);
        g_assert_cmpint(dbd_glock_claim(t, "k", 1, 1, 2, 2, X, false), ==, 0);
        dbd_glock_claim_end(t, 1);
        g_assert_cmpuint(g.n, ==, 3);
        g_assert_cmpuint(g.pid[2], ==, 2);
        talloc_free(ctx);
}

/* ---- db.sock ------------------------------------------------------------------------ */

struct fixture {
        char *dir;
        void *ctx;
        sd_event *event;
        dbd_manager *m;
        struct local_client *c[2];
        int fd[2];
};

static void run_once(struct fixture *fx) {
        g_assert_cmpint(sd_event_run(fx->event, 10 * 1000), >=, 0);
}

/* The next frame client i gets, with a deadline, running the loop meanwhile. */
static size_t receive(struct fixture *fx, int i, uint8_t *buf, size_t size, struct wire_header *ret) {
        gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

        for (;;) {
                ssize_t n = recv(fx->fd[i], buf, size, MSG_DONTWAIT);

                if (n > 0) {
                        g_assert_cmpint(wire_header_unpack(buf, WIRE_FRAME_MAX, ret), ==, 0);
                        return (size_t) n;
                }
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                run_once(fx);
        }
}

static bool nothing_for(struct fixture *fx, int i) {
        uint8_t b[64];

        for (int k = 0; k < 5; k++)
                (void) sd_event_run(fx->event, 1000);
        return recv(fx->fd[i], b, sizeof(b), MSG_DONTWAIT) < 0;
}

static void feed(struct fixture *fx, int i, uint16_t kind, uint64_t id, const struct wire_desc *desc,
                 const void *msg) {
        struct wire_header h = { .kind = kind, .srvid = id };
        uint8_t buf[512];
        int len = wire_frame_pack(&h, desc, msg, buf, sizeof(buf));

        g_assert_cmpint(len, >, 0);
        g_assert_cmpint(local_client_feed(fx->c[i], buf, (size_t) len), >=, 0);
}

static void self_frame(struct fixture *fx, const struct wire_desc *desc, const void *msg) {
        uint8_t buf[256];
        int len = wire_inner_pack_into(desc, msg, buf, sizeof(buf));

        g_assert_cmpint(len, >, 0);
        g_assert_cmpint(dbd_manager_receive(fx->m, 0, buf, (size_t) len), >=, 0);
}

static void add_client(struct fixture *fx, int i, pid_t pid) {
        struct wire_hello hello = { .magic = WIRE_MAGIC,
                                    .major = WIRE_VERSION_MAJOR,
                                    .minor = WIRE_VERSION_MINOR };
        struct wire_header h;
        uint8_t buf[256];
        int fds[2];

        g_assert_cmpint(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), ==, 0);
        g_assert_cmpint(dbd_testing_add_client_pid(fx->m, fds[0], pid, &fx->c[i]), ==, 0);
        fx->fd[i] = fds[1];
        receive(fx, i, buf, sizeof(buf), &h);
        g_assert_cmpuint(h.kind, ==, WIRE_KIND_HELLO);
        feed(fx, i, WIRE_KIND_HELLO, 0, &wire_hello_desc, &hello);
}

static void setup(struct fixture *fx, gconstpointer data) {
        uint32_t vnnmap[] = { 0 };

        log_set_max_level(LOG_ERR);
        fx->dir = g_dir_make_tmp("ctdb-test-dbd-glock-XXXXXX", NULL);
        g_assert_nonnull(fx->dir);
        fx->ctx = talloc_new(NULL);
        g_assert_cmpint(sd_event_new(&fx->event), >=, 0);
        g_assert_cmpint(dbd_testing_manager_new(fx->ctx, fx->event, fx->dir, 0, 1, &fx->m), ==, 0);
        /* A recovery of one node that this node coordinates: it becomes the lock master. */
        self_frame(fx, &dbd_freeze_desc, &(struct dbd_freeze_msg){ .id = 1, .generation = 5 });
        self_frame(fx, &dbd_thaw_desc,
                   &(struct dbd_thaw_msg){ .id = 2, .generation = 5, .vnnmap = vnnmap, .n_vnnmap = 1 });
        add_client(fx, 0, 100);
        add_client(fx, 1, 200);
}

static void teardown(struct fixture *fx, gconstpointer data) {
        talloc_free(fx->ctx);
        sd_event_unref(fx->event);
        close(fx->fd[0]);
        close(fx->fd[1]);
        {
                g_autofree char *sock = g_build_filename(fx->dir, "db.sock", NULL);

                (void) g_unlink(sock); /* there only if db.sock was bound */
        }
        g_assert_cmpint(g_rmdir(fx->dir), ==, 0);
        g_free(fx->dir);
}

static void lock_req(struct fixture *fx, int i, uint64_t id, const char *name, uint32_t mode, uint32_t ms) {
        struct db_glock_lock l = {
                .mode = mode, .timeout_ms = ms, .name = (char *) name, .name_len = (uint32_t) strlen(name)
        };

        feed(fx, i, DB_LOCAL_GLOCK_LOCK, id, &db_glock_lock_desc, &l);
}

/* The answer client i gets next: its id must be id; returns its error. */
static int answer(struct fixture *fx, int i, uint64_t id) {
        struct wire_header h;
        struct db_reply r;
        uint8_t buf[256];
        size_t n = receive(fx, i, buf, sizeof(buf), &h);

        g_assert_cmpuint(h.srvid, ==, id);
        g_assert_cmpuint(h.kind, ==, DB_LOCAL_GLOCK_REPLY);
        g_assert_cmpint(
                wire_unpack(&db_glock_reply_desc, NULL, buf + WIRE_HEADER_SIZE, n - WIRE_HEADER_SIZE, &r),
                >=, 0);
        return r.error;
}

static void unlock_req(struct fixture *fx, int i, uint64_t id, const char *name) {
        struct db_glock_unlock u = { .name = (char *) name, .name_len = (uint32_t) strlen(name) };

        feed(fx, i, DB_LOCAL_GLOCK_UNLOCK, id, &db_glock_unlock_desc, &u);
}

/* The entries GLOCK_LIST answers, as "pid:held|waiting " each. */
static char *list(struct fixture *fx, void *ctx) {
        struct db_glock_entries e;
        struct wire_header h;
        uint8_t buf[4096];
        size_t n;
        char *s = talloc_strdup(ctx, "");

        feed(fx, 0, DB_LOCAL_GLOCK_LIST, 77, &db_glock_list_desc, &(struct db_glock_list){ 0 });
        n = receive(fx, 0, buf, sizeof(buf), &h);
        g_assert_cmpuint(h.kind, ==, DB_LOCAL_GLOCK_ENTRIES);
        g_assert_cmpint(
                wire_unpack(&db_glock_entries_desc, ctx, buf + WIRE_HEADER_SIZE, n - WIRE_HEADER_SIZE, &e),
                >=, 0);
        g_assert_cmpint(e.error, ==, 0);
        for (uint32_t i = 0; i < e.n_entries; i++)
                s = talloc_asprintf_append(s, "%u:%s ", e.entries[i].pid,
                                           e.entries[i].held ? "held" : "waiting");
        return s;
}

static void test_local_lock_unlock(struct fixture *fx, gconstpointer data) {
        void *ctx = talloc_new(NULL);

        lock_req(fx, 0, 1, "k", DB_GLOCK_EXCLUSIVE, 0);
        g_assert_cmpint(answer(fx, 0, 1), ==, 0);
        lock_req(fx, 1, 2, "k", DB_GLOCK_SHARED, 0);
        g_assert_true(nothing_for(fx, 1));
        g_assert_cmpstr(list(fx, ctx), ==, "100:held 200:waiting ");
        unlock_req(fx, 0, 3, "k");
        g_assert_cmpint(answer(fx, 0, 3), ==, 0);
        g_assert_cmpint(answer(fx, 1, 2), ==, 0);
        unlock_req(fx, 0, 4, "k");
        g_assert_cmpint(answer(fx, 0, 4), ==, ENOENT);
        talloc_free(ctx);
}

static void test_local_deadlock(struct fixture *fx, gconstpointer data) {
        lock_req(fx, 0, 1, "k", DB_GLOCK_SHARED, 0);
        g_assert_cmpint(answer(fx, 0, 1), ==, 0);
        lock_req(fx, 0, 2, "k", DB_GLOCK_EXCLUSIVE, 0);
        g_assert_cmpint(answer(fx, 0, 2), ==, EDEADLK);
}

static void test_local_timeout(struct fixture *fx, gconstpointer data) {
        void *ctx = talloc_new(NULL);

        lock_req(fx, 0, 1, "k", DB_GLOCK_EXCLUSIVE, 0);
        g_assert_cmpint(answer(fx, 0, 1), ==, 0);
        lock_req(fx, 1, 2, "k", DB_GLOCK_EXCLUSIVE, 30);
        g_assert_cmpint(answer(fx, 1, 2), ==, ETIMEDOUT);
        /* It left the queue (its UNLOCK reaches this master in the loop): only the holder is listed. */
        g_assert_true(nothing_for(fx, 1));
        g_assert_cmpstr(list(fx, ctx), ==, "100:held ");
        talloc_free(ctx);
}

/* The owner's connection closes (its process died): the waiter behind it is granted. */
static void test_local_owner_death(struct fixture *fx, gconstpointer data) {
        lock_req(fx, 0, 1, "k", DB_GLOCK_EXCLUSIVE, 0);
        g_assert_cmpint(answer(fx, 0, 1), ==, 0);
        lock_req(fx, 1, 2, "k", DB_GLOCK_EXCLUSIVE, 0);
        g_assert_true(nothing_for(fx, 1));
        local_client_free(fx->c[0]);
        g_assert_cmpint(answer(fx, 1, 2), ==, 0);
}

static void test_local_bad_requests(struct fixture *fx, gconstpointer data) {
        lock_req(fx, 0, 1, "k", 2, 0);
        g_assert_cmpint(answer(fx, 0, 1), ==, EINVAL);
        lock_req(fx, 0, 2, "", DB_GLOCK_SHARED, 0);
        g_assert_cmpint(answer(fx, 0, 2), ==, EINVAL);
        for (uint64_t i = 0; i < DB_GLOCK_PER_CLIENT; i++) {
                char name[16];

                snprintf(name, sizeof(name), "n%u", (unsigned) i);
                lock_req(fx, 0, 10 + i, name, DB_GLOCK_SHARED, 0);
                g_assert_cmpint(answer(fx, 0, 10 + i), ==, 0);
        }
        lock_req(fx, 0, 5, "one-more", DB_GLOCK_SHARED, 0);
        g_assert_cmpint(answer(fx, 0, 5), ==, E2BIG);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/dbd-glock/exclusive-fifo", test_exclusive_fifo);
        g_test_add_func("/dbd-glock/shared-together", test_shared_together);
        g_test_add_func("/dbd-glock/no-barging", test_no_barging);
        g_test_add_func("/dbd-glock/owner-death", test_owner_death);
        g_test_add_func("/dbd-glock/node-death", test_node_death);
        g_test_add_func("/dbd-glock/waiter-leaves", test_waiter_leaves);
        g_test_add_func("/dbd-glock/deadlock", test_deadlock);
        g_test_add_func("/dbd-glock/bad-requests-and-limits", test_bad_requests_and_limits);
        g_test_add_func("/dbd-glock/claims", test_claims);
        g_test_add_func("/dbd-glock/claim-reconciles", test_claim_reconciles);
        g_test_add("/dbd-glock/local/lock-unlock", struct fixture, NULL, setup, test_local_lock_unlock,
                   teardown);
        g_test_add("/dbd-glock/local/deadlock", struct fixture, NULL, setup, test_local_deadlock, teardown);
        g_test_add("/dbd-glock/local/timeout", struct fixture, NULL, setup, test_local_timeout, teardown);
        g_test_add("/dbd-glock/local/owner-death", struct fixture, NULL, setup, test_local_owner_death,
                   teardown);
        g_test_add("/dbd-glock/local/bad-requests", struct fixture, NULL, setup, test_local_bad_requests,
                   teardown);
        return g_test_run();
}
