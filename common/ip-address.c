#include "ip-address.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

unsigned ctdb_ip_family_bits(int family) {
        return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

size_t ctdb_ip_len(const struct ctdb_ip *a) {
        return ctdb_ip_family_bits(a->family) / 8;
}

/* Completes a freshly read address: full prefix, and CTDB_IP_MAP_V4 applied. */
static int ctdb_ip_done(struct ctdb_ip *a, unsigned flags, struct ctdb_ip *ret) {
        a->prefixlen = ctdb_ip_family_bits(a->family);
        if ((flags & CTDB_IP_MAP_V4) && ctdb_ip_is_v4_mapped(a)) {
                struct in_addr v4;

                memcpy(&v4, &a->u.in6.s6_addr[12], sizeof(v4));
                *a = (struct ctdb_ip) { .family = AF_INET, .u.in = v4, .prefixlen = 32 };
        }
        *ret = *a;
        return 0;
}

int ctdb_ip_from_string(const char *s, unsigned flags, struct ctdb_ip *ret) {
        struct ctdb_ip a = {};

        /* inet_pton() takes the whole string: blanks, a port or a scope make it fail. */
        if (inet_pton(AF_INET, s, &a.u.in) == 1)
                a.family = AF_INET;
        else if (inet_pton(AF_INET6, s, &a.u.in6) == 1)
                a.family = AF_INET6;
        else
                return -EINVAL;
        return ctdb_ip_done(&a, flags, ret);
}

int ctdb_ip_prefixlen_from_string(const char *s, int family, unsigned *ret) {
        unsigned max = ctdb_ip_family_bits(family), v = 0;

        if (max == 0)
                return -EAFNOSUPPORT;
        if (!*s)
                return -EINVAL;
        /* Leading zeros are fine; v stops growing past max, so any number of digits is safe. */
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                if (v <= max)
                        v = v * 10 + (unsigned) (*s - '0');
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int ctdb_ip_prefix_from_string(const char *s, struct ctdb_ip *ret, bool *ret_prefix_given) {
        char buf[INET6_ADDRSTRLEN];
        const char *slash;
        struct ctdb_ip a;
        size_t n;

        if (!s)
                return -EINVAL;
        /* The last '/': an address has none, so "a/b/24" is a bad address, not a bad prefix. */
        slash = strrchr(s, '/');
        n = slash ? (size_t) (slash - s) : strlen(s);
        if (n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (ctdb_ip_from_string(buf, 0, &a) < 0)
                return -EINVAL;
        if (slash && ctdb_ip_prefixlen_from_string(slash + 1, a.family, &a.prefixlen) < 0)
                return -EINVAL;
        if (ret_prefix_given)
                *ret_prefix_given = slash != NULL;
        *ret = a;
        return 0;
}

const char *ctdb_ip_to_string(const struct ctdb_ip *a, bool with_prefix, char *buf, size_t len) {
        char tmp[INET6_ADDRSTRLEN];

        if (!inet_ntop(a->family, a->u.bytes, tmp, sizeof(tmp)))
                snprintf(tmp, sizeof(tmp), "(family %d)", a->family);
        if (with_prefix)
                snprintf(buf, len, "%s/%u", tmp, a->prefixlen);
        else
                snprintf(buf, len, "%s", tmp);
        return buf;
}

bool ctdb_ip_equal(const struct ctdb_ip *a, const struct ctdb_ip *b) {
        return ctdb_ip_compare(a, b) == 0;
}

int ctdb_ip_compare(const struct ctdb_ip *a, const struct ctdb_ip *b) {
        if (a->family != b->family)
                return a->family < b->family ? -1 : 1;
        return memcmp(a->u.bytes, b->u.bytes, ctdb_ip_len(a));
}

bool ctdb_ip_is_unspecified(const struct ctdb_ip *a) {
        if (a->family == AF_INET)
                return a->u.in.s_addr == htonl(INADDR_ANY);
        return a->family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&a->u.in6);
}

bool ctdb_ip_is_v4_mapped(const struct ctdb_ip *a) {
        return a->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a->u.in6);
}

socklen_t ctdb_ip_to_sockaddr(const struct ctdb_ip *a, uint16_t port, struct sockaddr_storage *ret) {
        memset(ret, 0, sizeof(*ret));
        if (a->family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *) ret;
                sin->sin_family = AF_INET;
                sin->sin_port = htons(port);
                sin->sin_addr = a->u.in;
                return sizeof(*sin);
        }
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ret;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        sin6->sin6_addr = a->u.in6;
        return sizeof(*sin6);
}

int ctdb_ip_from_sockaddr(const struct sockaddr *sa, socklen_t len, unsigned flags, struct ctdb_ip *ret) {
        struct ctdb_ip a = {};

        if (sa->sa_family == AF_INET && len >= (socklen_t) sizeof(struct sockaddr_in))
                a = (struct ctdb_ip) { .family = AF_INET,
                                       .u.in = ((const struct sockaddr_in *) sa)->sin_addr };
        else if (sa->sa_family == AF_INET6 && len >= (socklen_t) sizeof(struct sockaddr_in6))
                a = (struct ctdb_ip) { .family = AF_INET6,
                                       .u.in6 = ((const struct sockaddr_in6 *) sa)->sin6_addr };
        else
                return -EAFNOSUPPORT;
        return ctdb_ip_done(&a, flags, ret);
}
