#pragma once

#include <talloc.h>

static inline void talloc_freep_(void *p) { TALLOC_FREE(*(void **) p); }
#define _cleanup_talloc_ __attribute__((cleanup(talloc_freep_)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
