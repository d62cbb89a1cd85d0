#!/bin/bash
# 1-vs-2 partition with the default quorum lock: the single node is not quorate
# and has no leader; the pair keeps or elects one. Once with the leader cut
# off, once with a non-leader.
source "$(dirname "$0")/../lib/cluster.sh"
cluster_require_root
cluster_up 3

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
        wait_until "node $victim (alone) is not quorate and has no leader" 15 isolated "$victim"
        pair_leads() { agree_on_leader "$@" && [[ $AGREED_LEADER != "$victim" ]] &&
                       [[ $(quorate_of "$1") == true ]]; }
        wait_until "the pair ${pair[*]} is quorate and agrees on a leader" 15 pair_leads "${pair[@]}"
        if [[ $case == non-leader ]]; then
                expect "the pair kept leader $leader" test "$AGREED_LEADER" = "$leader"
        fi
        lc heal "$victim"
        wait_until "node $victim rejoined" 30 healthy 0 1 2
done
