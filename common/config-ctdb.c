/*
 * ctdb.conf (config.h): CTDB's section/key names plus this project's keys,
 * described once in a key table. It is read with libinih, fed line by line
 * through our own reader so that we know line numbers (Debian builds inih with
 * INI_HANDLER_LINENO=0).
 */

#include <errno.h>
#include <inttypes.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "config-internal.h"
#include "config.h"
#include "talloc-util.h"

struct conf_parser {
        struct ctdb_config *cfg;
        void *tmp;              /* scratch (quoted values), freed after the parse */
        const char *name;
        const char *text;       /* all of it, to quote a line inih rejected */
        const char *pos;        /* what the reader hands out next */
        unsigned line;          /* of the line last handed to inih */

        char *error;            /* the first error, talloc'd on cfg */
        unsigned error_line;
        bool oom;

        unsigned *key_lines;    /* per conf_keys[] entry: the line that last set it, 0 if none */
        char *recovery_lock;    /* deprecated CTDB spelling, used when cluster lock is absent */
};

/*
 * How a key's value is checked and where it is stored. Most keys are a plain
 * field of struct ctdb_config (offset/size); size 0 means a CTDB key this
 * project has no use for: accepted if CTDB would accept the value.
 */
enum conf_type {
        CONF_ANY,               /* any string, ignored */
        CONF_BOOL,              /* bool */
        CONF_UINT,              /* uint16_t or uint32_t, min..max */
        CONF_PATH,              /* char *: an absolute path */
        CONF_PATH_OR_EMPTY,     /* char *: an absolute path, or empty for none */
        CONF_FUNC,              /* parse() */
};

struct conf_key {
        const char *section;
        const char *key;
        enum conf_type type;
        size_t offset, size;
        uint32_t min, max;
        const char *what;       /* CONF_UINT: "is not a ..." */
        int (*parse)(struct conf_parser *p, const struct conf_key *k, const char *value);
        const char *allowed;    /* for messages */
};

/* Records the first error (at the current line); -EINVAL, or -ENOMEM if it cannot be made. */
static int conf_error(struct conf_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int conf_error(struct conf_parser *p, const char *fmt, ...) {
        va_list ap;

        if (p->error)
                return -EINVAL;
        va_start(ap, fmt);
        p->error = talloc_vasprintf(p->cfg, fmt, ap);
        va_end(ap);
        p->error_line = p->line;
        if (!p->error) {
                p->oom = true;
                return -ENOMEM;
        }
        return -EINVAL;
}

static int conf_fail(struct conf_parser *p, const struct conf_key *k, const char *value, const char *what) {
        return conf_error(p, "%s:%u: [%s] %s: %s %s (allowed: %s)", p->name, p->line, k->section, k->key,
                          config_quote(p->tmp, value), what, k->allowed);
}

static int conf_warn(struct conf_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int conf_warn(struct conf_parser *p, const char *fmt, ...) {
        struct ctdb_config *cfg = p->cfg;
        char **w;
        va_list ap;

        w = talloc_realloc(cfg, cfg->warnings, char *, cfg->n_warnings + 2);
        if (!w)
                return -ENOMEM;
        cfg->warnings = w;
        va_start(ap, fmt);
        w[cfg->n_warnings] = talloc_vasprintf(w, fmt, ap);
        va_end(ap);
        if (!w[cfg->n_warnings])
                return -ENOMEM;
        w[++cfg->n_warnings] = NULL;
        return 0;
}

static int conf_set_string(struct conf_parser *p, char **field, const char *value) {
        char *s = NULL;

        if (*value) {
                s = talloc_strdup(p->cfg, value);
                if (!s)
                        return -ENOMEM;
        }
        talloc_free(*field);
        *field = s;
        return 0;
}

/* Checks value for the plain types and stores it in its field, if it has one. */
static int conf_set(struct conf_parser *p, const struct conf_key *k, const char *value) {
        void *field = (uint8_t *) p->cfg + k->offset;
        uint64_t v;
        bool b;

        switch (k->type) {
        case CONF_ANY:
                return 0;
        case CONF_BOOL:
                if (config_parse_bool(value, &b) < 0)
                        return conf_fail(p, k, value, "is not a boolean");
                if (k->size)
                        *(bool *) field = b;
                return 0;
        case CONF_UINT:
                if (config_parse_uint(value, k->max, &v) < 0 || v < k->min)
                        return conf_fail(p, k, value, k->what);
                if (k->size == sizeof(uint16_t))
                        *(uint16_t *) field = (uint16_t) v;
                else if (k->size == sizeof(uint32_t))
                        *(uint32_t *) field = (uint32_t) v;
                return 0;
        case CONF_PATH:
        case CONF_PATH_OR_EMPTY:
                if (*value || k->type == CONF_PATH) {
                        if (value[0] != '/')
                                return conf_fail(p, k, value, "is not an absolute path");
                        if (strlen(value) >= PATH_MAX)
                                return conf_fail(p, k, value, "is too long");
                }
                return conf_set_string(p, field, value);
        case CONF_FUNC:
                return k->parse(p, k, value);
        }
        return -EINVAL;
}

/* [logging] */

static int parse_log_location(struct conf_parser *p, const struct conf_key *k, const char *value) {
        static const char *const plain[] = {
                "syslog", "syslog:nonblocking", "syslog:udp", "syslog:udp-rfc5424", "journal", "stderr",
        };

        for (size_t i = 0; i < ELEMENTSOF(plain); i++)
                if (strcmp(value, plain[i]) == 0)
                        return conf_set_string(p, &p->cfg->log_location, value);
        if (strncmp(value, "file:", 5) == 0 && value[5] == '/')
                return conf_set_string(p, &p->cfg->log_location, value);
        return conf_fail(p, k, value, "is not a log location");
}

static int parse_log_level(struct conf_parser *p, const struct conf_key *k, const char *value) {
        static const struct {
                const char *name;
                int level;
        } names[] = {
                { "error", LOG_ERR },    { "err", LOG_ERR },       { "warning", LOG_WARNING },
                { "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
                { "debug", LOG_DEBUG },
        };
        /* CTDB's numeric levels are Samba debug levels 0..10 (debug_level_parse()). */
        static const int numeric[] = {
                LOG_ERR, LOG_WARNING, LOG_WARNING, LOG_NOTICE, LOG_NOTICE, LOG_INFO,
                LOG_INFO, LOG_INFO,   LOG_INFO,    LOG_INFO,   LOG_DEBUG,
        };
        uint64_t n;

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(value, names[i].name) == 0) {
                        p->cfg->log_level = names[i].level;
                        return 0;
                }
        if (config_parse_uint(value, ELEMENTSOF(numeric) - 1, &n) == 0) {
                p->cfg->log_level = numeric[n];
                return 0;
        }
        return conf_fail(p, k, value, "is not a log level");
}

/* [cluster] */

static int parse_node_address(struct conf_parser *p, const struct conf_key *k, const char *value) {
        char buf[CTDB_IP_STRLEN];
        struct ctdb_ip a;
        char *s;

        if (!*value) {
                TALLOC_FREE(p->cfg->node_address);
                return 0;
        }
        if (ctdb_ip_from_string(value, CTDB_IP_MAP_V4, &a) < 0)
                return conf_fail(p, k, value, "is not an IP address");
        s = talloc_strdup(p->cfg, ctdb_ip_to_string(&a, false, buf, sizeof(buf)));
        if (!s)
                return -ENOMEM;
        talloc_free(p->cfg->node_address);
        p->cfg->node_address = s;
        return 0;
}

static int lock_from_string(struct conf_parser *p, const struct conf_key *k, const char *value) {
        struct ctdb_config *cfg = p->cfg;
        const char *arg = NULL;
        enum ctdb_lock_backend backend;

        if (!*value || strcmp(value, "quorum") == 0)
                backend = CTDB_LOCK_QUORUM;
        else if (value[0] == '/') {
                backend = CTDB_LOCK_FCNTL;
                arg = value;
        } else if (strncmp(value, "fcntl:", 6) == 0 && value[6] == '/') {
                backend = CTDB_LOCK_FCNTL;
                arg = value + 6;
        } else if (strncmp(value, "etcd:", 5) == 0 && value[5] != '\0') {
                /* One or more endpoints, comma-separated, each a URL. */
                const char *u = value + 5;
                for (;;) {
                        size_t n = strcspn(u, ",");
                        const char *sep = memmem(u, n, "://", 3);
                        if (n == 0 || !sep || sep == u || (size_t) (sep - u) + 3 == n ||
                            strcspn(u, " \t") < n)
                                return conf_fail(p, k, value, "is not a cluster lock");
                        if (!u[n])
                                break;
                        u += n + 1;
                }
                backend = CTDB_LOCK_ETCD;
                arg = value + 5;
        } else
                return conf_fail(p, k, value, "is not a cluster lock");

        if (arg && strlen(arg) >= PATH_MAX)
                return conf_fail(p, k, value, "is too long");

        talloc_free(cfg->lock_argument);
        cfg->lock_argument = NULL;
        if (arg) {
                cfg->lock_argument = talloc_strdup(cfg, arg);
                if (!cfg->lock_argument)
                        return -ENOMEM;
        }
        cfg->lock_backend = backend;
        return 0;
}

/*
 * CTDB still honours the old name when "cluster lock" is absent, with a
 * deprecation warning; so do we. Validated now, applied after the whole file.
 */
static int parse_recovery_lock(struct conf_parser *p, const struct conf_key *k, const char *value) {
        int r;

        r = conf_warn(p, "%s:%u: [cluster] recovery lock is deprecated, use cluster lock", p->name, p->line);
        if (r < 0)
                return r;
        return conf_set_string(p, &p->recovery_lock, value);
}

/* Any key bytes but blanks and control characters; a missing final '/' is added. */
static int parse_etcd_prefix(struct conf_parser *p, const struct conf_key *k, const char *value) {
        size_t n = strlen(value);
        char *s;

        if (value[0] != '/')
                return conf_fail(p, k, value, "is not an etcd key prefix");
        for (const char *c = value; *c; c++)
                if ((unsigned char) *c <= ' ' || *c == 0x7f)
                        return conf_fail(p, k, value, "is not an etcd key prefix");
        s = talloc_asprintf(p->cfg, "%s%s", value, value[n - 1] == '/' ? "" : "/");
        if (!s)
                return -ENOMEM;
        talloc_free(p->cfg->etcd_prefix);
        p->cfg->etcd_prefix = s;
        return 0;
}

static int parse_transport(struct conf_parser *p, const struct conf_key *k, const char *value) {
        if (strcmp(value, "tcp") != 0)
                return conf_fail(p, k, value, "is not a supported transport");
        return 0;
}

static int parse_nodes_list(struct conf_parser *p, const struct conf_key *k, const char *value) {
        return conf_warn(p, "%s:%u: [cluster] nodes list is not supported and is ignored (the nodes file "
                            "in the configuration directory is used)", p->name, p->line);
}

/* [monitor] */

static bool unit_name_is_valid(const char *s) {
        static const char *const types[] = {
                ".service", ".socket", ".target", ".mount", ".automount", ".swap",
                ".path",    ".timer",  ".slice",  ".scope", ".device",
        };
        const char *dot = strrchr(s, '.');
        size_t n = strlen(s);

        if (n == 0 || n > 255 || !dot || dot == s)
                return false;
        for (const char *c = s; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      strchr(":-_.\\@", *c)))
                        return false;
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (strcmp(dot, types[i]) == 0)
                        return true;
        return false;
}

static int parse_monitor_units(struct conf_parser *p, const struct conf_key *k, const char *value) {
        _cleanup_talloc_ char *copy = talloc_strdup(NULL, value);
        char **units, *tok, *save = NULL;
        size_t n = 0;

        if (!copy)
                return -ENOMEM;
        units = talloc_zero_array(p->cfg, char *, strlen(value) / 2 + 2);
        if (!units)
                return -ENOMEM;

        for (tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                char *u;
                bool dup = false;

                /* As systemctl does: a name without a type is a service. */
                if (!strchr(tok, '.'))
                        u = talloc_asprintf(units, "%s.service", tok);
                else
                        u = talloc_strdup(units, tok);
                if (!u) {
                        talloc_free(units);
                        return -ENOMEM;
                }
                if (!unit_name_is_valid(u)) {
                        talloc_free(units);
                        return conf_fail(p, k, tok, "is not a systemd unit name");
                }
                for (size_t i = 0; i < n; i++)
                        dup = dup || strcmp(units[i], u) == 0;
                if (dup)
                        talloc_free(u);
                else
                        units[n++] = u;
        }

        talloc_free(p->cfg->monitor_units);
        p->cfg->monitor_units = units;
        return 0;
}

#define BOOLEANS "true, false, yes, no, on, off, 1, 0"
#define ABS_PATH "an absolute path"

#define FIELD(f) .offset = offsetof(struct ctdb_config, f), .size = sizeof(((struct ctdb_config *) NULL)->f)
#define KEY_FUNC(s, k, fn, a) { s, k, CONF_FUNC, .parse = fn, .allowed = a }
#define KEY_ANY(s, k) { s, k, CONF_ANY, .allowed = "" }
#define KEY_BOOL(s, k, ...) { s, k, CONF_BOOL, __VA_ARGS__, .allowed = BOOLEANS }
#define KEY_UINT(s, k, lo, hi, w, a, ...) \
        { s, k, CONF_UINT, __VA_ARGS__, .min = lo, .max = hi, .what = w, .allowed = a }
#define KEY_PATH(s, k, f) { s, k, CONF_PATH, FIELD(f), .allowed = ABS_PATH }
#define NO_FIELD .size = 0

#define HEARTBEAT_INTERVAL_MIN 10
#define HEARTBEAT_INTERVAL_MAX 60000
#define HEARTBEAT_TIMEOUT_MIN  20
#define HEARTBEAT_TIMEOUT_MAX  600000

static const struct conf_key conf_keys[] = {
        KEY_FUNC("logging", "location", parse_log_location,
                 "syslog, syslog:nonblocking, syslog:udp, syslog:udp-rfc5424, file:/ABSOLUTE/PATH, journal, "
                 "stderr"),
        KEY_FUNC("logging", "log level", parse_log_level,
                 "error, warning, notice, info, debug, or CTDB's 0..10"),

        KEY_FUNC("cluster", "node address", parse_node_address, "an IPv4 or IPv6 address of this node"),
        KEY_FUNC("cluster", "cluster lock", lock_from_string,
                 "quorum, fcntl:/ABSOLUTE/PATH, /ABSOLUTE/PATH, etcd:URL[,URL...]; CTDB's '!helper' is not "
                 "supported"),
        KEY_FUNC("cluster", "recovery lock", parse_recovery_lock, "as cluster lock"),
        KEY_UINT("cluster", "tunnel port", 1, 65535, "is not a TCP port", "1..65535", FIELD(tunnel_port)),
        KEY_UINT("cluster", "heartbeat interval", HEARTBEAT_INTERVAL_MIN, HEARTBEAT_INTERVAL_MAX,
                 "is not a number of milliseconds", "10..60000", FIELD(heartbeat_interval_ms)),
        KEY_UINT("cluster", "heartbeat timeout", HEARTBEAT_TIMEOUT_MIN, HEARTBEAT_TIMEOUT_MAX,
                 "is not a number of milliseconds", "20..600000, more than heartbeat interval",
                 FIELD(heartbeat_timeout_ms)),
        { "cluster", "pre-shared key file", CONF_PATH_OR_EMPTY, FIELD(psk_file), .allowed = ABS_PATH },
        KEY_BOOL("cluster", "leader capability", FIELD(leader_capability)),
        KEY_FUNC("cluster", "etcd prefix", parse_etcd_prefix, "an etcd key prefix starting with /"),
        KEY_UINT("cluster", "etcd lease ttl", 1, 3600, "is not a number of seconds", "1..3600",
                 FIELD(etcd_lease_ttl_s)),
        KEY_UINT("cluster", "etcd request timeout", 10, 60000, "is not a number of milliseconds",
                 "10..60000", FIELD(etcd_request_timeout_ms)),
        { "cluster", "etcd ca file", CONF_PATH_OR_EMPTY, FIELD(etcd_ca_file), .allowed = ABS_PATH },
        { "cluster", "etcd certificate file", CONF_PATH_OR_EMPTY, FIELD(etcd_cert_file),
          .allowed = ABS_PATH },
        { "cluster", "etcd key file", CONF_PATH_OR_EMPTY, FIELD(etcd_key_file), .allowed = ABS_PATH },
        KEY_FUNC("cluster", "transport", parse_transport, "tcp"),
        KEY_FUNC("cluster", "nodes list", parse_nodes_list, ""),
        KEY_UINT("cluster", "leader timeout", 1, INT_MAX, "is not a number", "a positive number of seconds",
                 NO_FIELD),

        KEY_PATH("database", "volatile database directory", volatile_db_dir),
        KEY_PATH("database", "persistent database directory", persistent_db_dir),
        KEY_PATH("database", "state database directory", state_db_dir),
        KEY_UINT("database", "vacuum interval", 0, 86400, "is not a number of seconds", "0..86400 (0: off)",
                 FIELD(vacuum_interval_s)),
        KEY_UINT("database", "repack limit", 0, INT_MAX, "is not a number", "a number of free-list entries",
                 FIELD(repack_limit)),
        KEY_ANY("database", "lock debug script"),
        KEY_BOOL("database", "tdb mutexes", NO_FIELD),

        KEY_ANY("event", "debug script"),

        KEY_BOOL("failover", "disabled", FIELD(failover_disabled)),
        /* CTDB's tunables NoIPFailback and NoIPTakeover, as ctdb.conf keys here. */
        KEY_BOOL("failover", "no ip failback", FIELD(no_ip_failback)),
        KEY_BOOL("failover", "no ip takeover", FIELD(no_ip_takeover)),
        KEY_UINT("failover", "shutdown extra timeout", 0, INT_MAX, "is not a number", "a number of seconds",
                 NO_FIELD),
        KEY_UINT("failover", "shutdown failover timeout", 0, INT_MAX, "is not a number",
                 "a number of seconds", NO_FIELD),

        KEY_FUNC("monitor", "units", parse_monitor_units, "systemd unit names separated by blanks"),
        KEY_UINT("monitor", "activating grace", 0, 86400, "is not a number of seconds", "0..86400",
                 FIELD(monitor_grace_s)),

        KEY_PATH("paths", "runtime directory", run_dir),
        KEY_PATH("paths", "state directory", state_dir),

        KEY_BOOL("legacy", "start as disabled", FIELD(start_as_disabled)),
        KEY_BOOL("legacy", "start as stopped", FIELD(start_as_stopped)),
        KEY_BOOL("legacy", "realtime scheduling", NO_FIELD),
        KEY_BOOL("legacy", "lmaster capability", NO_FIELD),
        KEY_ANY("legacy", "script log level"),
};

/* The line of the file that last set key (0 if none did). */
static unsigned conf_key_line(const struct conf_parser *p, const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++)
                if (strcmp(conf_keys[i].key, key) == 0)
                        return p->key_lines[i];
        return 0;
}

/*
 * Hands inih one line at a time so that p->line is the line inih is looking at
 * when it calls the handler. Leading blanks are cut because Debian's inih is
 * built with INI_ALLOW_MULTILINE: an indented "key = value" (which CTDB's own
 * sample ctdb.conf uses throughout) would otherwise be read as a continuation
 * of the previous value.
 */
static char *conf_reader(char *buf, int size, void *stream) {
        struct conf_parser *p = stream;
        const char *s = p->pos, *nl;
        size_t n;

        if (!*s || size < 2)
                return NULL;
        nl = strchr(s, '\n');
        n = nl ? (size_t) (nl - s) : strlen(s);
        p->pos = nl ? nl + 1 : s + n;
        p->line++;

        while (n > 0 && (*s == ' ' || *s == '\t')) {
                s++;
                n--;
        }
        /* inih reads at most size-1 bytes per line: a longer line is refused, not split. */
        if (n + 2 > (size_t) size) {
                (void) conf_error(p, "%s:%u: line too long (allowed: up to %d characters)", p->name, p->line,
                                  size - 2);
                n = 0;
        }
        memcpy(buf, s, n);
        buf[n] = '\n';
        buf[n + 1] = '\0';
        return buf;
}

static int conf_handler(void *user, const char *section, const char *key, const char *value) {
        struct conf_parser *p = user;
        int r;

        if (p->error)
                return 1; /* only the first error is reported; let inih finish quietly */

        if (!*section) {
                (void) conf_error(p,
                                  "%s:%u: key %s is not in a section (expected a [section] line before it)",
                                  p->name, p->line, config_quote(p->tmp, key));
                return 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++) {
                const struct conf_key *k = &conf_keys[i];

                if (strcasecmp(section, k->section) != 0 || strcasecmp(key, k->key) != 0)
                        continue;
                p->key_lines[i] = p->line;
                r = conf_set(p, k, value);
                if (r == -ENOMEM)
                        p->oom = true;
                return r < 0 ? 0 : 1;
        }

        r = conf_warn(p, "%s:%u: unknown key %s in section %s", p->name, p->line, config_quote(p->tmp, key),
                      config_escape(p->tmp, section, "[", "]"));
        if (r < 0)
                p->oom = true;
        return r < 0 ? 0 : 1;
}

/* Quotes line n of text for a syntax error. */
static char *conf_quote_line(void *ctx, const char *text, unsigned n) {
        _cleanup_talloc_ char *l = NULL;
        const char *s = text;

        for (unsigned i = 1; i < n && s; i++) {
                s = strchr(s, '\n');
                if (s)
                        s++;
        }
        if (!s)
                return talloc_strdup(ctx, "''");
        l = talloc_strndup(NULL, s, strcspn(s, "\n"));
        if (!l)
                return NULL;
        return config_quote(ctx, config_strip(l));
}

static int conf_defaults_fill(struct ctdb_config *cfg) {
        *cfg = (struct ctdb_config){
                .log_level = LOG_NOTICE,
                .lock_backend = CTDB_LOCK_QUORUM,
                .tunnel_port = CTDB_DEFAULT_PORT,
                .heartbeat_interval_ms = CTDB_DEFAULT_HEARTBEAT_MS,
                .vacuum_interval_s = CTDB_DEFAULT_VACUUM_INTERVAL_S,
                .monitor_grace_s = CTDB_DEFAULT_MONITOR_GRACE_S,
                .repack_limit = CTDB_DEFAULT_REPACK_LIMIT,
                .heartbeat_timeout_ms = CTDB_DEFAULT_HEARTBEAT_TIMEOUT_MS,
                .leader_capability = true,
                .etcd_lease_ttl_s = CTDB_DEFAULT_ETCD_LEASE_TTL_S,
                .etcd_request_timeout_ms = CTDB_DEFAULT_ETCD_REQUEST_TIMEOUT_MS,
        };
        cfg->etcd_prefix = talloc_strdup(cfg, CTDB_DEFAULT_ETCD_PREFIX);
        cfg->run_dir = talloc_strdup(cfg, CTDB_RUN_DIR);
        cfg->state_dir = talloc_strdup(cfg, CTDB_STATE_DIR);
        cfg->monitor_units = talloc_zero_array(cfg, char *, 1);
        cfg->warnings = talloc_zero_array(cfg, char *, 1);
        if (!cfg->etcd_prefix || !cfg->run_dir || !cfg->state_dir || !cfg->monitor_units || !cfg->warnings)
                return -ENOMEM;
        return 0;
}

/* Database directories not set in the file follow the state directory, as CTDB's follow CTDB_VARDIR. */
static int conf_db_dirs_fill(struct ctdb_config *cfg) {
        struct {
                char **dir;
                const char *name;
        } dirs[] = {
                { &cfg->volatile_db_dir, "volatile" },
                { &cfg->persistent_db_dir, "persistent" },
                { &cfg->state_db_dir, "state" },
        };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (!*dirs[i].dir &&
                    !(*dirs[i].dir = talloc_asprintf(cfg, "%s/%s", cfg->state_dir, dirs[i].name)))
                        return -ENOMEM;
        return 0;
}

int ctdb_config_defaults(void *mem_ctx, struct ctdb_config **ret) {
        _cleanup_talloc_ struct ctdb_config *cfg = talloc_zero(NULL, struct ctdb_config);
        int r;

        if (!cfg)
                return -ENOMEM;
        r = conf_defaults_fill(cfg);
        if (r < 0)
                return r;
        r = conf_db_dirs_fill(cfg);
        if (r < 0)
                return r;
        *ret = talloc_steal(mem_ctx, cfg);
        cfg = NULL;
        return 0;
}

int ctdb_config_parse(void *mem_ctx, const char *name, const char *text, struct ctdb_config **ret,
                      char **ret_error) {
        _cleanup_talloc_ struct ctdb_config *cfg = talloc_zero(NULL, struct ctdb_config);
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct conf_parser p;
        unsigned interval_line, timeout_line, recovery_lock_line;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (!cfg || !tmp)
                return -ENOMEM;
        r = conf_defaults_fill(cfg);
        if (r < 0)
                return r;

        p = (struct conf_parser) { .cfg = cfg, .tmp = tmp, .name = name, .text = text, .pos = text,
                                   .key_lines = talloc_zero_array(tmp, unsigned, ELEMENTSOF(conf_keys)) };
        if (!p.key_lines)
                return -ENOMEM;
        r = ini_parse_stream(conf_reader, &p, conf_handler, &p);
        if (r == -2 || p.oom)
                return -ENOMEM;
        if (r > 0 && (!p.error || (unsigned) r < p.error_line)) {
                TALLOC_FREE(p.error);
                p.error = talloc_asprintf(cfg, "%s:%d: %s is neither a [section] line nor key = value", name,
                                          r, conf_quote_line(tmp, text, (unsigned) r));
                if (!p.error)
                        return -ENOMEM;
        }
        if (p.error)
                return config_fail(mem_ctx, ret_error, "%s", p.error);

        recovery_lock_line = conf_key_line(&p, "recovery lock");
        if (recovery_lock_line && !conf_key_line(&p, "cluster lock")) {
                static const struct conf_key k = {
                        "cluster", "recovery lock", CONF_FUNC,
                        .allowed = "quorum, fcntl:/ABSOLUTE/PATH, /ABSOLUTE/PATH, etcd:URL",
                };
                p.line = recovery_lock_line;
                r = lock_from_string(&p, &k, p.recovery_lock ? p.recovery_lock : "");
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return config_fail(mem_ctx, ret_error, "%s", p.error);
        }

        /* Blame whichever of the two the file set last. */
        interval_line = conf_key_line(&p, "heartbeat interval");
        timeout_line = conf_key_line(&p, "heartbeat timeout");
        if (cfg->heartbeat_timeout_ms <= cfg->heartbeat_interval_ms) {
                if (timeout_line > interval_line)
                        return config_fail(
                                mem_ctx, ret_error,
                                "%s:%u: [cluster] heartbeat timeout: %" PRIu32 " ms is not more than "
                                "heartbeat interval %" PRIu32 " ms (allowed: more than heartbeat interval)",
                                name, timeout_line, cfg->heartbeat_timeout_ms, cfg->heartbeat_interval_ms);
                return config_fail(
                        mem_ctx, ret_error,
                        "%s:%u: [cluster] heartbeat interval: %" PRIu32 " ms is not less than heartbeat "
                        "timeout %" PRIu32 " ms (allowed: less than heartbeat timeout)",
                        name, interval_line, cfg->heartbeat_interval_ms, cfg->heartbeat_timeout_ms);
        }

        /* A key alone would make clusterd present no client certificate at all. */
        if (cfg->etcd_key_file && !cfg->etcd_cert_file)
                return config_fail(mem_ctx, ret_error,
                                   "%s:%u: [cluster] etcd key file: set without etcd certificate file "
                                   "(allowed: with a certificate file, or alone in none)",
                                   name, conf_key_line(&p, "etcd key file"));

        r = conf_db_dirs_fill(cfg);
        if (r < 0)
                return r;

        TALLOC_FREE(p.recovery_lock);
        *ret = talloc_steal(mem_ctx, cfg);
        cfg = NULL;
        return 0;
}

int ctdb_config_load(void *mem_ctx, const char *path, struct ctdb_config **ret, char **ret_error) {
        _cleanup_talloc_ char *text = NULL;
        int r;

        r = config_read_text_file(mem_ctx, path, &text, ret_error);
        if (r == -ENOENT) {
                if (ret_error)
                        TALLOC_FREE(*ret_error);
                return ctdb_config_defaults(mem_ctx, ret);
        }
        return r < 0 ? r : ctdb_config_parse(mem_ctx, path, text, ret, ret_error);
}

static bool str_differ(const char *a, const char *b) {
        return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

char *ctdb_config_restart_changes(void *mem_ctx, const struct ctdb_config *a, const struct ctdb_config *b) {
        /* What sockets, paths, the lock and this node's identity were set up from at the start. */
        const struct {
                const char *key;
                bool changed;
        } keys[] = {
                { "[logging] location", str_differ(a->log_location, b->log_location) },
                { "[cluster] node address", str_differ(a->node_address, b->node_address) },
                { "[cluster] cluster lock",
                  a->lock_backend != b->lock_backend || str_differ(a->lock_argument, b->lock_argument) },
                { "[cluster] etcd prefix", str_differ(a->etcd_prefix, b->etcd_prefix) },
                { "[cluster] etcd lease ttl", a->etcd_lease_ttl_s != b->etcd_lease_ttl_s },
                { "[cluster] etcd request timeout",
                  a->etcd_request_timeout_ms != b->etcd_request_timeout_ms },
                { "[cluster] etcd ca file", str_differ(a->etcd_ca_file, b->etcd_ca_file) },
                { "[cluster] etcd certificate file", str_differ(a->etcd_cert_file, b->etcd_cert_file) },
                { "[cluster] etcd key file", str_differ(a->etcd_key_file, b->etcd_key_file) },
                { "[cluster] tunnel port", a->tunnel_port != b->tunnel_port },
                { "[cluster] pre-shared key file", str_differ(a->psk_file, b->psk_file) },
                { "[cluster] leader capability", a->leader_capability != b->leader_capability },
                { "[database] volatile database directory",
                  str_differ(a->volatile_db_dir, b->volatile_db_dir) },
                { "[database] persistent database directory",
                  str_differ(a->persistent_db_dir, b->persistent_db_dir) },
                { "[database] state database directory", str_differ(a->state_db_dir, b->state_db_dir) },
                { "[failover] disabled", a->failover_disabled != b->failover_disabled },
                { "[paths] runtime directory", str_differ(a->run_dir, b->run_dir) },
                { "[paths] state directory", str_differ(a->state_dir, b->state_dir) },
        };
        char *s = talloc_strdup(mem_ctx, "");

        for (size_t i = 0; s && i < ELEMENTSOF(keys); i++)
                if (keys[i].changed)
                        s = talloc_asprintf_append(s, "%s%s", *s ? ", " : "", keys[i].key);
        return s;
}
