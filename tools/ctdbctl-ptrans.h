#pragma once

/*
 * The input of `ctdbctl db ptrans`, which is `ctdb ptrans`'s: one record a
 * line, a key and a value, each "in double quotes" (the bytes between the
 * quotes as they are: no escapes, as CTDB reads them) or, an addition of
 * ctdbctl, a word without quotes or blanks. A key or value that starts with
 * 0x is hex (CTDB's rule), so "0x00ff" is two bytes; an empty value ("")
 * deletes the key. Blank lines are skipped; anything else on a line is an
 * error, where CTDB skips the line and commits the rest.
 *
 * Plain C and malloc, so the unit tests and the fuzzer use it as ctdbctl does.
 */

#include <stddef.h>
#include <stdint.h>

struct ptrans_record {
        uint8_t *key; /* malloc'd */
        size_t key_len;
        uint8_t *value; /* malloc'd, NULL when empty; value_len 0: delete the key */
        size_t value_len;
};

/*
 * Parses one line (len bytes, its '\n' optional, NUL bytes taken as bytes):
 * 1 with *ret filled (free with ptrans_record_clear()), 0 for a blank line,
 * -EINVAL with what is wrong in err (always a NUL-terminated string), or -ENOMEM.
 */
int ptrans_parse_line(const char *line, size_t len, struct ptrans_record *ret, char *err, size_t err_size);
void ptrans_record_clear(struct ptrans_record *r);

/*
 * Keeps the last record of each key, as the same lines in one `ctdb ptrans`
 * transaction end up (a later line overwrites an earlier one); the others are
 * cleared. The order of the records kept is not the input's; *ret_n is their
 * number. 0, or -ENOMEM with nothing changed.
 */
int ptrans_records_dedupe(struct ptrans_record *records, size_t n, size_t *ret_n);

/* 0..15 for a hex digit (either case), else -1; also what ctdbctl's --hex reads. */
int ptrans_hex_digit(char c);
