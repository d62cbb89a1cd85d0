#pragma once

/* What every harness shares: libFuzzer's entry point and a check that aborts (a finding). */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                        \
        do {                                                                                            \
                if (!(x))                                                                               \
                        abort();                                                                        \
        } while (0)
