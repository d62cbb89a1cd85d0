#pragma once

/*
 * A stand-in for polkitd on a test's private bus: org.freedesktop.PolicyKit1's
 * Authority, served from the test process's own connection (the testbus waits
 * serve the main context, so it answers while a helper waits). Every
 * CheckAuthorization is counted and its question kept; it is answered at once
 * (allow or deny) or, held, by the test after it looked at the question.
 */

#include <gio/gio.h>
#include <glib.h>

typedef enum TestPolkitAnswer {
        TEST_POLKIT_DENY,
        TEST_POLKIT_ALLOW,
        TEST_POLKIT_HOLD, /* each question waits for test_polkit_answer() */
} TestPolkitAnswer;

typedef struct TestPolkit {
        /* What was asked: the number of CheckAuthorization calls, and the last one's question. */
        unsigned calls;
        char *action;
        char *subject_kind; /* "system-bus-name", "unix-process", ... */
        char *subject_name; /* the subject's "name" (a unique bus name), NULL if it has none */

        /* private */
        GDBusConnection *conn;
        guint object;
        gboolean owns_name;
        TestPolkitAnswer answer;
        GQueue held; /* GDBusMethodInvocation *, oldest first */
} TestPolkit;

/* Serves the Authority on conn and owns org.freedesktop.PolicyKit1 (owned when this returns). */
TestPolkit *test_polkit_new(GDBusConnection *conn, TestPolkitAnswer answer);
/* Answers held questions "no", gives up the name and the object. NULL is fine. */
void test_polkit_free(TestPolkit *pk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestPolkit, test_polkit_free)

/* Gives up org.freedesktop.PolicyKit1 and waits (with a deadline) until nobody owns it: "no polkit". */
void test_polkit_release_name(TestPolkit *pk);

/* TEST_POLKIT_HOLD: waits up to timeout_ms for a question to be held; TRUE if one is. */
gboolean test_polkit_wait_question(TestPolkit *pk, unsigned timeout_ms);
/* TEST_POLKIT_HOLD: answers the oldest held question (asserts there is one). */
void test_polkit_answer(TestPolkit *pk, gboolean allow);
