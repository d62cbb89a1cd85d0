#!/bin/bash
# 1-vs-2 partition (the single node's link down), once with the leader cut
# off and once with a non-leader, with the lock backend of the first argument:
#   quorum  the default: the single node is not quorate and has no leader; the
#           pair is quorate and keeps or elects a leader.
#   fcntl   'cluster lock = fcntl:PATH', a file the cut-off node still reaches.
#           The same, and a leader in a minority gives the lock up, so the pair
#           gets a leader within seconds (CTDB 4.17 stalls here for 90 s and
#           more); the lock is held by the pair's leader and nobody else.
# After heal the single node rejoins: all OK, one leader, one generation.
source "$(dirname "$0")/../lib/cluster.sh"
backend=${1:-quorum}
case $backend in
quorum) cluster_start 3 ;;
fcntl) cluster_start 3 --lock fcntl ;;
*) echo "usage: $0 [quorum|fcntl]" >&2; exit 2 ;;
esac

for case in leader non-leader; do
        wait_until "cluster healthy" 30 healthy 0 1 2
        LEADER=$AGREED_LEADER GENERATION=$AGREED_GENERATION
        if [[ $backend == fcntl ]]; then
                wait_until "leader $LEADER, and only it, holds the lock" 10 lock_held_by "$LEADER"
        fi
        pick_victim "$case"
        log "cutting off node $VICTIM ($case; leader $LEADER, generation $GENERATION)"
        t_cut=$(date +%s%N)
        lc hang "$VICTIM"

        wait_until "the pair ${REST[*]} marks node $VICTIM DISCONNECTED" 15 \
                all_see "$F_DISCONNECTED" "$VICTIM" "${REST[@]}"
        pair_leads() {
                quorate_and_agree "$@" && [[ $AGREED_LEADER != "$VICTIM" ]] && ((AGREED_GENERATION > GENERATION))
        }
        wait_until "the pair ${REST[*]} is quorate and agrees on a leader (not $VICTIM) and a generation after $GENERATION" 15 \
                pair_leads "${REST[@]}"
        ms=$((($(date +%s%N) - t_cut) / 1000000))
        if [[ $case == leader ]]; then
                expect "the pair had a new leader $ms ms after the cut (under 5 s)" test "$ms" -lt 5000
        else
                expect "the pair kept leader $LEADER (is $AGREED_LEADER)" test "$AGREED_LEADER" = "$LEADER"
        fi
        pair_leader=$AGREED_LEADER GENERATION=$AGREED_GENERATION
        wait_until "node $VICTIM alone is not quorate, has no leader, holds ${REST[*]} DISCONNECTED" 15 \
                isolated "$VICTIM" "${REST[@]}"
        if [[ $backend == fcntl ]]; then
                wait_until "the pair's leader $pair_leader, and only it, holds the lock" 10 \
                        lock_held_by "$pair_leader"
        fi

        lc heal "$VICTIM"
        wait_until "node $VICTIM rejoined: all OK, one leader, one generation" 30 healthy 0 1 2
        expect "node $VICTIM is quorate again" test "$(quorate_of "$VICTIM")" = true
        expect "the generation moved on (was $GENERATION, now $AGREED_GENERATION)" \
                test "$AGREED_GENERATION" -gt "$GENERATION"
        if [[ $backend == fcntl ]]; then
                wait_until "leader $AGREED_LEADER, and only it, holds the lock" 10 lock_held_by "$AGREED_LEADER"
        fi
done
