#pragma once

/*
 * One node of a test cluster on a private bus (testbus.h): its configuration
 * written under the bus dir, and ctdb-tunneld / ctdb-clusterd / ctdb-dbd from
 * the build tree spawned against that bus, each waited for (with a deadline)
 * until it is up: tunneld and dbd until their READY=1, clusterd until it owns
 * its bus name.
 *
 * Layout under bus->dir: etc/ (ctdb.conf, nodes, psk: the --config-dir),
 * run/ (runtime directory: tunnel.sock, db.sock), state/ (state directory),
 * volatile/ (dbd's volatile database directory).
 */

#include "testbus.h"

typedef struct TestNodeConfig {
        const char *nodes;              /* the nodes file; NULL: "127.0.0.1\n" */
        const char *address;            /* "node address"; NULL: the daemon finds its own */
        unsigned port;                  /* "tunnel port"; 0: one free on 127.0.0.1 */
        const char *psk;                /* the pre-shared key (a 0600 file); NULL: none */
        unsigned heartbeat_interval_ms; /* 0: the daemon's default */
        unsigned heartbeat_timeout_ms;  /* 0: the daemon's default */
} TestNodeConfig;

typedef struct TestNode {
        TestBus *bus;           /* not owned */
        char *config_dir;       /* bus->dir/etc */
        char *socket;           /* bus->dir/run/tunnel.sock */
        unsigned port;          /* the tunnel port written to ctdb.conf */
        GPid tunneld, clusterd; /* 0 while not running */
        char *volatile_dir;     /* bus->dir/volatile: "[database] volatile database directory" */
        GPid dbd;               /* 0 while not running */
} TestNode;

/* Writes the node's configuration (config NULL: all defaults); starts nothing. */
TestNode *test_node_new(TestBus *bus, const TestNodeConfig *config);
/* Stops the daemons that still run. NULL is fine. */
void test_node_free(TestNode *node);

/* Replaces the nodes file (as an admin does before ReloadNodes). */
void test_node_write_nodes(TestNode *node, const char *text);

/*
 * Spawn the daemon and wait until it is up; the test fails if it exits or takes
 * longer. tunneld is up at its READY=1 (test_spawn_daemon_ready: tunnel.sock and
 * the tunnel port take connections then). clusterd says READY=1 only once it is
 * connected to tunneld, and some tests start it without one: it is up when it
 * owns its bus name. $CTDB_TEST_CLUSTERD_WRAPPER (e.g. "valgrind
 * --log-file=/tmp/vg.%p") runs clusterd under that command, with a longer deadline.
 */
void test_node_start_tunneld(TestNode *node);
void test_node_start_clusterd(TestNode *node);
/*
 * dbd says READY=1 once tunneld told it this node's pnn and db.sock listens, so
 * start tunneld first. Its databases are served after clusterd's first recovery.
 */
void test_node_start_dbd(TestNode *node);
/* SIGTERM and wait (test_stop_daemon); the pid is 0 afterwards. */
void test_node_stop_tunneld(TestNode *node);
void test_node_stop_clusterd(TestNode *node);
void test_node_stop_dbd(TestNode *node);

/*
 * Asserts that what bus_name introspects at path for iface is what the source
 * tree's bus/xml_file ($CTDB_SOURCE_DIR) describes: the same methods with the
 * same argument signatures and names, signals, and properties with the same
 * type, access and EmitsChangedSignal.
 */
void test_check_introspection(TestBus *bus, const char *bus_name, const char *xml_file, const char *path,
                              const char *iface);

/* A random TCP port in 20000-59999 that is free on each of addresses (NULL-terminated, IPv4). */
unsigned test_pick_port(const char *const *addresses);
