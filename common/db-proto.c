/* ctdb-dbd's local socket and its message to clusterd, described once; see db-proto.h. */

#include <errno.h>
#include <stddef.h>

#include "db-proto.h"

static const struct wire_field attach_fields[] = {
        WIRE_U32(struct db_attach, kind),
        WIRE_STRING(struct db_attach, name, name_len, DB_NAME_MAX),
};

static const struct wire_field attach_reply_fields[] = {
        WIRE_U32(struct db_attach_reply, error),
        WIRE_U32(struct db_attach_reply, db_id),
        WIRE_U32(struct db_attach_reply, tdb_flags),
        WIRE_U32(struct db_attach_reply, hash_size),
        WIRE_STRING(struct db_attach_reply, path, path_len, DB_PATH_MAX),
};

static const struct wire_field key_req_fields[] = {
        WIRE_U32(struct db_key_req, db_id),
        WIRE_U32(struct db_key_req, flags),
        WIRE_BLOB(struct db_key_req, key, key_len, DB_KEY_MAX),
};

static const struct wire_field reply_fields[] = {
        WIRE_U32(struct db_reply, error),
};

static const struct wire_field value_fields[] = {
        WIRE_U32(struct db_value, error),
        WIRE_U64(struct db_value, rsn),
        WIRE_U32(struct db_value, dmaster),
        WIRE_BLOB(struct db_value, value, value_len, DB_VALUE_MAX),
};

static const struct wire_field traverse_fields[] = {
        WIRE_U32(struct db_traverse, db_id),
        WIRE_U32(struct db_traverse, flags),
};

static const struct wire_field record_fields[] = {
        WIRE_U64(struct db_record, rsn),
        WIRE_U32(struct db_record, dmaster),
        WIRE_U32(struct db_record, flags),
        WIRE_BLOB(struct db_record, key, key_len, DB_KEY_MAX),
        WIRE_BLOB(struct db_record, value, value_len, DB_VALUE_MAX),
};

const struct wire_desc db_record_desc = WIRE_DESC(0, struct db_record, record_fields);

static const struct wire_field records_fields[] = {
        WIRE_U32(struct db_records, db_id),
        WIRE_U8(struct db_records, last),
        WIRE_STRUCT_ARRAY(struct db_records, records, n_records, &db_record_desc, DB_BATCH_RECORDS),
};

static const struct wire_field recovered_fields[] = {
        WIRE_U32(struct db_recovered, generation),
        WIRE_U32(struct db_recovered, error),
};

static const struct wire_field txn_read_fields[] = {
        WIRE_U64(struct db_txn_read, rsn),
        WIRE_BLOB(struct db_txn_read, key, key_len, DB_KEY_MAX),
};

static const struct wire_desc txn_read_desc = WIRE_DESC(0, struct db_txn_read, txn_read_fields);

static const struct wire_field txn_fields[] = {
        WIRE_U32(struct db_txn, db_id),
        WIRE_U32(struct db_txn, flags),
        WIRE_STRUCT_ARRAY(struct db_txn, reads, n_reads, &txn_read_desc, DB_TXN_RECORDS),
        WIRE_STRUCT_ARRAY(struct db_txn, writes, n_writes, &db_record_desc, DB_TXN_RECORDS),
};

static const struct wire_field txn_result_fields[] = {
        WIRE_U32(struct db_txn_result, error),
        WIRE_U64(struct db_txn_result, seqnum),
};

static const struct wire_field glock_lock_fields[] = {
        WIRE_U32(struct db_glock_lock, mode),
        WIRE_U32(struct db_glock_lock, timeout_ms),
        WIRE_STRING(struct db_glock_lock, name, name_len, DB_KEY_MAX),
};

static const struct wire_field glock_unlock_fields[] = {
        WIRE_STRING(struct db_glock_unlock, name, name_len, DB_KEY_MAX),
};

static const struct wire_field glock_list_fields[] = {
        WIRE_U32(struct db_glock_list, flags),
};

static const struct wire_field glock_entry_fields[] = {
        WIRE_U32(struct db_glock_entry, pnn),
        WIRE_U32(struct db_glock_entry, pid),
        WIRE_U32(struct db_glock_entry, mode),
        WIRE_U8(struct db_glock_entry, held),
        WIRE_STRING(struct db_glock_entry, name, name_len, DB_KEY_MAX),
};

const struct wire_desc db_glock_entry_desc = WIRE_DESC(0, struct db_glock_entry, glock_entry_fields);

static const struct wire_field glock_entries_fields[] = {
        WIRE_U32(struct db_glock_entries, error),
        WIRE_U8(struct db_glock_entries, truncated),
        WIRE_STRUCT_ARRAY(struct db_glock_entries, entries, n_entries, &db_glock_entry_desc,
                          DB_GLOCK_LIST_MAX),
};

const struct wire_desc db_attach_desc = WIRE_DESC(DB_LOCAL_ATTACH, struct db_attach, attach_fields);
const struct wire_desc db_attach_reply_desc =
        WIRE_DESC(DB_LOCAL_ATTACH_REPLY, struct db_attach_reply, attach_reply_fields);
const struct wire_desc db_key_req_desc = WIRE_DESC(0, struct db_key_req, key_req_fields);
const struct wire_desc db_reply_desc = WIRE_DESC(DB_LOCAL_REPLY, struct db_reply, reply_fields);
const struct wire_desc db_value_desc = WIRE_DESC(DB_LOCAL_VALUE, struct db_value, value_fields);
const struct wire_desc db_traverse_desc = WIRE_DESC(DB_LOCAL_TRAVERSE, struct db_traverse, traverse_fields);
const struct wire_desc db_records_desc = WIRE_DESC(DB_LOCAL_RECORDS, struct db_records, records_fields);
const struct wire_desc db_recovered_desc =
        WIRE_DESC(DB_RECOVERY_RECOVERED, struct db_recovered, recovered_fields);
const struct wire_desc db_glock_lock_desc =
        WIRE_DESC(DB_LOCAL_GLOCK_LOCK, struct db_glock_lock, glock_lock_fields);
const struct wire_desc db_glock_reply_desc = WIRE_DESC(DB_LOCAL_GLOCK_REPLY, struct db_reply, reply_fields);
const struct wire_desc db_glock_unlock_desc =
        WIRE_DESC(DB_LOCAL_GLOCK_UNLOCK, struct db_glock_unlock, glock_unlock_fields);
const struct wire_desc db_glock_list_desc =
        WIRE_DESC(DB_LOCAL_GLOCK_LIST, struct db_glock_list, glock_list_fields);
const struct wire_desc db_glock_entries_desc =
        WIRE_DESC(DB_LOCAL_GLOCK_ENTRIES, struct db_glock_entries, glock_entries_fields);

const struct wire_desc db_txn_desc = WIRE_DESC(DB_LOCAL_TXN_COMMIT, struct db_txn, txn_fields);
const struct wire_desc db_txn_result_desc =
        WIRE_DESC(DB_LOCAL_TXN_RESULT, struct db_txn_result, txn_result_fields);

int db_txn_check(const struct db_txn *txn) {
        uint64_t bytes = 0;

        if (txn->n_reads > DB_TXN_RECORDS || txn->n_writes > DB_TXN_RECORDS)
                return -E2BIG;
        for (uint32_t i = 0; i < txn->n_reads; i++) {
                if (txn->reads[i].key_len == 0)
                        return -EINVAL;
                bytes += 32u + txn->reads[i].key_len;
        }
        for (uint32_t i = 0; i < txn->n_writes; i++) {
                if (txn->writes[i].key_len == 0)
                        return -EINVAL;
                bytes += 32u + txn->writes[i].key_len + txn->writes[i].value_len;
        }
        return bytes > DB_TXN_BYTES ? -E2BIG : 0;
}

const char *db_local_kind_to_string(uint16_t kind) {
        switch (kind) {
#define DB_LOCAL_NAME_(name, value, desc)                                                               \
        case value:                                                                                     \
                return #name;
                DB_LOCAL_KINDS(DB_LOCAL_NAME_)
#undef DB_LOCAL_NAME_
        }
        return "unknown";
}
