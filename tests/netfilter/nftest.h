#pragma once

/*
 * Helpers for the netfilter tests (root): network namespaces named
 * "nft<pid>-<name>" that are deleted on every exit path, entering them with
 * setns(), shell commands for setup and checks, and deadlines.
 *
 * nftest_main() runs the GLib tests in a child process; the parent waits and
 * then deletes every namespace of this run, also after an assertion abort or
 * a SIGTERM from the test harness.
 */

#include <glib.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

/* Skips (exit 77) unless root; g_test_init(); then runs the tests in a child. */
int nftest_main(int argc, char **argv, void (*add_tests)(void));

/* "nft<pid>-<name>": the real name of this run's namespace name. Static storage. */
const char *nftest_ns(const char *name);
/* Creates namespace name with lo up. */
void nftest_ns_add(const char *name);
/* Moves this thread into namespace name ("" or NULL: back to the original). */
void nftest_enter(const char *name);

/* Runs a shell command; asserts exit 0 unless may_fail. "@X" is replaced by nftest_ns("X"). */
int nftest_sh(bool may_fail, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Same, returns stdout (g_free it). */
char *nftest_sh_out(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Monotonic deadline in ms from now, and how many ms are left (>= 0). */
gint64 nftest_deadline(int ms);
int nftest_left_ms(gint64 deadline);

/* Waits until fd has any of events, up to the deadline. Returns revents or 0 on timeout. */
short nftest_poll(int fd, short events, gint64 deadline);

/* A veth pair: ifa in namespace a, ifb in namespace b, both up. */
void nftest_veth(const char *a, const char *ifa, const char *b, const char *ifb);

/*
 * An established TCP connection from namespace cns to server:port in
 * namespace sns. Returns the client fd (non-blocking) and the accepted server
 * fd; the listener is closed. server is "ADDR" (IPv4 or IPv6).
 */
void nftest_tcp_pair(const char *cns, const char *sns, const char *server, uint16_t port, int *ret_client,
                     int *ret_server);
/* Waits for an error on fd (sending one byte first if send_first); returns the errno, 0 on timeout. */
int nftest_wait_error(int fd, bool send_first, int timeout_ms);
/* Sends a byte on a, expects it on b within the deadline. */
void nftest_tcp_roundtrip(int a, int b);
