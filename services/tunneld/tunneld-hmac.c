/* HMAC-SHA256 link challenge and pre-shared key loading; see tunneld-hmac.h. */

#include <errno.h>
#include <fcntl.h>
#include <nettle/hmac.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "talloc-util.h"
#include "tunneld-hmac.h"

void hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len,
                 uint8_t ret_mac[WIRE_MAC_SIZE]) {
        struct hmac_sha256_ctx ctx;

        hmac_sha256_set_key(&ctx, key_len, key);
        hmac_sha256_update(&ctx, len, data);
        hmac_sha256_digest(&ctx, WIRE_MAC_SIZE, ret_mac);
        explicit_bzero(&ctx, sizeof(ctx));
}

void hmac_auth_compute(const uint8_t *key, size_t key_len, const uint8_t nonce[WIRE_NONCE_SIZE],
                       uint32_t pnn, uint8_t ret_mac[WIRE_MAC_SIZE]) {
        uint8_t msg[WIRE_NONCE_SIZE + 4];

        memcpy(msg, nonce, WIRE_NONCE_SIZE);
        msg[WIRE_NONCE_SIZE + 0] = pnn & 0xff;
        msg[WIRE_NONCE_SIZE + 1] = (pnn >> 8) & 0xff;
        msg[WIRE_NONCE_SIZE + 2] = (pnn >> 16) & 0xff;
        msg[WIRE_NONCE_SIZE + 3] = (pnn >> 24) & 0xff;
        hmac_sha256(key, key_len, msg, sizeof(msg), ret_mac);
}

bool hmac_auth_equal(const uint8_t a[WIRE_MAC_SIZE], const uint8_t b[WIRE_MAC_SIZE]) {
        uint8_t d = 0;

        for (size_t i = 0; i < WIRE_MAC_SIZE; i++)
                d |= a[i] ^ b[i];
        return d == 0;
}

int hmac_random(void *buf, size_t len) {
        uint8_t *p = buf;

        while (len > 0) {
                ssize_t n = getrandom(p, len, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

int hmac_key_load(void *mem_ctx, const char *path, uint8_t **ret_key, size_t *ret_len,
                  bool *ret_world_readable) {
        uint8_t buf[HMAC_KEY_MAX + 1];
        size_t len = 0;
        struct stat st;
        uint8_t *key;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto out;
        }
        for (;;) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto out;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > HMAC_KEY_MAX) {
                        r = -EFBIG;
                        goto out;
                }
        }
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
                len--;
        if (len == 0) {
                r = -ENODATA;
                goto out;
        }
        key = talloc_memdup(mem_ctx, buf, len);
        if (!key) {
                r = -ENOMEM;
                goto out;
        }
        *ret_key = key;
        *ret_len = len;
        if (ret_world_readable)
                *ret_world_readable = (st.st_mode & 0077) != 0;
out:
        explicit_bzero(buf, sizeof(buf));
        close(fd);
        return r;
}
