#!/bin/bash
# With a pre-shared key (local-cluster up --psk) the links pass the HMAC
# challenge and the cluster comes up as without one; a node restarted with
# another key is refused by the others (counted in RejectedPeers) and stays
# cut off; with the right key again it rejoins.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_start 3 --psk

expect "every ctdb.conf names the key file" \
        grep -q "^pre-shared key file = $CTDB_LOCAL_STATE/psk" "$CTDB_LOCAL_STATE"/node{0,1,2}/etc/ctdb.conf
for n in 0 1 2; do
        wait_until "node $n has both links up" 10 links_up "$n"
done
lc kill 1
wait_until "nodes 0 2 mark node 1 DISCONNECTED" 10 all_see "$F_DISCONNECTED" 1 0 2
lc start 1
wait_until "node 1 rejoined through the challenge" 30 healthy 0 1 2

# Node 2 with a key of its own.
conf=$CTDB_LOCAL_STATE/node2/etc/ctdb.conf
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$CTDB_LOCAL_STATE/psk-wrong"
sed -i "s|^pre-shared key file = .*|pre-shared key file = $CTDB_LOCAL_STATE/psk-wrong|" "$conf"
r0=$(tunnel_prop 0 RejectedPeers) r1=$(tunnel_prop 1 RejectedPeers)
lc kill 2
wait_until "nodes 0 1 mark node 2 DISCONNECTED" 10 all_see "$F_DISCONNECTED" 2 0 1
lc start 2
refused() { (($(tunnel_prop 0 RejectedPeers) > r0 || $(tunnel_prop 1 RejectedPeers) > r1)); }
wait_until "node 0 or 1 refused node 2 with the wrong key" 10 refused
# Node 2 keeps trying; it must stay out for as long as we look (3 s).
still_out() {
        all_see "$F_DISCONNECTED" 2 0 1 && isolated 2 0 1 && ! links_up 2
}
deadline=$(($(date +%s%N) + 3000000000))
while (($(date +%s%N) < deadline)); do
        still_out || fail "node 2 with the wrong key got in"
        sleep 0.2
done
log "ok: node 2 with the wrong key stayed out for 3 s (RejectedPeers: node 0 $(tunnel_prop 0 RejectedPeers), node 1 $(tunnel_prop 1 RejectedPeers))"

sed -i "s|^pre-shared key file = .*|pre-shared key file = $CTDB_LOCAL_STATE/psk|" "$conf"
lc kill 2
lc start 2
wait_until "node 2 with the right key rejoined" 30 healthy 0 1 2
