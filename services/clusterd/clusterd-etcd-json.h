#pragma once

/*
 * The JSON of etcd v3's gateway calls that clusterd's etcd lock backend makes
 * (DESIGN.md section 5, `cluster lock = etcd:URL`; ../shared/notes/etcd-v3.md,
 * sections 3, 4 and 10): request bodies built here, answers parsed here, with
 * no transport. Keys and values are base64 on the wire and plain bytes here.
 * Lease ids and revisions are int64 kept as int64, never through a double; a
 * field the answer leaves out (proto3 omits defaults) reads as 0, false or
 * empty.
 *
 * Builders return a malloc'ed NUL-terminated body, or NULL without memory.
 * Parsers return 0, -EBADMSG for a body that is not what the call answers,
 * or -ENOMEM; what they return is talloc'ed on mem_ctx.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One key-value of an answer (range, txn failure branch, watch event). */
struct etcd_kv {
        uint8_t *key;
        size_t key_len;
        uint8_t *value;
        size_t value_len;
        int64_t create_revision;
        int64_t mod_revision;
        int64_t lease;
};

enum etcd_event_type {
        ETCD_EVENT_PUT = 0, /* the default: a PUT event carries no "type" */
        ETCD_EVENT_DELETE = 1,
};

struct etcd_event {
        enum etcd_event_type type;
        struct etcd_kv kv;
};

/* ---- requests ---------------------------------------------------------- */

/* /v3/lease/grant: {"TTL":ttl}. */
char *etcd_json_lease_grant(int64_t ttl);
/* /v3/lease/keepalive and /v3/lease/revoke: {"ID":"id"}. */
char *etcd_json_lease_id(int64_t id);
/* /v3/kv/put: key = value, bound to lease unless it is 0. */
char *etcd_json_put(const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len,
                    int64_t lease);
/*
 * /v3/kv/txn, the election: key created with value and lease only if it does
 * not exist (compare CREATE == 0); else the failure branch ranges it, which
 * names the holder.
 */
char *etcd_json_txn_campaign(const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len,
                             int64_t lease);
/* /v3/kv/txn: put key = value only while guard_key is held with lease (compare LEASE). */
char *etcd_json_txn_guarded_put(const uint8_t *guard_key, size_t guard_len, int64_t lease,
                                const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len,
                                int64_t put_lease);
/* /v3/kv/txn, resign: delete key only if it is held with lease. */
char *etcd_json_txn_resign(const uint8_t *key, size_t key_len, int64_t lease);
/* /v3/kv/range of every key under prefix (range_end = prefix with its last byte + 1). */
char *etcd_json_range_prefix(const uint8_t *prefix, size_t prefix_len);
/* /v3/watch: a create_request for prefix (or the one key when prefix is false), from start_revision. */
char *etcd_json_watch_create(const uint8_t *key, size_t key_len, bool prefix, int64_t start_revision);

/* ---- answers ----------------------------------------------------------- */

/* The response header's revision (0 if absent); every answer has one. */
int etcd_json_header_revision(const char *body, int64_t *ret_revision);
/* lease/grant: the id and the TTL etcd granted (which may be more than asked). */
int etcd_json_parse_grant(const char *body, int64_t *ret_id, int64_t *ret_ttl);
/* lease/keepalive: the TTL; 0 (no "TTL") means the lease is gone. */
int etcd_json_parse_keepalive(const char *body, int64_t *ret_ttl);
/*
 * kv/txn: whether it succeeded, and for a campaign that lost, the holder from
 * the failure branch's range (*ret_holder NULL when there is none).
 */
int etcd_json_parse_txn(void *mem_ctx, const char *body, bool *ret_succeeded, struct etcd_kv **ret_holder);
/* kv/range: the key-values, sorted as etcd sent them. */
int etcd_json_parse_range(void *mem_ctx, const char *body, struct etcd_kv **ret_kvs, size_t *ret_n);
/*
 * One line of a watch stream: its events; *ret_created for the first
 * answer, *ret_compact_revision > 0 when etcd canceled the watch because
 * that history is compacted (the caller ranges again).
 */
int etcd_json_parse_watch(void *mem_ctx, const char *line, bool *ret_created, int64_t *ret_compact_revision,
                          struct etcd_event **ret_events, size_t *ret_n);
/* An error body ({"error","message","code"}): the gRPC code and the message. */
int etcd_json_parse_error(void *mem_ctx, const char *body, int *ret_code, char **ret_message);

/* Standard base64 with padding; decode refuses anything else. Exposed for tests. */
char *etcd_base64_encode(const uint8_t *data, size_t len);
int etcd_base64_decode(void *mem_ctx, const char *s, uint8_t **ret, size_t *ret_len);
