#!/bin/bash
# Random bytes at the tunnel port: from an address that is not a node (the
# bridge namespace) the peer is rejected; from a node's address the garbage
# frame is cut off and counted. Through it all the cluster stays healthy: all
# nodes OK, all links up, the same leader and the same generation (a link
# that dropped, even for a moment, would have moved the generation on).
source "$(dirname "$0")/../lib/cluster.sh"
cluster_start 3

for n in 0 1 2; do
        wait_until "node $n has both links up" 10 links_up "$n"
done

# send_garbage NAMESPACE ADDRESS: connect and write 64 KiB of random bytes.
send_garbage() {
        ip netns exec "$1" timeout 5 bash -c '
                exec 3<>"/dev/tcp/$0/4379" || exit 1
                head -c 65536 /dev/urandom >&3 2>/dev/null
                # a header that claims a huge frame
                printf "\xff\xff\xff\x7f\x04\x00\x00\x00" >&3 2>/dev/null
                exec 3>&-' "$2" || true
}
# rose PNN PROPERTY BEFORE
rose() { local now; now=$(tunnel_prop "$1" "$2") && ((now > $3)); }
# still_same: healthy, with the leader and generation of the start.
still_same() {
        healthy 0 1 2 && [[ $AGREED_LEADER == "$LEADER" && $AGREED_GENERATION == "$GENERATION" ]] &&
                links_up 0 && links_up 1 && links_up 2
}

before=$(tunnel_prop 0 RejectedPeers)
log "garbage from the bridge namespace to node 0"
send_garbage "$CTDB_LOCAL_PREFIX-br" 192.0.2.11
wait_until "node 0 counted the stranger in RejectedPeers (was $before)" 10 rose 0 RejectedPeers "$before"
expect "still all OK, all links up, leader $LEADER, generation $GENERATION" still_same

# Node 0 is the lowest pnn and always the connecting side, so node 2 accepts
# connections from its address: garbage from there passes the address check
# and must be cut off as a bad frame, without touching node 0's real link.
before=$(tunnel_prop 2 BadFrames)
log "garbage from node 0's address to node 2"
send_garbage "$CTDB_LOCAL_PREFIX-n0" 192.0.2.13
wait_until "node 2 counted the bad frame in BadFrames (was $before)" 10 rose 2 BadFrames "$before"
expect "still all OK, all links up, leader $LEADER, generation $GENERATION" still_same

before1=$(tunnel_prop 1 BadFrames) before2=$(tunnel_prop 2 BadFrames)
for i in 1 2 3 4 5; do
        send_garbage "$CTDB_LOCAL_PREFIX-br" "192.0.2.1$((i % 3 + 1))"
        send_garbage "$CTDB_LOCAL_PREFIX-n0" "192.0.2.1$((i % 2 + 2))"
done
both_rose() { rose 1 BadFrames "$before1" && rose 2 BadFrames "$before2"; }
wait_until "nodes 1 and 2 counted more bad frames" 10 both_rose
for n in 0 1 2; do
        log "node $n: BadFrames $(tunnel_prop $n BadFrames), RejectedPeers $(tunnel_prop $n RejectedPeers)"
done
expect "still all OK, all links up, leader $LEADER, generation $GENERATION" still_same
