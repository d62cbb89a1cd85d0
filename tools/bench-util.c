/*
 * ctdb-bench's shared parts (bench-util.h): options, connections and the
 * cluster wait.
 *
 * The cluster wait is message-ring's: a node broadcasts READY until it has
 * heard every other node, and answers every READY that asks for a reply, so
 * that a late starter hears the early ones. Waits are numbered (phases), so a
 * benchmark can wait more than once (fill, then measure); a node's READY of a
 * later phase also counts for the earlier ones, since it passed them.
 */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "bench-util.h"
#include "bench.h"
#include "bus-util.h"
#include "ctdb-names.h"
#include "ctdb-srvid.h"

#define READY_MAGIC          UINT32_C(0x59444552) /* "REDY" */
#define WAIT_TIMEOUT_SEC     30
#define READY_INTERVAL_SEC   0.1
#define SERVICE_INTERVAL_SEC 0.01

struct ready_msg {
        uint32_t magic;
        uint32_t want_reply;
        uint32_t phase;
};

int bench_fail(int r, const char *what) {
        fprintf(stderr, "Failed to %s: %s\n", what, strerror(r < 0 ? -r : r));
        return r;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

double bench_median_sort(double *v, size_t n) {
        qsort(v, n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* ---- options --------------------------------------------------------------------- */

enum {
        ARG_DB_SOCKET = 0x100,
        ARG_STICKY,
        ARG_READONLY,
        ARG_WATCH_BUS,
};

static int parse_uint(const char *s, const char *what, unsigned *ret);

static int parse_kind(const char *s, enum ctdb_db_kind *ret) {
        if (strcmp(s, "persistent") == 0)
                *ret = CTDB_DB_PERSISTENT;
        else if (strcmp(s, "replicated") == 0)
                *ret = CTDB_DB_REPLICATED;
        else {
                fprintf(stderr, "Invalid database type '%s': expected persistent or replicated.\n", s);
                return -EINVAL;
        }
        return 0;
}

static void help(const struct bench_spec *spec) {
        unsigned o = spec->options;

        printf("Usage: ctdb-bench %s [OPTIONS...]%s%s\n\n%s\n", spec->name, o & BENCH_OPT_COUNT ? " " : "",
               o & BENCH_OPT_COUNT ? spec->count_name : "", spec->description);
        printf("  -n --num-nodes=N     Number of cluster nodes (default 1)\n"
               "  -t --timelimit=SECS  Time limit in seconds (default 10)\n"
               "  -s --socket=PATH     tunneld's socket (default %s)\n"
               "  -i --interactive     Interactive output\n",
               ctdb_client_default_socket());
        if (o & BENCH_OPT_DATABASE)
                printf("     --db-socket=PATH  dbd's socket (default %s)\n"
                       "  -D --database=NAME   Database (default %s)\n"
                       "  -k --key=KEY         Key (default %s)\n",
                       ctdb_db_default_socket(), spec->default_db, spec->default_key);
        if (o & BENCH_OPT_STICKY)
                printf("     --sticky          First make the database's records sticky (SetSticky)\n");
        if (o & BENCH_OPT_READONLY)
                printf("     --readonly        First switch on read-only delegations (SetReadOnly)\n"
                       "                       and read with read-only copies\n");
        if (o & BENCH_OPT_TYPE)
                printf("  -T --type=TYPE       Database type, persistent or replicated (default "
                       "persistent)\n");
        if (o & BENCH_OPT_CLIENTS)
                printf("  -c --clients=C       Clients per node, each with its own connection (default "
                       "1)\n");
        if (o & BENCH_OPT_WATCH)
                printf("     --watch-bus=ADDR  A node's system bus to watch (repeat for each node;\n"
                       "                       default this node's)\n");
        printf("  -h --help            Show this help\n");
}

int bench_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

const char *bench_option_name(const struct option *options, int c) {
        for (; options && options->name; options++)
                if (options->val == c)
                        return options->name;
        return "an option";
}

static int parse_uint(const char *s, const char *what, unsigned *ret) {
        unsigned long v;

        if (bench_parse_ulong(s, 1, 100000000, &v) < 0) {
                fprintf(stderr, "Invalid %s '%s': expected a positive number.\n", what, s);
                return -EINVAL;
        }
        *ret = (unsigned) v;
        return 0;
}

int bench_options_parse(const struct bench_spec *spec, int argc, char **argv, struct bench_options *ret) {
        static const struct option options[] = { { "num-nodes", required_argument, NULL, 'n' },
                                                 { "timelimit", required_argument, NULL, 't' },
                                                 { "socket", required_argument, NULL, 's' },
                                                 { "interactive", no_argument, NULL, 'i' },
                                                 { "db-socket", required_argument, NULL, ARG_DB_SOCKET },
                                                 { "database", required_argument, NULL, 'D' },
                                                 { "key", required_argument, NULL, 'k' },
                                                 { "sticky", no_argument, NULL, ARG_STICKY },
                                                 { "readonly", no_argument, NULL, ARG_READONLY },
                                                 { "watch-bus", required_argument, NULL, ARG_WATCH_BUS },
                                                 { "type", required_argument, NULL, 'T' },
                                                 { "clients", required_argument, NULL, 'c' },
                                                 { "help", no_argument, NULL, 'h' },
                                                 {} };
        struct bench_options o = {
                .num_nodes = 1,
                .timelimit = 10,
                .dbname = spec->default_db,
                .key = spec->default_key,
                .kind = spec->options & BENCH_OPT_TYPE ? CTDB_DB_PERSISTENT : CTDB_DB_VOLATILE,
                .clients = 1,
        };
        unsigned allowed = spec->options;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "n:t:s:iD:k:T:c:h", options, NULL)) >= 0) {
                /* Options of another benchmark are refused as getopt refuses unknown ones. */
                unsigned needs = c == ARG_DB_SOCKET || c == 'D' || c == 'k' ? BENCH_OPT_DATABASE
                                 : c == ARG_STICKY                          ? BENCH_OPT_STICKY
                                 : c == ARG_READONLY                        ? BENCH_OPT_READONLY
                                 : c == ARG_WATCH_BUS                       ? BENCH_OPT_WATCH
                                 : c == 'T'                                 ? BENCH_OPT_TYPE
                                 : c == 'c'                                 ? BENCH_OPT_CLIENTS
                                                                            : 0;
                if (needs && !(allowed & needs)) {
                        fprintf(stderr, "ctdb-bench %s: option --%s does not apply here (see --help).\n",
                                spec->name, bench_option_name(options, c));
                        return -EINVAL;
                }
                switch (c) {
                case 'n':
                        if (parse_uint(optarg, "number of nodes", &o.num_nodes) < 0)
                                return -EINVAL;
                        break;
                case 't':
                        if (parse_uint(optarg, "time limit", &o.timelimit) < 0)
                                return -EINVAL;
                        break;
                case 's':
                        o.socket = optarg;
                        break;
                case 'i':
                        o.interactive = true;
                        break;
                case ARG_DB_SOCKET:
                        o.db_socket = optarg;
                        break;
                case 'D':
                        o.dbname = optarg;
                        break;
                case 'k':
                        if (!*optarg) {
                                fprintf(stderr, "The key must not be empty.\n");
                                return -EINVAL;
                        }
                        o.key = optarg;
                        break;
                case ARG_STICKY:
                        o.sticky = true;
                        break;
                case ARG_READONLY:
                        o.readonly = true;
                        break;
                case ARG_WATCH_BUS:
                        if (o.n_watch_buses >= BENCH_MAX_BUSES) {
                                fprintf(stderr, "At most %u --watch-bus.\n", BENCH_MAX_BUSES);
                                return -EINVAL;
                        }
                        o.watch_buses[o.n_watch_buses++] = optarg;
                        break;
                case 'T':
                        if (parse_kind(optarg, &o.kind) < 0)
                                return -EINVAL;
                        break;
                case 'c':
                        if (parse_uint(optarg, "number of clients", &o.clients) < 0)
                                return -EINVAL;
                        break;
                case 'h':
                        help(spec);
                        return 1;
                default:
                        return -EINVAL;
                }
        }
        if (allowed & BENCH_OPT_COUNT) {
                if (optind != argc - 1) {
                        fprintf(stderr, "ctdb-bench %s: expected one argument, %s (see --help).\n",
                                spec->name, spec->count_name);
                        return -EINVAL;
                }
                if (parse_uint(argv[optind++], spec->count_name, &o.count) < 0)
                        return -EINVAL;
        }
        if (optind < argc) {
                fprintf(stderr, "ctdb-bench %s: unexpected argument '%s' (see --help).\n", spec->name,
                        argv[optind]);
                return -EINVAL;
        }
        *ret = o;
        return 0;
}

/* ---- messages and the cluster wait ------------------------------------------------- */

int bench_send(struct bench *b, uint32_t dst, const void *data, size_t len) {
        for (;;) {
                int r = ctdb_client_send(b->client, dst, CTDB_SRVID_BENCH_RING, data, len);
                if (r != -EAGAIN)
                        return r;
                struct pollfd p = { .fd = ctdb_client_fd(b->client), .events = POLLOUT };
                if (poll(&p, 1, 1000) < 0 && errno != EINTR)
                        return -errno;
        }
}

static void on_ready(struct bench *b, uint32_t src, const struct ready_msg *m) {
        if (src >= b->num_nodes)
                return;
        if (m->phase > b->phase_of[src])
                b->phase_of[src] = m->phase;
        if (m->want_reply) {
                /* Our own phase: the asker must not count us for a wait we have not reached. */
                struct ready_msg reply = { .magic = READY_MAGIC, .phase = b->phase };
                int r = bench_send(b, src, &reply, sizeof(reply));
                /* An instance that is gone (its node's link down) has stopped waiting. */
                if (r < 0 && r != -ENOTCONN && b->error == 0)
                        b->error = r;
        }
}

static void on_message(ctdb_client *c, uint32_t src, uint64_t srvid, const void *data, size_t len,
                       void *userdata) {
        struct bench *b = userdata;
        struct ready_msg m;

        if (srvid != CTDB_SRVID_BENCH_RING)
                return;
        if (len == sizeof(m)) {
                memcpy(&m, data, sizeof(m));
                if (m.magic == READY_MAGIC) {
                        on_ready(b, src, &m);
                        return;
                }
        }
        if (b->on_message)
                b->on_message(b, src, data, len, b->userdata);
}

int bench_poll(struct bench *b, double timeout_sec) {
        struct pollfd p = { .fd = ctdb_client_fd(b->client), .events = POLLIN };
        int ms = timeout_sec <= 0 ? 0 : (int) (timeout_sec * 1000.0) + 1;
        int r;

        r = poll(&p, 1, ms);
        if (r < 0)
                return errno == EINTR ? 0 : -errno;
        if (r == 0)
                return 0;
        r = ctdb_client_process(b->client);
        if (r < 0)
                return r;
        return b->error;
}

int bench_service(struct bench *b, double now) {
        if (now < b->next_service)
                return 0;
        b->next_service = now + SERVICE_INTERVAL_SEC;
        return bench_poll(b, 0);
}

uint64_t bench_counter_get(const void *value, size_t len, size_t width) {
        uint32_t v32;
        uint64_t v64;

        if (!value || len != width)
                return 0;
        if (width == sizeof(v32)) {
                memcpy(&v32, value, sizeof(v32));
                return v32;
        }
        memcpy(&v64, value, sizeof(v64));
        return v64;
}

/* One fetch-lock, increment, store, unlock; *ret_value is the counter stored. */
int bench_counter_increment(struct bench *b, size_t width, uint64_t *ret_value) {
        const char *key = b->opts->key;
        ctdb_record *rec;
        void *value = NULL;
        size_t len = 0;
        uint64_t v;
        uint32_t v32;
        int r;

        r = ctdb_db_fetch_lock(b->db, key, strlen(key), &rec, &value, &len);
        if (r < 0)
                return bench_fail(r, "fetch-lock");
        v = bench_counter_get(value, len, width) + 1;
        free(value);
        v32 = (uint32_t) v;
        r = ctdb_record_store(rec, width == sizeof(v32) ? (const void *) &v32 : (const void *) &v, width);
        ctdb_record_unlock(rec);
        if (r < 0)
                return bench_fail(r, "store");
        *ret_value = v;
        return 0;
}

static uint32_t nodes_ready(const struct bench *b) {
        uint32_t n = 0;

        for (uint32_t i = 0; i < b->num_nodes; i++)
                if (b->phase_of[i] >= b->phase)
                        n++;
        return n;
}

int bench_cluster_wait(struct bench *b) {
        double deadline = bench_now_sec() + WAIT_TIMEOUT_SEC, next_ready = 0;
        struct ready_msg ready;
        int r;

        b->phase++;
        b->phase_of[b->pnn] = b->phase;
        ready = (struct ready_msg){ .magic = READY_MAGIC, .want_reply = 1, .phase = b->phase };
        if (b->spec->announce_wait && b->pnn == 0 && b->phase == 1) {
                printf("Waiting for cluster\n");
                fflush(stdout);
        }
        while (nodes_ready(b) < b->num_nodes) {
                double now = bench_now_sec();
                if (now >= deadline)
                        return -ETIMEDOUT;
                if (now >= next_ready) {
                        r = bench_send(b, CTDB_CLIENT_PNN_ALL, &ready, sizeof(ready));
                        if (r < 0)
                                return r;
                        next_ready = now + READY_INTERVAL_SEC;
                }
                r = bench_poll(b, next_ready - now);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- connections ------------------------------------------------------------------- */

void bench_set_message_handler(struct bench *b, bench_message_fn fn, void *userdata) {
        b->on_message = fn;
        b->userdata = userdata;
}

void bench_free(struct bench *b) {
        if (!b)
                return;
        ctdb_db_close(b->db);
        if (b->dbc)
                ctdb_db_client_free(b->dbc);
        if (b->client)
                ctdb_client_free(b->client);
        free(b->phase_of);
        free(b);
}

static int bench_open_db(struct bench *b) {
        const struct bench_options *o = b->opts;
        int r;

        r = ctdb_db_connect(o->db_socket, &b->dbc);
        if (r < 0) {
                fprintf(stderr, "Failed to connect to %s: %s\n",
                        o->db_socket ? o->db_socket : ctdb_db_default_socket(), strerror(-r));
                return r;
        }
        if (ctdb_db_client_pnn(b->dbc) != b->pnn) {
                fprintf(stderr,
                        "tunneld says this is node %u, dbd says node %u: the sockets are of two nodes.\n",
                        b->pnn, ctdb_db_client_pnn(b->dbc));
                return -EINVAL;
        }
        r = ctdb_db_attach(b->dbc, o->dbname, o->kind, &b->db);
        if (r < 0) {
                fprintf(stderr, "Failed to attach to DB %s: %s\n", o->dbname, strerror(-r));
                return r;
        }
        return 0;
}

int bench_open(const struct bench_spec *spec, const struct bench_options *opts, struct bench **ret) {
        struct bench *b;
        int r;

        b = calloc(1, sizeof(*b));
        if (!b)
                return bench_fail(-ENOMEM, "allocate");
        b->spec = spec;
        b->opts = opts;
        b->num_nodes = opts->num_nodes;
        r = ctdb_client_connect(opts->socket, &b->client);
        if (r < 0) {
                fprintf(stderr, "Failed to connect to %s: %s\n",
                        opts->socket ? opts->socket : ctdb_client_default_socket(), strerror(-r));
                goto fail;
        }
        b->pnn = ctdb_client_pnn(b->client);
        if (b->pnn >= b->num_nodes) {
                fprintf(stderr, "This is node %u, but --num-nodes is %u.\n", b->pnn, b->num_nodes);
                r = -EINVAL;
                goto fail;
        }
        b->phase_of = calloc(b->num_nodes, sizeof(*b->phase_of));
        if (!b->phase_of) {
                r = bench_fail(-ENOMEM, "allocate");
                goto fail;
        }
        ctdb_client_set_message_handler(b->client, on_message, b);
        r = ctdb_client_register(b->client, CTDB_SRVID_BENCH_RING);
        if (r < 0) {
                bench_fail(r, "register for messages");
                goto fail;
        }
        if (spec->options & BENCH_OPT_DATABASE) {
                r = bench_open_db(b);
                if (r < 0)
                        goto fail;
        }
        *ret = b;
        return 0;

fail:
        bench_free(b);
        return r;
}

int bench_main(const struct bench_spec *spec, int argc, char **argv, int (*run)(struct bench *b)) {
        struct bench_options opts;
        struct bench *b;
        int r;

        r = bench_options_parse(spec, argc, argv, &opts);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (bench_open(spec, &opts, &b) < 0)
                return EXIT_FAILURE;
        r = run(b);
        bench_free(b);
        if (r < 0) {
                /* CTDB's words: "fetch ring test failed" for fetch_ring. */
                fprintf(stderr, "%s test failed\n", spec->ctdb_name);
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}

/* ---- D-Bus ------------------------------------------------------------------------- */

int bench_db_call(struct bench *b, const char *method) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_ sd_bus *bus = NULL;
        char *path = NULL;
        int r;

        r = bus_open(NULL, &bus);
        if (r < 0)
                return bench_fail(r, "connect to the system bus");
        r = sd_bus_path_encode(DBD_DB_PREFIX, b->opts->dbname, &path);
        if (r < 0)
                return bench_fail(r, "make the database's object path");
        r = sd_bus_call_method(bus, DBD_BUS_NAME, path, DBD_DB_IFACE, method, &error, NULL, "");
        if (r < 0)
                fprintf(stderr, "Failed to call %s on %s %s: %s\n", method, DBD_BUS_NAME, path,
                        error.message ? error.message : strerror(-r));
        free(path);
        return r;
}

uint64_t bench_clock_usec(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

uint64_t bench_stamp_read(const char *path, uint64_t fallback) {
        FILE *f = fopen(path, "re");
        double sec = 0;
        int n;

        if (!f)
                return fallback;
        n = fscanf(f, "%lf", &sec);
        fclose(f);
        if (n != 1 || sec <= 0)
                return fallback;
        return (uint64_t) (sec * 1e6) -
               (bench_clock_usec(CLOCK_REALTIME) - bench_clock_usec(CLOCK_MONOTONIC));
}
