#pragma once

/*
 * The facts about a CTDB database file that ctdb-dbd, libctdb-client and the
 * tools share: CTDB's record header, the database id, the hash that places a
 * key on its lmaster, and the flags a volatile, persistent or replicated tdb
 * is opened with. Keeping them CTDB's own lets CTDB's ltdbtool and Samba's
 * dbwrap read our files, and CTDB's ids match ours.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * CTDB's struct ctdb_ltdb_header, in the host's byte order, in front of the
 * value of every record: rsn, dmaster, reserved1, flags and 4 bytes of padding
 * (24 bytes on every 64-bit host). A record that is only a header is deleted.
 */
struct ltdb_header {
        uint64_t rsn;           /* record sequence number: rises by one per migration */
        uint32_t dmaster;       /* the node that holds the current copy */
        uint32_t reserved1;
        uint32_t flags;         /* LTDB_REC_* */
        uint32_t pad;
};

#define LTDB_HEADER_SIZE 24u
_Static_assert(sizeof(struct ltdb_header) == LTDB_HEADER_SIZE, "CTDB's ltdb header is 24 bytes");

/* CTDB's record flags (protocol.h). */
#define LTDB_REC_FLAG_MIGRATED_WITH_DATA  0x00010000u
#define LTDB_REC_FLAG_VACUUM_MIGRATED     0x00020000u
#define LTDB_REC_FLAG_AUTOMATIC           0x00040000u
#define LTDB_REC_RO_HAVE_DELEGATIONS      0x01000000u
#define LTDB_REC_RO_HAVE_READONLY         0x02000000u
#define LTDB_REC_RO_REVOKING_READONLY     0x04000000u
#define LTDB_REC_RO_REVOKE_COMPLETE       0x08000000u
#define LTDB_REC_RO_FLAGS                                                                          \
        (LTDB_REC_RO_HAVE_DELEGATIONS | LTDB_REC_RO_HAVE_READONLY | LTDB_REC_RO_REVOKING_READONLY | \
         LTDB_REC_RO_REVOKE_COMPLETE)
/*
 * ctdb-remix's own bit, unused by CTDB: the lmaster's record of where a record
 * lives (dmaster and rsn of the last hand-off it was told of), whose value may
 * be older than the dmaster's. Recovery prefers a real copy of equal rsn.
 */
#define LTDB_REC_FLAG_POINTER             0x00100000u

/* CTDB's DatabaseHashSize: the hash chains of a database's tdb. */
#define LTDB_HASH_SIZE 100001u

enum ltdb_kind {
        LTDB_VOLATILE = 0,
        LTDB_PERSISTENT = 1,
        LTDB_REPLICATED = 2,
};

/*
 * Splits a stored record into header and value (which points into data).
 * -EBADMSG when data is shorter than a header.
 */
static inline int ltdb_header_parse(const uint8_t *data, size_t len, struct ltdb_header *ret,
                                    const uint8_t **ret_value, size_t *ret_value_len) {
        if (!data || len < LTDB_HEADER_SIZE)
                return -EBADMSG;
        memcpy(ret, data, LTDB_HEADER_SIZE);
        ret->pad = 0;
        if (ret_value)
                *ret_value = data + LTDB_HEADER_SIZE;
        if (ret_value_len)
                *ret_value_len = len - LTDB_HEADER_SIZE;
        return 0;
}

/* The header as stored in front of a value (padding zeroed). */
static inline void ltdb_header_put(const struct ltdb_header *h, uint8_t out[LTDB_HEADER_SIZE]) {
        struct ltdb_header c = *h;

        c.pad = 0;
        memcpy(out, &c, LTDB_HEADER_SIZE);
}

/* "volatile", "persistent", "replicated"; NULL for another value. */
const char *ltdb_kind_to_string(enum ltdb_kind kind);
/* The kind a name stands for, or -EINVAL. */
int ltdb_kind_from_string(const char *s);

/* CTDB's ctdb_hash(): tdb's Jenkins hash of the key's bytes. */
uint32_t ltdb_hash(const void *key, size_t len);
/* CTDB's database id: ltdb_hash() of the name including its trailing NUL. */
uint32_t ltdb_db_id(const char *name);
/* The lmaster of a key: vnnmap[ltdb_hash(key) % n]; CTDB_PNN_NONE for an empty map. */
uint32_t ltdb_lmaster(const uint32_t *vnnmap, uint32_t n, const void *key, size_t len);
/*
 * The tdb_open() flags of a kind, CTDB's (ctdb_db_tdb_flags()): volatile
 * CLEAR_IF_FIRST | INCOMPATIBLE_HASH | NOSYNC | DISALLOW_NESTING, plus
 * MUTEX_LOCKING where the kernel has robust mutexes; replicated the same
 * without mutexes; persistent DISALLOW_NESTING only (synced).
 */
int ltdb_tdb_flags(enum ltdb_kind kind);
/* A database name is 1..255 bytes, no '/', not "." or "..". */
bool ltdb_name_is_valid(const char *name);
