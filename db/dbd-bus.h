#pragma once

/*
 * org.ctdb.db1's glue beyond dbd-internal.h's dbd_bus_add()/dbd_bus_db_added():
 * what the rest of the daemon calls when a database's published state changes
 * other than through a D-Bus method (a recovery that brings the flags of
 * another node's SetReadOnly/SetSticky).
 */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "dbd-manager.h"

/* Keys() answers at most this many keys, and at most this many bytes of them (the bus's message limit). */
#define DBD_BUS_KEYS_MAX       100000u
#define DBD_BUS_KEYS_BYTES_MAX (16u * 1024u * 1024u)

/* PropertiesChanged for ReadOnly and/or Sticky if they differ from old_flags
 * (DBD_DB_READONLY|DBD_DB_STICKY). */
void dbd_bus_db_flags_changed(dbd_manager *m, dbd_db *db, uint32_t old_flags);

/* Transaction(): at most this many records (stores and deletes together) in one call. */
#define DBD_BUS_TXN_RECORDS_MAX 10000u
/* PropertiesChanged for SeqNum at most this often (it may change thousands of times a second). */
#define DBD_BUS_SEQNUM_USEC (100u * 1000u)

/* ---- between dbd-bus.c and dbd-bus-txn.c --------------------------------- */

struct dbd_bus_seqnum;

struct dbd_bus {
        dbd_manager *m;
        sd_bus *bus;
        polkit_registry *polkit;
        sd_bus_slot *manager_slot, *db_slot, *enumerator_slot, *object_manager_slot;
        struct dbd_bus_seqnum *seqnum; /* dbd-bus-txn.c */
};

/* A call answered later: owns a ref of the call until it is answered or the bus glue goes. */
struct dbd_bus_op {
        struct dbd_bus *b;
        sd_bus_message *call;
        char *db_name; /* for the messages */
};

/* The database of a call on its object, or NULL with NotFound set. */
dbd_db *dbd_bus_call_db(struct dbd_bus *b, sd_bus_message *call, sd_bus_error *error);
/*
 * polkit's answer for action, then the op that will answer the call (a talloc
 * context for what the operation needs): 1 with *ret set (act now), 0 while
 * polkit is asked (the call comes again), or an error.
 */
int dbd_bus_op_authorize(struct dbd_bus *b, sd_bus_message *call, dbd_db *db, const char *action,
                         struct dbd_bus_op **ret, sd_bus_error *error);
/* After starting an operation on op with result r: 1 (answered from done), or r as a D-Bus error. */
int dbd_bus_op_started(struct dbd_bus_op *op, int r, sd_bus_error *error);
/* Answers op's call (error < 0: as the D-Bus error of that errno; else reply, or an empty return). */
void dbd_bus_op_reply(struct dbd_bus_op *op, int error, sd_bus_message *reply);
/* Answers op's call with e. Both free op. */
void dbd_bus_op_reply_error(struct dbd_bus_op *op, const sd_bus_error *e);
/* Fetch's answer: the value, or error. */
void dbd_bus_on_value(void *userdata, int error, const uint8_t *value, size_t len);

/* ---- dbd-bus-txn.c ---------------------------------------------------------- */

/* Transaction(a(ayay) store, aay delete) on a database's object. */
int dbd_bus_method_transaction(sd_bus_message *call, void *userdata, sd_bus_error *error);
/* Commits writes (pointing into op's call) as one transaction; returns as dbd_bus_op_started(). */
int dbd_bus_commit(struct dbd_bus_op *op, dbd_db *db, const struct dbd_txn_write *writes, size_t n,
                   sd_bus_error *error);
/* Fetch on a persistent or replicated database: this node's own full copy answers; returns 1. */
int dbd_bus_fetch_copy(struct dbd_bus_op *op, dbd_db *db, const uint8_t *key, size_t len);
/* The SeqNum signals' state, a talloc child of b. */
int dbd_bus_seqnum_new(struct dbd_bus *b);
