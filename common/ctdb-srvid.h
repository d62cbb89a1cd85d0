#pragma once

/*
 * The srvids and tunnel ids ctdb-remix uses itself; the top byte 0xF0 is
 * reserved for them (applications' srvids, Samba's among them, never use it).
 * Not part of libctdb-client's public API.
 */

#include <stdint.h>

/* srvid messages (fan out to every local process registered). */
#define CTDB_SRVID_CLUSTERD     UINT64_C(0xF000000000000001)
#define CTDB_SRVID_BENCH_RING   UINT64_C(0xF000000000000100)
#define CTDB_SRVID_BENCH_DETECT UINT64_C(0xF000000000000101)
/* dbd's recovery coordinator -> the leader's clusterd (common/db-proto.h). */
#define CTDB_SRVID_DB_RECOVERY  UINT64_C(0xF000000000000002)

/* Tunnel ids (one owner per node). */
#define CTDB_TUNNEL_DBD         UINT64_C(0xF000000000010001)
#define CTDB_TUNNEL_IPD         UINT64_C(0xF000000000010002)
