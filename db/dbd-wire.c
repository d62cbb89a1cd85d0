/* ctdb-dbd's messages between nodes, described once; see dbd-wire.h. */

#include <stddef.h>

#include "dbd-wire.h"

static const struct wire_field migrate_fields[] = {
        WIRE_U32(struct dbd_migrate_msg, generation),
        WIRE_U32(struct dbd_migrate_msg, db_id),
        WIRE_U32(struct dbd_migrate_msg, requester),
        WIRE_U32(struct dbd_migrate_msg, hops),
        WIRE_BLOB(struct dbd_migrate_msg, key, key_len, DB_KEY_MAX),
};

static const struct wire_field record_fields[] = {
        WIRE_U32(struct dbd_record_msg, generation),
        WIRE_U32(struct dbd_record_msg, db_id),
        WIRE_U64(struct dbd_record_msg, rsn),
        WIRE_U32(struct dbd_record_msg, flags),
        WIRE_BLOB(struct dbd_record_msg, key, key_len, DB_KEY_MAX),
        WIRE_BLOB(struct dbd_record_msg, value, value_len, DB_VALUE_MAX),
};

static const struct wire_field dmaster_fields[] = {
        WIRE_U32(struct dbd_dmaster_msg, generation),
        WIRE_U32(struct dbd_dmaster_msg, db_id),
        WIRE_U64(struct dbd_dmaster_msg, rsn),
        WIRE_U32(struct dbd_dmaster_msg, dmaster),
        WIRE_BLOB(struct dbd_dmaster_msg, key, key_len, DB_KEY_MAX),
};

static const struct wire_field retry_fields[] = {
        WIRE_U32(struct dbd_retry_msg, generation),
        WIRE_U32(struct dbd_retry_msg, db_id),
        WIRE_U32(struct dbd_retry_msg, error),
        WIRE_BLOB(struct dbd_retry_msg, key, key_len, DB_KEY_MAX),
};

static const struct wire_field fetch_fields[] = {
        WIRE_U32(struct dbd_fetch_msg, id),
        WIRE_U32(struct dbd_fetch_msg, first),
        WIRE_U32(struct dbd_fetch_msg, generation),
        WIRE_U32(struct dbd_fetch_msg, db_id),
        WIRE_U32(struct dbd_fetch_msg, requester),
        WIRE_U32(struct dbd_fetch_msg, hops),
        WIRE_U32(struct dbd_fetch_msg, flags),
        WIRE_BLOB(struct dbd_fetch_msg, key, key_len, DB_KEY_MAX),
};

static const struct wire_field value_fields[] = {
        WIRE_U32(struct dbd_value_msg, id),
        WIRE_U32(struct dbd_value_msg, first),
        WIRE_U32(struct dbd_value_msg, error),
        WIRE_U32(struct dbd_value_msg, flags),
        WIRE_U64(struct dbd_value_msg, rsn),
        WIRE_U32(struct dbd_value_msg, dmaster),
        WIRE_BLOB(struct dbd_value_msg, value, value_len, DB_VALUE_MAX),
};

static const struct wire_field traverse_fields[] = {
        WIRE_U32(struct dbd_traverse_msg, id),
        WIRE_U32(struct dbd_traverse_msg, generation),
        WIRE_U32(struct dbd_traverse_msg, db_id),
        WIRE_U32(struct dbd_traverse_msg, max),
};

static const struct wire_field batch_fields[] = {
        WIRE_U32(struct db_records, db_id),
        WIRE_U8(struct db_records, last),
        WIRE_STRUCT_ARRAY(struct db_records, records, n_records, &db_record_desc, DB_BATCH_RECORDS),
};

static const struct wire_desc batch_desc = WIRE_DESC(0, struct db_records, batch_fields);

static const struct wire_field records_fields[] = {
        WIRE_U32(struct dbd_records_msg, id),
        WIRE_U32(struct dbd_records_msg, generation),
        WIRE_STRUCT(struct dbd_records_msg, batch, &batch_desc),
};

static const struct wire_field revoke_fields[] = {
        WIRE_U32(struct dbd_revoke_msg, id),
        WIRE_U32(struct dbd_revoke_msg, generation),
        WIRE_U32(struct dbd_revoke_msg, db_id),
        WIRE_U64(struct dbd_revoke_msg, rsn),
        WIRE_BLOB(struct dbd_revoke_msg, key, key_len, DB_KEY_MAX),
};

static const struct wire_field wipe_fields[] = {
        WIRE_U32(struct dbd_wipe_msg, id),
        WIRE_U32(struct dbd_wipe_msg, generation),
        WIRE_U32(struct dbd_wipe_msg, db_id),
};

static const struct wire_field db_info_fields[] = {
        WIRE_U32(struct dbd_db_info, db_id),
        WIRE_U32(struct dbd_db_info, kind),
        WIRE_U32(struct dbd_db_info, flags),
        WIRE_STRING(struct dbd_db_info, name, name_len, DB_NAME_MAX),
        WIRE_U64(struct dbd_db_info, seqnum),
        WIRE_U32(struct dbd_db_info, epoch),
};

static const struct wire_desc db_info_desc = WIRE_DESC(0, struct dbd_db_info, db_info_fields);

static const struct wire_field ack_fields[] = {
        WIRE_U32(struct dbd_ack_msg, id),
        WIRE_U32(struct dbd_ack_msg, generation),
        WIRE_U32(struct dbd_ack_msg, error),
        WIRE_STRUCT_ARRAY(struct dbd_ack_msg, dbs, n_dbs, &db_info_desc, DBD_MAX_DBS),
};

static const struct wire_field freeze_fields[] = {
        WIRE_U32(struct dbd_freeze_msg, id),
        WIRE_U32(struct dbd_freeze_msg, generation),
};

static const struct wire_field attach_fields[] = {
        WIRE_U32(struct dbd_attach_msg, id),
        WIRE_U32(struct dbd_attach_msg, generation),
        WIRE_STRUCT_ARRAY(struct dbd_attach_msg, dbs, n_dbs, &db_info_desc, DBD_MAX_DBS),
};

static const struct wire_field pull_fields[] = {
        WIRE_U32(struct dbd_pull_msg, id),
        WIRE_U32(struct dbd_pull_msg, generation),
        WIRE_U32(struct dbd_pull_msg, db_id),
};

static const struct wire_field thaw_fields[] = {
        WIRE_U32(struct dbd_thaw_msg, id),
        WIRE_U32(struct dbd_thaw_msg, generation),
        WIRE_U32_ARRAY(struct dbd_thaw_msg, vnnmap, n_vnnmap, DBD_MAX_NODES),
        WIRE_U32(struct dbd_thaw_msg, epoch),
};

static const struct wire_field txn_fields[] = {
        WIRE_U32(struct dbd_txn_msg, id),
        WIRE_U32(struct dbd_txn_msg, generation),
        WIRE_STRUCT(struct dbd_txn_msg, txn, &db_txn_desc),
        WIRE_U32(struct dbd_txn_msg, pid),
        WIRE_U64(struct dbd_txn_msg, lock_id),
};

static const struct wire_field txn_done_fields[] = {
        WIRE_U32(struct dbd_txn_done_msg, id),
        WIRE_U32(struct dbd_txn_done_msg, generation),
        WIRE_U32(struct dbd_txn_done_msg, error),
        WIRE_U64(struct dbd_txn_done_msg, seqnum),
};

static const struct wire_field txn_ref_fields[] = {
        WIRE_U32(struct dbd_txn_ref, origin),
        WIRE_U32(struct dbd_txn_ref, id),
        WIRE_U64(struct dbd_txn_ref, seqnum),
};

static const struct wire_desc txn_ref_desc = WIRE_DESC(0, struct dbd_txn_ref, txn_ref_fields);

static const struct wire_field update_fields[] = {
        WIRE_U32(struct dbd_update_msg, id),
        WIRE_U32(struct dbd_update_msg, generation),
        WIRE_U32(struct dbd_update_msg, db_id),
        WIRE_U64(struct dbd_update_msg, seq_from),
        WIRE_U64(struct dbd_update_msg, seq_to),
        WIRE_STRUCT_ARRAY(struct dbd_update_msg, txns, n_txns, &txn_ref_desc, DBD_UPDATE_TXNS),
        WIRE_STRUCT_ARRAY(struct dbd_update_msg, records, n_records, &db_record_desc, DB_BATCH_RECORDS),
};

static const struct wire_field glock_lock_fields[] = {
        WIRE_U32(struct dbd_glock_lock_msg, generation),
        WIRE_U32(struct dbd_glock_lock_msg, pid),
        WIRE_U64(struct dbd_glock_lock_msg, id),
        WIRE_U32(struct dbd_glock_lock_msg, mode),
        WIRE_STRING(struct dbd_glock_lock_msg, name, name_len, DB_KEY_MAX),
};

static const struct wire_field glock_grant_fields[] = {
        WIRE_U32(struct dbd_glock_grant_msg, generation),
        WIRE_U32(struct dbd_glock_grant_msg, pid),
        WIRE_U64(struct dbd_glock_grant_msg, id),
        WIRE_U32(struct dbd_glock_grant_msg, error),
        WIRE_U32(struct dbd_glock_grant_msg, db_id),
        WIRE_U64(struct dbd_glock_grant_msg, ready),
};

static const struct wire_field glock_claim_entry_fields[] = {
        WIRE_U32(struct dbd_glock_claim_entry, pid),
        WIRE_U64(struct dbd_glock_claim_entry, id),
        WIRE_U32(struct dbd_glock_claim_entry, mode),
        WIRE_U8(struct dbd_glock_claim_entry, held),
        WIRE_STRING(struct dbd_glock_claim_entry, name, name_len, DB_KEY_MAX),
};

static const struct wire_desc glock_claim_entry_desc =
        WIRE_DESC(0, struct dbd_glock_claim_entry, glock_claim_entry_fields);

static const struct wire_field glock_claim_fields[] = {
        WIRE_U32(struct dbd_glock_claim_msg, generation),
        WIRE_U8(struct dbd_glock_claim_msg, last),
        WIRE_STRUCT_ARRAY(struct dbd_glock_claim_msg, entries, n_entries, &glock_claim_entry_desc,
                          DBD_GLOCK_CLAIM_MAX),
};

static const struct wire_field glock_list_fields[] = {
        WIRE_U32(struct dbd_glock_list_msg, id),
        WIRE_U32(struct dbd_glock_list_msg, generation),
};

static const struct wire_field glock_entries_fields[] = {
        WIRE_U32(struct dbd_glock_entries_msg, id),
        WIRE_U32(struct dbd_glock_entries_msg, generation),
        /* db.sock's GLOCK_ENTRIES payload, nested (its kind does not count there). */
        WIRE_STRUCT(struct dbd_glock_entries_msg, list, &db_glock_entries_desc),
};

const struct wire_desc dbd_migrate_desc = WIRE_DESC(DBD_MSG_MIGRATE, struct dbd_migrate_msg, migrate_fields);
const struct wire_desc dbd_record_desc = WIRE_DESC(DBD_MSG_RECORD, struct dbd_record_msg, record_fields);
const struct wire_desc dbd_dmaster_desc = WIRE_DESC(DBD_MSG_DMASTER, struct dbd_dmaster_msg, dmaster_fields);
const struct wire_desc dbd_retry_desc = WIRE_DESC(DBD_MSG_RETRY, struct dbd_retry_msg, retry_fields);
const struct wire_desc dbd_fetch_desc = WIRE_DESC(DBD_MSG_FETCH, struct dbd_fetch_msg, fetch_fields);
const struct wire_desc dbd_value_desc = WIRE_DESC(DBD_MSG_VALUE, struct dbd_value_msg, value_fields);
const struct wire_desc dbd_traverse_desc =
        WIRE_DESC(DBD_MSG_TRAVERSE, struct dbd_traverse_msg, traverse_fields);
const struct wire_desc dbd_records_desc = WIRE_DESC(DBD_MSG_RECORDS, struct dbd_records_msg, records_fields);
const struct wire_desc dbd_push_desc = WIRE_DESC(DBD_MSG_PUSH, struct dbd_records_msg, records_fields);
const struct wire_desc dbd_vacuum_desc = WIRE_DESC(DBD_MSG_VACUUM, struct dbd_records_msg, records_fields);
const struct wire_desc dbd_purge_desc = WIRE_DESC(DBD_MSG_PURGE, struct dbd_records_msg, records_fields);
const struct wire_desc dbd_revoke_desc = WIRE_DESC(DBD_MSG_REVOKE, struct dbd_revoke_msg, revoke_fields);
const struct wire_desc dbd_wipe_desc = WIRE_DESC(DBD_MSG_WIPE, struct dbd_wipe_msg, wipe_fields);
const struct wire_desc dbd_ack_desc = WIRE_DESC(DBD_MSG_ACK, struct dbd_ack_msg, ack_fields);
const struct wire_desc dbd_freeze_desc = WIRE_DESC(DBD_MSG_FREEZE, struct dbd_freeze_msg, freeze_fields);
const struct wire_desc dbd_attach_desc = WIRE_DESC(DBD_MSG_ATTACH, struct dbd_attach_msg, attach_fields);
const struct wire_desc dbd_attached_desc = WIRE_DESC(DBD_MSG_ATTACHED, struct dbd_attach_msg, attach_fields);
const struct wire_desc dbd_pull_desc = WIRE_DESC(DBD_MSG_PULL, struct dbd_pull_msg, pull_fields);
const struct wire_desc dbd_thaw_desc = WIRE_DESC(DBD_MSG_THAW, struct dbd_thaw_msg, thaw_fields);
const struct wire_desc dbd_glock_lock_desc =
        WIRE_DESC(DBD_MSG_GLOCK_LOCK, struct dbd_glock_lock_msg, glock_lock_fields);
const struct wire_desc dbd_glock_unlock_desc =
        WIRE_DESC(DBD_MSG_GLOCK_UNLOCK, struct dbd_glock_lock_msg, glock_lock_fields);
const struct wire_desc dbd_glock_grant_desc =
        WIRE_DESC(DBD_MSG_GLOCK_GRANT, struct dbd_glock_grant_msg, glock_grant_fields);
const struct wire_desc dbd_glock_claim_desc =
        WIRE_DESC(DBD_MSG_GLOCK_CLAIM, struct dbd_glock_claim_msg, glock_claim_fields);
const struct wire_desc dbd_glock_list_desc =
        WIRE_DESC(DBD_MSG_GLOCK_LIST, struct dbd_glock_list_msg, glock_list_fields);
const struct wire_desc dbd_glock_entries_desc =
        WIRE_DESC(DBD_MSG_GLOCK_ENTRIES, struct dbd_glock_entries_msg, glock_entries_fields);

static const struct wire_field ctdb_message_fields[] = {
        WIRE_U64(struct dbd_ctdb_message_msg, srvid),
        WIRE_BLOB(struct dbd_ctdb_message_msg, data, data_len, WIRE_FRAME_MAX),
};

static const struct wire_field ctdb_packet_fields[] = {
        WIRE_U32(struct dbd_ctdb_packet_msg, id),
        WIRE_BLOB(struct dbd_ctdb_packet_msg, packet, packet_len, WIRE_FRAME_MAX),
};

static const struct wire_field ctdb_tunnel_fields[] = {
        WIRE_U64(struct dbd_ctdb_tunnel_msg, tunnel_id),
        WIRE_U32(struct dbd_ctdb_tunnel_msg, flags),
        WIRE_BLOB(struct dbd_ctdb_tunnel_msg, data, data_len, WIRE_FRAME_MAX),
};

const struct wire_desc dbd_ctdb_tunnel_desc =
        WIRE_DESC(DBD_MSG_CTDB_TUNNEL, struct dbd_ctdb_tunnel_msg, ctdb_tunnel_fields);
static const struct wire_field ctdb_seqnum_fields[] = {
        WIRE_U32(struct dbd_ctdb_seqnum_msg, db_id),
};

const struct wire_desc dbd_ctdb_seqnum_desc =
        WIRE_DESC(DBD_MSG_CTDB_SEQNUM, struct dbd_ctdb_seqnum_msg, ctdb_seqnum_fields);
const struct wire_desc dbd_ctdb_message_desc =
        WIRE_DESC(DBD_MSG_CTDB_MESSAGE, struct dbd_ctdb_message_msg, ctdb_message_fields);
const struct wire_desc dbd_ctdb_control_desc =
        WIRE_DESC(DBD_MSG_CTDB_CONTROL, struct dbd_ctdb_packet_msg, ctdb_packet_fields);
const struct wire_desc dbd_ctdb_reply_desc =
        WIRE_DESC(DBD_MSG_CTDB_REPLY, struct dbd_ctdb_packet_msg, ctdb_packet_fields);

const struct wire_desc dbd_txn_desc = WIRE_DESC(DBD_MSG_TXN, struct dbd_txn_msg, txn_fields);
const struct wire_desc dbd_txn_done_desc =
        WIRE_DESC(DBD_MSG_TXN_DONE, struct dbd_txn_done_msg, txn_done_fields);
const struct wire_desc dbd_update_desc = WIRE_DESC(DBD_MSG_UPDATE, struct dbd_update_msg, update_fields);

WIRE_DEFINE_KIND_LOOKUPS(DBD_MSG_KINDS, dbd_msg_desc_by_kind, dbd_msg_kind_to_string)
