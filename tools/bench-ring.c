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

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "ctdb-client.h"
#include "ctdb-srvid.h"

/* Cluster wait: a node broadcasts READY until it has heard every other node. */
#define READY_MAGIC UINT32_C(0x59444552) /* "REDY" */
#define WAIT_TIMEOUT_SEC 30

struct ready_msg {
        uint32_t magic;
        uint32_t want_reply;
};

struct ring {
        ctdb_client *client;
        uint32_t pnn;
        uint32_t num_nodes;
        bool *heard;
        uint32_t n_heard;
        unsigned msg_count;
        unsigned msg_plus, msg_minus;
        int error;
};

static uint32_t next_node(struct ring *ring, int incr) {
        return (uint32_t) (((int64_t) ring->pnn + ring->num_nodes + incr) % ring->num_nodes);
}

/* Sends, waiting for room in the socket if tunneld is momentarily behind. */
static int ring_send(struct ring *ring, uint32_t dst, const void *data, size_t len) {
        for (;;) {
                int r = ctdb_client_send(ring->client, dst, CTDB_SRVID_BENCH_RING, data, len);
                if (r != -EAGAIN)
                        return r;
                struct pollfd p = { .fd = ctdb_client_fd(ring->client), .events = POLLOUT };
                if (poll(&p, 1, 1000) < 0 && errno != EINTR)
                        return -errno;
        }
}

static void on_message(ctdb_client *c, uint32_t src, uint64_t srvid, const void *data, size_t len,
                       void *userdata) {
        struct ring *ring = userdata;
        int r;

        if (srvid != CTDB_SRVID_BENCH_RING)
                return;

        if (len == sizeof(struct ready_msg)) {
                struct ready_msg m;
                memcpy(&m, data, sizeof(m));
                if (m.magic != READY_MAGIC || src >= ring->num_nodes)
                        return;
                if (!ring->heard[src]) {
                        ring->heard[src] = true;
                        ring->n_heard++;
                }
                if (m.want_reply) {
                        struct ready_msg reply = { .magic = READY_MAGIC, .want_reply = 0 };
                        r = ring_send(ring, src, &reply, sizeof(reply));
                        if (r < 0 && r != -ENOTCONN)
                                ring->error = r;
                }
                return;
        }

        if (len != sizeof(int32_t))
                return;
        int32_t incr;
        memcpy(&incr, data, sizeof(incr));
        ring->msg_count++;
        if (incr == 1)
                ring->msg_plus++;
        else
                ring->msg_minus++;
        r = ring_send(ring, next_node(ring, incr), data, len);
        if (r < 0)
                ring->error = r;
}

/* Waits up to timeout_sec for frames and handles them. */
static int ring_poll(struct ring *ring, double timeout_sec) {
        struct pollfd p = { .fd = ctdb_client_fd(ring->client), .events = POLLIN };
        int ms = timeout_sec <= 0 ? 0 : (int) (timeout_sec * 1000.0) + 1;
        int r;

        r = poll(&p, 1, ms);
        if (r < 0)
                return errno == EINTR ? 0 : -errno;
        if (r == 0)
                return 0;
        r = ctdb_client_process(ring->client);
        if (r < 0)
                return r;
        return ring->error;
}

static int cluster_wait(struct ring *ring) {
        double deadline = bench_now_sec() + WAIT_TIMEOUT_SEC, next_ready = 0;
        struct ready_msg ready = { .magic = READY_MAGIC, .want_reply = 1 };
        int r;

        ring->heard[ring->pnn] = true;
        ring->n_heard = 1;
        while (ring->n_heard < ring->num_nodes) {
                double now = bench_now_sec();
                if (now >= deadline)
                        return -ETIMEDOUT;
                if (now >= next_ready) {
                        r = ring_send(ring, CTDB_CLIENT_PNN_ALL, &ready, sizeof(ready));
                        if (r < 0)
                                return r;
                        next_ready = now + 0.1;
                }
                r = ring_poll(ring, next_ready - now);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void help(void) {
        printf("Usage: ctdb-bench message-ring [OPTIONS...]\n\n"
               "Run on every node at once: messages circle the nodes in both directions.\n\n"
               "  -n --num-nodes=N     Number of cluster nodes (default 1)\n"
               "  -t --timelimit=SECS  Time limit in seconds (default 10)\n"
               "  -s --socket=PATH     tunneld's socket (default %s)\n"
               "  -i --interactive     Node 0 prints its rate every second\n"
               "  -h --help            Show this help\n",
               ctdb_client_default_socket());
}

static int parse_uint(const char *s, const char *what, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || !*s || *end || v == 0 || v > 1000000) {
                fprintf(stderr, "Invalid %s '%s': expected a positive number.\n", what, s);
                return -EINVAL;
        }
        *ret = (unsigned) v;
        return 0;
}

int bench_message_ring(int argc, char **argv) {
        static const struct option options[] = { { "num-nodes", required_argument, NULL, 'n' },
                                                 { "timelimit", required_argument, NULL, 't' },
                                                 { "socket", required_argument, NULL, 's' },
                                                 { "interactive", no_argument, NULL, 'i' },
                                                 { "help", no_argument, NULL, 'h' },
                                                 {} };
        unsigned num_nodes = 1, timelimit = 10;
        const char *socket_path = NULL;
        bool interactive = false;
        struct ring ring = {};
        double start, end, next_second;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "n:t:s:ih", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        if (parse_uint(optarg, "number of nodes", &num_nodes) < 0)
                                return EXIT_FAILURE;
                        break;
                case 't':
                        if (parse_uint(optarg, "time limit", &timelimit) < 0)
                                return EXIT_FAILURE;
                        break;
                case 's':
                        socket_path = optarg;
                        break;
                case 'i':
                        interactive = true;
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                default:
                        return EXIT_FAILURE;
                }

        r = ctdb_client_connect(socket_path, &ring.client);
        if (r < 0) {
                fprintf(stderr, "Failed to connect to %s: %s\n",
                        socket_path ? socket_path : ctdb_client_default_socket(), strerror(-r));
                return EXIT_FAILURE;
        }
        ring.pnn = ctdb_client_pnn(ring.client);
        ring.num_nodes = num_nodes;
        if (ring.pnn >= num_nodes) {
                fprintf(stderr, "This is node %u, but --num-nodes is %u.\n", ring.pnn, num_nodes);
                goto fail;
        }
        ring.heard = calloc(num_nodes, sizeof(bool));
        if (!ring.heard)
                goto fail;
        ctdb_client_set_message_handler(ring.client, on_message, &ring);
        r = ctdb_client_register(ring.client, CTDB_SRVID_BENCH_RING);
        if (r < 0) {
                fprintf(stderr, "Failed to register for messages: %s\n", strerror(-r));
                goto fail;
        }

        r = cluster_wait(&ring);
        if (r < 0) {
                fprintf(stderr, "Failed to wait for %u nodes: %s\n", num_nodes, strerror(-r));
                goto fail;
        }

        start = bench_now_sec();
        end = start + timelimit;
        next_second = start + 1;
        for (;;) {
                double now = bench_now_sec();
                if (now >= end)
                        break;
                if (ring.pnn == 0 && now >= next_second) {
                        int32_t incr;
                        if (interactive) {
                                printf("Ring[%u]: %.2f msgs/sec (+ve=%u -ve=%u)\n", ring.pnn,
                                       ring.msg_count / (now - start), ring.msg_plus, ring.msg_minus);
                                fflush(stdout);
                        }
                        if (ring.msg_plus == 0) {
                                incr = 1;
                                r = ring_send(&ring, next_node(&ring, incr), &incr, sizeof(incr));
                                if (r < 0)
                                        goto send_failed;
                        }
                        if (ring.msg_minus == 0) {
                                incr = -1;
                                r = ring_send(&ring, next_node(&ring, incr), &incr, sizeof(incr));
                                if (r < 0)
                                        goto send_failed;
                        }
                        next_second += 1;
                }
                double until = end;
                if (ring.pnn == 0 && next_second < until)
                        until = next_second;
                r = ring_poll(&ring, until - now);
                if (r < 0)
                        goto send_failed;
        }

        printf("Ring: %.2f msgs/sec (+ve=%u -ve=%u)\n", ring.msg_count / (bench_now_sec() - start),
               ring.msg_plus, ring.msg_minus);
        free(ring.heard);
        ctdb_client_free(ring.client);
        return EXIT_SUCCESS;

send_failed:
        fprintf(stderr, "message ring test failed: %s\n", strerror(-r));
fail:
        free(ring.heard);
        ctdb_client_free(ring.client);
        return EXIT_FAILURE;
}
