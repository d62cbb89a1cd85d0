#pragma once

/*
 * Netlink plumbing shared by the netfilter/ modules: one request/answer
 * exchange on a fresh socket, and the error buffer convention.
 *
 * Every public function of this library that can fail in a way a person must
 * act on takes (char *err, size_t errlen): on failure it returns a negative
 * errno and, when err is not NULL, writes one line naming the address and the
 * interface or object involved. The library itself never logs above debug.
 */

#include <libmnl/libmnl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Big enough for any single reply the kernel sends us (it caps dump skbs at 32 KiB). */
#define NF_NL_BUFSIZE (64u * 1024u)

void nf_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Opens a netlink socket of protocol bus bound to groups; closes it on failure. */
int nf_nl_open(int bus, unsigned groups, struct mnl_socket **ret);

/*
 * Sends nlh (its nlmsg_seq is set here) on nl and reads until the kernel's
 * ACK, NLMSG_DONE or an error. cb (may be NULL) sees every data message.
 * Returns 0, or the negative errno the kernel answered, or one of the socket.
 */
int nf_nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/*
 * Runs cb over a buffer of netlink messages that came from the kernel, checking
 * every length first. Returns 0 when all were read, or a negative errno (the
 * errno of an NLMSG_ERROR, or -EBADMSG for a malformed buffer). Used by the
 * parsers and by the fuzzer, so never trusts buf.
 */
int nf_nl_parse_buffer(const void *buf, size_t len, mnl_cb_t cb, void *data);
