/*
 * Unit tests of g_lock's lock table (db/dbd-glock-queue.c): FIFO order,
 * shared and exclusive, no barging, owner and node death, a waiter that
 * leaves (timeout), EDEADLK, claims after a recovery, and bad requests.
 * Grants are recorded in the order the table tells them.
 */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <talloc.h>

#include "db-proto.h"
#include "dbd-glock-queue.h"

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
        return g_test_run();
}
