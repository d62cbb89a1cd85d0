#pragma once

/*
 * The etcd lock backend's session ("cluster lock = etcd:URL[,URL...]"), as a
 * state machine with no I/O and no clock of its own: the caller passes the
 * time (CLOCK_MONOTONIC usec) into every call, carries the requests it asks
 * for (clusterd-etcd-http.c over libcurl in the daemon, recorded answers in
 * the unit test) and hands their answers back.
 *
 * Under the prefix P (ctdb.conf "[cluster] etcd prefix") every node keeps
 * P"nodes/<pnn>" = its address, bound to its own lease, and the leader is the
 * node holding P"leader" = its pnn, bound to its lease too. So:
 *   - a lease is granted, kept alive with one unary keepalive every third of
 *     the TTL etcd granted, and given up for a new one when a keepalive answer
 *     has no TTL (etcd no longer knows it);
 *   - the node is "alive" only while its last confirmed keepalive (counted from
 *     when it was sent) is less than the TTL old: past that, etcd may have
 *     expired the lease and handed leadership to someone else. Keepalives go
 *     on, and one answered with a TTL makes it alive again (the lease survived,
 *     as leases do while etcd elects a new leader of its own);
 *   - the view (members, holder of the leader key) comes from a range of P and
 *     then a watch of P from the range's revision on; a watch that ends is
 *     started again from a new range;
 *   - while the election wants this node to lead and nobody holds the key, it
 *     campaigns: a txn that creates the key with its lease only if the key does
 *     not exist, and else reads it back. A campaign that failed on the way
 *     (a timeout) is sent again; the key showing this node's lease is a win;
 *   - resigning is a delete guarded on this node's lease.
 * docs/architecture.md, "The etcd backend", has the whole story.
 */

#include <stdbool.h>
#include <stdint.h>

enum etcd_call {
        ETCD_CALL_GRANT,     /* /v3/lease/grant */
        ETCD_CALL_KEEPALIVE, /* /v3/lease/keepalive */
        ETCD_CALL_REVOKE,    /* /v3/lease/revoke: a lease given up for lost */
        ETCD_CALL_MEMBER,    /* /v3/kv/put of P"nodes/<pnn>" */
        ETCD_CALL_RANGE,     /* /v3/kv/range of P */
        ETCD_CALL_CAMPAIGN,  /* /v3/kv/txn taking P"leader" */
        ETCD_CALL_RESIGN,    /* /v3/kv/txn deleting it */
        ETCD_CALL_MAX,
};

/* What the session asks its carrier for. At most one request per call kind is outstanding. */
struct etcd_session_ops {
        /* POST body to path (e.g. "/v3/lease/grant"); the answer comes back through
         * etcd_session_answer(). 0 or a negative errno (then it counts as failed). */
        int (*request)(void *userdata, enum etcd_call call, const char *path, const char *body);
        /* Forget the request of that kind: its answer must not come. */
        void (*cancel)(void *userdata, enum etcd_call call);
        /* Start the watch stream /v3/watch with body, ending one that runs; its lines come
         * through etcd_session_watch_line(), its end through etcd_session_watch_end(). */
        int (*watch)(void *userdata, const char *body);
        void (*unwatch)(void *userdata);
        /* alive, the leader key's holder or the members changed (called from within the
         * session's functions: the caller should re-decide after they return, not inside). */
        void (*changed)(void *userdata);
        /* One line for the journal (level is a syslog level). */
        void (*log)(void *userdata, int level, const char *message);
};

struct etcd_session_config {
        const char *prefix;  /* ends in '/' */
        uint32_t self;       /* this node's pnn */
        const char *address; /* this node's address, the value of its member key */
        uint32_t n_nodes;    /* node slots: pnns at or above are ignored */
        int64_t ttl;         /* asked for, seconds */
        uint64_t retry_usec; /* after a failed request, before the next */
};

typedef struct etcd_session etcd_session;

/* NULL without memory; the config is copied. */
etcd_session *etcd_session_new(void *mem_ctx, const struct etcd_session_config *config,
                               const struct etcd_session_ops *ops, void *userdata);
void etcd_session_free(etcd_session *s);

/* The answer to the outstanding request of that kind: status is the HTTP status with
 * body its text, or a negative errno when no endpoint answered (body NULL). */
void etcd_session_answer(etcd_session *s, uint64_t now, enum etcd_call call, int status, const char *body);
/* One line of the watch stream, and its end (error: 0 for a clean end). */
void etcd_session_watch_line(etcd_session *s, uint64_t now, const char *line);
void etcd_session_watch_end(etcd_session *s, uint64_t now, int error);

/* Does what is due (the first grant and range, keepalives, retries, noticing that the lease
 * ran out) and returns when it next wants to be called (UINT64_MAX: not before an answer). */
uint64_t etcd_session_tick(etcd_session *s, uint64_t now);

/* The election's wish: lead (campaign while the key is free) or not (resign if held). */
void etcd_session_want_leader(etcd_session *s, uint64_t now, bool want);

/* This node reaches etcd: its lease is confirmed within the TTL. */
bool etcd_session_alive(const etcd_session *s, uint64_t now);
/* This node holds the leader key (and is alive, and not resigning). */
bool etcd_session_holds(const etcd_session *s, uint64_t now);
/* The pnn named by the leader key, CTDB_PNN_NONE when there is none (or it names no slot). */
uint32_t etcd_session_leader(const etcd_session *s);
/* pnn's member key is there. */
bool etcd_session_member(const etcd_session *s, uint32_t pnn);
/* The lease etcd granted: its id (0 when none) and TTL in seconds. */
int64_t etcd_session_lease(const etcd_session *s, int64_t *ret_ttl);
