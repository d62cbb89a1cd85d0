/* Nodes of a test cluster: configuration and daemons (see testnode.h). */

#include "testnode.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>

#define TUNNELD_NAME "org.ctdb.tunnel1"
#define CLUSTERD_NAME "org.ctdb.cluster1"
#define DBD_NAME "org.ctdb.db1"
#define START_TIMEOUT_MS 10000
/* valgrind and friends start a daemon several times slower. */
#define WRAPPED_START_TIMEOUT_MS 60000
#define PICK_PORT_TRIES 100

static gboolean port_free(const char *address, unsigned port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        int fd, one = 1;
        gboolean ok;

        g_assert_cmpint(inet_pton(AF_INET, address, &sa.sin_addr), ==, 1);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        g_assert_cmpint(fd, >=, 0);
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        ok = bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
        close(fd);
        return ok;
}

unsigned test_pick_port(const char *const *addresses) {
        for (unsigned tries = 0; tries < PICK_PORT_TRIES; tries++) {
                unsigned port = (unsigned) g_random_int_range(20000, 60000);
                gboolean ok = TRUE;

                for (size_t i = 0; ok && addresses[i]; i++)
                        ok = port_free(addresses[i], port);
                if (ok)
                        return port;
        }
        g_error("testnode: no free tunnel port found in %d tries", PICK_PORT_TRIES);
}

TestNode *test_node_new(TestBus *bus, const TestNodeConfig *config) {
        static const TestNodeConfig defaults = { 0 };
        static const char *const loopback[] = { "127.0.0.1", NULL };
        const TestNodeConfig *c = config ? config : &defaults;
        TestNode *n = g_new0(TestNode, 1);
        g_autoptr(GString) conf = g_string_new("[cluster]\n");
        g_autofree char *nodes = NULL, *ctdb_conf = NULL, *run_dir = NULL;

        n->bus = bus;
        n->port = c->port ? c->port : test_pick_port(loopback);
        nodes = test_write_file(bus, "etc/nodes", c->nodes ? c->nodes : "127.0.0.1\n");
        n->config_dir = g_path_get_dirname(nodes);
        run_dir = g_build_filename(bus->dir, "run", NULL);
        /* As tunneld would make it; clusterd may start first and looks for tunnel.sock here. */
        g_assert_cmpint(g_mkdir_with_parents(run_dir, 0755), ==, 0);
        n->socket = g_build_filename(run_dir, "tunnel.sock", NULL);

        if (c->address)
                g_string_append_printf(conf, "node address = %s\n", c->address);
        g_string_append_printf(conf, "tunnel port = %u\n", n->port);
        if (c->heartbeat_interval_ms)
                g_string_append_printf(conf, "heartbeat interval = %u\n", c->heartbeat_interval_ms);
        if (c->heartbeat_timeout_ms)
                g_string_append_printf(conf, "heartbeat timeout = %u\n", c->heartbeat_timeout_ms);
        if (c->psk) {
                g_autofree char *key_path = test_write_file(bus, "etc/psk", c->psk);

                /* tunneld refuses a key file that others may read. */
                g_assert_cmpint(g_chmod(key_path, 0600), ==, 0);
                g_string_append_printf(conf, "pre-shared key file = %s\n", key_path);
        }
        n->volatile_dir = g_build_filename(bus->dir, "volatile", NULL);
        g_string_append_printf(conf,
                               "[paths]\n"
                               "runtime directory = %s\n"
                               "state directory = %s/state\n"
                               "[database]\n"
                               "volatile database directory = %s\n",
                               run_dir, bus->dir, n->volatile_dir);
        ctdb_conf = test_write_file(bus, "etc/ctdb.conf", conf->str);
        return n;
}

void test_node_free(TestNode *n) {
        if (!n)
                return;
        test_node_stop_dbd(n);
        test_node_stop_clusterd(n);
        test_node_stop_tunneld(n);
        g_free(n->volatile_dir);
        g_free(n->config_dir);
        g_free(n->socket);
        g_free(n);
}

void test_node_write_nodes(TestNode *n, const char *text) {
        g_autofree char *path = test_write_file(n->bus, "etc/nodes", text);
}

/* argv of a daemon with the node's options, behind the words of wrapper (if any). */
static GPtrArray *daemon_argv(TestNode *n, const char *binary, const char *wrapper) {
        GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) words = g_strsplit(wrapper ? wrapper : "", " ", -1);
        const char *args[] = { "--config-dir", n->config_dir, "--bus-address", n->bus->address,
                               "--foreground", "--log-level", "info", NULL };

        for (size_t i = 0; words[i]; i++)
                if (*words[i])
                        g_ptr_array_add(argv,
                                        i == 0 ? g_find_program_in_path(words[i]) : g_strdup(words[i]));
        /* Behind a wrapper the binary is the wrapper's argument: an absolute path then. */
        g_ptr_array_add(argv, argv->len ? test_build_path(binary) : g_strdup(binary));
        for (size_t i = 0; args[i]; i++)
                g_ptr_array_add(argv, g_strdup(args[i]));
        g_ptr_array_add(argv, NULL);
        return argv;
}

void test_node_start_tunneld(TestNode *n) {
        g_autoptr(GPtrArray) argv = daemon_argv(n, "services/tunneld/ctdb-tunneld", NULL);

        g_assert_cmpint(n->tunneld, ==, 0);
        /* READY=1, not the name: tunneld owns its name before it binds tunnel.sock and its port. */
        n->tunneld = test_spawn_daemon_ready(n->bus, (const char *const *) argv->pdata, TUNNELD_NAME,
                                             START_TIMEOUT_MS);
}

void test_node_start_clusterd(TestNode *n) {
        const char *wrapper = g_getenv("CTDB_TEST_CLUSTERD_WRAPPER");
        g_autoptr(GPtrArray) argv = daemon_argv(n, "services/clusterd/ctdb-clusterd", wrapper);

        g_assert_cmpint(n->clusterd, ==, 0);
        n->clusterd = test_spawn_daemon(n->bus, (const char *const *) argv->pdata, CLUSTERD_NAME,
                                        wrapper ? WRAPPED_START_TIMEOUT_MS : START_TIMEOUT_MS);
}

void test_node_start_dbd(TestNode *n) {
        g_autoptr(GPtrArray) argv = daemon_argv(n, "db/ctdb-dbd", NULL);

        g_assert_cmpint(n->dbd, ==, 0);
        n->dbd = test_spawn_daemon_ready(n->bus, (const char *const *) argv->pdata, DBD_NAME,
                                         START_TIMEOUT_MS);
}

void test_node_stop_tunneld(TestNode *n) {
        test_stop_daemon(n->tunneld);
        n->tunneld = 0;
}

void test_node_stop_clusterd(TestNode *n) {
        test_stop_daemon(n->clusterd);
        n->clusterd = 0;
}

void test_node_stop_dbd(TestNode *n) {
        test_stop_daemon(n->dbd);
        n->dbd = 0;
}

/* ---- introspection against the XML in bus/ ----------------------------------------- */

static const char *emits_changed(GDBusPropertyInfo *p) {
        const char *v = g_dbus_annotation_info_lookup(p->annotations,
                                                      "org.freedesktop.DBus.Property.EmitsChangedSignal");

        return v ? v : "true";
}

static char *args_signature(GDBusArgInfo **args) {
        GString *s = g_string_new(NULL);

        for (size_t i = 0; args && args[i]; i++)
                g_string_append(s, args[i]->signature);
        return g_string_free(s, FALSE);
}

static void compare_methods(GDBusInterfaceInfo *want, GDBusInterfaceInfo *got) {
        for (size_t n = 0; want->methods && want->methods[n]; n++) {
                GDBusMethodInfo *w = want->methods[n];
                GDBusMethodInfo *g = g_dbus_interface_info_lookup_method(got, w->name);
                g_autofree char *wi = args_signature(w->in_args), *gi = NULL,
                                *wo = args_signature(w->out_args), *go = NULL;

                g_test_message("method %s.%s", want->name, w->name);
                g_assert_nonnull(g);
                gi = args_signature(g->in_args);
                go = args_signature(g->out_args);
                g_assert_cmpstr(wi, ==, gi);
                g_assert_cmpstr(wo, ==, go);
                for (size_t a = 0; w->in_args && w->in_args[a]; a++)
                        g_assert_cmpstr(w->in_args[a]->name, ==, g->in_args[a]->name);
                for (size_t a = 0; w->out_args && w->out_args[a]; a++)
                        g_assert_cmpstr(w->out_args[a]->name, ==, g->out_args[a]->name);
        }
        for (size_t k = 0; got->methods && got->methods[k]; k++)
                g_assert_nonnull(g_dbus_interface_info_lookup_method(want, got->methods[k]->name));
}

static void compare_interface(GDBusInterfaceInfo *want, GDBusInterfaceInfo *got) {
        g_assert_nonnull(want);
        g_assert_nonnull(got);
        compare_methods(want, got);
        for (size_t k = 0; want->signals && want->signals[k]; k++) {
                GDBusSignalInfo *g = g_dbus_interface_info_lookup_signal(got, want->signals[k]->name);
                g_autofree char *ws = args_signature(want->signals[k]->args), *gs = NULL;

                g_assert_nonnull(g);
                gs = args_signature(g->args);
                g_assert_cmpstr(ws, ==, gs);
        }
        for (size_t k = 0; got->signals && got->signals[k]; k++)
                g_assert_nonnull(g_dbus_interface_info_lookup_signal(want, got->signals[k]->name));
        for (size_t k = 0; want->properties && want->properties[k]; k++) {
                GDBusPropertyInfo *w = want->properties[k];
                GDBusPropertyInfo *g = g_dbus_interface_info_lookup_property(got, w->name);

                g_test_message("property %s.%s", want->name, w->name);
                g_assert_nonnull(g);
                g_assert_cmpstr(w->signature, ==, g->signature);
                g_assert_cmpint(w->flags, ==, g->flags);
                g_assert_cmpstr(emits_changed(w), ==, emits_changed(g));
        }
        for (size_t k = 0; got->properties && got->properties[k]; k++)
                g_assert_nonnull(g_dbus_interface_info_lookup_property(want, got->properties[k]->name));
}

void test_check_introspection(TestBus *bus, const char *bus_name, const char *xml_file, const char *path,
                              const char *iface) {
        g_autoptr(GError) error = NULL;
        g_autofree char *xml_path = NULL, *xml = NULL;
        g_autoptr(GDBusNodeInfo) want = NULL, got = NULL;
        g_autoptr(GVariant) reply = NULL;
        const char *introspected;
        const char *src = g_getenv("CTDB_SOURCE_DIR");

        g_assert_nonnull(src);
        xml_path = g_build_filename(src, "bus", xml_file, NULL);
        g_assert_true(g_file_get_contents(xml_path, &xml, NULL, &error));
        want = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);

        reply = g_dbus_connection_call_sync(bus->conn, bus_name, path, "org.freedesktop.DBus.Introspectable",
                                            "Introspect", NULL, G_VARIANT_TYPE("(s)"),
                                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_variant_get(reply, "(&s)", &introspected);
        got = g_dbus_node_info_new_for_xml(introspected, &error);
        g_assert_no_error(error);
        compare_interface(g_dbus_node_info_lookup_interface(want, iface),
                          g_dbus_node_info_lookup_interface(got, iface));
}
