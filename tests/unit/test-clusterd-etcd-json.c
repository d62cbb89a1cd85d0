/*
 * Unit tests of etcd v3 gateway JSON (services/clusterd/clusterd-etcd-json.c):
 * the exact request bodies (etcd ignores a misspelt field, so only the bytes
 * tell), and answers recorded from etcd 3.4.23 (../shared/notes/etcd-v3.md,
 * section 4): int64 ids beyond 2^53 kept exact, fields etcd leaves out read as
 * their defaults, bad input refused.
 */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>

#include "clusterd-etcd-json.h"

/* A response header as etcd 3.4.23 sends it (revision 6). */
#define H                                                                               \
        "{\"cluster_id\":\"324952591200643719\",\"member_id\":\"3319814642761637952\"," \
        "\"revision\":\"6\"}"
#define KEY "/ctdb/recmaster"

static void assert_body(char *got, const char *want) {
        g_assert_nonnull(got);
        g_assert_cmpstr(got, ==, want);
        free(got);
}

static const uint8_t *u8(const char *s) {
        return (const uint8_t *) s;
}

static void test_base64(void) {
        void *ctx = talloc_new(NULL);
        const char *plain[] = { "", "f", "fo", "foo", "node0", "/ctdb/recmaster" };
        const char *coded[] = { "", "Zg==", "Zm8=", "Zm9v", "bm9kZTA=", "L2N0ZGIvcmVjbWFzdGVy" };
        const char *bad[] = { "Zg=", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm 9v", "Zh==", "Zm9=" };
        uint8_t *out;
        size_t len;

        for (size_t i = 0; i < G_N_ELEMENTS(plain); i++) {
                char *e = etcd_base64_encode(u8(plain[i]), strlen(plain[i]));

                g_assert_cmpstr(e, ==, coded[i]);
                free(e);
                g_assert_cmpint(etcd_base64_decode(ctx, coded[i], &out, &len), ==, 0);
                g_assert_cmpmem(out, len, plain[i], strlen(plain[i]));
        }
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
                g_assert_cmpint(etcd_base64_decode(ctx, bad[i], &out, &len), ==, -EBADMSG);
        talloc_free(ctx);
}

static void test_requests(void) {
        assert_body(etcd_json_lease_grant(3), "{\"TTL\":3}");
        assert_body(etcd_json_lease_id(2324035737109062666), "{\"ID\":\"2324035737109062666\"}");
        assert_body(
                etcd_json_txn_campaign(u8(KEY), strlen(KEY), u8("node0"), 5, 2324035737109062708),
                "{\"compare\":[{\"key\":\"L2N0ZGIvcmVjbWFzdGVy\",\"target\":\"CREATE\",\"result\":\"EQUAL\","
                "\"create_revision\":\"0\"}],\"success\":[{\"request_put\":{\"key\":"
                "\"L2N0ZGIvcmVjbWFzdGVy\","
                "\"value\":\"bm9kZTA=\",\"lease\":\"2324035737109062708\"}}],\"failure\":[{\"request_"
                "range\":"
                "{\"key\":\"L2N0ZGIvcmVjbWFzdGVy\"}}]}");
        assert_body(
                etcd_json_txn_resign(u8(KEY), strlen(KEY), 7),
                "{\"compare\":[{\"key\":\"L2N0ZGIvcmVjbWFzdGVy\",\"target\":\"LEASE\",\"result\":\"EQUAL\","
                "\"lease\":\"7\"}],\"success\":[{\"request_delete_range\":{\"key\":\"L2N0ZGIvcmVjbWFzdGVy\"}"
                "}]}");
        /* A member's key, bound to its lease. */
        assert_body(etcd_json_put(u8("/ctdb/nodes/1"), 13, u8("192.0.2.12"), 10, 2324035737109062708),
                    "{\"key\":\"L2N0ZGIvbm9kZXMvMQ==\",\"value\":\"MTkyLjAuMi4xMg==\","
                    "\"lease\":\"2324035737109062708\"}");
        /* A guarded write without a lease of its own has no "lease" in its put. */
        assert_body(
                etcd_json_txn_guarded_put(u8(KEY), strlen(KEY), 7, u8("foo"), 3, u8("bar"), 3, 0),
                "{\"compare\":[{\"key\":\"L2N0ZGIvcmVjbWFzdGVy\",\"target\":\"LEASE\",\"result\":\"EQUAL\","
                "\"lease\":\"7\"}],\"success\":[{\"request_put\":{\"key\":\"Zm9v\",\"value\":\"YmFy\"}}]}");
        /* The prefix range ends at the prefix with its last byte + 1: /ctdb/nodes/ -> /ctdb/nodes0. */
        assert_body(etcd_json_range_prefix(u8("/ctdb/nodes/"), 12),
                    "{\"key\":\"L2N0ZGIvbm9kZXMv\",\"range_end\":\"L2N0ZGIvbm9kZXMw\"}");
        /* ... carrying over 0xff bytes; all 0xff means every key from there on ("\0"). */
        assert_body(etcd_json_range_prefix((const uint8_t *) "a\xff", 2),
                    "{\"key\":\"Yf8=\",\"range_end\":\"Yg==\"}");
        assert_body(etcd_json_range_prefix((const uint8_t *) "\xff", 1),
                    "{\"key\":\"/w==\",\"range_end\":\"AA==\"}");
        assert_body(etcd_json_watch_create(u8("/ctdb/nodes/"), 12, true, 18),
                    "{\"create_request\":{\"key\":\"L2N0ZGIvbm9kZXMv\",\"range_end\":\"L2N0ZGIvbm9kZXMw\","
                    "\"start_revision\":\"18\"}}");
        assert_body(etcd_json_watch_create(u8(KEY), strlen(KEY), false, 0),
                    "{\"create_request\":{\"key\":\"L2N0ZGIvcmVjbWFzdGVy\"}}");
}

static void test_grant_keepalive(void) {
        int64_t id, ttl;

        /* TTL 1 was asked; etcd grants 2: the granted one counts. */
        g_assert_cmpint(etcd_json_parse_grant("{\"header\":" H
                                              ",\"ID\":\"2324035737109062666\",\"TTL\":\"2\"}",
                                              &id, &ttl),
                        ==, 0);
        g_assert_cmpint(id, ==, 2324035737109062666);
        g_assert_cmpint(ttl, ==, 2);
        /* An id past 2^53 as a JSON number is exact too. */
        g_assert_cmpint(etcd_json_parse_grant("{\"ID\":9007199254740993,\"TTL\":10}", &id, &ttl), ==, 0);
        g_assert_cmpint(id, ==, 9007199254740993);
        g_assert_cmpint(etcd_json_parse_grant("{\"header\":" H "}", &id, &ttl), ==, -EBADMSG);
        g_assert_cmpint(etcd_json_parse_grant("{\"ID\":\"12x\",\"TTL\":\"2\"}", &id, &ttl), ==, -EBADMSG);
        g_assert_cmpint(etcd_json_parse_grant("{\"ID\":1.5e18,\"TTL\":\"2\"}", &id, &ttl), ==, -EBADMSG);
        g_assert_cmpint(etcd_json_parse_grant("[1]", &id, &ttl), ==, -EBADMSG);
        g_assert_cmpint(etcd_json_parse_grant("{\"ID\":", &id, &ttl), ==, -EBADMSG);

        g_assert_cmpint(etcd_json_parse_keepalive("{\"result\":{\"header\":" H
                                                  ",\"ID\":\"2324035737109062687\","
                                                  "\"TTL\":\"10\"}}",
                                                  &ttl),
                        ==, 0);
        g_assert_cmpint(ttl, ==, 10);
        /* A dead lease: HTTP 200 without "TTL". */
        g_assert_cmpint(etcd_json_parse_keepalive("{\"result\":{\"header\":" H ",\"ID\":\"999999\"}}", &ttl),
                        ==, 0);
        g_assert_cmpint(ttl, ==, 0);
        g_assert_cmpint(etcd_json_parse_keepalive("{\"header\":" H "}", &ttl), ==, -EBADMSG);
}

static void test_txn(void) {
        void *ctx = talloc_new(NULL);
        struct etcd_kv *holder;
        bool ok;

        g_assert_cmpint(etcd_json_parse_txn(ctx,
                                            "{\"header\":" H
                                            ",\"succeeded\":true,\"responses\":[{\"response_put\":"
                                            "{\"header\":{\"revision\":\"6\"}}}]}",
                                            &ok, &holder),
                        ==, 0);
        g_assert_true(ok);
        g_assert_null(holder);
        /* Lost: no "succeeded"; the failure branch's range names the holder. */
        g_assert_cmpint(
                etcd_json_parse_txn(ctx,
                                    "{\"header\":" H ",\"responses\":[{\"response_range\":{\"header\":"
                                    "{\"revision\":\"6\"},\"kvs\":[{\"key\":\"L2N0ZGIvcmVjbWFzdGVy\","
                                    "\"create_revision\":\"6\",\"mod_revision\":\"6\",\"version\":\"1\","
                                    "\"value\":\"bm9kZTA=\",\"lease\":\"2324035737109062708\"}],"
                                    "\"count\":\"1\"}}]}",
                                    &ok, &holder),
                ==, 0);
        g_assert_false(ok);
        g_assert_nonnull(holder);
        g_assert_cmpmem(holder->key, holder->key_len, KEY, strlen(KEY));
        g_assert_cmpmem(holder->value, holder->value_len, "node0", 5);
        g_assert_cmpint(holder->lease, ==, 2324035737109062708);
        g_assert_cmpint(holder->create_revision, ==, 6);
        /* A guarded write not applied: the header alone. */
        g_assert_cmpint(etcd_json_parse_txn(ctx, "{\"header\":" H "}", &ok, &holder), ==, 0);
        g_assert_false(ok);
        g_assert_null(holder);
        g_assert_cmpint(etcd_json_parse_txn(ctx, "{\"succeeded\":\"yes\"}", &ok, &holder), ==, -EBADMSG);
        g_assert_cmpint(etcd_json_parse_txn(ctx, "{\"responses\":{}}", &ok, &holder), ==, -EBADMSG);
        talloc_free(ctx);
}

static void test_range(void) {
        void *ctx = talloc_new(NULL);
        struct etcd_kv *kvs;
        int64_t rev;
        size_t n;

        g_assert_cmpint(
                etcd_json_parse_range(ctx,
                                      "{\"header\":" H ",\"kvs\":[{\"key\":\"L2N0ZGIvbm9kZXMvMA==\","
                                      "\"create_revision\":\"9\",\"mod_revision\":\"9\",\"version\":\"1\","
                                      "\"value\":\"MTI3LjAuMC4x\"},{\"key\":\"L2N0ZGIvbm9kZXMvMQ==\"}],"
                                      "\"count\":\"2\"}",
                                      &kvs, &n),
                ==, 0);
        g_assert_cmpuint(n, ==, 2);
        g_assert_cmpmem(kvs[0].key, kvs[0].key_len, "/ctdb/nodes/0", 13);
        g_assert_cmpmem(kvs[0].value, kvs[0].value_len, "127.0.0.1", 9);
        g_assert_cmpint(kvs[0].mod_revision, ==, 9);
        /* No "value": an empty one; no "lease": 0. */
        g_assert_cmpuint(kvs[1].value_len, ==, 0);
        g_assert_cmpint(kvs[1].lease, ==, 0);
        /* Nothing found: no "kvs", no "count". */
        g_assert_cmpint(etcd_json_parse_range(ctx, "{\"header\":" H "}", &kvs, &n), ==, 0);
        g_assert_cmpuint(n, ==, 0);
        g_assert_cmpint(etcd_json_parse_range(ctx, "{\"kvs\":[{\"key\":\"L2N0ZG\"}]}", &kvs, &n), ==,
                        -EBADMSG);
        g_assert_cmpint(etcd_json_parse_range(ctx, "{\"kvs\":[3]}", &kvs, &n), ==, -EBADMSG);
        g_assert_cmpint(etcd_json_header_revision("{\"header\":" H "}", &rev), ==, 0);
        g_assert_cmpint(rev, ==, 6);
        talloc_free(ctx);
}

static void test_watch(void) {
        void *ctx = talloc_new(NULL);
        struct etcd_event *ev;
        int64_t compact;
        bool created;
        size_t n;

        g_assert_cmpint(etcd_json_parse_watch(ctx, "{\"result\":{\"header\":" H ",\"created\":true}}",
                                              &created, &compact, &ev, &n),
                        ==, 0);
        g_assert_true(created);
        g_assert_cmpuint(n, ==, 0);
        /* A PUT carries no "type"; a lease's expiry is a DELETE; one txn is one message. */
        g_assert_cmpint(
                etcd_json_parse_watch(ctx,
                                      "{\"result\":{\"header\":" H ",\"events\":[{\"kv\":{\"key\":"
                                      "\"L2N0ZGIvbm9kZXMvMQ==\",\"value\":\"bGVhc2Vk\",\"lease\":"
                                      "\"2324035737109062734\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":"
                                      "\"L2N0ZGIvbm9kZXMvMA==\",\"mod_revision\":\"21\"}}]}}",
                                      &created, &compact, &ev, &n),
                ==, 0);
        g_assert_false(created);
        g_assert_cmpuint(n, ==, 2);
        g_assert_cmpint(ev[0].type, ==, ETCD_EVENT_PUT);
        g_assert_cmpint(ev[0].kv.lease, ==, 2324035737109062734);
        g_assert_cmpint(ev[1].type, ==, ETCD_EVENT_DELETE);
        g_assert_cmpmem(ev[1].kv.key, ev[1].kv.key_len, "/ctdb/nodes/0", 13);
        g_assert_cmpint(ev[1].kv.mod_revision, ==, 21);
        /* Canceled for compacted history: range again from there. */
        g_assert_cmpint(etcd_json_parse_watch(ctx,
                                              "{\"result\":{\"header\":" H ",\"canceled\":true,"
                                              "\"compact_revision\":\"20\"}}",
                                              &created, &compact, &ev, &n),
                        ==, 0);
        g_assert_cmpint(compact, ==, 20);
        g_assert_cmpint(etcd_json_parse_watch(ctx,
                                              "{\"result\":{\"events\":[{\"type\":\"MOVE\",\"kv\":{}}]}}",
                                              &created, &compact, &ev, &n),
                        ==, -EBADMSG);
        g_assert_cmpint(
                etcd_json_parse_watch(ctx, "{\"result\":{\"events\":[{}]}}", &created, &compact, &ev, &n),
                ==, -EBADMSG);
        g_assert_cmpint(etcd_json_parse_watch(ctx, "{}", &created, &compact, &ev, &n), ==, -EBADMSG);
        talloc_free(ctx);
}

static void test_error(void) {
        void *ctx = talloc_new(NULL);
        char *message;
        int code;

        g_assert_cmpint(
                etcd_json_parse_error(ctx,
                                      "{\"error\":\"etcdserver: requested lease not found\","
                                      "\"message\":\"etcdserver: requested lease not found\",\"code\":5}",
                                      &code, &message),
                ==, 0);
        g_assert_cmpint(code, ==, 5);
        g_assert_cmpstr(message, ==, "etcdserver: requested lease not found");
        g_assert_cmpint(etcd_json_parse_error(ctx, "404 page not found", &code, &message), ==, -EBADMSG);
        talloc_free(ctx);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/etcd-json/base64", test_base64);
        g_test_add_func("/etcd-json/requests", test_requests);
        g_test_add_func("/etcd-json/grant-keepalive", test_grant_keepalive);
        g_test_add_func("/etcd-json/txn", test_txn);
        g_test_add_func("/etcd-json/range", test_range);
        g_test_add_func("/etcd-json/watch", test_watch);
        g_test_add_func("/etcd-json/error", test_error);
        return g_test_run();
}
