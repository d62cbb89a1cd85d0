/*
 * Unit tests of the commit coordinator's log (db/dbd-txn-log.c): which
 * commits it accepts (a read of a key another accepted commit wrote since is
 * a conflict), the seqnums and rsns it gives, the batches it hands out and
 * what completing a batch forgets. The file under the log is a table of
 * (key, rsn) here.
 */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <stddef.h>
#include <string.h>
#include <talloc.h>

#include "db-proto.h"
#include "dbd-txn-log.h"

/* ---- the file under the log -------------------------------------------- */

struct fake_file {
        const char *keys[8];
        uint64_t rsns[8];
        int error; /* returned for every key when set */
        unsigned calls;
};

static int fake_base(void *userdata, const uint8_t *key, size_t len, uint64_t *ret_rsn) {
        struct fake_file *f = userdata;

        f->calls++;
        if (f->error)
                return f->error;
        *ret_rsn = 0;
        for (size_t i = 0; i < G_N_ELEMENTS(f->keys) && f->keys[i]; i++)
                if (strlen(f->keys[i]) == len && memcmp(f->keys[i], key, len) == 0)
                        *ret_rsn = f->rsns[i];
        return 0;
}

/* ---- transactions -------------------------------------------------------- */

#define TXN_MAX 4

/* A transaction of up to TXN_MAX reads and writes, built by the helpers below. */
struct txn {
        struct db_txn t;
        struct db_txn_read reads[TXN_MAX];
        struct db_record writes[TXN_MAX];
};

static void txn_init(struct txn *x) {
        *x = (struct txn){ 0 };
        x->t.db_id = 0x1234;
        x->t.reads = x->reads;
        x->t.writes = x->writes;
}

static void txn_read(struct txn *x, const char *key, uint64_t rsn) {
        g_assert_cmpuint(x->t.n_reads, <, TXN_MAX);
        x->reads[x->t.n_reads++] = (struct db_txn_read){ .rsn = rsn,
                                                         .key = (const uint8_t *) key,
                                                         .key_len = (uint32_t) strlen(key) };
}

/* value NULL: a delete. */
static void txn_write(struct txn *x, const char *key, const char *value) {
        g_assert_cmpuint(x->t.n_writes, <, TXN_MAX);
        x->writes[x->t.n_writes++] = (struct db_record){
                .key = (const uint8_t *) key,
                .key_len = (uint32_t) strlen(key),
                .value = (const uint8_t *) value,
                .value_len = value ? (uint32_t) strlen(value) : 0,
        };
}

/* A commit of origin that writes key = value and reads nothing; its entry. */
static struct dbd_txn_entry *accept_write(struct dbd_txn_log *l, struct fake_file *f, uint32_t origin,
                                          uint32_t id, const char *key, const char *value) {
        struct dbd_txn_entry *e = NULL;
        struct txn x;

        txn_init(&x);
        txn_write(&x, key, value);
        g_assert_cmpint(dbd_txn_log_accept(l, origin, id, &x.t, fake_base, f, &e), ==, 0);
        g_assert_nonnull(e);
        return e;
}

/* Whether a commit that read key at rsn (and writes another key) is accepted now. */
static int try_read(struct dbd_txn_log *l, struct fake_file *f, const char *key, uint64_t rsn) {
        struct txn x;

        txn_init(&x);
        txn_read(&x, key, rsn);
        txn_write(&x, "other", "o");
        return dbd_txn_log_accept(l, 9, 999, &x.t, fake_base, f, NULL);
}

struct seen {
        uint64_t seqnums[16];
        uint32_t ids[16];
        size_t n;
};

static void on_complete(void *userdata, const struct dbd_txn_entry *e) {
        struct seen *s = userdata;

        g_assert_cmpuint(s->n, <, G_N_ELEMENTS(s->seqnums));
        s->seqnums[s->n] = e->seqnum;
        s->ids[s->n++] = e->id;
}

/* ---- counting --------------------------------------------------------------- */

/* A new log counts from the file's seqnum and holds nothing. */
static void test_new(void) {
        void *ctx = talloc_new(NULL);
        struct dbd_txn_log *l;
        struct dbd_txn_entry *first = (void *) 1;

        g_assert_cmpint(dbd_txn_log_new(ctx, 41, &l), ==, 0);
        g_assert_cmpuint(dbd_txn_log_seqnum(l), ==, 41);
        g_assert_cmpuint(dbd_txn_log_pending(l), ==, 0);
        g_assert_false(dbd_txn_log_in_flight(l));
        g_assert_cmpuint(dbd_txn_log_next_batch(l, 1 << 20, 100, &first), ==, 0);
        g_assert_null(first);
        /* Freeing the parent frees the log. */
        talloc_free(ctx);
}

/* Seqnums rise by one per accepted commit; each write takes its commit's seqnum as rsn and origin as
 * dmaster. */
static void test_seqnum_and_rsn(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { 0 };
        struct dbd_txn_log *l;
        struct txn x;
        struct dbd_txn_entry *e;

        g_assert_cmpint(dbd_txn_log_new(ctx, 10, &l), ==, 0);
        for (uint32_t i = 0; i < 3; i++) {
                e = accept_write(l, &f, i, 100 + i, "k", "v");
                g_assert_cmpuint(e->seqnum, ==, 11 + i);
                g_assert_cmpuint(e->origin, ==, i);
                g_assert_cmpuint(e->id, ==, 100 + i);
                g_assert_cmpuint(e->n_writes, ==, 1);
                g_assert_cmpuint(e->writes[0].rsn, ==, e->seqnum);
                g_assert_cmpuint(e->writes[0].dmaster, ==, i);
                g_assert_cmpuint(dbd_txn_log_seqnum(l), ==, 11 + i);
        }
        g_assert_cmpuint(dbd_txn_log_pending(l), ==, 3);

        /* A commit of several writes: one seqnum for all, a delete included. */
        txn_init(&x);
        txn_write(&x, "a", "1");
        txn_write(&x, "b", NULL);
        txn_write(&x, "c", "333");
        g_assert_cmpint(dbd_txn_log_accept(l, 2, 7, &x.t, fake_base, &f, &e), ==, 0);
        g_assert_cmpuint(e->seqnum, ==, 14);
        g_assert_cmpuint(e->n_writes, ==, 3);
        for (uint32_t i = 0; i < 3; i++)
                g_assert_cmpuint(e->writes[i].rsn, ==, 14);
        g_assert_cmpuint(e->writes[1].value_len, ==, 0);
        g_assert_cmpmem(e->writes[2].value, e->writes[2].value_len, "333", 3);
        g_assert_cmpuint(e->bytes, >=, 3 + 1 + 1 + 3);

        /* A commit that writes nothing still takes a seqnum (it is a commit). */
        txn_init(&x);
        g_assert_cmpint(dbd_txn_log_accept(l, 0, 8, &x.t, fake_base, &f, &e), ==, 0);
        g_assert_cmpuint(e->seqnum, ==, 15);
        g_assert_cmpuint(e->n_writes, ==, 0);
        talloc_free(ctx);
}

/* The log keeps copies: the caller's buffers may change or go after accept. */
static void test_accept_copies(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { 0 };
        struct dbd_txn_log *l;
        char key[] = "key", value[] = "value";
        struct dbd_txn_entry *e;

        g_assert_cmpint(dbd_txn_log_new(ctx, 0, &l), ==, 0);
        e = accept_write(l, &f, 1, 1, key, value);
        memset(key, 'X', 3);
        memset(value, 'Y', 5);
        g_assert_cmpmem(e->writes[0].key, e->writes[0].key_len, "key", 3);
        g_assert_cmpmem(e->writes[0].value, e->writes[0].value_len, "value", 5);
        /* The overlay holds its own copy of the key as well. */
        g_assert_cmpint(try_read(l, &f, "key", 0), ==, -EBUSY);
        g_assert_cmpint(try_read(l, &f, "key", 1), ==, 0);
        talloc_free(ctx);
}

/* ---- conflicts ---------------------------------------------------------------- */

/* A read of what the file holds is accepted; a stale rsn is -EBUSY and nothing of the commit stays. */
static void test_read_against_file(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { .keys = { "k" }, .rsns = { 5 } };
        struct dbd_txn_log *l;

        g_assert_cmpint(dbd_txn_log_new(ctx, 5, &l), ==, 0);
        g_assert_cmpint(try_read(l, &f, "k", 4), ==, -EBUSY);
        g_assert_cmpint(try_read(l, &f, "k", 0), ==, -EBUSY);
        g_assert_cmpuint(dbd_txn_log_seqnum(l), ==, 5);
        g_assert_cmpuint(dbd_txn_log_pending(l), ==, 0);
        g_assert_cmpint(try_read(l, &f, "k", 5), ==, 0);
        g_assert_cmpuint(dbd_txn_log_seqnum(l), ==, 6);
        g_assert_cmpuint(dbd_txn_log_pending(l), ==, 1);
        talloc_free(ctx);
}

/* A key without a record reads as rsn 0: that is accepted, a made-up rsn is not. */
static void test_read_missing_key(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { 0 };
        struct dbd_txn_log *l;

        g_assert_cmpint(dbd_txn_log_new(ctx, 0, &l), ==, 0);
        g_assert_cmpint(try_read(l, &f, "nothing", 3), ==, -EBUSY);
        g_assert_cmpint(try_read(l, &f, "nothing", 0), ==, 0);
        talloc_free(ctx);
}

/* A commit that read a key another accepted commit wrote since (not yet in the file) is refused. */
static void test_conflict_with_accepted(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { .keys = { "k" }, .rsns = { 3 } };
        struct dbd_txn_log *l;
        struct dbd_txn_entry *e;

        g_assert_cmpint(dbd_txn_log_new(ctx, 3, &l), ==, 0);
        e = accept_write(l, &f, 0, 1, "k", "new");
        g_assert_cmpuint(e->seqnum, ==, 4);
        /* What the file says is stale now: the overlay wins. */
        g_assert_cmpint(try_read(l, &f, "k", 3), ==, -EBUSY);
        /* A client that saw the accepted write (rsn = its seqnum) goes ahead. */
        g_assert_cmpint(try_read(l, &f, "k", 4), ==, 0);
        /* A deleted key keeps its rsn too: a read of "no record" conflicts with the delete. */
        accept_write(l, &f, 1, 2, "gone", NULL);
        g_assert_cmpint(try_read(l, &f, "gone", 0), ==, -EBUSY);
        g_assert_cmpint(try_read(l, &f, "gone", 6), ==, 0);
        talloc_free(ctx);
}

/* Commits that touch other keys do not conflict; only reads are checked, not blind writes. */
static void test_disjoint_and_blind_writes(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { 0 };
        struct dbd_txn_log *l;

        g_assert_cmpint(dbd_txn_log_new(ctx, 0, &l), ==, 0);
        accept_write(l, &f, 0, 1, "a", "1");
        g_assert_cmpint(try_read(l, &f, "b", 0), ==, 0);
        /* Two blind writes of one key are serialised by seqnum, both accepted. */
        g_assert_cmpuint(accept_write(l, &f, 1, 2, "a", "2")->seqnum, ==, 3);
        g_assert_cmpint(try_read(l, &f, "a", 3), ==, 0);
        g_assert_cmpint(try_read(l, &f, "a", 1), ==, -EBUSY);
        talloc_free(ctx);
}

/* Each read is checked: one stale read of several refuses the whole commit. */
static void test_one_stale_read_of_many(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { .keys = { "x", "y" }, .rsns = { 1, 2 } };
        struct dbd_txn_log *l;
        struct txn x;

        g_assert_cmpint(dbd_txn_log_new(ctx, 2, &l), ==, 0);
        txn_init(&x);
        txn_read(&x, "x", 1);
        txn_read(&x, "y", 1);
        txn_write(&x, "z", "1");
        g_assert_cmpint(dbd_txn_log_accept(l, 0, 1, &x.t, fake_base, &f, NULL), ==, -EBUSY);
        g_assert_cmpuint(dbd_txn_log_pending(l), ==, 0);
        /* Its write did not reach the overlay. */
        g_assert_cmpint(try_read(l, &f, "z", 0), ==, 0);
        talloc_free(ctx);
}

/* An error of the file goes up as it is and nothing is kept. */
static void test_base_error(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { .error = -EIO };
        struct dbd_txn_log *l;

        g_assert_cmpint(dbd_txn_log_new(ctx, 7, &l), ==, 0);
        g_assert_cmpint(try_read(l, &f, "k", 0), ==, -EIO);
        g_assert_cmpuint(f.calls, ==, 1);
        g_assert_cmpuint(dbd_txn_log_seqnum(l), ==, 7);
        g_assert_cmpuint(dbd_txn_log_pending(l), ==, 0);
        /* A key the overlay knows is not asked of the file. */
        f.error = 0;
        accept_write(l, &f, 0, 1, "k", "v");
        f.error = -EIO;
        f.calls = 0;
        g_assert_cmpint(try_read(l, &f, "k", 8), ==, 0);
        g_assert_cmpuint(f.calls, ==, 0);
        talloc_free(ctx);
}

/* ---- batches ---------------------------------------------------------------------- */

/* Batches come oldest first, at most max_txns, each commit once; they are in flight until completed. */
static void test_batch_order_and_count(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { 0 };
        struct dbd_txn_log *l;
        struct dbd_txn_entry *first, *e;
        uint64_t want = 1;

        g_assert_cmpint(dbd_txn_log_new(ctx, 0, &l), ==, 0);
        for (uint32_t i = 0; i < 5; i++)
                accept_write(l, &f, i % 3, 10 + i, i % 2 ? "odd" : "even", "v");
        g_assert_false(dbd_txn_log_in_flight(l));
        for (size_t b = 0; b < 3; b++) {
                size_t n = dbd_txn_log_next_batch(l, 1 << 20, 2, &first);

                g_assert_cmpuint(n, ==, b < 2 ? 2 : 1);
                g_assert_true(dbd_txn_log_in_flight(l));
                e = first;
                for (size_t i = 0; i < n; i++, e = e->next)
                        g_assert_cmpuint(e->seqnum, ==, want++);
        }
        g_assert_cmpuint(want, ==, 6);
        /* Everything was handed out once: nothing more. */
        g_assert_cmpuint(dbd_txn_log_next_batch(l, 1 << 20, 2, &first), ==, 0);
        g_assert_null(first);
        g_assert_cmpuint(dbd_txn_log_pending(l), ==, 5);
        talloc_free(ctx);
}

/* A batch stops before the commit that would pass max_bytes, but always takes one, however large. */
static void test_batch_bytes(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { 0 };
        struct dbd_txn_log *l;
        struct dbd_txn_entry *first, *e1, *e2;
        char big[200];

        memset(big, 'b', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        g_assert_cmpint(dbd_txn_log_new(ctx, 0, &l), ==, 0);
        e1 = accept_write(l, &f, 0, 1, "k1", big);
        e2 = accept_write(l, &f, 0, 2, "k2", "small");
        accept_write(l, &f, 0, 3, "k3", "small");
        g_assert_cmpuint(e1->bytes, >, e2->bytes);
        /* max_bytes below the first commit: it goes alone. */
        g_assert_cmpuint(dbd_txn_log_next_batch(l, 1, 100, &first), ==, 1);
        g_assert_true(first == e1);
        /* Room for exactly one small commit. */
        g_assert_cmpuint(dbd_txn_log_next_batch(l, e2->bytes, 100, &first), ==, 1);
        g_assert_true(first == e2);
        g_assert_cmpuint(dbd_txn_log_next_batch(l, 1 << 20, 100, &first), ==, 1);
        g_assert_cmpuint(first->id, ==, 3);
        talloc_free(ctx);
}

/* Two small commits that fit max_bytes exactly go together. */
static void test_batch_bytes_exact_fit(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { 0 };
        struct dbd_txn_log *l;
        struct dbd_txn_entry *first, *a, *b;

        g_assert_cmpint(dbd_txn_log_new(ctx, 0, &l), ==, 0);
        a = accept_write(l, &f, 0, 1, "a", "1");
        b = accept_write(l, &f, 0, 2, "b", "2");
        accept_write(l, &f, 0, 3, "c", "3");
        g_assert_cmpuint(dbd_txn_log_next_batch(l, a->bytes + b->bytes, 100, &first), ==, 2);
        g_assert_true(first == a && first->next == b);
        talloc_free(ctx);
}

/* ---- completion -------------------------------------------------------------------- */

/* complete forgets exactly the sent commits up to seq_to, oldest first; later ones stay. */
static void test_complete_up_to(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { 0 };
        struct dbd_txn_log *l;
        struct dbd_txn_entry *first;
        struct seen s = { 0 };

        g_assert_cmpint(dbd_txn_log_new(ctx, 100, &l), ==, 0);
        for (uint32_t i = 0; i < 4; i++)
                accept_write(l, &f, 0, 50 + i, "k", "v");
        g_assert_cmpuint(dbd_txn_log_next_batch(l, 1 << 20, 3, &first), ==, 3);
        dbd_txn_log_complete(l, 102, on_complete, &s);
        g_assert_cmpuint(s.n, ==, 2);
        g_assert_cmpuint(s.seqnums[0], ==, 101);
        g_assert_cmpuint(s.seqnums[1], ==, 102);
        g_assert_cmpuint(s.ids[0], ==, 50);
        g_assert_cmpuint(s.ids[1], ==, 51);
        g_assert_cmpuint(dbd_txn_log_pending(l), ==, 2);
        g_assert_true(dbd_txn_log_in_flight(l));
        /* The unsent fourth is not completed, whatever seq_to says. */
        dbd_txn_log_complete(l, 1000, on_complete, &s);
        g_assert_cmpuint(s.n, ==, 3);
        g_assert_cmpuint(s.seqnums[2], ==, 103);
        g_assert_cmpuint(dbd_txn_log_pending(l), ==, 1);
        g_assert_false(dbd_txn_log_in_flight(l));
        g_assert_cmpuint(dbd_txn_log_next_batch(l, 1 << 20, 3, &first), ==, 1);
        g_assert_cmpuint(first->seqnum, ==, 104);
        dbd_txn_log_complete(l, 104, NULL, NULL);
        g_assert_cmpuint(dbd_txn_log_pending(l), ==, 0);
        g_assert_false(dbd_txn_log_in_flight(l));
        /* The seqnum goes on from there. */
        g_assert_cmpuint(dbd_txn_log_seqnum(l), ==, 104);
        g_assert_cmpuint(accept_write(l, &f, 0, 60, "k", "v")->seqnum, ==, 105);
        talloc_free(ctx);
}

/* A completed commit's writes leave the overlay: the file answers for them again. */
static void test_complete_forgets_overlay(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { .keys = { "k" }, .rsns = { 1 } };
        struct dbd_txn_log *l;
        struct dbd_txn_entry *first;

        g_assert_cmpint(dbd_txn_log_new(ctx, 1, &l), ==, 0);
        accept_write(l, &f, 0, 1, "k", "v");
        g_assert_cmpuint(dbd_txn_log_next_batch(l, 1 << 20, 10, &first), ==, 1);
        dbd_txn_log_complete(l, 2, NULL, NULL);
        /* The file is now asked; as the applied UPDATE left it, rsn 2 is current. */
        f.rsns[0] = 2;
        f.calls = 0;
        g_assert_cmpint(try_read(l, &f, "k", 1), ==, -EBUSY);
        g_assert_cmpuint(f.calls, ==, 1);
        g_assert_cmpint(try_read(l, &f, "k", 2), ==, 0);
        talloc_free(ctx);
}

/* A later rewrite of a key, not yet completed, stays in the overlay when the first write completes. */
static void test_complete_keeps_later_rewrite(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { .keys = { "k" }, .rsns = { 1 } };
        struct dbd_txn_log *l;
        struct dbd_txn_entry *first;

        g_assert_cmpint(dbd_txn_log_new(ctx, 1, &l), ==, 0);
        accept_write(l, &f, 0, 1, "k", "first");
        g_assert_cmpuint(dbd_txn_log_next_batch(l, 1 << 20, 10, &first), ==, 1);
        accept_write(l, &f, 1, 2, "k", "second");
        dbd_txn_log_complete(l, 2, NULL, NULL);
        f.rsns[0] = 2; /* the file has the first write only */
        f.calls = 0;
        /* A client that saw the first write conflicts with the second, still in the overlay. */
        g_assert_cmpint(try_read(l, &f, "k", 2), ==, -EBUSY);
        g_assert_cmpint(try_read(l, &f, "k", 3), ==, 0);
        g_assert_cmpuint(f.calls, ==, 0);
        talloc_free(ctx);
}

/* A commit writing one key twice: the overlay entry goes once, with no harm to others. */
static void test_duplicate_write_in_one_commit(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { 0 };
        struct dbd_txn_log *l;
        struct dbd_txn_entry *first, *e;
        struct txn x;

        g_assert_cmpint(dbd_txn_log_new(ctx, 0, &l), ==, 0);
        txn_init(&x);
        txn_write(&x, "k", "1");
        txn_write(&x, "k", "2");
        g_assert_cmpint(dbd_txn_log_accept(l, 0, 1, &x.t, fake_base, &f, &e), ==, 0);
        g_assert_cmpuint(e->n_writes, ==, 2);
        g_assert_cmpint(try_read(l, &f, "k", 0), ==, -EBUSY);
        g_assert_cmpuint(dbd_txn_log_next_batch(l, 1 << 20, 10, &first), ==, 1);
        dbd_txn_log_complete(l, 1, NULL, NULL);
        g_assert_cmpuint(dbd_txn_log_pending(l), ==, 0);
        /* Overlay empty again: the file (no record) answers. */
        g_assert_cmpint(try_read(l, &f, "k", 0), ==, 0);
        talloc_free(ctx);
}

/* Many keys in one log: each keeps its own rsn (the overlay is a hash table). */
static void test_many_keys(void) {
        void *ctx = talloc_new(NULL);
        struct fake_file f = { 0 };
        struct dbd_txn_log *l;
        char key[32];

        g_assert_cmpint(dbd_txn_log_new(ctx, 0, &l), ==, 0);
        for (unsigned i = 0; i < 10000; i++) {
                g_snprintf(key, sizeof(key), "key-%u", i);
                accept_write(l, &f, 0, i, key, "v");
        }
        for (unsigned i = 0; i < 10000; i += 997) {
                g_snprintf(key, sizeof(key), "key-%u", i);
                g_assert_cmpint(try_read(l, &f, key, i), ==, -EBUSY);
                /* key-i was written by the (i + 1)-th commit: its rsn is i + 1. */
                g_assert_cmpint(try_read(l, &f, key, i + 1), ==, 0);
        }
        g_assert_cmpint(try_read(l, &f, "key-10000", 0), ==, 0);
        talloc_free(ctx);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/dbd-txn-log/new", test_new);
        g_test_add_func("/dbd-txn-log/accept/seqnum-and-rsn", test_seqnum_and_rsn);
        g_test_add_func("/dbd-txn-log/accept/copies", test_accept_copies);
        g_test_add_func("/dbd-txn-log/conflict/read-against-file", test_read_against_file);
        g_test_add_func("/dbd-txn-log/conflict/read-missing-key", test_read_missing_key);
        g_test_add_func("/dbd-txn-log/conflict/with-accepted", test_conflict_with_accepted);
        g_test_add_func("/dbd-txn-log/conflict/disjoint-and-blind-writes", test_disjoint_and_blind_writes);
        g_test_add_func("/dbd-txn-log/conflict/one-stale-read-of-many", test_one_stale_read_of_many);
        g_test_add_func("/dbd-txn-log/conflict/base-error", test_base_error);
        g_test_add_func("/dbd-txn-log/batch/order-and-count", test_batch_order_and_count);
        g_test_add_func("/dbd-txn-log/batch/bytes", test_batch_bytes);
        g_test_add_func("/dbd-txn-log/batch/bytes-exact-fit", test_batch_bytes_exact_fit);
        g_test_add_func("/dbd-txn-log/complete/up-to", test_complete_up_to);
        g_test_add_func("/dbd-txn-log/complete/forgets-overlay", test_complete_forgets_overlay);
        g_test_add_func("/dbd-txn-log/complete/keeps-later-rewrite", test_complete_keeps_later_rewrite);
        g_test_add_func("/dbd-txn-log/complete/duplicate-write", test_duplicate_write_in_one_commit);
        g_test_add_func("/dbd-txn-log/many-keys", test_many_keys);

        return g_test_run();
}
