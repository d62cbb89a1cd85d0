/*
 * ctdb-bench detect: how long after an action (a node killed, a link hung) this
 * node marks the target DISCONNECTED.
 *
 * It watches PropertiesChanged of org.ctdb.cluster1 /org/ctdb/cluster1/node/<pnn>
 * on the system bus, subscribed before the action runs, so the figure is the
 * time the change reached a bus client, without polling. t0 is taken just
 * before the action is spawned; the action runs asynchronously so that the
 * signal is timestamped when it arrives, not when the action returns. After
 * each round --restore brings the node back and the next round starts once
 * it is connected again.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct detect {
        sd_event *event;
        sd_bus *bus;
        char path[64];

        uint32_t flags;         /* last known Flags of the target node */
        bool have_flags;

        /* one wait: for the DISCONNECTED bit to become `want` */
        bool want_disconnected;
        bool waiting;
        bool reached;
        uint64_t reached_usec;  /* CLOCK_MONOTONIC when the change arrived */

        /* the action of the current round */
        pid_t action_pid;
        sd_event_source *action_source;
        bool action_done;
        int action_status;
        uint64_t action_done_usec;
};

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void detect_set_flags(struct detect *d, uint32_t flags) {
        uint64_t t = now_usec();

        d->flags = flags;
        d->have_flags = true;
        if (d->waiting && !d->reached && !!(flags & NODE_FLAG_DISCONNECTED) == d->want_disconnected) {
                d->reached = true;
                d->reached_usec = t;
        }
}

static int detect_read_flags(struct detect *d) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uint32_t flags;
        int r;

        r = sd_bus_get_property_trivial(d->bus, CLUSTERD_BUS_NAME, d->path, CLUSTERD_NODE_IFACE, "Flags",
                                        &error, 'u', &flags);
        if (r < 0) {
                fprintf(stderr, "Failed to read Flags of %s: %s\n", d->path,
                        error.message ? error.message : strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        detect_set_flags(d, flags);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct detect *d = userdata;
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
                        detect_set_flags(d, flags);
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
                        (void) detect_read_flags(d);
        return 0;
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

/* Starts `/bin/sh -c cmd`; its exit is noted by on_action_exit. */
static int detect_spawn(struct detect *d, const char *cmd) {
        pid_t pid;
        int r;

        d->action_done = false;
        d->action_status = -1;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                sigset_t all;

                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
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
 * Runs the loop until the DISCONNECTED bit equals `disconnected` or timeout_ms
 * passed. Returns 0 when reached, -ETIMEDOUT, or another negative errno.
 */
static int detect_wait(struct detect *d, bool disconnected, uint64_t timeout_ms) {
        uint64_t deadline = now_usec() + timeout_ms * 1000;
        int r = 0;

        d->want_disconnected = disconnected;
        d->reached = false;
        d->waiting = true;
        if (d->have_flags && !!(d->flags & NODE_FLAG_DISCONNECTED) == disconnected) {
                d->reached = true;
                d->reached_usec = now_usec();
        }
        while (!d->reached) {
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
        return d->reached ? 0 : r;
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

static void help(void) {
        printf("Usage: ctdb-bench detect --pnn PNN --action CMD [OPTIONS...]\n\n"
               "Measures the time from running CMD (at t0) until this node's clusterd\n"
               "reports node PNN as DISCONNECTED (PropertiesChanged on the system bus).\n\n"
               "  --pnn PNN          the node that the action takes away\n"
               "  --action CMD       shell command run at t0 (e.g. 'local-cluster kill 2')\n"
               "  --restore CMD      shell command run after each round to bring the node\n"
               "                     back; the next round starts once it is connected\n"
               "  --rounds R         rounds (default 5; without --restore only 1)\n"
               "  --timeout-ms MS    give up on a round after MS (default 10000)\n");
}

int bench_detect(int argc, char **argv) {
        enum { ARG_PNN = 0x100, ARG_ACTION, ARG_RESTORE, ARG_ROUNDS, ARG_TIMEOUT };
        static const struct option options[] = {
                { "help",       no_argument,       NULL, 'h'         },
                { "pnn",        required_argument, NULL, ARG_PNN     },
                { "action",     required_argument, NULL, ARG_ACTION  },
                { "restore",    required_argument, NULL, ARG_RESTORE },
                { "rounds",     required_argument, NULL, ARG_ROUNDS  },
                { "timeout-ms", required_argument, NULL, ARG_TIMEOUT },
                {}
        };
        const char *action = NULL, *restore = NULL;
        unsigned long pnn = ULONG_MAX, rounds = 5, timeout_ms = 10000;
        struct detect d = { 0 };
        sd_bus_slot *slot = NULL;
        double *results = NULL;
        unsigned n_ok = 0, n_failed = 0;
        sigset_t mask;
        int c, r;

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

        /* sd-event watches the action through SIGCHLD, which must be blocked. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        snprintf(d.path, sizeof(d.path), CLUSTERD_NODE_PREFIX "/%lu", pnn);
        r = sd_event_default(&d.event);
        if (r < 0) {
                fprintf(stderr, "Failed to create event loop: %s\n", strerror(-r));
                goto finish;
        }
        r = sd_bus_open_system(&d.bus);
        if (r < 0) {
                fprintf(stderr, "Failed to connect to the system bus: %s\n", strerror(-r));
                goto finish;
        }
        r = sd_bus_attach_event(d.bus, d.event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto finish;
        /* Subscribe first, then read the current value: no change can slip between. */
        r = sd_bus_match_signal(d.bus, &slot, NULL, d.path, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged", on_properties_changed, &d);
        if (r < 0) {
                fprintf(stderr, "Failed to subscribe to PropertiesChanged: %s\n", strerror(-r));
                goto finish;
        }
        r = detect_read_flags(&d);
        if (r < 0) {
                fprintf(stderr, "Is ctdb-clusterd running and is there a node %lu?\n", pnn);
                goto finish;
        }

        results = calloc(rounds, sizeof(double));
        if (!results) {
                r = -ENOMEM;
                goto finish;
        }

        printf("detect: node %lu, action '%s', %lu round%s\n", pnn, action, rounds, rounds == 1 ? "" : "s");
        for (unsigned long i = 0; i < rounds; i++) {
                uint64_t t0;

                r = detect_wait(&d, false, RECONNECT_TIMEOUT_MS);
                if (r < 0) {
                        fprintf(stderr,
                                "round %lu: node %lu is not connected (flags 0x%" PRIx32
                                ") after %d s; giving up.\n",
                                i + 1, pnn, d.flags, RECONNECT_TIMEOUT_MS / 1000);
                        goto finish;
                }

                t0 = now_usec();
                r = detect_spawn(&d, action);
                if (r < 0) {
                        fprintf(stderr, "Failed to run action: %s\n", strerror(-r));
                        goto finish;
                }
                r = detect_wait(&d, true, timeout_ms);
                if (r == 0) {
                        double ms = (double) (d.reached_usec - t0) / 1000.0;

                        (void) detect_finish_action(&d, timeout_ms);
                        results[n_ok++] = ms;
                        if (d.action_done)
                                printf("round %lu: DISCONNECTED after %.1f ms (action took %.1f ms)\n",
                                       i + 1, ms, (double) (d.action_done_usec - t0) / 1000.0);
                        else
                                printf("round %lu: DISCONNECTED after %.1f ms\n", i + 1, ms);
                } else {
                        (void) detect_finish_action(&d, timeout_ms);
                        n_failed++;
                        printf("round %lu: no DISCONNECTED within %lu ms (flags 0x%" PRIx32 ")\n", i + 1,
                               timeout_ms, d.flags);
                }
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
                        fprintf(stderr, "node %lu did not reconnect after the last round\n", pnn);
        }

        if (n_ok > 0) {
                double median = bench_median_sort(results, n_ok);
                printf("detect: median %.1f ms, min %.1f ms, max %.1f ms over %u rounds\n", median,
                       results[0], results[n_ok - 1], n_ok);
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
        sd_bus_slot_unref(slot);
        sd_bus_flush_close_unref(d.bus);
        sd_event_unref(d.event);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
