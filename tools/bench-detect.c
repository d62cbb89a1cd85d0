/*
 * ctdb-bench detect: how long after an action (a node killed, a link hung) the
 * watching nodes mark the target DISCONNECTED.
 *
 * It watches PropertiesChanged of org.ctdb.cluster1 /org/ctdb/cluster1/node/<pnn>
 * on each watched bus (this node's system bus, or every --watch bus), subscribed
 * before the action runs, so the figure is the time the change reached a bus
 * client, without polling. t0 is the fault itself when the action writes its
 * wall-clock time to $CTDB_LOCAL_FAULT_STAMP (local-cluster's kill and hang do,
 * just before they act), else the moment the action is spawned; the action
 * runs asynchronously so that each signal is timestamped when it arrives, not
 * when the action returns. After each round --restore brings the node back
 * and the next round starts once every watcher sees it connected again.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "bench.h"
#include "bus-util.h"

#define NODE_FLAG_DISCONNECTED UINT32_C(0x1)
#define RECONNECT_TIMEOUT_MS 60000
#define MAX_ROUNDS 1000

struct detect;

/* One node's view of the target, from that node's bus. */
struct watcher {
        struct detect *d;
        char label[24]; /* "node 5", or "this node" */
        sd_bus *bus;
        sd_bus_slot *slot;

        uint32_t flags; /* last known Flags of the target node */
        bool have_flags;
        bool reached;
        uint64_t reached_usec; /* CLOCK_MONOTONIC when the change arrived */
};

struct detect {
        sd_event *event;
        char path[64];
        struct watcher *watchers;
        unsigned n_watchers;

        /* one wait: for the DISCONNECTED bit to become `want` on every watcher */
        bool want_disconnected;
        bool waiting;
        unsigned n_reached;

        /* the action of the current round */
        const char *stamp; /* $CTDB_LOCAL_FAULT_STAMP of the actions */
        pid_t action_pid;
        sd_event_source *action_source;
        bool action_done;
        int action_status;
        uint64_t action_done_usec;
};

static uint64_t now_usec(void) {
        return bench_clock_usec(CLOCK_MONOTONIC);
}

static void watcher_set_flags(struct watcher *w, uint32_t flags) {
        struct detect *d = w->d;
        uint64_t t = now_usec();

        w->flags = flags;
        w->have_flags = true;
        if (d->waiting && !w->reached && !!(flags & NODE_FLAG_DISCONNECTED) == d->want_disconnected) {
                w->reached = true;
                w->reached_usec = t;
                d->n_reached++;
        }
}

static int watcher_read_flags(struct watcher *w) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uint32_t flags;
        int r;

        r = sd_bus_get_property_trivial(w->bus, CLUSTERD_BUS_NAME, w->d->path, CLUSTERD_NODE_IFACE, "Flags",
                                        &error, 'u', &flags);
        if (r < 0) {
                fprintf(stderr, "%s: failed to read Flags of %s: %s\n", w->label, w->d->path,
                        error.message ? error.message : strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        watcher_set_flags(w, flags);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct watcher *w = userdata;
        const char *iface, *name;
        int r;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0 || strcmp(iface, CLUSTERD_NODE_IFACE) != 0)
                return 0;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return 0;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return 0;
                if (strcmp(name, "Flags") == 0) {
                        uint32_t flags;

                        r = sd_bus_message_read(m, "v", "u", &flags);
                        if (r < 0)
                                return 0;
                        watcher_set_flags(w, flags);
                } else {
                        r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                return 0;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return 0;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return 0;

        /* A property emitted as "invalidated" carries no value: read it. */
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return 0;
        while ((r = sd_bus_message_read(m, "s", &name)) > 0)
                if (strcmp(name, "Flags") == 0)
                        (void) watcher_read_flags(w);
        return 0;
}

/* Connects w to address (NULL: the system bus), subscribes, then reads the current value. */
static int watcher_start(struct detect *d, struct watcher *w, const char *address) {
        int r;

        w->d = d;
        r = bus_open(address, &w->bus);
        if (r < 0) {
                fprintf(stderr, "%s: failed to connect to %s: %s\n", w->label,
                        address ? address : "the system bus", strerror(-r));
                return r;
        }
        r = sd_bus_attach_event(w->bus, d->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        /* A stopped clusterd must not hold the bench up for sd-bus's 25 s default. */
        (void) sd_bus_set_method_call_timeout(w->bus, 5 * 1000000);
        /* Subscribe first, then read the current value: no change can slip between. */
        r = sd_bus_match_signal(w->bus, &w->slot, NULL, d->path, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged", on_properties_changed, w);
        if (r < 0) {
                fprintf(stderr, "%s: failed to subscribe to PropertiesChanged: %s\n", w->label,
                        strerror(-r));
                return r;
        }
        return watcher_read_flags(w);
}

static void watcher_stop(struct watcher *w) {
        w->slot = sd_bus_slot_unref(w->slot);
        w->bus = sd_bus_flush_close_unref(w->bus);
}

static int on_action_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct detect *d = userdata;

        d->action_done = true;
        d->action_done_usec = now_usec();
        d->action_status = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
        d->action_pid = 0;
        d->action_source = sd_event_source_disable_unref(d->action_source);
        return 0;
}

/* Starts `/bin/sh -c cmd` (with the stamp file in its environment); its exit is noted by on_action_exit. */
static int detect_spawn(struct detect *d, const char *cmd) {
        pid_t pid;
        int r;

        d->action_done = false;
        d->action_status = -1;
        if (d->stamp)
                (void) unlink(d->stamp);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                sigset_t all;

                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
                if (d->stamp && setenv("CTDB_LOCAL_FAULT_STAMP", d->stamp, 1) < 0)
                        _exit(127);
                execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
                _exit(127);
        }
        d->action_pid = pid;
        r = sd_event_add_child(d->event, &d->action_source, pid, WEXITED, on_action_exit, d);
        if (r < 0) {
                /* Could not watch it: do not leave it running unobserved. */
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                d->action_pid = 0;
                return r;
        }
        return 0;
}

/*
 * Runs the loop until the DISCONNECTED bit equals `disconnected` on every
 * watcher or timeout_ms passed. Returns 0 when all reached it, -ETIMEDOUT
 * (the watchers that did have reached set), or another negative errno.
 */
static int detect_wait(struct detect *d, bool disconnected, uint64_t timeout_ms) {
        uint64_t deadline = now_usec() + timeout_ms * 1000;
        int r = 0;

        d->want_disconnected = disconnected;
        d->n_reached = 0;
        d->waiting = true;
        for (unsigned i = 0; i < d->n_watchers; i++) {
                struct watcher *w = &d->watchers[i];

                w->reached = w->have_flags && !!(w->flags & NODE_FLAG_DISCONNECTED) == disconnected;
                if (w->reached) {
                        w->reached_usec = now_usec();
                        d->n_reached++;
                }
        }
        while (d->n_reached < d->n_watchers) {
                uint64_t now = now_usec();

                if (now >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                r = sd_event_run(d->event, deadline - now);
                if (r < 0)
                        break;
        }
        d->waiting = false;
        return d->n_reached == d->n_watchers ? 0 : r;
}

/* Lets a running action finish (bounded), so rounds do not overlap. */
static int detect_finish_action(struct detect *d, uint64_t timeout_ms) {
        uint64_t deadline = now_usec() + timeout_ms * 1000;

        while (!d->action_done && now_usec() < deadline) {
                int r = sd_event_run(d->event, 100 * 1000);
                if (r < 0)
                        return r;
        }
        if (!d->action_done) {
                kill(d->action_pid, SIGKILL);
                return -ETIMEDOUT;
        }
        return 0;
}

/* Runs cmd to completion, processing bus traffic meanwhile. */
static int detect_run(struct detect *d, const char *cmd, uint64_t timeout_ms) {
        int r;

        r = detect_spawn(d, cmd);
        if (r < 0)
                return r;
        r = detect_finish_action(d, timeout_ms);
        if (r < 0)
                return r;
        return d->action_status == 0 ? 0 : -EIO;
}

/* The watchers' detection times of this round (ms from t0) into v, their number; the last one's index. */
static unsigned round_times(const struct detect *d, uint64_t t0, double *v, unsigned *ret_n) {
        unsigned n = 0, last = 0;
        uint64_t latest = 0;

        for (unsigned i = 0; i < d->n_watchers; i++) {
                const struct watcher *w = &d->watchers[i];

                if (!w->reached)
                        continue;
                v[n++] = w->reached_usec > t0 ? (double) (w->reached_usec - t0) / 1000.0 : 0.0;
                if (w->reached_usec >= latest) {
                        latest = w->reached_usec;
                        last = i;
                }
        }
        *ret_n = n;
        return last;
}

static int compare_reached(const void *a, const void *b) {
        const struct watcher *x = *(const struct watcher *const *) a;
        const struct watcher *y = *(const struct watcher *const *) b;

        return x->reached_usec < y->reached_usec ? -1 : x->reached_usec > y->reached_usec;
}

/* Each watched node's time of this round, earliest first (--each). */
static void round_print_each(const struct detect *d, uint64_t t0) {
        const struct watcher *order[BENCH_MAX_BUSES];
        unsigned n = 0;

        for (unsigned i = 0; i < d->n_watchers; i++)
                if (d->watchers[i].reached)
                        order[n++] = &d->watchers[i];
        qsort(order, n, sizeof(order[0]), compare_reached);
        for (unsigned i = 0; i < n; i++)
                printf("  %s: %.1f ms\n", order[i]->label,
                       order[i]->reached_usec > t0 ? (double) (order[i]->reached_usec - t0) / 1000.0 : 0.0);
}

/*
 * A watcher's clock is only as good as its wake-up: a change is timed when
 * this process reads it, and on a machine that the cluster's own reaction
 * keeps busy (a recovery of 64 nodes on two CPUs) an ordinary process waits
 * its turn behind all of it; at 64 nodes that added 100-170 ms to every
 * node's figure. So it runs at a real-time priority where allowed, else at
 * the highest nice one, and its actions at the ordinary one
 * (SCHED_RESET_ON_FORK), so as not to speed up the fault or the restore.
 * Returns what it got, for the header.
 */
static const char *detect_raise_priority(void) {
        struct sched_param sp = { .sched_priority = 1 };

        if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0)
                return "real-time priority";
        sp.sched_priority = 0;
        if (sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &sp) == 0 &&
            setpriority(PRIO_PROCESS, 0, -20) == 0)
                return "nice -20";
        return "normal priority";
}

static void help(void) {
        printf("Usage: ctdb-bench detect --pnn PNN --action CMD [OPTIONS...]\n\n"
               "Measures the time from running CMD (at t0) until the watched nodes' clusterd\n"
               "report node PNN as DISCONNECTED (PropertiesChanged on their buses). t0 is the\n"
               "wall-clock time CMD writes to $CTDB_LOCAL_FAULT_STAMP, if it does, else its start.\n\n"
               "  --pnn PNN          the node that the action takes away\n"
               "  --action CMD       shell command run at t0 (e.g. 'local-cluster kill 2')\n"
               "  --restore CMD      shell command run after each round to bring the node\n"
               "                     back; the next round starts once it is connected\n"
               "  --watch PNN=ADDR   watch node PNN's view on the bus at ADDR (repeat for\n"
               "                     each node; default: this node's system bus only);\n"
               "                     a round ends once every watched node saw it\n"
               "  --each             print every watched node's time of each round\n"
               "  --rounds R         rounds (default 5; without --restore only 1)\n"
               "  --timeout-ms MS    give up on a round after MS (default 10000)\n");
}

/* "PNN=ADDRESS" of --watch into w's label and *ret_address. */
static int parse_watch(const char *arg, struct watcher *w, const char **ret_address) {
        const char *eq = strchr(arg, '=');
        unsigned long pnn;
        char num[16];

        if (!eq || eq == arg || (size_t) (eq - arg) >= sizeof(num) || !eq[1])
                return -EINVAL;
        memcpy(num, arg, (size_t) (eq - arg));
        num[eq - arg] = '\0';
        if (bench_parse_ulong(num, 0, UINT32_MAX - 1, &pnn) < 0)
                return -EINVAL;
        snprintf(w->label, sizeof(w->label), "node %lu", pnn);
        *ret_address = eq + 1;
        return 0;
}

int bench_detect(int argc, char **argv) {
        enum { ARG_PNN = 0x100, ARG_ACTION, ARG_RESTORE, ARG_ROUNDS, ARG_TIMEOUT, ARG_WATCH, ARG_EACH };
        static const struct option options[] = { { "help", no_argument, NULL, 'h' },
                                                 { "pnn", required_argument, NULL, ARG_PNN },
                                                 { "action", required_argument, NULL, ARG_ACTION },
                                                 { "restore", required_argument, NULL, ARG_RESTORE },
                                                 { "rounds", required_argument, NULL, ARG_ROUNDS },
                                                 { "timeout-ms", required_argument, NULL, ARG_TIMEOUT },
                                                 { "watch", required_argument, NULL, ARG_WATCH },
                                                 { "each", no_argument, NULL, ARG_EACH },
                                                 {} };
        const char *action = NULL, *restore = NULL, *priority;
        const char *addresses[BENCH_MAX_BUSES];
        struct watcher watchers[BENCH_MAX_BUSES] = { 0 };
        unsigned long pnn = ULONG_MAX, rounds = 5, timeout_ms = 10000;
        struct detect d = { .watchers = watchers };
        char stamp[] = "/tmp/ctdb-bench-detect-XXXXXX";
        double *results = NULL, *maxima = NULL, *medians = NULL, *times = NULL;
        unsigned n_ok = 0, n_failed = 0;
        bool each = false;
        sigset_t mask;
        int c, r, fd;

        optind = 1;
        setvbuf(stdout, NULL, _IOLBF, 0);
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_PNN:
                case ARG_ROUNDS:
                case ARG_TIMEOUT: {
                        unsigned long v;

                        if (bench_parse_ulong(optarg, c == ARG_PNN ? 0 : 1,
                                              c == ARG_PNN      ? UINT32_MAX - 1
                                              : c == ARG_ROUNDS ? MAX_ROUNDS
                                                                : 3600 * 1000,
                                              &v) < 0) {
                                fprintf(stderr, "Invalid value '%s' for --%s (pnn: 0..%" PRIu32
                                        ", rounds: 1..%d, timeout-ms: 1..3600000).\n",
                                        optarg, bench_option_name(options, c), UINT32_MAX - 1, MAX_ROUNDS);
                                return EXIT_FAILURE;
                        }
                        if (c == ARG_PNN)
                                pnn = v;
                        else if (c == ARG_ROUNDS)
                                rounds = v;
                        else
                                timeout_ms = v;
                        break;
                }
                case ARG_ACTION:
                        action = optarg;
                        break;
                case ARG_RESTORE:
                        restore = optarg;
                        break;
                case ARG_EACH:
                        each = true;
                        break;
                case ARG_WATCH:
                        if (d.n_watchers == BENCH_MAX_BUSES) {
                                fprintf(stderr, "At most %u --watch.\n", BENCH_MAX_BUSES);
                                return EXIT_FAILURE;
                        }
                        if (parse_watch(optarg, &watchers[d.n_watchers], &addresses[d.n_watchers]) < 0) {
                                fprintf(stderr, "Invalid --watch '%s' (PNN=ADDRESS expected).\n", optarg);
                                return EXIT_FAILURE;
                        }
                        d.n_watchers++;
                        break;
                default:
                        return EXIT_FAILURE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "Unexpected argument '%s'.\n", argv[optind]);
                return EXIT_FAILURE;
        }
        if (pnn == ULONG_MAX || !action) {
                fprintf(stderr, "detect needs --pnn and --action (see --help).\n");
                return EXIT_FAILURE;
        }
        if (!restore && rounds > 1) {
                fprintf(stderr, "Without --restore only one round can run; running 1.\n");
                rounds = 1;
        }
        if (d.n_watchers == 0) {
                snprintf(watchers[0].label, sizeof(watchers[0].label), "this node");
                addresses[0] = NULL;
                d.n_watchers = 1;
        }

        /* sd-event watches the action through SIGCHLD, which must be blocked. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        fd = mkstemp(stamp);
        if (fd < 0) {
                r = -errno;
                fprintf(stderr, "Failed to create the fault's stamp file: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        close(fd);
        d.stamp = stamp;

        snprintf(d.path, sizeof(d.path), CLUSTERD_NODE_PREFIX "/%lu", pnn);
        r = sd_event_default(&d.event);
        if (r < 0) {
                fprintf(stderr, "Failed to create event loop: %s\n", strerror(-r));
                goto finish;
        }
        for (unsigned i = 0; i < d.n_watchers; i++) {
                r = watcher_start(&d, &watchers[i], addresses[i]);
                if (r < 0) {
                        fprintf(stderr, "Is ctdb-clusterd running there and is there a node %lu?\n", pnn);
                        goto finish;
                }
        }

        results = calloc(rounds, sizeof(double));
        maxima = calloc(rounds, sizeof(double));
        medians = calloc(rounds, sizeof(double));
        times = calloc(d.n_watchers, sizeof(double));
        if (!results || !maxima || !medians || !times) {
                r = -ENOMEM;
                goto finish;
        }

        priority = detect_raise_priority();
        if (d.n_watchers == 1)
                printf("detect: node %lu, action '%s', %lu round%s (%s)\n", pnn, action, rounds,
                       rounds == 1 ? "" : "s", priority);
        else
                printf("detect: node %lu, action '%s', %lu round%s, watched on %u nodes (%s)\n", pnn, action,
                       rounds, rounds == 1 ? "" : "s", d.n_watchers, priority);
        for (unsigned long i = 0; i < rounds; i++) {
                uint64_t start, t0;
                unsigned n, last;

                r = detect_wait(&d, false, RECONNECT_TIMEOUT_MS);
                if (r < 0) {
                        fprintf(stderr,
                                "round %lu: node %lu is not connected on %u of %u watched nodes after %d s; "
                                "giving up.\n",
                                i + 1, pnn, d.n_watchers - d.n_reached, d.n_watchers,
                                RECONNECT_TIMEOUT_MS / 1000);
                        goto finish;
                }

                start = now_usec();
                r = detect_spawn(&d, action);
                if (r < 0) {
                        fprintf(stderr, "Failed to run action: %s\n", strerror(-r));
                        goto finish;
                }
                r = detect_wait(&d, true, timeout_ms);
                (void) detect_finish_action(&d, timeout_ms);
                t0 = bench_stamp_read(stamp, start);
                last = round_times(&d, t0, times, &n);
                if (r == 0 && d.n_watchers == 1) {
                        results[n_ok++] = times[0];
                        if (d.action_done)
                                printf("round %lu: DISCONNECTED after %.1f ms (action took %.1f ms)\n",
                                       i + 1, times[0], (double) (d.action_done_usec - start) / 1000.0);
                        else
                                printf("round %lu: DISCONNECTED after %.1f ms\n", i + 1, times[0]);
                } else if (r == 0) {
                        double median = bench_median_sort(times, n);

                        medians[n_ok] = median;
                        maxima[n_ok] = times[n - 1];
                        results[n_ok++] = times[n - 1];
                        printf("round %lu: DISCONNECTED on all %u nodes: median %.1f ms, "
                               "max %.1f ms (%s last)\n",
                               i + 1, n, median, times[n - 1], watchers[last].label);
                } else {
                        n_failed++;
                        printf("round %lu: DISCONNECTED on %u of %u nodes within %lu ms; not on:", i + 1, n,
                               d.n_watchers, timeout_ms);
                        for (unsigned k = 0; k < d.n_watchers; k++)
                                if (!watchers[k].reached)
                                        printf(" %s (flags 0x%" PRIx32 ")", watchers[k].label,
                                               watchers[k].flags);
                        printf("\n");
                }
                if (each)
                        round_print_each(&d, t0);
                if (d.action_done && d.action_status != 0)
                        fprintf(stderr, "round %lu: action exited with status %d\n", i + 1, d.action_status);
                fflush(stdout);

                if (restore) {
                        r = detect_run(&d, restore, RECONNECT_TIMEOUT_MS);
                        if (r < 0)
                                fprintf(stderr, "round %lu: restore '%s' failed: %s\n", i + 1, restore,
                                        r == -EIO ? "non-zero exit" : strerror(-r));
                }
        }
        if (restore) {
                r = detect_wait(&d, false, RECONNECT_TIMEOUT_MS);
                if (r < 0)
                        fprintf(stderr,
                                "node %lu did not reconnect on every watched node after the last round\n",
                                pnn);
        }

        if (n_ok > 0 && d.n_watchers == 1) {
                double median = bench_median_sort(results, n_ok);
                printf("detect: median %.1f ms, min %.1f ms, max %.1f ms over %u rounds\n", median,
                       results[0], results[n_ok - 1], n_ok);
        } else if (n_ok > 0) {
                double med_median = bench_median_sort(medians, n_ok);
                double med_max = bench_median_sort(maxima, n_ok);

                printf("detect: on all %u nodes over %u rounds: median of the nodes %.1f ms "
                       "(median of rounds), last node %.1f ms (median of rounds), %.1f ms (worst round)\n",
                       d.n_watchers, n_ok, med_median, med_max, maxima[n_ok - 1]);
        }
        r = n_failed == 0 && n_ok > 0 ? 0 : -ETIMEDOUT;
        if (n_failed > 0)
                printf("detect: %u of %lu rounds timed out\n", n_failed, rounds);

finish:
        if (d.action_pid > 0) {
                kill(d.action_pid, SIGKILL);
                waitpid(d.action_pid, NULL, 0);
        }
        sd_event_source_disable_unref(d.action_source);
        free(results);
        free(maxima);
        free(medians);
        free(times);
        for (unsigned i = 0; i < d.n_watchers; i++)
                watcher_stop(&watchers[i]);
        sd_event_unref(d.event);
        (void) unlink(stamp);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
