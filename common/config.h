#pragma once

/*
 * The configuration files of DESIGN.md section 4, in the formats CTDB admins know:
 *   nodes             one private address per line, line number = PNN
 *   public_addresses  ADDRESS/PREFIX IFACE[,IFACE...]
 *   ctdb.conf         ini, CTDB's section/key names plus this project's keys
 *
 * Parsers never log: a failure comes back as a negative errno and, where a file
 * is at fault, a message "FILE:LINE: what is wrong (what is allowed)" in
 * *ret_error (talloc'd on the result's context, or on mem_ctx). Warnings (an
 * unknown key) are collected in ctdb_config.warnings for the caller to log.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ip-address.h"

#define CTDB_DEFAULT_PORT               4379
#define CTDB_DEFAULT_HEARTBEAT_MS       100
#define CTDB_DEFAULT_VACUUM_INTERVAL_S  10      /* CTDB's VacuumInterval */
#define CTDB_DEFAULT_REPACK_LIMIT       10000   /* CTDB's RepackLimit */
#define CTDB_DEFAULT_MONITOR_GRACE_S    30      /* a unit activating longer is unhealthy */
#define CTDB_DEFAULT_HEARTBEAT_TIMEOUT_MS 1000
#define CTDB_DEFAULT_ETCD_PREFIX "/ctdb/"
#define CTDB_DEFAULT_ETCD_LEASE_TTL_S 5
#define CTDB_DEFAULT_ETCD_REQUEST_TIMEOUT_MS 250

struct ctdb_node_entry {
        uint32_t pnn;
        bool deleted;                   /* "#deleted" or commented address: slot kept */
        char *address;                  /* textual address, NULL if deleted */
        struct sockaddr_storage sa;     /* address, port 0 */
        socklen_t sa_len;
};

struct ctdb_nodes {
        struct ctdb_node_entry *nodes;  /* index == pnn */
        uint32_t n_nodes;               /* slots, deleted included */
};

/*
 * As CTDB's ctdb/conf/node.c: blank lines are skipped and every line that
 * starts with '#' (after blanks) is a deleted slot, a plain comment included,
 * so that each node keeps the PNN CTDB gave it. A duplicate address, or a
 * file without any address, is an error.
 */
/* Reads a nodes file. -ENOENT if missing; -EINVAL with *ret_error on a bad line. */
int ctdb_nodes_load(void *mem_ctx, const char *path, struct ctdb_nodes **ret, char **ret_error);
/* The same from a buffer; name is used in messages. */
int ctdb_nodes_parse(void *mem_ctx, const char *name, const char *text, struct ctdb_nodes **ret,
                     char **ret_error);
/* Active (not deleted) slots. */
uint32_t ctdb_nodes_active(const struct ctdb_nodes *nodes);
/* PNN of a node whose address equals sa (port ignored), or -ENOENT. */
int ctdb_nodes_find(const struct ctdb_nodes *nodes, const struct sockaddr *sa, socklen_t len);

/*
 * Whether `next` may replace `cur` on a reload (ReloadNodes), as CTDB allows:
 * slots are added at the end or marked deleted, never removed, revived or given
 * another address, and a slot in use (in_use[pnn], cur->n_nodes entries: this
 * node, or one still connected) is not deleted. 0 if fine, else -EOPNOTSUPP or
 * (for a slot in use) -EBUSY, with the reason, for a person, in why.
 */
int ctdb_nodes_check_reload(const struct ctdb_nodes *cur, const struct ctdb_nodes *next, const bool *in_use,
                            char *why, size_t why_size);

struct ctdb_public_address {
        char *address;                  /* "ADDRESS/PREFIX" as written, normalised */
        struct ctdb_ip addr;            /* family, address and prefix length (1..32 / 1..128) */
        char **interfaces;              /* NULL-terminated */
        unsigned n_interfaces;
};

struct ctdb_public_addresses {
        struct ctdb_public_address *addresses;
        unsigned n_addresses;
};

/*
 * '#' lines and blank lines are skipped; an interface is required (as in
 * current CTDB); text after the interfaces may only be a '#' comment; the
 * prefix is 1..32 / 1..128; an address may appear once. -ENOENT if missing.
 */
int ctdb_public_addresses_load(void *mem_ctx, const char *path, struct ctdb_public_addresses **ret,
                               char **ret_error);
int ctdb_public_addresses_parse(void *mem_ctx, const char *name, const char *text,
                                struct ctdb_public_addresses **ret, char **ret_error);

enum ctdb_lock_backend {
        CTDB_LOCK_QUORUM,               /* default: majority of configured nodes */
        CTDB_LOCK_FCNTL,                /* fcntl lock on a file on the cluster filesystem */
        CTDB_LOCK_ETCD,                 /* etcd lease */
};

struct ctdb_config {
        /* [logging] */
        char *log_location;             /* "syslog", "file:PATH" (CTDB), default NULL = auto */
        int log_level;                  /* syslog level, default LOG_NOTICE */

        /* [cluster] */
        char *node_address;             /* "node address", NULL = pick from nodes by local addresses */
        enum ctdb_lock_backend lock_backend; /* "cluster lock": quorum | fcntl:PATH | /PATH | etcd:URL */
        char *lock_argument;            /* PATH or URL */
        uint16_t tunnel_port;           /* "tunnel port", default 4379 */
        uint32_t heartbeat_interval_ms; /* "heartbeat interval", default 100 */
        uint32_t heartbeat_timeout_ms;  /* "heartbeat timeout", default 1000 */
        char *psk_file;                 /* "pre-shared key file", NULL = no HMAC challenge */
        bool leader_capability;         /* "leader capability", default true */
        /* the etcd lock backend (cluster lock = etcd:URL[,URL...]) */
        char *etcd_prefix;              /* "etcd prefix": keys under it, ends in '/', default "/ctdb/" */
        uint32_t etcd_lease_ttl_s;      /* "etcd lease ttl": asked for; etcd may grant more; default 5 */
        uint32_t etcd_request_timeout_ms; /* "etcd request timeout": per attempt, default 250 */
        char *etcd_ca_file;             /* "etcd ca file": CA for https endpoints, NULL = system's */
        char *etcd_cert_file;           /* "etcd certificate file": client certificate (PEM), NULL = none */
        char *etcd_key_file;            /* "etcd key file": its key (PEM), NULL = in the certificate file */

        /* [database] */
        char *volatile_db_dir;          /* "volatile database directory" */
        char *persistent_db_dir;        /* "persistent database directory" */
        char *state_db_dir;             /* "state database directory" */
        uint32_t vacuum_interval_s;     /* "vacuum interval": CTDB's VacuumInterval, default 10, 0 = off */
        uint32_t repack_limit;          /* "repack limit": CTDB's RepackLimit, default 10000 free entries */

        /* [failover] */
        bool failover_disabled;         /* "disabled" */
        bool no_ip_failback;            /* "no ip failback": CTDB's NoIPFailback */
        bool no_ip_takeover;            /* "no ip takeover": CTDB's NoIPTakeover */

        /* [monitor] */
        char **monitor_units;           /* "units", space separated; NULL-terminated */
        uint32_t monitor_grace_s;       /* "activating grace": seconds a unit may be activating, default 30 */

        /* [paths] (this project) */
        char *run_dir;                  /* "runtime directory", default /run/ctdb */
        char *state_dir;                /* "state directory", default /var/lib/ctdb */

        /* [legacy] */
        bool start_as_disabled;
        bool start_as_stopped;

        char **warnings;                /* "FILE:LINE: unknown key ..." lines, NULL-terminated */
        unsigned n_warnings;
};

/*
 * Notes on values: [logging] location is one of syslog, syslog:nonblocking,
 * syslog:udp, syslog:udp-rfc5424, file:/PATH (CTDB's), journal, stderr.
 * [logging] log level takes names or CTDB's numeric levels 0..10, stored as
 * a syslog level. [monitor] units without a type get ".service". The database
 * directories not set follow [paths] state directory. CTDB's deprecated
 * [cluster] recovery lock is used when cluster lock is absent (with a warning).
 */
/* Fills cfg with the embedded defaults (ctdb.conf absent or empty). */
int ctdb_config_defaults(void *mem_ctx, struct ctdb_config **ret);
/*
 * Reads ctdb.conf. A missing file yields the defaults. -EINVAL with
 * "FILE:LINE: ..." in *ret_error on a bad value or syntax.
 */
int ctdb_config_load(void *mem_ctx, const char *path, struct ctdb_config **ret, char **ret_error);
int ctdb_config_parse(void *mem_ctx, const char *name, const char *text, struct ctdb_config **ret,
                      char **ret_error);

/*
 * The keys a running daemon keeps from its start whatever a reload reads (its
 * sockets, paths, cluster lock and identity), as "[section] key" separated by
 * ", ", that differ between a and b: "" if none, NULL without memory.
 */
char *ctdb_config_restart_changes(void *mem_ctx, const struct ctdb_config *a, const struct ctdb_config *b);

/* The paths of the three files under a config dir (talloc'd on mem_ctx). */
char *ctdb_config_path(void *mem_ctx, const char *config_dir, const char *file);
