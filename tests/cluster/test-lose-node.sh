#!/bin/bash
# Lose one node of three and bring it back (MODE is the first argument):
#   kill         SIGKILL a node that is not the leader: the others mark it
#                DISCONNECTED and keep their leader; started again, it rejoins.
#   hang         take a non-leader's link down, its daemons running: the others
#                mark it DISCONNECTED through the heartbeat timeout and keep
#                their leader, the hung node alone is not quorate and has no
#                leader; after heal it rejoins.
#   kill-leader  SIGKILL the leader: the other two elect a new leader among
#                themselves; started again, it rejoins.
# The remaining two agree on a newer generation; the rejoin ends with all
# nodes OK, one leader and one generation, newer again.
source "$(dirname "$0")/../lib/cluster.sh"
mode=${1:-}
case $mode in
kill | hang | kill-leader) ;;
*) echo "usage: $0 kill|hang|kill-leader" >&2; exit 2 ;;
esac
cluster_start 3

if [[ $mode == kill-leader ]]; then pick_victim leader; else pick_victim non-leader; fi
log "leader $LEADER, $mode: node $VICTIM"
case $mode in
kill | kill-leader) lc kill "$VICTIM" ;;
hang) lc hang "$VICTIM" ;;
esac
wait_until "nodes ${REST[*]} mark node $VICTIM DISCONNECTED" 10 all_see "$F_DISCONNECTED" "$VICTIM" "${REST[@]}"
# Losing a member is a membership change: a new generation.
rest_agree() { quorate_and_agree "$@" && ((AGREED_GENERATION > GENERATION)); }
wait_until "nodes ${REST[*]} are quorate and agree on a leader and a generation after $GENERATION" 10 \
        rest_agree "${REST[@]}"
if [[ $mode == kill-leader ]]; then
        expect "node $LEADER is no longer the leader (now $AGREED_LEADER)" test "$AGREED_LEADER" != "$LEADER"
else
        expect "the leader stayed node $LEADER (is $AGREED_LEADER)" test "$AGREED_LEADER" = "$LEADER"
fi
if [[ $mode == hang ]]; then
        wait_until "node $VICTIM alone is not quorate, has no leader, holds ${REST[*]} DISCONNECTED" 10 \
                isolated "$VICTIM" "${REST[@]}"
fi

case $mode in
kill | kill-leader) lc start "$VICTIM" ;;
hang) lc heal "$VICTIM" ;;
esac
GENERATION=$AGREED_GENERATION
wait_until "node $VICTIM rejoined: all OK, one leader, one generation" 30 healthy 0 1 2
expect "node $VICTIM is quorate again" test "$(quorate_of "$VICTIM")" = true
expect "the generation moved on (was $GENERATION, now $AGREED_GENERATION)" \
        test "$AGREED_GENERATION" -gt "$GENERATION"
