#pragma once

/*
 * A takeover scenario as text, for `ctdbctl ip plan --flags F0,F1,... --input
 * FILE` and the tests: the node flags (CTDB's bit values, decimal or 0x hex,
 * comma-separated, one per node) and one line per address,
 * `ADDRESS CURRENT_PNN [PNN,...]`: the current holder (-1 for none) and
 * optionally the nodes that can host it (default all), as CTDB's
 * ctdb_takeover_tests reads them. Blank lines and `#` comments are skipped.
 */

#include <stddef.h>
#include <stdint.h>

#include "ipd-alloc.h"

/* A parsed scenario: the arrays ipalloc_run() takes, talloc children of it. */
struct ipd_plan {
        struct ipalloc_input in;
        uint32_t *flags;
        struct ipalloc_ip *ips;
        uint8_t *can_host;
};

/* Most nodes and addresses a scenario may have. */
#define IPD_PLAN_MAX_NODES 1024u
#define IPD_PLAN_MAX_IPS   65536u

/*
 * Parses flags and text (name for messages); 0, or -EINVAL with *ret_error
 * (talloc'd on mem_ctx) naming the line and what is wrong, or -ENOMEM.
 */
int ipd_plan_parse(void *mem_ctx, const char *flags, const char *name, const char *text,
                   struct ipd_plan **ret, char **ret_error);
