#!/bin/bash
# The etcd lock backend: three nodes with 'cluster lock = etcd:URL,...' on the
# 3-member etcd of `local-cluster up --lock etcd` (in the bridge namespace).
# Every case first checks the keys clusterd keeps there: <prefix>leader holds
# the agreed leader's pnn and <prefix>nodes/<pnn> each node's address, each
# node's keys bound to that node's lease. TTL is the TTL etcd granted that
# lease. CASE is the first argument:
#   leader     kill -9 the leader node: every other node agrees on a new leader
#              within TTL + 1 s (FIGURE), and the dead node's key goes with its
#              lease; started again, it rejoins
#   member     kill -9 etcd's own leader member: for 2 x TTL every node keeps
#              its leader and generation and stays quorate (leases survive
#              etcd's failover), and etcd has a new leader; the member returns
#   outage     kill every etcd member: within TTL + 1 s no node has a leader and
#              none is quorate (FIGURE); etcd started again, within 10 s all
#              agree on a leader and are quorate (FIGURE)
#   partition  cut one node off the other two (local-cluster cut: the nodes'
#              traffic only, all three still reach etcd), once the leader and
#              once a non-leader: exactly one leader, in the pair, for TTL; the
#              single node has none and is not quorate; after uncut all converge
#   endpoint   the nodes' endpoint list starts with one that times out (an
#              address nobody answers ARP for) and one that refuses: the cluster
#              still comes up and a leader kill still fails over within TTL + 1 s
#   tls        up --etcd-tls: the members serve https only and want a client
#              certificate of the cluster's CA; the nodes get https URLs, the
#              CA and a client certificate. No member refused a node's
#              certificate, while a client from a node's namespace without a
#              certificate and one with a certificate of another CA are
#              refused (so the nodes' keys got there with the configured
#              client certificate); a leader kill fails over within TTL + 1 s
source "$(dirname "$0")/../lib/cluster.sh"
mode=${1:-}
case $mode in
leader | member | outage | partition | endpoint | tls) ;;
*) echo "usage: $0 leader|member|outage|partition|endpoint|tls" >&2; exit 2 ;;
esac
cluster_require_root
tools=(etcd etcdctl)
[[ $mode != tls ]] || tools+=(openssl curl)
for tool in "${tools[@]}"; do
        if ! command -v "$tool" >/dev/null; then
                echo "SKIP: $TEST_NAME needs $tool (tools/setup-deps installs etcd-server, etcd-client," \
                        "openssl and curl)"
                exit 77
        fi
done

# Nobody answers ARP for this address on the bridge: a connection to it hangs
# until the client's own timeout (the way a powered-off etcd host behaves).
# Port 23799 of the bridge has no listener: a reset at once.
readonly SILENT_ENDPOINT=http://192.0.2.250:23791 REFUSING_ENDPOINT=http://192.0.2.1:23799
if [[ $mode == endpoint ]]; then
        export CTDB_LOCAL_ETCD_ENDPOINTS=$SILENT_ENDPOINT,$REFUSING_ENDPOINT
        CTDB_LOCAL_ETCD_ENDPOINTS+=,http://192.0.2.1:23791,http://192.0.2.1:23792,http://192.0.2.1:23793
fi
up_args=(--lock etcd)
[[ $mode != tls ]] || up_args+=(--etcd-tls)
cluster_start 3 "${up_args[@]}"
# local-cluster notes when it kills, stops or cuts, so that times count from the fault.
export CTDB_LOCAL_FAULT_STAMP=$CTDB_LOCAL_STATE/fault-stamp
KP=/ctdb/$CTDB_LOCAL_PREFIX/

node_address() { echo "192.0.2.$((11 + $1))"; }
epoch_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
# fault_ms: milliseconds since the last fault local-cluster noted.
fault_ms() {
        local t
        t=$(<"$CTDB_LOCAL_FAULT_STAMP")
        echo $((($(epoch_us) - ${t/./}) / 1000))
}

# view PNN: "LEADER GENERATION QUORATE" of node PNN, in one bus call.
view() {
        local out l g q
        out=$(busctl_on "$1" get-property org.ctdb.cluster1 /org/ctdb/cluster1 org.ctdb.cluster1.Manager \
                Leader Generation Quorate) || return 1
        { read -r _ l; read -r _ g; read -r _ q; } <<<"$out"
        echo "$l $g $q"
}

# agreed NODES...: all quorate, one leader (AGREED_LEADER), one generation
# (AGREED_GENERATION).
# shellcheck disable=SC2034
agreed() {
        local n v first=""
        for n in "$@"; do
                v=$(view "$n") || return 1
                [[ $v == *" true" && $v != "$NONE "* && (-z $first || $v == "$first") ]] || return 1
                first=$v
        done
        read -r AGREED_LEADER AGREED_GENERATION _ <<<"$first"
}

# agreed_not OLD NODES...: agreed, on a leader other than OLD.
agreed_not() {
        local old=$1
        shift
        agreed "$@" && [[ $AGREED_LEADER != "$old" ]]
}

# leaderless NODES...: none of them has a leader or is quorate.
leaderless() {
        local n v
        for n in "$@"; do
                v=$(view "$n") || return 1
                [[ $v == "$NONE "*" false" ]] || return 1
        done
}

# kept LEADER GENERATION NODES...: every one of them still has them and is quorate.
kept() {
        local want="$1 $2 true" n
        shift 2
        for n in "$@"; do [[ $(view "$n") == "$want" ]] || return 1; done
}

# hold_for SECS DESC CMD...: CMD stays true (polled every 100 ms) for SECS seconds.
hold_for() {
        local secs=$1 desc=$2 t0 polls=0
        shift 2
        t0=$(date +%s%N)
        while (($(date +%s%N) - t0 < secs * 1000000000)); do
                "$@" 2>/dev/null || fail "$desc: broken $((($(date +%s%N) - t0) / 1000000)) ms in"
                polls=$((polls + 1))
                sleep 0.1
        done
        log "ok: $desc for $secs s ($polls polls)"
}

# etcd_read: KV[KEY] and KV_LEASE[KEY] (decimal, 0: none) for every key under
# the cluster's prefix, KEY without the prefix; one etcdctl call.
etcd_read() {
        declare -gA KV=() KV_LEASE=()
        local out line key="" v
        out=$(lc etcd get -w fields) || return 1
        while IFS= read -r line; do
                case $line in
                '"Key" : '*) key=${line#'"Key" : "'}; key=${key%'"'}; key=${key#"$KP"} ;;
                '"Value" : '*) v=${line#'"Value" : "'}; KV[$key]=${v%'"'} ;;
                '"Lease" : '*) KV_LEASE[$key]=${line#'"Lease" : '} ;;
                esac
        done <<<"$out"
}

# keys_ok LEADER NODES...: <prefix>leader holds LEADER and is bound to the
# lease of LEADER's <prefix>nodes/LEADER; each of NODES has its address in
# <prefix>nodes/PNN, bound to a lease; no other node has a key there.
keys_ok() {
        local leader=$1 n k
        shift
        etcd_read || return 1
        [[ ${KV[leader]:-} == "$leader" && ${KV_LEASE[leader]:-0} != 0 ]] || return 1
        [[ ${KV_LEASE[leader]} == "${KV_LEASE[nodes/$leader]:-}" ]] || return 1
        for n in "$@"; do
                [[ ${KV[nodes/$n]:-} == "$(node_address "$n")" ]] || return 1
                [[ ${KV_LEASE[nodes/$n]:-0} != 0 ]] || return 1
        done
        for k in "${!KV[@]}"; do
                [[ $k != nodes/* || " $* " == *" ${k#nodes/} "* ]] || return 1
        done
}

# keys_show: what etcd holds under the prefix (for the log).
keys_show() { lc etcd get 2>&1 | sed 's/^/    /'; }

# granted_ttl LEASE: the TTL etcd granted the lease (whole seconds).
granted_ttl() {
        local out
        out=$(lc etcd ctl lease timetolive "$(printf %x "$1")") || return 1
        [[ $out =~ granted\ with\ TTL\(([0-9]+)s\) ]] || return 1
        echo "${BASH_REMATCH[1]}"
}

# The daemon's side starts here: its keys in etcd.
wait_until "etcd holds leader $LEADER and every node's address, bound to their leases" 10 \
        keys_ok "$LEADER" 0 1 2
keys_show
TTL=$(granted_ttl "${KV_LEASE[leader]}") || fail "could not read the TTL of lease ${KV_LEASE[leader]}"
log "the leader's lease ${KV_LEASE[leader]} was granted a TTL of $TTL s"
BOUND_MS=$(((TTL + 1) * 1000))

# kill_leader_node: kill -9 the leader; every other node agrees on a new one
# within TTL + 1 s (FIGURE); the dead node's key goes with its lease.
kill_leader_node() {
        pick_victim leader
        log "kill -9 of leader node $VICTIM (generation $GENERATION)"
        lc kill "$VICTIM"
        wait_until "nodes ${REST[*]} agree on a leader other than $VICTIM, all quorate" $((TTL + 20)) \
                agreed_not "$VICTIM" "${REST[@]}"
        local ms
        ms=$(fault_ms)
        log "FIGURE: etcd backend, kill -9 of the leader: every other node names new leader" \
                "$AGREED_LEADER $ms ms after the kill (lease TTL $TTL s; at most $BOUND_MS ms)"
        ((ms <= BOUND_MS)) || fail "the new leader took $ms ms (at most TTL + 1 s = $BOUND_MS ms)"
        expect "the generation moved on (was $GENERATION, now $AGREED_GENERATION)" \
                test "$AGREED_GENERATION" -gt "$GENERATION"
        wait_until "etcd names leader $AGREED_LEADER, node $VICTIM's key is gone with its lease" 10 \
                keys_ok "$AGREED_LEADER" "${REST[@]}"
}

# one_leader: the pair (REST) agrees on pair_leader, node VICTIM has no leader.
one_leader() {
        agreed "${REST[@]}" && [[ $AGREED_LEADER == "$pair_leader" ]] && leaderless "$VICTIM"
}

case $mode in
leader)
        kill_leader_node
        lc start "$VICTIM"
        wait_until "node $VICTIM rejoined: all OK, one leader, one generation" 30 healthy 0 1 2
        wait_until "node $VICTIM has its key in etcd again" 10 keys_ok "$AGREED_LEADER" 0 1 2
        ;;
member)
        gone=$(lc etcd kill-leader)
        log "killed etcd's leader member $gone"
        hold_for $((2 * TTL)) "every node keeps leader $LEADER and generation $GENERATION, quorate" \
                kept "$LEADER" "$GENERATION" 0 1 2
        etcd_new_leader() {
                local l
                l=$(lc etcd status | sed -n 's/^leader: //p')
                [[ $l == m? && $l != "$gone" ]]
        }
        wait_until "etcd has a new leader, not $gone" 10 etcd_new_leader
        lc etcd status
        lc etcd start "$gone"
        expect "the cluster still has leader $LEADER and generation $GENERATION" \
                kept "$LEADER" "$GENERATION" 0 1 2
        wait_until "etcd holds leader $LEADER and every node's key" 10 keys_ok "$LEADER" 0 1 2
        ;;
outage)
        lc etcd kill all
        wait_until "no node has a leader or is quorate" $((TTL + 20)) leaderless 0 1 2
        ms=$(fault_ms)
        log "FIGURE: etcd backend, every etcd member killed: no node leads or is quorate" \
                "$ms ms after (lease TTL $TTL s; at most $BOUND_MS ms)"
        ((ms <= BOUND_MS)) || fail "the nodes stopped leading only after $ms ms (at most $BOUND_MS ms)"
        t0=$(epoch_us)
        lc etcd start all
        wait_until "all agree on a leader, all quorate" 30 agreed 0 1 2
        ms=$((($(epoch_us) - t0) / 1000))
        log "FIGURE: etcd backend, etcd started again: leader $AGREED_LEADER on every node, all" \
                "quorate, $ms ms after the start (at most 10000 ms)"
        ((ms <= 10000)) || fail "the cluster took $ms ms to get a leader after etcd came back"
        wait_until "all OK, one leader, one generation" 30 healthy 0 1 2
        wait_until "etcd holds leader $AGREED_LEADER and every node's key" 10 keys_ok "$AGREED_LEADER" 0 1 2
        ;;
partition)
        for case in leader non-leader; do
                wait_until "cluster healthy" 30 healthy 0 1 2
                LEADER=$AGREED_LEADER GENERATION=$AGREED_GENERATION
                pick_victim "$case"
                log "cutting node $VICTIM off nodes ${REST[*]} ($case; leader $LEADER)"
                lc cut "$VICTIM"
                wait_until "the pair ${REST[*]} agrees on a leader other than $VICTIM, quorate" 20 \
                        agreed_not "$VICTIM" "${REST[@]}"
                pair_leader=$AGREED_LEADER
                log "the pair's leader is $pair_leader $(fault_ms) ms after the cut"
                [[ $case == leader ]] ||
                        expect "the pair kept leader $LEADER (is $pair_leader)" \
                                test "$pair_leader" = "$LEADER"
                wait_until "node $VICTIM has no leader and is not quorate" 20 leaderless "$VICTIM"
                hold_for "$TTL" "leader $pair_leader in the pair only, node $VICTIM without one" one_leader
                wait_until "etcd names the pair's leader $pair_leader" 10 keys_ok "$pair_leader" 0 1 2
                lc uncut "$VICTIM"
                wait_until "node $VICTIM rejoined: all OK, one leader, one generation" 30 healthy 0 1 2
                expect "node $VICTIM is quorate again" test "$(quorate_of "$VICTIM")" = true
        done
        ;;
endpoint)
        expect "the nodes' ctdb.conf lists the silent and the refusing endpoint first" \
                grep -qxF "cluster lock = etcd:$CTDB_LOCAL_ETCD_ENDPOINTS" \
                "$CTDB_LOCAL_STATE/node0/etc/ctdb.conf"
        # Both bad endpoints behave as they should from a node's namespace.
        probe() { lc exec 0 -- timeout "$2" bash -c "exec 3<>/dev/tcp/$1" 2>/dev/null; }
        rc=0 t0=$(epoch_us)
        probe 192.0.2.250/23791 1 || rc=$?
        expect "$SILENT_ENDPOINT does not answer within 1 s (status $rc, 124: timed out)" test "$rc" = 124
        rc=0
        probe 192.0.2.1/23799 10 || rc=$?
        expect "$REFUSING_ENDPOINT refuses (status $rc, 1: refused)" test "$rc" = 1
        kill_leader_node
        ;;
tls)
        T=$CTDB_LOCAL_STATE/etcd/tls
        conf=$CTDB_LOCAL_STATE/node0/etc/ctdb.conf
        urls=https://192.0.2.1:23791,https://192.0.2.1:23792,https://192.0.2.1:23793
        for line in "cluster lock = etcd:$urls" "etcd ca file = $T/ca.crt" \
                "etcd certificate file = $T/client.crt" "etcd key file = $T/client.key"; do
                expect "node 0's ctdb.conf has '$line'" grep -qxF "$line" "$conf"
        done
        # etcd logs every client it refuses at the TLS handshake with the reason.
        refused='"rejected connection","remote-addr":"192\.0\.2\.1[1-3]:[0-9]+".*'
        refused+='(didn.t provide a certificate|failed to verify client certificate)'
        refusals() { cat "$CTDB_LOCAL_STATE"/etcd/m*.log | grep -cE "$refused" || true; }
        expect "no member refused a node's client certificate" test "$(refusals)" = 0
        # range_of ARGS...: curl from node 0's namespace, a range of every key on
        # member m0 with curl's ARGS; prints the HTTP status (000: none).
        range_of() {
                lc exec 0 -- curl -sS --max-time 5 --cacert "$T/ca.crt" "$@" -o /dev/null -w '%{http_code}' \
                        -X POST -d '{"key":"AA==","range_end":"AA==","count_only":true}' \
                        https://192.0.2.1:23791/v3/kv/range 2>/dev/null || true
        }
        expect "m0 answers a client with the nodes' certificate (200)" \
                test "$(range_of --cert "$T/client.crt" --key "$T/client.key")" = 200
        code=$(range_of)
        expect "m0 refuses a client without a certificate (HTTP status $code)" test "$code" = 000
        wait_until "m0 logged the refusal" 5 test "$(refusals)" = 1
        # In the state dir, which the cluster's `down` removes.
        other=$CTDB_LOCAL_STATE/other-ca
        mkdir "$other"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$other/ca.key" \
                -out "$other/ca.crt" -days 1 -subj "/CN=another CA" 2>/dev/null
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$other/c.key" \
                -out "$other/c.csr" -subj "/CN=a node of another cluster" 2>/dev/null
        openssl x509 -req -in "$other/c.csr" -CA "$other/ca.crt" -CAkey "$other/ca.key" -CAcreateserial \
                -CAserial "$other/ca.srl" -days 1 -out "$other/c.crt" \
                -extfile <(echo extendedKeyUsage=clientAuth) 2>/dev/null
        code=$(range_of --cert "$other/c.crt" --key "$other/c.key")
        expect "m0 refuses a client with a certificate of another CA (HTTP status $code)" test "$code" = 000
        wait_until "m0 logged that refusal too" 5 test "$(refusals)" = 2
        kill_leader_node
        ;;
esac
