#!/bin/bash
# kill a node that is not the leader: the others mark it DISCONNECTED and keep
# their leader; started again, it rejoins.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_require_root
cluster_up 3

wait_until "cluster healthy" 30 healthy 0 1 2
leader=$AGREED_LEADER
victim=$(others "$leader" | tail -n 1)
mapfile -t rest < <(others "$victim")
log "leader $leader, killing node $victim"
lc kill "$victim"
wait_until "nodes ${rest[*]} mark node $victim DISCONNECTED" 10 all_see $F_DISCONNECTED "$victim" "${rest[@]}"
wait_until "nodes ${rest[*]} still agree on a leader" 10 agree_on_leader "${rest[@]}"
expect "the leader stayed $leader" test "$AGREED_LEADER" = "$leader"

lc start "$victim"
wait_until "node $victim rejoined, all OK" 30 healthy 0 1 2
