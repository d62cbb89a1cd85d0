/*
 * Unit tests of CTDB's record facts (common/ltdb.h: header layout, database
 * ids, lmaster) and of ctdb-dbd's pure migration and recovery rules
 * (db/dbd-rules.c), persistent copies' (epoch, seqnum) order included.
 */

#undef NDEBUG

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include <tdb.h>

#include "ctdb-node.h"
#include "dbd-rules.h"
#include "ltdb.h"

/* ---- record header ---------------------------------------------------- */

static uint64_t get_u64(const uint8_t *p) {
        uint64_t v;

        memcpy(&v, p, sizeof(v));
        return v;
}

static uint32_t get_u32(const uint8_t *p) {
        uint32_t v;

        memcpy(&v, p, sizeof(v));
        return v;
}

/* CTDB's struct ctdb_ltdb_header, checked on the bytes written, not on our struct. */
static void test_header_layout(void) {
        struct ltdb_header h = {
                .rsn = UINT64_C(0x0102030405060708),
                .dmaster = 0x11121314,
                .reserved1 = 0x21222324,
                .flags = 0x31323334,
                .pad = 0x41424344,
        };
        uint8_t out[LTDB_HEADER_SIZE + 1];

        g_assert_cmpuint(LTDB_HEADER_SIZE, ==, 24);
        memset(out, 0xee, sizeof(out));
        ltdb_header_put(&h, out);
        g_assert_cmphex(get_u64(out + 0), ==, UINT64_C(0x0102030405060708));
        g_assert_cmphex(get_u32(out + 8), ==, 0x11121314);
        g_assert_cmphex(get_u32(out + 12), ==, 0x21222324);
        g_assert_cmphex(get_u32(out + 16), ==, 0x31323334);
        /* Padding goes out as zeros, whatever the caller left in it. */
        g_assert_cmphex(get_u32(out + 20), ==, 0);
        /* Exactly 24 bytes are written. */
        g_assert_cmphex(out[24], ==, 0xee);
}

static void test_header_parse_value(void) {
        struct ltdb_header h = { .rsn = 7, .dmaster = 2, .flags = LTDB_REC_FLAG_AUTOMATIC }, got;
        uint8_t rec[LTDB_HEADER_SIZE + 5];
        const uint8_t *value = NULL;
        size_t len = 0;

        ltdb_header_put(&h, rec);
        memcpy(rec + LTDB_HEADER_SIZE, "hello", 5);
        /* Dirty padding on disk (another writer) is not reported. */
        memset(rec + 20, 0xff, 4);
        g_assert_cmpint(ltdb_header_parse(rec, sizeof(rec), &got, &value, &len), ==, 0);
        g_assert_cmpuint(got.rsn, ==, 7);
        g_assert_cmpuint(got.dmaster, ==, 2);
        g_assert_cmpuint(got.reserved1, ==, 0);
        g_assert_cmphex(got.flags, ==, LTDB_REC_FLAG_AUTOMATIC);
        g_assert_cmpuint(got.pad, ==, 0);
        g_assert_true(value == rec + LTDB_HEADER_SIZE);
        g_assert_cmpuint(len, ==, 5);
}

/* A header-only record (a delete) has an empty value. */
static void test_header_parse_header_only(void) {
        struct ltdb_header h = { .rsn = 1 }, got;
        uint8_t rec[LTDB_HEADER_SIZE];
        const uint8_t *value = NULL;
        size_t len = 99;

        ltdb_header_put(&h, rec);
        g_assert_cmpint(ltdb_header_parse(rec, sizeof(rec), &got, &value, &len), ==, 0);
        g_assert_cmpuint(len, ==, 0);
        g_assert_true(value == rec + LTDB_HEADER_SIZE);
}

static void test_header_parse_short(void) {
        uint8_t rec[LTDB_HEADER_SIZE] = { 0 };
        struct ltdb_header got;

        for (size_t len = 0; len < LTDB_HEADER_SIZE; len++)
                g_assert_cmpint(ltdb_header_parse(rec, len, &got, NULL, NULL), ==, -EBADMSG);
        g_assert_cmpint(ltdb_header_parse(NULL, 100, &got, NULL, NULL), ==, -EBADMSG);
}

/* ---- database ids --------------------------------------------------------- */

/* tdb's Jenkins hash of the name with its NUL, computed here without ltdb.c. */
static uint32_t jenkins_with_nul(const char *name) {
        TDB_DATA d = { .dptr = (uint8_t *) name, .dsize = strlen(name) + 1 };

        return tdb_jenkins_hash(&d);
}

/*
 * The ids CTDB gives Samba's two busiest databases (`ctdb getdbmap` shows
 * them): pinned so that a change of hash or of the NUL rule cannot pass.
 */
#define LOCKING_TDB_ID 0x7a19d84du
#define BRLOCK_TDB_ID  0x4e66c2b2u

static void test_db_id_known_names(void) {
        g_assert_cmphex(jenkins_with_nul("locking.tdb"), ==, LOCKING_TDB_ID);
        g_assert_cmphex(jenkins_with_nul("brlock.tdb"), ==, BRLOCK_TDB_ID);
        g_assert_cmphex(ltdb_db_id("locking.tdb"), ==, LOCKING_TDB_ID);
        g_assert_cmphex(ltdb_db_id("brlock.tdb"), ==, BRLOCK_TDB_ID);
}

/* The NUL counts: the hash of the bare name is another number. */
static void test_db_id_includes_nul(void) {
        g_assert_cmphex(ltdb_hash("locking.tdb", strlen("locking.tdb")), !=, LOCKING_TDB_ID);
        g_assert_cmphex(ltdb_hash("locking.tdb", strlen("locking.tdb") + 1), ==, LOCKING_TDB_ID);
}

/* ---- lmaster ----------------------------------------------------------------- */

static void test_lmaster_is_vnnmap_of_hash(void) {
        static const uint32_t maps[][4] = { { 0 }, { 0, 1 }, { 0, 1, 2 }, { 7, 3, 5, 1 } };
        static const uint32_t lens[] = { 1, 2, 3, 4 };
        static const char *const keys[] = { "a", "b", "locking key", "\x01\x02\x03", "zzzzzzzzzzzzzzzzzz" };

        for (size_t m = 0; m < G_N_ELEMENTS(maps); m++)
                for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
                        size_t len = strlen(keys[k]);
                        TDB_DATA d = { .dptr = (uint8_t *) keys[k], .dsize = len };
                        uint32_t want = maps[m][tdb_jenkins_hash(&d) % lens[m]];

                        g_assert_cmpuint(ltdb_lmaster(maps[m], lens[m], keys[k], len), ==, want);
                }
}

static void test_lmaster_empty_map(void) {
        g_assert_cmphex(ltdb_lmaster(NULL, 0, "k", 1), ==, CTDB_PNN_NONE);
}

/* Every key lands on a member, and over many keys every member gets some. */
static void test_lmaster_lands_on_member(void) {
        static const uint32_t map[] = { 4, 9, 2 };
        unsigned hits[3] = { 0 };

        for (unsigned i = 0; i < 300; i++) {
                char key[16];
                uint32_t l;
                size_t j;

                g_snprintf(key, sizeof(key), "key-%u", i);
                l = ltdb_lmaster(map, G_N_ELEMENTS(map), key, strlen(key));
                for (j = 0; j < G_N_ELEMENTS(map) && map[j] != l; j++)
                        ;
                g_assert_cmpuint(j, <, G_N_ELEMENTS(map));
                hits[j]++;
        }
        for (size_t j = 0; j < G_N_ELEMENTS(map); j++)
                g_assert_cmpuint(hits[j], >, 0);
}

/* ---- migration rules ------------------------------------------------------------ */

static void test_record_accept(void) {
        struct ltdb_header cur = { .rsn = 10, .dmaster = 1 };

        g_assert_false(dbd_record_accept(true, &cur, 9));
        g_assert_false(dbd_record_accept(true, &cur, 10));
        g_assert_true(dbd_record_accept(true, &cur, 11));
        g_assert_true(dbd_record_accept(false, NULL, 0));
        g_assert_true(dbd_record_accept(false, NULL, 5));
}

static void test_dmaster_accept(void) {
        struct ltdb_header cur = { .rsn = 10, .dmaster = 1, .flags = LTDB_REC_FLAG_POINTER };

        g_assert_false(dbd_dmaster_accept(true, &cur, 0));
        g_assert_false(dbd_dmaster_accept(true, &cur, 10));
        g_assert_true(dbd_dmaster_accept(true, &cur, 11));
        g_assert_true(dbd_dmaster_accept(false, NULL, 1));
}

/* Self 0 has a header naming dmaster 2; the lmaster is 1. */
static void test_route_to_named_dmaster(void) {
        struct ltdb_header cur = { .rsn = 3, .dmaster = 2 };

        g_assert_cmpuint(dbd_route(0, 1, true, &cur, false), ==, 2);
}

/* After a failed try the request goes to the lmaster instead of the header's dmaster. */
static void test_route_via_lmaster(void) {
        struct ltdb_header cur = { .rsn = 3, .dmaster = 2 };

        g_assert_cmpuint(dbd_route(0, 1, true, &cur, true), ==, 1);
        /* Without a record self asks the lmaster anyway. */
        g_assert_cmpuint(dbd_route(0, 1, false, NULL, false), ==, 1);
        g_assert_cmpuint(dbd_route(0, 1, false, NULL, true), ==, 1);
}

/* Self is the lmaster: its own pointer is where the record is, via_lmaster or not. */
static void test_route_self_lmaster_with_record(void) {
        struct ltdb_header cur = { .rsn = 3, .dmaster = 2, .flags = LTDB_REC_FLAG_POINTER };

        g_assert_cmpuint(dbd_route(1, 1, true, &cur, false), ==, 2);
        g_assert_cmpuint(dbd_route(1, 1, true, &cur, true), ==, 2);
}

/* Self is the lmaster and has no record: nobody has it, self creates it. */
static void test_route_self_lmaster_without_record(void) {
        g_assert_cmphex(dbd_route(1, 1, false, NULL, false), ==, CTDB_PNN_NONE);
        g_assert_cmphex(dbd_route(1, 1, false, NULL, true), ==, CTDB_PNN_NONE);
}

/*
 * A header that points back at self (self is not the dmaster though it once
 * was: the copy is stale) does not loop to self: it goes to the lmaster.
 */
static void test_route_pointer_back_to_self(void) {
        struct ltdb_header cur = { .rsn = 3, .dmaster = 0 };

        g_assert_cmpuint(dbd_route(0, 1, true, &cur, false), ==, 1);
        g_assert_cmpuint(dbd_route(0, 1, true, &cur, true), ==, 1);
}

/* ---- recovery merge --------------------------------------------------------------- */

static void assert_wins(const struct dbd_copy *a, const struct dbd_copy *b) {
        g_assert_true(dbd_copy_wins(a, b));
        g_assert_false(dbd_copy_wins(b, a));
}

static void test_copy_higher_rsn_wins(void) {
        struct dbd_copy a = { .rsn = 5, .dmaster = 1, .src = 2, .flags = LTDB_REC_FLAG_POINTER };
        struct dbd_copy b = { .rsn = 4, .dmaster = 1, .src = 1 };

        /* Higher rsn beats an own, real copy of a lower one. */
        assert_wins(&a, &b);
}

static void test_copy_equal_rsn_own_wins(void) {
        struct dbd_copy own = { .rsn = 4, .dmaster = 2, .src = 2 };
        struct dbd_copy other = { .rsn = 4, .dmaster = 2, .src = 0 };

        assert_wins(&own, &other);
        /* Even a pointer flag on the own copy does not lose it the tie. */
        own.flags = LTDB_REC_FLAG_POINTER;
        assert_wins(&own, &other);
}

static void test_copy_equal_rsn_real_beats_pointer(void) {
        struct dbd_copy real = { .rsn = 4, .dmaster = 2, .src = 0 };
        struct dbd_copy pointer = { .rsn = 4, .dmaster = 2, .src = 1, .flags = LTDB_REC_FLAG_POINTER };

        assert_wins(&real, &pointer);
}

/* Two copies alike in every rule: neither wins, so the first one found stays. */
static void test_copy_tie_neither_wins(void) {
        struct dbd_copy a = { .rsn = 4, .dmaster = 2, .src = 0 };
        struct dbd_copy b = { .rsn = 4, .dmaster = 2, .src = 1 };

        g_assert_false(dbd_copy_wins(&a, &b));
        g_assert_false(dbd_copy_wins(&b, &a));
        g_assert_false(dbd_copy_wins(&a, &a));
}

/* ---- persistent and replicated copies in recovery ---------------------------------- */

#define DB_A 0xaaaa0001u
#define DB_B 0xbbbb0002u

/* The highest epoch wins, even over a higher seqnum: that node missed a recovery. */
/* A recovery's epoch is above every copy's, whatever generation the cluster restarted with. */
static void test_persist_next_epoch(void) {
        static const struct dbd_persist_copy c[] = {
                { .db_id = DB_A, .pnn = 0, .seqnum = 9, .epoch = 41 },
                { .db_id = DB_A, .pnn = 1, .seqnum = 3, .epoch = 7 },
        };

        g_assert_cmpuint(dbd_persist_next_epoch(c, 2), ==, 42);
        g_assert_cmpuint(dbd_persist_next_epoch(c + 1, 1), ==, 8);
        g_assert_cmpuint(dbd_persist_next_epoch(NULL, 0), ==, 1);
}

static void test_persist_epoch_first(void) {
        static const struct dbd_persist_copy c[] = {
                { .db_id = DB_A, .pnn = 0, .seqnum = 100, .epoch = 4 },
                { .db_id = DB_A, .pnn = 1, .seqnum = 50, .epoch = 7 },
                { .db_id = DB_A, .pnn = 2, .seqnum = 900, .epoch = 6 },
        };

        g_assert_cmpint(dbd_persist_winner(c, 3, DB_A, 0), ==, 1);
        g_assert_cmpint(dbd_persist_winner(c, 3, DB_A, 2), ==, 1);
}

/* At equal epochs the highest seqnum wins, whoever is preferred. */
static void test_persist_seqnum_second(void) {
        static const struct dbd_persist_copy c[] = {
                { .db_id = DB_A, .pnn = 0, .seqnum = 10, .epoch = 3 },
                { .db_id = DB_A, .pnn = 1, .seqnum = 12, .epoch = 3 },
                { .db_id = DB_A, .pnn = 2, .seqnum = 11, .epoch = 3 },
        };

        g_assert_cmpint(dbd_persist_winner(c, 3, DB_A, 0), ==, 1);
        g_assert_cmpint(dbd_persist_winner(c, 3, DB_A, 2), ==, 1);
        g_assert_cmpint(dbd_persist_winner(c, 3, DB_A, CTDB_PNN_NONE), ==, 1);
}

/* A full tie goes to prefer's copy (the coordinator's: no pull), wherever it is in the list. */
static void test_persist_tie_to_prefer(void) {
        static const struct dbd_persist_copy c[] = {
                { .db_id = DB_A, .pnn = 0, .seqnum = 8, .epoch = 2 },
                { .db_id = DB_A, .pnn = 1, .seqnum = 8, .epoch = 2 },
                { .db_id = DB_A, .pnn = 2, .seqnum = 8, .epoch = 2 },
        };

        for (uint32_t p = 0; p < 3; p++)
                g_assert_cmpint(dbd_persist_winner(c, 3, DB_A, p), ==, (int) p);
        /* Nobody preferred holds it: the first of the equals. */
        g_assert_cmpint(dbd_persist_winner(c, 3, DB_A, 7), ==, 0);
        /* prefer's copy that is behind does not win the tie of the others. */
        {
                static const struct dbd_persist_copy d[] = {
                        { .db_id = DB_A, .pnn = 0, .seqnum = 7, .epoch = 2 },
                        { .db_id = DB_A, .pnn = 1, .seqnum = 8, .epoch = 2 },
                        { .db_id = DB_A, .pnn = 2, .seqnum = 8, .epoch = 2 },
                };

                g_assert_cmpint(dbd_persist_winner(d, 3, DB_A, 0), ==, 1);
        }
}

/* Only copies of the database asked about count; none at all is -1. */
static void test_persist_other_dbs(void) {
        static const struct dbd_persist_copy c[] = {
                { .db_id = DB_B, .pnn = 0, .seqnum = 99, .epoch = 9 },
                { .db_id = DB_A, .pnn = 1, .seqnum = 1, .epoch = 1 },
                { .db_id = DB_B, .pnn = 1, .seqnum = 5, .epoch = 9 },
                { .db_id = DB_A, .pnn = 2, .seqnum = 2, .epoch = 1 },
        };

        g_assert_cmpint(dbd_persist_winner(c, 4, DB_A, 1), ==, 3);
        g_assert_cmpint(dbd_persist_winner(c, 4, DB_B, 1), ==, 0);
        g_assert_cmpint(dbd_persist_winner(c, 4, 0x12345678, 1), ==, -1);
        g_assert_cmpint(dbd_persist_winner(NULL, 0, DB_A, 1), ==, -1);
}

/* A node is current when its copy has the winner's epoch and seqnum: it needs no push. */
static void test_persist_current(void) {
        static const struct dbd_persist_copy c[] = {
                { .db_id = DB_A, .pnn = 0, .seqnum = 20, .epoch = 5 },
                { .db_id = DB_A, .pnn = 1, .seqnum = 20, .epoch = 5 },
                { .db_id = DB_A, .pnn = 2, .seqnum = 19, .epoch = 5 },
                { .db_id = DB_A, .pnn = 3, .seqnum = 20, .epoch = 4 },
                { .db_id = DB_B, .pnn = 2, .seqnum = 1, .epoch = 1 },
        };

        g_assert_true(dbd_persist_current(c, 5, DB_A, 0, 0));
        g_assert_true(dbd_persist_current(c, 5, DB_A, 1, 0));
        g_assert_false(dbd_persist_current(c, 5, DB_A, 2, 0));
        /* Same seqnum, older epoch: another history, replaced. */
        g_assert_false(dbd_persist_current(c, 5, DB_A, 3, 0));
        /* No copy of DB_A on node 4 (it did not list it). */
        g_assert_false(dbd_persist_current(c, 5, DB_A, 4, 0));
        g_assert_true(dbd_persist_current(c, 5, DB_B, 2, 0));
        g_assert_false(dbd_persist_current(c, 5, DB_B, 0, 0));
        g_assert_false(dbd_persist_current(c, 5, 0x12345678, 0, 0));
        g_assert_false(dbd_persist_current(NULL, 0, DB_A, 0, 0));
}

/* The winner itself is always current; with a tie every equal copy is. */
static void test_persist_winner_is_current(void) {
        static const struct dbd_persist_copy c[] = {
                { .db_id = DB_A, .pnn = 0, .seqnum = 3, .epoch = 1 },
                { .db_id = DB_A, .pnn = 1, .seqnum = 3, .epoch = 1 },
                { .db_id = DB_A, .pnn = 2, .seqnum = 0, .epoch = 0 },
        };

        for (uint32_t p = 0; p < 3; p++) {
                int w = dbd_persist_winner(c, 3, DB_A, p);

                g_assert_cmpint(w, >=, 0);
                g_assert_true(dbd_persist_current(c, 3, DB_A, c[w].pnn, p));
                g_assert_true(dbd_persist_current(c, 3, DB_A, 0, p));
                g_assert_true(dbd_persist_current(c, 3, DB_A, 1, p));
                g_assert_false(dbd_persist_current(c, 3, DB_A, 2, p));
        }
}

/* ---- coordinator -------------------------------------------------------------------- */

static void test_coordinator(void) {
        static const uint32_t map[] = { 3, 1, 2 };

        g_assert_cmpuint(dbd_coordinator(1, map, 3), ==, 1);
        g_assert_cmpuint(dbd_coordinator(2, map, 3), ==, 2);
        g_assert_cmpuint(dbd_coordinator(0, map, 3), ==, 3);
        g_assert_cmpuint(dbd_coordinator(CTDB_PNN_NONE, map, 3), ==, 3);
        g_assert_cmphex(dbd_coordinator(1, NULL, 0), ==, CTDB_PNN_NONE);
}

/* A queued delete: skipped unless still deleted here, purged by the lmaster, else handed back. */
static void test_vacuum_decide(void) {
        struct ltdb_header mine = { .rsn = 7, .dmaster = 1 }, other = { .rsn = 7, .dmaster = 2 };

        g_assert_cmpint(dbd_vacuum_decide(1, 1, true, &mine, 0), ==, DBD_VACUUM_PURGE);
        g_assert_cmpint(dbd_vacuum_decide(1, 0, true, &mine, 0), ==, DBD_VACUUM_HAND_BACK);
        /* Stored again since the delete: alive, kept. */
        g_assert_cmpint(dbd_vacuum_decide(1, 1, true, &mine, 5), ==, DBD_VACUUM_SKIP);
        /* Migrated away since: the other node's to vacuum. */
        g_assert_cmpint(dbd_vacuum_decide(1, 1, true, &other, 0), ==, DBD_VACUUM_SKIP);
        g_assert_cmpint(dbd_vacuum_decide(1, 1, false, &mine, 0), ==, DBD_VACUUM_SKIP);
}

/* PURGE at another node: stale copies go, a newer one and the node's own live record stay. */
static void test_vacuum_drop_copy(void) {
        struct ltdb_header older = { .rsn = 4, .dmaster = 1 }, same = { .rsn = 9, .dmaster = 1 };
        struct ltdb_header newer = { .rsn = 10, .dmaster = 1 }, live = { .rsn = 3, .dmaster = 2 };

        g_assert_true(dbd_vacuum_drop_copy(2, true, &older, 9));
        g_assert_true(dbd_vacuum_drop_copy(2, true, &same, 9));
        g_assert_false(dbd_vacuum_drop_copy(2, true, &newer, 9));
        g_assert_false(dbd_vacuum_drop_copy(2, true, &live, 9));
        g_assert_false(dbd_vacuum_drop_copy(2, false, &older, 9));
}

/* After every answer the lmaster drops its copy only if it is exactly what it purged. */
static void test_vacuum_drop_own(void) {
        struct ltdb_header h = { .rsn = 9, .dmaster = 0 }, moved = { .rsn = 10, .dmaster = 2 };
        struct ltdb_header revived = { .rsn = 10, .dmaster = 0 };

        g_assert_true(dbd_vacuum_drop_own(0, true, &h, 0, 9));
        /* A store revived it meanwhile, or a fetch-lock took it elsewhere. */
        g_assert_false(dbd_vacuum_drop_own(0, true, &h, 3, 9));
        g_assert_false(dbd_vacuum_drop_own(0, true, &moved, 0, 9));
        g_assert_false(dbd_vacuum_drop_own(0, true, &revived, 0, 9));
        g_assert_false(dbd_vacuum_drop_own(0, false, &h, 0, 9));
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/dbd-rules/header/layout", test_header_layout);
        g_test_add_func("/dbd-rules/header/parse-value", test_header_parse_value);
        g_test_add_func("/dbd-rules/header/parse-header-only", test_header_parse_header_only);
        g_test_add_func("/dbd-rules/header/parse-short", test_header_parse_short);
        g_test_add_func("/dbd-rules/db-id/known-names", test_db_id_known_names);
        g_test_add_func("/dbd-rules/db-id/includes-nul", test_db_id_includes_nul);
        g_test_add_func("/dbd-rules/lmaster/vnnmap-of-hash", test_lmaster_is_vnnmap_of_hash);
        g_test_add_func("/dbd-rules/lmaster/empty-map", test_lmaster_empty_map);
        g_test_add_func("/dbd-rules/lmaster/lands-on-member", test_lmaster_lands_on_member);
        g_test_add_func("/dbd-rules/migrate/record-accept", test_record_accept);
        g_test_add_func("/dbd-rules/migrate/dmaster-accept", test_dmaster_accept);
        g_test_add_func("/dbd-rules/route/named-dmaster", test_route_to_named_dmaster);
        g_test_add_func("/dbd-rules/route/via-lmaster", test_route_via_lmaster);
        g_test_add_func("/dbd-rules/route/self-lmaster-with-record", test_route_self_lmaster_with_record);
        g_test_add_func("/dbd-rules/route/self-lmaster-without-record",
                        test_route_self_lmaster_without_record);
        g_test_add_func("/dbd-rules/route/pointer-back-to-self", test_route_pointer_back_to_self);
        g_test_add_func("/dbd-rules/merge/higher-rsn-wins", test_copy_higher_rsn_wins);
        g_test_add_func("/dbd-rules/merge/equal-rsn-own-wins", test_copy_equal_rsn_own_wins);
        g_test_add_func("/dbd-rules/merge/equal-rsn-real-beats-pointer",
                        test_copy_equal_rsn_real_beats_pointer);
        g_test_add_func("/dbd-rules/merge/tie-neither-wins", test_copy_tie_neither_wins);
        g_test_add_func("/dbd-rules/persist/epoch-first", test_persist_epoch_first);
        g_test_add_func("/dbd-rules/persist/seqnum-second", test_persist_seqnum_second);
        g_test_add_func("/dbd-rules/persist/tie-to-prefer", test_persist_tie_to_prefer);
        g_test_add_func("/dbd-rules/persist/other-dbs", test_persist_other_dbs);
        g_test_add_func("/dbd-rules/persist/current", test_persist_current);
        g_test_add_func("/dbd-rules/persist/winner-is-current", test_persist_winner_is_current);
        g_test_add_func("/dbd-rules/persist/next-epoch", test_persist_next_epoch);
        g_test_add_func("/dbd-rules/coordinator", test_coordinator);
        g_test_add_func("/dbd-rules/vacuum/decide", test_vacuum_decide);
        g_test_add_func("/dbd-rules/vacuum/drop-copy", test_vacuum_drop_copy);
        g_test_add_func("/dbd-rules/vacuum/drop-own", test_vacuum_drop_own);

        return g_test_run();
}
