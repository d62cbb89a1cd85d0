/*
 * Unit tests of ctdb-dbd's messages: every inner kind between nodes
 * (db/dbd-wire.h, DBD_MSG_KINDS) and every db.sock kind (common/db-proto.h,
 * DB_LOCAL_KINDS). For each: a message with every field set round-trips field
 * by field, every truncation is refused, each length or count one over its
 * limit is -E2BIG (and at its limit accepted), and a wrong kind is refused.
 */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <stddef.h>
#include <string.h>
#include <talloc.h>

#include "db-proto.h"
#include "dbd-wire.h"
#include "wire-cases.h"
#include "wire.h"

/* ---- samples: one message of each kind with every field set -------------- */

static const uint8_t key_bytes[] = { 'k', 0, 'e', 0xff, 'y' };
static const uint8_t value_bytes[] = { 'v', 'a', 'l', 0, 'u', 'e', 0x80 };

static struct db_record sample_records[] = {
        { .rsn = UINT64_C(0x1122334455667788),
          .dmaster = 2,
          .flags = 0x10000,
          .key = key_bytes,
          .key_len = sizeof(key_bytes),
          .value = value_bytes,
          .value_len = sizeof(value_bytes) },
        /* A deleted record: no value. */
        { .rsn = 9, .dmaster = 1, .flags = 0, .key = (const uint8_t *) "x", .key_len = 1 },
};

static struct dbd_db_info sample_dbs[] = {
        { .db_id = 0x7a19d84d,
          .kind = 0,
          .flags = DBD_DB_READONLY,
          .name = (char *) "locking.tdb",
          .name_len = 11 },
        { .db_id = 0x4e66c2b2,
          .kind = 0,
          .flags = DBD_DB_STICKY,
          .name = (char *) "brlock.tdb",
          .name_len = 10 },
        /* A persistent copy: its seqnum and the recovery that stamped it. */
        { .db_id = 0x2ac8f4b1,
          .kind = 1,
          .flags = 0,
          .name = (char *) "secrets.tdb",
          .name_len = 11,
          .seqnum = UINT64_C(0x0000000100000002),
          .epoch = 77 },
};

static uint32_t sample_vnnmap[] = { 0, 2, 5 };

static const struct dbd_migrate_msg sample_migrate = {
        .generation = 101,
        .db_id = 0xabcdef01,
        .requester = 2,
        .hops = 3,
        .key = key_bytes,
        .key_len = sizeof(key_bytes),
};
static const struct dbd_record_msg sample_record = {
        .generation = 102,
        .db_id = 0xabcdef02,
        .rsn = UINT64_C(0x0102030405060708),
        .flags = 0x20000,
        .key = key_bytes,
        .key_len = sizeof(key_bytes),
        .value = value_bytes,
        .value_len = sizeof(value_bytes),
};
static const struct dbd_dmaster_msg sample_dmaster = {
        .generation = 103,
        .db_id = 0xabcdef03,
        .rsn = UINT64_C(0xfffffffffffffffe),
        .dmaster = 7,
        .key = key_bytes,
        .key_len = sizeof(key_bytes),
};
static const struct dbd_retry_msg sample_retry = {
        .generation = 104,
        .db_id = 0xabcdef04,
        .error = ESTALE,
        .key = key_bytes,
        .key_len = sizeof(key_bytes),
};
static const struct dbd_fetch_msg sample_fetch = {
        .id = 77,
        .first = 1,
        .generation = 105,
        .db_id = 0xabcdef05,
        .requester = 2,
        .hops = 4,
        .flags = DBD_FETCH_READONLY,
        .key = key_bytes,
        .key_len = sizeof(key_bytes),
};
static const struct dbd_value_msg sample_value = {
        .id = 78,
        .first = 2,
        .error = ENOENT,
        .flags = DBD_VALUE_DELEGATED,
        .rsn = 55,
        .dmaster = 3,
        .value = value_bytes,
        .value_len = sizeof(value_bytes),
};
static const struct dbd_traverse_msg sample_traverse = {
        .id = 79, .generation = 106, .db_id = 0xabcdef06, .max = 1000
};
static const struct dbd_records_msg sample_records_msg = {
        .id = 80,
        .generation = 107,
        .batch = { .db_id = 0xabcdef07, .last = 1, .records = sample_records, .n_records = 2 },
};
static const struct dbd_revoke_msg sample_revoke = { .id = 86,
                                                     .generation = 115,
                                                     .db_id = 0xabcdef0a,
                                                     .rsn = 99,
                                                     .key = key_bytes,
                                                     .key_len = sizeof(key_bytes) };
static const struct dbd_wipe_msg sample_wipe = { .id = 81, .generation = 108, .db_id = 0xabcdef08 };
static const struct dbd_ack_msg sample_ack = {
        .id = 82,
        .generation = 109,
        .error = EAGAIN,
        .dbs = sample_dbs,
        .n_dbs = 3,
};
static const struct dbd_freeze_msg sample_freeze = { .id = 83, .generation = 110 };
static const struct dbd_attach_msg sample_attach = {
        .id = 84, .generation = 111, .dbs = sample_dbs, .n_dbs = 3
};
static const struct dbd_pull_msg sample_pull = { .id = 85, .generation = 112, .db_id = 0xabcdef09 };
static const struct dbd_thaw_msg sample_thaw = {
        .id = 86, .generation = 113, .vnnmap = sample_vnnmap, .n_vnnmap = 3, .epoch = 9
};

static const struct db_attach sample_l_attach = { .kind = 2,
                                                  .name = (char *) "smbXsrv_open_global.tdb",
                                                  .name_len = 23 };
static const struct db_attach_reply sample_l_attach_reply = {
        .error = 0,
        .db_id = 0x12345678,
        .tdb_flags = 0x1841,
        .hash_size = 100001,
        .path = (char *) "/var/lib/ctdb/volatile/locking.tdb.0",
        .path_len = 36,
};
static const struct db_key_req sample_l_key_req = {
        .db_id = 0x7a19d84d,
        .flags = DB_FETCH_READONLY,
        .key = key_bytes,
        .key_len = sizeof(key_bytes),
};
static const struct db_reply sample_l_reply = { .error = E2BIG };
static const struct db_value sample_l_value = {
        .error = 0,
        .rsn = 12,
        .dmaster = 1,
        .value = value_bytes,
        .value_len = sizeof(value_bytes),
};
static const struct db_traverse sample_l_traverse = { .db_id = 0x4e66c2b2, .flags = 3 };
static const struct db_records sample_l_records = {
        .db_id = 0x4e66c2b2,
        .last = 1,
        .records = sample_records,
        .n_records = 2,
};
static const struct db_recovered sample_recovered = { .generation = 114, .error = EIO };

static struct db_txn_read sample_reads[] = {
        { .rsn = UINT64_C(0x0a0b0c0d0e0f1011), .key = key_bytes, .key_len = sizeof(key_bytes) },
        /* A read of a key without a record. */
        { .rsn = 0, .key = (const uint8_t *) "r", .key_len = 1 },
};
#define SAMPLE_TXN                                                                      \
        {                                                                               \
                .db_id = 0x6cf2837d, .flags = 0x5, .reads = sample_reads, .n_reads = 2, \
                .writes = sample_records, .n_writes = 2                                 \
        }
static const struct db_txn sample_l_txn = SAMPLE_TXN;
static const struct db_txn_result sample_l_txn_result = { .error = EBUSY,
                                                          .seqnum = UINT64_C(0x8877665544332211) };
static const struct dbd_txn_msg sample_txn = { .id = 90, .generation = 120, .txn = SAMPLE_TXN,
                                               .pid = 4242, .lock_id = UINT64_C(0x0102030405060708) };
static const struct dbd_txn_done_msg sample_txn_done = {
        .id = 91, .generation = 121, .error = ENOLINK, .seqnum = UINT64_C(0xfedcba9876543210)
};
static struct dbd_txn_ref sample_txn_refs[] = {
        { .origin = 2, .id = 17, .seqnum = 1001 },
        { .origin = 0, .id = 18, .seqnum = 1002 },
};
static const struct dbd_update_msg sample_update = {
        .id = 92,
        .generation = 122,
        .db_id = 0x6cf2837d,
        .seq_from = 1000,
        .seq_to = 1002,
        .txns = sample_txn_refs,
        .n_txns = 2,
        .records = sample_records,
        .n_records = 2,
};

/* ---- field-by-field comparisons ----------------------------------------------- */

static void check_blob(const uint8_t *want, uint32_t want_len, const uint8_t *got, uint32_t got_len) {
        g_assert_cmpuint(got_len, ==, want_len);
        if (want_len > 0)
                g_assert_cmpmem(got, got_len, want, want_len);
        else
                g_assert_null(got);
}

static void check_string(const char *want, uint32_t want_len, const char *got, uint32_t got_len) {
        g_assert_cmpuint(got_len, ==, want_len);
        g_assert_nonnull(got);
        g_assert_cmpstr(got, ==, want);
}

static void check_batch(const struct db_records *w, const struct db_records *g) {
        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmpuint(g->last, ==, w->last);
        g_assert_cmpuint(g->n_records, ==, w->n_records);
        for (uint32_t i = 0; i < w->n_records; i++) {
                g_assert_cmpuint(g->records[i].rsn, ==, w->records[i].rsn);
                g_assert_cmpuint(g->records[i].dmaster, ==, w->records[i].dmaster);
                g_assert_cmphex(g->records[i].flags, ==, w->records[i].flags);
                check_blob(w->records[i].key, w->records[i].key_len, g->records[i].key,
                           g->records[i].key_len);
                check_blob(w->records[i].value, w->records[i].value_len, g->records[i].value,
                           g->records[i].value_len);
        }
}

static void check_dbs(const struct dbd_db_info *w, uint32_t wn, const struct dbd_db_info *g, uint32_t gn) {
        g_assert_cmpuint(gn, ==, wn);
        for (uint32_t i = 0; i < wn; i++) {
                g_assert_cmphex(g[i].db_id, ==, w[i].db_id);
                g_assert_cmpuint(g[i].kind, ==, w[i].kind);
                g_assert_cmphex(g[i].flags, ==, w[i].flags);
                check_string(w[i].name, w[i].name_len, g[i].name, g[i].name_len);
                g_assert_cmpuint(g[i].seqnum, ==, w[i].seqnum);
                g_assert_cmpuint(g[i].epoch, ==, w[i].epoch);
        }
}

static void check_migrate(const void *want, const void *got) {
        const struct dbd_migrate_msg *w = want, *g = got;

        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmpuint(g->requester, ==, w->requester);
        g_assert_cmpuint(g->hops, ==, w->hops);
        check_blob(w->key, w->key_len, g->key, g->key_len);
}

static void check_record(const void *want, const void *got) {
        const struct dbd_record_msg *w = want, *g = got;

        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmpuint(g->rsn, ==, w->rsn);
        g_assert_cmphex(g->flags, ==, w->flags);
        check_blob(w->key, w->key_len, g->key, g->key_len);
        check_blob(w->value, w->value_len, g->value, g->value_len);
}

static void check_dmaster(const void *want, const void *got) {
        const struct dbd_dmaster_msg *w = want, *g = got;

        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmpuint(g->rsn, ==, w->rsn);
        g_assert_cmpuint(g->dmaster, ==, w->dmaster);
        check_blob(w->key, w->key_len, g->key, g->key_len);
}

static void check_retry(const void *want, const void *got) {
        const struct dbd_retry_msg *w = want, *g = got;

        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmpint(g->error, ==, w->error);
        check_blob(w->key, w->key_len, g->key, g->key_len);
}

static void check_fetch(const void *want, const void *got) {
        const struct dbd_fetch_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->first, ==, w->first);
        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmpuint(g->requester, ==, w->requester);
        g_assert_cmpuint(g->hops, ==, w->hops);
        g_assert_cmphex(g->flags, ==, w->flags);
        check_blob(w->key, w->key_len, g->key, g->key_len);
}

static void check_revoke(const void *want, const void *got) {
        const struct dbd_revoke_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmpuint(g->rsn, ==, w->rsn);
        check_blob(w->key, w->key_len, g->key, g->key_len);
}

static void check_value(const void *want, const void *got) {
        const struct dbd_value_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->first, ==, w->first);
        g_assert_cmpint(g->error, ==, w->error);
        g_assert_cmphex(g->flags, ==, w->flags);
        g_assert_cmpuint(g->rsn, ==, w->rsn);
        g_assert_cmpuint(g->dmaster, ==, w->dmaster);
        check_blob(w->value, w->value_len, g->value, g->value_len);
}

static void check_traverse(const void *want, const void *got) {
        const struct dbd_traverse_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmpuint(g->max, ==, w->max);
}

static void check_records(const void *want, const void *got) {
        const struct dbd_records_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        check_batch(&w->batch, &g->batch);
}

static void check_wipe(const void *want, const void *got) {
        const struct dbd_wipe_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmphex(g->db_id, ==, w->db_id);
}

static void check_ack(const void *want, const void *got) {
        const struct dbd_ack_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmpint(g->error, ==, w->error);
        check_dbs(w->dbs, w->n_dbs, g->dbs, g->n_dbs);
}

static void check_freeze(const void *want, const void *got) {
        const struct dbd_freeze_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
}

static void check_attach(const void *want, const void *got) {
        const struct dbd_attach_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        check_dbs(w->dbs, w->n_dbs, g->dbs, g->n_dbs);
}

static void check_pull(const void *want, const void *got) {
        const struct dbd_pull_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmphex(g->db_id, ==, w->db_id);
}

static void check_thaw(const void *want, const void *got) {
        const struct dbd_thaw_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmpuint(g->n_vnnmap, ==, w->n_vnnmap);
        g_assert_cmpmem(g->vnnmap, 4 * g->n_vnnmap, w->vnnmap, 4 * w->n_vnnmap);
        g_assert_cmpuint(g->epoch, ==, w->epoch);
}

static void check_l_attach(const void *want, const void *got) {
        const struct db_attach *w = want, *g = got;

        g_assert_cmpuint(g->kind, ==, w->kind);
        check_string(w->name, w->name_len, g->name, g->name_len);
}

static void check_l_attach_reply(const void *want, const void *got) {
        const struct db_attach_reply *w = want, *g = got;

        g_assert_cmpint(g->error, ==, w->error);
        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmphex(g->tdb_flags, ==, w->tdb_flags);
        g_assert_cmpuint(g->hash_size, ==, w->hash_size);
        check_string(w->path, w->path_len, g->path, g->path_len);
}

static void check_l_key_req(const void *want, const void *got) {
        const struct db_key_req *w = want, *g = got;

        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmphex(g->flags, ==, w->flags);
        check_blob(w->key, w->key_len, g->key, g->key_len);
}

static void check_l_reply(const void *want, const void *got) {
        const struct db_reply *w = want, *g = got;

        g_assert_cmpint(g->error, ==, w->error);
}

static void check_l_value(const void *want, const void *got) {
        const struct db_value *w = want, *g = got;

        g_assert_cmpint(g->error, ==, w->error);
        g_assert_cmpuint(g->rsn, ==, w->rsn);
        g_assert_cmpuint(g->dmaster, ==, w->dmaster);
        check_blob(w->value, w->value_len, g->value, g->value_len);
}

static void check_l_traverse(const void *want, const void *got) {
        const struct db_traverse *w = want, *g = got;

        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmphex(g->flags, ==, w->flags);
}

static void check_l_records(const void *want, const void *got) {
        check_batch(want, got);
}

static void check_recovered(const void *want, const void *got) {
        const struct db_recovered *w = want, *g = got;

        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmpint(g->error, ==, w->error);
}

/* ---- g_lock ------------------------------------------------------------------------ */

static const struct dbd_glock_lock_msg sample_glock_lock = {
        .generation = 41,
        .pid = 4242,
        .id = UINT64_C(0x0102030405060708),
        .mode = 1,
        .name = (char *) "transaction_db_0x7a19d84d",
        .name_len = 25,
};

static const struct dbd_glock_grant_msg sample_glock_grant = {
        .generation = 41,
        .pid = 4242,
        .id = UINT64_C(0x0807060504030201),
        .error = 35,
        .db_id = 0x7a19d84du,
        .ready = UINT64_C(0x1122334455667788),
};

static struct dbd_glock_claim_entry sample_claim_entries[] = {
        { .pid = 7, .id = 70, .mode = 1, .held = 1, .name = (char *) "a", .name_len = 1 },
        { .pid = 8, .id = 80, .mode = 0, .held = 0, .name = (char *) "lock b", .name_len = 6 },
};

static const struct dbd_glock_claim_msg sample_glock_claim = {
        .generation = 41,
        .last = 1,
        .n_entries = 2,
        .entries = sample_claim_entries,
};

static const struct dbd_glock_list_msg sample_glock_list = { .id = 9, .generation = 41 };

static struct db_glock_entry sample_glock_entries[] = {
        { .pnn = 2, .pid = 7, .mode = 1, .held = 1, .name = (char *) "a", .name_len = 1 },
        { .pnn = 0, .pid = 9, .mode = 0, .held = 0, .name = (char *) "a", .name_len = 1 },
};

static const struct dbd_glock_entries_msg sample_glock_entries_msg = {
        .id = 9,
        .generation = 41,
        .list = { .error = 0, .truncated = 1, .n_entries = 2, .entries = sample_glock_entries },
};

static const struct db_glock_lock sample_l_glock_lock = {
        .mode = 0,
        .timeout_ms = 1500,
        .name = (char *) "testkey",
        .name_len = 7,
};

static const struct db_glock_unlock sample_l_glock_unlock = { .name = (char *) "testkey", .name_len = 7 };

static const struct db_glock_list sample_l_glock_list = { .flags = 0x5 };

static const struct db_glock_entries sample_l_glock_entries = {
        .error = 0,
        .truncated = 0,
        .n_entries = 2,
        .entries = sample_glock_entries,
};

static void check_glock_lock(const void *want, const void *got) {
        const struct dbd_glock_lock_msg *w = want, *g = got;

        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmpuint(g->pid, ==, w->pid);
        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->mode, ==, w->mode);
        g_assert_cmpstr(g->name, ==, w->name);
}

static void check_glock_grant(const void *want, const void *got) {
        const struct dbd_glock_grant_msg *w = want, *g = got;

        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmpuint(g->pid, ==, w->pid);
        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpint(g->error, ==, w->error);
        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmpuint(g->ready, ==, w->ready);
}

static const uint8_t ctdb_bytes[] = { 0x42, 0x44, 0x54, 0x43, 0x01, 0x00, 0x00, 0x00 };
static const struct dbd_ctdb_message_msg sample_ctdb_message = {
        .srvid = UINT64_C(0xAE00000000000002),
        .data_len = sizeof(ctdb_bytes),
        .data = ctdb_bytes,
};
static const struct dbd_ctdb_packet_msg sample_ctdb_packet = {
        .id = 77,
        .packet_len = sizeof(ctdb_bytes),
        .packet = ctdb_bytes,
};

static const struct dbd_ctdb_tunnel_msg sample_ctdb_tunnel = {
        .tunnel_id = UINT64_C(0xFFFFFFFF00000002),
        .flags = 0x11,
        .data_len = sizeof(ctdb_bytes),
        .data = ctdb_bytes,
};

static void check_ctdb_tunnel(const void *want, const void *got) {
        const struct dbd_ctdb_tunnel_msg *w = want, *g = got;

        g_assert_cmphex(g->tunnel_id, ==, w->tunnel_id);
        g_assert_cmphex(g->flags, ==, w->flags);
        check_blob(w->data, w->data_len, g->data, g->data_len);
}

static const struct dbd_ctdb_seqnum_msg sample_ctdb_seqnum = { .db_id = 0xc445c6abu };

static void check_ctdb_seqnum(const void *want, const void *got) {
        g_assert_cmphex(((const struct dbd_ctdb_seqnum_msg *) got)->db_id, ==,
                        ((const struct dbd_ctdb_seqnum_msg *) want)->db_id);
}

static void check_ctdb_message(const void *want, const void *got) {
        const struct dbd_ctdb_message_msg *w = want, *g = got;

        g_assert_cmphex(g->srvid, ==, w->srvid);
        check_blob(w->data, w->data_len, g->data, g->data_len);
}

static void check_ctdb_packet(const void *want, const void *got) {
        const struct dbd_ctdb_packet_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        check_blob(w->packet, w->packet_len, g->packet, g->packet_len);
}

static void check_glock_claim(const void *want, const void *got) {
        const struct dbd_glock_claim_msg *w = want, *g = got;

        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmpuint(g->last, ==, w->last);
        g_assert_cmpuint(g->n_entries, ==, w->n_entries);
        for (uint32_t i = 0; i < w->n_entries; i++) {
                g_assert_cmpuint(g->entries[i].pid, ==, w->entries[i].pid);
                g_assert_cmpuint(g->entries[i].id, ==, w->entries[i].id);
                g_assert_cmpuint(g->entries[i].mode, ==, w->entries[i].mode);
                g_assert_cmpuint(g->entries[i].held, ==, w->entries[i].held);
                g_assert_cmpstr(g->entries[i].name, ==, w->entries[i].name);
        }
}

static void check_glock_list(const void *want, const void *got) {
        const struct dbd_glock_list_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
}

static void check_l_glock_entries(const void *want, const void *got) {
        const struct db_glock_entries *w = want, *g = got;

        g_assert_cmpint(g->error, ==, w->error);
        g_assert_cmpuint(g->truncated, ==, w->truncated);
        g_assert_cmpuint(g->n_entries, ==, w->n_entries);
        for (uint32_t i = 0; i < w->n_entries; i++) {
                g_assert_cmpuint(g->entries[i].pnn, ==, w->entries[i].pnn);
                g_assert_cmpuint(g->entries[i].pid, ==, w->entries[i].pid);
                g_assert_cmpuint(g->entries[i].mode, ==, w->entries[i].mode);
                g_assert_cmpuint(g->entries[i].held, ==, w->entries[i].held);
                g_assert_cmpstr(g->entries[i].name, ==, w->entries[i].name);
        }
}

static void check_glock_entries(const void *want, const void *got) {
        const struct dbd_glock_entries_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        check_l_glock_entries(&w->list, &g->list);
}

static void check_l_glock_lock(const void *want, const void *got) {
        const struct db_glock_lock *w = want, *g = got;

        g_assert_cmpuint(g->mode, ==, w->mode);
        g_assert_cmpuint(g->timeout_ms, ==, w->timeout_ms);
        g_assert_cmpstr(g->name, ==, w->name);
}

static void check_l_glock_unlock(const void *want, const void *got) {
        const struct db_glock_unlock *w = want, *g = got;

        g_assert_cmpstr(g->name, ==, w->name);
}

static void check_l_glock_list(const void *want, const void *got) {
        const struct db_glock_list *w = want, *g = got;

        g_assert_cmphex(g->flags, ==, w->flags);
}

static void check_records_array(const struct db_record *w, uint32_t wn, const struct db_record *g,
                                uint32_t gn) {
        struct db_records wb = { .records = (struct db_record *) w, .n_records = wn };
        struct db_records gb = { .records = (struct db_record *) g, .n_records = gn };

        check_batch(&wb, &gb);
}

static void check_l_txn(const void *want, const void *got) {
        const struct db_txn *w = want, *g = got;

        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmphex(g->flags, ==, w->flags);
        g_assert_cmpuint(g->n_reads, ==, w->n_reads);
        for (uint32_t i = 0; i < w->n_reads; i++) {
                g_assert_cmpuint(g->reads[i].rsn, ==, w->reads[i].rsn);
                check_blob(w->reads[i].key, w->reads[i].key_len, g->reads[i].key, g->reads[i].key_len);
        }
        check_records_array(w->writes, w->n_writes, g->writes, g->n_writes);
}

static void check_l_txn_result(const void *want, const void *got) {
        const struct db_txn_result *w = want, *g = got;

        g_assert_cmpint(g->error, ==, w->error);
        g_assert_cmpuint(g->seqnum, ==, w->seqnum);
}

static void check_txn(const void *want, const void *got) {
        const struct dbd_txn_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        check_l_txn(&w->txn, &g->txn);
        g_assert_cmpuint(g->pid, ==, w->pid);
        g_assert_cmpuint(g->lock_id, ==, w->lock_id);
}

static void check_txn_done(const void *want, const void *got) {
        const struct dbd_txn_done_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmpint(g->error, ==, w->error);
        g_assert_cmpuint(g->seqnum, ==, w->seqnum);
}

static void check_update(const void *want, const void *got) {
        const struct dbd_update_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->generation, ==, w->generation);
        g_assert_cmphex(g->db_id, ==, w->db_id);
        g_assert_cmpuint(g->seq_from, ==, w->seq_from);
        g_assert_cmpuint(g->seq_to, ==, w->seq_to);
        g_assert_cmpuint(g->n_txns, ==, w->n_txns);
        for (uint32_t i = 0; i < w->n_txns; i++) {
                g_assert_cmpuint(g->txns[i].origin, ==, w->txns[i].origin);
                g_assert_cmpuint(g->txns[i].id, ==, w->txns[i].id);
                g_assert_cmpuint(g->txns[i].seqnum, ==, w->txns[i].seqnum);
        }
        check_records_array(w->records, w->n_records, g->records, g->n_records);
}

/* ---- the cases ------------------------------------------------------------------- */

/*
 * The offsets pin each layout too: every field is little endian and packed
 * without padding, records and database lists inline after their count.
 */
#define REC_KEY_LEN   16u /* in one db_record: rsn, dmaster, flags */
#define REC_VALUE_LEN (REC_KEY_LEN + 4 + sizeof(key_bytes))
#define BATCH_COUNT   5u /* in a db_records: db_id, last */
/* In a db_txn: db_id, flags, then the reads (rsn, key) and the writes (records). */
#define TXN_N_READS  8u
#define TXN_READ_KEY (TXN_N_READS + 4 + 8)
#define TXN_N_WRITES (TXN_N_READS + 4 + (8 + 4 + sizeof(key_bytes)) + (8 + 4 + 1))
/* In an UPDATE: id, generation, db_id, seq_from, seq_to, the commits (16 bytes each), the records. */
#define UPDATE_N_TXNS 28u
#define UPDATE_N_RECS (UPDATE_N_TXNS + 4 + 2 * 16)

/*
 * may_leave 2: arrays before other fields (reads and writes, commits and
 * records, THAW's VnnMap and epoch) stay on the context when what follows
 * them fails, as wire_unpack() documents.
 */
static const struct wire_case cases[] = {
        { "MIGRATE",
          DBD_MSG_MIGRATE,
          &dbd_migrate_desc,
          &sample_migrate,
          check_migrate,
          true,
          { { 16, DB_KEY_MAX } } },
        { "RECORD",
          DBD_MSG_RECORD,
          &dbd_record_desc,
          &sample_record,
          check_record,
          true,
          { { 20, DB_KEY_MAX }, { 24 + sizeof(key_bytes), DB_VALUE_MAX } } },
        { "DMASTER",
          DBD_MSG_DMASTER,
          &dbd_dmaster_desc,
          &sample_dmaster,
          check_dmaster,
          true,
          { { 20, DB_KEY_MAX } } },
        { "RETRY",
          DBD_MSG_RETRY,
          &dbd_retry_desc,
          &sample_retry,
          check_retry,
          true,
          { { 12, DB_KEY_MAX } } },
        { "FETCH",
          DBD_MSG_FETCH,
          &dbd_fetch_desc,
          &sample_fetch,
          check_fetch,
          true,
          { { 28, DB_KEY_MAX } } },
        { "VALUE",
          DBD_MSG_VALUE,
          &dbd_value_desc,
          &sample_value,
          check_value,
          true,
          { { 28, DB_VALUE_MAX } } },
        { "TRAVERSE",
          DBD_MSG_TRAVERSE,
          &dbd_traverse_desc,
          &sample_traverse,
          check_traverse,
          true,
          { { 0 } } },
        { "RECORDS",
          DBD_MSG_RECORDS,
          &dbd_records_desc,
          &sample_records_msg,
          check_records,
          true,
          { { 8 + BATCH_COUNT, DB_BATCH_RECORDS },
            { 8 + BATCH_COUNT + 4 + REC_KEY_LEN, DB_KEY_MAX },
            { 8 + BATCH_COUNT + 4 + REC_VALUE_LEN, DB_VALUE_MAX } } },
        { "WIPE", DBD_MSG_WIPE, &dbd_wipe_desc, &sample_wipe, check_wipe, true, { { 0 } } },
        { "VACUUM",
          DBD_MSG_VACUUM,
          &dbd_vacuum_desc,
          &sample_records_msg,
          check_records,
          true,
          { { 8 + BATCH_COUNT, DB_BATCH_RECORDS },
            { 8 + BATCH_COUNT + 4 + REC_KEY_LEN, DB_KEY_MAX },
            { 8 + BATCH_COUNT + 4 + REC_VALUE_LEN, DB_VALUE_MAX } } },
        { "PURGE",
          DBD_MSG_PURGE,
          &dbd_purge_desc,
          &sample_records_msg,
          check_records,
          true,
          { { 8 + BATCH_COUNT, DB_BATCH_RECORDS },
            { 8 + BATCH_COUNT + 4 + REC_KEY_LEN, DB_KEY_MAX },
            { 8 + BATCH_COUNT + 4 + REC_VALUE_LEN, DB_VALUE_MAX } } },
        { "REVOKE",
          DBD_MSG_REVOKE,
          &dbd_revoke_desc,
          &sample_revoke,
          check_revoke,
          true,
          { { 20, DB_KEY_MAX } } },
        { "ACK",
          DBD_MSG_ACK,
          &dbd_ack_desc,
          &sample_ack,
          check_ack,
          true,
          { { 12, DBD_MAX_DBS }, { 16 + 12, DB_NAME_MAX } } },
        { "FREEZE", DBD_MSG_FREEZE, &dbd_freeze_desc, &sample_freeze, check_freeze, true, { { 0 } } },
        { "ATTACH",
          DBD_MSG_ATTACH,
          &dbd_attach_desc,
          &sample_attach,
          check_attach,
          true,
          { { 8, DBD_MAX_DBS }, { 12 + 12, DB_NAME_MAX } } },
        { "ATTACHED",
          DBD_MSG_ATTACHED,
          &dbd_attached_desc,
          &sample_attach,
          check_attach,
          true,
          { { 8, DBD_MAX_DBS }, { 12 + 12, DB_NAME_MAX } } },
        { "PULL", DBD_MSG_PULL, &dbd_pull_desc, &sample_pull, check_pull, true, { { 0 } } },
        { "PUSH",
          DBD_MSG_PUSH,
          &dbd_push_desc,
          &sample_records_msg,
          check_records,
          true,
          { { 8 + BATCH_COUNT, DB_BATCH_RECORDS },
            { 8 + BATCH_COUNT + 4 + REC_KEY_LEN, DB_KEY_MAX },
            { 8 + BATCH_COUNT + 4 + REC_VALUE_LEN, DB_VALUE_MAX } } },
        { "THAW", DBD_MSG_THAW, &dbd_thaw_desc, &sample_thaw, check_thaw, true, { { 8, DBD_MAX_NODES } },
          .may_leave = 2 },

        { "local-ATTACH",
          DB_LOCAL_ATTACH,
          &db_attach_desc,
          &sample_l_attach,
          check_l_attach,
          false,
          { { 4, DB_NAME_MAX } } },
        { "local-ATTACH_REPLY",
          DB_LOCAL_ATTACH_REPLY,
          &db_attach_reply_desc,
          &sample_l_attach_reply,
          check_l_attach_reply,
          false,
          { { 16, DB_PATH_MAX } } },
        { "local-MIGRATE",
          DB_LOCAL_MIGRATE,
          &db_key_req_desc,
          &sample_l_key_req,
          check_l_key_req,
          false,
          { { 8, DB_KEY_MAX } } },
        { "local-REPLY", DB_LOCAL_REPLY, &db_reply_desc, &sample_l_reply, check_l_reply, false, { { 0 } } },
        { "local-FETCH",
          DB_LOCAL_FETCH,
          &db_key_req_desc,
          &sample_l_key_req,
          check_l_key_req,
          false,
          { { 8, DB_KEY_MAX } } },
        { "local-VALUE",
          DB_LOCAL_VALUE,
          &db_value_desc,
          &sample_l_value,
          check_l_value,
          false,
          { { 16, DB_VALUE_MAX } } },
        { "local-TRAVERSE",
          DB_LOCAL_TRAVERSE,
          &db_traverse_desc,
          &sample_l_traverse,
          check_l_traverse,
          false,
          { { 0 } } },
        { "local-RECORDS",
          DB_LOCAL_RECORDS,
          &db_records_desc,
          &sample_l_records,
          check_l_records,
          false,
          { { BATCH_COUNT, DB_BATCH_RECORDS },
            { BATCH_COUNT + 4 + REC_KEY_LEN, DB_KEY_MAX },
            { BATCH_COUNT + 4 + REC_VALUE_LEN, DB_VALUE_MAX } } },
        { "local-DELETED",
          DB_LOCAL_DELETED,
          &db_key_req_desc,
          &sample_l_key_req,
          check_l_key_req,
          false,
          { { 8, DB_KEY_MAX } } },
        { "GLOCK_LOCK",
          DBD_MSG_GLOCK_LOCK,
          &dbd_glock_lock_desc,
          &sample_glock_lock,
          check_glock_lock,
          true,
          { { 20, DB_KEY_MAX } } },
        { "GLOCK_UNLOCK",
          DBD_MSG_GLOCK_UNLOCK,
          &dbd_glock_unlock_desc,
          &sample_glock_lock,
          check_glock_lock,
          true,
          { { 20, DB_KEY_MAX } } },
        { "GLOCK_GRANT",
          DBD_MSG_GLOCK_GRANT,
          &dbd_glock_grant_desc,
          &sample_glock_grant,
          check_glock_grant,
          true,
          { { 0 } } },
        { "GLOCK_CLAIM",
          DBD_MSG_GLOCK_CLAIM,
          &dbd_glock_claim_desc,
          &sample_glock_claim,
          check_glock_claim,
          true,
          { { 5, DBD_GLOCK_CLAIM_MAX }, { 9 + 17, DB_KEY_MAX } } },
        { "GLOCK_LIST",
          DBD_MSG_GLOCK_LIST,
          &dbd_glock_list_desc,
          &sample_glock_list,
          check_glock_list,
          true,
          { { 0 } } },
        { "GLOCK_ENTRIES",
          DBD_MSG_GLOCK_ENTRIES,
          &dbd_glock_entries_desc,
          &sample_glock_entries_msg,
          check_glock_entries,
          true,
          { { 13, DB_GLOCK_LIST_MAX }, { 17 + 13, DB_KEY_MAX } } },
        { "CTDB_MESSAGE",
          DBD_MSG_CTDB_MESSAGE,
          &dbd_ctdb_message_desc,
          &sample_ctdb_message,
          check_ctdb_message,
          true,
          { { 8, WIRE_FRAME_MAX } } },
        { "CTDB_TUNNEL",
          DBD_MSG_CTDB_TUNNEL,
          &dbd_ctdb_tunnel_desc,
          &sample_ctdb_tunnel,
          check_ctdb_tunnel,
          true,
          { { 12, WIRE_FRAME_MAX } } },
        { "CTDB_SEQNUM",
          DBD_MSG_CTDB_SEQNUM,
          &dbd_ctdb_seqnum_desc,
          &sample_ctdb_seqnum,
          check_ctdb_seqnum,
          true,
          { { 0 } } },
        { "CTDB_CONTROL",
          DBD_MSG_CTDB_CONTROL,
          &dbd_ctdb_control_desc,
          &sample_ctdb_packet,
          check_ctdb_packet,
          true,
          { { 4, WIRE_FRAME_MAX } } },
        { "CTDB_REPLY",
          DBD_MSG_CTDB_REPLY,
          &dbd_ctdb_reply_desc,
          &sample_ctdb_packet,
          check_ctdb_packet,
          true,
          { { 4, WIRE_FRAME_MAX } } },
        { "local-GLOCK_LOCK",
          DB_LOCAL_GLOCK_LOCK,
          &db_glock_lock_desc,
          &sample_l_glock_lock,
          check_l_glock_lock,
          false,
          { { 8, DB_KEY_MAX } } },
        { "local-GLOCK_REPLY",
          DB_LOCAL_GLOCK_REPLY,
          &db_glock_reply_desc,
          &sample_l_reply,
          check_l_reply,
          false,
          { { 0 } } },
        { "local-GLOCK_UNLOCK",
          DB_LOCAL_GLOCK_UNLOCK,
          &db_glock_unlock_desc,
          &sample_l_glock_unlock,
          check_l_glock_unlock,
          false,
          { { 0, DB_KEY_MAX } } },
        { "local-GLOCK_LIST",
          DB_LOCAL_GLOCK_LIST,
          &db_glock_list_desc,
          &sample_l_glock_list,
          check_l_glock_list,
          false,
          { { 0 } } },
        { "local-GLOCK_ENTRIES",
          DB_LOCAL_GLOCK_ENTRIES,
          &db_glock_entries_desc,
          &sample_l_glock_entries,
          check_l_glock_entries,
          false,
          { { 5, DB_GLOCK_LIST_MAX }, { 9 + 13, DB_KEY_MAX } } },
        { "TXN",
          DBD_MSG_TXN,
          &dbd_txn_desc,
          &sample_txn,
          check_txn,
          true,
          { { 8 + TXN_N_READS, DB_TXN_RECORDS },
            { 8 + TXN_READ_KEY, DB_KEY_MAX },
            { 8 + TXN_N_WRITES, DB_TXN_RECORDS } },
          2 },
        { "TXN_DONE",
          DBD_MSG_TXN_DONE,
          &dbd_txn_done_desc,
          &sample_txn_done,
          check_txn_done,
          true,
          { { 0 } } },
        { "UPDATE",
          DBD_MSG_UPDATE,
          &dbd_update_desc,
          &sample_update,
          check_update,
          true,
          { { UPDATE_N_TXNS, DBD_UPDATE_TXNS },
            { UPDATE_N_RECS, DB_BATCH_RECORDS },
            { UPDATE_N_RECS + 4 + REC_VALUE_LEN, DB_VALUE_MAX } },
          2 },
        { "local-TXN_COMMIT",
          DB_LOCAL_TXN_COMMIT,
          &db_txn_desc,
          &sample_l_txn,
          check_l_txn,
          false,
          { { TXN_N_READS, DB_TXN_RECORDS },
            { TXN_READ_KEY, DB_KEY_MAX },
            { TXN_N_WRITES, DB_TXN_RECORDS } },
          2 },
        { "local-TXN_RESULT",
          DB_LOCAL_TXN_RESULT,
          &db_txn_result_desc,
          &sample_l_txn_result,
          check_l_txn_result,
          false,
          { { 0 } } },
        { "RECOVERED",
          DB_RECOVERY_RECOVERED,
          &db_recovered_desc,
          &sample_recovered,
          check_recovered,
          true,
          { { 0 } } },
};

static const struct wire_case *case_of(uint16_t kind, bool inner) {
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
                if (cases[i].kind == kind && cases[i].inner == inner && cases[i].desc != &db_recovered_desc)
                        return &cases[i];
        return NULL;
}

/* ---- limits at the edge --------------------------------------------------------------- */

/* A key of DB_KEY_MAX and a value of DB_VALUE_MAX go through; one byte more is refused to pack. */
static void test_record_at_limits(void) {
        void *ctx = talloc_new(NULL);
        uint8_t *key = talloc_zero_size(ctx, DB_KEY_MAX + 1);
        uint8_t *value = talloc_zero_size(ctx, DB_VALUE_MAX + 1);
        struct dbd_record_msg m = { .generation = 1,
                                    .key = key,
                                    .key_len = DB_KEY_MAX,
                                    .value = value,
                                    .value_len = DB_VALUE_MAX },
                              got;
        uint8_t *buf;
        size_t len;

        key[DB_KEY_MAX - 1] = 'K';
        value[DB_VALUE_MAX - 1] = 'V';
        g_assert_cmpint(wire_inner_pack(ctx, &dbd_record_desc, &m, &buf, &len), ==, 0);
        g_assert_cmpint(wire_inner_unpack(&dbd_record_desc, ctx, buf, len, &got), ==,
                        (int) (len - WIRE_INNER_PREFIX_SIZE));
        check_record(&m, &got);

        m.key_len = DB_KEY_MAX + 1;
        g_assert_cmpint(wire_inner_pack(ctx, &dbd_record_desc, &m, &buf, &len), ==, -EINVAL);
        m.key_len = DB_KEY_MAX;
        m.value_len = DB_VALUE_MAX + 1;
        g_assert_cmpint(wire_inner_pack(ctx, &dbd_record_desc, &m, &buf, &len), ==, -EINVAL);
        talloc_free(ctx);
}

/* A VnnMap of DBD_MAX_NODES goes through; one more is refused both ways. */
static void test_thaw_at_limit(void) {
        void *ctx = talloc_new(NULL);
        uint32_t *map = talloc_zero_array(ctx, uint32_t, DBD_MAX_NODES + 1);
        struct dbd_thaw_msg m = { .id = 1, .generation = 2, .vnnmap = map, .n_vnnmap = DBD_MAX_NODES }, got;
        uint8_t *buf;
        size_t len;

        for (uint32_t i = 0; i <= DBD_MAX_NODES; i++)
                map[i] = i;
        g_assert_cmpint(wire_inner_pack(ctx, &dbd_thaw_desc, &m, &buf, &len), ==, 0);
        g_assert_cmpint(wire_inner_unpack(&dbd_thaw_desc, ctx, buf, len, &got), >, 0);
        check_thaw(&m, &got);
        m.n_vnnmap = DBD_MAX_NODES + 1;
        g_assert_cmpint(wire_inner_pack(ctx, &dbd_thaw_desc, &m, &buf, &len), ==, -EINVAL);
        talloc_free(ctx);
}

/* A FREEZE answer listing DBD_MAX_DBS databases goes through. */
static void test_ack_at_limit(void) {
        void *ctx = talloc_new(NULL);
        struct dbd_db_info *dbs = talloc_zero_array(ctx, struct dbd_db_info, DBD_MAX_DBS + 1);
        struct dbd_ack_msg m = { .id = 1, .dbs = dbs, .n_dbs = DBD_MAX_DBS }, got;
        uint8_t *buf;
        size_t len;

        for (uint32_t i = 0; i <= DBD_MAX_DBS; i++) {
                dbs[i].name = talloc_asprintf(ctx, "db%u.tdb", i);
                dbs[i].name_len = (uint32_t) strlen(dbs[i].name);
                dbs[i].db_id = i;
        }
        g_assert_cmpint(wire_inner_pack(ctx, &dbd_ack_desc, &m, &buf, &len), ==, 0);
        g_assert_cmpint(wire_inner_unpack(&dbd_ack_desc, ctx, buf, len, &got), >, 0);
        check_ack(&m, &got);
        m.n_dbs = DBD_MAX_DBS + 1;
        g_assert_cmpint(wire_inner_pack(ctx, &dbd_ack_desc, &m, &buf, &len), ==, -EINVAL);
        talloc_free(ctx);
}

/* A batch count the bytes cannot hold is refused before the array is allocated. */
static void test_records_count_beyond_bytes(void) {
        void *ctx = talloc_new(NULL);
        size_t len, at;
        uint8_t *buf = wire_case_pack(ctx, case_of(DBD_MSG_RECORDS, true), &len, &at);
        struct dbd_records_msg got;
        void *tmp = talloc_new(NULL);

        wire_case_put_u32(buf + at + 8 + BATCH_COUNT, DB_BATCH_RECORDS);
        g_assert_cmpint(wire_inner_unpack(&dbd_records_desc, tmp, buf, len, &got), ==, -EBADMSG);
        g_assert_cmpuint(talloc_total_blocks(tmp), ==, 1);
        talloc_free(tmp);
        talloc_free(ctx);
}

/* A database name with a NUL inside would lie about its length. */
static void test_name_with_nul(void) {
        void *ctx = talloc_new(NULL);
        size_t len, at;
        uint8_t *buf = wire_case_pack(ctx, case_of(DB_LOCAL_ATTACH, false), &len, &at);
        struct db_attach got;

        buf[at + 8 + 3] = 0;
        g_assert_cmpint(wire_unpack(&db_attach_desc, ctx, buf + at, len - at, &got), ==, -EBADMSG);
        talloc_free(ctx);
}

/* ---- transactions: db_txn_check() and what fits one frame ------------------- */

/* A transaction of n_reads reads and n_writes writes, 1-byte keys, no values, on ctx. */
static struct db_txn *txn_of(void *ctx, uint32_t n_reads, uint32_t n_writes) {
        struct db_txn *t = talloc_zero(ctx, struct db_txn);

        g_assert_nonnull(t);
        t->reads = talloc_zero_array(ctx, struct db_txn_read, n_reads + 1);
        t->writes = talloc_zero_array(ctx, struct db_record, n_writes + 1);
        g_assert_nonnull(t->reads);
        g_assert_nonnull(t->writes);
        t->n_reads = n_reads;
        t->n_writes = n_writes;
        for (uint32_t i = 0; i <= n_reads; i++)
                t->reads[i] = (struct db_txn_read){ .key = key_bytes, .key_len = 1 };
        for (uint32_t i = 0; i <= n_writes; i++)
                t->writes[i] = (struct db_record){ .key = key_bytes, .key_len = 1 };
        return t;
}

static void test_txn_check_valid(void) {
        void *ctx = talloc_new(NULL);

        g_assert_cmpint(db_txn_check(&sample_l_txn), ==, 0);
        /* Nothing read, nothing written: a commit of nothing is still well formed. */
        g_assert_cmpint(db_txn_check(txn_of(ctx, 0, 0)), ==, 0);
        talloc_free(ctx);
}

/* A key of no bytes is no key: -EINVAL, in a read as in a write, wherever it is. */
static void test_txn_check_empty_key(void) {
        void *ctx = talloc_new(NULL);
        struct db_txn *t = txn_of(ctx, 3, 3);

        t->reads[2].key_len = 0;
        g_assert_cmpint(db_txn_check(t), ==, -EINVAL);
        t->reads[2].key_len = 1;
        t->writes[0].key_len = 0;
        g_assert_cmpint(db_txn_check(t), ==, -EINVAL);
        t->writes[0].key_len = 1;
        /* A write without a value (a delete) is fine. */
        g_assert_cmpint(db_txn_check(t), ==, 0);
        talloc_free(ctx);
}

/* DB_TXN_RECORDS reads and writes go; one more of either is -E2BIG. */
static void test_txn_check_records(void) {
        void *ctx = talloc_new(NULL);
        struct db_txn *t = txn_of(ctx, DB_TXN_RECORDS, DB_TXN_RECORDS);

        g_assert_cmpint(db_txn_check(t), ==, 0);
        t->n_reads++;
        g_assert_cmpint(db_txn_check(t), ==, -E2BIG);
        t->n_reads--;
        t->n_writes++;
        g_assert_cmpint(db_txn_check(t), ==, -E2BIG);
        t->n_writes = UINT32_MAX;
        g_assert_cmpint(db_txn_check(t), ==, -E2BIG);
        talloc_free(ctx);
}

/* Keys and values with 32 bytes per record: DB_TXN_BYTES goes, one byte more is -E2BIG. */
static void test_txn_check_bytes(void) {
        void *ctx = talloc_new(NULL);
        struct db_txn *t = txn_of(ctx, 0, 3);
        /* Three writes of 1-byte keys fill DB_TXN_BYTES exactly. */
        uint32_t v = DB_TXN_BYTES / 3 - 32 - 1;
        uint8_t *value = talloc_zero_size(ctx, v + 1);

        g_assert_cmpuint(3 * (32 + 1 + v), ==, DB_TXN_BYTES);
        for (uint32_t i = 0; i < 3; i++)
                t->writes[i] =
                        (struct db_record){ .key = key_bytes, .key_len = 1, .value = value, .value_len = v };
        g_assert_cmpint(db_txn_check(t), ==, 0);
        t->writes[1].value_len++;
        g_assert_cmpint(db_txn_check(t), ==, -E2BIG);
        t->writes[1].value_len--;
        /* A read counts too: 32 bytes and its key. */
        t->n_reads = 1;
        g_assert_cmpint(db_txn_check(t), ==, -E2BIG);
        talloc_free(ctx);
}

/*
 * The largest commit goes between nodes in one frame: as TXN (reads and
 * writes) and in an UPDATE of DBD_UPDATE_TXNS commits whose writes fill
 * DB_TXN_BYTES, the coordinator's batch at its limits.
 */
static void test_txn_fits_one_frame(void) {
        void *ctx = talloc_new(NULL);
        struct db_txn *t = txn_of(ctx, 0, 3);
        uint32_t v = DB_TXN_BYTES / 3 - 32 - 1;
        uint8_t *value = talloc_zero_size(ctx, v);
        struct dbd_txn_msg m = { .id = 1, .generation = 2 }, got;
        struct dbd_update_msg u = { .id = 3, .generation = 2, .seq_from = 0, .seq_to = DBD_UPDATE_TXNS },
                              got_u;
        uint8_t *buf;
        size_t len;

        for (uint32_t i = 0; i < 3; i++)
                t->writes[i] =
                        (struct db_record){ .key = key_bytes, .key_len = 1, .value = value, .value_len = v };
        g_assert_cmpint(db_txn_check(t), ==, 0);
        m.txn = *t;
        g_assert_cmpuint(wire_inner_size(&dbd_txn_desc, &m), <=, WIRE_INNER_MAX);
        g_assert_cmpint(wire_inner_pack(ctx, &dbd_txn_desc, &m, &buf, &len), ==, 0);
        g_assert_cmpint(wire_inner_unpack(&dbd_txn_desc, ctx, buf, len, &got), >, 0);
        check_txn(&m, &got);

        u.txns = talloc_zero_array(ctx, struct dbd_txn_ref, DBD_UPDATE_TXNS + 1);
        g_assert_nonnull(u.txns);
        for (uint32_t i = 0; i <= DBD_UPDATE_TXNS; i++)
                u.txns[i] = (struct dbd_txn_ref){ .origin = i % 3, .id = i, .seqnum = i + 1 };
        u.n_txns = DBD_UPDATE_TXNS;
        u.records = t->writes;
        u.n_records = 3;
        g_assert_cmpuint(wire_inner_size(&dbd_update_desc, &u), <=, WIRE_INNER_MAX);
        g_assert_cmpint(wire_inner_pack(ctx, &dbd_update_desc, &u, &buf, &len), ==, 0);
        g_assert_cmpint(wire_inner_unpack(&dbd_update_desc, ctx, buf, len, &got_u), >, 0);
        check_update(&u, &got_u);
        /* One commit more than an UPDATE carries is refused to pack. */
        u.n_txns = DBD_UPDATE_TXNS + 1;
        g_assert_cmpint(wire_inner_pack(ctx, &dbd_update_desc, &u, &buf, &len), ==, -EINVAL);
        talloc_free(ctx);
}

/* DB_TXN_RECORDS reads and writes round-trip in TXN_COMMIT; one more is refused both ways. */
static void test_txn_records_at_limit(void) {
        void *ctx = talloc_new(NULL);
        struct db_txn *t = txn_of(ctx, DB_TXN_RECORDS, DB_TXN_RECORDS), got;
        size_t n = wire_payload_size(&db_txn_desc, t);
        uint8_t *buf = talloc_size(ctx, n);
        uint8_t *over;
        size_t n_over;

        g_assert_cmpint(wire_pack(&db_txn_desc, t, buf, n), ==, (int) n);
        g_assert_cmpint(wire_unpack(&db_txn_desc, ctx, buf, n, &got), ==, (int) n);
        check_l_txn(t, &got);
        t->n_writes++;
        n_over = wire_payload_size(&db_txn_desc, t);
        over = talloc_size(ctx, n_over);
        g_assert_cmpint(wire_pack(&db_txn_desc, t, over, n_over), ==, -EINVAL);
        /* The count word of the writes, raised by hand, is refused before the array is read. */
        wire_case_put_u32(buf + TXN_N_READS + 4 + DB_TXN_RECORDS * (8 + 4 + 1), DB_TXN_RECORDS + 1);
        g_assert_cmpint(wire_unpack(&db_txn_desc, ctx, buf, n, &got), ==, -E2BIG);
        talloc_free(ctx);
}

/* ---- the kind lists --------------------------------------------------------------------- */

/* Every kind of DBD_MSG_KINDS has its description, its name and a case above. */
static void test_inner_kinds_listed(void) {
        unsigned n = 0;

#define CHECK_KIND_(name, value, desc)                             \
        g_assert_true(dbd_msg_desc_by_kind(value) == &(desc));     \
        g_assert_cmpstr(dbd_msg_kind_to_string(value), ==, #name); \
        g_assert_cmpuint((desc).kind, ==, (value));                \
        g_assert_nonnull(case_of(value, true));                    \
        n++;
        DBD_MSG_KINDS(CHECK_KIND_)
#undef CHECK_KIND_
        g_assert_cmpuint(n, ==, 33);
        g_assert_null(dbd_msg_desc_by_kind(0));
        g_assert_null(dbd_msg_desc_by_kind(14));
        g_assert_null(dbd_msg_desc_by_kind(36));
        g_assert_null(dbd_msg_desc_by_kind(UINT16_MAX));
        g_assert_cmpstr(dbd_msg_kind_to_string(14), ==, "unknown");
}

/* Every kind of DB_LOCAL_KINDS has its name and a case; a description of its own kind where not shared. */
static void test_local_kinds_listed(void) {
        unsigned n = 0;

#define CHECK_KIND_(name, value, desc)                              \
        g_assert_cmpstr(db_local_kind_to_string(value), ==, #name); \
        g_assert_true((desc).kind == (value) || (desc).kind == 0);  \
        g_assert_nonnull(case_of(value, false));                    \
        n++;
        DB_LOCAL_KINDS(CHECK_KIND_)
#undef CHECK_KIND_
        g_assert_cmpuint(n, ==, 16);
        g_assert_cmpstr(db_local_kind_to_string(63), ==, "unknown");
        g_assert_cmpstr(db_local_kind_to_string(75), ==, "unknown");
}

/* Data too short for an inner prefix has no kind. */
static void test_inner_short_prefix(void) {
        static const uint8_t b[] = { DBD_MSG_FREEZE, 0, 0 };
        struct dbd_freeze_msg got;

        for (size_t n = 0; n < sizeof(b); n++) {
                g_assert_cmpint(wire_inner_kind(b, n), ==, -EBADMSG);
                g_assert_cmpint(wire_inner_unpack(&dbd_freeze_desc, NULL, b, n, &got), ==, -EBADMSG);
        }
        g_assert_cmpint(wire_inner_kind(NULL, 4), ==, -EBADMSG);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/dbd-wire/kinds/inner-listed", test_inner_kinds_listed);
        g_test_add_func("/dbd-wire/kinds/local-listed", test_local_kinds_listed);
        g_test_add_func("/dbd-wire/kinds/short-prefix", test_inner_short_prefix);
        wire_cases_add("/dbd-wire", cases, G_N_ELEMENTS(cases));
        g_test_add_func("/dbd-wire/limits/record", test_record_at_limits);
        g_test_add_func("/dbd-wire/limits/thaw", test_thaw_at_limit);
        g_test_add_func("/dbd-wire/limits/ack", test_ack_at_limit);
        g_test_add_func("/dbd-wire/limits/records-count-beyond-bytes", test_records_count_beyond_bytes);
        g_test_add_func("/dbd-wire/local-ATTACH/name-with-nul", test_name_with_nul);
        g_test_add_func("/dbd-wire/txn-check/valid", test_txn_check_valid);
        g_test_add_func("/dbd-wire/txn-check/empty-key", test_txn_check_empty_key);
        g_test_add_func("/dbd-wire/txn-check/records", test_txn_check_records);
        g_test_add_func("/dbd-wire/txn-check/bytes", test_txn_check_bytes);
        g_test_add_func("/dbd-wire/limits/txn-fits-one-frame", test_txn_fits_one_frame);
        g_test_add_func("/dbd-wire/limits/txn-records", test_txn_records_at_limit);

        return g_test_run();
}
