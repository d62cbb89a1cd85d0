#include "nftest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static char prefix[32];
static int orig_ns = -1;
static volatile sig_atomic_t child_pid;

const char *nftest_ns(const char *name) {
        static GHashTable *names;
        char *n;

        if (!names)
                names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        n = g_hash_table_lookup(names, name);
        if (!n) {
                n = g_strdup_printf("%s%s", prefix, name);
                g_hash_table_insert(names, g_strdup(name), n);
        }
        return n;
}

/* Replaces every "@X" (X: letters, digits) with nftest_ns("X"). */
static char *expand(const char *cmd) {
        GString *s = g_string_new(NULL);

        for (const char *p = cmd; *p; p++) {
                if (*p == '@' && g_ascii_isalnum(p[1])) {
                        const char *q = p + 1;
                        while (g_ascii_isalnum(*q))
                                q++;
                        char *name = g_strndup(p + 1, (gsize) (q - p - 1));
                        g_string_append(s, nftest_ns(name));
                        g_free(name);
                        p = q - 1;
                } else
                        g_string_append_c(s, *p);
        }
        return g_string_free(s, FALSE);
}

static int run(bool may_fail, char **out, const char *fmt, va_list ap) {
        char *raw = g_strdup_vprintf(fmt, ap), *cmd = expand(raw), *err = NULL;
        char *argv[] = { "/bin/sh", "-c", cmd, NULL };
        GError *error = NULL;
        int status = 0;

        g_free(raw);
        if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err, &status, &error))
                g_error("Cannot run %s: %s", cmd, error->message);
        if (!may_fail && !g_spawn_check_wait_status(status, NULL))
                g_error("Command failed: %s\n%s", cmd, err ? err : "");
        g_free(err);
        g_free(cmd);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int nftest_sh(bool may_fail, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = run(may_fail, NULL, fmt, ap);
        va_end(ap);
        return r;
}

char *nftest_sh_out(const char *fmt, ...) {
        char *out = NULL;
        va_list ap;

        va_start(ap, fmt);
        run(false, &out, fmt, ap);
        va_end(ap);
        return out;
}

void nftest_ns_add(const char *name) {
        nftest_sh(false, "ip netns add %s && ip -n %s link set lo up", nftest_ns(name), nftest_ns(name));
}

void nftest_enter(const char *name) {
        int fd;

        if (!name || !*name) {
                g_assert_cmpint(setns(orig_ns, CLONE_NEWNET), ==, 0);
                return;
        }
        char *path = g_strdup_printf("/run/netns/%s", nftest_ns(name));
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                g_error("Cannot open %s: %s", path, g_strerror(errno));
        g_assert_cmpint(setns(fd, CLONE_NEWNET), ==, 0);
        close(fd);
        g_free(path);
}

void nftest_veth(const char *a, const char *ifa, const char *b, const char *ifb) {
        nftest_sh(false, "ip -n %s link add %s type veth peer name %s netns %s && "
                         "ip -n %s link set %s up && ip -n %s link set %s up",
                  nftest_ns(a), ifa, ifb, nftest_ns(b), nftest_ns(a), ifa, nftest_ns(b), ifb);
}

gint64 nftest_deadline(int ms) {
        return g_get_monotonic_time() + (gint64) ms * 1000;
}

int nftest_left_ms(gint64 deadline) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        return left > 0 ? (int) left : 0;
}

short nftest_poll(int fd, short events, gint64 deadline) {
        for (;;) {
                struct pollfd p = { .fd = fd, .events = events };
                int r = poll(&p, 1, nftest_left_ms(deadline));

                if (r < 0 && errno == EINTR)
                        continue;
                g_assert_cmpint(r, >=, 0);
                return r == 0 ? 0 : p.revents;
        }
}

static void forward_signal(int sig) {
        if (child_pid > 0)
                kill(child_pid, SIGKILL);
}

/* Deletes every namespace of this run; runs in the parent whatever the child did. */
static void cleanup(void) {
        DIR *d = opendir("/run/netns");
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (g_str_has_prefix(de->d_name, prefix)) {
                        char *cmd = g_strdup_printf("ip netns del %s", de->d_name);
                        if (system(cmd) != 0)
                                fprintf(stderr, "cleanup: %s failed\n", cmd);
                        g_free(cmd);
                }
        closedir(d);
}

int nftest_main(int argc, char **argv, void (*add_tests)(void)) {
        struct sigaction sa = { .sa_handler = forward_signal };
        int status;
        pid_t pid;

        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: %s needs root (network namespaces, nftables, raw sockets)\n",
                        argv[0]);
                return 77;
        }
        if (access("/sbin/ip", X_OK) != 0 && access("/usr/sbin/ip", X_OK) != 0 &&
            access("/bin/ip", X_OK) != 0) {
                fprintf(stderr, "SKIP: %s needs the ip command (iproute2) to set up namespaces\n", argv[0]);
                return 77;
        }
        snprintf(prefix, sizeof(prefix), "nft%d-", (int) getpid());
        g_test_init(&argc, &argv, NULL);
        add_tests();

        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        fflush(NULL);
        pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
                g_assert_cmpint(orig_ns, >=, 0);
                _exit(g_test_run());
        }
        child_pid = pid;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        cleanup();
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        fprintf(stderr, "%s: tests killed by signal %d\n", argv[0], WTERMSIG(status));
        return 1;
}

static socklen_t make_sockaddr(const char *addr, uint16_t port, struct sockaddr_storage *ss) {
        memset(ss, 0, sizeof(*ss));
        if (strchr(addr, ':')) {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(port);
                g_assert_cmpint(inet_pton(AF_INET6, addr, &s6->sin6_addr), ==, 1);
                return sizeof(*s6);
        }
        struct sockaddr_in *s4 = (struct sockaddr_in *) ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        g_assert_cmpint(inet_pton(AF_INET, addr, &s4->sin_addr), ==, 1);
        return sizeof(*s4);
}

void nftest_tcp_pair(const char *cns, const char *sns, const char *server, uint16_t port, int *ret_client,
                     int *ret_server) {
        struct sockaddr_storage ss;
        socklen_t len = make_sockaddr(server, port, &ss);
        gint64 deadline = nftest_deadline(5000);
        int one = 1, l, c, s, err = 0;
        socklen_t elen = sizeof(err);

        nftest_enter(sns);
        l = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        g_assert_cmpint(l, >=, 0);
        g_assert_cmpint(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), ==, 0);
        g_assert_cmpint(bind(l, (struct sockaddr *) &ss, len), ==, 0);
        g_assert_cmpint(listen(l, 4), ==, 0);
        nftest_enter(cns);
        c = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        g_assert_cmpint(c, >=, 0);
        g_assert_true(connect(c, (struct sockaddr *) &ss, len) == 0 || errno == EINPROGRESS);
        nftest_enter(NULL);
        g_assert_cmpint(nftest_poll(c, POLLOUT, deadline) & POLLOUT, !=, 0);
        g_assert_cmpint(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen), ==, 0);
        g_assert_cmpint(err, ==, 0);
        g_assert_cmpint(nftest_poll(l, POLLIN, deadline) & POLLIN, !=, 0);
        s = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        g_assert_cmpint(s, >=, 0);
        close(l);
        *ret_client = c;
        *ret_server = s;
}

int nftest_wait_error(int fd, bool send_first, int timeout_ms) {
        gint64 deadline = nftest_deadline(timeout_ms);
        char b = 'x';

        if (send_first && send(fd, &b, 1, MSG_NOSIGNAL) < 0)
                return errno;
        while (nftest_left_ms(deadline) > 0) {
                short ev = nftest_poll(fd, POLLIN, deadline);
                if (ev == 0)
                        break;
                if (ev & (POLLERR | POLLHUP | POLLIN)) {
                        int err = 0;
                        socklen_t len = sizeof(err);
                        g_assert_cmpint(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), ==, 0);
                        if (err)
                                return err;
                        if (recv(fd, &b, 1, MSG_DONTWAIT) < 0 && errno != EAGAIN)
                                return errno;
                }
        }
        return 0;
}

void nftest_tcp_roundtrip(int a, int b) {
        gint64 deadline = nftest_deadline(5000);
        char x = 'p', y = 0;

        g_assert_cmpint(send(a, &x, 1, MSG_NOSIGNAL), ==, 1);
        g_assert_cmpint(nftest_poll(b, POLLIN, deadline) & POLLIN, !=, 0);
        g_assert_cmpint(recv(b, &y, 1, 0), ==, 1);
        g_assert_cmpint(y, ==, 'p');
}
