/*
 * ctdb-bench failover: how long after a fault on the node hosting a public
 * address a TCP client reaches that address on another node, and how long a
 * client connected before the fault waits for its reset.
 *
 * It runs in a client's network namespace (local-cluster's PREFIX-client) and
 * reads the nodes' buses (--bus, one per pnn) only between rounds. Every node
 * runs the listener (--listen), which answers each connection with its pnn,
 * so the client knows which node accepted. A round:
 *   - picks the target (the leader, or a non-leader, hosting an address) and
 *     an address it hosts, from ctdb-ipd's Addresses and clusterd's Leader;
 *   - opens the established connection and checks the target answers;
 *   - runs --fault (PNN=target in its environment) and from then on starts a
 *     non-blocking connect every CONNECT_EVERY_MS, each given up after
 *     CONNECT_TIMEOUT_MS: a SYN that went to the old node's MAC is lost, and
 *     waiting for the kernel's 1 s SYN retransmit would measure the kernel;
 *   - writes a byte on the established connection every WRITE_EVERY_MS until
 *     it fails (ECONNRESET, EPIPE) or reads end;
 *   - runs --heal, which returns once the cluster has settled again.
 * t0 is the fault itself: the fault command writes the wall-clock time of it
 * to $CTDB_LOCAL_FAULT_STAMP (local-cluster does), else t0 is its start.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "bench.h"
#include "bus-util.h"
#include "ctdb-names.h"

#define DEFAULT_PORT       4390
#define CONNECT_EVERY_MS   5
#define CONNECT_TIMEOUT_MS 250
#define MAX_ATTEMPTS       (CONNECT_TIMEOUT_MS / CONNECT_EVERY_MS + 2)
#define WRITE_EVERY_MS     5
#define SETUP_TIMEOUT_MS   3000
#define HEAL_TIMEOUT_MS    120000
#define MAX_ROUNDS         1000
#define MAX_ADDRESSES      1024
#define LISTEN_MAX_CONNS   1024
#define PNN_NONE           UINT32_MAX

enum role { ROLE_NON_LEADER, ROLE_LEADER };
static const char *const role_name[] = { "non-leader", "leader" };

struct public_address {
        char address[INET6_ADDRSTRLEN]; /* without the /PREFIX */
        uint32_t pnn;
};

struct view {
        struct public_address addresses[MAX_ADDRESSES];
        size_t n_addresses;
        uint32_t leader;
};

struct attempt {
        int fd;
        uint64_t started_usec, connected_usec; /* connected_usec 0: connect pending */
};

struct round {
        struct sockaddr_storage sa;
        socklen_t sa_len;
        uint32_t target;

        int established;
        bool reset;
        int reset_errno; /* 0: an orderly end of the stream */
        uint64_t reset_usec;

        struct attempt attempts[MAX_ATTEMPTS];
        bool connected;
        uint64_t connected_usec;
        uint32_t new_pnn;
};

struct results {
        double connect_ms[MAX_ROUNDS], reset_ms[MAX_ROUNDS];
        unsigned n_connect, n_reset, n_failed, n_rounds;
};

struct config {
        const char *mode, *fault, *heal;
        const char *buses[BENCH_MAX_BUSES];
        unsigned n_buses;
        uint16_t port;
        unsigned long rounds, timeout_ms, reset_timeout_ms;
};

static uint64_t now_usec(void) {
        return bench_clock_usec(CLOCK_MONOTONIC);
}

/* ---- the listener ------------------------------------------------------------------- */

/* Binds [::]:port (IPv4 too) or, without IPv6, 0.0.0.0:port. */
static int listen_socket(uint16_t port) {
        struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
        int one = 1, zero = 0, fd;

        fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0) {
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
                (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (bind(fd, (struct sockaddr *) &sin6, sizeof(sin6)) == 0 && listen(fd, 128) == 0)
                        return fd;
                close(fd);
        }
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0 || listen(fd, 128) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/*
 * Answers every connection with "PNN\n" and keeps it open, reading and
 * dropping what the client writes, until the client ends it. Runs until a
 * signal ends the process (local-cluster stops it by pid).
 */
static int listen_run(uint32_t pnn, uint16_t port) {
        static struct pollfd fds[LISTEN_MAX_CONNS + 1];
        char line[16], buf[4096];
        nfds_t n = 1;
        int len;

        fds[0].fd = listen_socket(port);
        if (fds[0].fd < 0)
                return bench_fail(fds[0].fd, "listen");
        fds[0].events = POLLIN;
        len = snprintf(line, sizeof(line), "%" PRIu32 "\n", pnn);
        printf("listening on port %u as node %" PRIu32 "\n", port, pnn);
        fflush(stdout);

        for (;;) {
                if (poll(fds, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return bench_fail(-errno, "poll");
                }
                for (nfds_t i = n; i-- > 1;) {
                        ssize_t k;

                        if (!fds[i].revents)
                                continue;
                        k = read(fds[i].fd, buf, sizeof(buf));
                        if (k > 0 || (k < 0 && errno == EAGAIN))
                                continue;
                        close(fds[i].fd);
                        fds[i] = fds[--n];
                }
                if (fds[0].revents & POLLIN) {
                        int fd = accept4(fds[0].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

                        if (fd < 0)
                                continue; /* the client gave up meanwhile: nothing to answer */
                        /* A fresh socket has room for a few bytes; a client that is gone just misses them.
                         */
                        (void) send(fd, line, (size_t) len, MSG_NOSIGNAL);
                        if (n > LISTEN_MAX_CONNS) {
                                close(fd); /* answered, but not kept: the table is full */
                                continue;
                        }
                        fds[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
                }
        }
}

/* ---- what the cluster says ----------------------------------------------------------- */

static int view_read_bus(const char *address, struct view *ret) {
        _cleanup_bus_ sd_bus *bus = NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *addr, *ifaces;
        uint32_t pnn;
        int r;

        r = bus_open(address, &bus);
        if (r < 0)
                return r;
        /* A stopped daemon must not hold the bench up for sd-bus's 25 s default. */
        (void) sd_bus_set_method_call_timeout(bus, 2 * 1000000);
        r = sd_bus_get_property_trivial(bus, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                                        CLUSTERD_MANAGER_IFACE, "Leader", &error, 'u', &ret->leader);
        if (r >= 0)
                r = sd_bus_get_property(bus, IPD_BUS_NAME, IPD_MANAGER_PATH, IPD_MANAGER_IFACE, "Addresses",
                                        &error, &reply, "a(ssu)");
        sd_bus_error_free(&error);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ssu)");
        if (r < 0)
                return r;
        ret->n_addresses = 0;
        while ((r = sd_bus_message_read(reply, "(ssu)", &addr, &ifaces, &pnn)) > 0) {
                struct public_address *a;
                size_t len = strcspn(addr, "/");

                if (ret->n_addresses == MAX_ADDRESSES || len >= sizeof(a->address))
                        return -E2BIG;
                a = &ret->addresses[ret->n_addresses++];
                memcpy(a->address, addr, len);
                a->address[len] = '\0';
                a->pnn = pnn;
        }
        return r;
}

/* The view from the first node that answers, node 0 first. */
static int view_read(const struct config *cfg, struct view *ret) {
        int r = -ENOENT;

        for (unsigned i = 0; i < cfg->n_buses; i++) {
                r = view_read_bus(cfg->buses[i], ret);
                if (r >= 0)
                        return 0;
        }
        return r;
}

/*
 * The round's target and address: the leader, or the round-th (cyclically) of
 * the non-leaders that host an address; the first address it hosts.
 */
static int view_pick(const struct view *v, enum role role, unsigned long round, uint32_t *ret_pnn,
                     const char **ret_address) {
        uint32_t candidates[BENCH_MAX_BUSES];
        unsigned n = 0;

        if (v->leader == PNN_NONE)
                return -ENXIO;
        for (size_t i = 0; i < v->n_addresses; i++) {
                uint32_t p = v->addresses[i].pnn;
                bool seen = false;

                if (p == PNN_NONE || (role == ROLE_LEADER) != (p == v->leader))
                        continue;
                for (unsigned k = 0; k < n; k++)
                        seen = seen || candidates[k] == p;
                if (!seen && n < BENCH_MAX_BUSES)
                        candidates[n++] = p;
        }
        if (n == 0)
                return -ENOENT;
        /* Sorted, so that rounds walk the nodes in pnn order. */
        for (unsigned i = 1; i < n; i++)
                for (unsigned k = i; k > 0 && candidates[k - 1] > candidates[k]; k--) {
                        uint32_t t = candidates[k];
                        candidates[k] = candidates[k - 1];
                        candidates[k - 1] = t;
                }
        *ret_pnn = candidates[round % n];
        for (size_t i = 0; i < v->n_addresses; i++)
                if (v->addresses[i].pnn == *ret_pnn) {
                        *ret_address = v->addresses[i].address;
                        return 0;
                }
        return -ENOENT;
}

/* ---- the client's connections ---------------------------------------------------------- */

static int sockaddr_parse(const char *address, uint16_t port, struct sockaddr_storage *ret,
                          socklen_t *ret_len) {
        struct sockaddr_in *sin = (struct sockaddr_in *) ret;
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ret;

        memset(ret, 0, sizeof(*ret));
        if (inet_pton(AF_INET, address, &sin->sin_addr) == 1) {
                sin->sin_family = AF_INET;
                sin->sin_port = htons(port);
                *ret_len = sizeof(*sin);
                return 0;
        }
        if (inet_pton(AF_INET6, address, &sin6->sin6_addr) == 1) {
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons(port);
                *ret_len = sizeof(*sin6);
                return 0;
        }
        return -EINVAL;
}

/* Starts a non-blocking connect; returns the fd or negative errno. */
static int connect_start(const struct round *rd) {
        int fd = socket(rd->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) &rd->sa, rd->sa_len) < 0 && errno != EINPROGRESS) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* The pnn line a listener sends first; -EAGAIN while it has not come. */
static int read_pnn(int fd, uint32_t *ret) {
        char buf[16], *end;
        ssize_t k = recv(fd, buf, sizeof(buf) - 1, MSG_PEEK);
        unsigned long v;

        if (k < 0)
                return -errno;
        if (k == 0)
                return -ECONNRESET;
        buf[k] = '\0';
        if (!memchr(buf, '\n', (size_t) k))
                return k == sizeof(buf) - 1 ? -EBADMSG : -EAGAIN;
        errno = 0;
        v = strtoul(buf, &end, 10);
        if (errno != 0 || end == buf || *end != '\n' || v >= UINT32_MAX)
                return -EBADMSG;
        (void) recv(fd, buf, (size_t) (end - buf + 1), 0); /* consume the peeked line */
        *ret = (uint32_t) v;
        return 0;
}

/* Connects and reads the answering pnn, within timeout_ms; returns the fd. */
static int connect_wait(const struct round *rd, uint64_t timeout_ms, uint32_t *ret_pnn) {
        uint64_t deadline = now_usec() + timeout_ms * 1000;
        int fd = connect_start(rd), r = -ETIMEDOUT;

        if (fd < 0)
                return fd;
        for (uint64_t now = now_usec(); now < deadline; now = now_usec()) {
                struct pollfd p = { .fd = fd, .events = POLLIN };

                if (poll(&p, 1, (int) ((deadline - now + 999) / 1000)) < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                r = read_pnn(fd, ret_pnn);
                if (r != -EAGAIN && r != -ENOTCONN)
                        break;
                r = -ETIMEDOUT;
        }
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

static void round_note_reset(struct round *rd, int error, uint64_t now) {
        if (rd->reset)
                return;
        rd->reset = true;
        rd->reset_errno = error;
        rd->reset_usec = now;
}

/* The established connection: keep data in flight, so that the reset has something to hit. */
static void established_poke(struct round *rd, uint64_t now) {
        if (rd->reset)
                return;
        if (send(rd->established, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN &&
            errno != EINTR)
                round_note_reset(rd, errno, now);
}

static void established_readable(struct round *rd, uint64_t now) {
        char buf[64];
        ssize_t k = recv(rd->established, buf, sizeof(buf), MSG_DONTWAIT);

        if (k == 0)
                round_note_reset(rd, 0, now);
        else if (k < 0 && errno != EAGAIN && errno != EINTR)
                round_note_reset(rd, errno, now);
}

static void attempt_close(struct attempt *a) {
        if (a->fd >= 0)
                close(a->fd);
        *a = (struct attempt){ .fd = -1 };
}

/* One attempt's event: connected (note the time), answered (by whom?), or failed. */
static void attempt_event(struct round *rd, struct attempt *a, uint64_t now) {
        uint32_t pnn;
        int r;

        if (a->connected_usec == 0) {
                int error = 0;
                socklen_t len = sizeof(error);

                if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error != 0) {
                        attempt_close(a); /* refused or unreachable: the next attempt retries */
                        return;
                }
                a->connected_usec = now;
        }
        r = read_pnn(a->fd, &pnn);
        if (r == -EAGAIN)
                return;
        if (r == 0 && pnn != rd->target && !rd->connected) {
                rd->connected = true;
                rd->connected_usec = a->connected_usec;
                rd->new_pnn = pnn;
        }
        /* The old node still answering, or a broken answer: this attempt is over either way. */
        attempt_close(a);
}

/* ---- running commands ------------------------------------------------------------------ */

static pid_t command_spawn(const char *cmd, uint32_t pnn, const char *stamp) {
        pid_t pid = fork();

        if (pid == 0) {
                char buf[16];

                snprintf(buf, sizeof(buf), "%" PRIu32, pnn);
                if (setenv("PNN", buf, 1) < 0 || (stamp && setenv("CTDB_LOCAL_FAULT_STAMP", stamp, 1) < 0))
                        _exit(127);
                execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
                _exit(127);
        }
        return pid < 0 ? -errno : pid;
}

/* Waits for pid up to timeout_ms (then kills it); its exit status or negative errno. */
static int command_wait(pid_t pid, uint64_t timeout_ms) {
        uint64_t deadline = now_usec() + timeout_ms * 1000;
        int status;

        for (;;) {
                pid_t p = waitpid(pid, &status, WNOHANG);

                if (p == pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                if (p < 0)
                        return -errno;
                if (now_usec() > deadline) {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        return -ETIMEDOUT;
                }
                usleep(2000);
        }
}

static int command_run(const char *cmd, uint32_t pnn, uint64_t timeout_ms) {
        pid_t pid = command_spawn(cmd, pnn, NULL);

        return pid < 0 ? pid : command_wait(pid, timeout_ms);
}

/* ---- one round -------------------------------------------------------------------------- */

/*
 * The fault and what the clients see; rd has the target and the established
 * connection. Returns once both a new connection and the reset are in, or at
 * the deadlines; *ret_t0 is the fault's time.
 */
static int round_measure(const struct config *cfg, struct round *rd, const char *stamp, uint64_t *ret_t0) {
        struct pollfd fds[MAX_ATTEMPTS + 1];
        uint64_t start = now_usec(), deadline = start + cfg->timeout_ms * 1000;
        uint64_t next_connect = start, next_write = start;
        pid_t pid;
        int r;

        (void) unlink(stamp);
        pid = command_spawn(cfg->fault, rd->target, stamp);
        if (pid < 0)
                return bench_fail(pid, "run the fault command");

        for (uint64_t now = start; now < deadline; now = now_usec()) {
                int timeout_ms = 1;
                nfds_t n = 1;

                if (rd->connected && (rd->reset || now > rd->connected_usec + cfg->reset_timeout_ms * 1000))
                        break;
                for (unsigned i = 0; i < MAX_ATTEMPTS; i++)
                        if (rd->attempts[i].fd >= 0 &&
                            (rd->connected ||
                             now > rd->attempts[i].started_usec + CONNECT_TIMEOUT_MS * 1000))
                                attempt_close(&rd->attempts[i]);
                if (!rd->connected && now >= next_connect) {
                        for (unsigned i = 0; i < MAX_ATTEMPTS; i++)
                                if (rd->attempts[i].fd < 0) {
                                        int fd = connect_start(rd);

                                        if (fd >= 0)
                                                rd->attempts[i] =
                                                        (struct attempt){ .fd = fd, .started_usec = now };
                                        break;
                                }
                        next_connect = now + CONNECT_EVERY_MS * 1000;
                }
                if (now >= next_write) {
                        established_poke(rd, now);
                        next_write = now + WRITE_EVERY_MS * 1000;
                }

                fds[0] = (struct pollfd){ .fd = rd->reset ? -1 : rd->established, .events = POLLIN };
                for (unsigned i = 0; i < MAX_ATTEMPTS; i++) {
                        struct attempt *a = &rd->attempts[i];

                        fds[i + 1] = (struct pollfd){ .fd = a->fd,
                                                      .events = a->connected_usec ? POLLIN : POLLOUT };
                        if (a->fd >= 0)
                                n = i + 2;
                }
                if (poll(fds, n, timeout_ms) < 0 && errno != EINTR) {
                        r = -errno;
                        goto finish;
                }
                now = now_usec();
                if (fds[0].revents)
                        established_readable(rd, now);
                for (unsigned i = 0; i + 1 < n; i++)
                        if (fds[i + 1].revents && rd->attempts[i].fd >= 0)
                                attempt_event(rd, &rd->attempts[i], now);
        }
        r = 0;
finish:
        for (unsigned i = 0; i < MAX_ATTEMPTS; i++)
                attempt_close(&rd->attempts[i]);
        {
                int status = command_wait(pid, 30000);

                if (status != 0)
                        fprintf(stderr, "The fault command exited with %d.\n", status);
        }
        *ret_t0 = bench_stamp_read(stamp, start);
        return r;
}

/* Sets up, measures and heals one round; adds its figures to res. */
static int round_run(const struct config *cfg, enum role role, unsigned long i, const char *stamp,
                     struct results *res) {
        static struct view v;
        struct round rd = { .established = -1 };
        const char *address = NULL;
        uint64_t t0 = 0;
        uint32_t pnn = PNN_NONE;
        bool faulted = false;
        int r;

        for (unsigned k = 0; k < MAX_ATTEMPTS; k++)
                rd.attempts[k].fd = -1;
        res->n_rounds++;

        /* The target and a connection to it; the view may lag the node by a moment. */
        for (uint64_t deadline = now_usec() + SETUP_TIMEOUT_MS * 1000;;) {
                r = view_read(cfg, &v);
                if (r >= 0)
                        r = view_pick(&v, role, i, &rd.target, &address);
                if (r >= 0)
                        r = sockaddr_parse(address, cfg->port, &rd.sa, &rd.sa_len);
                if (r >= 0) {
                        rd.established = connect_wait(&rd, 500, &pnn);
                        r = rd.established < 0 ? rd.established : pnn == rd.target ? 0 : -EREMOTE;
                }
                if (r >= 0 || now_usec() > deadline)
                        break;
                if (rd.established >= 0)
                        close(rd.established);
                rd.established = -1;
                usleep(100 * 1000);
        }
        if (r < 0) {
                res->n_failed++;
                printf("round %lu (%s): no target: %s%s\n", i + 1, role_name[role],
                       r == -EREMOTE ? "the address answers elsewhere than ipd says" : strerror(-r),
                       r == -ENOENT ? " (no such node hosts an address)" : "");
                goto finish;
        }

        faulted = true;
        r = round_measure(cfg, &rd, stamp, &t0);
        if (r < 0) {
                res->n_failed++;
                goto finish;
        }
        printf("round %lu (%s, node %" PRIu32 ", %s): ", i + 1, role_name[role], rd.target, address);
        if (rd.connected) {
                double ms = (double) ((int64_t) (rd.connected_usec - t0)) / 1000.0;

                res->connect_ms[res->n_connect++] = ms;
                printf("connected on node %" PRIu32 " after %.1f ms", rd.new_pnn, ms);
        } else {
                res->n_failed++;
                printf("no connection on another node within %lu ms", cfg->timeout_ms);
        }
        if (rd.reset && rd.connected) {
                double ms = (double) ((int64_t) (rd.reset_usec - rd.connected_usec)) / 1000.0;

                res->reset_ms[res->n_reset++] = ms;
                printf("; reset %+.1f ms after that (%s)", ms,
                       rd.reset_errno ? strerror(rd.reset_errno) : "end of stream");
        } else if (rd.reset) {
                printf("; reset after %.1f ms (%s)", (double) (rd.reset_usec - t0) / 1000.0,
                       rd.reset_errno ? strerror(rd.reset_errno) : "end of stream");
        } else {
                printf("; no reset of the established connection");
        }
        printf("\n");

finish:
        if (rd.established >= 0)
                close(rd.established);
        if (faulted) {
                int status = command_run(cfg->heal, rd.target, HEAL_TIMEOUT_MS);

                if (status != 0) {
                        fprintf(stderr, "round %lu: the heal command failed (%d); stopping.\n", i + 1,
                                status);
                        return -EIO;
                }
        }
        return 0;
}

static void results_print(const struct config *cfg, enum role role, struct results *res) {
        if (res->n_connect > 0) {
                double median = bench_median_sort(res->connect_ms, res->n_connect);

                printf("failover: %s %s: median %.1f ms, min %.1f, max %.1f over %u rounds"
                       " (fault to a connection accepted on another node)\n",
                       cfg->mode, role_name[role], median, res->connect_ms[0],
                       res->connect_ms[res->n_connect - 1], res->n_connect);
        }
        if (res->n_reset > 0) {
                double median = bench_median_sort(res->reset_ms, res->n_reset);

                printf("failover: %s %s reset: median %+.1f ms, min %+.1f, max %+.1f over %u rounds"
                       " (after the address answered on its new node)\n",
                       cfg->mode, role_name[role], median, res->reset_ms[0], res->reset_ms[res->n_reset - 1],
                       res->n_reset);
        }
        if (res->n_failed > 0 || res->n_reset < res->n_connect)
                printf("failover: %s %s: %u of %u rounds without a connection, %u without a reset\n",
                       cfg->mode, role_name[role], res->n_failed, res->n_rounds,
                       res->n_rounds - res->n_reset);
}

static void help(void) {
        printf("Usage: ctdb-bench failover --fault CMD --heal CMD --bus ADDRESS... [OPTIONS...]\n"
               "       ctdb-bench failover --listen --pnn PNN [--port PORT]\n\n"
               "Per round: a fault (CMD with $PNN set) on the node hosting a public address, then\n"
               "the time until a TCP client connects to that address on another node, and until\n"
               "a connection opened before the fault is reset. Run it in a client's network\n"
               "namespace, with a --listen instance in every node's (local-cluster bench failover).\n\n"
               "  --bus ADDRESS      a node's system bus, once per node in pnn order\n"
               "  --fault CMD        shell command that takes node $PNN away\n"
               "  --heal CMD         shell command that brings it back and waits until settled\n"
               "  --mode NAME        what the fault is, for the output (kill, hang, stop)\n"
               "  --role ROLE        leader, non-leader or both (default both)\n"
               "  --rounds R         rounds per role (default 5)\n"
               "  --port PORT        the listeners' port (default %d)\n"
               "  --timeout-ms MS    give up on a round's connection after MS (default 10000)\n"
               "  --reset-timeout-ms MS  wait for the reset MS after the connection (default 3000)\n"
               "  --listen --pnn PNN answer every connection with PNN (in a node's namespace)\n",
               DEFAULT_PORT);
}

int bench_failover(int argc, char **argv) {
        enum {
                ARG_LISTEN = 0x100,
                ARG_PNN,
                ARG_PORT,
                ARG_BUS,
                ARG_FAULT,
                ARG_HEAL,
                ARG_MODE,
                ARG_ROLE,
                ARG_ROUNDS,
                ARG_TIMEOUT,
                ARG_RESET_TIMEOUT
        };
        static const struct option options[] = {
                { "help",             no_argument,       NULL, 'h'               },
                { "listen",           no_argument,       NULL, ARG_LISTEN        },
                { "pnn",              required_argument, NULL, ARG_PNN           },
                { "port",             required_argument, NULL, ARG_PORT          },
                { "bus",              required_argument, NULL, ARG_BUS           },
                { "fault",            required_argument, NULL, ARG_FAULT         },
                { "heal",             required_argument, NULL, ARG_HEAL          },
                { "mode",             required_argument, NULL, ARG_MODE          },
                { "role",             required_argument, NULL, ARG_ROLE          },
                { "rounds",           required_argument, NULL, ARG_ROUNDS        },
                { "timeout-ms",       required_argument, NULL, ARG_TIMEOUT       },
                { "reset-timeout-ms", required_argument, NULL, ARG_RESET_TIMEOUT },
                {}
        };
        static struct results res[2];
        struct config cfg = { .mode = "fault",
                              .port = DEFAULT_PORT,
                              .rounds = 5,
                              .timeout_ms = 10000,
                              .reset_timeout_ms = 3000 };
        bool listen = false, roles[2] = { true, true };
        unsigned long pnn = ULONG_MAX, v;
        char stamp[] = "/tmp/ctdb-bench-failover-XXXXXX";
        int c, fd, r = 0;

        optind = 1;
        setvbuf(stdout, NULL, _IOLBF, 0);
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_LISTEN:
                        listen = true;
                        break;
                case ARG_BUS:
                        if (cfg.n_buses == BENCH_MAX_BUSES) {
                                fprintf(stderr, "At most %u --bus.\n", BENCH_MAX_BUSES);
                                return EXIT_FAILURE;
                        }
                        cfg.buses[cfg.n_buses++] = optarg;
                        break;
                case ARG_FAULT:
                        cfg.fault = optarg;
                        break;
                case ARG_HEAL:
                        cfg.heal = optarg;
                        break;
                case ARG_MODE:
                        cfg.mode = optarg;
                        break;
                case ARG_ROLE:
                        roles[ROLE_LEADER] = strcmp(optarg, "non-leader") != 0;
                        roles[ROLE_NON_LEADER] = strcmp(optarg, "leader") != 0;
                        if (strcmp(optarg, "leader") != 0 && strcmp(optarg, "non-leader") != 0 &&
                            strcmp(optarg, "both") != 0) {
                                fprintf(stderr, "--role: leader, non-leader or both.\n");
                                return EXIT_FAILURE;
                        }
                        break;
                case ARG_PNN:
                case ARG_PORT:
                case ARG_ROUNDS:
                case ARG_TIMEOUT:
                case ARG_RESET_TIMEOUT:
                        if (bench_parse_ulong(optarg, c == ARG_PNN ? 0 : 1,
                                        c == ARG_PNN      ? UINT32_MAX - 1
                                        : c == ARG_PORT   ? 65535
                                        : c == ARG_ROUNDS ? MAX_ROUNDS
                                                          : 3600 * 1000,
                                        &v) < 0) {
                                fprintf(stderr, "Invalid value '%s' for --%s.\n", optarg,
                                        bench_option_name(options, c));
                                return EXIT_FAILURE;
                        }
                        if (c == ARG_PNN)
                                pnn = v;
                        else if (c == ARG_PORT)
                                cfg.port = (uint16_t) v;
                        else if (c == ARG_ROUNDS)
                                cfg.rounds = v;
                        else if (c == ARG_TIMEOUT)
                                cfg.timeout_ms = v;
                        else
                                cfg.reset_timeout_ms = v;
                        break;
                default:
                        return EXIT_FAILURE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "Unexpected argument '%s'.\n", argv[optind]);
                return EXIT_FAILURE;
        }
        if (listen) {
                if (pnn == ULONG_MAX) {
                        fprintf(stderr, "--listen needs --pnn.\n");
                        return EXIT_FAILURE;
                }
                return listen_run((uint32_t) pnn, cfg.port) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        if (!cfg.fault || !cfg.heal || cfg.n_buses == 0) {
                fprintf(stderr, "failover needs --fault, --heal and --bus (see --help).\n");
                return EXIT_FAILURE;
        }
        fd = mkstemp(stamp);
        if (fd < 0)
                return bench_fail(-errno, "create the fault's stamp file"), EXIT_FAILURE;
        close(fd);

        printf("failover: %s, %lu round%s per role, %u nodes, port %u\n", cfg.mode, cfg.rounds,
               cfg.rounds == 1 ? "" : "s", cfg.n_buses, cfg.port);
        for (int role = ROLE_NON_LEADER; role <= ROLE_LEADER && r >= 0; role++)
                for (unsigned long i = 0; roles[role] && i < cfg.rounds && r >= 0; i++)
                        r = round_run(&cfg, (enum role) role, i, stamp, &res[role]);
        for (int role = ROLE_NON_LEADER; role <= ROLE_LEADER; role++)
                if (roles[role])
                        results_print(&cfg, (enum role) role, &res[role]);
        (void) unlink(stamp);
        if (r < 0 || res[0].n_failed + res[1].n_failed > 0)
                return EXIT_FAILURE;
        return EXIT_SUCCESS;
}
