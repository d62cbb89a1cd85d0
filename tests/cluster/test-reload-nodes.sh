#!/bin/bash
# Growing a running cluster as a CTDB admin does (local-cluster add): the new
# address at the end of every nodes file, the new node started, ReloadNodes
# on the others. Node 2 joins 0 and 1: every node lists it, all three are OK
# with one leader and one generation, the tunnels of 0 and 1 have a link to
# it, and the old nodes' ctdb.conf is left alone. Killed, it is marked
# DISCONNECTED by 0 and 1, which stay quorate: it is a real member.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_start 2

conf_sums() { md5sum "$CTDB_LOCAL_STATE"/node{0,1}/etc/ctdb.conf; }
sums=$(conf_sums)
lc add
# cluster_up took the node count from the `up` arguments.
CLUSTER_NODES=3

expect "cluster.env counts 3 nodes" grep -qx 'CLUSTER_NODES=3' "$CTDB_LOCAL_STATE/cluster.env"
expect "the ctdb.conf of nodes 0 and 1 is unchanged" test "$(conf_sums)" = "$sums"
for n in 0 1 2; do
        expect "node $n's nodes file lists node 2 last" \
                test "$(tail -n 1 "$CTDB_LOCAL_STATE/node$n/etc/nodes")" = 192.0.2.13
done

# lists_node2 PNN: the Nodes property of node PNN has 3 entries, the last
# (2, "192.0.2.13", flags).
lists_node2() {
        local -a f
        read -r -a f <<<"$(mgr "$1" Nodes)" || return 1
        [[ ${f[0]:-} == 3 && ${f[7]:-} == 2 && ${f[8]:-} == '"192.0.2.13"' ]]
}
for n in 0 1 2; do
        wait_until "node $n lists node 2 in Nodes" 30 lists_node2 "$n"
done
wait_until "all 3 nodes OK, one leader, one generation" 30 healthy 0 1 2
log "leader $AGREED_LEADER, generation $AGREED_GENERATION"
GENERATION=$AGREED_GENERATION

# link_up_to PNN TARGET: node PNN's tunneld has its link to TARGET up (Links
# is a(usbtt): pnn, address, connected, tx, rx).
link_up_to() {
        local -a f
        read -r -a f <<<"$(tunnel_prop "$1" Links)" || return 1
        local k
        for ((k = 0; k < f[0]; k++)); do
                [[ ${f[$((1 + 5 * k))]} == "$2" ]] || continue
                [[ ${f[$((1 + 5 * k + 2))]} == true ]]
                return
        done
        return 1
}
for n in 0 1; do
        wait_until "node $n's tunneld has its link to node 2 up" 30 link_up_to "$n" 2
done
wait_until "node 2's tunneld has both links up" 30 links_up 2

lc kill 2
wait_until "nodes 0 1 mark node 2 DISCONNECTED" 10 all_see "$F_DISCONNECTED" 2 0 1
rest_agree() { quorate_and_agree "$@" && ((AGREED_GENERATION > GENERATION)); }
wait_until "nodes 0 1 (2 of 3) stay quorate and agree on a generation after $GENERATION" 10 rest_agree 0 1
