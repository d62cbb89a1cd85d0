#pragma once

/*
 * What the three configuration parsers (config-nodes.c, config-public.c,
 * config-ctdb.c) share: reading a file, quoting a bad value back, the error
 * convention of config.h, and for the two line-oriented files their lines and
 * the search for a repeated address. Not installed; not for callers of config.h.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip-address.h"

/* Longest configuration file we read: far beyond any real one, small enough to slurp. */
#define CONFIG_FILE_MAX (1024u * 1024u)

/* The blanks of a line: what strip() cuts and what separates fields. */
#define CONFIG_BLANKS " \t\r\f\v"

/* Strips blanks on both ends in place. */
char *config_strip(char *s);

/*
 * s quoted for a message between open and close: at most 64 bytes, control and
 * non-ASCII bytes escaped, so that a garbage file cannot put garbage into the
 * journal. talloc'd on ctx; NULL when out of memory.
 */
char *config_escape(void *ctx, const char *s, const char *open, const char *close);
/* config_escape() between single quotes. */
char *config_quote(void *ctx, const char *s);

/* Sets *ret_error (if wanted, on mem_ctx) and returns -EINVAL; -ENOMEM if the message cannot be made. */
int config_fail(void *mem_ctx, char **ret_error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Reads a whole text file into *ret_text (talloc'd without a parent: the
 * caller frees it). I/O errors come back as they are (-ENOENT ...), a NUL
 * byte as -EINVAL, a file over CONFIG_FILE_MAX as -EFBIG, each with a message
 * on mem_ctx.
 */
int config_read_text_file(void *mem_ctx, const char *path, char **ret_text, char **ret_error);

/* Decimal digits only (no sign, no blanks), at most max. 0, -EINVAL or -ERANGE. */
int config_parse_uint(const char *s, uint64_t max, uint64_t *ret);
/* true/yes/on/1 and false/no/off/0, any case. 0 or -EINVAL. */
int config_parse_bool(const char *s, bool *ret);

/* An address of a line, kept to find a repeated one. */
struct config_addr_key {
        struct ctdb_ip ip;
        unsigned line;
        unsigned index;         /* of the entry in the parser's result */
};

/* A line with something on it: stripped, NUL-terminated, and its number in the file. */
struct config_line {
        char *s;
        unsigned no;
};

/* A line-oriented file (nodes, public_addresses): its non-blank lines, and room for an address per line. */
struct config_line_file {
        struct config_line *lines;
        size_t n_lines;
        struct config_addr_key *keys;
        size_t n_keys;
};

/*
 * The start of a line-oriented parse: clears *ret_error, splits a copy of text
 * (on tmp) into its non-blank lines and refuses more than max_lines of them as
 * "NAME:LINE: too many WHAT (allowed: up to MAX)". -ENOMEM if tmp is NULL.
 */
int config_line_file_open(void *tmp, const char *name, const char *text, size_t max_lines, const char *what,
                          void *mem_ctx, char **ret_error, struct config_line_file *ret);
/* Records the address of entry index, on line. */
void config_line_file_add_key(struct config_line_file *f, const struct ctdb_ip *ip, unsigned line,
                              unsigned index);
/*
 * Finds the first line (in file order) that repeats an earlier address: its
 * line (ret_again), the earlier one's (ret_first) and the earlier entry's index.
 * Sorting keeps this O(n log n) however long a hostile file is.
 */
bool config_line_file_find_duplicate(struct config_line_file *f, unsigned *ret_first, unsigned *ret_again,
                                     unsigned *ret_index);
