/* ctdbd.socket's connections, srvids, message routing and own controls; see ctdb-server.h. */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "ctdb-server.h"
#include "list.h"
#include "local-server.h"
#include "log.h"
#include "talloc-util.h"

/* Buckets of the srvid table. */
#define SRVID_BUCKETS 1024u
/* smbd opens a few connections per process; a busy file server has thousands of processes. */
#define CLIENTS_MAX 8192u
/* The leader broadcast ctdbd's recovery daemon sends while it leads (notes, 8.1). */
#define LEADER_BROADCAST_USEC (1000u * 1000u)

/* One srvid a client registered (CTDB counts a registration twice as two). */
struct srvid_reg {
        struct srvid_reg *bucket_next, *bucket_prev;
        struct srvid_reg *client_next, *client_prev;
        struct ctdb_client *client;
        uint64_t srvid;
        unsigned count;
};

/* A tunnel id has one owner per node (TUNNEL_REGISTER); tunnel_test uses two a client. */
struct tunnel_reg {
        struct tunnel_reg *next, *prev;
        struct ctdb_client *client;
        uint64_t tunnel_id;
};

struct ctdb_client {
        struct ctdb_server *server;
        struct local_client *lc;
        struct ctdb_client *next, *prev;
        struct srvid_reg *regs;
};

struct ctdb_server {
        sd_event *event;
        const struct ctdb_server_ops *ops;
        void *userdata;
        struct local_server *ls;
        struct ctdb_client *clients;
        unsigned n_clients;
        struct srvid_reg *buckets[SRVID_BUCKETS];
        struct tunnel_reg *tunnels;
        unsigned leader_listeners; /* registrations of CTDB_SRVID_LEADER */
        sd_event_source *leader_timer;
        struct timeval start_time;
};

/* A request forwarded from another node: where its reply goes (answer NULL once it went). */
struct remote_request {
        struct ctdb_request req;
        ctdb_remote_answer_fn answer;
        void *userdata;
};

static void remote_answer(struct remote_request *rr, const uint8_t *reply, size_t len) {
        ctdb_remote_answer_fn answer = rr->answer;

        rr->answer = NULL;
        if (answer)
                answer(rr->userdata, reply, len);
}

/* Freed unanswered (NOREPLY, dropped): the other node is told there is nothing. */
static int remote_request_destructor(struct remote_request *rr) {
        remote_answer(rr, NULL, 0);
        return 0;
}

static unsigned srvid_bucket(uint64_t srvid) {
        /* srvids differ in their top byte (ranges) and their low bits (pids, counters). */
        uint64_t h = srvid * UINT64_C(0x9E3779B97F4A7C15);

        return (unsigned) (h >> 54) % SRVID_BUCKETS;
}

static struct srvid_reg *srvid_find(struct ctdb_server *s, struct ctdb_client *c, uint64_t srvid) {
        for (struct srvid_reg *r = s->buckets[srvid_bucket(srvid)]; r; r = r->bucket_next)
                if (r->srvid == srvid && r->client == c)
                        return r;
        return NULL;
}

static void srvid_unlink(struct ctdb_server *s, struct srvid_reg *r) {
        if (r->srvid == CTDB_SRVID_LEADER)
                s->leader_listeners -= r->count;
        if (r->bucket_prev)
                r->bucket_prev->bucket_next = r->bucket_next;
        else
                s->buckets[srvid_bucket(r->srvid)] = r->bucket_next;
        if (r->bucket_next)
                r->bucket_next->bucket_prev = r->bucket_prev;
        if (r->client_prev)
                r->client_prev->client_next = r->client_next;
        else
                r->client->regs = r->client_next;
        if (r->client_next)
                r->client_next->client_prev = r->client_prev;
        talloc_free(r);
}

static int srvid_register(struct ctdb_client *c, uint64_t srvid) {
        struct ctdb_server *s = c->server;
        struct srvid_reg *r = srvid_find(s, c, srvid);
        unsigned b = srvid_bucket(srvid);

        if (!r) {
                r = talloc_zero(c, struct srvid_reg);
                if (!r)
                        return -ENOMEM;
                r->client = c;
                r->srvid = srvid;
                r->bucket_next = s->buckets[b];
                if (r->bucket_next)
                        r->bucket_next->bucket_prev = r;
                s->buckets[b] = r;
                r->client_next = c->regs;
                if (r->client_next)
                        r->client_next->client_prev = r;
                c->regs = r;
        }
        r->count++;
        if (srvid == CTDB_SRVID_LEADER)
                s->leader_listeners++;
        return 0;
}

static int srvid_deregister(struct ctdb_client *c, uint64_t srvid) {
        struct srvid_reg *r = srvid_find(c->server, c, srvid);

        if (!r)
                return -ENOENT;
        if (--r->count > 0) {
                if (srvid == CTDB_SRVID_LEADER)
                        c->server->leader_listeners--;
                return 0;
        }
        r->count = 1; /* what srvid_unlink() takes off leader_listeners */
        srvid_unlink(c->server, r);
        return 0;
}

/* ---- sending -------------------------------------------------------------- */

static uint32_t this_pnn(struct ctdb_server *s) {
        struct ctdb_server_view v = { .pnn = CTDB_UNKNOWN_PNN };

        s->ops->view(s->userdata, &v);
        return v.pnn;
}

static void client_send(struct ctdb_client *c, const uint8_t *buf, size_t len) {
        (void) local_client_send_bytes(c->lc, buf, len);
}

/* A REQ_MESSAGE to the clients that registered srvid (only: to that one client alone). */
static void message_send(struct ctdb_server *s, struct ctdb_client *only, uint32_t src_pnn, uint64_t srvid,
                         const uint8_t *data, size_t len) {
        struct ctdb_req_message msg = { .srvid = srvid, .datalen = (uint32_t) len, .data = data };
        struct ctdb_pkt_header h = { .destnode = this_pnn(s), .srcnode = src_pnn };
        _cleanup_talloc_ uint8_t *heap = NULL;
        uint8_t stack[512], *buf = stack;
        size_t need = ctdb_pkt_size(&ctdb_req_message_desc, &msg);
        int n;

        if (!s->buckets[srvid_bucket(srvid)])
                return; /* nobody registered it: dropped, as ctdbd does */
        if (need > sizeof(stack) && !(buf = heap = talloc_size(NULL, need)))
                return (void) log_oom();
        n = ctdb_pkt_pack(&h, &ctdb_req_message_desc, &msg, buf, need);
        if (n < 0)
                return (void) log_debug_errno(n, "Dropped a message for srvid 0x%" PRIx64 ": %m", srvid);
        for (struct srvid_reg *r = s->buckets[srvid_bucket(srvid)]; r; r = r->bucket_next)
                if (r->srvid == srvid && (!only || r->client == only))
                        client_send(r->client, buf, (size_t) n);
}

void ctdb_server_deliver(struct ctdb_server *s, uint32_t src_pnn, uint64_t srvid, const uint8_t *data,
                         size_t len) {
        if (s->ops->daemon_message)
                s->ops->daemon_message(s->userdata, src_pnn, srvid, data, len);
        message_send(s, NULL, src_pnn, srvid, data, len);
}

/* The leader's pnn on CTDB_SRVID_LEADER, from the leader, to one client or all that listen. */
static void leader_tell(struct ctdb_server *s, struct ctdb_client *only) {
        struct ctdb_server_view v = { .pnn = CTDB_UNKNOWN_PNN, .leader = CTDB_UNKNOWN_PNN };

        s->ops->view(s->userdata, &v);
        if (v.leader != CTDB_UNKNOWN_PNN)
                message_send(s, only, v.leader, CTDB_SRVID_LEADER, (const uint8_t *) &v.leader,
                             sizeof(v.leader));
}

/* Sends a reply packet of desc to where req came from, and frees req. */
static void request_answer(struct ctdb_request *req, const struct wire_desc *desc, const void *msg) {
        struct ctdb_pkt_header h = {
                .generation = req->hdr.generation,
                .destnode = req->hdr.srcnode,
                .srcnode = this_pnn(req->server),
                .reqid = req->hdr.reqid,
        };
        _cleanup_talloc_ uint8_t *buf = NULL;
        size_t len;
        int r = ctdb_pkt_build(NULL, &h, desc, msg, &buf, &len);

        if (r < 0)
                log_warning_errno(r, "Failed to build the reply to %s: %m",
                                  ctdb_operation_to_string(req->hdr.operation));
        else
                ctdb_request_reply_packet(req, buf, len);
        if (r < 0)
                talloc_free(req);
}

void ctdb_request_reply_packet(struct ctdb_request *req, const uint8_t *packet, size_t len) {
        if (req->client)
                client_send(req->client, packet, len);
        else
                remote_answer((struct remote_request *) req, packet, len);
        talloc_free(req);
}

void ctdb_request_reply_control(struct ctdb_request *req, int32_t status, const uint8_t *data, size_t len,
                                const char *error) {
        struct ctdb_reply_control rc = { .status = status };

        if (req->control.flags & CTDB_CTRL_FLAG_NOREPLY) {
                talloc_free(req);
                return;
        }
        /* CTDB's client reads an error where the data would be: a failure carries only the message. */
        if (status == 0) {
                rc.datalen = (uint32_t) len;
                rc.data = data;
        } else if (error) {
                rc.errorlen = (uint32_t) strlen(error);
                rc.error = (const uint8_t *) error;
        }
        request_answer(req, &ctdb_reply_control_desc, &rc);
}

void ctdb_request_reply_payload(struct ctdb_request *req, const struct wire_desc *desc, const void *msg) {
        _cleanup_talloc_ uint8_t *data = NULL;
        uint32_t len;
        int r = ctdb_payload_build(NULL, desc, msg, &data, &len);

        if (r < 0)
                ctdb_request_reply_control(req, -1, NULL, 0, "out of memory");
        else
                ctdb_request_reply_control(req, 0, data, len, NULL);
}

void ctdb_request_reply_call(struct ctdb_request *req, int32_t status, const uint8_t *data, size_t len) {
        struct ctdb_reply_call rc = { .status = status, .datalen = (uint32_t) len, .data = data };

        request_answer(req, &ctdb_reply_call_desc, &rc);
}

/* ---- tunnels --------------------------------------------------------------------- */

static struct tunnel_reg *tunnel_find(struct ctdb_server *s, uint64_t tunnel_id) {
        for (struct tunnel_reg *t = s->tunnels; t; t = t->next)
                if (t->tunnel_id == tunnel_id)
                        return t;
        return NULL;
}

static int tunnel_reg_destructor(struct tunnel_reg *t) {
        LIST_REMOVE(t->client->server->tunnels, t);
        return 0;
}

/* As ctdbd: one owner per node, a second registration of the id is refused. */
static void control_tunnel(struct ctdb_request *req) {
        struct ctdb_server *s = req->server;
        struct tunnel_reg *t = tunnel_find(s, req->control.srvid);

        if (!req->client)
                return ctdb_request_reply_control(req, -1, NULL, 0,
                                                  "tunnels are registered on the client's node");
        if (req->control.opcode == CTDB_CONTROL_TUNNEL_DEREGISTER) {
                if (t && t->client == req->client)
                        talloc_free(t);
                return ctdb_request_reply_control(req, t ? 0 : -1, NULL, 0, t ? NULL : "no such tunnel");
        }
        if (t)
                return ctdb_request_reply_control(req, -1, NULL, 0, "tunnel id is registered already");
        t = talloc_zero(req->client, struct tunnel_reg);
        if (!t)
                return ctdb_request_reply_control(req, -1, NULL, 0, "out of memory");
        t->client = req->client;
        t->tunnel_id = req->control.srvid;
        LIST_PREPEND(s->tunnels, t);
        talloc_set_destructor(t, tunnel_reg_destructor);
        ctdb_request_reply_control(req, 0, NULL, 0, NULL);
}

void ctdb_server_tunnel_deliver(struct ctdb_server *s, uint32_t src_pnn, uint64_t tunnel_id, uint32_t flags,
                                const uint8_t *data, size_t len) {
        struct ctdb_req_tunnel t = {
                .tunnel_id = tunnel_id, .flags = flags, .datalen = (uint32_t) len, .data = data
        };
        struct ctdb_pkt_header h = { .destnode = this_pnn(s), .srcnode = src_pnn };
        struct tunnel_reg *reg = tunnel_find(s, tunnel_id);
        _cleanup_talloc_ uint8_t *buf = NULL;
        size_t n;

        if (reg && ctdb_pkt_build(NULL, &h, &ctdb_req_tunnel_desc, &t, &buf, &n) >= 0)
                client_send(reg->client, buf, n);
}

static int on_tunnel(struct ctdb_client *c, const struct ctdb_pkt_header *h, const uint8_t *buf,
                     size_t len) {
        struct ctdb_server *s = c->server;
        struct ctdb_req_tunnel t;
        uint32_t self = this_pnn(s);

        if (ctdb_pkt_unpack(&ctdb_req_tunnel_desc, NULL, buf, len, &t) < 0)
                return -EBADMSG;
        if (h->destnode == CTDB_CURRENT_NODE || h->destnode == self)
                ctdb_server_tunnel_deliver(s, self, t.tunnel_id, t.flags, t.data, t.datalen);
        else if (s->ops->send_tunnel)
                s->ops->send_tunnel(s->userdata, h->destnode, t.tunnel_id, t.flags, t.data, t.datalen);
        return 0;
}

/* ---- the controls answered here ---------------------------------------------------- */

static void reply_status(struct ctdb_request *req, int32_t status) {
        ctdb_request_reply_control(req, status, NULL, 0, NULL);
}

static void control_nodemap(struct ctdb_request *req, const struct ctdb_server_view *v) {
        _cleanup_talloc_ struct ctdb_node_and_flags *nodes = NULL;
        uint32_t n = v->nodes ? v->nodes->n_nodes : 0;

        nodes = talloc_zero_array(NULL, struct ctdb_node_and_flags, n ? n : 1);
        if (!nodes)
                return ctdb_request_reply_control(req, -1, NULL, 0, "out of memory");
        for (uint32_t i = 0; i < n; i++) {
                const struct ctdb_node_entry *e = &v->nodes->nodes[i];

                nodes[i].pnn = i;
                nodes[i].flags = i < v->n_flags ? v->flags[i] : CTDB_NODE_FLAG_DISCONNECTED;
                if (e->deleted)
                        nodes[i].flags = CTDB_NODE_FLAG_DELETED | CTDB_NODE_FLAG_DISCONNECTED;
                else
                        (void) ctdb_sock_addr_from_sockaddr((const struct sockaddr *) &e->sa, e->sa_len,
                                                            &nodes[i].addr);
        }
        ctdb_request_reply_payload(req, &ctdb_node_map_desc, &(struct ctdb_node_map){ n, nodes });
}

static struct ctdb_timeval timeval_of(struct timeval tv) {
        return (struct ctdb_timeval){ (uint64_t) tv.tv_sec, (uint64_t) tv.tv_usec };
}

static void control_uptime(struct ctdb_request *req, const struct ctdb_server_view *v) {
        struct timeval now;

        gettimeofday(&now, NULL);
        ctdb_request_reply_payload(req, &ctdb_uptime_desc,
                                   &(struct ctdb_uptime){
                                           .current_time = timeval_of(now),
                                           .ctdbd_start_time = timeval_of(req->server->start_time),
                                           .last_recovery_started = timeval_of(v->last_recovery_started),
                                           .last_recovery_finished = timeval_of(v->last_recovery_finished),
                                   });
}

/* CTDB's PROCESS_EXISTS: only a process that is a client of this daemon exists (notes, 10.1). */
static void control_process_exists(struct ctdb_request *req) {
        struct ctdb_u32_data pid;

        if (ctdb_payload_unpack(&ctdb_u32_data_desc, NULL, req->control.data, req->control.datalen, &pid) <
            0)
                return ctdb_request_reply_control(req, -1, NULL, 0, "bad PROCESS_EXISTS data");
        reply_status(req, ctdb_server_has_pid(req->server, (pid_t) pid.value, false, 0) ? 0 : -1);
}

static void control_check_pid_srvid(struct ctdb_request *req) {
        struct ctdb_pid_srvid p;

        if (ctdb_payload_unpack(&ctdb_pid_srvid_desc, NULL, req->control.data, req->control.datalen, &p) < 0)
                return ctdb_request_reply_control(req, -1, NULL, 0, "bad CHECK_PID_SRVID data");
        reply_status(req, ctdb_server_has_pid(req->server, p.pid, true, p.srvid) ? 0 : -1);
}

/* (De)registration is the client's own; forwarded ones name no client. */
static void control_srvid(struct ctdb_request *req) {
        int r;

        if (!req->client)
                return ctdb_request_reply_control(req, -1, NULL, 0,
                                                  "srvids are registered on the client's node");
        struct ctdb_client *c = req->client;
        bool leader = req->control.opcode == CTDB_CONTROL_REGISTER_SRVID &&
                      req->control.srvid == CTDB_SRVID_LEADER;

        if (req->control.opcode == CTDB_CONTROL_REGISTER_SRVID)
                r = srvid_register(c, req->control.srvid);
        else
                r = srvid_deregister(c, req->control.srvid);
        reply_status(req, r < 0 ? -1 : 0);
        /* The tool learns the leader at once instead of at the next second's broadcast. */
        if (r >= 0 && leader)
                leader_tell(c->server, c);
}

/* Runs a control for this node: the server's own, or the daemon's. */
static void control_run(struct ctdb_request *req) {
        struct ctdb_server *s = req->server;
        struct ctdb_server_view v = { .pnn = CTDB_UNKNOWN_PNN,
                                      .generation = CTDB_INVALID_GENERATION,
                                      .leader = CTDB_UNKNOWN_PNN };

        s->ops->view(s->userdata, &v);
        switch (req->control.opcode) {
        case CTDB_CONTROL_GET_PNN:
                return reply_status(req, (int32_t) v.pnn);
        case CTDB_CONTROL_GET_PID:
                return reply_status(req, (int32_t) getpid());
        case CTDB_CONTROL_PING:
                return reply_status(req, (int32_t) s->n_clients);
        case CTDB_CONTROL_GET_RECMODE:
                return reply_status(req, v.recovering ? CTDB_RECOVERY_ACTIVE : CTDB_RECOVERY_NORMAL);
        case CTDB_CONTROL_GET_RUNSTATE:
                return ctdb_request_reply_payload(req, &ctdb_u32_data_desc,
                                                  &(struct ctdb_u32_data){ CTDB_RUNSTATE_RUNNING });
        case CTDB_CONTROL_GET_CAPABILITIES:
                return ctdb_request_reply_payload(req, &ctdb_u32_data_desc,
                                                  &(struct ctdb_u32_data){ v.capabilities });
        case CTDB_CONTROL_GETVNNMAP:
                return ctdb_request_reply_payload(
                        req, &ctdb_vnn_map_desc,
                        &(struct ctdb_vnn_map){ v.generation, v.n_vnnmap, (uint32_t *) v.vnnmap });
        case CTDB_CONTROL_GET_NODEMAP:
                return control_nodemap(req, &v);
        case CTDB_CONTROL_UPTIME:
                return control_uptime(req, &v);
        case CTDB_CONTROL_REGISTER_SRVID:
        case CTDB_CONTROL_DEREGISTER_SRVID:
                return control_srvid(req);
        case CTDB_CONTROL_PROCESS_EXISTS:
                return control_process_exists(req);
        case CTDB_CONTROL_CHECK_PID_SRVID:
                return control_check_pid_srvid(req);
        case CTDB_CONTROL_TUNNEL_REGISTER:
        case CTDB_CONTROL_TUNNEL_DEREGISTER:
                return control_tunnel(req);
        default:
                return s->ops->control(s->userdata, req);
        }
}

/* Where a control goes: this node, another one, or (NOREPLY only) every node. */
static void control_route(struct ctdb_request *req) {
        struct ctdb_server *s = req->server;
        uint32_t dst = req->hdr.destnode, self = this_pnn(s);

        if (dst == CTDB_CURRENT_NODE || dst == self || !req->client)
                return control_run(req);
        if (dst == CTDB_BROADCAST_ALL || dst == CTDB_BROADCAST_ACTIVE || dst == CTDB_BROADCAST_CONNECTED)
                /* As ctdbd: a broadcast has nobody to collect its answers. */
                return ctdb_request_reply_control(req, -1, NULL, 0, "broadcast controls need NOREPLY");
        s->ops->forward(s->userdata, req, dst);
}

/* ---- packets from clients ---------------------------------------------------------- */

static struct ctdb_request *request_new(void *ctx, struct ctdb_server *s, struct ctdb_client *c,
                                        const struct ctdb_pkt_header *h, const uint8_t *buf, size_t len,
                                        size_t size) {
        struct ctdb_request *req = talloc_zero_size(ctx, size);

        if (!req)
                return NULL;
        talloc_set_name_const(req, "struct ctdb_request");
        req->server = s;
        req->client = c;
        req->hdr = *h;
        req->packet = talloc_memdup(req, buf, len);
        req->len = len;
        if (!req->packet)
                return talloc_free(req), NULL;
        return req;
}

static int on_control(struct ctdb_client *c, const struct ctdb_pkt_header *h, const uint8_t *buf,
                      size_t len) {
        struct ctdb_server *s = c->server;
        struct ctdb_request *req = request_new(c, s, c, h, buf, len, sizeof(struct ctdb_request));

        if (!req)
                return -ENOMEM;
        req->src_pnn = this_pnn(s);
        if (ctdb_pkt_unpack(&ctdb_req_control_desc, NULL, req->packet, len, &req->control) < 0) {
                talloc_free(req);
                return -EBADMSG;
        }
        log_debug("Client %d: control %s to 0x%" PRIx32, (int) ctdb_client_pid(c),
                  ctdb_control_to_string(req->control.opcode), h->destnode);
        control_route(req);
        return 0;
}

static int on_call(struct ctdb_client *c, const struct ctdb_pkt_header *h, const uint8_t *buf, size_t len) {
        struct ctdb_server *s = c->server;
        struct ctdb_request *req = request_new(c, s, c, h, buf, len, sizeof(struct ctdb_request));

        if (!req)
                return -ENOMEM;
        req->src_pnn = this_pnn(s);
        if (ctdb_pkt_unpack(&ctdb_req_call_desc, NULL, req->packet, len, &req->call) < 0) {
                talloc_free(req);
                return -EBADMSG;
        }
        s->ops->call(s->userdata, req);
        return 0;
}

/* REQ_MESSAGE: to this node's clients, to another node's, or to every connected node (this one too). */
static int on_message(struct ctdb_client *c, const struct ctdb_pkt_header *h, const uint8_t *buf,
                      size_t len) {
        struct ctdb_server *s = c->server;
        struct ctdb_req_message m;
        uint32_t self = this_pnn(s);

        if (ctdb_pkt_unpack(&ctdb_req_message_desc, NULL, buf, len, &m) < 0)
                return -EBADMSG;
        if (h->destnode == CTDB_CURRENT_NODE || h->destnode == self) {
                ctdb_server_deliver(s, self, m.srvid, m.data, m.datalen);
                return 0;
        }
        if (h->destnode == CTDB_BROADCAST_CONNECTED || h->destnode == CTDB_BROADCAST_ALL ||
            h->destnode == CTDB_BROADCAST_ACTIVE)
                ctdb_server_deliver(s, self, m.srvid, m.data, m.datalen);
        s->ops->send_message(s->userdata, h->destnode, m.srvid, m.data, m.datalen);
        return 0;
}

static size_t packet_length(const uint8_t *buf) {
        int n = ctdb_pkt_frame_length(buf, CTDB_PKT_HEADER_SIZE);

        /* 0 makes the stream reader close the client: below a header. */
        return n > 0 ? (size_t) n : 0;
}

static int on_packet(struct local_client *lc, const uint8_t *buf, size_t len, void *userdata) {
        struct ctdb_client *c = local_client_get_userdata(lc);
        struct ctdb_pkt_header h;
        int r = ctdb_pkt_header_check(buf, len, &h);

        if (r < 0)
                return -EBADMSG;
        switch (h.operation) {
        case CTDB_REQ_CONTROL:
                return on_control(c, &h, buf, len);
        case CTDB_REQ_CALL:
                return on_call(c, &h, buf, len);
        case CTDB_REQ_MESSAGE:
                return on_message(c, &h, buf, len);
        case CTDB_REQ_TUNNEL:
                return on_tunnel(c, &h, buf, len);
        default:
                log_debug("Client %d sent a %s packet; ignored", (int) ctdb_client_pid(c),
                          ctdb_operation_to_string(h.operation));
                return 0;
        }
}

static int client_destructor(struct ctdb_client *c) {
        struct ctdb_server *s = c->server;

        while (c->regs)
                srvid_unlink(s, c->regs);
        LIST_REMOVE(s->clients, c);
        s->n_clients--;
        return 0;
}

static int on_connected(struct local_client *lc, void *userdata) {
        struct ctdb_server *s = userdata;
        struct ctdb_client *c = talloc_zero(local_client_ctx(lc), struct ctdb_client);

        if (!c)
                return -ENOMEM;
        c->server = s;
        c->lc = lc;
        LIST_PREPEND(s->clients, c);
        s->n_clients++;
        talloc_set_destructor(c, client_destructor);
        local_client_set_userdata(lc, c);
        return 0;
}

static void on_disconnected(struct local_client *lc, void *userdata) {
        struct ctdb_server *s = userdata;
        struct ctdb_client *c = local_client_get_userdata(lc);

        if (!c)
                return;
        if (s->ops->client_gone)
                s->ops->client_gone(s->userdata, c);
        /* Its requests and registrations go with it, before the connection. */
        local_client_set_userdata(lc, NULL);
        talloc_free(c);
}

static const struct local_stream_ops stream_ops = {
        .header_size = CTDB_PKT_HEADER_SIZE,
        .packet_max = CTDB_PKT_MAX,
        .packet_length = packet_length,
        .packet = on_packet,
};

static const struct local_server_ops server_ops = {
        .stream = &stream_ops,
        .connected = on_connected,
        .disconnected = on_disconnected,
};

static const struct local_server_limits limits = {
        .clients_max = CLIENTS_MAX,
        .outq_frames_max = 4096u,
        .outq_bytes_max = 64u * 1024u * 1024u,
};

/* ---- forwarded controls ------------------------------------------------------------- */

int ctdb_server_remote_control(struct ctdb_server *s, uint32_t src_pnn, const uint8_t *packet, size_t len,
                               ctdb_remote_answer_fn answer, void *userdata) {
        struct ctdb_pkt_header h;
        struct remote_request *rr;

        if (ctdb_pkt_header_check(packet, len, &h) < 0 || h.operation != CTDB_REQ_CONTROL)
                return -EBADMSG;
        rr = (struct remote_request *) request_new(s, s, NULL, &h, packet, len, sizeof(*rr));
        if (!rr)
                return -ENOMEM;
        rr->req.src_pnn = src_pnn;
        if (ctdb_pkt_unpack(&ctdb_req_control_desc, NULL, rr->req.packet, len, &rr->req.control) < 0) {
                talloc_free(rr);
                return -EBADMSG;
        }
        rr->answer = answer;
        rr->userdata = userdata;
        talloc_set_destructor(rr, remote_request_destructor);
        control_run(&rr->req);
        return 0;
}

/* ---- the server --------------------------------------------------------------------- */

pid_t ctdb_client_pid(const struct ctdb_client *c) {
        return local_client_pid(c->lc);
}

unsigned ctdb_server_n_clients(const struct ctdb_server *s) {
        return s->n_clients;
}

bool ctdb_server_has_pid(struct ctdb_server *s, pid_t pid, bool check_srvid, uint64_t srvid) {
        for (struct ctdb_client *c = s->clients; c; c = c->next) {
                if (ctdb_client_pid(c) != pid)
                        continue;
                if (!check_srvid || srvid_find(s, c, srvid))
                        return kill(pid, 0) == 0 || errno != ESRCH;
        }
        return false;
}

/*
 * The tool waits for the leader's pnn on CTDB_SRVID_LEADER (ctdb status,
 * recover): ctdbd's recovery daemon broadcasts it every second while it leads.
 * Here each node tells its own listeners whom clusterd names.
 */
static int on_leader_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        struct ctdb_server *s = userdata;

        if (s->leader_listeners > 0)
                leader_tell(s, NULL);
        (void) sd_event_source_set_time_relative(src, LEADER_BROADCAST_USEC);
        return sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
}

static int server_destructor(struct ctdb_server *s) {
        /* The clients (and their requests) first: their destructors use the table. */
        TALLOC_FREE(s->ls);
        s->leader_timer = sd_event_source_disable_unref(s->leader_timer);
        sd_event_unref(s->event);
        return 0;
}

int ctdb_server_new(void *mem_ctx, sd_event *event, const char *path, const struct ctdb_server_ops *ops,
                    void *userdata, struct ctdb_server **ret) {
        struct ctdb_server *s = talloc_zero(mem_ctx, struct ctdb_server);
        int r;

        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->ops = ops;
        s->userdata = userdata;
        gettimeofday(&s->start_time, NULL);
        talloc_set_destructor(s, server_destructor);
        r = local_server_new(s, event, path, &server_ops, &limits, s, &s->ls);
        if (r >= 0)
                /* The first broadcast soon after a tool connects, as the leader's next one would be. */
                r = sd_event_add_time_relative(event, &s->leader_timer, CLOCK_MONOTONIC,
                                               LEADER_BROADCAST_USEC, 10 * 1000, on_leader_timer, s);
        if (r < 0) {
                talloc_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int ctdb_server_add_client(struct ctdb_server *s, int fd, pid_t pid, struct ctdb_client **ret) {
        struct local_client *lc;
        int r = local_server_add_client(s->ls, fd, pid, getuid(), &lc);

        if (r < 0)
                return r;
        if (ret)
                *ret = local_client_get_userdata(lc);
        return 0;
}
