/*
 * ctdbctl ip plan's scenario (services/ipd/ipd-plan.h), then the allocation
 * on what parsed. The input's first line is the node flags, the rest the
 * scenario. The contract: parsed, or -EINVAL with a message; an allocation
 * that puts every address on a node that can host it, or nowhere.
 */

#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "ctdb-node.h"
#include "fuzz.h"
#include "ipd-plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        void *ctx = talloc_new(NULL);
        char *text = talloc_strndup(ctx, (const char *) data, size), *nl, *error = NULL;
        struct ipd_plan *p = NULL;
        uint32_t *pnn;
        int r;

        if (!text || !(nl = strchr(text, '\n'))) {
                talloc_free(ctx);
                return 0;
        }
        *nl = 0;
        r = ipd_plan_parse(ctx, text, "fuzz", nl + 1, &p, &error);
        CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
        CHECK(r != -EINVAL || error);
        /* Big scenarios are the unit tests' and benchmark's; the fuzzer wants many small ones. */
        if (r == 0 && p->in.n_ips <= 64 && p->in.n_nodes <= 16) {
                pnn = talloc_zero_array(ctx, uint32_t, p->in.n_ips + 1);
                CHECK(pnn && ipalloc_run(&p->in, pnn) == 0);
                for (size_t i = 0; i < p->in.n_ips; i++)
                        CHECK(pnn[i] == CTDB_PNN_NONE ||
                              (pnn[i] < p->in.n_nodes && !(p->flags[pnn[i]] & IPALLOC_CANNOT_HOST) &&
                               p->can_host[i * p->in.n_nodes + pnn[i]]));
        }
        talloc_free(ctx);
        return 0;
}
