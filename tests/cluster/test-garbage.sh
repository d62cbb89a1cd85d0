#!/bin/bash
# Random bytes at the tunnel port: from an address that is not a node (the
# bridge namespace) the peer is rejected; from a node's address the garbage
# frame is counted. The cluster stays healthy.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_require_root
cluster_up 3

wait_until "cluster healthy" 30 healthy 0 1 2
leader=$AGREED_LEADER
generation=$AGREED_GENERATION

counters() {
        local n=$1 b r
        b=$(tunnel_prop "$n" BadFrames) && r=$(tunnel_prop "$n" RejectedPeers) && echo $((b + r))
}
# send_garbage NAMESPACE ADDRESS: connect and write 64 KiB of random bytes.
send_garbage() {
        ip netns exec "$1" timeout 5 bash -c '
                exec 3<>"/dev/tcp/$0/4379" || exit 1
                head -c 65536 /dev/urandom >&3 2>/dev/null
                # a header that claims a huge frame
                printf "\xff\xff\xff\x7f\x04\x00\x00\x00" >&3 2>/dev/null
                exec 3>&-' "$2" || true
}
rose() { local now; now=$(counters "$1") && ((now > $2)); }

before=$(counters 0)
log "garbage from the bridge namespace to node 0"
send_garbage "$CTDB_LOCAL_PREFIX-br" 192.0.2.11
wait_until "node 0 counted the stranger (was $before)" 10 rose 0 "$before"
expect "node 0 counted a rejected peer" test "$(tunnel_prop 0 RejectedPeers)" -ge 1

# Node 0 is the lowest pnn and always the connecting side, so node 2 accepts
# connections from its address: garbage from there passes the address check
# and must be cut off as a bad frame.
before=$(counters 2)
log "garbage from node 0's address to node 2"
send_garbage "$CTDB_LOCAL_PREFIX-n0" 192.0.2.13
wait_until "node 2 counted the bad peer (was $before)" 10 rose 2 "$before"

for i in 1 2 3 4 5; do
        send_garbage "$CTDB_LOCAL_PREFIX-br" "192.0.2.1$((i % 3 + 1))"
done
wait_until "cluster still healthy" 30 healthy 0 1 2
expect "leader unchanged ($leader)" test "$AGREED_LEADER" = "$leader"
log "generation $generation -> $AGREED_GENERATION"
for n in 0 1 2; do
        log "node $n: BadFrames $(tunnel_prop $n BadFrames), RejectedPeers $(tunnel_prop $n RejectedPeers)"
done
