#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <talloc.h>

#include "wire-cases.h"

/* What one registered test gets: its case, and the others (wrong-kind takes another's kind). */
struct case_test {
        const struct wire_case *cases;
        size_t n_cases;
        size_t i;
};

void wire_case_put_u32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
        p[2] = (uint8_t) (v >> 16);
        p[3] = (uint8_t) (v >> 24);
}

uint32_t wire_case_get_u32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

uint8_t *wire_case_pack(void *ctx, const struct wire_case *c, size_t *ret_len, size_t *ret_payload_at) {
        size_t n;
        uint8_t *buf;
        int r;

        if (c->inner) {
                uint8_t *into;

                /* Both ways of packing an inner message, byte for byte the same. */
                g_assert_cmpint(wire_inner_pack(ctx, c->desc, c->sample, &buf, &n), ==, 0);
                g_assert_cmpuint(n, ==, wire_inner_size(c->desc, c->sample));
                into = talloc_size(ctx, n);
                g_assert_nonnull(into);
                r = wire_inner_pack_into(c->desc, c->sample, into, n);
                g_assert_cmpmem(into, n, buf, n);
                talloc_free(into);
                *ret_payload_at = WIRE_INNER_PREFIX_SIZE;
        } else {
                struct wire_header h = { .kind = c->kind, .srvid = WIRE_CASE_SRVID };

                n = WIRE_HEADER_SIZE + wire_payload_size(c->desc, c->sample);
                buf = talloc_size(ctx, n);
                g_assert_nonnull(buf);
                r = wire_frame_pack(&h, c->desc, c->sample, buf, n);
                *ret_payload_at = WIRE_HEADER_SIZE;
        }
        g_assert_cmpint(r, ==, (int) n);
        *ret_len = n;
        return buf;
}

int wire_case_unpack(const struct wire_case *c, void *ctx, const uint8_t *buf, size_t len, void *msg) {
        if (c->inner)
                return wire_inner_unpack(c->desc, ctx, buf, len, msg);
        return wire_unpack(c->desc, ctx, buf + WIRE_HEADER_SIZE, len - WIRE_HEADER_SIZE, msg);
}

/* One test's case and its sample packed on a context of its own. */
struct packed {
        const struct wire_case *c;
        void *ctx;
        uint8_t *buf;
        size_t len;
        size_t at; /* where the payload starts */
};

static void packed_start(struct packed *p, const struct case_test *t) {
        p->c = &t->cases[t->i];
        p->ctx = talloc_new(NULL);
        g_assert_nonnull(p->ctx);
        p->buf = wire_case_pack(p->ctx, p->c, &p->len, &p->at);
}

static void packed_end(struct packed *p) {
        talloc_free(p->ctx);
}

static void test_round_trip(gconstpointer data) {
        struct packed p;
        void *msg;

        packed_start(&p, data);
        msg = g_malloc0(p.c->desc->size);
        if (p.c->inner) {
                g_assert_cmpint(wire_inner_kind(p.buf, p.len), ==, p.c->kind);
        } else {
                struct wire_header h;

                g_assert_cmpint(wire_header_unpack(p.buf, WIRE_FRAME_MAX, &h), ==, 0);
                g_assert_cmpuint(h.kind, ==, p.c->kind);
                g_assert_cmpuint(h.length, ==, p.len);
                g_assert_cmpuint(h.srvid, ==, WIRE_CASE_SRVID);
        }
        g_assert_cmpint(wire_case_unpack(p.c, p.ctx, p.buf, p.len, msg), ==, (int) (p.len - p.at));
        p.c->check(p.c->sample, msg);
        g_free(msg);
        packed_end(&p);
}

/*
 * Every proper prefix of the message is refused (a frame's from its whole
 * header on: a shorter one is the reader's to wait for); nothing it allocated
 * stays on the context but what may_leave allows.
 */
static void test_truncations(gconstpointer data) {
        struct packed p;

        packed_start(&p, data);
        for (size_t n = p.c->inner ? 0 : p.at; n < p.len; n++) {
                void *tmp = talloc_new(NULL);
                void *msg = g_malloc0(p.c->desc->size);
                /* Exactly n bytes, so that ASan and valgrind see any read past them. */
                uint8_t *copy = g_memdup2(p.buf, n);
                int r = wire_case_unpack(p.c, tmp, copy, n, msg);

                if (r != -EBADMSG)
                        g_error("%s: %zu of %zu bytes unpacked to %d, not -EBADMSG", p.c->name, n, p.len, r);
                g_assert_cmpuint(talloc_total_blocks(tmp), <=, 1 + p.c->may_leave);
                g_free(copy);
                g_free(msg);
                talloc_free(tmp);
        }
        packed_end(&p);
}

/* Each length and count one over its limit (and UINT32_MAX): -E2BIG. */
static void test_over_limit(gconstpointer data) {
        const struct case_test *t = data;
        struct packed p;

        packed_start(&p, t);
        for (size_t i = 0; i < G_N_ELEMENTS(p.c->limits) && p.c->limits[i].max > 0; i++) {
                const struct wire_case_limit *l = &p.c->limits[i];
                void *tmp = talloc_new(NULL);
                void *msg = g_malloc0(p.c->desc->size);
                uint8_t *copy = talloc_memdup(tmp, p.buf, p.len);
                uint8_t *word = copy + p.at + l->offset;
                uint32_t was = wire_case_get_u32(word);

                /* The offset names the sample's own length word: small and non-zero. */
                g_assert_cmpuint(was, >, 0);
                g_assert_cmpuint(was, <, 64);
                wire_case_put_u32(word, l->max + 1);
                g_assert_cmpint(wire_case_unpack(p.c, tmp, copy, p.len, msg), ==, -E2BIG);
                wire_case_put_u32(word, UINT32_MAX);
                g_assert_cmpint(wire_case_unpack(p.c, tmp, copy, p.len, msg), ==, -E2BIG);
                g_free(msg);
                talloc_free(tmp);
        }
        packed_end(&p);
}

/* The kind of the next inner case after case i (round the list) that differs from case i's, or 0. */
static uint16_t other_kind(const struct case_test *t) {
        uint16_t kind = t->cases[t->i].kind;

        for (size_t k = 1; k < t->n_cases; k++) {
                const struct wire_case *o = &t->cases[(t->i + k) % t->n_cases];

                if (o->inner && o->kind != kind)
                        return o->kind;
        }
        return 0;
}

/*
 * Another kind's prefix in front of a valid payload is refused (inner
 * messages): a bit of the low byte flipped, the high byte set, another kind
 * of the list.
 */
static void test_wrong_kind(gconstpointer data) {
        uint16_t other = other_kind(data);
        struct packed p;
        void *msg;

        packed_start(&p, data);
        msg = g_malloc0(p.c->desc->size);
        p.buf[0] ^= 0x40;
        g_assert_cmpint(wire_case_unpack(p.c, p.ctx, p.buf, p.len, msg), ==, -EBADMSG);
        p.buf[0] ^= 0x40;
        p.buf[1] = 1;
        g_assert_cmpint(wire_case_unpack(p.c, p.ctx, p.buf, p.len, msg), ==, -EBADMSG);
        if (other != 0) {
                p.buf[0] = (uint8_t) other;
                p.buf[1] = (uint8_t) (other >> 8);
                g_assert_cmpint(wire_case_unpack(p.c, p.ctx, p.buf, p.len, msg), ==, -EBADMSG);
        }
        g_free(msg);
        packed_end(&p);
}

void wire_cases_add(const char *prefix, const struct wire_case *cases, size_t n_cases) {
        static const struct {
                const char *what;
                GTestDataFunc fn;
        } tests[] = {
                { "round-trip", test_round_trip },
                { "truncations", test_truncations },
                { "over-limit", test_over_limit },
                { "wrong-kind", test_wrong_kind },
        };

        for (size_t i = 0; i < n_cases; i++)
                for (size_t k = 0; k < G_N_ELEMENTS(tests); k++) {
                        g_autofree char *path = NULL;
                        struct case_test *t;

                        /* A frame's kind is in its header, checked by the dispatch (fuzz-dbd-local). */
                        if (!cases[i].inner && tests[k].fn == test_wrong_kind)
                                continue;
                        /* A kind without a count or length word has no limit to go over. */
                        if (cases[i].limits[0].max == 0 && tests[k].fn == test_over_limit)
                                continue;
                        t = g_new(struct case_test, 1);
                        *t = (struct case_test){ .cases = cases, .n_cases = n_cases, .i = i };
                        path = g_strdup_printf("%s/%s/%s", prefix, cases[i].name, tests[k].what);
                        g_test_add_data_func_full(path, t, tests[k].fn, g_free);
                }
}
