/*
 * protocol/ctdb-server.c against a fake daemon (struct ctdb_server_ops that
 * records what it is asked): the test is a CTDB client on the other end of a
 * socketpair, speaking the packets of protocol/ctdb-protocol.h, and drives the
 * server's sd-event loop itself.
 */
#undef NDEBUG

#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <talloc.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "ctdb-server.h"

#define PNN      1u
#define OTHER    2u
#define N_NODES  3u
#define SRVID_A  UINT64_C(0xAE00000000000002)
#define TOOL_PID 4242

typedef struct Fixture {
        sd_event *event;
        struct ctdb_server *server;
        struct ctdb_client *client;
        int peer;
        uint32_t flags[N_NODES];
        uint32_t leader;
        /* what the fake daemon was asked */
        unsigned n_sent;
        uint32_t sent_dst;
        uint64_t sent_srvid;
        char sent_data[64];
        unsigned n_controls, n_forwards, n_calls, n_gone;
        uint32_t forward_dst;
        struct ctdb_request *held; /* a forwarded request, answered by the test */
        gboolean answered;
        uint8_t answer[256];
        size_t answer_len;
} Fixture;

static void fake_view(void *userdata, struct ctdb_server_view *ret) {
        Fixture *f = userdata;

        *ret = (struct ctdb_server_view){
                .pnn = PNN,
                .generation = 7,
                .leader = f->leader,
                .capabilities = CTDB_CAP_LMASTER,
                .flags = f->flags,
                .n_flags = N_NODES,
        };
}

static void fake_send_message(void *userdata, uint32_t dst, uint64_t srvid, const uint8_t *data,
                              size_t len) {
        Fixture *f = userdata;

        f->n_sent++;
        f->sent_dst = dst;
        f->sent_srvid = srvid;
        g_assert_cmpuint(len, <, sizeof(f->sent_data));
        memcpy(f->sent_data, data, len);
        f->sent_data[len] = 0;
}

static void fake_control(void *userdata, struct ctdb_request *req) {
        Fixture *f = userdata;

        f->n_controls++;
        ctdb_request_reply_control(req, -1, NULL, 0, "fake: no such control");
}

static void fake_forward(void *userdata, struct ctdb_request *req, uint32_t dst) {
        Fixture *f = userdata;

        f->n_forwards++;
        f->forward_dst = dst;
        f->held = req;
}

static void fake_call(void *userdata, struct ctdb_request *req) {
        Fixture *f = userdata;

        f->n_calls++;
        g_assert_cmpuint(req->call.db_id, ==, 0x1234);
        g_assert_cmpmem(req->call.key, req->call.keylen, "key", 3);
        ctdb_request_reply_call(req, 0, (const uint8_t *) "value", 5);
}

static void fake_client_gone(void *userdata, struct ctdb_client *c) {
        ((Fixture *) userdata)->n_gone++;
}

static const struct ctdb_server_ops fake_ops = {
        .view = fake_view,
        .send_message = fake_send_message,
        .control = fake_control,
        .forward = fake_forward,
        .call = fake_call,
        .client_gone = fake_client_gone,
};

static void setup(Fixture *f, gconstpointer data) {
        int sv[2];

        f->leader = 0;
        f->flags[2] = CTDB_NODE_FLAG_UNHEALTHY;
        g_assert_cmpint(sd_event_new(&f->event), >=, 0);
        g_assert_cmpint(ctdb_server_new(NULL, f->event, NULL, &fake_ops, f, &f->server), ==, 0);
        g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), ==, 0);
        g_assert_cmpint(ctdb_server_add_client(f->server, sv[0], TOOL_PID, &f->client), ==, 0);
        f->peer = sv[1];
}

static void teardown(Fixture *f, gconstpointer data) {
        talloc_free(f->server);
        close(f->peer);
        sd_event_unref(f->event);
}

/* ---- the client's side ----------------------------------------------------- */

static void send_packet(Fixture *f, uint32_t destnode, uint32_t reqid, const struct wire_desc *desc,
                        const void *msg) {
        struct ctdb_pkt_header h = { .destnode = destnode, .srcnode = PNN, .reqid = reqid };
        uint8_t buf[512];
        int n = ctdb_pkt_pack(&h, desc, msg, buf, sizeof(buf));

        g_assert_cmpint(n, >, 0);
        g_assert_cmpint(write(f->peer, buf, (size_t) n), ==, n);
}

static void send_control(Fixture *f, uint32_t destnode, uint32_t reqid, uint32_t opcode, uint64_t srvid,
                         uint32_t flags, const void *data, size_t len) {
        struct ctdb_req_control c = {
                .opcode = opcode,
                .srvid = srvid,
                .flags = flags,
                .datalen = (uint32_t) len,
                .data = data,
        };

        send_packet(f, destnode, reqid, &ctdb_req_control_desc, &c);
}

/* Runs the loop until the client has a whole packet; returns its header (body in buf). */
static struct ctdb_pkt_header receive(Fixture *f, uint8_t *buf, size_t size) {
        struct ctdb_pkt_header h;
        size_t got = 0, want = CTDB_PKT_HEADER_SIZE;

        for (unsigned i = 0; i < 1000 && got < want; i++) {
                ssize_t n = read(f->peer, buf + got, want - got);

                if (n > 0) {
                        got += (size_t) n;
                        if (got == CTDB_PKT_HEADER_SIZE) {
                                want = (size_t) ctdb_pkt_frame_length(buf, got);
                                g_assert_cmpuint(want, <=, size);
                        }
                        continue;
                }
                g_assert_cmpint(errno, ==, EAGAIN);
                g_assert_cmpint(sd_event_run(f->event, 10 * 1000), >=, 0);
        }
        g_assert_cmpuint(got, ==, want);
        g_assert_cmpint(ctdb_pkt_header_check(buf, got, &h), ==, 0);
        /* ctdbd pads what it sends to 8, and the length says so. */
        g_assert_cmpuint(h.length % 8, ==, 0);
        return h;
}

/* The reply to reqid (from this node, or from the node a forwarded control went to). */
static struct ctdb_reply_control receive_control_reply(Fixture *f, uint32_t reqid, uint8_t *buf,
                                                       size_t size) {
        struct ctdb_reply_control rc;
        struct ctdb_pkt_header h = receive(f, buf, size);

        g_assert_cmpuint(h.operation, ==, CTDB_REPLY_CONTROL);
        g_assert_cmpuint(h.reqid, ==, reqid);
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_reply_control_desc, NULL, buf, h.length, &rc), >=, 0);
        return rc;
}

/* Nothing more arrives while the loop runs a while. */
static void assert_nothing(Fixture *f) {
        uint8_t b;

        for (unsigned i = 0; i < 5; i++)
                (void) sd_event_run(f->event, 1000);
        g_assert_cmpint(read(f->peer, &b, 1), ==, -1);
        g_assert_cmpint(errno, ==, EAGAIN);
}

static void run_a_while(Fixture *f) {
        for (unsigned i = 0; i < 5; i++)
                (void) sd_event_run(f->event, 1000);
}

/* ---- tests ----------------------------------------------------------------- */

/* CTDB's client starts with GET_PNN to CTDB_CURRENT_NODE before it knows its pnn: the status says it. */
static void test_get_pnn(Fixture *f, gconstpointer data) {
        uint8_t buf[256];
        struct ctdb_reply_control rc;

        send_control(f, CTDB_CURRENT_NODE, 2147483448u, CTDB_CONTROL_GET_PNN, 0, 0, NULL, 0);
        rc = receive_control_reply(f, 2147483448u, buf, sizeof(buf));
        g_assert_cmpint(rc.status, ==, PNN);
        g_assert_cmpuint(rc.datalen, ==, 0);
}

/* The nodemap carries the daemon's flags per pnn. */
static void test_nodemap(Fixture *f, gconstpointer data) {
        uint8_t buf[512];
        struct ctdb_reply_control rc;
        struct ctdb_node_map map;
        void *ctx = talloc_new(NULL);

        send_control(f, PNN, 5, CTDB_CONTROL_GET_NODEMAP, 0, 0, NULL, 0);
        rc = receive_control_reply(f, 5, buf, sizeof(buf));
        g_assert_cmpint(rc.status, ==, 0);
        /* No nodes file in the fake's view: no addresses, no nodes. */
        g_assert_cmpint(ctdb_payload_unpack(&ctdb_node_map_desc, ctx, rc.data, rc.datalen, &map), ==, 0);
        g_assert_cmpuint(map.num, ==, 0);
        talloc_free(ctx);
}

/* A message to this node reaches the client that registered its srvid, and no one else's. */
static void test_message_local(Fixture *f, gconstpointer data) {
        struct ctdb_req_message m = { .srvid = SRVID_A, .datalen = 5, .data = (const uint8_t *) "hello" };
        uint8_t buf[256];
        struct ctdb_reply_control rc;
        struct ctdb_pkt_header h;
        struct ctdb_req_message got;

        /* Before the registration: dropped silently, as ctdbd does. */
        send_packet(f, PNN, 0, &ctdb_req_message_desc, &m);
        assert_nothing(f);

        send_control(f, PNN, 6, CTDB_CONTROL_REGISTER_SRVID, SRVID_A, 0, NULL, 0);
        rc = receive_control_reply(f, 6, buf, sizeof(buf));
        g_assert_cmpint(rc.status, ==, 0);
        send_packet(f, PNN, 0, &ctdb_req_message_desc, &m);
        h = receive(f, buf, sizeof(buf));
        g_assert_cmpuint(h.operation, ==, CTDB_REQ_MESSAGE);
        g_assert_cmpuint(h.srcnode, ==, PNN);
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_req_message_desc, NULL, buf, h.length, &got), >=, 0);
        g_assert_cmpuint(got.srvid, ==, SRVID_A);
        g_assert_cmpmem(got.data, got.datalen, "hello", 5);
        g_assert_cmpuint(f->n_sent, ==, 0);

        /* Deregistered: dropped again. */
        send_control(f, PNN, 7, CTDB_CONTROL_DEREGISTER_SRVID, SRVID_A, 0, NULL, 0);
        rc = receive_control_reply(f, 7, buf, sizeof(buf));
        g_assert_cmpint(rc.status, ==, 0);
        send_packet(f, PNN, 0, &ctdb_req_message_desc, &m);
        assert_nothing(f);
}

/* To another node: the daemon sends it. To all connected nodes: this node's clients get it too. */
static void test_message_remote(Fixture *f, gconstpointer data) {
        struct ctdb_req_message m = { .srvid = SRVID_A, .datalen = 3, .data = (const uint8_t *) "abc" };
        uint8_t buf[256];
        struct ctdb_pkt_header h;

        send_packet(f, OTHER, 0, &ctdb_req_message_desc, &m);
        run_a_while(f);
        g_assert_cmpuint(f->n_sent, ==, 1);
        g_assert_cmpuint(f->sent_dst, ==, OTHER);
        g_assert_cmpuint(f->sent_srvid, ==, SRVID_A);
        g_assert_cmpstr(f->sent_data, ==, "abc");

        send_control(f, PNN, 8, CTDB_CONTROL_REGISTER_SRVID, SRVID_A, 0, NULL, 0);
        (void) receive_control_reply(f, 8, buf, sizeof(buf));
        send_packet(f, CTDB_BROADCAST_CONNECTED, 0, &ctdb_req_message_desc, &m);
        h = receive(f, buf, sizeof(buf));
        g_assert_cmpuint(h.operation, ==, CTDB_REQ_MESSAGE);
        g_assert_cmpuint(f->n_sent, ==, 2);
        g_assert_cmpuint(f->sent_dst, ==, CTDB_BROADCAST_CONNECTED);

        /* And one from another node, delivered by the daemon. */
        ctdb_server_deliver(f->server, OTHER, SRVID_A, (const uint8_t *) "xyz", 3);
        h = receive(f, buf, sizeof(buf));
        g_assert_cmpuint(h.srcnode, ==, OTHER);
}

/* A control for another node goes to the daemon's forward, and the packet it gets back goes to the client.
 */
static void test_forward(Fixture *f, gconstpointer data) {
        uint8_t buf[256], reply[64];
        struct ctdb_reply_control rc;
        struct ctdb_pkt_header h = { .destnode = PNN, .srcnode = OTHER, .reqid = 9 };
        int n;

        send_control(f, OTHER, 9, CTDB_CONTROL_GET_PNN, 0, 0, NULL, 0);
        run_a_while(f);
        g_assert_cmpuint(f->n_forwards, ==, 1);
        g_assert_cmpuint(f->forward_dst, ==, OTHER);
        g_assert_nonnull(f->held);
        n = ctdb_pkt_pack(&h, &ctdb_reply_control_desc, &(struct ctdb_reply_control){ .status = OTHER },
                          reply, sizeof(reply));
        g_assert_cmpint(n, >, 0);
        ctdb_request_reply_packet(f->held, reply, (size_t) n);
        rc = receive_control_reply(f, 9, buf, sizeof(buf));
        g_assert_cmpint(rc.status, ==, OTHER);
}

/* A broadcast control that wants replies is refused at once, as ctdbd does. */
static void test_broadcast_control_refused(Fixture *f, gconstpointer data) {
        uint8_t buf[256];
        struct ctdb_reply_control rc;

        send_control(f, CTDB_BROADCAST_ALL, 10, CTDB_CONTROL_GET_PNN, 0, 0, NULL, 0);
        rc = receive_control_reply(f, 10, buf, sizeof(buf));
        g_assert_cmpint(rc.status, ==, -1);
        g_assert_cmpuint(rc.datalen, ==, 0);
        g_assert_cmpuint(rc.errorlen, >, 0);
        g_assert_cmpuint(f->n_forwards, ==, 0);
}

/* What the server does not answer goes to the daemon; its failure comes back with the message only. */
static void test_daemon_control(Fixture *f, gconstpointer data) {
        uint8_t buf[256];
        struct ctdb_reply_control rc;

        send_control(f, PNN, 11, CTDB_CONTROL_GET_DBMAP, 0, 0, NULL, 0);
        rc = receive_control_reply(f, 11, buf, sizeof(buf));
        g_assert_cmpuint(f->n_controls, ==, 1);
        g_assert_cmpint(rc.status, ==, -1);
        g_assert_cmpuint(rc.datalen, ==, 0);
        g_assert_cmpmem(rc.error, rc.errorlen, "fake: no such control", strlen("fake: no such control"));

        /* NOREPLY: nothing comes back. */
        send_control(f, PNN, 12, CTDB_CONTROL_GET_DBMAP, 0, CTDB_CTRL_FLAG_NOREPLY, NULL, 0);
        run_a_while(f);
        g_assert_cmpuint(f->n_controls, ==, 2);
        assert_nothing(f);
}

static void test_call(Fixture *f, gconstpointer data) {
        struct ctdb_req_call c = { .flags = CTDB_IMMEDIATE_MIGRATION,
                                   .db_id = 0x1234,
                                   .callid = CTDB_NULL_FUNC,
                                   .keylen = 3,
                                   .key = (const uint8_t *) "key" };
        uint8_t buf[256];
        struct ctdb_reply_call rc;
        struct ctdb_pkt_header h;

        send_packet(f, CTDB_CURRENT_NODE, 13, &ctdb_req_call_desc, &c);
        h = receive(f, buf, sizeof(buf));
        g_assert_cmpuint(h.operation, ==, CTDB_REPLY_CALL);
        g_assert_cmpuint(h.reqid, ==, 13);
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_reply_call_desc, NULL, buf, h.length, &rc), >=, 0);
        g_assert_cmpint(rc.status, ==, 0);
        g_assert_cmpmem(rc.data, rc.datalen, "value", 5);
}

/* PROCESS_EXISTS and CHECK_PID_SRVID name this node's clients only (ctdbd's rule). */
static void test_process_exists(Fixture *f, gconstpointer data) {
        struct ctdb_u32_data pid = { TOOL_PID }, stranger = { TOOL_PID + 1 };
        uint8_t buf[256], d[16];
        struct ctdb_pid_srvid ps = { .pid = TOOL_PID, .srvid = SRVID_A };
        uint32_t len;
        uint8_t *p;

        g_assert_cmpint(wire_pack(&ctdb_u32_data_desc, &stranger, d, sizeof(d)), ==, 4);
        send_control(f, PNN, 14, CTDB_CONTROL_PROCESS_EXISTS, 0, 0, d, 4);
        g_assert_cmpint(receive_control_reply(f, 14, buf, sizeof(buf)).status, ==, -1);
        /* The client's pid is not a live process here (4242), so it is gone all the same... */
        g_assert_cmpint(wire_pack(&ctdb_u32_data_desc, &pid, d, sizeof(d)), ==, 4);
        send_control(f, PNN, 15, CTDB_CONTROL_PROCESS_EXISTS, 0, 0, d, 4);
        (void) receive_control_reply(f, 15, buf, sizeof(buf));
        /* ... but a registered srvid is required for CHECK_PID_SRVID before that is looked at. */
        g_assert_cmpint(ctdb_payload_build(NULL, &ctdb_pid_srvid_desc, &ps, &p, &len), ==, 0);
        g_assert_cmpuint(len, ==, 12);
        g_assert_false(ctdb_server_has_pid(f->server, TOOL_PID, true, SRVID_A));
        send_control(f, PNN, 16, CTDB_CONTROL_CHECK_PID_SRVID, 0, 0, p, len);
        g_assert_cmpint(receive_control_reply(f, 16, buf, sizeof(buf)).status, ==, -1);
        talloc_free(p);
}

/* The ctdb tool registers CTDB_SRVID_LEADER and is told the leader at once. */
static void test_leader(Fixture *f, gconstpointer data) {
        uint8_t buf[256];
        struct ctdb_pkt_header h;
        struct ctdb_req_message m;
        uint32_t leader;

        send_control(f, PNN, 17, CTDB_CONTROL_REGISTER_SRVID, CTDB_SRVID_LEADER, 0, NULL, 0);
        g_assert_cmpint(receive_control_reply(f, 17, buf, sizeof(buf)).status, ==, 0);
        h = receive(f, buf, sizeof(buf));
        g_assert_cmpuint(h.operation, ==, CTDB_REQ_MESSAGE);
        g_assert_cmpuint(h.srcnode, ==, 0);
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_req_message_desc, NULL, buf, h.length, &m), >=, 0);
        g_assert_cmpuint(m.srvid, ==, CTDB_SRVID_LEADER);
        g_assert_cmpuint(m.datalen, ==, 4);
        memcpy(&leader, m.data, 4);
        g_assert_cmpuint(leader, ==, 0);
}

static uint8_t remote_reply[256];
static size_t remote_reply_len;
static unsigned remote_answers;

static void on_remote(void *userdata, const uint8_t *reply, size_t len) {
        remote_answers++;
        remote_reply_len = reply ? len : 0;
        if (reply)
                memcpy(remote_reply, reply, len);
}

/* A control another node forwarded is run here; its answer comes back once, NOREPLY ones with nothing. */
static void test_remote_control(Fixture *f, gconstpointer data) {
        struct ctdb_pkt_header h = { .destnode = PNN, .srcnode = OTHER, .reqid = 20 }, rh;
        struct ctdb_req_control c = { .opcode = CTDB_CONTROL_GET_PNN };
        struct ctdb_reply_control rc;
        uint8_t pkt[128];
        int n = ctdb_pkt_pack(&h, &ctdb_req_control_desc, &c, pkt, sizeof(pkt));

        remote_answers = 0;
        g_assert_cmpint(ctdb_server_remote_control(f->server, OTHER, pkt, (size_t) n, on_remote, NULL), ==,
                        0);
        g_assert_cmpuint(remote_answers, ==, 1);
        g_assert_cmpint(ctdb_pkt_header_check(remote_reply, remote_reply_len, &rh), ==, 0);
        g_assert_cmpuint(rh.reqid, ==, 20);
        g_assert_cmpuint(rh.destnode, ==, OTHER);
        g_assert_cmpint(ctdb_pkt_unpack(&ctdb_reply_control_desc, NULL, remote_reply, rh.length, &rc), >=,
                        0);
        g_assert_cmpint(rc.status, ==, PNN);

        c.flags = CTDB_CTRL_FLAG_NOREPLY;
        n = ctdb_pkt_pack(&h, &ctdb_req_control_desc, &c, pkt, sizeof(pkt));
        g_assert_cmpint(ctdb_server_remote_control(f->server, OTHER, pkt, (size_t) n, on_remote, NULL), ==,
                        0);
        g_assert_cmpuint(remote_answers, ==, 2);
        g_assert_cmpuint(remote_reply_len, ==, 0);

        /* Not a control: refused, not answered. */
        g_assert_cmpint(ctdb_server_remote_control(f->server, OTHER, pkt, 10, on_remote, NULL), <, 0);
        g_assert_cmpuint(remote_answers, ==, 2);
}

/* Garbage closes the connection; the daemon is told, and the server goes on. */
static void test_bad_magic(Fixture *f, gconstpointer data) {
        uint8_t bad[32] = { 32, 0, 0, 0, 'X', 'X', 'X', 'X', 1 };
        uint8_t b;

        g_assert_cmpint(write(f->peer, bad, sizeof(bad)), ==, (ssize_t) sizeof(bad));
        for (unsigned i = 0; i < 100 && f->n_gone == 0; i++)
                (void) sd_event_run(f->event, 10 * 1000);
        g_assert_cmpuint(f->n_gone, ==, 1);
        g_assert_cmpuint(ctdb_server_n_clients(f->server), ==, 0);
        g_assert_cmpint(read(f->peer, &b, 1), ==, 0);
}

/* A client gone with a control in the daemon's hands: the request goes with it. */
static void test_gone_with_request(Fixture *f, gconstpointer data) {
        send_control(f, OTHER, 21, CTDB_CONTROL_GET_PNN, 0, 0, NULL, 0);
        run_a_while(f);
        g_assert_nonnull(f->held);
        g_assert_nonnull(talloc_parent(f->held));
        shutdown(f->peer, SHUT_WR);
        for (unsigned i = 0; i < 100 && f->n_gone == 0; i++)
                (void) sd_event_run(f->event, 10 * 1000);
        g_assert_cmpuint(f->n_gone, ==, 1);
        /* Freed with the client (valgrind and ASan would see a use of f->held). */
        f->held = NULL;
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, Fixture, NULL, setup, fn, teardown)
        ADD("/ctdb-server/get-pnn", test_get_pnn);
        ADD("/ctdb-server/nodemap", test_nodemap);
        ADD("/ctdb-server/message-local", test_message_local);
        ADD("/ctdb-server/message-remote", test_message_remote);
        ADD("/ctdb-server/forward", test_forward);
        ADD("/ctdb-server/broadcast-control-refused", test_broadcast_control_refused);
        ADD("/ctdb-server/daemon-control", test_daemon_control);
        ADD("/ctdb-server/call", test_call);
        ADD("/ctdb-server/process-exists", test_process_exists);
        ADD("/ctdb-server/leader", test_leader);
        ADD("/ctdb-server/remote-control", test_remote_control);
        ADD("/ctdb-server/bad-magic", test_bad_magic);
        ADD("/ctdb-server/gone-with-request", test_gone_with_request);
#undef ADD
        return g_test_run();
}
