#pragma once

/*
 * The generic tests of message kinds described by struct wire_desc, shared by
 * the wire tests of the daemons (test-dbd-wire, test-ipd-wire). A case is one
 * kind: a sample with every field set, the check that compares it field by
 * field, the count and length words that have a limit. wire_cases_add()
 * registers for each case that the sample round-trips, that every truncation
 * is refused, that each limit word one over its limit is -E2BIG and (inner
 * messages) that another kind's prefix is refused.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* The most limit words a case lists. */
#define WIRE_CASE_LIMITS 3

/* The srvid in the header of a db.sock case's frame, checked on the way back. */
#define WIRE_CASE_SRVID 0x1234u

/* A length or count word of the packed sample (offset in the payload: after prefix or header), its limit. */
struct wire_case_limit {
        size_t offset;
        uint32_t max;
};

struct wire_case {
        const char *name;
        uint16_t kind; /* the kind on the wire (inner prefix or frame header) */
        const struct wire_desc *desc;
        const void *sample;
        void (*check)(const void *want, const void *got);
        /*
         * An inner message (prefix + payload, wire_inner_*()) or a whole frame
         * (header with srvid WIRE_CASE_SRVID + payload, wire_frame_pack()).
         */
        bool inner;
        /* Ends at the first with max 0. */
        struct wire_case_limit limits[WIRE_CASE_LIMITS];
        /*
         * Blocks a failed unpack may leave on its context: arrays or strings
         * read before the failure stay there, as wire_unpack() documents.
         */
        unsigned may_leave;
};

/*
 * Registers the tests of each case as <prefix>/<name>/round-trip, truncations,
 * over-limit and (inner cases) wrong-kind. cases must outlive g_test_run().
 */
void wire_cases_add(const char *prefix, const struct wire_case *cases, size_t n_cases);

/*
 * The sample of c as it travels, in a talloc buffer on ctx: prefix + payload
 * or header + payload. *ret_payload_at is where the payload starts.
 */
uint8_t *wire_case_pack(void *ctx, const struct wire_case *c, size_t *ret_len, size_t *ret_payload_at);

/* Unpacks what wire_case_pack() made (len bytes of it) the way the receiver does. */
int wire_case_unpack(const struct wire_case *c, void *ctx, const uint8_t *buf, size_t len, void *msg);

/* A little-endian word at p, for tests that change a count or length by hand. */
void wire_case_put_u32(uint8_t *p, uint32_t v);
uint32_t wire_case_get_u32(const uint8_t *p);
