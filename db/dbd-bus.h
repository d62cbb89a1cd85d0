#pragma once

/*
 * org.ctdb.db1's glue beyond dbd-internal.h's dbd_bus_add()/dbd_bus_db_added():
 * what the rest of the daemon calls when a database's published state changes
 * other than through a D-Bus method (a recovery that brings the flags of
 * another node's SetReadOnly/SetSticky).
 */

#include <stdint.h>

#include "dbd-manager.h"

/* Keys() answers at most this many keys, and at most this many bytes of them (the bus's message limit). */
#define DBD_BUS_KEYS_MAX       100000u
#define DBD_BUS_KEYS_BYTES_MAX (16u * 1024u * 1024u)

/* PropertiesChanged for ReadOnly and/or Sticky if they differ from old_flags
 * (DBD_DB_READONLY|DBD_DB_STICKY). */
void dbd_bus_db_flags_changed(dbd_manager *m, dbd_db *db, uint32_t old_flags);
