/*
 * Generic marshalling driven by struct wire_desc tables (see wire.h).
 *
 * Every read checks the bytes left first; every length or count is compared with
 * both its field's max and the bytes left before anything is allocated, so a
 * hostile peer cannot make us allocate more than it actually sent.
 */

#include <errno.h>
#include <string.h>
#include <talloc.h>

#include "talloc-util.h"
#include "wire.h"

/* ---- integers in either byte order ------------------------------------- */

static void put16(enum wire_order o, uint8_t *p, uint16_t v) {
        if (o == WIRE_ORDER_NATIVE) {
                memcpy(p, &v, sizeof(v));
                return;
        }
        p[0] = v & 0xff;
        p[1] = v >> 8;
}

static void put32(enum wire_order o, uint8_t *p, uint32_t v) {
        if (o == WIRE_ORDER_NATIVE) {
                memcpy(p, &v, sizeof(v));
                return;
        }
        for (int i = 0; i < 4; i++)
                p[i] = (v >> (8 * i)) & 0xff;
}

static void put64(enum wire_order o, uint8_t *p, uint64_t v) {
        if (o == WIRE_ORDER_NATIVE) {
                memcpy(p, &v, sizeof(v));
                return;
        }
        for (int i = 0; i < 8; i++)
                p[i] = (v >> (8 * i)) & 0xff;
}

static uint16_t get16(enum wire_order o, const uint8_t *p) {
        uint16_t v;

        if (o == WIRE_ORDER_NATIVE) {
                memcpy(&v, p, sizeof(v));
                return v;
        }
        return (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t get32(enum wire_order o, const uint8_t *p) {
        uint32_t v;

        if (o == WIRE_ORDER_NATIVE) {
                memcpy(&v, p, sizeof(v));
                return v;
        }
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint64_t get64(enum wire_order o, const uint8_t *p) {
        uint64_t v;

        if (o == WIRE_ORDER_NATIVE) {
                memcpy(&v, p, sizeof(v));
                return v;
        }
        return (uint64_t) get32(o, p) | (uint64_t) get32(o, p + 4) << 32;
}

#define MEMBER(msg, f, type) ((type *) ((uint8_t *) (msg) + (f)->offset))
#define CMEMBER(msg, f, type) ((const type *) ((const uint8_t *) (msg) + (f)->offset))
#define LENGTH(msg, f) (*(const uint32_t *) ((const uint8_t *) (msg) + (f)->len_offset))
#define SET_LENGTH(msg, f, v) (*(uint32_t *) ((uint8_t *) (msg) + (f)->len_offset) = (v))

/* Zero bytes that bring pos to a multiple of n, counted from the payload's start. */
static size_t align_pad(size_t pos, uint32_t n) {
        return n > 1 ? (n - pos % n) % n : 0;
}

/* ---- size ---------------------------------------------------------------- */

static size_t desc_end(const struct wire_desc *desc, const void *msg, size_t pos);

/* Where a field that starts at pos ends. */
static size_t field_end(const struct wire_field *f, const void *msg, size_t pos) {
        const uint8_t *elems;

        switch (f->type) {
        case WIRE_TYPE_U8:
        case WIRE_TYPE_U16:
        case WIRE_TYPE_U32:
        case WIRE_TYPE_U64:
        case WIRE_TYPE_U32_TOTAL:
        case WIRE_TYPE_FIXED:
                return pos + f->size;
        case WIRE_TYPE_BLOB:
        case WIRE_TYPE_STRING:
                return pos + 4 + (size_t) LENGTH(msg, f);
        case WIRE_TYPE_BLOB_SIZED:
                return pos + (size_t) LENGTH(msg, f);
        case WIRE_TYPE_U32_ARRAY:
                return pos + 4 + 4 * (size_t) LENGTH(msg, f);
        case WIRE_TYPE_PAD:
                return pos + f->max;
        case WIRE_TYPE_ALIGN:
                return pos + align_pad(pos, f->max);
        case WIRE_TYPE_STRUCT:
                return desc_end(f->desc, CMEMBER(msg, f, uint8_t), pos);
        case WIRE_TYPE_STRUCT_ARRAY:
                pos += 4;
                elems = *CMEMBER(msg, f, uint8_t *);
                for (uint32_t k = 0; k < LENGTH(msg, f); k++)
                        pos = desc_end(f->desc, elems + k * f->size, pos);
                return pos;
        }
        return pos;
}

/* Where the first n fields of desc end. */
static size_t fields_end(const struct wire_desc *desc, const void *msg, size_t pos, size_t n) {
        for (size_t i = 0; i < n; i++)
                pos = field_end(&desc->fields[i], msg, pos);
        return pos;
}

static size_t desc_end(const struct wire_desc *desc, const void *msg, size_t pos) {
        return fields_end(desc, msg, pos, desc->n_fields);
}

/* An integer of zero, or a string, blob or array of none. */
static bool field_is_empty(const struct wire_field *f, const void *msg) {
        static const uint8_t zero[8];

        switch (f->type) {
        case WIRE_TYPE_BLOB:
        case WIRE_TYPE_STRING:
        case WIRE_TYPE_U32_ARRAY:
        case WIRE_TYPE_STRUCT_ARRAY:
                return LENGTH(msg, f) == 0;
        default:
                return memcmp(CMEMBER(msg, f, uint8_t), zero, f->size) == 0;
        }
}

/* The fields a kind's payload sends: all but the trailing optional ones that are empty (see wire.h). */
static size_t desc_n_sent(const struct wire_desc *desc, const void *msg) {
        size_t n = desc->n_fields;

        while (n > 0 && (desc->fields[n - 1].flags & WIRE_FIELD_OPTIONAL) &&
               field_is_empty(&desc->fields[n - 1], msg))
                n--;
        return n;
}

size_t wire_payload_size(const struct wire_desc *desc, const void *msg) {
        return fields_end(desc, msg, 0, desc_n_sent(desc, msg));
}

/*
 * The fewest bytes any message of desc takes (alignment counts nothing): what
 * one element of a STRUCT_ARRAY must at least have sent for its count to be believed.
 */
static size_t desc_min_size(const struct wire_desc *desc) {
        size_t n = 0;

        for (size_t i = 0; i < desc->n_fields; i++) {
                const struct wire_field *f = &desc->fields[i];

                if (f->flags & WIRE_FIELD_OPTIONAL)
                        continue;
                switch (f->type) {
                case WIRE_TYPE_U8:
                case WIRE_TYPE_U16:
                case WIRE_TYPE_U32:
                case WIRE_TYPE_U64:
                case WIRE_TYPE_U32_TOTAL:
                case WIRE_TYPE_FIXED:
                        n += f->size;
                        break;
                case WIRE_TYPE_BLOB:
                case WIRE_TYPE_STRING:
                case WIRE_TYPE_U32_ARRAY:
                case WIRE_TYPE_STRUCT_ARRAY:
                        n += 4;
                        break;
                case WIRE_TYPE_PAD:
                        n += f->max;
                        break;
                case WIRE_TYPE_STRUCT:
                        n += desc_min_size(f->desc);
                        break;
                case WIRE_TYPE_ALIGN:
                case WIRE_TYPE_BLOB_SIZED:
                        break;
                }
        }
        return n;
}

/* ---- pack ---------------------------------------------------------------- */

struct packer {
        uint8_t *buf;
        size_t size;
        size_t pos;
        enum wire_order order;
};

/* n bytes at the end of what is packed, or NULL when they do not fit. */
static uint8_t *pack_reserve(struct packer *p, size_t n) {
        uint8_t *at;

        if (p->size - p->pos < n)
                return NULL;
        at = p->buf + p->pos;
        p->pos += n;
        return at;
}

static int pack_desc(const struct wire_desc *desc, const void *msg, struct packer *p);

static int pack_field(const struct wire_field *f, const void *msg, struct packer *p) {
        bool prefixed = true;
        uint32_t len = 0;
        uint8_t *at;
        int r;

        switch (f->type) {
        case WIRE_TYPE_U8:
        case WIRE_TYPE_U16:
        case WIRE_TYPE_U32:
        case WIRE_TYPE_U64:
        case WIRE_TYPE_U32_TOTAL:
        case WIRE_TYPE_FIXED:
        case WIRE_TYPE_PAD:
        case WIRE_TYPE_ALIGN:
        case WIRE_TYPE_STRUCT:
                break;
        case WIRE_TYPE_BLOB_SIZED:
                prefixed = false;
                /* fall through */
        case WIRE_TYPE_BLOB:
        case WIRE_TYPE_STRING:
        case WIRE_TYPE_U32_ARRAY:
        case WIRE_TYPE_STRUCT_ARRAY:
                len = LENGTH(msg, f);
                if (len > f->max)
                        return -EINVAL;
                if (prefixed) {
                        at = pack_reserve(p, 4);
                        if (!at)
                                return -EMSGSIZE;
                        put32(p->order, at, len);
                }
                break;
        }

        switch (f->type) {
        case WIRE_TYPE_U8:
        case WIRE_TYPE_U16:
        case WIRE_TYPE_U32:
        case WIRE_TYPE_U64:
        case WIRE_TYPE_FIXED:
                at = pack_reserve(p, f->size);
                if (!at)
                        return -EMSGSIZE;
                if (f->type == WIRE_TYPE_U16)
                        put16(p->order, at, *CMEMBER(msg, f, uint16_t));
                else if (f->type == WIRE_TYPE_U32)
                        put32(p->order, at, *CMEMBER(msg, f, uint32_t));
                else if (f->type == WIRE_TYPE_U64)
                        put64(p->order, at, *CMEMBER(msg, f, uint64_t));
                else
                        memcpy(at, CMEMBER(msg, f, uint8_t), f->size);
                break;
        case WIRE_TYPE_U32_TOTAL:
                /* Written by pack_fields() once the rest of the description is packed. */
                at = pack_reserve(p, 4);
                if (!at)
                        return -EMSGSIZE;
                break;
        case WIRE_TYPE_PAD:
        case WIRE_TYPE_ALIGN:
                len = f->type == WIRE_TYPE_PAD ? f->max : (uint32_t) align_pad(p->pos, f->max);
                at = pack_reserve(p, len);
                if (!at)
                        return -EMSGSIZE;
                memset(at, 0, len);
                break;
        case WIRE_TYPE_BLOB:
        case WIRE_TYPE_STRING:
        case WIRE_TYPE_BLOB_SIZED:
                at = pack_reserve(p, len);
                if (!at)
                        return -EMSGSIZE;
                if (len > 0)
                        memcpy(at, *CMEMBER(msg, f, uint8_t *), len);
                break;
        case WIRE_TYPE_U32_ARRAY:
                at = pack_reserve(p, 4 * (size_t) len);
                if (!at)
                        return -EMSGSIZE;
                for (uint32_t k = 0; k < len; k++)
                        put32(p->order, at + 4 * k, (*CMEMBER(msg, f, uint32_t *))[k]);
                break;
        case WIRE_TYPE_STRUCT:
                if (f->desc->size != f->size)
                        return -EINVAL;
                return pack_desc(f->desc, CMEMBER(msg, f, uint8_t), p);
        case WIRE_TYPE_STRUCT_ARRAY:
                if (f->desc->size != f->size)
                        return -EINVAL;
                for (uint32_t k = 0; k < len; k++) {
                        r = pack_desc(f->desc, *CMEMBER(msg, f, uint8_t *) + k * f->size, p);
                        if (r < 0)
                                return r;
                }
                break;
        }
        return 0;
}

/* The first n fields of desc. */
static int pack_fields(const struct wire_desc *desc, const void *msg, struct packer *p, size_t n) {
        size_t total_at = SIZE_MAX;

        for (size_t i = 0; i < n; i++) {
                int r;

                if (desc->fields[i].type == WIRE_TYPE_U32_TOTAL)
                        total_at = p->pos;
                r = pack_field(&desc->fields[i], msg, p);
                if (r < 0)
                        return r;
        }
        if (total_at != SIZE_MAX) {
                if (p->pos - total_at > UINT32_MAX)
                        return -EMSGSIZE;
                put32(p->order, p->buf + total_at, (uint32_t) (p->pos - total_at));
        }
        return 0;
}

static int pack_desc(const struct wire_desc *desc, const void *msg, struct packer *p) {
        return pack_fields(desc, msg, p, desc->n_fields);
}

int wire_pack(const struct wire_desc *desc, const void *msg, uint8_t *buf, size_t buf_size) {
        size_t need = wire_payload_size(desc, msg);
        struct packer p = { .buf = buf, .size = need, .order = desc->order };
        int r;

        if (need > buf_size)
                return -EMSGSIZE;
        if (need > INT32_MAX)
                return -EMSGSIZE;
        r = pack_fields(desc, msg, &p, desc_n_sent(desc, msg));
        if (r < 0)
                return r;
        return (int) p.pos;
}

/* ---- unpack -------------------------------------------------------------- */

struct reader {
        const uint8_t *buf;
        size_t size;
        size_t pos;
        enum wire_order order;
};

/* The n bytes at the read position, or NULL when fewer are left. */
static const uint8_t *read_bytes(struct reader *rd, size_t n) {
        const uint8_t *at;

        if (rd->size - rd->pos < n)
                return NULL;
        at = rd->buf + rd->pos;
        rd->pos += n;
        return at;
}

static int unpack_desc(const struct wire_desc *desc, void *mem_ctx, struct reader *rd, void *msg);

/* n structs of f->desc into a new array: the count is believed only when the bytes left can hold it. */
static int unpack_struct_array(const struct wire_field *f, void *mem_ctx, struct reader *rd, uint32_t n,
                               void **ret) {
        size_t min = desc_min_size(f->desc);
        uint8_t *a;
        int r;

        if (f->desc->size != f->size)
                return -EINVAL;
        /* An element of no bytes still counts as one, so that a count never outgrows what was sent. */
        if (n > (rd->size - rd->pos) / (min > 0 ? min : 1))
                return -EBADMSG;
        *ret = NULL;
        if (n == 0)
                return 0;
        a = talloc_zero_size(mem_ctx, (size_t) n * f->size);
        if (!a)
                return -ENOMEM;
        talloc_set_name_const(a, f->desc->name);
        for (uint32_t k = 0; k < n; k++) {
                r = unpack_desc(f->desc, a, rd, a + (size_t) k * f->size);
                if (r < 0) {
                        talloc_free(a);
                        return r;
                }
        }
        *ret = a;
        return 0;
}

static int unpack_field(const struct wire_field *f, void *mem_ctx, struct reader *rd, void *msg) {
        const uint8_t *at;
        uint32_t len = 0;
        size_t left;
        int r;

        /* Sent by an older minor version without it: zero, as msg was cleared. */
        if ((f->flags & WIRE_FIELD_OPTIONAL) && rd->pos == rd->size)
                return 0;
        switch (f->type) {
        case WIRE_TYPE_BLOB:
        case WIRE_TYPE_STRING:
        case WIRE_TYPE_U32_ARRAY:
        case WIRE_TYPE_STRUCT_ARRAY:
                at = read_bytes(rd, 4);
                if (!at)
                        return -EBADMSG;
                len = get32(rd->order, at);
                break;
        case WIRE_TYPE_BLOB_SIZED:
                len = LENGTH(msg, f);
                break;
        default:
                break;
        }
        if (len > f->max)
                return -E2BIG;
        left = rd->size - rd->pos;

        switch (f->type) {
        case WIRE_TYPE_U8:
        case WIRE_TYPE_U16:
        case WIRE_TYPE_U32:
        case WIRE_TYPE_U64:
        case WIRE_TYPE_U32_TOTAL:
        case WIRE_TYPE_FIXED:
                at = read_bytes(rd, f->size);
                if (!at)
                        return -EBADMSG;
                if (f->type == WIRE_TYPE_U16)
                        *MEMBER(msg, f, uint16_t) = get16(rd->order, at);
                else if (f->type == WIRE_TYPE_U32 || f->type == WIRE_TYPE_U32_TOTAL)
                        *MEMBER(msg, f, uint32_t) = get32(rd->order, at);
                else if (f->type == WIRE_TYPE_U64)
                        *MEMBER(msg, f, uint64_t) = get64(rd->order, at);
                else
                        memcpy(MEMBER(msg, f, uint8_t), at, f->size);
                break;
        case WIRE_TYPE_PAD:
                if (!read_bytes(rd, f->max))
                        return -EBADMSG;
                break;
        case WIRE_TYPE_ALIGN:
                if (!read_bytes(rd, align_pad(rd->pos, f->max)))
                        return -EBADMSG;
                break;
        case WIRE_TYPE_BLOB:
        case WIRE_TYPE_BLOB_SIZED:
                at = read_bytes(rd, len);
                if (!at)
                        return -EBADMSG;
                *MEMBER(msg, f, const uint8_t *) = len > 0 ? at : NULL;
                break;
        case WIRE_TYPE_STRING: {
                char *s;

                at = read_bytes(rd, len);
                if (!at)
                        return -EBADMSG;
                s = talloc_strndup(mem_ctx, (const char *) at, len);
                if (!s)
                        return -ENOMEM;
                /* An embedded NUL would make the string lie about its length. */
                if (strlen(s) != len) {
                        talloc_free(s);
                        return -EBADMSG;
                }
                *MEMBER(msg, f, char *) = s;
                break;
        }
        case WIRE_TYPE_U32_ARRAY: {
                uint32_t *a = NULL;

                if (len > left / 4)
                        return -EBADMSG;
                if (len > 0) {
                        a = talloc_array(mem_ctx, uint32_t, len);
                        if (!a)
                                return -ENOMEM;
                        at = read_bytes(rd, 4 * (size_t) len);
                        for (uint32_t k = 0; k < len; k++)
                                a[k] = get32(rd->order, at + 4 * k);
                }
                *MEMBER(msg, f, uint32_t *) = a;
                break;
        }
        case WIRE_TYPE_STRUCT:
                if (f->desc->size != f->size)
                        return -EINVAL;
                return unpack_desc(f->desc, mem_ctx, rd, MEMBER(msg, f, uint8_t));
        case WIRE_TYPE_STRUCT_ARRAY:
                r = unpack_struct_array(f, mem_ctx, rd, len, MEMBER(msg, f, void *));
                if (r < 0)
                        return r;
                break;
        }

        if (f->type == WIRE_TYPE_BLOB || f->type == WIRE_TYPE_STRING || f->type == WIRE_TYPE_U32_ARRAY ||
            f->type == WIRE_TYPE_STRUCT_ARRAY)
                SET_LENGTH(msg, f, len);
        return 0;
}

static int unpack_desc(const struct wire_desc *desc, void *mem_ctx, struct reader *rd, void *msg) {
        size_t total_at = SIZE_MAX, size = rd->size;
        uint32_t total = 0;
        int r = 0;

        for (size_t i = 0; i < desc->n_fields && r >= 0; i++) {
                const struct wire_field *f = &desc->fields[i];
                size_t at = rd->pos;

                r = unpack_field(f, mem_ctx, rd, msg);
                if (r < 0 || f->type != WIRE_TYPE_U32_TOTAL)
                        continue;
                total = *CMEMBER(msg, f, uint32_t);
                if (total < rd->pos - at || total > rd->size - at) {
                        r = -EBADMSG;
                        continue;
                }
                /* The fields after it read only the bytes it counts, so a false total allocates nothing more. */
                total_at = at;
                rd->size = at + total;
        }
        rd->size = size;
        if (r < 0)
                return r;
        if (total_at != SIZE_MAX && rd->pos - total_at != total)
                return -EBADMSG;
        return 0;
}

int wire_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *buf, size_t size, void *msg) {
        struct reader rd = { .buf = buf, .size = size, .order = desc->order };
        int r;

        if (msg)
                memset(msg, 0, desc->size);
        else if (desc->n_fields > 0)
                return -EINVAL;
        /* The result is an int; no frame comes near this. */
        if (size > INT32_MAX)
                return -E2BIG;

        r = unpack_desc(desc, mem_ctx, &rd, msg);
        if (r < 0)
                return r;
        return (int) rd.pos;
}

/* ---- frames -------------------------------------------------------------- */

void wire_header_pack(const struct wire_header *h, uint8_t out[WIRE_HEADER_SIZE]) {
        put32(WIRE_ORDER_LE, out, h->length);
        put16(WIRE_ORDER_LE, out + 4, h->kind);
        put16(WIRE_ORDER_LE, out + 6, h->flags);
        put32(WIRE_ORDER_LE, out + 8, h->src);
        put32(WIRE_ORDER_LE, out + 12, h->dst);
        put32(WIRE_ORDER_LE, out + 16, h->generation);
        put32(WIRE_ORDER_LE, out + 20, h->reserved);
        put64(WIRE_ORDER_LE, out + 24, h->srvid);
}

int wire_header_unpack(const uint8_t in[WIRE_HEADER_SIZE], uint32_t max_frame, struct wire_header *ret) {
        struct wire_header h = {
                .length = get32(WIRE_ORDER_LE, in),
                .kind = get16(WIRE_ORDER_LE, in + 4),
                .flags = get16(WIRE_ORDER_LE, in + 6),
                .src = get32(WIRE_ORDER_LE, in + 8),
                .dst = get32(WIRE_ORDER_LE, in + 12),
                .generation = get32(WIRE_ORDER_LE, in + 16),
                .reserved = get32(WIRE_ORDER_LE, in + 20),
                .srvid = get64(WIRE_ORDER_LE, in + 24),
        };

        if (h.length < WIRE_HEADER_SIZE)
                return -EBADMSG;
        if (h.length > max_frame)
                return -EMSGSIZE;
        *ret = h;
        return 0;
}

void wire_header_finish(struct wire_header *h, size_t payload_len, uint8_t out[WIRE_HEADER_SIZE]) {
        h->length = (uint32_t) (WIRE_HEADER_SIZE + payload_len);
        wire_header_pack(h, out);
}

int wire_frame_pack(struct wire_header *h, const struct wire_desc *desc, const void *msg, uint8_t *buf,
                    size_t size) {
        size_t payload = wire_payload_size(desc, msg);
        struct wire_header out = *h;
        int r;

        if (payload > WIRE_FRAME_MAX - WIRE_HEADER_SIZE || size < WIRE_HEADER_SIZE + payload)
                return -EMSGSIZE;
        r = wire_pack(desc, msg, buf + WIRE_HEADER_SIZE, payload);
        if (r < 0)
                return r;
        if (desc->kind != 0)
                out.kind = desc->kind;
        wire_header_finish(&out, payload, buf);
        *h = out;
        return (int) h->length;
}

int wire_frame_build(void *mem_ctx, struct wire_header *h, const struct wire_desc *desc, const void *msg,
                     uint8_t **ret_frame) {
        size_t payload = wire_payload_size(desc, msg);
        uint8_t *frame;
        int r;

        if (payload > WIRE_FRAME_MAX - WIRE_HEADER_SIZE)
                return -EMSGSIZE;
        frame = talloc_size(mem_ctx, WIRE_HEADER_SIZE + payload);
        if (!frame)
                return -ENOMEM;
        r = wire_frame_pack(h, desc, msg, frame, WIRE_HEADER_SIZE + payload);
        if (r < 0) {
                talloc_free(frame);
                return r;
        }
        *ret_frame = frame;
        return r;
}

/* ---- dispatch ------------------------------------------------------------ */

int wire_dispatch(const struct wire_handler *table, size_t n_table, void *mem_ctx,
                  const struct wire_header *h, const uint8_t *payload, size_t payload_len, void *userdata) {
        /* Aligned for any member a message struct may have. */
        union {
                max_align_t align;
                uint8_t bytes[WIRE_DISPATCH_MSG_MAX];
        } msg;
        const struct wire_handler *e = NULL;
        int r;

        for (size_t i = 0; i < n_table && !e; i++)
                if (table[i].kind == h->kind)
                        e = &table[i];
        if (!e)
                return -ENOMSG;
        if (!e->fn)
                return 0;
        if (!e->desc)
                return e->fn(userdata, h, NULL, payload, payload_len);
        if (e->desc->size > sizeof(msg))
                return -EINVAL;

        r = wire_unpack(e->desc, mem_ctx, payload, payload_len, &msg);
        if (r == -ENOMEM || r == -EINVAL)
                return r;
        if (r < 0)
                return -EBADMSG;
        return e->fn(userdata, h, &msg, payload, payload_len);
}

/* ---- the message kinds of wire.h ---------------------------------------- */

static const struct wire_field hello_fields[] = {
        WIRE_U32(struct wire_hello, magic),
        WIRE_U16(struct wire_hello, major),
        WIRE_U16(struct wire_hello, minor),
        WIRE_U32(struct wire_hello, pnn),
        WIRE_U32(struct wire_hello, n_nodes),
        WIRE_FIXED(struct wire_hello, nonce),
        WIRE_U64_OPTIONAL(struct wire_hello, channel),
};

static const struct wire_field auth_fields[] = {
        WIRE_FIXED(struct wire_auth, mac),
};

static const struct wire_field heartbeat_fields[] = {
        WIRE_U64(struct wire_heartbeat, seq),
};

static const struct wire_field message_fields[] = {
        WIRE_BLOB(struct wire_message, data, data_len, WIRE_FRAME_MAX - WIRE_HEADER_SIZE - 4),
};

static const struct wire_field link_fields[] = {
        WIRE_U32(struct wire_link, pnn),
        WIRE_U8(struct wire_link, connected),
};

static const struct wire_field error_fields[] = {
        WIRE_U32(struct wire_error, error),
        WIRE_U16(struct wire_error, request_kind),
        WIRE_U64(struct wire_error, srvid),
        WIRE_U32(struct wire_error, dst),
};

static const struct wire_field channel_fd_fields[] = {
        WIRE_U32(struct wire_channel_fd, pnn),
        WIRE_U32(struct wire_channel_fd, error),
        WIRE_BLOB(struct wire_channel_fd, pending, pending_len, WIRE_CHANNEL_PENDING_MAX),
};

struct wire_empty {
        uint8_t unused;
};

const struct wire_desc wire_hello_desc = WIRE_DESC(WIRE_KIND_HELLO, struct wire_hello, hello_fields);
const struct wire_desc wire_auth_desc = WIRE_DESC(WIRE_KIND_AUTH, struct wire_auth, auth_fields);
const struct wire_desc wire_heartbeat_desc =
        WIRE_DESC(WIRE_KIND_HEARTBEAT, struct wire_heartbeat, heartbeat_fields);
const struct wire_desc wire_message_desc = WIRE_DESC(WIRE_KIND_MESSAGE, struct wire_message, message_fields);
/* TUNNEL and TUNNEL_ERROR carry exactly what MESSAGE and ERROR carry; only the kind differs. */
const struct wire_desc wire_tunnel_desc = WIRE_DESC(WIRE_KIND_TUNNEL, struct wire_message, message_fields);
const struct wire_desc wire_tunnel_error_desc =
        WIRE_DESC(WIRE_KIND_TUNNEL_ERROR, struct wire_error, error_fields);
const struct wire_desc wire_link_desc = WIRE_DESC(WIRE_KIND_LINK, struct wire_link, link_fields);
const struct wire_desc wire_error_desc = WIRE_DESC(WIRE_KIND_ERROR, struct wire_error, error_fields);
const struct wire_desc wire_channel_fd_desc =
        WIRE_DESC(WIRE_KIND_CHANNEL_FD, struct wire_channel_fd, channel_fd_fields);
/* The (DE)REGISTER kinds carry everything in the header; kind 0: the caller sets header.kind. */
const struct wire_desc wire_empty_desc = { 0, "empty", sizeof(struct wire_empty), NULL, 0, WIRE_ORDER_LE };

WIRE_DEFINE_KIND_LOOKUPS(WIRE_KINDS, wire_desc_by_kind, wire_kind_to_string)

int wire_hello_check(const struct wire_hello *h) {
        if (h->magic != WIRE_MAGIC)
                return -EPROTO;
        if (h->major != WIRE_VERSION_MAJOR)
                return -EPROTONOSUPPORT;
        return 0;
}

/* ---- inner messages ---------------------------------------------------- */

struct wire_inner_prefix {
        uint16_t kind;
        uint16_t reserved;
};

static const struct wire_field inner_prefix_fields[] = {
        WIRE_U16(struct wire_inner_prefix, kind),
        WIRE_U16(struct wire_inner_prefix, reserved),
};

static const struct wire_desc inner_prefix_desc =
        WIRE_DESC(0, struct wire_inner_prefix, inner_prefix_fields);

size_t wire_inner_size(const struct wire_desc *desc, const void *msg) {
        return WIRE_INNER_PREFIX_SIZE + wire_payload_size(desc, msg);
}

int wire_inner_pack_into(const struct wire_desc *desc, const void *msg, uint8_t *buf, size_t size) {
        struct wire_inner_prefix p = { .kind = desc->kind };
        size_t need = wire_inner_size(desc, msg);
        int r;

        if (need > WIRE_INNER_MAX || need > size)
                return -EMSGSIZE;
        r = wire_pack(&inner_prefix_desc, &p, buf, WIRE_INNER_PREFIX_SIZE);
        if (r < 0)
                return r;
        r = wire_pack(desc, msg, buf + WIRE_INNER_PREFIX_SIZE, need - WIRE_INNER_PREFIX_SIZE);
        if (r < 0)
                return r;
        return (int) need;
}

int wire_inner_pack(void *mem_ctx, const struct wire_desc *desc, const void *msg, uint8_t **ret,
                    size_t *ret_len) {
        size_t need = wire_inner_size(desc, msg);
        uint8_t *buf;
        int r;

        if (need > WIRE_INNER_MAX)
                return -EMSGSIZE;
        buf = talloc_size(mem_ctx, need);
        if (!buf)
                return -ENOMEM;
        r = wire_inner_pack_into(desc, msg, buf, need);
        if (r < 0) {
                talloc_free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = need;
        return 0;
}

int wire_inner_kind(const uint8_t *buf, size_t len) {
        struct wire_inner_prefix p;
        int r;

        if (!buf)
                return -EBADMSG;
        r = wire_unpack(&inner_prefix_desc, NULL, buf, len, &p);
        if (r < 0)
                return r;
        return p.kind;
}

int wire_inner_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *buf, size_t len,
                      void *msg) {
        int kind = wire_inner_kind(buf, len);

        if (kind < 0)
                return kind;
        if ((uint16_t) kind != desc->kind)
                return -EBADMSG;
        return wire_unpack(desc, mem_ctx, buf + WIRE_INNER_PREFIX_SIZE, len - WIRE_INNER_PREFIX_SIZE, msg);
}

int wire_inner_dispatch(const struct wire_handler *table, size_t n_table, void *mem_ctx, uint32_t src_pnn,
                        uint64_t srvid, const uint8_t *data, size_t len, void *userdata) {
        struct wire_header h = { .src = src_pnn, .srvid = srvid };
        int kind = wire_inner_kind(data, len);

        if (kind < 0)
                return kind;
        h.kind = (uint16_t) kind;
        h.length = len > UINT32_MAX ? UINT32_MAX : (uint32_t) len;
        return wire_dispatch(table, n_table, mem_ctx, &h, data + WIRE_INNER_PREFIX_SIZE,
                             len - WIRE_INNER_PREFIX_SIZE, userdata);
}
