/*
 * ctdb-bench wake-ring: the ceiling over message-ring on this machine.
 *
 * The same ring as message-ring (two messages going round in opposite
 * directions, every node forwarding what it receives), and every hop wakes the
 * same three processes as the real path: the sender's tunnel process, the next
 * node's tunnel process, that node's client. But the processes are joined by
 * socketpairs and do nothing besides: no TCP, no framing, no daemon, no bus.
 * message-ring can never beat this on the same machine with the same placement;
 * the difference between the two is what the stack itself costs.
 *
 * Tunnel processes wait in epoll_wait() and clients in poll(), as ctdb-tunneld
 * and ctdb-bench message-ring do. Each node's figure is printed as message_ring
 * prints it, counted from the first message on.
 */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_NODES 64

/* --cpus: node I runs on cpus[I % n_cpus], as local-cluster up --cpus places nodes. */
static int cpus[MAX_NODES];
static unsigned n_cpus;

static int parse_cpus(const char *s) {
        n_cpus = 0;
        for (;;) {
                char *end;
                unsigned long v = strtoul(s, &end, 10);
                if (end == s || v >= CPU_SETSIZE || n_cpus == MAX_NODES)
                        return -EINVAL;
                cpus[n_cpus++] = (int) v;
                if (*end == '\0')
                        break;
                if (*end != ',')
                        return -EINVAL;
                s = end + 1;
        }

        cpu_set_t allowed;
        if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
                return -errno;
        for (unsigned i = 0; i < n_cpus; i++)
                if (!CPU_ISSET(cpus[i], &allowed)) {
                        fprintf(stderr, "wake-ring: CPU %d is not available here\n", cpus[i]);
                        return -ENOENT;
                }
        return 0;
}

/* Confines the calling process to node PNN's CPU, if --cpus was given. */
static void place(uint32_t pnn) {
        cpu_set_t set;

        if (n_cpus == 0)
                return;
        CPU_ZERO(&set);
        CPU_SET(cpus[pnn % n_cpus], &set);
        if (sched_setaffinity(0, sizeof(set), &set) < 0) {
                fprintf(stderr, "wake-ring: CPU %d: %s\n", cpus[pnn % n_cpus], strerror(errno));
                _exit(EXIT_FAILURE);
        }
}

struct result {
        uint32_t pnn;
        uint32_t plus, minus;
        double seconds;
};

static int send_token(int fd, int32_t incr) {
        return send(fd, &incr, sizeof(incr), MSG_NOSIGNAL) == sizeof(incr) ? 0 : -errno;
}

/* A node's tunnel process: a token from its client goes one node further in the
 * token's direction, a token from a neighbour goes to its client. Runs until
 * killed. */
static _Noreturn void run_tunnel(uint32_t pnn, int client, int next, int prev) {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        int fds[] = { client, next, prev };

        place(pnn);
        if (ep < 0)
                _exit(EXIT_FAILURE);
        for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
                struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };
                if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0)
                        _exit(EXIT_FAILURE);
        }
        for (;;) {
                struct epoll_event evs[3];
                int n = epoll_wait(ep, evs, 3, -1);
                if (n < 0 && errno != EINTR)
                        _exit(EXIT_FAILURE);
                for (int i = 0; i < n; i++) {
                        int32_t incr;
                        if (recv(evs[i].data.fd, &incr, sizeof(incr), MSG_DONTWAIT) != sizeof(incr))
                                continue;
                        int to = evs[i].data.fd != client ? client : incr > 0 ? next : prev;
                        if (send_token(to, incr) < 0)
                                _exit(EXIT_FAILURE);
                }
        }
}

/* A node's client: counts every token and hands it back to its tunnel process
 * until the time is up; node 0 starts both tokens. */
static _Noreturn void run_client(uint32_t pnn, int tunnel, int go, int results, double secs) {
        struct result res = { .pnn = pnn };
        char c;

        place(pnn);
        if (read(go, &c, 1) < 0) /* returns 0 when the parent lets everyone go */
                _exit(EXIT_FAILURE);
        double start = bench_now_sec(), end = start + secs;
        if (pnn == 0 && (send_token(tunnel, 1) < 0 || send_token(tunnel, -1) < 0))
                _exit(EXIT_FAILURE);
        for (double now = start; now < end; now = bench_now_sec()) {
                struct pollfd p = { .fd = tunnel, .events = POLLIN };
                int left_ms = (int) ((end - now) * 1000) + 1;
                if (poll(&p, 1, left_ms) <= 0)
                        continue;
                int32_t incr;
                if (recv(tunnel, &incr, sizeof(incr), MSG_DONTWAIT) != sizeof(incr))
                        continue;
                if (incr > 0)
                        res.plus++;
                else
                        res.minus++;
                if (send_token(tunnel, incr) < 0)
                        _exit(EXIT_FAILURE);
        }
        res.seconds = bench_now_sec() - start;
        _exit(write(results, &res, sizeof(res)) == sizeof(res) ? EXIT_SUCCESS : EXIT_FAILURE);
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: ctdb-bench wake-ring [OPTIONS]\n\n"
                "message-ring's ring and its three process wake-ups per hop, over socketpairs\n"
                "with no work in between: the most message-ring can do on this machine with\n"
                "this placement (run both under the same taskset to compare).\n\n"
                "  -n --num-nodes=N     Number of nodes (default 3)\n"
                "  -t --timelimit=SECS  Time limit in seconds (default 10)\n"
                "  -c --cpus=LIST       Node I's processes on CPU LIST[I mod length], e.g. 0 or 0,1\n"
                "                       (as local-cluster up --cpus)\n");
}

int bench_wake_ring(int argc, char **argv) {
        static const struct option opts[] = {
                { "num-nodes", required_argument, NULL, 'n' },
                { "timelimit", required_argument, NULL, 't' },
                { "cpus",      required_argument, NULL, 'c' },
                { "help",      no_argument,       NULL, 'h' },
                {}
        };
        unsigned long n_nodes = 3;
        double secs = 10;
        int c, r;

        while ((c = getopt_long(argc, argv, "n:t:c:h", opts, NULL)) >= 0)
                switch (c) {
                case 'n':
                        n_nodes = strtoul(optarg, NULL, 10);
                        break;
                case 't':
                        secs = strtod(optarg, NULL);
                        break;
                case 'c':
                        r = parse_cpus(optarg);
                        if (r == -EINVAL)
                                fprintf(stderr,
                                        "wake-ring: --cpus wants CPU numbers (below %d) separated by "
                                        "commas\n",
                                        CPU_SETSIZE);
                        if (r < 0)
                                return EXIT_FAILURE;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_SUCCESS;
                default:
                        usage(stderr);
                        return EXIT_FAILURE;
                }
        if (n_nodes < 2 || n_nodes > MAX_NODES || !(secs > 0)) {
                fprintf(stderr, "wake-ring: need 2..%d nodes and a positive time limit\n", MAX_NODES);
                return EXIT_FAILURE;
        }

        /* cl[i]: client i (0) with tunnel i (1); ln[i]: tunnel i (0) with tunnel i+1 (1). */
        int cl[MAX_NODES][2], ln[MAX_NODES][2], go[2], results[2];
        pid_t tunnels[MAX_NODES] = {}; /* to kill at the end; clients exit by themselves */
        if (pipe(go) < 0 || pipe(results) < 0)
                goto fail_errno;
        for (unsigned i = 0; i < n_nodes; i++)
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cl[i]) < 0 ||
                    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ln[i]) < 0)
                        goto fail_errno;

        fflush(stdout);
        for (unsigned i = 0; i < n_nodes; i++) {
                tunnels[i] = fork();
                if (tunnels[i] < 0)
                        goto fail_forked;
                if (tunnels[i] == 0) {
                        close(go[0]);
                        close(go[1]);
                        close(results[0]);
                        close(results[1]);
                        run_tunnel(i, cl[i][1], ln[i][0], ln[(i + n_nodes - 1) % n_nodes][1]);
                }
        }
        for (unsigned i = 0; i < n_nodes; i++) {
                pid_t client = fork();
                if (client < 0)
                        goto fail_forked;
                if (client == 0) {
                        close(go[1]);
                        run_client(i, cl[i][0], go[0], results[1], secs);
                }
        }
        close(go[1]); /* let every client go at once */
        close(results[1]); /* so that clients that all failed read as EOF */

        struct result res[MAX_NODES] = {};
        int rc = EXIT_SUCCESS;
        for (unsigned i = 0; i < n_nodes; i++) {
                struct result got;
                if (read(results[0], &got, sizeof(got)) != sizeof(got) || got.pnn >= n_nodes) {
                        fprintf(stderr, "wake-ring: a client failed\n");
                        rc = EXIT_FAILURE;
                        break;
                }
                res[got.pnn] = got;
        }
        for (unsigned i = 0; i < n_nodes; i++)
                kill(tunnels[i], SIGKILL);
        for (unsigned i = 0; i < 2 * n_nodes; i++)
                wait(NULL);
        if (rc != EXIT_SUCCESS)
                return rc;
        for (unsigned i = 0; i < n_nodes; i++)
                printf("Ring[%u]: %.2f msgs/sec (+ve=%u -ve=%u)\n", i,
                       (res[i].plus + res[i].minus) / res[i].seconds, res[i].plus, res[i].minus);
        return EXIT_SUCCESS;

fail_forked:
        fprintf(stderr, "wake-ring: fork: %s\n", strerror(errno));
        /* Tunnels run until killed; clients started so far never got the go and
         * see EOF on it once this process exits. */
        for (unsigned i = 0; i < n_nodes && tunnels[i] > 0; i++)
                kill(tunnels[i], SIGKILL);
        return EXIT_FAILURE;
fail_errno:
        fprintf(stderr, "wake-ring: %s\n", strerror(errno));
        return EXIT_FAILURE;
}
