/*
 * db-tool: drives ctdb-dbd through libctdb-client for the cluster tests, as an
 * application would (fetch-lock in this process, migration through dbd).
 *
 *   db-tool put DB KEY VALUE       fetch-lock, store, unlock
 *   db-tool get DB KEY             fetch-lock (migrates here), print the value
 *   db-tool read DB KEY            ctdb_db_fetch() without migrating
 *   db-tool readro DB KEY          the same, asking for a read-only copy here
 *   db-tool header DB KEY          rsn and dmaster of this node's copy (the file itself)
 *   db-tool lock DB KEY            fetch-lock, print "locked", hold until stdin closes
 *   db-tool fill DB N PREFIX       store PREFIX-i = value-i for i < N
 *   db-tool check DB N PREFIX      read them all back; prints how many differ
 *   db-tool delete DB N PREFIX     delete them
 *   db-tool count DB -             live records of the whole cluster (a traverse through dbd)
 *
 * Exit status 0 on success, 1 on failure (with a message), 2 on usage errors.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <tdb.h>
#include <unistd.h>

#include "ctdb-db.h"
#include "ltdb.h"

static int count_one(const void *key, size_t key_len, const void *value, size_t len, void *userdata) {
        return 0;
}

static int fail(const char *what, int r) {
        fprintf(stderr, "db-tool: %s: %s\n", what, strerror(-r));
        return 1;
}

static int put(ctdb_db *db, const char *key, const char *value) {
        ctdb_record *rec;
        int r = ctdb_db_fetch_lock(db, key, strlen(key), &rec, NULL, NULL);

        if (r < 0)
                return r;
        r = ctdb_record_store(rec, value, strlen(value));
        ctdb_record_unlock(rec);
        return r;
}

static int delete(ctdb_db *db, const char *key) {
        ctdb_record *rec;
        int r = ctdb_db_fetch_lock(db, key, strlen(key), &rec, NULL, NULL);

        if (r < 0)
                return r;
        r = ctdb_record_delete(rec);
        ctdb_record_unlock(rec);
        return r;
}

/* The header of this node's copy, read from the file (opened after the client's handle is closed). */
static int header(const char *path, const char *key) {
        struct tdb_context *tdb = tdb_open(path, 0, 0, O_RDONLY, 0);
        TDB_DATA k = { .dptr = (uint8_t *) key, .dsize = strlen(key) }, d;
        struct ltdb_header h;
        int r;

        if (!tdb)
                return -errno;
        d = tdb_fetch(tdb, k);
        r = d.dptr ? ltdb_header_parse(d.dptr, d.dsize, &h, NULL, NULL) : -ENOENT;
        if (r >= 0)
                printf("rsn=%llu dmaster=%u flags=0x%x\n", (unsigned long long) h.rsn, h.dmaster, h.flags);
        free(d.dptr);
        tdb_close(tdb);
        return r;
}

int main(int argc, char **argv) {
        ctdb_db_client *c;
        ctdb_db *db;
        const char *cmd;
        int r = 0;

        if (argc < 4) {
                fprintf(stderr, "usage: db-tool put|get|read|readro|header|lock|fill|check|delete|count DB "
                                "KEY|N [...]\n");
                return 2;
        }
        cmd = argv[1];
        r = ctdb_db_connect(NULL, &c);
        if (r < 0)
                return fail("connect", r);
        r = ctdb_db_attach(c, argv[2], CTDB_DB_VOLATILE, &db);
        if (r < 0)
                return fail("attach", r);

        if (strcmp(cmd, "put") == 0 && argc == 5) {
                r = put(db, argv[3], argv[4]);
        } else if ((strcmp(cmd, "get") == 0 || strcmp(cmd, "lock") == 0) && argc == 4) {
                ctdb_record *rec;
                void *value;
                size_t len;

                r = ctdb_db_fetch_lock(db, argv[3], strlen(argv[3]), &rec, &value, &len);
                if (r >= 0) {
                        if (strcmp(cmd, "lock") == 0) {
                                char buf[64];

                                printf("locked\n");
                                fflush(stdout);
                                while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
                                        ;
                        } else {
                                printf("%.*s\n", (int) len, value ? (char *) value : "");
                        }
                        free(value);
                        ctdb_record_unlock(rec);
                }
        } else if ((strcmp(cmd, "read") == 0 || strcmp(cmd, "readro") == 0) && argc == 4) {
                void *value;
                size_t len;

                r = ctdb_db_fetch(db, argv[3], strlen(argv[3]), cmd[4] == 'r', &value, &len);
                if (r >= 0)
                        printf("%.*s\n", (int) len, (char *) value);
                if (r >= 0)
                        free(value);
        } else if (strcmp(cmd, "header") == 0 && argc == 4) {
                char *path = strdup(ctdb_db_path(db));

                ctdb_db_close(db);
                db = NULL;
                r = path ? header(path, argv[3]) : -ENOMEM;
                free(path);
        } else if (strcmp(cmd, "count") == 0 && argc == 4) {
                r = ctdb_db_traverse(db, count_one, NULL);
                if (r >= 0)
                        printf("%d\n", r);
        } else if ((strcmp(cmd, "fill") == 0 || strcmp(cmd, "check") == 0 || strcmp(cmd, "delete") == 0) &&
                   argc == 5) {
                long n = strtol(argv[3], NULL, 10);
                long bad = 0;
                char key[256], value[256];

                for (long i = 0; i < n && r >= 0; i++) {
                        snprintf(key, sizeof(key), "%s-%ld", argv[4], i);
                        snprintf(value, sizeof(value), "value-%ld", i);
                        if (cmd[0] == 'f') {
                                r = put(db, key, value);
                        } else if (cmd[0] == 'd') {
                                r = delete(db, key);
                        } else {
                                void *v;
                                size_t len;

                                r = ctdb_db_fetch(db, key, strlen(key), false, &v, &len);
                                if (r >= 0) {
                                        bad += len != strlen(value) || memcmp(v, value, len) != 0;
                                        free(v);
                                } else if (r == -ENOENT) {
                                        bad++;
                                        r = 0;
                                }
                        }
                }
                if (cmd[0] == 'c')
                        printf("%ld\n", bad);
        } else {
                fprintf(stderr, "db-tool: bad arguments for %s\n", cmd);
                return 2;
        }
        if (db)
                ctdb_db_close(db);
        ctdb_db_client_free(c);
        if (r < 0)
                return fail(cmd, r);
        return 0;
}
