/*
 * Unit tests of the etcd backend's session (services/clusterd/clusterd-etcd.c)
 * driven by answers in the form etcd 3.4.23's gateway sends them
 * (../shared/notes/etcd-v3.md, section 4): a fake carrier records each request
 * and the test answers it, with the clock in the test's hands. Covered: the
 * start (grant, member key, range, watch from the range's revision), the
 * granted TTL ruling the keepalives, a lease lost by a keepalive answer without
 * a TTL and by time, campaigns won, lost, and won by a timed-out request whose
 * key shows our lease, resigning, and a compacted watch; and which endpoint
 * URLs the carrier takes.
 */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>

#include "clusterd-etcd-http.h"
#include "clusterd-etcd-json.h"
#include "clusterd-etcd.h"
#include "ctdb-node.h"

#define SEC         1000000ULL
#define PREFIX      "/ctdb/t/"
#define LEASE       "2324035737109062708" /* > 2^53: must survive exactly */
#define LEASE_ID    2324035737109062708LL
#define OTHER_LEASE "2324035737109062710"
#define H                                                                                                \
        "{\"cluster_id\":\"3249525912\",\"member_id\":\"3319814642\",\"revision\":\"41\",\"raft_term\":" \
        "\"2\"}"

/* The fake carrier: what the session asked for. */
struct carrier {
        bool outstanding[ETCD_CALL_MAX];
        char *body[ETCD_CALL_MAX];
        unsigned sent[ETCD_CALL_MAX];
        char *watch; /* the running watch's body, NULL when none */
        unsigned watches;
        unsigned changes;
};

static int fake_request(void *userdata, enum etcd_call call, const char *path, const char *body) {
        struct carrier *c = userdata;

        g_assert_false(c->outstanding[call]); /* one per kind */
        c->outstanding[call] = true;
        free(c->body[call]);
        c->body[call] = strdup(body);
        c->sent[call]++;
        return 0;
}

static void fake_cancel(void *userdata, enum etcd_call call) {
        struct carrier *c = userdata;

        c->outstanding[call] = false;
}

static int fake_watch(void *userdata, const char *body) {
        struct carrier *c = userdata;

        free(c->watch);
        c->watch = strdup(body);
        c->watches++;
        return 0;
}

static void fake_unwatch(void *userdata) {
        struct carrier *c = userdata;

        free(c->watch);
        c->watch = NULL;
}

static void fake_changed(void *userdata) {
        struct carrier *c = userdata;

        c->changes++;
}

static const struct etcd_session_ops fake_ops = {
        .request = fake_request,
        .cancel = fake_cancel,
        .watch = fake_watch,
        .unwatch = fake_unwatch,
        .changed = fake_changed,
};

struct fixture {
        struct carrier c;
        etcd_session *s;
        uint64_t now;
};

static void fixture_init(struct fixture *f, uint32_t self) {
        struct etcd_session_config cfg = {
                .prefix = PREFIX,
                .self = self,
                .address = self == 0 ? "192.0.2.11" : "192.0.2.12",
                .n_nodes = 3,
                .ttl = 3,
                .retry_usec = 100 * 1000,
        };

        memset(f, 0, sizeof(*f));
        f->now = 1000 * SEC;
        f->s = etcd_session_new(NULL, &cfg, &fake_ops, &f->c);
        g_assert_nonnull(f->s);
}

static void fixture_done(struct fixture *f) {
        etcd_session_free(f->s);
        for (int i = 0; i < ETCD_CALL_MAX; i++)
                free(f->c.body[i]);
        free(f->c.watch);
}

/* Answers call (which must be outstanding) and ticks. */
static void answer(struct fixture *f, enum etcd_call call, int status, const char *body) {
        g_assert_true(f->c.outstanding[call]);
        f->c.outstanding[call] = false;
        etcd_session_answer(f->s, f->now, call, status, body);
        (void) etcd_session_tick(f->s, f->now);
}

static void advance(struct fixture *f, uint64_t usec) {
        f->now += usec;
        (void) etcd_session_tick(f->s, f->now);
}

/* {"key":b64(key),"value":b64(value),"lease":lease,...}: a kv as etcd sends it. */
static char *kv(const char *key, const char *value, const char *lease) {
        char *k = etcd_base64_encode((const uint8_t *) key, strlen(key));
        char *v = etcd_base64_encode((const uint8_t *) value, strlen(value));
        char *s = g_strdup_printf("{\"key\":\"%s\",\"create_revision\":\"40\",\"mod_revision\":\"40\","
                                  "\"version\":\"1\",\"value\":\"%s\"%s%s%s}",
                                  k, v, lease ? ",\"lease\":\"" : "", lease ? lease : "", lease ? "\"" : "");

        free(k);
        free(v);
        return s;
}

/* A campaign's answer when the key exists: the failure branch's range shows its holder. */
static char *campaign_lost(const char *pnn, const char *lease) {
        char *holder = kv(PREFIX "leader", pnn, lease);
        char *s = g_strdup_printf("{\"header\":" H ",\"responses\":[{\"response_range\":{\"header\":{},"
                                  "\"kvs\":[%s],\"count\":\"1\"}}]}",
                                  holder);

        g_free(holder);
        return s;
}

/* The start every test shares: granted TTL 6 (more than the 3 asked), a range with node 1 and
 * (when leader_lease) node 1 holding the leader key. */
static void start(struct fixture *f, const char *leader_lease) {
        char *n1 = kv(PREFIX "nodes/1", "192.0.2.12", OTHER_LEASE),
             *l = kv(PREFIX "leader", "1", leader_lease);
        char *range =
                g_strdup_printf("{\"header\":" H ",\"kvs\":[%s%s%s],\"count\":\"%d\"}",
                                leader_lease ? l : "", leader_lease ? "," : "", n1, leader_lease ? 2 : 1);

        (void) etcd_session_tick(f->s, f->now);
        g_assert_cmpstr(f->c.body[ETCD_CALL_GRANT], ==, "{\"TTL\":3}");
        g_assert_cmpstr(f->c.body[ETCD_CALL_RANGE], ==,
                        "{\"key\":\"L2N0ZGIvdC8=\",\"range_end\":\"L2N0ZGIvdDA=\"}");
        g_assert_false(etcd_session_alive(f->s, f->now));

        answer(f, ETCD_CALL_GRANT, 200, "{\"header\":" H ",\"ID\":\"" LEASE "\",\"TTL\":\"6\"}");
        g_assert_true(etcd_session_alive(f->s, f->now));
        int64_t ttl;
        g_assert_cmpint(etcd_session_lease(f->s, &ttl), ==, LEASE_ID);
        g_assert_cmpint(ttl, ==, 6);
        /* The member key, bound to the lease. */
        char *want = g_strdup_printf("{\"key\":\"%s\",\"value\":\"%s\",\"lease\":\"" LEASE "\"}",
                                     "L2N0ZGIvdC9ub2Rlcy8w", "MTkyLjAuMi4xMQ==");
        g_assert_cmpstr(f->c.body[ETCD_CALL_MEMBER], ==, want);
        g_free(want);
        answer(f, ETCD_CALL_MEMBER, 200, "{\"header\":" H "}");

        answer(f, ETCD_CALL_RANGE, 200, range);
        /* The watch starts right after the range's revision. */
        g_assert_cmpstr(f->c.watch, ==,
                        "{\"create_request\":{\"key\":\"L2N0ZGIvdC8=\",\"range_end\":\"L2N0ZGIvdDA=\","
                        "\"start_revision\":\"42\"}}");
        g_assert_true(etcd_session_member(f->s, 1));
        g_assert_false(etcd_session_member(f->s, 2));
        g_assert_cmpuint(etcd_session_leader(f->s), ==, leader_lease ? 1 : CTDB_PNN_NONE);
        g_free(n1);
        g_free(l);
        g_free(range);
}

/* start(), then a campaign won: this node holds the key. */
static void start_leading(struct fixture *f) {
        start(f, NULL);
        etcd_session_want_leader(f->s, f->now, true);
        advance(f, 0);
        answer(f, ETCD_CALL_CAMPAIGN, 200, "{\"header\":" H ",\"succeeded\":true}");
        g_assert_true(etcd_session_holds(f->s, f->now));
}

/* No endpoint answers keepalives (each is retried after 100 ms) until the TTL runs out. */
static void keepalives_fail_until_unconfirmed(struct fixture *f) {
        for (int i = 0; i < 100 && etcd_session_alive(f->s, f->now); i++) {
                if (f->c.outstanding[ETCD_CALL_KEEPALIVE])
                        answer(f, ETCD_CALL_KEEPALIVE, -ETIMEDOUT, NULL);
                advance(f, 100 * 1000);
        }
}

/* A watch line with one event on key. */
static void watch_event(struct fixture *f, bool deleted, const char *key, const char *value,
                        const char *lease) {
        char *k = kv(key, value, lease);
        char *line = g_strdup_printf("{\"result\":{\"header\":" H ",\"events\":[{%s\"kv\":%s}]}}",
                                     deleted ? "\"type\":\"DELETE\"," : "", k);

        etcd_session_watch_line(f->s, f->now, line);
        (void) etcd_session_tick(f->s, f->now);
        g_free(k);
        g_free(line);
}

static void test_start_and_keepalive(void) {
        struct fixture f;
        uint64_t next;

        fixture_init(&f, 0);
        start(&f, NULL);
        /* Keepalives follow the granted TTL (6 s), not the one asked for (3 s): every 2 s. */
        next = etcd_session_tick(f.s, f.now);
        g_assert_cmpuint(next, ==, f.now + 2 * SEC);
        advance(&f, 1 * SEC);
        g_assert_false(f.c.outstanding[ETCD_CALL_KEEPALIVE]);
        advance(&f, 1 * SEC);
        g_assert_true(f.c.outstanding[ETCD_CALL_KEEPALIVE]);
        g_assert_cmpstr(f.c.body[ETCD_CALL_KEEPALIVE], ==, "{\"ID\":\"" LEASE "\"}");
        answer(&f, ETCD_CALL_KEEPALIVE, 200,
               "{\"result\":{\"header\":" H ",\"ID\":\"" LEASE "\",\"TTL\":\"6\"}}");
        /* Alive until 6 s after that keepalive was sent. */
        g_assert_true(etcd_session_alive(f.s, f.now + 6 * SEC - 1));
        g_assert_false(etcd_session_alive(f.s, f.now + 6 * SEC));
        /* Membership follows the watch. */
        watch_event(&f, false, PREFIX "nodes/2", "192.0.2.13", OTHER_LEASE);
        g_assert_true(etcd_session_member(f.s, 2));
        watch_event(&f, true, PREFIX "nodes/1", "", NULL);
        g_assert_false(etcd_session_member(f.s, 1));
        /* Keys outside ours and pnns beyond the slots change nothing. */
        watch_event(&f, false, "/ctdb/other/nodes/1", "x", NULL);
        watch_event(&f, false, PREFIX "nodes/7", "x", NULL);
        watch_event(&f, false, PREFIX "nodes/01", "x", NULL);
        g_assert_false(etcd_session_member(f.s, 1));
        fixture_done(&f);
}

static void test_lease_lost_by_answer(void) {
        struct fixture f;
        unsigned changes;

        fixture_init(&f, 0);
        start(&f, NULL);
        etcd_session_want_leader(f.s, f.now, true);
        advance(&f, 0);
        answer(&f, ETCD_CALL_CAMPAIGN, 200,
               "{\"header\":" H ",\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":{}}}]}");
        g_assert_true(etcd_session_holds(f.s, f.now));

        advance(&f, 2 * SEC);
        changes = f.c.changes;
        /* etcd no longer knows the lease: the answer has no "TTL". It is given up at once. */
        answer(&f, ETCD_CALL_KEEPALIVE, 200, "{\"result\":{\"header\":" H ",\"ID\":\"" LEASE "\"}}");
        g_assert_false(etcd_session_alive(f.s, f.now));
        g_assert_false(etcd_session_holds(f.s, f.now));
        g_assert_cmpuint(f.c.changes, >, changes);
        /* A new lease is asked for and the old one revoked, so its keys go now. */
        g_assert_true(f.c.outstanding[ETCD_CALL_GRANT]);
        g_assert_cmpstr(f.c.body[ETCD_CALL_REVOKE], ==, "{\"ID\":\"" LEASE "\"}");
        fixture_done(&f);
}

static void test_lease_lost_by_time(void) {
        struct fixture f;

        fixture_init(&f, 0);
        start_leading(&f);
        /* No endpoint answers keepalives any more: retried every 100 ms, alive until the TTL runs out
         * (6 s after the grant was sent). */
        keepalives_fail_until_unconfirmed(&f);
        g_assert_false(etcd_session_alive(f.s, f.now));
        g_assert_false(etcd_session_holds(f.s, f.now));
        g_assert_cmpuint(f.c.sent[ETCD_CALL_KEEPALIVE], >=, 30);
        /* Keepalives go on for the same lease, and no campaign while it is unconfirmed. */
        g_assert_false(f.c.outstanding[ETCD_CALL_GRANT]);
        advance(&f, 100 * 1000);
        g_assert_true(f.c.outstanding[ETCD_CALL_KEEPALIVE]);
        g_assert_cmpstr(f.c.body[ETCD_CALL_KEEPALIVE], ==, "{\"ID\":\"" LEASE "\"}");
        /* etcd answers with a TTL: the lease survived (etcd elected a new leader), the key is ours. */
        answer(&f, ETCD_CALL_KEEPALIVE, 200,
               "{\"result\":{\"header\":" H ",\"ID\":\"" LEASE "\",\"TTL\":\"6\"}}");
        g_assert_true(etcd_session_alive(f.s, f.now));
        g_assert_true(etcd_session_holds(f.s, f.now));
        g_assert_cmpuint(f.c.sent[ETCD_CALL_GRANT], ==, 1);
        /* Unconfirmed again, and this time the answer has no TTL: it expired, a new one. */
        keepalives_fail_until_unconfirmed(&f);
        if (!f.c.outstanding[ETCD_CALL_KEEPALIVE])
                advance(&f, 100 * 1000);
        answer(&f, ETCD_CALL_KEEPALIVE, 200, "{\"result\":{\"header\":" H ",\"ID\":\"" LEASE "\"}}");
        g_assert_false(etcd_session_holds(f.s, f.now));
        g_assert_true(f.c.outstanding[ETCD_CALL_GRANT]);
        g_assert_cmpstr(f.c.body[ETCD_CALL_REVOKE], ==, "{\"ID\":\"" LEASE "\"}");
        fixture_done(&f);
}

static void test_campaign_lost_then_free(void) {
        struct fixture f;
        char *lost = campaign_lost("1", OTHER_LEASE);

        fixture_init(&f, 0);
        start(&f, NULL);
        etcd_session_want_leader(f.s, f.now, true);
        advance(&f, 0);
        /* The election txn: create the key with our lease only if it does not exist, else read it. */
        g_assert_cmpstr(f.c.body[ETCD_CALL_CAMPAIGN], ==,
                        "{\"compare\":[{\"key\":\"L2N0ZGIvdC9sZWFkZXI=\",\"target\":\"CREATE\",\"result\":"
                        "\"EQUAL\",\"create_revision\":\"0\"}],\"success\":[{\"request_put\":{\"key\":"
                        "\"L2N0ZGIvdC9sZWFkZXI=\",\"value\":\"MA==\",\"lease\":\"" LEASE "\"}}],\"failure\":"
                        "[{\"request_range\":{\"key\":\"L2N0ZGIvdC9sZWFkZXI=\"}}]}");
        answer(&f, ETCD_CALL_CAMPAIGN, 200, lost);
        g_assert_false(etcd_session_holds(f.s, f.now));
        g_assert_cmpuint(etcd_session_leader(f.s), ==, 1);
        /* No new campaign while node 1 holds it... */
        advance(&f, 5 * SEC);
        if (f.c.outstanding[ETCD_CALL_KEEPALIVE])
                answer(&f, ETCD_CALL_KEEPALIVE, 200, "{\"result\":{\"ID\":\"" LEASE "\",\"TTL\":\"6\"}}");
        g_assert_false(f.c.outstanding[ETCD_CALL_CAMPAIGN]);
        g_assert_cmpuint(f.c.sent[ETCD_CALL_CAMPAIGN], ==, 1);
        /* ... and one as soon as the watch says its key went (its lease expired). */
        watch_event(&f, true, PREFIX "leader", "", NULL);
        g_assert_cmpuint(etcd_session_leader(f.s), ==, CTDB_PNN_NONE);
        g_assert_true(f.c.outstanding[ETCD_CALL_CAMPAIGN]);
        answer(&f, ETCD_CALL_CAMPAIGN, 200, "{\"header\":" H ",\"succeeded\":true}");
        g_assert_true(etcd_session_holds(f.s, f.now));
        g_assert_cmpuint(etcd_session_leader(f.s), ==, 0);
        g_free(lost);
        fixture_done(&f);
}

static void test_campaign_timed_out_is_a_win(void) {
        struct fixture f;
        char *seen = campaign_lost("0", LEASE);

        fixture_init(&f, 0);
        start(&f, NULL);
        etcd_session_want_leader(f.s, f.now, true);
        advance(&f, 0);
        /* No endpoint answered in time, but etcd applied it: the retry finds the key with our lease. */
        answer(&f, ETCD_CALL_CAMPAIGN, -ETIMEDOUT, NULL);
        g_assert_false(etcd_session_holds(f.s, f.now));
        g_assert_false(f.c.outstanding[ETCD_CALL_CAMPAIGN]);
        advance(&f, 100 * 1000);
        g_assert_true(f.c.outstanding[ETCD_CALL_CAMPAIGN]);
        answer(&f, ETCD_CALL_CAMPAIGN, 200, seen);
        g_assert_true(etcd_session_holds(f.s, f.now));
        g_assert_cmpuint(etcd_session_leader(f.s), ==, 0);
        g_free(seen);
        fixture_done(&f);
}

static void test_resign(void) {
        struct fixture f;

        fixture_init(&f, 0);
        start_leading(&f);
        /* Not holding from the moment it is asked to give up; the delete is guarded on our lease. */
        etcd_session_want_leader(f.s, f.now, false);
        g_assert_false(etcd_session_holds(f.s, f.now));
        advance(&f, 0);
        g_assert_cmpstr(f.c.body[ETCD_CALL_RESIGN], ==,
                        "{\"compare\":[{\"key\":\"L2N0ZGIvdC9sZWFkZXI=\",\"target\":\"LEASE\",\"result\":"
                        "\"EQUAL\",\"lease\":\"" LEASE
                        "\"}],\"success\":[{\"request_delete_range\":{\"key\":"
                        "\"L2N0ZGIvdC9sZWFkZXI=\"}}]}");
        answer(&f, ETCD_CALL_RESIGN, 200, "{\"header\":" H ",\"succeeded\":true}");
        g_assert_cmpuint(etcd_session_leader(f.s), ==, CTDB_PNN_NONE);
        /* Not wanting to lead, it does not campaign for the free key. */
        advance(&f, SEC);
        g_assert_cmpuint(f.c.sent[ETCD_CALL_CAMPAIGN], ==, 1);
        fixture_done(&f);
}

static void test_watch_compacted_and_ended(void) {
        struct fixture f;

        fixture_init(&f, 0);
        start(&f, "2324035737109062710");
        g_assert_cmpuint(f.c.sent[ETCD_CALL_RANGE], ==, 1);
        /* Canceled at a compacted revision: the view is ranged again, and watched from there. */
        etcd_session_watch_line(
                f.s, f.now, "{\"result\":{\"header\":" H ",\"canceled\":true,\"compact_revision\":\"50\"}}");
        g_assert_null(f.c.watch);
        advance(&f, 0);
        g_assert_true(f.c.outstanding[ETCD_CALL_RANGE]);
        answer(&f, ETCD_CALL_RANGE, 200, "{\"header\":" H "}"); /* nothing there: no kvs, no count */
        g_assert_nonnull(f.c.watch);
        g_assert_cmpuint(etcd_session_leader(f.s), ==, CTDB_PNN_NONE);
        g_assert_false(etcd_session_member(f.s, 1));
        /* A watch that ends with an error (its endpoint went) is ranged again after the retry delay. */
        etcd_session_watch_end(f.s, f.now, -EIO);
        advance(&f, 0);
        g_assert_cmpuint(f.c.sent[ETCD_CALL_RANGE], ==, 2);
        advance(&f, 100 * 1000);
        g_assert_cmpuint(f.c.sent[ETCD_CALL_RANGE], ==, 3);
        /* Garbage on the stream is ignored. */
        etcd_session_watch_line(f.s, f.now, "{\"result\":");
        fixture_done(&f);
}

static void test_grant_failures(void) {
        struct fixture f;

        fixture_init(&f, 1);
        (void) etcd_session_tick(f.s, f.now);
        /* etcd's own error (a 503 after its leader died) and no answer at all: retried. */
        answer(&f, ETCD_CALL_GRANT, 503,
               "{\"error\":\"etcdserver: request timed out\",\"message\":\"etcdserver: request timed out\","
               "\"code\":14}");
        g_assert_false(f.c.outstanding[ETCD_CALL_GRANT]);
        advance(&f, 100 * 1000);
        answer(&f, ETCD_CALL_GRANT, -ECONNREFUSED, NULL);
        advance(&f, 100 * 1000);
        /* A grant answer without an ID is no grant. */
        answer(&f, ETCD_CALL_GRANT, 200, "{\"header\":" H ",\"TTL\":\"3\"}");
        g_assert_false(etcd_session_alive(f.s, f.now));
        advance(&f, 100 * 1000);
        g_assert_cmpuint(f.c.sent[ETCD_CALL_GRANT], ==, 4);
        answer(&f, ETCD_CALL_GRANT, 200, "{\"header\":" H ",\"ID\":\"7\",\"TTL\":\"3\"}");
        g_assert_true(etcd_session_alive(f.s, f.now));
        /* The member key's put finds the lease gone (404): a new lease. */
        answer(&f, ETCD_CALL_MEMBER, 404,
               "{\"error\":\"etcdserver: requested lease not found\",\"code\":5}");
        g_assert_false(etcd_session_alive(f.s, f.now));
        g_assert_true(f.c.outstanding[ETCD_CALL_GRANT]);
        fixture_done(&f);
}

static void test_endpoints(void) {
        const char *good[] = {
                "http://192.0.2.1:23791",
                "http://192.0.2.1:23791,http://192.0.2.1:23792/,https://[2001:db8::1]:2379",
        };
        const char *bad[] = {
                "http://etcd.example:2379", /* a name: curl would resolve it in a thread */
                "ftp://192.0.2.1:21",
                "http://192.0.2.1:2379/v3", /* the path is ours to add */
                "http://192.0.2.1:2379?x=1",
                "http://192.0.2.1:23791,,http://192.0.2.1:23792",
                "192.0.2.1:2379",
        };
        void *ctx = talloc_new(NULL);
        char *err = NULL;

        for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
                g_assert_cmpint(etcd_http_check_endpoints(ctx, good[i], &err), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                err = NULL;
                g_assert_cmpint(etcd_http_check_endpoints(ctx, bad[i], &err), ==, -EINVAL);
                g_assert_nonnull(err);
        }
        g_assert_nonnull(strstr(err, "192.0.2.1:2379"));
        talloc_free(ctx);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/etcd-session/start-and-keepalive", test_start_and_keepalive);
        g_test_add_func("/etcd-session/lease-lost-by-answer", test_lease_lost_by_answer);
        g_test_add_func("/etcd-session/lease-lost-by-time", test_lease_lost_by_time);
        g_test_add_func("/etcd-session/campaign-lost-then-free", test_campaign_lost_then_free);
        g_test_add_func("/etcd-session/campaign-timed-out-is-a-win", test_campaign_timed_out_is_a_win);
        g_test_add_func("/etcd-session/resign", test_resign);
        g_test_add_func("/etcd-session/watch-compacted-and-ended", test_watch_compacted_and_ended);
        g_test_add_func("/etcd-session/grant-failures", test_grant_failures);
        g_test_add_func("/etcd-http/endpoints", test_endpoints);
        return g_test_run();
}
