/*
 * Drives the etcd backend's session (services/clusterd/clusterd-etcd.c) with
 * arbitrary answers, watch lines and time: records of [op][len][bytes], where
 * op picks an answer to an outstanding request (its kind and HTTP status or
 * errno from the next byte), a watch line, the watch's end, time passing or the
 * election's wish. Checks, after every step: a request kind is never sent twice
 * at once, a node that holds the key is alive and is the leader it names, and
 * a node that is not alive holds nothing.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>

#include "../../services/clusterd/clusterd-etcd.h"
#include "ctdb-node.h"
#include "fuzz.h"

static bool outstanding[ETCD_CALL_MAX];
static bool watching;

static int fz_request(void *u, enum etcd_call call, const char *path, const char *body) {
        CHECK(call < ETCD_CALL_MAX && !outstanding[call] && path && body);
        outstanding[call] = true;
        return 0;
}

static void fz_cancel(void *u, enum etcd_call call) {
        outstanding[call] = false;
}

static int fz_watch(void *u, const char *body) {
        CHECK(body);
        watching = true;
        return 0;
}

static void fz_unwatch(void *u) {
        watching = false;
}

static const struct etcd_session_ops ops = {
        .request = fz_request,
        .cancel = fz_cancel,
        .watch = fz_watch,
        .unwatch = fz_unwatch,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const int statuses[] = { 200, 200, 200, 404, 412, 503, -ETIMEDOUT, -ECONNREFUSED };
        struct etcd_session_config cfg = {
                .prefix = "/ctdb/f/",
                .self = 1,
                .address = "192.0.2.12",
                .n_nodes = 4,
                .ttl = 2,
                .retry_usec = 100000,
        };
        etcd_session *s;
        uint64_t now = 1000000;
        bool want = false;

        memset(outstanding, 0, sizeof(outstanding));
        watching = false;
        s = etcd_session_new(NULL, &cfg, &ops, NULL);
        CHECK(s);
        (void) etcd_session_tick(s, now);

        while (size >= 3) {
                uint8_t op = data[0], arg = data[1];
                size_t len = data[2] < size - 3 ? data[2] : size - 3;
                char *text = talloc_strndup(NULL, (const char *) data + 3, len);

                CHECK(text);
                switch (op % 5) {
                case 0: {
                        enum etcd_call call = (enum etcd_call)(arg % ETCD_CALL_MAX);
                        int status = statuses[(arg / ETCD_CALL_MAX) % 8];

                        if (outstanding[call]) {
                                outstanding[call] = false;
                                etcd_session_answer(s, now, call, status, status < 0 ? NULL : text);
                        }
                        break;
                }
                case 1:
                        if (watching)
                                etcd_session_watch_line(s, now, text);
                        break;
                case 2:
                        if (watching) {
                                watching = false;
                                etcd_session_watch_end(s, now, arg & 1 ? -EIO : 0);
                        }
                        break;
                case 3:
                        now += (uint64_t) arg * 20000;
                        break;
                case 4:
                        want = !want;
                        etcd_session_want_leader(s, now, want);
                        break;
                }
                (void) etcd_session_tick(s, now);
                if (etcd_session_holds(s, now))
                        CHECK(etcd_session_alive(s, now) && etcd_session_leader(s) == cfg.self);
                if (!etcd_session_alive(s, now))
                        CHECK(!etcd_session_holds(s, now));
                talloc_free(text);
                data += 3 + len;
                size -= 3 + len;
        }
        etcd_session_free(s);
        return 0;
}
