#pragma once

/*
 * The D-Bus contract's names (DESIGN.md sections 3 and 6) in one place: bus
 * names, object paths and interfaces of every daemon, the org.ctdb.Error.*
 * names and the polkit actions. Daemons, ctdbctl and the tests include this.
 */

#define TUNNELD_BUS_NAME      "org.ctdb.tunnel1"
#define TUNNELD_BUS_PATH      "/org/ctdb/tunnel1"
#define TUNNELD_BUS_INTERFACE "org.ctdb.tunnel1.Manager"

#define CLUSTERD_BUS_NAME      "org.ctdb.cluster1"
#define CLUSTERD_MANAGER_PATH  "/org/ctdb/cluster1"
#define CLUSTERD_MANAGER_IFACE "org.ctdb.cluster1.Manager"
#define CLUSTERD_NODE_PREFIX   "/org/ctdb/cluster1/node"
#define CLUSTERD_NODE_IFACE    "org.ctdb.cluster1.Node"

#define DBD_BUS_NAME       "org.ctdb.db1"
#define DBD_MANAGER_PATH   "/org/ctdb/db1"
#define DBD_MANAGER_IFACE  "org.ctdb.db1.Manager"
#define DBD_DB_PREFIX      "/org/ctdb/db1/db"
#define DBD_DB_IFACE       "org.ctdb.db1.Database"

#define IPD_BUS_NAME       "org.ctdb.ipfailover1"
#define IPD_MANAGER_PATH   "/org/ctdb/ipfailover1"
#define IPD_MANAGER_IFACE  "org.ctdb.ipfailover1.Manager"

#define MONITORD_BUS_NAME      "org.ctdb.monitor1"
#define MONITORD_MANAGER_PATH  "/org/ctdb/monitor1"
#define MONITORD_MANAGER_IFACE "org.ctdb.monitor1.Manager"

#define CTDB_ERROR_NOT_FOUND     "org.ctdb.Error.NotFound"
#define CTDB_ERROR_NOT_LEADER    "org.ctdb.Error.NotLeader"
#define CTDB_ERROR_INVALID_ARGS  "org.ctdb.Error.InvalidArgs"
#define CTDB_ERROR_BUSY          "org.ctdb.Error.Busy"
#define CTDB_ERROR_NOT_QUORATE   "org.ctdb.Error.NotQuorate"
#define CTDB_ERROR_NOT_CONNECTED "org.ctdb.Error.NotConnected"
#define CTDB_ERROR_TIMEOUT       "org.ctdb.Error.Timeout"
#define CTDB_ERROR_NOT_SUPPORTED "org.ctdb.Error.NotSupported"

/* polkit/org.ctdb.policy */
#define CTDB_POLKIT_CLUSTER_MANAGE    "org.ctdb.cluster1.manage"
#define CTDB_POLKIT_DB_READ           "org.ctdb.db1.read"
#define CTDB_POLKIT_DB_WRITE          "org.ctdb.db1.write"
#define CTDB_POLKIT_IPFAILOVER_MANAGE "org.ctdb.ipfailover1.manage"
#define CTDB_POLKIT_TUNNEL_SEND       "org.ctdb.tunnel1.send"
