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
/* Minor 1: channels (CHANNEL, CHANNEL_FD, wire_hello.channel). */
#define WIRE_VERSION_MINOR  1

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

/* ---- descriptions ------------------------------------------------------ */

enum wire_type {
        WIRE_TYPE_U8,
        WIRE_TYPE_U16,
        WIRE_TYPE_U32,
        WIRE_TYPE_U64,
        WIRE_TYPE_FIXED,        /* .size bytes copied into a uint8_t[.size] member */
        WIRE_TYPE_BLOB,         /* u32 length + bytes; unpack points into the frame (no copy) */
        WIRE_TYPE_STRING,       /* u32 length + bytes, no NUL on the wire; unpack allocates with NUL */
        WIRE_TYPE_U32_ARRAY,    /* u32 count + count x u32; unpack allocates */
        WIRE_TYPE_PAD,          /* .max zero bytes; skipped (not checked) on unpack */
        WIRE_TYPE_ALIGN,        /* zero bytes up to a multiple of .max from the payload's start */
        WIRE_TYPE_STRUCT,       /* the fields of .desc, inline, for an embedded struct member */
        WIRE_TYPE_STRUCT_ARRAY, /* u32 count + count x .desc; unpack allocates the array */
        WIRE_TYPE_BLOB_SIZED,   /* bytes only: the length is an earlier field (len_offset) */
        WIRE_TYPE_U32_TOTAL,    /* u32: bytes of its description from this field on, itself included */
};

struct wire_desc;

struct wire_field {
        const char *name;
        enum wire_type type;
        size_t offset;                  /* of the member: value, pointer, array or struct */
        size_t len_offset;              /* variable fields: offset of the uint32_t length/count member */
        uint32_t max;                   /* BLOB/STRING: max bytes; arrays: max count; PAD: bytes; ALIGN: n */
        size_t size;                    /* C size of the member (FIXED, STRUCT) or of one array element */
        const struct wire_desc *desc;   /* STRUCT, STRUCT_ARRAY: the nested description */
        uint8_t flags;                  /* WIRE_FIELD_* */
};

/*
 * A field that may be absent (WIRE_U32_OPTIONAL, WIRE_U64_OPTIONAL,
 * WIRE_STRING_OPTIONAL): how a minor version appends a field to a kind that
 * older peers send without it. Unpack reads it as zero (or empty) when no byte
 * is left for it; pack leaves out the run of optional fields at the end of a
 * kind's description that are all zero or empty, so
 * a message that does not use them is byte for byte what an older peer sends.
 * Only for the last fields of a kind's own description (not inside a nested one).
 */
#define WIRE_FIELD_OPTIONAL 1u

/*
 * Byte order of a description's integers. Links and local sockets are little
 * endian; CTDB's client protocol is the host's. The order of the description
 * handed to wire_pack()/wire_unpack() applies to everything nested in it.
 */
enum wire_order {
        WIRE_ORDER_LE,
        WIRE_ORDER_NATIVE,
};

struct wire_desc {
        uint16_t kind;
        const char *name;
        size_t size;                    /* sizeof the C struct */
        const struct wire_field *fields;
        size_t n_fields;
        enum wire_order order;
};

/*
 * Field macros: WIRE_U32(struct foo, bar) describes member bar of struct foo.
 * Each checks at compile time that the member's C type fits the wire type (a
 * uint16_t under WIRE_U32, an array under WIRE_BLOB, a uint16_t length member
 * are build errors). The sizeof trick is one that works in a constant expression.
 */
#define WIRE_ASSERT_(cond) (0 * sizeof(char[(cond) ? 1 : -1]))
#define WIRE_MEMBER_(S, m) (((S *) 0)->m)
#define WIRE_IS_ARRAY_(S, m)                                                                            \
        (!__builtin_types_compatible_p(__typeof__(WIRE_MEMBER_(S, m)), __typeof__(&WIRE_MEMBER_(S, m)[0])))
/* A pointer member whose elements have elem_size bytes, with a uint32_t length/count member. */
#define WIRE_CHECK_VAR_(S, m, len, elem_size)                                                           \
        WIRE_ASSERT_(!WIRE_IS_ARRAY_(S, m) && sizeof(WIRE_MEMBER_(S, m)[0]) == (elem_size) &&           \
                     sizeof(WIRE_MEMBER_(S, len)) == sizeof(uint32_t))

#define WIRE_INT_(S, m, t, n)                                                                           \
        { #m, t, offsetof(S, m) + WIRE_ASSERT_(sizeof(WIRE_MEMBER_(S, m)) == (n)), 0, 0, (n), NULL }
#define WIRE_U8(S, m)  WIRE_INT_(S, m, WIRE_TYPE_U8, 1)
#define WIRE_U16(S, m) WIRE_INT_(S, m, WIRE_TYPE_U16, 2)
#define WIRE_U32(S, m) WIRE_INT_(S, m, WIRE_TYPE_U32, 4)
#define WIRE_U64(S, m) WIRE_INT_(S, m, WIRE_TYPE_U64, 8)
#define WIRE_OPTIONAL_(S, m, t, n)                                                                      \
        { #m, t, offsetof(S, m) + WIRE_ASSERT_(sizeof(WIRE_MEMBER_(S, m)) == (n)), 0, 0, (n), NULL,    \
          WIRE_FIELD_OPTIONAL }
#define WIRE_U32_OPTIONAL(S, m) WIRE_OPTIONAL_(S, m, WIRE_TYPE_U32, 4)
#define WIRE_U64_OPTIONAL(S, m) WIRE_OPTIONAL_(S, m, WIRE_TYPE_U64, 8)
/* A byte array member, sizeof(member) bytes on the wire. */
#define WIRE_FIXED(S, m)                                                                                \
        { #m, WIRE_TYPE_FIXED, offsetof(S, m) + WIRE_ASSERT_(WIRE_IS_ARRAY_(S, m) &&                    \
                                                             sizeof(WIRE_MEMBER_(S, m)[0]) == 1),       \
          0, 0, sizeof(WIRE_MEMBER_(S, m)), NULL }
#define WIRE_VAR_(S, m, len, t, mx, elem_size)                                                          \
        { #m, t, offsetof(S, m) + WIRE_CHECK_VAR_(S, m, len, elem_size), offsetof(S, len), (mx),        \
          (elem_size), NULL }
#define WIRE_BLOB(S, m, len, mx)      WIRE_VAR_(S, m, len, WIRE_TYPE_BLOB, mx, 1)
#define WIRE_STRING(S, m, len, mx)    WIRE_VAR_(S, m, len, WIRE_TYPE_STRING, mx, 1)
#define WIRE_U32_ARRAY(S, m, n, mx)   WIRE_VAR_(S, m, n, WIRE_TYPE_U32_ARRAY, mx, 4)
#define WIRE_STRING_OPTIONAL(S, m, len, mx)                                                             \
        { #m, WIRE_TYPE_STRING, offsetof(S, m) + WIRE_CHECK_VAR_(S, m, len, 1), offsetof(S, len), (mx), \
          1, NULL, WIRE_FIELD_OPTIONAL }
/* Bytes whose length len was packed/unpacked by an earlier WIRE_U32(S, len) (CTDB's req_call). */
#define WIRE_BLOB_SIZED(S, m, len, mx) WIRE_VAR_(S, m, len, WIRE_TYPE_BLOB_SIZED, mx, 1)
/*
 * A u32 that holds how many bytes its description takes from this field's
 * first byte to the description's end, itself included (CTDB's ctdb_rec_data
 * starts with such a length). Pack writes the value (the member is not read).
 * Unpack stores it, lets the fields after it read only the bytes it counts,
 * and refuses, as -EBADMSG, a value larger than the bytes left or other than
 * what those fields took. At most one per description.
 */
#define WIRE_U32_TOTAL(S, m) WIRE_INT_(S, m, WIRE_TYPE_U32_TOTAL, 4)
#define WIRE_PAD(n)   { "pad", WIRE_TYPE_PAD, 0, 0, (n), 0, NULL }
#define WIRE_ALIGN(n) { "align", WIRE_TYPE_ALIGN, 0, 0, (n) + WIRE_ASSERT_((n) > 0), 0, NULL }
/* An embedded struct member described by *d (its size is checked against d->size when used). */
#define WIRE_STRUCT(S, m, d)                                                                            \
        { #m, WIRE_TYPE_STRUCT, offsetof(S, m), 0, 0, sizeof(WIRE_MEMBER_(S, m)), (d) }
/* A pointer to n structs described by *d; at most mx of them. */
#define WIRE_STRUCT_ARRAY(S, m, n, d, mx)                                                               \
        { #m, WIRE_TYPE_STRUCT_ARRAY,                                                                   \
          offsetof(S, m) + WIRE_CHECK_VAR_(S, m, n, sizeof(WIRE_MEMBER_(S, m)[0])), offsetof(S, n),     \
          (mx), sizeof(WIRE_MEMBER_(S, m)[0]), (d) }

#define WIRE_DESC_ORDER_(k, s, table, o)                                                                \
        { (k), #s, sizeof(s), (table), sizeof(table) / sizeof((table)[0]), (o) }
/* A kind's description: little endian (links, local sockets). */
#define WIRE_DESC(k, s, table)        WIRE_DESC_ORDER_(k, s, table, WIRE_ORDER_LE)
/* The same in the host's byte order (CTDB's client protocol). */
#define WIRE_DESC_NATIVE(k, s, table) WIRE_DESC_ORDER_(k, s, table, WIRE_ORDER_NATIVE)

/*
 * Bytes the payload of msg needs on the wire. Descriptions must not nest
 * themselves (directly or not): the walk has no depth limit of its own.
 */
size_t wire_payload_size(const struct wire_desc *desc, const void *msg);

/*
 * Writes the payload of msg into buf (buf_size bytes). Returns bytes written,
 * -EMSGSIZE if it does not fit, -EINVAL if a length exceeds its field's max (or
 * a nested description does not match its member's size).
 */
int wire_pack(const struct wire_desc *desc, const void *msg, uint8_t *buf, size_t buf_size);

/*
 * Reads a payload into msg (zeroed first). BLOB members point into buf, so they
 * live as long as buf; STRING, U32_ARRAY and STRUCT_ARRAY members are allocated
 * as talloc children of mem_ctx (what the elements of a STRUCT_ARRAY allocate
 * hangs off that array). Returns bytes consumed (trailing bytes are allowed, see
 * above), -EBADMSG on truncated or inconsistent input, -E2BIG when a length or
 * count exceeds its field's max, -ENOMEM. On failure, what was allocated stays
 * on mem_ctx: unpack onto a temporary context. msg may be NULL for a kind
 * without fields.
 */
int wire_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *buf, size_t size, void *msg);

void wire_header_pack(const struct wire_header *h, uint8_t out[WIRE_HEADER_SIZE]);
/* -EBADMSG if the length is below the header size, -EMSGSIZE if above max_frame. */
int wire_header_unpack(const uint8_t in[WIRE_HEADER_SIZE], uint32_t max_frame, struct wire_header *ret);

/*
 * Sets h->length to a header plus payload_len (at most WIRE_FRAME_MAX in all)
 * and packs the header into out: for forwarding a payload packed already.
 */
void wire_header_finish(struct wire_header *h, size_t payload_len, uint8_t out[WIRE_HEADER_SIZE]);

/*
 * Header + payload into the caller's buf (size bytes), nothing allocated.
 * h->kind is set from desc (except for a kind-0 description such as
 * wire_empty_desc, whose kind the caller puts in h->kind) and h->length to the
 * frame's; h is left alone on failure. Returns the frame length, -EMSGSIZE if it
 * does not fit buf or WIRE_FRAME_MAX, -EINVAL as wire_pack().
 */
int wire_frame_pack(struct wire_header *h, const struct wire_desc *desc, const void *msg, uint8_t *buf,
                    size_t size);

/* wire_frame_pack() into a new talloc buffer of exactly the frame's size, or -ENOMEM. */
int wire_frame_build(void *mem_ctx, struct wire_header *h, const struct wire_desc *desc,
                     const void *msg, uint8_t **ret_frame);

/* ---- dispatch ---------------------------------------------------------- */

/*
 * Called with the unpacked message (NULL when the entry has no desc) and the
 * raw payload, for handlers that forward it. Its result is wire_dispatch()'s.
 */
typedef int (*wire_handler_fn)(void *userdata, const struct wire_header *h, const void *msg,
                               const uint8_t *payload, size_t payload_len);

/* One row of a dispatch table. desc NULL: nothing is unpacked; fn NULL: the kind is ignored (0). */
struct wire_handler {
        uint16_t kind;
        const struct wire_desc *desc;
        wire_handler_fn fn;
};

/* The largest message struct wire_dispatch() unpacks on its stack. */
#define WIRE_DISPATCH_MSG_MAX 512u

/*
 * Looks h->kind up in table, unpacks payload with the row's desc (STRING and
 * arrays allocate on mem_ctx) and returns what the row's fn returns. -ENOMSG
 * when the kind is not in the table (the caller decides: a link closes, a client
 * ignores), -EBADMSG when the payload does not unpack (bad or over a max),
 * -ENOMEM, -EINVAL for a desc larger than WIRE_DISPATCH_MSG_MAX.
 */
int wire_dispatch(const struct wire_handler *table, size_t n_table, void *mem_ctx,
                  const struct wire_header *h, const uint8_t *payload, size_t payload_len, void *userdata);

/* ---- message kinds ---------------------------------------------------- */

/*
 * For an X-macro list of kinds (X(NAME, value, desc) as WIRE_KINDS below):
 * defines by_kind(), the desc of a kind or NULL, and to_string(), its NAME or
 * "unknown", both lookups in tables indexed by value.
 */
#define WIRE_KIND_DESC_ENTRY_(name, value, desc) [value] = &(desc),
#define WIRE_KIND_NAME_ENTRY_(name, value, desc) [value] = #name,
#define WIRE_DEFINE_KIND_LOOKUPS(list, by_kind, to_string)                                              \
        const struct wire_desc *by_kind(uint16_t kind) {                                                \
                static const struct wire_desc *const table[] = { list(WIRE_KIND_DESC_ENTRY_) };        \
                return kind < sizeof(table) / sizeof(table[0]) ? table[kind] : NULL;                    \
        }                                                                                               \
        const char *to_string(uint16_t kind) {                                                          \
                static const char *const table[] = { list(WIRE_KIND_NAME_ENTRY_) };                     \
                return kind < sizeof(table) / sizeof(table[0]) && table[kind] ? table[kind] : "unknown"; \
        }

/*
 * Every kind once: X(NAME, value, desc) gives WIRE_KIND_NAME = value, described by
 * desc, and the lookups below. Link and local socket: HELLO..TUNNEL_ERROR. Local socket only:
 * REGISTER and DEREGISTER (srvid in the header), LINK (tunneld -> client: link
 * state of one peer), ERROR (tunneld -> client: a request failed), TUNNEL_REGISTER
 * and TUNNEL_DEREGISTER (tunnel id in the header), CHANNEL (client -> tunneld: open a
 * direct connection to node header.dst for tunnel id header.srvid). CHANNEL_FD:
 * tunneld -> client, the outcome of a channel (the connected socket rides along as
 * SCM_RIGHTS when error is 0); also the acceptor's verdict on a channel connection.
 * MESSAGE: srvid/src/dst in the header, data in the payload. TUNNEL: the same for
 * the tunnel id in header.srvid. TUNNEL_ERROR: a tunnel frame could not be
 * delivered, a payload like ERROR's.
 */
#define WIRE_KINDS(X)                                                                                   \
        X(HELLO, 1, wire_hello_desc)                                                                    \
        X(AUTH, 2, wire_auth_desc)                                                                      \
        X(HEARTBEAT, 3, wire_heartbeat_desc)                                                            \
        X(MESSAGE, 4, wire_message_desc)                                                                \
        X(TUNNEL, 5, wire_tunnel_desc)                                                                  \
        X(TUNNEL_ERROR, 6, wire_tunnel_error_desc)                                                      \
        X(REGISTER, 16, wire_empty_desc)                                                                \
        X(DEREGISTER, 17, wire_empty_desc)                                                              \
        X(LINK, 18, wire_link_desc)                                                                     \
        X(ERROR, 19, wire_error_desc)                                                                   \
        X(TUNNEL_REGISTER, 20, wire_empty_desc)                                                         \
        X(TUNNEL_DEREGISTER, 21, wire_empty_desc)                                                       \
        X(CHANNEL, 22, wire_empty_desc)                                                                 \
        X(CHANNEL_FD, 23, wire_channel_fd_desc)

enum wire_kind {
#define WIRE_KIND_ENUM_(name, value, desc) WIRE_KIND_##name = (value),
        WIRE_KINDS(WIRE_KIND_ENUM_)
#undef WIRE_KIND_ENUM_
};

/* HELLO: first frame on every link and local socket, from both sides. */
struct wire_hello {
        uint32_t magic;
        uint16_t major;
        uint16_t minor;
        uint32_t pnn;           /* sender's pnn; a local client sends CTDB_PNN_NONE */
        uint32_t n_nodes;       /* configured node slots of the sender, 0 from clients */
        uint8_t nonce[WIRE_NONCE_SIZE]; /* challenge for AUTH (random; zero without a key) */
        /* Minor 1: a channel connection for this tunnel id; 0 (or absent) = the link itself. */
        uint64_t channel;
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

/*
 * CHANNEL_FD: a channel to or from node pnn for tunnel id header.srvid. error 0:
 * the socket is passed with the frame, and pending holds what tunneld read from
 * it past the handshake (the start of the peer's first frames). On a channel
 * connection the acceptor sends it once with its pnn (error 0, or ESRCH: no owner).
 */
#define WIRE_CHANNEL_PENDING_MAX (64u * 1024u)
struct wire_channel_fd {
        uint32_t pnn;
        int32_t error; /* positive errno, 0 = ok */
        const uint8_t *pending;
        uint32_t pending_len;
};

extern const struct wire_desc wire_hello_desc;
extern const struct wire_desc wire_auth_desc;
extern const struct wire_desc wire_heartbeat_desc;
extern const struct wire_desc wire_message_desc;
extern const struct wire_desc wire_tunnel_desc;         /* struct wire_message */
extern const struct wire_desc wire_tunnel_error_desc;   /* struct wire_error */
extern const struct wire_desc wire_link_desc;
extern const struct wire_desc wire_error_desc;
extern const struct wire_desc wire_channel_fd_desc;
/* The empty payload of the (DE)REGISTER kinds (kind 0: set header.kind yourself). */
extern const struct wire_desc wire_empty_desc;

/* The description of a kind (a table lookup), or NULL for an unknown kind. */
const struct wire_desc *wire_desc_by_kind(uint16_t kind);
/* "HELLO", "TUNNEL_REGISTER", ...; "unknown" for an unknown kind. */
const char *wire_kind_to_string(uint16_t kind);

/*
 * Version check of a received HELLO: 0 if compatible, -EPROTO on bad magic,
 * -EPROTONOSUPPORT on another major version.
 */
int wire_hello_check(const struct wire_hello *h);

/* ---- inner messages ---------------------------------------------------- */

/*
 * A daemon's own protocol rides inside the data of MESSAGE or TUNNEL frames
 * (clusterd's announcements, dbd's record traffic): a 4-byte prefix (u16 kind,
 * u16 reserved, little endian) and then the payload of that kind, each kind
 * described by a wire_desc of the daemon's own list. Newer minor versions may
 * append fields; wire_unpack() ignores trailing bytes.
 */
#define WIRE_INNER_PREFIX_SIZE 4u
/* What the data of a MESSAGE or TUNNEL frame leaves for prefix and payload. */
#define WIRE_INNER_MAX (WIRE_FRAME_MAX - WIRE_HEADER_SIZE - 4u)

/* Bytes prefix + payload of msg take. */
size_t wire_inner_size(const struct wire_desc *desc, const void *msg);
/*
 * prefix + payload of desc (its kind is the inner kind) into the caller's buf
 * (size bytes), nothing allocated. Returns the bytes written, -EMSGSIZE if they
 * do not fit buf or WIRE_INNER_MAX, -EINVAL as wire_pack().
 */
int wire_inner_pack_into(const struct wire_desc *desc, const void *msg, uint8_t *buf, size_t size);
/* The same into a new talloc buffer of exactly that size. */
int wire_inner_pack(void *mem_ctx, const struct wire_desc *desc, const void *msg, uint8_t **ret,
                    size_t *ret_len);
/* The inner kind of received data, or -EBADMSG. */
int wire_inner_kind(const uint8_t *buf, size_t len);
/* Unpacks the payload after the prefix; -EBADMSG also when the kind is not desc's. */
int wire_inner_unpack(const struct wire_desc *desc, void *mem_ctx, const uint8_t *buf, size_t len,
                      void *msg);
/*
 * Dispatch of received data (from src_pnn, for srvid or tunnel id srvid) by a
 * table of {inner kind, desc, handler} rows: wire_dispatch() on the bytes after
 * the prefix, with a pseudo header whose kind is the inner kind, src src_pnn,
 * srvid srvid and length len (the rest zero). Results are wire_dispatch()'s;
 * data shorter than the prefix is -EBADMSG.
 */
int wire_inner_dispatch(const struct wire_handler *table, size_t n_table, void *mem_ctx, uint32_t src_pnn,
                        uint64_t srvid, const uint8_t *data, size_t len, void *userdata);
