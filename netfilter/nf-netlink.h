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
#include <stdbool.h>
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
 * Starts a request of type in buf (at least MNL_SOCKET_BUFFER_SIZE bytes):
 * NLM_F_REQUEST | flags, then a zeroed family header of hdrlen bytes (the
 * payload) for the caller to fill.
 */
struct nlmsghdr *nf_nl_request_new(void *buf, uint16_t type, uint16_t flags, size_t hdrlen);

/* nf_nl_talk() on a socket of protocol bus opened and closed for this one request. */
int nf_nl_request(int bus, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* Whether an attribute walk over nlh (mnl_attr_for_each) that stopped at attr read every byte. */
bool nf_nl_attrs_done(const struct nlmsghdr *nlh, const struct nlattr *attr);

/*
 * Runs cb over a buffer of netlink messages that came from the kernel, checking
 * every length first. Returns 0 when all were read, or a negative errno (the
 * errno of an NLMSG_ERROR, or -EBADMSG for a malformed buffer). Used by the
 * parsers and by the fuzzer, so never trusts buf.
 */
int nf_nl_parse_buffer(const void *buf, size_t len, mnl_cb_t cb, void *data);
