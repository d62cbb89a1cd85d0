/*
 * Writes real kernel replies to files, for the seed corpus of fuzz-netlink:
 * capture-netlink DIR  (run in a namespace that has addresses, links and a
 * table inet ctdb with tracked connections). Not a test; see docs/netfilter.md.
 */

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static int dump(int bus, struct nlmsghdr *nlh, const char *path) {
        struct mnl_socket *nl = mnl_socket_open(bus);
        static char buf[65536];
        FILE *f = fopen(path, "wb");
        size_t total = 0;

        if (!nl || !f || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
                return -errno;
        nlh->nlmsg_seq = (uint32_t) time(NULL);
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
                if (n <= 0)
                        break;
                fwrite(buf, 1, (size_t) n, f);
                total += (size_t) n;
                if (mnl_cb_run(buf, (size_t) n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), NULL, NULL) <=
                    MNL_CB_STOP)
                        break;
        }
        fclose(f);
        mnl_socket_close(nl);
        printf("%s: %zu bytes\n", path, total);
        return 0;
}

int main(int argc, char **argv) {
        char buf[MNL_SOCKET_BUFFER_SIZE], path[4096];
        struct nlmsghdr *nlh;
        struct nftnl_set *s;

        if (argc != 2) {
                fprintf(stderr, "usage: %s DIR\n", argv[0]);
                return 2;
        }
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_GETADDR;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        ((struct ifaddrmsg *) mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifaddrmsg)))->ifa_family =
                AF_UNSPEC;
        snprintf(path, sizeof(path), "%s/addr-dump", argv[1]);
        dump(NETLINK_ROUTE, nlh, path);

        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_GETLINK;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        ((struct ifinfomsg *) mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg)))->ifi_family =
                AF_UNSPEC;
        mnl_attr_put_u32(nlh, IFLA_EXT_MASK, 0);
        snprintf(path, sizeof(path), "%s/link-dump", argv[1]);
        dump(NETLINK_ROUTE, nlh, path);

        for (int i = 4; i <= 6; i += 2) {
                char name[16];
                snprintf(name, sizeof(name), "tracked%d", i);
                s = nftnl_set_alloc();
                nftnl_set_set_str(s, NFTNL_SET_TABLE, "ctdb");
                nftnl_set_set_str(s, NFTNL_SET_NAME, name);
                nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP, 0);
                nftnl_set_elems_nlmsg_build_payload(nlh, s);
                nftnl_set_free(s);
                snprintf(path, sizeof(path), "%s/%s-dump", argv[1], name);
                dump(NETLINK_NETFILTER, nlh, path);
        }
        return 0;
}
