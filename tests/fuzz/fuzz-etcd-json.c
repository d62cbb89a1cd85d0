/*
 * Feeds the same bytes, as one NUL-terminated body, to every etcd answer
 * parser of services/clusterd/clusterd-etcd-json.c and checks their contract:
 * 0 or -EBADMSG/-ENOMEM, a result only with 0, nothing left behind on a
 * failure; and to the base64 decoder, whose output encodes back to its input.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>

#include "../../services/clusterd/clusterd-etcd-json.h"
#include "fuzz.h"

static void check_r(void *ctx, int r) {
        CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM);
        if (r < 0)
                CHECK(talloc_total_blocks(ctx) == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        void *ctx = talloc_new(NULL);
        char *body = malloc(size + 1);
        struct etcd_event *events;
        struct etcd_kv *kvs, *holder;
        int64_t a, b;
        bool x;
        size_t n;
        uint8_t *out;
        char *message;
        int code, r;

        CHECK(ctx && body);
        memcpy(body, data, size);
        body[size] = '\0';

        r = etcd_json_header_revision(body, &a);
        CHECK(r == 0 || r == -EBADMSG);
        r = etcd_json_parse_grant(body, &a, &b);
        CHECK(r == 0 || r == -EBADMSG);
        if (r == 0)
                CHECK(a != 0 && b > 0);
        r = etcd_json_parse_keepalive(body, &a);
        CHECK(r == 0 || r == -EBADMSG);
        check_r(ctx, etcd_json_parse_txn(ctx, body, &x, &holder));
        talloc_free_children(ctx);
        r = etcd_json_parse_range(ctx, body, &kvs, &n);
        check_r(ctx, r);
        if (r == 0)
                CHECK(n == 0 || kvs);
        talloc_free_children(ctx);
        r = etcd_json_parse_watch(ctx, body, &x, &a, &events, &n);
        check_r(ctx, r);
        if (r == 0)
                CHECK(n == 0 || events);
        talloc_free_children(ctx);
        check_r(ctx, etcd_json_parse_error(ctx, body, &code, &message));
        talloc_free_children(ctx);

        r = etcd_base64_decode(ctx, body, &out, &n);
        check_r(ctx, r);
        if (r == 0) {
                char *again = etcd_base64_encode(out, n);

                CHECK(again && strcmp(again, body) == 0);
                free(again);
        }
        talloc_free(ctx);
        free(body);
        return 0;
}
