/* `ctdb ptrans`'s input lines; see ctdbctl-ptrans.h. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctdbctl-ptrans.h"
#include "db-proto.h"

static int fail(char *err, size_t size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err, size, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int ptrans_hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* s[0..n) as bytes: hex after a 0x prefix (CTDB's str_to_data()), else as they are. */
static int decode(const char *s, size_t n, const char *what, uint8_t **ret, size_t *ret_len, char *err,
                  size_t err_size) {
        bool hex = n >= 2 && s[0] == '0' && s[1] == 'x';
        size_t len = hex ? (n - 2) / 2 : n;
        uint8_t *p;

        if (hex && (n - 2) % 2 != 0)
                return fail(err, err_size, "the %s has an odd number of hex digits after 0x", what);
        *ret = NULL;
        *ret_len = 0;
        if (len == 0)
                return 0;
        p = malloc(len);
        if (!p)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                int hi, lo;

                if (!hex) {
                        p[i] = (uint8_t) s[i];
                        continue;
                }
                hi = ptrans_hex_digit(s[2 + 2 * i]);
                lo = ptrans_hex_digit(s[3 + 2 * i]);
                if (hi < 0 || lo < 0) {
                        free(p);
                        return fail(err, err_size, "the %s is not hex after 0x", what);
                }
                p[i] = (uint8_t) (hi << 4 | lo);
        }
        *ret = p;
        *ret_len = len;
        return 0;
}

/* One key or value at *pos: quoted (up to the next quote) or a word up to a blank. */
static int parse_token(const char *line, size_t len, size_t *pos, const char *what, uint8_t **ret,
                       size_t *ret_len, char *err, size_t err_size) {
        size_t i = *pos, start, end;

        while (i < len && is_blank(line[i]))
                i++;
        if (i == len)
                return fail(err, err_size, "the %s is missing (\"KEY\" \"VALUE\" on each line)", what);
        if (line[i] == '"') {
                const char *q = memchr(line + i + 1, '"', len - i - 1);

                if (!q)
                        return fail(err, err_size, "the %s has no closing \"", what);
                start = i + 1;
                end = (size_t) (q - line);
                *pos = end + 1;
        } else {
                start = i;
                while (i < len && !is_blank(line[i]) && line[i] != '"')
                        i++;
                if (i < len && line[i] == '"')
                        return fail(err, err_size,
                                    "a \" inside the %s: quote all of it, or write it in hex (0x...)", what);
                end = i;
                *pos = i;
        }
        return decode(line + start, end - start, what, ret, ret_len, err, err_size);
}

void ptrans_record_clear(struct ptrans_record *r) {
        free(r->key);
        free(r->value);
        *r = (struct ptrans_record){ 0 };
}

int ptrans_parse_line(const char *line, size_t len, struct ptrans_record *ret, char *err, size_t err_size) {
        struct ptrans_record r = { 0 };
        size_t pos = 0;
        int k;

        if (err_size > 0)
                err[0] = '\0';
        while (pos < len && is_blank(line[pos]))
                pos++;
        if (pos == len)
                return 0;

        k = parse_token(line, len, &pos, "key", &r.key, &r.key_len, err, err_size);
        if (k >= 0 && r.key_len == 0)
                k = fail(err, err_size, "the key is empty");
        if (k >= 0 && r.key_len > DB_KEY_MAX)
                k = fail(err, err_size, "the key is %zu bytes, above the limit of %u", r.key_len,
                         DB_KEY_MAX);
        if (k >= 0)
                k = parse_token(line, len, &pos, "value", &r.value, &r.value_len, err, err_size);
        if (k >= 0 && r.value_len > DB_VALUE_MAX)
                k = fail(err, err_size, "the value is %zu bytes, above the limit of %u", r.value_len,
                         DB_VALUE_MAX);
        while (k >= 0 && pos < len && is_blank(line[pos]))
                pos++;
        if (k >= 0 && pos < len)
                k = fail(err, err_size, "more than a key and a value on the line");
        if (k < 0) {
                ptrans_record_clear(&r);
                return k;
        }
        *ret = r;
        return 1;
}

/* By key, and for one key in input order: each key's last record ends its run. */
struct ranked {
        struct ptrans_record r;
        size_t index;
};

static int compare_ranked(const void *a, const void *b) {
        const struct ranked *x = a, *y = b;
        int c;

        if (x->r.key_len != y->r.key_len)
                return x->r.key_len < y->r.key_len ? -1 : 1;
        c = memcmp(x->r.key, y->r.key, x->r.key_len);
        if (c != 0)
                return c;
        return x->index < y->index ? -1 : x->index > y->index;
}

int ptrans_records_dedupe(struct ptrans_record *records, size_t n, size_t *ret_n) {
        struct ranked *v;
        size_t k = 0;

        *ret_n = n;
        if (n < 2)
                return 0;
        v = malloc(n * sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                v[i] = (struct ranked){ records[i], i };
        qsort(v, n, sizeof(*v), compare_ranked);
        for (size_t i = 0; i < n; i++) {
                bool last = i + 1 == n || v[i + 1].r.key_len != v[i].r.key_len ||
                            memcmp(v[i + 1].r.key, v[i].r.key, v[i].r.key_len) != 0;

                if (last)
                        records[k++] = v[i].r;
                else
                        ptrans_record_clear(&v[i].r);
        }
        free(v);
        *ret_n = k;
        return 0;
}
