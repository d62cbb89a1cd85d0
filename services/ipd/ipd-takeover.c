/*
 * The leader's takeover run (DESIGN.md section 5; CTDB's ctdb_takeover_helper):
 * compute the allocation from every node's STATE, then RELEASE on every node
 * (each drops what is assigned elsewhere) and, only when all have answered,
 * TAKE (each adds what is assigned to it), then DONE. Releases everywhere
 * come before any take so that an address is never on two nodes. A run that
 * fails (a node could not release, or did not answer) is tried again after
 * IPD_RETRY_USEC; nothing is taken after a failed release phase.
 *
 * A run is started when it is needed, not on a timer: after each recovery
 * (a new generation), and whenever the allocation computed now differs from
 * where the addresses are (a node's flags or interfaces changed, an ipd came
 * or went, public_addresses was reloaded), plus Move and Rebalance.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "config.h"
#include "ctdb-names.h"
#include "ctdb-node.h"
#include "event-util.h"
#include "ipd-alloc.h"
#include "ipd-internal.h"
#include "log.h"
#include "peer-request.h"
#include "talloc-util.h"

struct ipd_waiter {
        struct ipd_waiter *next;
        uint32_t op;
        struct ctdb_ip ip;
        uint32_t pnn;
        ipd_request_done_fn done;
        void *userdata;
};

struct ipd_run {
        ipd_manager *m;
        uint32_t id, generation, phase;
        struct ipd_wire_assign *assign;
        size_t n_assign;
        bool *waiting;                  /* per node: its answer to this phase is due */
        int status;
        char message[256];
        sd_event_source *timer;
        struct ipd_waiter *waiters;     /* the Move/Rebalance calls this run serves */
        uint32_t *flags;                /* the node flags it planned with */
};

int ipd_takeover_plan(ipd_manager *m, const uint32_t *flags, uint32_t n_flags, bool rebalance,
                      const struct ipd_wire_assign *moves, size_t n_moves, uint32_t *ret_pnn) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        uint32_t n = m->n_nodes, *fl;
        struct ipalloc_ip *ips;
        uint8_t *can_host;
        bool *rb = NULL;
        int r;

        if (!tmp)
                return -ENOMEM;
        if (m->n_addrs == 0 || n == 0)
                return 0;
        fl = talloc_array(tmp, uint32_t, n);
        ips = talloc_zero_array(tmp, struct ipalloc_ip, m->n_addrs);
        can_host = talloc_zero_array(tmp, uint8_t, m->n_addrs * n);
        if (!fl || !ips || !can_host)
                return -ENOMEM;
        for (uint32_t p = 0; p < n; p++)
                fl[p] = flags && p < n_flags ? flags[p] : ipd_node_flags(m, p);
        for (size_t i = 0; i < m->n_addrs; i++) {
                ips[i].addr = m->addrs[i]->ip;
                ips[i].pnn = m->addrs[i]->holder;
        }
        /* Who can host what: only what each node's own STATE says it could. */
        for (uint32_t p = 0; p < n; p++) {
                const struct ipd_peer *peer = &m->peers[p];

                for (uint32_t j = 0; peer->known && peer->connected && j < peer->n_addrs; j++) {
                        struct ctdb_ip ip;
                        int i;

                        if (!(peer->addrs[j].flags & IPD_ADDR_AVAILABLE) ||
                            ipd_wire_ip_get(&peer->addrs[j].ip, &ip) < 0)
                                continue;
                        i = ipd_addr_index(m, &ip);
                        if (i >= 0)
                                can_host[(size_t) i * n + p] = 1;
                }
        }
        /* A Move pretends the address is on its target already: LCP2 keeps what a node can host. */
        for (size_t k = 0; k < n_moves; k++) {
                struct ctdb_ip ip;
                int i;

                if (ipd_wire_ip_get(&moves[k].ip, &ip) < 0 || (i = ipd_addr_index(m, &ip)) < 0 ||
                    moves[k].pnn >= n)
                        continue;
                ips[i].pnn = moves[k].pnn;
        }
        if (rebalance) {
                rb = talloc_array(tmp, bool, n);
                if (!rb)
                        return -ENOMEM;
                for (uint32_t p = 0; p < n; p++)
                        rb[p] = true;
        }
        r = ipalloc_run(&(struct ipalloc_input) {
                                .n_nodes = n,
                                .flags = fl,
                                .n_ips = m->n_addrs,
                                .ips = ips,
                                .can_host = can_host,
                                .no_failback = m->config->no_ip_failback,
                                .no_takeover = m->config->no_ip_takeover,
                                .rebalance = rb,
                        },
                        ret_pnn);
        if (r < 0)
                return r;
        /* An address its holder failed to remove stays there: placing it elsewhere puts it on two. */
        for (size_t i = 0; i < m->n_addrs; i++) {
                uint32_t h = m->addrs[i]->holder;

                for (uint32_t j = 0; h < n && h != m->pnn && j < m->peers[h].n_addrs; j++) {
                        struct ctdb_ip ip;

                        if ((m->peers[h].addrs[j].flags & IPD_ADDR_STUCK) &&
                            ipd_wire_ip_get(&m->peers[h].addrs[j].ip, &ip) >= 0 &&
                            ctdb_ip_equal(&ip, &m->addrs[i]->ip))
                                ret_pnn[i] = h;
                }
                if (h == m->pnn && m->addrs[i]->stuck)
                        ret_pnn[i] = h;
        }
        return 0;
}

/* ---- the run ------------------------------------------------------------------ */

/* A peer's status word (a positive errno) as ours; -(int) of a word above INT_MAX would overflow. */
static int peer_errno(uint32_t status) {
        return status <= 4095 ? -(int) status : -EPROTO;
}

static void waiters_finish(struct ipd_waiter *w, int error, const char *name, const char *message) {
        while (w) {
                struct ipd_waiter *next = w->next;

                w->done(w->userdata, error, name, message);
                talloc_free(w);
                w = next;
        }
}

static void run_send_phase(struct ipd_run *run, uint32_t phase);

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        ipd_manager *m = userdata;

        m->retry_pending = false;
        ipd_takeover_schedule(m, "retrying a failed run");
        return 0;
}

static void retry_arm(ipd_manager *m) {
        int r = 0;

        if (!m->retry_timer)
                r = sd_event_add_time_relative(m->event, &m->retry_timer, CLOCK_MONOTONIC, IPD_RETRY_USEC,
                                               IPD_TIMER_ACCURACY_USEC, on_retry, m);
        else
                r = sd_event_source_set_time_relative(m->retry_timer, IPD_RETRY_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->retry_timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Failed to arm the takeover retry: %m");
        else
                m->retry_pending = true;
}

static void run_end(struct ipd_run *run, int status) {
        ipd_manager *m = run->m;
        struct ipd_waiter *w = run->waiters;
        bool rerun = m->rerun;

        m->run = NULL;
        if (status < 0) {
                log_event(LOG_WARNING, CTDB_MESSAGE_TAKEOVER_RUN, NULL,
                          "Takeover run %" PRIu32 " failed: %s; trying again", run->id, run->message);
                waiters_finish(w, status, CTDB_ERROR_BUSY, run->message);
                /* A node that left is out of the next plan: no reason to wait before it. */
                if (status == -ENOTCONN)
                        rerun = true;
                else
                        retry_arm(m);
        } else {
                m->runs_led++;
                m->last_generation = run->generation;
                talloc_free(m->last_flags);
                m->last_flags = talloc_steal(m, run->flags);
                m->n_last_flags = m->n_nodes;
                log_info("Takeover run %" PRIu32 " done (generation %" PRIu32 ")", run->id, run->generation);
                /* Each waiter learns whether its address went where it asked. */
                for (; w; w = w->next) {
                        char msg[128];
                        bool ok = true;

                        for (size_t i = 0; w->op == IPD_OP_MOVE && i < run->n_assign; i++) {
                                struct ctdb_ip ip;

                                if (ipd_wire_ip_get(&run->assign[i].ip, &ip) >= 0 &&
                                    ctdb_ip_equal(&ip, &w->ip))
                                        ok = run->assign[i].pnn == w->pnn;
                        }
                        if (ok)
                                continue;
                        snprintf(msg, sizeof(msg), "node %" PRIu32 " cannot host that address now", w->pnn);
                        w->done(w->userdata, -EBUSY, CTDB_ERROR_BUSY, msg);
                        w->done = NULL;
                }
                for (w = run->waiters; w;) {
                        struct ipd_waiter *next = w->next;

                        if (w->done)
                                w->done(w->userdata, 0, NULL, NULL);
                        talloc_free(w);
                        w = next;
                }
        }
        run->waiters = NULL;
        talloc_free(run);
        m->rerun = false;
        if (rerun && !m->retry_pending)
                ipd_takeover_schedule(m, "a change during the last run");
}

static int on_phase_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct ipd_run *run = userdata;

        snprintf(run->message, sizeof(run->message), "no answer to the %s phase within %llu s",
                 run->phase == IPD_PHASE_RELEASE ? "release" : "take",
                 (unsigned long long) (IPD_PHASE_TIMEOUT_USEC / USEC_PER_SEC));
        run_end(run, -ETIMEDOUT);
        return 0;
}

static bool run_waiting(const struct ipd_run *run) {
        for (uint32_t p = 0; p < run->m->n_nodes; p++)
                if (run->waiting[p])
                        return true;
        return false;
}

/* Every node answered the phase (or left): on to the next one. */
static void run_advance(struct ipd_run *run) {
        if (run_waiting(run))
                return;
        if (run->status < 0)
                return run_end(run, run->status);
        if (run->phase == IPD_PHASE_RELEASE)
                return run_send_phase(run, IPD_PHASE_TAKE);
        run_send_phase(run, IPD_PHASE_DONE);
        run_end(run, 0);
}

static void run_send_phase(struct ipd_run *run, uint32_t phase) {
        ipd_manager *m = run->m;
        struct ipd_run_msg msg = {
                .id = run->id, .phase = phase, .generation = run->generation,
                .n_assign = (uint32_t) run->n_assign, .assign = run->assign,
        };

        run->phase = phase;
        for (uint32_t p = 0; p < m->n_nodes; p++) {
                int r;

                if (!m->peers[p].known || !m->peers[p].connected)
                        continue;
                r = ipd_send(m, p, &ipd_run_desc, &msg);
                if (r < 0) {
                        log_warning_errno(r, "Failed to send the takeover run to node %" PRIu32 ": %m", p);
                        if (phase != IPD_PHASE_DONE) {
                                run->status = r;
                                snprintf(run->message, sizeof(run->message), "node %" PRIu32 " unreachable",
                                         p);
                        }
                        continue;
                }
                run->waiting[p] = phase != IPD_PHASE_DONE;
        }
        if (phase == IPD_PHASE_DONE)
                return;
        (void) sd_event_source_set_time_relative(run->timer, IPD_PHASE_TIMEOUT_USEC);
        (void) sd_event_source_set_enabled(run->timer, SD_EVENT_ONESHOT);
        run_advance(run);
}

static int run_destructor(struct ipd_run *run) {
        waiters_finish(run->waiters, -ECANCELED, CTDB_ERROR_NOT_LEADER, "this node stopped leading");
        run->timer = sd_event_source_disable_unref(run->timer);
        return 0;
}

static int run_start(ipd_manager *m) {
        _cleanup_talloc_ struct ipd_run *run = talloc_zero(m, struct ipd_run);
        uint32_t *pnn;
        int r;

        if (!run)
                return -ENOMEM;
        run->m = m;
        run->id = ++m->run_id;
        run->generation = m->view.generation;
        run->waiting = talloc_zero_array(run, bool, m->n_nodes);
        run->flags = talloc_array(run, uint32_t, m->n_nodes);
        run->assign = talloc_zero_array(run, struct ipd_wire_assign, m->n_addrs ? m->n_addrs : 1);
        pnn = talloc_array(run, uint32_t, m->n_addrs ? m->n_addrs : 1);
        if (!run->waiting || !run->flags || !run->assign || !pnn)
                return -ENOMEM;
        for (uint32_t p = 0; p < m->n_nodes; p++)
                run->flags[p] = ipd_node_flags(m, p);
        r = ipd_takeover_plan(m, NULL, 0, m->rebalance, m->moves, m->n_moves, pnn);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_addrs; i++) {
                ipd_wire_ip_set(&run->assign[i].ip, &m->addrs[i]->ip);
                run->assign[i].pnn = pnn[i];
        }
        run->n_assign = m->n_addrs;
        r = sd_event_add_time_relative(m->event, &run->timer, CLOCK_MONOTONIC, IPD_PHASE_TIMEOUT_USEC, 0,
                                       on_phase_timeout, run);
        if (r < 0)
                return r;
        talloc_set_destructor(run, run_destructor);
        run->waiters = m->waiters;
        m->waiters = NULL;
        m->n_waiters = 0;
        TALLOC_FREE(m->moves);
        m->n_moves = 0;
        m->rebalance = false;
        log_debug("Takeover run %" PRIu32 " for generation %" PRIu32 ": %zu addresses", run->id,
                  run->generation, run->n_assign);
        m->run = run;
        run = NULL; /* m->run owns it now */
        run_send_phase(m->run, IPD_PHASE_RELEASE);
        return 0;
}

static int on_run_defer(sd_event_source *s, void *userdata) {
        ipd_manager *m = userdata;
        int r;

        /* A failed run waits for its retry: what failed would fail again at once. */
        if (!ipd_is_leader(m) || m->view.recovering || m->retry_pending)
                return 0;
        if (m->run) {
                m->rerun = true;
                return 0;
        }
        r = run_start(m);
        if (r < 0) {
                log_error_errno(r, "Failed to start a takeover run: %m");
                retry_arm(m);
        }
        return 0;
}

void ipd_takeover_schedule(ipd_manager *m, const char *reason) {
        int r;

        if (!ipd_is_leader(m))
                return;
        log_debug("Takeover run wanted: %s", reason);
        r = event_defer_oneshot(m->event, &m->run_defer, on_run_defer, m);
        if (r < 0)
                log_error_errno(r, "Failed to schedule a takeover run: %m");
}

/* Whether the addresses are where a run would put them now. */
static bool allocation_holds(ipd_manager *m) {
        _cleanup_talloc_ uint32_t *pnn = talloc_array(NULL, uint32_t, m->n_addrs ? m->n_addrs : 1);

        if (!pnn || ipd_takeover_plan(m, NULL, 0, false, NULL, 0, pnn) < 0)
                return false;
        for (size_t i = 0; i < m->n_addrs; i++)
                if (pnn[i] != m->addrs[i]->holder)
                        return false;
        return true;
}

static int on_startup_wait(sd_event_source *s, uint64_t usec, void *userdata) {
        ipd_takeover_check(userdata);
        return 0;
}

/*
 * Right after this ipd starts, the others' STATEs are on their way: a run
 * now would place everything on the nodes heard from so far and move it
 * again a moment later. So the first runs wait for every connected peer's
 * STATE, for at most IPD_STARTUP_WAIT_USEC.
 */
static bool startup_wait(ipd_manager *m) {
        uint64_t now;

        if (m->startup_over || sd_event_now(m->event, CLOCK_MONOTONIC, &now) < 0)
                return false;
        for (uint32_t p = 0; p < m->n_nodes; p++)
                if (m->peers[p].connected && !m->peers[p].known &&
                    now < m->started_usec + IPD_STARTUP_WAIT_USEC) {
                        if (!m->startup_timer &&
                            sd_event_add_time(m->event, &m->startup_timer, CLOCK_MONOTONIC,
                                              m->started_usec + IPD_STARTUP_WAIT_USEC, IPD_TIMER_ACCURACY_USEC,
                                              on_startup_wait,
                                              m) < 0)
                                return false;
                        return true;
                }
        m->startup_over = true;
        m->startup_timer = sd_event_source_disable_unref(m->startup_timer);
        return false;
}

void ipd_takeover_check(ipd_manager *m) {
        if (!ipd_is_leader(m)) {
                /* A run in flight stops with leadership; its waiters are told. */
                TALLOC_FREE(m->run);
                return;
        }
        if (m->view.recovering || m->disabled || startup_wait(m))
                return;
        if (m->view.generation != m->last_generation)
                ipd_takeover_schedule(m, "a recovery finished");
        else if (!allocation_holds(m))
                ipd_takeover_schedule(m, "addresses are not where they belong");
}

void ipd_takeover_link_down(ipd_manager *m, uint32_t pnn) {
        struct ipd_run *run = m->run;

        for (uint32_t p = 0; run && p < m->n_nodes; p++) {
                if ((pnn != CTDB_PNN_ALL && p != pnn) || !run->waiting[p])
                        continue;
                run->waiting[p] = false;
                run->status = -ENOTCONN;
                snprintf(run->message, sizeof(run->message), "node %" PRIu32 " left during the run", p);
        }
        if (run)
                run_advance(run);
}

static int on_run_reply(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t payload_len) {
        ipd_manager *m = userdata;
        const struct ipd_run_reply_msg *rep = msg;
        struct ipd_run *run = m->run;

        if (!run || rep->id != run->id || rep->phase != run->phase || h->src >= m->n_nodes ||
            !run->waiting[h->src])
                return 0; /* an answer to a run that is over */
        run->waiting[h->src] = false;
        if (rep->status) {
                run->status = peer_errno(rep->status);
                snprintf(run->message, sizeof(run->message), "node %" PRIu32 ": %s", h->src, rep->message);
        }
        run_advance(run);
        return 0;
}

/* ---- Move and Rebalance --------------------------------------------------------- */

struct forward {
        ipd_request_done_fn done;
        void *userdata;
};

static void on_forward_done(struct peer_request *req, int error, const void *reply, void *userdata) {
        struct forward *f = userdata;
        const struct ipd_reply_msg *rep = reply;

        if (error < 0)
                f->done(f->userdata, error, CTDB_ERROR_NOT_CONNECTED, "the leader's ipd did not answer");
        else if (rep->status)
                f->done(f->userdata, peer_errno(rep->status), rep->error_name, rep->message);
        else
                f->done(f->userdata, 0, NULL, NULL);
}

int ipd_takeover_request(ipd_manager *m, uint32_t op, const struct ctdb_ip *a, uint32_t pnn,
                         ipd_request_done_fn done, void *userdata) {
        struct ipd_request_msg msg = { .op = op, .pnn = pnn };
        struct peer_request *req;
        struct forward *f;
        int r;

        if (ipd_is_leader(m)) {
                struct ipd_waiter *w;

                if (m->n_waiters >= IPD_WAITERS_MAX)
                        return -EBUSY;
                w = talloc_zero(m, struct ipd_waiter);
                if (!w)
                        return -ENOMEM;
                if (op == IPD_OP_MOVE) {
                        struct ipd_wire_assign *mv = talloc_realloc(m, m->moves, struct ipd_wire_assign,
                                                                    m->n_moves + 1);

                        if (!mv) {
                                talloc_free(w);
                                return -ENOMEM;
                        }
                        m->moves = mv;
                        ipd_wire_ip_set(&mv[m->n_moves].ip, a);
                        mv[m->n_moves++].pnn = pnn;
                        w->ip = *a;
                } else
                        m->rebalance = true;
                *w = (struct ipd_waiter) { .next = m->waiters, .op = op, .ip = w->ip, .pnn = pnn,
                                           .done = done, .userdata = userdata };
                m->waiters = w;
                m->n_waiters++;
                ipd_takeover_schedule(m, op == IPD_OP_MOVE ? "Move" : "Rebalance");
                return 0;
        }
        if (!m->view_known || !m->view.quorate || m->view.leader == CTDB_PNN_NONE)
                return -ENOTCONN;
        r = peer_request_new(m->requests, m->view.leader, IPD_REQUEST_TIMEOUT_USEC, on_forward_done, NULL,
                             &req);
        if (r < 0)
                return r;
        f = talloc(req, struct forward);
        if (!f) {
                peer_request_cancel(req);
                return -ENOMEM;
        }
        *f = (struct forward) { done, userdata };
        peer_request_set_userdata(req, f);
        msg.id = peer_request_id(req);
        if (a)
                ipd_wire_ip_set(&msg.ip, a);
        r = ipd_send(m, m->view.leader, &ipd_request_desc, &msg);
        if (r < 0)
                peer_request_cancel(req);
        return r;
}

struct remote_request {
        ipd_manager *m;
        uint32_t src, id;
};

static void on_remote_done(void *userdata, int error, const char *name, const char *message) {
        struct remote_request *rr = userdata;
        struct ipd_reply_msg rep = { .id = rr->id, .status = (uint32_t) -error };

        if (error < 0) {
                rep.error_name = (char *) (name ? name : CTDB_ERROR_BUSY);
                rep.error_name_len = (uint32_t) strlen(rep.error_name);
                rep.message = (char *) (message ? message : "");
                rep.message_len = (uint32_t) strlen(rep.message);
        }
        (void) ipd_send(rr->m, rr->src, &ipd_reply_desc, &rep);
        talloc_free(rr);
}

static int on_request(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t payload_len) {
        ipd_manager *m = userdata;
        const struct ipd_request_msg *req = msg;
        struct remote_request *rr;
        struct ctdb_ip ip;
        int r;

        if (req->op != IPD_OP_MOVE && req->op != IPD_OP_REBALANCE)
                return -EBADMSG;
        if (req->op == IPD_OP_MOVE && ipd_wire_ip_get(&req->ip, &ip) < 0)
                return -EBADMSG;
        rr = talloc(m, struct remote_request);
        if (!rr)
                return -ENOMEM;
        *rr = (struct remote_request) { m, h->src, req->id };
        if (!ipd_is_leader(m)) {
                on_remote_done(rr, -ENOTCONN, CTDB_ERROR_NOT_LEADER, "this node does not lead any more");
                return 0;
        }
        r = ipd_takeover_request(m, req->op, req->op == IPD_OP_MOVE ? &ip : NULL, req->pnn, on_remote_done,
                                 rr);
        if (r < 0)
                on_remote_done(rr, r, CTDB_ERROR_BUSY, "the leader could not queue the request");
        return 0;
}

static int on_reply(void *userdata, const struct wire_header *h, const void *msg, const uint8_t *payload,
                     size_t payload_len) {
        ipd_manager *m = userdata;
        const struct ipd_reply_msg *rep = msg;
        int r = peer_requests_complete(m->requests, h->src, rep->id, rep);

        return r == -ENOENT ? 0 : r;
}

const struct wire_handler ipd_takeover_handlers[] = {
        { IPD_MSG_RUN_REPLY, &ipd_run_reply_desc, on_run_reply },
        { IPD_MSG_REQUEST, &ipd_request_desc, on_request },
        { IPD_MSG_REPLY, &ipd_reply_desc, on_reply },
};
const size_t ipd_takeover_n_handlers = ELEMENTSOF(ipd_takeover_handlers);

void ipd_takeover_free(ipd_manager *m) {
        TALLOC_FREE(m->run);
        waiters_finish(m->waiters, -ECANCELED, CTDB_ERROR_NOT_LEADER, "ctdb-ipd is stopping");
        m->waiters = NULL;
        m->n_waiters = 0;
        m->run_defer = sd_event_source_disable_unref(m->run_defer);
        m->retry_timer = sd_event_source_disable_unref(m->retry_timer);
        m->startup_timer = sd_event_source_disable_unref(m->startup_timer);
}
