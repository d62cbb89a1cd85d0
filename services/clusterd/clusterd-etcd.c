/* The etcd lock backend's session as a state machine; see clusterd-etcd.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <talloc.h>

#include "clusterd-etcd-json.h"
#include "clusterd-etcd.h"
#include "ctdb-node.h"
#include "talloc-util.h"

#define USEC_PER_SEC_ETCD 1000000ULL

static const char *const call_path[ETCD_CALL_MAX] = {
        [ETCD_CALL_GRANT] = "/v3/lease/grant",   [ETCD_CALL_KEEPALIVE] = "/v3/lease/keepalive",
        [ETCD_CALL_REVOKE] = "/v3/lease/revoke", [ETCD_CALL_MEMBER] = "/v3/kv/put",
        [ETCD_CALL_RANGE] = "/v3/kv/range",      [ETCD_CALL_CAMPAIGN] = "/v3/kv/txn",
        [ETCD_CALL_RESIGN] = "/v3/kv/txn",
};

struct call {
        bool outstanding;
        uint64_t sent_at;
        uint64_t retry_at; /* not before this (after a failure) */
        int64_t lease;     /* the lease it was sent for */
        int last_error;    /* of the last failure, logged once until it changes */
};

struct etcd_session {
        struct etcd_session_config config;
        const struct etcd_session_ops *ops;
        void *userdata;
        struct call calls[ETCD_CALL_MAX];

        /* our lease */
        int64_t lease;            /* 0: none */
        int64_t ttl;              /* granted, seconds */
        uint64_t confirmed_until; /* alive until: last confirmed keepalive's sending + TTL */
        bool unconfirmed;         /* past it: not alive, but the lease may have survived */
        uint64_t next_keepalive;
        bool member_written; /* our member key is there for this lease */
        int64_t lost_lease;  /* a lease given up for lost, to revoke (its keys go with it) */

        /* the view */
        bool watching;        /* the watch runs (from a range's revision on) */
        bool ranged;          /* a range filled the view at least once */
        bool *members;        /* n_nodes */
        bool leader_key;      /* the leader key exists */
        uint32_t leader;      /* the pnn it names (CTDB_PNN_NONE: none of ours) */
        int64_t leader_lease; /* and its lease */

        /* the election's wish */
        bool want;
        bool resigning; /* giving the key up: until the delete is done */
};

static void say(etcd_session *s, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(etcd_session *s, int level, const char *fmt, ...) {
        char buf[512];
        va_list ap;

        if (!s->ops->log)
                return;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        s->ops->log(s->userdata, level, buf);
}

static void changed(etcd_session *s) {
        if (s->ops->changed)
                s->ops->changed(s->userdata);
}

/* ---- the view ---------------------------------------------------------------------- */

/* key below the prefix, or NULL. */
static const char *below_prefix(const etcd_session *s, const struct etcd_kv *kv, size_t *ret_len) {
        size_t n = strlen(s->config.prefix);

        if (kv->key_len < n || memcmp(kv->key, s->config.prefix, n) != 0)
                return NULL;
        *ret_len = kv->key_len - n;
        return (const char *) kv->key + n;
}

/* A pnn in decimal, exactly; CTDB_PNN_NONE if it is not one of ours. */
static uint32_t parse_pnn(const etcd_session *s, const uint8_t *p, size_t len) {
        uint64_t v = 0;

        if (len == 0 || len > 10)
                return CTDB_PNN_NONE;
        for (size_t i = 0; i < len; i++) {
                if (p[i] < '0' || p[i] > '9' || (len > 1 && i == 0 && p[i] == '0'))
                        return CTDB_PNN_NONE;
                v = v * 10 + (p[i] - '0');
        }
        return v < s->config.n_nodes ? (uint32_t) v : CTDB_PNN_NONE;
}

/* The key names this node, with its lease (a value that is not our pnn is nobody's key). */
static bool key_is_ours(const etcd_session *s) {
        return s->leader_key && s->lease != 0 && s->leader_lease == s->lease && s->leader == s->config.self;
}

/* Applies one key's news; true if the view changed. */
static bool apply(etcd_session *s, const struct etcd_kv *kv, bool deleted) {
        size_t len;
        const char *k = below_prefix(s, kv, &len);

        if (!k)
                return false;
        if (len == 6 && memcmp(k, "leader", 6) == 0) {
                uint32_t pnn = deleted ? CTDB_PNN_NONE : parse_pnn(s, kv->value, kv->value_len);
                int64_t lease = deleted ? 0 : kv->lease;
                bool differs = pnn != s->leader || lease != s->leader_lease || s->leader_key == deleted;

                s->leader_key = !deleted;
                s->leader = pnn;
                s->leader_lease = lease;
                if (deleted)
                        s->resigning = false;
                return differs;
        }
        if (len > 6 && memcmp(k, "nodes/", 6) == 0) {
                uint32_t pnn = parse_pnn(s, (const uint8_t *) k + 6, len - 6);

                if (pnn == CTDB_PNN_NONE || s->members[pnn] == !deleted)
                        return false;
                s->members[pnn] = !deleted;
                if (pnn == s->config.self && deleted)
                        s->member_written = false; /* someone removed it: write it again */
                return true;
        }
        return false;
}

/* ---- requests ------------------------------------------------------------------------ */

static void send_call(etcd_session *s, uint64_t now, enum etcd_call call, char *body) {
        struct call *c = &s->calls[call];
        int r = body ? s->ops->request(s->userdata, call, call_path[call], body) : -ENOMEM;

        free(body);
        if (r < 0) {
                c->retry_at = now + s->config.retry_usec;
                return;
        }
        c->outstanding = true;
        c->sent_at = now;
        c->lease = s->lease;
}

static void cancel_call(etcd_session *s, enum etcd_call call) {
        if (!s->calls[call].outstanding)
                return;
        s->calls[call].outstanding = false;
        s->ops->cancel(s->userdata, call);
}

static char *key_of(etcd_session *s, const char *rest, size_t *ret_len) {
        char *k = talloc_asprintf(s, "%s%s", s->config.prefix, rest);

        *ret_len = k ? strlen(k) : 0;
        return k;
}

static void send_member(etcd_session *s, uint64_t now) {
        char rest[32];
        size_t len;
        _cleanup_talloc_ char *key = NULL;

        snprintf(rest, sizeof(rest), "nodes/%" PRIu32, s->config.self);
        key = key_of(s, rest, &len);
        send_call(s, now, ETCD_CALL_MEMBER,
                  key ? etcd_json_put((const uint8_t *) key, len, (const uint8_t *) s->config.address,
                                      strlen(s->config.address), s->lease)
                      : NULL);
}

static void send_campaign(etcd_session *s, uint64_t now) {
        char value[16];
        size_t len;
        _cleanup_talloc_ char *key = key_of(s, "leader", &len);

        snprintf(value, sizeof(value), "%" PRIu32, s->config.self);
        send_call(s, now, ETCD_CALL_CAMPAIGN,
                  key ? etcd_json_txn_campaign((const uint8_t *) key, len, (const uint8_t *) value,
                                               strlen(value), s->lease)
                      : NULL);
}

static void send_resign(etcd_session *s, uint64_t now) {
        size_t len;
        _cleanup_talloc_ char *key = key_of(s, "leader", &len);

        send_call(s, now, ETCD_CALL_RESIGN,
                  key ? etcd_json_txn_resign((const uint8_t *) key, len, s->lease) : NULL);
}

static void send_range(etcd_session *s, uint64_t now) {
        send_call(s, now, ETCD_CALL_RANGE,
                  etcd_json_range_prefix((const uint8_t *) s->config.prefix, strlen(s->config.prefix)));
}

/* ---- the lease ------------------------------------------------------------------------ */

bool etcd_session_alive(const etcd_session *s, uint64_t now) {
        return s && s->lease != 0 && now < s->confirmed_until;
}

/* Gives the lease up for lost: what was bound to it is no longer ours. */
static void lose_lease(etcd_session *s, uint64_t now, const char *why) {
        if (s->lease == 0)
                return;
        say(s, LOG_WARNING, "etcd lease %" PRIx64 " lost (%s); taking a new one", (uint64_t) s->lease, why);
        s->lost_lease = s->lease;
        s->lease = 0;
        s->unconfirmed = false;
        s->member_written = false;
        s->resigning = false;
        cancel_call(s, ETCD_CALL_KEEPALIVE);
        cancel_call(s, ETCD_CALL_MEMBER);
        cancel_call(s, ETCD_CALL_CAMPAIGN);
        cancel_call(s, ETCD_CALL_RESIGN);
        changed(s);
}

/* A failed request: retried after retry_usec; each new reason is logged once. */
static void failed(etcd_session *s, uint64_t now, enum etcd_call call, int status, const char *body) {
        struct call *c = &s->calls[call];
        int code = status < 0 ? status : -EPROTO;

        c->retry_at = now + s->config.retry_usec;
        if (code != c->last_error) {
                if (status < 0)
                        say(s, LOG_WARNING, "etcd %s failed on every endpoint: %s (retrying)",
                            call_path[call], strerror(-status));
                else
                        say(s, LOG_WARNING, "etcd %s answered HTTP %d: %.200s (retrying)", call_path[call],
                            status, body ? body : "");
        }
        c->last_error = code;
}

static void on_grant(etcd_session *s, uint64_t now, const char *body) {
        struct call *c = &s->calls[ETCD_CALL_GRANT];
        int64_t id, ttl;

        if (etcd_json_parse_grant(body, &id, &ttl) < 0 || id == 0 || ttl <= 0) {
                failed(s, now, ETCD_CALL_GRANT, 200, body);
                return;
        }
        s->lease = id;
        s->ttl = ttl;
        s->confirmed_until = c->sent_at + (uint64_t) ttl * USEC_PER_SEC_ETCD;
        s->next_keepalive = c->sent_at + (uint64_t) ttl * USEC_PER_SEC_ETCD / 3;
        s->member_written = false;
        say(s, LOG_NOTICE, "etcd granted lease %" PRIx64 " with a TTL of %" PRId64 " s (asked %" PRId64 ")",
            (uint64_t) id, ttl, s->config.ttl);
        changed(s);
}

static void on_keepalive(etcd_session *s, uint64_t now, const char *body) {
        struct call *c = &s->calls[ETCD_CALL_KEEPALIVE];
        bool was_alive = etcd_session_alive(s, now);
        int64_t ttl;

        if (etcd_json_parse_keepalive(body, &ttl) < 0) {
                failed(s, now, ETCD_CALL_KEEPALIVE, 200, body);
                s->next_keepalive = now + s->config.retry_usec;
                return;
        }
        if (ttl <= 0) {
                /* etcd no longer knows the lease: it expired or was revoked, and whoever
                 * waited for our keys may have them by now. */
                lose_lease(s, now, "a keepalive answer without a TTL");
                return;
        }
        s->ttl = ttl;
        s->confirmed_until = c->sent_at + (uint64_t) ttl * USEC_PER_SEC_ETCD;
        s->next_keepalive = c->sent_at + (uint64_t) ttl * USEC_PER_SEC_ETCD / 3;
        if (s->unconfirmed)
                say(s, LOG_NOTICE, "etcd confirmed lease %" PRIx64 " again: it survived",
                    (uint64_t) s->lease);
        s->unconfirmed = false;
        if (!was_alive)
                changed(s);
}

static void on_range(etcd_session *s, uint64_t now, const char *body) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct etcd_kv *kvs;
        size_t n;
        int64_t revision;
        char *watch;
        int r;

        if (!tmp || etcd_json_header_revision(body, &revision) < 0 ||
            etcd_json_parse_range(tmp, body, &kvs, &n) < 0) {
                failed(s, now, ETCD_CALL_RANGE, 200, body);
                return;
        }
        memset(s->members, 0, s->config.n_nodes * sizeof(bool));
        s->leader_key = false;
        s->leader = CTDB_PNN_NONE;
        s->leader_lease = 0;
        for (size_t i = 0; i < n; i++)
                (void) apply(s, &kvs[i], false);
        if (s->lease && !s->members[s->config.self])
                s->member_written = false;
        s->ranged = true;

        watch = etcd_json_watch_create((const uint8_t *) s->config.prefix, strlen(s->config.prefix), true,
                                       revision + 1);
        r = watch ? s->ops->watch(s->userdata, watch) : -ENOMEM;
        free(watch);
        if (r < 0)
                s->calls[ETCD_CALL_RANGE].retry_at = now + s->config.retry_usec;
        else
                s->watching = true;
        changed(s);
}

static void on_campaign(etcd_session *s, uint64_t now, const char *body) {
        struct call *c = &s->calls[ETCD_CALL_CAMPAIGN];
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct etcd_kv *holder;
        bool won;

        if (!tmp || etcd_json_parse_txn(tmp, body, &won, &holder) < 0 || (!won && !holder)) {
                failed(s, now, ETCD_CALL_CAMPAIGN, 200, body);
                return;
        }
        if (c->lease != s->lease)
                return; /* sent for a lease given up since: the view's watch tells the rest */
        if (won) {
                struct etcd_kv kv = { 0 };
                char value[16];
                size_t len;
                _cleanup_talloc_ char *key = key_of(s, "leader", &len);

                if (!key)
                        return;
                snprintf(value, sizeof(value), "%" PRIu32, s->config.self);
                kv = (struct etcd_kv){ .key = (uint8_t *) key,
                                       .key_len = len,
                                       .value = (uint8_t *) value,
                                       .value_len = strlen(value),
                                       .lease = s->lease };
                (void) apply(s, &kv, false);
        } else {
                /* A campaign of ours that etcd applied although its answer was lost shows our lease. */
                (void) apply(s, holder, false);
        }
        if (key_is_ours(s))
                say(s, LOG_NOTICE, "Took the etcd leader key %sleader with lease %" PRIx64, s->config.prefix,
                    (uint64_t) s->lease);
        changed(s);
}

static void on_resign(etcd_session *s, uint64_t now, const char *body) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct etcd_kv *holder;
        bool deleted;

        if (!tmp || etcd_json_parse_txn(tmp, body, &deleted, &holder) < 0) {
                failed(s, now, ETCD_CALL_RESIGN, 200, body);
                return;
        }
        /* Deleted, or not ours any more: either way there is nothing left to give up. */
        if (s->leader_lease == s->lease) {
                s->leader_key = false;
                s->leader = CTDB_PNN_NONE;
                s->leader_lease = 0;
        }
        s->resigning = false;
        say(s, LOG_NOTICE, "Gave up the etcd leader key %sleader", s->config.prefix);
        changed(s);
}

void etcd_session_answer(etcd_session *s, uint64_t now, enum etcd_call call, int status, const char *body) {
        struct call *c;

        if (!s || call >= ETCD_CALL_MAX || !s->calls[call].outstanding)
                return;
        c = &s->calls[call];
        c->outstanding = false;

        /* Answers that say the lease is gone, whichever call got them. */
        if (status == 404 && c->lease == s->lease && s->lease &&
            (call == ETCD_CALL_MEMBER || call == ETCD_CALL_CAMPAIGN)) {
                lose_lease(s, now, "etcd says it is not found");
                return;
        }
        if (call == ETCD_CALL_REVOKE && (status == 200 || status == 404)) {
                s->lost_lease = 0;
                return;
        }
        if (status != 200 || !body) {
                failed(s, now, call, status, body);
                if (call == ETCD_CALL_KEEPALIVE)
                        s->next_keepalive = now + s->config.retry_usec;
                return;
        }
        c->last_error = 0;

        switch (call) {
        case ETCD_CALL_GRANT:
                on_grant(s, now, body);
                break;
        case ETCD_CALL_KEEPALIVE:
                if (c->lease == s->lease)
                        on_keepalive(s, now, body);
                break;
        case ETCD_CALL_MEMBER:
                if (c->lease == s->lease)
                        s->member_written = true;
                break;
        case ETCD_CALL_RANGE:
                on_range(s, now, body);
                break;
        case ETCD_CALL_CAMPAIGN:
                on_campaign(s, now, body);
                break;
        case ETCD_CALL_RESIGN:
                on_resign(s, now, body);
                break;
        default:
                break;
        }
}

/* ---- the watch ------------------------------------------------------------------------ */

void etcd_session_watch_line(etcd_session *s, uint64_t now, const char *line) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct etcd_event *events;
        int64_t compact;
        size_t n;
        bool created, differs = false;

        if (!s || !s->watching)
                return;
        if (!tmp || etcd_json_parse_watch(tmp, line, &created, &compact, &events, &n) < 0) {
                say(s, LOG_WARNING, "etcd watch: an answer that is not one: %.200s", line);
                return;
        }
        if (compact > 0) {
                /* The history we asked for is compacted: start from a new range. */
                say(s, LOG_INFO, "etcd watch canceled at compacted revision %" PRId64 "; ranging again",
                    compact);
                s->ops->unwatch(s->userdata);
                s->watching = false;
                return;
        }
        for (size_t i = 0; i < n; i++)
                differs |= apply(s, &events[i].kv, events[i].type == ETCD_EVENT_DELETE);
        if (differs)
                changed(s);
}

void etcd_session_watch_end(etcd_session *s, uint64_t now, int error) {
        if (!s || !s->watching)
                return;
        s->watching = false;
        /* Ranged again at once after a clean end (or a dead endpoint, which the carrier
         * has rotated past); after an error, not before the retry delay, so a watch
         * that etcd keeps refusing is no busy loop. */
        if (error < 0) {
                say(s, LOG_INFO, "etcd watch ended: %s; ranging again", strerror(-error));
                s->calls[ETCD_CALL_RANGE].retry_at = now + s->config.retry_usec;
        }
}

/* ---- the election's wish ----------------------------------------------------------------- */

void etcd_session_want_leader(etcd_session *s, uint64_t now, bool want) {
        if (!s)
                return;
        s->want = want;
        if (!want && key_is_ours(s) && !s->resigning) {
                s->resigning = true;
                changed(s);
        }
        if (!want)
                cancel_call(s, ETCD_CALL_CAMPAIGN);
}

bool etcd_session_holds(const etcd_session *s, uint64_t now) {
        return etcd_session_alive(s, now) && key_is_ours(s) && !s->resigning;
}

uint32_t etcd_session_leader(const etcd_session *s) {
        return s ? s->leader : CTDB_PNN_NONE;
}

bool etcd_session_member(const etcd_session *s, uint32_t pnn) {
        return s && pnn < s->config.n_nodes && s->members[pnn];
}

int64_t etcd_session_lease(const etcd_session *s, int64_t *ret_ttl) {
        if (ret_ttl)
                *ret_ttl = s && s->lease ? s->ttl : 0;
        return s ? s->lease : 0;
}

/* ---- time ----------------------------------------------------------------------------------- */

static bool due(const etcd_session *s, enum etcd_call call, uint64_t now) {
        return !s->calls[call].outstanding && now >= s->calls[call].retry_at;
}

static void earliest(uint64_t *next, uint64_t t, uint64_t now) {
        if (t > now && t < *next)
                *next = t;
}

uint64_t etcd_session_tick(etcd_session *s, uint64_t now) {
        uint64_t next = UINT64_MAX;

        if (!s)
                return next;

        /*
         * Past the TTL etcd may have expired the lease and given our keys to others,
         * so this node leads nothing from now on. But the lease may also have
         * survived (etcd expires none while it has no leader of its own, and its
         * next leader renews them all): keepalives go on, and the first answer says
         * which it was, a TTL or none.
         */
        if (s->lease && now >= s->confirmed_until && !s->unconfirmed) {
                say(s, LOG_WARNING,
                    "etcd lease %" PRIx64 " not confirmed within its TTL of %" PRId64 " s: stepping down "
                    "until etcd answers",
                    (uint64_t) s->lease, s->ttl);
                s->unconfirmed = true;
                changed(s);
        }

        if (!s->lease && due(s, ETCD_CALL_GRANT, now))
                send_call(s, now, ETCD_CALL_GRANT, etcd_json_lease_grant(s->config.ttl));
        if (s->lost_lease && due(s, ETCD_CALL_REVOKE, now))
                send_call(s, now, ETCD_CALL_REVOKE, etcd_json_lease_id(s->lost_lease));
        if (!s->watching && due(s, ETCD_CALL_RANGE, now))
                send_range(s, now);

        if (s->lease) {
                if (!s->member_written && due(s, ETCD_CALL_MEMBER, now))
                        send_member(s, now);
                if (now >= s->next_keepalive && !s->calls[ETCD_CALL_KEEPALIVE].outstanding)
                        send_call(s, now, ETCD_CALL_KEEPALIVE, etcd_json_lease_id(s->lease));
                if (s->want && s->ranged && !s->leader_key && etcd_session_alive(s, now) &&
                    due(s, ETCD_CALL_CAMPAIGN, now))
                        send_campaign(s, now);
                if (s->resigning && due(s, ETCD_CALL_RESIGN, now))
                        send_resign(s, now);
                earliest(&next, s->confirmed_until, now);
                if (!s->calls[ETCD_CALL_KEEPALIVE].outstanding)
                        earliest(&next, s->next_keepalive, now);
        }
        for (int i = 0; i < ETCD_CALL_MAX; i++)
                if (!s->calls[i].outstanding)
                        earliest(&next, s->calls[i].retry_at, now);
        return next;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

static int session_destructor(etcd_session *s) {
        for (int i = 0; i < ETCD_CALL_MAX; i++)
                cancel_call(s, (enum etcd_call) i);
        if (s->watching)
                s->ops->unwatch(s->userdata);
        return 0;
}

etcd_session *etcd_session_new(void *mem_ctx, const struct etcd_session_config *config,
                               const struct etcd_session_ops *ops, void *userdata) {
        etcd_session *s;

        if (!config || !ops || !ops->request || !ops->cancel || !ops->watch || !ops->unwatch ||
            !config->prefix || !config->address || config->self >= config->n_nodes || config->ttl <= 0)
                return NULL;
        s = talloc_zero(mem_ctx, etcd_session);
        if (!s)
                return NULL;
        s->config = *config;
        s->config.prefix = talloc_strdup(s, config->prefix);
        s->config.address = talloc_strdup(s, config->address);
        s->members = talloc_zero_array(s, bool, config->n_nodes);
        if (!s->config.prefix || !s->config.address || !s->members) {
                talloc_free(s);
                return NULL;
        }
        s->ops = ops;
        s->userdata = userdata;
        s->leader = CTDB_PNN_NONE;
        talloc_set_destructor(s, session_destructor);
        return s;
}

void etcd_session_free(etcd_session *s) {
        talloc_free(s);
}
