/*
 * libctdb-client, transactions (see ctdb-db.h): a read set and a write
 * buffer in malloc'd arrays, sent as one TXN_COMMIT (common/db-proto.h).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>
#include <tdb.h>
#include <unistd.h>

#include "ctdb-db.h"
#include "ctdb-glock.h"
#include "db-conn.h"
#include "db-proto.h"
#include "ltdb.h"

struct txn_key {
        uint8_t *key;
        size_t key_len;
        uint64_t rsn;           /* reads: the rsn seen, 0 for no record */
        uint8_t *value;         /* writes: NULL/0 deletes */
        size_t value_len;
};

struct ctdb_txn {
        ctdb_db *db;
        unsigned flags;
        struct txn_key *reads, *writes;
        size_t n_reads, n_writes, cap_reads, cap_writes;
        size_t bytes;
        char lock[32];          /* the g_lock held (CTDB_TXN_LOCKED), "" for none */
};

static void key_free(struct txn_key *k) {
        free(k->key);
        free(k->value);
}

void ctdb_txn_cancel(ctdb_txn *t) {
        if (!t)
                return;
        /* The lock goes with the transaction; an unlock that fails leaves it to the connection's close. */
        if (t->lock[0])
                (void) ctdb_glock_unlock(t->db->client, t->lock);
        for (size_t i = 0; i < t->n_reads; i++)
                key_free(&t->reads[i]);
        for (size_t i = 0; i < t->n_writes; i++)
                key_free(&t->writes[i]);
        free(t->reads);
        free(t->writes);
        free(t);
}

int ctdb_txn_start(ctdb_db *db, unsigned flags, ctdb_txn **ret) {
        ctdb_txn *t;

        if (!db || !ret || (flags & ~CTDB_TXN_LOCKED))
                return -EINVAL;
        if (db->kind == CTDB_DB_VOLATILE)
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->db = db;
        t->flags = flags;
        if (flags & CTDB_TXN_LOCKED) {
                char name[32];
                int r;

                /* Samba's dbwrap_ctdb takes the same name for its persistent transactions. */
                snprintf(name, sizeof(name), "transaction_db_0x%08x", db->id);
                r = ctdb_glock_lock(db->client, name, CTDB_GLOCK_EXCLUSIVE, db->client->timeout_msec);
                if (r < 0) {
                        free(t);
                        return r;
                }
                memcpy(t->lock, name, sizeof(name));
        }
        *ret = t;
        return 0;
}

static struct txn_key *find(struct txn_key *keys, size_t n, const void *key, size_t len) {
        for (size_t i = n; i-- > 0;)
                if (keys[i].key_len == len && memcmp(keys[i].key, key, len) == 0)
                        return &keys[i];
        return NULL;
}

static int check_key(const void *key, size_t len) {
        if (!key || len == 0)
                return -EINVAL;
        if (len > DB_KEY_MAX)
                return -E2BIG;
        if (len == sizeof(DB_SEQNUM_KEY) && memcmp(key, DB_SEQNUM_KEY, len) == 0)
                return -EINVAL; /* dbd keeps it */
        return 0;
}

static struct txn_key *append(struct txn_key **keys, size_t *n, size_t *cap, const void *key, size_t len) {
        struct txn_key *k;

        if (*n == *cap) {
                size_t c = *cap ? *cap * 2 : 8;
                struct txn_key *a = realloc(*keys, c * sizeof(*a));

                if (!a)
                        return NULL;
                *keys = a;
                *cap = c;
        }
        k = &(*keys)[*n];
        *k = (struct txn_key) { .key = malloc(len), .key_len = len };
        if (!k->key)
                return NULL;
        memcpy(k->key, key, len);
        (*n)++;
        return k;
}

/* This node's copy of key: its rsn (0 for none) and, if wanted, its value (NULL for none or deleted). */
static int read_local(ctdb_db *db, const void *key, size_t len, uint64_t *ret_rsn, void **ret_value,
                      size_t *ret_len) {
        TDB_DATA k = { .dptr = (uint8_t *) key, .dsize = len }, d;
        struct ltdb_header h;
        const uint8_t *value;
        size_t value_len;
        int r = 0;

        pthread_mutex_lock(&db->lock);
        d = tdb_fetch(db->tdb, k);
        if (!d.dptr && tdb_error(db->tdb) != TDB_ERR_NOEXIST)
                r = -EIO;
        pthread_mutex_unlock(&db->lock);
        *ret_rsn = 0;
        if (ret_value) {
                *ret_value = NULL;
                *ret_len = 0;
        }
        if (!d.dptr)
                return r;
        if (ltdb_header_parse(d.dptr, d.dsize, &h, &value, &value_len) >= 0) {
                *ret_rsn = h.rsn;
                if (ret_value && value_len > 0) {
                        *ret_value = malloc(value_len);
                        if (!*ret_value)
                                r = -ENOMEM;
                        else
                                memcpy(*ret_value, value, value_len), *ret_len = value_len;
                }
        }
        free(d.dptr);
        return r;
}

int ctdb_txn_fetch(ctdb_txn *t, const void *key, size_t key_len, void **ret_value, size_t *ret_len) {
        struct txn_key *w, *rd;
        uint64_t rsn;
        int r;

        if (!t || !ret_value || !ret_len)
                return -EINVAL;
        r = check_key(key, key_len);
        if (r < 0)
                return r;
        w = find(t->writes, t->n_writes, key, key_len);
        if (w) {
                if (!w->value)
                        return -ENOENT;
                *ret_value = malloc(w->value_len);
                if (!*ret_value)
                        return -ENOMEM;
                memcpy(*ret_value, w->value, w->value_len);
                *ret_len = w->value_len;
                return 0;
        }
        r = read_local(t->db, key, key_len, &rsn, ret_value, ret_len);
        if (r < 0)
                return r;
        /* The first read of a key is what the commit is checked against. */
        if (!find(t->reads, t->n_reads, key, key_len)) {
                if (t->n_reads >= DB_TXN_RECORDS || t->bytes + 32 + key_len > DB_TXN_BYTES)
                        r = -E2BIG;
                else if (!(rd = append(&t->reads, &t->n_reads, &t->cap_reads, key, key_len)))
                        r = -ENOMEM;
                else
                        rd->rsn = rsn, t->bytes += 32 + key_len;
                if (r < 0) {
                        free(*ret_value);
                        *ret_value = NULL;
                        return r;
                }
        }
        return *ret_value ? 0 : -ENOENT;
}

int ctdb_txn_store(ctdb_txn *t, const void *key, size_t key_len, const void *value, size_t len) {
        struct txn_key *w;
        uint8_t *copy = NULL;
        int r;

        if (!t || (len && !value))
                return -EINVAL;
        r = check_key(key, key_len);
        if (r < 0)
                return r;
        if (len > DB_VALUE_MAX)
                return -E2BIG;
        if (len && !(copy = malloc(len)))
                return -ENOMEM;
        if (len)
                memcpy(copy, value, len);
        w = find(t->writes, t->n_writes, key, key_len);
        if (!w) {
                if (t->n_writes >= DB_TXN_RECORDS || t->bytes + 32 + key_len + len > DB_TXN_BYTES)
                        return free(copy), -E2BIG;
                if (!(w = append(&t->writes, &t->n_writes, &t->cap_writes, key, key_len)))
                        return free(copy), -ENOMEM;
                t->bytes += 32 + key_len;
        } else {
                t->bytes -= w->value_len;
                free(w->value);
        }
        w->value = copy;
        w->value_len = len;
        t->bytes += len;
        return 0;
}

int ctdb_txn_delete(ctdb_txn *t, const void *key, size_t key_len) {
        return ctdb_txn_store(t, key, key_len, NULL, 0);
}

static int commit_once(ctdb_txn *t, const struct db_txn *txn, uint64_t *ret_seqnum) {
        ctdb_db_client *c = t->db->client;
        struct db_txn_result res;
        struct db_frame *f = NULL;
        void *tmp;
        int r = db_conn_call(c, DB_LOCAL_TXN_COMMIT, &db_txn_desc, txn, DB_LOCAL_TXN_RESULT, &f);

        if (r < 0)
                return r;
        tmp = talloc_new(NULL);
        if (!tmp)
                r = -ENOMEM;
        else if (wire_unpack(&db_txn_result_desc, tmp, f->payload, f->len, &res) < 0)
                r = db_conn_bad_answer(c);
        else
                r = db_conn_answer_error(c, res.error);
        if (r >= 0 && ret_seqnum)
                *ret_seqnum = res.seqnum;
        talloc_free(tmp);
        free(f);
        return r;
}

int ctdb_txn_commit(ctdb_txn *t, uint64_t *ret_seqnum) {
        struct db_txn txn = { 0 };
        uint64_t deadline, wait = 500;
        int r = 0;

        if (!t)
                return -EINVAL;
        txn = (struct db_txn) { .db_id = t->db->id, .n_reads = (uint32_t) t->n_reads,
                                .n_writes = (uint32_t) t->n_writes };
        txn.reads = calloc(t->n_reads + 1, sizeof(*txn.reads));
        txn.writes = calloc(t->n_writes + 1, sizeof(*txn.writes));
        if (!txn.reads || !txn.writes)
                r = -ENOMEM;
        for (size_t i = 0; i < t->n_reads && r >= 0; i++)
                txn.reads[i] = (struct db_txn_read) { .rsn = t->reads[i].rsn, .key = t->reads[i].key,
                                                      .key_len = (uint32_t) t->reads[i].key_len };
        for (size_t i = 0; i < t->n_writes && r >= 0; i++)
                txn.writes[i] = (struct db_record) { .key = t->writes[i].key,
                                                     .key_len = (uint32_t) t->writes[i].key_len,
                                                     .value = t->writes[i].value,
                                                     .value_len = (uint32_t) t->writes[i].value_len };
        deadline = db_conn_deadline(t->db->client);
        /*
         * The transaction lock goes with the commit (DB_TXN_UNLOCK): whoever
         * waits for it gets it as soon as dbd accepted this commit, not after
         * the round to every node. A commit sent again goes without it.
         */
        if (t->lock[0] && t->n_writes > 0)
                txn.flags |= DB_TXN_UNLOCK;
        /* A commit without writes changes nothing: there is nothing to send. */
        while (r >= 0 && t->n_writes > 0) {
                r = commit_once(t, &txn, ret_seqnum);
                txn.flags &= ~DB_TXN_UNLOCK;
                t->lock[0] = 0;
                if (r >= 0)
                        break;
                /* -EAGAIN: nothing of it was written anywhere (a recovery), so it may go again. */
                if (r != -EAGAIN)
                        break;
                if (db_now_usec() + wait > deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                usleep((useconds_t) wait);
                wait = wait < 50000 ? wait * 2 : wait;
                r = 0;
        }
        if (r >= 0 && t->n_writes == 0 && ret_seqnum)
                r = ctdb_db_seqnum(t->db, ret_seqnum);
        free(txn.reads);
        free(txn.writes);
        ctdb_txn_cancel(t);
        return r;
}

int ctdb_db_seqnum(ctdb_db *db, uint64_t *ret) {
        void *value;
        size_t len;
        uint64_t rsn;
        int r;

        if (!db || !ret)
                return -EINVAL;
        r = read_local(db, DB_SEQNUM_KEY, sizeof(DB_SEQNUM_KEY), &rsn, &value, &len);
        if (r < 0)
                return r;
        *ret = 0;
        if (value && len == sizeof(*ret))
                memcpy(ret, value, sizeof(*ret));
        free(value);
        return 0;
}
