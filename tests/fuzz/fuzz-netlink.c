/*
 * Fuzzes the netlink reply parsers of netfilter/: a buffer of netlink
 * messages as the kernel would send them (address and link dumps, link
 * notifications, nftables set element dumps, nfnetlink_log packets), walked
 * like the library does.
 */

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nf-addr.h"
#include "nf-link.h"
#include "nf-log.h"
#include "nf-netlink.h"
#include "nf-tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int tracked_cb(const struct nf_tracked_conn *c, void *userdata) {
        char s[64];

        nf_sockaddr_to_string(&c->client, s, sizeof(s));
        nf_sockaddr_to_string(&c->server, s, sizeof(s));
        (*(unsigned *) userdata)++;
        return 0;
}

static void logged_cb(const union nf_sockaddr *server, const union nf_sockaddr *client, void *userdata) {
        char s[64];

        nf_sockaddr_to_string(server, s, sizeof(s));
        nf_sockaddr_to_string(client, s, sizeof(s));
}

static int msg_cb(const struct nlmsghdr *nlh, void *data) {
        char s[CTDB_IP_STRLEN];

        switch (nlh->nlmsg_type) {
        case RTM_NEWADDR:
        case RTM_DELADDR: {
                struct nf_addr_info info;
                if (nf_addr_parse_msg(nlh, &info) == 0)
                        ctdb_ip_to_string(&info.addr, true, s, sizeof(s));
                break;
        }
        case RTM_NEWLINK:
        case RTM_DELLINK: {
                struct nf_link_state st;
                if (nf_link_parse_msg(nlh, &st) == 0)
                        nf_link_state_string(&st, s, sizeof(s));
                break;
        }
        case (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM:
                (void) nf_tables_tracked_parse_msg(nlh, tracked_cb, data);
                break;
        case (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET:
                (void) nf_log_parse_msg(nlh, logged_cb, data);
                break;
        default:
                break;
        }
        return MNL_CB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        unsigned n = 0;
        void *buf;

        /* A copy of exactly size bytes, so the sanitizers see any overread. */
        buf = malloc(size ? size : 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        (void) nf_nl_parse_buffer(buf, size, msg_cb, &n);
        free(buf);
        return 0;
}
