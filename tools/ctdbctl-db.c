/*
 * ctdbctl db: the databases of org.ctdb.db1 (ctdb-dbd) over D-Bus: list,
 * attach, get/put/delete one record, keys, dump (like `ctdb catdb`), wipe,
 * readonly, sticky; on persistent and replicated databases also ptrans (one
 * transaction from `ctdb ptrans`'s input, ctdbctl-ptrans.h) and seqnum.
 *
 * Keys and values are bytes. Shown to a person, printable ASCII stays as it
 * is and anything else becomes 0x-prefixed hex; with --hex, KEY and VALUE
 * arguments are hex and output is plain hex. JSON always carries the hex
 * (key_hex, value_hex) and the text (key, value) where it is printable, else
 * null.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "ctdbctl-ptrans.h"
#include "ctdbctl.h"
#include "db-proto.h"

struct db_args {
        const char *verb;   /* "put" */
        const char *method; /* the Database method of a plain verb */
        bool hex;
        uint32_t max; /* Keys(max): 0 is the daemon's limit */
        int argc;     /* the positional arguments after "db VERB" */
        char **argv;
};

/* ---- bytes ----------------------------------------------------------------- */

static bool is_printable(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i] < 0x20 || p[i] > 0x7e)
                        return false;
        return true;
}

static void print_hex(FILE *f, const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%02x", p[i]);
}

/* One key or value for a person: text, or 0x + hex; plain hex with --hex. */
static void print_bytes(const struct db_args *a, const uint8_t *p, size_t n) {
        if (!a->hex && is_printable(p, n)) {
                fwrite(p, 1, n, stdout);
                return;
        }
        if (!a->hex)
                fputs("0x", stdout);
        print_hex(stdout, p, n);
}

/* "NAME":"text"|null,"NAME_hex":"..." */
static void json_bytes(const char *name, const uint8_t *p, size_t n) {
        printf("\"%s\":", name);
        if (is_printable(p, n)) {
                char *s = strndup((const char *) p, n);

                json_string(s ? s : "");
                free(s);
        } else {
                printf("null");
        }
        printf(",\"%s_hex\":\"", name);
        print_hex(stdout, p, n);
        putchar('"');
}

/* An argument as bytes: as given, or decoded from hex with --hex. *ret points into s or is malloc'd
 * (*ret_buf). */
static int parse_bytes(const struct db_args *a, const char *what, const char *s, const uint8_t **ret,
                       size_t *ret_len, uint8_t **ret_buf) {
        size_t n = strlen(s);
        uint8_t *buf;

        *ret_buf = NULL;
        if (!a->hex) {
                *ret = (const uint8_t *) s;
                *ret_len = n;
                return 0;
        }
        if (n % 2 != 0) {
                fprintf(stderr, "Invalid %s \"%s\": --hex wants an even number of hex digits\n", what, s);
                return -EINVAL;
        }
        buf = malloc(n / 2 + 1);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < n / 2; i++) {
                int hi = ptrans_hex_digit(s[2 * i]), lo = ptrans_hex_digit(s[2 * i + 1]);

                if (hi < 0 || lo < 0) {
                        fprintf(stderr, "Invalid %s \"%s\": not hex digits\n", what, s);
                        free(buf);
                        return -EINVAL;
                }
                buf[i] = (uint8_t) (hi << 4 | lo);
        }
        *ret = buf;
        *ret_len = n / 2;
        *ret_buf = buf;
        return 0;
}

/* ---- calls ------------------------------------------------------------------ */

static char *db_object_path(const char *name) {
        char *path = NULL;

        if (sd_bus_path_encode(DBD_DB_PREFIX, name, &path) < 0)
                return NULL;
        return path;
}

/* A method of the database name; reply may be NULL. Failures are reported (exit code returned). */
static int db_call(sd_bus *bus, const char *name, const char *method, sd_bus_message **reply,
                   const char *types, ...) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *call = NULL;
        char *path = db_object_path(name);
        char what[128];
        va_list ap;
        int r;

        if (!path)
                return call_failed("Failed to name the database's object", -ENOMEM, NULL);
        r = sd_bus_message_new_method_call(bus, &call, DBD_BUS_NAME, path, DBD_DB_IFACE, method);
        free(path);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(call, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call(bus, call, 0, &error, reply);
        if (r < 0) {
                snprintf(what, sizeof(what), "%s on %s failed", method, name);
                return call_failed(what, r, &error);
        }
        return 0;
}

/* The {ok:true} of an action with --json. */
static int action_done(const char *verb, const char *name) {
        if (arg_json) {
                printf("{\"ok\":true,\"verb\":\"db %s\",\"db\":", verb);
                json_string(name);
                printf("}\n");
        }
        return 0;
}

/* Reads one "ay" of m. */
static int read_bytes(sd_bus_message *m, const uint8_t **ret, size_t *ret_len) {
        const void *p;
        int r = sd_bus_message_read_array(m, 'y', &p, ret_len);

        *ret = p;
        return r;
}

/* ---- verbs ------------------------------------------------------------------ */

static int db_get_info(sd_bus *bus, const char *path, uint32_t *id, char **file, int *ro, int *sticky) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_trivial(bus, DBD_BUS_NAME, path, DBD_DB_IFACE, "Id", &error, 'u', id);
        if (r >= 0)
                r = sd_bus_get_property_string(bus, DBD_BUS_NAME, path, DBD_DB_IFACE, "Path", &error, file);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, DBD_BUS_NAME, path, DBD_DB_IFACE, "ReadOnly", &error,
                                                'b', ro);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, DBD_BUS_NAME, path, DBD_DB_IFACE, "Sticky", &error, 'b',
                                                sticky);
        if (r < 0)
                return call_failed("Failed to read a database", r, &error);
        return 0;
}

/* `ctdb getdbmap`'s lines: dbid, name, file, and the kind and switches in capitals. */
static int db_list(sd_bus *bus, const struct db_args *a) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        const char *name, *path, *kind;
        size_t n = 0;
        int r;

        r = sd_bus_get_property(bus, DBD_BUS_NAME, DBD_MANAGER_PATH, DBD_MANAGER_IFACE, "Databases", &error,
                                &reply, "a(sos)");
        if (r < 0)
                return call_failed("Failed to list the databases", r, &error);
        r = sd_bus_message_enter_container(reply, 'a', "(sos)");
        if (r < 0)
                return call_failed("Failed to parse the databases", r, NULL);
        if (arg_json)
                printf("{\"databases\":[");
        while ((r = sd_bus_message_read(reply, "(sos)", &name, &path, &kind)) > 0) {
                char *file = NULL;
                uint32_t id = 0;
                int ro = 0, sticky = 0;

                r = db_get_info(bus, path, &id, &file, &ro, &sticky);
                if (r != 0)
                        return r;
                if (arg_json) {
                        printf("%s{\"name\":", n ? "," : "");
                        json_string(name);
                        printf(",\"path\":");
                        json_string(path);
                        printf(",\"kind\":");
                        json_string(kind);
                        printf(",\"id\":%" PRIu32 ",\"file\":", id);
                        json_string(file);
                        printf(",\"readonly\":%s,\"sticky\":%s}", ro ? "true" : "false",
                               sticky ? "true" : "false");
                } else {
                        if (n == 0)
                                printf("%-10s %-24s %-10s %-8s %s\n", "DBID", "NAME", "KIND", "FLAGS",
                                       "FILE");
                        printf("0x%08" PRIx32 " %-24s %-10s %-8s %s\n", id, name, kind,
                               ro && sticky ? "RO,STICKY"
                               : ro         ? "RO"
                               : sticky     ? "STICKY"
                                            : "-",
                               file);
                }
                free(file);
                n++;
        }
        if (r < 0)
                return call_failed("Failed to parse the databases", r, NULL);
        if (arg_json)
                printf("]}\n");
        else if (n == 0)
                printf("No databases attached\n");
        return 0;
}

static int db_attach(sd_bus *bus, const struct db_args *a) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        const char *name = a->argv[0], *kind = a->argc > 1 ? a->argv[1] : "volatile", *path;
        char what[300];
        int r;

        r = sd_bus_call_method(bus, DBD_BUS_NAME, DBD_MANAGER_PATH, DBD_MANAGER_IFACE, "Attach", &error,
                               &reply, "ss", name, kind);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r < 0) {
                snprintf(what, sizeof(what), "Failed to attach %s", name);
                return call_failed(what, r, &error);
        }
        if (arg_json) {
                printf("{\"ok\":true,\"verb\":\"db attach\",\"db\":");
                json_string(name);
                printf(",\"path\":");
                json_string(path);
                printf("}\n");
        }
        return 0;
}

static void print_record(const struct db_args *a, const uint8_t *key, size_t key_len, const uint8_t *value,
                         size_t len) {
        if (arg_json) {
                printf("{");
                json_bytes("key", key, key_len);
                putchar(',');
                json_bytes("value", value, len);
                printf("}");
        } else {
                print_bytes(a, value, len);
                putchar('\n');
        }
}

/* Fetch(key): 0 and the reply, or an exit code (reported); -ENOENT for a missing record when quiet. */
static int fetch(sd_bus *bus, const char *name, const uint8_t *key, size_t key_len, bool quiet,
                 sd_bus_message **ret_reply) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *call = NULL;
        char *path = db_object_path(name);
        char what[300];
        int r;

        if (!path)
                return call_failed("Failed to name the database's object", -ENOMEM, NULL);
        r = sd_bus_message_new_method_call(bus, &call, DBD_BUS_NAME, path, DBD_DB_IFACE, "Fetch");
        free(path);
        if (r >= 0)
                r = sd_bus_message_append_array(call, 'y', key, key_len);
        if (r >= 0)
                r = sd_bus_call(bus, call, 0, &error, ret_reply);
        if (r < 0 && quiet && sd_bus_error_has_name(&error, CTDB_ERROR_NOT_FOUND))
                return -ENOENT;
        if (r < 0) {
                snprintf(what, sizeof(what), "Fetch on %s failed", name);
                return call_failed(what, r, &error);
        }
        return 0;
}

static int db_get(sd_bus *bus, const struct db_args *a) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        const uint8_t *key, *value;
        uint8_t *buf;
        size_t key_len, len;
        int r;

        if (parse_bytes(a, "KEY", a->argv[1], &key, &key_len, &buf) < 0)
                return EXIT_USAGE;
        r = fetch(bus, a->argv[0], key, key_len, false, &reply);
        if (r == 0 && read_bytes(reply, &value, &len) < 0)
                r = call_failed("Failed to parse the value", -EBADMSG, NULL);
        if (r == 0) {
                print_record(a, key, key_len, value, len);
                if (arg_json)
                        putchar('\n');
        }
        free(buf);
        return r;
}

/* put NAME KEY VALUE, delete NAME KEY */
static int db_put_or_delete(sd_bus *bus, const struct db_args *a, bool put) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *call = NULL;
        const uint8_t *key, *value = NULL;
        uint8_t *key_buf = NULL, *value_buf = NULL;
        size_t key_len, len = 0;
        char *path = NULL;
        int r = EXIT_USAGE;

        if (parse_bytes(a, "KEY", a->argv[1], &key, &key_len, &key_buf) < 0)
                goto out;
        if (put && parse_bytes(a, "VALUE", a->argv[2], &value, &len, &value_buf) < 0)
                goto out;
        path = db_object_path(a->argv[0]);
        r = path ? sd_bus_message_new_method_call(bus, &call, DBD_BUS_NAME, path, DBD_DB_IFACE,
                                                  put ? "Store" : "Delete")
                 : -ENOMEM;
        if (r >= 0)
                r = sd_bus_message_append_array(call, 'y', key, key_len);
        if (r >= 0 && put)
                r = sd_bus_message_append_array(call, 'y', value, len);
        if (r >= 0)
                r = sd_bus_call(bus, call, 0, &error, NULL);
        if (r < 0) {
                char what[300];

                snprintf(what, sizeof(what), "%s on %s failed", put ? "Store" : "Delete", a->argv[0]);
                r = call_failed(what, r, &error);
        } else {
                r = action_done(put ? "put" : "delete", a->argv[0]);
        }
out:
        free(path);
        free(key_buf);
        free(value_buf);
        return r;
}

/*
 * Keys(max), then each(key) per key; with --json inside {"LIST":[...]}. each
 * returns 0 (printed: the next call's n is one more), negative (skipped) or an
 * exit code that ends the walk. *ret_n: the keys printed.
 */
static int keys_walk(sd_bus *bus, const struct db_args *a, const char *list, size_t *ret_n,
                     int (*each)(sd_bus *bus, const struct db_args *a, const uint8_t *key, size_t len,
                                 size_t n)) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        const uint8_t *key;
        size_t len, n = 0;
        int r;

        r = db_call(bus, a->argv[0], "Keys", &reply, "u", a->max);
        if (r != 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "ay");
        if (r >= 0 && arg_json)
                printf("{\"%s\":[", list);
        while (r >= 0 && (r = read_bytes(reply, &key, &len)) > 0) {
                int k = each(bus, a, key, len, n);

                if (k > 0)
                        return k;
                n += k == 0;
        }
        if (r < 0)
                return call_failed("Failed to parse the keys", r, NULL);
        if (arg_json)
                printf("]}\n");
        *ret_n = n;
        return 0;
}

static int print_key(sd_bus *bus, const struct db_args *a, const uint8_t *key, size_t len, size_t n) {
        if (arg_json) {
                printf("%s{", n ? "," : "");
                json_bytes("key", key, len);
                putchar('}');
        } else {
                print_bytes(a, key, len);
                putchar('\n');
        }
        return 0;
}

static int db_keys(sd_bus *bus, const struct db_args *a) {
        size_t n;

        return keys_walk(bus, a, "keys", &n, print_key);
}

/* `ctdb catdb`'s escaping: printable characters as they are, others as \XX. */
static void print_catdb(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (p[i] >= 0x20 && p[i] <= 0x7e && p[i] != '\\')
                        putchar(p[i]);
                else
                        printf("\\%02X", p[i]);
        }
}

/* One record of Dump's answer in `ctdb catdb`'s layout (or JSON, or hex with --hex). */
static void dump_record(const struct db_args *a, const uint8_t *key, size_t len, const uint8_t *value,
                        size_t value_len, uint32_t dmaster, uint64_t rsn, uint32_t flags, size_t n) {
        if (arg_json) {
                printf("%s{", n ? "," : "");
                json_bytes("key", key, len);
                putchar(',');
                json_bytes("value", value, value_len);
                printf(",\"dmaster\":%" PRIu32 ",\"rsn\":%" PRIu64 ",\"flags\":%" PRIu32 "}", dmaster, rsn,
                       flags);
                return;
        }
        printf("key(%zu) = ", len);
        if (a->hex)
                print_hex(stdout, key, len);
        else {
                putchar('"');
                print_catdb(key, len);
                putchar('"');
        }
        printf("\ndmaster: %" PRIu32 "\nrsn: %" PRIu64 "\nflags: 0x%08" PRIx32 "\ndata(%zu) = ", dmaster,
               rsn, flags, value_len);
        if (a->hex)
                print_hex(stdout, value, value_len);
        else {
                putchar('"');
                print_catdb(value, value_len);
                putchar('"');
        }
        printf("\n\n");
}

/* Like `ctdb catdb`: every live record with the header its dmaster holds (Dump). */
static int db_dump(sd_bus *bus, const struct db_args *a) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        size_t n = 0;
        int r;

        r = db_call(bus, a->argv[0], "Dump", &reply, "u", a->max);
        if (r != 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ayayutu)");
        if (r >= 0 && arg_json)
                printf("{\"records\":[");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "ayayutu")) > 0) {
                const uint8_t *key, *value;
                size_t len, value_len;
                uint32_t dmaster, flags;
                uint64_t rsn;

                r = read_bytes(reply, &key, &len);
                if (r >= 0)
                        r = read_bytes(reply, &value, &value_len);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "utu", &dmaster, &rsn, &flags);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        dump_record(a, key, len, value, value_len, dmaster, rsn, flags, n++);
        }
        if (r < 0)
                return call_failed("Failed to parse the records", r, NULL);
        if (arg_json)
                printf("]}\n");
        else
                printf("Dumped %zu records\n", n);
        return 0;
}

/* wipe, readonly, sticky: one method without arguments. */
static int db_plain(sd_bus *bus, const struct db_args *a) {
        int r = db_call(bus, a->argv[0], a->method, NULL, NULL);

        return r != 0 ? r : action_done(a->verb, a->argv[0]);
}

static int db_put(sd_bus *bus, const struct db_args *a) {
        return db_put_or_delete(bus, a, true);
}

static int db_delete(sd_bus *bus, const struct db_args *a) {
        return db_put_or_delete(bus, a, false);
}

/* SeqNum: the commits of a persistent or replicated database (0 for a volatile one). */
static int db_seqnum(sd_bus *bus, const struct db_args *a) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        char *path = db_object_path(a->argv[0]);
        uint64_t seqnum = 0;
        char what[300];
        int r;

        r = path ? sd_bus_get_property_trivial(bus, DBD_BUS_NAME, path, DBD_DB_IFACE, "SeqNum", &error, 't',
                                               &seqnum)
                 : -ENOMEM;
        free(path);
        if (r < 0) {
                snprintf(what, sizeof(what), "Failed to read the SeqNum of %s", a->argv[0]);
                return call_failed(what, r, &error);
        }
        if (arg_json) {
                printf("{\"db\":");
                json_string(a->argv[0]);
                printf(",\"seqnum\":%" PRIu64 "}\n", seqnum);
        } else {
                printf("%" PRIu64 "\n", seqnum);
        }
        return 0;
}

struct ptrans_input {
        struct ptrans_record *records;
        size_t n, n_delete;
};

static void ptrans_input_clear(struct ptrans_input *in) {
        for (size_t i = 0; i < in->n; i++)
                ptrans_record_clear(&in->records[i]);
        free(in->records);
        *in = (struct ptrans_input){ 0 };
}

/* Every line of f (named source in messages): 0, or an exit code (reported). */
static int ptrans_read(FILE *f, const char *source, struct ptrans_input *in) {
        /* A hex key and value at their limits, quotes and blanks: longer is no line of ours. */
        const size_t line_max = 2 * (DB_KEY_MAX + DB_VALUE_MAX) + 64;
        char *line = NULL, err[256], msg[400];
        size_t cap = 0, n_line = 0;
        ssize_t len;
        int r = 0;

        while (r == 0 && (len = getline(&line, &cap, f)) >= 0) {
                struct ptrans_record rec;
                int k;

                n_line++;
                if ((size_t) len > line_max) {
                        snprintf(err, sizeof(err), "the line is longer than %zu bytes", line_max);
                        k = -EINVAL;
                } else {
                        k = ptrans_parse_line(line, (size_t) len, &rec, err, sizeof(err));
                }
                if (k == -ENOMEM)
                        r = report_failure(EXIT_FAILURE_, NULL, "Failed to read the records",
                                           strerror(ENOMEM));
                if (k == -EINVAL) {
                        snprintf(msg, sizeof(msg), "%s:%zu: %s", source, n_line, err);
                        r = report_failure(EXIT_USAGE, CTDB_ERROR_INVALID_ARGS, "Nothing committed", msg);
                }
                if (k <= 0)
                        continue;
                if (in->n % 256 == 0) {
                        struct ptrans_record *p = realloc(in->records, (in->n + 256) * sizeof(*p));

                        if (!p) {
                                ptrans_record_clear(&rec);
                                r = report_failure(EXIT_FAILURE_, NULL, "Failed to read the records",
                                                   strerror(ENOMEM));
                                continue;
                        }
                        in->records = p;
                }
                in->records[in->n++] = rec;
        }
        if (r == 0 && ferror(f))
                r = report_failure(EXIT_FAILURE_, NULL, "Failed to read the records", strerror(errno));
        free(line);
        if (r == 0 && ptrans_records_dedupe(in->records, in->n, &in->n) < 0)
                r = report_failure(EXIT_FAILURE_, NULL, "Failed to read the records", strerror(ENOMEM));
        for (size_t i = 0; r == 0 && i < in->n; i++)
                in->n_delete += in->records[i].value_len == 0;
        return r;
}

/* Transaction(store, delete) of the records: an empty value deletes, as in `ctdb ptrans`. */
static int ptrans_append(sd_bus_message *call, const struct ptrans_input *in) {
        int r = sd_bus_message_open_container(call, 'a', "(ayay)");

        for (size_t i = 0; r >= 0 && i < in->n; i++) {
                const struct ptrans_record *rec = &in->records[i];

                if (rec->value_len == 0)
                        continue;
                r = sd_bus_message_open_container(call, 'r', "ayay");
                if (r >= 0)
                        r = sd_bus_message_append_array(call, 'y', rec->key, rec->key_len);
                if (r >= 0)
                        r = sd_bus_message_append_array(call, 'y', rec->value, rec->value_len);
                if (r >= 0)
                        r = sd_bus_message_close_container(call);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "ay");
        for (size_t i = 0; r >= 0 && i < in->n; i++)
                if (in->records[i].value_len == 0)
                        r = sd_bus_message_append_array(call, 'y', in->records[i].key,
                                                        in->records[i].key_len);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        return r;
}

/* ptrans NAME [FILE]: every line of FILE (standard input without it) in one transaction, as ctdb ptrans. */
static int db_ptrans(sd_bus *bus, const struct db_args *a) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *call = NULL;
        const char *name = a->argv[0], *file = a->argc > 1 ? a->argv[1] : NULL;
        struct ptrans_input in = { 0 };
        char *path = NULL, what[300];
        FILE *f = stdin;
        int r;

        if (file && !(f = fopen(file, "re"))) {
                snprintf(what, sizeof(what), "Failed to open %s", file);
                return report_failure(EXIT_USAGE, NULL, what, strerror(errno));
        }
        r = ptrans_read(f, file ? file : "stdin", &in);
        if (file)
                fclose(f);
        if (r != 0)
                goto out;

        path = db_object_path(name);
        r = path ? sd_bus_message_new_method_call(bus, &call, DBD_BUS_NAME, path, DBD_DB_IFACE,
                                                  "Transaction")
                 : -ENOMEM;
        if (r >= 0)
                r = ptrans_append(call, &in);
        if (r < 0) {
                r = report_failure(EXIT_FAILURE_, NULL, "Failed to put the transaction together",
                                   strerror(-r));
                goto out;
        }
        r = sd_bus_call(bus, call, 0, &error, NULL);
        if (r < 0) {
                snprintf(what, sizeof(what), "Transaction on %s failed, nothing committed", name);
                r = call_failed(what, r, &error);
                goto out;
        }
        if (arg_json) {
                printf("{\"ok\":true,\"verb\":\"db ptrans\",\"db\":");
                json_string(name);
                printf(",\"stored\":%zu,\"deleted\":%zu}\n", in.n - in.n_delete, in.n_delete);
        }
        r = 0;
out:
        free(path);
        ptrans_input_clear(&in);
        return r;
}

/* ---- the verb ------------------------------------------------------------------ */

static const struct {
        const char *name;
        int min_args, max_args; /* after the verb */
        const char *args, *help;
        int (*run)(sd_bus *bus, const struct db_args *a);
        const char *method; /* db_plain */
} db_verbs[] = {
        { "list", 0, 0, "", "List the attached databases (id, name, kind, flags, file)", db_list },
        { "attach", 1, 2, "NAME [KIND]",
          "Attach a database (KIND: volatile, the default, persistent, replicated)", db_attach },
        { "get", 2, 2, "NAME KEY", "Print the record's value (wherever it lives; it does not move)",
          db_get },
        { "put", 3, 3, "NAME KEY VALUE", "Store a record (volatile: it moves here; else a transaction)",
          db_put },
        { "delete", 2, 2, "NAME KEY", "Delete a record (persistent, replicated: a transaction)", db_delete },
        { "ptrans", 1, 2, "NAME [FILE]", "One transaction of \"KEY\" \"VALUE\" lines (ctdb ptrans)",
          db_ptrans },
        { "seqnum", 1, 1, "NAME", "Print the database's SeqNum (its commits)", db_seqnum },
        { "keys", 1, 1, "NAME [--max N]", "List the keys of the cluster (at most N; default 100000)",
          db_keys },
        { "dump", 1, 1, "NAME [--max N]", "Keys, values, rsn, dmaster, flags like ctdb catdb", db_dump },
        { "wipe", 1, 1, "NAME", "Remove every record on every node", db_plain, "Wipe" },
        { "readonly", 1, 1, "NAME", "Switch read-only delegations on (ctdb setdbreadonly)", db_plain,
          "SetReadOnly" },
        { "sticky", 1, 1, "NAME", "Switch sticky records on (ctdb setdbsticky)", db_plain, "SetSticky" },
};

void help_db(void) {
        printf("\nDatabase commands (ctdbctl db VERB ...):\n");
        for (size_t i = 0; i < sizeof(db_verbs) / sizeof(db_verbs[0]); i++)
                printf("  db %-8s %-16s %s\n", db_verbs[i].name, db_verbs[i].args, db_verbs[i].help);
        printf("  --hex: KEY and VALUE arguments are hex, and keys and values print as hex; without it,\n"
               "  printable ASCII prints as is and other bytes as 0x followed by hex.\n"
               "  ptrans reads FILE or standard input: a line \"KEY\" \"VALUE\" stores, \"KEY\" \"\" "
               "deletes; the bytes\n"
               "  between the quotes as they are (no escapes), 0x... is hex, a word without quotes or "
               "blanks\n"
               "  may stand unquoted; a key given twice keeps its last value. A bad line commits nothing "
               "(exit 1).\n"
               "JSON: db list {databases[{name,path,kind,id,file,readonly,sticky}]}; db get {key,key_hex,\n"
               "      value,value_hex} (key/value null if not printable); db keys {keys[{key,key_hex}]};\n"
               "      db dump {records[{key,key_hex,value,value_hex,dmaster,rsn,flags}]}; db seqnum "
               "{db,seqnum};\n"
               "      db ptrans {ok:true,verb,db,stored,deleted}; actions {ok:true, verb, db}.\n");
}

/* Splits --hex and --max N (anywhere after the verb) from the positional arguments. */
static int parse_db_args(int argc, char **argv, struct db_args *a) {
        int k = 0;

        for (int i = 0; i < argc; i++) {
                const char *s = argv[i];

                if (strcmp(s, "--hex") == 0) {
                        a->hex = true;
                } else if (strcmp(s, "--max") == 0 || strncmp(s, "--max=", 6) == 0) {
                        const char *v = s[5] == '=' ? s + 6 : i + 1 < argc ? argv[++i] : NULL;

                        if (!v) {
                                fprintf(stderr, "--max needs a number\n");
                                return -EINVAL;
                        }
                        if (parse_u32(v, "--max", &a->max) < 0)
                                return -EINVAL;
                } else if (strcmp(s, "--") == 0) {
                        while (++i < argc)
                                argv[k++] = argv[i];
                } else if (s[0] == '-' && s[1] == '-') {
                        fprintf(stderr, "Unknown option %s for ctdbctl db; see ctdbctl --help\n", s);
                        return -EINVAL;
                } else {
                        argv[k++] = argv[i];
                }
        }
        a->argc = k;
        a->argv = argv;
        return 0;
}

int verb_db(sd_bus *bus, const struct verb *v, int argc, char **argv) {
        struct db_args a = { 0 };
        const char *verb = argv[1];
        size_t i;

        for (i = 0; i < sizeof(db_verbs) / sizeof(db_verbs[0]); i++)
                if (strcmp(db_verbs[i].name, verb) == 0)
                        break;
        if (i == sizeof(db_verbs) / sizeof(db_verbs[0])) {
                fprintf(stderr, "Unknown command \"db %s\"; see ctdbctl --help\n", verb);
                return EXIT_USAGE;
        }
        if (parse_db_args(argc - 2, argv + 2, &a) < 0)
                return EXIT_USAGE;
        if (a.argc < db_verbs[i].min_args || a.argc > db_verbs[i].max_args) {
                fprintf(stderr, "Usage: ctdbctl db %s %s\n", verb, db_verbs[i].args);
                return EXIT_USAGE;
        }
        a.verb = verb;
        a.method = db_verbs[i].method;
        return db_verbs[i].run(bus, &a);
}
