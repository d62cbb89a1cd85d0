/* clusterd's etcd lock backend on the manager's loop; see clusterd-etcd-backend.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <talloc.h>

#include "clusterd-etcd-backend.h"
#include "clusterd-etcd-json.h"
#include "clusterd-manager.h"
#include "common/config.h"
#include "log.h"

/* After a failed request, before the next (the carrier already tried every endpoint). */
#define CLUSTERD_ETCD_RETRY_USEC (100 * 1000ULL)

/* ---- the session's carrier ------------------------------------------------------------- */

static int session_request(void *userdata, enum etcd_call call, const char *path, const char *body) {
        clusterd_manager *m = userdata;

        return etcd_http_request(m->etcd_http, (unsigned) call, path, body);
}

static void session_cancel(void *userdata, enum etcd_call call) {
        clusterd_manager *m = userdata;

        etcd_http_cancel(m->etcd_http, (unsigned) call);
}

static int session_watch(void *userdata, const char *body) {
        clusterd_manager *m = userdata;

        return etcd_http_watch(m->etcd_http, body);
}

static void session_unwatch(void *userdata) {
        clusterd_manager *m = userdata;

        etcd_http_unwatch(m->etcd_http);
}

/* Everything the session does ends here: tick it and re-decide, from the loop. */
static void kick(clusterd_manager *m) {
        (void) sd_event_source_set_enabled(m->etcd_defer, SD_EVENT_ONESHOT);
}

static void session_changed(void *userdata) {
        clusterd_manager *m = userdata;

        m->etcd_changed = true;
        kick(m);
}

static void session_log(void *userdata, int level, const char *message) {
        log_full(level, "%s", message);
}

static const struct etcd_session_ops session_ops = {
        .request = session_request,
        .cancel = session_cancel,
        .watch = session_watch,
        .unwatch = session_unwatch,
        .changed = session_changed,
        .log = session_log,
};

static void http_answer(void *userdata, unsigned slot, int status, const char *body) {
        clusterd_manager *m = userdata;

        etcd_session_answer(m->etcd, clusterd_manager_now(m), (enum etcd_call) slot, status, body);
        kick(m);
}

static void http_watch_line(void *userdata, const char *line) {
        clusterd_manager *m = userdata;

        etcd_session_watch_line(m->etcd, clusterd_manager_now(m), line);
        kick(m);
}

static void http_watch_end(void *userdata, int error) {
        clusterd_manager *m = userdata;

        etcd_session_watch_end(m->etcd, clusterd_manager_now(m), error);
        kick(m);
}

static const struct etcd_http_ops http_ops = {
        .answer = http_answer,
        .watch_line = http_watch_line,
        .watch_end = http_watch_end,
};

/* ---- the loop -------------------------------------------------------------------------- */

static int on_defer(sd_event_source *s, void *userdata) {
        clusterd_manager *m = userdata;
        uint64_t next;

        if (!m->etcd)
                return 0;
        next = etcd_session_tick(m->etcd, clusterd_manager_now(m));
        if (m->etcd_changed) {
                m->etcd_changed = false;
                clusterd_manager_update(m);
                /* The election's wish may have given the session more to do. */
                next = etcd_session_tick(m->etcd, clusterd_manager_now(m));
        }
        if (next == UINT64_MAX)
                (void) sd_event_source_set_enabled(m->etcd_timer, SD_EVENT_OFF);
        else {
                (void) sd_event_source_set_time(m->etcd_timer, next);
                (void) sd_event_source_set_enabled(m->etcd_timer, SD_EVENT_ONESHOT);
        }
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        return on_defer(NULL, userdata);
}

int clusterd_etcd_init(clusterd_manager *m) {
        const struct ctdb_config *c = m->config;
        struct etcd_http_config hc = {
                .endpoints = c->lock_argument,
                .timeout_usec = (uint64_t) c->etcd_request_timeout_ms * 1000,
                .ca_file = c->etcd_ca_file,
                .cert_file = c->etcd_cert_file,
                .key_file = c->etcd_key_file,
        };
        int r;

        r = etcd_http_new(m, m->event, &hc, &http_ops, m, &m->etcd_http);
        if (r < 0)
                return r;
        r = sd_event_add_defer(m->event, &m->etcd_defer, on_defer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->etcd_defer, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time(m->event, &m->etcd_timer, CLOCK_MONOTONIC, UINT64_MAX, 1000, on_timer,
                                      m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->etcd_timer, SD_EVENT_OFF);
        return r;
}

int clusterd_etcd_start(clusterd_manager *m) {
        struct etcd_session_config sc = {
                .prefix = m->config->etcd_prefix,
                .self = m->self,
                .address = m->nodes[m->self].address,
                .n_nodes = m->n_nodes,
                .ttl = m->config->etcd_lease_ttl_s,
                .retry_usec = CLUSTERD_ETCD_RETRY_USEC,
        };

        if (!m->etcd_http)
                return 0;
        /* The same node again (tunneld restarted): the session goes on. */
        if (m->etcd && m->etcd_self == m->self)
                return 0;
        TALLOC_FREE(m->etcd);
        m->etcd = etcd_session_new(m, &sc, &session_ops, m);
        if (!m->etcd)
                return -ENOMEM;
        m->etcd_self = m->self;
        log_info("etcd backend: pnn %" PRIu32 ", keys under %s on %s", m->self, m->config->etcd_prefix,
                 m->config->lock_argument);
        kick(m);
        return 0;
}

/*
 * On the way out the lease is revoked, and with it the member key and a leader
 * key: the others see this node go, and elect a new leader, at once rather
 * than a TTL later.
 */
static void revoke_lease(clusterd_manager *m) {
        int64_t lease = etcd_session_lease(m->etcd, NULL);
        char *body = lease ? etcd_json_lease_id(lease) : NULL;
        int r;

        if (!body)
                return;
        r = etcd_http_post_sync(m->etcd_http, "/v3/lease/revoke", body);
        free(body);
        if (r == 200)
                log_notice("Revoked etcd lease %" PRIx64 " on the way out", (uint64_t) lease);
        else if (r < 0)
                log_warning_errno(r,
                                  "Failed to revoke etcd lease %" PRIx64 " on the way out (it expires by "
                                  "itself): %m",
                                  (uint64_t) lease);
        else
                log_warning("Failed to revoke etcd lease %" PRIx64 " on the way out: HTTP %d",
                            (uint64_t) lease, r);
}

void clusterd_etcd_stop(clusterd_manager *m) {
        if (m->etcd && m->etcd_http)
                revoke_lease(m);
        TALLOC_FREE(m->etcd);
        TALLOC_FREE(m->etcd_http);
        m->etcd_defer = sd_event_source_disable_unref(m->etcd_defer);
        m->etcd_timer = sd_event_source_disable_unref(m->etcd_timer);
}

void clusterd_etcd_want_leader(clusterd_manager *m, bool want) {
        if (!m->etcd)
                return;
        etcd_session_want_leader(m->etcd, clusterd_manager_now(m), want);
        kick(m);
}

bool clusterd_etcd_alive(const clusterd_manager *m) {
        return etcd_session_alive(m->etcd, clusterd_manager_now(m));
}

bool clusterd_etcd_holds(const clusterd_manager *m) {
        return etcd_session_holds(m->etcd, clusterd_manager_now(m));
}

uint32_t clusterd_etcd_holder(const clusterd_manager *m) {
        return etcd_session_leader(m->etcd);
}

bool clusterd_etcd_member(const clusterd_manager *m, uint32_t pnn) {
        return etcd_session_member(m->etcd, pnn);
}

const char *clusterd_etcd_name(const clusterd_manager *m) {
        return m->config->lock_argument;
}
