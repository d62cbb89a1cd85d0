/*
 * ctdb-bench message-ring: CTDB's ctdb/tests/src/message_ring.c on libctdb-client.
 *
 * One process per node, each connected to its own ctdb-tunneld. After every node
 * has registered (cluster wait), node 0 sends one message "+1" to the next node
 * and one "-1" to the previous node, once a second while none of that kind has
 * arrived yet; every node forwards each message it receives one node further in
 * the message's direction. Each node counts what it received and, at the end of
 * --timelimit, prints "Ring: N msgs/sec (+ve=P -ve=M)" as CTDB does; with
 * --interactive node 0 also prints "Ring[0]: ..." every second.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"
#include "bench.h"

struct ring {
        struct bench *b;
        unsigned msg_count;
        unsigned msg_plus, msg_minus;
};

static const struct bench_spec spec = {
        .name = "message-ring",
        .ctdb_name = "message ring",
        .description = "Run on every node at once: messages circle the nodes in both directions.\n",
};

static uint32_t next_node(struct ring *ring, int incr) {
        return (uint32_t) (((int64_t) ring->b->pnn + ring->b->num_nodes + incr) % ring->b->num_nodes);
}

static void on_message(struct bench *b, uint32_t src, const void *data, size_t len, void *userdata) {
        struct ring *ring = userdata;
        int32_t incr;
        int r;

        if (len != sizeof(int32_t))
                return;
        memcpy(&incr, data, sizeof(incr));
        ring->msg_count++;
        if (incr == 1)
                ring->msg_plus++;
        else
                ring->msg_minus++;
        r = bench_send(b, next_node(ring, incr), data, len);
        if (r < 0 && b->error == 0)
                b->error = r;
}

int bench_message_ring(int argc, char **argv) {
        struct bench_options opts;
        struct ring ring = {};
        double start, end, next_second;
        int r;

        r = bench_options_parse(&spec, argc, argv, &opts);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (bench_open(&spec, &opts, &ring.b) < 0)
                return EXIT_FAILURE;
        bench_set_message_handler(ring.b, on_message, &ring);

        r = bench_cluster_wait(ring.b);
        if (r < 0) {
                fprintf(stderr, "Failed to wait for %u nodes: %s\n", opts.num_nodes, strerror(-r));
                goto fail;
        }

        start = bench_now_sec();
        end = start + opts.timelimit;
        next_second = start + 1;
        for (;;) {
                double now = bench_now_sec();
                if (now >= end)
                        break;
                if (ring.b->pnn == 0 && now >= next_second) {
                        int32_t incr;
                        if (opts.interactive) {
                                printf("Ring[%u]: %.2f msgs/sec (+ve=%u -ve=%u)\n", ring.b->pnn,
                                       ring.msg_count / (now - start), ring.msg_plus, ring.msg_minus);
                                fflush(stdout);
                        }
                        if (ring.msg_plus == 0) {
                                incr = 1;
                                r = bench_send(ring.b, next_node(&ring, incr), &incr, sizeof(incr));
                                if (r < 0)
                                        goto send_failed;
                        }
                        if (ring.msg_minus == 0) {
                                incr = -1;
                                r = bench_send(ring.b, next_node(&ring, incr), &incr, sizeof(incr));
                                if (r < 0)
                                        goto send_failed;
                        }
                        next_second += 1;
                }
                double until = end;
                if (ring.b->pnn == 0 && next_second < until)
                        until = next_second;
                r = bench_poll(ring.b, until - now);
                if (r < 0)
                        goto send_failed;
        }

        printf("Ring: %.2f msgs/sec (+ve=%u -ve=%u)\n", ring.msg_count / (bench_now_sec() - start),
               ring.msg_plus, ring.msg_minus);
        bench_free(ring.b);
        return EXIT_SUCCESS;

send_failed:
        fprintf(stderr, "message ring test failed: %s\n", strerror(-r));
fail:
        bench_free(ring.b);
        return EXIT_FAILURE;
}
