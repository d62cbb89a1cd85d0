/* Record migration and recovery rules; see dbd-rules.h. */

#include "ctdb-node.h"
#include "dbd-rules.h"

bool dbd_copy_wins(const struct dbd_copy *a, const struct dbd_copy *b) {
        bool a_own = a->dmaster == a->src, b_own = b->dmaster == b->src;
        bool a_real = !(a->flags & LTDB_REC_FLAG_POINTER), b_real = !(b->flags & LTDB_REC_FLAG_POINTER);

        if (a->rsn != b->rsn)
                return a->rsn > b->rsn;
        if (a_own != b_own)
                return a_own;
        return a_real && !b_real;
}

bool dbd_record_accept(bool have, const struct ltdb_header *cur, uint64_t rsn) {
        return !have || rsn > cur->rsn;
}

bool dbd_dmaster_accept(bool have, const struct ltdb_header *cur, uint64_t rsn) {
        return !have || rsn > cur->rsn;
}

uint32_t dbd_route(uint32_t self, uint32_t lmaster, bool have, const struct ltdb_header *cur,
                   bool via_lmaster) {
        if (have && cur->dmaster != self && (!via_lmaster || lmaster == self))
                return cur->dmaster;
        if (lmaster == self)
                return have ? cur->dmaster : CTDB_PNN_NONE;
        return lmaster;
}

enum dbd_vacuum_action dbd_vacuum_decide(uint32_t self, uint32_t lmaster, bool have,
                                         const struct ltdb_header *cur, size_t value_len) {
        if (!have || value_len > 0 || cur->dmaster != self)
                return DBD_VACUUM_SKIP;
        return lmaster == self ? DBD_VACUUM_PURGE : DBD_VACUUM_HAND_BACK;
}

bool dbd_vacuum_drop_copy(uint32_t self, bool have, const struct ltdb_header *cur, uint64_t rsn) {
        return have && cur->rsn <= rsn && cur->dmaster != self;
}

bool dbd_vacuum_drop_own(uint32_t self, bool have, const struct ltdb_header *cur, size_t value_len,
                         uint64_t rsn) {
        return have && value_len == 0 && cur->dmaster == self && cur->rsn == rsn;
}

uint32_t dbd_coordinator(uint32_t leader, const uint32_t *vnnmap, uint32_t n) {
        if (n == 0)
                return CTDB_PNN_NONE;
        for (uint32_t i = 0; i < n; i++)
                if (vnnmap[i] == leader)
                        return leader;
        return vnnmap[0];
}

static bool persist_beats(const struct dbd_persist_copy *a, const struct dbd_persist_copy *b,
                          uint32_t prefer) {
        if (a->epoch != b->epoch)
                return a->epoch > b->epoch;
        if (a->seqnum != b->seqnum)
                return a->seqnum > b->seqnum;
        return a->pnn == prefer && b->pnn != prefer;
}

uint32_t dbd_persist_next_epoch(const struct dbd_persist_copy *copies, size_t n) {
        uint32_t max = 0;

        for (size_t i = 0; i < n; i++)
                if (copies[i].epoch > max)
                        max = copies[i].epoch;
        return max + 1;
}

int dbd_persist_winner(const struct dbd_persist_copy *copies, size_t n, uint32_t db_id, uint32_t prefer) {
        int best = -1;

        for (size_t i = 0; i < n; i++)
                if (copies[i].db_id == db_id &&
                    (best < 0 || persist_beats(&copies[i], &copies[best], prefer)))
                        best = (int) i;
        return best;
}

bool dbd_persist_current(const struct dbd_persist_copy *copies, size_t n, uint32_t db_id, uint32_t pnn,
                         uint32_t prefer) {
        int w = dbd_persist_winner(copies, n, db_id, prefer);

        if (w < 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (copies[i].db_id == db_id && copies[i].pnn == pnn)
                        return copies[i].epoch == copies[w].epoch && copies[i].seqnum == copies[w].seqnum;
        return false;
}
