/* The databases' side of clusterd's recovery; see clusterd-db.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "bus-name.h"
#include "clusterd-db.h"
#include "clusterd-manager.h"
#include "ctdb-names.h"
#include "ctdb-srvid.h"
#include "db-proto.h"
#include "dp-client.h"
#include "log.h"
#include "talloc-util.h"

/* ---- the LMASTER capability: ctdb-dbd owns org.ctdb.db1 here ----------------------------- */

static void dbd_presence(clusterd_manager *m, bool present) {
        uint32_t caps =
                present ? m->capabilities | CTDB_NODE_CAP_LMASTER : m->capabilities & ~CTDB_NODE_CAP_LMASTER;

        if (caps == m->capabilities)
                return;
        m->capabilities = caps;
        log_info("ctdb-dbd %s on this node (%s %s an owner): %s", present ? "runs" : "stopped", DBD_BUS_NAME,
                 present ? "has" : "lost", present ? "it may be an lmaster" : "it leaves the VnnMap");
        /* Announces the new capabilities at once; a leader recovers with the new VnnMap. */
        clusterd_manager_update(m);
}

static void on_dbd(void *userdata, bool present) {
        dbd_presence(userdata, present);
}

int clusterd_db_start(clusterd_manager *m) {
        if (!m->bus)
                return 0;
        return bus_name_watch_new(m, m->bus, DBD_BUS_NAME, on_dbd, m, &m->dbd_watch);
}

/* ---- the VnnMap --------------------------------------------------------------------- */

int clusterd_db_set_vnnmap(clusterd_manager *m, const uint32_t *vnnmap, uint32_t n) {
        uint32_t *v = NULL;

        if (n == m->n_vnnmap && (n == 0 || memcmp(vnnmap, m->vnnmap, n * sizeof(uint32_t)) == 0))
                return 0;
        if (n > 0) {
                v = talloc_memdup(m, vnnmap, n * sizeof(uint32_t));
                if (!v)
                        return -ENOMEM;
        }
        talloc_free(m->vnnmap);
        m->vnnmap = v;
        m->n_vnnmap = n;
        return 0;
}

int clusterd_db_vnnmap_from_view(clusterd_manager *m) {
        _cleanup_talloc_ uint32_t *v = talloc_array(NULL, uint32_t, m->n_nodes ? m->n_nodes : 1);
        struct recovery_input in;

        if (!v)
                return -ENOMEM;
        clusterd_manager_recovery_input(m, &in);
        return clusterd_db_set_vnnmap(m, v, recovery_vnnmap(&in, v));
}

/* ---- recovery of the databases ------------------------------------------------------- */

static int on_db_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        clusterd_manager *m = userdata;

        if (m->leader != m->self || !m->recovering || m->n_vnnmap == 0 || m->db_recovered)
                return 0;
        log_warning("The databases of generation %" PRIu32 " were not reported recovered within %llu s",
                    m->recovery_generation, CLUSTERD_DB_RECOVERY_TIMEOUT_USEC / USEC_PER_SEC);
        clusterd_manager_recovery_start(m, "the databases were not recovered in time");
        clusterd_manager_update(m);
        return 0;
}

void clusterd_db_recovery_started(clusterd_manager *m) {
        m->db_recovered = false;
        if (m->n_vnnmap == 0) {
                (void) sd_event_source_set_enabled(m->db_timer, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_time_relative(m->db_timer, CLUSTERD_DB_RECOVERY_TIMEOUT_USEC);
        (void) sd_event_source_set_enabled(m->db_timer, SD_EVENT_ONESHOT);
}

void clusterd_db_recovery_stopped(clusterd_manager *m) {
        (void) sd_event_source_set_enabled(m->db_timer, SD_EVENT_OFF);
}

static int on_recovered(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                        size_t len) {
        const struct db_recovered *d = msg;
        clusterd_manager *m = userdata;
        struct recovery_input in;
        char why[160];

        /* The coordinator sends to the leader it knows; one that just stepped down has nothing to end. */
        if (m->leader != m->self) {
                log_debug("Ignoring RECOVERED of generation %" PRIu32 " from node %" PRIu32
                          ": this node is not leader",
                          d->generation, h->src);
                return 0;
        }
        clusterd_manager_recovery_input(m, &in);
        switch (recovery_db_report(&in, d->generation, d->error)) {
        case RECOVERY_REPORT_IGNORE:
                log_debug("Ignoring RECOVERED of generation %" PRIu32 " from node %" PRIu32
                          " (recovering: %s, generation %" PRIu32 ")",
                          d->generation, h->src, m->recovering ? "yes" : "no", m->recovery_generation);
                return 0;
        case RECOVERY_REPORT_DONE:
                log_info("Databases of generation %" PRIu32 " recovered (reported by node %" PRIu32 ")",
                         d->generation, h->src);
                m->db_recovered = true;
                clusterd_db_recovery_stopped(m);
                break;
        case RECOVERY_REPORT_FAILED:
                /* Either sign of errno is taken: the number is what matters to an admin. */
                snprintf(why, sizeof(why),
                         "the databases of generation %" PRIu32 " failed to recover (node %" PRIu32 ": %s)",
                         d->generation, h->src, strerror(abs(d->error == INT32_MIN ? EINVAL : d->error)));
                log_warning("Recovery failed: %s", why);
                clusterd_manager_recovery_start(m, why);
                break;
        }
        clusterd_manager_update(m);
        return 0;
}

static const struct wire_handler db_recovery_handlers[] = {
        { DB_RECOVERY_RECOVERED, &db_recovered_desc, on_recovered },
};

void clusterd_db_receive(clusterd_manager *m, uint32_t src, const uint8_t *data, size_t len) {
        /* db_recovered has no strings or arrays: nothing to allocate. */
        clusterd_manager_dispatch(m, "database recovery", db_recovery_handlers,
                                  ELEMENTSOF(db_recovery_handlers), NULL, src, CTDB_SRVID_DB_RECOVERY, data,
                                  len);
}

int clusterd_db_init(clusterd_manager *m) {
        int r;

        r = dp_client_register(m->tunnel, CTDB_SRVID_DB_RECOVERY);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(m->event, &m->db_timer, CLOCK_MONOTONIC,
                                       CLUSTERD_DB_RECOVERY_TIMEOUT_USEC, 0, on_db_timeout, m);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->db_timer, SD_EVENT_OFF);
}
