#pragma once

/*
 * The decisions of record migration and recovery as pure functions, so that
 * the unit tests check the rules themselves (no I/O, no clocks).
 */

#include <stdbool.h>
#include <stdint.h>

#include "ltdb.h"

/* One copy of a record as recovery sees it: its header and the node it came from. */
struct dbd_copy {
        uint64_t rsn;
        uint32_t dmaster;
        uint32_t flags;
        uint32_t src;
};

/*
 * Whether copy a beats copy b in recovery: the highest rsn; at equal rsn the
 * dmaster's own copy (its header names the node it came from: a client there
 * may have stored since, and rsn moves only with migration), then a real copy
 * over the lmaster's pointer (LTDB_REC_FLAG_POINTER).
 */
bool dbd_copy_wins(const struct dbd_copy *a, const struct dbd_copy *b);

/* A migrated record with rsn arrives: taken only above what this node has (lower or equal is stale). */
bool dbd_record_accept(bool have, const struct ltdb_header *cur, uint64_t rsn);

/* A DMASTER update of rsn reaches the lmaster: taken only above what it has. */
bool dbd_dmaster_accept(bool have, const struct ltdb_header *cur, uint64_t rsn);

/*
 * Where a request for a record goes from self when self is not its dmaster:
 * the dmaster self's header names (unless via_lmaster, after a failed try),
 * else the lmaster; the lmaster follows its own pointer. CTDB_PNN_NONE: self
 * is the lmaster and has no record, so it creates it and is its dmaster.
 */
uint32_t dbd_route(uint32_t self, uint32_t lmaster, bool have, const struct ltdb_header *cur,
                   bool via_lmaster);

/* What vacuuming does with a key in this node's delete queue. */
enum dbd_vacuum_action {
        DBD_VACUUM_SKIP,        /* gone, alive again (has a value), or another node's now */
        DBD_VACUUM_PURGE,       /* this node is its lmaster: drop it everywhere */
        DBD_VACUUM_HAND_BACK,   /* hand it to its lmaster first */
};
enum dbd_vacuum_action dbd_vacuum_decide(uint32_t self, uint32_t lmaster, bool have,
                                         const struct ltdb_header *cur, size_t value_len);
/* PURGE of a deleted record of rsn reaches another node: its copy goes if not newer and not its live record.
 */
bool dbd_vacuum_drop_copy(uint32_t self, bool have, const struct ltdb_header *cur, uint64_t rsn);
/* After every node answered the PURGE: the lmaster drops its own copy if nothing happened to it since. */
bool dbd_vacuum_drop_own(uint32_t self, bool have, const struct ltdb_header *cur, size_t value_len,
                         uint64_t rsn);

/* One node's copy of a persistent or replicated database, as its FREEZE answer lists it. */
struct dbd_persist_copy {
        uint32_t db_id;
        uint32_t pnn;
        uint64_t seqnum;
        uint32_t epoch;         /* the generation of the recovery that last stamped it */
};

/*
 * The copy of db_id a recovery keeps: the highest epoch, then the highest
 * seqnum (a node that missed a recovery lost what the others decided after
 * it, however long its own history); at a tie prefer's copy (the
 * coordinator's: no pull over the network). Its index in copies, or -1.
 */
int dbd_persist_winner(const struct dbd_persist_copy *copies, size_t n, uint32_t db_id, uint32_t prefer);
/* Whether pnn already holds the winning state of db_id (it needs no push); false without a copy. */
bool dbd_persist_current(const struct dbd_persist_copy *copies, size_t n, uint32_t db_id, uint32_t pnn,
                         uint32_t prefer);

/* The epoch a recovery stamps every copy with: above every copy's, so it rises across cluster restarts. */
uint32_t dbd_persist_next_epoch(const struct dbd_persist_copy *copies, size_t n);

/* The node that coordinates a recovery: the leader if it is in the VnnMap, else VnnMap[0]. */
uint32_t dbd_coordinator(uint32_t leader, const uint32_t *vnnmap, uint32_t n);
