/*
 * Asynchronous polkit checks for method handlers (DESIGN.md section 6).
 *
 * The shape is systemd's bus_verify_polkit_async(): the first time a handler
 * asks about a call, CheckAuthorization is sent without waiting and the handler
 * returns "pending"; when polkit answers, the answer is stored under the call
 * and the call is put back into the bus's read queue, so the handler runs again
 * from the top and this time finds the answer. Until then the bus keeps serving
 * other callers.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <talloc.h>

#include "bus-util.h"

#define POLKIT_NAME      "org.freedesktop.PolicyKit1"
#define POLKIT_PATH      "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"

/*
 * An answer not collected by its replayed call within this time is dropped: the
 * handler took another path the second time (its validation or no-op shortcut
 * depends on state that changed while polkit was asked), so nobody will ask.
 */
#define POLKIT_ANSWER_KEEP_USEC (30 * 1000000ULL)

/*
 * Queries held at once (asked or answered, not yet collected). Each holds a
 * caller's message; without a limit, callers that never get an answer from a
 * slow or absent polkit would pile up without bound.
 */
#define POLKIT_QUERIES_MAX 256u

/* CheckAuthorization flags */
#define POLKIT_CHECK_ALLOW_USER_INTERACTION 1u

/* One outstanding or answered check, keyed by the call message it is for. */
struct polkit_query {
        struct polkit_query *prev, *next;
        polkit_registry *registry;
        sd_bus_message *request;        /* ref: the call to replay */
        sd_bus_slot *slot;              /* ref: the CheckAuthorization call while pending */
        char *action;
        bool answered;
        uint64_t answered_usec;         /* CLOCK_MONOTONIC */
        int result;                     /* once answered: 1 allowed, -EACCES denied */
        const char *error_name;         /* once denied: the D-Bus error to return */
};

struct polkit_registry {
        struct polkit_query *queries;
        unsigned n_queries;
};

static void query_unlink(struct polkit_query *q) {
        polkit_registry *reg = q->registry;

        if (reg && (q->prev || reg->queries == q))
                reg->n_queries--;
        if (q->prev)
                q->prev->next = q->next;
        else if (reg && reg->queries == q)
                reg->queries = q->next;
        if (q->next)
                q->next->prev = q->prev;
        q->prev = q->next = NULL;
}

static int query_destructor(struct polkit_query *q) {
        query_unlink(q);
        /* Unref'ing a pending call's slot cancels it: its callback never runs. */
        q->slot = sd_bus_slot_unref(q->slot);
        q->request = sd_bus_message_unref(q->request);
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
                return 0;
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* Frees the answers that no replayed call collected (see POLKIT_ANSWER_KEEP_USEC). */
static void registry_prune(polkit_registry *reg) {
        struct polkit_query *q, *next;
        uint64_t now = now_usec();

        if (!reg)
                return;
        for (q = reg->queries; q; q = next) {
                next = q->next;
                if (q->answered && now - q->answered_usec > POLKIT_ANSWER_KEEP_USEC)
                        talloc_free(q);
        }
}

static struct polkit_query *registry_find(polkit_registry *reg, sd_bus_message *call) {
        if (!reg)
                return NULL;
        for (struct polkit_query *q = reg->queries; q; q = q->next)
                if (q->request == call)
                        return q;
        return NULL;
}

static int polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct polkit_query *q = userdata;
        sd_bus *bus;
        int authorized = 0, challenge = 0;
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        q->answered = true;
        q->answered_usec = now_usec();
        q->result = -EACCES;
        q->error_name = SD_BUS_ERROR_ACCESS_DENIED;

        /* An error reply (no polkit on the bus, polkit failed) means denied. */
        if (!sd_bus_message_is_method_error(reply, NULL)) {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r >= 0 && authorized)
                        q->result = 1;
                else if (r >= 0 && challenge)
                        q->error_name = SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED;
        }

        /*
         * Replay the original call. The handler read its arguments the first
         * time, so rewind it; if it cannot be queued the caller must still get
         * an answer.
         */
        bus = sd_bus_message_get_bus(q->request);
        r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(bus, q->request);
        if (r < 0) {
                (void) sd_bus_reply_method_errno(q->request, r, NULL);
                talloc_free(q);
        }
        return 1;
}

static int sender_is_root(sd_bus_message *call) {
        sd_bus_creds *creds = NULL;
        uint64_t augmented;
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_AUGMENT,
                                      &creds);
        if (r < 0)
                return r;

        /*
         * Values read from /proc (augmented) race with pid reuse, so they never
         * grant the root shortcut; such a caller is asked about like anyone else.
         * The bus daemon's UnixUserID is the effective uid from SO_PEERCRED.
         */
        augmented = sd_bus_creds_get_augmented_mask(creds);
        r = -ENODATA;
        if (!(augmented & SD_BUS_CREDS_EUID))
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0 && !(augmented & SD_BUS_CREDS_UID))
                r = sd_bus_creds_get_uid(creds, &uid);
        sd_bus_creds_unref(creds);
        if (r < 0)
                return 0;
        return uid == 0;
}

int bus_verify_polkit_async(sd_bus_message *call, const char *action, polkit_registry **registry,
                            sd_bus_error *error) {
        _cleanup_bus_message_ sd_bus_message *pk = NULL;
        struct polkit_query *q;
        const char *sender;
        sd_bus *bus;
        uint32_t flags = 0;
        int r;

        if (!call || !action || !registry)
                return -EINVAL;

        r = sender_is_root(call);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to read the caller's credentials: %m");
        if (r > 0)
                return 1;

        registry_prune(*registry);
        q = registry_find(*registry, call);
        if (q) {
                if (!q->answered)
                        return 0;
                if (strcmp(q->action, action) != 0) {
                        /* Answered for another action of the same call: ask again. */
                        talloc_free(q);
                } else {
                        int result = q->result;
                        const char *name = q->error_name;

                        talloc_free(q);
                        if (result > 0)
                                return 1;
                        return sd_bus_error_setf(
                                error, name, "Access denied: polkit action %s was not authorized", action);
                }
        }

        sender = sd_bus_message_get_sender(call);
        if (!sender)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Access denied: caller without a bus name");

        if (!*registry) {
                *registry = talloc_zero(NULL, polkit_registry);
                if (!*registry)
                        return -ENOMEM;
        }
        if ((*registry)->n_queries >= POLKIT_QUERIES_MAX)
                return sd_bus_error_setf(error, CTDB_ERROR_BUSY,
                                         "%u authorization checks are waiting for polkit; try again later",
                                         POLKIT_QUERIES_MAX);

        bus = sd_bus_message_get_bus(call);
        r = sd_bus_message_new_method_call(bus, &pk, POLKIT_NAME, POLKIT_PATH, POLKIT_INTERFACE,
                                           "CheckAuthorization");
        if (r < 0)
                return r;
        if (sd_bus_message_get_allow_interactive_authorization(call) > 0)
                flags |= POLKIT_CHECK_ALLOW_USER_INTERACTION;
        r = sd_bus_message_append(pk, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender,
                                  action, 0, flags, "");
        if (r < 0)
                return r;

        q = talloc_zero(*registry, struct polkit_query);
        if (!q)
                return -ENOMEM;
        q->registry = *registry;
        q->action = talloc_strdup(q, action);
        if (!q->action) {
                talloc_free(q);
                return -ENOMEM;
        }
        q->request = sd_bus_message_ref(call);
        talloc_set_destructor(q, query_destructor);

        /* Timeout 0 = sd-bus default (25 s); an interactive dialog can take that long. */
        r = sd_bus_call_async(bus, &q->slot, pk, polkit_reply, q, 0);
        if (r < 0) {
                talloc_free(q);
                /* Could not even send: treat as polkit unreachable, i.e. denied. */
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Access denied: polkit action %s could not be checked", action);
        }

        q->next = (*registry)->queries;
        if (q->next)
                q->next->prev = q;
        (*registry)->queries = q;
        (*registry)->n_queries++;
        return 0;
}

polkit_registry *polkit_registry_free(polkit_registry *r) {
        if (!r)
                return NULL;
        while (r->queries)
                talloc_free(r->queries);
        talloc_free(r);
        return NULL;
}
