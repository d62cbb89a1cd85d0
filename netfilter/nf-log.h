#pragma once

/*
 * New TCP connections to public addresses as they happen: the table's chain
 * "output" logs every SYN-ACK a public address sends (nftables "log group
 * NF_LOG_GROUP"), and this module reads them from nfnetlink_log. ctdb-ipd
 * tells the other nodes of a connection the moment it is made, so that a
 * node failing right after a client connected still leaves a taker that
 * knows whom to tickle (CTDB learns of it up to 20 s later).
 */

#include <stddef.h>
#include <stdint.h>

#include "nf-tickle.h"

struct nlmsghdr;

/* The nfnetlink_log group of table inet ctdb's log rule (per network namespace). */
#define NF_LOG_GROUP 4379u

typedef struct nf_log nf_log;

/* server: the public address and port that sent the SYN-ACK; client: where it went. */
typedef void (*nf_log_cb)(const union nf_sockaddr *server, const union nf_sockaddr *client, void *userdata);

/* Binds to group, each packet delivered at once (queue threshold 1). */
int nf_log_new(uint16_t group, nf_log **ret, char *err, size_t errlen);
nf_log *nf_log_free(nf_log *l);
/* Non-blocking; readable when packets were logged. */
int nf_log_fd(nf_log *l);
/*
 * Reads every pending message and calls cb per logged TCP packet. Returns the
 * number of packets, or a negative errno (-ENOBUFS: some were lost).
 */
int nf_log_process(nf_log *l, nf_log_cb cb, void *userdata);
/* Parses one NFULNL_MSG_PACKET message (never trusting it): 1 and cb called, 0 if not TCP, or -EBADMSG. */
int nf_log_parse_msg(const struct nlmsghdr *nlh, nf_log_cb cb, void *userdata);
