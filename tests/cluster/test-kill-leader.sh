#!/bin/bash
# kill the leader: the other two elect a new leader among themselves.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_require_root
cluster_up 3

wait_until "cluster healthy" 30 healthy 0 1 2
leader=$AGREED_LEADER
mapfile -t rest < <(others "$leader")
log "killing the leader, node $leader"
lc kill "$leader"
wait_until "nodes ${rest[*]} mark node $leader DISCONNECTED" 10 all_see $F_DISCONNECTED "$leader" "${rest[@]}"
new_leader() { agree_on_leader "$@" && [[ $AGREED_LEADER != "$leader" ]]; }
wait_until "nodes ${rest[*]} agree on a new leader" 15 new_leader "${rest[@]}"
log "new leader: node $AGREED_LEADER"

lc start "$leader"
wait_until "node $leader rejoined, all OK" 30 healthy 0 1 2
