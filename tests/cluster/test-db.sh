#!/bin/bash
# Volatile records on three nodes, through libctdb-client (tests/lib/db-tool)
# as an application uses them. MODE is the first argument:
#   migrate     a record stored on node 0 and fetch-locked on node 2 moves with
#               its value and a higher rsn; node 0's copy then names dmaster 2;
#               a third node reads it without moving it; the files are what
#               CTDB's ltdbtool and tdb's tdbdump read
#   chainlock   a client holding the record's chain lock in the file (as smbd
#               does) holds off the daemon's migration until it lets go
#   kill        kill the node that is dmaster of some records: after recovery
#               every record last stored on a surviving node is intact and
#               every key is served
#   restart     a dbd restarted alone rejoins (VnnMap) and serves records
#   vacuum      10,000 records deleted from all nodes are vacuumed away: the
#               record count in every node's file goes back near 0
#   readonly    with read-only delegations, readers on two nodes keep local
#               copies, and every store on the writer's node revokes them
#               before it returns: no reader sees an older value afterwards
source "$(dirname "$0")/../lib/cluster.sh"
mode=${1:-}
case $mode in
migrate | chainlock | kill | restart | vacuum | readonly) ;;
*) echo "usage: $0 migrate|chainlock|kill|restart|vacuum|readonly" >&2; exit 2 ;;
esac
# Vacuuming every second, so that the test does not wait CTDB's 10 s per run.
[[ $mode != vacuum ]] || export CTDB_LOCAL_EXTRA_CONF=$'[database]\nvacuum interval = 1'

DB_TOOL=${CTDB_BUILD_DIR:-$CTDB_SOURCE_DIR/build}/tests/lib/db-tool
[[ -x $DB_TOOL ]] || { echo "SKIP: $DB_TOOL is not built"; exit 77; }

cluster_start 3

# db PNN ARGS...: db-tool on node PNN, bounded.
db() {
        local pnn=$1
        shift
        lc exec "$pnn" -- env CTDB_DB_SOCKET="$CTDB_LOCAL_STATE/node$pnn/run/db.sock" \
                timeout 20 "$DB_TOOL" "$@"
}
# header PNN KEY: "RSN DMASTER" of node PNN's own copy of KEY in test.tdb.
header() {
        local out
        out=$(db "$1" header test.tdb "$2") || return 1
        [[ $out =~ rsn=([0-9]+)\ dmaster=([0-9]+) ]] || return 1
        echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}

wait_until "every node's VnnMap lists all three dbds" 20 vnnmap_is "3 0 1 2" 0 1 2

case $mode in
migrate)
        expect "node 0 stores k1" db 0 put test.tdb k1 hello
        read -r rsn0 dm0 < <(header 0 k1)
        expect "node 0 is the dmaster of k1 (header: dmaster $dm0)" test "$dm0" = 0
        out=$(db 2 get test.tdb k1)
        expect "node 2 fetch-locks k1 and gets its value (got '$out')" test "$out" = hello
        read -r rsn2 dm2 < <(header 2 k1)
        expect "node 2's copy: dmaster 2, rsn $rsn2 > $rsn0" test "$dm2" = 2 -a "$rsn2" -gt "$rsn0"
        read -r _ dm0 < <(header 0 k1)
        expect "node 0's copy now names dmaster 2 (says $dm0)" test "$dm0" = 2
        out=$(db 1 read test.tdb k1)
        expect "node 1 reads k1 without migrating it (got '$out')" test "$out" = hello
        read -r _ dm2 < <(header 2 k1)
        expect "k1 stayed on node 2 (dmaster $dm2)" test "$dm2" = 2
        # The admin's way: ctdbctl (D-Bus) on two nodes.
        expect "ctdbctl db put on node 0" lc exec 0 -- ctdbctl db put test.tdb admin-key "from node 0"
        out=$(lc exec 2 -- ctdbctl db get test.tdb admin-key)
        expect "ctdbctl db get on node 2 reads it (got '$out')" test "$out" = "from node 0"
        expect "busctl tree org.ctdb.db1 lists test.tdb" \
                bash -c "DBUS_SYSTEM_BUS_ADDRESS='$(bus_of 1)' busctl --system tree org.ctdb.db1 | grep -q test_2etdb"
        # The files are CTDB's format: its own tool and tdb's read them.
        file=$CTDB_LOCAL_STATE/node2/lib/volatile/test.tdb.2
        if command -v ltdbtool >/dev/null; then
                expect "ltdbtool dump shows k1 with dmaster 2" \
                        bash -c "ltdbtool dump -p '$file' | grep -A2 'key(2) = \"k1\"' | grep -q 'dmaster: 2'"
        else
                log "ltdbtool not installed (package ctdb): not checked"
        fi
        if command -v tdbdump >/dev/null; then
                expect "tdbdump lists k1" bash -c "tdbdump '$file' | grep -q 'key(2) = \"k1\"'"
        else
                log "tdbdump not installed (package tdb-tools): not checked"
        fi
        ;;
chainlock)
        expect "node 2 stores k2" db 2 put test.tdb k2 locked-value
        coproc HOLDER { db 2 lock test.tdb k2; }
        read -r -t 10 line <&"${HOLDER[0]}" || fail "the lock holder did not lock k2"
        expect "a client on node 2 holds k2's chain lock ($line)" test "$line" = locked
        db 0 get test.tdb k2 >"$CTDB_LOCAL_STATE/get.out" &
        getter=$!
        # Negative check, bounded: the migration must not complete while the lock is held.
        for _ in $(seq 10); do
                kill -0 "$getter" 2>/dev/null || fail "node 0 got k2 while node 2's client held its lock"
                sleep 0.1
        done
        read -r _ dm < <(header 2 k2)
        expect "k2 is still on node 2 while its chain is locked (dmaster $dm)" test "$dm" = 2
        eval "exec ${HOLDER[1]}>&-"
        wait "$HOLDER_PID" || true
        wait_until "node 0's fetch-lock completes once the lock is released" 10 \
                bash -c "! kill -0 $getter 2>/dev/null"
        wait "$getter" || fail "node 0's fetch-lock of k2 failed"
        expect "node 0 got k2's value" test "$(cat "$CTDB_LOCAL_STATE/get.out")" = locked-value
        ;;
kill)
        # Records whose last store is on node 1 (survives) and on node 2 (is killed).
        expect "node 1 stores 300 records" db 1 fill test.tdb 300 one
        expect "node 2 stores 300 records" db 2 fill test.tdb 300 two
        expect "node 2 stores 100 records first stored on node 1" db 2 fill test.tdb 100 one
        GENERATION=$(generation_of 0)
        lc kill 2
        wait_until "nodes 0 and 1 recovered without node 2" 20 vnnmap_is "2 0 1" 0 1
        # one-0..99 moved to node 2 and were stored there with the same values: node 1's
        # copy of each (handed over with rsn + 1, its data as it left) is what survives.
        bad=$(db 0 check test.tdb 300 one)
        expect "every record last stored on node 1 is intact ($bad of 300 differ)" test "$bad" = 0
        for i in 7 150 299; do
                v=$(db 0 read test.tdb "one-$i")
                expect "one-$i survived with its value ($v)" test "$v" = "value-$i"
        done
        expect "the cluster serves every key: node 0 fetch-locks and stores two-7" db 0 put test.tdb two-7 again
        expect "node 1 reads it back" test "$(db 1 read test.tdb two-7)" = again
        lc start 2
        wait_until "node 2 rejoined the VnnMap" 30 vnnmap_is "3 0 1 2" 0 1 2
        expect "node 2 serves one-200" test "$(db 2 get test.tdb one-200)" = value-200
        ;;
restart)
        expect "node 1 stores 50 records" db 1 fill test.tdb 50 r
        read -r pid _ <"$CTDB_LOCAL_STATE/node1/dbd.pid"
        kill -TERM "$pid"
        wait_until "nodes 0 and 2 recovered without node 1's dbd" 20 vnnmap_is "2 0 2" 0 2
        lc start 1
        wait_until "node 1's dbd rejoined" 30 vnnmap_is "3 0 1 2" 0 1 2
        expect "node 1 serves a record again" db 1 put test.tdb r-1 new
        expect "node 0 reads it" test "$(db 0 read test.tdb r-1)" = new
        ;;
vacuum)
        expect "nodes 0 and 1 store 5,000 records each" db 0 fill test.tdb 5000 a
        expect "node 1 stores 5,000" db 1 fill test.tdb 5000 b
        records_in() { tdbdump "$CTDB_LOCAL_STATE/node$1/lib/volatile/test.tdb.$1" | grep -c '^key' || true; }
        total=0
        for n in 0 1 2; do total=$((total + $(records_in "$n"))); done
        expect "the files hold the records ($total in all)" test "$total" -ge 10000
        n=$(db 2 count test.tdb -)
        expect "a traverse from node 2 sees the 10,000 live records of the cluster (saw $n)" test "$n" = 10000
        expect "node 2 deletes the 10,000 records" db 2 delete test.tdb 5000 a
        expect "node 2 deletes the second half" db 2 delete test.tdb 5000 b
        vacuumed() {
                local n c
                for n in 0 1 2; do
                        c=$(records_in "$n")
                        ((c <= 100)) || return 1
                done
        }
        wait_until "every node's file is back near 0 records" 60 vacuumed
        for n in 0 1 2; do log "node $n: $(records_in "$n") records left"; done
        n=$(db 0 count test.tdb -)
        expect "a traverse sees no live record any more (saw $n)" test "$n" = 0
        missing() { ! db "$@" >/dev/null 2>&1; }
        expect "a deleted record reads as missing" missing 0 read test.tdb a-17
        expect "a deleted key can be stored again" db 1 put test.tdb a-17 back
        expect "and read on another node" test "$(db 0 read test.tdb a-17)" = back
        ;;
readonly)
        F_RO_HAVE_DELEGATIONS=$((0x01000000)) F_RO_HAVE_READONLY=$((0x02000000))
        expect "node 0 stores hot" db 0 put test.tdb hot v0
        expect "node 0 switches test.tdb to read-only delegations" \
                busctl_on 0 call org.ctdb.db1 /org/ctdb/db1/db/test_2etdb org.ctdb.db1.Database SetReadOnly
        readonly_everywhere() {
                local n
                for n in 0 1 2; do
                        [[ $(prop "$n" org.ctdb.db1 /org/ctdb/db1/db/test_2etdb org.ctdb.db1.Database ReadOnly) == true ]] ||
                                return 1
                done
                vnnmap_is "3 0 1 2" 0 1 2
        }
        wait_until "every node delegates test.tdb (after the recovery that spreads it)" 20 readonly_everywhere
        expect "node 0 is still the dmaster" db 0 put test.tdb hot v1
        flags_of() {
                local out
                out=$(db "$1" header test.tdb "$2") || return 1
                [[ $out =~ flags=(0x[0-9a-f]+) ]] && echo $((BASH_REMATCH[1]))
        }
        for n in 1 2; do
                expect "node $n reads v1 with a read-only copy" test "$(db "$n" readro test.tdb hot)" = v1
                f=$(flags_of "$n" hot)
                expect "node $n holds a read-only copy (flags $f)" test $((f & F_RO_HAVE_READONLY)) -ne 0
        done
        f=$(flags_of 0 hot)
        expect "node 0 knows it delegated (flags $f)" test $((f & F_RO_HAVE_DELEGATIONS)) -ne 0
        for i in $(seq 2 21); do
                db 0 put test.tdb hot "v$i" || fail "store v$i on node 0"
                for n in 1 2; do
                        got=$(db "$n" readro test.tdb hot) || fail "read on node $n"
                        [[ $got == "v$i" ]] || fail "node $n read '$got' after v$i was stored"
                done
        done
        log "ok: 20 stores on node 0, each read back as the newest value on nodes 1 and 2 right after"
        read -r _ dm < <(header 0 hot)
        expect "the writes stayed local to node 0 (dmaster $dm)" test "$dm" = 0
        ;;
esac
