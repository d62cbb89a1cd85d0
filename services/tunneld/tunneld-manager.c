/* The tunnel daemon's state and message routing; see tunneld-manager.h. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "talloc-util.h"
#include "tunneld-bus.h"
#include "tunneld-hmac.h"
#include "tunneld-link.h"
#include "tunneld-local.h"
#include "tunneld-manager.h"

static int tunneld_manager_destructor(struct tunneld_manager *m) {
        sd_event_source_disable_unref(m->heartbeat_timer);
        sd_event_source_disable_unref(m->listen_source);
        if (m->listen_fd >= 0)
                close(m->listen_fd);
        m->polkit_registry = polkit_registry_free(m->polkit_registry);
        if (m->psk)
                explicit_bzero(m->psk, m->psk_len);
        return 0;
}

/* Loads the pre-shared key file into the manager; logs what it fails on. */
static int tunneld_manager_load_psk(struct tunneld_manager *m, const char *path) {
        bool world_readable = false;
        uint8_t *key;
        size_t len;
        int r;

        r = hmac_key_load(m, path, &key, &len, &world_readable);
        if (r < 0)
                return log_error_errno(r, "Failed to read the pre-shared key file %s: %m", path);
        if (world_readable)
                log_warning("Pre-shared key file %s is readable by others than its owner.", path);
        r = tunneld_manager_set_psk(m, key, len);
        explicit_bzero(key, len);
        talloc_free(key);
        if (r < 0)
                return log_oom();
        return 0;
}

int tunneld_manager_new(void *mem_ctx, sd_event *event, struct ctdb_config *config, struct ctdb_nodes *nodes,
                        const char *nodes_path, struct tunneld_manager **ret) {
        struct tunneld_manager *m;
        uint32_t pnn;
        int r;

        r = tunneld_manager_find_pnn(nodes, config->node_address, &pnn);
        if (r < 0 && config->node_address)
                return log_error_errno(r, "Node address %s is not in the nodes file: %m",
                                       config->node_address);
        if (r < 0)
                return log_error_errno(r,
                                       "None of the nodes addresses can be bound on this host "
                                       "(set [cluster] node address): %m");

        m = talloc_zero(mem_ctx, struct tunneld_manager);
        if (!m)
                return log_oom();
        m->listen_fd = -1;
        m->event = event;
        m->config = talloc_steal(m, config);
        m->nodes = talloc_steal(m, nodes);
        m->pnn = pnn;
        talloc_set_destructor(m, tunneld_manager_destructor);

        if (nodes_path) {
                m->nodes_path = talloc_strdup(m, nodes_path);
                if (!m->nodes_path)
                        goto oom;
        }
        m->links = talloc_zero_array(m, struct link *, nodes->n_nodes);
        if (!m->links)
                goto oom;
        for (uint32_t i = 0; i < nodes->n_nodes; i++) {
                if (i == pnn || nodes->nodes[i].deleted)
                        continue;
                r = link_new(m, i, &m->links[i]);
                if (r < 0)
                        goto oom; /* link_new() fails only for memory */
        }
        if (config->psk_file) {
                r = tunneld_manager_load_psk(m, config->psk_file);
                if (r < 0) {
                        talloc_free(m);
                        return r;
                }
        }
        *ret = m;
        return 0;

oom:
        talloc_free(m);
        return log_oom();
}

int tunneld_manager_set_psk(struct tunneld_manager *m, const uint8_t *key, size_t len) {
        uint8_t *p = talloc_memdup(m, key, len);

        if (!p)
                return -ENOMEM;
        m->psk = p;
        m->psk_len = len;
        return 0;
}

int tunneld_manager_reload_nodes(struct tunneld_manager *m, sd_bus_error *error) {
        _cleanup_talloc_ void *tmp = talloc_new(NULL);
        struct ctdb_nodes *next = NULL, *cur = m->nodes;
        struct link **links;
        char *err = NULL, why[256];
        uint32_t changes = 0;
        bool *in_use;
        int r;

        if (!tmp)
                return -ENOMEM;
        if (!m->nodes_path)
                return sd_bus_error_set(error, CTDB_ERROR_NOT_SUPPORTED, "No nodes file to reload");
        r = ctdb_nodes_load(tmp, m->nodes_path, &next, &err);
        if (r < 0)
                return sd_bus_error_setf(error, CTDB_ERROR_INVALID_ARGS, "Failed to read %s: %s",
                                         m->nodes_path, err ? err : strerror(-r));
        in_use = talloc_zero_array(tmp, bool, cur->n_nodes);
        if (!in_use)
                return -ENOMEM;
        for (uint32_t i = 0; i < cur->n_nodes; i++)
                in_use[i] = i == m->pnn || (m->links[i] && m->links[i]->up);
        r = ctdb_nodes_check_reload(cur, next, in_use, why, sizeof(why));
        if (r < 0)
                return sd_bus_error_setf(error, r == -EBUSY ? CTDB_ERROR_BUSY : CTDB_ERROR_NOT_SUPPORTED,
                                         "Cannot reload %s: %s", m->nodes_path, why);

        links = talloc_realloc(m, m->links, struct link *, next->n_nodes);
        if (!links)
                return -ENOMEM;
        for (uint32_t i = cur->n_nodes; i < next->n_nodes; i++)
                links[i] = NULL;
        m->links = links;
        /* From here on the new table is the one: kept links take their address from it. */
        m->nodes = talloc_steal(m, next);
        for (uint32_t i = 0; i < next->n_nodes; i++) {
                const struct ctdb_node_entry *e = &next->nodes[i];

                if (i < cur->n_nodes && links[i] && e->deleted) {
                        log_notice("Node %" PRIu32 " (%s) deleted", i, links[i]->address);
                        link_free(links[i]);
                        links[i] = NULL;
                        changes++;
                } else if (links[i]) {
                        links[i]->address = e->address;
                } else if (i >= cur->n_nodes && !e->deleted) {
                        r = link_new(m, i, &links[i]);
                        if (r < 0)
                                return r; /* out of memory: this node stays without a link */
                        log_notice("Node %" PRIu32 " added: %s", i, e->address);
                        (void) link_start(links[i]);
                        changes++;
                }
        }
        talloc_free(cur);

        if (changes == 0)
                log_info("Reloaded %s: no changes", m->nodes_path);
        else
                log_notice("Reloaded %s: %" PRIu32 " change(s)", m->nodes_path, changes);
        if (m->bus)
                tunneld_bus_property_changed(m, "Links");
        return 0;
}

int tunneld_manager_reload(struct tunneld_manager *m, const struct ctdb_config *config, sd_bus_error *error) {
        int r = tunneld_manager_reload_nodes(m, error);

        if (r < 0)
                return r;
        if (m->config->heartbeat_interval_ms != config->heartbeat_interval_ms ||
            m->config->heartbeat_timeout_ms != config->heartbeat_timeout_ms)
                log_notice("Heartbeats every %" PRIu32 " ms, timeout %" PRIu32 " ms",
                           config->heartbeat_interval_ms, config->heartbeat_timeout_ms);
        m->config->heartbeat_interval_ms = config->heartbeat_interval_ms;
        m->config->heartbeat_timeout_ms = config->heartbeat_timeout_ms;
        return 0;
}

struct link *tunneld_manager_get_link(struct tunneld_manager *m, uint32_t pnn) {
        if (pnn >= m->nodes->n_nodes)
                return NULL;
        return m->links[pnn];
}

/* As CTDB does: this node is the one whose address we can bind to. */
static bool address_is_local(const struct sockaddr_storage *sa, socklen_t len) {
        int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok;

        if (fd < 0)
                return false;
        ok = bind(fd, (const struct sockaddr *) sa, len) == 0;
        close(fd);
        return ok;
}

int tunneld_manager_find_pnn(const struct ctdb_nodes *nodes, const char *node_address, uint32_t *ret_pnn) {
        if (node_address) {
                struct sockaddr_storage sa;
                struct ctdb_ip ip;
                socklen_t len;
                int r = ctdb_ip_from_string(node_address, 0, &ip);
                if (r < 0)
                        return r;
                len = ctdb_ip_to_sockaddr(&ip, 0, &sa);
                r = ctdb_nodes_find(nodes, (const struct sockaddr *) &sa, len);
                if (r < 0)
                        return -EADDRNOTAVAIL;
                *ret_pnn = (uint32_t) r;
                return 0;
        }
        for (uint32_t i = 0; i < nodes->n_nodes; i++) {
                const struct ctdb_node_entry *n = &nodes->nodes[i];
                if (n->deleted)
                        continue;
                if (address_is_local(&n->sa, n->sa_len)) {
                        *ret_pnn = i;
                        return 0;
                }
        }
        return -EADDRNOTAVAIL;
}

static int listen_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct tunneld_manager *m = userdata;

        /* Bounded, so a connection flood cannot starve the links. */
        for (unsigned i = 0; i < 16; i++) {
                struct sockaddr_storage sa;
                socklen_t len = sizeof(sa);
                int cfd = accept4(fd, (struct sockaddr *) &sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

                if (cfd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warning_errno(errno, "Failed to accept a peer connection: %m");
                        break;
                }
                link_accept(m, cfd, (const struct sockaddr *) &sa, len);
        }
        return 0;
}

static int tunneld_manager_listen(struct tunneld_manager *m) {
        const struct ctdb_node_entry *self = &m->nodes->nodes[m->pnn];
        struct sockaddr_storage sa;
        int fd, r, one = 1;

        memcpy(&sa, &self->sa, self->sa_len);
        if (sa.ss_family == AF_INET6)
                ((struct sockaddr_in6 *) &sa)->sin6_port = htons(m->config->tunnel_port);
        else
                ((struct sockaddr_in *) &sa)->sin_port = htons(m->config->tunnel_port);

        fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create the tunnel socket: %m");
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (const struct sockaddr *) &sa, self->sa_len) < 0) {
                r = -errno;
                close(fd);
                return log_error_errno(r, "Failed to bind the tunnel socket to %s port %u: %m",
                                       self->address, m->config->tunnel_port);
        }
        if (listen(fd, 64) < 0) {
                r = -errno;
                close(fd);
                return log_error_errno(r, "Failed to listen on %s port %u: %m", self->address,
                                       m->config->tunnel_port);
        }
        m->listen_fd = fd;
        r = sd_event_add_io(m->event, &m->listen_source, fd, EPOLLIN, listen_io, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the tunnel socket: %m");
        return 0;
}

int tunneld_manager_start(struct tunneld_manager *m) {
        char *path;
        int r;

        r = tunneld_manager_listen(m);
        if (r < 0)
                return r;

        path = talloc_asprintf(m, "%s/tunnel.sock", m->config->run_dir ? m->config->run_dir : CTDB_RUN_DIR);
        if (!path)
                return log_oom();
        r = tunneld_local_new(m, path, &m->local);
        if (r < 0)
                return log_error_errno(r, "Failed to open the local socket %s: %m", path);

        for (uint32_t i = 0; i < m->nodes->n_nodes; i++)
                if (m->links[i])
                        (void) link_start(m->links[i]);
        log_info("Node %u (%s), %u node slots, tunnel port %u%s.", m->pnn, m->nodes->nodes[m->pnn].address,
                 m->nodes->n_nodes, m->config->tunnel_port, m->psk ? ", pre-shared key" : "");
        return 0;
}

void tunneld_manager_deliver_local(struct tunneld_manager *m, const struct wire_header *h,
                                   const uint8_t *payload, size_t payload_len) {
        if (m->local)
                tunneld_local_deliver(m->local, h, payload, payload_len);
        if (m->bus)
                tunneld_bus_deliver(m, h, payload, payload_len);
}

int tunneld_manager_send_message(struct tunneld_manager *m, const struct wire_header *h,
                                 const uint8_t *payload, size_t payload_len) {
        struct wire_header fwd = *h;
        struct link *l;

        if (h->dst == CTDB_PNN_ALL) {
                /* Best effort to every connected node, as CTDB's broadcast: one full queue
                 * fails nobody else. */
                for (uint32_t i = 0; i < m->nodes->n_nodes; i++) {
                        l = m->links[i];
                        if (!l || !l->up)
                                continue;
                        fwd = *h;
                        (void) link_send(l, &fwd, payload, payload_len);
                }
                return 0;
        }
        if (h->dst == m->pnn) {
                tunneld_manager_deliver_local(m, h, payload, payload_len);
                return 0;
        }
        l = tunneld_manager_get_link(m, h->dst);
        if (!l)
                return -ENOENT;
        return link_send(l, &fwd, payload, payload_len);
}

void tunneld_manager_hello(struct tunneld_manager *m, struct wire_hello *ret) {
        *ret = (struct wire_hello){
                .magic = WIRE_MAGIC,
                .major = WIRE_VERSION_MAJOR,
                .minor = WIRE_VERSION_MINOR,
                .pnn = m->pnn,
                .n_nodes = m->nodes->n_nodes,
        };
}

void tunneld_manager_uncork(struct tunneld_manager *m) {
        if (m->cork > 0)
                return;
        for (uint32_t i = 0; i < m->nodes->n_nodes; i++)
                if (m->links[i])
                        link_flush(m->links[i]);
}

void tunneld_manager_link_changed(struct tunneld_manager *m, struct link *l, bool up) {
        if (m->local)
                tunneld_local_link_changed(m->local, l->pnn, up);
        if (m->bus)
                tunneld_bus_link_changed(m, l->pnn, up);
}

void tunneld_manager_count_bad_frame(struct tunneld_manager *m) {
        m->bad_frames++;
        if (m->bus)
                tunneld_bus_property_changed(m, "BadFrames");
}

void tunneld_manager_count_rejected_peer(struct tunneld_manager *m) {
        m->rejected_peers++;
        if (m->bus)
                tunneld_bus_property_changed(m, "RejectedPeers");
}

bool tunneld_manager_reject_log_allowed(struct tunneld_manager *m) {
        uint64_t now = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (now >= m->reject_log_window_usec + MANAGER_REJECT_LOG_INTERVAL_USEC) {
                if (m->reject_log_suppressed > 0)
                        log_warning("%u more refused peer connections were not logged.",
                                    m->reject_log_suppressed);
                m->reject_log_window_usec = now;
                m->reject_log_count = 0;
                m->reject_log_suppressed = 0;
        }
        if (m->reject_log_count < MANAGER_REJECT_LOG_BURST) {
                m->reject_log_count++;
                return true;
        }
        m->reject_log_suppressed++;
        return false;
}
