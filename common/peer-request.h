#pragma once

/*
 * Requests to another node that wait for its answer: an id per request, a
 * timeout, and failure when the link to that node drops (or the data plane is
 * lost), so a caller is always answered. clusterd's forwarded controls use it;
 * dbd's migrations, transactions and recovery pulls will.
 *
 * A request is a talloc object owned by its set; the owner hangs what it needs
 * for the answer under it (talloc children, freed with the request). The done
 * callback runs exactly once per request, then the request is freed; freeing
 * the set frees pending requests without calling it.
 */

#include <stdint.h>

#include <systemd/sd-event.h>

struct peer_requests;
struct peer_request;

/*
 * error: 0 with the answer in reply (whatever the owner's protocol carries; may be
 * NULL), -ETIMEDOUT, or the error given to peer_requests_fail() (e.g. -ENOTCONN).
 */
typedef void (*peer_request_done_fn)(struct peer_request *req, int error, const void *reply, void *userdata);

/* A set of at most max pending requests. */
int peer_requests_new(void *mem_ctx, sd_event *event, unsigned max, struct peer_requests **ret);

/*
 * A new pending request to pnn; -EBUSY when max are pending. The owner sends its
 * message with peer_request_id() in it after this succeeds.
 */
int peer_request_new(struct peer_requests *set, uint32_t pnn, uint64_t timeout_usec,
                     peer_request_done_fn done, void *userdata, struct peer_request **ret);
uint32_t peer_request_id(const struct peer_request *req);
/* The userdata done gets (e.g. a context allocated under the request itself). */
void peer_request_set_userdata(struct peer_request *req, void *userdata);
uint32_t peer_request_pnn(const struct peer_request *req);
/* Ends a request without calling done (e.g. its message could not be sent). */
void peer_request_cancel(struct peer_request *req);

/* The answer to id from pnn: done(req, 0, reply). -ENOENT if no such request (it timed out). */
int peer_requests_complete(struct peer_requests *set, uint32_t pnn, uint32_t id, const void *reply);
/* The pending request id to pnn, or NULL: for answers in several parts (the last one completes it). */
struct peer_request *peer_requests_find(struct peer_requests *set, uint32_t pnn, uint32_t id);
void *peer_request_get_userdata(const struct peer_request *req);
/* Fails every request to pnn (CTDB_PNN_ALL: every request) with error. */
void peer_requests_fail(struct peer_requests *set, uint32_t pnn, int error);

unsigned peer_requests_pending(const struct peer_requests *set);
