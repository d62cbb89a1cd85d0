#pragma once

/*
 * Is an address still in use by another host? An ARP probe (RFC 5227: a
 * request for the address with sender address 0.0.0.0) is answered by any
 * host that has it. A node taking over a public address probes first: the
 * previous holder's daemons may have died with its kernel alive, and until
 * its cleanup (ExecStopPost=) has removed the address, taking it would put
 * it on two hosts. IPv4 only: IPv6 addresses are not probed.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip-address.h"

/* A packet socket that receives ARP (non-blocking); every frame of every interface. */
int nf_probe_socket(void);
/* Sends one probe for a on ifname; -EAFNOSUPPORT for IPv6. */
int nf_probe_send(int fd, const char *ifname, const struct ctdb_ip *a, char *err, size_t errlen);

typedef void (*nf_probe_cb)(const struct in_addr *sender, void *userdata);
/*
 * Reads every frame waiting on fd and calls cb with the sender address of
 * each ARP packet another host sent (not this host's own, not a probe's
 * 0.0.0.0). Returns the number, or a negative errno.
 */
int nf_probe_read(int fd, nf_probe_cb cb, void *userdata);
/*
 * Blocks until nobody answers a probe for a on ifname within round_usec, for
 * budget_usec at most: 0, -EADDRINUSE when it still answered at the end (err
 * says so), or another negative errno. For the rare caller that cannot wait
 * asynchronously (the NAT gateway's address, taken when its node changes).
 */
int nf_probe_wait(const char *ifname, const struct ctdb_ip *a, unsigned round_usec, unsigned budget_usec,
                  char *err, size_t errlen);
/* The sender address of an ARP frame (Ethernet header on): 1, 0 when it is no ARP with one, never trusting
 * it. */
int nf_probe_parse(const uint8_t *frame, size_t len, struct in_addr *ret_sender);
