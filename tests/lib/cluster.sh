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
