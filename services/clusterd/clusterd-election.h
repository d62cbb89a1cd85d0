#pragma once

/*
 * Membership and leader election of ctdb-clusterd, as pure logic: no I/O, no
 * clocks. The manager fills an election_input with what it knows (configured
 * slots, which peers tunneld says are connected, what each peer announced last,
 * whether this node holds the fcntl lock) and election_decide() says what this
 * node should believe and do. The rules are described in docs/architecture.md,
 * "Membership and leader".
 */

#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

#include "wire.h"

#include "ctdb-node.h"

/* One configured slot as this node sees it. */
struct election_node {
        bool deleted;           /* slot kept but not a member (not counted in N) */
        bool connected;         /* tunneld's link is up (always true for this node) */
        bool known;             /* announced at least once since the link came up */
        uint32_t flags;         /* announced flags (this node: its own), DISCONNECTED ignored */
        uint32_t capabilities;  /* announced CTDB_NODE_CAP_* */
        uint32_t leader;        /* who it says is leader (itself = it claims leadership) */
        uint32_t vote;          /* whom it votes for, CTDB_PNN_NONE if nobody */
        bool member;            /* etcd: its member key is there (its lease lives) */
};

enum election_backend {
        ELECTION_QUORUM,
        ELECTION_FCNTL,
        ELECTION_ETCD,
};

struct election_input {
        enum election_backend backend;
        uint32_t self;                  /* this node's pnn, < n_nodes */
        uint32_t n_nodes;               /* slots, deleted included */
        const struct election_node *nodes; /* index == pnn */
        bool lock_held;                    /* fcntl: this node holds the lock; etcd: the leader key */
        bool lock_alive;                   /* etcd: this node's lease is confirmed within its TTL */
        uint32_t lock_holder;              /* etcd: the pnn the leader key names, CTDB_PNN_NONE if none */
};

enum election_lock_action {
        ELECTION_LOCK_NONE,    /* keep things as they are */
        ELECTION_LOCK_TRY,     /* try to take the lock (the answer comes later) */
                               /* etcd: campaign for the leader key while it is free */
        ELECTION_LOCK_RELEASE, /* give the lock up now */
};

struct election_result {
        uint32_t n_active;              /* N: configured slots that are not deleted */
        uint32_t partition;             /* this node + connected, non-deleted peers */
        bool quorate;
        uint32_t vote;                  /* this node's vote, CTDB_PNN_NONE if none */
        uint32_t leader;                /* leader in this node's view, CTDB_PNN_NONE if none */
        bool is_leader;                 /* leader == self */
        enum election_lock_action lock_action;
};

/* True if a node with these flags/capabilities may become leader. */
bool election_node_eligible(const struct election_node *n);

/* Decides; in->self must be a non-deleted slot. Returns 0 or -EINVAL on bad input. */
int election_decide(const struct election_input *in, struct election_result *ret);
