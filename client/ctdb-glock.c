/* libctdb-client, g_lock (see ctdb-glock.h): GLOCK_* requests on db.sock (db-conn.h). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>

#include "ctdb-glock.h"
#include "db-conn.h"
#include "db-proto.h"

_Static_assert((int) CTDB_GLOCK_SHARED == DB_GLOCK_SHARED, "modes");
_Static_assert((int) CTDB_GLOCK_EXCLUSIVE == DB_GLOCK_EXCLUSIVE, "modes");

/* dbd answers a timed-out wait itself; the socket wait has this margin beyond it. */
#define LOCK_MARGIN_USEC (5u * 1000u * 1000u)

static bool name_ok(const char *name) {
        size_t len = name ? strnlen(name, DB_KEY_MAX + 1) : 0;

        return len > 0 && len <= DB_KEY_MAX;
}

int ctdb_glock_lock(ctdb_db_client *c, const char *name, enum ctdb_glock_mode mode, unsigned timeout_ms) {
        struct db_glock_lock req = { .mode = (uint32_t) mode, .timeout_ms = timeout_ms };
        struct db_frame *f = NULL;
        uint64_t deadline;
        int r;

        if (!c || !name_ok(name) || (mode != CTDB_GLOCK_SHARED && mode != CTDB_GLOCK_EXCLUSIVE))
                return -EINVAL;
        req.name = (char *) name;
        req.name_len = (uint32_t) strlen(name);
        deadline = timeout_ms == 0 ? UINT64_MAX
                                   : db_now_usec() + (uint64_t) timeout_ms * 1000u + LOCK_MARGIN_USEC;
        r = db_conn_call_until(c, DB_LOCAL_GLOCK_LOCK, &db_glock_lock_desc, &req, DB_LOCAL_GLOCK_REPLY,
                               deadline, &f);
        if (r < 0)
                return r;
        r = db_conn_reply_error(c, f);
        free(f);
        return r;
}

int ctdb_glock_unlock(ctdb_db_client *c, const char *name) {
        struct db_glock_unlock req;
        struct db_frame *f = NULL;
        int r;

        if (!c || !name_ok(name))
                return -EINVAL;
        req = (struct db_glock_unlock){ .name = (char *) name, .name_len = (uint32_t) strlen(name) };
        r = db_conn_call(c, DB_LOCAL_GLOCK_UNLOCK, &db_glock_unlock_desc, &req, DB_LOCAL_GLOCK_REPLY, &f);
        if (r < 0)
                return r;
        r = db_conn_reply_error(c, f);
        free(f);
        return r;
}

void ctdb_glock_entries_free(struct ctdb_glock_entry *entries, size_t n) {
        for (size_t i = 0; entries && i < n; i++)
                free(entries[i].name);
        free(entries);
}

static int entries_copy(const struct db_glock_entries *list, struct ctdb_glock_entry **ret, size_t *ret_n) {
        struct ctdb_glock_entry *e = calloc(list->n_entries ? list->n_entries : 1, sizeof(*e));

        if (!e)
                return -ENOMEM;
        for (uint32_t i = 0; i < list->n_entries; i++) {
                const struct db_glock_entry *s = &list->entries[i];

                e[i] = (struct ctdb_glock_entry){
                        .name = strdup(s->name),
                        .mode = s->mode == DB_GLOCK_EXCLUSIVE ? CTDB_GLOCK_EXCLUSIVE : CTDB_GLOCK_SHARED,
                        .pnn = s->pnn,
                        .pid = s->pid,
                        .held = s->held != 0,
                };
                if (!e[i].name) {
                        ctdb_glock_entries_free(e, i);
                        return -ENOMEM;
                }
        }
        *ret = e;
        *ret_n = list->n_entries;
        return 0;
}

int ctdb_glock_list(ctdb_db_client *c, struct ctdb_glock_entry **ret, size_t *ret_n) {
        struct db_glock_list req = { 0 };
        struct db_glock_entries list;
        struct db_frame *f = NULL;
        void *tmp;
        int r;

        if (!c || !ret || !ret_n)
                return -EINVAL;
        r = db_conn_call(c, DB_LOCAL_GLOCK_LIST, &db_glock_list_desc, &req, DB_LOCAL_GLOCK_ENTRIES, &f);
        if (r < 0)
                return r;
        tmp = talloc_new(NULL);
        if (!tmp)
                r = -ENOMEM;
        else if (wire_unpack(&db_glock_entries_desc, tmp, f->payload, f->len, &list) < 0)
                r = db_conn_bad_answer(c);
        else
                r = db_conn_answer_error(c, list.error);
        if (r >= 0)
                r = entries_copy(&list, ret, ret_n);
        talloc_free(tmp);
        free(f);
        return r;
}
