#pragma once

/*
 * The db.sock connection of libctdb-client (internal to client/): requests
 * with an id of ours in header.srvid, and their answers, which dbd may send
 * in any order, handed to the thread that waits for each.
 *
 * Any number of threads may wait at once. One of them at a time reads the
 * socket (the "reader") and queues each answer on the pending request with
 * its id, then wakes everyone; the others wait on the condition variable.
 * When the reader's own answer has come it stops reading and another waiter
 * takes over. An answer whose request gave up (timed out) finds no pending
 * request and is dropped. EOF or a malformed answer breaks the connection for
 * good: every waiting and later request fails at once with that error.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ctdb-db.h"
#include "ltdb.h"
#include "sock-batch.h"
#include "wire.h"

struct db_frame {
        struct db_frame *next;
        uint16_t kind;
        size_t len;
        uint8_t payload[];
};

/* A request waiting for answers; lives on the caller's stack between start and end. */
struct db_pending {
        struct db_pending *next, *prev;
        uint64_t id;
        uint64_t deadline;
        struct db_frame *head, **tail;
        unsigned n_frames;
        int error; /* -ENOBUFS once the queue overflowed */
};

struct ctdb_db_client {
        pthread_mutex_t lock;        /* everything below but fd, pnn, batch and what attach_lock guards */
        pthread_cond_t cond;         /* an answer came, the reader left, or the connection failed */
        pthread_mutex_t attach_lock; /* attach and close: tdb opens a file once per process */
        int fd;
        uint32_t pnn;
        unsigned timeout_msec;
        uint64_t next_id;
        bool reading;
        int error; /* sticky: -ECONNRESET or -EBADMSG once the connection broke */
        struct db_pending *pending;
        struct ctdb_db *dbs;     /* under attach_lock */
        struct sock_batch batch; /* the reader's */
};

/* An attached database (ctdb-db.c); its tdb context is used under lock only. */
struct ctdb_db {
        struct ctdb_db *next, *prev;
        ctdb_db_client *client;
        unsigned n_ref;
        enum ctdb_db_kind kind;
        uint32_t id;
        char *name;
        char *path;
        struct tdb_context *tdb;
        bool exact_chains; /* chain = jenkins(key) % hash size, as tdb computes it */
        uint32_t hash_size;
        pthread_mutex_t lock;       /* the tdb context and the list below */
        pthread_cond_t cond;        /* a chain of locked was let go */
        struct ctdb_record *locked; /* chains this process's threads hold or are taking */
        unsigned n_held;            /* of them, chains whose tdb lock is held */
};

static inline uint64_t db_now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* A condition variable on CLOCK_MONOTONIC, for db_cond_wait_until(). */
int db_cond_init(pthread_cond_t *cond);
/* ETIMEDOUT once deadline (CLOCK_MONOTONIC usec) has passed. */
int db_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *m, uint64_t deadline);

/* The connection's sticky error, 0 while it works. */
int db_conn_error(ctdb_db_client *c);
/* Now plus the client's timeout. */
uint64_t db_conn_deadline(ctdb_db_client *c);
/* A malformed answer: breaks the connection, returns -EBADMSG. */
int db_conn_bad_answer(ctdb_db_client *c);
/* An answer's error field as a negative errno (0 for 0); out of range is malformed. */
int db_conn_answer_error(ctdb_db_client *c, int32_t error);

/*
 * Registers p and sends the request (kind unless desc has its own). The
 * client's timeout runs from here. On failure p is not registered.
 */
int db_conn_start(ctdb_db_client *c, uint16_t kind, const struct wire_desc *desc, const void *msg,
                  struct db_pending *p);
/* The next answer to p (malloc'd, the caller frees it); each answer restarts the timeout. */
int db_conn_next(ctdb_db_client *c, struct db_pending *p, struct db_frame **ret);
/* Unregisters p; answers still to come for it are dropped. */
void db_conn_end(ctdb_db_client *c, struct db_pending *p);
/*
 * start + next + end for a request with one answer, of kind expect or a REPLY
 * (dbd may refuse any request with a plain error, returned as -errno).
 */
int db_conn_call(ctdb_db_client *c, uint16_t kind, const struct wire_desc *desc, const void *msg,
                 uint16_t expect, struct db_frame **ret);
/* db_conn_call() waiting until deadline (CLOCK_MONOTONIC usec; 0: the client timeout; UINT64_MAX: ever). */
int db_conn_call_until(ctdb_db_client *c, uint16_t kind, const struct wire_desc *desc, const void *msg,
                       uint16_t expect, uint64_t deadline, struct db_frame **ret);
/* A request without an answer (its id only keeps every request's srvid distinct). */
int db_conn_send(ctdb_db_client *c, uint16_t kind, const struct wire_desc *desc, const void *msg);
/* A REPLY frame's error as -errno (0 for 0), or -EBADMSG when it does not unpack. */
int db_conn_reply_error(ctdb_db_client *c, const struct db_frame *f);
