/* Entry points for the tests and fuzzers; see dbd-testing.h. */

#include <errno.h>
#include <unistd.h>

#include <talloc.h>

#include "config.h"
#include "dbd-internal.h"
#include "dbd-testing.h"
#include "local-server.h"

int dbd_testing_manager_new(void *mem_ctx, sd_event *event, const char *dir, uint32_t pnn, uint32_t n_nodes,
                            dbd_manager **ret) {
        struct daemon_context *d;
        struct ctdb_config *config;
        dbd_manager *m;
        int r;

        /* The manager keeps d for its life: it hangs off mem_ctx as the manager does. */
        d = talloc_zero(mem_ctx, struct daemon_context);
        if (!d)
                return -ENOMEM;
        r = ctdb_config_defaults(d, &config);
        if (r < 0)
                return r;
        /* Every database file in dir: a test never touches the system's. */
        config->volatile_db_dir = talloc_strdup(config, dir);
        config->persistent_db_dir = talloc_strdup(config, dir);
        config->state_db_dir = talloc_strdup(config, dir);
        config->run_dir = talloc_strdup(config, dir);
        if (!config->volatile_db_dir || !config->persistent_db_dir || !config->state_db_dir ||
            !config->run_dir)
                return -ENOMEM;
        d->event = event;
        d->config = config;
        r = dbd_manager_new(mem_ctx, d, &m);
        if (r < 0)
                return r;
        m->pnn = pnn;
        m->n_nodes = n_nodes;
        *ret = m;
        return 0;
}

int dbd_testing_add_client_pid(dbd_manager *m, int fd, pid_t pid, struct local_client **ret) {
        if (!m->local) {
                int r = dbd_local_start(m);

                if (r < 0)
                        return r;
        }
        return local_server_add_client(m->local, fd, pid, getuid(), ret);
}

int dbd_testing_add_client(dbd_manager *m, int fd, struct local_client **ret) {
        return dbd_testing_add_client_pid(m, fd, getpid(), ret);
}
