#!/bin/bash
# N nodes (the first argument, 32 by default) in a full mesh:
#   - up and converged (all OK, one leader, one generation);
#   - one node killed: every other node marks it DISCONNECTED within
#     KILL_BOUND_MS (a closed socket counts at once); started again, it rejoins;
#   - the same node's link taken down, its daemons running: every other node
#     notices within the heartbeat timeout and a margin; healed, it rejoins.
# The detection times are ctdb-bench detect's (local-cluster bench detect
# --all): every other node's bus watched, from the fault's own stamp. They
# are printed as FIGURE lines, as is the time `up` took.
source "$(dirname "$0")/../lib/cluster.sh"
nodes=${1:-32}
[[ $nodes =~ ^[0-9]+$ ]] && ((nodes >= 3)) || { echo "usage: $0 [NODES >= 3]" >&2; exit 2; }
# The heartbeat timeout is ctdb.conf's default (local-cluster sets none).
readonly HEARTBEAT_TIMEOUT_MS=1000
readonly KILL_BOUND_MS=1000
readonly HANG_BOUND_MS=$((HEARTBEAT_TIMEOUT_MS + 1500))

cluster_require_root
t0=$(date +%s%N)
cluster_up "$nodes"
log "FIGURE: $nodes nodes up and converged in $((($(date +%s%N) - t0) / 1000000)) ms (local-cluster up)"
mapfile -t everyone < <(all_nodes)
wait_until "all $nodes nodes OK, one leader, one generation" 30 healthy "${everyone[@]}"
LEADER=$AGREED_LEADER
pick_victim non-leader
log "leader $LEADER, the node to lose: $VICTIM"

# detect MODE BOUND_MS: one round of `bench detect MODE` on VICTIM, which
# restores the node and waits for the cluster to settle; the last of the
# other nodes must have noticed within BOUND_MS.
detect() {
        local mode=$1 bound=$2 out=$CTDB_LOCAL_STATE/detect-$1.out line median max last
        log "bench detect $mode --all on node $VICTIM"
        if ! lc bench detect "$mode" --all --rounds 1 --pnn "$VICTIM" --timeout-ms 10000 >"$out" 2>&1; then
                sed 's/^/    /' "$out"
                fail "bench detect $mode: not every node saw node $VICTIM DISCONNECTED within 10 s"
        fi
        sed 's/^/    /' "$out"
        line=$(grep '^round 1: DISCONNECTED on all' "$out") || fail "bench detect $mode printed no round"
        # round 1: DISCONNECTED on all 31 nodes: median 12.3 ms, max 45.6 ms (node 5 last)
        [[ $line =~ median\ ([0-9.]+)\ ms,\ max\ ([0-9.]+)\ ms\ \((.*)\ last\) ]] ||
                fail "bench detect $mode: cannot read '$line'"
        median=${BASH_REMATCH[1]} max=${BASH_REMATCH[2]} last=${BASH_REMATCH[3]}
        log "FIGURE: $nodes nodes, $mode of node $VICTIM: DISCONNECTED on the other $((nodes - 1))" \
                "after median $median ms, the last ($last) after $max ms"
        awk -v m="$max" -v b="$bound" 'BEGIN { exit !(m <= b) }' ||
                fail "the last node noticed the $mode after $max ms, more than $bound ms"
        log "ok: every node noticed the $mode within $bound ms"
}

detect kill "$KILL_BOUND_MS"
wait_until "node $VICTIM rejoined after the kill: all OK, one leader, one generation" 60 \
        healthy "${everyone[@]}"
expect "the leader stayed node $LEADER (is $AGREED_LEADER)" test "$AGREED_LEADER" = "$LEADER"

detect hang "$HANG_BOUND_MS"
wait_until "node $VICTIM rejoined after the hang: all OK, one leader, one generation" 60 \
        healthy "${everyone[@]}"
expect "the leader stayed node $LEADER (is $AGREED_LEADER)" test "$AGREED_LEADER" = "$LEADER"
