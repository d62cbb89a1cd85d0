#!/bin/bash
# up --cpus confines each node to its CPU (LIST[I mod length]): its bus, its
# daemons (a restarted one too) and whatever 'exec' runs there; the cluster
# works as without it. A CPU this machine lacks is refused before anything starts.
source "$(dirname "$0")/../lib/cluster.sh"
last=$(($(nproc) - 1))
cluster_start 3 --cpus "0,$last"

# allowed_cpus PID: the CPU list the kernel lets PID run on.
allowed_cpus() { awk '/^Cpus_allowed_list:/ {print $2}' "/proc/$1/status"; }

# pinned_as N WANT: every process node N recorded runs only on CPU WANT.
pinned_as() {
        local f pid
        for f in "$CTDB_LOCAL_STATE/node$1"/*.pid; do
                read -r pid _ <"$f"
                [[ $(allowed_cpus "$pid") == "$2" ]] || return 1
        done
}

for n in 0 1 2; do
        want=$((n % 2 ? last : 0))
        expect "node $n's bus and daemons run on CPU $want only" pinned_as "$n" "$want"
        expect "exec on node $n runs on CPU $want only" \
                test "$(lc exec "$n" -- awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)" = "$want"
done
expect "nodes names the placement" grep -q "cpus 0,$last" <(lc nodes)

lc kill 1
wait_until "nodes 0 2 mark node 1 DISCONNECTED" 10 all_see "$F_DISCONNECTED" 1 0 2
lc start 1
wait_until "node 1 rejoined" 30 healthy 0 1 2
expect "restarted node 1 is still on CPU $last" pinned_as 1 "$last"

# A CPU that does not exist: refused up front, nothing left behind.
if out=$(CTDB_LOCAL_PREFIX="${CTDB_LOCAL_PREFIX}x" CTDB_LOCAL_STATE="$CTDB_LOCAL_STATE-x" \
        lc up 1 --cpus 4096 2>&1); then
        fail "up --cpus 4096 was accepted"
fi
expect "up --cpus 4096 says which CPU is wrong" grep -q 'cpus 4096' <<<"$out"
expect "and made no state dir" test ! -e "$CTDB_LOCAL_STATE-x"
