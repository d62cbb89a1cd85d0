#pragma once

/*
 * The link challenge (docs/architecture.md, "Links"): with a pre-shared key each
 * side proves it knows the key by answering the peer's HELLO nonce with
 * HMAC-SHA256(key, peer nonce || own pnn as u32 little endian).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Largest key file accepted; a key is a secret, not a document. */
#define HMAC_KEY_MAX 4096u

/* HMAC-SHA256 (RFC 2104 over SHA-256) of data under key. */
void hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len,
                 uint8_t ret_mac[WIRE_MAC_SIZE]);

/* The AUTH mac: HMAC-SHA256(key, nonce || pnn as u32 little endian). */
void hmac_auth_compute(const uint8_t *key, size_t key_len, const uint8_t nonce[WIRE_NONCE_SIZE],
                       uint32_t pnn, uint8_t ret_mac[WIRE_MAC_SIZE]);

/* Compares two MACs in constant time. */
bool hmac_auth_equal(const uint8_t a[WIRE_MAC_SIZE], const uint8_t b[WIRE_MAC_SIZE]);

/*
 * Reads a key file into a talloc buffer on mem_ctx. Trailing newlines are not
 * part of the key, so "echo secret > file" works the same on every node.
 * -ENODATA for an empty key, -EFBIG above HMAC_KEY_MAX. *ret_world_readable
 * tells the caller to warn about the file's mode.
 */
int hmac_key_load(void *mem_ctx, const char *path, uint8_t **ret_key, size_t *ret_len,
                  bool *ret_world_readable);

/* Fills buf with random bytes from getrandom(). */
int hmac_random(void *buf, size_t len);
