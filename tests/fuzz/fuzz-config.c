/*
 * Feeds the same bytes to all three configuration parsers (nodes,
 * public_addresses, ctdb.conf) and checks their contract: a result or an
 * error message naming the file, and nothing left behind on mem_ctx. Each
 * line also goes to the address parsers of common/ip-address.h, which must
 * give back what they read.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>

/* Relative: "config.h" alone may find the build's generated config.h first. */
#include "../../common/config.h"
#include "../../common/ip-address.h"
#include "fuzz.h"

/* An error is "NAME:..." and only it may stay on ctx. */
static void check_result(void *ctx, int r, const void *result, const char *error) {
        if (r == 0) {
                CHECK(result);
                CHECK(!error);
                return;
        }
        CHECK(!result);
        CHECK(r == -EINVAL || r == -ENOMEM);
        if (r == -EINVAL) {
                CHECK(error);
                CHECK(strncmp(error, "fuzz:", 5) == 0);
                CHECK(talloc_total_blocks(ctx) == 2);
        }
}

/* What an address parser accepted reads back the same from its own output. */
static void check_address(const char *s) {
        char out[CTDB_IP_STRLEN];
        struct ctdb_ip a, b;
        bool given;

        if (ctdb_ip_prefix_from_string(s, &a, &given) == 0) {
                CHECK(a.family == AF_INET || a.family == AF_INET6);
                CHECK(a.prefixlen <= ctdb_ip_family_bits(a.family));
                CHECK(given == (strchr(s, '/') != NULL));
                ctdb_ip_to_string(&a, true, out, sizeof(out));
                CHECK(ctdb_ip_prefix_from_string(out, &b, NULL) == 0);
                CHECK(ctdb_ip_equal(&a, &b) && a.prefixlen == b.prefixlen);
        }
        if (ctdb_ip_from_string(s, CTDB_IP_MAP_V4, &a) == 0) {
                struct sockaddr_storage ss;
                socklen_t len = ctdb_ip_to_sockaddr(&a, 1, &ss);

                CHECK(!ctdb_ip_is_v4_mapped(&a));
                CHECK(a.prefixlen == ctdb_ip_family_bits(a.family));
                CHECK(ctdb_ip_from_string(ctdb_ip_to_string(&a, false, out, sizeof(out)), 0, &b) == 0);
                CHECK(ctdb_ip_equal(&a, &b));
                CHECK(ctdb_ip_from_sockaddr((const struct sockaddr *) &ss, len, 0, &b) == 0);
                CHECK(ctdb_ip_compare(&a, &b) == 0);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        void *ctx = talloc_new(NULL);
        /* The parsers take C strings: what follows a NUL byte is not seen. */
        char *text = talloc_strndup(NULL, (const char *) data, size);
        struct ctdb_nodes *nodes = NULL;
        struct ctdb_public_addresses *pub = NULL;
        struct ctdb_config *cfg = NULL;
        char *error = NULL;
        int r;

        CHECK(ctx && text);

        r = ctdb_nodes_parse(ctx, "fuzz", text, &nodes, &error);
        check_result(ctx, r, nodes, error);
        if (r == 0) {
                CHECK(nodes->n_nodes >= ctdb_nodes_active(nodes));
                CHECK(ctdb_nodes_active(nodes) > 0);
                for (uint32_t i = 0; i < nodes->n_nodes; i++) {
                        const struct ctdb_node_entry *e = &nodes->nodes[i];
                        CHECK(e->pnn == i);
                        CHECK(e->deleted == !e->address);
                        if (!e->deleted)
                                CHECK(ctdb_nodes_find(nodes, (const struct sockaddr *) &e->sa, e->sa_len) ==
                                      (int) i);
                }
        }
        talloc_free(nodes);
        TALLOC_FREE(error);
        CHECK(talloc_total_blocks(ctx) == 1);

        r = ctdb_public_addresses_parse(ctx, "fuzz", text, &pub, &error);
        check_result(ctx, r, pub, error);
        if (r == 0)
                for (unsigned i = 0; i < pub->n_addresses; i++) {
                        const struct ctdb_public_address *a = &pub->addresses[i];
                        CHECK(a->addr.family == AF_INET || a->addr.family == AF_INET6);
                        CHECK(a->addr.prefixlen >= 1 &&
                              a->addr.prefixlen <= (a->addr.family == AF_INET ? 32 : 128));
                        CHECK(a->n_interfaces >= 1);
                        CHECK(a->interfaces[a->n_interfaces] == NULL);
                        CHECK(strchr(a->address, '/'));
                }
        talloc_free(pub);
        TALLOC_FREE(error);
        CHECK(talloc_total_blocks(ctx) == 1);

        r = ctdb_config_parse(ctx, "fuzz", text, &cfg, &error);
        check_result(ctx, r, cfg, error);
        if (r == 0) {
                CHECK(cfg->heartbeat_timeout_ms > cfg->heartbeat_interval_ms);
                CHECK(cfg->tunnel_port > 0);
                CHECK(cfg->run_dir && cfg->state_dir && cfg->volatile_db_dir && cfg->persistent_db_dir &&
                      cfg->state_db_dir);
                CHECK(cfg->warnings && cfg->warnings[cfg->n_warnings] == NULL);
                CHECK(cfg->monitor_units);
                CHECK((cfg->lock_backend == CTDB_LOCK_QUORUM) == (cfg->lock_argument == NULL));
                for (unsigned i = 0; i < cfg->n_warnings; i++)
                        CHECK(strncmp(cfg->warnings[i], "fuzz:", 5) == 0);
        }
        talloc_free(cfg);
        TALLOC_FREE(error);
        CHECK(talloc_total_blocks(ctx) == 1);

        for (char *line = text, *nl; line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                check_address(line);
        }

        talloc_free(text);
        talloc_free(ctx);
        return 0;
}
