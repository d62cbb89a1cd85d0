#!/bin/bash
# 1-vs-2 partition with the fcntl lock backend: the cut-off node still reaches
# the lock file. A leader in a minority gives the lock up, so the pair gets a
# leader within seconds (CTDB 4.17 stalls here for 90 s and more).
source "$(dirname "$0")/../lib/cluster.sh"
cluster_require_root
cluster_up 3 --lock fcntl

for case in leader non-leader; do
        wait_until "cluster healthy" 30 healthy 0 1 2
        leader=$AGREED_LEADER
        if [[ $case == leader ]]; then
                victim=$leader
        else
                victim=$(others "$leader" | head -n 1)
        fi
        mapfile -t pair < <(others "$victim")
        log "cutting off node $victim ($case)"
        lc hang "$victim"
        pair_leads() { agree_on_leader "$@" && [[ $AGREED_LEADER != "$victim" ]]; }
        wait_until "the pair ${pair[*]} agrees on a leader" 10 pair_leads "${pair[@]}"
        if [[ $case == leader ]]; then
                expect "the pair got a new leader in under 5 s ($WAITED_MS ms)" test "$WAITED_MS" -lt 5000
        else
                expect "the pair kept leader $leader" test "$AGREED_LEADER" = "$leader"
        fi
        wait_until "node $victim (alone) is not quorate and has no leader" 10 isolated "$victim"
        lc heal "$victim"
        wait_until "node $victim rejoined" 30 healthy 0 1 2
done
