/* Controls and bans of ctdb-clusterd; see clusterd-control.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "clusterd-control.h"
#include "clusterd-manager.h"
#include "log.h"
#include "peer-request.h"

/* What a forwarded control needs to answer its D-Bus caller; a child of its peer request. */
struct forwarded_control {
        sd_bus_message *call;
        uint32_t op;
        uint32_t target;
};

/* ---- this node's flags ---------------------------------------------------- */

static void ban_clear(clusterd_manager *m) {
        m->flags &= ~CTDB_NODE_FLAG_BANNED;
        m->ban_until = 0;
        m->ban_left = 0;
        (void) sd_event_source_set_enabled(m->ban_timer, SD_EVENT_OFF);
}

static int on_ban_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        clusterd_manager *m = userdata;
        uint64_t now = clusterd_manager_now(m);

        if (!(m->flags & CTDB_NODE_FLAG_BANNED))
                return 0;
        if (now >= m->ban_until) {
                log_notice("Ban expired, this node is no longer banned");
                ban_clear(m);
        } else {
                uint64_t left = m->ban_until - now;

                m->ban_left = (uint32_t) ((left + USEC_PER_SEC - 1) / USEC_PER_SEC);
                /* Tick on whole seconds left, and exactly at the end. */
                left %= USEC_PER_SEC;
                (void) sd_event_source_set_time(s, now + (left ? left : USEC_PER_SEC));
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        clusterd_manager_update(m);
        return 0;
}

/*
 * Applies a control to this node. Returns 0, or a negative errno with a D-Bus
 * error name and a message for the caller (into msg, never allocated, so that
 * an answer can always be given).
 */
static int control_apply(clusterd_manager *m, uint32_t op, uint32_t arg, const char **ret_name, char *msg,
                         size_t msg_size) {
        uint64_t now = clusterd_manager_now(m);

        switch (op) {
        case CLUSTERD_OP_BAN:
                if (arg == 0) {
                        *ret_name = CTDB_ERROR_INVALID_ARGS;
                        snprintf(msg, msg_size, "Ban time must be at least 1 second");
                        return -EINVAL;
                }
                m->flags |= CTDB_NODE_FLAG_BANNED;
                m->ban_until = now + (uint64_t) arg * USEC_PER_SEC;
                m->ban_left = arg;
                (void) sd_event_source_set_time(m->ban_timer, now + USEC_PER_SEC);
                (void) sd_event_source_set_enabled(m->ban_timer, SD_EVENT_ONESHOT);
                {
                        char f1[32], f2[32];
                        const char *extra[] = { f1, f2, NULL };

                        snprintf(f1, sizeof(f1), "CTDB_PNN=%" PRIu32, m->self);
                        snprintf(f2, sizeof(f2), "CTDB_BAN_SECONDS=%" PRIu32, arg);
                        log_event(LOG_NOTICE, CTDB_MESSAGE_BAN, extra, "This node is banned for %" PRIu32 " s",
                                  arg);
                }
                break;
        case CLUSTERD_OP_UNBAN:
                ban_clear(m);
                break;
        case CLUSTERD_OP_DISABLE:
                m->flags |= CTDB_NODE_FLAG_PERMANENTLY_DISABLED;
                break;
        case CLUSTERD_OP_ENABLE:
                m->flags &= ~CTDB_NODE_FLAG_PERMANENTLY_DISABLED;
                break;
        case CLUSTERD_OP_STOP:
                m->flags |= CTDB_NODE_FLAG_STOPPED;
                break;
        case CLUSTERD_OP_CONTINUE:
                m->flags &= ~CTDB_NODE_FLAG_STOPPED;
                break;
        case CLUSTERD_OP_RECOVER:
                if (!m->quorate) {
                        *ret_name = CTDB_ERROR_NOT_QUORATE;
                        snprintf(msg, msg_size, "Node is not in a quorate partition");
                        return -EHOSTUNREACH;
                }
                if (m->leader != m->self) {
                        *ret_name = CTDB_ERROR_NOT_LEADER;
                        snprintf(msg, msg_size, "Node %" PRIu32 " is not the leader", m->self);
                        return -EREMOTE;
                }
                clusterd_manager_recovery_start(m, "requested by an administrator");
                break;
        default:
                *ret_name = CTDB_ERROR_INVALID_ARGS;
                snprintf(msg, msg_size, "Unknown control %" PRIu32, op);
                return -EINVAL;
        }
        clusterd_manager_update(m);
        return 0;
}

/* ---- forwarded controls ---------------------------------------------------- */

static int forwarded_destructor(struct forwarded_control *f) {
        f->call = sd_bus_message_unref(f->call);
        return 0;
}

/*
 * Passes another node's answer on to the D-Bus caller. The error name and
 * message come from the network: an invalid error name would make the bus
 * daemon drop our connection, and invalid UTF-8 makes sd-bus refuse the reply
 * (the caller would wait forever), so both fall back to a plain Failed.
 */
static void forwarded_answer(struct forwarded_control *f, const struct clusterd_control_reply_msg *c) {
        const char *name = c->error_name_len ? c->error_name : NULL;
        int r;

        if (c->status == 0) {
                r = sd_bus_reply_method_return(f->call, NULL);
                if (r < 0)
                        log_debug_errno(r, "Failed to answer a %s call: %m", clusterd_op_to_string(f->op));
                return;
        }
        if (!bus_error_name_is_valid(name))
                name = SD_BUS_ERROR_FAILED;
        r = sd_bus_reply_method_errorf(f->call, name, "%s", c->message_len ? c->message : "failed");
        if (r == -EINVAL)
                r = sd_bus_reply_method_errorf(f->call, SD_BUS_ERROR_FAILED,
                                               "Node %" PRIu32
                                               " refused to %s (its message was not valid UTF-8)",
                                               f->target, clusterd_op_to_string(f->op));
        if (r < 0)
                log_debug_errno(r, "Failed to answer a %s call: %m", clusterd_op_to_string(f->op));
}

static void on_forwarded_done(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct forwarded_control *f = userdata;

        if (error == 0) {
                forwarded_answer(f, reply);
        } else if (error == -ETIMEDOUT) {
                log_warning("Node %" PRIu32 " did not answer %s within 5 s", f->target,
                            clusterd_op_to_string(f->op));
                (void) sd_bus_reply_method_errorf(f->call, CTDB_ERROR_TIMEOUT,
                                                  "Node %" PRIu32 " did not answer within 5 s", f->target);
        } else {
                (void) sd_bus_reply_method_errorf(f->call, CTDB_ERROR_NOT_CONNECTED,
                                                  "Node %" PRIu32 " disconnected before it answered",
                                                  f->target);
        }
}

static int control_forward(clusterd_manager *m, sd_bus_message *call, uint32_t op, uint32_t target,
                           uint32_t arg, sd_bus_error *error) {
        struct clusterd_control_msg c = { .op = op, .target = target, .arg = arg };
        struct forwarded_control *f;
        struct peer_request *req;
        int r;

        if (!clusterd_manager_connected(m) || !m->nodes[target].connected)
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_CONNECTED,
                                         "Node %" PRIu32 " is not connected", target);

        r = peer_request_new(m->controls, target, CLUSTERD_CONTROL_TIMEOUT_USEC, on_forwarded_done, NULL,
                             &req);
        if (r == -EBUSY)
                return sd_bus_error_setf(error, CTDB_ERROR_BUSY,
                                         "%u controls are waiting for other nodes' answers; try again later",
                                         CLUSTERD_CONTROLS_MAX);
        if (r < 0)
                return r;
        f = talloc_zero(req, struct forwarded_control);
        if (!f) {
                peer_request_cancel(req);
                return -ENOMEM;
        }
        f->call = sd_bus_message_ref(call);
        f->op = op;
        f->target = target;
        talloc_set_destructor(f, forwarded_destructor);
        peer_request_set_userdata(req, f);

        c.id = peer_request_id(req);
        r = clusterd_manager_send(m, target, &clusterd_control_desc, &c);
        if (r < 0) {
                peer_request_cancel(req);
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_CONNECTED,
                                         "Failed to send to node %" PRIu32 ": %s", target, strerror(-r));
        }
        return 1;
}

int clusterd_manager_control(clusterd_manager *m, sd_bus_message *call, uint32_t op, uint32_t target,
                             uint32_t arg, sd_bus_error *error) {
        const char *name = NULL;
        char message[CLUSTERD_MAX_ERROR_MESSAGE + 1];
        int r;

        if (!clusterd_manager_connected(m) || !clusterd_manager_pnn_valid(m, m->self))
                return sd_bus_error_setf(error, CTDB_ERROR_NOT_CONNECTED,
                                         "ctdb-clusterd is not connected to ctdb-tunneld");

        if (op == CLUSTERD_OP_RECOVER) {
                if (!m->quorate)
                        return sd_bus_error_setf(error, CTDB_ERROR_NOT_QUORATE,
                                                 "Node %" PRIu32
                                                 " is not in a quorate partition; no recovery possible",
                                                 m->self);
                if (m->leader == CTDB_PNN_NONE)
                        return sd_bus_error_setf(error, CTDB_ERROR_NOT_LEADER,
                                                 "No leader elected yet; try again");
                target = m->leader;
        }

        if (target != m->self)
                return control_forward(m, call, op, target, arg, error);

        r = control_apply(m, op, arg, &name, message, sizeof(message));
        if (r < 0)
                return sd_bus_error_setf(error, name, "%s", message);
        r = sd_bus_reply_method_return(call, NULL);
        return r < 0 ? r : 1;
}

/* ---- controls from other nodes ----------------------------------------------- */

void clusterd_control_received(clusterd_manager *m, uint32_t src, const struct clusterd_control_msg *c) {
        struct clusterd_control_reply_msg reply = { .id = c->id, .op = c->op };
        char message[CLUSTERD_MAX_ERROR_MESSAGE + 1] = "";
        const char *name = "";
        int r;

        if (c->target != m->self && c->op != CLUSTERD_OP_RECOVER) {
                name = CTDB_ERROR_INVALID_ARGS;
                snprintf(message, sizeof(message), "Control for node %" PRIu32 " reached node %" PRIu32,
                         c->target, m->self);
                r = -EINVAL;
        } else {
                log_info("Node %" PRIu32 " asks this node to %s", src, clusterd_op_to_string(c->op));
                r = control_apply(m, c->op, c->arg, &name, message, sizeof(message));
        }
        if (r < 0)
                reply.status = (uint32_t) -r;
        else
                message[0] = '\0';
        reply.error_name = (char *) name;
        reply.error_name_len = (uint32_t) strlen(name);
        reply.message = message;
        reply.message_len = (uint32_t) strlen(message);
        r = clusterd_manager_send(m, src, &clusterd_control_reply_desc, &reply);
        if (r < 0)
                log_warning_errno(r, "Failed to answer node %" PRIu32 ": %m", src);
}

void clusterd_control_reply_received(clusterd_manager *m, uint32_t src,
                                     const struct clusterd_control_reply_msg *c) {
        if (peer_requests_complete(m->controls, src, c->id, c) < 0)
                log_debug("Reply %" PRIu32 " from node %" PRIu32 " matches no request (timed out?)", c->id,
                          src);
}

void clusterd_control_fail_for(clusterd_manager *m, uint32_t pnn) {
        peer_requests_fail(m->controls, pnn, -ENOTCONN);
}

int clusterd_control_init(clusterd_manager *m) {
        int r;

        r = peer_requests_new(m, m->event, CLUSTERD_CONTROLS_MAX, &m->controls);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(m->event, &m->ban_timer, CLOCK_MONOTONIC, USEC_PER_SEC, 0,
                                       on_ban_timer, m);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->ban_timer, SD_EVENT_OFF);
}
