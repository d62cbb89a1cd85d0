/* Small file-system helpers; see fs-util.h. */

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"

int mkdir_p(const char *dir, mode_t mode) {
        char buf[PATH_MAX];
        size_t len = strlen(dir);

        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, dir, len + 1);
        for (char *p = buf + 1;; p++) {
                if (*p == '/' || *p == '\0') {
                        char c = *p;

                        *p = '\0';
                        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                                return -errno;
                        *p = c;
                        if (c == '\0')
                                break;
                }
        }
        return 0;
}
