#!/bin/bash
# IP failover (ctdb-ipd) on three nodes with local-cluster's six public
# addresses; a listener in every node answers each connection with its node
# number and the client namespace connects. Through every mode a poller
# reads every node's eth0 every ~20 ms and fails the test if an address is
# ever on two nodes after the first convergence. MODE is the first argument:
#   kill      a killed node's addresses move to the others and a client
#             reaches each there; restarted, it gets its share back (failback)
#   hang      the same with the node's link down; after the heal every
#             address is hosted, each once
#   ban       a banned node's addresses leave it; they come back when the ban
#             ends by itself
#   move      ctdbctl move-ip by root moves an address (kernel and every
#             node's Addresses); by an unprivileged user it is refused and
#             nothing moves
#   reload    every node's public_addresses gains one address and loses
#             another, then reload-ips: the new one is hosted, the dropped
#             one gone everywhere, the others stay where they were
#   reset     a client with an established (quiet) connection learns of the
#             move by a reset within 2 s when the address's node is killed,
#             and when the address is moved; it reconnects to the new node
#   lb        a load-balanced address (CTDB_LVS_*) is answered by all three
#             nodes in roughly equal shares, each connection by one node, and
#             by the two survivors after one node is killed
#   natgw     a NAT gateway group (CTDB_NATGW_*): one node holds the gateway
#             address and the others route through it; it moves when that
#             node is killed
#   disabled  with [failover] disabled = true no address is hosted, every
#             ipd says Disabled and Move answers NotSupported
source "$(dirname "$0")/../lib/cluster.sh"
mode=${1:-}
case $mode in
kill | hang | ban | move | reload | reset | lb | natgw | disabled) ;;
*) echo "usage: $0 kill|hang|ban|move|reload|reset|lb|natgw|disabled" >&2; exit 2 ;;
esac
command -v python3 >/dev/null || { echo "SKIP: $TEST_NAME needs python3"; exit 77; }

LB_ADDR=203.0.113.50
NATGW_ADDR=203.0.113.200
SOURCES=60

# etc_files KIND: script.options (and the node list it names) for lb or
# natgw in a temporary directory, for local-cluster's CTDB_LOCAL_ETC_FILES.
etc_files() {
        ETC_DIR=$(mktemp -d "/tmp/ctdb-$TEST_NAME-etc.XXXXXX")
        local n
        for n in 0 1 2; do echo "192.0.2.$((11 + n))"; done >"$ETC_DIR/${1}_nodes"
        case $1 in
        lvs)
                cat >"$ETC_DIR/script.options" <<-EOF
		CTDB_LVS_NODES=lvs_nodes
		CTDB_LVS_PUBLIC_IP=$LB_ADDR
		CTDB_LVS_PUBLIC_IFACE=eth0
		EOF
                ;;
        natgw)
                cat >"$ETC_DIR/script.options" <<-EOF
		CTDB_NATGW_NODES=natgw_nodes
		CTDB_NATGW_PUBLIC_IP=$NATGW_ADDR/24
		CTDB_NATGW_PUBLIC_IFACE=eth0
		CTDB_NATGW_PRIVATE_NETWORK=192.0.2.0/24
		CTDB_NATGW_DEFAULT_GATEWAY=203.0.113.2
		EOF
                ;;
        esac
        export CTDB_LOCAL_ETC_FILES="$ETC_DIR/script.options $ETC_DIR/${1}_nodes"
}

# start [ADDR...]: the cluster, the listeners, the first convergence (every
# address hosted once, balanced) and from then on the poller, which watches
# the ADDRs too.
start() {
        cluster_start 3
        failover_traps
        [[ -z ${ETC_DIR:-} ]] || rm -rf "$ETC_DIR"
        listeners_up
        wait_until "every address on one node, balanced" 20 balanced_on 0 1 2
        log "placement: $(holders_str)"
        never_two_start "${PUBLIC_ADDRS[@]}" "$@"
}

# reach_all NODES...: a client reaches every address on its holder (one of NODES).
reach_all() {
        local a
        for a in "${PUBLIC_ADDRS[@]}"; do
                wait_until "a client reaches $a on node ${HOLDER[$a]}" 5 answered_by "$a" "${HOLDER[$a]}"
        done
}

# victim_with_addresses leader|non-leader: VICTIM (and REST) as pick_victim,
# VICTIM_ADDRS the addresses it holds now.
victim_with_addresses() {
        pick_victim "$1"
        hosted_once_by 0 1 2 || fail "the addresses are not placed"
        read -r -a VICTIM_ADDRS <<<"$(held_by "$VICTIM")"
        ((${#VICTIM_ADDRS[@]})) || fail "node $VICTIM holds no address ($(holders_str))"
        log "node $VICTIM ($1) holds ${VICTIM_ADDRS[*]}"
}

# none_on PNN NODES...: every address hosted once by NODES, none on PNN.
none_on() { local v=$1; shift; hosted_once_by "$@" && [[ -z $(held_by "$v") ]]; }

# moved_away: VICTIM's addresses are on the others and reachable there.
moved_away() {
        wait_until "node $VICTIM's addresses are on nodes ${REST[*]}" 15 none_on "$VICTIM" "${REST[@]}"
        log "placement: $(holders_str)"
        reach_all
}

# back_again: after VICTIM returned, every node holds its share again.
back_again() {
        wait_until "node $VICTIM has its share again (failback)" 30 balanced_on 0 1 2
        log "placement: $(holders_str)"
        reach_all
}

# placement_same WANT: HOLDER, read now, is WANT (holders_str).
placement_same() { hosted_once_by 0 1 2 && [[ $(holders_str) == "$1" ]]; }

case $mode in
kill)
        start
        victim_with_addresses non-leader
        kill_node "$VICTIM"
        moved_away
        lc start "$VICTIM"
        back_again
        ;;
hang)
        start
        victim_with_addresses leader
        lc hang "$VICTIM"
        moved_away
        lc heal "$VICTIM"
        wait_until "every address hosted once after the heal" 30 hosted_once_by 0 1 2
        back_again
        ;;
ban)
        start
        victim_with_addresses non-leader
        out=$(lc exec "${REST[0]}" -- ctdbctl ban "$VICTIM" 6 2>&1) || fail "ctdbctl ban $VICTIM 6: $out"
        wait_until "all nodes show node $VICTIM BANNED" 5 all_see "$F_BANNED" "$VICTIM" 0 1 2
        moved_away
        expect "node $VICTIM is still banned" has_flag "$VICTIM" "$VICTIM" "$F_BANNED"
        ban_over() { local n; for n in 0 1 2; do lacks_flag "$n" "$VICTIM" "$F_BANNED" || return 1; done; }
        wait_until "the ban of node $VICTIM ended by itself" 15 ban_over
        back_again
        ;;
move)
        start
        a=${PUBLIC_ADDRS[0]}
        from=${HOLDER[$a]}
        to=$(((from + 1) % 3))
        out=$(lc exec 2 -- ctdbctl move-ip "$a" "$to" 2>&1) || fail "ctdbctl move-ip $a $to as root: $out"
        log "ctdbctl move-ip $a $to (root, on node 2): ${out:-(no output)}"
        on_target() { hosted_once_by 0 1 2 && [[ ${HOLDER[$a]} == "$to" ]]; }
        # Move is answered once the target holds it: no waiting should be needed.
        expect "$a is on node $to (kernel and every node's Addresses)" on_target
        wait_until "a client reaches $a on node $to" 5 answered_by "$a" "$to"
        before=$(holders_str)

        # The private buses have no polkitd: an unprivileged caller is denied.
        chmod o+x "$CTDB_LOCAL_STATE"
        b=${PUBLIC_ADDRS[1]}
        bto=$(((${HOLDER[$b]} + 1) % 3))
        if out=$(lc exec 1 -- setpriv --reuid=65534 --regid=65534 --clear-groups \
                ctdbctl move-ip "$b" "$bto" 2>&1); then
                fail "ctdbctl move-ip $b $bto as uid 65534 succeeded: $out"
        fi
        log "ctdbctl move-ip $b $bto as uid 65534: $out"
        expect "it was refused for lack of authorization" grep -Eqi 'denied|not authori|permission' <<<"$out"
        expect "nothing moved ($(holders_str))" placement_same "$before"
        # Reading stays open to everyone.
        out=$(lc exec 1 -- setpriv --reuid=65534 --regid=65534 --clear-groups busctl --system \
                get-property org.ctdb.ipfailover1 /org/ctdb/ipfailover1 org.ctdb.ipfailover1.Manager \
                Addresses 2>&1) || fail "uid 65534 cannot read Addresses: $out"
        expect "uid 65534 reads Addresses, $a on node $to" grep -q "\"$a/24\" \"eth0\" $to" <<<"$out"
        ;;
reload)
        start 203.0.113.107
        keep=("${PUBLIC_ADDRS[@]:0:5}")
        drop=${PUBLIC_ADDRS[5]} add=203.0.113.107
        declare -A before=()
        for a in "${keep[@]}"; do before[$a]=${HOLDER[$a]}; done
        log "dropping $drop (on node ${HOLDER[$drop]}), adding $add"
        for n in 0 1 2; do
                f=$CTDB_LOCAL_STATE/node$n/etc/public_addresses
                sed -i "/^${drop//./\\.}\//d" "$f"
                echo "$add/24 eth0" >>"$f"
        done
        for n in 0 1 2; do
                out=$(lc exec "$n" -- ctdbctl reload-ips 2>&1) || fail "node $n: ctdbctl reload-ips: $out"
        done
        PUBLIC_ADDRS=("${keep[@]}" "$add")
        wait_until "$add is hosted and $drop gone from every node's Addresses" 15 hosted_once_by 0 1 2
        log "placement: $(holders_str)"
        kernel_scan "$drop"
        expect "$drop is on no interface (${KHOLD[$drop]:-none})" test -z "${KHOLD[$drop]}"
        for a in "${keep[@]}"; do
                expect "$a stayed on node ${before[$a]}" test "${HOLDER[$a]}" = "${before[$a]}"
        done
        wait_until "a client reaches $add on node ${HOLDER[$add]}" 5 answered_by "$add" "${HOLDER[$add]}"
        ;;
reset)
        start
        # hold_open ADDR: a quiet connection from the client to ADDR, given
        # ~0.5 s for its node to track it and tell the others (every 200 ms).
        hold_open() {
                HOLD_OUT=$(mktemp "$CTDB_LOCAL_STATE/hold.XXXXXX")
                # Not through the function client: $! must be the python process itself.
                "$LOCAL_CLUSTER" client python3 -c "$PY_CLIENT" "$PUBLIC_PORT" hold "$1" >"$HOLD_OUT" 2>&1 &
                HOLDS+=("$!")
                wait_until "the client is connected to $1 (node ${HOLDER[$1]})" 5 \
                        grep -qx "connected ${HOLDER[$1]}" "$HOLD_OUT"
                sleep 0.5
        }
        # reset_within MS FAULT_T: the held connection was reset within MS of FAULT_T.
        reset_within() {
                local out ms
                hold_ended() { grep -Eq '^(reset|eof|error|timeout) ' "$HOLD_OUT"; }
                wait_until "the held connection ends" $((($1 + 999) / 1000 + 1)) hold_ended
                out=$(tail -n 1 "$HOLD_OUT")
                ms=$(awk -v a="$2" -v b="${out##* }" 'BEGIN { printf "%d", (b - a) * 1000 }')
                expect "it ended with a reset ($out)" test "${out%% *}" = reset
                expect "the reset came ${ms} ms after the fault (at most $1)" test "$ms" -le "$1"
        }
        victim_with_addresses non-leader
        a=${VICTIM_ADDRS[0]}
        hold_open "$a"
        t=$EPOCHREALTIME
        kill_node "$VICTIM"
        reset_within 2000 "$t"
        wait_until "a new connection to $a is answered by another node" 5 hosted_once_by "${REST[@]}"
        wait_until "a client reaches $a on node ${HOLDER[$a]}" 5 answered_by "$a" "${HOLDER[$a]}"
        lc start "$VICTIM"
        wait_until "node $VICTIM has its share again" 30 balanced_on 0 1 2

        # The same for a move: the releasing node resets its connections.
        b=${PUBLIC_ADDRS[1]}
        from=${HOLDER[$b]}
        to=$(((from + 1) % 3))
        hold_open "$b"
        t=$EPOCHREALTIME
        out=$(lc exec 0 -- ctdbctl move-ip "$b" "$to" 2>&1) || fail "ctdbctl move-ip $b $to: $out"
        reset_within 2000 "$t"
        wait_until "a client reaches $b on node $to" 5 answered_by "$b" "$to"
        ;;
lb)
        etc_files lvs
        start
        for ((s = 0; s < SOURCES; s++)); do
                ip -n "$CTDB_LOCAL_PREFIX-client" addr add "198.51.100.$((10 + s))/32" dev eth0
        done
        for n in 0 1 2; do
                ip -n "$(node_ns "$n")" route add 198.51.100.0/24 via 192.0.2.2
        done
        mapfile -t srcs < <(for ((s = 0; s < SOURCES; s++)); do echo "198.51.100.$((10 + s))"; done)
        # lb_round NODES...: every source is answered by one of NODES, and the
        # listeners accepted each source's connection exactly once; SHARE[PNN] counts.
        lb_round() {
                local n src pnn
                declare -gA SHARE=()
                for n in 0 1 2; do : >"$CTDB_LOCAL_STATE/node$n/listener.log"; done
                LB_OUT=$(client ask "$LB_ADDR" 2 "${srcs[@]}") || return 1
                while read -r src pnn; do
                        [[ " $* " == *" $pnn "* ]] || return 1
                        SHARE[$pnn]=$((${SHARE[$pnn]:-0} + 1))
                done <<<"$LB_OUT"
                for src in "${srcs[@]}"; do
                        n=$(cat "$CTDB_LOCAL_STATE"/node{0,1,2}/listener.log | grep -c "^accept $src $LB_ADDR$")
                        ((n == 1)) || { log "source $src accepted $n times"; return 1; }
                done
        }
        wait_until "every one of $SOURCES sources is answered once, by one of nodes 0 1 2" 10 lb_round 0 1 2
        log "shares: node 0 ${SHARE[0]:-0}, node 1 ${SHARE[1]:-0}, node 2 ${SHARE[2]:-0}"
        for n in 0 1 2; do
                expect "node $n answered at least 1/6 of them (${SHARE[$n]:-0})" \
                        test "${SHARE[$n]:-0}" -ge $((SOURCES / 6))
        done
        pick_victim non-leader
        kill_node "$VICTIM"
        wait_until "every source is answered once, by nodes ${REST[*]}" 15 lb_round "${REST[@]}"
        log "shares: node ${REST[0]} ${SHARE[${REST[0]}]:-0}, node ${REST[1]} ${SHARE[${REST[1]}]:-0}"
        wait_until "node $VICTIM's addresses are on nodes ${REST[*]}" 15 none_on "$VICTIM" "${REST[@]}"
        ;;
natgw)
        etc_files natgw
        start "$NATGW_ADDR"
        # gateway_is PNN: of the live nodes only PNN carries the gateway
        # address, and every other one routes by default through PNN's private
        # address.
        gateway_is() {
                local g=$1 n
                for n in "${LIVE[@]}"; do
                        local has=0
                        [[ " ${KHOLD[$NATGW_ADDR]} " != *" $n "* ]] || has=1
                        (((n == g) == has)) || return 1
                done
                for n in "${LIVE[@]}"; do
                        ((n == g)) && continue
                        ip -n "$(node_ns "$n")" route show default | grep -q "via 192.0.2.$((11 + g)) " ||
                                return 1
                done
        }
        some_gateway() {
                local n
                kernel_scan "$NATGW_ADDR" || return 1
                for n in "${LIVE[@]}"; do
                        [[ " ${KHOLD[$NATGW_ADDR]} " != *" $n "* ]] || { GW=$n; gateway_is "$n"; return; }
                done
                return 1
        }
        LIVE=(0 1 2)
        wait_until "one node is the NAT gateway, the others route through it" 10 some_gateway
        log "node $GW is the NAT gateway"
        old=$GW
        mapfile -t LIVE < <(others "$old")
        kill_node "$old"
        new_gateway() { some_gateway && ((GW != old)); }
        wait_until "another node took the gateway address" 5 new_gateway
        log "node $GW is the NAT gateway now (after $WAITED_MS ms)"
        kernel_scan "$NATGW_ADDR"
        expect "the killed node $old no longer carries $NATGW_ADDR (on: ${KHOLD[$NATGW_ADDR]})" \
                test "${KHOLD[$NATGW_ADDR]}" = "$GW"
        wait_until "node $old's addresses are on nodes ${LIVE[*]}" 15 none_on "$old" "${LIVE[@]}"
        ;;
disabled)
        export CTDB_LOCAL_EXTRA_CONF=$'[failover]\ndisabled = true'
        cluster_start 3
        failover_traps
        for n in 0 1 2; do
                expect "node $n's ipd says Disabled" test "$(ipd_prop "$n" Disabled)" = true
        done
        # none_hosted: no public address on any interface, and no ipd names a holder.
        none_hosted() {
                local a n
                kernel_scan "${PUBLIC_ADDRS[@]}" || return 1
                for a in "${PUBLIC_ADDRS[@]}"; do [[ -z ${KHOLD[$a]} ]] || return 1; done
                for n in 0 1 2; do
                        ipd_view "$n" || return 1
                        for a in "${!IVIEW[@]}"; do [[ ${IVIEW[$a]} == "$NONE" ]] || return 1; done
                done
        }
        expect "no address is hosted anywhere" none_hosted
        # dbus-send names the error (busctl prints only its message).
        out=$(DBUS_SYSTEM_BUS_ADDRESS=$(bus_of 0) timeout 5 dbus-send --system --print-reply \
                --dest=org.ctdb.ipfailover1 /org/ctdb/ipfailover1 org.ctdb.ipfailover1.Manager.Move \
                string:"${PUBLIC_ADDRS[0]}" uint32:1 2>&1) && fail "Move succeeded with failover disabled: $out"
        log "Move: $out"
        expect "Move answers NotSupported" grep -q '^Error org.ctdb.Error.NotSupported:' <<<"$out"
        expect "still nothing hosted after the Move" none_hosted
        # An address the other HA manager put on node 1 stays when ipd goes
        # there (local-cluster kill runs release-all, as ExecStopPost= does).
        ip -n "$(node_ns 1)" addr add "${PUBLIC_ADDRS[0]}/24" dev eth0
        lc kill 1
        kernel_scan "${PUBLIC_ADDRS[0]}"
        expect "release-all leaves what another manager put on node 1" test "${KHOLD[${PUBLIC_ADDRS[0]}]}" = 1
        ;;
esac
never_two_stop
