/* The g_lock master's lock table, pure; see dbd-glock-queue.h. */

#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "db-proto.h"
#include "dbd-glock-queue.h"
#include "list.h"
#include "ltdb.h"

#define GLOCK_BUCKETS 1024u

struct dbd_glock {
        struct dbd_glock *next, *prev; /* in its bucket */
        struct dbd_glock_entry *queue; /* holders first, then waiters in order */
        struct dbd_glock_entry *tail;
        unsigned n_held;
        unsigned n_waiting;
        bool exclusive; /* held exclusively */
        size_t name_len;
        char name[];
};

struct dbd_glock_table {
        struct dbd_glock_limits limits;
        dbd_glock_grant_fn grant;
        void *userdata;
        bool paused;
        unsigned n_locks;
        struct dbd_glock *buckets[GLOCK_BUCKETS];
};

int dbd_glock_table_new(void *mem_ctx, const struct dbd_glock_limits *limits, dbd_glock_grant_fn grant,
                        void *userdata, struct dbd_glock_table **ret) {
        struct dbd_glock_table *t = talloc_zero(mem_ctx, struct dbd_glock_table);

        if (!t)
                return -ENOMEM;
        t->limits = *limits;
        t->grant = grant;
        t->userdata = userdata;
        *ret = t;
        return 0;
}

static struct dbd_glock **bucket(struct dbd_glock_table *t, const char *name, size_t len) {
        return &t->buckets[ltdb_hash(name, len) % GLOCK_BUCKETS];
}

static struct dbd_glock *lock_find(struct dbd_glock_table *t, const char *name, size_t len) {
        for (struct dbd_glock *l = *bucket(t, name, len); l; l = l->next)
                if (l->name_len == len && memcmp(l->name, name, len) == 0)
                        return l;
        return NULL;
}

static struct dbd_glock *lock_get(struct dbd_glock_table *t, const char *name, size_t len, int *ret_error) {
        struct dbd_glock *l = lock_find(t, name, len), **b;

        if (l)
                return l;
        if (t->n_locks >= t->limits.locks_max) {
                *ret_error = -E2BIG;
                return NULL;
        }
        l = talloc_zero_size(t, sizeof(*l) + len);
        if (!l) {
                *ret_error = -ENOMEM;
                return NULL;
        }
        talloc_set_name_const(l, "struct dbd_glock");
        memcpy(l->name, name, len);
        l->name_len = len;
        b = bucket(t, name, len);
        LIST_PREPEND(*b, l);
        t->n_locks++;
        return l;
}

static void lock_put(struct dbd_glock_table *t, struct dbd_glock *l) {
        if (l->queue)
                return;
        LIST_REMOVE(*bucket(t, l->name, l->name_len), l);
        t->n_locks--;
        talloc_free(l);
}

static struct dbd_glock_entry *entry_find(struct dbd_glock *l, uint32_t pnn, uint32_t pid) {
        for (struct dbd_glock_entry *e = l->queue; e; e = e->next)
                if (e->pnn == pnn && e->pid == pid)
                        return e;
        return NULL;
}

static bool compatible(const struct dbd_glock *l, enum dbd_glock_mode mode) {
        return l->n_held == 0 || (!l->exclusive && mode == DBD_GLOCK_SHARED);
}

/* After the last holder: a new entry that is held goes here, before every waiter. */
static struct dbd_glock_entry *last_holder(struct dbd_glock *l) {
        struct dbd_glock_entry *h = NULL;

        for (struct dbd_glock_entry *e = l->queue; e && e->held; e = e->next)
                h = e;
        return h;
}

static void insert_after(struct dbd_glock *l, struct dbd_glock_entry *after, struct dbd_glock_entry *e) {
        e->lock = l;
        e->prev = after;
        e->next = after ? after->next : l->queue;
        if (e->next)
                e->next->prev = e;
        else
                l->tail = e;
        if (after)
                after->next = e;
        else
                l->queue = e;
}

static void entry_unlink(struct dbd_glock *l, struct dbd_glock_entry *e) {
        if (l->tail == e)
                l->tail = e->prev;
        LIST_REMOVE(l->queue, e);
        if (e->held)
                l->n_held--;
        else
                l->n_waiting--;
        if (l->n_held == 0)
                l->exclusive = false;
}

static void set_held(struct dbd_glock *l, struct dbd_glock_entry *e) {
        l->n_waiting--;
        l->n_held++;
        e->held = true;
        l->exclusive = e->mode == DBD_GLOCK_EXCLUSIVE;
}

/* Grants waiters from the front while each is compatible with the holders; the first that is not stops it.
 */
static void lock_grant(struct dbd_glock_table *t, struct dbd_glock *l) {
        struct dbd_glock_entry *e = last_holder(l);

        if (t->paused)
                return;
        for (e = e ? e->next : l->queue; e && compatible(l, e->mode); e = e->next) {
                set_held(l, e);
                t->grant(t->userdata, l->name, l->name_len, e, 0);
        }
}

static bool name_valid(size_t len) {
        return len > 0 && len <= DB_KEY_MAX;
}

static int entry_add(struct dbd_glock_table *t, const char *name, size_t len, uint32_t pnn, uint32_t pid,
                     uint64_t id, enum dbd_glock_mode mode, struct dbd_glock **ret_lock,
                     struct dbd_glock_entry **ret) {
        struct dbd_glock_entry *e;
        struct dbd_glock *l;
        int r = 0;

        if (!name_valid(len) || (mode != DBD_GLOCK_SHARED && mode != DBD_GLOCK_EXCLUSIVE))
                return -EINVAL;
        l = lock_get(t, name, len, &r);
        if (!l)
                return r;
        if (entry_find(l, pnn, pid))
                return -EDEADLK;
        if (l->n_waiting >= t->limits.waiters_max) {
                lock_put(t, l);
                return -E2BIG;
        }
        e = talloc_zero(l, struct dbd_glock_entry);
        if (!e) {
                lock_put(t, l);
                return -ENOMEM;
        }
        *e = (struct dbd_glock_entry){ .pnn = pnn, .pid = pid, .id = id, .mode = mode };
        insert_after(l, l->tail, e);
        l->n_waiting++;
        *ret_lock = l;
        *ret = e;
        return 0;
}

int dbd_glock_lock(struct dbd_glock_table *t, const char *name, size_t name_len, uint32_t pnn, uint32_t pid,
                   uint64_t id, enum dbd_glock_mode mode) {
        struct dbd_glock_entry *e;
        struct dbd_glock *l;
        int r = entry_add(t, name, name_len, pnn, pid, id, mode, &l, &e);

        if (r < 0)
                return r;
        lock_grant(t, l);
        return 0;
}

static void entry_remove(struct dbd_glock_table *t, struct dbd_glock *l, struct dbd_glock_entry *e) {
        entry_unlink(l, e);
        talloc_free(e);
}

int dbd_glock_unlock(struct dbd_glock_table *t, const char *name, size_t name_len, uint32_t pnn,
                     uint32_t pid, uint64_t id) {
        struct dbd_glock *l = name_valid(name_len) ? lock_find(t, name, name_len) : NULL;
        struct dbd_glock_entry *e = l ? entry_find(l, pnn, pid) : NULL;

        if (!e || (id != 0 && e->id != id))
                return -ENOENT;
        entry_remove(t, l, e);
        lock_grant(t, l);
        lock_put(t, l);
        return 0;
}

/* Removes every entry match() picks, then grants what that let in, lock by lock. */
static unsigned drop_matching(struct dbd_glock_table *t,
                              bool (*match)(const struct dbd_glock_entry *e, const void *arg),
                              const void *arg) {
        unsigned n = 0;

        for (unsigned b = 0; b < GLOCK_BUCKETS; b++) {
                struct dbd_glock *l = t->buckets[b], *next_l;

                for (; l; l = next_l) {
                        struct dbd_glock_entry *e = l->queue, *next;
                        bool dropped = false;

                        next_l = l->next;
                        for (; e; e = next) {
                                next = e->next;
                                if (match(e, arg)) {
                                        entry_remove(t, l, e);
                                        dropped = true;
                                        n++;
                                }
                        }
                        if (dropped) {
                                lock_grant(t, l);
                                lock_put(t, l);
                        }
                }
        }
        return n;
}

struct owner {
        uint32_t pnn, pid;
};

static bool match_owner(const struct dbd_glock_entry *e, const void *arg) {
        const struct owner *o = arg;

        return e->pnn == o->pnn && e->pid == o->pid;
}

static bool match_node(const struct dbd_glock_entry *e, const void *arg) {
        return e->pnn == *(const uint32_t *) arg;
}

struct node_set {
        const uint32_t *pnns;
        uint32_t n;
};

static bool match_outside(const struct dbd_glock_entry *e, const void *arg) {
        const struct node_set *s = arg;

        for (uint32_t i = 0; i < s->n; i++)
                if (s->pnns[i] == e->pnn)
                        return false;
        return true;
}

static bool match_stale(const struct dbd_glock_entry *e, const void *arg) {
        return e->stale && e->pnn == *(const uint32_t *) arg;
}

unsigned dbd_glock_drop_owner(struct dbd_glock_table *t, uint32_t pnn, uint32_t pid) {
        struct owner o = { pnn, pid };

        return drop_matching(t, match_owner, &o);
}

unsigned dbd_glock_drop_node(struct dbd_glock_table *t, uint32_t pnn) {
        return drop_matching(t, match_node, &pnn);
}

unsigned dbd_glock_drop_outside(struct dbd_glock_table *t, const uint32_t *vnnmap, uint32_t n) {
        struct node_set s = { vnnmap, n };

        return drop_matching(t, match_outside, &s);
}

void dbd_glock_pause(struct dbd_glock_table *t, bool paused) {
        t->paused = paused;
        if (paused)
                return;
        for (unsigned b = 0; b < GLOCK_BUCKETS; b++)
                for (struct dbd_glock *l = t->buckets[b]; l; l = l->next)
                        lock_grant(t, l);
}

void dbd_glock_claim_begin(struct dbd_glock_table *t, uint32_t pnn) {
        for (unsigned b = 0; b < GLOCK_BUCKETS; b++)
                for (struct dbd_glock *l = t->buckets[b]; l; l = l->next)
                        for (struct dbd_glock_entry *e = l->queue; e; e = e->next)
                                if (e->pnn == pnn)
                                        e->stale = true;
}

int dbd_glock_claim(struct dbd_glock_table *t, const char *name, size_t name_len, uint32_t pnn, uint32_t pid,
                    uint64_t id, enum dbd_glock_mode mode, bool held) {
        struct dbd_glock *l = name_valid(name_len) ? lock_find(t, name, name_len) : NULL;
        struct dbd_glock_entry *e = l ? entry_find(l, pnn, pid) : NULL;
        int r;

        if (e && e->id == id && e->mode == mode) {
                e->stale = false;
                if (e->held && !held)
                        t->grant(t->userdata, l->name, l->name_len, e, 0);
                if (e->held || !held)
                        return 0;
                /* The node holds what this table has waiting: its grant came from the master before. */
                entry_unlink(l, e);
                l->n_waiting++;
        } else {
                if (e) {
                        /* Another request of the owner than this table knows: the claim is what is true. */
                        entry_remove(t, l, e);
                        lock_put(t, l);
                }
                r = entry_add(t, name, name_len, pnn, pid, id, mode, &l, &e);
                if (r < 0)
                        return r;
                if (!held) {
                        lock_grant(t, l);
                        return 0;
                }
                entry_unlink(l, e);
                l->n_waiting++;
        }
        /* e is unlinked and counted as waiting: a held claim joins the holders if they can share with it. */
        if (!compatible(l, mode)) {
                e->lock = l;
                l->n_waiting--;
                t->grant(t->userdata, l->name, l->name_len, e, -ENOLCK);
                talloc_free(e);
                lock_put(t, l);
                return -ENOLCK;
        }
        insert_after(l, last_holder(l), e);
        set_held(l, e);
        return 0;
}

void dbd_glock_claim_end(struct dbd_glock_table *t, uint32_t pnn) {
        (void) drop_matching(t, match_stale, &pnn);
}

void dbd_glock_table_clear(struct dbd_glock_table *t) {
        for (unsigned b = 0; b < GLOCK_BUCKETS; b++)
                while (t->buckets[b]) {
                        struct dbd_glock *l = t->buckets[b];

                        LIST_REMOVE(t->buckets[b], l);
                        talloc_free(l);
                }
        t->n_locks = 0;
}

int dbd_glock_foreach(struct dbd_glock_table *t, dbd_glock_each_fn fn, void *userdata) {
        for (unsigned b = 0; b < GLOCK_BUCKETS; b++)
                for (struct dbd_glock *l = t->buckets[b]; l; l = l->next)
                        for (struct dbd_glock_entry *e = l->queue; e; e = e->next) {
                                int r = fn(userdata, l->name, l->name_len, e);

                                if (r != 0)
                                        return r;
                        }
        return 0;
}

unsigned dbd_glock_n_locks(const struct dbd_glock_table *t) {
        return t->n_locks;
}
