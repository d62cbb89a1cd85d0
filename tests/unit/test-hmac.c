/*
 * Unit tests of services/tunneld/tunneld-hmac.c: HMAC-SHA256 against the known
 * answers of RFC 4231, the AUTH mac of the link challenge (its exact input
 * layout, and that key, nonce and pnn all change it), the MAC comparison and
 * the key file rules.
 */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <talloc.h>
#include <unistd.h>

#include "tunneld-hmac.h"

static void hex_to_mac(const char *hex, uint8_t ret[WIRE_MAC_SIZE]) {
        g_assert_cmpuint(strlen(hex), ==, 2 * WIRE_MAC_SIZE);
        for (size_t i = 0; i < WIRE_MAC_SIZE; i++) {
                unsigned v;
                g_assert_cmpint(sscanf(hex + 2 * i, "%2x", &v), ==, 1);
                ret[i] = (uint8_t) v;
        }
}

static void assert_hmac(const uint8_t *key, size_t key_len, const char *data, const char *hex) {
        uint8_t want[WIRE_MAC_SIZE], got[WIRE_MAC_SIZE];

        hex_to_mac(hex, want);
        hmac_sha256(key, key_len, data, strlen(data), got);
        g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
}

/* RFC 4231 4.2: a 20-byte key. */
static void test_rfc4231_case1(void) {
        uint8_t key[20];

        memset(key, 0x0b, sizeof(key));
        assert_hmac(key, sizeof(key), "Hi There",
                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

/* RFC 4231 4.3: a key shorter than the output. */
static void test_rfc4231_case2(void) {
        assert_hmac((const uint8_t *) "Jefe", 4, "what do ya want for nothing?",
                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* RFC 4231 4.7: a key longer than the block size (hashed first). */
static void test_rfc4231_case6(void) {
        uint8_t key[131];

        memset(key, 0xaa, sizeof(key));
        assert_hmac(key, sizeof(key), "Test Using Larger Than Block-Size Key - Hash Key First",
                    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* RFC 4231 4.8: key and data both longer than the block size. */
static void test_rfc4231_case7(void) {
        uint8_t key[131];

        memset(key, 0xaa, sizeof(key));
        assert_hmac(key, sizeof(key),
                    "This is a test using a larger than block-size key and a larger than block-size data. "
                    "The key needs to be hashed before being used by the HMAC algorithm.",
                    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

#define KEY ((const uint8_t *) "correct horse")
#define KEY_LEN 13u

static void nonce_init(uint8_t nonce[WIRE_NONCE_SIZE]) {
        for (unsigned i = 0; i < WIRE_NONCE_SIZE; i++)
                nonce[i] = (uint8_t) i;
}

/*
 * The AUTH mac is HMAC-SHA256(key, nonce || pnn as u32 little endian): a known
 * answer computed outside this code (Python's hmac module), so a change of the
 * byte order or of the input layout breaks the link with older nodes and here.
 */
static void test_auth_known_answer(void) {
        uint8_t nonce[WIRE_NONCE_SIZE], want[WIRE_MAC_SIZE], got[WIRE_MAC_SIZE];

        nonce_init(nonce);
        hex_to_mac("b2248f8a0e12a52882255f3f7d7da6befb614b83eb281c8f22a6d1906e3dcbeb", want);
        hmac_auth_compute(KEY, KEY_LEN, nonce, 0x01020304u, got);
        g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
}

static void test_auth_inputs_matter(void) {
        uint8_t nonce[WIRE_NONCE_SIZE], mac[WIRE_MAC_SIZE], other[WIRE_MAC_SIZE];

        nonce_init(nonce);
        hmac_auth_compute(KEY, KEY_LEN, nonce, 1, mac);

        /* Same inputs, same mac. */
        hmac_auth_compute(KEY, KEY_LEN, nonce, 1, other);
        g_assert_true(hmac_auth_equal(mac, other));

        /* Wrong key: one byte off, and a prefix of the right key. */
        hmac_auth_compute((const uint8_t *) "correct horsf", KEY_LEN, nonce, 1, other);
        g_assert_false(hmac_auth_equal(mac, other));
        hmac_auth_compute(KEY, KEY_LEN - 1, nonce, 1, other);
        g_assert_false(hmac_auth_equal(mac, other));

        /* Wrong nonce: a replayed answer to another challenge does not pass. */
        for (unsigned i = 0; i < WIRE_NONCE_SIZE; i += 31) {
                nonce[i] ^= 0x01;
                hmac_auth_compute(KEY, KEY_LEN, nonce, 1, other);
                g_assert_false(hmac_auth_equal(mac, other));
                nonce[i] ^= 0x01;
        }

        /* Another pnn: a node cannot answer as another one with the same key. */
        hmac_auth_compute(KEY, KEY_LEN, nonce, 2, other);
        g_assert_false(hmac_auth_equal(mac, other));
        hmac_auth_compute(KEY, KEY_LEN, nonce, 1u << 24, other);
        g_assert_false(hmac_auth_equal(mac, other));
}

/* The comparison looks at every byte (it never stops early: constant time). */
static void test_auth_equal(void) {
        uint8_t a[WIRE_MAC_SIZE], b[WIRE_MAC_SIZE];

        for (unsigned i = 0; i < WIRE_MAC_SIZE; i++)
                a[i] = (uint8_t) (i * 7 + 1);
        memcpy(b, a, sizeof(b));
        g_assert_true(hmac_auth_equal(a, b));
        for (unsigned i = 0; i < WIRE_MAC_SIZE; i++) {
                for (unsigned bit = 0; bit < 8; bit++) {
                        b[i] ^= (uint8_t) (1u << bit);
                        g_assert_false(hmac_auth_equal(a, b));
                        b[i] ^= (uint8_t) (1u << bit);
                }
        }
        g_assert_true(hmac_auth_equal(a, b));
}

static char *write_key_file(const char *content, size_t len, mode_t mode) {
        char *path = g_build_filename(g_get_tmp_dir(), "test-hmac-XXXXXX", NULL);
        int fd = g_mkstemp(path);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(write(fd, content, len), ==, (ssize_t) len);
        g_assert_cmpint(fchmod(fd, mode), ==, 0);
        close(fd);
        return path;
}

/* Trailing newlines are not part of the key: "echo secret > file" and printf give one key. */
static void test_key_load(void) {
        void *ctx = talloc_new(NULL);
        g_autofree char *p1 = write_key_file("secret\n", 7, 0600);
        g_autofree char *p2 = write_key_file("secret", 6, 0644);
        g_autofree char *p3 = write_key_file("\n\n", 2, 0600);
        uint8_t *key = NULL;
        size_t len = 0;
        bool world = true;

        g_assert_cmpint(hmac_key_load(ctx, p1, &key, &len, &world), ==, 0);
        g_assert_cmpmem(key, len, "secret", 6);
        g_assert_false(world);
        g_assert_cmpint(hmac_key_load(ctx, p2, &key, &len, &world), ==, 0);
        g_assert_cmpmem(key, len, "secret", 6);
        g_assert_true(world);
        g_assert_cmpint(hmac_key_load(ctx, p3, &key, &len, NULL), ==, -ENODATA);
        g_assert_cmpint(hmac_key_load(ctx, "/nonexistent/key", &key, &len, NULL), ==, -ENOENT);

        g_unlink(p1);
        g_unlink(p2);
        g_unlink(p3);
        talloc_free(ctx);
}

static void test_key_too_big(void) {
        void *ctx = talloc_new(NULL);
        g_autofree char *big = g_malloc(HMAC_KEY_MAX + 1);
        g_autofree char *path = NULL;
        uint8_t *key = NULL;
        size_t len = 0;

        memset(big, 'k', HMAC_KEY_MAX + 1);
        path = write_key_file(big, HMAC_KEY_MAX + 1, 0600);
        g_assert_cmpint(hmac_key_load(ctx, path, &key, &len, NULL), ==, -EFBIG);
        g_unlink(path);
        talloc_free(ctx);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/hmac/rfc4231/case1", test_rfc4231_case1);
        g_test_add_func("/hmac/rfc4231/case2", test_rfc4231_case2);
        g_test_add_func("/hmac/rfc4231/case6", test_rfc4231_case6);
        g_test_add_func("/hmac/rfc4231/case7", test_rfc4231_case7);
        g_test_add_func("/hmac/auth/known-answer", test_auth_known_answer);
        g_test_add_func("/hmac/auth/inputs-matter", test_auth_inputs_matter);
        g_test_add_func("/hmac/auth/equal", test_auth_equal);
        g_test_add_func("/hmac/key/load", test_key_load);
        g_test_add_func("/hmac/key/too-big", test_key_too_big);

        return g_test_run();
}
