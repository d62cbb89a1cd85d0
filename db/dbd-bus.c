/*
 * org.ctdb.db1 (DESIGN.md section 3): org.ctdb.db1.Manager at /org/ctdb/db1
 * and org.ctdb.db1.Database at /org/ctdb/db1/db/<escaped name>, one object
 * per attached database, served by one fallback vtable (the path names the
 * database) with a node enumerator and an ObjectManager at /org/ctdb/db1, so
 * `busctl tree org.ctdb.db1` lists every database. The XML in bus/ mirrors
 * these vtables.
 *
 * Handlers go in STYLE.md's order: read, validate, no-op, polkit
 * (org.ctdb.db1.read for Fetch and Keys, org.ctdb.db1.write for every change),
 * act, publish, reply. The record operations are asynchronous (dbd-manager.h):
 * the call stays ref'd in a dbd_bus_op and is answered from the operation's
 * done. Transaction, and the record methods on persistent and replicated
 * databases, are in dbd-bus-txn.c.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "bus-util.h"
#include "ctdb-node.h"
#include "db-proto.h"
#include "dbd-bus.h"
#include "dbd-glock.h"
#include "dbd-internal.h"
#include "log.h"

static int dbd_bus_destructor(struct dbd_bus *b) {
        if (b->m->bus_glue == b)
                b->m->bus_glue = NULL;
        b->manager_slot = sd_bus_slot_unref(b->manager_slot);
        b->db_slot = sd_bus_slot_unref(b->db_slot);
        b->enumerator_slot = sd_bus_slot_unref(b->enumerator_slot);
        b->object_manager_slot = sd_bus_slot_unref(b->object_manager_slot);
        b->polkit = polkit_registry_free(b->polkit);
        b->bus = sd_bus_unref(b->bus);
        return 0;
}

/* The database an object path names, or NULL (not below the prefix, or not attached). */
static dbd_db *db_from_path(struct dbd_bus *b, const char *path) {
        char *name = NULL;
        dbd_db *db;

        if (!path || sd_bus_path_decode(path, DBD_DB_PREFIX, &name) <= 0)
                return NULL;
        db = dbd_manager_find(b->m, name);
        free(name);
        return db;
}

/* ---- replies from asynchronous operations ------------------------------- */

static int bus_op_destructor(struct dbd_bus_op *op) {
        op->call = sd_bus_message_unref(op->call);
        return 0;
}

static struct dbd_bus_op *bus_op_new(struct dbd_bus *b, sd_bus_message *call, dbd_db *db) {
        struct dbd_bus_op *op = talloc_zero(b, struct dbd_bus_op);

        if (!op)
                return NULL;
        op->b = b;
        op->call = sd_bus_message_ref(call);
        talloc_set_destructor(op, bus_op_destructor);
        op->db_name = talloc_strdup(op, dbd_db_name(db));
        if (!op->db_name) {
                talloc_free(op);
                return NULL;
        }
        return op;
}

/* A record operation's negative errno as the D-Bus error a caller can act on. */
static int error_from_errno(sd_bus_error *error, int r, const char *db_name) {
        switch (r) {
        case -ENOENT:
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_FOUND, "No record with this key in %s",
                                         db_name);
        case -ETIMEDOUT:
                return sd_bus_error_setf(error, CTDB_ERROR_TIMEOUT,
                                         "Another node did not answer in time for %s; try again", db_name);
        case -EAGAIN:
                return sd_bus_error_setf(error, CTDB_ERROR_BUSY, "%s: recovery in progress, try again",
                                         db_name);
        case -EOPNOTSUPP:
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_SUPPORTED, "%s does not support this",
                                         db_name);
        case -E2BIG:
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "Above a limit: keys are at most %u bytes, values %u bytes",
                                         DB_KEY_MAX, DB_VALUE_MAX);
        default:
                return sd_bus_error_set_errnof(error, r, "%s: %m", db_name);
        }
}

/*
 * Answers op's call and frees op. A caller that left the bus meanwhile is not
 * an error of ours: the reply is dropped (by the bus, or here if sending fails).
 */
static void bus_op_sent(struct dbd_bus_op *op, int r) {
        if (r < 0)
                log_debug_errno(r, "Dropped the answer to %s on %s: %m", sd_bus_message_get_member(op->call),
                                op->db_name);
        talloc_free(op);
}

void dbd_bus_op_reply_error(struct dbd_bus_op *op, const sd_bus_error *e) {
        bus_op_sent(op, sd_bus_reply_method_error(op->call, e));
}

void dbd_bus_op_reply(struct dbd_bus_op *op, int error, sd_bus_message *reply) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;

        if (error < 0) {
                error_from_errno(&e, error, op->db_name);
                dbd_bus_op_reply_error(op, &e);
        } else {
                bus_op_sent(op, reply ? sd_bus_send(NULL, reply, NULL)
                                      : sd_bus_reply_method_return(op->call, NULL));
        }
}

static void on_done(void *userdata, int error) {
        dbd_bus_op_reply(userdata, error, NULL);
}

void dbd_bus_on_value(void *userdata, int error, const uint8_t *value, size_t len) {
        struct dbd_bus_op *op = userdata;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;

        if (error >= 0)
                error = sd_bus_message_new_method_return(op->call, &reply);
        if (error >= 0)
                error = sd_bus_message_append_array(reply, 'y', value, len);
        dbd_bus_op_reply(op, error, reply);
}

/* One D-Bus message cannot carry more than DBD_BUS_KEYS_BYTES_MAX: the caller asks for fewer. */
static bool reply_too_big(struct dbd_bus_op *op, const char *what, size_t n, size_t bytes) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;

        if (bytes <= DBD_BUS_KEYS_BYTES_MAX)
                return false;
        sd_bus_error_setf(
                &e, CTDB_ERROR_INVALID_ARGS,
                "The %zu %s are %zu bytes, above the limit of %u bytes of one answer; ask for fewer (max)",
                n, what, bytes, DBD_BUS_KEYS_BYTES_MAX);
        (void) sd_bus_reply_method_error(op->call, &e);
        talloc_free(op);
        return true;
}

static void on_keys(void *userdata, int error, const struct dbd_key *keys, size_t n) {
        struct dbd_bus_op *op = userdata;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        size_t bytes = 0;

        for (size_t i = 0; error >= 0 && i < n; i++)
                bytes += keys[i].len;
        if (error >= 0 && reply_too_big(op, "keys", n, bytes))
                return;
        if (error >= 0)
                error = sd_bus_message_new_method_return(op->call, &reply);
        if (error >= 0)
                error = sd_bus_message_open_container(reply, 'a', "ay");
        for (size_t i = 0; error >= 0 && i < n; i++)
                error = sd_bus_message_append_array(reply, 'y', keys[i].key, keys[i].len);
        if (error >= 0)
                error = sd_bus_message_close_container(reply);
        dbd_bus_op_reply(op, error, reply);
}

/* Dump: (key, value, dmaster, rsn, flags) per record, under the same size limit as Keys. */
static void on_dump(void *userdata, int error, const struct dbd_record_view *records, size_t n) {
        struct dbd_bus_op *op = userdata;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        size_t bytes = 0;

        for (size_t i = 0; error >= 0 && i < n; i++)
                bytes += records[i].key_len + records[i].value_len;
        if (error >= 0 && reply_too_big(op, "records", n, bytes))
                return;
        if (error >= 0)
                error = sd_bus_message_new_method_return(op->call, &reply);
        if (error >= 0)
                error = sd_bus_message_open_container(reply, 'a', "(ayayutu)");
        for (size_t i = 0; error >= 0 && i < n; i++) {
                const struct dbd_record_view *r = &records[i];

                error = sd_bus_message_open_container(reply, 'r', "ayayutu");
                if (error >= 0)
                        error = sd_bus_message_append_array(reply, 'y', r->key, r->key_len);
                if (error >= 0)
                        error = sd_bus_message_append_array(reply, 'y', r->value, r->value_len);
                if (error >= 0)
                        error = sd_bus_message_append(reply, "utu", r->dmaster, r->rsn, r->flags);
                if (error >= 0)
                        error = sd_bus_message_close_container(reply);
        }
        if (error >= 0)
                error = sd_bus_message_close_container(reply);
        dbd_bus_op_reply(op, error, reply);
}

static void on_flag_set(void *userdata, int error) {
        struct dbd_bus_op *op = userdata;
        const char *member = sd_bus_message_get_member(op->call);
        const char *prop = strcmp(member, "SetReadOnly") == 0 ? "ReadOnly" : "Sticky";
        int r;

        if (error >= 0) {
                r = sd_bus_emit_properties_changed(op->b->bus, sd_bus_message_get_path(op->call),
                                                   DBD_DB_IFACE, prop, NULL);
                if (r < 0)
                        log_debug_errno(r, "Failed to emit PropertiesChanged for %s.%s: %m", op->db_name,
                                        prop);
        }
        dbd_bus_op_reply(op, error, NULL);
}

/* ---- Manager ------------------------------------------------------------- */

static int property_get_databases(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct dbd_bus *b = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sos)");
        for (size_t i = 0; r >= 0 && i < dbd_manager_n_dbs(b->m); i++) {
                dbd_db *db = dbd_manager_db(b->m, i);

                r = sd_bus_message_append(reply, "(sos)", dbd_db_name(db), dbd_db_object_path(db),
                                          ltdb_kind_to_string(dbd_db_kind(db)));
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int check_name(const char *name, sd_bus_error *error) {
        if (!ltdb_name_is_valid(name))
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "Invalid database name \"%s\": 1..%u bytes, no '/', not \".\" or "
                                         "\"..\"",
                                         name, DB_NAME_MAX);
        return 0;
}

static int method_attach(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        struct dbd_bus *b = userdata;
        const char *name, *kind_s;
        dbd_db *db;
        int kind, r;

        r = sd_bus_message_read(call, "ss", &name, &kind_s);
        if (r < 0)
                return r;

        r = check_name(name, error);
        if (r < 0)
                return r;
        kind = ltdb_kind_from_string(kind_s);
        if (kind < 0)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "Invalid database kind \"%s\": volatile, persistent or replicated",
                                         kind_s);
        db = dbd_manager_find(b->m, name);
        if (db && dbd_db_kind(db) != (enum ltdb_kind) kind)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS, "%s is attached as a %s database",
                                         name, ltdb_kind_to_string(dbd_db_kind(db)));
        if (db)
                return sd_bus_reply_method_return(call, "o", dbd_db_object_path(db));
        /* The file is named NAME.PNN: until tunneld told this node's pnn there is no name for it. */
        if (dbd_manager_pnn(b->m) == CTDB_PNN_NONE)
                return sd_bus_error_setf(error, CTDB_ERROR_BUSY,
                                         "ctdb-dbd is not connected to ctdb-tunneld yet; try again");

        r = bus_verify_polkit_async(call, CTDB_POLKIT_DB_WRITE, &b->polkit, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* called again when polkit answers */

        /* InterfacesAdded and Databases' PropertiesChanged come from dbd_bus_db_added(). */
        r = dbd_manager_attach(b->m, name, (enum ltdb_kind) kind, &db);
        if (r == -EOPNOTSUPP)
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_SUPPORTED,
                                         "%s databases are not supported yet; attach %s as volatile", kind_s,
                                         name);
        if (r == -ENOSPC)
                return sd_bus_error_setf(error, CTDB_ERROR_BUSY, "Already %u databases attached (the limit)",
                                         DBD_MAX_DBS);
        if (r == -EEXIST)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "%s has the database id of another attached database", name);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to attach %s: %m", name);
        return sd_bus_reply_method_return(call, "o", dbd_db_object_path(db));
}

static int method_detach(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        struct dbd_bus *b = userdata;
        const char *name;
        dbd_db *db;
        int r;

        r = sd_bus_message_read(call, "s", &name);
        if (r < 0)
                return r;
        r = check_name(name, error);
        if (r < 0)
                return r;
        db = dbd_manager_find(b->m, name);
        if (!db)
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_FOUND, "No database %s is attached", name);
        /*
         * Not yet: clients map the file and hold chain locks, records of other
         * nodes may live here, and every node must drop it together.
         */
        return sd_bus_error_setf(error, CTDB_ERROR_NOT_SUPPORTED,
                                 "Detaching a %s database is not supported yet",
                                 ltdb_kind_to_string(dbd_db_kind(db)));
}

/* ---- g_lock: ListLocks (dbd-glock.c) ------------------------------------- */

/* A ListLocks call while the lock master answers; goes with the bus glue. */
struct list_locks {
        struct dbd_glock_lister l;
        sd_bus_message *call;
};

static int list_locks_destructor(struct list_locks *ll) {
        dbd_glock_list_cancel(&ll->l);
        ll->call = sd_bus_message_unref(ll->call);
        return 0;
}

static int list_locks_reply(struct list_locks *ll, int error, const struct db_glock_entries *list) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        int r;

        if (error < 0)
                return sd_bus_reply_method_errnof(ll->call, error, "The g_lock master did not answer: %m");
        r = sd_bus_message_new_method_return(ll->call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssuub)");
        for (uint32_t i = 0; r >= 0 && i < list->n_entries; i++) {
                const struct db_glock_entry *e = &list->entries[i];

                r = sd_bus_message_append(reply, "(ssuub)", e->name,
                                          e->mode == DB_GLOCK_EXCLUSIVE ? "exclusive" : "shared", e->pnn,
                                          e->pid, (int) e->held);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static void on_locks_listed(struct dbd_glock_lister *l, int error, const struct db_glock_entries *list) {
        struct list_locks *ll = (struct list_locks *) l;
        int r = list_locks_reply(ll, error, list);

        /* A caller that left the bus meanwhile is not an error of ours. */
        if (r < 0)
                log_debug_errno(r, "Dropped the answer to ListLocks: %m");
        talloc_free(ll);
}

static int method_list_locks(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        struct dbd_bus *b = userdata;
        struct list_locks *ll = talloc_zero(b, struct list_locks);
        int r;

        if (!ll)
                return -ENOMEM;
        ll->l.done = on_locks_listed;
        ll->call = sd_bus_message_ref(call);
        talloc_set_destructor(ll, list_locks_destructor);
        r = dbd_glock_list(b->m, &ll->l);
        if (r < 0) {
                talloc_free(ll);
                if (r == -EAGAIN)
                        return sd_bus_error_setf(error, CTDB_ERROR_BUSY,
                                                 "No g_lock master until a recovery finished; try again");
                return r;
        }
        return 1;
}

/* ---- end of g_lock ------------------------------------------------------- */

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Databases", "a(sos)", property_get_databases, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Attach", SD_BUS_ARGS("s", name, "s", kind), SD_BUS_RESULT("o", database),
                                method_attach, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Detach", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_detach,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListLocks", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssuub)", locks),
                                method_list_locks, SD_BUS_VTABLE_UNPRIVILEGED), /* g_lock */
        SD_BUS_VTABLE_END,
};

/* ---- Database ------------------------------------------------------------ */

static int property_get_db(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        dbd_db *db = db_from_path(userdata, path);

        if (!db)
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_FOUND, "No database at %s", path);
        if (strcmp(property, "Name") == 0)
                return sd_bus_message_append(reply, "s", dbd_db_name(db));
        if (strcmp(property, "Kind") == 0)
                return sd_bus_message_append(reply, "s", ltdb_kind_to_string(dbd_db_kind(db)));
        if (strcmp(property, "Id") == 0)
                return sd_bus_message_append(reply, "u", dbd_db_id(db));
        if (strcmp(property, "Path") == 0)
                return sd_bus_message_append(reply, "s", dbd_db_path(db));
        if (strcmp(property, "SeqNum") == 0)
                return sd_bus_message_append(reply, "t", dbd_db_seqnum(db));
        if (strcmp(property, "Records") == 0)
                return sd_bus_message_append(reply, "t", dbd_db_records(db));
        if (strcmp(property, "ReadOnly") == 0)
                return sd_bus_message_append(reply, "b", dbd_db_readonly(db));
        if (strcmp(property, "Sticky") == 0)
                return sd_bus_message_append(reply, "b", dbd_db_sticky(db));
        return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property %s", property);
}

/* The database of a call on its object (the fallback's find checked that it exists). */
dbd_db *dbd_bus_call_db(struct dbd_bus *b, sd_bus_message *call, sd_bus_error *error) {
        dbd_db *db = db_from_path(b, sd_bus_message_get_path(call));

        if (!db)
                sd_bus_error_setf(error, CTDB_ERROR_NOT_FOUND, "No database at %s",
                                  sd_bus_message_get_path(call));
        return db;
}

static int read_key(sd_bus_message *call, const void **ret_key, size_t *ret_len, sd_bus_error *error) {
        int r = sd_bus_message_read_array(call, 'y', ret_key, ret_len);

        if (r < 0)
                return r;
        if (*ret_len > DB_KEY_MAX)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "The key is %zu bytes, above the limit of %u bytes (DB_KEY_MAX)",
                                         *ret_len, DB_KEY_MAX);
        return 0;
}

/* Starts an operation on op; on failure op is freed and the error set. Returns 1: answered from done. */
int dbd_bus_op_started(struct dbd_bus_op *op, int r, sd_bus_error *error) {
        if (r < 0) {
                r = error_from_errno(error, r, op->db_name);
                talloc_free(op);
                return r;
        }
        return 1;
}

int dbd_bus_op_authorize(struct dbd_bus *b, sd_bus_message *call, dbd_db *db, const char *action,
                         struct dbd_bus_op **ret, sd_bus_error *error) {
        int r = bus_verify_polkit_async(call, action, &b->polkit, error);

        if (r <= 0)
                return r;
        *ret = bus_op_new(b, call, db);
        return *ret ? 1 : -ENOMEM;
}

static int method_fetch(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        struct dbd_bus *b = userdata;
        dbd_db *db = dbd_bus_call_db(b, call, error);
        struct dbd_bus_op *op;
        const void *key;
        size_t len;
        int r;

        if (!db)
                return -ENOENT;
        r = read_key(call, &key, &len, error);
        if (r < 0)
                return r;

        r = dbd_bus_op_authorize(b, call, db, CTDB_POLKIT_DB_READ, &op, error);
        if (r <= 0)
                return r < 0 ? r : 1; /* 0: called again when polkit answers */
        /* Every node holds the whole of a persistent or replicated database: nothing moves. */
        if (dbd_db_kind(db) != LTDB_VOLATILE)
                return dbd_bus_fetch_copy(op, db, key, len);
        return dbd_bus_op_started(op, dbd_db_fetch(db, key, len, dbd_bus_on_value, op), error);
}

static int method_store_or_delete(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        struct dbd_bus *b = userdata;
        dbd_db *db = dbd_bus_call_db(b, call, error);
        bool store = strcmp(sd_bus_message_get_member(call), "Store") == 0;
        const void *key, *value = NULL;
        size_t len, value_len = 0;
        struct dbd_bus_op *op;
        int r;

        if (!db)
                return -ENOENT;
        r = read_key(call, &key, &len, error);
        if (r < 0)
                return r;
        if (store) {
                r = sd_bus_message_read_array(call, 'y', &value, &value_len);
                if (r < 0)
                        return r;
                if (value_len > DB_VALUE_MAX)
                        return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                                 "The value is %zu bytes, above the limit of %u bytes "
                                                 "(DB_VALUE_MAX)",
                                                 value_len, DB_VALUE_MAX);
        }
        /* A transaction's rule (dbd-bus-txn.c): only volatile databases keep an empty key. */
        if (len == 0 && dbd_db_kind(db) != LTDB_VOLATILE)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "The key is empty: %s is %s, whose keys are 1 byte or more",
                                         dbd_db_name(db), ltdb_kind_to_string(dbd_db_kind(db)));

        r = dbd_bus_op_authorize(b, call, db, CTDB_POLKIT_DB_WRITE, &op, error);
        if (r <= 0)
                return r < 0 ? r : 1; /* 0: called again when polkit answers */
        /* Persistent and replicated: one record's transaction; an empty value deletes, as in CTDB. */
        if (dbd_db_kind(db) != LTDB_VOLATILE) {
                struct dbd_txn_write w = { key, len, value, value_len };

                return dbd_bus_commit(op, db, &w, 1, error);
        }
        if (store)
                r = dbd_db_store(db, key, len, value, value_len, on_done, op);
        else
                r = dbd_db_delete(db, key, len, on_done, op);
        return dbd_bus_op_started(op, r, error);
}

/* Keys(max) and Dump(max): the live records of the cluster, keys only or whole. */
static int method_keys(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        struct dbd_bus *b = userdata;
        dbd_db *db = dbd_bus_call_db(b, call, error);
        bool dump = strcmp(sd_bus_message_get_member(call), "Dump") == 0;
        struct dbd_bus_op *op;
        uint32_t max;
        int r;

        if (!db)
                return -ENOENT;
        r = sd_bus_message_read(call, "u", &max);
        if (r < 0)
                return r;
        if (max > DBD_BUS_KEYS_MAX)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "max %" PRIu32
                                         " is above the limit of %u records (DBD_BUS_KEYS_MAX); "
                                         "traverse with libctdb-client for more",
                                         max, DBD_BUS_KEYS_MAX);

        r = dbd_bus_op_authorize(b, call, db, CTDB_POLKIT_DB_READ, &op, error);
        if (r <= 0)
                return r < 0 ? r : 1; /* 0: called again when polkit answers */
        /* 0: as many as the limit allows. */
        max = max ? max : DBD_BUS_KEYS_MAX;
        return dbd_bus_op_started(
                op, dump ? dbd_db_dump(db, max, on_dump, op) : dbd_db_keys(db, max, on_keys, op), error);
}

static int method_wipe(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        struct dbd_bus *b = userdata;
        dbd_db *db = dbd_bus_call_db(b, call, error);
        struct dbd_bus_op *op;
        int r;

        if (!db)
                return -ENOENT;
        r = dbd_bus_op_authorize(b, call, db, CTDB_POLKIT_DB_WRITE, &op, error);
        if (r <= 0)
                return r < 0 ? r : 1; /* 0: called again when polkit answers */
        return dbd_bus_op_started(op, dbd_db_wipe(db, on_done, op), error);
}

/* SetReadOnly(), SetSticky(): switched on once, never off (as CTDB's setdbreadonly/setdbsticky). */
static int method_set_flag(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        struct dbd_bus *b = userdata;
        dbd_db *db = dbd_bus_call_db(b, call, error);
        bool readonly = strcmp(sd_bus_message_get_member(call), "SetReadOnly") == 0;
        struct dbd_bus_op *op;
        int r;

        if (!db)
                return -ENOENT;
        if (dbd_db_kind(db) != LTDB_VOLATILE)
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_SUPPORTED,
                                         "%s is %s: %s records are for volatile databases", dbd_db_name(db),
                                         ltdb_kind_to_string(dbd_db_kind(db)),
                                         readonly ? "read-only" : "sticky");
        if (readonly ? dbd_db_readonly(db) : dbd_db_sticky(db))
                return sd_bus_reply_method_return(call, NULL);

        r = dbd_bus_op_authorize(b, call, db, CTDB_POLKIT_DB_WRITE, &op, error);
        if (r <= 0)
                return r < 0 ? r : 1; /* 0: called again when polkit answers */
        /* done may run before this returns (the flag is set here at once): op is not touched after. */
        if (readonly)
                r = dbd_db_set_readonly(db, on_flag_set, op);
        else
                r = dbd_db_set_sticky(db, on_flag_set, op);
        return dbd_bus_op_started(op, r, error);
}

static const sd_bus_vtable db_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get_db, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Kind", "s", property_get_db, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Id", "u", property_get_db, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Path", "s", property_get_db, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("SeqNum", "t", property_get_db, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* Changes with every record: read on demand, never signalled. */
        SD_BUS_PROPERTY("Records", "t", property_get_db, 0, 0),
        SD_BUS_PROPERTY("ReadOnly", "b", property_get_db, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Sticky", "b", property_get_db, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Fetch", SD_BUS_ARGS("ay", key), SD_BUS_RESULT("ay", value), method_fetch,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Store", SD_BUS_ARGS("ay", key, "ay", value), SD_BUS_NO_RESULT,
                                method_store_or_delete, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("ay", key), SD_BUS_NO_RESULT, method_store_or_delete,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Transaction", SD_BUS_ARGS("a(ayay)", store, "aay", delete),
                                SD_BUS_NO_RESULT, dbd_bus_method_transaction, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Keys", SD_BUS_ARGS("u", max), SD_BUS_RESULT("aay", keys), method_keys,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Dump", SD_BUS_ARGS("u", max), SD_BUS_RESULT("a(ayayutu)", records),
                                method_keys, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Wipe", "", "", method_wipe, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("SetReadOnly", "", "", method_set_flag, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("SetSticky", "", "", method_set_flag, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/*
 * The fallback's lookup: the prefix itself is no database but no error either
 * (introspecting it lists the databases); below it, an unknown name is NotFound.
 */
static int db_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                   sd_bus_error *error) {
        struct dbd_bus *b = userdata;

        if (strcmp(path, DBD_DB_PREFIX) == 0)
                return 0;
        if (!db_from_path(b, path))
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_FOUND, "No database at %s", path);
        *found = b;
        return 1;
}

static int db_enumerate(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes,
                        sd_bus_error *error) {
        struct dbd_bus *b = userdata;
        size_t n = dbd_manager_n_dbs(b->m);
        char **l = calloc(n + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                l[i] = strdup(dbd_db_object_path(dbd_manager_db(b->m, i)));
                if (!l[i]) {
                        for (size_t k = 0; k < i; k++)
                                free(l[k]);
                        free(l);
                        return -ENOMEM;
                }
        }
        *ret_nodes = l;
        return 0;
}

int dbd_bus_add(dbd_manager *m, sd_bus *bus) {
        struct dbd_bus *b = talloc_zero(m, struct dbd_bus);
        int r;

        if (!b)
                return -ENOMEM;
        b->m = m;
        b->bus = sd_bus_ref(bus);
        talloc_set_destructor(b, dbd_bus_destructor);

        r = dbd_bus_seqnum_new(b);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, &b->manager_slot, DBD_MANAGER_PATH, DBD_MANAGER_IFACE,
                                             manager_vtable, b);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(bus, &b->db_slot, DBD_DB_PREFIX, DBD_DB_IFACE, db_vtable,
                                               db_find, b);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, &b->enumerator_slot, DBD_DB_PREFIX, db_enumerate, b);
        if (r >= 0)
                r = sd_bus_add_object_manager(bus, &b->object_manager_slot, DBD_MANAGER_PATH);
        if (r < 0) {
                talloc_free(b);
                return r;
        }
        m->bus_glue = b;
        return r;
}

int dbd_bus_db_added(dbd_manager *m, dbd_db *db) {
        sd_bus *bus = dbd_manager_bus(m);
        int r, k;

        r = sd_bus_emit_interfaces_added(bus, dbd_db_object_path(db), DBD_DB_IFACE, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to emit InterfacesAdded for %s: %m", dbd_db_name(db));
        k = sd_bus_emit_properties_changed(bus, DBD_MANAGER_PATH, DBD_MANAGER_IFACE, "Databases", NULL);
        if (k < 0)
                log_debug_errno(k, "Failed to emit PropertiesChanged for Databases: %m");
        return r < 0 ? r : k;
}

void dbd_bus_db_flags_changed(dbd_manager *m, dbd_db *db, uint32_t old_flags) {
        char *props[3];
        unsigned n = 0;
        int r;

        if (dbd_db_readonly(db) != !!(old_flags & DBD_DB_READONLY))
                props[n++] = (char *) "ReadOnly";
        if (dbd_db_sticky(db) != !!(old_flags & DBD_DB_STICKY))
                props[n++] = (char *) "Sticky";
        props[n] = NULL;
        if (n == 0)
                return;
        r = sd_bus_emit_properties_changed_strv(dbd_manager_bus(m), dbd_db_object_path(db), DBD_DB_IFACE,
                                                props);
        if (r < 0)
                log_debug_errno(r, "Failed to emit PropertiesChanged for %s: %m", dbd_db_name(db));
}
