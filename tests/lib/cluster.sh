# Shell helpers for the cluster suite (tests/cluster/*.sh), sourced by each test.
#
# Each test gets its own name prefix and state dir, so tests never share
# namespaces with each other or with a cluster an admin runs; the EXIT trap
# takes the cluster down on every path out of the test. Waits poll with a
# deadline (wait_until), never a fixed sleep; a failed check or command prints
# a diagnosis (every node's view and the last lines of its logs). At teardown
# the daemons' logs are searched for sanitizer reports (a build with
# -Db_sanitize=address,undefined), which fail the test.
#
# shellcheck shell=bash

set -eEuo pipefail

readonly NONE=4294967295                # 0xffffffff: no leader
# shellcheck disable=SC2034  # used by the tests that source this file
readonly F_DISCONNECTED=1 F_UNHEALTHY=2 F_DISABLED=4 F_BANNED=8 F_DELETED=16 F_STOPPED=32

CTDB_SOURCE_DIR=${CTDB_SOURCE_DIR:-$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/../..")}
LOCAL_CLUSTER=$CTDB_SOURCE_DIR/tools/local-cluster
# A script run for one variant (test-partition.sh fcntl) is named after both.
TEST_NAME=$(basename "${0%.sh}")${1:+-$1}
TEST_T0=$(date +%s%N)

# Exits 77 (meson: skipped) when the test cannot run here.
cluster_require_root() {
        if [[ $EUID -ne 0 ]]; then
                echo "SKIP: $TEST_NAME needs root (network namespaces)"
                exit 77
        fi
        local tool
        for tool in ip dbus-daemon busctl; do
                if ! command -v "$tool" >/dev/null; then
                        echo "SKIP: $TEST_NAME needs $tool"
                        exit 77
                fi
        done
}

log() { printf '[%6.2f s] %s\n' "$(elapsed_s)" "$*"; }
fail() { log "FAIL: $*"; cluster_diagnose; exit 1; }

# A command that fails outside a test's own checks (set -e) says where it was
# and gets the same diagnosis as a failed check. Only the test's own shell
# reports: subshells of command substitutions just pass their status on.
on_err() {
        local rc=$1 cmd=$2
        [[ $BASHPID == "$$" ]] || return 0
        trap - ERR
        log "FAIL: '$cmd' exited with status $rc at ${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}"
        cluster_diagnose
}
trap 'on_err $? "$BASH_COMMAND"' ERR

elapsed_s() {
        awk -v a="$TEST_T0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'
}

# lc ARGS...: tools/local-cluster on this test's cluster.
lc() { "$LOCAL_CLUSTER" "$@"; }

# cluster_up ARGS...: a fresh cluster for this test (ARGS as for `local-cluster up`).
cluster_up() {
        export CTDB_LOCAL_PREFIX="ct$$${TEST_NAME#test-}"
        CTDB_LOCAL_PREFIX=${CTDB_LOCAL_PREFIX:0:24}
        export CTDB_LOCAL_STATE
        CTDB_LOCAL_STATE=$(mktemp -d "/tmp/ctdb-$TEST_NAME.XXXXXX")
        rmdir "$CTDB_LOCAL_STATE"       # local-cluster up makes it
        trap cluster_cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        log "local-cluster up $* (prefix $CTDB_LOCAL_PREFIX, state $CTDB_LOCAL_STATE)"
        CLUSTER_NODES=3
        local a
        for a in "$@"; do [[ $a =~ ^[0-9]+$ ]] && CLUSTER_NODES=$a; done
        lc up "$@"
}

cluster_cleanup() {
        local rc=$? logs
        trap - EXIT ERR
        set +e
        if [[ -n ${CTDB_LOCAL_STATE:-} && -e $CTDB_LOCAL_STATE ]]; then
                # `down` stops the daemons with SIGTERM and keeps their logs, so
                # that what a sanitizer prints at exit (leaks) is in them too.
                logs=$(mktemp -d "/tmp/ctdb-$TEST_NAME-logs.XXXXXX")
                lc down --keep-logs "$logs" >/dev/null 2>&1 || lc down --keep-logs "$logs"
                if ! sanitizer_check "$logs"; then
                        log "FAIL: a daemon reported sanitizer errors (above)"
                        ((rc != 0)) || rc=1
                fi
                rm -rf --one-file-system "$logs"
        fi
        log "$TEST_NAME: $([[ $rc -eq 0 ]] && echo PASS || echo "FAIL (exit $rc)")"
        exit "$rc"
}

# sanitizer_check DIR: prints every report of AddressSanitizer, LeakSanitizer
# or UndefinedBehaviorSanitizer in the daemon logs under DIR (a build with
# -Db_sanitize=address,undefined); false if there was one.
sanitizer_check() {
        local f found=0
        for f in "$1"/node*/*.log; do
                [[ -f $f ]] || continue
                grep -Eq 'Sanitizer|runtime error:' "$f" || continue
                found=1
                echo "==== sanitizer output in ${f#"$1"/}:"
                # each report from its first line, with its stack (bounded)
                grep -E -A 40 'ERROR: [A-Za-z]*Sanitizer|runtime error:|WARNING: [A-Za-z]*Sanitizer' "$f" |
                        head -n 200 | sed 's/^/    /'
        done
        ((found == 0))
}

# cluster_start N [UP ARGS...]: root check, a fresh cluster of N nodes, and a
# wait until it is healthy; LEADER and GENERATION are what all nodes agree on.
cluster_start() {
        cluster_require_root
        cluster_up "$@"
        local -a nodes
        mapfile -t nodes < <(all_nodes)
        wait_until "all $CLUSTER_NODES nodes OK, one leader, one generation" 30 healthy "${nodes[@]}"
        LEADER=$AGREED_LEADER
        GENERATION=$AGREED_GENERATION
        log "leader $LEADER, generation $GENERATION"
}

# pick_victim leader|non-leader: VICTIM is the leader or the lowest other
# node; REST holds the remaining nodes.
pick_victim() {
        local -a o
        mapfile -t o < <(others "$LEADER")
        case $1 in
        leader) VICTIM=$LEADER ;;
        non-leader) VICTIM=${o[0]} ;;
        *) fail "pick_victim: leader or non-leader, not '$1'" ;;
        esac
        mapfile -t REST < <(others "$VICTIM")
}

bus_of() { echo "unix:path=$CTDB_LOCAL_STATE/node$1/bus/system_bus_socket"; }

# busctl_on PNN ARGS...: busctl --system against node PNN's bus (no namespace
# needed: the bus is a unix socket).
busctl_on() {
        local pnn=$1
        shift
        DBUS_SYSTEM_BUS_ADDRESS=$(bus_of "$pnn") timeout 5 busctl --system "$@"
}

# prop PNN SERVICE PATH IFACE NAME: the value of a property without its type.
prop() {
        local out
        out=$(busctl_on "$1" get-property "$2" "$3" "$4" "$5" 2>/dev/null) || return 1
        echo "${out#* }"
}

mgr() { prop "$1" org.ctdb.cluster1 /org/ctdb/cluster1 org.ctdb.cluster1.Manager "$2"; }
leader_of() { mgr "$1" Leader; }
generation_of() { mgr "$1" Generation; }
quorate_of() { mgr "$1" Quorate; }
# vnnmap_is WANT PNN...: every PNN's VnnMap property reads WANT ("3 0 1 2") and no recovery runs there.
vnnmap_is() {
        local want=$1 n
        shift
        for n in "$@"; do
                [[ $(mgr "$n" VnnMap) == "$want" && $(mgr "$n" Recovering) == false ]] || return 1
        done
}
# flags_seen PNN TARGET: the flags node PNN holds for node TARGET.
flags_seen() { prop "$1" org.ctdb.cluster1 "/org/ctdb/cluster1/node/$2" org.ctdb.cluster1.Node Flags; }
# links_up PNN: tunneld of node PNN has its link to every other node up
# (Links is a(usbtt): pnn, address, up, ...).
links_up() {
        local -a f
        read -r -a f <<<"$(tunnel_prop "$1" Links)" || return 1
        local k up=0
        [[ ${f[0]:-} == $((CLUSTER_NODES - 1)) ]] || return 1
        for ((k = 0; k < f[0]; k++)); do
                [[ ${f[$((1 + 5 * k + 2))]} == true ]] && up=$((up + 1))
        done
        ((up == f[0]))
}
tunnel_prop() { prop "$1" org.ctdb.tunnel1 /org/ctdb/tunnel1 org.ctdb.tunnel1.Manager "$2"; }

# wait_until DESC TIMEOUT_S CMD...: polls CMD every 100 ms until it succeeds;
# after TIMEOUT_S seconds the test fails with a diagnosis.
wait_until() {
        local desc=$1 timeout=$2 t0 deadline
        shift 2
        t0=$(date +%s%N)
        deadline=$((t0 + timeout * 1000000000))
        while ! "$@" 2>/dev/null; do
                if (($(date +%s%N) > deadline)); then
                        fail "timed out after ${timeout} s waiting until $desc"
                fi
                sleep 0.1
        done
        WAITED_MS=$((($(date +%s%N) - t0) / 1000000))
        log "ok: $desc (after $WAITED_MS ms)"
}

# expect DESC CMD...: CMD must succeed now.
expect() {
        local desc=$1
        shift
        "$@" || fail "expected $desc"
        log "ok: $desc"
}

# --- predicates for wait_until --------------------------------------------------

# has_flag PNN TARGET FLAG / lacks_flag ...
has_flag() { local f; f=$(flags_seen "$1" "$2") && (((f & $3) != 0)); }
lacks_flag() { local f; f=$(flags_seen "$1" "$2") && (((f & $3) == 0)); }

# all_see FLAG TARGET NODES...: every one of NODES holds FLAG for TARGET.
all_see() {
        local flag=$1 target=$2 n
        shift 2
        for n in "$@"; do has_flag "$n" "$target" "$flag" || return 1; done
}

# agree_on_leader NODES...: they all name the same leader, not none; prints it.
agree_on_leader() {
        local n l first=""
        for n in "$@"; do
                l=$(leader_of "$n") || return 1
                [[ $l != "$NONE" ]] || return 1
                [[ -z $first || $l == "$first" ]] || return 1
                first=$l
        done
        AGREED_LEADER=$first
}

# healthy NODES...: each is not recovering, sees every node of the cluster with
# flags 0, and they agree on leader and generation.
# shellcheck disable=SC2034  # AGREED_* are read by the tests
healthy() {
        local n out leader gen first=""
        for n in "$@"; do
                out=$(busctl_on "$n" get-property org.ctdb.cluster1 /org/ctdb/cluster1 \
                        org.ctdb.cluster1.Manager Leader Generation Recovering Nodes) || return 1
                local -a f
                local recovering
                { read -r _ leader; read -r _ gen; read -r _ recovering; read -r -a f; } <<<"$out"
                [[ $leader != "$NONE" && $recovering == false && ${f[1]} == "$CLUSTER_NODES" ]] || return 1
                local k
                for ((k = 0; k < CLUSTER_NODES; k++)); do
                        [[ ${f[$((2 + 3 * k + 2))]} == 0 ]] || return 1
                done
                [[ -z $first || $first == "$leader $gen" ]] || return 1
                first="$leader $gen"
        done
        AGREED_LEADER=$leader
        AGREED_GENERATION=$gen
}

all_nodes() { seq 0 $((CLUSTER_NODES - 1)); }
# others PNN...: the nodes not named.
others() {
        local n x skip
        for n in $(all_nodes); do
                skip=0
                for x in "$@"; do [[ $n == "$x" ]] && skip=1; done
                ((skip)) || echo "$n"
        done
}

# isolated PNN [OTHERS...]: PNN is not quorate, has no leader and holds every
# one of OTHERS DISCONNECTED.
isolated() {
        local n=$1 o
        shift
        [[ $(quorate_of "$n") == false && $(leader_of "$n") == "$NONE" ]] || return 1
        for o in "$@"; do has_flag "$n" "$o" "$F_DISCONNECTED" || return 1; done
}

# quorate_and_agree NODES...: all quorate, agreeing on a leader (AGREED_LEADER)
# and a generation (AGREED_GENERATION).
# shellcheck disable=SC2034
quorate_and_agree() {
        local n g first=""
        agree_on_leader "$@" || return 1
        for n in "$@"; do
                [[ $(quorate_of "$n") == true ]] || return 1
                g=$(generation_of "$n") || return 1
                [[ -z $first || $g == "$first" ]] || return 1
                first=$g
        done
        AGREED_GENERATION=$first
}

# lock_holders: the nodes whose clusterd holds the fcntl cluster lock, read
# from the lock entries in /proc/PID/fdinfo of the open lock file of its lock
# helper (a child of clusterd).
lock_holders() {
        local n pid child fd lock=$CTDB_LOCAL_STATE/cluster.lock
        for n in $(all_nodes); do
                read -r pid _ <"$CTDB_LOCAL_STATE/node$n/clusterd.pid" 2>/dev/null || continue
                for child in $(ps -o pid= --ppid "$pid"); do
                        for fd in /proc/"$child"/fd/*; do
                                [[ $(readlink "$fd" 2>/dev/null) == "$lock" ]] || continue
                                if grep -q '^lock:.*WRITE' "/proc/$child/fdinfo/${fd##*/}" 2>/dev/null; then
                                        echo "$n"
                                        continue 3
                                fi
                        done
                done
        done
}

# lock_held_by PNN: that node, and no other, holds the cluster lock.
lock_held_by() { [[ $(lock_holders | tr '\n' ' ') == "$1 " ]]; }

# --- diagnosis ---------------------------------------------------------------------

cluster_diagnose() {
        [[ -n ${CTDB_LOCAL_STATE:-} && -d ${CTDB_LOCAL_STATE:-} ]] || return 0
        local n d
        echo "==== diagnosis of $TEST_NAME"
        if [[ -d $CTDB_LOCAL_STATE/etcd ]]; then
                echo "== etcd (up --lock etcd)"
                lc etcd status 2>&1 | sed 's/^/    /' || true
        fi
        [[ ! -f $CTDB_LOCAL_STATE/cluster.lock ]] ||
                echo "cluster lock held by node(s): $(lock_holders | tr '\n' ' ')"
        for n in $(all_nodes); do
                echo "== node $n"
                lc status "$n" 2>&1 | sed 's/^/    /' || true
                busctl_on "$n" get-property org.ctdb.cluster1 /org/ctdb/cluster1 \
                        org.ctdb.cluster1.Manager Leader Generation Quorate Recovering Nodes 2>&1 |
                        sed 's/^/    /' || true
                for d in "$CTDB_LOCAL_STATE/node$n"/*.log; do
                        [[ -f $d ]] || continue
                        echo "  -- last lines of $d"
                        tail -n 30 "$d" | sed 's/^/    /'
                done
        done
}

# --- public addresses (ctdb-ipd) ---------------------------------------------------

# PUBLIC_ADDRS: the public addresses a test expects (local-cluster's six by
# default); the helpers below check exactly these.
PUBLIC_ADDRS=(203.0.113.101 203.0.113.102 203.0.113.103 203.0.113.104 203.0.113.105 203.0.113.106)

ipd_prop() { prop "$1" org.ctdb.ipfailover1 /org/ctdb/ipfailover1 org.ctdb.ipfailover1.Manager "$2"; }
node_ns() { echo "$CTDB_LOCAL_PREFIX-n$1"; }

# kernel_scan ADDR...: KHOLD[ADDR] is the nodes (blank separated, in PNN
# order) whose eth0 carries ADDR, as the kernel has it now.
kernel_scan() {
        declare -gA KHOLD=()
        local n a out
        for a in "$@"; do KHOLD[$a]=""; done
        for n in $(all_nodes); do
                out=$(ip -n "$(node_ns "$n")" -o -4 addr show dev eth0) || return 1
                for a in "$@"; do
                        [[ $out != *" inet $a/"* ]] || KHOLD[$a]+="${KHOLD[$a]:+ }$n"
                done
        done
}

# ipd_view PNN: IVIEW[ADDR] is the holder node PNN's ipd names in Addresses
# for each address it lists (NONE for none), ADDR without its prefix.
ipd_view() {
        declare -gA IVIEW=()
        local out k
        out=$(ipd_prop "$1" Addresses) || return 1
        local -a f
        read -r -a f <<<"$out"
        for ((k = 0; k < ${f[0]:-0}; k++)); do
                local a=${f[$((1 + 3 * k))]}
                a=${a//\"/}
                IVIEW[${a%/*}]=${f[$((1 + 3 * k + 2))]}
        done
}

# hosted_once_by NODES...: every address of PUBLIC_ADDRS is on the eth0 of
# exactly one node, one of NODES, and nowhere else; each of NODES' ipds lists
# exactly PUBLIC_ADDRS with those holders. HOLDER[ADDR] is the holder.
hosted_once_by() {
        declare -gA HOLDER=()
        local a n h
        kernel_scan "${PUBLIC_ADDRS[@]}" || return 1
        for a in "${PUBLIC_ADDRS[@]}"; do
                h=${KHOLD[$a]}
                [[ $h =~ ^[0-9]+$ && " $* " == *" $h "* ]] || return 1
                HOLDER[$a]=$h
        done
        for n in "$@"; do
                ipd_view "$n" || return 1
                ((${#IVIEW[@]} == ${#PUBLIC_ADDRS[@]})) || return 1
                for a in "${PUBLIC_ADDRS[@]}"; do
                        [[ ${IVIEW[$a]:-} == "${HOLDER[$a]}" ]] || return 1
                done
        done
}

# held_by PNN: the addresses HOLDER (hosted_once_by) puts on PNN, blank separated.
held_by() {
        local a out=""
        for a in "${PUBLIC_ADDRS[@]}"; do
                [[ ${HOLDER[$a]:-} != "$1" ]] || out+="${out:+ }$a"
        done
        echo "$out"
}

# balanced_on NODES...: hosted_once_by NODES, and each of them holds its
# share: the counts differ by at most one.
balanced_on() {
        local n c min=999999 max=0
        hosted_once_by "$@" || return 1
        for n in "$@"; do
                c=$(wc -w <<<"$(held_by "$n")")
                ((c < min)) && min=$c
                ((c > max)) && max=$c
        done
        ((max - min <= 1))
}

# holders_str: HOLDER as "ADDR=PNN ..." in PUBLIC_ADDRS order (to compare and log).
holders_str() {
        local a out=""
        for a in "${PUBLIC_ADDRS[@]}"; do out+="${out:+ }$a=${HOLDER[$a]:-?}"; done
        echo "$out"
}

# never_two_start ADDR...: a poller in the background that reads every node's
# eth0 about every 20 ms until never_two_stop and notes each time one of ADDR
# is on two nodes at once. The nodes are read one after the other, so an
# address moving from an earlier-read node to a later one could look doubled:
# a suspect round reads every node again, and only an address that the
# earlier node still has after the later node was seen with it counts.
never_two_start() {
        NEVER_TWO_OUT=$(mktemp "/tmp/ctdb-$TEST_NAME-never-two.XXXXXX")
        local -a watch=("$@")
        (
                trap - ERR EXIT INT TERM
                set +eE
                local rounds=0 n a k j
                local -a ns p1 p2
                for n in $(all_nodes); do ns+=("$(node_ns "$n")"); done
                while :; do
                        local suspect=0
                        for ((k = 0; k < ${#ns[@]}; k++)); do
                                p1[k]=$(ip -n "${ns[k]}" -o -4 addr show dev eth0 2>/dev/null)
                        done
                        for a in "${watch[@]}"; do
                                local c=0
                                for ((k = 0; k < ${#ns[@]}; k++)); do
                                        [[ ${p1[k]} != *" inet $a/"* ]] || c=$((c + 1))
                                done
                                ((c < 2)) || suspect=1
                        done
                        if ((suspect)); then
                                for ((k = 0; k < ${#ns[@]}; k++)); do
                                        p2[k]=$(ip -n "${ns[k]}" -o -4 addr show dev eth0 2>/dev/null)
                                done
                                for a in "${watch[@]}"; do
                                        for ((k = 0; k < ${#ns[@]}; k++)); do
                                                for ((j = k + 1; j < ${#ns[@]}; j++)); do
                                                        local k1=0 k2=0 j1=0 j2=0
                                                        [[ ${p1[k]} == *" inet $a/"* ]] && k1=1
                                                        [[ ${p2[k]} == *" inet $a/"* ]] && k2=1
                                                        [[ ${p1[j]} == *" inet $a/"* ]] && j1=1
                                                        [[ ${p2[j]} == *" inet $a/"* ]] && j2=1
                                                        ((k1 && k2 && j1 || j1 && j2 && k2)) || continue
                                                        local why=""
                                                        [[ ! -f $CTDB_LOCAL_STATE/killing ]] ||
                                                                why=" (while node $(<"$CTDB_LOCAL_STATE/killing") was killed, before its release-all)"
                                                        echo "TWO $(elapsed_s) s: $a on nodes $k and $j$why"
                                                done
                                        done
                                done
                        fi
                        rounds=$((rounds + 1))
                        echo "rounds $rounds"
                        sleep 0.01
                done >>"$NEVER_TWO_OUT"
        ) &
        NEVER_TWO_PID=$!
        NEVER_TWO_T0=$(date +%s%N)
        log "poller $NEVER_TWO_PID watches ${watch[*]} on every node"
}

# kill_node PNN: local-cluster kill, marked for the poller (whose report then
# tells a double during the kill, before the node's release-all, from others).
kill_node() {
        echo "$1" >"$CTDB_LOCAL_STATE/killing"
        lc kill "$1"
        rm -f "$CTDB_LOCAL_STATE/killing"
}

# never_two_stop: ends the poller; fails if it saw an address on two nodes.
never_two_stop() {
        [[ -n ${NEVER_TWO_PID:-} ]] || return 0
        kill "$NEVER_TWO_PID" 2>/dev/null || true
        wait "$NEVER_TWO_PID" 2>/dev/null || true
        NEVER_TWO_PID=
        local rounds ms
        rounds=$(grep '^rounds ' "$NEVER_TWO_OUT" | tail -n 1 | cut -d' ' -f2)
        ms=$((($(date +%s%N) - NEVER_TWO_T0) / 1000000))
        if grep -q '^TWO ' "$NEVER_TWO_OUT"; then
                grep '^TWO ' "$NEVER_TWO_OUT" | head -n 20
                rm -f "$NEVER_TWO_OUT"
                fail "an address was on two nodes at once (above)"
        fi
        rm -f "$NEVER_TWO_OUT"
        log "ok: no address on two nodes in ${rounds:-0} polls of every node over $ms ms" \
                "(one every $((ms / ${rounds:-1})) ms)"
}

# --- TCP listeners and clients of the public addresses (python3) -------------------

readonly PUBLIC_PORT=4391
declare -A LISTENERS=()
HOLDS=()

# The listener of one node: answers every connection with "PNN\n", logs
# "accept PEER LOCAL" per connection, keeps it open and reads what comes.
PY_LISTENER=$(cat <<'PY'
import selectors, socket, sys
pnn, port, log = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "a", buffering=1)
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", port))
ls.listen(512)
sel = selectors.DefaultSelector()
sel.register(ls, selectors.EVENT_READ)
log.write("listening\n")
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if s is ls:
            c, peer = ls.accept()
            log.write("accept %s %s\n" % (peer[0], c.getsockname()[0]))
            try:
                c.send(("%s\n" % pnn).encode())
            except OSError:
                c.close()
                continue
            sel.register(c, selectors.EVENT_READ)
            continue
        try:
            d = s.recv(4096)
        except OSError:
            d = b""
        if not d:
            sel.unregister(s)
            s.close()
PY
)

# The client. ask ADDR TIMEOUT_S [SOURCE...]: connects to ADDR from each
# SOURCE at once (none given: any source) and prints "SOURCE PNN" per source,
# PNN the node that answered or "-". hold ADDR: one quiet connection; prints
# "connected PNN", then waits reading until the connection ends and prints
# "reset|eof|error|timeout ERRNO EPOCH_S" (the wall-clock time it learnt; it
# gives up after 60 s).
PY_CLIENT=$(cat <<'PY'
import errno, select, socket, sys, time
port = int(sys.argv[1])
mode, addr = sys.argv[2], sys.argv[3]
if mode == "ask":
    timeout, sources = float(sys.argv[4]), sys.argv[5:] or ["-"]
    pending, result = {}, {}
    for src in sources:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        if src != "-":
            s.bind((src, 0))
        try:
            s.connect((addr, port))
        except BlockingIOError:
            pass
        except OSError:
            result[src] = "-"
            s.close()
            continue
        pending[s] = [src, b""]
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        r, _, _ = select.select(list(pending), [], [], max(0.0, deadline - time.monotonic()))
        for s in r:
            src, buf = pending[s]
            try:
                d = s.recv(64)
            except OSError:
                d = b""
            buf += d
            pending[s][1] = buf
            if not d or b"\n" in buf:
                result[src] = buf.split(b"\n")[0].decode() if b"\n" in buf else "-"
                s.close()
                del pending[s]
    for s, (src, _) in pending.items():
        result[src] = "-"
        s.close()
    for src in sources:
        print(src, result[src])
elif mode == "hold":
    s = socket.create_connection((addr, port), timeout=3)
    buf = b""
    while b"\n" not in buf:
        d = s.recv(64)
        if not d:
            sys.exit("closed before the answer")
        buf += d
    print("connected", buf.split(b"\n")[0].decode(), flush=True)
    s.settimeout(60)
    try:
        while s.recv(4096):
            pass
        print("eof 0 %.6f" % time.time(), flush=True)
    except socket.timeout:
        print("timeout 0 %.6f" % time.time(), flush=True)
    except ConnectionResetError:
        print("reset %d %.6f" % (errno.ECONNRESET, time.time()), flush=True)
    except OSError as e:
        print("error %d %.6f" % (e.errno, time.time()), flush=True)
PY
)

# listeners_up: the listener in every node's namespace (pids in LISTENERS[PNN],
# logs in STATE/nodeI/listener.log), each answering before this returns.
listeners_up() {
        command -v python3 >/dev/null || { echo "SKIP: $TEST_NAME needs python3"; exit 77; }
        local n k log
        for n in $(all_nodes); do
                log=$CTDB_LOCAL_STATE/node$n/listener.log
                : >"$log"
                # ip netns exec execs python3: $! is the listener itself
                ip netns exec "$(node_ns "$n")" python3 -c "$PY_LISTENER" "$n" "$PUBLIC_PORT" "$log" \
                        </dev/null >>"$log" 2>&1 &
                LISTENERS[$n]=$!
        done
        for n in $(all_nodes); do
                log=$CTDB_LOCAL_STATE/node$n/listener.log
                for ((k = 0; k < 300; k++)); do
                        grep -q '^listening' "$log" && break
                        kill -0 "${LISTENERS[$n]}" 2>/dev/null || fail "node $n's listener exited: $(cat "$log")"
                        sleep 0.01
                done
                ((k < 300)) || fail "node $n's listener did not start in 3 s"
        done
        log "listeners on port $PUBLIC_PORT: ${LISTENERS[*]}"
}

# listeners_down: ends the listeners listeners_up started.
listeners_down() {
        local n
        for n in "${!LISTENERS[@]}"; do
                kill "${LISTENERS[$n]}" 2>/dev/null || true
                wait "${LISTENERS[$n]}" 2>/dev/null || true
        done
        LISTENERS=()
}

# client ARGS...: PY_CLIENT in the client namespace (ask ..., hold ...).
client() { lc client python3 -c "$PY_CLIENT" "$PUBLIC_PORT" "$@"; }

# answered_by ADDR PNN: a client connecting to ADDR is answered by node PNN.
answered_by() { [[ $(client ask "$1" 1) == "- $2" ]]; }

# failover_traps: from now on the EXIT trap ends the poller, the listeners and
# the held client connections (HOLDS) before cluster_cleanup.
failover_traps() {
        HOLDS=()
        trap failover_cleanup EXIT
}
failover_cleanup() {
        local rc=$? p
        trap - ERR
        set +e
        if [[ -n ${NEVER_TWO_PID:-} ]]; then
                kill "$NEVER_TWO_PID" 2>/dev/null
                wait "$NEVER_TWO_PID" 2>/dev/null
                rm -f "$NEVER_TWO_OUT"
        fi
        for p in "${HOLDS[@]}"; do kill "$p" 2>/dev/null; done
        listeners_down
        if ((rc != 0)) && [[ -n ${CTDB_LOCAL_STATE:-} ]]; then
                for p in $(all_nodes); do
                        echo "== node $p: eth0 and routes"
                        ip -n "$(node_ns "$p")" -o -4 addr show dev eth0 | awk '{print "    " $4}'
                        ip -n "$(node_ns "$p")" route | sed 's/^/    /'
                done
        fi
        (exit "$rc")
        cluster_cleanup
}
