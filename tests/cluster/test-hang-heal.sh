#!/bin/bash
# hang a node (its link down, its daemons running): the others mark it
# DISCONNECTED through the heartbeat timeout; after heal it rejoins.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_require_root
cluster_up 3

wait_until "cluster healthy" 30 healthy 0 1 2
gen=$AGREED_GENERATION
victim=$(others "$AGREED_LEADER" | head -n 1)
mapfile -t rest < <(others "$victim")
log "hanging node $victim"
lc hang "$victim"
wait_until "nodes ${rest[*]} mark node $victim DISCONNECTED" 15 all_see $F_DISCONNECTED "$victim" "${rest[@]}"
wait_until "nodes ${rest[*]} agree on a leader" 15 agree_on_leader "${rest[@]}"

lc heal "$victim"
wait_until "node $victim rejoined: all OK, one leader, one generation" 30 healthy 0 1 2
expect "the generation moved on (was $gen, now $AGREED_GENERATION)" test "$AGREED_GENERATION" != "$gen"
