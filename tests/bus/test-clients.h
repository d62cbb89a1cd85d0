#pragma once

/* What the bus tests of libctdb-client peers share (test-tunnels.c, test-channels.c). */

#include <glib.h>
#include <poll.h>
#include <stdbool.h>

#include "ctdb-client.h"

/*
 * Processes the frames of n clients (at most 4) until done(arg) holds or
 * timeout_ms passed; false on the timeout.
 */
static inline bool test_clients_wait(ctdb_client *const *clients, unsigned n, bool (*done)(void *arg), void *arg,
                                     unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        while (!done(arg)) {
                struct pollfd fds[4];

                if (g_get_monotonic_time() >= deadline)
                        return false;
                g_assert_cmpuint(n, <=, G_N_ELEMENTS(fds));
                for (unsigned i = 0; i < n; i++)
                        fds[i] = (struct pollfd){ .fd = ctdb_client_fd(clients[i]), .events = POLLIN };
                if (poll(fds, n, 50) <= 0)
                        continue;
                for (unsigned i = 0; i < n; i++)
                        if (fds[i].revents)
                                g_assert_cmpint(ctdb_client_process(clients[i]), >=, 0);
        }
        return true;
}
