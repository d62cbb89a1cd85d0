#pragma once

/*
 * A stand-in for polkitd on a test's private bus: org.freedesktop.PolicyKit1's
 * Authority, served by libglib-testing's GtDBusQueue on a connection (and a
 * thread) of its own. Every CheckAuthorization is counted and its question kept;
 * it is answered at once (allow or deny, from the queue's thread, so even while
 * the test thread blocks) or, held, by the test after it looked at the question.
 */

#include <gio/gio.h>
#include <glib.h>
#include <libglib-testing/dbus-queue.h>

typedef enum TestPolkitAnswer {
        TEST_POLKIT_DENY,
        TEST_POLKIT_ALLOW,
        TEST_POLKIT_HOLD, /* each question waits for test_polkit_answer() */
} TestPolkitAnswer;

typedef struct TestPolkit TestPolkit;

/*
 * Connects queue (gt_dbus_queue_connect()) to the bus conn is connected to, not
 * to a bus of its own (see testpolkit.c): every mock of the bus tests serves there.
 */
void test_dbus_queue_connect(GtDBusQueue *queue, GDBusConnection *conn);

/*
 * Serves the Authority on the bus that conn is connected to and owns
 * org.freedesktop.PolicyKit1 there (owned when this returns). conn is the test's
 * own connection: the waits on the name use it.
 */
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

/*
 * What was asked: the number of CheckAuthorization calls so far, and the last
 * one's question. The strings are interned (never freed); NULL before the first
 * question, and the subject's name is NULL for a subject without one.
 */
unsigned test_polkit_get_calls(TestPolkit *pk);
const char *test_polkit_get_action(TestPolkit *pk);
const char *test_polkit_get_subject_kind(TestPolkit *pk); /* "system-bus-name", "unix-process", ... */
const char *test_polkit_get_subject_name(TestPolkit *pk); /* a unique bus name */
