/*
 * ctdbd.socket in ctdb-dbd: the daemon side of protocol/ctdb-server.h. dbd
 * serves it because records are dbd's, so a migration a client asks for
 * crosses no other process; messages between clients of two nodes go from
 * this dbd to the other one directly (its channel), as ctdbd's go from daemon
 * to daemon: smbd -> dbd -> dbd -> smbd.
 *
 * What it answers: the cluster view (clusterd's, as dbd follows it) for the
 * server's own controls; messages and tunnels to other nodes (CTDB_MESSAGE,
 * CTDB_TUNNEL); controls for other nodes, run by that node's server
 * (CTDB_CONTROL, CTDB_REPLY); bans and recoveries through clusterd, and the
 * leader's answer to a takeover run. The database controls and REQ_CALL are
 * in dbd-ctdb-db.c, the public addresses in dbd-ctdb-ip.c.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <talloc.h>

#include "config.h"
#include "ctdb-names.h"
#include "ctdb-server.h"
#include "dbd-internal.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

/* ctdbd's control timeout is 60 s; the tool gives up after 10 s anyway. */
#define FORWARD_TIMEOUT_USEC (30ull * 1000 * 1000)

static void view(void *userdata, struct ctdb_server_view *ret) {
        dbd_manager *m = userdata;
        bool known = m->view.known;

        *ret = (struct ctdb_server_view){
                .pnn = m->pnn,
                .generation = m->generation ? m->generation : CTDB_INVALID_GENERATION,
                /* Clients wait for NORMAL before they start: until this node's first recovery too. */
                .recovering = !known || m->view.recovering || m->frozen || m->generation == 0,
                .leader = known ? m->view.leader : CTDB_UNKNOWN_PNN,
                .capabilities = CTDB_CAP_LMASTER | (m->config->leader_capability ? CTDB_CAP_RECMASTER : 0),
                .nodes = m->d ? m->d->nodes : NULL,
                .flags = known ? m->view.flags : NULL,
                .n_flags = known ? m->view.n_nodes : 0,
                .vnnmap = m->vnnmap,
                .n_vnnmap = m->n_vnnmap,
                .last_recovery_started = m->recovery_started,
                .last_recovery_finished = m->recovery_finished,
        };
}

/* ---- messages ---------------------------------------------------------------------- */

static void send_message(void *userdata, uint32_t dst, uint64_t srvid, const uint8_t *data, size_t len) {
        dbd_manager *m = userdata;
        struct dbd_ctdb_message_msg msg = { .srvid = srvid, .data_len = (uint32_t) len, .data = data };
        bool broadcast =
                dst == CTDB_BROADCAST_ALL || dst == CTDB_BROADCAST_ACTIVE || dst == CTDB_BROADCAST_CONNECTED;

        if (len > WIRE_FRAME_MAX / 2) {
                log_notice("Dropped a message of %zu bytes for srvid 0x%" PRIx64 ": too large for a link",
                           len, srvid);
                return;
        }
        /* A node that is not there loses it, as with ctdbd. */
        if (broadcast)
                dbd_send_others(m, &dbd_ctdb_message_desc, &msg);
        else if (dbd_node_reachable(m, dst))
                (void) dbd_send(m, dst, &dbd_ctdb_message_desc, &msg);
}

static void send_tunnel(void *userdata, uint32_t dst, uint64_t tunnel_id, uint32_t flags,
                        const uint8_t *data, size_t len) {
        dbd_manager *m = userdata;
        struct dbd_ctdb_tunnel_msg msg = { tunnel_id, flags, (uint32_t) len, data };

        if (len <= WIRE_FRAME_MAX / 2 && dbd_node_reachable(m, dst))
                (void) dbd_send(m, dst, &dbd_ctdb_tunnel_desc, &msg);
}

static int on_ctdb_tunnel(void *userdata, const struct wire_header *h, const void *msg,
                          const uint8_t *payload, size_t len) {
        dbd_manager *m = userdata;
        const struct dbd_ctdb_tunnel_msg *t = msg;

        if (m->ctdb)
                ctdb_server_tunnel_deliver(m->ctdb, h->src, t->tunnel_id, t->flags, t->data, t->data_len);
        return 0;
}

static int on_ctdb_message(void *userdata, const struct wire_header *h, const void *msg,
                           const uint8_t *payload, size_t len) {
        dbd_manager *m = userdata;
        const struct dbd_ctdb_message_msg *cm = msg;

        if (m->ctdb)
                ctdb_server_deliver(m->ctdb, h->src, cm->srvid, cm->data, cm->data_len);
        return 0;
}

/* ---- controls for other nodes ------------------------------------------------------ */

/* A control out to another node: ends with its request, whichever goes first. */
struct forward {
        struct ctdb_request *req;
        struct peer_request *pr; /* NULL once it completed */
};

static int forward_destructor(struct forward *f) {
        if (f->pr)
                peer_request_cancel(f->pr);
        return 0;
}

static void on_forwarded(struct peer_request *pr, int error, const void *reply, void *userdata) {
        struct forward *f = userdata;
        const struct dbd_ctdb_packet_msg *r = reply;

        f->pr = NULL; /* the set frees it after this */
        if (error < 0)
                ctdb_request_reply_control(f->req, -1, NULL, 0, "node is disconnected");
        else
                ctdb_request_reply_packet(f->req, r->packet, r->packet_len);
}

static void forward(void *userdata, struct ctdb_request *req, uint32_t dst) {
        dbd_manager *m = userdata;
        struct dbd_ctdb_packet_msg msg = { .packet_len = (uint32_t) req->len, .packet = req->packet };
        struct forward *f;
        int r;

        /* As ctdbd: at once, for a node that is not there. */
        if (!dbd_node_reachable(m, dst))
                return ctdb_request_reply_control(req, -1, NULL, 0, "ctdb_control to disconnected node");
        f = talloc_zero(req, struct forward);
        if (!f)
                return ctdb_request_reply_control(req, -1, NULL, 0, "out of memory");
        f->req = req;
        r = peer_request_new(m->requests, dst, FORWARD_TIMEOUT_USEC, on_forwarded, f, &f->pr);
        if (r < 0)
                return ctdb_request_reply_control(req, -1, NULL, 0, "too many controls in flight");
        talloc_set_destructor(f, forward_destructor);
        msg.id = peer_request_id(f->pr);
        r = dbd_send(m, dst, &dbd_ctdb_control_desc, &msg);
        if (r < 0)
                ctdb_request_reply_control(req, -1, NULL, 0, "node is disconnected");
}

struct remote_answer {
        dbd_manager *m;
        uint32_t src, id;
};

/* The reply of a control another node sent here (nothing for a NOREPLY one). */
static void on_remote_answer(void *userdata, const uint8_t *reply, size_t len) {
        struct remote_answer *a = userdata;
        struct dbd_ctdb_packet_msg msg = { .id = a->id, .packet_len = (uint32_t) len, .packet = reply };

        if (reply)
                (void) dbd_send(a->m, a->src, &dbd_ctdb_reply_desc, &msg);
        talloc_free(a);
}

static int on_ctdb_control(void *userdata, const struct wire_header *h, const void *msg,
                           const uint8_t *payload, size_t len) {
        dbd_manager *m = userdata;
        const struct dbd_ctdb_packet_msg *cm = msg;
        struct remote_answer *a;

        if (!m->ctdb)
                return 0; /* not serving yet: the requester times out, as for a node that hangs */
        a = talloc(m, struct remote_answer);
        if (!a)
                return -ENOMEM;
        *a = (struct remote_answer){ m, h->src, cm->id };
        /* on_remote_answer() runs exactly once, and frees a. */
        return ctdb_server_remote_control(m->ctdb, h->src, cm->packet, cm->packet_len, on_remote_answer, a);
}

static int on_ctdb_reply(void *userdata, const struct wire_header *h, const void *msg,
                         const uint8_t *payload, size_t len) {
        dbd_manager *m = userdata;
        const struct dbd_ctdb_packet_msg *cm = msg;

        /* -ENOENT: it timed out, or its client went away. */
        (void) peer_requests_complete(m->requests, h->src, cm->id, cm);
        return 0;
}

static int on_ctdb_seqnum(void *userdata, const struct wire_header *h, const void *msg,
                          const uint8_t *payload, size_t len) {
        dbd_ctdb_seqnum_raise(userdata, ((const struct dbd_ctdb_seqnum_msg *) msg)->db_id);
        return 0;
}

const struct wire_handler dbd_ctdb_handlers[] = {
        { DBD_MSG_CTDB_MESSAGE, &dbd_ctdb_message_desc, on_ctdb_message },
        { DBD_MSG_CTDB_CONTROL, &dbd_ctdb_control_desc, on_ctdb_control },
        { DBD_MSG_CTDB_REPLY, &dbd_ctdb_reply_desc, on_ctdb_reply },
        { DBD_MSG_CTDB_SEQNUM, &dbd_ctdb_seqnum_desc, on_ctdb_seqnum },
        { DBD_MSG_CTDB_TUNNEL, &dbd_ctdb_tunnel_desc, on_ctdb_tunnel },
};
const size_t dbd_ctdb_n_handlers = ELEMENTSOF(dbd_ctdb_handlers);

/* ---- answers that may come after the client went ------------------------------------ */

/*
 * The control plane's operations call back whenever they end, even after the
 * client went away: their userdata is this, which the request's end detaches
 * (ref, a child of the request, clears req).
 */
struct pending_op {
        struct ctdb_request *req;
        struct pending_op **ref;
};

static int op_ref_destructor(struct pending_op **ref) {
        (*ref)->req = NULL;
        (*ref)->ref = NULL;
        return 0;
}

struct pending_op *dbd_ctdb_op_new(dbd_manager *m, struct ctdb_request *req) {
        struct pending_op *op = talloc_zero(m, struct pending_op);

        if (!op || !(op->ref = talloc(req, struct pending_op *))) {
                talloc_free(op);
                return NULL;
        }
        op->req = req;
        *op->ref = op;
        talloc_set_destructor(op->ref, op_ref_destructor);
        return op;
}

/* The request of op if it is still there, and op freed. */
struct ctdb_request *dbd_ctdb_op_take(struct pending_op *op) {
        struct ctdb_request *req = op->req;

        if (op->ref) {
                talloc_set_destructor(op->ref, NULL);
                talloc_free(op->ref);
        }
        talloc_free(op);
        return req;
}

/* ---- this node's controls and calls ------------------------------------------------ */

/* ---- what clusterd does: bans and recoveries ------------------------------------------- */

static int on_clusterd_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct ctdb_request *req = dbd_ctdb_op_take(userdata);
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (req)
                ctdb_request_reply_control(req, e ? -1 : 0, NULL, 0, e ? e->message : NULL);
        return 0;
}

/* Calls a method of clusterd's manager (dbd runs as root: polkit is not asked) and answers req with it. */
static void call_clusterd(dbd_manager *m, struct ctdb_request *req, const char *method, const char *types,
                          uint32_t a, uint32_t b) {
        struct pending_op *op = dbd_ctdb_op_new(m, req);
        int r;

        if (!op)
                return ctdb_request_reply_control(req, -1, NULL, 0, "out of memory");
        if (!*types)
                r = sd_bus_call_method_async(m->bus, NULL, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                                             CLUSTERD_MANAGER_IFACE, method, on_clusterd_reply, op, NULL);
        else if (types[1])
                r = sd_bus_call_method_async(m->bus, NULL, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                                             CLUSTERD_MANAGER_IFACE, method, on_clusterd_reply, op, types, a,
                                             b);
        else
                r = sd_bus_call_method_async(m->bus, NULL, CLUSTERD_BUS_NAME, CLUSTERD_MANAGER_PATH,
                                             CLUSTERD_MANAGER_IFACE, method, on_clusterd_reply, op, types,
                                             a);
        if (r < 0) {
                req = dbd_ctdb_op_take(op);
                if (req)
                        ctdb_request_reply_control(req, -1, NULL, 0, "ctdb-clusterd cannot be asked");
        }
}

static void control_ban(dbd_manager *m, struct ctdb_request *req) {
        struct ctdb_ban_state b;

        if (ctdb_payload_unpack(&ctdb_ban_state_desc, NULL, req->control.data, req->control.datalen, &b) < 0)
                return ctdb_request_reply_control(req, -1, NULL, 0, "SET_BAN_STATE: bad data");
        if (b.time == 0)
                call_clusterd(m, req, "Unban", "u", b.pnn, 0);
        else
                call_clusterd(m, req, "Ban", "uu", b.pnn, b.time);
}

/* SET_RECMODE ACTIVE is how the tool asks for a recovery: clusterd's leader runs one. */
static void control_recmode(dbd_manager *m, struct ctdb_request *req) {
        struct ctdb_u32_data mode;

        if (ctdb_payload_unpack(&ctdb_u32_data_desc, NULL, req->control.data, req->control.datalen, &mode) <
            0)
                return ctdb_request_reply_control(req, -1, NULL, 0, "SET_RECMODE: bad data");
        if (mode.value == CTDB_RECOVERY_NORMAL)
                return ctdb_request_reply_control(req, 0, NULL, 0, NULL);
        call_clusterd(m, req, "Recover", "", 0, 0);
}

/*
 * CTDB_SRVID_TAKEOVER_RUN (ctdb ipreallocate, and ban and the others after
 * their change): the leader's recovery daemon answers once a takeover run is
 * over. Here ipd re-plans on every change of flags by itself, so the leader
 * answers at once, with its pnn (>= 0 is success), where the request says.
 */
static void on_takeover_run(dbd_manager *m, const uint8_t *data, size_t len) {
        struct ctdb_srvid_message sm;
        int32_t ok = (int32_t) m->pnn;

        if (!m->view.known || m->view.leader != m->pnn ||
            ctdb_payload_unpack(&ctdb_srvid_message_desc, NULL, data, len, &sm) < 0)
                return;
        if (sm.pnn == m->pnn)
                ctdb_server_deliver(m->ctdb, m->pnn, sm.srvid, (const uint8_t *) &ok, sizeof(ok));
        else
                send_message(m, sm.pnn, sm.srvid, (const uint8_t *) &ok, sizeof(ok));
}

static void daemon_message(void *userdata, uint32_t src, uint64_t srvid, const uint8_t *data, size_t len) {
        if (srvid == CTDB_SRVID_TAKEOVER_RUN)
                on_takeover_run(userdata, data, len);
}

static void control(void *userdata, struct ctdb_request *req) {
        switch (req->control.opcode) {
        case CTDB_CONTROL_SET_BAN_STATE:
                return control_ban(userdata, req);
        case CTDB_CONTROL_SET_RECMODE:
                return control_recmode(userdata, req);
        case CTDB_CONTROL_GET_IFACES:
                /* ctdb-ipd owns the interfaces; none listed reads as "all up" in ctdb status. */
                return ctdb_request_reply_payload(req, &ctdb_iface_list_desc,
                                                  &(struct ctdb_iface_list){ 0 });
        case CTDB_CONTROL_GET_PUBLIC_IPS:
                return dbd_ctdb_public_ips(userdata, req);
        case CTDB_CONTROL_GET_PUBLIC_IP_INFO:
                return dbd_ctdb_public_ip_info(userdata, req);
        case CTDB_CONTROL_TCP_CLIENT:
                return dbd_ctdb_tcp_client(userdata, req);
        default:
                return dbd_ctdb_db_control(userdata, req);
        }
}

static void call(void *userdata, struct ctdb_request *req) {
        dbd_ctdb_call(userdata, req);
}

static const struct ctdb_server_ops ctdb_ops = {
        .view = view,
        .send_message = send_message,
        .control = control,
        .forward = forward,
        .call = call,
        .daemon_message = daemon_message,
        .send_tunnel = send_tunnel,
};

int dbd_ctdb_start(dbd_manager *m) {
        const char *run_dir = m->config->run_dir ? m->config->run_dir : CTDB_RUN_DIR;
        _cleanup_talloc_ char *path = talloc_asprintf(NULL, "%s/ctdbd.socket", run_dir);
        int r;

        if (!path)
                return log_oom();
        r = ctdb_server_new(m, m->event, path, &ctdb_ops, m, &m->ctdb);
        if (r < 0)
                return log_error_errno(r, "Failed to listen on %s: %m", path);
        r = dbd_ctdb_ips_start(m);
        if (r < 0)
                return log_error_errno(r, "Failed to follow ctdb-ipd's addresses: %m");
        return 0;
}
