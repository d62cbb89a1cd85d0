/* Requests to other nodes that wait for an answer; see peer-request.h. */

#include <errno.h>
#include <stdbool.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "peer-request.h"

struct peer_request {
        struct peer_request *prev, *next;
        struct peer_requests *set;
        uint32_t id;
        uint32_t pnn;
        sd_event_source *timer;
        peer_request_done_fn done;
        void *userdata;
};

struct peer_requests {
        sd_event *event;
        struct peer_request *list;
        unsigned n, max;
        uint32_t next_id;
};

static int request_destructor(struct peer_request *req) {
        struct peer_requests *set = req->set;

        if (req->prev)
                req->prev->next = req->next;
        else
                set->list = req->next;
        if (req->next)
                req->next->prev = req->prev;
        set->n--;
        req->timer = sd_event_source_disable_unref(req->timer);
        return 0;
}

/* Calls done once and frees the request (and what its owner hung under it). */
static void request_finish(struct peer_request *req, int error, const void *reply) {
        peer_request_done_fn done = req->done;

        req->done = NULL;
        if (done)
                done(req, error, reply, req->userdata);
        talloc_free(req);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        request_finish(userdata, -ETIMEDOUT, NULL);
        return 0;
}

static int set_destructor(struct peer_requests *set) {
        while (set->list)
                talloc_free(set->list);
        sd_event_unref(set->event);
        return 0;
}

int peer_requests_new(void *mem_ctx, sd_event *event, unsigned max, struct peer_requests **ret) {
        struct peer_requests *set;

        if (!event || max == 0 || !ret)
                return -EINVAL;
        set = talloc_zero(mem_ctx, struct peer_requests);
        if (!set)
                return -ENOMEM;
        set->event = sd_event_ref(event);
        set->max = max;
        talloc_set_destructor(set, set_destructor);
        *ret = set;
        return 0;
}

int peer_request_new(struct peer_requests *set, uint32_t pnn, uint64_t timeout_usec,
                     peer_request_done_fn done, void *userdata, struct peer_request **ret) {
        struct peer_request *req;
        int r;

        if (set->n >= set->max)
                return -EBUSY;
        req = talloc_zero(set, struct peer_request);
        if (!req)
                return -ENOMEM;
        req->set = set;
        /* 0 is never an id, so a zeroed message cannot match a request by accident. */
        req->id = ++set->next_id ? set->next_id : ++set->next_id;
        req->pnn = pnn;
        req->done = done;
        req->userdata = userdata;
        req->next = set->list;
        if (req->next)
                req->next->prev = req;
        set->list = req;
        set->n++;
        talloc_set_destructor(req, request_destructor);

        r = sd_event_add_time_relative(set->event, &req->timer, CLOCK_MONOTONIC, timeout_usec, 0, on_timeout,
                                       req);
        if (r < 0) {
                talloc_free(req);
                return r;
        }
        *ret = req;
        return 0;
}

uint32_t peer_request_id(const struct peer_request *req) {
        return req->id;
}

void peer_request_set_userdata(struct peer_request *req, void *userdata) {
        req->userdata = userdata;
}

void *peer_request_get_userdata(const struct peer_request *req) {
        return req->userdata;
}

uint32_t peer_request_pnn(const struct peer_request *req) {
        return req->pnn;
}

void peer_request_cancel(struct peer_request *req) {
        talloc_free(req);
}

int peer_requests_complete(struct peer_requests *set, uint32_t pnn, uint32_t id, const void *reply) {
        for (struct peer_request *req = set->list; req; req = req->next)
                if (req->id == id && req->pnn == pnn) {
                        request_finish(req, 0, reply);
                        return 0;
                }
        return -ENOENT;
}

struct peer_request *peer_requests_find(struct peer_requests *set, uint32_t pnn, uint32_t id) {
        for (struct peer_request *req = set->list; req; req = req->next)
                if (req->id == id && req->pnn == pnn)
                        return req;
        return NULL;
}

void peer_requests_fail(struct peer_requests *set, uint32_t pnn, int error) {
        struct peer_request *req;

        /*
         * A done callback may cancel other requests of the set (a recovery ends
         * its other steps), so the walk starts over after each one it ends.
         */
        for (;;) {
                for (req = set->list; req; req = req->next)
                        if (pnn == CTDB_PNN_ALL || req->pnn == pnn)
                                break;
                if (!req)
                        return;
                request_finish(req, error, NULL);
        }
}

unsigned peer_requests_pending(const struct peer_requests *set) {
        return set->n;
}
