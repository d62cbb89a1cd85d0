#!/bin/bash
# `ctdbctl ban 1 3` on node 0: every node shows node 1 BANNED (ctdbctl status
# too), its BanTimeLeft counts down, and the ban ends by itself after about
# 3 s on every node, leaving a healthy cluster.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_start 3

target=1
t0=$(date +%s%N)
out=$(lc exec 0 -- ctdbctl ban "$target" 3 2>&1) || fail "ctdbctl ban $target 3 exited with $?: $out"
log "ctdbctl ban $target 3: ${out:-(no output)}"
wait_until "all nodes show node $target BANNED" 5 all_see "$F_BANNED" "$target" 0 1 2
status=$(lc status 2)
expect "ctdbctl status on node 2 shows node $target BANNED" grep -Eq "^pnn:$target .*BANNED" <<<"$status"
not_led_by_target() { agree_on_leader 0 1 2 && [[ $AGREED_LEADER != "$target" ]]; }
wait_until "nodes 0 1 2 agree on a leader other than the banned node $target" 5 not_led_by_target

# Sample BanTimeLeft on the banned node and on node 0 until the flag is gone
# everywhere: the values must count down from 3, not stand still.
own=() seen=()
ban_time_left() { prop "$1" org.ctdb.cluster1 "/org/ctdb/cluster1/node/$target" org.ctdb.cluster1.Node BanTimeLeft; }
sample() {
        local v
        v=$(ban_time_left "$target") && { ((${#own[@]})) && [[ ${own[-1]} == "$v" ]] || own+=("$v"); }
        v=$(ban_time_left 0) && { ((${#seen[@]})) && [[ ${seen[-1]} == "$v" ]] || seen+=("$v"); }
        return 0
}
ban_over() {
        local n
        sample
        for n in 0 1 2; do lacks_flag "$n" "$target" "$F_BANNED" || return 1; done
}
wait_until "the ban of node $target ended by itself on all nodes" 10 ban_over
sample
ms=$((($(date +%s%N) - t0) / 1000000))
log "BanTimeLeft on node $target: ${own[*]}; as node 0 saw it: ${seen[*]}"
expect "the ban lasted about 3 s ($ms ms)" test "$ms" -ge 2500 -a "$ms" -le 8000
# The countdown: starts at 3 or 2, takes at least two non-zero values, only
# ever goes down, and ends at 0.
counted_down() {
        local -a v=("$@")
        local k nonzero=0
        ((v[0] >= 2 && v[0] <= 3 && v[-1] == 0)) || return 1
        for ((k = 0; k < ${#v[@]}; k++)); do
                ((v[k] == 0)) || nonzero=$((nonzero + 1))
                ((k == 0 || v[k] < v[k - 1])) || return 1
        done
        ((nonzero >= 2))
}
expect "BanTimeLeft on node $target counted down (${own[*]})" counted_down "${own[@]}"
expect "node 0 saw node $target's BanTimeLeft count down (${seen[*]})" counted_down "${seen[@]}"
wait_until "cluster healthy again" 10 healthy 0 1 2
