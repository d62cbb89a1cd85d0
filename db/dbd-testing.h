#pragma once

/*
 * Entry points for the tests and fuzzers only (the daemon does not link
 * them): a manager that has no tunneld and no bus, told its node as tunneld's
 * HELLO would, and a db.sock client on an fd of the caller's, so that frames
 * reach dbd's own handlers (dbd_manager_receive(), local_client_feed()).
 */

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "dbd-manager.h"

struct local_client;

/*
 * A manager of node pnn (of n_nodes) on event, a talloc child of mem_ctx,
 * with its databases and db.sock in dir. What it sends fails (-ENOTCONN),
 * as it does while tunneld is away.
 */
int dbd_testing_manager_new(void *mem_ctx, sd_event *event, const char *dir, uint32_t pnn, uint32_t n_nodes,
                            dbd_manager **ret);
/* A db.sock client on fd (the caller's end of a socketpair stays the caller's); db.sock is started first. */
int dbd_testing_add_client(dbd_manager *m, int fd, struct local_client **ret);
/* The same as if process pid had connected (g_lock owners are processes). */
int dbd_testing_add_client_pid(dbd_manager *m, int fd, pid_t pid, struct local_client **ret);
