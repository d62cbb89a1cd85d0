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
