#pragma once

#include <talloc.h>

static inline void talloc_freep_(void *p) { TALLOC_FREE(*(void **) p); }
#define _cleanup_talloc_ __attribute__((cleanup(talloc_freep_)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* A copy of len bytes (p may be NULL when len is 0: a 1-byte buffer then, never NULL on success). */
static inline void *talloc_memdup_any(const void *ctx, const void *p, size_t len) {
        return len ? talloc_memdup(ctx, p, len) : talloc_zero_size(ctx, 1);
}
