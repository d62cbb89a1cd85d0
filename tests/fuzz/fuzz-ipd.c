/*
 * ctdb-ipd's messages from peers (STATE, RUN, RUN_REPLY, CONNS, REQUEST,
 * REPLY on the tunnel CTDB_TUNNEL_IPD), into the manager itself
 * (libipd: ipd_manager_receive(), then the peer table, the cluster's address
 * list, the takeover handlers). The input is a sequence of records: a source
 * pnn byte (mod 4: node 3 does not exist), a u16 length (little endian) and
 * that many bytes, each one message. The manager is the testing one
 * (ipd_manager_new_testing()): pnn 0 of three nodes, without tunneld, bus or
 * kernel, disabled so that a run's phases touch nothing; it leads a quorate
 * view, so that REQUESTs reach the leader's side. The higher bits of the
 * source byte pick node flags for a plan computed after each message, which
 * must put every address on a node whose STATE offers it, or nowhere.
 */

#include <stdbool.h>

#include <talloc.h>

#include "common/config.h"
#include "ctdb-node.h"
#include "fuzz.h"
#include "ipd-alloc.h"
#include "ipd-internal.h"
#include "log.h"
#include "talloc-util.h"

#define N_NODES 3u

static bool offers(const ipd_manager *m, uint32_t p, const struct ctdb_ip *a, uint32_t flag) {
        const struct ipd_peer *peer = &m->peers[p];

        for (uint32_t j = 0; peer->known && peer->connected && j < peer->n_addrs; j++) {
                struct ctdb_ip ip;

                if ((peer->addrs[j].flags & flag) && ipd_wire_ip_get(&peer->addrs[j].ip, &ip) >= 0 &&
                    ctdb_ip_equal(&ip, a))
                        return true;
        }
        return false;
}

/* What a peer sent must leave the address list sorted, unique, with holders among the nodes. */
static void check_addrs(const ipd_manager *m) {
        for (size_t i = 0; i < m->n_addrs; i++) {
                CHECK(m->addrs[i]->holder == CTDB_PNN_NONE || m->addrs[i]->holder < m->n_nodes);
                CHECK(i == 0 || ctdb_ip_compare(&m->addrs[i - 1]->ip, &m->addrs[i]->ip) < 0);
        }
}

static void check_plan(ipd_manager *m, uint8_t sel) {
        _cleanup_talloc_ uint32_t *pnn = talloc_array(NULL, uint32_t, m->n_addrs + 1);
        uint32_t flags[N_NODES];

        CHECK(pnn);
        for (uint32_t p = 0; p < N_NODES; p++)
                flags[p] = sel & (4u << p) ? CTDB_NODE_FLAG_UNHEALTHY : 0;
        CHECK(ipd_takeover_plan(m, flags, N_NODES, sel & 0x20, NULL, 0, pnn) >= 0);
        for (size_t i = 0; i < m->n_addrs; i++) {
                uint32_t p = pnn[i];

                if (p == CTDB_PNN_NONE)
                        continue;
                CHECK(p < N_NODES);
                /* Placed where it may be hosted, or left with the holder that could not remove it. */
                CHECK((!(flags[p] & IPALLOC_CANNOT_HOST) &&
                       offers(m, p, &m->addrs[i]->ip, IPD_ADDR_AVAILABLE)) ||
                      (p == m->addrs[i]->holder && offers(m, p, &m->addrs[i]->ip, IPD_ADDR_STUCK)));
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        void *ctx = talloc_new(NULL);
        struct ctdb_config *config;
        ipd_manager *m;
        sd_event *event;

        log_set_max_level(LOG_CRIT);
        CHECK(ctx && sd_event_new(&event) >= 0);
        CHECK(ctdb_config_defaults(ctx, &config) >= 0);
        CHECK(ipd_manager_new_testing(ctx, event, config, 0, N_NODES, &m) >= 0);
        m->view = (struct cluster_view){
                .known = true,
                .leader = 0,
                .generation = 1,
                .quorate = true,
                .n_nodes = N_NODES,
                .flags = talloc_zero_array(m, uint32_t, N_NODES),
        };
        CHECK(m->view.flags);
        m->view_known = true;

        while (size >= 3) {
                uint8_t sel = data[0];
                uint32_t src = sel % 4;
                size_t len = (size_t) data[1] | (size_t) data[2] << 8;

                data += 3;
                size -= 3;
                if (len > size)
                        len = size;
                (void) ipd_manager_receive(m, src, data, len);
                /* What the message deferred (a state update, a takeover run for a REQUEST) runs now. */
                for (unsigned i = 0; i < 8 && sd_event_run(event, 0) > 0; i++)
                        ;
                check_addrs(m);
                check_plan(m, sel);
                data += len;
                size -= len;
        }

        talloc_free(ctx);
        sd_event_unref(event);
        return 0;
}
