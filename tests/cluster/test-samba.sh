#!/bin/bash
# Stock clustered Samba (Debian's smbd 4.17 with 'clustering = yes') on
# ctdb-remix's ctdbd.socket: three nodes with local-cluster up --samba, one
# smbd per node on its node's socket, one share on a directory all nodes
# share, clients in the client namespace. MODE is the first argument:
#   basic     smbd attached its databases on every node; a password login
#             through every public address (the user was added on node 0
#             only: passdb.tdb is a clustered persistent database) and a
#             wrong password refused; a 10 MiB file put through one node and
#             got through another, byte-identical; smbd's TCP_CLIENT reaches
#             ctdb-ipd as TrackConnection; with a session held open
#             on every node, smbstatus on each node lists all three,
#             net serverid exists tells live from dead server ids on other
#             nodes, smbcontrol pings a remote smbd, net serverid wipedbs
#             traverses; dbwrap_tool reads and writes persistent and volatile
#             databases across nodes
#   failover  a client opens a new SMB connection every 100 ms to an address
#             of one node; the node is killed, or cut off the network with its
#             smbd still running, first a non-leader, then the leader: the
#             client is served again by another node within 0.5 s of a kill
#             and 1.5 s of a cut, and the time from the fault to the first
#             connection served is printed; back, the node's smbd serves a
#             login again
#   torture   smbtorture (Debian's samba-testsuite) with --unclist naming one
#             address per node: smb2.deny.deny2, the test Samba's own CI runs
#             on clusters, and oplock breaks between clients on two nodes
#             (smb2.oplock.exclusive1, exclusive2, batch1, levelii500)
# Every mode fails on smbd log entries about ctdb, a panic or a core dump.
# Without root, smbd or the client tools: exit 77.
source "$(dirname "$0")/../lib/cluster.sh"
mode=${1:-}
case $mode in
basic | failover | torture) ;;
*) echo "usage: $0 basic|failover|torture" >&2; exit 2 ;;
esac
cluster_require_root

have() { command -v "$1" >/dev/null || [[ -x /usr/sbin/$1 ]]; }
tools=(smbd smbpasswd smbclient python3)
case $mode in
basic) tools+=(smbstatus net dbwrap_tool smbcontrol) ;;
torture) tools+=(smbtorture) ;;
esac
for t in "${tools[@]}"; do
        if ! have "$t"; then
                echo "SKIP: $TEST_NAME needs $t (tools/setup-deps installs samba, smbclient" \
                        "and samba-testsuite)"
                exit 77
        fi
done

# local-cluster gives root this Samba password on node 0 only, and its
# smbclient command logs in with it.
export CTDB_LOCAL_SMB_USER=root
export CTDB_LOCAL_SMB_PASSWORD=remix-$$

HOLD_PIDS=()
LOOP_PID=
declare -A HOLD_FD=() HOLD_PID=()

# The held sessions, the connection loop and the poller of a failed test, then
# the cluster; cluster_cleanup takes the test's status from $?.
samba_cleanup() {
        local rc=$? p
        trap - ERR
        set +e
        [[ -z ${LOOP_PID:-} ]] || { : >"$LOOP_STOP"; wait "$LOOP_PID"; }
        [[ -z ${POLL_PID:-} ]] || { kill "$POLL_PID"; wait "$POLL_PID"; } 2>/dev/null
        for p in "${HOLD_PIDS[@]}"; do kill "$p" 2>/dev/null; done
        for p in "${HOLD_PIDS[@]}"; do wait "$p" 2>/dev/null; done
        (exit "$rc")
        cluster_cleanup
}

# start: the cluster with smbd on every node, every public address placed
# (HOLDER), and the test's scratch directory T.
start() {
        cluster_start 3 --samba
        trap samba_cleanup EXIT
        T=$CTDB_LOCAL_STATE/test
        mkdir -p "$T"
        wait_until "every address on one node, balanced" 20 balanced_on 0 1 2
        log "placement: $(holders_str)"
}

smb_conf() { echo "$CTDB_LOCAL_STATE/node$1/samba/smb.conf"; }

# on PNN CMD...: CMD in node PNN's namespace, bounded (a Samba tool waits
# for ever on a ctdbd.socket that never answers).
on() {
        local n=$1
        shift
        ip netns exec "$(node_ns "$n")" timeout -k 2 20 "$@"
}

# smb ADDRESS ARGS...: smbclient from the client namespace to
# //ADDRESS/share as root with the cluster's password (lc smbclient), bounded.
smb() { timeout -k 2 30 "$LOCAL_CLUSTER" smbclient "$@"; }

# first_of PNN: the first public address node PNN holds (HOLDER).
first_of() {
        local a
        read -r a _ <<<"$(held_by "$1")"
        [[ -n $a ]] || fail "node $1 holds no public address ($(holders_str))"
        echo "$a"
}

# smbd_alive PNN: node PNN's smbd (the parent local-cluster started) runs.
smbd_alive() {
        local pid
        read -r pid _ <"$CTDB_LOCAL_STATE/node$1/smbd.pid" && kill -0 "$pid"
}

# login_ok ADDRESS: a password login and a listing of the share through ADDRESS.
login_ok() {
        local out
        out=$(smb "$1" -c ls 2>&1) || { echo "$out"; return 1; }
        grep -q 'blocks of size' <<<"$out" || { echo "$out"; return 1; }
}

# smbd_logs_clean [PNN...]: no log.smbd entry (a header line and its indented
# message) about ctdb or a panic, and no core dump, on any node but those
# named (a killed node's smbd children may say their socket went); the
# exempted nodes' entries are only printed.
smbd_logs_clean() {
        local n f bad=0 out
        for n in $(all_nodes); do
                f=$CTDB_LOCAL_STATE/node$n/samba/log/log.smbd
                [[ -f $f ]] || continue
                out=$(awk '/^\[/ { if (e != "" && e ~ re) print e; e = $0; next }
                        { e = e "\n" $0 }
                        END { if (e != "" && e ~ re) print e }' \
                        re='[Cc][Tt][Dd][Bb]|PANIC|[Pp]anic|cluster_fatal|INTERNAL ERROR' "$f" | head -n 60)
                if [[ -n $out ]]; then
                        if [[ " $* " == *" $n "* ]]; then
                                log "node $n (exempt) log.smbd says:"
                        else
                                log "node $n: log.smbd has entries about ctdb or a panic:"
                                bad=1
                        fi
                        sed 's/^/    | /' <<<"$out"
                fi
                if [[ " $* " != *" $n "* ]] &&
                        [[ -n $(find "$CTDB_LOCAL_STATE/node$n/samba/log/cores" -type f 2>/dev/null) ]]; then
                        log "node $n: smbd left a core dump in samba/log/cores"
                        bad=1
                fi
        done
        ((bad == 0)) || fail "smbd logged trouble with its ctdbd.socket (above)"
        log "ok: no smbd log entry about ctdb or a panic${1:+ (node(s) $* exempt)}, no core dump"
}

# ---- basic ------------------------------------------------------------------------

# dbs_of PNN: the names of the databases node PNN's dbd has (ctdbctl db list).
dbs_of() { lc exec "$1" -- ctdbctl db list | awk 'NR > 1 { print $2 }'; }

# attached PNN NAME...: node PNN's dbd has every NAME.
attached() {
        local have name
        have=" $(dbs_of "$1" | tr '\n' ' ') "
        for name in "${@:2}"; do [[ $have == *" $name "* ]] || return 1; done
}

# hold KEY ADDRESS: an smbclient session to ADDRESS kept open, reading its
# commands from a fifo this shell holds open (HOLD_FD[KEY]); release KEY
# ends it with 'quit'.
hold() {
        local key=$1 fifo=$T/hold-$1 fd
        mkfifo "$fifo"
        smb "$2" <"$fifo" >"$T/hold-$key.out" 2>&1 &
        HOLD_PID[$key]=$!
        HOLD_PIDS+=("$!")
        exec {fd}>"$fifo"
        HOLD_FD[$key]=$fd
}
release() {
        local key=$1 fd=${HOLD_FD[$1]} rc=0
        echo quit >&"$fd"
        exec {fd}>&-
        wait "${HOLD_PID[$key]}" || rc=$?
        ((rc == 0)) || fail "the session $key ended with status $rc: $(cat "$T/hold-$key.out")"
}

# sessions PNN: the SMB sessions smbstatus on node PNN lists, one a line:
# "VNN PID UNIQUE_ID USER", sorted.
sessions() {
        on "$1" smbstatus -s "$(smb_conf "$1")" -b --json | python3 -c '
import json, sys
for s in json.load(sys.stdin).get("sessions", {}).values():
    i = s["server_id"]
    print(i["vnn"], i["pid"], i["unique_id"], s["username"])' | sort -n
}

# sessions_on_nodes PNN WANT: node PNN's smbstatus lists exactly one session
# per node of WANT ("0 1 2"), each root's; SESSIONS holds them.
sessions_on_nodes() {
        SESSIONS=$(sessions "$1") || return 1
        [[ $(awk '{ print $1 }' <<<"$SESSIONS" | tr '\n' ' ') == "$2 " ]] || return 1
        ! awk '$4 != "root"' <<<"$SESSIONS" | grep -q .
}

# serverid_says PNN ID WANT: net serverid exists ID on node PNN prints
# "ID WANT" (exists, does not exist).
serverid_says() { [[ $(on "$1" net -s "$(smb_conf "$1")" serverid exists "$2") == "$2 $3" ]]; }

# dbwrap PNN ARGS...: dbwrap_tool with node PNN's smb.conf, there.
dbwrap() { on "$1" dbwrap_tool -s "$(smb_conf "$1")" "${@:2}"; }

run_basic() {
        local n a out
        start
        for n in 0 1 2; do expect "node $n's smbd runs" smbd_alive "$n"; done
        # What smbd opens at start (secrets, the smbXsrv_* and locking dbs),
        # what smbpasswd wrote (passdb.tdb) and what its g_locks use.
        local -a want=(secrets.tdb passdb.tdb g_lock.tdb locking.tdb brlock.tdb leases.tdb
                smbXsrv_session_global.tdb smbXsrv_tcon_global.tdb smbXsrv_client_global.tdb
                smbXsrv_version_global.tdb smbXsrv_open_global.tdb share_info.tdb registry.tdb)
        for n in 0 1 2; do
                wait_until "node $n's dbd has ${#want[@]} databases of smbd" 10 attached "$n" "${want[@]}"
        done
        lc exec 1 -- ctdbctl db list | sed 's/^/    | /'

        for a in "${PUBLIC_ADDRS[@]}"; do
                out=$(login_ok "$a") || fail "a login as root through $a (node ${HOLDER[$a]}): $out"
                log "ok: root logs in through $a (node ${HOLDER[$a]}) with the password set on node 0"
        done
        # smbd's TCP_CLIENT for its client becomes ctdb-ipd's TrackConnection
        # (the taker tickles it), seen on node 1's bus.
        a=$(first_of 1)
        local mon=$T/track.mon mon_pid
        timeout -k 1 15 busctl --address="$(bus_of 1)" monitor \
                --match "interface=org.ctdb.ipfailover1.Manager,member=TrackConnection" >"$mon" 2>&1 &
        mon_pid=$!
        wait_until "busctl monitors node 1's bus" 5 grep -q '^Monitoring' "$mon"
        out=$(login_ok "$a") || fail "a login as root through $a: $out"
        wait_until "ctdb-dbd asked node 1's ipd to track the client's connection to $a:445" 5 \
                grep -qF "STRING \"$a:445\";" "$mon"
        kill "$mon_pid" 2>/dev/null || true
        wait "$mon_pid" 2>/dev/null || true
        awk '/STRING/ && n++ < 2 { sub(/^ */, "    | "); print }' "$mon"

        a=$(first_of 2)
        if out=$(smb "$a" -U "root%not-$CTDB_LOCAL_SMB_PASSWORD" -c ls 2>&1); then
                fail "a wrong password was accepted through $a: $out"
        fi
        expect "a wrong password through $a (node 2) is refused" grep -q NT_STATUS_LOGON_FAILURE <<<"$out"

        # 10 MiB through node 1, back through node 2.
        local put get t0 ms
        put=$(first_of 1) get=$(first_of 2)
        head -c $((10 << 20)) /dev/urandom >"$T/big.in"
        t0=$(date +%s%N)
        out=$(smb "$put" -c "put $T/big.in big.bin" 2>&1) || fail "smbclient put through $put: $out"
        ms=$((($(date +%s%N) - t0) / 1000000))
        log "ok: put 10 MiB through $put (node 1) in $ms ms"
        t0=$(date +%s%N)
        out=$(smb "$get" -c "get big.bin $T/big.out" 2>&1) || fail "smbclient get through $get: $out"
        ms=$((($(date +%s%N) - t0) / 1000000))
        log "ok: got it through $get (node 2) in $ms ms"
        expect "the file got through node 2 is the one put through node 1" cmp "$T/big.in" "$T/big.out"
        expect "the share holds the same bytes" cmp "$T/big.in" "$CTDB_LOCAL_STATE/share/big.bin"

        # A session held on every node; each node's smbstatus lists all three
        # (a traverse of smbXsrv_session_global.tdb over the cluster).
        for n in 0 1 2; do hold "$n" "$(first_of "$n")"; done
        for n in 0 1 2; do
                wait_until "smbstatus on node $n lists the sessions held on nodes 0, 1 and 2" 10 \
                        sessions_on_nodes "$n" "0 1 2"
        done
        sed 's/^/    | /' <<<"$SESSIONS"
        out=$(on 0 smbstatus -s "$(smb_conf 0)" -b) || fail "smbstatus -b on node 0: $out"
        sed 's/^/    | /' <<<"$out"

        # Server ids of other nodes' smbds: CHECK_PID_SRVID goes to the node
        # concerned; a wrong unique id is a dead process.
        local -A ids=()
        local vnn pid uid
        while read -r vnn pid uid _; do ids[$vnn]=$vnn:$pid/$uid; done <<<"$SESSIONS"
        for n in 1 2; do
                expect "node 0: net serverid exists ${ids[$n]} (node $n): exists" \
                        serverid_says 0 "${ids[$n]}" exists
                expect "node 0: ${ids[$n]%/*}/1 (a wrong unique id): does not exist" \
                        serverid_says 0 "${ids[$n]%/*}/1" "does not exist"
        done
        expect "node 1: net serverid exists ${ids[0]} (node 0): exists" serverid_says 1 "${ids[0]}" exists
        # A message to one smbd on another node and its answer.
        for n in 1 2; do
                out=$(on 0 smbcontrol -s "$(smb_conf 0)" "${ids[$n]%/*}" ping 2>&1) ||
                        fail "node 0: smbcontrol ${ids[$n]%/*} ping: $out"
                expect "node 0: smbcontrol pings node $n's smbd: $out" \
                        test "$out" = "PONG from pid ${ids[$n]%/*}"
        done
        out=$(on 1 net -s "$(smb_conf 1)" serverid wipedbs 2>&1) || fail "node 1: net serverid wipedbs: $out"
        sed 's/^/    | /' <<<"$out"
        expect "node 1: net serverid wipedbs finds the 3 sessions alive" \
                grep -q '^Found 3 sessions, 3 alive and 0 disconnected' <<<"$out"
        out=$(dbwrap 0 --non-persistent smbXsrv_session_global.tdb listkeys) ||
                fail "node 0: dbwrap_tool listkeys of smbXsrv_session_global.tdb: $out"
        expect "node 0: dbwrap_tool lists 3 keys in smbXsrv_session_global.tdb" \
                test "$(grep -c . <<<"$out")" = 3

        # The session on node 2 ends: gone from node 0's smbstatus, and its
        # server id is dead for node 0.
        release 2
        wait_until "node 0's smbstatus no longer lists node 2's session" 10 sessions_on_nodes 0 "0 1"
        wait_until "node 0: ${ids[2]} (node 2, ended): does not exist" 5 \
                serverid_says 0 "${ids[2]}" "does not exist"
        release 0
        release 1

        # Persistent databases through dbwrap_tool: passdb as node 0 wrote it,
        # and a new one written and read on different nodes (transactions).
        out=$(dbwrap 1 --persistent passdb.tdb listkeys) ||
                fail "node 1: dbwrap_tool passdb.tdb listkeys: $out"
        expect "node 1: passdb.tdb has root's entry (added on node 0)" grep -qx 'USER_root\\00' <<<"$out"
        dbwrap 0 --persistent remix_test.tdb store answer int32 42 || fail "node 0: dbwrap_tool store"
        expect "node 2 reads the int32 node 0 stored in remix_test.tdb" \
                test "$(dbwrap 2 --persistent remix_test.tdb fetch answer int32)" = 42
        dbwrap 1 --persistent remix_test.tdb store greeting string hello || fail "node 1: dbwrap_tool store"
        out=$(dbwrap 0 --persistent remix_test.tdb fetch greeting string)
        expect "node 0 reads the string node 1 stored ($out)" test "${out%%[[:space:]]*}" = hello
        dbwrap 2 --persistent remix_test.tdb delete answer || fail "node 2: dbwrap_tool delete"
        out=$(dbwrap 0 --persistent remix_test.tdb listkeys)
        expect "node 0 lists the key left after node 2's delete: $(tr '\n' ' ' <<<"$out")" \
                test "$out" = 'greeting\00'
        # A volatile one: node 0 wrote the record, node 1's read goes to it (REQ_CALL).
        dbwrap 0 --non-persistent remix_volatile.tdb store k int32 7 || fail "node 0: dbwrap_tool store"
        expect "node 1 reads the int32 node 0 stored in remix_volatile.tdb" \
                test "$(dbwrap 1 --non-persistent remix_volatile.tdb fetch k int32)" = 7

        smbd_logs_clean
}

# ---- failover --------------------------------------------------------------------

# loop_start ADDRESS: from now on a new smbclient connection (-c ls) to
# ADDRESS every 100 ms, each bounded by 2 s (a SYN sent to the old node's
# MAC is lost, and waiting for its retransmit would measure the kernel),
# until $LOOP_STOP exists; each attempt appends "START END STATUS" (wall
# clock, seconds) to $LOOP_OUT. At most 600 attempts.
loop_start() {
        LOOP_OUT=$T/loop.out LOOP_STOP=$T/loop.stop
        : >"$LOOP_OUT"
        rm -f "$LOOP_STOP"
        (
                trap - ERR EXIT INT TERM
                set +eE
                attempt() {
                        local t0=$EPOCHREALTIME rc=0
                        timeout -k 1 2 "$LOCAL_CLUSTER" smbclient "$1" -c ls >/dev/null 2>&1 || rc=$?
                        echo "$t0 $EPOCHREALTIME $rc" >>"$LOOP_OUT"
                }
                local k
                for ((k = 0; k < 600; k++)); do
                        [[ ! -e $LOOP_STOP ]] || break
                        attempt "$1" &
                        # the pace of the attempts, not a wait for anything
                        sleep 0.1
                done
                wait
        ) &
        LOOP_PID=$!
}
loop_stop() {
        : >"$LOOP_STOP"
        wait "$LOOP_PID" || true
        LOOP_PID=
}

# served_since T N: N attempts started after T (wall clock) succeeded.
served_since() {
        (($(awk -v t="$1" '$1 > t && $3 == 0' "$LOOP_OUT" | wc -l) >= $2))
}

# failover_round kill|hang leader|non-leader LIMIT_MS: the client loops on
# new connections to the victim's first address while the victim is killed
# (kill) or cut off the network (hang: its link down, the node and its smbd
# still running); the first connection served after the fault must come
# within LIMIT_MS, and none started after it may fail. Then the victim is
# restarted (or its link put back) and serves logins again.
failover_round() {
        local fault=$1 role=$2 limit=$3 a fault_t restore out
        pick_victim "$role"
        local v=$VICTIM
        a=$(first_of "$v")
        log "round: $fault node $v ($role), which holds $(held_by "$v"); the client connects to $a"
        loop_start "$a"
        wait_until "the client is served through $a (node $v) 3 times" 10 served_since 0 3

        CTDB_LOCAL_FAULT_STAMP=$T/fault.stamp lc "$fault" "$v"
        fault_t=$(<"$T/fault.stamp")
        wait_until "the client is served again through $a, 5 new connections" 15 \
                served_since "$fault_t" 5
        loop_stop
        expect "every address is on nodes ${REST[*]}" hosted_once_by "${REST[@]}"
        log "placement: $(holders_str)"

        # The client is served again when the first attempt started after
        # the fault ends with success (an earlier one may still be waiting on
        # its SYN's retransmit to the old node: the kernel's timer, not the
        # cluster's); every attempt started after that one must succeed too.
        local first s e
        first=$(awk -v t="$fault_t" '$1 > t && $3 == 0' "$LOOP_OUT" | sort -n -k 2 | head -n 1)
        [[ -n $first ]] || fail "no connection after the $fault succeeded"
        read -r s e _ <<<"$first"
        local before after_fail later_fail
        before=$(awk -v t="$fault_t" '$1 <= t && $3 == 0' "$LOOP_OUT" | wc -l)
        after_fail=$(awk -v t="$fault_t" -v s="$s" '$1 > t && $1 < s && $3 != 0' "$LOOP_OUT" | wc -l)
        later_fail=$(awk -v s="$s" '$1 > s && $3 != 0' "$LOOP_OUT" | wc -l)
        log "connections: $before served before the $fault, $after_fail failed after it," \
                "then $(awk -v s="$s" '$1 >= s && $3 == 0' "$LOOP_OUT" | wc -l) served;" \
                "around the $fault (start and end in ms from it, exit status):"
        sort -n "$LOOP_OUT" | awk -v k="$fault_t" -v s="$s" '$1 > k - 0.5 && $1 <= s + 0.25 {
                printf "    | %+6d %+6d %d\n", ($1 - k) * 1000, ($2 - k) * 1000, $3 }'
        local served_ms started_ms
        served_ms=$(awk -v k="$fault_t" -v e="$e" 'BEGIN { printf "%d", (e - k) * 1000 }')
        started_ms=$(awk -v k="$fault_t" -v s="$s" 'BEGIN { printf "%d", (s - k) * 1000 }')
        log "FIGURE: SMB failover, $fault of node $v ($role): the first new connection served" \
                "$served_ms ms after the $fault (started $started_ms ms after it)"
        expect "no connection started after that one failed ($later_fail did)" test "$later_fail" = 0
        ((served_ms < limit)) || fail "the client waited $served_ms ms for a connection ($limit ms at most)"

        # Back again: its smbd (restarted with its node, or still running
        # through the cut) serves logins on the addresses it gets back.
        case $fault in
        kill) restore=start ;;
        hang) restore=heal ;;
        esac
        lc "$restore" "$v"
        wait_until "node $v has its share of the addresses again" 30 balanced_on 0 1 2
        wait_until "all 3 nodes OK, one leader, one generation" 30 healthy 0 1 2
        LEADER=$AGREED_LEADER
        log "placement: $(holders_str); leader $LEADER"
        expect "node $v's smbd runs again" smbd_alive "$v"
        for a in $(held_by "$v"); do
                out=$(login_ok "$a") || fail "a login through $a (node $v, back): $out"
                log "ok: root logs in through $a on node $v, back"
        done
        # A killed node's smbd children said their socket went, in its log.
        FAULTED+=("$v")
        smbd_logs_clean "${FAULTED[@]}"
}

# The issue's bounds: 0.5 s after a kill, 1.5 s after a node is gone from the
# network (its heartbeats stop: 1 s of heartbeat timeout is in that), leader
# or not.
run_failover() {
        FAULTED=()
        start
        failover_round kill non-leader 500
        failover_round kill leader 500
        failover_round hang non-leader 1500
        failover_round hang leader 1500
}

# ---- torture ---------------------------------------------------------------------

# conn_poll_start: samples the client namespace's SMB connections every
# 50 ms; CONN_OUT gets one line per sample, the addresses connected to.
conn_poll_start() {
        CONN_OUT=$T/conns.out
        : >"$CONN_OUT"
        (
                trap - ERR EXIT INT TERM
                set +eE
                while :; do
                        ip netns exec "$CTDB_LOCAL_PREFIX-client" \
                                ss -Htn state established '( dport = :445 )' |
                                awk '{ sub(/:445$/, "", $4); print $4 }' | sort -u | tr '\n' ' '
                        echo
                        sleep 0.05
                done >>"$CONN_OUT"
        ) &
        POLL_PID=$!
}
conn_poll_stop() {
        kill "$POLL_PID" 2>/dev/null || true
        wait "$POLL_PID" 2>/dev/null || true
        POLL_PID=
}

run_torture() {
        local n unclist rc=0 tst out
        local -a tests=(smb2.deny.deny2 smb2.oplock.exclusive1 smb2.oplock.exclusive2 smb2.oplock.batch1
                smb2.oplock.levelii500)
        start
        # Each connection of a test takes the next line: the two clients of
        # a test are on two nodes.
        unclist=$T/unclist
        for n in 0 1 2; do echo "//$(first_of "$n")/share"; done >"$unclist"
        log "unclist: $(tr '\n' ' ' <"$unclist")"
        conn_poll_start
        local t0
        t0=$(date +%s%N)
        lc client timeout -k 2 60 smbtorture --unclist="$unclist" -s "$CTDB_LOCAL_STATE/smbclient.conf" \
                -U "root%$CTDB_LOCAL_SMB_PASSWORD" --target=samba3 --option=clustering=yes \
                "$(head -n 1 "$unclist")" "${tests[@]}" >"$T/torture.out" 2>&1 || rc=$?
        conn_poll_stop
        log "smbtorture ${tests[*]}: exit status $rc in $((($(date +%s%N) - t0) / 1000000)) ms"
        grep -E '^(test|success|failure|error|skip):' "$T/torture.out" | sed 's/^/    | /'
        if ((rc != 0)) || grep -Eq '^(failure|error|skip):' "$T/torture.out"; then
                tail -n 40 "$T/torture.out" | sed 's/^/    ! /'
                fail "smbtorture did not pass (exit status $rc)"
        fi
        for tst in "${tests[@]}"; do
                expect "smbtorture: ${tst##*.} passed" grep -qx "success: ${tst##*.}" "$T/torture.out"
        done
        # Both clients connected at once to two nodes' addresses at some point.
        out=$(awk 'NF >= 2' "$CONN_OUT" | sort | uniq -c | sort -rn | head -n 5)
        expect "smbtorture held connections to two nodes at once: $(tr -s ' \n' ' ' <<<"$out")" \
                test -n "$out"
        smbd_logs_clean
}

case $mode in
basic) run_basic ;;
failover) run_failover ;;
torture) run_torture ;;
esac
