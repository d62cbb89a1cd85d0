#pragma once

/*
 * Channels (docs/architecture.md, "Tunnels"): a TCP connection of their own
 * between the owners of one tunnel id on two nodes, which tunneld sets up and
 * authenticates as it does a link (HELLO with the tunnel id in its channel
 * field, then AUTH with a pre-shared key), and then hands over with SCM_RIGHTS:
 * the requester's tunneld to the client that asked, the acceptor's to its owner
 * of the id. The acceptor answers the handshake with CHANNEL_FD (error 0, or
 * ESRCH when nobody owns the id there) before it hands over, so the requester
 * never gets a socket without a peer. Channels never become a link, carry no
 * heartbeats, and tunneld forgets them once handed over.
 */

#include <stdint.h>

struct tunneld_manager;
struct local_client;

/*
 * Starts a channel to dst for tunnel id id on behalf of requester (which owns
 * the id here); its CHANNEL_FD comes later. Fails at once with -ENOENT (dst is
 * not a peer), -ENOTCONN (no link to dst), -EOPNOTSUPP (dst is of minor 0),
 * -EINVAL (id 0 names a link), -EBUSY (MANAGER_CHANNELS_MAX being set up), or
 * what socket()/connect() say.
 */
int tunneld_channel_open(struct tunneld_manager *m, struct local_client *requester, uint32_t dst,
                         uint64_t id);

/* The requester went away: its channels being set up are dropped. */
void tunneld_channel_client_gone(struct tunneld_manager *m, struct local_client *requester);
