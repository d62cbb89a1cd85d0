/*
 * ctdb-bench recovery N: how long a forced recovery of N volatile records
 * takes, from the request to every node normal again (issue 8's goal: 100,000
 * records under 0.5 s).
 *
 * Run on every node at once: each instance stores its share of the N records
 * (record i on node i mod --num-nodes, key "<key>i"), so that every node is
 * the dmaster of a third of them and recovery must collect from all; then the
 * instances wait for each other. Node 0 then watches clusterd on every bus
 * given with --watch-bus (each node has its own; default this node's), calls
 * org.ctdb.cluster1.Manager.Recover() on its own bus and waits until every
 * watched node reports Recovering = false with a Generation above the one it
 * had before, and prints
 *     recovery of N records: X.XXX s from request to all nodes normal
 * Then it reads a sample of the records back (without moving them).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bench-util.h"
#include "bench.h"
#include "bus-util.h"
#include "ctdb-names.h"

#define RECOVERY_TIMEOUT_USEC (120 * 1000000ull)
/* Signals say when a node is normal; a poll this often covers one that got lost. */
#define POLL_USEC   (50 * 1000ull)
#define SAMPLE_SIZE 100u
#define KEY_MAX     64u
#define VALUE_MAX   64u

static const struct bench_spec spec = {
        .name = "recovery",
        .ctdb_name = "recovery",
        .description = "Run on every node at once: fill N records spread over the nodes, then node 0\n"
                       "forces a recovery and times it until every watched node is normal again.\n",
        .options = BENCH_OPT_DATABASE | BENCH_OPT_COUNT | BENCH_OPT_WATCH,
        .default_db = "recovery.tdb",
        .default_key = "record",
        .count_name = "N",
        .announce_wait = true,
};

struct watch {
        struct recovery *rc;
        sd_bus *bus;
        sd_bus_slot *slot;
        uint32_t pnn, gen_before, gen;
        bool recovering, normal;
        double normal_at;
};

struct recovery {
        struct watch watches[BENCH_MAX_BUSES];
        unsigned n_watches, n_normal;
        sd_event *event;
};

static void record_key(const struct bench *b, unsigned i, char key[static KEY_MAX]) {
        snprintf(key, KEY_MAX, "%s%u", b->opts->key, i);
}

static int record_value(unsigned i, char value[static VALUE_MAX]) {
        return snprintf(value, VALUE_MAX, "value of record %u", i);
}

/* This node's share of the records: fetch-lock (which makes it the dmaster), store, unlock. */
static int fill(struct bench *b) {
        double start = bench_now_sec();
        unsigned n = 0;
        int r;

        for (unsigned i = b->pnn; i < b->opts->count; i += b->num_nodes) {
                char key[KEY_MAX], value[VALUE_MAX];
                int len = record_value(i, value);
                ctdb_record *rec;

                record_key(b, i, key);
                r = ctdb_db_fetch_lock(b->db, key, strlen(key), &rec, NULL, NULL);
                if (r < 0)
                        return bench_fail(r, "fetch-lock");
                r = ctdb_record_store(rec, value, (size_t) len);
                ctdb_record_unlock(rec);
                if (r < 0)
                        return bench_fail(r, "store");
                n++;
        }
        double t = bench_now_sec() - start;
        printf("Filled[%u]: %u records in %.3f s (%.0f records/sec)\n", b->pnn, n, t, t > 0 ? n / t : 0);
        fflush(stdout);
        return 0;
}

/* ---- watching clusterd ------------------------------------------------------------- */

static void watch_check(struct watch *w) {
        if (w->normal || w->recovering || w->gen <= w->gen_before)
                return;
        w->normal = true;
        w->normal_at = bench_now_sec();
        if (++w->rc->n_normal == w->rc->n_watches)
                (void) sd_event_exit(w->rc->event, 0);
}

static int watch_read(struct watch *w) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int recovering = 0, r;

        r = sd_bus_get_property_trivial(w->bus, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                                        CLUSTERD_MANAGER_IFACE, "Generation", &error, 'u', &w->gen);
        if (r >= 0)
                r = sd_bus_get_property_trivial(w->bus, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                                                CLUSTERD_MANAGER_IFACE, "Recovering", &error, 'b',
                                                &recovering);
        if (r < 0) {
                fprintf(stderr, "Failed to read clusterd's state: %s\n",
                        error.message ? error.message : strerror(-r));
                return r;
        }
        w->recovering = recovering;
        return 0;
}

/* PropertiesChanged of clusterd's Manager: Generation and Recovering come in it. */
static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct watch *w = userdata;
        const char *iface, *name;
        int r;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0 || strcmp(iface, CLUSTERD_MANAGER_IFACE) != 0)
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return 0;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                if (sd_bus_message_read(m, "s", &name) < 0)
                        return 0;
                if (strcmp(name, "Generation") == 0)
                        r = sd_bus_message_read(m, "v", "u", &w->gen);
                else if (strcmp(name, "Recovering") == 0) {
                        int b = 0;
                        r = sd_bus_message_read(m, "v", "b", &b);
                        w->recovering = b;
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0 || sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        watch_check(w);
        return 0;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        struct recovery *rc = userdata;

        for (unsigned i = 0; i < rc->n_watches; i++) {
                struct watch *w = &rc->watches[i];
                if (w->normal)
                        continue;
                if (watch_read(w) < 0)
                        return sd_event_exit(rc->event, -EIO);
                watch_check(w);
        }
        (void) sd_event_source_set_time_relative(s, POLL_USEC);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct recovery *rc = userdata;

        return sd_event_exit(rc->event, -ETIMEDOUT);
}

static int watch_start(struct recovery *rc, struct watch *w, const char *address) {
        int r;

        w->rc = rc;
        r = bus_open(address, &w->bus);
        if (r < 0) {
                fprintf(stderr, "Failed to connect to the bus %s: %s\n", address ? address : "(system)",
                        strerror(-r));
                return r;
        }
        /* The match is in place before the state is read, so no change falls between. */
        r = sd_bus_match_signal(w->bus, &w->slot, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                                "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                on_properties_changed, w);
        if (r < 0)
                return bench_fail(r, "watch clusterd");
        r = sd_bus_get_property_trivial(w->bus, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                                        CLUSTERD_MANAGER_IFACE, "ThisNode", NULL, 'u', &w->pnn);
        if (r >= 0)
                r = watch_read(w);
        if (r < 0)
                return bench_fail(r, "read clusterd's node and generation");
        if (w->recovering) {
                fprintf(stderr, "Node %u is recovering already; run again once it is normal.\n", w->pnn);
                return -EBUSY;
        }
        w->gen_before = w->gen;
        return sd_bus_attach_event(w->bus, rc->event, SD_EVENT_PRIORITY_NORMAL);
}

static void recovery_done(struct recovery *rc) {
        for (unsigned i = 0; i < rc->n_watches; i++) {
                sd_bus_slot_unref(rc->watches[i].slot);
                if (rc->watches[i].bus)
                        sd_bus_flush_close_unref(rc->watches[i].bus);
        }
        sd_event_unref(rc->event);
}

/* Recover() on this node's clusterd, then every watched node normal in a later generation. */
static int force_recovery(struct bench *b, struct recovery *rc) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_ sd_bus *bus = NULL;
        const struct bench_options *o = b->opts;
        double start, answered;
        int r;

        r = sd_event_new(&rc->event);
        if (r < 0)
                return bench_fail(r, "make an event loop");
        rc->n_watches = o->n_watch_buses ? o->n_watch_buses : 1;
        for (unsigned i = 0; i < rc->n_watches; i++)
                if ((r = watch_start(rc, &rc->watches[i], o->n_watch_buses ? o->watch_buses[i] : NULL)) < 0)
                        return r;
        r = sd_event_add_time_relative(rc->event, NULL, CLOCK_MONOTONIC, POLL_USEC, 0, on_poll, rc);
        if (r >= 0)
                r = sd_event_add_time_relative(rc->event, NULL, CLOCK_MONOTONIC, RECOVERY_TIMEOUT_USEC, 0,
                                               on_timeout, rc);
        if (r >= 0)
                r = bus_open(NULL, &bus);
        if (r < 0)
                return bench_fail(r, "set up");

        start = bench_now_sec();
        r = sd_bus_call_method(bus, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH, CLUSTERD_MANAGER_IFACE,
                               "Recover", &error, NULL, "");
        answered = bench_now_sec();
        if (r < 0) {
                fprintf(stderr, "Failed to call Recover(): %s\n",
                        error.message ? error.message : strerror(-r));
                return r;
        }
        r = sd_event_loop(rc->event);
        if (r < 0) {
                fprintf(stderr, "Failed to see every node normal again: %s\n", strerror(-r));
                return r;
        }
        printf("Recover() answered after %.3f s\n", answered - start);
        for (unsigned i = 0; i < rc->n_watches; i++) {
                const struct watch *w = &rc->watches[i];
                printf("node %u normal after %.3f s (generation %u -> %u)\n", w->pnn, w->normal_at - start,
                       w->gen_before, w->gen);
        }
        double last = start;
        for (unsigned i = 0; i < rc->n_watches; i++)
                if (rc->watches[i].normal_at > last)
                        last = rc->watches[i].normal_at;
        printf("recovery of %u records: %.3f s from request to all nodes normal\n", o->count, last - start);
        fflush(stdout);
        return 0;
}

/*
 * A sample of the records, spread over all shares, read where they live;
 * when says before or after the recovery. The first missing or wrong keys
 * are named, for a report.
 */
static int verify(struct bench *b, const char *when) {
        unsigned count = b->opts->count, n = count < SAMPLE_SIZE ? count : SAMPLE_SIZE;
        unsigned missing = 0, wrong = 0;

        for (unsigned k = 0; k < n; k++) {
                unsigned i = (unsigned) ((uint64_t) k * count / n);
                char key[KEY_MAX], want[VALUE_MAX];
                int len = record_value(i, want);
                void *value = NULL;
                size_t vlen = 0;
                int r;

                record_key(b, i, key);
                r = ctdb_db_fetch(b->db, key, strlen(key), false, &value, &vlen);
                if (r < 0 && r != -ENOENT)
                        return bench_fail(r, "fetch");
                bool bad = r == -ENOENT || vlen != (size_t) len || memcmp(value, want, vlen) != 0;
                if (bad && missing + wrong < 3)
                        fprintf(stderr, "%s: record %s %s\n", when, key, r == -ENOENT ? "missing" : "wrong");
                if (r == -ENOENT)
                        missing++;
                else if (bad)
                        wrong++;
                free(value);
        }
        printf("%s: verified %u of %u sampled records (%u missing, %u wrong)\n", when, n - missing - wrong,
               n, missing, wrong);
        fflush(stdout);
        return missing || wrong ? -EIO : 0;
}

static int recovery(struct bench *b) {
        struct recovery rc = {};
        int r;

        r = bench_cluster_wait(b);
        if (r < 0)
                return bench_fail(r, "wait for the cluster");
        r = fill(b);
        if (r < 0)
                return r;
        r = bench_cluster_wait(b);
        if (r < 0)
                return bench_fail(r, "wait for the other nodes' records");
        if (b->pnn != 0)
                return 0;
        /* Before too: a record missing only afterwards is the recovery's doing. */
        r = verify(b, "before recovery");
        if (r < 0)
                return r;
        r = force_recovery(b, &rc);
        recovery_done(&rc);
        if (r < 0)
                return r;
        return verify(b, "after recovery");
}

int bench_recovery(int argc, char **argv) {
        return bench_main(&spec, argc, argv, recovery);
}
