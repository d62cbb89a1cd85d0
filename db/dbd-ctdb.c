/*
 * ctdbd.socket in ctdb-dbd: the daemon side of protocol/ctdb-server.h. dbd
 * serves it because records are dbd's, so a migration a client asks for
 * crosses no other process; messages between clients of two nodes go from
 * this dbd to the other one directly (its channel), as ctdbd's go from daemon
 * to daemon: smbd -> dbd -> dbd -> smbd.
 *
 * What it answers: the cluster view (clusterd's, as dbd follows it) for the
 * server's own controls; messages to other nodes (CTDB_MESSAGE); controls
 * for other nodes, run by that node's server (CTDB_CONTROL, CTDB_REPLY).
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <talloc.h>

#include "config.h"
#include "ctdb-server.h"
#include "dbd-internal.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

/* ctdbd's control timeout is 60 s; the tool gives up after 10 s anyway. */
#define FORWARD_TIMEOUT_USEC (30ull * 1000 * 1000)

static bool node_reachable(dbd_manager *m, uint32_t pnn) {
        return pnn != m->pnn && m->view.known && pnn < m->view.n_nodes &&
               !(m->view.flags[pnn] & (CTDB_NODE_FLAG_DISCONNECTED | CTDB_NODE_FLAG_DELETED));
}

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
        for (uint32_t pnn = broadcast ? 0 : dst; pnn < (broadcast ? m->view.n_nodes : dst + 1); pnn++)
                /* A node that is not there loses it, as with ctdbd. */
                if (node_reachable(m, pnn))
                        (void) dbd_send(m, pnn, &dbd_ctdb_message_desc, &msg);
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
        if (!node_reachable(m, dst))
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

const struct wire_handler dbd_ctdb_handlers[] = {
        { DBD_MSG_CTDB_MESSAGE, &dbd_ctdb_message_desc, on_ctdb_message },
        { DBD_MSG_CTDB_CONTROL, &dbd_ctdb_control_desc, on_ctdb_control },
        { DBD_MSG_CTDB_REPLY, &dbd_ctdb_reply_desc, on_ctdb_reply },
};
const size_t dbd_ctdb_n_handlers = ELEMENTSOF(dbd_ctdb_handlers);

/* ---- this node's controls and calls ------------------------------------------------ */

static void control(void *userdata, struct ctdb_request *req) {
        switch (req->control.opcode) {
        case CTDB_CONTROL_GET_IFACES:
                /* ctdb-ipd owns the interfaces; none listed reads as "all up" in ctdb status. */
                return ctdb_request_reply_payload(req, &ctdb_iface_list_desc,
                                                  &(struct ctdb_iface_list){ 0 });
        case CTDB_CONTROL_GET_PUBLIC_IPS:
                /* smbd needs status 0; an empty list is what a node without public addresses has. */
                return ctdb_request_reply_payload(req, &ctdb_public_ip_list_desc,
                                                  &(struct ctdb_public_ip_list){ 0 });
        case CTDB_CONTROL_TCP_CLIENT:
                return ctdb_request_reply_control(req, 0, NULL, 0, NULL);
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
        return 0;
}
