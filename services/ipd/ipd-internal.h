#pragma once

/*
 * The state of ctdb-ipd, shared by its modules:
 *   ipd-manager.c   the manager: config, clusterd's view, the tunnel to the
 *                   other ipds, every node's STATE, the cluster's addresses
 *   ipd-takeover.c  the leader's takeover run (release, take, done) and the
 *                   forwarded Move/Rebalance
 *   ipd-node.c      this node's side: adding and removing addresses, the
 *                   announcements, interface state, tickles and resets
 *   ipd-conns.c     the tracked connections of what this node holds
 *   ipd-bus.c       org.ctdb.ipfailover1
 */

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cluster-view.h"
#include "ipd-wire.h"
#include "nf-tickle.h"

struct ctdb_config;
struct ctdb_nodes;
struct ctdb_public_address;
struct ctdb_public_addresses;
struct daemon_context;
struct dp_client;
struct ipd_bus;
struct ipd_lb;
struct ipd_natgw;
struct nf_link_monitor;
struct nf_log;
struct peer_requests;
struct peer_request;

#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC 1000000ULL

/*
 * The accuracy of every timer of ipd's: sd-event's default (0 asks for it)
 * lets a timer fire up to 250 ms late, which a 5 ms probe round or a 30 ms
 * reset wait cannot take.
 */
#define IPD_TIMER_ACCURACY_USEC (1 * USEC_PER_MSEC)

/* CTDB's announcement: three rounds (CTDB_ARP_REPEAT), 1.1 s apart (ctdb_takeover.c). */
#define IPD_ANNOUNCE_ROUNDS 3u
#define IPD_ANNOUNCE_INTERVAL_USEC (1100 * USEC_PER_MSEC)
/* How long a phase of a takeover run waits for every node's answer. */
#define IPD_PHASE_TIMEOUT_USEC (5 * USEC_PER_SEC)
/* A failed run is tried again after this. */
#define IPD_RETRY_USEC (1 * USEC_PER_SEC)
/* ARP probes before a take: how long a round waits for answers, and the rounds at most (ipd-node.c). */
#define IPD_PROBE_ROUND_USEC (5 * USEC_PER_MSEC)
#define IPD_PROBE_ROUNDS 40u
/* Releasing keeps a reset address this long after the tickles, for the clients' answers. */
#define IPD_RESET_WAIT_USEC (30 * USEC_PER_MSEC)
/* How often the tracked connections are read from the nftables table. */
#define IPD_CONNS_POLL_USEC (200 * USEC_PER_MSEC)
/* Attempts at removing an address before the node steps out of hosting it. */
#define IPD_RELEASE_ATTEMPTS 3u
#define IPD_REQUESTS_MAX 64u
/* Move/Rebalance calls the leader queues for its next run, at most. */
#define IPD_WAITERS_MAX 256u
/* Connections of other nodes' addresses kept here, in all (56 bytes each). */
#define IPD_MAX_KNOWN_CONNS (256u * 1024u)
#define IPD_REQUEST_TIMEOUT_USEC (30 * USEC_PER_SEC)
/* The first runs wait this long at most for the other nodes' STATEs (ipd-takeover.c). */
#define IPD_STARTUP_WAIT_USEC (2 * USEC_PER_SEC)

typedef struct ipd_manager ipd_manager;

/* The link state of an interface, as last read (ipd-node.c's cache). */
struct ipd_iface {
        char name[IF_NAMESIZE];
        bool up;
};

struct ipd_conn {
        union nf_sockaddr client;
        union nf_sockaddr server;
};

/* One public address of the cluster as this node knows it. */
struct ipd_addr {
        struct ctdb_ip ip;
        /* This node's public_addresses entry for it, or NULL. */
        const struct ctdb_public_address *conf;
        /* The node that says it holds it (its own STATE), CTDB_PNN_NONE for none. */
        uint32_t holder;

        /* This node's side (ipd-node.c). */
        bool held;                      /* on ifname here */
        bool stuck;                     /* removing it failed IPD_RELEASE_ATTEMPTS times */
        char ifname[IF_NAMESIZE];
        unsigned release_failures;
        unsigned rounds;                /* announcement rounds sent since the takeover */
        sd_event_source *announce;
        /* Connections its holder tracks (CONNS), to tickle when this node takes it over. */
        struct ipd_conn *known;
        size_t n_known;
        /* Connections this node tracks while it holds it (sorted), as sent to the others. */
        struct ipd_conn *tracked;
        size_t n_tracked;
        /* New ones the others have not heard of yet (from the SYN-ACK log). */
        struct ipd_conn *added;
        size_t n_added;
};

/* Another node's ipd as its STATE told (or this node's own, at index pnn). */
struct ipd_peer {
        bool connected;                 /* tunneld's link is up (always for this node) */
        bool known;                     /* a STATE arrived since the link came up */
        uint32_t seq;
        uint32_t n_addrs;
        struct ipd_wire_addr *addrs;    /* talloc'd on the peer table */
};

struct ipd_run;
struct take_wait;

struct ipd_manager {
        sd_event *event;
        sd_bus *bus;
        struct ctdb_config *config;
        char *config_dir;
        struct ctdb_nodes *nodes;
        struct ctdb_public_addresses *public;
        struct ipd_bus *bus_state;
        struct cluster_view_watch *view_watch;
        struct cluster_view view;       /* a copy; vnnmap and flags arrays owned here */
        bool view_known;
        struct dp_client *dp;
        struct peer_requests *requests;
        bool ready;
        bool disabled;                  /* [failover] disabled */
        bool release_at_exit;           /* a daemon that started on the kernel (not the tests' manager) */

        uint32_t pnn;                   /* CTDB_PNN_NONE until tunneld tells */
        uint32_t n_nodes;
        struct ipd_peer *peers;         /* n_nodes */
        uint32_t state_seq;

        /* Every address any node has, sorted (ctdb_ip_compare). */
        struct ipd_addr **addrs;
        size_t n_addrs;

        /* This node (ipd-node.c). */
        struct nf_link_monitor *links;
        struct ipd_iface *ifaces;       /* interfaces asked about since the last link change */
        size_t n_ifaces;
        sd_event_source *links_event, *conns_timer, *state_defer, *log_event, *added_defer;
        struct nf_log *log;
        int announce_fd, probe_fd;
        struct take_wait *take_wait;    /* a take phase probing its addresses (ipd-node.c) */
        bool stepped_out;               /* not quorate: holds nothing */
        struct ipd_lb *lb;
        struct ipd_natgw *natgw;

        /* The leader's takeover runs (ipd-takeover.c). */
        struct ipd_run *run;
        uint32_t run_id;
        uint32_t runs_led;
        uint32_t last_generation;       /* of the last run that succeeded, 0: none */
        uint32_t *last_flags;           /* the node flags that run saw (n_last_flags) */
        uint32_t n_last_flags;
        bool rerun, rebalance, retry_pending;
        sd_event_source *run_defer, *retry_timer, *startup_timer;
        uint64_t started_usec;          /* CLOCK_MONOTONIC */
        bool startup_over;
        /* Move pins: address -> pnn for the next run (a talloc array). */
        struct ipd_wire_assign *moves;
        size_t n_moves;
        /* Move/Rebalance calls waiting for the run that serves them. */
        struct ipd_waiter *waiters;
        unsigned n_waiters;
};

/* ipd-manager.c */
int ipd_manager_new(void *mem_ctx, struct daemon_context *d, ipd_manager **ret);
int ipd_manager_start(ipd_manager *m);
/*
 * Reads public_addresses again (Reload, SIGHUP); with config (SIGHUP), also its
 * [failover] no ip failback and no ip takeover. A refused reload changes nothing.
 */
int ipd_manager_reload(ipd_manager *m, const struct ctdb_config *config, char **ret_error);
/* Frames from another node's ipd (the tunnel's handler; the fuzzer's entry). */
int ipd_manager_receive(ipd_manager *m, uint32_t src, const uint8_t *data, size_t len);
/*
 * For the unit tests and fuzzers: a manager of node pnn of n_nodes, every link
 * up, without tunneld (sending fails), bus, kernel or clusterd; disabled, so
 * a takeover run's phases change nothing on this machine.
 */
int ipd_manager_new_testing(void *mem_ctx, sd_event *event, struct ctdb_config *config, uint32_t pnn,
                            uint32_t n_nodes, ipd_manager **ret);
int ipd_send(ipd_manager *m, uint32_t pnn, const struct wire_desc *desc, const void *msg);
/* Sends this node's STATE to pnn (CTDB_PNN_ALL: everyone) after the current event. */
void ipd_state_changed(ipd_manager *m);
/* The same at once: a phase's answer follows the STATE it caused, so the leader sees both in order. */
void ipd_state_send_now(ipd_manager *m);
int ipd_send_state(ipd_manager *m, uint32_t pnn);
/* The index in m->addrs of a, or -ENOENT; the object for a, or NULL. */
int ipd_addr_index(const ipd_manager *m, const struct ctdb_ip *a);
struct ipd_addr *ipd_addr_find(ipd_manager *m, const struct ctdb_ip *a);
/* Rebuilds m->addrs from this node's config and every peer's STATE. */
int ipd_addrs_update(ipd_manager *m);
bool ipd_is_leader(const ipd_manager *m);
/* Node flags as clusterd has them (DISCONNECTED for a slot it does not list). */
uint32_t ipd_node_flags(const ipd_manager *m, uint32_t pnn);

/* ipd-takeover.c */
extern const struct wire_handler ipd_takeover_handlers[];
extern const size_t ipd_takeover_n_handlers;
/* Asks for a takeover run soon (coalesced); a no-op unless this node leads. */
void ipd_takeover_schedule(ipd_manager *m, const char *reason);
/* Whether what changed (view, flags, a STATE) calls for a run; schedules it. */
void ipd_takeover_check(ipd_manager *m);
/*
 * Where every address would go for node flags (n_flags of them; NULL: clusterd's), from the
 * STATEs known here, with pins (moves) applied and, with rebalance, every node a candidate.
 * ret_pnn[i] is for m->addrs[i]. 0 or negative errno.
 */
int ipd_takeover_plan(ipd_manager *m, const uint32_t *flags, uint32_t n_flags, bool rebalance,
                      const struct ipd_wire_assign *moves, size_t n_moves, uint32_t *ret_pnn);
typedef void (*ipd_request_done_fn)(void *userdata, int error, const char *error_name, const char *message);
/* Move (op IPD_OP_MOVE) or Rebalance here if leader, else at the leader; done once it is over. */
int ipd_takeover_request(ipd_manager *m, uint32_t op, const struct ctdb_ip *a, uint32_t pnn,
                         ipd_request_done_fn done, void *userdata);
void ipd_takeover_link_down(ipd_manager *m, uint32_t pnn);
void ipd_takeover_free(ipd_manager *m);

/* ipd-node.c */
extern const struct wire_handler ipd_node_handlers[];
extern const size_t ipd_node_n_handlers;
int ipd_node_start(ipd_manager *m);
void ipd_node_stop(ipd_manager *m);
/* Whether an interface for a is up here. */
bool ipd_node_available(ipd_manager *m, const struct ipd_addr *a);
/* Removes a from this node (reset, delete); 0 or negative errno (it stays held, retried). */
int ipd_node_release(ipd_manager *m, struct ipd_addr *a);
/* Releases everything this node holds (not quorate, stop). */
void ipd_node_release_all(ipd_manager *m, const char *why);
/* The view changed: step out when not quorate, back in when quorate. */
void ipd_node_view_changed(ipd_manager *m);
/* A phase of a run for this node; returns the status for the reply (0 or negative errno). */
int ipd_node_run_phase(ipd_manager *m, const struct ipd_run_msg *run, char *why, size_t why_len);
/* ExecStopPost=: removes every configured public address from this namespace, and the table. */
int ipd_release_all_offline(const char *config_dir, const struct ctdb_nodes *nodes);

/* ipd-conns.c */
extern const struct wire_handler ipd_conns_handlers[];
extern const size_t ipd_conns_n_handlers;
int ipd_conns_start(ipd_manager *m);
void ipd_conns_stop(ipd_manager *m);
/*
 * A client connection to a public address this node holds, from the SYN-ACK
 * log or a client's word (TrackConnection, smbd's TCP_CLIENT): tracked, and
 * the other nodes told of it at once: 1, or 0 if it was known already, -ENOENT if
 * this node does not hold the address, -ENOBUFS at IPD_MAX_CONNS.
 */
int ipd_conns_track(ipd_manager *m, const union nf_sockaddr *server, const union nf_sockaddr *client);
/* Sends this node's tracked connections of every address it holds to pnn. */
void ipd_conns_send_all(ipd_manager *m, uint32_t pnn);

/* ipd-bus.c */
int ipd_bus_add(ipd_manager *m, sd_bus *bus);
void ipd_bus_addresses_changed(ipd_manager *m);
void ipd_bus_emit(ipd_manager *m, const char *signal, const struct ctdb_ip *a, uint32_t pnn);
void ipd_bus_emit_failed(ipd_manager *m, const struct ctdb_ip *a, const char *op, const char *message);
