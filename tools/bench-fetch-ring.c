/*
 * ctdb-bench fetch-ring: CTDB's ctdb/tests/src/fetch_ring.c on libctdb-client.
 *
 * One process per node. After the cluster wait the last node fetch-locks the
 * key, appends "msg_count=N on node P" to its value (starting again from
 * "Test data" once the value is over 1000 bytes), stores, unlocks and sends an
 * empty message to the next node; a node receiving it counts it and does the
 * same. So one record circles the nodes and every hop is one migration. At the
 * end of --timelimit each node prints "Fetch[P]: R msgs/sec" and fetch-locks
 * the key once more (with --interactive printing the value), as CTDB does.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"
#include "bench.h"

/* CTDB's limit before the value starts again. */
#define VALUE_RESET_LEN 1000u

struct fetch_ring {
        struct bench *b;
        int msg_count;
        unsigned pending; /* messages whose update is still to do */
};

static const struct bench_spec spec = {
        .name = "fetch-ring",
        .ctdb_name = "fetch ring",
        .description = "Run on every node at once: one record passes around the nodes, each hop a\n"
                       "fetch-lock that migrates it, an append and a message to the next node.\n",
        .options = BENCH_OPT_DATABASE,
        .default_db = "fetch_ring.tdb",
        .default_key = "testkey",
        .announce_wait = true,
};

/*
 * The message only says "your turn": the work is done after the handler has
 * returned, so that a fetch-lock (which may block) never runs inside
 * libctdb-client's read loop.
 */
static void on_message(struct bench *b, uint32_t src, const void *data, size_t len, void *userdata) {
        struct fetch_ring *f = userdata;

        f->msg_count++;
        f->pending++;
}

/* fetch_ring_update(): fetch-lock, append, store, unlock, pass on. */
static int ring_update(struct fetch_ring *f) {
        struct bench *b = f->b;
        const char *key = b->opts->key;
        ctdb_record *rec;
        void *value = NULL;
        size_t len = 0, text_len;
        const char *text;
        char *data;
        int n, r;

        r = ctdb_db_fetch_lock(b->db, key, strlen(key), &rec, &value, &len);
        if (r < 0)
                return bench_fail(r, "fetch-lock");
        /* The value is a C string with its NUL, as CTDB stores it. */
        text = value;
        text_len = value ? strnlen(text, len) : 0;
        if (len > VALUE_RESET_LEN || text_len == 0) {
                text = "Test data\n";
                text_len = strlen(text);
        }
        n = asprintf(&data, "%.*smsg_count=%d on node %u\n", (int) text_len, text, f->msg_count, b->pnn);
        free(value);
        if (n < 0) {
                ctdb_record_unlock(rec);
                return bench_fail(-ENOMEM, "allocate");
        }
        r = ctdb_record_store(rec, data, (size_t) n + 1);
        ctdb_record_unlock(rec);
        free(data);
        if (r < 0)
                return bench_fail(r, "store");
        r = bench_send(b, (b->pnn + 1) % b->num_nodes, NULL, 0);
        if (r < 0)
                return bench_fail(r, "send to the next node");
        return 0;
}

/* fetch_ring_final_read(). */
static int final_read(struct fetch_ring *f) {
        struct bench *b = f->b;
        ctdb_record *rec;
        void *value = NULL;
        size_t len = 0;
        int r;

        r = ctdb_db_fetch_lock(b->db, b->opts->key, strlen(b->opts->key), &rec, &value, &len);
        if (r < 0)
                return bench_fail(r, "fetch-lock");
        if (b->opts->interactive)
                printf("DATA:\n%.*s\n", (int) (value ? strnlen(value, len) : 0),
                       value ? (char *) value : "");
        free(value);
        ctdb_record_unlock(rec);
        return 0;
}

static int fetch_ring(struct bench *b) {
        struct fetch_ring f = { .b = b };
        double start, end;
        int r;

        bench_set_message_handler(b, on_message, &f);
        r = bench_cluster_wait(b);
        if (r < 0)
                return bench_fail(r, "wait for the cluster");

        start = bench_now_sec();
        end = start + b->opts->timelimit;
        /* The last node starts the ring, without counting a message. */
        if (b->pnn == b->num_nodes - 1 && (r = ring_update(&f)) < 0)
                return r;
        for (;;) {
                double now = bench_now_sec();
                if (now >= end)
                        break;
                /*
                 * Turns first: one that came during the cluster wait (the ring's
                 * first message, when the last node started before this one
                 * was done waiting) must not sit until the poll times out.
                 */
                for (; f.pending > 0; f.pending--)
                        if ((r = ring_update(&f)) < 0)
                                return r;
                r = bench_poll(b, end - now);
                if (r < 0)
                        return bench_fail(r, "receive messages");
        }

        printf("Fetch[%u]: %.2f msgs/sec\n", b->pnn, f.msg_count / (bench_now_sec() - start));
        fflush(stdout);
        return final_read(&f);
}

int bench_fetch_ring(int argc, char **argv) {
        return bench_main(&spec, argc, argv, fetch_ring);
}
