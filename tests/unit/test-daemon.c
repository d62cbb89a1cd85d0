/*
 * Unit tests of the daemons' shared parts that need no bus and no peer:
 * common/peer-request.c (ids, the answer, the timeout, failure when a link
 * drops, the limit, each request answered exactly once) and the options of
 * common/daemon.c (parsed once for every daemon).
 */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <talloc.h>

#include "ctdb-node.h"
#include "daemon.h"
#include "peer-request.h"

/* What the done callbacks saw: one slot per request, by the order they were made. */
struct done_log {
        unsigned calls[8];
        int error[8];
        const void *reply[8];
};

struct done_arg {
        struct done_log *log;
        unsigned slot;
};

static void on_done(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct done_arg *a = userdata;

        a->log->calls[a->slot]++;
        a->log->error[a->slot] = error;
        a->log->reply[a->slot] = reply;
}

struct fixture {
        void *ctx;
        sd_event *event;
        struct peer_requests *set;
        struct done_log log;
        struct done_arg args[8];
};

static void fixture_init(struct fixture *f, unsigned max) {
        *f = (struct fixture) { .ctx = talloc_new(NULL) };
        g_assert_cmpint(sd_event_new(&f->event), >=, 0);
        g_assert_cmpint(peer_requests_new(f->ctx, f->event, max, &f->set), ==, 0);
        for (unsigned i = 0; i < G_N_ELEMENTS(f->args); i++)
                f->args[i] = (struct done_arg) { .log = &f->log, .slot = i };
}

static void fixture_done(struct fixture *f) {
        talloc_free(f->ctx);
        sd_event_unref(f->event);
}

static struct peer_request *request(struct fixture *f, unsigned slot, uint32_t pnn, uint64_t timeout_usec) {
        struct peer_request *req = NULL;

        g_assert_cmpint(peer_request_new(f->set, pnn, timeout_usec, on_done, &f->args[slot], &req), ==, 0);
        g_assert_cmpuint(peer_request_pnn(req), ==, pnn);
        return req;
}

/* Runs the loop until nothing is pending or 5 s passed. */
static void run_until_idle(struct fixture *f) {
        gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

        while (peer_requests_pending(f->set) > 0 && g_get_monotonic_time() < deadline)
                g_assert_cmpint(sd_event_run(f->event, 100 * 1000), >=, 0);
}

static void test_requests_answer(void) {
        struct fixture f;
        struct peer_request *a, *b;
        int answer = 42;
        uint32_t id_a, id_b;

        fixture_init(&f, 8);
        a = request(&f, 0, 1, 10 * G_USEC_PER_SEC);
        b = request(&f, 1, 2, 10 * G_USEC_PER_SEC);
        id_a = peer_request_id(a);
        id_b = peer_request_id(b);
        g_assert_cmpuint(id_a, !=, 0);
        g_assert_cmpuint(id_a, !=, id_b);
        g_assert_cmpuint(peer_requests_pending(f.set), ==, 2);

        /* The answer must come from the node asked, with the id it was given. */
        g_assert_cmpint(peer_requests_complete(f.set, 2, id_a, &answer), ==, -ENOENT);
        g_assert_cmpint(peer_requests_complete(f.set, 1, id_a + 100, &answer), ==, -ENOENT);
        g_assert_cmpint(peer_requests_complete(f.set, 1, id_a, &answer), ==, 0);
        g_assert_cmpuint(f.log.calls[0], ==, 1);
        g_assert_cmpint(f.log.error[0], ==, 0);
        g_assert_true(f.log.reply[0] == &answer);
        /* Answered once: a second answer finds nothing. */
        g_assert_cmpint(peer_requests_complete(f.set, 1, id_a, &answer), ==, -ENOENT);
        g_assert_cmpuint(f.log.calls[0], ==, 1);
        g_assert_cmpuint(f.log.calls[1], ==, 0);
        g_assert_cmpuint(peer_requests_pending(f.set), ==, 1);
        fixture_done(&f);
}

static void test_requests_timeout(void) {
        struct fixture f;

        fixture_init(&f, 8);
        request(&f, 0, 1, 20 * 1000);
        request(&f, 1, 1, 10 * G_USEC_PER_SEC);
        while (f.log.calls[0] == 0)
                g_assert_cmpint(sd_event_run(f.event, G_USEC_PER_SEC), >, 0);
        g_assert_cmpint(f.log.error[0], ==, -ETIMEDOUT);
        g_assert_null(f.log.reply[0]);
        g_assert_cmpuint(f.log.calls[1], ==, 0);
        g_assert_cmpuint(peer_requests_pending(f.set), ==, 1);
        fixture_done(&f);
}

static void test_requests_fail_pnn(void) {
        struct fixture f;

        fixture_init(&f, 8);
        request(&f, 0, 1, 10 * G_USEC_PER_SEC);
        request(&f, 1, 2, 10 * G_USEC_PER_SEC);
        request(&f, 2, 1, 10 * G_USEC_PER_SEC);
        /* The link to node 1 dropped: its two requests fail, node 2's waits on. */
        peer_requests_fail(f.set, 1, -ENOTCONN);
        g_assert_cmpuint(f.log.calls[0], ==, 1);
        g_assert_cmpint(f.log.error[0], ==, -ENOTCONN);
        g_assert_cmpuint(f.log.calls[2], ==, 1);
        g_assert_cmpuint(f.log.calls[1], ==, 0);
        /* The data plane is lost: everything fails. */
        peer_requests_fail(f.set, CTDB_PNN_ALL, -ECONNRESET);
        g_assert_cmpuint(f.log.calls[1], ==, 1);
        g_assert_cmpint(f.log.error[1], ==, -ECONNRESET);
        g_assert_cmpuint(f.log.calls[0], ==, 1);
        g_assert_cmpuint(peer_requests_pending(f.set), ==, 0);
        fixture_done(&f);
}

static struct peer_request *cancel_victim;

static void on_done_cancel(struct peer_request *req, int error, const void *reply, void *userdata) {
        unsigned *calls = userdata;

        (*calls)++;
        if (req == cancel_victim) {
                cancel_victim = NULL;   /* this order would not cancel anything: calls says so */
                return;
        }
        /* What a failed recovery does: its other requests to the node go with it. */
        if (cancel_victim) {
                peer_request_cancel(cancel_victim);
                cancel_victim = NULL;
        }
}

/* A done callback that cancels another request of the failing node (found by ASan in dbd). */
static void test_requests_fail_cancels_other(void) {
        struct peer_requests *set;
        struct peer_request *a;
        sd_event *event;
        unsigned calls = 0;

        g_assert_cmpint(sd_event_new(&event), >=, 0);
        g_assert_cmpint(peer_requests_new(NULL, event, 8, &set), ==, 0);
        g_assert_cmpint(
                peer_request_new(set, 1, 10 * G_USEC_PER_SEC, on_done_cancel, &calls, &cancel_victim), ==,
                0);
        g_assert_cmpint(peer_request_new(set, 1, 10 * G_USEC_PER_SEC, on_done_cancel, &calls, &a), ==, 0);
        peer_requests_fail(set, 1, -ENOTCONN);
        /* One done ran, it cancelled the other (no done for that one), and nothing is left. */
        g_assert_cmpuint(calls, ==, 1);
        g_assert_null(cancel_victim);
        g_assert_cmpuint(peer_requests_pending(set), ==, 0);
        talloc_free(set);
        sd_event_unref(event);
}

static void test_requests_limit_cancel_free(void) {
        struct fixture f;
        struct peer_request *a, *req = NULL;

        fixture_init(&f, 2);
        a = request(&f, 0, 1, 20 * 1000);
        request(&f, 1, 1, 20 * 1000);
        g_assert_cmpint(peer_request_new(f.set, 1, 1000, on_done, &f.args[2], &req), ==, -EBUSY);
        g_assert_null(req);
        /* A cancelled request is gone without an answer, and makes room. */
        peer_request_cancel(a);
        g_assert_cmpuint(peer_requests_pending(f.set), ==, 1);
        request(&f, 2, 1, 20 * 1000);
        run_until_idle(&f);
        g_assert_cmpuint(f.log.calls[0], ==, 0);
        g_assert_cmpuint(f.log.calls[1], ==, 1);
        g_assert_cmpuint(f.log.calls[2], ==, 1);

        /* Freeing the set frees what is pending without calling anyone. */
        request(&f, 3, 1, 10 * G_USEC_PER_SEC);
        TALLOC_FREE(f.set);
        g_assert_cmpuint(f.log.calls[3], ==, 0);
        g_assert_cmpint(talloc_total_blocks(f.ctx), ==, 1);
        fixture_done(&f);
}

/* ---- options ---- */

static int parse(struct daemon_args *args, const char *const *argv) {
        int argc = 0;

        while (argv[argc])
                argc++;
        return daemon_parse_argv(argc, (char **) argv, "ctdb-test", "A test daemon.", args);
}

static void test_argv(void) {
        static const char *const none[] = { "d", NULL };
        static const char *const all[] = { "d", "-F", "-c", "/etc/x", "--bus-address=unix:path=/b",
                                           "--log-level", "debug", NULL };
        static const char *const ctdb_level[] = { "d", "--log-level=NOTICE", NULL };
        static const char *const bad_level[] = { "d", "--log-level=loud", NULL };
        static const char *const extra[] = { "d", "surplus", NULL };
        static const char *const unknown[] = { "d", "--frobnicate", NULL };
        struct daemon_args a;

        g_assert_cmpint(parse(&a, none), ==, 1);
        g_assert_cmpstr(a.config_dir, ==, CTDB_CONFIG_DIR);
        g_assert_null(a.bus_address);
        g_assert_false(a.foreground);
        g_assert_cmpint(a.log_level, ==, -1);

        g_assert_cmpint(parse(&a, all), ==, 1);
        g_assert_true(a.foreground);
        g_assert_cmpstr(a.config_dir, ==, "/etc/x");
        g_assert_cmpstr(a.bus_address, ==, "unix:path=/b");
        g_assert_cmpint(a.log_level, ==, 7);

        g_assert_cmpint(parse(&a, ctdb_level), ==, 1);
        g_assert_cmpint(a.log_level, ==, 5);

        g_assert_cmpint(parse(&a, bad_level), ==, -EINVAL);
        g_assert_cmpint(parse(&a, extra), ==, -EINVAL);
        g_assert_cmpint(parse(&a, unknown), ==, -EINVAL);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/peer-request/answer", test_requests_answer);
        g_test_add_func("/peer-request/timeout", test_requests_timeout);
        g_test_add_func("/peer-request/fail-pnn", test_requests_fail_pnn);
        g_test_add_func("/peer-request/fail-cancels-other", test_requests_fail_cancels_other);
        g_test_add_func("/peer-request/limit-cancel-free", test_requests_limit_cancel_free);
        g_test_add_func("/daemon/argv", test_argv);
        return g_test_run();
}
