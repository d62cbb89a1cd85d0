/* etcd v3 gateway JSON for clusterd's etcd backend; see clusterd-etcd-json.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <talloc.h>

#include "clusterd-etcd-json.h"

/* ---- base64 -------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_base64_encode(const uint8_t *data, size_t len) {
        char *out = malloc((len + 2) / 3 * 4 + 1), *p = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t) data[i] << 16;

                if (i + 1 < len)
                        v |= (uint32_t) data[i + 1] << 8;
                if (i + 2 < len)
                        v |= data[i + 2];
                *p++ = b64[v >> 18];
                *p++ = b64[(v >> 12) & 63];
                *p++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
                *p++ = i + 2 < len ? b64[v & 63] : '=';
        }
        *p = '\0';
        return out;
}

static int b64_value(char c) {
        const char *p = c ? strchr(b64, c) : NULL;

        return p ? (int) (p - b64) : -1;
}

int etcd_base64_decode(void *mem_ctx, const char *s, uint8_t **ret, size_t *ret_len) {
        size_t len = strlen(s), n = 0;
        uint8_t *out;

        if (len % 4)
                return -EBADMSG;
        out = talloc_size(mem_ctx, len / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i += 4) {
                int v[4];
                bool last = i + 4 == len;

                for (int k = 0; k < 4; k++)
                        v[k] = b64_value(s[i + k]);
                /* Padding only at the very end: "xx==" or "xxx=". */
                if (v[0] < 0 || v[1] < 0 || (v[2] < 0 && !(last && s[i + 2] == '=' && s[i + 3] == '=')) ||
                    (v[3] < 0 && !(last && s[i + 3] == '='))) {
                        talloc_free(out);
                        return -EBADMSG;
                }
                /* The bits a short group drops must be zero: one encoding per byte string. */
                if ((v[2] < 0 && (v[1] & 15)) || (v[2] >= 0 && v[3] < 0 && (v[2] & 3))) {
                        talloc_free(out);
                        return -EBADMSG;
                }
                out[n++] = (uint8_t) (v[0] << 2 | v[1] >> 4);
                if (v[2] >= 0)
                        out[n++] = (uint8_t) ((v[1] & 15) << 4 | v[2] >> 2);
                if (v[2] >= 0 && v[3] >= 0)
                        out[n++] = (uint8_t) ((v[2] & 3) << 6 | v[3]);
        }
        *ret = out;
        *ret_len = n;
        return 0;
}

/* ---- building ------------------------------------------------------------ */

/* The body as compact text (malloc'ed); obj is consumed. */
static char *finish(json_object *obj) {
        char *s = NULL;

        if (obj)
                s = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(obj);
        return s;
}

/* Adds name: base64(data); false without memory. */
static bool add_b64(json_object *obj, const char *name, const uint8_t *data, size_t len) {
        char *s = etcd_base64_encode(data, len);
        json_object *v = s ? json_object_new_string(s) : NULL;

        free(s);
        return v && json_object_object_add(obj, name, v) == 0;
}

/* Adds name: "int64" (etcd takes int64 fields as strings too, and a string never goes through a double). */
static bool add_i64(json_object *obj, const char *name, int64_t v) {
        char buf[24];
        json_object *s;

        snprintf(buf, sizeof(buf), "%" PRId64, v);
        s = json_object_new_string(buf);
        return s && json_object_object_add(obj, name, s) == 0;
}

static bool add(json_object *obj, const char *name, json_object *v) {
        return v && json_object_object_add(obj, name, v) == 0;
}

/* A one-element array holding obj (consumed). */
static json_object *array_of(json_object *obj) {
        json_object *a = obj ? json_object_new_array() : NULL;

        if (!a || json_object_array_add(a, obj) < 0) {
                json_object_put(a);
                json_object_put(obj);
                return NULL;
        }
        return a;
}

/* {name: inner} (inner consumed). */
static json_object *wrap(const char *name, json_object *inner) {
        json_object *o = inner ? json_object_new_object() : NULL;

        if (!o || !add(o, name, inner)) {
                json_object_put(o);
                json_object_put(inner);
                return NULL;
        }
        return o;
}

char *etcd_json_lease_grant(int64_t ttl) {
        json_object *o = json_object_new_object();

        if (o && !add(o, "TTL", json_object_new_int64(ttl))) {
                json_object_put(o);
                return NULL;
        }
        return finish(o);
}

char *etcd_json_lease_id(int64_t id) {
        json_object *o = json_object_new_object();

        if (o && !add_i64(o, "ID", id)) {
                json_object_put(o);
                return NULL;
        }
        return finish(o);
}

/* {"key": K, "target": target, "result": "EQUAL", field: value}: one compare. */
static json_object *compare(const uint8_t *key, size_t key_len, const char *target, const char *field,
                            int64_t value) {
        json_object *c = json_object_new_object();

        if (!c || !add_b64(c, "key", key, key_len) || !add(c, "target", json_object_new_string(target)) ||
            !add(c, "result", json_object_new_string("EQUAL")) || !add_i64(c, field, value)) {
                json_object_put(c);
                return NULL;
        }
        return c;
}

/* {key, value[, lease]}: a put. */
static json_object *put_object(const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len,
                               int64_t lease) {
        json_object *p = json_object_new_object();

        if (!p || !add_b64(p, "key", key, key_len) || !add_b64(p, "value", value, value_len) ||
            (lease && !add_i64(p, "lease", lease))) {
                json_object_put(p);
                return NULL;
        }
        return p;
}

/* {"request_put": {key, value[, lease]}}. */
static json_object *request_put(const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len,
                                int64_t lease) {
        return wrap("request_put", put_object(key, key_len, value, value_len, lease));
}

char *etcd_json_put(const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len,
                    int64_t lease) {
        return finish(put_object(key, key_len, value, value_len, lease));
}

/* {"request_range"|"request_delete_range": {key}}. */
static json_object *request_key(const char *kind, const uint8_t *key, size_t key_len) {
        json_object *r = json_object_new_object();

        if (!r || !add_b64(r, "key", key, key_len)) {
                json_object_put(r);
                return NULL;
        }
        return wrap(kind, r);
}

/* {"compare": [cmp], "success": [ok][, "failure": [fail]]} (with_failure); all consumed. */
static char *txn(json_object *cmp, json_object *ok, bool with_failure, json_object *fail) {
        json_object *t = json_object_new_object();
        json_object *c = array_of(cmp), *y = array_of(ok), *n = with_failure ? array_of(fail) : NULL;

        if (!t || !c || !y || (with_failure && !n)) {
                json_object_put(t);
                json_object_put(c);
                json_object_put(y);
                json_object_put(n);
                return NULL;
        }
        if (!add(t, "compare", c) || !add(t, "success", y) || (n && !add(t, "failure", n))) {
                json_object_put(t);
                return NULL;
        }
        return finish(t);
}

char *etcd_json_txn_campaign(const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len,
                             int64_t lease) {
        return txn(compare(key, key_len, "CREATE", "create_revision", 0),
                   request_put(key, key_len, value, value_len, lease), true,
                   request_key("request_range", key, key_len));
}

char *etcd_json_txn_guarded_put(const uint8_t *guard_key, size_t guard_len, int64_t lease,
                                const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len,
                                int64_t put_lease) {
        return txn(compare(guard_key, guard_len, "LEASE", "lease", lease),
                   request_put(key, key_len, value, value_len, put_lease), false, NULL);
}

char *etcd_json_txn_resign(const uint8_t *key, size_t key_len, int64_t lease) {
        return txn(compare(key, key_len, "LEASE", "lease", lease),
                   request_key("request_delete_range", key, key_len), false, NULL);
}

/* The end of the range of every key starting with prefix: its last byte + 1 (carrying over 0xff). */
static size_t prefix_end(const uint8_t *prefix, size_t len, uint8_t *end) {
        memcpy(end, prefix, len);
        while (len > 0) {
                if (end[len - 1] != 0xff) {
                        end[len - 1]++;
                        return len;
                }
                len--;
        }
        /* All 0xff (or empty): every key from prefix on, which etcd spells "\0". */
        end[0] = 0;
        return 1;
}

static json_object *range_object(const uint8_t *key, size_t key_len, bool prefix) {
        json_object *r = json_object_new_object();
        uint8_t *end = prefix ? malloc(key_len + 1) : NULL;
        bool good = r && (!prefix || end) && add_b64(r, "key", key, key_len);

        if (good && prefix)
                good = add_b64(r, "range_end", end, prefix_end(key, key_len, end));
        free(end);
        if (!good) {
                json_object_put(r);
                return NULL;
        }
        return r;
}

char *etcd_json_range_prefix(const uint8_t *prefix, size_t prefix_len) {
        return finish(range_object(prefix, prefix_len, true));
}

char *etcd_json_watch_create(const uint8_t *key, size_t key_len, bool prefix, int64_t start_revision) {
        json_object *c = range_object(key, key_len, prefix);

        if (c && start_revision > 0 && !add_i64(c, "start_revision", start_revision)) {
                json_object_put(c);
                return NULL;
        }
        return finish(wrap("create_request", c));
}

/* ---- parsing ------------------------------------------------------------- */

static json_object *parse(const char *body) {
        json_object *o = body ? json_tokener_parse(body) : NULL;

        if (o && !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static json_object *member(json_object *o, const char *name) {
        json_object *v = NULL;

        return o && json_object_object_get_ex(o, name, &v) ? v : NULL;
}

/* An int64 field, given as a string of digits or a JSON integer; absent = 0. */
static int get_i64(json_object *o, const char *name, int64_t *ret) {
        json_object *v = member(o, name);
        const char *s;
        char *end;

        *ret = 0;
        if (!v)
                return 0;
        if (json_object_is_type(v, json_type_int)) {
                *ret = json_object_get_int64(v);
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = json_object_get_string(v);
        errno = 0;
        *ret = strtoll(s, &end, 10);
        return *s && !*end && errno == 0 ? 0 : -EBADMSG;
}

static int get_bool(json_object *o, const char *name, bool *ret) {
        json_object *v = member(o, name);

        *ret = false;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        *ret = json_object_get_boolean(v);
        return 0;
}

/* A base64 field into bytes; absent = empty. */
static int get_b64(void *mem_ctx, json_object *o, const char *name, uint8_t **ret, size_t *ret_len) {
        json_object *v = member(o, name);

        *ret = NULL;
        *ret_len = 0;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        return etcd_base64_decode(mem_ctx, json_object_get_string(v), ret, ret_len);
}

static int get_kv(void *mem_ctx, json_object *o, struct etcd_kv *kv) {
        int r;

        memset(kv, 0, sizeof(*kv));
        if (!o || !json_object_is_type(o, json_type_object))
                return -EBADMSG;
        r = get_b64(mem_ctx, o, "key", &kv->key, &kv->key_len);
        if (r >= 0)
                r = get_b64(mem_ctx, o, "value", &kv->value, &kv->value_len);
        if (r >= 0)
                r = get_i64(o, "create_revision", &kv->create_revision);
        if (r >= 0)
                r = get_i64(o, "mod_revision", &kv->mod_revision);
        if (r >= 0)
                r = get_i64(o, "lease", &kv->lease);
        return r;
}

/* An array field (absent = none): its length, or -EBADMSG for something else. */
static int array_len(json_object *o, const char *name, json_object **ret) {
        json_object *a = member(o, name);

        *ret = a;
        if (!a)
                return 0;
        if (!json_object_is_type(a, json_type_array))
                return -EBADMSG;
        return (int) json_object_array_length(a);
}

static int kvs_of(void *mem_ctx, json_object *o, struct etcd_kv **ret, size_t *ret_n) {
        json_object *a;
        int n = array_len(o, "kvs", &a);
        struct etcd_kv *kvs;

        *ret = NULL;
        *ret_n = 0;
        if (n <= 0)
                return n;
        kvs = talloc_zero_array(mem_ctx, struct etcd_kv, (size_t) n);
        if (!kvs)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                int r = get_kv(kvs, json_object_array_get_idx(a, (size_t) i), &kvs[i]);

                if (r < 0) {
                        talloc_free(kvs);
                        return r;
                }
        }
        *ret = kvs;
        *ret_n = (size_t) n;
        return 0;
}

int etcd_json_header_revision(const char *body, int64_t *ret_revision) {
        json_object *o = parse(body);
        int r = o ? get_i64(member(o, "header"), "revision", ret_revision) : -EBADMSG;

        json_object_put(o);
        return r;
}

int etcd_json_parse_grant(const char *body, int64_t *ret_id, int64_t *ret_ttl) {
        json_object *o = parse(body);
        int r = o ? get_i64(o, "ID", ret_id) : -EBADMSG;

        if (r >= 0)
                r = get_i64(o, "TTL", ret_ttl);
        /* A grant always names its lease and TTL. */
        if (r >= 0 && (*ret_id == 0 || *ret_ttl <= 0))
                r = -EBADMSG;
        json_object_put(o);
        return r;
}

int etcd_json_parse_keepalive(const char *body, int64_t *ret_ttl) {
        json_object *o = parse(body);
        json_object *result = member(o, "result");
        int r = result ? get_i64(result, "TTL", ret_ttl) : -EBADMSG;

        json_object_put(o);
        return r;
}

int etcd_json_parse_txn(void *mem_ctx, const char *body, bool *ret_succeeded, struct etcd_kv **ret_holder) {
        json_object *o = parse(body), *responses;
        int r = o ? get_bool(o, "succeeded", ret_succeeded) : -EBADMSG;
        int n = r >= 0 ? array_len(o, "responses", &responses) : r;

        *ret_holder = NULL;
        r = n < 0 ? n : 0;
        /* The failure branch's range, where a campaign asked for one: the holder. */
        for (int i = 0; r >= 0 && i < n && !*ret_succeeded; i++) {
                json_object *range =
                        member(json_object_array_get_idx(responses, (size_t) i), "response_range");
                struct etcd_kv *kvs;
                size_t n_kvs;

                if (!range)
                        continue;
                r = kvs_of(mem_ctx, range, &kvs, &n_kvs);
                if (r >= 0 && n_kvs > 0)
                        *ret_holder = kvs;
                else if (r >= 0)
                        talloc_free(kvs);
        }
        json_object_put(o);
        return r;
}

int etcd_json_parse_range(void *mem_ctx, const char *body, struct etcd_kv **ret_kvs, size_t *ret_n) {
        json_object *o = parse(body);
        int r = o ? kvs_of(mem_ctx, o, ret_kvs, ret_n) : -EBADMSG;

        json_object_put(o);
        return r;
}

int etcd_json_parse_watch(void *mem_ctx, const char *line, bool *ret_created, int64_t *ret_compact_revision,
                          struct etcd_event **ret_events, size_t *ret_n) {
        json_object *o = parse(line), *result = member(o, "result"), *a;
        struct etcd_event *events = NULL;
        bool canceled;
        int r = result ? get_bool(result, "created", ret_created) : -EBADMSG;
        int n;

        *ret_events = NULL;
        *ret_n = 0;
        *ret_compact_revision = 0;
        if (r >= 0)
                r = get_bool(result, "canceled", &canceled);
        if (r >= 0 && canceled)
                r = get_i64(result, "compact_revision", ret_compact_revision);
        n = r >= 0 ? array_len(result, "events", &a) : r;
        if (n > 0 && !(events = talloc_zero_array(mem_ctx, struct etcd_event, (size_t) n)))
                n = -ENOMEM;
        for (int i = 0; n > 0 && i < n; i++) {
                json_object *e = json_object_array_get_idx(a, (size_t) i), *type = member(e, "type");

                if (type && !json_object_is_type(type, json_type_string))
                        n = -EBADMSG;
                else if (type && strcmp(json_object_get_string(type), "DELETE") == 0)
                        events[i].type = ETCD_EVENT_DELETE;
                else if (type && strcmp(json_object_get_string(type), "PUT") != 0)
                        n = -EBADMSG;
                if (n > 0 && get_kv(events, member(e, "kv"), &events[i].kv) < 0)
                        n = -EBADMSG;
        }
        json_object_put(o);
        if (n < 0) {
                talloc_free(events);
                return n;
        }
        *ret_events = events;
        *ret_n = (size_t) n;
        return 0;
}

int etcd_json_parse_error(void *mem_ctx, const char *body, int *ret_code, char **ret_message) {
        json_object *o = parse(body), *m = member(o, "message"), *e = member(o, "error");
        int64_t code;
        int r = o ? get_i64(o, "code", &code) : -EBADMSG;
        const char *text = m && json_object_is_type(m, json_type_string)   ? json_object_get_string(m)
                           : e && json_object_is_type(e, json_type_string) ? json_object_get_string(e)
                                                                           : "";

        if (r >= 0) {
                *ret_code = (int) code;
                *ret_message = talloc_strdup(mem_ctx, text);
                if (!*ret_message)
                        r = -ENOMEM;
        }
        json_object_put(o);
        return r;
}
