/*
 * libctdb-client, databases (see ctdb-db.h): records read and written in the
 * database's tdb file in this process, and requests to ctdb-dbd over db.sock
 * (db-conn.h) when a record lives elsewhere. Plain malloc; talloc only inside
 * wire_unpack() calls.
 *
 * A tdb context is not thread-safe and its chain locks nest per context, not
 * per thread: a second thread "locking" a chain this process holds would get
 * it at once, and with mutex locking the mutex belongs to the thread that took
 * it. So every tdb call on a database runs under the database's mutex, and a
 * chain is held by at most one thread of the process at a time (db->locked).
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>
#include <tdb.h>
#include <unistd.h>

#include "ctdb-db.h"
#include "db-conn.h"
#include "db-proto.h"
#include "list.h"
#include "ltdb.h"

_Static_assert((int) CTDB_DB_VOLATILE == (int) LTDB_VOLATILE, "kinds");
_Static_assert((int) CTDB_DB_PERSISTENT == (int) LTDB_PERSISTENT, "kinds");
_Static_assert((int) CTDB_DB_REPLICATED == (int) LTDB_REPLICATED, "kinds");

/*
 * Migrations of one fetch-lock: each MIGRATE answered with success puts the
 * record here, and only another node taking it back before our chain lock
 * makes a round fail; 100 such losses in a row is a record too hot to get,
 * said with -EAGAIN rather than spinning on.
 */
#define FETCH_LOCK_ROUNDS 100u
/* Retries of a chain held by another process while this one holds another chain. */
#define BACKOFF_MIN_USEC 10u
#define BACKOFF_MAX_USEC 1000u


struct ctdb_record {
        struct ctdb_record *next, *prev;
        ctdb_db *db;
        uint32_t chain;
        bool held, read;
        struct ltdb_header header;
        const uint8_t *key;
        size_t key_len;
};

static int tdb_errno(struct tdb_context *tdb) {
        switch (tdb_error(tdb)) {
        case TDB_ERR_OOM:
                return -ENOMEM;
        case TDB_ERR_LOCK:
        case TDB_ERR_NOLOCK:
                return -ENOLCK;
        case TDB_ERR_LOCK_TIMEOUT:
                return -ETIMEDOUT;
        case TDB_ERR_NOEXIST:
                return -ENOENT;
        case TDB_ERR_EINVAL:
                return -EINVAL;
        case TDB_ERR_RDONLY:
                return -EROFS;
        default:
                return -EIO;
        }
}

/* ---- databases ----------------------------------------------------------------- */

static void db_free(ctdb_db *db) {
        if (db->tdb)
                tdb_close(db->tdb);
        pthread_cond_destroy(&db->cond);
        pthread_mutex_destroy(&db->lock);
        free(db->name);
        free(db->path);
        free(db);
}

/* Opens the file dbd created, with exactly its flags so that mutex and hash settings agree. */
static int db_open(ctdb_db_client *c, const struct db_attach_reply *a, const char *name,
                   enum ctdb_db_kind kind, ctdb_db **ret) {
        ctdb_db *db;
        int r;

        if (a->path_len == 0 || a->hash_size == 0)
                return db_conn_bad_answer(c);
        db = calloc(1, sizeof(*db));
        if (!db)
                return -ENOMEM;
        pthread_mutex_init(&db->lock, NULL);
        r = db_cond_init(&db->cond);
        db->client = c;
        db->n_ref = 1;
        db->kind = kind;
        db->id = a->db_id;
        db->name = strdup(name);
        db->path = strdup(a->path);
        if (r >= 0 && (!db->name || !db->path))
                r = -ENOMEM;
        if (r >= 0) {
                /* Never O_CREAT: the file is dbd's; CLEAR_IF_FIRST wipes it only for a first opener. */
                errno = 0;
                db->tdb = tdb_open(db->path, (int) a->hash_size, (int) a->tdb_flags, O_RDWR, 0);
                if (!db->tdb)
                        r = errno > 0 ? -errno : -EIO;
        }
        if (r < 0) {
                db_free(db);
                return r;
        }
        /*
         * With TDB_INCOMPATIBLE_HASH tdb's chain of a key is its Jenkins hash
         * modulo the file's hash size, so threads exclude each other per chain;
         * under any other hash every record shares one in-process slot.
         */
        db->exact_chains = (a->tdb_flags & TDB_INCOMPATIBLE_HASH) != 0;
        db->hash_size = (uint32_t) tdb_hash_size(db->tdb);
        *ret = db;
        return 0;
}

int ctdb_db_attach(ctdb_db_client *c, const char *name, enum ctdb_db_kind kind, ctdb_db **ret) {
        struct db_attach req = { .kind = (uint32_t) kind };
        struct db_attach_reply reply;
        struct db_frame *f = NULL;
        ctdb_db *db;
        void *tmp;
        int r;

        if (!c || !ret || !ltdb_name_is_valid(name) || !ltdb_kind_to_string((enum ltdb_kind) kind))
                return -EINVAL;
        req.name = (char *) name;
        req.name_len = (uint32_t) strlen(name);

        pthread_mutex_lock(&c->attach_lock);
        /* tdb refuses a second open of one file in a process: a second attach shares the first. */
        for (db = c->dbs; db; db = db->next)
                if (strcmp(db->name, name) == 0)
                        break;
        if (db) {
                r = db->kind == kind ? 0 : -EEXIST;
                if (r == 0) {
                        db->n_ref++;
                        *ret = db;
                }
                goto out;
        }

        /* A persistent or replicated database is ready once this node's recovery brought it up to date. */
        for (uint64_t deadline = db_conn_deadline(c), wait = 1000;; wait = wait < 64000 ? wait * 2 : wait) {
                r = db_conn_call(c, DB_LOCAL_ATTACH, &db_attach_desc, &req, DB_LOCAL_ATTACH_REPLY, &f);
                if (r < 0)
                        goto out;
                tmp = talloc_new(NULL);
                if (!tmp) {
                        r = -ENOMEM;
                        goto out;
                }
                if (wire_unpack(&db_attach_reply_desc, tmp, f->payload, f->len, &reply) < 0)
                        r = db_conn_bad_answer(c);
                else
                        r = db_conn_answer_error(c, reply.error);
                if (r >= 0)
                        r = db_open(c, &reply, name, kind, &db);
                talloc_free(tmp);
                if (r != -EAGAIN || db_now_usec() + wait > deadline)
                        break;
                free(f);
                f = NULL;
                usleep((useconds_t) wait);
        }
        if (r >= 0) {
                LIST_PREPEND(c->dbs, db);
                *ret = db;
        }
out:
        pthread_mutex_unlock(&c->attach_lock);
        free(f);
        return r;
}

void ctdb_db_close(ctdb_db *db) {
        ctdb_db_client *c;

        if (!db)
                return;
        c = db->client;
        pthread_mutex_lock(&c->attach_lock);
        if (--db->n_ref == 0) {
                LIST_REMOVE(c->dbs, db);
                db_free(db);
        }
        pthread_mutex_unlock(&c->attach_lock);
}

uint32_t ctdb_db_id(const ctdb_db *db) {
        return db->id;
}

const char *ctdb_db_path(const ctdb_db *db) {
        return db->path;
}

/* ---- chain locks ---------------------------------------------------------------- */

static TDB_DATA record_key(const struct ctdb_record *r) {
        return (TDB_DATA){ .dptr = (uint8_t *) r->key, .dsize = r->key_len };
}

static void record_init(ctdb_db *db, struct ctdb_record *r, const void *key, size_t key_len) {
        *r = (struct ctdb_record){ .db = db, .key = key, .key_len = key_len };
        if (db->exact_chains && db->hash_size > 0)
                r->chain = ltdb_hash(key, key_len) % db->hash_size;
}

static bool chain_taken(ctdb_db *db, uint32_t chain) {
        for (struct ctdb_record *o = db->locked; o; o = o->next)
                if (o->chain == chain)
                        return true;
        return false;
}

static int tdb_lock_chain(ctdb_db *db, struct ctdb_record *r, bool block) {
        TDB_DATA k = record_key(r);

        if (r->read)
                return block ? tdb_chainlock_read(db->tdb, k) : tdb_chainlock_read_nonblock(db->tdb, k);
        return block ? tdb_chainlock(db->tdb, k) : tdb_chainlock_nonblock(db->tdb, k);
}

/*
 * db->lock held. Takes r's chain for this thread: first the process's slot of
 * the chain (other threads of ours wait for it), then tdb's lock. Blocking in
 * tdb while holding db->lock is safe only while no thread of ours holds a
 * chain of this file (another process waiting for one of ours while holding
 * the one we wait for would close a cycle through db->lock); otherwise busy
 * chains are retried with a short backoff, until deadline.
 */
static int chain_lock(ctdb_db *db, struct ctdb_record *r, bool read, uint64_t deadline) {
        unsigned backoff = BACKOFF_MIN_USEC;
        int ret;

        r->read = read;
        while (chain_taken(db, r->chain))
                if (db_cond_wait_until(&db->cond, &db->lock, deadline) == ETIMEDOUT)
                        return -ETIMEDOUT;
        LIST_PREPEND(db->locked, r);
        for (;;) {
                if (tdb_lock_chain(db, r, false) == 0)
                        break;
                if (db->n_held == 0) {
                        if (tdb_lock_chain(db, r, true) == 0)
                                break;
                        ret = tdb_errno(db->tdb);
                        goto fail;
                }
                if (db_now_usec() >= deadline) {
                        ret = -ETIMEDOUT;
                        goto fail;
                }
                pthread_mutex_unlock(&db->lock);
                (void) usleep(backoff);
                pthread_mutex_lock(&db->lock);
                backoff = backoff * 2 < BACKOFF_MAX_USEC ? backoff * 2 : BACKOFF_MAX_USEC;
        }
        r->held = true;
        db->n_held++;
        return 0;

fail:
        LIST_REMOVE(db->locked, r);
        pthread_cond_broadcast(&db->cond);
        return ret;
}

/* db->lock held. */
static void chain_unlock(ctdb_db *db, struct ctdb_record *r) {
        TDB_DATA k = record_key(r);

        if (r->read)
                (void) tdb_chainunlock_read(db->tdb, k);
        else
                (void) tdb_chainunlock(db->tdb, k);
        r->held = false;
        db->n_held--;
        LIST_REMOVE(db->locked, r);
        pthread_cond_broadcast(&db->cond);
}

/*
 * db->lock held, r's chain locked. The stored record: 0 with *ret_data (the
 * whole record, malloc'd by tdb) and its parsed header, -ENOENT when there is
 * none or it is shorter than a header, other negative errors of tdb.
 */
static int record_read(ctdb_db *db, struct ctdb_record *r, TDB_DATA *ret_data) {
        TDB_DATA d = tdb_fetch(db->tdb, record_key(r));

        if (!d.dptr)
                return tdb_error(db->tdb) == TDB_ERR_NOEXIST ? -ENOENT : tdb_errno(db->tdb);
        if (ltdb_header_parse(d.dptr, d.dsize, &r->header, NULL, NULL) < 0) {
                free(d.dptr);
                return -ENOENT;
        }
        *ret_data = d;
        return 0;
}

/*
 * The value of a record read by record_read() as a malloc'd copy (NULL and 0
 * for a header-only one, or when ret_value is NULL); frees the record.
 */
static int record_take_value(TDB_DATA d, void **ret_value, size_t *ret_len) {
        size_t len = d.dsize - LTDB_HEADER_SIZE;
        void *v = NULL;

        if (len > 0 && ret_value) {
                v = malloc(len);
                if (!v) {
                        free(d.dptr);
                        return -ENOMEM;
                }
                memcpy(v, d.dptr + LTDB_HEADER_SIZE, len);
        }
        free(d.dptr);
        if (ret_value)
                *ret_value = v;
        if (ret_len)
                *ret_len = v ? len : 0;
        return 0;
}

/* A record call may go ahead: a key dbd can carry (1..DB_KEY_MAX bytes) and a working connection. */
static int record_call_check(ctdb_db *db, const void *key, size_t key_len) {
        if (!key || key_len == 0)
                return -EINVAL;
        if (key_len > DB_KEY_MAX)
                return -E2BIG;
        return db_conn_error(db->client);
}

/* ---- records ---------------------------------------------------------------------- */

/* MIGRATE: dbd answers once the record is in this node's file with dmaster = this node. */
static int migrate(ctdb_db *db, const void *key, size_t key_len) {
        struct db_key_req req = { .db_id = db->id, .key_len = (uint32_t) key_len, .key = key };
        struct db_frame *f;
        int r;

        r = db_conn_call(db->client, DB_LOCAL_MIGRATE, &db_key_req_desc, &req, DB_LOCAL_REPLY, &f);
        if (r < 0)
                return r;
        r = db_conn_reply_error(db->client, f);
        free(f);
        return r;
}

int ctdb_db_fetch_lock(ctdb_db *db, const void *key, size_t key_len, ctdb_record **ret, void **ret_value,
                       size_t *ret_len) {
        ctdb_db_client *c;
        struct ctdb_record *rec;
        uint64_t deadline;
        int r;

        if (!db || !ret)
                return -EINVAL;
        r = record_call_check(db, key, key_len);
        if (r < 0)
                return r;
        c = db->client;
        rec = malloc(sizeof(*rec) + key_len);
        if (!rec)
                return -ENOMEM;
        memcpy(rec + 1, key, key_len);
        record_init(db, rec, rec + 1, key_len);
        deadline = db_conn_deadline(c);

        r = -EAGAIN;
        for (unsigned round = 0; round < FETCH_LOCK_ROUNDS; round++) {
                TDB_DATA d;

                pthread_mutex_lock(&db->lock);
                r = chain_lock(db, rec, false, deadline);
                if (r < 0) {
                        pthread_mutex_unlock(&db->lock);
                        break;
                }
                r = record_read(db, rec, &d);
                /*
                 * This node's record, and no other node holds a read-only copy of
                 * it: writable. With delegations out, dbd revokes them first (MIGRATE).
                 */
                if (r >= 0 && rec->header.dmaster == c->pnn &&
                    !(rec->header.flags & LTDB_REC_RO_HAVE_DELEGATIONS)) {
                        pthread_mutex_unlock(&db->lock);
                        r = record_take_value(d, ret_value, ret_len);
                        if (r < 0) {
                                ctdb_record_unlock(rec);
                                return r;
                        }
                        *ret = rec;
                        return 0;
                }
                if (r >= 0)
                        free(d.dptr);
                chain_unlock(db, rec);
                pthread_mutex_unlock(&db->lock);
                if (r < 0 && r != -ENOENT)
                        break;
                /* Not here (or not ours): dbd brings it, then the next round finds it under the lock. */
                r = migrate(db, key, key_len);
                if (r < 0)
                        break;
                r = -EAGAIN;
        }
        free(rec);
        return r;
}

int ctdb_record_store(ctdb_record *r, const void *value, size_t len) {
        uint8_t hdr[LTDB_HEADER_SIZE];
        TDB_DATA parts[2] = {
                { .dptr = hdr, .dsize = sizeof(hdr) },
                { .dptr = (uint8_t *) value, .dsize = len },
        };
        ctdb_db *db;
        int ret;

        if (!r || (len > 0 && !value))
                return -EINVAL;
        /* A record dbd could not carry to another node would be stuck here. */
        if (len > DB_VALUE_MAX)
                return -E2BIG;
        db = r->db;
        ret = db_conn_error(db->client);
        if (ret < 0)
                return ret;
        ltdb_header_put(&r->header, hdr);
        pthread_mutex_lock(&db->lock);
        ret = tdb_storev(db->tdb, record_key(r), parts, len > 0 ? 2 : 1, TDB_REPLACE);
        if (ret != 0)
                ret = tdb_errno(db->tdb);
        pthread_mutex_unlock(&db->lock);
        return ret;
}

int ctdb_record_delete(ctdb_record *r) {
        struct db_key_req req;
        int ret;

        ret = ctdb_record_store(r, NULL, 0);
        if (ret < 0)
                return ret;
        /* The header-only record is stored either way; dbd not hearing of it is the error here. */
        req = (struct db_key_req){ .db_id = r->db->id, .key_len = (uint32_t) r->key_len, .key = r->key };
        return db_conn_send(r->db->client, DB_LOCAL_DELETED, &db_key_req_desc, &req);
}

void ctdb_record_unlock(ctdb_record *r) {
        if (!r)
                return;
        pthread_mutex_lock(&r->db->lock);
        chain_unlock(r->db, r);
        pthread_mutex_unlock(&r->db->lock);
        free(r);
}

/* FETCH: the value from wherever the record lives. */
static int fetch_remote(ctdb_db *db, const void *key, size_t key_len, bool readonly, void **ret_value,
                        size_t *ret_len) {
        struct db_key_req req = { .db_id = db->id,
                                  .flags = readonly ? DB_FETCH_READONLY : 0,
                                  .key_len = (uint32_t) key_len,
                                  .key = key };
        struct db_value v;
        struct db_frame *f;
        void *copy = NULL;
        int r;

        r = db_conn_call(db->client, DB_LOCAL_FETCH, &db_key_req_desc, &req, DB_LOCAL_VALUE, &f);
        if (r < 0)
                return r;
        if (wire_unpack(&db_value_desc, NULL, f->payload, f->len, &v) < 0)
                r = db_conn_bad_answer(db->client);
        else
                r = db_conn_answer_error(db->client, v.error);
        /* A header-only record is a deleted one. */
        if (r >= 0 && v.value_len == 0)
                r = -ENOENT;
        if (r >= 0) {
                copy = malloc(v.value_len);
                if (!copy)
                        r = -ENOMEM;
                else {
                        memcpy(copy, v.value, v.value_len);
                        *ret_value = copy;
                        *ret_len = v.value_len;
                }
        }
        free(f);
        return r;
}

int ctdb_db_fetch(ctdb_db *db, const void *key, size_t key_len, bool readonly, void **ret_value,
                  size_t *ret_len) {
        struct ctdb_record rec;
        ctdb_db_client *c;
        uint64_t deadline;
        TDB_DATA d;
        int r;

        if (!db || !ret_value || !ret_len)
                return -EINVAL;
        r = record_call_check(db, key, key_len);
        if (r < 0)
                return r;
        c = db->client;
        record_init(db, &rec, key, key_len);
        deadline = db_conn_deadline(c);

        pthread_mutex_lock(&db->lock);
        r = chain_lock(db, &rec, true, deadline);
        if (r >= 0) {
                r = record_read(db, &rec, &d);
                chain_unlock(db, &rec);
        }
        pthread_mutex_unlock(&db->lock);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r >= 0 && (rec.header.dmaster == c->pnn || (rec.header.flags & LTDB_REC_RO_HAVE_READONLY))) {
                if (d.dsize == LTDB_HEADER_SIZE) {
                        free(d.dptr);
                        return -ENOENT;
                }
                return record_take_value(d, ret_value, ret_len);
        }
        if (r >= 0)
                free(d.dptr);
        return fetch_remote(db, key, key_len, readonly, ret_value, ret_len);
}

/* ---- traverse ------------------------------------------------------------------- */

struct traverse_state {
        ctdb_traverse_fn fn;
        void *userdata;
        bool stopped;
        unsigned long n;
};

/* One RECORDS batch: 1 when it was the last, 0 for more, negative on a malformed one. */
static int traverse_batch(ctdb_db *db, struct traverse_state *t, const struct db_frame *f) {
        struct db_records batch;
        void *tmp = talloc_new(NULL);
        int r;

        if (!tmp)
                return -ENOMEM;
        r = wire_unpack(&db_records_desc, tmp, f->payload, f->len, &batch);
        if (r < 0 || batch.db_id != db->id) {
                talloc_free(tmp);
                return db_conn_bad_answer(db->client);
        }
        for (uint32_t i = 0; i < batch.n_records && !t->stopped; i++) {
                const struct db_record *rec = &batch.records[i];

                /* Only live records: a header-only one is deleted. */
                if (rec->value_len == 0)
                        continue;
                t->n++;
                if (t->fn(rec->key, rec->key_len, rec->value, rec->value_len, t->userdata) != 0)
                        t->stopped = true;
        }
        r = batch.last != 0;
        talloc_free(tmp);
        return r;
}

int ctdb_db_traverse(ctdb_db *db, ctdb_traverse_fn fn, void *userdata) {
        struct db_traverse req;
        struct traverse_state t = { .fn = fn, .userdata = userdata };
        struct db_pending p;
        ctdb_db_client *c;
        int r;

        if (!db || !fn)
                return -EINVAL;
        c = db->client;
        req = (struct db_traverse){ .db_id = db->id };
        r = db_conn_start(c, DB_LOCAL_TRAVERSE, &db_traverse_desc, &req, &p);
        if (r < 0)
                return r;
        /*
         * Every batch is read to the last even after fn said stop, so that the
         * traverse is over in dbd when this returns. The timeout applies per
         * batch: a large database may take longer than it in all.
         */
        do {
                struct db_frame *f = NULL;

                r = db_conn_next(c, &p, &f);
                if (r < 0)
                        break;
                if (f->kind == DB_LOCAL_RECORDS)
                        r = traverse_batch(db, &t, f);
                else if (f->kind == DB_LOCAL_REPLY) {
                        /* A REPLY ends it: dbd's error, or success without more records. */
                        r = db_conn_reply_error(c, f);
                        if (r == 0)
                                r = 1;
                } else
                        r = db_conn_bad_answer(c);
                free(f);
        } while (r == 0);
        db_conn_end(c, &p);
        if (r < 0)
                return r;
        return t.n > INT_MAX ? INT_MAX : (int) t.n;
}
