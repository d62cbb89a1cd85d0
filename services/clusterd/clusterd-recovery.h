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
};

/*
 * Leader: why a recovery must start now ("this node became leader", "the set of
 * active nodes changed", "a node announced a later generation"), or NULL.
 * became_leader says whether this node was not leader before this decision.
 */
const char *recovery_start_reason(const struct recovery_input *in, bool became_leader);

/* The generation a recovery starts with: max(own, every known node's) + 1, never 0. */
uint32_t recovery_next_generation(const struct recovery_input *in);

/* Leader: every member of the snapshot announced the recovery's generation as recovering. */
bool recovery_acknowledged(const struct recovery_input *in);

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
