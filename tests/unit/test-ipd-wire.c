/*
 * Unit tests of ctdb-ipd's node-to-node messages (services/ipd/ipd-wire.h,
 * IPD_MSG_KINDS): each kind with every field set round-trips field by field,
 * every truncation is refused, each count and length one over its limit is
 * -E2BIG; struct ipd_wire_ip's family and prefix are checked. Then what the
 * messages do to the testing manager (ipd_manager_new_testing(): no tunneld,
 * bus, kernel or clusterd): STATEs build the cluster's address list and its
 * holders, CONNS are kept for what this node does not hold, stale answers are
 * ignored, and the plan puts each address on a node that offers it.
 */

#undef NDEBUG

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <talloc.h>

#include "config.h"
#include "ctdb-node.h"
#include "ipd-internal.h"
#include "ipd-wire.h"
#include "talloc-util.h"
#include "wire-cases.h"
#include "wire.h"

/* ---- samples: one message of each kind with every field set -------------------- */

#define IP4(a, b, c, d, prefix)                                             \
        {                                                                   \
                .family = 4, .prefixlen = (prefix), .bytes = { a, b, c, d } \
        }
#define IP6_DB8(last, prefix)                                                                          \
        {                                                                                              \
                .family = 6, .prefixlen = (prefix), .bytes = { 0x20, 0x01, 0x0d, 0xb8, [15] = (last) } \
        }

static struct ipd_wire_addr sample_addrs[] = {
        { .ip = IP4(10, 0, 0, 1, 24), .flags = IPD_ADDR_AVAILABLE | IPD_ADDR_HELD },
        { .ip = IP6_DB8(0x10, 64), .flags = IPD_ADDR_AVAILABLE },
        { .ip = IP4(192, 0, 2, 9, 32), .flags = IPD_ADDR_HELD | IPD_ADDR_STUCK },
};
static const struct ipd_state_msg sample_state = {
        .pnn = 2,
        .seq = 0x01020304,
        .n_addrs = 3,
        .addrs = sample_addrs,
};

static struct ipd_wire_assign sample_assign[] = {
        { .ip = IP4(10, 0, 0, 1, 24), .pnn = 1 },
        { .ip = IP6_DB8(0x10, 64), .pnn = CTDB_PNN_NONE },
};
static const struct ipd_run_msg sample_run = {
        .id = 7,
        .phase = IPD_PHASE_TAKE,
        .generation = 0x0a0b0c0d,
        .n_assign = 2,
        .assign = sample_assign,
};

static const struct ipd_run_reply_msg sample_run_reply = {
        .id = 7,
        .phase = IPD_PHASE_RELEASE,
        .status = EIO,
        .message = (char *) "eth1: no carrier",
        .message_len = 16,
};

static struct ipd_wire_conn sample_conn_list[] = {
        { .family = 4,
          .client_port = 40001,
          .server_port = 445,
          .client = { 192, 0, 2, 7 },
          .server = { 10, 0, 0, 1 } },
        { .family = 6,
          .client_port = 65535,
          .server_port = 2049,
          .client = { 0x20, 0x01, [15] = 7 },
          .server = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 } },
};
static const struct ipd_conns_msg sample_conns = {
        .ip = IP4(10, 0, 0, 1, 24),
        .n_conns = 2,
        .conns = sample_conn_list,
};

static const struct ipd_request_msg sample_request = {
        .id = 11,
        .op = IPD_OP_MOVE,
        .ip = IP6_DB8(0x10, 64),
        .pnn = 2,
};

static const struct ipd_reply_msg sample_reply = {
        .id = 11,
        .status = EBUSY,
        .error_name = (char *) "org.ctdb.Error.Busy",
        .error_name_len = 19,
        .message = (char *) "a run is in flight",
        .message_len = 18,
};

/* ---- field-by-field comparisons ------------------------------------------------- */

static void check_ip(const struct ipd_wire_ip *w, const struct ipd_wire_ip *g) {
        g_assert_cmpuint(g->family, ==, w->family);
        g_assert_cmpuint(g->prefixlen, ==, w->prefixlen);
        g_assert_cmpmem(g->bytes, sizeof(g->bytes), w->bytes, sizeof(w->bytes));
}

static void check_state(const void *want, const void *got) {
        const struct ipd_state_msg *w = want, *g = got;

        g_assert_cmpuint(g->pnn, ==, w->pnn);
        g_assert_cmphex(g->seq, ==, w->seq);
        g_assert_cmpuint(g->n_addrs, ==, w->n_addrs);
        for (uint32_t i = 0; i < w->n_addrs; i++) {
                check_ip(&w->addrs[i].ip, &g->addrs[i].ip);
                g_assert_cmphex(g->addrs[i].flags, ==, w->addrs[i].flags);
        }
}

static void check_run(const void *want, const void *got) {
        const struct ipd_run_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->phase, ==, w->phase);
        g_assert_cmphex(g->generation, ==, w->generation);
        g_assert_cmpuint(g->n_assign, ==, w->n_assign);
        for (uint32_t i = 0; i < w->n_assign; i++) {
                check_ip(&w->assign[i].ip, &g->assign[i].ip);
                g_assert_cmphex(g->assign[i].pnn, ==, w->assign[i].pnn);
        }
}

static void check_run_reply(const void *want, const void *got) {
        const struct ipd_run_reply_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->phase, ==, w->phase);
        g_assert_cmpuint(g->status, ==, w->status);
        g_assert_cmpuint(g->message_len, ==, w->message_len);
        g_assert_cmpstr(g->message, ==, w->message);
}

static void check_conns(const void *want, const void *got) {
        const struct ipd_conns_msg *w = want, *g = got;

        check_ip(&w->ip, &g->ip);
        g_assert_cmpuint(g->flags, ==, w->flags);
        g_assert_cmpuint(g->n_conns, ==, w->n_conns);
        for (uint32_t i = 0; i < w->n_conns; i++) {
                g_assert_cmpuint(g->conns[i].family, ==, w->conns[i].family);
                g_assert_cmpuint(g->conns[i].client_port, ==, w->conns[i].client_port);
                g_assert_cmpuint(g->conns[i].server_port, ==, w->conns[i].server_port);
                g_assert_cmpmem(g->conns[i].client, 16, w->conns[i].client, 16);
                g_assert_cmpmem(g->conns[i].server, 16, w->conns[i].server, 16);
        }
}

static void check_request(const void *want, const void *got) {
        const struct ipd_request_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->op, ==, w->op);
        check_ip(&w->ip, &g->ip);
        g_assert_cmpuint(g->pnn, ==, w->pnn);
}

static void check_reply(const void *want, const void *got) {
        const struct ipd_reply_msg *w = want, *g = got;

        g_assert_cmpuint(g->id, ==, w->id);
        g_assert_cmpuint(g->status, ==, w->status);
        g_assert_cmpuint(g->error_name_len, ==, w->error_name_len);
        g_assert_cmpstr(g->error_name, ==, w->error_name);
        g_assert_cmpuint(g->message_len, ==, w->message_len);
        g_assert_cmpstr(g->message, ==, w->message);
}

/* ---- the kinds ------------------------------------------------------------------ */

/* The offsets pin the layout: little endian, packed, an address is family, prefix and 16 bytes. */
#define WIRE_IP_SIZE 18u

static const struct wire_case cases[] = {
        { "STATE",
          IPD_MSG_STATE,
          &ipd_state_desc,
          &sample_state,
          check_state,
          true,
          { { 8, IPD_MAX_ADDRESSES } } },
        { "RUN", IPD_MSG_RUN, &ipd_run_desc, &sample_run, check_run, true, { { 12, IPD_MAX_ADDRESSES } } },
        { "RUN_REPLY",
          IPD_MSG_RUN_REPLY,
          &ipd_run_reply_desc,
          &sample_run_reply,
          check_run_reply,
          true,
          { { 12, IPD_MAX_MESSAGE } } },
        { "CONNS",
          IPD_MSG_CONNS,
          &ipd_conns_desc,
          &sample_conns,
          check_conns,
          true,
          { { WIRE_IP_SIZE + 4, IPD_MAX_CONNS } } },
        { "REQUEST", IPD_MSG_REQUEST, &ipd_request_desc, &sample_request, check_request, true, { { 0 } } },
        { "REPLY",
          IPD_MSG_REPLY,
          &ipd_reply_desc,
          &sample_reply,
          check_reply,
          true,
          { { 8, IPD_MAX_MESSAGE }, { 12 + 19, IPD_MAX_MESSAGE } },
          /* Its first string, when the second fails (see wire_unpack()). */
          .may_leave = 1 },
};

static void test_kinds_listed(void) {
        g_assert_null(ipd_msg_desc_by_kind(0));
        g_assert_null(ipd_msg_desc_by_kind(G_N_ELEMENTS(cases) + 1));
        g_assert_cmpstr(ipd_msg_kind_to_string(0), ==, "unknown");
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_assert_true(ipd_msg_desc_by_kind(cases[i].kind) == cases[i].desc);
                g_assert_cmpuint(cases[i].desc->kind, ==, cases[i].kind);
                g_assert_cmpstr(ipd_msg_kind_to_string(cases[i].kind), ==, cases[i].name);
        }
}

/* A STATE of IPD_MAX_ADDRESSES goes through; one more is refused to pack. */
static void test_state_at_limit(void) {
        void *ctx = talloc_new(NULL);
        struct ipd_state_msg s = { .pnn = 1, .n_addrs = IPD_MAX_ADDRESSES }, got;
        uint8_t *buf;
        size_t len;

        s.addrs = talloc_zero_array(ctx, struct ipd_wire_addr, IPD_MAX_ADDRESSES + 1);
        g_assert_nonnull(s.addrs);
        for (uint32_t i = 0; i <= IPD_MAX_ADDRESSES; i++)
                s.addrs[i] =
                        (struct ipd_wire_addr){ .ip = IP4(10, 1, i >> 8, i & 0xff, 16), .flags = i % 8 };
        g_assert_cmpint(wire_inner_pack(ctx, &ipd_state_desc, &s, &buf, &len), ==, 0);
        g_assert_cmpint(wire_inner_unpack(&ipd_state_desc, ctx, buf, len, &got), ==,
                        (int) (len - WIRE_INNER_PREFIX_SIZE));
        check_state(&s, &got);

        s.n_addrs = IPD_MAX_ADDRESSES + 1;
        g_assert_cmpint(wire_inner_pack(ctx, &ipd_state_desc, &s, &buf, &len), ==, -EINVAL);
        talloc_free(ctx);
}

/* A count the bytes cannot hold is refused before anything is allocated for it. */
static void test_state_count_beyond_bytes(void) {
        void *ctx = talloc_new(NULL);
        struct ipd_state_msg got;
        uint8_t *buf;
        size_t len;

        g_assert_cmpint(wire_inner_pack(ctx, &ipd_state_desc, &sample_state, &buf, &len), ==, 0);
        wire_case_put_u32(buf + WIRE_INNER_PREFIX_SIZE + 8, IPD_MAX_ADDRESSES);
        g_assert_cmpint(wire_inner_unpack(&ipd_state_desc, ctx, buf, len, &got), ==, -EBADMSG);
        g_assert_cmpuint(talloc_total_blocks(ctx), ==, 2);
        talloc_free(ctx);
}

/* ---- struct ipd_wire_ip ----------------------------------------------------------- */

static void test_ip_round_trip(void) {
        const char *const addrs[] = { "203.0.113.10/24", "10.0.0.1/32", "2001:db8::10/64", "::1/128",
                                      "0.0.0.0/1" };

        for (size_t i = 0; i < G_N_ELEMENTS(addrs); i++) {
                struct ctdb_ip a, b;
                struct ipd_wire_ip w;

                g_assert_cmpint(ctdb_ip_prefix_from_string(addrs[i], &a, NULL), ==, 0);
                ipd_wire_ip_set(&w, &a);
                g_assert_cmpuint(w.family, ==, a.family == AF_INET6 ? 6 : 4);
                g_assert_cmpuint(w.prefixlen, ==, a.prefixlen);
                g_assert_cmpint(ipd_wire_ip_get(&w, &b), ==, 0);
                g_assert_true(ctdb_ip_equal(&a, &b));
                g_assert_cmpuint(b.prefixlen, ==, a.prefixlen);
        }
}

static void test_ip_bad(void) {
        static const struct ipd_wire_ip bad[] = {
                { .family = 0, .prefixlen = 24 },       { .family = 5, .prefixlen = 24 },
                { .family = AF_INET, .prefixlen = 24 }, /* the socket's family, not the wire's */
                { .family = 4, .prefixlen = 33 },       { .family = 6, .prefixlen = 129 },
                { .family = 4, .prefixlen = 255 },
        };
        struct ctdb_ip kept = { .family = AF_INET, .prefixlen = 7 }, ip;

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                ip = kept;
                g_assert_cmpint(ipd_wire_ip_get(&bad[i], &ip), ==, -EBADMSG);
                /* Nothing written on failure. */
                g_assert_cmpuint(ip.prefixlen, ==, 7);
        }
        g_assert_cmpint(ipd_wire_ip_get(&(struct ipd_wire_ip){ .family = 4, .prefixlen = 32 }, &ip), ==, 0);
        g_assert_cmpint(ipd_wire_ip_get(&(struct ipd_wire_ip){ .family = 6, .prefixlen = 128 }, &ip), ==, 0);
        g_assert_cmpint(ip.family, ==, AF_INET6);
}

/* ---- through the testing manager ------------------------------------------------- */

struct fixture {
        void *ctx;
        sd_event *event;
        ipd_manager *m;
};

static void fixture_setup(struct fixture *f, uint32_t n_nodes) {
        struct ctdb_config *config;

        f->ctx = talloc_new(NULL);
        g_assert_nonnull(f->ctx);
        g_assert_cmpint(sd_event_new(&f->event), >=, 0);
        g_assert_cmpint(ctdb_config_defaults(f->ctx, &config), ==, 0);
        g_assert_cmpint(ipd_manager_new_testing(f->ctx, f->event, config, 0, n_nodes, &f->m), ==, 0);
}

static void fixture_teardown(struct fixture *f) {
        talloc_free(f->ctx);
        sd_event_unref(f->event);
}

/* What a peer's ipd sends: msg of desc from src, as the tunnel hands it over. */
static int receive(struct fixture *f, uint32_t src, const struct wire_desc *desc, const void *msg) {
        _cleanup_talloc_ uint8_t *buf = NULL;
        size_t len;

        g_assert_cmpint(wire_inner_pack(NULL, desc, msg, &buf, &len), ==, 0);
        return ipd_manager_receive(f->m, src, buf, len);
}

static struct ctdb_ip ip_of(const char *s) {
        struct ctdb_ip a;

        g_assert_cmpint(ctdb_ip_prefix_from_string(s, &a, NULL), ==, 0);
        return a;
}

static struct ipd_wire_addr waddr(const char *s, uint32_t flags) {
        struct ipd_wire_addr w = { .flags = flags };
        struct ctdb_ip a = ip_of(s);

        ipd_wire_ip_set(&w.ip, &a);
        return w;
}

static int send_state(struct fixture *f, uint32_t src, uint32_t pnn, uint32_t seq,
                      struct ipd_wire_addr *addrs, uint32_t n) {
        struct ipd_state_msg s = { .pnn = pnn, .seq = seq, .n_addrs = n, .addrs = addrs };

        return receive(f, src, &ipd_state_desc, &s);
}

static struct ipd_addr *find(struct fixture *f, const char *s) {
        struct ctdb_ip a = ip_of(s);

        return ipd_addr_find(f->m, &a);
}

/* A STATE from node 1 puts its addresses in the list; the one it holds has holder 1. */
static void test_state_adds(void) {
        struct fixture f;
        struct ipd_wire_addr addrs[] = {
                waddr("10.0.0.2/24", IPD_ADDR_AVAILABLE),
                waddr("10.0.0.1/24", IPD_ADDR_AVAILABLE | IPD_ADDR_HELD),
        };

        fixture_setup(&f, 3);
        g_assert_cmpuint(f.m->n_addrs, ==, 0);
        g_assert_cmpint(send_state(&f, 1, 1, 1, addrs, 2), ==, 0);
        g_assert_true(f.m->peers[1].known);
        g_assert_cmpuint(f.m->peers[1].n_addrs, ==, 2);
        g_assert_cmpuint(f.m->n_addrs, ==, 2);
        /* Sorted: .1 first. */
        g_assert_true(f.m->addrs[0] == find(&f, "10.0.0.1"));
        g_assert_nonnull(find(&f, "10.0.0.1"));
        g_assert_cmpuint(find(&f, "10.0.0.1")->holder, ==, 1);
        g_assert_cmpuint(find(&f, "10.0.0.1")->ip.prefixlen, ==, 24);
        g_assert_nonnull(find(&f, "10.0.0.2"));
        g_assert_cmpuint(find(&f, "10.0.0.2")->holder, ==, CTDB_PNN_NONE);
        g_assert_false(find(&f, "10.0.0.1")->held);
        fixture_teardown(&f);
}

/* Node 1's next STATE without them: the addresses nobody has any more go. */
static void test_state_removes(void) {
        struct fixture f;
        struct ipd_wire_addr addrs[] = {
                waddr("10.0.0.1/24", IPD_ADDR_AVAILABLE | IPD_ADDR_HELD),
                waddr("10.0.0.2/24", IPD_ADDR_AVAILABLE),
        };
        struct ipd_wire_addr other = waddr("10.0.0.2/24", IPD_ADDR_AVAILABLE);

        fixture_setup(&f, 3);
        g_assert_cmpint(send_state(&f, 1, 1, 1, addrs, 2), ==, 0);
        g_assert_cmpint(send_state(&f, 2, 2, 1, &other, 1), ==, 0);
        g_assert_cmpuint(f.m->n_addrs, ==, 2);
        g_assert_cmpint(send_state(&f, 1, 1, 2, NULL, 0), ==, 0);
        g_assert_cmpuint(f.m->peers[1].n_addrs, ==, 0);
        g_assert_cmpuint(f.m->peers[1].seq, ==, 2);
        /* .2 stays: node 2 has it. */
        g_assert_cmpuint(f.m->n_addrs, ==, 1);
        g_assert_null(find(&f, "10.0.0.1"));
        g_assert_nonnull(find(&f, "10.0.0.2"));
        g_assert_cmpint(send_state(&f, 2, 2, 2, NULL, 0), ==, 0);
        g_assert_cmpuint(f.m->n_addrs, ==, 0);
        fixture_teardown(&f);
}

/* A STATE that names another node than its source, this node, or a node beyond the slots is refused. */
static void test_state_wrong_pnn(void) {
        struct fixture f;
        struct ipd_wire_addr a = waddr("10.0.0.1/24", IPD_ADDR_AVAILABLE | IPD_ADDR_HELD);

        fixture_setup(&f, 3);
        g_assert_cmpint(send_state(&f, 1, 2, 1, &a, 1), ==, -EBADMSG);
        g_assert_cmpint(send_state(&f, 0, 0, 1, &a, 1), ==, -EBADMSG);
        g_assert_cmpint(send_state(&f, 3, 3, 1, &a, 1), ==, -EBADMSG);
        g_assert_false(f.m->peers[1].known);
        g_assert_false(f.m->peers[2].known);
        g_assert_cmpuint(f.m->n_addrs, ==, 0);
        fixture_teardown(&f);
}

/* An entry of a STATE with a bad family or prefix is kept out of the list; the rest counts. */
static void test_state_bad_entry(void) {
        struct fixture f;
        struct ipd_wire_addr addrs[] = {
                waddr("10.0.0.1/24", IPD_ADDR_AVAILABLE | IPD_ADDR_HELD),
                { .ip = { .family = 4, .prefixlen = 40, .bytes = { 10, 0, 0, 3 } }, .flags = IPD_ADDR_HELD },
                { .ip = { .family = 9, .prefixlen = 8 }, .flags = IPD_ADDR_AVAILABLE },
        };

        fixture_setup(&f, 3);
        g_assert_cmpint(send_state(&f, 1, 1, 1, addrs, 3), ==, 0);
        g_assert_cmpuint(f.m->n_addrs, ==, 1);
        g_assert_cmpuint(find(&f, "10.0.0.1")->holder, ==, 1);
        fixture_teardown(&f);
}

/* Malformed frames and unknown kinds are refused. */
static void test_malformed(void) {
        static const uint8_t short_prefix[] = { IPD_MSG_STATE, 0 };
        static const uint8_t truncated[] = { IPD_MSG_STATE, 0, 0, 0, 1, 0, 0, 0, 1 };
        static const uint8_t unknown[] = { 77, 0, 0, 0, 1, 2, 3, 4 };
        struct fixture f;

        fixture_setup(&f, 3);
        g_assert_cmpint(ipd_manager_receive(f.m, 1, short_prefix, sizeof(short_prefix)), ==, -EBADMSG);
        g_assert_cmpint(ipd_manager_receive(f.m, 1, truncated, sizeof(truncated)), ==, -EBADMSG);
        g_assert_cmpint(ipd_manager_receive(f.m, 1, unknown, sizeof(unknown)), ==, -ENOMSG);
        g_assert_cmpint(ipd_manager_receive(f.m, 1, NULL, 0), ==, -EBADMSG);
        g_assert_false(f.m->peers[1].known);
        fixture_teardown(&f);
}

/* CONNS for an address another node holds is kept, for the tickles of a takeover here. */
static void test_conns_stored(void) {
        struct fixture f;
        struct ipd_wire_addr a = waddr("10.0.0.1/24", IPD_ADDR_AVAILABLE | IPD_ADDR_HELD);
        struct ipd_conns_msg c = sample_conns;
        struct ipd_addr *o;

        fixture_setup(&f, 3);
        g_assert_cmpint(send_state(&f, 1, 1, 1, &a, 1), ==, 0);
        g_assert_cmpint(receive(&f, 1, &ipd_conns_desc, &c), ==, 0);
        o = find(&f, "10.0.0.1");
        g_assert_cmpuint(o->n_known, ==, 2);
        g_assert_cmpint(o->known[0].client.in.sin_family, ==, AF_INET);
        g_assert_cmpuint(ntohs(o->known[0].client.in.sin_port), ==, 40001);
        g_assert_cmpuint(ntohs(o->known[0].server.in.sin_port), ==, 445);
        g_assert_cmpmem(&o->known[0].server.in.sin_addr, 4, sample_conn_list[0].server, 4);
        g_assert_cmpint(o->known[1].client.in6.sin6_family, ==, AF_INET6);
        g_assert_cmpuint(ntohs(o->known[1].client.in6.sin6_port), ==, 65535);
        g_assert_cmpmem(&o->known[1].client.in6.sin6_addr, 16, sample_conn_list[1].client, 16);

        /* The holder's next list replaces it; an empty one empties it. */
        c.n_conns = 1;
        g_assert_cmpint(receive(&f, 1, &ipd_conns_desc, &c), ==, 0);
        g_assert_cmpuint(o->n_known, ==, 1);
        c.n_conns = 0;
        g_assert_cmpint(receive(&f, 1, &ipd_conns_desc, &c), ==, 0);
        g_assert_cmpuint(o->n_known, ==, 0);

        /* New connections (ADD) come on top of what is known, each at once. */
        c.n_conns = 1;
        g_assert_cmpint(receive(&f, 1, &ipd_conns_desc, &c), ==, 0);
        c = sample_conns;
        c.flags = IPD_CONNS_ADD;
        c.conns = &sample_conn_list[1];
        c.n_conns = 1;
        g_assert_cmpint(receive(&f, 1, &ipd_conns_desc, &c), ==, 0);
        g_assert_cmpuint(o->n_known, ==, 2);
        g_assert_cmpint(o->known[0].client.in.sin_family, ==, AF_INET);
        g_assert_cmpint(o->known[1].client.in6.sin6_family, ==, AF_INET6);
        fixture_teardown(&f);
}

/* CONNS for an address nobody has is ignored; a bad address or connection is refused, nothing kept. */
static void test_conns_unknown_or_bad(void) {
        struct fixture f;
        struct ipd_wire_addr a = waddr("10.0.0.1/24", IPD_ADDR_AVAILABLE | IPD_ADDR_HELD);
        struct ipd_wire_conn bad_list[] = { sample_conn_list[0], sample_conn_list[1] };
        struct ipd_conns_msg c = sample_conns;

        fixture_setup(&f, 3);
        g_assert_cmpint(send_state(&f, 1, 1, 1, &a, 1), ==, 0);
        c.ip = (struct ipd_wire_ip) IP4(10, 0, 0, 99, 24);
        g_assert_cmpint(receive(&f, 1, &ipd_conns_desc, &c), ==, 0);
        g_assert_cmpuint(f.m->n_addrs, ==, 1);
        g_assert_null(find(&f, "10.0.0.99"));
        g_assert_cmpuint(find(&f, "10.0.0.1")->n_known, ==, 0);

        c.ip = (struct ipd_wire_ip){ .family = 4, .prefixlen = 33 };
        g_assert_cmpint(receive(&f, 1, &ipd_conns_desc, &c), ==, -EBADMSG);

        bad_list[1].family = 5;
        c = sample_conns;
        c.conns = bad_list;
        g_assert_cmpint(receive(&f, 1, &ipd_conns_desc, &c), ==, -EBADMSG);
        g_assert_cmpuint(find(&f, "10.0.0.1")->n_known, ==, 0);
        g_assert_null(find(&f, "10.0.0.1")->known);
        fixture_teardown(&f);
}

static union nf_sockaddr sockaddr_of(const char *s) {
        union nf_sockaddr sa;

        g_assert_cmpint(nf_sockaddr_from_string(s, &sa), ==, 0);
        return sa;
}

/*
 * A client's connection to an address this node holds (SYN-ACK log,
 * TrackConnection) is tracked once and queued for the others at once; one to
 * an address not held here is refused.
 */
static void test_conns_track(void) {
        struct fixture f;
        struct ipd_wire_addr w = waddr("10.0.0.1/24", IPD_ADDR_AVAILABLE);
        union nf_sockaddr server = sockaddr_of("10.0.0.1:445"), client = sockaddr_of("192.0.2.50:40001");
        union nf_sockaddr other = sockaddr_of("10.0.0.99:445"), v6 = sockaddr_of("[2001:db8::5]:40002");
        struct ipd_addr *a;

        fixture_setup(&f, 3);
        g_assert_cmpint(send_state(&f, 1, 1, 1, &w, 1), ==, 0);
        a = find(&f, "10.0.0.1");
        g_assert_cmpint(ipd_conns_track(f.m, &server, &client), ==, -ENOENT);
        a->held = true;
        g_assert_cmpint(ipd_conns_track(f.m, &server, &client), ==, 1);
        g_assert_cmpint(ipd_conns_track(f.m, &server, &client), ==, 0);
        g_assert_cmpint(ipd_conns_track(f.m, &other, &client), ==, -ENOENT);
        g_assert_cmpuint(a->n_tracked, ==, 1);
        g_assert_cmpuint(ntohs(a->tracked[0].client.in.sin_port), ==, 40001);
        g_assert_cmpuint(ntohs(a->tracked[0].server.in.sin_port), ==, 445);
        g_assert_cmpuint(a->n_added, ==, 1);
        /* The queue goes out within a few turns of the loop (one source each; here to no tunneld). */
        for (int k = 0; k < 10 && a->n_added; k++)
                g_assert_cmpint(sd_event_run(f.event, 0), >=, 0);
        g_assert_cmpuint(a->n_added, ==, 0);
        g_assert_cmpuint(a->n_tracked, ==, 1);
        /* A v6 server address is not this v4 one. */
        g_assert_cmpint(ipd_conns_track(f.m, &v6, &v6), ==, -ENOENT);
        fixture_teardown(&f);
}

/* A RUN_REPLY for a run that does not exist (over, or never started) changes nothing. */
static void test_run_reply_no_run(void) {
        struct fixture f;

        fixture_setup(&f, 3);
        g_assert_null(f.m->run);
        g_assert_cmpint(receive(&f, 1, &ipd_run_reply_desc, &sample_run_reply), ==, 0);
        g_assert_cmpint(receive(&f, 7, &ipd_run_reply_desc, &sample_run_reply), ==, 0);
        g_assert_null(f.m->run);
        g_assert_cmpuint(f.m->runs_led, ==, 0);
        g_assert_false(f.m->retry_pending);
        fixture_teardown(&f);
}

/* A REPLY nobody waits for is ignored; a REQUEST with a bad op or address is refused. */
static void test_request_reply_stale(void) {
        struct fixture f;
        struct ipd_request_msg req = sample_request;

        fixture_setup(&f, 3);
        g_assert_cmpint(receive(&f, 2, &ipd_reply_desc, &sample_reply), ==, 0);
        req.op = 9;
        g_assert_cmpint(receive(&f, 1, &ipd_request_desc, &req), ==, -EBADMSG);
        req.op = IPD_OP_MOVE;
        req.ip.family = 0;
        g_assert_cmpint(receive(&f, 1, &ipd_request_desc, &req), ==, -EBADMSG);
        /* Not the leader: answered at once (the answer is lost: no tunneld), nothing queued. */
        g_assert_cmpint(receive(&f, 1, &ipd_request_desc, &sample_request), ==, 0);
        g_assert_null(f.m->waiters);
        g_assert_cmpuint(f.m->n_moves, ==, 0);
        fixture_teardown(&f);
}

/* ---- the plan -------------------------------------------------------------------- */

static const char *const plan_addrs[] = {
        "10.0.0.1/24", "10.0.0.2/24", "10.0.0.3/24", "10.0.0.4/24", "10.0.0.5/24", "10.0.0.6/24",
};

/*
 * Nodes 1..3 of a 4-slot cluster (this node, 0, offers nothing: the testing
 * manager has no public_addresses): node 1 offers .1-.4, node 2 .3-.6,
 * node 3 .1, .2, .5, .6; node 1 holds .1.
 */
static void plan_setup(struct fixture *f) {
        struct ipd_wire_addr n1[4], n2[4], n3[4];

        fixture_setup(f, 4);
        for (unsigned i = 0; i < 4; i++) {
                n1[i] = waddr(plan_addrs[i], IPD_ADDR_AVAILABLE | (i == 0 ? IPD_ADDR_HELD : 0));
                n2[i] = waddr(plan_addrs[i + 2], IPD_ADDR_AVAILABLE);
                n3[i] = waddr(plan_addrs[i < 2 ? i : i + 2], IPD_ADDR_AVAILABLE);
        }
        g_assert_cmpint(send_state(f, 1, 1, 1, n1, 4), ==, 0);
        g_assert_cmpint(send_state(f, 2, 2, 1, n2, 4), ==, 0);
        g_assert_cmpint(send_state(f, 3, 3, 1, n3, 4), ==, 0);
        g_assert_cmpuint(f->m->n_addrs, ==, G_N_ELEMENTS(plan_addrs));
}

static bool lists_available(ipd_manager *m, uint32_t p, const struct ctdb_ip *a) {
        for (uint32_t j = 0; j < m->peers[p].n_addrs; j++) {
                struct ctdb_ip ip;

                if (ipd_wire_ip_get(&m->peers[p].addrs[j].ip, &ip) == 0 && ctdb_ip_equal(&ip, a))
                        return m->peers[p].addrs[j].flags & IPD_ADDR_AVAILABLE;
        }
        return false;
}

static void check_plan(ipd_manager *m, const uint32_t *flags, const uint32_t *pnn) {
        for (size_t i = 0; i < m->n_addrs; i++) {
                g_assert_cmpuint(pnn[i], <, m->n_nodes);
                g_assert_true(lists_available(m, pnn[i], &m->addrs[i]->ip));
                g_assert_cmphex(flags[pnn[i]], ==, 0);
        }
}

static void test_plan_available(void) {
        const uint32_t flags[] = { 0, 0, 0, 0 };
        uint32_t pnn[G_N_ELEMENTS(plan_addrs)], per_node[4] = { 0 };
        struct fixture f;

        plan_setup(&f);
        g_assert_cmpint(ipd_takeover_plan(f.m, flags, 4, false, NULL, 0, pnn), ==, 0);
        check_plan(f.m, flags, pnn);
        for (size_t i = 0; i < G_N_ELEMENTS(pnn); i++)
                per_node[pnn[i]]++;
        g_assert_cmpuint(per_node[0], ==, 0);
        fixture_teardown(&f);
}

/* An unhealthy node (flags 0x2) gets nothing, even what it holds; the others take all of it. */
static void test_plan_flags(void) {
        const uint32_t flags[] = { 0, CTDB_NODE_FLAG_UNHEALTHY, 0, 0 };
        const uint32_t flags2[] = { 0, 0, CTDB_NODE_FLAG_UNHEALTHY, 0 };
        uint32_t pnn[G_N_ELEMENTS(plan_addrs)];
        struct fixture f;

        plan_setup(&f);
        g_assert_cmpint(ipd_takeover_plan(f.m, flags, 4, false, NULL, 0, pnn), ==, 0);
        check_plan(f.m, flags, pnn);
        for (size_t i = 0; i < G_N_ELEMENTS(pnn); i++)
                g_assert_cmpuint(pnn[i], !=, 1);
        g_assert_cmpint(ipd_takeover_plan(f.m, flags2, 4, true, NULL, 0, pnn), ==, 0);
        check_plan(f.m, flags2, pnn);
        fixture_teardown(&f);
}

/* Without clusterd's view every node counts as disconnected: nothing is placed. */
static void test_plan_no_view(void) {
        uint32_t pnn[G_N_ELEMENTS(plan_addrs)];
        struct fixture f;

        plan_setup(&f);
        g_assert_cmpint(ipd_takeover_plan(f.m, NULL, 0, false, NULL, 0, pnn), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(pnn); i++)
                g_assert_cmpuint(pnn[i], ==, CTDB_PNN_NONE);
        fixture_teardown(&f);
}

/* What its holder could not remove (STUCK) stays there, even on an unhealthy node. */
static void test_plan_stuck(void) {
        const uint32_t flags[] = { 0, CTDB_NODE_FLAG_UNHEALTHY, 0, 0 };
        struct ipd_wire_addr n1[4];
        uint32_t pnn[G_N_ELEMENTS(plan_addrs)];
        struct fixture f;

        plan_setup(&f);
        for (unsigned i = 0; i < 4; i++)
                n1[i] = waddr(plan_addrs[i],
                              IPD_ADDR_AVAILABLE | (i == 0 ? IPD_ADDR_HELD | IPD_ADDR_STUCK : 0));
        g_assert_cmpint(send_state(&f, 1, 1, 2, n1, 4), ==, 0);
        g_assert_cmpint(ipd_takeover_plan(f.m, flags, 4, false, NULL, 0, pnn), ==, 0);
        g_assert_cmpuint(pnn[0], ==, 1);
        for (size_t i = 1; i < G_N_ELEMENTS(pnn); i++)
                g_assert_cmpuint(pnn[i], !=, 1);
        fixture_teardown(&f);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/ipd-wire/kinds/listed", test_kinds_listed);
        wire_cases_add("/ipd-wire", cases, G_N_ELEMENTS(cases));
        g_test_add_func("/ipd-wire/limits/state", test_state_at_limit);
        g_test_add_func("/ipd-wire/limits/state-count-beyond-bytes", test_state_count_beyond_bytes);
        g_test_add_func("/ipd-wire/ip/round-trip", test_ip_round_trip);
        g_test_add_func("/ipd-wire/ip/bad", test_ip_bad);
        g_test_add_func("/ipd-manager/state/adds", test_state_adds);
        g_test_add_func("/ipd-manager/state/removes", test_state_removes);
        g_test_add_func("/ipd-manager/state/wrong-pnn", test_state_wrong_pnn);
        g_test_add_func("/ipd-manager/state/bad-entry", test_state_bad_entry);
        g_test_add_func("/ipd-manager/malformed", test_malformed);
        g_test_add_func("/ipd-manager/conns/stored", test_conns_stored);
        g_test_add_func("/ipd-manager/conns/unknown-or-bad", test_conns_unknown_or_bad);
        g_test_add_func("/ipd-manager/conns/track", test_conns_track);
        g_test_add_func("/ipd-manager/run-reply/no-run", test_run_reply_no_run);
        g_test_add_func("/ipd-manager/request-reply/stale", test_request_reply_stale);
        g_test_add_func("/ipd-manager/plan/available", test_plan_available);
        g_test_add_func("/ipd-manager/plan/flags", test_plan_flags);
        g_test_add_func("/ipd-manager/plan/no-view", test_plan_no_view);
        g_test_add_func("/ipd-manager/plan/stuck", test_plan_stuck);

        return g_test_run();
}
