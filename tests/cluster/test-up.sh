#!/bin/bash
# 3 nodes come up with one leader, the generation equal everywhere, all quorate;
# a second `up` with the same prefix is refused.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_require_root
cluster_up 3

wait_until "all 3 nodes OK, one leader, one generation" 30 healthy 0 1 2
leader=$AGREED_LEADER
expect "leader $leader is one of the nodes" test "$leader" -lt 3
for n in 0 1 2; do
        expect "node $n is quorate" test "$(quorate_of "$n")" = true
        expect "node $n is not recovering" test "$(mgr "$n" Recovering)" = false
        expect "node $n knows its own pnn" test "$(mgr "$n" ThisNode)" = "$n"
done
expect "ctdbctl status answers on node 2" lc status 2
expect "ctdbctl --json status answers on node 1" lc exec 1 -- ctdbctl --json status

if out=$(lc up 3 2>&1); then
        fail "a second 'up' with the same prefix was accepted"
fi
expect "a second 'up' is refused and names 'down'" grep -q down <<<"$out"
