#include "nf-log.h"
#include "nf-tables.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/if_packet.h>
#include <linux/netfilter.h>
#include <linux/netfilter_arp.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <endian.h>

#include "nf-netlink.h"

/* nft's datatype numbers, so that "nft list" shows the sets' keys readably. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_INET_SERVICE 13
#define NFT_TYPE_BITS 6
#define NFT_CONCAT2(a, b) (((a) << NFT_TYPE_BITS) | (b))

/* Hook priorities: before the usual filter chains (0), so a reset comes first. */
/* Load balancing runs at prerouting, mangle priority: "meta pkttype set" is only allowed there. */
#define NF_PRIO_LB     (-150)
#define NF_PRIO_INPUT (-10)
#define NF_PRIO_SRCNAT 100

/* Set ids tie a lookup to a set created in the same batch. */
enum {
        NF_SETID_RELEASE4 = 1,
        NF_SETID_RELEASE6,
        NF_SETID_PUBLIC4,
        NF_SETID_PUBLIC6,
        NF_SETID_TRACKED4,
        NF_SETID_TRACKED6,
};

#define NF_BATCH_BUFSIZE (512u * 1024u)
#define NF_BATCH_MAXMSG 1100u
#define NF_BATCH_DESCLEN 112u

struct nf_batch {
        struct mnl_nlmsg_batch *b;
        char *buf;
        uint32_t seq0;
        uint32_t seq;
        unsigned n;             /* messages between begin and end */
        bool full;
        uint16_t family; /* NFPROTO_INET, or NFPROTO_ARP for table arp ctdb */
        char (*desc)[NF_BATCH_DESCLEN];
};

/* Starts a batch; what names the whole change in an error ("create table inet ctdb"). */
static int nf_batch_init(struct nf_batch *bt, const char *what, char *err, size_t errlen) {
        *bt = (struct nf_batch) {};
        bt->buf = malloc(NF_BATCH_BUFSIZE);
        bt->desc = calloc(NF_BATCH_MAXMSG, NF_BATCH_DESCLEN);
        if (!bt->buf || !bt->desc)
                goto fail;
        /* Leave room for the end message: mnl_nlmsg_batch_next() reports a
         * message that crossed the limit, which is then still in the buffer. */
        bt->b = mnl_nlmsg_batch_start(bt->buf, NF_BATCH_BUFSIZE - MNL_SOCKET_BUFFER_SIZE);
        if (!bt->b)
                goto fail;
        bt->family = NFPROTO_INET;
        bt->seq0 = bt->seq = (uint32_t) time(NULL) << 8;
        nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), bt->seq++);
        mnl_nlmsg_batch_next(bt->b);
        return 0;
fail:
        free(bt->buf);
        free(bt->desc);
        *bt = (struct nf_batch) {};
        nf_seterr(err, errlen, "Cannot %s: %s", what, strerror(ENOMEM));
        return -ENOMEM;
}

static void nf_batch_done(struct nf_batch *bt) {
        if (bt->b)
                mnl_nlmsg_batch_stop(bt->b);
        free(bt->buf);
        free(bt->desc);
}

/* Starts the next message; its description names it in an error. */
static struct nlmsghdr *nf_batch_msg(struct nf_batch *bt, uint16_t type, uint16_t flags, const char *fmt,
                                     ...) __attribute__((format(printf, 4, 5)));
static struct nlmsghdr *nf_batch_msg(struct nf_batch *bt, uint16_t type, uint16_t flags, const char *fmt,
                                     ...) {
        va_list ap;

        if (bt->n < NF_BATCH_MAXMSG) {
                va_start(ap, fmt);
                vsnprintf(bt->desc[bt->n], NF_BATCH_DESCLEN, fmt, ap);
                va_end(ap);
        }
        return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type, bt->family, flags | NLM_F_ACK,
                                     bt->seq++);
}

static void nf_batch_next(struct nf_batch *bt) {
        bt->n++;
        if (!mnl_nlmsg_batch_next(bt->b) || bt->n >= NF_BATCH_MAXMSG)
                bt->full = true;
}

struct nf_batch_result {
        const struct nf_batch *bt;
        unsigned acks;
        int error;
        uint32_t error_seq;
};

static void nf_batch_read(struct nf_batch_result *res, const char *buf, size_t len) {
        const struct nlmsghdr *nlh = (const struct nlmsghdr *) buf;
        int remaining = (int) len;

        while (mnl_nlmsg_ok(nlh, remaining)) {
                if (nlh->nlmsg_type == NLMSG_ERROR &&
                    nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct nlmsgerr))) {
                        const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

                        res->acks++;
                        if (e->error != 0 && res->error == 0) {
                                res->error = e->error;
                                res->error_seq = nlh->nlmsg_seq;
                        }
                }
                nlh = mnl_nlmsg_next(nlh, &remaining);
        }
}

/*
 * Sends the batch and collects one ACK per message. nfnetlink handles the
 * batch inside sendmsg(), so the answers are queued when it returns; the poll
 * only guards against a kernel that answers late.
 */
static int nf_batch_commit(struct nf_batch *bt, const char *what, char *err, size_t errlen) {
        struct nf_batch_result res = { .bt = bt };
        struct mnl_socket *nl;
        char *rbuf;
        int r, fd;
        int bufsize = 1 << 20;

        if (bt->full) {
                nf_seterr(err, errlen, "Cannot %s: too many changes for one batch", what);
                return -E2BIG;
        }
        nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), bt->seq++);
        mnl_nlmsg_batch_next(bt->b);

        r = nf_nl_open(NETLINK_NETFILTER, 0, &nl);
        if (r < 0) {
                nf_seterr(err, errlen, "Cannot %s: netlink socket: %s", what, strerror(-r));
                return r;
        }
        fd = mnl_socket_get_fd(nl);
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));

        if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b)) < 0) {
                r = -errno;
                mnl_socket_close(nl);
                nf_seterr(err, errlen, "Cannot %s: sending to nftables: %s", what, strerror(-r));
                return r;
        }
        rbuf = malloc(NF_NL_BUFSIZE);
        if (!rbuf) {
                mnl_socket_close(nl);
                nf_seterr(err, errlen, "Cannot %s: %s", what, strerror(ENOMEM));
                return -ENOMEM;
        }
        r = 0;
        while (res.acks < bt->n && res.error == 0) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t k;

                r = poll(&p, 1, 5000);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        r = r == 0 ? -ETIMEDOUT : -errno;
                        break;
                }
                k = recv(fd, rbuf, NF_NL_BUFSIZE, MSG_DONTWAIT);
                if (k < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                nf_batch_read(&res, rbuf, (size_t) k);
                r = 0;
        }
        free(rbuf);
        mnl_socket_close(nl);

        if (res.error != 0) {
                uint32_t idx = res.error_seq - bt->seq0 - 1;
                const char *obj = idx < bt->n && idx < NF_BATCH_MAXMSG ? bt->desc[idx] : "the batch";

                r = res.error;
                nf_seterr(err, errlen, "Cannot %s: %s failed: %s%s", what, obj, strerror(-r),
                          r != -ENOENT ? ""
                          : strncmp(obj, "delete element", 14) == 0
                                  ? " (not in the set, or no table inet " NF_TABLE_NAME ")"
                                  : " (does table inet " NF_TABLE_NAME " exist?)");
                return r;
        }
        if (r < 0)
                nf_seterr(err, errlen, "Cannot %s: waiting for nftables: %s", what, strerror(-r));
        return r;
}

/* Commits the batch if it was built (r >= 0), frees it, and names what failed either way. */
static int nf_batch_finish(struct nf_batch *bt, int r, const char *what, char *err, size_t errlen) {
        if (r >= 0)
                r = nf_batch_commit(bt, what, err, errlen);
        else
                nf_seterr(err, errlen, "Cannot %s: %s", what, strerror(-r));
        nf_batch_done(bt);
        return r;
}

/* ---- objects ---- */

static const char *nf_family_name(uint16_t family) {
        return family == NFPROTO_ARP ? "arp" : "inet";
}

static int nf_put_table(struct nf_batch *bt, uint16_t type) {
        struct nftnl_table *t = nftnl_table_alloc();
        struct nlmsghdr *nlh;

        if (!t)
                return -ENOMEM;
        nftnl_table_set_str(t, NFTNL_TABLE_NAME, NF_TABLE_NAME);
        nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, bt->family);
        nlh = nf_batch_msg(bt, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, "%s table %s %s",
                           type == NFT_MSG_NEWTABLE ? "add" : "delete", nf_family_name(bt->family),
                           NF_TABLE_NAME);
        nftnl_table_nlmsg_build_payload(nlh, t);
        nftnl_table_free(t);
        nf_batch_next(bt);
        return 0;
}

struct nf_set_def {
        const char *name;
        uint32_t id;
        uint32_t key_type;
        uint32_t key_len;
        bool tracked;
};

/* The index in nf_sets[] of the IPv4 set of each pair; the IPv6 one follows it. */
enum {
        NF_SET_RELEASE = 0,
        NF_SET_PUBLIC = 2,
        NF_SET_TRACKED = 4,
};

static const struct nf_set_def nf_sets[] = {
        { "release4", NF_SETID_RELEASE4, NFT_TYPE_IPADDR, 4, false },
        { "release6", NF_SETID_RELEASE6, NFT_TYPE_IP6ADDR, 16, false },
        { "public4", NF_SETID_PUBLIC4, NFT_TYPE_IPADDR, 4, false },
        { "public6", NF_SETID_PUBLIC6, NFT_TYPE_IP6ADDR, 16, false },
        { "tracked4", NF_SETID_TRACKED4,
          NFT_CONCAT2(NFT_CONCAT2(NFT_CONCAT2(NFT_TYPE_IPADDR, NFT_TYPE_INET_SERVICE), NFT_TYPE_IPADDR),
                      NFT_TYPE_INET_SERVICE),
          16, true },
        { "tracked6", NF_SETID_TRACKED6,
          NFT_CONCAT2(NFT_CONCAT2(NFT_CONCAT2(NFT_TYPE_IP6ADDR, NFT_TYPE_INET_SERVICE), NFT_TYPE_IP6ADDR),
                      NFT_TYPE_INET_SERVICE),
          40, true },
};

static struct nftnl_set *nf_set_new(const char *name) {
        struct nftnl_set *s = nftnl_set_alloc();

        if (!s)
                return NULL;
        nftnl_set_set_str(s, NFTNL_SET_TABLE, NF_TABLE_NAME);
        nftnl_set_set_str(s, NFTNL_SET_NAME, name);
        nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
        return s;
}

static int nf_put_set(struct nf_batch *bt, const struct nf_set_def *d) {
        struct nftnl_set *s = nf_set_new(d->name);
        struct nlmsghdr *nlh;

        if (!s)
                return -ENOMEM;
        nftnl_set_set_u32(s, NFTNL_SET_ID, d->id);
        nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
        nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
        if (d->tracked) {
                nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_EVAL | NFT_SET_TIMEOUT);
                nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, NF_TRACKED_TIMEOUT_MS);
                nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, NF_TRACKED_MAX);
        } else
                nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
        nlh = nf_batch_msg(bt, NFT_MSG_NEWSET, NLM_F_CREATE, "add set inet %s %s", NF_TABLE_NAME, d->name);
        nftnl_set_nlmsg_build_payload(nlh, s);
        nftnl_set_free(s);
        nf_batch_next(bt);
        return 0;
}

/* A base chain of the table: its hook and priority, and its family (table inet or arp ctdb). */
struct nf_chain_def {
        const char *name;
        const char *type;
        uint32_t hook;
        int32_t prio;
        uint16_t family;
};

static const struct nf_chain_def nf_chain_input = { "input", "filter", NF_INET_LOCAL_IN, NF_PRIO_INPUT,
                                                    NFPROTO_INET };
static const struct nf_chain_def nf_chain_lb = { "lb", "filter", NF_INET_PRE_ROUTING, NF_PRIO_LB,
                                                 NFPROTO_INET };
static const struct nf_chain_def nf_chain_natgw = { "natgw", "nat", NF_INET_POST_ROUTING, NF_PRIO_SRCNAT,
                                                    NFPROTO_INET };
static const struct nf_chain_def nf_chain_output = { "output", "filter", NF_INET_LOCAL_OUT, NF_PRIO_INPUT,
                                                     NFPROTO_INET };
static const struct nf_chain_def nf_chain_arp = { "output", "filter", NF_ARP_OUT, 0, NFPROTO_ARP };

static int nf_put_chain(struct nf_batch *bt, uint16_t type, const struct nf_chain_def *d) {
        struct nftnl_chain *c = nftnl_chain_alloc();
        struct nlmsghdr *nlh;

        if (!c)
                return -ENOMEM;
        nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NF_TABLE_NAME);
        nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, d->name);
        nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, d->family);
        if (type == NFT_MSG_NEWCHAIN) {
                nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, d->type);
                nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, d->hook);
                nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, d->prio);
                nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
        }
        nlh = nf_batch_msg(bt, type, type == NFT_MSG_NEWCHAIN ? NLM_F_CREATE : 0, "%s chain %s %s %s",
                           type == NFT_MSG_NEWCHAIN ? "add" : "delete", nf_family_name(d->family),
                           NF_TABLE_NAME, d->name);
        nftnl_chain_nlmsg_build_payload(nlh, c);
        nftnl_chain_free(c);
        nf_batch_next(bt);
        return 0;
}

/* ---- rules: the same bytecode nft would generate, so "nft list" reads back well ---- */

/*
 * A rule being built. The expression helpers cannot fail: an allocation
 * failure marks the rule, and nf_put_rule() refuses a marked rule.
 */
struct nf_rule {
        struct nftnl_rule *r;
        bool failed;
};

static struct nf_rule nf_rule_new(const char *chain) {
        struct nf_rule rb = { .r = nftnl_rule_alloc() };

        if (!rb.r) {
                rb.failed = true;
                return rb;
        }
        nftnl_rule_set_str(rb.r, NFTNL_RULE_TABLE, NF_TABLE_NAME);
        nftnl_rule_set_str(rb.r, NFTNL_RULE_CHAIN, chain);
        nftnl_rule_set_u32(rb.r, NFTNL_RULE_FAMILY, NFPROTO_INET);
        return rb;
}

/* Appends a new expression of kind name to the rule; NULL (rule marked) if it cannot. */
static struct nftnl_expr *nf_expr(struct nf_rule *rb, const char *name) {
        struct nftnl_expr *e;

        if (rb->failed)
                return NULL;
        e = nftnl_expr_alloc(name);
        if (!e) {
                rb->failed = true;
                return NULL;
        }
        nftnl_rule_add_expr(rb->r, e);
        return e;
}

static void nf_meta(struct nf_rule *rb, uint32_t key, uint32_t dreg) {
        struct nftnl_expr *e = nf_expr(rb, "meta");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

static void nf_cmp(struct nf_rule *rb, uint32_t op, const void *data, uint32_t len) {
        struct nftnl_expr *e = nf_expr(rb, "cmp");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
        nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void nf_payload(struct nf_rule *rb, uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg) {
        struct nftnl_expr *e = nf_expr(rb, "payload");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

static void nf_bitwise(struct nf_rule *rb, const void *mask, uint32_t len) {
        static const uint8_t zero[16];
        struct nftnl_expr *e = nf_expr(rb, "bitwise");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
}

static void nf_lookup(struct nf_rule *rb, const struct nf_set_def *d) {
        struct nftnl_expr *e = nf_expr(rb, "lookup");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
        nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, d->name);
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, d->id);
}

static void nf_reject(struct nf_rule *rb, uint32_t type, uint8_t code) {
        struct nftnl_expr *e = nf_expr(rb, "reject");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
        nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
}

static void nf_dynset(struct nf_rule *rb, uint32_t op, const struct nf_set_def *d) {
        struct nftnl_expr *e = nf_expr(rb, "dynset");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, op);
        nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
        nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, d->name);
        nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, d->id);
}

static void nf_hash(struct nf_rule *rb, uint32_t sreg, uint32_t len, uint32_t modulus) {
        struct nftnl_expr *e = nf_expr(rb, "hash");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_TYPE, NFT_HASH_JENKINS);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SREG, sreg);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_LEN, len);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_MODULUS, modulus);
        /* Without an explicit seed the kernel picks a random one per rule,
         * and the nodes would disagree about who owns a client. */
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SEED, NF_LB_SEED);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_OFFSET, 0);
}

/* Loads len bytes of data into reg 1. */
static void nf_immediate(struct nf_rule *rb, const void *data, uint32_t len) {
        struct nftnl_expr *e = nf_expr(rb, "immediate");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
        nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

/* Writes reg 1 over len bytes of the header at base + offset (no checksum to fix: ARP has none). */
static void nf_payload_write(struct nf_rule *rb, uint32_t base, uint32_t offset, uint32_t len) {
        struct nftnl_expr *e = nf_expr(rb, "payload");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

static void nf_meta_set(struct nf_rule *rb, uint32_t key) {
        struct nftnl_expr *e = nf_expr(rb, "meta");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
}

static void nf_verdict(struct nf_rule *rb, int verdict) {
        struct nftnl_expr *e = nf_expr(rb, "immediate");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t) verdict);
}

/* Header offsets and lengths of the fields the rules match. */
struct nf_fam {
        uint8_t nfproto;
        uint32_t saddr_off, daddr_off, alen;
        uint8_t port_unreach;   /* ICMP(v6) code: what "reject" means in the family */
        int idx;                /* 0 or 1: which of a set pair (release4/release6) */
};

static const struct nf_fam nf_fam4 = { NFPROTO_IPV4, 12, 16, 4, 3, 0 };
static const struct nf_fam nf_fam6 = { NFPROTO_IPV6, 8, 24, 16, 4, 1 };

static const struct nf_fam *nf_fam_of(int family) {
        return family == AF_INET6 ? &nf_fam6 : &nf_fam4;
}

static void nf_match_meta_u8(struct nf_rule *rb, uint32_t key, uint8_t v) {
        nf_meta(rb, key, NFT_REG_1);
        nf_cmp(rb, NFT_CMP_EQ, &v, 1);
}

/*
 * ip[6] daddr/saddr within prefix, as nft writes it: a byte-aligned prefix
 * loads just its bytes; any other loads the whole address and masks it.
 * The caller has checked a->prefixlen against the family.
 */
static void nf_match_prefix(struct nf_rule *rb, uint32_t offset, const struct ctdb_ip *a, uint32_t op) {
        uint32_t len = a->prefixlen % 8 ? (uint32_t) ctdb_ip_len(a) : a->prefixlen / 8;
        uint8_t mask[16] = {}, net[16] = {};

        if (len == 0 || len > sizeof(mask))
                return;
        for (uint32_t i = 0; i < len; i++) {
                unsigned bits = a->prefixlen <= i * 8       ? 0
                                : a->prefixlen - i * 8 >= 8 ? 8
                                                            : a->prefixlen - i * 8;
                mask[i] = (uint8_t) (0xff00 >> bits);
                net[i] = a->u.bytes[i] & mask[i];
        }
        nf_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, offset, len, NFT_REG_1);
        if (a->prefixlen % 8)
                nf_bitwise(rb, mask, len);
        nf_cmp(rb, op, net, len);
}

/* A rule of family f: starts with "meta nfproto ipv4|ipv6", as nft does in an inet table. */
static struct nf_rule nf_rule_new_fam(const char *chain, const struct nf_fam *f) {
        struct nf_rule rb = nf_rule_new(chain);

        nf_match_meta_u8(&rb, NFT_META_NFPROTO, f->nfproto);
        return rb;
}

/* ip[6] daddr @set */
static void nf_match_daddr_in(struct nf_rule *rb, const struct nf_fam *f, const struct nf_set_def *set) {
        nf_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, f->daddr_off, f->alen, NFT_REG_1);
        nf_lookup(rb, set);
}

/* Appends the rule to its chain (and frees it); desc names it in an error. */
static int nf_put_rule(struct nf_batch *bt, struct nf_rule *rb, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int nf_put_rule(struct nf_batch *bt, struct nf_rule *rb, const char *fmt, ...) {
        struct nlmsghdr *nlh;
        char desc[NF_BATCH_DESCLEN];
        va_list ap;

        if (rb->failed) {
                nftnl_rule_free(rb->r);
                return -ENOMEM;
        }
        va_start(ap, fmt);
        vsnprintf(desc, sizeof(desc), fmt, ap);
        va_end(ap);
        nlh = nf_batch_msg(bt, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "%s", desc);
        nftnl_rule_nlmsg_build_payload(nlh, rb->r);
        nftnl_rule_free(rb->r);
        nf_batch_next(bt);
        return 0;
}

/* Empties a chain, so that it can be refilled in the same batch. */
static int nf_put_flush(struct nf_batch *bt, const char *chain) {
        struct nf_rule rb = nf_rule_new(chain);
        struct nlmsghdr *nlh;

        if (rb.failed)
                return -ENOMEM;
        nftnl_rule_set_u32(rb.r, NFTNL_RULE_FAMILY, bt->family);
        nlh = nf_batch_msg(bt, NFT_MSG_DELRULE, 0, "flush chain %s %s %s", nf_family_name(bt->family),
                           NF_TABLE_NAME, chain);
        nftnl_rule_nlmsg_build_payload(nlh, rb.r);
        nftnl_rule_free(rb.r);
        nf_batch_next(bt);
        return 0;
}

/*
 * The rules of the input chain, in order, per family:
 *   ip daddr @releaseN meta l4proto tcp reject with tcp reset
 *   ip daddr @releaseN reject
 *   ip daddr @publicN tcp flags & (fin|rst) != 0 delete @trackedN { ip saddr . tcp sport . ip daddr . tcp
 * dport } ip daddr @publicN tcp flags & (fin|syn|rst) == 0 update @trackedN { ... }
 */
enum nf_input_rule {
        NF_RULE_RELEASE_RESET,
        NF_RULE_RELEASE_REJECT,
        NF_RULE_TRACK_DELETE,
        NF_RULE_TRACK_UPDATE,
};

/*
 * The tracked key spans 32-bit registers from reg 1 (= NFT_REG32_00) on; each
 * field starts a new register, and the kernel zeroes the padding of short loads.
 */
static int nf_put_input_rule(struct nf_batch *bt, const struct nf_fam *f, enum nf_input_rule kind) {
        const struct nf_set_def *rel = &nf_sets[NF_SET_RELEASE + f->idx],
                                *pub = &nf_sets[NF_SET_PUBLIC + f->idx],
                                *trk = &nf_sets[NF_SET_TRACKED + f->idx];
        bool del = kind == NF_RULE_TRACK_DELETE;
        struct nf_rule rb = nf_rule_new_fam("input", f);
        uint32_t words = f->alen / 4;
        uint8_t mask = del ? (TH_FIN | TH_RST) : (TH_FIN | TH_SYN | TH_RST), zero = 0;

        switch (kind) {
        case NF_RULE_RELEASE_RESET:
                nf_match_daddr_in(&rb, f, rel);
                nf_match_meta_u8(&rb, NFT_META_L4PROTO, IPPROTO_TCP);
                nf_reject(&rb, NFT_REJECT_TCP_RST, 0);
                return nf_put_rule(bt, &rb, "add rule inet %s input (%s reset)", NF_TABLE_NAME, rel->name);
        case NF_RULE_RELEASE_REJECT:
                nf_match_daddr_in(&rb, f, rel);
                nf_reject(&rb, NFT_REJECT_ICMP_UNREACH, f->port_unreach);
                return nf_put_rule(bt, &rb, "add rule inet %s input (%s reject)", NF_TABLE_NAME, rel->name);
        case NF_RULE_TRACK_DELETE:
        case NF_RULE_TRACK_UPDATE:
                nf_match_daddr_in(&rb, f, pub);
                nf_match_meta_u8(&rb, NFT_META_L4PROTO, IPPROTO_TCP);
                nf_payload(&rb, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
                nf_bitwise(&rb, &mask, 1);
                nf_cmp(&rb, del ? NFT_CMP_NEQ : NFT_CMP_EQ, &zero, 1);
                nf_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, f->saddr_off, f->alen, NFT_REG32_00);
                nf_payload(&rb, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG32_00 + words);
                nf_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, f->daddr_off, f->alen, NFT_REG32_00 + words + 1);
                nf_payload(&rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_00 + 2 * words + 1);
                nf_dynset(&rb, del ? NFT_DYNSET_OP_DELETE : NFT_DYNSET_OP_UPDATE, trk);
                return nf_put_rule(bt, &rb, "add rule inet %s input (%s %s)", NF_TABLE_NAME,
                                   del ? "delete from" : "update", trk->name);
        }
        nftnl_rule_free(rb.r);
        return -EINVAL;
}

/*
 * The output chain, per family: every SYN-ACK a public address sends is
 * logged to NF_LOG_GROUP (nf-log.h), so that ctdb-ipd learns of a new
 * connection as it is made, not at the next read of the tracked set:
 *   ip saddr @publicN tcp flags & (syn|ack|fin|rst) == syn|ack log group NF_LOG_GROUP
 */
static int nf_put_output_rule(struct nf_batch *bt, const struct nf_fam *f) {
        const struct nf_set_def *pub = &nf_sets[NF_SET_PUBLIC + f->idx];
        struct nf_rule rb = nf_rule_new_fam(nf_chain_output.name, f);
        uint8_t mask = TH_FIN | TH_SYN | TH_RST | TH_ACK, synack = TH_SYN | TH_ACK;
        struct nftnl_expr *e;

        nf_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, f->saddr_off, f->alen, NFT_REG_1);
        nf_lookup(&rb, pub);
        nf_match_meta_u8(&rb, NFT_META_L4PROTO, IPPROTO_TCP);
        nf_payload(&rb, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
        nf_bitwise(&rb, &mask, 1);
        nf_cmp(&rb, NFT_CMP_EQ, &synack, 1);
        e = nf_expr(&rb, "log");
        if (e) {
                nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, NF_LOG_GROUP);
                nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_QTHRESHOLD, 1);
        }
        return nf_put_rule(bt, &rb, "add rule inet %s output (log SYN-ACKs of %s)", NF_TABLE_NAME,
                           pub->name);
}

/* The input chain, in order: a reset must come before the reject of the same set. */
static const struct {
        const struct nf_fam *f;
        enum nf_input_rule kind;
} nf_input_rules[] = {
        { &nf_fam4, NF_RULE_RELEASE_RESET }, { &nf_fam4, NF_RULE_RELEASE_REJECT },
        { &nf_fam6, NF_RULE_RELEASE_RESET }, { &nf_fam6, NF_RULE_RELEASE_REJECT },
        { &nf_fam4, NF_RULE_TRACK_DELETE },  { &nf_fam4, NF_RULE_TRACK_UPDATE },
        { &nf_fam6, NF_RULE_TRACK_DELETE },  { &nf_fam6, NF_RULE_TRACK_UPDATE },
};

int nf_tables_create(char *err, size_t errlen) {
        static const char what[] = "create table inet " NF_TABLE_NAME;
        struct nf_batch bt;
        int r;

        r = nf_batch_init(&bt, what, err, errlen);
        if (r < 0)
                return r;
        r = nf_put_table(&bt, NFT_MSG_NEWTABLE);
        for (size_t i = 0; r >= 0 && i < sizeof(nf_sets) / sizeof(nf_sets[0]); i++)
                r = nf_put_set(&bt, &nf_sets[i]);
        if (r >= 0)
                r = nf_put_chain(&bt, NFT_MSG_NEWCHAIN, &nf_chain_input);
        /* Flush and refill in the same batch: re-creating leaves exactly one copy of each rule. */
        if (r >= 0)
                r = nf_put_flush(&bt, nf_chain_input.name);
        for (size_t i = 0; r >= 0 && i < sizeof(nf_input_rules) / sizeof(nf_input_rules[0]); i++)
                r = nf_put_input_rule(&bt, nf_input_rules[i].f, nf_input_rules[i].kind);
        if (r >= 0)
                r = nf_put_chain(&bt, NFT_MSG_NEWCHAIN, &nf_chain_output);
        if (r >= 0)
                r = nf_put_flush(&bt, nf_chain_output.name);
        if (r >= 0)
                r = nf_put_output_rule(&bt, &nf_fam4);
        if (r >= 0)
                r = nf_put_output_rule(&bt, &nf_fam6);
        return nf_batch_finish(&bt, r, what, err, errlen);
}

int nf_tables_delete(char *err, size_t errlen) {
        static const char what[] = "delete table inet " NF_TABLE_NAME;
        struct nf_batch bt;
        int r;

        r = nf_batch_init(&bt, what, err, errlen);
        if (r < 0)
                return r;
        r = nf_batch_finish(&bt, nf_put_table(&bt, NFT_MSG_DELTABLE), what, err, errlen);
        if (r == -ENOENT) {
                /* Deleting what is not there is the state the caller asked for. */
                if (err && errlen)
                        err[0] = '\0';
                return 0;
        }
        return r;
}

/* Adds or removes elements of the 4/6 set pair that starts at nf_sets[pair], named base in messages. */
static int nf_tables_elems(size_t pair, const char *base, const struct ctdb_ip *a, size_t n, bool add,
                           char *err, size_t errlen) {
        char what[128], s[CTDB_IP_STRLEN];
        struct nf_batch bt;
        int r;

        snprintf(what, sizeof(what), "%s %s %s %s set", add ? "add" : "remove",
                 n == 1 ? ctdb_ip_to_string(a, false, s, sizeof(s)) : "addresses",
                 add ? "to the" : "from the", base);
        if (n > NF_ADDRS_MAX) {
                nf_seterr(err, errlen, "Cannot %s: more than %u addresses", what, NF_ADDRS_MAX);
                return -E2BIG;
        }
        for (size_t i = 0; i < n; i++)
                if (a[i].family != AF_INET && a[i].family != AF_INET6) {
                        nf_seterr(err, errlen, "Cannot %s: address %zu has an unknown family", what, i);
                        return -EAFNOSUPPORT;
                }

        r = nf_batch_init(&bt, what, err, errlen);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++) {
                const struct nf_set_def *d = &nf_sets[pair + nf_fam_of(a[i].family)->idx];
                struct nftnl_set *set = nf_set_new(d->name);
                struct nftnl_set_elem *e = nftnl_set_elem_alloc();
                struct nlmsghdr *nlh;

                if (!set || !e) {
                        nftnl_set_free(set);
                        nftnl_set_elem_free(e);
                        r = -ENOMEM;
                        break;
                }
                nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, a[i].u.bytes, (uint32_t) ctdb_ip_len(&a[i]));
                nftnl_set_elem_add(set, e);
                nlh = nf_batch_msg(&bt, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
                                   add ? NLM_F_CREATE : 0, "%s element %s %s set inet %s %s",
                                   add ? "add" : "delete", ctdb_ip_to_string(&a[i], false, s, sizeof(s)),
                                   add ? "to" : "from", NF_TABLE_NAME, d->name);
                nftnl_set_elems_nlmsg_build_payload(nlh, set);
                nftnl_set_free(set);
                nf_batch_next(&bt);
        }
        return nf_batch_finish(&bt, r, what, err, errlen);
}

int nf_tables_release_add(const struct ctdb_ip *a, size_t n, char *err, size_t errlen) {
        return nf_tables_elems(NF_SET_RELEASE, "release", a, n, true, err, errlen);
}

int nf_tables_release_del(const struct ctdb_ip *a, size_t n, char *err, size_t errlen) {
        return nf_tables_elems(NF_SET_RELEASE, "release", a, n, false, err, errlen);
}

int nf_tables_public_add(const struct ctdb_ip *a, size_t n, char *err, size_t errlen) {
        return nf_tables_elems(NF_SET_PUBLIC, "public", a, n, true, err, errlen);
}

int nf_tables_public_del(const struct ctdb_ip *a, size_t n, char *err, size_t errlen) {
        return nf_tables_elems(NF_SET_PUBLIC, "public", a, n, false, err, errlen);
}

/* ---- tracked connections ---- */

struct nf_tracked_walk {
        nf_tracked_cb cb;
        void *userdata;
        int n;
        int r;
};

/* Decodes one key: saddr, sport (padded to 4), daddr, dport (padded to 4). */
static int nf_tracked_key(const uint8_t *key, size_t len, struct nf_tracked_conn *c) {
        uint16_t port;

        if (len == 16) {
                c->client.in.sin_family = AF_INET;
                memcpy(&c->client.in.sin_addr, key, 4);
                memcpy(&port, key + 4, 2);
                c->client.in.sin_port = port;
                c->server.in.sin_family = AF_INET;
                memcpy(&c->server.in.sin_addr, key + 8, 4);
                memcpy(&port, key + 12, 2);
                c->server.in.sin_port = port;
        } else if (len == 40) {
                c->client.in6.sin6_family = AF_INET6;
                memcpy(&c->client.in6.sin6_addr, key, 16);
                memcpy(&port, key + 16, 2);
                c->client.in6.sin6_port = port;
                c->server.in6.sin6_family = AF_INET6;
                memcpy(&c->server.in6.sin6_addr, key + 20, 16);
                memcpy(&port, key + 36, 2);
                c->server.in6.sin6_port = port;
        } else
                return -EBADMSG;
        return 0;
}

/*
 * Our own walk over NFTA_SET_ELEM_LIST_ELEMENTS rather than
 * nftnl_set_elems_nlmsg_parse(): libnftnl calls exit() on some malformed
 * attributes (found by fuzz-netlink), and a daemon must not.
 */
static int nf_tracked_parse(const struct nlmsghdr *nlh, struct nf_tracked_walk *w) {
        const struct nlattr *attr, *elem, *a, *d;

        if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWSETELEM ||
            nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg)))
                return -EBADMSG;
        mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
                if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
                        continue;
                mnl_attr_for_each_nested(elem, attr) {
                        struct nf_tracked_conn c = {};
                        bool have_key = false;

                        if (mnl_attr_get_type(elem) != NFTA_LIST_ELEM)
                                return -EBADMSG;
                        mnl_attr_for_each_nested(a, elem) {
                                switch (mnl_attr_get_type(a)) {
                                case NFTA_SET_ELEM_KEY:
                                        mnl_attr_for_each_nested(d, a)
                                                if (mnl_attr_get_type(d) == NFTA_DATA_VALUE) {
                                                if (nf_tracked_key(mnl_attr_get_payload(d),
                                                                   mnl_attr_get_payload_len(d), &c) < 0)
                                                        return -EBADMSG;
                                                have_key = true;
                                                }
                                        break;
                                case NFTA_SET_ELEM_EXPIRATION:
                                        if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
                                                return -EBADMSG;
                                        c.expires_ms = be64toh(mnl_attr_get_u64(a));
                                        break;
                                default:
                                        break;
                                }
                        }
                        if (!have_key)
                                return -EBADMSG;
                        w->n++;
                        if (w->cb) {
                                int r = w->cb(&c, w->userdata);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        return 0;
}

int nf_tables_tracked_parse_msg(const struct nlmsghdr *nlh, nf_tracked_cb cb, void *userdata) {
        struct nf_tracked_walk w = { .cb = cb, .userdata = userdata };
        int r = nf_tracked_parse(nlh, &w);

        return r < 0 ? r : w.n;
}

static int nf_tracked_dump_cb(const struct nlmsghdr *nlh, void *data) {
        struct nf_tracked_walk *w = data;

        w->r = nf_tracked_parse(nlh, w);
        if (w->r < 0) {
                errno = -w->r;
                return MNL_CB_ERROR;
        }
        return MNL_CB_OK;
}

int nf_tables_tracked_list(int family, nf_tracked_cb cb, void *userdata, char *err, size_t errlen) {
        struct nf_tracked_walk w = { .cb = cb, .userdata = userdata };
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct mnl_socket *nl;
        int r;

        r = nf_nl_open(NETLINK_NETFILTER, 0, &nl);
        if (r < 0) {
                nf_seterr(err, errlen, "Cannot list tracked connections: netlink socket: %s", strerror(-r));
                return r;
        }
        for (int i = 0; i < 2 && r >= 0; i++) {
                struct nftnl_set *s;
                struct nlmsghdr *nlh;

                if ((family == AF_INET && i == 1) || (family == AF_INET6 && i == 0))
                        continue;
                s = nf_set_new(nf_sets[NF_SET_TRACKED + i].name);
                if (s) {
                        nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP, 0);
                        nftnl_set_elems_nlmsg_build_payload(nlh, s);
                        nftnl_set_free(s);
                        w.r = 0;
                        r = nf_nl_talk(nl, nlh, nf_tracked_dump_cb, &w);
                        if (w.r < 0)
                                r = w.r;
                } else
                        r = -ENOMEM;
                if (r < 0)
                        nf_seterr(err, errlen, "Cannot list set inet %s %s: %s%s", NF_TABLE_NAME,
                                  nf_sets[NF_SET_TRACKED + i].name, strerror(-r),
                                  r == -ENOENT ? " (does table inet " NF_TABLE_NAME " exist?)" : "");
        }
        mnl_socket_close(nl);
        return r < 0 ? r : w.n;
}

/* ---- load balancing and NAT gateway ---- */

/* Puts the rule for entry i of a replace call. */
typedef int (*nf_put_entry_fn)(struct nf_batch *bt, const void *entries, size_t i);

/*
 * Replaces the rules of chain c in one batch: the chain is created if need
 * be, flushed and refilled with one rule per entry; with no entries it is
 * deleted instead.
 */
static int nf_chain_replace(const struct nf_chain_def *c, nf_put_entry_fn put, const void *entries, size_t n,
                            const char *what, char *err, size_t errlen) {
        struct nf_batch bt;
        int r;

        r = nf_batch_init(&bt, what, err, errlen);
        if (r < 0)
                return r;
        bt.family = c->family;
        r = nf_put_table(&bt, NFT_MSG_NEWTABLE);
        if (r >= 0)
                r = nf_put_chain(&bt, NFT_MSG_NEWCHAIN, c);
        if (r >= 0)
                r = nf_put_flush(&bt, c->name);
        for (size_t i = 0; i < n && r >= 0; i++)
                r = put(&bt, entries, i);
        /* table arp ctdb holds this one chain only, so it goes with it (added first: no -ENOENT). */
        if (r >= 0 && n == 0)
                r = c->family == NFPROTO_ARP ? nf_put_table(&bt, NFT_MSG_DELTABLE)
                                             : nf_put_chain(&bt, NFT_MSG_DELCHAIN, c);
        return nf_batch_finish(&bt, r, what, err, errlen);
}

/*
 * The rules of chain lb (prerouting), for entry i:
 *   iif "lo" accept                                        (once, first)
 *   ip daddr ADDR jhash ip saddr mod N seed S != SLOT drop
 *   ip daddr ADDR meta pkttype set host
 * A shared address arrives in frames to a multicast MAC (nf-link.h), which
 * the kernel marks PACKET_MULTICAST and TCP then discards: the packets this
 * node keeps become "host" packets. Loopback is this node talking to itself
 * and is always its own.
 */
static int nf_put_lb_rule(struct nf_batch *bt, const void *entries, size_t i) {
        const struct nf_lb_entry *e = (const struct nf_lb_entry *) entries + i;
        const struct nf_fam *f = nf_fam_of(e->addr.family);
        struct nf_rule rb;
        struct ctdb_ip host = e->addr;
        uint32_t slot = e->slot, lo = 1; /* LOOPBACK_IFINDEX, the same in every namespace */
        uint8_t pkttype = PACKET_HOST;
        char s[CTDB_IP_STRLEN];
        int r;

        if (i == 0) {
                rb = nf_rule_new(nf_chain_lb.name);
                nf_meta(&rb, NFT_META_IIF, NFT_REG_1);
                nf_cmp(&rb, NFT_CMP_EQ, &lo, sizeof(lo));
                nf_verdict(&rb, NF_ACCEPT);
                r = nf_put_rule(bt, &rb, "add rule inet %s lb (loopback accept)", NF_TABLE_NAME);
                if (r < 0)
                        return r;
        }
        host.prefixlen = (unsigned) f->alen * 8;
        ctdb_ip_to_string(&e->addr, false, s, sizeof(s));

        rb = nf_rule_new_fam(nf_chain_lb.name, f);
        nf_match_prefix(&rb, f->daddr_off, &host, NFT_CMP_EQ);
        nf_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, f->saddr_off, f->alen, NFT_REG_2);
        nf_hash(&rb, NFT_REG_2, f->alen, e->modulus);
        nf_cmp(&rb, NFT_CMP_NEQ, &slot, sizeof(slot));
        nf_verdict(&rb, NF_DROP);
        r = nf_put_rule(bt, &rb, "add rule inet %s lb (%s slot %u of %u)", NF_TABLE_NAME, s, slot,
                        e->modulus);
        if (r < 0)
                return r;

        rb = nf_rule_new_fam(nf_chain_lb.name, f);
        nf_match_prefix(&rb, f->daddr_off, &host, NFT_CMP_EQ);
        nf_immediate(&rb, &pkttype, sizeof(pkttype));
        nf_meta_set(&rb, NFT_META_PKTTYPE);
        return nf_put_rule(bt, &rb, "add rule inet %s lb (%s pkttype host)", NF_TABLE_NAME, s);
}

int nf_tables_lb_apply(const struct nf_lb_entry *e, size_t n, char *err, size_t errlen) {
        char s[CTDB_IP_STRLEN];

        if (n > NF_LB_MAX) {
                nf_seterr(err, errlen, "Cannot apply load balancing: more than %u addresses", NF_LB_MAX);
                return -E2BIG;
        }
        for (size_t i = 0; i < n; i++) {
                if (e[i].addr.family != AF_INET && e[i].addr.family != AF_INET6) {
                        nf_seterr(err, errlen,
                                  "Cannot apply load balancing: address %zu has an unknown family", i);
                        return -EINVAL;
                }
                if (e[i].modulus == 0 || e[i].slot >= e[i].modulus) {
                        nf_seterr(err, errlen,
                                  "Cannot apply load balancing for %s: slot %u of %u (need slot < number of "
                                  "slots)",
                                  ctdb_ip_to_string(&e[i].addr, false, s, sizeof(s)), e[i].slot,
                                  e[i].modulus);
                        return -EINVAL;
                }
        }
        return nf_chain_replace(&nf_chain_lb, nf_put_lb_rule, e, n, "apply load balancing", err, errlen);
}

/* ip saddr NET ip daddr != NET oifname "IF" masquerade */
static int nf_put_natgw_rule(struct nf_batch *bt, const void *entries, size_t i) {
        const struct nf_natgw_entry *e = (const struct nf_natgw_entry *) entries + i;
        const struct nf_fam *f = nf_fam_of(e->network.family);
        struct nf_rule rb = nf_rule_new_fam(nf_chain_natgw.name, f);
        char ifname[IF_NAMESIZE] = {}, s[CTDB_IP_STRLEN];

        /* oifname compares all IF_NAMESIZE bytes, the padding zeroed. */
        memcpy(ifname, e->ifname, strnlen(e->ifname, sizeof(ifname) - 1));
        nf_match_prefix(&rb, f->saddr_off, &e->network, NFT_CMP_EQ);
        nf_match_prefix(&rb, f->daddr_off, &e->network, NFT_CMP_NEQ);
        nf_meta(&rb, NFT_META_OIFNAME, NFT_REG_1);
        nf_cmp(&rb, NFT_CMP_EQ, ifname, sizeof(ifname));
        (void) nf_expr(&rb, "masq");
        return nf_put_rule(bt, &rb, "add rule inet %s natgw (%s via %s)", NF_TABLE_NAME,
                           ctdb_ip_to_string(&e->network, true, s, sizeof(s)), ifname);
}

int nf_tables_natgw_apply(const struct nf_natgw_entry *e, size_t n, char *err, size_t errlen) {
        char s[CTDB_IP_STRLEN];

        if (n > NF_NATGW_MAX) {
                nf_seterr(err, errlen, "Cannot apply the NAT gateway: more than %u networks", NF_NATGW_MAX);
                return -E2BIG;
        }
        for (size_t i = 0; i < n; i++) {
                if (e[i].network.family != AF_INET && e[i].network.family != AF_INET6) {
                        nf_seterr(err, errlen,
                                  "Cannot apply the NAT gateway: network %zu has an unknown family", i);
                        return -EINVAL;
                }
                /* nf_match_prefix() builds its mask in an address-sized buffer. */
                if (e[i].network.prefixlen > ctdb_ip_len(&e[i].network) * 8 || !e[i].ifname[0] ||
                    strnlen(e[i].ifname, IF_NAMESIZE) >= IF_NAMESIZE) {
                        nf_seterr(err, errlen,
                                  "Cannot apply the NAT gateway for %s: bad prefix length or interface name",
                                  ctdb_ip_to_string(&e[i].network, true, s, sizeof(s)));
                        return -EINVAL;
                }
        }
        return nf_chain_replace(&nf_chain_natgw, nf_put_natgw_rule, e, n, "apply the NAT gateway", err,
                                errlen);
}

/*
 * arp saddr ip ADDR arp saddr ether set MAC, for Ethernet ARP only (hlen 6,
 * plen 4: the offsets below are Ethernet's). The offsets are those of the ARP
 * header: sha at 8, spa at 14.
 */
static int nf_put_arp_rule(struct nf_batch *bt, const void *entries, size_t i) {
        const struct nf_arp_entry *e = (const struct nf_arp_entry *) entries + i;
        struct nf_rule rb = nf_rule_new(nf_chain_arp.name);
        uint8_t hlen = 6, plen = 4;
        char s[CTDB_IP_STRLEN];

        if (rb.r)
                nftnl_rule_set_u32(rb.r, NFTNL_RULE_FAMILY, NFPROTO_ARP);
        nf_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, 4, 1, NFT_REG_1);
        nf_cmp(&rb, NFT_CMP_EQ, &hlen, 1);
        nf_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, 5, 1, NFT_REG_1);
        nf_cmp(&rb, NFT_CMP_EQ, &plen, 1);
        nf_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, 14, 4, NFT_REG_1);
        nf_cmp(&rb, NFT_CMP_EQ, e->addr.u.bytes, 4);
        nf_immediate(&rb, e->mac, sizeof(e->mac));
        nf_payload_write(&rb, NFT_PAYLOAD_NETWORK_HEADER, 8, sizeof(e->mac));
        return nf_put_rule(bt, &rb, "add rule arp %s output (%s)", NF_TABLE_NAME,
                           ctdb_ip_to_string(&e->addr, false, s, sizeof(s)));
}

int nf_tables_arp_apply(const struct nf_arp_entry *e, size_t n, char *err, size_t errlen) {
        if (n > NF_LB_MAX) {
                nf_seterr(err, errlen, "Cannot apply the ARP rules: more than %u addresses", NF_LB_MAX);
                return -E2BIG;
        }
        for (size_t i = 0; i < n; i++)
                if (e[i].addr.family != AF_INET) {
                        nf_seterr(err, errlen, "Cannot apply the ARP rules: address %zu is not IPv4", i);
                        return -EAFNOSUPPORT;
                }
        return nf_chain_replace(&nf_chain_arp, nf_put_arp_rule, e, n, "apply the ARP rules", err, errlen);
}
