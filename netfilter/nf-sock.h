#pragma once

/*
 * This node's own TCP sockets on an address, over sock_diag: releasing a
 * public address ends the connections of its local servers (smbd) at once.
 * SOCK_DESTROY aborts each socket (its owner reads ECONNABORTED) and the
 * kernel sends the client a RST, so both ends learn at once, as CTDB's
 * killtcp intends.
 */

#include <stddef.h>

#include "ip-address.h"

/*
 * Destroys every TCP socket whose local address is a (listening ones kept).
 * *ret_count (may be NULL) gets how many. 0, or a negative errno
 * (-EOPNOTSUPP: the kernel lacks CONFIG_INET_DIAG_DESTROY).
 */
int nf_sock_destroy_local(const struct ctdb_ip *a, unsigned *ret_count, char *err, size_t errlen);
