#!/bin/bash
# With a pre-shared key (local-cluster up --psk) the links pass the HMAC
# challenge and the cluster comes up as without one.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_require_root
cluster_up 3 --psk

expect "every ctdb.conf names the key file" \
        grep -q "^pre-shared key file = $CTDB_LOCAL_STATE/psk" "$CTDB_LOCAL_STATE"/node{0,1,2}/etc/ctdb.conf
wait_until "all 3 nodes OK, one leader, one generation" 30 healthy 0 1 2
links_up() { [[ $(tunnel_prop "$1" Links) == "2 "*true*true* ]]; }
for n in 0 1 2; do
        wait_until "node $n has both links up" 10 links_up "$n"
done
lc kill 1
wait_until "nodes 0 2 mark node 1 DISCONNECTED" 10 all_see "$F_DISCONNECTED" 1 0 2
lc start 1
wait_until "node 1 rejoined through the challenge" 30 healthy 0 1 2
