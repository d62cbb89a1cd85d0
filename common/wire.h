#pragma once

/*
 * The wire format of node-to-node links and of the local data-plane sockets.
 *
 * Every frame is a fixed 32-byte header (little endian) followed by the payload
 * of one message kind. Each kind is described once, as a table of fields
 * (struct wire_desc); wire_pack()/wire_unpack() walk that table, so there is no
 * hand-written marshalling per message. wire_unpack() checks the bytes left before
 * every read and caps every count against them before it allocates anything.
 *
 * Both ends of every link and local socket first exchange HELLO: a peer of another
 * major version is refused (with a log line naming both versions); minor versions
 * interoperate (a newer minor ignores what it does not know, an older one ignores
 * trailing bytes it does not know: wire_unpack() accepts trailing payload).
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctdb-node.h"

#define WIRE_MAGIC          UINT32_C(0x42445443) /* "CTDB" read as bytes */
#define WIRE_VERSION_MAJOR  1
#define WIRE_VERSION_MINOR  0

#define WIRE_HEADER_SIZE    32u
/* Largest frame accepted anywhere, header included. */
#define WIRE_FRAME_MAX      (1024u * 1024u)
#define WIRE_NONCE_SIZE     32u
#define WIRE_MAC_SIZE       32u   /* HMAC-SHA256 */


struct wire_header {
        uint32_t length;        /* whole frame, header included */
        uint16_t kind;          /* enum wire_kind */
        uint16_t flags;         /* reserved, 0 */
        uint32_t src;           /* source pnn */
        uint32_t dst;           /* destination pnn, CTDB_PNN_ALL for broadcast */
        uint32_t generation;    /* sender's cluster generation, 0 if unknown */
        uint32_t reserved;
        uint64_t srvid;         /* message srvid or tunnel id */
};

enum wire_type {
        WIRE_U8,
        WIRE_U16,
        WIRE_U32,
        WIRE_U64,
        WIRE_FIXED,      /* .max bytes copied into a uint8_t[.max] member */
        WIRE_BLOB,       /* u32 length + bytes; unpack points into the frame (no copy) */
        WIRE_STRING,     /* u32 length + bytes, no NUL on the wire; unpack allocates with NUL */
        WIRE_U32_ARRAY,  /* u32 count + count x u32; unpack allocates */
};

struct wire_field {
        const char *name;
        enum wire_type type;
        size_t offset;      /* of the member: value, pointer, or fixed array */
        size_t len_offset;  /* BLOB/STRING/U32_ARRAY: offset of the uint32_t length/count member */
        uint32_t max;       /* FIXED: size; BLOB/STRING: max bytes; U32_ARRAY: max count */
};

struct wire_desc {
        uint16_t kind;
        const char *name;
        size_t size;                    /* sizeof the C struct */
        const struct wire_field *fields;
        size_t n_fields;
};

/* Bytes the payload of msg needs on the wire. */
size_t wire_payload_size(const struct wire_desc *desc, const void *msg);

/*
 * Writes the payload of msg into buf (buf_size bytes). Returns bytes written,
 * -EMSGSIZE if it does not fit, -EINVAL if a length exceeds its field's max.
 */
int wire_pack(const struct wire_desc *desc, const void *msg, uint8_t *buf, size_t buf_size);

/*
 * Reads a payload into msg (zeroed first). BLOB members point into buf, so they
 * live as long as buf; STRING and U32_ARRAY members are allocated as talloc
 * children of mem_ctx. Returns bytes consumed (trailing bytes are allowed, see
 * above), -EBADMSG on truncated or inconsistent input, -E2BIG when a length or
 * count exceeds its field's max, -ENOMEM. msg may be NULL for a kind without fields.
 */
int wire_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *buf, size_t size, void *msg);

void wire_header_pack(const struct wire_header *h, uint8_t out[WIRE_HEADER_SIZE]);
/* -EBADMSG if the length is below the header size, -EMSGSIZE if above max_frame. */
int wire_header_unpack(const uint8_t in[WIRE_HEADER_SIZE], uint32_t max_frame, struct wire_header *ret);

/*
 * Header + payload into one talloc buffer; h->length and h->kind are set from
 * desc (except with wire_empty_desc, whose kind the caller puts in h->kind).
 * Returns the frame length, or negative errno.
 */
int wire_frame_build(void *mem_ctx, struct wire_header *h, const struct wire_desc *desc,
                     const void *msg, uint8_t **ret_frame);

/* Describes a message kind's fields; used by the X-macros below. */
#define WIRE_FIELD(s, t, member, m)       { #member, t, offsetof(s, member), 0, m }
#define WIRE_FIELD_LEN(s, t, member, len, m) { #member, t, offsetof(s, member), offsetof(s, len), m }
#define WIRE_DESC(k, s, table) { (k), #s, sizeof(s), (table), sizeof(table) / sizeof((table)[0]) }

/* ---- message kinds ---------------------------------------------------- */

enum wire_kind {
        /* both link and local socket */
        WIRE_KIND_HELLO      = 1,
        WIRE_KIND_AUTH       = 2,
        WIRE_KIND_HEARTBEAT  = 3,
        WIRE_KIND_MESSAGE    = 4,  /* srvid/src/dst in the header, data in the payload */
        /* local socket only */
        WIRE_KIND_REGISTER   = 16, /* srvid in the header */
        WIRE_KIND_DEREGISTER = 17, /* srvid in the header */
        WIRE_KIND_LINK       = 18, /* tunneld -> client: link state of one peer */
        WIRE_KIND_ERROR      = 19, /* tunneld -> client: a request failed */
};

/* HELLO: first frame on every link and local socket, from both sides. */
struct wire_hello {
        uint32_t magic;
        uint16_t major;
        uint16_t minor;
        uint32_t pnn;           /* sender's pnn; a local client sends CTDB_PNN_NONE */
        uint32_t n_nodes;       /* configured node slots of the sender, 0 from clients */
        uint8_t nonce[WIRE_NONCE_SIZE]; /* challenge for AUTH (random; zero without a key) */
};

/* AUTH: HMAC-SHA256(key, peer's nonce || own pnn as u32 le), only when a key is set. */
struct wire_auth {
        uint8_t mac[WIRE_MAC_SIZE];
};

struct wire_heartbeat {
        uint64_t seq;
};

struct wire_message {
        const uint8_t *data;
        uint32_t data_len;
};

struct wire_link {
        uint32_t pnn;
        uint8_t connected;
};

struct wire_error {
        int32_t error;          /* positive errno */
        uint16_t request_kind;
        uint64_t srvid;
        uint32_t dst;
};

extern const struct wire_desc wire_hello_desc;
extern const struct wire_desc wire_auth_desc;
extern const struct wire_desc wire_heartbeat_desc;
extern const struct wire_desc wire_message_desc;
extern const struct wire_desc wire_link_desc;
extern const struct wire_desc wire_error_desc;
/* The empty payload of REGISTER/DEREGISTER (kind 0: set header.kind yourself). */
extern const struct wire_desc wire_empty_desc;

/* The description of a kind, or NULL for an unknown kind. */
const struct wire_desc *wire_desc_by_kind(uint16_t kind);

/*
 * Version check of a received HELLO: 0 if compatible, -EPROTO on bad magic,
 * -EPROTONOSUPPORT on another major version.
 */
int wire_hello_check(const struct wire_hello *h);
