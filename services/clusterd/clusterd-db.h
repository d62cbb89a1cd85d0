#pragma once

/*
 * The databases' side of clusterd's recovery (docs/architecture.md, "Generation
 * and recovery"): whether a ctdb-dbd runs on this node (it owns org.ctdb.db1 on
 * clusterd's own bus connection: the LMASTER capability), the VnnMap, and the
 * dbd recovery coordinator's RECOVERED reports (inner messages of
 * common/db-proto.h on srvid CTDB_SRVID_DB_RECOVERY).
 */

#include <stddef.h>
#include <stdint.h>

struct clusterd_manager;

/*
 * How long the leader waits for the dbd coordinator's RECOVERED of a recovery
 * whose VnnMap is not empty. A dbd that does not report back is broken or
 * wedged (CTDB would ban the node that failed its recovery); clusterd starts a
 * new recovery with a new generation instead. 30 s is CTDB's RecoverTimeout
 * (120 s) cut to what 100,000 records take here many times over.
 */
#define CLUSTERD_DB_RECOVERY_TIMEOUT_USEC (30 * 1000 * 1000ULL)

/* Registers srvid CTDB_SRVID_DB_RECOVERY and makes the databases' deadline timer (off). */
int clusterd_db_init(struct clusterd_manager *m);

/* Starts following the owner of org.ctdb.db1 on m->bus (asynchronously); nothing without a bus. */
int clusterd_db_start(struct clusterd_manager *m);

/* The data of a MESSAGE for CTDB_SRVID_DB_RECOVERY from node src; malformed ones are logged. */
void clusterd_db_receive(struct clusterd_manager *m, uint32_t src, const uint8_t *data, size_t len);

/* Sets m's VnnMap to a copy of the n pnns of vnnmap (unchanged: nothing allocated); -ENOMEM. */
int clusterd_db_set_vnnmap(struct clusterd_manager *m, const uint32_t *vnnmap, uint32_t n);

/* Leader: sets the VnnMap the recovery rules compute from the current view (recovery_vnnmap()); -ENOMEM. */
int clusterd_db_vnnmap_from_view(struct clusterd_manager *m);

/* Leader: a recovery started (deadline armed if its VnnMap is not empty) or ended or was left. */
void clusterd_db_recovery_started(struct clusterd_manager *m);
void clusterd_db_recovery_stopped(struct clusterd_manager *m);
