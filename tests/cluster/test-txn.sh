#!/bin/bash
# Persistent and replicated databases on three nodes: cluster-wide transactions
# through libctdb-client (tests/lib/txn-tool). MODE is the first argument:
#   durability  about 1,000 transactions from two writers per node while node 2
#               is killed and restarted twice and node 1 is hung and healed
#               once: afterwards every acknowledged commit is on every node,
#               whole; every commit refused with a promise (EAGAIN, ENOLINK)
#               left nothing; the copies and seqnums are alike everywhere
#   hang-coordinator
#               the coordinator of the commits goes silent with commits in
#               flight and comes back as soon as the others recovered: the
#               same checks as durability
#   restart     a node restarted alone gets the replicated database back from
#               the others; a stop and start of every node keeps the
#               persistent database and empties the replicated one
#   partition   node 2 cut off (1 vs 2) refuses commits at once with ENOLINK
#               while nodes 0 and 1 keep committing; after the heal node 2 has
#               their copy
#   files       the persistent (and replicated) files are what tdb's tdbdump
#               and CTDB's ltdbtool read, with the seqnum record as Samba reads it
source "$(dirname "$0")/../lib/cluster.sh"
mode=${1:-}
case $mode in
durability | hang-coordinator | restart | partition | files) ;;
*) echo "usage: $0 durability|hang-coordinator|restart|partition|files" >&2; exit 2 ;;
esac

# With CTDB_TEST_KEEP=DIR a failed check first copies the state dir (database
# files, the writers' outputs, the daemons' logs) to DIR, for the post-mortem.
if [[ -n ${CTDB_TEST_KEEP:-} ]]; then
        eval "cluster_fail_$(declare -f fail)"
        fail() {
                cp -a "$CTDB_LOCAL_STATE" "$CTDB_TEST_KEEP" 2>/dev/null || true
                cluster_fail_fail "$@"
        }
fi

TXN_TOOL=${CTDB_BUILD_DIR:-$CTDB_SOURCE_DIR/build}/tests/lib/txn-tool
[[ -x $TXN_TOOL ]] || { echo "SKIP: $TXN_TOOL is not built"; exit 77; }

cluster_start 3

# txn PNN ARGS...: txn-tool on node PNN, bounded.
txn() {
        local pnn=$1
        shift
        lc exec "$pnn" -- env CTDB_DB_SOCKET="$CTDB_LOCAL_STATE/node$pnn/run/db.sock" \
                timeout 30 "$TXN_TOOL" "$@"
}
# file_of PNN DB KIND: node PNN's file of the database.
file_of() {
        local dir=persistent
        [[ $3 == persistent ]] || dir=volatile
        echo "$CTDB_LOCAL_STATE/node$1/lib/$dir/$2.$1"
}
# settled: all three nodes in every VnnMap, none recovering.
settled() { vnnmap_is "3 0 1 2" 0 1 2; }
# seqnums_equal DB KIND NODES...: every node's SeqNum is the same; SEQNUM is it.
seqnums_equal() {
        local db=$1 kind=$2 n s first=""
        shift 2
        for n in "$@"; do
                s=$(txn "$n" seqnum "$db" "$kind") || return 1
                [[ -z $first || $s == "$first" ]] || return 1
                first=$s
        done
        SEQNUM=$first
}
# records_of PNN DB: node PNN's persistent copy of DB without the seqnum record, whose header
# carries the epoch that every recovery stamps anew.
records_of() {
        "$TXN_TOOL" dump "$(file_of "$1" "$2" persistent)" | grep -v '^5f5f64625f73657175656e63655f6e756d6265725f5f00 '
}

# copies_alike DB KIND NODES...: `txn-tool dump` of each node's file is that of the first.
copies_alike() {
        local db=$1 kind=$2 n want
        shift 2
        want=$("$TXN_TOOL" dump "$(file_of "$1" "$db" "$kind")") || return 1
        for n in "${@:2}"; do
                [[ $("$TXN_TOOL" dump "$(file_of "$n" "$db" "$kind")") == "$want" ]] || return 1
        done
}
# report_differences DB KIND A B: the lines in which two nodes' copies differ (diagnosis).
report_differences() {
        diff <("$TXN_TOOL" dump "$(file_of "$3" "$1" "$2")") \
                <("$TXN_TOOL" dump "$(file_of "$4" "$1" "$2")") |
                head -n 20 | sed 's/^/    /' || true
}
# acked_total: the "ok" lines of every writer so far.
acked_total() { cat "$OUT"/*.out 2>/dev/null | grep -c '^ok ' || true; }
acked_at_least() { (($(acked_total) >= $1)); }

WRITERS=()              # "PNN ID PID" of every writer started
OUT=$CTDB_LOCAL_STATE/writers
mkdir -p "$OUT"
# start_writer PNN ID N [MS]: a writer of N transactions on node PNN in the
# background, MS ms apart. local-cluster exec execs into the tool, so $! is the writer.
start_writer() {
        CTDB_DB_SOCKET="$CTDB_LOCAL_STATE/node$1/run/db.sock" \
                "$LOCAL_CLUSTER" exec "$1" -- "$TXN_TOOL" writer "$DB" persistent "$2" "$3" ${4:+"$4"} \
                >"$OUT/$2.out" 2>"$OUT/$2.err" &
        WRITERS+=("$1 $2 $!")
}
# writers_of PNN: the pids of the writers started on node PNN.
writers_of() {
        local w pnn id pid
        for w in "${WRITERS[@]}"; do
                read -r pnn id pid <<<"$w"
                [[ $pnn != "$1" ]] || echo "$pid"
        done
}
none_running() {
        local pid
        for pid in "$@"; do ! kill -0 "$pid" 2>/dev/null || return 1; done
}
# kill_node PNN: its daemons and, as with a real node, the applications on it.
kill_node() {
        local -a pids
        mapfile -t pids < <(writers_of "$1")
        lc kill "$1"
        kill -KILL "${pids[@]}" 2>/dev/null || true
        wait_until "node $1's writers are gone" 10 none_running "${pids[@]}"
}

# all_writers: the pids of every writer started.
all_writers() {
        local w pid
        for w in "${WRITERS[@]}"; do
                read -r _ _ pid <<<"$w"
                echo "$pid"
        done
}
# writers_done TIMEOUT_S: every writer finished and the cluster settled; TOTAL
# is the number of transactions they made.
writers_done() {
        local -a all
        mapfile -t all < <(all_writers)
        wait_until "every writer finished" "$1" none_running "${all[@]}"
        wait_until "the cluster settled (no recovery anywhere)" 30 settled
        TOTAL=$(cat "$OUT"/*.out | wc -l)
        log "$TOTAL transactions by ${#WRITERS[@]} writers, $(acked_total) acknowledged"
        log "failed commits by error: $(grep -h '^fail ' "$OUT"/*.out | cut -d' ' -f3- | sort | uniq -c |
                tr '\n' ';' || true)"
}
# verify_writers: every acknowledged commit of every writer is on every node,
# whole; every refused one left nothing; copies and seqnums are alike.
verify_writers() {
        local n w id out
        for n in 0 1 2; do
                for w in "${WRITERS[@]}"; do
                        read -r _ id _ <<<"$w"
                        out=$("$TXN_TOOL" present "$(file_of "$n" "$DB" persistent)" "$id" \
                                <"$OUT/$id.out" 2>&1) || fail "node $n: writer $id: $out"
                done
                log "ok: node $n holds every acknowledged commit of the ${#WRITERS[@]} writers"
        done
        wait_until "the seqnum is equal on every node" 10 seqnums_equal "$DB" persistent 0 1 2
        log "seqnum $SEQNUM everywhere"
        copies_alike "$DB" persistent 0 1 2 || {
                report_differences "$DB" persistent 0 1
                report_differences "$DB" persistent 0 2
                fail "the three copies of $DB differ (above: node 0 against 1 and 2)"
        }
        log "ok: the three copies of $DB are identical"
        for n in 0 1 2; do
                out=$("$TXN_TOOL" check "$(file_of "$n" "$DB" persistent)") || fail "node $n: $out"
                log "ok: node $n: $out"
        done
}

case $mode in
durability)
        DB=durable.tdb
        # 170 each, paced so that the writers run through the whole series of
        # faults (unpaced, 1,000 commits take about 2 s here).
        N=170 PACE=60
        wait_until "every node's VnnMap lists all three dbds" 20 settled
        for n in 0 1 2; do expect "node $n attaches $DB" txn "$n" seqnum "$DB" persistent; done
        for n in 0 1 2; do
                start_writer "$n" "n${n}a" "$N" "$PACE"
                start_writer "$n" "n${n}b" "$N" "$PACE"
        done
        log "6 writers of $N transactions each started"
        # The leader (the commit coordinator, at first) is killed, another node hung.
        pick_victim leader
        K=$VICTIM H=${REST[0]}
        mapfile -t KEEP_K < <(others "$K")
        mapfile -t KEEP_H < <(others "$H")
        log "node $K is killed and restarted twice, node $H hung and healed once"
        gen=1
        restart_killed() {
                wait_until "the writers have $1 acknowledged commits" 60 acked_at_least "$1"
                kill_node "$K"
                wait_until "nodes ${KEEP_K[*]} recovered without node $K" 30 \
                        vnnmap_is "2 ${KEEP_K[*]}" "${KEEP_K[@]}"
                local before
                before=$(acked_total)
                wait_until "nodes ${KEEP_K[*]} keep committing" 30 acked_at_least $((before + 20))
                lc start "$K"
                wait_until "node $K rejoined" 30 settled
                gen=$((gen + 1))
                start_writer "$K" "n${K}a$gen" "$N" "$PACE"
                start_writer "$K" "n${K}b$gen" "$N" "$PACE"
                log "writers n${K}a$gen and n${K}b$gen started on node $K"
        }
        restart_killed 100
        wait_until "the writers have 250 acknowledged commits" 60 acked_at_least 250
        lc hang "$H"
        wait_until "nodes ${KEEP_H[*]} recovered without node $H" 30 \
                vnnmap_is "2 ${KEEP_H[*]}" "${KEEP_H[@]}"
        # Long enough for node H's own commits to meet its lost quorum.
        wait_until "node $H knows it is cut off" 30 isolated "$H" "${KEEP_H[@]}"
        before=$(acked_total)
        wait_until "nodes ${KEEP_H[*]} keep committing" 30 acked_at_least $((before + 20))
        lc heal "$H"
        wait_until "node $H rejoined after the heal" 30 settled
        restart_killed $(($(acked_total) + 100))
        writers_done 120
        expect "about 1,000 transactions were made ($TOTAL)" test "$TOTAL" -ge 1000
        verify_writers
        ;;
restart)
        wait_until "every node's VnnMap lists all three dbds" 20 settled
        for i in 1 2 3 4 5 6; do
                expect "node $((i % 3)) commits p$i to keep.tdb" \
                        txn $((i % 3)) put keep.tdb persistent "p$i" "v$i"
        done
        for i in 1 2 3; do
                expect "node $((i % 3)) commits r$i to repl.tdb" \
                        txn $((i % 3)) put repl.tdb replicated "r$i" "w$i"
        done
        for n in 0 1 2; do
                expect "node $n attaches both" txn "$n" seqnum keep.tdb persistent
                txn "$n" seqnum repl.tdb replicated >/dev/null
        done
        wait_until "every node has the six commits of keep.tdb" 10 seqnums_equal keep.tdb persistent 0 1 2
        expect "keep.tdb's seqnum is 6 ($SEQNUM)" test "$SEQNUM" = 6
        before=$(records_of 0 keep.tdb)

        # One node restarts: its replicated copy starts empty and comes back from the others.
        kill_node 1
        wait_until "nodes 0 and 2 recovered without node 1" 30 vnnmap_is "2 0 2" 0 2
        lc start 1
        wait_until "node 1 rejoined" 30 settled
        expect "node 1 reads r2 of repl.tdb again" test "$(txn 1 get repl.tdb replicated r2)" = w2
        wait_until "node 1's replicated copy is the others'" 10 copies_alike repl.tdb replicated 0 1 2

        # Every node stops, then every node starts: a new cluster.
        for n in 0 1 2; do lc kill "$n"; done
        for n in 0 1 2; do lc start "$n"; done
        wait_until "the restarted cluster is healthy" 30 healthy 0 1 2
        for n in 0 1 2; do
                expect "node $n attaches keep.tdb again" txn "$n" seqnum keep.tdb persistent
                txn "$n" seqnum repl.tdb replicated >/dev/null
        done
        wait_until "every node's VnnMap lists all three dbds" 30 settled
        wait_until "keep.tdb's seqnum is the same on every node" 10 seqnums_equal keep.tdb persistent 0 1 2
        expect "keep.tdb kept its seqnum 6 ($SEQNUM)" test "$SEQNUM" = 6
        for n in 0 1 2; do
                expect "node $n's copy of keep.tdb is as before the stop" \
                        test "$(records_of "$n" keep.tdb)" = "$before"
                expect "node $n reads p4" test "$(txn "$n" get keep.tdb persistent p4)" = v4
                for i in 1 2 3; do
                        out=$(txn "$n" get repl.tdb replicated "r$i" 2>&1) &&
                                fail "node $n still has r$i of repl.tdb after the cluster restarted"
                        [[ $out == *"No such file or directory"* ]] || fail "node $n: get r$i: $out"
                done
        done
        log "ok: repl.tdb is empty on every node"
        wait_until "repl.tdb's seqnum is the same on every node" 10 seqnums_equal repl.tdb replicated 0 1 2
        expect "repl.tdb starts from seqnum 0 ($SEQNUM)" test "$SEQNUM" = 0
        expect "node 2 commits p7" txn 2 put keep.tdb persistent p7 v7
        expect "node 0 commits r9" txn 0 put repl.tdb replicated r9 w9
        wait_until "keep.tdb went on from 6 to 7 everywhere" 10 seqnums_equal keep.tdb persistent 0 1 2
        expect "keep.tdb's seqnum is 7 ($SEQNUM)" test "$SEQNUM" = 7
        expect "node 1 reads r9" test "$(txn 1 get repl.tdb replicated r9)" = w9
        ;;
hang-coordinator)
        # Unpaced writers keep a batch of commits in flight when the
        # coordinator goes silent; the heal comes right after the others
        # recovered, before they commit much: the recovery then has to choose
        # between the silent node's copy (its own batch applied) and theirs.
        DB=hang.tdb
        wait_until "every node's VnnMap lists all three dbds" 20 settled
        for n in 0 1 2; do expect "node $n attaches $DB" txn "$n" seqnum "$DB" persistent; done
        for n in 0 1 2; do
                start_writer "$n" "h${n}a" 300
                start_writer "$n" "h${n}b" 300
        done
        wait_until "the writers have 100 acknowledged commits" 30 acked_at_least 100
        mapfile -t KEEP < <(others "$LEADER")
        lc hang "$LEADER"
        wait_until "nodes ${KEEP[*]} recovered without the coordinator $LEADER" 30 \
                vnnmap_is "2 ${KEEP[*]}" "${KEEP[@]}"
        lc heal "$LEADER"
        wait_until "node $LEADER rejoined after the heal" 30 settled
        # A healthy cluster commits again at once (unpaced, hundreds a second).
        before=$(acked_total)
        wait_until "commits flow again after the heal" 5 acked_at_least $((before + 50))
        writers_done 90
        verify_writers
        ;;
partition)
        DB=part.tdb
        wait_until "every node's VnnMap lists all three dbds" 20 settled
        for n in 0 1 2; do expect "node $n commits k$n" txn "$n" put "$DB" persistent "k$n" "before"; done
        lc hang 2
        wait_until "node 2 is isolated (not quorate)" 30 isolated 2 0 1
        wait_until "nodes 0 and 1 recovered without node 2" 30 vnnmap_is "2 0 1" 0 1
        t0=$(date +%s%N)
        if out=$(txn 2 put "$DB" persistent lone x 2>&1); then
                fail "node 2 committed while cut off: $out"
        fi
        ms=$((($(date +%s%N) - t0) / 1000000))
        expect "node 2 refuses with ENOLINK ($out)" grep -q "Link has been severed" <<<"$out"
        expect "node 2 refused promptly ($ms ms)" test "$ms" -lt 3000
        start_writer 0 p0 50
        start_writer 1 p1 50
        mapfile -t all < <(all_writers)
        wait_until "the pair's writers finished" 60 none_running "${all[@]}"
        for id in p0 p1; do
                expect "writer $id had every commit acknowledged ($(grep -c '^ok ' "$OUT/$id.out") of 50)" \
                        test "$(grep -c '^ok ' "$OUT/$id.out")" = 50
        done
        refused_enolink() {
                local out
                ! out=$(txn "$@" 2>&1) && grep -q "Link has been severed" <<<"$out"
        }
        expect "node 2 still refuses with ENOLINK" refused_enolink 2 put "$DB" persistent lone y
        lc heal 2
        wait_until "node 2 rejoined after the heal" 30 settled
        wait_until "the seqnum is equal on every node" 10 seqnums_equal "$DB" persistent 0 1 2
        expect "the seqnum counts the 3 + 100 commits ($SEQNUM)" test "$SEQNUM" = 103
        copies_alike "$DB" persistent 0 1 2 || {
                report_differences "$DB" persistent 0 2
                fail "node 2's copy of $DB is not the pair's"
        }
        log "ok: node 2's copy is the pair's"
        for id in p0 p1; do
                expect "node 2 holds writer $id's commits" \
                        "$TXN_TOOL" present "$(file_of 2 "$DB" persistent)" "$id" <"$OUT/$id.out"
        done
        ! txn 0 get "$DB" persistent lone >/dev/null 2>&1 || fail "the refused commit of node 2 is there"
        expect "node 2 commits again" txn 2 put "$DB" persistent lone z
        ;;
files)
        wait_until "every node's VnnMap lists all three dbds" 20 settled
        expect "node 0 commits k1" txn 0 put files.tdb persistent k1 hello
        expect "node 1 commits k2" txn 1 put files.tdb persistent k2 world
        expect "node 2 commits r1 to a replicated database" txn 2 put rfiles.tdb replicated r1 there
        wait_until "node 2 has both commits" 10 seqnums_equal files.tdb persistent 0 1 2
        file=$(file_of 2 files.tdb persistent)
        [[ -f $file ]] || fail "no persistent file $file"
        # after TEXT N: the N-th line after the line with TEXT in $out
        # (ltdbtool prints key, dmaster, rsn, flags, data).
        after() { grep -F -A "$2" "$1" <<<"$out" | sed -n "$(($2 + 1))p"; }
        if command -v tdbdump >/dev/null; then
                out=$(tdbdump "$file") || fail "tdbdump $file: $out"
                expect "tdbdump lists k1" grep -qF 'key(2) = "k1"' <<<"$out"
                expect "tdbdump lists k2" grep -qF 'key(2) = "k2"' <<<"$out"
                expect "tdbdump lists the seqnum record" \
                        grep -qF 'key(23) = "__db_sequence_number__\00"' <<<"$out"
                rfile=$(file_of 0 rfiles.tdb replicated)
                expect "tdbdump reads node 0's replicated file with r1" \
                        grep -qF 'key(2) = "r1"' < <(tdbdump "$rfile")
        else
                log "tdbdump not installed (package tdb-tools): not checked"
        fi
        if command -v ltdbtool >/dev/null; then
                out=$(ltdbtool dump -p "$file") || fail "ltdbtool dump -p $file: $out"
                expect "ltdbtool shows k1 with its value" \
                        test "$(after 'key(2) = "k1"' 4)" = 'data(5) = "hello"'
                expect "ltdbtool shows k2 committed by node 1" \
                        test "$(after 'key(2) = "k2"' 1)" = "dmaster: 1"
                expect "ltdbtool shows k2 with rsn 2, its seqnum" \
                        test "$(after 'key(2) = "k2"' 2)" = "rsn: 2"
                # Samba's dbwrap reads the seqnum as a u64 in host order (2, little endian here).
                expect "ltdbtool shows the seqnum record holding 2" \
                        test "$(after __db_sequence_number__ 4)" = 'data(8) = "\02\00\00\00\00\00\00\00"'
        else
                log "ltdbtool not installed (package ctdb): not checked"
        fi
        ;;
esac
