/*
 * clusterd's messages from peers (STATE, CONTROL, CONTROL_REPLY inside MESSAGE
 * data), into the manager itself (libclusterd: clusterd_manager_receive(), then
 * the election, controls, bans and the recovery rules). The input is a sequence
 * of records: a source pnn byte (mod 4: node 3 does not exist), a u16 length
 * (little endian) and that many bytes, each one message. The manager is pnn 0
 * of three nodes, without tunneld and without a bus: what it would send fails
 * and is logged, which is what a lost tunnel does too.
 */

#include <stdlib.h>

#include <talloc.h>

#include "clusterd-manager.h"
#include "common/config.h"
#include "log.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *config;
        struct ctdb_nodes *nodes;
        clusterd_manager *m;
        sd_event *event;
        char *err = NULL;

        log_set_max_level(LOG_CRIT);
        CHECK(ctx && sd_event_new(&event) >= 0);
        CHECK(ctdb_config_defaults(ctx, &config) >= 0);
        CHECK(ctdb_nodes_parse(ctx, "nodes", "192.0.2.1\n192.0.2.2\n192.0.2.3\n", &nodes, &err) >= 0);
        CHECK(clusterd_manager_new(ctx, event, NULL, config, nodes, "nodes", &m) >= 0);
        m->self = 0;

        while (size >= 3) {
                uint32_t src = data[0] % 4;
                size_t len = (size_t) data[1] | (size_t) data[2] << 8;

                data += 3;
                size -= 3;
                if (len > size)
                        len = size;
                /* Links come and go with the input too: a message may arrive from a peer that is up. */
                if (src < m->n_nodes && src != m->self)
                        m->nodes[src].connected = true;
                clusterd_manager_receive(m, src, data, len);
                data += len;
                size -= len;
        }

        talloc_free(ctx);
        sd_event_unref(event);
        return 0;
}
