/* ctdbctl db ptrans's input: `ctdb ptrans`'s lines (tools/ctdbctl-ptrans.h). */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "ctdbctl-ptrans.h"
#include "db-proto.h"

/* Parses s; returns what ptrans_parse_line() did, the record in *r, the message in err. */
static int parse(const char *s, struct ptrans_record *r, char *err, size_t size) {
        *r = (struct ptrans_record){ 0 };
        return ptrans_parse_line(s, strlen(s), r, err, size);
}

static void assert_record(const char *line, const char *key, const char *value) {
        struct ptrans_record r;
        char err[256];

        g_assert_cmpint(parse(line, &r, err, sizeof(err)), ==, 1);
        g_assert_cmpmem(r.key, r.key_len, key, strlen(key));
        g_assert_cmpmem(r.value, r.value_len, value, strlen(value));
        ptrans_record_clear(&r);
}

static void assert_invalid(const char *line, const char *want) {
        struct ptrans_record r;
        char err[256];

        g_assert_cmpint(parse(line, &r, err, sizeof(err)), ==, -EINVAL);
        g_assert_null(r.key);
        g_assert_nonnull(strstr(err, want));
}

static void test_quoted(void) {
        assert_record("\"key1\" \"value1\"\n", "key1", "value1");
        assert_record("  \"key 2\"\t\"a value with blanks\"  \r\n", "key 2", "a value with blanks");
        /* No blank needed between the two, as CTDB's parser reads it. */
        assert_record("\"k\"\"v\"", "k", "v");
}

/* No escapes: a backslash is a byte like any other (CTDB reads up to the next quote). */
static void test_no_escapes(void) {
        assert_record("\"a\\\\b\" \"c\\n\"", "a\\\\b", "c\\n");
}

static void test_empty_value_deletes(void) {
        struct ptrans_record r;
        char err[256];

        g_assert_cmpint(parse("\"key1\" \"\"\n", &r, err, sizeof(err)), ==, 1);
        g_assert_cmpuint(r.value_len, ==, 0);
        g_assert_null(r.value);
        ptrans_record_clear(&r);
}

static void test_hex(void) {
        struct ptrans_record r;
        char err[256];
        const guint8 key[] = { 0x00, 0xff }, value[] = { 0x41, 0x0a };

        g_assert_cmpint(parse("\"0x00ff\" \"0x410A\"", &r, err, sizeof(err)), ==, 1);
        g_assert_cmpmem(r.key, r.key_len, key, sizeof(key));
        g_assert_cmpmem(r.value, r.value_len, value, sizeof(value));
        ptrans_record_clear(&r);
        /* "0x" alone is empty: as a value it deletes. */
        g_assert_cmpint(parse("k 0x", &r, err, sizeof(err)), ==, 1);
        g_assert_cmpuint(r.value_len, ==, 0);
        ptrans_record_clear(&r);
        assert_invalid("\"0x0\" \"v\"", "odd number of hex digits");
        assert_invalid("\"k\" \"0xzz\"", "not hex");
}

/* ctdbctl's addition: a word without quotes or blanks. */
static void test_unquoted_words(void) {
        assert_record("key value\n", "key", "value");
        assert_record("key \"quoted value\"", "key", "quoted value");
        assert_invalid("ke\"y\" v", "a \" inside the key");
}

static void test_blank_lines(void) {
        struct ptrans_record r;
        char err[256];

        g_assert_cmpint(parse("", &r, err, sizeof(err)), ==, 0);
        g_assert_cmpint(parse("\n", &r, err, sizeof(err)), ==, 0);
        g_assert_cmpint(parse(" \t\r\n", &r, err, sizeof(err)), ==, 0);
}

/* What CTDB skips (and commits the rest) is an error here. */
static void test_bad_lines(void) {
        assert_invalid("\"key3\"\n", "the value is missing");
        assert_invalid("\"\" \"v\"", "the key is empty");
        assert_invalid("\"key \"v\"", "a \" inside the value");
        assert_invalid("\"key\" \"v", "the value has no closing \"");
        assert_invalid("\"k", "the key has no closing \"");
        assert_invalid("\"k\" \"v\" extra", "more than a key and a value");
}

static void test_limits(void) {
        g_autofree char *key = g_strnfill(DB_KEY_MAX + 1, 'k');
        g_autofree char *line = g_strdup_printf("%s v", key);
        g_autofree char *at_limit = g_strdup_printf("%.*s v", (int) DB_KEY_MAX, key);
        g_autofree char *value = g_strnfill(DB_VALUE_MAX + 1, 'v');
        g_autofree char *value_line = g_strdup_printf("k %s", value);
        struct ptrans_record r;
        char err[256];

        assert_invalid(line, "above the limit");
        assert_invalid(value_line, "above the limit");
        g_assert_cmpint(parse(at_limit, &r, err, sizeof(err)), ==, 1);
        g_assert_cmpuint(r.key_len, ==, DB_KEY_MAX);
        ptrans_record_clear(&r);
}

/* A NUL byte inside quotes is a byte of the key, not its end. */
static void test_nul_byte(void) {
        const char line[] = "\"a\0b\" \"v\"";
        const guint8 key[] = { 'a', 0, 'b' };
        struct ptrans_record r;
        char err[256];

        g_assert_cmpint(ptrans_parse_line(line, sizeof(line) - 1, &r, err, sizeof(err)), ==, 1);
        g_assert_cmpmem(r.key, r.key_len, key, sizeof(key));
        ptrans_record_clear(&r);
}

/* CTDB's tool test (ctdb.ptrans.001): key1 stored then deleted, key2 overwritten. */
static void test_dedupe_last_wins(void) {
        const char *lines[] = { "\"key1\" \"value1\"", "\"key2\" \"value2\"", "\"key1\" \"\"",
                                "\"key2\" \"value3\"", "\"key0\" \"value0\"" };
        struct ptrans_record r[G_N_ELEMENTS(lines)];
        gboolean seen[3] = { FALSE, FALSE, FALSE };
        char err[256];
        size_t n;

        for (size_t i = 0; i < G_N_ELEMENTS(lines); i++)
                g_assert_cmpint(parse(lines[i], &r[i], err, sizeof(err)), ==, 1);
        g_assert_cmpint(ptrans_records_dedupe(r, G_N_ELEMENTS(lines), &n), ==, 0);
        g_assert_cmpuint(n, ==, 3);
        for (size_t i = 0; i < n; i++) {
                g_assert_cmpuint(r[i].key_len, ==, 4);
                if (memcmp(r[i].key, "key1", 4) == 0) {
                        g_assert_cmpuint(r[i].value_len, ==, 0);
                        seen[1] = TRUE;
                } else if (memcmp(r[i].key, "key2", 4) == 0) {
                        g_assert_cmpmem(r[i].value, r[i].value_len, "value3", 6);
                        seen[2] = TRUE;
                } else {
                        g_assert_cmpmem(r[i].key, 4, "key0", 4);
                        seen[0] = TRUE;
                }
                ptrans_record_clear(&r[i]);
        }
        g_assert_true(seen[0] && seen[1] && seen[2]);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ptrans/quoted", test_quoted);
        g_test_add_func("/ptrans/no-escapes", test_no_escapes);
        g_test_add_func("/ptrans/empty-value-deletes", test_empty_value_deletes);
        g_test_add_func("/ptrans/hex", test_hex);
        g_test_add_func("/ptrans/unquoted-words", test_unquoted_words);
        g_test_add_func("/ptrans/blank-lines", test_blank_lines);
        g_test_add_func("/ptrans/bad-lines", test_bad_lines);
        g_test_add_func("/ptrans/limits", test_limits);
        g_test_add_func("/ptrans/nul-byte", test_nul_byte);
        g_test_add_func("/ptrans/dedupe-last-wins", test_dedupe_last_wins);
        return g_test_run();
}
