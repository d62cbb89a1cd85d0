#pragma once

/*
 * What the tunneld fuzzers share: a manager of node 1 of two (127.0.0.1 and
 * 127.0.0.2), not started (no listener, no socket, no bus), on one sd-event
 * loop kept for the whole run, and a HELLO that node 0 or a client would send.
 */

#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <talloc.h>

#include "common/config.h"
#include "fuzz-frames.h"
#include "log.h"
#include "tunneld-manager.h"
#include "wire.h"

static inline struct tunneld_manager *fuzz_manager_new(void *ctx) {
        static sd_event *event;
        struct ctdb_config *config;
        struct ctdb_nodes *nodes;
        struct tunneld_manager *m;
        char *err = NULL;

        log_set_max_level(LOG_CRIT);
        if (!event)
                CHECK(sd_event_new(&event) >= 0);
        CHECK(ctdb_config_defaults(ctx, &config) >= 0);
        config->node_address = talloc_strdup(config, "127.0.0.2");
        CHECK(config->node_address);
        CHECK(ctdb_nodes_parse(ctx, "nodes", "127.0.0.1\n127.0.0.2\n", &nodes, &err) >= 0);
        CHECK(tunneld_manager_new(ctx, event, config, nodes, NULL, &m) >= 0);
        return m;
}

/*
 * Takes the set-up byte off the input (into *ret_flags) and makes a manager on a
 * new talloc context, which the caller frees. NULL for an empty input.
 */
static inline void *fuzz_start(const uint8_t **data, size_t *size, uint8_t *ret_flags,
                               struct tunneld_manager **ret_m) {
        void *ctx;

        if (*size < 1)
                return NULL;
        *ret_flags = (*data)[0];
        (*data)++;
        (*size)--;
        ctx = talloc_new(NULL);
        CHECK(ctx);
        *ret_m = fuzz_manager_new(ctx);
        return ctx;
}
