#pragma once

/*
 * What the dbd fuzzers share: a manager of node 0 of three (libdbd, through
 * db/dbd-testing.h), without tunneld and without a bus, on one sd-event loop
 * and one temporary directory kept for the whole run (emptied after every
 * input). The set-up byte of an input chooses how far the manager is brought
 * with dbd's own frames from node 1, the recovery coordinator:
 *   bit 0: FREEZE and ATTACH of FUZZ_DB_NAME in generation FUZZ_GENERATION,
 *   bit 1: then THAW with the VnnMap {0, 1, 2} (record traffic is live),
 *   bit 3: the ATTACH also has the persistent FUZZ_DB_P_NAME and the
 *          replicated FUZZ_DB_R_NAME (transactions: TXN, TXN_DONE, UPDATE,
 *          db.sock's TXN_COMMIT),
 *   bit 4: clusterd's view says this node is in the quorate part (else a
 *          commit stops at ENOLINK),
 *   bit 5: node 0 itself runs the recovery, with the VnnMap {0}: this node
 *          coordinates the commits and an UPDATE round completes here,
 * so that the seeds reach every handler and the fuzzer need not find the
 * set-up first. Bit 2 is the harness's own.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <talloc.h>

#include "dbd-internal.h"
#include "dbd-testing.h"
#include "dbd-wire.h"
#include "fuzz.h"
#include "log.h"
#include "ltdb.h"

#define FUZZ_DB_NAME     "fuzz.tdb"
#define FUZZ_DB_P_NAME   "fuzz-p.tdb"
#define FUZZ_DB_R_NAME   "fuzz-r.tdb"
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

/* One of dbd's messages from src (the coordinator), as its tunnel would deliver it. */
static void fuzz_send(dbd_manager *m, uint32_t src, const struct wire_desc *desc, const void *msg) {
        uint8_t buf[1024];
        int len = wire_inner_pack_into(desc, msg, buf, sizeof(buf));

        CHECK(len > 0);
        (void) dbd_manager_receive(m, src, buf, (size_t) len);
}

#define FUZZ_DB_INFO(db_name, db_kind)                                                       \
        {                                                                                    \
                .db_id = ltdb_db_id(db_name), .kind = (db_kind), .name = (char *) (db_name), \
                .name_len = sizeof(db_name) - 1                                              \
        }

static void fuzz_setup(dbd_manager *m, uint8_t flags) {
        struct dbd_db_info dbs[] = {
                FUZZ_DB_INFO(FUZZ_DB_NAME, LTDB_VOLATILE),
                FUZZ_DB_INFO(FUZZ_DB_P_NAME, LTDB_PERSISTENT),
                FUZZ_DB_INFO(FUZZ_DB_R_NAME, LTDB_REPLICATED),
        };
        uint32_t vnnmap[] = { 0, 1, 2 };
        uint32_t src = flags & 32 ? 0 : FUZZ_COORDINATOR, n_dbs = flags & 8 ? 3 : 1;

        /* Past the quorum check to the commit's own rules. */
        if (flags & 16)
                m->view = (struct cluster_view){
                        .known = true, .leader = src, .generation = FUZZ_GENERATION, .quorate = true
                };
        if (!(flags & 1))
                return;
        fuzz_send(m, src, &dbd_freeze_desc,
                  &(struct dbd_freeze_msg){ .id = 1, .generation = FUZZ_GENERATION });
        fuzz_send(m, src, &dbd_attach_desc,
                  &(struct dbd_attach_msg){
                          .id = 2, .generation = FUZZ_GENERATION, .dbs = dbs, .n_dbs = n_dbs });
        for (uint32_t i = 0; i < n_dbs; i++)
                CHECK(dbd_manager_find_id(m, dbs[i].db_id));
        if (!(flags & 2))
                return;
        fuzz_send(m, src, &dbd_thaw_desc,
                  &(struct dbd_thaw_msg){ .id = 3,
                                          .generation = FUZZ_GENERATION,
                                          .vnnmap = vnnmap,
                                          .n_vnnmap = flags & 32 ? 1 : 3 });
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
        /* The persistent and replicated files too in the fuzzer's own directory, not the system's. */
        (*ret_m)->persistent_dir = (*ret_m)->volatile_dir;
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
