#pragma once

#include <sys/types.h>

/* Creates dir and every directory above it that is missing (mode for each new one). */
int mkdir_p(const char *dir, mode_t mode);
