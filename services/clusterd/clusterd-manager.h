#pragma once

/*
 * The state of ctdb-clusterd: its view of every configured node, its own flags,
 * the election result, generation and recovery, and its connection to the local
 * tunneld (common/dp-client). The pure rules are clusterd-election.c and
 * clusterd-recovery.c; controls and bans are clusterd-control.c, announcements
 * clusterd-announce.c, and clusterd-bus.c publishes this struct on the bus.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-util.h"
#include "clusterd-announce.h"
#include "clusterd-election.h"
#include "clusterd-etcd-http.h"
#include "clusterd-etcd.h"
#include "clusterd-lock.h"
#include "clusterd-recovery.h"
#include "clusterd-wire.h"

struct bus_name_watch;
struct bus_properties_watch;
struct ctdb_config;
struct ctdb_nodes;
struct dp_client;
struct peer_requests;

#define USEC_PER_SEC 1000000ULL

/* Timings (microseconds); docs/architecture.md says why each is what it is. */
#define CLUSTERD_LOCK_RETRY_USEC   (200 * 1000ULL)
#define CLUSTERD_CONTROL_TIMEOUT_USEC (5 * 1000 * 1000ULL)
#define CLUSTERD_RECOVERY_ACK_TIMEOUT_USEC (5 * 1000 * 1000ULL)
/* Controls forwarded to other nodes and waiting for their answer. */
#define CLUSTERD_CONTROLS_MAX 256u

/* pub_flags of a slot that ReloadNodes added: its object is not announced yet. */
#define CLUSTERD_PUB_NEW UINT32_MAX

/* One configured slot as this node sees it. */
struct clusterd_node {
        struct clusterd_manager *manager;
        uint32_t pnn;
        bool deleted;
        char *address;          /* NULL when deleted */
        bool connected;         /* tunneld's link is up */
        bool known;             /* announced since the link came up */
        /* last announcement */
        uint32_t flags;
        uint32_t capabilities;
        uint32_t generation;
        uint32_t leader;
        uint32_t vote;
        bool recovering;
        uint32_t ban_left;
        uint32_t *vnnmap;       /* its VnnMap (talloc, on the node table), n_vnnmap pnns */
        uint32_t n_vnnmap;
        char *health;           /* the units that make it unhealthy (talloc, on the node table), or NULL */
        bool health_changed;    /* health differs from what the bus last said */
        /* what was last published on the bus, to emit only changes */
        uint32_t pub_flags;             /* CLUSTERD_PUB_NEW: added by ReloadNodes, not announced yet */
        uint32_t pub_ban_left;
};

typedef struct clusterd_manager {
        sd_event *event;
        sd_bus *bus;
        struct ctdb_config *config;
        char *nodes_path;

        struct clusterd_node *nodes;    /* talloc array, index == pnn */
        uint32_t n_nodes;
        uint32_t self;                  /* CTDB_PNN_NONE until tunneld told us */
        /* the pure rules' inputs, one per slot, kept so that deciding never allocates */
        struct election_node *election_in;
        struct recovery_node *recovery_in;

        /* this node */
        uint32_t flags;                 /* own flags (never DISCONNECTED) */
        uint32_t capabilities;
        uint64_t ban_until;             /* CLOCK_MONOTONIC usec, 0 if not banned */
        uint32_t ban_left;
        sd_event_source *ban_timer;

        /* election */
        enum election_backend backend;
        cluster_lock *lock;             /* fcntl backend only */
        /* etcd backend only: the session (from the first connection to tunneld, which says
         * who we are), its carrier, its timer, and a deferred re-decision on its news */
        etcd_session *etcd;
        uint32_t etcd_self; /* the pnn it was started for */
        etcd_http *etcd_http;
        sd_event_source *etcd_timer;
        sd_event_source *etcd_defer;
        bool etcd_changed;
        uint64_t lock_last_try;
        int lock_last_error; /* of the last failed attempt, logged once until it changes */
        bool quorate;
        uint32_t leader;
        uint32_t vote;
        uint32_t generation;
        bool recovering;
        uint32_t recovery_generation;   /* the generation the current recovery is for */
        bool *active_snapshot;          /* leader: members at the last recovery */
        sd_event_source *recovery_timer; /* leader: the acknowledgement deadline */
        bool ack_expired;       /* leader: it passed for the current recovery */
        uint32_t *vnnmap;       /* VnnMap (talloc), n_vnnmap pnns in lmaster order */
        uint32_t n_vnnmap;
        bool db_recovered;      /* leader: the dbd coordinator reported the recovery done */
        sd_event_source *db_timer; /* leader: deadline for that report (clusterd-db.c) */
        struct bus_name_watch *dbd_watch; /* following org.ctdb.db1's owner */
        /* This node's health from ctdb-monitord (clusterd-health.c). */
        struct bus_properties_watch *monitord_watch;
        char *health_units;     /* the units that make it unhealthy, NULL when healthy */

        /* tunneld */
        struct dp_client *tunnel;
        uint8_t last_announce[CLUSTERD_STATE_MSG_MAX]; /* the last state sent, to announce only changes */
        size_t last_announce_len;       /* 0: nothing sent on this connection yet */
        sd_event_source *announce_timer;
        sd_event_source *lock_timer;

        /* D-Bus */
        struct peer_requests *controls; /* forwarded controls waiting for the target */
        polkit_registry *polkit;
        bool ready;

        /* published on the bus (to emit PropertiesChanged only on change) */
        bool pub_valid;
        uint32_t pub_self, pub_leader, pub_generation;
        bool pub_quorate, pub_recovering;
        uint32_t *pub_vnnmap;   /* talloc copy */
        uint32_t pub_n_vnnmap;
} clusterd_manager;

/*
 * config is stolen onto the manager; nodes is copied into the node table and
 * freed. The tunnel socket is $CTDB_TUNNEL_SOCKET, else [paths] runtime
 * directory/tunnel.sock. Logs its failures.
 */
int clusterd_manager_new(void *mem_ctx, sd_event *event, sd_bus *bus, struct ctdb_config *config,
                         struct ctdb_nodes *nodes, const char *nodes_path, clusterd_manager **ret);
void clusterd_manager_free(clusterd_manager *m);

/* Starts the timers and the first connection attempt to tunneld. */
int clusterd_manager_start(clusterd_manager *m);

/* The flags of pnn as this node sees it (DISCONNECTED/DELETED included). */
uint32_t clusterd_manager_node_flags(const clusterd_manager *m, uint32_t pnn);
uint32_t clusterd_manager_node_ban_left(const clusterd_manager *m, uint32_t pnn);

/*
 * Method actions, called after validation and polkit. They reply to call
 * themselves (now, or when the target node answers) and return 1, or return a
 * negative errno with error set (the caller replies with it).
 */
int clusterd_manager_control(clusterd_manager *m, sd_bus_message *call, uint32_t op, uint32_t target,
                             uint32_t arg, sd_bus_error *error);
int clusterd_manager_reload_nodes(clusterd_manager *m, sd_bus_error *error);

/* ---- for the other clusterd modules ---- */

/* A slot that exists and is not deleted. */
bool clusterd_manager_pnn_valid(const clusterd_manager *m, uint32_t pnn);
uint64_t clusterd_manager_now(const clusterd_manager *m);
bool clusterd_manager_connected(const clusterd_manager *m);
/* Runs the election and the recovery rules on the current view, publishes and announces changes. */
void clusterd_manager_update(clusterd_manager *m);
/* The recovery rules' input for the current view (pointing into m; valid until the next change). */
void clusterd_manager_recovery_input(clusterd_manager *m, struct recovery_input *in);
/* Leader: starts a recovery with a new generation (and VnnMap); logs why. */
void clusterd_manager_recovery_start(clusterd_manager *m, const char *why);
/* A clusterd message (the data of a MESSAGE for CTDB_SRVID_CLUSTERD) from node src; malformed ones are
 * logged. */
void clusterd_manager_receive(clusterd_manager *m, uint32_t src, const uint8_t *data, size_t len);
/*
 * wire_inner_dispatch() of data from node src on srvid to m's handlers of table;
 * an unknown kind is logged at debug (a newer minor version), a malformed message
 * as a warning naming what ("clusterd", "database recovery").
 */
void clusterd_manager_dispatch(clusterd_manager *m, const char *what, const struct wire_handler *table,
                               size_t n_table, void *mem_ctx, uint32_t src, uint64_t srvid,
                               const uint8_t *data, size_t len);
/* Sends one clusterd message to dst; -ENOTCONN without tunneld, -EAGAIN when its socket is full. */
int clusterd_manager_send(clusterd_manager *m, uint32_t dst, const struct wire_desc *desc, const void *msg);
