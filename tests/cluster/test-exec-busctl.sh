#!/bin/bash
# `local-cluster exec 1 -- busctl --system ...` reaches node 1's own bus and
# shows all three nodes.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_require_root
cluster_up 3

out=$(lc exec 1 -- busctl --system get-property org.ctdb.cluster1 /org/ctdb/cluster1 \
        org.ctdb.cluster1.Manager Nodes)
log "node 1: $out"
expect "three nodes" grep -q '^a(usu) 3 ' <<<"$out"
for a in 192.0.2.11 192.0.2.12 192.0.2.13; do
        expect "node $a listed" grep -q "\"$a\"" <<<"$out"
done
expect "ThisNode is 1 inside node 1" test "$(lc exec 1 -- busctl --system get-property \
        org.ctdb.cluster1 /org/ctdb/cluster1 org.ctdb.cluster1.Manager ThisNode)" = "u 1"
expect "node 1's namespace has its address" \
        bash -c "'$LOCAL_CLUSTER' exec 1 -- ip -4 -o addr show dev eth0 | grep -q 192.0.2.12/24"
