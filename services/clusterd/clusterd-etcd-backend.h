#pragma once

/*
 * clusterd's etcd lock backend: the session (clusterd-etcd.c) carried by
 * clusterd-etcd-http.c on the manager's event loop. The session's news reach
 * the election through clusterd_manager_update(), run from a deferred event
 * so that it never runs inside a curl or session callback.
 */

#include <stdbool.h>
#include <stdint.h>

struct clusterd_manager;

/* Sets up the carrier (endpoints checked; logs its failures). */
int clusterd_etcd_init(struct clusterd_manager *m);
/* Starts the session once tunneld has said which pnn this node is (again if it changed). */
int clusterd_etcd_start(struct clusterd_manager *m);
void clusterd_etcd_stop(struct clusterd_manager *m);
/* The election's wish: campaign for the leader key, or give it up. */
void clusterd_etcd_want_leader(struct clusterd_manager *m, bool want);

/* The election's inputs (false / CTDB_PNN_NONE before the session starts). */
bool clusterd_etcd_alive(const struct clusterd_manager *m);
bool clusterd_etcd_holds(const struct clusterd_manager *m);
uint32_t clusterd_etcd_holder(const struct clusterd_manager *m);
bool clusterd_etcd_member(const struct clusterd_manager *m, uint32_t pnn);
/* "etcd:URL,..." for logs. */
const char *clusterd_etcd_name(const struct clusterd_manager *m);
