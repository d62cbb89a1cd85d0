#pragma once

/*
 * ctdb-ipd's messages between nodes: inner messages (common/wire.h) on the
 * tunnel CTDB_TUNNEL_IPD, each kind described once by a struct wire_desc table.
 *
 * STATE: a node's public addresses, whether it could host each (an interface
 *   up), which it holds; to all on every change and to a peer that appears.
 * RUN: the leader's takeover run, one phase at a time (release, take, done),
 *   with the whole allocation; RUN_REPLY answers each phase.
 * CONNS: the client connections of one address its holder tracks, to all on change
 *   (each new one at once, as an ADD; the whole list when one went).
 * REQUEST / REPLY: Move and Rebalance called on a node that is not the leader.
 */

#include <stddef.h>
#include <stdint.h>

#include "ip-address.h"
#include "wire.h"

#define IPD_MSG_KINDS(X)                                                                                \
        X(STATE, 1, ipd_state_desc)                                                                     \
        X(RUN, 2, ipd_run_desc)                                                                         \
        X(RUN_REPLY, 3, ipd_run_reply_desc)                                                             \
        X(CONNS, 4, ipd_conns_desc)                                                                     \
        X(REQUEST, 5, ipd_request_desc)                                                                 \
        X(REPLY, 6, ipd_reply_desc)

enum ipd_msg_kind {
#define IPD_MSG_ENUM_(name, value, desc) IPD_MSG_##name = (value),
        IPD_MSG_KINDS(IPD_MSG_ENUM_)
#undef IPD_MSG_ENUM_
};

/* Bounds on what a peer makes us allocate. */
#define IPD_MAX_ADDRESSES 4096u
#define IPD_MAX_CONNS 16384u
#define IPD_MAX_MESSAGE 512u

/* An address on the wire: family 4 or 6, the address bytes, its prefix length. */
struct ipd_wire_ip {
        uint8_t family;
        uint8_t prefixlen;
        uint8_t bytes[16];
};

/* STATE entry flags. */
enum {
        IPD_ADDR_AVAILABLE = 1u << 0,   /* an interface for it is up here */
        IPD_ADDR_HELD = 1u << 1,        /* on an interface here */
        IPD_ADDR_STUCK = 1u << 2,       /* releasing it failed: it must stay here */
};

struct ipd_wire_addr {
        struct ipd_wire_ip ip;
        uint32_t flags;
};

struct ipd_state_msg {
        uint32_t pnn;
        uint32_t seq;                   /* rises with every change */
        uint32_t n_addrs;
        struct ipd_wire_addr *addrs;
};

enum ipd_phase {
        IPD_PHASE_RELEASE = 1,          /* drop what is assigned elsewhere */
        IPD_PHASE_TAKE = 2,             /* add what is assigned here */
        IPD_PHASE_DONE = 3,             /* ipreallocated: the run is over (no reply) */
};

struct ipd_wire_assign {
        struct ipd_wire_ip ip;
        uint32_t pnn;                   /* CTDB_PNN_NONE: nowhere */
};

struct ipd_run_msg {
        uint32_t id;                    /* the leader's run number */
        uint32_t phase;
        uint32_t generation;            /* clusterd's generation the run is for */
        uint32_t n_assign;
        struct ipd_wire_assign *assign;
};

struct ipd_run_reply_msg {
        uint32_t id;
        uint32_t phase;
        uint32_t status;                /* 0, or a positive errno: some address failed */
        uint32_t message_len;
        char *message;
};

struct ipd_wire_conn {
        uint8_t family;                 /* of both ends */
        uint8_t pad;
        uint16_t client_port;
        uint16_t server_port;
        uint8_t client[16];
        uint8_t server[16];
};

enum {
        IPD_CONNS_ADD = 1u << 0,        /* new connections: add them (else the list is the whole list) */
};

struct ipd_conns_msg {
        struct ipd_wire_ip ip;
        uint32_t flags;
        uint32_t n_conns;
        struct ipd_wire_conn *conns;
};

enum ipd_request_op {
        IPD_OP_MOVE = 1,
        IPD_OP_REBALANCE = 2,
};

struct ipd_request_msg {
        uint32_t id;
        uint32_t op;
        struct ipd_wire_ip ip;          /* MOVE */
        uint32_t pnn;                   /* MOVE */
};

struct ipd_reply_msg {
        uint32_t id;
        uint32_t status;                /* 0 or a positive errno */
        uint32_t error_name_len;
        char *error_name;
        uint32_t message_len;
        char *message;
};

extern const struct wire_desc ipd_state_desc;
extern const struct wire_desc ipd_run_desc;
extern const struct wire_desc ipd_run_reply_desc;
extern const struct wire_desc ipd_conns_desc;
extern const struct wire_desc ipd_request_desc;
extern const struct wire_desc ipd_reply_desc;

const struct wire_desc *ipd_msg_desc_by_kind(uint16_t kind);
const char *ipd_msg_kind_to_string(uint16_t kind);

/* Between struct ctdb_ip and the wire; from the wire -EBADMSG for a bad family or prefix. */
void ipd_wire_ip_set(struct ipd_wire_ip *w, const struct ctdb_ip *a);
int ipd_wire_ip_get(const struct ipd_wire_ip *w, struct ctdb_ip *ret);
