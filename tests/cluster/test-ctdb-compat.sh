#!/bin/bash
# CTDB 4.17.12's own client programs, unchanged, against ctdb-remix's
# ctdbd.socket on three nodes: what a CTDB admin's tool and CTDB's own test
# programs see when ctdb-remix replaces ctdbd. MODE is the first argument:
#   tool      the stock ctdb tool: status, listnodes, pnn, getcapabilities,
#             uptime, attach (volatile, persistent, replicated), getdbmap,
#             writekey/readkey (the record migrates), cattdb, pstore, pfetch,
#             pdelete, ptrans, catdb, ip, recover and ban, with CTDB's
#             output formats asserted
#   programs  message_ring, fetch_ring, fetch_loop, g_lock_loop,
#             transaction_loop (persistent and replicated) and tunnel_test
#             on all three nodes
#             at once, each for 3 s: every instance finishes, prints its
#             result, and transaction_loop never sees a counter go down
# The programs are those ../shared/bench/ctdb-reference builds (tools/setup-deps
# runs it where that script is present); $CTDB_REFERENCE_TOOLS names their
# directory, else the one its last 'build' recorded. Without them: exit 77.
source "$(dirname "$0")/../lib/cluster.sh"
mode=${1:-}
case $mode in
tool | programs) ;;
*) echo "usage: $0 tool|programs" >&2; exit 2 ;;
esac
cluster_require_root

REF=${CTDB_REFERENCE_TOOLS:-}
if [[ -z $REF ]]; then
        { read -r REF <"${CTDBREF_STATE:-/var/tmp/ctdbref}/tools"; } 2>/dev/null || REF=
fi
for p in ctdb message_ring fetch_ring fetch_loop g_lock_loop transaction_loop; do
        # They load CTDB's private libraries from the source tree they were
        # built in: one that no longer runs is as good as absent.
        if [[ -z $REF || ! -x $REF/$p ]] || ! "$REF/$p" --help >/dev/null 2>&1; then
                echo "SKIP: CTDB 4.17.12's ctdb tool and test programs are not built" \
                        "(../shared/bench/ctdb-reference build;" \
                        "${REF:-no directory recorded}: no working $p)"
                exit 77
        fi
done

cluster_start 3
PIDS=()
trap compat_cleanup EXIT
log "CTDB's programs from $REF"
wait_until "every node's VnnMap lists all three dbds" 20 vnnmap_is "3 0 1 2" 0 1 2

sock_of() { echo "$CTDB_LOCAL_STATE/node$1/run/ctdbd.socket"; }

# The programs still running (a failed test), then the cluster; cluster_cleanup
# takes the test's status from $?.
compat_cleanup() {
        local rc=$? p
        trap - ERR
        set +e
        for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        (exit "$rc")
        cluster_cleanup
}

# ref PNN PROG ARGS...: CTDB program PROG on node PNN as on a CTDB node: in its
# namespace, CTDB_SOCKET naming its ctdbd.socket and CTDB_BASE its etc (where
# `ctdb listnodes` reads the nodes file), bounded.
ref() {
        local pnn=$1 prog=$2
        shift 2
        CTDB_BASE=$CTDB_LOCAL_STATE/node$pnn/etc CTDB_SOCKET=$(sock_of "$pnn") \
                ip netns exec "$(node_ns "$pnn")" timeout -k 2 20 "$REF/$prog" "$@"
}

# ---- tool ---------------------------------------------------------------------------

# ctdb_on PNN ARGS...: the stock ctdb tool on node PNN. OUT is its standard
# output exactly (trailing newlines too), ERR its standard error, RC its exit
# status, TOOL_MS how long it took.
ctdb_on() {
        local t0 raw
        t0=$(date +%s%N)
        raw=$(ref "$1" ctdb "${@:2}" 2>"$CTDB_LOCAL_STATE/ctdb.err"; printf '\001%d' "$?")
        TOOL_MS=$((($(date +%s%N) - t0) / 1000000))
        OUT=${raw%$'\001'*}
        RC=${raw##*$'\001'}
        ERR=$(<"$CTDB_LOCAL_STATE/ctdb.err")
}

# tool_failed WHAT: fails the test showing what the last ctdb_on printed.
tool_failed() {
        printf '%s\n' "---- exit status $RC; stdout:" "$OUT" "---- stderr:" "$ERR" "----"
        fail "$1"
}

# tool_is WANT PNN ARGS...: `ctdb ARGS` on node PNN succeeds and prints
# exactly WANT (a diff shows how it differs otherwise).
tool_is() {
        local want=$1
        ctdb_on "${@:2}"
        if [[ $RC != 0 || $OUT != "$want" ]]; then
                diff <(printf '%s' "$want") <(printf '%s' "$OUT") | sed 's/^/    /' || true
                tool_failed "node $2: ctdb ${*:3} (want the output above with '<', exit 0)"
        fi
        log "ok: node $2: ctdb ${*:3} printed what CTDB does ($TOOL_MS ms)"
}

# show: the last ctdb_on's output in the log.
show() {
        local -a l
        mapfile -t l <<<"${OUT%$'\n'}"
        printf '    | %s\n' "${l[@]}"
}

# db_id NAME: CTDB's db_id of database NAME, from libtdb's Jenkins hash.
db_id() {
        python3 - "$1" <<'PY'
import ctypes, sys
class TdbData(ctypes.Structure):
    _fields_ = [("dptr", ctypes.c_char_p), ("dsize", ctypes.c_size_t)]
tdb = ctypes.CDLL("libtdb.so.1")
tdb.tdb_jenkins_hash.restype = ctypes.c_uint32
name = sys.argv[1].encode() + b"\0"
print("0x%08x" % tdb.tdb_jenkins_hash(ctypes.byref(TdbData(name, len(name)))))
PY
}

run_tool() {
        local n addrs want gen vnn said k
        mapfile -t addrs <"$CTDB_LOCAL_STATE/node0/etc/nodes"
        expect "the nodes file lists 3 addresses" test "${#addrs[@]}" = 3

        # status: the node list in CTDB's layout, the vnnmap, recovery mode and
        # the leader, which ctdbd's recovery daemon broadcasts once a second and
        # the tool waits for (10 s, then "Leader:UNKNOWN"): ours tells it at once.
        gen=$(generation_of 0)
        read -r -a vnn <<<"$(mgr 0 VnnMap)"
        for n in 0 1 2; do
                want="Number of nodes:3"$'\n'
                for k in 0 1 2; do
                        want+=$(printf 'pnn:%u %-16s OK%s' "$k" "${addrs[k]}" \
                                "$([[ $k == "$n" ]] && echo ' (THIS NODE)')")$'\n'
                done
                want+="Generation:$gen"$'\n'"Size:${vnn[0]}"$'\n'
                for ((k = 0; k < vnn[0]; k++)); do want+="hash:$k lmaster:${vnn[k + 1]}"$'\n'; done
                want+="Recovery mode:NORMAL (0)"$'\n'"Leader:$LEADER"$'\n'
                tool_is "$want" "$n" status
                ((TOOL_MS < 3000)) || tool_failed "node $n: ctdb status took $TOOL_MS ms (the leader wait?)"
        done
        show
        [[ $OUT =~ Leader:([0-2])$'\n'$ ]] || tool_failed "no Leader: line naming pnn 0-2"
        said=${BASH_REMATCH[1]}
        log "ok: ctdb status names leader $said, as clusterd does"

        # listnodes reads the nodes file ($CTDB_BASE/nodes) and asks no daemon.
        tool_is "$(printf '%s\n' "${addrs[@]}")"$'\n' 0 listnodes
        for n in 0 1 2; do tool_is "$n"$'\n' "$n" pnn; done
        # 4.17 calls the recmaster capability LEADER.
        for n in 0 1 2; do tool_is $'LEADER: YES\nLMASTER: YES\n' "$n" getcapabilities; done

        # uptime: CTDB's four lines, about this node, started in the last minutes.
        ctdb_on 1 uptime
        show
        local -a u
        mapfile -t u <<<"${OUT%$'\n'}"
        # ctime(3) dates; the time since the last recovery is not checked:
        # ctdb-remix reports none yet (1970).
        local day='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}'
        local ago='\([0-9]{3,} [0-9]{2}:[0-9]{2}:[0-9]{2}\)'
        local -a re=("^Current time of node 1 +: +($day)$"
                "^Ctdbd start time +: \(000 00:[0-5][0-9]:[0-5][0-9]\) $day$"
                "^Time of last recovery/failover: $ago $day$"
                "^Duration of last recovery/failover: [0-9]+\.[0-9]{6} seconds$")
        [[ $RC == 0 && ${#u[@]} == 4 ]] || tool_failed "ctdb uptime: not 4 lines"
        # line 1 last: its match holds the node's time
        for k in 3 2 1 0; do
                [[ ${u[k]} =~ ${re[k]} ]] || tool_failed "ctdb uptime: line $((k + 1)) is not /${re[k]}/"
        done
        local now when
        now=$(date +%s)
        when=$(date -d "${BASH_REMATCH[1]}" +%s)
        ((when >= now - 5 && when <= now + 5)) ||
                tool_failed "ctdb uptime: node 1's time is $((when - now)) s off"
        log "ok: ctdb uptime prints CTDB's lines, started within the hour"

        # attach creates the database on every node (the tool then opens the file itself).
        tool_is "" 0 attach compat-v.tdb
        tool_is "" 0 attach compat-p.tdb persistent
        tool_is "" 0 attach compat-r.tdb replicated
        # getdbmap: one line per database with CTDB's db_id (the Jenkins hash
        # of the name and its NUL, as Samba computes it), path and flags. ctdbd
        # lists the newest first; the order is not compared.
        local db dir flag
        local -A id=()
        for db in v p r; do id[$db]=$(db_id "compat-$db.tdb"); done
        for n in 0 1 2; do
                ctdb_on "$n" getdbmap
                [[ $RC == 0 && $OUT == "Number of databases:3"$'\n'* ]] ||
                        tool_failed "node $n: ctdb getdbmap does not list 3 databases"
                for db in v:volatile: p:persistent:\ PERSISTENT r:state:\ REPLICATED; do
                        IFS=: read -r k dir flag <<<"$db"
                        want="dbid:${id[$k]} name:compat-$k.tdb"
                        want+=" path:$CTDB_LOCAL_STATE/node$n/lib/$dir/compat-$k.tdb.$n$flag"
                        grep -qxF -- "$want" <<<"$OUT" || tool_failed "node $n: ctdb getdbmap lacks '$want'"
                done
                log "ok: node $n: ctdb getdbmap lists the three with their db_id, path and flags"
        done
        show

        # A volatile record written on node 0 and read on node 2 migrates
        # there with its value and a higher rsn; cattdb shows node 2's copy.
        tool_is "" 0 writekey compat-v.tdb k1 hello
        local nl=$'\n'
        ctdb_on 0 cattdb compat-v.tdb
        local head="^key\\(2\\) = \"k1\"${nl}dmaster: 0${nl}rsn: ([0-9]+)${nl}"
        [[ $RC == 0 && $OUT =~ $head ]] ||
                tool_failed "node 0: ctdb cattdb does not show k1 with dmaster 0"
        local rsn0=${BASH_REMATCH[1]}
        tool_is "Data: size:5 ptr:[hello]"$'\n' 2 readkey compat-v.tdb k1
        ctdb_on 2 cattdb compat-v.tdb
        show
        [[ $OUT =~ ${head/dmaster: 0/dmaster: 2} ]] ||
                tool_failed "node 2: ctdb cattdb does not show k1 with dmaster 2"
        local rsn2=${BASH_REMATCH[1]}
        ((rsn2 > rsn0)) || tool_failed "node 2: k1's rsn $rsn2 is not above node 0's $rsn0"
        want="key(2) = \"k1\"${nl}dmaster: 2${nl}rsn: $rsn2${nl}flags: 0x00010000 MIGRATED_WITH_DATA${nl}"
        want+="data(5) = \"hello\"${nl}${nl}Dumped 1 record(s)${nl}"
        tool_is "$want" 2 cattdb compat-v.tdb
        log "ok: k1 migrated to node 2 with its value, rsn $rsn0 -> $rsn2"

        # Persistent records through CTDB's client-side transactions (g_lock
        # in g_lock.tdb, TRANS3_COMMIT): committed on every node.
        tool_is "" 0 pstore compat-p.tdb pk1 pval1
        for n in 1 2; do tool_is "pval1"$'\n' "$n" pfetch compat-p.tdb pk1; done
        tool_is "" 0 pdelete compat-p.tdb pk1
        for n in 1 2; do tool_is $'\n' "$n" pfetch compat-p.tdb pk1; done
        printf '"ka" "va"\n"kb" "vb"\n' >"$CTDB_LOCAL_STATE/ptrans.in"
        tool_is "" 0 ptrans compat-p.tdb "$CTDB_LOCAL_STATE/ptrans.in"
        for n in 1 2; do
                tool_is "va"$'\n' "$n" pfetch compat-p.tdb ka
                tool_is "vb"$'\n' "$n" pfetch compat-p.tdb kb
        done
        # The same in a replicated database, from another node.
        tool_is "" 1 pstore compat-r.tdb rk1 rval1
        for n in 0 2; do tool_is "rval1"$'\n' "$n" pfetch compat-r.tdb rk1; done

        # catdb: a traverse of the whole cluster, records as messages to the
        # tool. (The attach of g_lock.tdb by pstore ran a recovery since, which
        # made the recovery's coordinator k1's dmaster: its header is not compared.)
        ctdb_on 1 catdb compat-v.tdb
        show
        [[ $RC == 0 && $OUT == 'key(2) = "k1"'$'\n'* && $OUT == *$'\n''data(5) = "hello"'$'\n\n''Dumped 1 records'$'\n' ]] ||
                tool_failed "node 1: ctdb catdb compat-v.tdb does not list k1 = hello alone"
        log "ok: node 1: ctdb catdb lists k1 = hello, from node $(sed -n 's/^dmaster: //p' <<<"$OUT")"

        # ip: ctdb-ipd's addresses and holders, as ctdbctl ip prints them.
        want=$(lc exec 0 -- ctdbctl ip)
        tool_is "$want"$'\n' 0 ip
        show

        # recover: SET_RECMODE active, then the tool waits for a new generation.
        gen=$(generation_of 0)
        tool_is "" 2 recover
        (($(generation_of 0) > gen)) || tool_failed "ctdb recover: generation still $gen"
        log "ok: ctdb recover: generation $gen -> $(generation_of 0)"

        # ban: node 1 banned for 2 s (the tool waits for the flag and a
        # takeover run's answer from the leader), then every node sees it end.
        ctdb_on 1 ban 2
        [[ $RC == 0 ]] || tool_failed "node 1: ctdb ban 2 exited $RC: $OUT"
        ctdb_on 0 status
        grep -qE '^pnn:1 .* BANNED' <<<"$OUT" || tool_failed "node 0: ctdb status does not show node 1 BANNED"
        log "ok: ctdb ban: node 1 BANNED ($TOOL_MS ms for the status)"
        wait_until "node 1's ban ended on every node" 15 all_ok
}

# all_ok: ctdb status on node 0 shows every node OK.
all_ok() {
        ctdb_on 0 status
        [[ $(grep -cE '^pnn:[0-2] +[0-9.]+ +OK' <<<"$OUT") == 3 ]]
}

# ---- programs -----------------------------------------------------------------------

# on_all TAG PROG ARGS...: PROG on the three nodes at once, each bounded by
# ref's 20 s; fails unless every instance exits 0. RESULT[PNN] is the last line
# it printed (fetch_loop rewrites its line with \r each second), its output is
# in $CTDB_LOCAL_STATE/nodePNN/TAG.{out,err}.
on_all() {
        local tag=$1 n rc t0 f
        shift
        t0=$(date +%s%N)
        PIDS=()
        for n in 0 1 2; do
                f=$CTDB_LOCAL_STATE/node$n/$tag
                # Not through ref: $! is then timeout itself, which passes a kill on.
                CTDB_SOCKET=$(sock_of "$n") ip netns exec "$(node_ns "$n")" timeout -k 2 20 "$REF/$1" \
                        "${@:2}" >"$f.out" 2>"$f.err" </dev/null &
                PIDS+=($!)
        done
        declare -gA RESULT=()
        for n in 0 1 2; do
                f=$CTDB_LOCAL_STATE/node$n/$tag
                rc=0
                wait "${PIDS[n]}" || rc=$?
                RESULT[$n]=$(tr '\r' '\n' <"$f.out" | sed '/^$/d' | tail -n 1)
                if ((rc != 0)); then
                        printf '%s\n' "---- node $n stdout:" "$(<"$f.out")" "---- stderr:" "$(<"$f.err")"
                        fail "$tag: node $n's $1 exited with status $rc$( ((rc != 124)) || echo ' (20 s)')"
                fi
        done
        PIDS=()
        log "ok: $tag: $* finished on all 3 nodes in $((($(date +%s%N) - t0) / 1000000)) ms"
        for n in 0 1 2; do log "    node $n: ${RESULT[$n]}"; done
}

# each_matches TAG RE: every node's RESULT matches RE, with its pnn for each @ in RE.
each_matches() {
        local n re
        for n in 0 1 2; do
                re=${2//@/$n}
                [[ ${RESULT[$n]} =~ $re ]] || fail "$1: node $n printed '${RESULT[$n]}', not /$re/"
        done
}

# figure_at_least TAG MIN GROUP RE: BASH_REMATCH[GROUP] of RE on every node is >= MIN.
figure_at_least() {
        local tag=$1 min=$2 group=$3 re=$4 n v
        for n in 0 1 2; do
                [[ ${RESULT[$n]} =~ ${re//@/$n} ]] || fail "$tag: node $n: no figure in '${RESULT[$n]}'"
                v=${BASH_REMATCH[group]}
                awk -v v="$v" -v m="$min" 'BEGIN { exit !(v >= m) }' ||
                        fail "$tag: node $n's figure $v is below $min"
        done
}

# transactions TAG TYPE DB: transaction_loop on DB: each node increments its own
# counter in one record; pnn 0 checks after every commit that none went down.
# Afterwards every node's copy of the record is the same and holds exactly
# the commits each instance counted.
transactions() {
        local tag=$1 type=$2 db=$3 n sum=0 first=""
        local -a own=()
        local re='^Transaction\[@\]: +([0-9]+) +([0-9]+) +([0-9]+) *$'
        on_all "$tag" transaction_loop -n 3 -t 3 -D "$db" -T "$type" -k testkey
        each_matches "$tag" "$re"
        for n in 0 1 2; do
                ! grep -q 'Counter reduced' "$CTDB_LOCAL_STATE/node$n/$tag.err" ||
                        fail "$tag: node $n: $(grep 'Counter reduced' "$CTDB_LOCAL_STATE/node$n/$tag.err")"
                [[ ${RESULT[$n]} =~ ${re//@/$n} ]]
                own[n]=${BASH_REMATCH[n + 1]}
                sum=$((sum + own[n]))
        done
        ((sum > 0)) || fail "$tag: no node committed a transaction"
        log "ok: $tag: no counter went down; $sum commits in 3 s (per node ${own[*]})"
        # Every node's copy of the record, as cattdb shows it: three u32
        # counters, the bytes other than printable ones (and " and \) as \XX.
        local nl=$'\n' data
        local rec="key\\(7\\) = \"testkey\"${nl}dmaster: [0-9]+${nl}rsn: [0-9]+${nl}flags: [^$nl]*${nl}"
        rec+="data\\(12\\) = \"([^\"]*)\"${nl}"
        local -a c
        for n in 0 1 2; do
                ctdb_on "$n" cattdb "$db"
                [[ $RC == 0 && $OUT =~ $rec ]] ||
                        tool_failed "$tag: node $n: cattdb $db shows no 12-byte testkey"
                data=${BASH_REMATCH[1]}
                read -r -a c < <(printf '%b' "${data//\\/\\x}" | od -An -v -tu4)
                [[ -z $first || "${c[*]}" == "$first" ]] ||
                        fail "$tag: node $n's record holds ${c[*]}, node 0's $first"
                first=${c[*]}
        done
        # Only node I increments counter I, and it printed its last commit.
        [[ $first == "${own[*]}" ]] || fail "$tag: the record holds $first, the nodes committed ${own[*]}"
        log "ok: $tag: every node's $db holds the counters $first: every commit is there"
}

run_programs() {
        local n sum
        # CTDB's own integration tests want at least 10 messages a second and
        # 10 of each direction.
        on_all message_ring message_ring -n 3 -t 3
        each_matches message_ring '^Ring\[@\]: [0-9]+\.[0-9]+ msgs/sec \(\+ve=[0-9]+ -ve=[0-9]+\)$'
        figure_at_least message_ring 10 1 '^Ring\[@\]: ([0-9.]+) msgs/sec'
        figure_at_least message_ring 10 1 '\+ve=([0-9]+)'
        figure_at_least message_ring 10 1 '-ve=([0-9]+)'
        log "ok: message_ring: every node at least 10 msgs/sec and 10 each way"

        on_all fetch_ring fetch_ring -n 3 -t 3 -D fetch_ring.tdb -k testkey
        each_matches fetch_ring '^Fetch\[@\]: [0-9]+\.[0-9]+ msgs/sec$'
        figure_at_least fetch_ring 10 1 '^Fetch\[@\]: ([0-9.]+) msgs/sec'
        log "ok: fetch_ring: every node at least 10 msgs/sec"

        # fetch_loop's Locks is the record's counter as that node last had it.
        # A node can go without it for all 3 s while the other two pass it
        # between them (seen once in five runs): the highest must be positive.
        on_all fetch_loop fetch_loop -n 3 -t 3
        each_matches fetch_loop '^Locks:[0-9]+$'
        local max=0
        for n in 0 1 2; do ((${RESULT[$n]#Locks:} <= max)) || max=${RESULT[$n]#Locks:}; done
        ((max > 0)) || fail "fetch_loop: no node incremented the record"
        log "ok: fetch_loop: the record's counter reached $max"

        # The client busy-polls a taken g_lock (PROCESS_EXISTS, 1 ms): one node
        # may not get it in 3 s.
        on_all g_lock_loop g_lock_loop -n 3 -t 3
        each_matches g_lock_loop '^PNN:@ counter:[0-9]+$'
        sum=0
        for n in 0 1 2; do sum=$((sum + ${RESULT[$n]##*counter:})); done
        ((sum > 0)) || fail "g_lock_loop: no node took the lock"
        log "ok: g_lock_loop: $sum lock+unlock cycles in 3 s"

        transactions transaction_persistent persistent persistent_trans.tdb
        transactions transaction_replicated replicated replicated_trans.tdb

        # tunnel_test: each node's token round the ring of tunnels, its count
        # sequence checked by the receiver (EPROTO and a failure on a gap).
        on_all tunnel_test tunnel_test -n 3 -t 3
        each_matches tunnel_test '^pnn\[@\] [0-9]+\.[0-9]+ msgs/sec$'
        figure_at_least tunnel_test 10 1 '^pnn\[@\] ([0-9.]+) msgs/sec'
        log "ok: tunnel_test: every node at least 10 msgs/sec through the tunnels"
}

case $mode in
tool) run_tool ;;
programs) run_programs ;;
esac
