#pragma once

/*
 * The tunnel daemon's state: configuration, this node's pnn, one link per peer,
 * the local socket and the routing of messages between links, local clients and
 * D-Bus registrants. One manager per process; it is the talloc root of all of it.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-util.h"
#include "common/config.h"
#include "wire.h"

struct link;
struct conn;
struct tunneld_local;
struct bus_registry;

/* Pending (not yet authenticated) incoming connections at any one time. */
#define MANAGER_PENDING_MAX 64u
/* Channels this node is setting up (tunneld-channel.h) at any one time. */
#define MANAGER_CHANNELS_MAX 64u

struct tunneld_manager {
        sd_event *event;
        sd_bus *bus; /* NULL until tunneld_bus_attach() */

        struct ctdb_config *config;
        struct ctdb_nodes *nodes;
        char *nodes_path; /* for ReloadNodes; NULL: cannot reload */
        uint32_t pnn;

        uint8_t *psk; /* pre-shared key, NULL = no challenge */
        size_t psk_len;

        struct link **links; /* [nodes->n_nodes], NULL for self and deleted slots */

        int listen_fd;
        sd_event_source *listen_source;
        struct conn *pending; /* incoming connections before HELLO/AUTH completed */
        unsigned n_pending;
        struct conn *channels; /* channel connections we opened, until handed over */
        unsigned n_channels;

        struct tunneld_local *local;
        struct bus_registry *bus_registry;
        polkit_registry *polkit_registry;

        /* While > 0, link sends are only queued; tunneld_manager_uncork() writes them. */
        unsigned cork;

        /* One timer for the heartbeats and receive deadlines of every up link (tunneld-link.c). */
        sd_event_source *heartbeat_timer;
        uint64_t next_tick_usec; /* CLOCK_MONOTONIC of the next heartbeat tick */

        uint64_t bad_frames;
        uint64_t rejected_peers;

        /* Journal rate limit for refused peers: a connection flood must not flood the journal. */
        uint64_t reject_log_window_usec;
        unsigned reject_log_count;
        unsigned reject_log_suppressed;
};

/*
 * Creates the manager on mem_ctx from loaded configuration (config and nodes are
 * reparented to it; nodes_path, NULL if there is none, is copied for ReloadNodes).
 * Finds this node's pnn and loads config->psk_file if set. Nothing is opened yet.
 * Logs its failures.
 */
int tunneld_manager_new(void *mem_ctx, sd_event *event, struct ctdb_config *config, struct ctdb_nodes *nodes,
                        const char *nodes_path, struct tunneld_manager **ret);
/* Sets the pre-shared key (copied). */
int tunneld_manager_set_psk(struct tunneld_manager *m, const uint8_t *key, size_t len);

/* Opens the TCP listener and the local socket and starts connecting to peers; logs its failures. */
int tunneld_manager_start(struct tunneld_manager *m);

/*
 * This node's pnn from the nodes file: the configured "node address" if set,
 * else the first address that can be bound locally. -EADDRNOTAVAIL if none.
 */
int tunneld_manager_find_pnn(const struct ctdb_nodes *nodes, const char *node_address, uint32_t *ret_pnn);

/*
 * ReloadNodes: re-reads nodes_path. A new slot gets a link (connecting at once
 * where this side connects); a slot now deleted loses its link. What may change
 * is what ctdb_nodes_check_reload() allows; a refused reload changes nothing.
 * Fails with a D-Bus error in error.
 */
int tunneld_manager_reload_nodes(struct tunneld_manager *m, sd_bus_error *error);

/*
 * SIGHUP: the nodes file as ReloadNodes, then the heartbeat interval and
 * timeout of config (the next heartbeat and deadline of every link use them).
 */
int tunneld_manager_reload(struct tunneld_manager *m, const struct ctdb_config *config, sd_bus_error *error);

/* The link to pnn, or NULL for self, deleted or unknown slots. */
struct link *tunneld_manager_get_link(struct tunneld_manager *m, uint32_t pnn);

/*
 * Routes one MESSAGE (h->src, h->dst, h->srvid; payload is a packed, already
 * validated wire_message) coming from a local client or D-Bus: to the link of
 * h->dst, to every connected peer for CTDB_PNN_ALL, or locally for this pnn.
 * -ENOENT unknown pnn, -ENOTCONN link down, -ENOBUFS queue full.
 */
int tunneld_manager_send_message(struct tunneld_manager *m, const struct wire_header *h,
                                 const uint8_t *payload, size_t payload_len);

/* Delivers a message addressed to this node to local clients and D-Bus registrants. */
void tunneld_manager_deliver_local(struct tunneld_manager *m, const struct wire_header *h,
                                   const uint8_t *payload, size_t payload_len);

/* Called by the link layer. */
void tunneld_manager_link_changed(struct tunneld_manager *m, struct link *l, bool up);
void tunneld_manager_count_bad_frame(struct tunneld_manager *m);
void tunneld_manager_count_rejected_peer(struct tunneld_manager *m);

void tunneld_manager_uncork(struct tunneld_manager *m);

/* This node's HELLO (zero nonce; a link with a key puts its challenge in). */
void tunneld_manager_hello(struct tunneld_manager *m, struct wire_hello *ret);

/*
 * True if another refused-peer record may be logged now (at most
 * MANAGER_REJECT_LOG_BURST per MANAGER_REJECT_LOG_INTERVAL_USEC); the first
 * record after a suppressed stretch says how many were left out.
 */
#define MANAGER_REJECT_LOG_BURST 10u
#define MANAGER_REJECT_LOG_INTERVAL_USEC (10u * 1000u * 1000u)
bool tunneld_manager_reject_log_allowed(struct tunneld_manager *m);
