/*
 * libctdb-client's database API (client/ctdb-db.c) against a fake ctdb-dbd.
 *
 * The fake runs in a child process: tdb opens a file once per process, and the
 * point is that the client opens the file the daemon holds open, as smbd does.
 * It serves one connection at a time on a SOCK_SEQPACKET socket that the test
 * binds before forking (so connecting needs no wait), answers ATTACH by
 * creating the tdb with CTDB's volatile flags and seeding the records below,
 * MIGRATE by writing the record with dmaster = its pnn under the chain lock,
 * FETCH and TRAVERSE from its own copy. Some keys make it misbehave on
 * purpose. What it saw is counted in shared memory; the child ends when the
 * test closes its control pipe.
 */
#undef NDEBUG

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <talloc.h>
#include <tdb.h>
#include <time.h>
#include <unistd.h>

#include "ctdb-db.h"
#include "db-proto.h"
#include "ltdb.h"
#include "wire.h"

#define WAIT_USEC      (5 * 1000 * 1000) /* generous: a wait never decides a result */
#define SERVER_PNN     2u
#define OTHER_PNN      3u
#define DB_NAME        "test.tdb"
#define TRAVERSE_BATCH 3u /* records per RECORDS batch the fake sends */
#define KEY_MAX        64u
#define FAKE_RECORDS   32u

/* What the fake saw, in memory shared with the test process. */
struct shared {
        unsigned requests[128]; /* by kind */
        unsigned batches;       /* RECORDS frames sent */
        uint32_t fetch_flags;   /* of the last FETCH */
        uint8_t deleted_key[KEY_MAX];
        unsigned deleted_key_len;
        unsigned deleted_record_len; /* the record's length in the file when DELETED came */
        unsigned n_deleted;          /* DELETED requests handled (the fields above written) */
};

struct seed {
        const char *key;
        uint64_t rsn;
        uint32_t dmaster, flags;
        const char *value; /* NULL: header only */
};

/* The fake's file after ATTACH: 8 live records (t0..t4 for traverses), one deleted. */
static const struct seed seeds[] = {
        { "local", 5, SERVER_PNN, 0, "here" },
        { "remote", 6, OTHER_PNN, 0, "stale" },
        { "rocopy", 4, OTHER_PNN, LTDB_REC_RO_HAVE_READONLY, "ro" },
        { "gone", 2, SERVER_PNN, 0, NULL },
        { "t0", 1, 1, 0, "v0" },
        { "t1", 1, 1, 0, "v1" },
        { "t2", 1, 1, 0, "v2" },
        { "t3", 1, 1, 0, "v3" },
        { "t4", 1, 1, 0, "v4" },
};
#define N_LIVE 8

struct fixture {
        char *dir;
        char *path;
        struct shared *sh;
        pid_t pid;
        int ctl; /* write end of the fake's control pipe */
        ctdb_db_client *c;
        ctdb_db *db;
};

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static unsigned shared_get(const unsigned *counter) {
        return __atomic_load_n(counter, __ATOMIC_ACQUIRE);
}

static void shared_inc(unsigned *counter) {
        __atomic_add_fetch(counter, 1, __ATOMIC_RELEASE);
}

/* ---- the fake dbd (child process) ---------------------------------------------- */

struct held {
        bool active, before; /* before: sent ahead of the next request's answer (a late answer) */
        uint16_t kind;
        uint64_t id;
        uint8_t key[KEY_MAX];
        uint32_t key_len;
};

struct fake {
        int listen_fd, ctl, fd;
        const char *dir;
        struct shared *sh;
        struct tdb_context *tdb;
        uint32_t db_id;
        struct held held;
};

static int fake_send(struct fake *f, uint16_t kind, uint64_t id, const struct wire_desc *desc,
                     const void *msg) {
        static uint8_t buf[WIRE_FRAME_MAX];
        struct wire_header h = { .kind = kind, .src = SERVER_PNN, .dst = SERVER_PNN, .srvid = id };
        int n = wire_frame_pack(&h, desc, msg, buf, sizeof(buf));

        if (n < 0)
                return n;
        return send(f->fd, buf, (size_t) n, MSG_NOSIGNAL) == n ? 0 : -errno;
}

static int fake_reply(struct fake *f, uint64_t id, int error) {
        struct db_reply r = { .error = error };

        return fake_send(f, DB_LOCAL_REPLY, id, &db_reply_desc, &r);
}

static void fake_store(struct fake *f, const void *key, size_t key_len, const struct ltdb_header *h,
                       const void *value, size_t len) {
        uint8_t buf[LTDB_HEADER_SIZE + 64];
        TDB_DATA k = { .dptr = (uint8_t *) key, .dsize = key_len };
        TDB_DATA d = { .dptr = buf, .dsize = LTDB_HEADER_SIZE + len };

        g_assert_cmpuint(len, <=, 64);
        ltdb_header_put(h, buf);
        if (len > 0)
                memcpy(buf + LTDB_HEADER_SIZE, value, len);
        g_assert_cmpint(tdb_store(f->tdb, k, d, TDB_REPLACE), ==, 0);
}

static int fake_attach(struct fake *f, uint64_t id, const struct db_attach *a) {
        struct db_attach_reply reply = { .db_id = ltdb_db_id(a->name),
                                         .hash_size = LTDB_HASH_SIZE,
                                         .tdb_flags = (uint32_t) ltdb_tdb_flags(LTDB_VOLATILE) };
        char path[512];

        if (strcmp(a->name, DB_NAME) != 0) {
                reply.error = ENOENT;
                return fake_send(f, DB_LOCAL_ATTACH_REPLY, id, &db_attach_reply_desc, &reply);
        }
        snprintf(path, sizeof(path), "%s/%s.%u", f->dir, a->name, SERVER_PNN);
        if (!f->tdb) {
                f->tdb = tdb_open(path, LTDB_HASH_SIZE, (int) reply.tdb_flags, O_RDWR | O_CREAT, 0600);
                g_assert_nonnull(f->tdb);
                f->db_id = reply.db_id;
                for (size_t i = 0; i < G_N_ELEMENTS(seeds); i++) {
                        const struct seed *s = &seeds[i];
                        struct ltdb_header h = { .rsn = s->rsn, .dmaster = s->dmaster, .flags = s->flags };

                        fake_store(f, s->key, strlen(s->key), &h, s->value, s->value ? strlen(s->value) : 0);
                }
        }
        reply.path = path;
        reply.path_len = (uint32_t) strlen(path);
        return fake_send(f, DB_LOCAL_ATTACH_REPLY, id, &db_attach_reply_desc, &reply);
}

/* What dbd does before it answers MIGRATE: the record is here, dmaster = this node, rsn + 1. */
static int fake_migrate(struct fake *f, uint64_t id, const uint8_t *key, uint32_t key_len) {
        TDB_DATA k = { .dptr = (uint8_t *) key, .dsize = key_len };
        struct ltdb_header h = { 0 };
        const uint8_t *value = NULL;
        size_t len = 0;
        TDB_DATA d;

        if (key_len == 3 && memcmp(key, "eio", 3) == 0)
                return fake_reply(f, id, EIO);
        g_assert_cmpint(tdb_chainlock(f->tdb, k), ==, 0);
        d = tdb_fetch(f->tdb, k);
        if (d.dptr)
                g_assert_cmpint(ltdb_header_parse(d.dptr, d.dsize, &h, &value, &len), ==, 0);
        h.rsn++;
        h.dmaster = SERVER_PNN;
        fake_store(f, key, key_len, &h, value, len);
        free(d.dptr);
        g_assert_cmpint(tdb_chainunlock(f->tdb, k), ==, 0);
        return fake_reply(f, id, 0);
}

static int fake_fetch(struct fake *f, uint64_t id, const struct db_key_req *req) {
        TDB_DATA k = { .dptr = (uint8_t *) req->key, .dsize = req->key_len };
        struct db_value v = { 0 };
        struct ltdb_header h;
        size_t len = 0;
        TDB_DATA d;
        int r;

        f->sh->fetch_flags = req->flags;
        if (req->key_len == 6 && memcmp(req->key, "remote", 6) == 0) {
                v = (struct db_value){
                        .rsn = 7, .dmaster = OTHER_PNN, .value = (const uint8_t *) "fresh", .value_len = 5
                };
                return fake_send(f, DB_LOCAL_VALUE, id, &db_value_desc, &v);
        }
        if (req->key_len == 4 && memcmp(req->key, "late", 4) == 0) {
                v = (struct db_value){ .value = (const uint8_t *) "late-answer", .value_len = 11 };
                return fake_send(f, DB_LOCAL_VALUE, id, &db_value_desc, &v);
        }
        d = tdb_fetch(f->tdb, k);
        if (d.dptr && ltdb_header_parse(d.dptr, d.dsize, &h, &v.value, &len) == 0 && len > 0) {
                v.rsn = h.rsn;
                v.dmaster = h.dmaster;
                v.value_len = (uint32_t) len;
        } else
                v.error = ENOENT;
        r = fake_send(f, DB_LOCAL_VALUE, id, &db_value_desc, &v);
        free(d.dptr);
        return r;
}

struct traverse_collect {
        struct db_record records[FAKE_RECORDS];
        TDB_DATA copies[FAKE_RECORDS];
        unsigned n;
};

static int collect_record(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *userdata) {
        struct traverse_collect *t = userdata;
        struct ltdb_header h;
        const uint8_t *value;
        size_t len;

        if (ltdb_header_parse(data.dptr, data.dsize, &h, &value, &len) < 0 || len == 0)
                return 0;
        g_assert_cmpuint(t->n, <, FAKE_RECORDS);
        t->copies[t->n] = (TDB_DATA){ .dptr = g_memdup2(key.dptr, key.dsize), .dsize = key.dsize };
        t->records[t->n] = (struct db_record){ .rsn = h.rsn,
                                               .dmaster = h.dmaster,
                                               .flags = h.flags,
                                               .key = t->copies[t->n].dptr,
                                               .key_len = (uint32_t) key.dsize,
                                               .value = g_memdup2(value, len),
                                               .value_len = (uint32_t) len };
        t->n++;
        return 0;
}

static int fake_traverse(struct fake *f, uint64_t id) {
        struct traverse_collect t = { .n = 0 };
        unsigned sent = 0;
        int r = 0;

        g_assert_cmpint(tdb_traverse_read(f->tdb, collect_record, &t), >=, 0);
        do {
                unsigned n = t.n - sent < TRAVERSE_BATCH ? t.n - sent : TRAVERSE_BATCH;
                struct db_records batch = { .db_id = f->db_id, .records = t.records + sent, .n_records = n };

                sent += n;
                batch.last = sent == t.n;
                shared_inc(&f->sh->batches);
                r = fake_send(f, DB_LOCAL_RECORDS, id, &db_records_desc, &batch);
        } while (r >= 0 && sent < t.n);
        for (unsigned i = 0; i < t.n; i++) {
                g_free(t.copies[i].dptr);
                g_free((void *) t.records[i].value);
        }
        return r;
}

static void fake_deleted(struct fake *f, const struct db_key_req *req) {
        TDB_DATA k = { .dptr = (uint8_t *) req->key, .dsize = req->key_len };
        TDB_DATA d = tdb_fetch(f->tdb, k);

        g_assert_cmpuint(req->key_len, <=, KEY_MAX);
        memcpy(f->sh->deleted_key, req->key, req->key_len);
        f->sh->deleted_key_len = req->key_len;
        f->sh->deleted_record_len = d.dptr ? (unsigned) d.dsize : 0;
        free(d.dptr);
        shared_inc(&f->sh->n_deleted);
}

static bool key_is(const struct db_key_req *req, const char *s) {
        return req->key_len == strlen(s) && memcmp(req->key, s, req->key_len) == 0;
}

/* Answers a held request: a MIGRATE or a FETCH. */
static int fake_answer_held(struct fake *f) {
        struct db_key_req req = { .db_id = f->db_id, .key = f->held.key, .key_len = f->held.key_len };

        f->held.active = false;
        if (f->held.kind == DB_LOCAL_MIGRATE)
                return fake_migrate(f, f->held.id, f->held.key, f->held.key_len);
        return fake_fetch(f, f->held.id, &req);
}

/*
 * Keys with a purpose: FETCH "garbage" gets a truncated VALUE, "hang" closes
 * the connection, "hold" is never answered, "late" is answered only when the
 * next request comes, before that one's answer; MIGRATE "pair-*" is held until
 * another request comes and answered after it (answers out of order).
 */
static int fake_key_request(struct fake *f, const struct wire_header *h, const struct db_key_req *req) {
        bool hold_late = h->kind == DB_LOCAL_FETCH && key_is(req, "late");
        bool hold_pair = h->kind == DB_LOCAL_MIGRATE && req->key_len > 5 &&
                         memcmp(req->key, "pair-", 5) == 0 && !f->held.active;
        int r;

        if (h->kind == DB_LOCAL_FETCH && key_is(req, "hold"))
                return 0;
        if (h->kind == DB_LOCAL_FETCH && key_is(req, "hang"))
                return -ECONNRESET;
        if (h->kind == DB_LOCAL_FETCH && key_is(req, "garbage")) {
                static const uint8_t junk[3] = { 1, 2, 3 };
                struct wire_header rh = { .kind = DB_LOCAL_VALUE, .srvid = h->srvid };
                uint8_t hdr[WIRE_HEADER_SIZE];
                struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *) junk, sizeof(junk) } };
                struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

                wire_header_finish(&rh, sizeof(junk), hdr);
                return sendmsg(f->fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
        }
        if (hold_late || hold_pair) {
                g_assert_cmpuint(req->key_len, <=, KEY_MAX);
                f->held = (struct held){ .active = true,
                                         .before = hold_late,
                                         .kind = h->kind,
                                         .id = h->srvid,
                                         .key_len = req->key_len };
                memcpy(f->held.key, req->key, req->key_len);
                return 0;
        }
        if (f->held.active && f->held.before) {
                r = fake_answer_held(f);
                if (r < 0)
                        return r;
        }
        if (h->kind == DB_LOCAL_MIGRATE)
                r = fake_migrate(f, h->srvid, req->key, req->key_len);
        else if (h->kind == DB_LOCAL_FETCH)
                r = fake_fetch(f, h->srvid, req);
        else {
                fake_deleted(f, req);
                r = 0;
        }
        if (r >= 0 && f->held.active)
                r = fake_answer_held(f);
        return r;
}

/* One request; negative closes the connection. */
static int fake_frame(struct fake *f, const uint8_t *buf, size_t len) {
        struct wire_header h;
        struct db_attach a;
        struct db_key_req req;
        void *tmp;
        int r;

        g_assert_cmpint(wire_header_unpack(buf, WIRE_FRAME_MAX, &h), ==, 0);
        g_assert_cmpuint(h.length, ==, len);
        buf += WIRE_HEADER_SIZE;
        len -= WIRE_HEADER_SIZE;
        g_assert_cmpuint(h.kind, <, G_N_ELEMENTS(f->sh->requests));
        /* Counted before the answer goes out: a test that has its answer sees the count. */
        shared_inc(&f->sh->requests[h.kind]);
        switch (h.kind) {
        case DB_LOCAL_ATTACH:
                tmp = talloc_new(NULL);
                g_assert_cmpint(wire_unpack(&db_attach_desc, tmp, buf, len, &a), >, 0);
                r = fake_attach(f, h.srvid, &a);
                talloc_free(tmp);
                break;
        case DB_LOCAL_MIGRATE:
        case DB_LOCAL_FETCH:
        case DB_LOCAL_DELETED:
                g_assert_cmpint(wire_unpack(&db_key_req_desc, NULL, buf, len, &req), >, 0);
                g_assert_cmpuint(req.db_id, ==, f->db_id);
                r = fake_key_request(f, &h, &req);
                break;
        case DB_LOCAL_TRAVERSE:
                r = fake_traverse(f, h.srvid);
                break;
        default:
                g_assert_not_reached();
        }
        return r;
}

static bool fake_wait(struct fake *f, int fd) {
        struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = f->ctl, .events = POLLIN } };

        while (poll(p, 2, -1) < 0)
                g_assert_cmpint(errno, ==, EINTR);
        return p[1].revents == 0;
}

static void fake_serve(struct fake *f) {
        static uint8_t buf[WIRE_FRAME_MAX + 1];
        struct wire_hello hello = { .magic = WIRE_MAGIC,
                                    .major = WIRE_VERSION_MAJOR,
                                    .minor = WIRE_VERSION_MINOR,
                                    .pnn = SERVER_PNN,
                                    .n_nodes = 4 };
        struct wire_header h;
        ssize_t n;

        /* HELLO both ways first, the client's first (common/local-server.h). */
        if (!fake_wait(f, f->fd))
                return;
        n = recv(f->fd, buf, sizeof(buf), 0);
        g_assert_cmpint(n, >=, (ssize_t) WIRE_HEADER_SIZE);
        g_assert_cmpint(wire_header_unpack(buf, WIRE_FRAME_MAX, &h), ==, 0);
        g_assert_cmpuint(h.kind, ==, WIRE_KIND_HELLO);
        g_assert_cmpint(fake_send(f, WIRE_KIND_HELLO, 0, &wire_hello_desc, &hello), ==, 0);
        while (fake_wait(f, f->fd)) {
                n = recv(f->fd, buf, sizeof(buf), 0);
                if (n <= 0 || fake_frame(f, buf, (size_t) n) < 0)
                        return;
        }
}

static void fake_main(struct fake *f) {
        while (fake_wait(f, f->listen_fd)) {
                f->fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                g_assert_cmpint(f->fd, >=, 0);
                fake_serve(f);
                close(f->fd);
                f->held.active = false;
        }
        if (f->tdb)
                tdb_close(f->tdb);
}

/* ---- fixture ---------------------------------------------------------------------- */

static void setup(struct fixture *fx, gconstpointer data) {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        int ctl[2], fd;

        fx->dir = g_dir_make_tmp("ctdb-test-client-db-XXXXXX", NULL);
        g_assert_nonnull(fx->dir);
        fx->path = g_build_filename(fx->dir, "db.sock", NULL);
        fx->sh = mmap(NULL, sizeof(*fx->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        g_assert_true(fx->sh != MAP_FAILED);

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpuint(strlen(fx->path), <, sizeof(sun.sun_path));
        strcpy(sun.sun_path, fx->path);
        g_assert_cmpint(bind(fd, (struct sockaddr *) &sun, sizeof(sun)), ==, 0);
        g_assert_cmpint(listen(fd, 4), ==, 0);
        g_assert_cmpint(pipe2(ctl, O_CLOEXEC), ==, 0);

        fx->pid = fork();
        g_assert_cmpint(fx->pid, >=, 0);
        if (fx->pid == 0) {
                struct fake f = { .listen_fd = fd, .ctl = ctl[0], .dir = fx->dir, .sh = fx->sh };

                close(ctl[1]);
                fake_main(&f);
                _exit(0);
        }
        close(fd);
        close(ctl[0]);
        fx->ctl = ctl[1];

        g_assert_cmpint(ctdb_db_connect(fx->path, &fx->c), ==, 0);
        g_assert_cmpint(ctdb_db_attach(fx->c, DB_NAME, CTDB_DB_VOLATILE, &fx->db), ==, 0);
}

static void teardown(struct fixture *fx, gconstpointer data) {
        g_autofree char *file = g_strdup_printf("%s/%s.%u", fx->dir, DB_NAME, SERVER_PNN);
        int status;

        ctdb_db_close(fx->db);
        ctdb_db_client_free(fx->c);
        /* Closing the pipe ends the fake; its exit status says whether its assertions held. */
        close(fx->ctl);
        g_assert_cmpint(waitpid(fx->pid, &status, 0), ==, fx->pid);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        (void) unlink(file);
        g_assert_cmpint(unlink(fx->path), ==, 0);
        g_assert_cmpint(rmdir(fx->dir), ==, 0);
        munmap(fx->sh, sizeof(*fx->sh));
        g_free(fx->path);
        g_free(fx->dir);
}

static unsigned total_requests(struct fixture *fx) {
        unsigned n = 0;

        for (size_t i = 0; i < G_N_ELEMENTS(fx->sh->requests); i++)
                n += shared_get(&fx->sh->requests[i]);
        return n;
}

/* Waits until the fake's counter reaches n (and not beyond). */
static void wait_count(const unsigned *counter, unsigned n) {
        uint64_t deadline = now_usec() + WAIT_USEC;

        while (shared_get(counter) < n) {
                g_assert_cmpuint(now_usec(), <, deadline);
                g_usleep(1000);
        }
        g_assert_cmpuint(shared_get(counter), ==, n);
}

static void assert_value(void *value, size_t len, const char *expect) {
        g_assert_nonnull(value);
        g_assert_cmpmem(value, len, expect, strlen(expect));
        free(value);
}

/* fetch_lock + unlock that must find value without asking dbd. */
static void assert_local_record(struct fixture *fx, const char *key, const char *expect) {
        unsigned before = total_requests(fx);
        ctdb_record *r = NULL;
        void *value = NULL;
        size_t len = 99;

        g_assert_cmpint(ctdb_db_fetch_lock(fx->db, key, strlen(key), &r, &value, &len), ==, 0);
        g_assert_nonnull(r);
        if (expect)
                assert_value(value, len, expect);
        else {
                g_assert_null(value);
                g_assert_cmpuint(len, ==, 0);
        }
        ctdb_record_unlock(r);
        g_assert_cmpuint(total_requests(fx), ==, before);
}

/* ---- tests ------------------------------------------------------------------------ */

/* The reply's id and path are the handle's, the server's pnn is the client's; a second attach shares. */
static void test_attach(struct fixture *fx, gconstpointer data) {
        g_autofree char *file = g_strdup_printf("%s/%s.%u", fx->dir, DB_NAME, SERVER_PNN);
        ctdb_db *again = NULL;

        g_assert_cmpuint(ctdb_db_client_pnn(fx->c), ==, SERVER_PNN);
        g_assert_cmphex(ctdb_db_id(fx->db), ==, ltdb_db_id(DB_NAME));
        g_assert_cmpstr(ctdb_db_path(fx->db), ==, file);
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_ATTACH]), ==, 1);
        /* The file was opened with the daemon's flags: its records read here. */
        assert_local_record(fx, "local", "here");

        g_assert_cmpint(ctdb_db_attach(fx->c, DB_NAME, CTDB_DB_VOLATILE, &again), ==, 0);
        g_assert_true(again == fx->db);
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_ATTACH]), ==, 1);
        ctdb_db_close(again);
        g_assert_cmpint(ctdb_db_attach(fx->c, DB_NAME, CTDB_DB_PERSISTENT, &again), ==, -EEXIST);
}

/* An error in an answer is the call's negative errno; the connection stays usable. */
static void test_error_answer(struct fixture *fx, gconstpointer data) {
        ctdb_db *db = NULL;
        ctdb_record *r = NULL;

        g_assert_cmpint(ctdb_db_attach(fx->c, "nosuch.tdb", CTDB_DB_VOLATILE, &db), ==, -ENOENT);
        g_assert_null(db);
        g_assert_cmpint(ctdb_db_fetch_lock(fx->db, "eio", 3, &r, NULL, NULL), ==, -EIO);
        g_assert_null(r);
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_MIGRATE]), ==, 1);
        assert_local_record(fx, "local", "here");
}

/* A record whose header names this node is locked and read without a request. */
static void test_fetch_lock_local(struct fixture *fx, gconstpointer data) {
        assert_local_record(fx, "local", "here");
        g_assert_cmpuint(total_requests(fx), ==, 1); /* the ATTACH */
}

/* A missing record is migrated once and comes back locked, new (no value). */
static void test_fetch_lock_migrates(struct fixture *fx, gconstpointer data) {
        ctdb_record *r = NULL;
        void *value = (void *) 1;
        size_t len = 99;

        g_assert_cmpint(ctdb_db_fetch_lock(fx->db, "new", 3, &r, &value, &len), ==, 0);
        g_assert_nonnull(r);
        g_assert_null(value);
        g_assert_cmpuint(len, ==, 0);
        ctdb_record_unlock(r);
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_MIGRATE]), ==, 1);
        /* A remote dmaster is migrated too, and the value comes with it. */
        g_assert_cmpint(ctdb_db_fetch_lock(fx->db, "remote", 6, &r, &value, &len), ==, 0);
        assert_value(value, len, "stale");
        ctdb_record_unlock(r);
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_MIGRATE]), ==, 2);
}

/* What is stored under the lock is what the next fetch-lock and fetch read, locally. */
static void test_store_fetch(struct fixture *fx, gconstpointer data) {
        ctdb_record *r = NULL;
        void *value = NULL;
        size_t len = 0;

        g_assert_cmpint(ctdb_db_fetch_lock(fx->db, "new", 3, &r, NULL, NULL), ==, 0);
        g_assert_cmpint(ctdb_record_store(r, "value1", 6), ==, 0);
        ctdb_record_unlock(r);
        assert_local_record(fx, "new", "value1");
        g_assert_cmpint(ctdb_db_fetch(fx->db, "new", 3, false, &value, &len), ==, 0);
        assert_value(value, len, "value1");
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_MIGRATE]), ==, 1);
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_FETCH]), ==, 0);
}

/* Delete leaves a header-only record (still ours) and tells dbd with DELETED. */
static void test_delete(struct fixture *fx, gconstpointer data) {
        ctdb_record *r = NULL;
        void *value = NULL;
        size_t len = 0;

        g_assert_cmpint(ctdb_db_fetch_lock(fx->db, "local", 5, &r, NULL, NULL), ==, 0);
        g_assert_cmpint(ctdb_record_delete(r), ==, 0);
        ctdb_record_unlock(r);
        wait_count(&fx->sh->n_deleted, 1);
        g_assert_cmpmem(fx->sh->deleted_key, fx->sh->deleted_key_len, "local", 5);
        g_assert_cmpuint(fx->sh->deleted_record_len, ==, LTDB_HEADER_SIZE);

        g_assert_cmpint(ctdb_db_fetch(fx->db, "local", 5, false, &value, &len), ==, -ENOENT);
        assert_local_record(fx, "local", NULL);
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_FETCH]), ==, 0);
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_MIGRATE]), ==, 0);
}

/* A record that lives elsewhere is read with FETCH, readonly asks for a read-only copy. */
static void test_fetch_remote(struct fixture *fx, gconstpointer data) {
        void *value = NULL;
        size_t len = 0;

        g_assert_cmpint(ctdb_db_fetch(fx->db, "remote", 6, false, &value, &len), ==, 0);
        assert_value(value, len, "fresh");
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_FETCH]), ==, 1);
        g_assert_cmphex(fx->sh->fetch_flags, ==, 0);
        g_assert_cmpint(ctdb_db_fetch(fx->db, "remote", 6, true, &value, &len), ==, 0);
        assert_value(value, len, "fresh");
        g_assert_cmphex(fx->sh->fetch_flags, ==, DB_FETCH_READONLY);
        /* dbd's ENOENT for a record nowhere. */
        g_assert_cmpint(ctdb_db_fetch(fx->db, "nowhere", 7, false, &value, &len), ==, -ENOENT);
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_FETCH]), ==, 3);
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_MIGRATE]), ==, 0);
}

/* A read-only copy here is read locally. */
static void test_fetch_readonly_copy(struct fixture *fx, gconstpointer data) {
        void *value = NULL;
        size_t len = 0;

        g_assert_cmpint(ctdb_db_fetch(fx->db, "rocopy", 6, true, &value, &len), ==, 0);
        assert_value(value, len, "ro");
        g_assert_cmpuint(total_requests(fx), ==, 1);
}

struct seen {
        unsigned n, stop_at;
        char keys[FAKE_RECORDS][KEY_MAX];
};

static int on_record(const void *key, size_t key_len, const void *value, size_t len, void *userdata) {
        struct seen *s = userdata;

        g_assert_cmpuint(s->n, <, FAKE_RECORDS);
        g_assert_cmpuint(key_len, <, KEY_MAX);
        g_assert_cmpuint(len, >, 0);
        memcpy(s->keys[s->n], key, key_len);
        s->keys[s->n][key_len] = '\0';
        s->n++;
        return s->n == s->stop_at;
}

static bool seen_key(const struct seen *s, const char *key) {
        for (unsigned i = 0; i < s->n; i++)
                if (strcmp(s->keys[i], key) == 0)
                        return true;
        return false;
}

/* Every live record once, over several batches; deleted ones are not live. */
static void test_traverse(struct fixture *fx, gconstpointer data) {
        struct seen s = { 0 };

        g_assert_cmpint(ctdb_db_traverse(fx->db, on_record, &s), ==, N_LIVE);
        g_assert_cmpuint(s.n, ==, N_LIVE);
        g_assert_cmpuint(shared_get(&fx->sh->batches), ==, (N_LIVE + TRAVERSE_BATCH - 1) / TRAVERSE_BATCH);
        g_assert_cmpuint(shared_get(&fx->sh->batches), >, 1);
        for (size_t i = 0; i < G_N_ELEMENTS(seeds); i++)
                g_assert_true(seen_key(&s, seeds[i].key) == (seeds[i].value != NULL));
}

/* fn stops it early; the rest of the batches are read and the connection stays in step. */
static void test_traverse_stop(struct fixture *fx, gconstpointer data) {
        struct seen s = { .stop_at = 2 };
        void *value = NULL;
        size_t len = 0;

        g_assert_cmpint(ctdb_db_traverse(fx->db, on_record, &s), ==, 2);
        g_assert_cmpuint(s.n, ==, 2);
        g_assert_cmpuint(shared_get(&fx->sh->batches), ==, (N_LIVE + TRAVERSE_BATCH - 1) / TRAVERSE_BATCH);
        g_assert_cmpint(ctdb_db_fetch(fx->db, "remote", 6, false, &value, &len), ==, 0);
        assert_value(value, len, "fresh");
        s = (struct seen){ 0 };
        g_assert_cmpint(ctdb_db_traverse(fx->db, on_record, &s), ==, N_LIVE);
}

struct fetch_call {
        ctdb_db *db;
        const char *key;
        int result;
        uint64_t done_usec;
};

static void *fetch_thread(void *userdata) {
        struct fetch_call *call = userdata;
        void *value = NULL;
        size_t len = 0;

        call->result = ctdb_db_fetch(call->db, call->key, strlen(call->key), false, &value, &len);
        call->done_usec = now_usec();
        free(value);
        return NULL;
}

/* dbd closing the socket ends a blocked call at once with -ECONNRESET, and every later one. */
static void test_server_close(struct fixture *fx, gconstpointer data) {
        struct fetch_call blocked = { .db = fx->db, .key = "hold" };
        ctdb_record *r = NULL;
        void *value = NULL;
        size_t len = 0;
        pthread_t t;
        uint64_t start;

        g_assert_cmpint(pthread_create(&t, NULL, fetch_thread, &blocked), ==, 0);
        wait_count(&fx->sh->requests[DB_LOCAL_FETCH], 1);
        start = now_usec();
        g_assert_cmpint(ctdb_db_fetch(fx->db, "hang", 4, false, &value, &len), ==, -ECONNRESET);
        g_assert_cmpint(pthread_join(t, NULL), ==, 0);
        g_assert_cmpint(blocked.result, ==, -ECONNRESET);
        /* "At once": far below the 60 s the calls would otherwise wait. */
        g_assert_cmpuint(blocked.done_usec - start, <, WAIT_USEC);
        g_assert_cmpint(ctdb_db_fetch(fx->db, "remote", 6, false, &value, &len), ==, -ECONNRESET);
        g_assert_cmpint(ctdb_db_fetch_lock(fx->db, "local", 5, &r, NULL, NULL), ==, -ECONNRESET);
        g_assert_cmpint(ctdb_db_traverse(fx->db, on_record, &(struct seen){ 0 }), ==, -ECONNRESET);
}

/* A call gives up after the timeout; its answer coming later is dropped, not taken for another's. */
static void test_timeout_late_answer(struct fixture *fx, gconstpointer data) {
        void *value = NULL;
        size_t len = 0;
        uint64_t start = now_usec();

        ctdb_db_client_set_timeout(fx->c, 100);
        g_assert_cmpint(ctdb_db_fetch(fx->db, "late", 4, false, &value, &len), ==, -ETIMEDOUT);
        g_assert_cmpuint(now_usec() - start, >=, 100 * 1000);
        ctdb_db_client_set_timeout(fx->c, 60 * 1000);
        g_assert_cmpint(ctdb_db_fetch(fx->db, "remote", 6, false, &value, &len), ==, 0);
        assert_value(value, len, "fresh");
}

struct lock_call {
        ctdb_db *db;
        const char *key, *value;
        int result;
};

static void *lock_thread(void *userdata) {
        struct lock_call *call = userdata;
        ctdb_record *r = NULL;

        call->result = ctdb_db_fetch_lock(call->db, call->key, strlen(call->key), &r, NULL, NULL);
        if (call->result == 0) {
                call->result = ctdb_record_store(r, call->value, strlen(call->value));
                ctdb_record_unlock(r);
        }
        return NULL;
}

/* Two threads migrate at once; dbd answers the second first, and each gets its own answer. */
static void test_two_threads_migrate(struct fixture *fx, gconstpointer data) {
        struct lock_call a = { .db = fx->db, .key = "pair-a", .value = "A" };
        struct lock_call b = { .db = fx->db, .key = "pair-b", .value = "B" };
        pthread_t ta, tb;

        /* A lost answer fails within this bound instead of hanging. */
        ctdb_db_client_set_timeout(fx->c, WAIT_USEC / 1000);
        g_assert_cmpint(pthread_create(&ta, NULL, lock_thread, &a), ==, 0);
        g_assert_cmpint(pthread_create(&tb, NULL, lock_thread, &b), ==, 0);
        g_assert_cmpint(pthread_join(ta, NULL), ==, 0);
        g_assert_cmpint(pthread_join(tb, NULL), ==, 0);
        g_assert_cmpint(a.result, ==, 0);
        g_assert_cmpint(b.result, ==, 0);
        g_assert_cmpuint(shared_get(&fx->sh->requests[DB_LOCAL_MIGRATE]), ==, 2);
        assert_local_record(fx, "pair-a", "A");
        assert_local_record(fx, "pair-b", "B");
}

struct locker {
        ctdb_db *db;
        ctdb_record *r;
        void *value;
        size_t len;
        int result;
        bool locked; /* atomic */
};

static void *locker_thread(void *userdata) {
        struct locker *l = userdata;

        l->result = ctdb_db_fetch_lock(l->db, "local", 5, &l->r, &l->value, &l->len);
        __atomic_store_n(&l->locked, true, __ATOMIC_RELEASE);
        if (l->result == 0) {
                l->result = ctdb_record_store(l->r, "B", 1);
                ctdb_record_unlock(l->r);
        }
        return NULL;
}

/* A record one thread holds is not handed to another thread of the process until it is let go. */
static void test_threads_exclude(struct fixture *fx, gconstpointer data) {
        struct locker b = { .db = fx->db };
        ctdb_record *r = NULL;
        uint64_t end;
        pthread_t t;

        g_assert_cmpint(ctdb_db_fetch_lock(fx->db, "local", 5, &r, NULL, NULL), ==, 0);
        g_assert_cmpint(pthread_create(&t, NULL, locker_thread, &b), ==, 0);
        /* A while in which the other thread must stay blocked (tdb alone would let it in). */
        for (end = now_usec() + 50 * 1000; now_usec() < end;) {
                g_assert_false(__atomic_load_n(&b.locked, __ATOMIC_ACQUIRE));
                g_usleep(1000);
        }
        g_assert_cmpint(ctdb_record_store(r, "A", 1), ==, 0);
        ctdb_record_unlock(r);
        g_assert_cmpint(pthread_join(t, NULL), ==, 0);
        g_assert_cmpint(b.result, ==, 0);
        assert_value(b.value, b.len, "A");
        assert_local_record(fx, "local", "B");
        g_assert_cmpuint(total_requests(fx), ==, 1);
}

/* A malformed answer is -EBADMSG, and the connection is not trusted after it. */
static void test_malformed_answer(struct fixture *fx, gconstpointer data) {
        void *value = NULL;
        size_t len = 0;

        g_assert_cmpint(ctdb_db_fetch(fx->db, "garbage", 7, false, &value, &len), ==, -EBADMSG);
        g_assert_null(value);
        g_assert_cmpint(ctdb_db_fetch(fx->db, "remote", 6, false, &value, &len), ==, -EBADMSG);
}

/* Bad arguments never reach dbd. */
static void test_bad_arguments(struct fixture *fx, gconstpointer data) {
        g_autofree uint8_t *big = g_malloc0(DB_KEY_MAX + 1);
        ctdb_record *r = NULL;
        ctdb_db *db = NULL;
        void *value = NULL;
        size_t len = 0;

        g_assert_cmpint(ctdb_db_fetch_lock(fx->db, "", 0, &r, NULL, NULL), ==, -EINVAL);
        g_assert_cmpint(ctdb_db_fetch_lock(fx->db, big, DB_KEY_MAX + 1, &r, NULL, NULL), ==, -E2BIG);
        g_assert_cmpint(ctdb_db_fetch(fx->db, big, DB_KEY_MAX + 1, false, &value, &len), ==, -E2BIG);
        g_assert_cmpint(ctdb_db_attach(fx->c, "a/b", CTDB_DB_VOLATILE, &db), ==, -EINVAL);
        g_assert_cmpint(ctdb_db_attach(fx->c, "x.tdb", (enum ctdb_db_kind) 7, &db), ==, -EINVAL);
        g_assert_cmpint(ctdb_db_fetch_lock(fx->db, "local", 5, &r, NULL, NULL), ==, 0);
        g_assert_cmpint(ctdb_record_store(r, big, DB_VALUE_MAX + 1), ==, -E2BIG);
        ctdb_record_unlock(r);
        g_assert_cmpuint(total_requests(fx), ==, 1);
}

/* No dbd: connect says so. */
static void test_connect_refused(void) {
        g_autofree char *dir = g_dir_make_tmp("ctdb-test-client-db-XXXXXX", NULL);
        g_autofree char *path = g_build_filename(dir, "db.sock", NULL);
        ctdb_db_client *c = NULL;

        g_assert_cmpint(ctdb_db_connect(path, &c), ==, -ENOENT);
        g_assert_null(c);
        g_assert_cmpint(rmdir(dir), ==, 0);
}

#define ADD(name, fn) g_test_add(name, struct fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/client-db/connect-refused", test_connect_refused);
        ADD("/client-db/attach", test_attach);
        ADD("/client-db/error-answer", test_error_answer);
        ADD("/client-db/fetch-lock-local", test_fetch_lock_local);
        ADD("/client-db/fetch-lock-migrates", test_fetch_lock_migrates);
        ADD("/client-db/store-fetch", test_store_fetch);
        ADD("/client-db/delete", test_delete);
        ADD("/client-db/fetch-remote", test_fetch_remote);
        ADD("/client-db/fetch-readonly-copy", test_fetch_readonly_copy);
        ADD("/client-db/traverse", test_traverse);
        ADD("/client-db/traverse-stop", test_traverse_stop);
        ADD("/client-db/server-close", test_server_close);
        ADD("/client-db/timeout-late-answer", test_timeout_late_answer);
        ADD("/client-db/two-threads-migrate", test_two_threads_migrate);
        ADD("/client-db/threads-exclude", test_threads_exclude);
        ADD("/client-db/malformed-answer", test_malformed_answer);
        ADD("/client-db/bad-arguments", test_bad_arguments);
        return g_test_run();
}
