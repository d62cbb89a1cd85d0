/* tunneld's part of the local socket: srvid registrations, routing, link events; see tunneld-local.h. */

#include <errno.h>
#include <string.h>

#include "local-server.h"
#include "log.h"
#include "talloc-util.h"
#include "tunneld-channel.h"
#include "tunneld-link.h"
#include "tunneld-local.h"
#include "tunneld-manager.h"

#define REG_BUCKETS 256u

struct tunneld_client;

/* One srvid registration or tunnel id of one client. */
struct reg {
        uint64_t srvid;
        struct tunneld_client *client;
        struct reg *bucket_next;
        struct reg *client_next;
};

/* By srvid: every client registered for a srvid, or the one owner of a tunnel id. */
struct reg_table {
        struct reg *buckets[REG_BUCKETS];
};

/* What one client holds in a table. */
struct reg_list {
        struct reg *head;
        unsigned n;
};

/* What tunneld keeps per local client, on the client's talloc context. */
struct tunneld_client {
        struct tunneld_local *local;
        struct local_client *lc;
        struct reg_list regs;
        struct reg_list tunnels;
};

struct tunneld_local {
        struct tunneld_manager *manager;
        struct local_server *server;
        struct reg_table regs;
        struct reg_table tunnels;
};

static const struct local_server_limits limits = {
        .clients_max = LOCAL_CLIENTS_MAX,
        .outq_frames_max = LOCAL_OUTQ_FRAMES_MAX,
        .outq_bytes_max = LOCAL_OUTQ_BYTES_MAX,
};

static unsigned reg_bucket(uint64_t srvid) {
        uint64_t h = srvid * UINT64_C(0x9e3779b97f4a7c15);
        return (unsigned) (h >> 56) % REG_BUCKETS;
}

/* The entry for srvid held by c, or by anyone when c is NULL. */
static struct reg *reg_find(struct reg_table *table, uint64_t srvid, struct tunneld_client *c) {
        for (struct reg *r = table->buckets[reg_bucket(srvid)]; r; r = r->bucket_next)
                if (r->srvid == srvid && (!c || r->client == c))
                        return r;
        return NULL;
}

static int reg_add(struct reg_table *table, struct reg_list *list, struct tunneld_client *c,
                   uint64_t srvid) {
        struct reg *reg = talloc_zero(c, struct reg);
        unsigned b = reg_bucket(srvid);

        if (!reg)
                return -ENOMEM;
        reg->srvid = srvid;
        reg->client = c;
        reg->bucket_next = table->buckets[b];
        table->buckets[b] = reg;
        reg->client_next = list->head;
        list->head = reg;
        list->n++;
        return 0;
}

static void reg_unlink(struct reg_table *table, struct reg_list *list, struct reg *reg) {
        struct reg **p;

        for (p = &table->buckets[reg_bucket(reg->srvid)]; *p; p = &(*p)->bucket_next)
                if (*p == reg) {
                        *p = reg->bucket_next;
                        break;
                }
        for (p = &list->head; *p; p = &(*p)->client_next)
                if (*p == reg) {
                        *p = reg->client_next;
                        break;
                }
        list->n--;
        talloc_free(reg);
}

static void client_send_msg(struct tunneld_client *c, struct wire_header *h, const struct wire_desc *desc,
                            const void *msg) {
        /* Only fixed-size control frames come here: they always fit, nothing to handle. */
        (void) local_client_send_msg(c->lc, h, desc, msg);
}

/* An ERROR frame: request (kind) for srvid to dst failed with error. */
static void client_send_error_for(struct tunneld_client *c, uint16_t request_kind, uint64_t srvid,
                                  uint32_t dst, int error) {
        struct tunneld_manager *m = c->local->manager;
        struct wire_header h = { .kind = WIRE_KIND_ERROR, .src = m->pnn, .dst = m->pnn, .srvid = srvid };
        struct wire_error e = {
                .error = error < 0 ? -error : error,
                .request_kind = request_kind,
                .srvid = srvid,
                .dst = dst,
        };

        client_send_msg(c, &h, &wire_error_desc, &e);
}

static void client_send_error(struct tunneld_client *c, const struct wire_header *req, int error) {
        client_send_error_for(c, req->kind, req->srvid, req->dst, error);
}

/* The handlers of client_frame_handlers[]; userdata is the tunneld_client. */
static int client_handle_register(void *userdata, const struct wire_header *h, const void *msg,
                                  const uint8_t *payload, size_t len) {
        struct tunneld_client *c = userdata;
        int r;

        if (reg_find(&c->local->regs, h->srvid, c))
                return 0;
        if (c->regs.n >= LOCAL_REGISTRATIONS_MAX) {
                client_send_error(c, h, ENOSPC);
                return 0;
        }
        r = reg_add(&c->local->regs, &c->regs, c, h->srvid);
        if (r < 0)
                client_send_error(c, h, r);
        return 0;
}

static int client_handle_deregister(void *userdata, const struct wire_header *h, const void *msg,
                                    const uint8_t *payload, size_t len) {
        struct tunneld_client *c = userdata;
        struct reg *reg = reg_find(&c->local->regs, h->srvid, c);

        if (reg)
                reg_unlink(&c->local->regs, &c->regs, reg);
        return 0;
}

static int client_handle_message(void *userdata, const struct wire_header *hdr, const void *msg,
                                 const uint8_t *payload, size_t len) {
        struct tunneld_client *c = userdata;
        struct tunneld_manager *m = c->local->manager;
        struct wire_header h = *hdr;
        int r;

        /* The source is this node, whatever the client wrote. */
        h.src = m->pnn;
        r = tunneld_manager_send_message(m, &h, payload, len);
        if (r < 0)
                client_send_error(c, &h, r);
        return 0;
}

/*
 * Tunnels (DESIGN.md section 5): a tunnel id has one owner per node. Another
 * registration of an owned id, by anyone, is refused with EADDRINUSE, as CTDB's
 * ctdb_control_tunnel_register() refuses it; the id is free again when its
 * owner deregisters or goes away.
 */
static int client_handle_tunnel_register(void *userdata, const struct wire_header *h, const void *msg,
                                         const uint8_t *payload, size_t len) {
        struct tunneld_client *c = userdata;
        int r;

        if (reg_find(&c->local->tunnels, h->srvid, NULL)) {
                client_send_error(c, h, EADDRINUSE);
                return 0;
        }
        if (c->tunnels.n >= LOCAL_TUNNELS_MAX) {
                client_send_error(c, h, ENOSPC);
                return 0;
        }
        r = reg_add(&c->local->tunnels, &c->tunnels, c, h->srvid);
        if (r < 0)
                client_send_error(c, h, r);
        return 0;
}

static int client_handle_tunnel_deregister(void *userdata, const struct wire_header *h, const void *msg,
                                           const uint8_t *payload, size_t len) {
        struct tunneld_client *c = userdata;
        struct reg *reg = reg_find(&c->local->tunnels, h->srvid, c);

        if (reg)
                reg_unlink(&c->local->tunnels, &c->tunnels, reg);
        return 0;
}

/*
 * A TUNNEL from a client goes out only on an id it owns here: the errors that
 * come back later from other nodes go to this node's owner of the id, so that
 * is the only sender who can hear them.
 */
static int client_handle_tunnel(void *userdata, const struct wire_header *hdr, const void *msg,
                                const uint8_t *payload, size_t len) {
        struct tunneld_client *c = userdata;
        struct tunneld_manager *m = c->local->manager;
        struct wire_header h = *hdr;
        struct link *l;
        int r;

        if (!reg_find(&c->local->tunnels, h.srvid, c)) {
                client_send_error(c, &h, EPERM);
                return 0;
        }
        h.src = m->pnn;
        if (h.dst == CTDB_PNN_ALL) {
                /* Every connected node but this one, as for messages; a full queue is
                 * reported for its node and fails nobody else. */
                for (uint32_t i = 0; i < m->nodes->n_nodes; i++) {
                        struct wire_header fwd = h;

                        l = m->links[i];
                        if (!l || !l->up)
                                continue;
                        r = link_send(l, &fwd, payload, len);
                        if (r < 0)
                                client_send_error_for(c, h.kind, h.srvid, i, r);
                }
                return 0;
        }
        if (h.dst == m->pnn)
                r = tunneld_local_tunnel_deliver(c->local, &h, payload, len);
        else {
                l = tunneld_manager_get_link(m, h.dst);
                r = l ? link_send(l, &h, payload, len) : -ENOENT;
        }
        if (r < 0)
                client_send_error_for(c, WIRE_KIND_TUNNEL, h.srvid, h.dst, r);
        return 0;
}

/* A channel, like a TUNNEL, only on an id the client owns here: the peer's owner trusts that. */
static int client_handle_channel(void *userdata, const struct wire_header *h, const void *msg,
                                 const uint8_t *payload, size_t len) {
        struct tunneld_client *c = userdata;
        int r;

        if (!reg_find(&c->local->tunnels, h->srvid, c)) {
                client_send_error(c, h, EPERM);
                return 0;
        }
        r = tunneld_channel_open(c->local->manager, c->lc, h->dst, h->srvid);
        if (r < 0)
                (void) tunneld_local_send_channel(c->local, c->lc, h->dst, h->srvid, -r, NULL, 0, -1);
        return 0;
}

static const struct wire_handler client_frame_handlers[] = {
        { WIRE_KIND_REGISTER, NULL, client_handle_register },
        { WIRE_KIND_DEREGISTER, NULL, client_handle_deregister },
        { WIRE_KIND_MESSAGE, &wire_message_desc, client_handle_message },
        { WIRE_KIND_TUNNEL, &wire_tunnel_desc, client_handle_tunnel },
        { WIRE_KIND_TUNNEL_REGISTER, NULL, client_handle_tunnel_register },
        { WIRE_KIND_TUNNEL_DEREGISTER, NULL, client_handle_tunnel_deregister },
        { WIRE_KIND_CHANNEL, NULL, client_handle_channel },
};

/* A kind not in the table, or a payload that does not unpack, closes the client. */
static int on_frame(struct local_client *lc, const struct wire_header *h, const uint8_t *payload, size_t len,
                    void *userdata) {
        struct tunneld_client *c = local_client_get_userdata(lc);
        int r = wire_dispatch(client_frame_handlers, ELEMENTSOF(client_frame_handlers), NULL, h, payload,
                              len, c);

        return r == -ENOMSG ? -EBADMSG : r;
}

static void client_send_link(struct tunneld_client *c, uint32_t pnn, bool up) {
        struct tunneld_manager *m = c->local->manager;
        struct wire_header h = { .kind = WIRE_KIND_LINK, .src = m->pnn, .dst = m->pnn };
        struct wire_link link = { .pnn = pnn, .connected = up };

        client_send_msg(c, &h, &wire_link_desc, &link);
}

static int on_connected(struct local_client *lc, void *userdata) {
        struct tunneld_local *t = userdata;
        struct tunneld_manager *m = t->manager;
        struct tunneld_client *c;

        c = talloc_zero(local_client_ctx(lc), struct tunneld_client);
        if (!c)
                return -ENOMEM;
        c->local = t;
        c->lc = lc;
        local_client_set_userdata(lc, c);
        for (uint32_t i = 0; i < m->nodes->n_nodes; i++) {
                struct link *l = m->links[i];
                if (l)
                        client_send_link(c, l->pnn, l->up);
        }
        return 0;
}

static void on_disconnected(struct local_client *lc, void *userdata) {
        struct tunneld_client *c = local_client_get_userdata(lc);

        if (!c)
                return;
        tunneld_channel_client_gone(c->local->manager, lc);
        while (c->regs.head)
                reg_unlink(&c->local->regs, &c->regs, c->regs.head);
        while (c->tunnels.head)
                reg_unlink(&c->local->tunnels, &c->tunnels, c->tunnels.head);
}

static void on_hello(void *userdata, struct wire_hello *ret) {
        struct tunneld_local *t = userdata;

        tunneld_manager_hello(t->manager, ret);
}

/* Frames to the links are queued while we read, then written in one go per link. */
static void on_receive_begin(void *userdata) {
        struct tunneld_local *t = userdata;

        t->manager->cork++;
}

static void on_receive_end(void *userdata) {
        struct tunneld_local *t = userdata;

        t->manager->cork--;
        tunneld_manager_uncork(t->manager);
}

static const struct local_server_ops ops = {
        .hello = on_hello,
        .connected = on_connected,
        .frame = on_frame,
        .disconnected = on_disconnected,
        .receive_begin = on_receive_begin,
        .receive_end = on_receive_end,
};

/* The clients go first: their disconnected callbacks still use the buckets. */
static int tunneld_local_destructor(struct tunneld_local *t) {
        TALLOC_FREE(t->server);
        return 0;
}

int tunneld_local_new(struct tunneld_manager *m, const char *path, struct tunneld_local **ret) {
        struct tunneld_local *t;
        int r;

        t = talloc_zero(m, struct tunneld_local);
        if (!t)
                return -ENOMEM;
        t->manager = m;
        r = local_server_new(t, m->event, path, &ops, &limits, t, &t->server);
        if (r < 0) {
                talloc_free(t);
                return r;
        }
        talloc_set_destructor(t, tunneld_local_destructor);
        *ret = t;
        return 0;
}

struct local_server *tunneld_local_server(struct tunneld_local *t) {
        return t->server;
}

void tunneld_local_deliver(struct tunneld_local *t, const struct wire_header *h, const uint8_t *payload,
                           size_t payload_len) {
        uint8_t hdr[WIRE_HEADER_SIZE];
        struct wire_header out = *h;
        bool packed = false;

        for (struct reg *r = t->regs.buckets[reg_bucket(h->srvid)]; r; r = r->bucket_next) {
                if (r->srvid != h->srvid)
                        continue;
                if (!packed) {
                        out.kind = WIRE_KIND_MESSAGE;
                        wire_header_finish(&out, payload_len, hdr);
                        packed = true;
                }
                local_client_send(r->client->lc, hdr, payload, payload_len);
        }
}

void tunneld_local_link_changed(struct tunneld_local *t, uint32_t pnn, bool up) {
        struct tunneld_manager *m = t->manager;
        struct wire_header h = { .src = m->pnn, .dst = m->pnn };
        struct wire_link link = { .pnn = pnn, .connected = up };
        uint8_t frame[WIRE_HEADER_SIZE + 16];
        int r;

        r = wire_frame_pack(&h, &wire_link_desc, &link, frame, sizeof(frame));
        if (r < 0)
                return; /* a fixed-size frame that fits: cannot happen */
        local_server_broadcast(t->server, frame, frame + WIRE_HEADER_SIZE, (size_t) r - WIRE_HEADER_SIZE);
}

int tunneld_local_tunnel_deliver(struct tunneld_local *t, const struct wire_header *h,
                                 const uint8_t *payload, size_t payload_len) {
        struct reg *owner = reg_find(&t->tunnels, h->srvid, NULL);
        uint8_t hdr[WIRE_HEADER_SIZE];
        struct wire_header out = *h;

        if (!owner)
                return -ESRCH;
        out.kind = WIRE_KIND_TUNNEL;
        wire_header_finish(&out, payload_len, hdr);
        local_client_send(owner->client->lc, hdr, payload, payload_len);
        return 0;
}

int tunneld_local_tunnel_error(struct tunneld_local *t, const struct wire_error *e) {
        struct reg *owner = reg_find(&t->tunnels, e->srvid, NULL);

        if (!owner)
                return -ESRCH;
        client_send_error_for(owner->client, WIRE_KIND_TUNNEL, e->srvid, e->dst, -e->error);
        return 0;
}

struct local_client *tunneld_local_tunnel_owner(struct tunneld_local *t, uint64_t id) {
        struct reg *owner = reg_find(&t->tunnels, id, NULL);

        return owner ? owner->client->lc : NULL;
}

int tunneld_local_send_channel(struct tunneld_local *t, struct local_client *lc, uint32_t pnn, uint64_t id,
                               int error, const uint8_t *pending, size_t len, int fd) {
        struct tunneld_manager *m = t->manager;
        struct wire_header h = { .src = m->pnn, .dst = m->pnn, .srvid = id };
        struct wire_channel_fd msg = {
                .pnn = pnn,
                .error = error,
                .pending = error == 0 ? pending : NULL,
                .pending_len = error == 0 ? (uint32_t) len : 0,
        };
        _cleanup_talloc_ uint8_t *frame = NULL;
        int r;

        r = wire_frame_build(NULL, &h, &wire_channel_fd_desc, &msg, &frame);
        if (r < 0)
                return r;
        return local_client_send_fd(lc, frame, (size_t) r, error == 0 ? fd : -1);
}
