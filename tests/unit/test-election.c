/*
 * The election rules of ctdb-clusterd (services/clusterd/clusterd-election.c):
 * simulated clusters where every node sees the others' announcements, run
 * until nothing changes, then the invariants are checked.
 */
#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <talloc.h>

#include "bus-util.h"
#include "clusterd-election.h"
#include "clusterd-recovery.h"
#include "clusterd-wire.h"
#include "ctdb-srvid.h"

#define SIM_MAX 8

/* A simulated cluster: link[i][j] says whether i and j are connected. */
struct sim {
        enum election_backend backend;
        uint32_t n;
        bool deleted[SIM_MAX];
        bool link[SIM_MAX][SIM_MAX];
        uint32_t flags[SIM_MAX];
        uint32_t caps[SIM_MAX];
        uint32_t leader[SIM_MAX];   /* last announced */
        uint32_t vote[SIM_MAX];
        bool quorate[SIM_MAX];
        bool lock_held[SIM_MAX];
        int lock_owner;         /* fcntl: who holds the shared lock file, -1 none */
        bool lock_reachable[SIM_MAX];
        /* generation, by clusterd-recovery.c's rules (used by the step tests) */
        uint32_t gen[SIM_MAX];
        bool members[SIM_MAX][SIM_MAX]; /* a leader's partition when it last bumped the generation */
        bool decided[SIM_MAX];          /* has stepped at least once (a seeded state is no decision) */
};

static void sim_init(struct sim *s, uint32_t n, enum election_backend backend) {
        memset(s, 0, sizeof(*s));
        s->backend = backend;
        s->n = n;
        s->lock_owner = -1;
        for (uint32_t i = 0; i < n; i++) {
                s->caps[i] = CTDB_NODE_CAP_LEADER;
                s->leader[i] = s->vote[i] = CTDB_PNN_NONE;
                s->lock_reachable[i] = true;
                for (uint32_t j = 0; j < n; j++)
                        s->link[i][j] = true;
        }
}

static void sim_cut(struct sim *s, uint32_t a, uint32_t b) {
        s->link[a][b] = s->link[b][a] = false;
}

/* Isolates node a from all others. */
static void sim_isolate(struct sim *s, uint32_t a) {
        for (uint32_t j = 0; j < s->n; j++)
                if (j != a)
                        sim_cut(s, a, j);
}

static struct election_result sim_decide(struct sim *s, uint32_t self) {
        struct election_node nodes[SIM_MAX];
        struct election_input in = {
                .backend = s->backend,
                .self = self,
                .n_nodes = s->n,
                .nodes = nodes,
                .lock_held = s->lock_held[self],
        };
        struct election_result r;

        for (uint32_t i = 0; i < s->n; i++) {
                nodes[i] = (struct election_node) {
                        .deleted = s->deleted[i],
                        .connected = i == self || s->link[self][i],
                        .known = i == self || s->link[self][i],
                        .flags = s->flags[i],
                        .capabilities = s->caps[i],
                        .leader = s->leader[i],
                        .vote = s->vote[i],
                };
        }
        g_assert_cmpint(election_decide(&in, &r), ==, 0);
        return r;
}

/* Node self decides, acts on the lock (the shared file: one owner at most), and decides again if it did. */
static struct election_result sim_decide_and_lock(struct sim *s, uint32_t self) {
        struct election_result r = sim_decide(s, self);

        if (r.lock_action == ELECTION_LOCK_RELEASE) {
                g_assert_true(s->lock_held[self]);
                s->lock_held[self] = false;
                s->lock_owner = -1;
                r = sim_decide(s, self);
        } else if (r.lock_action == ELECTION_LOCK_TRY && s->lock_reachable[self] && s->lock_owner < 0) {
                s->lock_held[self] = true;
                s->lock_owner = (int) self;
                r = sim_decide(s, self);
        }
        return r;
}

/* One round: every node decides on what it saw, acts on the lock, then announces. */
static bool sim_round(struct sim *s) {
        uint32_t leader[SIM_MAX], vote[SIM_MAX];
        bool changed = false;

        for (uint32_t i = 0; i < s->n; i++) {
                struct election_result r;

                if (s->deleted[i])
                        continue;
                r = sim_decide_and_lock(s, i);
                leader[i] = r.leader;
                vote[i] = r.vote;
                s->quorate[i] = r.quorate;
        }
        for (uint32_t i = 0; i < s->n; i++) {
                if (s->deleted[i])
                        continue;
                changed |= s->leader[i] != leader[i] || s->vote[i] != vote[i];
                s->leader[i] = leader[i];
                s->vote[i] = vote[i];
        }
        return changed;
}

/* Runs to a fixed point; also checks that two nodes never both claim leadership. */
static void sim_settle(struct sim *s) {
        for (int round = 0; round < 20; round++) {
                int claimants = 0;

                bool changed = sim_round(s);
                for (uint32_t i = 0; i < s->n; i++)
                        if (!s->deleted[i] && s->leader[i] == i)
                                claimants++;
                g_assert_cmpint(claimants, <=, 1);
                if (!changed && round > 0)
                        return;
        }
        g_assert_not_reached();
}

static void test_quorum_all_up(void) {
        struct sim s;

        sim_init(&s, 3, ELECTION_QUORUM);
        sim_settle(&s);
        for (uint32_t i = 0; i < 3; i++) {
                g_assert_true(s.quorate[i]);
                g_assert_cmpuint(s.leader[i], ==, 0);
        }
}

static void test_quorum_single_node(void) {
        struct sim s;

        sim_init(&s, 1, ELECTION_QUORUM);
        sim_settle(&s);
        g_assert_true(s.quorate[0]);
        g_assert_cmpuint(s.leader[0], ==, 0);
}

static void test_quorum_one_vs_two(void) {
        struct sim s;

        sim_init(&s, 3, ELECTION_QUORUM);
        sim_settle(&s);
        /* The leader (0) ends up alone. */
        sim_isolate(&s, 0);
        sim_settle(&s);
        g_assert_false(s.quorate[0]);
        g_assert_cmpuint(s.leader[0], ==, CTDB_PNN_NONE);
        g_assert_true(s.quorate[1]);
        g_assert_true(s.quorate[2]);
        g_assert_cmpuint(s.leader[1], ==, 1);
        g_assert_cmpuint(s.leader[2], ==, 1);

        /* Healed: the running leader keeps its place although 0 is lower. */
        for (uint32_t j = 1; j < 3; j++)
                s.link[0][j] = s.link[j][0] = true;
        sim_settle(&s);
        for (uint32_t i = 0; i < 3; i++)
                g_assert_cmpuint(s.leader[i], ==, 1);
}

static void test_quorum_minority_never_leads(void) {
        struct sim s;

        /* 5 nodes split 2 / 3 */
        sim_init(&s, 5, ELECTION_QUORUM);
        for (uint32_t a = 0; a < 2; a++)
                for (uint32_t b = 2; b < 5; b++)
                        sim_cut(&s, a, b);
        sim_settle(&s);
        for (uint32_t i = 0; i < 2; i++) {
                g_assert_false(s.quorate[i]);
                g_assert_cmpuint(s.leader[i], ==, CTDB_PNN_NONE);
        }
        for (uint32_t i = 2; i < 5; i++) {
                g_assert_true(s.quorate[i]);
                g_assert_cmpuint(s.leader[i], ==, 2);
        }
}

static void test_quorum_banned_never_leader(void) {
        struct sim s;

        sim_init(&s, 3, ELECTION_QUORUM);
        sim_settle(&s);
        g_assert_cmpuint(s.leader[1], ==, 0);

        s.flags[0] = CTDB_NODE_FLAG_BANNED;
        sim_settle(&s);
        for (uint32_t i = 0; i < 3; i++)
                g_assert_cmpuint(s.leader[i], ==, 1);

        /* Stopped is the same; disabled and unhealthy nodes may lead. */
        s.flags[1] = CTDB_NODE_FLAG_STOPPED;
        s.flags[2] = CTDB_NODE_FLAG_PERMANENTLY_DISABLED | CTDB_NODE_FLAG_UNHEALTHY;
        sim_settle(&s);
        for (uint32_t i = 0; i < 3; i++)
                g_assert_cmpuint(s.leader[i], ==, 2);

        /* Nobody eligible: quorate, but no leader. */
        s.flags[2] = CTDB_NODE_FLAG_BANNED;
        sim_settle(&s);
        for (uint32_t i = 0; i < 3; i++) {
                g_assert_true(s.quorate[i]);
                g_assert_cmpuint(s.leader[i], ==, CTDB_PNN_NONE);
        }
}

static void test_quorum_no_leader_capability(void) {
        struct sim s;

        sim_init(&s, 3, ELECTION_QUORUM);
        s.caps[0] = 0;
        sim_settle(&s);
        for (uint32_t i = 0; i < 3; i++)
                g_assert_cmpuint(s.leader[i], ==, 1);
}

static void test_quorum_two_nodes(void) {
        struct sim s;

        /* Two nodes need each other under quorum: a split leaves neither quorate. */
        sim_init(&s, 2, ELECTION_QUORUM);
        sim_settle(&s);
        g_assert_cmpuint(s.leader[0], ==, 0);
        g_assert_cmpuint(s.leader[1], ==, 0);
        sim_cut(&s, 0, 1);
        sim_settle(&s);
        for (uint32_t i = 0; i < 2; i++) {
                g_assert_false(s.quorate[i]);
                g_assert_cmpuint(s.leader[i], ==, CTDB_PNN_NONE);
        }
}

static void test_quorum_deleted_not_counted(void) {
        struct sim s;

        /* 4 slots, one deleted: N = 3, so 2 connected nodes are a majority. */
        sim_init(&s, 4, ELECTION_QUORUM);
        s.deleted[0] = true;
        sim_isolate(&s, 3);
        sim_settle(&s);
        g_assert_true(s.quorate[1]);
        g_assert_cmpuint(s.leader[1], ==, 1);
        g_assert_cmpuint(s.leader[2], ==, 1);
        g_assert_false(s.quorate[3]);
}

static void test_quorum_two_claimants_higher_yields(void) {
        struct sim s;
        struct election_result r;

        /* After a heal two nodes may both still claim; the higher one yields at once. */
        sim_init(&s, 3, ELECTION_QUORUM);
        s.leader[0] = 0;
        s.leader[2] = 2;
        s.vote[0] = s.vote[1] = 0;
        s.vote[2] = 2;
        r = sim_decide(&s, 2);
        g_assert_false(r.is_leader);
        g_assert_cmpuint(r.vote, ==, 0);
        r = sim_decide(&s, 0);
        g_assert_true(r.is_leader);
}

static void test_quorum_needs_votes(void) {
        struct sim s;
        struct election_result r;

        /* Connected, but the peers have not voted yet: not leader on its own vote. */
        sim_init(&s, 3, ELECTION_QUORUM);
        r = sim_decide(&s, 0);
        g_assert_true(r.quorate);
        g_assert_cmpuint(r.vote, ==, 0);
        g_assert_false(r.is_leader);
}

static void test_fcntl_all_up(void) {
        struct sim s;

        sim_init(&s, 3, ELECTION_FCNTL);
        sim_settle(&s);
        g_assert_cmpint(s.lock_owner, ==, 0);
        for (uint32_t i = 0; i < 3; i++) {
                g_assert_true(s.quorate[i]);
                g_assert_cmpuint(s.leader[i], ==, 0);
        }
}

static void test_fcntl_minority_holder_releases(void) {
        struct sim s;

        sim_init(&s, 3, ELECTION_FCNTL);
        sim_settle(&s);
        g_assert_cmpint(s.lock_owner, ==, 0);

        /* The holder is cut off but still reaches the lock file: it must let go. */
        sim_isolate(&s, 0);
        sim_settle(&s);
        g_assert_false(s.lock_held[0]);
        g_assert_false(s.quorate[0]);
        g_assert_cmpuint(s.leader[0], ==, CTDB_PNN_NONE);
        g_assert_cmpint(s.lock_owner, ==, 1);
        g_assert_cmpuint(s.leader[1], ==, 1);
        g_assert_cmpuint(s.leader[2], ==, 1);
}

static void test_fcntl_minority_never_tries(void) {
        struct sim s;
        struct election_result r;

        sim_init(&s, 5, ELECTION_FCNTL);
        sim_isolate(&s, 0);
        sim_isolate(&s, 1);
        r = sim_decide(&s, 0);
        g_assert_cmpint(r.lock_action, ==, ELECTION_LOCK_NONE);
        g_assert_false(r.quorate);
}

static void test_fcntl_exact_half_lock_decides(void) {
        struct sim s;

        /* 4 nodes split 2 / 2: both halves may try, the lock decides. */
        sim_init(&s, 4, ELECTION_FCNTL);
        for (uint32_t a = 0; a < 2; a++)
                for (uint32_t b = 2; b < 4; b++)
                        sim_cut(&s, a, b);
        /* The second half gets there first. */
        s.lock_reachable[0] = false;
        sim_settle(&s);
        g_assert_cmpint(s.lock_owner, ==, 2);
        g_assert_true(s.quorate[2]);
        g_assert_true(s.quorate[3]);
        g_assert_cmpuint(s.leader[3], ==, 2);
        g_assert_false(s.quorate[0]);
        g_assert_false(s.quorate[1]);
        g_assert_cmpuint(s.leader[0], ==, CTDB_PNN_NONE);

        /* The losing half keeps trying (candidate 0), without taking it from 2. */
        s.lock_reachable[0] = true;
        sim_settle(&s);
        g_assert_cmpint(s.lock_owner, ==, 2);
        g_assert_false(s.lock_held[0]);
}

static void test_fcntl_two_nodes(void) {
        struct sim s;

        sim_init(&s, 2, ELECTION_FCNTL);
        sim_settle(&s);
        g_assert_cmpint(s.lock_owner, ==, 0);

        /* Split: each is exactly half; the holder stays leader, the other is not quorate. */
        sim_cut(&s, 0, 1);
        sim_settle(&s);
        g_assert_cmpint(s.lock_owner, ==, 0);
        g_assert_true(s.quorate[0]);
        g_assert_cmpuint(s.leader[0], ==, 0);
        g_assert_false(s.quorate[1]);
        g_assert_cmpuint(s.leader[1], ==, CTDB_PNN_NONE);

        /* The holder is banned: it lets go and the other half takes over. */
        s.flags[0] = CTDB_NODE_FLAG_BANNED;
        sim_settle(&s);
        g_assert_cmpint(s.lock_owner, ==, 1);
        g_assert_true(s.quorate[1]);
        g_assert_cmpuint(s.leader[1], ==, 1);
        g_assert_false(s.quorate[0]);
}

static void test_fcntl_banned_holder_releases(void) {
        struct sim s;

        sim_init(&s, 3, ELECTION_FCNTL);
        sim_settle(&s);
        g_assert_cmpint(s.lock_owner, ==, 0);
        s.flags[0] = CTDB_NODE_FLAG_BANNED;
        sim_settle(&s);
        g_assert_false(s.lock_held[0]);
        g_assert_cmpint(s.lock_owner, ==, 1);
        for (uint32_t i = 0; i < 3; i++)
                g_assert_cmpuint(s.leader[i], ==, 1);
}

/* ---- step by step: one node decides at a time on the others' last announcements ---- */

static bool sim_is_leader(const struct sim *s, uint32_t i) {
        return !s->deleted[i] && s->leader[i] == i;
}

/*
 * Node i decides on what the others announced last, acts on the lock, and
 * announces at once. Its generation follows clusterd's own recovery rules
 * (clusterd-recovery.c), fed with what node i sees: its partition is its active
 * set, and members[i] is that set when it last started a recovery.
 */
static void sim_step(struct sim *s, uint32_t i) {
        struct election_result r = sim_decide_and_lock(s, i);
        struct recovery_node nodes[SIM_MAX];
        struct recovery_input in = {
                .self = i,
                .n_nodes = s->n,
                .nodes = nodes,
                .generation = s->gen[i],
                .snapshot = s->members[i],
        };

        for (uint32_t j = 0; j < s->n; j++) {
                bool seen = j == i || s->link[i][j];

                nodes[j] = (struct recovery_node) {
                        .active = seen, .connected = seen, .known = seen, .generation = s->gen[j],
                };
        }
        if (r.is_leader) {
                if (recovery_start_reason(&in, !sim_is_leader(s, i))) {
                        s->gen[i] = recovery_next_generation(&in);
                        for (uint32_t j = 0; j < s->n; j++)
                                s->members[i][j] = nodes[j].active;
                }
        } else if (r.leader != CTDB_PNN_NONE) {
                struct recovery_follow f;

                recovery_follow_leader(&in, r.leader, &f);
                if (f.adopt)
                        s->gen[i] = f.generation;
        }
        s->leader[i] = r.leader;
        s->vote[i] = r.vote;
        s->quorate[i] = r.quorate;
        s->decided[i] = true;
}

/* The invariants after every single step: no two leaders that see each other, generations never fall. */
static void sim_check(const struct sim *s, const uint32_t *prev_gen) {
        for (uint32_t i = 0; i < s->n; i++) {
                g_assert_cmpuint(s->gen[i], >=, prev_gen[i]);
                for (uint32_t j = i + 1; j < s->n; j++)
                        if (s->link[i][j] && s->decided[i] && s->decided[j] && sim_is_leader(s, i) &&
                            sim_is_leader(s, j))
                                g_error("nodes %u and %u are both leader in one partition", i, j);
        }
}

/* Steps the nodes in the given order, round after round, until nothing changes; checks after each step. */
static void sim_step_settle(struct sim *s, const uint32_t *order) {
        for (int round = 0; round < 20; round++) {
                bool changed = false;

                for (uint32_t k = 0; k < s->n; k++) {
                        uint32_t i = order[k], prev_gen[SIM_MAX];
                        uint32_t leader = s->leader[i], vote = s->vote[i], gen = s->gen[i];

                        memcpy(prev_gen, s->gen, sizeof(prev_gen));
                        sim_step(s, i);
                        sim_check(s, prev_gen);
                        changed |= leader != s->leader[i] || vote != s->vote[i] || gen != s->gen[i];
                }
                if (!changed)
                        return;
        }
        g_assert_not_reached();
}

static void sim_heal(struct sim *s) {
        for (uint32_t i = 0; i < s->n; i++)
                for (uint32_t j = 0; j < s->n; j++)
                        s->link[i][j] = true;
}

/* 5 nodes: the leader ends up in a 2-node minority, then the cut heals; highest and lowest pnn first. */
static void run_partition_heal(enum election_backend backend, const uint32_t *order) {
        struct sim s;
        uint32_t g0, g1;

        sim_init(&s, 5, backend);
        sim_step_settle(&s, order);
        for (uint32_t i = 0; i < 5; i++) {
                g_assert_cmpuint(s.leader[i], ==, 0);
                g_assert_cmpuint(s.gen[i], ==, s.gen[0]);
        }
        g0 = s.gen[0];
        g_assert_cmpuint(g0, >=, 1);

        for (uint32_t a = 0; a < 2; a++)
                for (uint32_t b = 2; b < 5; b++)
                        sim_cut(&s, a, b);
        sim_step_settle(&s, order);
        for (uint32_t i = 0; i < 2; i++) {
                g_assert_false(s.quorate[i]);
                g_assert_cmpuint(s.leader[i], ==, CTDB_PNN_NONE);
        }
        for (uint32_t i = 2; i < 5; i++) {
                g_assert_cmpuint(s.leader[i], ==, 2);
                g_assert_cmpuint(s.gen[i], >, g0);
        }
        g1 = s.gen[2];

        /* Heal: the running leader (2) keeps its place, and the new members mean a new generation. */
        sim_heal(&s);
        sim_step_settle(&s, order);
        for (uint32_t i = 0; i < 5; i++) {
                g_assert_true(s.quorate[i]);
                g_assert_cmpuint(s.leader[i], ==, 2);
                g_assert_cmpuint(s.gen[i], ==, s.gen[2]);
        }
        g_assert_cmpuint(s.gen[2], >, g1);
}

static void test_steps_partition_heal(void) {
        static const uint32_t up[] = { 0, 1, 2, 3, 4 };
        static const uint32_t down[] = { 4, 3, 2, 1, 0 };
        static const uint32_t mixed[] = { 2, 0, 4, 1, 3 };

        run_partition_heal(ELECTION_QUORUM, up);
        run_partition_heal(ELECTION_QUORUM, down);
        run_partition_heal(ELECTION_QUORUM, mixed);
        run_partition_heal(ELECTION_FCNTL, up);
        run_partition_heal(ELECTION_FCNTL, down);
        run_partition_heal(ELECTION_FCNTL, mixed);
}

/*
 * Two claimants meet: after a heal both 0 and 2 still announce that they lead
 * (as if each had led a side of a split that no backend allows, or an old
 * announcement is still in flight), and node 1 votes for 2. Stepping one node
 * at a time, at no step do both lead; one leader remains (the one with the
 * votes) and its generation is above both old ones.
 */
static void test_steps_two_claimants_meet(void) {
        static const uint32_t orders[][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 } };

        for (size_t o = 0; o < G_N_ELEMENTS(orders); o++) {
                struct sim s;

                sim_init(&s, 3, ELECTION_QUORUM);
                s.leader[0] = s.vote[0] = 0;
                s.leader[2] = s.vote[2] = 2;
                s.vote[1] = 2;
                s.gen[0] = 5;
                s.gen[2] = 7;
                sim_step_settle(&s, orders[o]);
                g_assert_cmpuint(s.leader[0], !=, CTDB_PNN_NONE);
                for (uint32_t i = 0; i < 3; i++) {
                        g_assert_cmpuint(s.leader[i], ==, s.leader[0]);
                        g_assert_cmpuint(s.gen[i], >, 7);
                }
        }
}

/* etcd: node self of three, every link up and every lease alive unless the case says otherwise. */
static void etcd_case(uint32_t self, const bool linked[3], const bool member[3], bool alive, bool held,
                      uint32_t holder, struct election_result *r) {
        struct election_node nodes[3];
        struct election_input in = {
                .backend = ELECTION_ETCD, .self = self, .n_nodes = 3, .nodes = nodes,
                .lock_held = held, .lock_alive = alive, .lock_holder = holder,
        };

        for (uint32_t i = 0; i < 3; i++)
                nodes[i] = (struct election_node) {
                        .connected = linked[i], .known = true, .capabilities = CTDB_NODE_CAP_LEADER,
                        .leader = CTDB_PNN_NONE, .vote = CTDB_PNN_NONE, .member = member[i],
                };
        g_assert_cmpint(election_decide(&in, r), ==, 0);
}

static void test_etcd(void) {
        const bool all[3] = { true, true, true }, cut0[3] = { true, false, false };
        const bool cut0_seen_by_1[3] = { false, true, true }, gone2[3] = { true, true, false };
        struct election_result r;

        /* All up, nobody holds the key: the lowest node campaigns, the others wait. */
        etcd_case(0, all, all, true, false, CTDB_PNN_NONE, &r);
        g_assert_cmpint(r.lock_action, ==, ELECTION_LOCK_TRY);
        g_assert_true(r.quorate);
        etcd_case(1, all, all, true, false, CTDB_PNN_NONE, &r);
        g_assert_cmpint(r.lock_action, ==, ELECTION_LOCK_NONE);
        /* The holder leads in every view. */
        etcd_case(0, all, all, true, true, 0, &r);
        g_assert_true(r.is_leader);
        etcd_case(2, all, all, true, false, 0, &r);
        g_assert_cmpuint(r.leader, ==, 0);

        /* 1 vs 2, all three reach etcd: the holder cut off gives the key up, is not quorate... */
        etcd_case(0, cut0, all, true, true, 0, &r);
        g_assert_cmpint(r.lock_action, ==, ELECTION_LOCK_RELEASE);
        g_assert_false(r.quorate);
        g_assert_cmpuint(r.leader, ==, CTDB_PNN_NONE);
        /* ... the pair is quorate, waits for the key while 0 holds it, then its lowest campaigns. */
        etcd_case(1, cut0_seen_by_1, all, true, false, 0, &r);
        g_assert_true(r.quorate);
        g_assert_cmpuint(r.leader, ==, CTDB_PNN_NONE);
        g_assert_cmpint(r.lock_action, ==, ELECTION_LOCK_TRY);
        etcd_case(1, cut0_seen_by_1, all, true, false, CTDB_PNN_NONE, &r);
        g_assert_cmpint(r.lock_action, ==, ELECTION_LOCK_TRY);
        etcd_case(2, cut0_seen_by_1, all, true, false, CTDB_PNN_NONE, &r);
        g_assert_cmpint(r.lock_action, ==, ELECTION_LOCK_NONE);

        /* A node whose lease expired is gone although its link is up: N is 2 and 1 may lead. */
        etcd_case(1, all, gone2, true, true, 1, &r);
        g_assert_cmpuint(r.n_active, ==, 2);
        g_assert_cmpuint(r.partition, ==, 2);
        g_assert_true(r.is_leader);
        etcd_case(0, all, gone2, true, false, CTDB_PNN_NONE, &r);
        g_assert_cmpint(r.lock_action, ==, ELECTION_LOCK_TRY);

        /* Not reaching etcd within the TTL: no leader, not quorate, the key given up. */
        etcd_case(0, all, all, false, true, 0, &r);
        g_assert_false(r.quorate);
        g_assert_cmpuint(r.leader, ==, CTDB_PNN_NONE);
        g_assert_cmpint(r.lock_action, ==, ELECTION_LOCK_RELEASE);
        etcd_case(1, all, all, false, false, 0, &r);
        g_assert_false(r.quorate);
        g_assert_cmpuint(r.leader, ==, CTDB_PNN_NONE);
}

static void test_bad_input(void) {
        struct election_node nodes[2] = { { .deleted = true }, { 0 } };
        struct election_input in = { .backend = ELECTION_QUORUM, .self = 0, .n_nodes = 2, .nodes = nodes };
        struct election_result r;

        g_assert_cmpint(election_decide(&in, &r), ==, -EINVAL);
        in.self = 2;
        g_assert_cmpint(election_decide(&in, &r), ==, -EINVAL);
        g_assert_cmpint(election_decide(NULL, &r), ==, -EINVAL);
}

static void test_flags_to_string(void) {
        char buf[128];

        g_assert_cmpstr(bus_node_flags_to_string(0, buf, sizeof(buf)), ==, "OK");
        g_assert_cmpstr(bus_node_flags_to_string(CTDB_NODE_FLAG_DISCONNECTED | CTDB_NODE_FLAG_BANNED, buf,
                                                 sizeof(buf)),
                        ==, "DISCONNECTED|BANNED");
        g_assert_cmpstr(
                bus_node_flags_to_string(CTDB_NODE_FLAG_PERMANENTLY_DISABLED | CTDB_NODE_FLAG_UNHEALTHY, buf,
                                         sizeof(buf)),
                ==, "DISABLED|UNHEALTHY");
        g_assert_cmpstr(bus_node_flags_to_string(0x100, buf, sizeof(buf)), ==, "0x100");
        /* Truncation stays NUL-terminated. */
        g_assert_cmpuint(strlen(bus_node_flags_to_string(0x3f, buf, 8)), <, 8);
}

static void test_error_name_is_valid(void) {
        g_assert_true(bus_error_name_is_valid("org.ctdb.Error.InvalidArgs"));
        g_assert_true(bus_error_name_is_valid("a.b"));
        g_assert_true(bus_error_name_is_valid("org.x_1.Y2"));
        g_assert_false(bus_error_name_is_valid(NULL));
        g_assert_false(bus_error_name_is_valid(""));
        g_assert_false(bus_error_name_is_valid("Failed"));
        g_assert_false(bus_error_name_is_valid("org..Failed"));
        g_assert_false(bus_error_name_is_valid(".org.Failed"));
        g_assert_false(bus_error_name_is_valid("org.Failed."));
        g_assert_false(bus_error_name_is_valid("org.1Failed"));
        g_assert_false(bus_error_name_is_valid("org.Fail ed"));
        g_assert_false(bus_error_name_is_valid("org.Fail-ed"));
        g_assert_false(bus_error_name_is_valid("org.\xc3\xa9"));
        {
                char longname[300];

                memset(longname, 'a', sizeof(longname) - 1);
                longname[sizeof(longname) - 1] = '\0';
                longname[1] = '.';
                g_assert_false(bus_error_name_is_valid(longname));
                longname[255] = '\0';
                g_assert_true(bus_error_name_is_valid(longname));
        }
}

/* clusterd's own messages: round trips and hostile input. */
static void test_wire_state_roundtrip(void) {
        uint32_t peers[] = { 1, 2 };
        uint32_t vnnmap[] = { 0, 2 };
        struct clusterd_state_msg in = {
                .pnn = 0, .n_nodes = 3, .flags = CTDB_NODE_FLAG_BANNED, .capabilities = CTDB_NODE_CAP_LEADER,
                .generation = 42, .leader = 0, .vote = 0, .recovering = 1, .ban_left = 7,
                .n_connected = 2, .connected = peers, .n_vnnmap = 2, .vnnmap = vnnmap,
        }, out;
        uint8_t *buf;
        size_t len;

        g_assert_cmpint(wire_inner_pack(NULL, &clusterd_state_desc, &in, &buf, &len), ==, 0);
        g_assert_cmpint(wire_inner_kind(buf, len), ==, CLUSTERD_MSG_STATE);
        g_assert_cmpint(wire_inner_unpack(&clusterd_state_desc, buf, buf, len, &out), >, 0);
        g_assert_cmpuint(out.generation, ==, 42);
        g_assert_cmpuint(out.ban_left, ==, 7);
        g_assert_cmpuint(out.recovering, ==, 1);
        g_assert_cmpuint(out.n_connected, ==, 2);
        g_assert_cmpuint(out.connected[1], ==, 2);
        g_assert_cmpuint(out.n_vnnmap, ==, 2);
        g_assert_cmpuint(out.vnnmap[0], ==, 0);
        g_assert_cmpuint(out.vnnmap[1], ==, 2);
        /* Another kind's description refuses it. */
        struct clusterd_control_msg c;
        g_assert_cmpint(wire_inner_unpack(&clusterd_control_desc, buf, buf, len, &c), ==, -EBADMSG);
        /* Every truncation fails cleanly. */
        for (size_t l = 0; l < len; l++)
                g_assert_cmpint(wire_inner_unpack(&clusterd_state_desc, buf, buf, l, &out), <, 0);
        talloc_free(buf);
}

static void test_wire_control_reply_roundtrip(void) {
        struct clusterd_control_reply_msg in = {
                .id = 9, .op = CLUSTERD_OP_BAN, .status = 22,
                .error_name = (char *) "org.ctdb.Error.InvalidArgs", .error_name_len = 26,
                .message = (char *) "nope", .message_len = 4,
        }, out;
        uint8_t *buf;
        size_t len;

        g_assert_cmpint(wire_inner_pack(NULL, &clusterd_control_reply_desc, &in, &buf, &len), ==, 0);
        g_assert_cmpint(wire_inner_unpack(&clusterd_control_reply_desc, buf, buf, len, &out), >, 0);
        g_assert_cmpuint(out.id, ==, 9);
        g_assert_cmpstr(out.error_name, ==, "org.ctdb.Error.InvalidArgs");
        g_assert_cmpstr(out.message, ==, "nope");
        talloc_free(buf);
}

static void test_wire_hostile_count(void) {
        /* prefix, 33 bytes of fixed fields, then the u32 count of the peer list */
        uint8_t buf[4 + 33 + 4] = { CLUSTERD_MSG_STATE, 0, 0, 0 };
        struct clusterd_state_msg out;
        uint32_t count;

        /* A count within the limit but beyond the bytes sent: refused before anything is allocated. */
        count = CLUSTERD_MAX_NODES;
        for (unsigned k = 0; k < 4; k++)
                buf[sizeof(buf) - 4 + k] = (uint8_t) (count >> (8 * k)); /* little endian */
        g_assert_cmpint(wire_inner_unpack(&clusterd_state_desc, NULL, buf, sizeof(buf), &out), ==,
                        -EBADMSG);
        /* A count above the limit (2^31 peers in a few bytes): refused by the limit. */
        buf[sizeof(buf) - 1] = 0x80;
        g_assert_cmpint(wire_inner_unpack(&clusterd_state_desc, NULL, buf, sizeof(buf), &out), ==, -E2BIG);
        g_assert_cmpint(wire_inner_kind(buf, 1), <, 0);
        g_assert_cmpint(wire_inner_kind(NULL, 0), <, 0);
}

struct dispatched {
        unsigned calls;
        uint32_t src;
        uint32_t op, arg;
};

static int on_dispatched_control(void *userdata, const struct wire_header *h, const void *msg,
                                 const uint8_t *payload, size_t len) {
        const struct clusterd_control_msg *c = msg;
        struct dispatched *d = userdata;

        d->calls++;
        d->src = h->src;
        d->op = c->op;
        d->arg = c->arg;
        return 0;
}

/* Packed into the caller's buffer, dispatched by a {kind, desc, handler} table. */
static void test_wire_pack_into_and_dispatch(void) {
        static const struct wire_handler table[] = {
                { CLUSTERD_MSG_CONTROL, &clusterd_control_desc, on_dispatched_control },
        };
        struct clusterd_control_msg c = { .id = 3, .op = CLUSTERD_OP_BAN, .target = 1, .arg = 30 };
        struct clusterd_state_msg st = { .pnn = 1 };
        struct dispatched d = { 0 };
        uint8_t buf[64];
        int len;

        /* A buffer one byte short is refused, nothing written past it. */
        g_assert_cmpint(wire_inner_pack_into(&clusterd_control_desc, &c, buf,
                                               wire_inner_size(&clusterd_control_desc, &c) - 1),
                        ==, -EMSGSIZE);
        len = wire_inner_pack_into(&clusterd_control_desc, &c, buf, sizeof(buf));
        g_assert_cmpint(len, ==, (int) wire_inner_size(&clusterd_control_desc, &c));
        g_assert_cmpint(wire_inner_dispatch(table, G_N_ELEMENTS(table), NULL, 2, CTDB_SRVID_CLUSTERD, buf, (size_t) len, &d),
                        ==, 0);
        g_assert_cmpuint(d.calls, ==, 1);
        g_assert_cmpuint(d.src, ==, 2);
        g_assert_cmpuint(d.op, ==, CLUSTERD_OP_BAN);
        g_assert_cmpuint(d.arg, ==, 30);
        /* Truncated: malformed, the handler is not called. */
        g_assert_cmpint(
                wire_inner_dispatch(table, G_N_ELEMENTS(table), NULL, 2, CTDB_SRVID_CLUSTERD, buf, (size_t) len - 1, &d), ==,
                -EBADMSG);
        g_assert_cmpint(wire_inner_dispatch(table, G_N_ELEMENTS(table), NULL, 2, CTDB_SRVID_CLUSTERD, buf, 3, &d), ==,
                        -EBADMSG);
        /* A kind the table does not have. */
        len = wire_inner_pack_into(&clusterd_state_desc, &st, buf, sizeof(buf));
        g_assert_cmpint(len, >, 0);
        g_assert_cmpint(wire_inner_dispatch(table, G_N_ELEMENTS(table), NULL, 2, CTDB_SRVID_CLUSTERD, buf, (size_t) len, &d),
                        ==, -ENOMSG);
        g_assert_cmpuint(d.calls, ==, 1);
}

/* ---- the recovery rules (clusterd-recovery.c) ---- */

/* Three slots seen from node 0: all active, connected and known, at generation gen. */
static void rec_init(struct recovery_node nodes[3], struct recovery_input *in, uint32_t gen) {
        for (uint32_t i = 0; i < 3; i++)
                nodes[i] = (struct recovery_node) {
                        .active = true, .connected = true, .known = true, .generation = gen,
                };
        *in = (struct recovery_input) { .self = 0, .n_nodes = 3, .nodes = nodes, .generation = gen };
}

static void test_recovery_start_reason(void) {
        static const bool all[3] = { true, true, true };
        struct recovery_node nodes[3];
        struct recovery_input in;

        rec_init(nodes, &in, 4);
        g_assert_cmpstr(recovery_start_reason(&in, true), ==, "this node became leader");
        /* No snapshot yet: a leader has never recovered this set. */
        g_assert_cmpstr(recovery_start_reason(&in, false), ==, "the set of active nodes changed");
        in.snapshot = all;
        g_assert_null(recovery_start_reason(&in, false));
        nodes[2].active = false;
        g_assert_cmpstr(recovery_start_reason(&in, false), ==, "the set of active nodes changed");
        nodes[2].active = true;
        nodes[1].generation = 9;
        g_assert_cmpstr(recovery_start_reason(&in, false), ==, "a node announced a later generation");
        /* What a disconnected or silent node last said does not count. */
        nodes[1].connected = false;
        g_assert_null(recovery_start_reason(&in, false));
}

static void test_recovery_next_generation(void) {
        struct recovery_node nodes[3];
        struct recovery_input in;

        rec_init(nodes, &in, 4);
        g_assert_cmpuint(recovery_next_generation(&in), ==, 5);
        nodes[2].generation = 11;
        g_assert_cmpuint(recovery_next_generation(&in), ==, 12);
        nodes[2].known = false;
        g_assert_cmpuint(recovery_next_generation(&in), ==, 5);
        /* 0 means "none yet": the wrap-around skips it. */
        in.generation = UINT32_MAX;
        g_assert_cmpuint(recovery_next_generation(&in), ==, 1);
}

static void test_recovery_acknowledged(void) {
        bool snapshot[3] = { true, true, false };
        struct recovery_node nodes[3];
        struct recovery_input in;

        rec_init(nodes, &in, 6);
        in.snapshot = snapshot;
        in.recovery_generation = 6;
        g_assert_false(recovery_acknowledged(&in)); /* not recovering */
        in.recovering = true;
        g_assert_false(recovery_acknowledged(&in)); /* node 1 has not mirrored the recovery */
        nodes[1].recovering = true;
        g_assert_true(recovery_acknowledged(&in)); /* node 2 is not in the snapshot */
        nodes[1].generation = 5;
        g_assert_false(recovery_acknowledged(&in));
        nodes[1].generation = 6;
        nodes[1].connected = false;
        g_assert_false(recovery_acknowledged(&in));
}

static void test_recovery_follow(void) {
        struct recovery_node nodes[3];
        struct recovery_follow f;
        struct recovery_input in;

        rec_init(nodes, &in, 6);
        /* The leader is ahead and recovering: adopt, and a recovery starts here too. */
        nodes[1].generation = 8;
        nodes[1].recovering = true;
        recovery_follow_leader(&in, 1, &f);
        g_assert_true(f.adopt && f.start && f.recovering && !f.finish_previous);
        g_assert_cmpuint(f.generation, ==, 8);
        /* Already mirroring that very recovery: nothing new starts. */
        in.recovering = true;
        in.recovery_generation = 8;
        in.generation = 8;
        recovery_follow_leader(&in, 1, &f);
        g_assert_true(f.adopt && !f.start && !f.finish_previous);
        /* The leader finished: so does this node. */
        nodes[1].recovering = false;
        recovery_follow_leader(&in, 1, &f);
        g_assert_true(f.adopt && !f.recovering && f.finish_previous && !f.start);
        /* A leader behind this node (a returning node's history) is not followed back. */
        in.recovering = false;
        nodes[1].generation = 7;
        recovery_follow_leader(&in, 1, &f);
        g_assert_false(f.adopt);
        g_assert_cmpuint(f.generation, ==, 8);
        /* Nor one that has not announced yet. */
        nodes[1].generation = 9;
        nodes[1].known = false;
        recovery_follow_leader(&in, 1, &f);
        g_assert_false(f.adopt);
}

/* Three slots seen from node 0, all active and running a dbd, VnnMap [0, 1, 2] already set. */
static const uint32_t vnn_all[3] = { 0, 1, 2 };
static const bool snap_all[3] = { true, true, true };

static void rec_init_db(struct recovery_node nodes[3], struct recovery_input *in, uint32_t gen) {
        rec_init(nodes, in, gen);
        for (uint32_t i = 0; i < 3; i++)
                nodes[i].lmaster = true;
        in->snapshot = snap_all;
        in->vnnmap = vnn_all;
        in->n_vnnmap = 3;
}

static void test_recovery_vnnmap(void) {
        struct recovery_node nodes[3];
        struct recovery_input in;
        uint32_t v[3];

        rec_init_db(nodes, &in, 4);
        g_assert_cmpuint(recovery_vnnmap(&in, v), ==, 3);
        g_assert_cmpuint(v[0], ==, 0);
        g_assert_cmpuint(v[1], ==, 1);
        g_assert_cmpuint(v[2], ==, 2);
        /* Only active nodes that run a dbd, in pnn order; this node is one like the others. */
        nodes[0].lmaster = false;
        nodes[1].active = false;
        g_assert_cmpuint(recovery_vnnmap(&in, v), ==, 1);
        g_assert_cmpuint(v[0], ==, 2);
        nodes[2].lmaster = false;
        g_assert_cmpuint(recovery_vnnmap(&in, v), ==, 0);
}

static void test_recovery_vnnmap_differs(void) {
        static const uint32_t v02[2] = { 0, 2 }, v01[2] = { 0, 1 };
        struct recovery_node nodes[3];
        struct recovery_input in;

        rec_init_db(nodes, &in, 4);
        g_assert_false(recovery_vnnmap_differs(&in));
        nodes[1].lmaster = false;
        g_assert_true(recovery_vnnmap_differs(&in)); /* longer than it would be now */
        in.vnnmap = v02;
        in.n_vnnmap = 2;
        g_assert_false(recovery_vnnmap_differs(&in));
        in.vnnmap = v01;
        g_assert_true(recovery_vnnmap_differs(&in)); /* same length, another node */
        nodes[1].lmaster = true;
        in.vnnmap = v02;
        g_assert_true(recovery_vnnmap_differs(&in)); /* shorter than it would be now */
        in.n_vnnmap = 0;
        g_assert_true(recovery_vnnmap_differs(&in));
}

/* A dbd that starts or stops on an active node makes the leader recover. */
static void test_recovery_start_reason_vnnmap(void) {
        struct recovery_node nodes[3];
        struct recovery_input in;

        rec_init_db(nodes, &in, 4);
        g_assert_null(recovery_start_reason(&in, false));
        nodes[2].lmaster = false;
        g_assert_cmpstr(recovery_start_reason(&in, false), ==, "the database map changed");
        /* Inactive nodes never count: the active set changing is the reason then. */
        nodes[2].active = false;
        g_assert_cmpstr(recovery_start_reason(&in, false), ==, "the set of active nodes changed");
        /* No dbd anywhere, none in the map: nothing to do (every cluster without databases). */
        rec_init(nodes, &in, 4);
        in.snapshot = snap_all;
        g_assert_null(recovery_start_reason(&in, false));
        nodes[0].lmaster = true;
        g_assert_cmpstr(recovery_start_reason(&in, false), ==, "the database map changed");
}

static void test_recovery_may_finish(void) {
        struct recovery_node nodes[3];
        struct recovery_input in;

        /* Empty VnnMap: the acknowledgements finish it, as before databases existed. */
        rec_init(nodes, &in, 6);
        in.snapshot = snap_all;
        in.recovery_generation = 6;
        g_assert_false(recovery_may_finish(&in)); /* not recovering */
        in.recovering = true;
        g_assert_false(recovery_may_finish(&in));
        nodes[1].recovering = nodes[2].recovering = true;
        g_assert_true(recovery_may_finish(&in));

        /* With a VnnMap: acknowledged is not enough, RECOVERED is needed as well. */
        in.vnnmap = vnn_all;
        in.n_vnnmap = 3;
        g_assert_false(recovery_may_finish(&in));
        in.db_recovered = true;
        g_assert_true(recovery_may_finish(&in));
        /* Recovered but not acknowledged: only once the acknowledgement deadline passed. */
        nodes[2].recovering = false;
        g_assert_false(recovery_may_finish(&in));
        in.ack_expired = true;
        g_assert_true(recovery_may_finish(&in));
        /* The deadline never stands in for the databases. */
        in.db_recovered = false;
        g_assert_false(recovery_may_finish(&in));
}

static void test_recovery_db_report(void) {
        struct recovery_node nodes[3];
        struct recovery_input in;

        rec_init_db(nodes, &in, 7);
        in.recovery_generation = 7;
        g_assert_cmpint(recovery_db_report(&in, 7, 0), ==, RECOVERY_REPORT_IGNORE); /* not recovering */
        in.recovering = true;
        g_assert_cmpint(recovery_db_report(&in, 7, 0), ==, RECOVERY_REPORT_DONE);
        g_assert_cmpint(recovery_db_report(&in, 7, -EIO), ==, RECOVERY_REPORT_FAILED);
        g_assert_cmpint(recovery_db_report(&in, 7, EIO), ==, RECOVERY_REPORT_FAILED);
        /* A report of an earlier (or unknown later) generation says nothing about this one. */
        g_assert_cmpint(recovery_db_report(&in, 6, 0), ==, RECOVERY_REPORT_IGNORE);
        g_assert_cmpint(recovery_db_report(&in, 6, -EIO), ==, RECOVERY_REPORT_IGNORE);
        g_assert_cmpint(recovery_db_report(&in, 8, 0), ==, RECOVERY_REPORT_IGNORE);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/election/quorum/all-up", test_quorum_all_up);
        g_test_add_func("/election/quorum/single-node", test_quorum_single_node);
        g_test_add_func("/election/quorum/one-vs-two", test_quorum_one_vs_two);
        g_test_add_func("/election/quorum/minority-never-leads", test_quorum_minority_never_leads);
        g_test_add_func("/election/quorum/banned-never-leader", test_quorum_banned_never_leader);
        g_test_add_func("/election/quorum/no-leader-capability", test_quorum_no_leader_capability);
        g_test_add_func("/election/quorum/two-nodes", test_quorum_two_nodes);
        g_test_add_func("/election/quorum/deleted-not-counted", test_quorum_deleted_not_counted);
        g_test_add_func("/election/quorum/two-claimants", test_quorum_two_claimants_higher_yields);
        g_test_add_func("/election/quorum/needs-votes", test_quorum_needs_votes);
        g_test_add_func("/election/fcntl/all-up", test_fcntl_all_up);
        g_test_add_func("/election/fcntl/minority-holder-releases", test_fcntl_minority_holder_releases);
        g_test_add_func("/election/fcntl/minority-never-tries", test_fcntl_minority_never_tries);
        g_test_add_func("/election/fcntl/exact-half-lock-decides", test_fcntl_exact_half_lock_decides);
        g_test_add_func("/election/fcntl/two-nodes", test_fcntl_two_nodes);
        g_test_add_func("/election/fcntl/banned-holder-releases", test_fcntl_banned_holder_releases);
        g_test_add_func("/election/steps/partition-heal", test_steps_partition_heal);
        g_test_add_func("/election/steps/two-claimants-meet", test_steps_two_claimants_meet);
        g_test_add_func("/election/etcd", test_etcd);
        g_test_add_func("/election/bad-input", test_bad_input);
        g_test_add_func("/recovery/start-reason", test_recovery_start_reason);
        g_test_add_func("/recovery/next-generation", test_recovery_next_generation);
        g_test_add_func("/recovery/acknowledged", test_recovery_acknowledged);
        g_test_add_func("/recovery/follow", test_recovery_follow);
        g_test_add_func("/recovery/vnnmap", test_recovery_vnnmap);
        g_test_add_func("/recovery/vnnmap-differs", test_recovery_vnnmap_differs);
        g_test_add_func("/recovery/start-reason-vnnmap", test_recovery_start_reason_vnnmap);
        g_test_add_func("/recovery/may-finish", test_recovery_may_finish);
        g_test_add_func("/recovery/db-report", test_recovery_db_report);
        g_test_add_func("/election/flags-to-string", test_flags_to_string);
        g_test_add_func("/bus-util/error-name-is-valid", test_error_name_is_valid);
        g_test_add_func("/clusterd-wire/state-roundtrip", test_wire_state_roundtrip);
        g_test_add_func("/clusterd-wire/control-reply-roundtrip", test_wire_control_reply_roundtrip);
        g_test_add_func("/clusterd-wire/hostile-count", test_wire_hostile_count);
        g_test_add_func("/clusterd-wire/pack-into-and-dispatch", test_wire_pack_into_and_dispatch);
        return g_test_run();
}
