#pragma once

/*
 * What the dbd fuzzers share: a manager of node 0 of three (libdbd, through
 * db/dbd-testing.h), without tunneld and without a bus, on one sd-event loop
 * and one temporary directory kept for the whole run (emptied after every
 * input). The set-up byte of an input chooses how far the manager is brought
 * with dbd's own frames from node 1, the recovery coordinator:
 *   bit 0: FREEZE and ATTACH of FUZZ_DB_NAME in generation FUZZ_GENERATION,
 *   bit 1: then THAW with the VnnMap {0, 1, 2} (record traffic is live),
 * so that the seeds reach every handler and the fuzzer need not find the
 * set-up first.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <talloc.h>

#include "dbd-testing.h"
#include "dbd-wire.h"
#include "fuzz.h"
#include "log.h"
#include "ltdb.h"

#define FUZZ_DB_NAME     "fuzz.tdb"
#define FUZZ_GENERATION  7u
#define FUZZ_COORDINATOR 1u

static char fuzz_dir[] = "/tmp/ctdb-fuzz-dbd-XXXXXX";

static void fuzz_dir_remove(void) {
        DIR *d = opendir(fuzz_dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.') {
                        char path[sizeof(fuzz_dir) + 300];

                        snprintf(path, sizeof(path), "%s/%s", fuzz_dir, de->d_name);
                        (void) unlink(path);
                }
        closedir(d);
}

static void fuzz_dir_cleanup_at_exit(void) {
        fuzz_dir_remove();
        (void) rmdir(fuzz_dir);
}

/* One of dbd's messages from the coordinator, as its tunnel would deliver it. */
static void fuzz_send(dbd_manager *m, const struct wire_desc *desc, const void *msg) {
        uint8_t buf[1024];
        int len = wire_inner_pack_into(desc, msg, buf, sizeof(buf));

        CHECK(len > 0);
        (void) dbd_manager_receive(m, FUZZ_COORDINATOR, buf, (size_t) len);
}

static void fuzz_setup(dbd_manager *m, uint8_t flags) {
        struct dbd_db_info db = { .db_id = ltdb_db_id(FUZZ_DB_NAME),
                                  .kind = LTDB_VOLATILE,
                                  .name = (char *) FUZZ_DB_NAME,
                                  .name_len = sizeof(FUZZ_DB_NAME) - 1 };
        uint32_t vnnmap[] = { 0, 1, 2 };

        if (!(flags & 1))
                return;
        fuzz_send(m, &dbd_freeze_desc, &(struct dbd_freeze_msg){ .id = 1, .generation = FUZZ_GENERATION });
        fuzz_send(
                m, &dbd_attach_desc,
                &(struct dbd_attach_msg){ .id = 2, .generation = FUZZ_GENERATION, .dbs = &db, .n_dbs = 1 });
        CHECK(dbd_manager_find_id(m, db.db_id));
        if (!(flags & 2))
                return;
        fuzz_send(m, &dbd_thaw_desc,
                  &(struct dbd_thaw_msg){
                          .id = 3, .generation = FUZZ_GENERATION, .vnnmap = vnnmap, .n_vnnmap = 3 });
}

/*
 * Takes the set-up byte off the input and makes a set-up manager on a new
 * talloc context, which fuzz_end() frees. NULL for an empty input.
 */
static void *fuzz_start(const uint8_t **data, size_t *size, uint8_t *ret_flags, sd_event **ret_event,
                        dbd_manager **ret_m) {
        static sd_event *event;
        void *ctx;

        if (*size < 1)
                return NULL;
        if (!event) {
                log_set_max_level(LOG_CRIT);
                CHECK(sd_event_new(&event) >= 0);
                CHECK(mkdtemp(fuzz_dir));
                atexit(fuzz_dir_cleanup_at_exit);
        }
        *ret_flags = (*data)[0];
        (*data)++;
        (*size)--;
        ctx = talloc_new(NULL);
        CHECK(ctx);
        CHECK(dbd_testing_manager_new(ctx, event, fuzz_dir, 0, 3, ret_m) >= 0);
        fuzz_setup(*ret_m, *ret_flags);
        *ret_event = event;
        return ctx;
}

static void fuzz_end(void *ctx, sd_event *event) {
        /* What became due (lock retries, a freeze retry) runs, a bounded number of times. */
        for (unsigned i = 0; i < 16 && sd_event_run(event, 0) > 0; i++)
                ;
        talloc_free(ctx);
        fuzz_dir_remove();
}
