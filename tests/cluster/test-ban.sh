#!/bin/bash
# Ban a node for 3 s: every node shows it BANNED, then the ban ends by itself.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_require_root
cluster_up 3

wait_until "cluster healthy" 30 healthy 0 1 2
target=1
t0=$(date +%s%N)
expect "Ban(1, 3) from node 0" busctl_on 0 call org.ctdb.cluster1 /org/ctdb/cluster1 \
        org.ctdb.cluster1.Manager Ban uu "$target" 3
wait_until "all nodes show node $target BANNED" 10 all_see $F_BANNED "$target" 0 1 2
left=$(prop 0 org.ctdb.cluster1 /org/ctdb/cluster1/node/$target org.ctdb.cluster1.Node BanTimeLeft)
expect "BanTimeLeft is 1..3 s (is $left)" test "$left" -ge 1 -a "$left" -le 3
unbanned() { local n; for n in 0 1 2; do lacks_flag "$n" "$target" $F_BANNED || return 1; done; }
wait_until "the ban of node $target ended by itself on all nodes" 15 unbanned
ms=$((($(date +%s%N) - t0) / 1000000))
expect "the ban lasted about 3 s ($ms ms)" test "$ms" -ge 2500
wait_until "cluster healthy again" 30 healthy 0 1 2
