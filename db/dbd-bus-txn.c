/*
 * org.ctdb.db1.Database on persistent and replicated databases:
 * Transaction(a(ayay) store, aay delete), Store and Delete as transactions of
 * one record, Fetch from this node's own copy, and SeqNum's PropertiesChanged.
 * The commit itself is the engine's (dbd_db_transaction(), dbd-txn.c).
 *
 * Transaction's order (STYLE.md): read and check every record (sizes, empty
 * keys and values, at most DBD_BUS_TXN_RECORDS_MAX, no key twice), then the
 * kind, the no-op shortcut (nothing to write), polkit org.ctdb.db1.write,
 * commit, reply. Everything a caller got wrong is InvalidArgs before polkit
 * is asked, so a malformed call never reaches the engine.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "db-proto.h"
#include "dbd-bus.h"
#include "dbd-internal.h"
#include "log.h"
#include "talloc-util.h"

/* ---- reading and checking the records ------------------------------------ */

/* A key as a person reads it in a message: printable ASCII in quotes, else hex; long ones cut. */
static const char *key_describe(const uint8_t *key, size_t len, char *buf, size_t size) {
        bool printable = true;
        size_t k;

        for (size_t i = 0; i < len; i++)
                printable &= key[i] >= 0x20 && key[i] <= 0x7e && key[i] != '"';
        if (printable) {
                snprintf(buf, size, "\"%.*s%s\"", len > 48 ? 48 : (int) len, (const char *) key,
                         len > 48 ? "..." : "");
                return buf;
        }
        k = (size_t) snprintf(buf, size, "0x");
        for (size_t i = 0; i < len && i < 24 && k + 3 < size; i++)
                k += (size_t) snprintf(buf + k, size - k, "%02x", key[i]);
        if (len > 24 && k + 4 < size)
                snprintf(buf + k, size - k, "...");
        return buf;
}

struct txn_writes {
        struct dbd_txn_write *w; /* talloc array on the op; bytes point into the call */
        size_t n, n_store;
};

static int add_write(void *mem_ctx, struct txn_writes *t, const void *key, size_t key_len, const void *value,
                     size_t value_len, sd_bus_error *error) {
        if (t->n >= DBD_BUS_TXN_RECORDS_MAX)
                return sd_bus_error_setf(
                        error, CTDB_ERROR_INVALID_ARGS,
                        "More than %u records in one transaction (DBD_BUS_TXN_RECORDS_MAX); "
                        "split it",
                        DBD_BUS_TXN_RECORDS_MAX);
        if (t->n % 64 == 0) {
                struct dbd_txn_write *w = talloc_realloc(mem_ctx, t->w, struct dbd_txn_write, t->n + 64);

                if (!w)
                        return -ENOMEM;
                t->w = w;
        }
        t->w[t->n++] = (struct dbd_txn_write){ key, key_len, value, value_len };
        return 0;
}

/* What is wrong with one record (store: value given), or 0. */
static int check_write(const struct txn_writes *t, bool store, const uint8_t *key, size_t key_len,
                       size_t value_len, sd_bus_error *error) {
        size_t i = store ? t->n : t->n - t->n_store;
        const char *list = store ? "store" : "delete";
        char k[128];

        if (key_len == 0)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS, "Record %zu of %s has an empty key",
                                         i, list);
        if (key_len > DB_KEY_MAX)
                return sd_bus_error_setf(
                        error, CTDB_ERROR_INVALID_ARGS,
                        "Record %zu of %s: the key is %zu bytes, above the limit of %u bytes "
                        "(DB_KEY_MAX)",
                        i, list, key_len, DB_KEY_MAX);
        if (store && value_len == 0)
                return sd_bus_error_setf(
                        error, CTDB_ERROR_INVALID_ARGS,
                        "Record %zu of store (key %s) has an empty value; to delete the key, "
                        "put it in delete",
                        i, key_describe(key, key_len, k, sizeof(k)));
        if (value_len > DB_VALUE_MAX)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "Record %zu of store (key %s): the value is %zu bytes, above the "
                                         "limit of %u bytes (DB_VALUE_MAX)",
                                         i, key_describe(key, key_len, k, sizeof(k)), value_len,
                                         DB_VALUE_MAX);
        return 0;
}

static int read_store(sd_bus_message *call, void *mem_ctx, struct txn_writes *t, sd_bus_error *error) {
        int r = sd_bus_message_enter_container(call, 'a', "(ayay)");

        while (r >= 0 && (r = sd_bus_message_enter_container(call, 'r', "ayay")) > 0) {
                const void *key, *value;
                size_t key_len, value_len;

                r = sd_bus_message_read_array(call, 'y', &key, &key_len);
                if (r >= 0)
                        r = sd_bus_message_read_array(call, 'y', &value, &value_len);
                if (r >= 0)
                        r = sd_bus_message_exit_container(call);
                if (r >= 0)
                        r = check_write(t, true, key, key_len, value_len, error);
                if (r >= 0)
                        r = add_write(mem_ctx, t, key, key_len, value, value_len, error);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(call);
        t->n_store = t->n;
        return r;
}

static int read_delete(sd_bus_message *call, void *mem_ctx, struct txn_writes *t, sd_bus_error *error) {
        const void *key;
        size_t key_len;
        int r = sd_bus_message_enter_container(call, 'a', "ay");

        while (r >= 0 && (r = sd_bus_message_read_array(call, 'y', &key, &key_len)) > 0) {
                r = check_write(t, false, key, key_len, 0, error);
                if (r >= 0)
                        r = add_write(mem_ctx, t, key, key_len, NULL, 0, error);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(call);
        return r;
}

static int compare_keys(const void *a, const void *b) {
        const struct dbd_txn_write *x = *(const struct dbd_txn_write *const *) a;
        const struct dbd_txn_write *y = *(const struct dbd_txn_write *const *) b;

        if (x->key_len != y->key_len)
                return x->key_len < y->key_len ? -1 : 1;
        return memcmp(x->key, y->key, x->key_len);
}

/*
 * A key written twice in one transaction is refused rather than resolved by
 * order: stored and deleted at once, or stored with two values, it says that
 * the caller's idea of the transaction is not what it sent.
 */
static int check_unique(void *mem_ctx, const struct txn_writes *t, sd_bus_error *error) {
        const struct dbd_txn_write **sorted;
        char k[128];

        if (t->n < 2)
                return 0;
        sorted = talloc_array(mem_ctx, const struct dbd_txn_write *, t->n);
        if (!sorted)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++)
                sorted[i] = &t->w[i];
        qsort(sorted, t->n, sizeof(*sorted), compare_keys);
        for (size_t i = 1; i < t->n; i++) {
                const struct dbd_txn_write *a = sorted[i - 1], *b = sorted[i];

                if (compare_keys(&a, &b) != 0)
                        continue;
                key_describe(a->key, a->key_len, k, sizeof(k));
                if (!!a->value_len != !!b->value_len)
                        return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                                 "The key %s is both in store and in delete", k);
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS, "The key %s is twice in %s", k,
                                         a->value_len ? "store" : "delete");
        }
        return 0;
}

/* ---- committing ------------------------------------------------------------ */

/*
 * The engine's errors of a transaction as the D-Bus errors a caller acts on:
 * negative (e set), or 0 for the errors of the general mapping (dbd-bus.c).
 */
static int txn_error(sd_bus_error *e, int r, const char *db_name) {
        switch (r) {
        case -EINVAL:
                return sd_bus_error_setf(
                        e, CTDB_ERROR_INVALID_ARGS,
                        "%s refused the transaction: transactions are for persistent and replicated "
                        "databases",
                        db_name);
        case -ENOLINK:
                return sd_bus_error_setf(
                        e, CTDB_ERROR_NOT_QUORATE,
                        "This node is not quorate (it is in a minority partition): %s takes no "
                        "commits here until it is, so that the copies of the nodes cannot diverge",
                        db_name);
        case -EBUSY:
                return sd_bus_error_setf(
                        e, CTDB_ERROR_BUSY,
                        "A conflicting commit to %s came first (the same key); retry the transaction",
                        db_name);
        case -EAGAIN:
                return sd_bus_error_setf(e, CTDB_ERROR_BUSY,
                                         "A recovery ended the transaction on %s; retry it", db_name);
        case -E2BIG:
                return sd_bus_error_setf(e, CTDB_ERROR_INVALID_ARGS,
                                         "The transaction is above a limit of ctdb-dbd's for %s; split it",
                                         db_name);
        default:
                return 0;
        }
}

static void on_commit(void *userdata, int error, uint64_t seqnum) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        struct dbd_bus_op *op = userdata;

        if (error < 0 && txn_error(&e, error, op->db_name) < 0)
                dbd_bus_op_reply_error(op, &e);
        else
                dbd_bus_op_reply(op, error < 0 ? error : 0, NULL);
}

int dbd_bus_commit(struct dbd_bus_op *op, dbd_db *db, const struct dbd_txn_write *writes, size_t n,
                   sd_bus_error *error) {
        /* The engine may keep the array until done; the bytes live in the call, which op holds. */
        struct dbd_txn_write *w = talloc_memdup(op, writes, n * sizeof(*writes));
        int r;

        if (!w)
                return dbd_bus_op_started(op, -ENOMEM, error);
        r = dbd_db_transaction(db, w, n, on_commit, op);
        if (r < 0) {
                int k = txn_error(error, r, op->db_name);

                if (k < 0) {
                        talloc_free(op);
                        return k;
                }
        }
        return dbd_bus_op_started(op, r, error);
}

int dbd_bus_method_transaction(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        struct dbd_bus *b = userdata;
        dbd_db *db = dbd_bus_call_db(b, call, error);
        _cleanup_talloc_ void *tmp = NULL;
        struct txn_writes t = { 0 };
        struct dbd_bus_op *op;
        int r;

        if (!db)
                return -ENOENT;
        tmp = talloc_new(NULL);
        if (!tmp)
                return -ENOMEM;
        r = read_store(call, tmp, &t, error);
        if (r >= 0)
                r = read_delete(call, tmp, &t, error);
        if (r >= 0)
                r = check_unique(tmp, &t, error);
        if (r < 0)
                return r;
        if (dbd_db_kind(db) == LTDB_VOLATILE)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS,
                                         "%s is volatile: transactions are for persistent and replicated "
                                         "databases",
                                         dbd_db_name(db));
        /* Nothing to write: nothing to commit, and SeqNum stays (CTDB's empty commit does not count). */
        if (t.n == 0)
                return sd_bus_reply_method_return(call, NULL);

        r = dbd_bus_op_authorize(b, call, db, CTDB_POLKIT_DB_WRITE, &op, error);
        if (r <= 0)
                return r < 0 ? r : 1; /* 0: called again when polkit answers */
        return dbd_bus_commit(op, db, t.w, t.n, error);
}

/* ---- Fetch --------------------------------------------------------------- */

int dbd_bus_fetch_copy(struct dbd_bus_op *op, dbd_db *db, const uint8_t *key, size_t len) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        struct ltdb_header h;
        uint8_t *value = NULL;
        size_t value_len = 0;
        int r;

        /*
         * A node that was away catches up in the recovery that takes it in, and
         * a recovery may replace this copy with a newer one: until it is over,
         * this node's copy is not one to answer from.
         */
        if (!dbd_db_txn_ready(db)) {
                dbd_bus_op_reply(op, -EAGAIN, NULL);
                return 1;
        }
        /* ctdb-dbd never waits on a chain a client holds (dbd-store.h): the caller tries again. */
        if (dbd_store_trylock(db->store, key, len) < 0) {
                sd_bus_error_setf(&e, CTDB_ERROR_BUSY,
                                  "A client holds the lock of this record of %s; try again", op->db_name);
                dbd_bus_op_reply_error(op, &e);
                return 1;
        }
        r = dbd_store_fetch(db->store, op, key, len, &h, &value, &value_len);
        dbd_store_unlock(db->store, key, len);
        /* An empty record is a deleted one (CTDB's rule for persistent databases). */
        if (r >= 0 && value_len == 0)
                r = -ENOENT;
        dbd_bus_on_value(op, r, value, value_len);
        return 1;
}

/* ---- SeqNum's PropertiesChanged ------------------------------------------ */

/* A database whose SeqNum was signalled or is to be; by id, so that a database gone is no dangling pointer.
 */
struct seqnum_entry {
        uint32_t db_id;
        bool dirty, sent_once;
        uint64_t sent;
};

struct dbd_bus_seqnum {
        struct dbd_bus *b;
        sd_event_source *timer;
        uint64_t last_usec; /* when the timer last ran */
        struct seqnum_entry *entries;
        size_t n;
};

static int seqnum_destructor(struct dbd_bus_seqnum *s) {
        s->timer = sd_event_source_disable_unref(s->timer);
        return 0;
}

int dbd_bus_seqnum_new(struct dbd_bus *b) {
        struct dbd_bus_seqnum *s = talloc_zero(b, struct dbd_bus_seqnum);

        if (!s)
                return -ENOMEM;
        s->b = b;
        talloc_set_destructor(s, seqnum_destructor);
        b->seqnum = s;
        return 0;
}

static void seqnum_emit(struct dbd_bus_seqnum *s, struct seqnum_entry *e) {
        dbd_db *db = dbd_manager_find_id(s->b->m, e->db_id);
        uint64_t seqnum;
        int r;

        e->dirty = false;
        if (!db)
                return;
        seqnum = dbd_db_seqnum(db);
        if (e->sent_once && seqnum == e->sent)
                return;
        r = sd_bus_emit_properties_changed(s->b->bus, dbd_db_object_path(db), DBD_DB_IFACE, "SeqNum", NULL);
        if (r < 0) {
                /* The bus connection is failing; the next commit tries again. */
                log_debug_errno(r, "Failed to emit PropertiesChanged for %s.SeqNum: %m", dbd_db_name(db));
                return;
        }
        e->sent = seqnum;
        e->sent_once = true;
}

static int on_seqnum_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        struct dbd_bus_seqnum *s = userdata;

        s->last_usec = usec;
        for (size_t i = 0; i < s->n; i++)
                if (s->entries[i].dirty)
                        seqnum_emit(s, &s->entries[i]);
        return 0;
}

static struct seqnum_entry *seqnum_entry(struct dbd_bus_seqnum *s, uint32_t db_id) {
        struct seqnum_entry *entries;

        for (size_t i = 0; i < s->n; i++)
                if (s->entries[i].db_id == db_id)
                        return &s->entries[i];
        /* At most one entry per attached database (DBD_MAX_DBS). */
        entries = talloc_realloc(s, s->entries, struct seqnum_entry, s->n + 1);
        if (!entries)
                return NULL;
        s->entries = entries;
        s->entries[s->n] = (struct seqnum_entry){ .db_id = db_id };
        return &s->entries[s->n++];
}

/*
 * Leading edge: the first commit after a quiet spell is signalled on the next
 * turn of the loop, the ones after it at most once per DBD_BUS_SEQNUM_USEC.
 */
static int seqnum_arm(struct dbd_bus_seqnum *s) {
        sd_event *event = s->b->m->event;
        uint64_t now, at;
        int r;

        if (s->timer && sd_event_source_get_enabled(s->timer, NULL) > 0)
                return 0;
        r = sd_event_now(event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        at = s->last_usec && s->last_usec + DBD_BUS_SEQNUM_USEC > now ? s->last_usec + DBD_BUS_SEQNUM_USEC
                                                                      : now;
        if (!s->timer)
                return sd_event_add_time(event, &s->timer, CLOCK_MONOTONIC, at, 1000, on_seqnum_timer, s);
        r = sd_event_source_set_time(s->timer, at);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
        return r;
}

void dbd_bus_seqnum_changed(dbd_db *db) {
        struct dbd_bus *b = db->m->bus_glue;
        struct seqnum_entry *e;
        int r;

        if (!b)
                return; /* no objects on the bus (yet, or any more): nobody to tell */
        e = seqnum_entry(b->seqnum, db->id);
        if (!e) {
                log_debug("Out of memory for SeqNum's signal of %s; the next commit signals it", db->name);
                return;
        }
        e->dirty = true;
        r = seqnum_arm(b->seqnum);
        if (r < 0) {
                /* Without the timer the change is signalled now rather than not at all. */
                log_debug_errno(r, "Failed to arm SeqNum's timer: %m");
                seqnum_emit(b->seqnum, e);
        }
}
