/*
 * Unit tests of db.sock's frame handling in ctdb-dbd (db/dbd-local.c): a
 * client on a socketpair of a manager without tunneld and bus
 * (db/dbd-testing.h). Answers carry the request's id; a bad or unknown frame
 * closes the client.
 */

#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <talloc.h>
#include <unistd.h>

#include "db-proto.h"
#include "dbd-testing.h"
#include "local-server.h"
#include "log.h"
#include "ltdb.h"

struct fixture {
        char *dir;
        void *ctx;
        sd_event *event;
        dbd_manager *m;
        struct local_client *c;
        int fd; /* the client's end */
};

/* The next frame the client gets, waiting (with a deadline) while the event loop runs. */
static size_t receive(struct fixture *fx, uint8_t *buf, size_t size, struct wire_header *ret) {
        gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

        for (;;) {
                ssize_t n = recv(fx->fd, buf, size, MSG_DONTWAIT);

                if (n > 0) {
                        g_assert_cmpint(wire_header_unpack(buf, WIRE_FRAME_MAX, ret), ==, 0);
                        g_assert_cmpuint(ret->length, ==, (size_t) n);
                        return (size_t) n;
                }
                g_assert_true(n < 0 && errno == EAGAIN);
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                g_assert_cmpint(sd_event_run(fx->event, 10 * 1000), >=, 0);
        }
}

static bool nothing_to_receive(struct fixture *fx) {
        uint8_t b[64];

        (void) sd_event_run(fx->event, 0);
        return recv(fx->fd, b, sizeof(b), MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* Packs msg as a frame of kind with id and hands it to the client's frame handler. */
static int feed(struct fixture *fx, uint16_t kind, uint64_t id, const struct wire_desc *desc,
                const void *msg) {
        struct wire_header h = { .kind = kind, .srvid = id, .src = CTDB_PNN_NONE, .dst = CTDB_PNN_NONE };
        uint8_t buf[1024];
        int len = wire_frame_pack(&h, desc, msg, buf, sizeof(buf));

        g_assert_cmpint(len, >, 0);
        return local_client_feed(fx->c, buf, (size_t) len);
}

static void setup(struct fixture *fx, gconstpointer data) {
        struct wire_hello hello = {
                .magic = WIRE_MAGIC,
                .major = WIRE_VERSION_MAJOR,
                .minor = WIRE_VERSION_MINOR,
                .pnn = CTDB_PNN_NONE,
        };
        struct wire_header h;
        uint8_t buf[256];
        int fds[2];

        /* A new database asks clusterd (absent here) for a recovery, which warns. */
        log_set_max_level(LOG_ERR);
        fx->dir = g_dir_make_tmp("ctdb-test-dbd-local-XXXXXX", NULL);
        g_assert_nonnull(fx->dir);
        fx->ctx = talloc_new(NULL);
        g_assert_cmpint(sd_event_new(&fx->event), >=, 0);
        g_assert_cmpint(dbd_testing_manager_new(fx->ctx, fx->event, fx->dir, 0, 3, &fx->m), ==, 0);
        g_assert_cmpint(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), ==, 0);
        g_assert_cmpint(dbd_testing_add_client(fx->m, fds[0], &fx->c), ==, 0);
        fx->fd = fds[1];

        /* dbd's HELLO names this node, then the client's goes in. */
        receive(fx, buf, sizeof(buf), &h);
        g_assert_cmpuint(h.kind, ==, WIRE_KIND_HELLO);
        g_assert_cmpint(feed(fx, WIRE_KIND_HELLO, 0, &wire_hello_desc, &hello), >=, 0);
}

static void teardown(struct fixture *fx, gconstpointer data) {
        g_autoptr(GDir) d = NULL;
        const char *name;

        talloc_free(fx->ctx);
        sd_event_unref(fx->event);
        close(fx->fd);
        d = g_dir_open(fx->dir, 0, NULL);
        while ((name = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(fx->dir, name, NULL);

                g_assert_cmpint(g_unlink(path), ==, 0);
        }
        g_assert_cmpint(g_rmdir(fx->dir), ==, 0);
        g_free(fx->dir);
}

/* Attaches name as kind; the answer (unpacked onto the fixture's context) carries the request's id. */
static struct db_attach_reply attach(struct fixture *fx, uint64_t id, const char *name, uint32_t kind) {
        struct db_attach a = { .kind = kind, .name = (char *) name, .name_len = (uint32_t) strlen(name) };
        struct db_attach_reply r;
        struct wire_header h;
        uint8_t buf[8192];
        size_t n;

        g_assert_cmpint(feed(fx, DB_LOCAL_ATTACH, id, &db_attach_desc, &a), >=, 0);
        n = receive(fx, buf, sizeof(buf), &h);
        g_assert_cmpuint(h.kind, ==, DB_LOCAL_ATTACH_REPLY);
        g_assert_cmpuint(h.srvid, ==, id);
        g_assert_cmpint(wire_unpack(&db_attach_reply_desc, fx->ctx, buf + WIRE_HEADER_SIZE,
                                    n - WIRE_HEADER_SIZE, &r),
                        >, 0);
        return r;
}

static void test_attach(struct fixture *fx, gconstpointer data) {
        struct db_attach_reply r = attach(fx, 42, "locking.tdb", LTDB_VOLATILE);
        g_autofree char *path = g_build_filename(fx->dir, "locking.tdb.0", NULL);

        g_assert_cmpint(r.error, ==, 0);
        g_assert_cmphex(r.db_id, ==, 0x7a19d84du);
        g_assert_cmphex(r.tdb_flags, ==, (uint32_t) ltdb_tdb_flags(LTDB_VOLATILE));
        g_assert_cmpuint(r.hash_size, ==, LTDB_HASH_SIZE);
        g_assert_cmpstr(r.path, ==, path);
        g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
        g_assert_nonnull(dbd_manager_find_id(fx->m, 0x7a19d84du));
}

/* A second ATTACH of the same name answers the same database. */
static void test_attach_again(struct fixture *fx, gconstpointer data) {
        struct db_attach_reply a = attach(fx, 1, "brlock.tdb", LTDB_VOLATILE);
        struct db_attach_reply b = attach(fx, 2, "brlock.tdb", LTDB_VOLATILE);

        g_assert_cmpint(b.error, ==, 0);
        g_assert_cmphex(b.db_id, ==, a.db_id);
        g_assert_cmphex(b.db_id, ==, 0x4e66c2b2u);
        g_assert_cmpstr(b.path, ==, a.path);
        g_assert_cmpuint(dbd_manager_n_dbs(fx->m), ==, 1);
}

static void test_attach_refused(struct fixture *fx, gconstpointer data) {
        g_assert_cmpint(attach(fx, 1, "a/b", LTDB_VOLATILE).error, ==, EINVAL);
        g_assert_cmpint(attach(fx, 2, "..", LTDB_VOLATILE).error, ==, EINVAL);
        g_assert_cmpint(attach(fx, 3, "x.tdb", LTDB_REPLICATED + 1).error, ==, EINVAL);
        /* Not before a recovery brought the copy up to date (the client tries again). */
        g_assert_cmpint(attach(fx, 4, "x.tdb", LTDB_PERSISTENT).error, ==, EAGAIN);
        g_assert_cmpint(attach(fx, 5, "y.tdb", LTDB_VOLATILE).error, ==, 0);
        g_assert_cmpint(attach(fx, 6, "y.tdb", LTDB_PERSISTENT).error, ==, EEXIST);
        /* An error answer still carries a (empty) path. */
        g_assert_cmpstr(attach(fx, 7, "a/b", LTDB_VOLATILE).path, ==, "");
        /* x.tdb is attached all the same: only its clients wait for the recovery. */
        g_assert_cmpuint(dbd_manager_n_dbs(fx->m), ==, 2);
}

/* MIGRATE and FETCH of a database nobody attached: ENOENT, with the request's id. */
static void test_unknown_database(struct fixture *fx, gconstpointer data) {
        static const uint16_t kinds[] = { DB_LOCAL_MIGRATE, DB_LOCAL_FETCH };

        for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
                struct db_key_req k = { .db_id = 0x1234, .key = (const uint8_t *) "k", .key_len = 1 };
                struct wire_header h;
                uint8_t buf[256];
                struct db_reply r;
                size_t n;

                g_assert_cmpint(feed(fx, kinds[i], 7 + i, &db_key_req_desc, &k), >=, 0);
                n = receive(fx, buf, sizeof(buf), &h);
                g_assert_cmpuint(h.kind, ==, DB_LOCAL_REPLY);
                g_assert_cmpuint(h.srvid, ==, 7 + i);
                g_assert_cmpint(
                        wire_unpack(&db_reply_desc, NULL, buf + WIRE_HEADER_SIZE, n - WIRE_HEADER_SIZE, &r),
                        ==, 4);
                g_assert_cmpint(r.error, ==, ENOENT);
        }
}

/* DELETED is a notice: no answer, the client stays. */
static void test_deleted_no_answer(struct fixture *fx, gconstpointer data) {
        struct db_key_req k = { .db_id = 0x1234, .key = (const uint8_t *) "k", .key_len = 1 };

        g_assert_cmpint(feed(fx, DB_LOCAL_DELETED, 9, &db_key_req_desc, &k), ==, 0);
        g_assert_true(nothing_to_receive(fx));
}

/* The kinds only dbd sends, and kinds nobody sends, close the client. */
static void test_unknown_kind_closes(struct fixture *fx, gconstpointer data) {
        static const uint16_t kinds[] = { DB_LOCAL_ATTACH_REPLY, DB_LOCAL_REPLY,  DB_LOCAL_VALUE,
                                          DB_LOCAL_RECORDS,      WIRE_KIND_HELLO, 99 };
        struct db_reply r = { 0 };

        for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
                g_assert_cmpint(feed(fx, kinds[i], 1, &db_reply_desc, &r), <, 0);
}

/* Every truncation of each request's payload closes the client (and is not answered). */
static void test_truncated_requests(struct fixture *fx, gconstpointer data) {
        struct db_attach a = { .kind = 0, .name = (char *) "t.tdb", .name_len = 5 };
        struct db_key_req k = { .db_id = 0x1234, .key = (const uint8_t *) "key", .key_len = 3 };
        struct db_traverse t = { .db_id = 0x1234 };
        const struct {
                uint16_t kind;
                const struct wire_desc *desc;
                const void *msg;
        } reqs[] = {
                { DB_LOCAL_ATTACH, &db_attach_desc, &a },     { DB_LOCAL_MIGRATE, &db_key_req_desc, &k },
                { DB_LOCAL_FETCH, &db_key_req_desc, &k },     { DB_LOCAL_DELETED, &db_key_req_desc, &k },
                { DB_LOCAL_TRAVERSE, &db_traverse_desc, &t },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(reqs); i++) {
                struct wire_header h = { .kind = reqs[i].kind, .srvid = 5 };
                uint8_t buf[256];
                int len = wire_frame_pack(&h, reqs[i].desc, reqs[i].msg, buf, sizeof(buf));

                g_assert_cmpint(len, >, WIRE_HEADER_SIZE);
                for (int n = WIRE_HEADER_SIZE; n < len; n++) {
                        struct wire_header cut = h;

                        wire_header_finish(&cut, (size_t) n - WIRE_HEADER_SIZE, buf);
                        g_assert_cmpint(local_client_feed(fx->c, buf, (size_t) n), <, 0);
                }
        }
        g_assert_true(nothing_to_receive(fx));
        g_assert_cmpuint(dbd_manager_n_dbs(fx->m), ==, 0);
}

/* A key one byte over DB_KEY_MAX is refused as malformed before dbd looks at it. */
static void test_key_over_limit(struct fixture *fx, gconstpointer data) {
        g_autofree uint8_t *buf = g_malloc0(WIRE_HEADER_SIZE + 12 + DB_KEY_MAX + 1);
        struct wire_header h = { .kind = DB_LOCAL_MIGRATE, .srvid = 1 };
        size_t payload = 12 + DB_KEY_MAX + 1;
        uint32_t len = DB_KEY_MAX + 1;

        /* db_id, flags, key_len (little endian), key */
        for (unsigned i = 0; i < 4; i++)
                buf[WIRE_HEADER_SIZE + 8 + i] = (uint8_t) (len >> (8 * i));
        wire_header_finish(&h, payload, buf);
        g_assert_cmpint(local_client_feed(fx->c, buf, WIRE_HEADER_SIZE + payload), <, 0);
        g_assert_true(nothing_to_receive(fx));
}

#define ADD(name, fn) g_test_add(name, struct fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        ADD("/dbd-local/attach", test_attach);
        ADD("/dbd-local/attach-again", test_attach_again);
        ADD("/dbd-local/attach-refused", test_attach_refused);
        ADD("/dbd-local/unknown-database", test_unknown_database);
        ADD("/dbd-local/deleted-no-answer", test_deleted_no_answer);
        ADD("/dbd-local/unknown-kind-closes", test_unknown_kind_closes);
        ADD("/dbd-local/truncated-requests", test_truncated_requests);
        ADD("/dbd-local/key-over-limit", test_key_over_limit);

        return g_test_run();
}
