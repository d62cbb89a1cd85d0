#!/bin/bash
# CTDB 4.17.12's own client programs, unchanged, against ctdb-remix's
# ctdbd.socket on three nodes: what a CTDB admin's tool and CTDB's own test
# programs see when ctdb-remix replaces ctdbd. MODE is the first argument:
#   tool      the stock ctdb tool: status, listnodes, pnn, getcapabilities,
#             uptime, attach (volatile, persistent, replicated), getdbmap,
#             writekey/readkey (the record migrates), cattdb, pstore, pfetch,
#             pdelete, ptrans, catdb, ip, recover and ban, with CTDB's
#             output formats asserted
#   tool-vs-ctdb
#             the same commands of the same stock tool, on the same node of
#             ctdb-remix and of a real CTDB 4.17.12 cluster (Debian's ctdbd,
#             ../shared/bench/ctdb-reference up, beside ours): the outputs
#             and exit statuses, normalised only where the two must differ,
#             are the same
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
tool | programs | tool-vs-ctdb) ;;
*) echo "usage: $0 tool|programs|tool-vs-ctdb" >&2; exit 2 ;;
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

# tool-vs-ctdb also needs the script that runs the real CTDB, and the CTDB it
# runs; it starts its own cluster of it, and the names of that one are fixed.
CTDBREF=$(readlink -m "$CTDB_SOURCE_DIR/../shared/bench/ctdb-reference")
REF_STATE=
REF_UP_PID=
if [[ $mode == tool-vs-ctdb ]]; then
        if [[ ! -x $CTDBREF ]]; then
                echo "SKIP: no $CTDBREF to run real CTDB with"
                exit 77
        fi
        if [[ ! -x /usr/sbin/ctdbd ]]; then
                echo "SKIP: Debian's ctdbd (package ctdb, which tools/setup-deps installs)," \
                        "the real CTDB that ctdb-reference runs, is not installed"
                exit 77
        fi
        if ip netns list | grep -q '^ctdbref-'; then
                echo "SKIP: a ctdb-reference cluster is up already (namespaces ctdbref-*):" \
                        "this test starts one of its own ('ctdb-reference down' first)"
                exit 77
        fi
fi

cluster_start 3
PIDS=()
trap compat_cleanup EXIT
log "CTDB's programs from $REF"
wait_until "every node's VnnMap lists all three dbds" 20 vnnmap_is "3 0 1 2" 0 1 2

sock_of() { echo "$CTDB_LOCAL_STATE/node$1/run/ctdbd.socket"; }

# The programs still running (a failed test), the real CTDB (tool-vs-ctdb),
# then the cluster; cluster_cleanup takes the test's status from $?.
compat_cleanup() {
        local rc=$? p
        trap - ERR
        set +e
        for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        ref_down "$rc" || ((rc != 0)) || rc=1
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

# dbd answers ctdbd.socket from what clusterd last published on the bus: the
# end of the recovery 'up' waited for reaches it a moment after ctdbctl sees it.
socket_agrees() {
        local n gen
        gen=$(generation_of 0)
        for n in 0 1 2; do
                ctdb_on "$n" status
                [[ $RC == 0 && $OUT == *$'\n'"Generation:$gen"$'\n'"Size:3"$'\n'* ]] || return 1
        done
}
wait_until "every node's ctdbd.socket reports generation $(generation_of 0) with all three dbds" 10 socket_agrees

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
                for db in v:volatile: p:persistent:\ PERSISTENT r:volatile:\ REPLICATED; do
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

# ---- tool-vs-ctdb -------------------------------------------------------------------

# ref_up: the real CTDB's three nodes, ctdb-reference up with a state directory
# of this test's own (the machine's /var/tmp/ctdbref stays as it is, its build
# record too), bounded below ctdb-reference's own 120 s; REF_STATE/cluster
# exists from then on, and only then does ref_down stop anything.
ref_up() {
        local rc=0 t0
        REF_STATE=$(mktemp -d "/tmp/ctdb-$TEST_NAME-ref.XXXXXX")
        # The build record, so that `ctdb-reference --state-dir` run works there too.
        echo "$REF" >"$REF_STATE/tools"
        t0=$(date +%s%N)
        # In the background, so that a signal to the test is taken at once
        # (ref_down then ends this up by its pid).
        timeout -k 5 90 "$CTDBREF" --state-dir "$REF_STATE" up >"$REF_STATE/up.log" 2>&1 &
        REF_UP_PID=$!
        wait "$REF_UP_PID" || rc=$?
        REF_UP_PID=
        if ((rc != 0)); then
                sed 's/^/    /' "$REF_STATE/up.log"
                fail "ctdb-reference up exited with status $rc$( ((rc != 124)) || echo ' (90 s)')"
        fi
        log "real CTDB up in $((($(date +%s%N) - t0) / 1000000)) ms: $(grep -m1 'up: ' "$REF_STATE/up.log")"
}

# ref_down RC: stops the real CTDB cluster of this test, if it started one, and
# deletes its state; with RC non-zero (a failed test) its nodes' last log lines
# first. False if it could not be stopped.
ref_down() {
        local rc=$1 n failed=0
        [[ -n $REF_STATE ]] || return 0
        if [[ -n $REF_UP_PID ]]; then
                # Its own trap takes down what it had set up.
                kill -TERM "$REF_UP_PID" 2>/dev/null
                wait "$REF_UP_PID" 2>/dev/null
                REF_UP_PID=
                log "ctdb-reference up interrupted: $(tail -n 1 "$REF_STATE/up.log")"
        fi
        # Without REF_STATE/cluster, `down` would take the ctdbref namespaces for
        # leftovers of ours; they would be another's cluster, which our up refused.
        if [[ -d $REF_STATE/cluster ]]; then
                if ((rc != 0)); then
                        for n in 0 1 2; do
                                echo "  -- last lines of the real CTDB's node $n (log.ctdb)"
                                tail -n 20 "$REF_STATE/cluster/node$n/log/log.ctdb" 2>/dev/null |
                                        sed 's/^/    /'
                        done
                fi
                if timeout -k 5 60 "$CTDBREF" --state-dir "$REF_STATE" down >"$REF_STATE/down.log" 2>&1; then
                        log "real CTDB down: $(tail -n 1 "$REF_STATE/down.log")"
                else
                        sed 's/^/    /' "$REF_STATE/down.log"
                        log "FAIL: ctdb-reference down failed (above); its state is kept in $REF_STATE"
                        failed=1
                fi
        fi
        ((failed)) || rm -rf --one-file-system "$REF_STATE"
        REF_STATE=
        return "$failed"
}

# ctdb_ref_on PNN ARGS...: ctdb_on, on node PNN of the real CTDB: the same
# tool, in that node's namespace, with its socket and its etc (nodes file).
ctdb_ref_on() {
        local t0 raw d=$REF_STATE/cluster/node$1 err=$REF_STATE/ctdb.$BASHPID.err
        t0=$(date +%s%N)
        raw=$(CTDB_BASE=$d/etc CTDB_SOCKET=$d/run/ctdbd.socket ip netns exec "ctdbref-n$1" \
                timeout -k 2 20 "$REF/ctdb" "${@:2}" 2>"$err"; printf '\001%d' "$?")
        TOOL_MS=$((($(date +%s%N) - t0) / 1000000))
        OUT=${raw%$'\001'*}
        RC=${raw##*$'\001'}
        ERR=$(<"$err")
        rm -f "$err"
}

# What may differ between the two clusters and why; anything else is
# compared as the tool printed it. Arguments: a directory D, the test's start
# (epoch seconds), 1 for records of a volatile database (else 0). For SIDE
# ours and ctdb, D/SIDE.in is one command's result ("exit N\n-- stdout\n...
# -- stderr\n..."), D/SIDE.args the cluster's options, one a line: --addr PNN
# ADDRESS (its nodes file), --dir PATH NAME (its database directories),
# --event-script-dbs (the real CTDB); the normalised result goes to
# D/SIDE.norm, notes (the order getdbmap listed) to D/SIDE.note.
PY_NORMALISE=$(cat <<'PY'
import re, sys, time
d, since, volatile = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1"
now = time.time()

def normalise(text, addrs, dirs, event_dbs, notes):
    # Node addresses: each cluster has its own subnet. The status layout pads
    # the address to 16 columns: the placeholder is padded alike.
    for pnn, addr in addrs:
        ph = "<node %s>" % pnn
        def sub(m, addr=addr, ph=ph):
            if not m.group(1):
                return ph
            return ph.ljust(max(len(addr) + len(m.group(1)), len(ph) + 1))
        text = re.sub(r"(?<![0-9.])" + re.escape(addr) + r"(?![0-9.])( *)", sub, text)

    # Database directories: each cluster's own, named by what they are for.
    for path, name in dirs:
        text = text.replace(path + "/", "<%s>/" % name)

    lines = text.split("\n")
    out = []
    # ctime(3) dates of the cluster's life (the test's start up to now); a date
    # outside it, as 1970 for "never", stays as it is and shows.
    DATE = r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}"
    def recent(date):
        try:
            t = time.mktime(time.strptime(date, "%a %b %d %H:%M:%S %Y"))
        except ValueError:
            return False
        return since - 5 <= t <= now + 5
    def ago(m):
        secs = int(m.group(1)) * 86400 + int(m.group(2)) * 3600 + int(m.group(3)) * 60 + int(m.group(4))
        if secs <= now - since + 5 and recent(m.group(5)):
            return "(<ago>) <date>"
        return m.group(0)
    for l in lines:
        # The generation: a random number per recovery in CTDB, a count in ours.
        l = re.sub(r"^Generation:[0-9]+$", "Generation:<generation>", l)
        # The leader: each cluster elects its own; a pnn of the cluster is all
        # that is compared.
        m = re.match(r"^Leader:([0-9]+)$", l)
        if m and int(m.group(1)) < len(addrs):
            l = "Leader:<leader>"
        # uptime: when things happened differs, not the layout or that they did.
        m = re.match(r"^(Current time of node [0-9]+ +: +)(%s)$" % DATE, l)
        if m and recent(m.group(2)):
            l = m.group(1) + "<date>"
        l = re.sub(r"\(([0-9]{3}) ([0-9]{2}):([0-9]{2}):([0-9]{2})\) (%s)" % DATE, ago, l)
        m = re.match(r"^(Duration of last recovery/failover: )([0-9]+\.[0-9]{6})( seconds)$", l)
        if m and 0 < float(m.group(2)) < 60:
            l = m.group(1) + "<duration>" + m.group(3)
        # rsn of a volatile record: CTDB's daemon adds one at each of its
        # stores of a record it is dmaster of (so per step of a migration),
        # ours one per migration; only that it rises is the same, which the
        # test checks on the values themselves. (A persistent record's rsn is
        # the client's.)
        if volatile:
            l = re.sub(r"^rsn: [0-9]+$", "rsn: <rsn>", l)
        out.append(l)
    lines = out

    # The vnnmap: which node serves which hash is each recovery's own layout;
    # the nodes in it are compared (ascending).
    m = [i for i, l in enumerate(lines) if re.match(r"^hash:[0-9]+ lmaster:[0-9]+$", l)]
    if m:
        lm = sorted(int(lines[i].split("lmaster:")[1]) for i in m)
        for k, i in enumerate(m):
            lines[i] = "hash:%d lmaster:%d" % (k, lm[k])

    # getdbmap. CTDB's event script 00.ctdb attaches ctdb.tdb (persistent) at
    # startup for the event scripts' own use; ctdb-remix runs no event scripts.
    # CTDB lists the newest database first (it adds each at its list's head),
    # ours the oldest: clients look databases up by name or id, never by place.
    dbid = [i for i, l in enumerate(lines) if l.startswith("dbid:")]
    if dbid:
        block = [lines[i] for i in dbid]
        if event_dbs:
            drop = [l for l in block if re.match(r"^dbid:0x6645c6c4 name:ctdb\.tdb path:<persistent "
                                                 r"database directory>/ctdb\.tdb\.[0-9]+ PERSISTENT$", l)]
            block = [l for l in block if l not in drop]
            if drop:
                lines = [re.sub(r"^Number of databases:([0-9]+)$",
                                lambda m: "Number of databases:%d" % (int(m.group(1)) - len(drop)), l)
                         for l in lines]
        if block != sorted(block):
            notes.append("getdbmap order: %s" % " ".join(re.sub(r".* name:([^ ]*) .*", r"\1", l)
                                                         for l in block))
        rest = [l for i, l in enumerate(lines) if i not in dbid]
        first = dbid[0]
        lines = rest[:first] + sorted(block) + rest[first:]
    return "\n".join(lines)

# D/SIDE.args: the side's options, one a line; D/SIDE.in its result.
for side in ("ours", "ctdb"):
    with open("%s/%s.args" % (d, side)) as f:
        args = f.read().split("\n")
    addrs, dirs, event_dbs, notes = [], [], False, []
    while args:
        a = args.pop(0)
        if a == "--addr":
            addrs.append((args.pop(0), args.pop(0)))
        elif a == "--dir":
            dirs.append((args.pop(0), args.pop(0)))
        elif a == "--event-script-dbs":
            event_dbs = True
    with open("%s/%s.in" % (d, side)) as f:
        text = f.read()
    with open("%s/%s.norm" % (d, side), "w") as f:
        f.write(normalise(text, addrs, dirs, event_dbs, notes))
    with open("%s/%s.note" % (d, side), "w") as f:
        f.write("; ".join(notes))
PY
)

# cmp_args CLUSTER ROOT SUB: the options of CLUSTER (ours, ctdb) for
# PY_NORMALISE; node K keeps its databases of each kind in ROOT/nodeK/SUB/KIND.
cmp_args() {
        local k kind
        for k in 0 1 2; do printf '%s\n' --addr "$k" "${ADDRS[$1:$k]}"; done
        for k in 0 1 2; do
                for kind in volatile persistent state; do
                        printf '%s\n' --dir "$2/node$k/$3/$kind" "$kind database directory"
                done
        done
}

# cmp_setup: both clusters' options for PY_NORMALISE, in REF_STATE/cmp.
cmp_setup() {
        mkdir -p "$REF_STATE/cmp"
        cmp_args ours "$CTDB_LOCAL_STATE" lib >"$REF_STATE/cmp/ours.args"
        { cmp_args ctdb "$REF_STATE/cluster" db; echo --event-script-dbs; } >"$REF_STATE/cmp/ctdb.args"
}

# both PNN ARGS...: `ctdb ARGS` on node PNN of ours, then of the real CTDB;
# O_* and C_* are what each printed (OUT, ERR, RC), N_OURS and N_CTDB the
# normalised results, O_NOTE and C_NOTE the normaliser's notes.
both() {
        local d=$REF_STATE/cmp
        ctdb_on "$@"
        O_OUT=$OUT O_ERR=$ERR O_RC=$RC O_MS=$TOOL_MS
        ctdb_ref_on "$@"
        C_OUT=$OUT C_ERR=$ERR C_RC=$RC C_MS=$TOOL_MS
        printf 'exit %s\n-- stdout\n%s-- stderr\n%s' "$O_RC" "$O_OUT" "$O_ERR" >"$d/ours.in"
        printf 'exit %s\n-- stdout\n%s-- stderr\n%s' "$C_RC" "$C_OUT" "$C_ERR" >"$d/ctdb.in"
        python3 -c "$PY_NORMALISE" "$d" "$((TEST_T0 / 1000000000))" "$VOLATILE"
        N_OURS=$(<"$d/ours.norm") N_CTDB=$(<"$d/ctdb.norm")
        O_NOTE=$(<"$d/ours.note") C_NOTE=$(<"$d/ctdb.note")
}

# show_both: what each cluster's tool printed, as it printed it.
show_both() {
        local side out err rc name
        for side in O C; do
                out=${side}_OUT err=${side}_ERR rc=${side}_RC name=ctdb-remix
                [[ $side == O ]] || name="real CTDB"
                echo "  ---- $name: exit ${!rc}; stdout:"
                [[ -z ${!out} ]] || printf '%s\n' "${!out%$'\n'}" | sed 's/^/    | /'
                [[ -z ${!err} ]] || { echo "  ---- stderr:"; printf '%s\n' "${!err}" | sed 's/^/    | /'; }
        done
}

# show_diff: the normalised results of the last both(), - real CTDB, + ctdb-remix.
show_diff() {
        diff -u --label 'real CTDB' --label ctdb-remix <(printf '%s\n' "$N_CTDB") \
                <(printf '%s\n' "$N_OURS") | sed 's/^/    /' || true
}

# same PNN ARGS...: `ctdb ARGS` on node PNN prints the same on both clusters
# and exits with the same status, once normalised; else the test fails with
# a diff of the two and both as printed.
KNOWN_FIX=
KNOWN_WHY=
KNOWN=()
same() {
        local fixed body
        both "$@"
        [[ -z $O_NOTE && -z $C_NOTE ]] ||
                log "note: $O_NOTE (ctdb-remix), $C_NOTE (real CTDB): the order is not compared"
        if [[ $N_OURS != "$N_CTDB" ]]; then
                fixed=
                [[ -z $KNOWN_FIX ]] || fixed=$(sed -E "$KNOWN_FIX" <<<"$N_OURS")
                if [[ -z $KNOWN_FIX || $fixed != "$N_CTDB" ]]; then
                        show_diff
                        show_both
                        fail "node $1: ctdb ${*:2}: ctdb-remix and the real CTDB differ (above)"
                fi
                log "KNOWN DIFFERENCE: node $1: ctdb ${*:2}: $KNOWN_WHY"
                show_diff
                [[ " ${KNOWN[*]} " == *" ctdb $2: $KNOWN_WHY;"* ]] || KNOWN+=("ctdb $2: $KNOWN_WHY;")
        elif [[ -n $KNOWN_FIX ]]; then
                log "note: node $1: ctdb ${*:2}: the known difference ($KNOWN_WHY) is gone: drop it here"
        fi
        KNOWN_FIX='' KNOWN_WHY=''
        log "same: node $1: ctdb ${*:2}: exit $O_RC (ctdb-remix $O_MS ms, real CTDB $C_MS ms)"
        body=${N_CTDB#*$'\n'-- stdout$'\n'}
        body=${body%%-- stderr*}
        [[ -z $body ]] || printf '%s\n' "${body%$'\n'}" | sed 's/^/    | /'
}

# known_difference WHY SED: the next `same` may find ctdb-remix differing from
# CTDB in exactly what the sed -E script SED changes in ours' normalised
# output (a difference reported to be fixed in the daemon, not a legitimate
# one): it logs a KNOWN DIFFERENCE with the diff and passes.
known_difference() { KNOWN_WHY=$1 KNOWN_FIX=$2; }

# volatile ARGS...: ARGS (same PNN cattdb|catdb DB) with the records of the
# volatile database DB, whose rsn each daemon counts its own way.
VOLATILE=0
volatile() {
        VOLATILE=1
        "$@"
        VOLATILE=0
}

# rsn_of SIDE: the rsn of the first record the last both() got from SIDE (O, C).
rsn_of() {
        local out=${1}_OUT
        sed -n 's/^rsn: //p' <<<"${!out}" | head -n 1
}

# generations: GEN_OURS and GEN_CTDB, the generation each cluster's node 0 has;
# LEADER_CTDB the real CTDB's leader.
generations() {
        GEN_OURS=$(generation_of 0)
        ctdb_ref_on 0 status
        GEN_CTDB=$(sed -n 's/^Generation://p' <<<"$OUT")
        LEADER_CTDB=$(sed -n 's/^Leader:\([0-9]*\)$/\1/p' <<<"$OUT")
}

# both_all_ok: every node of both clusters shows every node OK, recovery
# NORMAL; else NOT_OK says which did not, with what its tool printed. The
# real CTDB's tool waits up to a second for the leader's broadcast: its
# nodes are asked at once.
both_all_ok() {
        local n f=$REF_STATE/status
        local -a p=()
        for n in 0 1 2; do
                ( ctdb_ref_on "$n" status; printf '%s\n%s%s' "$RC" "$OUT" "$ERR" >"$f.$n" ) &
                p+=($!)
        done
        for n in 0 1 2; do wait "${p[n]}"; done
        for n in 0 1 2; do
                ctdb_on "$n" status
                status_ok || { NOT_OK="node $n of ctdb-remix: exit $RC:"$'\n'"$OUT$ERR"; return 1; }
                { read -r RC; OUT=$(cat); } <"$f.$n"
                status_ok || { NOT_OK="node $n of the real CTDB: exit $RC:"$'\n'"$OUT"; return 1; }
        done
}

# status_ok: the last ctdb status (RC, OUT) shows every node OK, recovery NORMAL.
status_ok() {
        [[ $RC == 0 && $(grep -cE '^pnn:[0-2] +[0-9.]+ +OK' <<<"$OUT") == 3 && $OUT == *'mode:NORMAL (0)'* ]]
}

# wait_both_ok DESC: waits (30 s) until both_all_ok; else shows what was not.
wait_both_ok() {
        local t0 deadline
        t0=$(date +%s%N)
        deadline=$((t0 + 30000000000))
        until both_all_ok; do
                if (($(date +%s%N) > deadline)); then
                        printf '%s\n' "ctdb status of $NOT_OK" | sed 's/^/    /'
                        fail "timed out after 30 s waiting until $1 (the last that was not, above)"
                fi
                sleep 0.1
        done
        log "ok: $1 (after $((($(date +%s%N) - t0) / 1000000)) ms)"
}

run_tool_vs_ctdb() {
        local n k gen_o gen_c
        declare -gA ADDRS=()
        local -a a
        mapfile -t a <"$CTDB_LOCAL_STATE/node0/etc/nodes"
        for k in 0 1 2; do ADDRS[ours:$k]=${a[k]}; done
        ref_up
        mapfile -t a <"$REF_STATE/cluster/node0/etc/nodes"
        for k in 0 1 2; do ADDRS[ctdb:$k]=${a[k]}; done
        cmp_setup
        log "the same tool, $REF/ctdb, on ctdb-remix (${ADDRS[ours:0]} ${ADDRS[ours:1]}" \
                "${ADDRS[ours:2]}) and on the real CTDB (${a[*]})"
        wait_both_ok "every node of both clusters sees all OK"

        for n in 0 1 2; do same "$n" status; done
        same 0 listnodes
        for n in 0 1 2; do same "$n" pnn; done
        for n in 0 1 2; do same "$n" getcapabilities; done
        same 1 uptime

        # attach: the same (nothing printed), and whether it ran a recovery
        # (a new generation). A volatile database is new and empty on every
        # node: neither runs one. A persistent or replicated one may have
        # copies on the nodes' disks that differ: ctdb-remix makes them alike
        # with a recovery before anyone reads, CTDB leaves them as they are
        # until its next recovery.
        generations
        gen_o=$GEN_OURS gen_c=$GEN_CTDB
        same 0 attach compat-v.tdb
        generations
        local what="generation of ctdb-remix $gen_o -> $GEN_OURS, of the real CTDB $gen_c -> $GEN_CTDB"
        [[ $GEN_CTDB == "$gen_c" && $GEN_OURS == "$gen_o" ]] ||
                fail "ctdb attach of a volatile database ran a recovery: $what"
        log "ok: ctdb attach of a volatile database runs no recovery on either: $what"
        gen_o=$GEN_OURS gen_c=$GEN_CTDB
        same 0 attach compat-p.tdb persistent
        same 0 attach compat-r.tdb replicated
        generations
        what="generation of ctdb-remix $gen_o -> $GEN_OURS, of the real CTDB $gen_c -> $GEN_CTDB"
        if [[ $GEN_CTDB == "$gen_c" && $GEN_OURS != "$gen_o" ]]; then
                log "KNOWN DIFFERENCE: ctdb attach (persistent, replicated) ran recoveries in ctdb-remix" \
                        "only: $what"
                what="ctdb attach persistent/replicated: recoveries in ctdb-remix ($gen_o -> $GEN_OURS)"
                KNOWN+=("$what, none in CTDB;")
        elif [[ $GEN_CTDB == "$gen_c" && $GEN_OURS == "$gen_o" ]]; then
                log "note: ctdb attach: the known difference (recoveries in ours) is gone: drop it here"
        else
                fail "ctdb attach: $what"
        fi
        for n in 0 1 2; do
                same "$n" getdbmap
        done

        same 0 writekey compat-v.tdb k1 hello
        volatile same 0 cattdb compat-v.tdb
        local r0_o r0_c
        r0_o=$(rsn_of O) r0_c=$(rsn_of C)
        same 2 readkey compat-v.tdb k1
        volatile same 2 cattdb compat-v.tdb
        what="ctdb-remix $r0_o -> $(rsn_of O), real CTDB $r0_c -> $(rsn_of C)"
        (($(rsn_of O) > r0_o && $(rsn_of C) > r0_c)) || fail "k1's rsn did not rise on both: $what"
        log "ok: k1's rsn rose with the migration to node 2: $what"

        same 0 pstore compat-p.tdb pk1 pval1
        for n in 1 2; do same "$n" pfetch compat-p.tdb pk1; done
        same 0 pdelete compat-p.tdb pk1
        for n in 1 2; do same "$n" pfetch compat-p.tdb pk1; done
        printf '"ka" "va"\n"kb" "vb"\n' >"$CTDB_LOCAL_STATE/ptrans.in"
        same 0 ptrans compat-p.tdb "$CTDB_LOCAL_STATE/ptrans.in"
        for n in 1 2; do
                same "$n" pfetch compat-p.tdb ka
                same "$n" pfetch compat-p.tdb kb
        done
        same 1 pstore compat-r.tdb rk1 rval1
        for n in 0 2; do same "$n" pfetch compat-r.tdb rk1; done
        # pstore attached g_lock.tdb, where CTDB's client-side transactions
        # take their lock.
        same 2 getdbmap
        # k1 is where the migration left it, on both: g_lock.tdb's attach ran
        # no recovery.
        volatile same 1 catdb compat-v.tdb
        # CTDB keeps the record headers a transaction's client wrote (rsn
        # one above the record's last, dmaster the committing node), of
        # __db_sequence_number__ too. ctdb-remix's dbd writes headers of its
        # own: the committing node as dmaster alike, but each record's rsn is
        # the commit's sequence number (ka and kb came with the third
        # commit), so rsns never repeat, which its own clients' commits are
        # checked by.
        known_difference "rsn of ka and kb: 1 (the client's header) in CTDB, 3 (the commit's seqnum) here" \
                '/^key\(2\) = "k[ab]"$/{n;n;s/^rsn: 3$/rsn: 1/}'
        same 1 catdb compat-p.tdb
        same 1 catdb compat-r.tdb

        # ip: the real CTDB's nodes have no public addresses (ctdb-reference
        # runs 00.ctdb only), so only the heading and the exit status compare;
        # ours' addresses are ctdb-ipd's, as ctdbctl ip prints them.
        both 0 ip
        [[ $O_RC == "$C_RC" && ${O_OUT%%$'\n'*} == "${C_OUT%%$'\n'*}" && -z $O_ERR$C_ERR ]] || {
                show_both
                fail "node 0: ctdb ip: the heading or exit status differ"
        }
        log "same: node 0: ctdb ip: exit $O_RC, heading '${O_OUT%%$'\n'*}'" \
                "(the addresses are not compared: the real CTDB has none)"
        local want
        want=$(lc exec 0 -- ctdbctl ip)
        [[ $O_OUT == "$want"$'\n' ]] || {
                diff <(printf '%s\n' "$want") <(printf '%s' "$O_OUT") | sed 's/^/    /' || true
                fail "node 0: ctdb ip (>) does not list what ctdbctl ip (<) does"
        }
        log "ok: node 0: ctdb ip of ctdb-remix lists ctdbctl ip's addresses and holders"

        generations
        gen_o=$GEN_OURS gen_c=$GEN_CTDB
        same 2 recover
        generations
        [[ $GEN_OURS != "$gen_o" && $GEN_CTDB != "$gen_c" ]] ||
                fail "ctdb recover: generation of ours $gen_o -> $GEN_OURS, of CTDB $gen_c -> $GEN_CTDB"
        log "ok: ctdb recover: a new generation on both"
        wait_both_ok "every node of both clusters sees all OK"

        # ban: of a node that leads neither cluster (the real CTDB's tool took
        # over 20 s to ban its leader: its takeover run waits for the new one),
        # for 5 s, which outlasts the tool and a status.
        local victim other line_o line_c
        generations
        for victim in 0 1 2; do [[ $victim == "$(leader_of 0)" || $victim == "$LEADER_CTDB" ]] || break; done
        log "banning node $victim (leaders: ctdb-remix $(leader_of 0), real CTDB $LEADER_CTDB)"
        same "$victim" ban 5
        other=$(((victim + 1) % 3))
        both "$other" status
        line_o=$(grep "^pnn:$victim " <<<"$N_OURS") || true
        line_c=$(grep "^pnn:$victim " <<<"$N_CTDB") || true
        [[ $line_o == "$line_c" && $line_o == *BANNED* ]] ||
                fail "node $other's status shows node $victim as '$line_o' in ctdb-remix, '$line_c' in CTDB"
        log "same: node $other: ctdb status shows node $victim as '$line_c'"
        wait_both_ok "the ban ended on every node of both clusters"
        for n in 0 1 2; do same "$n" status; done

        ((${#KNOWN[@]} == 0)) || log "${#KNOWN[@]} KNOWN DIFFERENCE(S) of ctdb-remix from CTDB:"
        for k in "${KNOWN[@]}"; do log "  ${k%;}"; done
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
tool-vs-ctdb) run_tool_vs_ctdb ;;
programs) run_programs ;;
esac
