/* etcd's JSON gateway over libcurl multi on sd-event; see clusterd-etcd-http.h. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <talloc.h>

#include "clusterd-etcd-http.h"
#include "log.h"
#include "talloc-util.h"

struct request {
        etcd_http *http;
        CURL *easy;
        bool watch;
        unsigned slot;
        char *path;
        char *body;
        unsigned endpoint; /* this attempt's */
        unsigned attempts;
        char *data; /* the answer so far (talloc) */
        size_t len;
        bool too_big;
};

struct etcd_http {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        struct curl_slist *headers;
        char **endpoints; /* without a trailing '/' */
        unsigned n_endpoints;
        unsigned current; /* where requests go */
        uint64_t timeout_usec;
        char *ca_file, *cert_file, *key_file;
        const struct etcd_http_ops *ops;
        void *userdata;
        struct request *slots[ETCD_HTTP_SLOTS];
        struct request *watch;
        size_t watch_seen; /* bytes of watch->data already searched for a newline */
};

/* ---- endpoints --------------------------------------------------------------------- */

/* One endpoint: its URL without a trailing '/', or NULL with *why set. */
static char *endpoint_check(void *mem_ctx, const char *url, size_t len, const char **why) {
        _cleanup_talloc_ char *u = talloc_strndup(NULL, url, len);
        CURLU *h = curl_url();
        char *scheme = NULL, *host = NULL, *path = NULL, *query = NULL, *res = NULL;
        unsigned char addr[16];

        *why = "is not a URL";
        if (!u || !h || curl_url_set(h, CURLUPART_URL, u, 0) != CURLUE_OK)
                goto out;
        if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK)
                goto out;
        *why = "is neither http:// nor https://";
        if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
                goto out;
        /* A name would make curl start a resolver thread per lookup, and wait on DNS. */
        *why = "does not name its host by IP address";
        if (host[0] == '[') {
                size_t n = strlen(host);

                if (n < 3 || host[n - 1] != ']')
                        goto out;
                host[n - 1] = '\0';
                if (inet_pton(AF_INET6, host + 1, addr) != 1)
                        goto out;
        } else if (inet_pton(AF_INET, host, addr) != 1)
                goto out;
        *why = "has a path or query (give scheme://address:port)";
        if (curl_url_get(h, CURLUPART_QUERY, &query, 0) == CURLUE_OK)
                goto out;
        if (curl_url_get(h, CURLUPART_PATH, &path, 0) == CURLUE_OK && strcmp(path, "/") != 0 && *path)
                goto out;
        while (len > 0 && u[len - 1] == '/')
                u[--len] = '\0';
        res = talloc_strdup(mem_ctx, u);
        *why = res ? NULL : "(out of memory)";
out:
        curl_free(scheme);
        curl_free(host);
        curl_free(path);
        curl_free(query);
        curl_url_cleanup(h);
        return res;
}

/* The endpoints as a talloc array on mem_ctx, or -EINVAL with *ret_error. */
static int endpoints_parse(void *mem_ctx, const char *list, char ***ret, unsigned *ret_n, char **ret_error) {
        char **v = talloc_zero_array(mem_ctx, char *, 1);
        unsigned n = 0;

        if (!v)
                return -ENOMEM;
        for (const char *p = list;;) {
                size_t len = strcspn(p, ",");
                const char *why;
                char *e = endpoint_check(v, p, len, &why);

                if (!e) {
                        if (ret_error)
                                *ret_error = talloc_asprintf(mem_ctx, "etcd endpoint '%.*s' %s", (int) len,
                                                             p, why);
                        talloc_free(v);
                        return -EINVAL;
                }
                v = talloc_realloc(mem_ctx, v, char *, n + 2);
                if (!v)
                        return -ENOMEM;
                v[n++] = e;
                v[n] = NULL;
                if (!p[len])
                        break;
                p += len + 1;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int etcd_http_check_endpoints(void *mem_ctx, const char *endpoints, char **ret_error) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        char **v, *err = NULL;
        unsigned n;
        int r;

        if (!tmp || !endpoints)
                return -ENOMEM;
        r = endpoints_parse(tmp, endpoints, &v, &n, &err);
        if (r == -EINVAL && ret_error)
                *ret_error = talloc_steal(mem_ctx, err);
        return r;
}

const char *etcd_http_endpoint(const etcd_http *h) {
        return h && h->n_endpoints ? h->endpoints[h->current] : "";
}

/* ---- requests ------------------------------------------------------------------------- */

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
        struct request *q = userdata;
        size_t n = size * nmemb;
        char *d;

        if (q->len + n > ETCD_HTTP_MAX_BODY) {
                q->too_big = true;
                return 0; /* ends the transfer with CURLE_WRITE_ERROR */
        }
        d = talloc_realloc_size(q, q->data, q->len + n + 1);
        if (!d)
                return 0;
        memcpy(d + q->len, ptr, n);
        q->len += n;
        d[q->len] = '\0';
        q->data = d;
        return n;
}

static int request_destructor(struct request *q) {
        if (q->easy) {
                (void) curl_multi_remove_handle(q->http->multi, q->easy);
                curl_easy_cleanup(q->easy);
        }
        return 0;
}

static int curl_errno(CURLcode code) {
        switch (code) {
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
                return -EACCES;
        default:
                return -EIO;
        }
}

/* The options every request has: body POSTed to url, with the timeouts and TLS files. */
static int easy_setup(etcd_http *h, CURL *easy, const char *url, const char *body, bool watch) {
        long ms = (long) (h->timeout_usec / 1000);

        if (curl_easy_setopt(easy, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h->headers) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, ms) != CURLE_OK ||
            /* The watch runs for as long as etcd keeps it; TCP keepalive notices a vanished host. */
            curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, watch ? 0L : ms) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, watch ? 1L : 0L) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 2L) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 1L) != CURLE_OK ||
            (h->ca_file && curl_easy_setopt(easy, CURLOPT_CAINFO, h->ca_file) != CURLE_OK) ||
            (h->cert_file && curl_easy_setopt(easy, CURLOPT_SSLCERT, h->cert_file) != CURLE_OK) ||
            (h->key_file && curl_easy_setopt(easy, CURLOPT_SSLKEY, h->key_file) != CURLE_OK))
                return -EINVAL;
        return 0;
}

/* Starts q's next attempt, on the current endpoint. */
static int attempt(struct request *q) {
        etcd_http *h = q->http;
        _cleanup_talloc_ char *url = NULL;

        if (q->easy) {
                (void) curl_multi_remove_handle(h->multi, q->easy);
                curl_easy_cleanup(q->easy);
        }
        TALLOC_FREE(q->data);
        q->len = 0;
        q->too_big = false;
        q->endpoint = h->current;
        q->attempts++;
        url = talloc_asprintf(NULL, "%s%s", h->endpoints[q->endpoint], q->path);
        q->easy = curl_easy_init();
        if (!url || !q->easy)
                return -ENOMEM;

        if (easy_setup(h, q->easy, url, q->body, q->watch) < 0 ||
            curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
            curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q) != CURLE_OK ||
            curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q) != CURLE_OK)
                return -EINVAL;
        if (curl_multi_add_handle(h->multi, q->easy) != CURLM_OK)
                return -EIO;
        return 0;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata) {
        return size * nmemb;
}

int etcd_http_post_sync(etcd_http *h, const char *path, const char *body) {
        int r = -ETIMEDOUT;

        if (!h || !path || !body)
                return -EINVAL;
        for (unsigned i = 0; i < h->n_endpoints; i++) {
                _cleanup_talloc_ char *url =
                        talloc_asprintf(NULL, "%s%s", h->endpoints[(h->current + i) % h->n_endpoints], path);
                CURL *easy = url ? curl_easy_init() : NULL;
                CURLcode code;
                long status = 0;

                if (!easy)
                        return -ENOMEM;
                if (easy_setup(h, easy, url, body, false) < 0 ||
                    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK) {
                        curl_easy_cleanup(easy);
                        return -EINVAL;
                }
                code = curl_easy_perform(easy);
                (void) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
                curl_easy_cleanup(easy);
                if (code == CURLE_OK && status < 500)
                        return (int) status;
                r = code == CURLE_OK ? -EIO : curl_errno(code);
        }
        return r;
}

static struct request *request_new(etcd_http *h, bool watch, unsigned slot, const char *path,
                                   const char *body) {
        struct request *q = talloc_zero(h, struct request);

        if (!q)
                return NULL;
        q->http = h;
        q->watch = watch;
        q->slot = slot;
        q->path = talloc_strdup(q, path);
        q->body = talloc_strdup(q, body);
        talloc_set_destructor(q, request_destructor);
        if (!q->path || !q->body || attempt(q) < 0) {
                talloc_free(q);
                return NULL;
        }
        return q;
}

int etcd_http_request(etcd_http *h, unsigned slot, const char *path, const char *body) {
        if (!h || slot >= ETCD_HTTP_SLOTS || !path || !body)
                return -EINVAL;
        TALLOC_FREE(h->slots[slot]);
        h->slots[slot] = request_new(h, false, slot, path, body);
        return h->slots[slot] ? 0 : -ENOMEM;
}

void etcd_http_cancel(etcd_http *h, unsigned slot) {
        if (h && slot < ETCD_HTTP_SLOTS)
                TALLOC_FREE(h->slots[slot]);
}

int etcd_http_watch(etcd_http *h, const char *body) {
        if (!h || !body)
                return -EINVAL;
        TALLOC_FREE(h->watch);
        h->watch_seen = 0;
        h->watch = request_new(h, true, 0, "/v3/watch", body);
        return h->watch ? 0 : -ENOMEM;
}

void etcd_http_unwatch(etcd_http *h) {
        if (h)
                TALLOC_FREE(h->watch);
}

/* ---- finished transfers ----------------------------------------------------------------- */

/* Requests give up on endpoint e: the next one takes over, and a watch there ends. */
static void endpoint_failed(etcd_http *h, unsigned e, int error) {
        struct request *w = h->watch;

        if (h->current == e) {
                h->current = (e + 1) % h->n_endpoints;
                log_debug_errno(error, "etcd endpoint %s failed (%m); now using %s", h->endpoints[e],
                                h->endpoints[h->current]);
        }
        if (w && w->endpoint == e && h->n_endpoints > 1) {
                h->watch = NULL;
                talloc_free(w);
                if (h->ops->watch_end)
                        h->ops->watch_end(h->userdata, -EIO);
        }
}

/* A unary attempt ended with code and HTTP status. */
static void unary_done(etcd_http *h, struct request *q, CURLcode code, long status) {
        _cleanup_talloc_ struct request *done = NULL;
        int error = code == CURLE_OK ? 0 : curl_errno(code);
        unsigned slot = q->slot;

        if (q->too_big)
                error = -EFBIG;
        /* No answer, or etcd's own timeout (503) or failure (5xx): try the next endpoint. */
        if (error < 0 || status >= 500) {
                endpoint_failed(h, q->endpoint, error < 0 ? error : -EIO);
                if (h->slots[slot] != q)
                        return; /* the watch's end replaced or dropped it (q is gone) */
                if (q->attempts < h->n_endpoints && attempt(q) >= 0)
                        return;
        }
        done = q;
        h->slots[q->slot] = NULL;
        if (h->ops->answer)
                h->ops->answer(h->userdata, q->slot, error < 0 ? error : (int) status,
                               error < 0 ? NULL
                               : q->data ? q->data
                                         : "");
}

/* Hands the watch's complete lines on; stops when a callback ended the watch. */
static void watch_deliver(etcd_http *h) {
        while (h->watch && h->watch->data) {
                struct request *w = h->watch;
                char *nl = memchr(w->data + h->watch_seen, '\n', w->len - h->watch_seen);
                _cleanup_talloc_ char *line = NULL;
                size_t n;

                if (!nl) {
                        h->watch_seen = w->len;
                        return;
                }
                n = (size_t) (nl - w->data);
                line = talloc_strndup(NULL, w->data, n);
                memmove(w->data, nl + 1, w->len - n - 1);
                w->len -= n + 1;
                w->data[w->len] = '\0';
                h->watch_seen = 0;
                if (line && *line && h->ops->watch_line)
                        h->ops->watch_line(h->userdata, line);
        }
}

static void check_finished(etcd_http *h) {
        CURLMsg *msg;
        int left;

        watch_deliver(h);
        while ((msg = curl_multi_info_read(h->multi, &left))) {
                struct request *q = NULL;
                long status = 0;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                (void) curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &q);
                (void) curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
                if (!q)
                        continue;
                if (q->watch) {
                        CURLcode code = msg->data.result;
                        int error = code != CURLE_OK ? curl_errno(code) : status == 200 ? 0 : -EPROTO;

                        watch_deliver(h);
                        if (h->watch != q)
                                continue;
                        if (error < 0 && status == 0)
                                endpoint_failed(h, q->endpoint, error); /* may end it itself */
                        if (h->watch == q) {
                                h->watch = NULL;
                                talloc_free(q);
                                if (h->ops->watch_end)
                                        h->ops->watch_end(h->userdata, error);
                        }
                } else
                        unary_done(h, q, msg->data.result, status);
        }
}

/* ---- curl on sd-event -------------------------------------------------------------------- */

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        etcd_http *h = userdata;
        int running, action = 0;

        if (revents & EPOLLIN)
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                action |= CURL_CSELECT_ERR;
        (void) curl_multi_socket_action(h->multi, fd, action, &running);
        check_finished(h);
        return 0;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        etcd_http *h = userp;
        sd_event_source *io = socketp;
        uint32_t events = 0;

        if (what == CURL_POLL_REMOVE) {
                if (io) {
                        (void) curl_multi_assign(h->multi, fd, NULL);
                        sd_event_source_disable_unref(io);
                }
                return 0;
        }
        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
                events |= EPOLLIN;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
                events |= EPOLLOUT;
        if (io) {
                if (sd_event_source_set_io_events(io, events) < 0 ||
                    sd_event_source_set_enabled(io, SD_EVENT_ON) < 0)
                        return -1;
                return 0;
        }
        if (sd_event_add_io(h->event, &io, fd, events, on_io, h) < 0)
                return -1;
        if (curl_multi_assign(h->multi, fd, io) != CURLM_OK) {
                sd_event_source_disable_unref(io);
                return -1;
        }
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        etcd_http *h = userdata;
        int running;

        (void) curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_finished(h);
        return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp) {
        etcd_http *h = userp;

        if (timeout_ms < 0)
                return sd_event_source_set_enabled(h->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
        if (sd_event_source_set_time_relative(h->timer, (uint64_t) timeout_ms * 1000) < 0 ||
            sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT) < 0)
                return -1;
        return 0;
}

/* ---- life cycle ------------------------------------------------------------------------------- */

static int http_destructor(etcd_http *h) {
        for (unsigned i = 0; i < ETCD_HTTP_SLOTS; i++)
                TALLOC_FREE(h->slots[i]);
        TALLOC_FREE(h->watch);
        if (h->multi)
                curl_multi_cleanup(h->multi); /* REMOVEs the sockets it still has */
        curl_slist_free_all(h->headers);
        h->timer = sd_event_source_disable_unref(h->timer);
        sd_event_unref(h->event);
        return 0;
}

static char *strdup_or_null(void *ctx, const char *s) {
        return s && *s ? talloc_strdup(ctx, s) : NULL;
}

int etcd_http_new(void *mem_ctx, sd_event *event, const struct etcd_http_config *config,
                  const struct etcd_http_ops *ops, void *userdata, etcd_http **ret) {
        static bool curl_ready;
        etcd_http *h;
        char *err = NULL;
        int r;

        if (!event || !config || !config->endpoints || !ops || !ret)
                return -EINVAL;
        if (!curl_ready) {
                if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                        return -EIO;
                curl_ready = true;
        }
        h = talloc_zero(mem_ctx, etcd_http);
        if (!h)
                return -ENOMEM;
        h->event = sd_event_ref(event);
        talloc_set_destructor(h, http_destructor);
        h->ops = ops;
        h->userdata = userdata;
        h->timeout_usec = config->timeout_usec;

        r = endpoints_parse(h, config->endpoints, &h->endpoints, &h->n_endpoints, &err);
        if (r == -EINVAL) {
                log_error("%s", err);
                talloc_free(h);
                return r;
        }
        h->ca_file = strdup_or_null(h, config->ca_file);
        h->cert_file = strdup_or_null(h, config->cert_file);
        h->key_file = strdup_or_null(h, config->key_file);
        h->headers = curl_slist_append(NULL, "Content-Type: application/json");
        /* No "Expect: 100-continue" round trip before a body. */
        if (h->headers)
                h->headers = curl_slist_append(h->headers, "Expect:");
        h->multi = curl_multi_init();
        if (r < 0 || !h->headers || !h->multi || (config->ca_file && *config->ca_file && !h->ca_file) ||
            (config->cert_file && *config->cert_file && !h->cert_file) ||
            (config->key_file && *config->key_file && !h->key_file)) {
                talloc_free(h);
                return -ENOMEM;
        }
        r = sd_event_add_time_relative(event, &h->timer, CLOCK_MONOTONIC, 0, 1000, on_timer, h);
        if (r >= 0)
                r = sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
        if (r < 0 || curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
            curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
            curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
            curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK) {
                talloc_free(h);
                return r < 0 ? r : -EIO;
        }
        *ret = h;
        return 0;
}

void etcd_http_free(etcd_http *h) {
        talloc_free(h);
}
