#!/bin/bash
# Two clusters side by side (different prefix and state dir, the same
# addresses on separate bridges); taking one down leaves the other running.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_require_root
cluster_up 2

other_state=$(mktemp -d "/tmp/ctdb-$TEST_NAME-b.XXXXXX")
rmdir "$other_state"
other=(env CTDB_LOCAL_PREFIX="${CTDB_LOCAL_PREFIX}b" CTDB_LOCAL_STATE="$other_state" "$LOCAL_CLUSTER")
cleanup_other() { "${other[@]}" down >/dev/null 2>&1 || true; cluster_cleanup; }
trap cleanup_other EXIT

log "second cluster (prefix ${CTDB_LOCAL_PREFIX}b)"
"${other[@]}" up 2
wait_until "first cluster healthy" 30 healthy 0 1
other_healthy() { "${other[@]}" exec 1 -- ctdbctl status >/dev/null; }
wait_until "second cluster answers" 10 other_healthy
"${other[@]}" down
expect "the second cluster's namespaces are gone" \
        bash -c "! ip netns list | grep -q '^${CTDB_LOCAL_PREFIX}b-'"
expect "the second state dir is gone" test ! -e "$other_state"
wait_until "first cluster still healthy" 10 healthy 0 1
