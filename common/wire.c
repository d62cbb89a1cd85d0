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

static void put_le16(uint8_t *p, uint16_t v) {
        p[0] = v & 0xff;
        p[1] = v >> 8;
}

static void put_le32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (v >> (8 * i)) & 0xff;
}

static void put_le64(uint8_t *p, uint64_t v) {
        for (int i = 0; i < 8; i++)
                p[i] = (v >> (8 * i)) & 0xff;
}

static uint16_t get_le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p) {
        return (uint64_t) get_le32(p) | (uint64_t) get_le32(p + 4) << 32;
}

#define MEMBER(msg, f, type) ((type *) ((uint8_t *) (msg) + (f)->offset))
#define CMEMBER(msg, f, type) ((const type *) ((const uint8_t *) (msg) + (f)->offset))
#define LENGTH(msg, f) (*(const uint32_t *) ((const uint8_t *) (msg) + (f)->len_offset))

static size_t field_size(const struct wire_field *f, const void *msg) {
        switch (f->type) {
        case WIRE_U8:
                return 1;
        case WIRE_U16:
                return 2;
        case WIRE_U32:
                return 4;
        case WIRE_U64:
                return 8;
        case WIRE_FIXED:
                return f->max;
        case WIRE_BLOB:
        case WIRE_STRING:
                return 4 + (size_t) LENGTH(msg, f);
        case WIRE_U32_ARRAY:
                return 4 + 4 * (size_t) LENGTH(msg, f);
        }
        return 0;
}

size_t wire_payload_size(const struct wire_desc *desc, const void *msg) {
        size_t n = 0;

        for (size_t i = 0; i < desc->n_fields; i++)
                n += field_size(&desc->fields[i], msg);
        return n;
}

int wire_pack(const struct wire_desc *desc, const void *msg, uint8_t *buf, size_t buf_size) {
        size_t need = wire_payload_size(desc, msg), pos = 0;

        if (need > buf_size)
                return -EMSGSIZE;
        if (need > INT32_MAX)
                return -EMSGSIZE;

        for (size_t i = 0; i < desc->n_fields; i++) {
                const struct wire_field *f = &desc->fields[i];
                uint32_t len;

                switch (f->type) {
                case WIRE_U8:
                        buf[pos++] = *CMEMBER(msg, f, uint8_t);
                        break;
                case WIRE_U16:
                        put_le16(buf + pos, *CMEMBER(msg, f, uint16_t));
                        pos += 2;
                        break;
                case WIRE_U32:
                        put_le32(buf + pos, *CMEMBER(msg, f, uint32_t));
                        pos += 4;
                        break;
                case WIRE_U64:
                        put_le64(buf + pos, *CMEMBER(msg, f, uint64_t));
                        pos += 8;
                        break;
                case WIRE_FIXED:
                        memcpy(buf + pos, CMEMBER(msg, f, uint8_t), f->max);
                        pos += f->max;
                        break;
                case WIRE_BLOB:
                case WIRE_STRING:
                        len = LENGTH(msg, f);
                        if (len > f->max)
                                return -EINVAL;
                        put_le32(buf + pos, len);
                        pos += 4;
                        if (len > 0)
                                memcpy(buf + pos, *CMEMBER(msg, f, uint8_t *), len);
                        pos += len;
                        break;
                case WIRE_U32_ARRAY:
                        len = LENGTH(msg, f);
                        if (len > f->max)
                                return -EINVAL;
                        put_le32(buf + pos, len);
                        pos += 4;
                        for (uint32_t k = 0; k < len; k++, pos += 4)
                                put_le32(buf + pos, (*CMEMBER(msg, f, uint32_t *))[k]);
                        break;
                }
        }
        return (int) pos;
}

int wire_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *buf, size_t size, void *msg) {
        size_t pos = 0;

        if (msg)
                memset(msg, 0, desc->size);
        else if (desc->n_fields > 0)
                return -EINVAL;

        for (size_t i = 0; i < desc->n_fields; i++) {
                const struct wire_field *f = &desc->fields[i];
                size_t left = size - pos;
                uint32_t len;

                switch (f->type) {
                case WIRE_U8:
                        if (left < 1)
                                return -EBADMSG;
                        *MEMBER(msg, f, uint8_t) = buf[pos++];
                        break;
                case WIRE_U16:
                        if (left < 2)
                                return -EBADMSG;
                        *MEMBER(msg, f, uint16_t) = get_le16(buf + pos);
                        pos += 2;
                        break;
                case WIRE_U32:
                        if (left < 4)
                                return -EBADMSG;
                        *MEMBER(msg, f, uint32_t) = get_le32(buf + pos);
                        pos += 4;
                        break;
                case WIRE_U64:
                        if (left < 8)
                                return -EBADMSG;
                        *MEMBER(msg, f, uint64_t) = get_le64(buf + pos);
                        pos += 8;
                        break;
                case WIRE_FIXED:
                        if (left < f->max)
                                return -EBADMSG;
                        memcpy(MEMBER(msg, f, uint8_t), buf + pos, f->max);
                        pos += f->max;
                        break;
                case WIRE_BLOB:
                case WIRE_STRING:
                        if (left < 4)
                                return -EBADMSG;
                        len = get_le32(buf + pos);
                        pos += 4;
                        if (len > f->max)
                                return -E2BIG;
                        if (len > left - 4)
                                return -EBADMSG;
                        if (f->type == WIRE_BLOB) {
                                *MEMBER(msg, f, const uint8_t *) = len > 0 ? buf + pos : NULL;
                        } else {
                                char *s = talloc_strndup(mem_ctx, (const char *) buf + pos, len);
                                if (!s)
                                        return -ENOMEM;
                                /* An embedded NUL would make the string lie about its length. */
                                if (strlen(s) != len) {
                                        talloc_free(s);
                                        return -EBADMSG;
                                }
                                *MEMBER(msg, f, char *) = s;
                        }
                        *(uint32_t *) ((uint8_t *) msg + f->len_offset) = len;
                        pos += len;
                        break;
                case WIRE_U32_ARRAY: {
                        uint32_t *a = NULL;
                        if (left < 4)
                                return -EBADMSG;
                        len = get_le32(buf + pos);
                        pos += 4;
                        if (len > f->max)
                                return -E2BIG;
                        if (len > (left - 4) / 4)
                                return -EBADMSG;
                        if (len > 0) {
                                a = talloc_array(mem_ctx, uint32_t, len);
                                if (!a)
                                        return -ENOMEM;
                                for (uint32_t k = 0; k < len; k++, pos += 4)
                                        a[k] = get_le32(buf + pos);
                        }
                        *MEMBER(msg, f, uint32_t *) = a;
                        *(uint32_t *) ((uint8_t *) msg + f->len_offset) = len;
                        break;
                }
                }
        }
        return (int) pos;
}

void wire_header_pack(const struct wire_header *h, uint8_t out[WIRE_HEADER_SIZE]) {
        put_le32(out, h->length);
        put_le16(out + 4, h->kind);
        put_le16(out + 6, h->flags);
        put_le32(out + 8, h->src);
        put_le32(out + 12, h->dst);
        put_le32(out + 16, h->generation);
        put_le32(out + 20, h->reserved);
        put_le64(out + 24, h->srvid);
}

int wire_header_unpack(const uint8_t in[WIRE_HEADER_SIZE], uint32_t max_frame, struct wire_header *ret) {
        struct wire_header h = {
                .length = get_le32(in),
                .kind = get_le16(in + 4),
                .flags = get_le16(in + 6),
                .src = get_le32(in + 8),
                .dst = get_le32(in + 12),
                .generation = get_le32(in + 16),
                .reserved = get_le32(in + 20),
                .srvid = get_le64(in + 24),
        };

        if (h.length < WIRE_HEADER_SIZE)
                return -EBADMSG;
        if (h.length > max_frame)
                return -EMSGSIZE;
        *ret = h;
        return 0;
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

        r = wire_pack(desc, msg, frame + WIRE_HEADER_SIZE, payload);
        if (r < 0) {
                talloc_free(frame);
                return r;
        }
        if (desc->kind != 0)
                h->kind = desc->kind;
        h->length = (uint32_t) (WIRE_HEADER_SIZE + payload);
        wire_header_pack(h, frame);
        *ret_frame = frame;
        return (int) h->length;
}

/* ---- the message kinds of wire.h ---------------------------------------- */

static const struct wire_field hello_fields[] = {
        WIRE_FIELD(struct wire_hello, WIRE_U32, magic, 0),
        WIRE_FIELD(struct wire_hello, WIRE_U16, major, 0),
        WIRE_FIELD(struct wire_hello, WIRE_U16, minor, 0),
        WIRE_FIELD(struct wire_hello, WIRE_U32, pnn, 0),
        WIRE_FIELD(struct wire_hello, WIRE_U32, n_nodes, 0),
        WIRE_FIELD(struct wire_hello, WIRE_FIXED, nonce, WIRE_NONCE_SIZE),
};

static const struct wire_field auth_fields[] = {
        WIRE_FIELD(struct wire_auth, WIRE_FIXED, mac, WIRE_MAC_SIZE),
};

static const struct wire_field heartbeat_fields[] = {
        WIRE_FIELD(struct wire_heartbeat, WIRE_U64, seq, 0),
};

static const struct wire_field message_fields[] = {
        WIRE_FIELD_LEN(struct wire_message, WIRE_BLOB, data, data_len,
                       WIRE_FRAME_MAX - WIRE_HEADER_SIZE - 4),
};

static const struct wire_field link_fields[] = {
        WIRE_FIELD(struct wire_link, WIRE_U32, pnn, 0),
        WIRE_FIELD(struct wire_link, WIRE_U8, connected, 0),
};

static const struct wire_field error_fields[] = {
        WIRE_FIELD(struct wire_error, WIRE_U32, error, 0),
        WIRE_FIELD(struct wire_error, WIRE_U16, request_kind, 0),
        WIRE_FIELD(struct wire_error, WIRE_U64, srvid, 0),
        WIRE_FIELD(struct wire_error, WIRE_U32, dst, 0),
};

struct wire_empty {
        uint8_t unused;
};

const struct wire_desc wire_hello_desc = WIRE_DESC(WIRE_KIND_HELLO, struct wire_hello, hello_fields);
const struct wire_desc wire_auth_desc = WIRE_DESC(WIRE_KIND_AUTH, struct wire_auth, auth_fields);
const struct wire_desc wire_heartbeat_desc =
        WIRE_DESC(WIRE_KIND_HEARTBEAT, struct wire_heartbeat, heartbeat_fields);
const struct wire_desc wire_message_desc = WIRE_DESC(WIRE_KIND_MESSAGE, struct wire_message, message_fields);
const struct wire_desc wire_link_desc = WIRE_DESC(WIRE_KIND_LINK, struct wire_link, link_fields);
const struct wire_desc wire_error_desc = WIRE_DESC(WIRE_KIND_ERROR, struct wire_error, error_fields);
/* REGISTER and DEREGISTER carry everything in the header; kind 0: the caller sets header.kind. */
const struct wire_desc wire_empty_desc = { 0, "empty", sizeof(struct wire_empty), NULL, 0 };

const struct wire_desc *wire_desc_by_kind(uint16_t kind) {
        switch (kind) {
        case WIRE_KIND_HELLO:
                return &wire_hello_desc;
        case WIRE_KIND_AUTH:
                return &wire_auth_desc;
        case WIRE_KIND_HEARTBEAT:
                return &wire_heartbeat_desc;
        case WIRE_KIND_MESSAGE:
                return &wire_message_desc;
        case WIRE_KIND_REGISTER:
        case WIRE_KIND_DEREGISTER:
                return &wire_empty_desc;
        case WIRE_KIND_LINK:
                return &wire_link_desc;
        case WIRE_KIND_ERROR:
                return &wire_error_desc;
        }
        return NULL;
}

int wire_hello_check(const struct wire_hello *h) {
        if (h->magic != WIRE_MAGIC)
                return -EPROTO;
        if (h->major != WIRE_VERSION_MAJOR)
                return -EPROTONOSUPPORT;
        return 0;
}
