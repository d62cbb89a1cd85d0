/* The text handling the configuration parsers share (config-internal.h). */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config-internal.h"
#include "config.h"
#include "talloc-util.h"

/* Longest piece of a bad value quoted back in a message. */
#define QUOTE_MAX 64

static bool is_blank(char c) {
        return c != '\0' && strchr(CONFIG_BLANKS, c);
}

char *config_strip(char *s) {
        size_t n;

        while (is_blank(*s))
                s++;
        n = strlen(s);
        while (n > 0 && is_blank(s[n - 1]))
                s[--n] = '\0';
        return s;
}

char *config_escape(void *ctx, const char *s, const char *open, const char *close) {
        char *q = talloc_strdup(ctx, open);
        size_t i;

        for (i = 0; q && s[i] && i < QUOTE_MAX; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
                        q = talloc_asprintf_append_buffer(q, "\\x%02x", c);
                else
                        q = talloc_asprintf_append_buffer(q, "%c", c);
        }
        if (q && s[i])
                q = talloc_strdup_append_buffer(q, "...");
        if (q)
                q = talloc_strdup_append_buffer(q, close);
        return q;
}

char *config_quote(void *ctx, const char *s) {
        return config_escape(ctx, s, "'", "'");
}

int config_fail(void *mem_ctx, char **ret_error, const char *fmt, ...) {
        va_list ap;
        char *m;

        if (!ret_error)
                return -EINVAL;
        va_start(ap, fmt);
        m = talloc_vasprintf(mem_ctx, fmt, ap);
        va_end(ap);
        if (!m)
                return -ENOMEM;
        *ret_error = m;
        return -EINVAL;
}

int config_read_text_file(void *mem_ctx, const char *path, char **ret_text, char **ret_error) {
        _cleanup_talloc_ char *buf = NULL;
        size_t size = 0, alloc = 4096;
        int fd, r = 0;

        if (ret_error)
                *ret_error = NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                r = -errno;
        else if (!(buf = talloc_size(NULL, alloc)))
                r = -ENOMEM;
        while (r == 0) {
                ssize_t k;

                if (size > CONFIG_FILE_MAX) {
                        r = -EFBIG;
                        break;
                }
                if (size + 1 >= alloc) {
                        char *n = talloc_realloc_size(NULL, buf, alloc *= 2);
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        buf = n;
                }
                k = read(fd, buf + size, alloc - size - 1);
                if (k < 0 && errno != EINTR)
                        r = -errno;
                else if (k == 0)
                        break;
                else if (k > 0)
                        size += (size_t) k;
        }
        if (fd >= 0)
                close(fd);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (ret_error)
                        *ret_error =
                                r == -EFBIG ? talloc_asprintf(mem_ctx,
                                                              "%s: file too large (allowed: up to %u bytes)",
                                                              path, CONFIG_FILE_MAX)
                                            : talloc_asprintf(mem_ctx, "%s: %s", path, strerror(-r));
                return r;
        }

        buf[size] = '\0';
        if (strlen(buf) != size) {
                unsigned line = 1;
                for (const char *p = buf; *p; p++)
                        line += *p == '\n';
                return config_fail(mem_ctx, ret_error, "%s:%u: NUL byte (allowed: text only)", path, line);
        }
        *ret_text = buf;
        buf = NULL;
        return 0;
}

int config_parse_uint(const char *s, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (!*s)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int config_parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "true", "yes", "on", "1" };
        static const char *const no[] = { "false", "no", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/* ---- line-oriented files ---------------------------------------------------- */

/* Splits a copy of text (on ctx, which may be NULL: -ENOMEM) into its non-blank lines. */
static int line_file_split(void *ctx, const char *text, struct config_line_file *ret) {
        struct config_line_file f = {};
        size_t max = 0;
        bool content = false;
        unsigned no = 0;
        char *s;

        if (!ctx)
                return -ENOMEM;
        /* Count first: a hostile file of blank lines costs no memory. */
        for (const char *c = text; *c; c++)
                if (*c == '\n') {
                        max += content;
                        content = false;
                } else if (!is_blank(*c))
                        content = true;
        max += content;

        s = talloc_strdup(ctx, text);
        f.lines = talloc_array(ctx, struct config_line, max + 1);
        f.keys = talloc_array(ctx, struct config_addr_key, max + 1);
        if (!s || !f.lines || !f.keys)
                return -ENOMEM;
        while (*s) {
                char *nl = strchr(s, '\n'), *line = s;

                if (nl)
                        *nl = '\0';
                s = nl ? nl + 1 : s + strlen(s);
                no++;
                line = config_strip(line);
                if (*line)
                        f.lines[f.n_lines++] = (struct config_line) { line, no };
        }
        *ret = f;
        return 0;
}

int config_line_file_open(void *tmp, const char *name, const char *text, size_t max_lines, const char *what,
                          void *mem_ctx, char **ret_error, struct config_line_file *ret) {
        int r;

        if (ret_error)
                *ret_error = NULL;
        r = line_file_split(tmp, text, ret);
        if (r < 0)
                return r;
        if (ret->n_lines > max_lines)
                return config_fail(mem_ctx, ret_error, "%s:%u: too many %s (allowed: up to %zu)", name,
                                   ret->lines[max_lines].no, what, max_lines);
        return 0;
}

void config_line_file_add_key(struct config_line_file *f, const struct ctdb_ip *ip, unsigned line,
                              unsigned index) {
        f->keys[f->n_keys++] = (struct config_addr_key) { .ip = *ip, .line = line, .index = index };
}

static int addr_key_cmp(const void *a, const void *b) {
        const struct config_addr_key *x = a, *y = b;
        int c = ctdb_ip_compare(&x->ip, &y->ip);

        if (c != 0)
                return c;
        return x->line < y->line ? -1 : x->line > y->line;
}

bool config_line_file_find_duplicate(struct config_line_file *f, unsigned *ret_first, unsigned *ret_again,
                                     unsigned *ret_index) {
        struct config_addr_key *keys = f->keys;
        size_t group = 0;
        bool found = false;

        if (f->n_keys < 2)
                return false;
        qsort(keys, f->n_keys, sizeof(*keys), addr_key_cmp);
        for (size_t i = 1; i < f->n_keys; i++) {
                if (!ctdb_ip_equal(&keys[i].ip, &keys[group].ip)) {
                        group = i;
                        continue;
                }
                if (i != group + 1)
                        continue;
                if (!found || keys[i].line < *ret_again) {
                        *ret_first = keys[group].line;
                        *ret_again = keys[i].line;
                        *ret_index = keys[group].index;
                        found = true;
                }
        }
        return found;
}

char *ctdb_config_path(void *mem_ctx, const char *config_dir, const char *file) {
        size_t n;

        if (!config_dir || !*config_dir)
                config_dir = CTDB_CONFIG_DIR;
        n = strlen(config_dir);
        while (n > 0 && config_dir[n - 1] == '/')
                n--;
        return talloc_asprintf(mem_ctx, "%.*s/%s", (int) n, config_dir, file);
}
