/* CTDB's record header, ids, placement and open flags; see ltdb.h. */

#include <fcntl.h>
#include <sys/types.h>
#include <tdb.h>

#include "ctdb-node.h"
#include "ltdb.h"

const char *ltdb_kind_to_string(enum ltdb_kind kind) {
        switch (kind) {
        case LTDB_VOLATILE:
                return "volatile";
        case LTDB_PERSISTENT:
                return "persistent";
        case LTDB_REPLICATED:
                return "replicated";
        }
        return NULL;
}

int ltdb_kind_from_string(const char *s) {
        for (int k = LTDB_VOLATILE; k <= LTDB_REPLICATED; k++)
                if (s && strcmp(s, ltdb_kind_to_string(k)) == 0)
                        return k;
        return -EINVAL;
}

uint32_t ltdb_hash(const void *key, size_t len) {
        TDB_DATA d = { .dptr = (uint8_t *) key, .dsize = len };

        return tdb_jenkins_hash(&d);
}

uint32_t ltdb_db_id(const char *name) {
        return ltdb_hash(name, strlen(name) + 1);
}

uint32_t ltdb_lmaster(const uint32_t *vnnmap, uint32_t n, const void *key, size_t len) {
        if (n == 0)
                return CTDB_PNN_NONE;
        return vnnmap[ltdb_hash(key, len) % n];
}

int ltdb_tdb_flags(enum ltdb_kind kind) {
        switch (kind) {
        case LTDB_PERSISTENT:
                return TDB_DISALLOW_NESTING;
        case LTDB_REPLICATED:
                return TDB_NOSYNC | TDB_CLEAR_IF_FIRST | TDB_INCOMPATIBLE_HASH | TDB_DISALLOW_NESTING;
        case LTDB_VOLATILE:
                break;
        }
        return TDB_NOSYNC | TDB_CLEAR_IF_FIRST | TDB_INCOMPATIBLE_HASH | TDB_DISALLOW_NESTING |
               (tdb_runtime_check_for_robust_mutexes() ? TDB_MUTEX_LOCKING : 0);
}

bool ltdb_name_is_valid(const char *name) {
        size_t len;

        if (!name)
                return false;
        len = strlen(name);
        return len > 0 && len <= 255 && !strchr(name, '/') && strcmp(name, ".") != 0 &&
               strcmp(name, "..") != 0;
}
