#pragma once

/*
 * The carrier of the etcd backend's requests: POSTs to etcd v3's JSON gateway
 * over libcurl's multi "socket" interface, driven by clusterd's sd-event loop
 * (no threads: endpoints must be IP literals, so curl never resolves a name).
 *
 * A unary request goes to the endpoint that last answered. An attempt that
 * gets no HTTP answer within the request timeout, cannot connect, or gets a
 * 5xx (etcd's own "request timed out" after a leader change) moves on to the
 * next endpoint, until each was tried once; only then does the caller hear of
 * the failure. The watch stream runs on the endpoint the requests use; when a
 * request gives up on that endpoint the watch is ended too, so the caller
 * starts it again on one that works.
 */

#include <stdint.h>

#include <systemd/sd-event.h>

#define ETCD_HTTP_SLOTS    8          /* concurrent unary requests, one per slot */
#define ETCD_HTTP_MAX_BODY (4u << 20) /* an answer or watch line larger than this is an error */

typedef struct etcd_http etcd_http;

struct etcd_http_ops {
        /* The answer of slot's request: the HTTP status and body, or a negative errno (body NULL)
         * when every endpoint failed. */
        void (*answer)(void *userdata, unsigned slot, int status, const char *body);
        /* One line of the watch stream, without its newline. */
        void (*watch_line)(void *userdata, const char *line);
        /* The watch ended: 0 when etcd closed it, else a negative errno. */
        void (*watch_end)(void *userdata, int error);
};

struct etcd_http_config {
        const char *endpoints; /* "URL[,URL...]": http:// or https://, IP-literal hosts */
        uint64_t timeout_usec; /* per attempt of a unary request; the watch's connect */
        const char *ca_file;   /* NULL: the system's CAs */
        const char *cert_file; /* client certificate, NULL: none */
        const char *key_file;  /* its key, NULL: in cert_file */
};

/*
 * Checks the endpoints: -EINVAL with *ret_error saying which one and why
 * (talloc'ed on mem_ctx). Exposed for the config check and the tests.
 */
int etcd_http_check_endpoints(void *mem_ctx, const char *endpoints, char **ret_error);

/* 0, -EINVAL for bad endpoints (logged), -ENOMEM. */
int etcd_http_new(void *mem_ctx, sd_event *event, const struct etcd_http_config *config,
                  const struct etcd_http_ops *ops, void *userdata, etcd_http **ret);
void etcd_http_free(etcd_http *h);

/* POST body to path on slot (< ETCD_HTTP_SLOTS), replacing a request the slot has. */
int etcd_http_request(etcd_http *h, unsigned slot, const char *path, const char *body);
/* Drops slot's request: its answer never comes. */
void etcd_http_cancel(etcd_http *h, unsigned slot);
/* Starts the watch stream (POST /v3/watch with body), ending one that runs, which then never
 * calls back. */
int etcd_http_watch(etcd_http *h, const char *body);
void etcd_http_unwatch(etcd_http *h);
/*
 * POSTs body to path and waits for the answer, each endpoint in turn with the
 * request timeout: for the way out only, when the loop no longer runs. Returns
 * the HTTP status or a negative errno.
 */
int etcd_http_post_sync(etcd_http *h, const char *path, const char *body);
/* The endpoint requests go to now (for logs). */
const char *etcd_http_endpoint(const etcd_http *h);
