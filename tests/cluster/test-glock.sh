#!/bin/bash
# g_lock on three nodes, through libctdb-client (tests/lib/glock-tool). MODE:
#   process  a lock held by a process that is killed is released: a waiter
#            on another node gets it
#   node     a lock held on a node whose daemons are killed is released for
#            the others once the cluster recovered without it
#   fifo     waiters on all three nodes get an exclusive lock in the order
#            they asked once its holder dies, and a shared request behind a waiting exclusive one
#            waits (no barging)
source "$(dirname "$0")/../lib/cluster.sh"
mode=${1:-}
case $mode in
process | node | fifo) ;;
*) echo "usage: $0 process|node|fifo" >&2; exit 2 ;;
esac
TOOL=${CTDB_BUILD_DIR:-$CTDB_SOURCE_DIR/build}/tests/lib/glock-tool
[[ -x $TOOL ]] || { echo "SKIP: $TOOL is not built"; exit 77; }

cluster_start 3
OUT=$(mktemp -d)
PIDS=()
# The tools go first; cluster_cleanup then reports the test's own exit status
# (a plain 'cleanup_tools; cluster_cleanup' trap passed it rm's 0 instead).
glock_cleanup() {
        local rc=$? p
        trap - ERR
        set +e
        for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        rm -rf "$OUT"
        (exit "$rc")
        cluster_cleanup
}
trap glock_cleanup EXIT

wait_until "every node's VnnMap lists all three dbds" 20 vnnmap_is "3 0 1 2" 0 1 2

# tool PNN TAG ARGS...: glock-tool on node PNN in the background, output in $OUT/TAG.
tool() {
        local pnn=$1 tag=$2
        shift 2
        lc exec "$pnn" -- env CTDB_DB_SOCKET="$CTDB_LOCAL_STATE/node$pnn/run/db.sock" \
                timeout 60 "$TOOL" "$@" >"$OUT/$tag" 2>&1 &
        PIDS+=($!)
}
# list PNN: the cluster's g_locks as node PNN lists them.
list() {
        lc exec "$1" -- env CTDB_DB_SOCKET="$CTDB_LOCAL_STATE/node$1/run/db.sock" timeout 10 "$TOOL" list
}
has() { grep -q "^locked $2" "$OUT/$1" 2>/dev/null; }
# queued PNN N: the lock t has N entries, as node PNN lists them.
queued() { [[ $(list "$1" | grep -c '^t ') == "$2" ]]; }
# holder_pid PNN: the pid that holds t (node PNN's view).
holder_pid() { list "$1" | awk '$1 == "t" && $5 == "held" { print $4; exit }'; }

case $mode in
process)
        tool 1 holder lock t exclusive
        wait_until "node 1's process holds t" 10 has holder t
        tool 2 waiter lock t exclusive 30000
        wait_until "node 2's process waits for t" 10 queued 0 2
        pid=$(holder_pid 0)
        expect "the holder's pid is listed ($pid)" test -n "$pid"
        kill -KILL "$pid"
        wait_until "node 2's process got t after the holder was killed" 10 has waiter t
        expect "only node 2 is listed as holder" test "$(list 1 | awk '$1 == "t" { print $3, $5 }')" = "2 held"
        ;;
node)
        tool 2 holder lock t exclusive
        wait_until "node 2's process holds t" 10 has holder t
        tool 1 waiter lock t exclusive 60000
        wait_until "node 1's process waits for t" 10 queued 0 2
        lc kill 2
        wait_until "nodes 0 and 1 recovered without node 2" 20 vnnmap_is "2 0 1" 0 1
        wait_until "node 1's process got t after node 2 died" 10 has waiter t
        expect "no entry of node 2 is left" test -z "$(list 0 | awk '$3 == 2')"
        ;;
fifo)
        tool 0 holder lock t exclusive
        wait_until "node 0's process holds t" 10 has holder t
        n=1
        for p in 1 2 0; do
                tool "$p" "w$n" lock t exclusive 30000 200
                n=$((n + 1))
                wait_until "waiter w$((n - 1)) on node $p is queued" 10 queued 0 "$n"
        done
        tool 1 shared lock t shared 30000 200
        wait_until "a shared request on node 1 is queued behind them" 10 queued 0 5
        expect "the shared request waits behind the waiting exclusive ones" \
                test "$(list 2 | awk '$1 == "t" && $2 == "shared" { print $5 }')" = waiting
        kill -KILL "$(holder_pid 0)"
        wait_until "every waiter got t and let go" 20 grep -q unlocked "$OUT/shared"
        # Each holds t 200 ms and then writes "unlocked": the files' last writes are in grant order.
        got=$(for tag in w1 w2 w3 shared; do printf '%s %s\n' "$(stat -c %.9Y "$OUT/$tag")" "$tag"; done |
                sort -n | awk '{ printf "%s ", $2 }')
        expect "they got it in the order they asked ($got)" test "$got" = "w1 w2 w3 shared "
        ;;
esac
log "PASS"
