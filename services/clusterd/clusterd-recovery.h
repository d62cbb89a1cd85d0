#pragma once

/*
 * The generation and recovery rules of ctdb-clusterd as pure logic: no I/O, no
 * clocks, no allocation (docs/architecture.md, "Generation and recovery"). The
 * manager describes what it knows of every slot and its own recovery state; these
 * functions say what the next step is. The manager applies it (signals, journal,
 * timers).
 */

#include <stdbool.h>
#include <stdint.h>

/* One slot as the recovery rules see it. */
struct recovery_node {
        bool active;            /* a member that announced and is not BANNED/STOPPED (self: not B/S) */
        bool connected;         /* link up (self: true) */
        bool known;             /* announced since the link came up (self: true) */
        uint32_t generation;    /* last announced */
        bool recovering;        /* last announced */
        bool lmaster;           /* announces CTDB_NODE_CAP_LMASTER: a ctdb-dbd runs there (self: ours) */
};

struct recovery_input {
        uint32_t self;
        uint32_t n_nodes;
        const struct recovery_node *nodes;      /* index == pnn */
        uint32_t generation;                    /* this node's */
        uint32_t recovery_generation;           /* the one the current recovery is for */
        bool recovering;
        /* leader: the active set when its recovery started (n_nodes entries), NULL if none */
        const bool *snapshot;
        /* the current VnnMap (the database map of DESIGN.md section 3) */
        const uint32_t *vnnmap;
        uint32_t n_vnnmap;
        /* leader: the dbd coordinator reported recovery_generation recovered (error 0) */
        bool db_recovered;
        /* leader: the acknowledgement deadline of the current recovery has passed */
        bool ack_expired;
};

/*
 * The VnnMap a leader would set now: the pnns of the active nodes that announce
 * CTDB_NODE_CAP_LMASTER, ascending (the lmaster order). ret has room for n_nodes
 * entries; returns how many it holds.
 */
uint32_t recovery_vnnmap(const struct recovery_input *in, uint32_t *ret);

/* Whether recovery_vnnmap() would differ from the current VnnMap of in. */
bool recovery_vnnmap_differs(const struct recovery_input *in);

/*
 * Leader: why a recovery must start now ("this node became leader", "the set of
 * active nodes changed", "a node announced a later generation", "the database
 * map changed": a dbd started or stopped on an active node), or NULL.
 * became_leader says whether this node was not leader before this decision.
 */
const char *recovery_start_reason(const struct recovery_input *in, bool became_leader);

/* The generation a recovery starts with: max(own, every known node's) + 1, never 0. */
uint32_t recovery_next_generation(const struct recovery_input *in);

/* Leader: every member of the snapshot announced the recovery's generation as recovering. */
bool recovery_acknowledged(const struct recovery_input *in);

/*
 * Leader: the current recovery is over. The databases are recovered (the VnnMap
 * is empty: no dbd anywhere; or the dbd coordinator reported the generation
 * recovered) and every member acknowledged it, or its acknowledgement deadline
 * passed (a member that mirrors another leader for a moment must not wedge the
 * cluster in Recovering once the databases are done).
 */
bool recovery_may_finish(const struct recovery_input *in);

/* What a leader makes of the dbd coordinator's RECOVERED(generation, error). */
enum recovery_report {
        RECOVERY_REPORT_IGNORE, /* not recovering, or for another generation */
        RECOVERY_REPORT_DONE,   /* the databases of the current recovery are recovered */
        RECOVERY_REPORT_FAILED, /* they are not: a new recovery with a new generation */
};
enum recovery_report recovery_db_report(const struct recovery_input *in, uint32_t generation, int32_t error);

/* What a follower makes of its leader's last announcement. */
struct recovery_follow {
        bool adopt;                     /* false: keep everything as it is */
        uint32_t generation;
        bool recovering;
        bool finish_previous;           /* a recovery of ours ends first (RecoveryFinished) */
        bool start;                     /* a recovery of generation starts (RecoveryStarted) */
};

/*
 * Follower of leader (announced, connected): adopt its generation unless that is
 * behind ours (generations never go back on a node) and mirror its recovery.
 */
void recovery_follow_leader(const struct recovery_input *in, uint32_t leader, struct recovery_follow *ret);
