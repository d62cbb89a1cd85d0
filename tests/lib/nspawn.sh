# shellcheck shell=bash
# A test bed of N nodes, each a real systemd booted with systemd-nspawn on an
# overlay of the host's root (tmpfs upper), each in its own network namespace,
# all joined by a bridge in a namespace of its own (../../shared/TESTBED.md).
#
# Source this file, then:
#   bed_require                  exit 77 with a reason unless root and nspawn exist
#   bed_init                     state dir, names, a trap that tears it all down
#   bed_net_setup N              namespaces, bridge, node PNN at 192.0.2.(PNN+1)/24
#   bed_boot_node PNN [CMD...]   boot node PNN; CMD runs first with BED_ROOT=its root
#                                (BED_NSPAWN_ARGS: more systemd-nspawn options)
#   bed_wait_booted PNN [SECS]   wait until node.target is active in node PNN
#   bed_exec PNN CMD...          run CMD inside node PNN (all its namespaces)
#   bed_stop_node PNN            power node PNN off (SIGTERM to its nspawn)
#   bed_teardown                 stop every node, delete the namespaces (the trap does it)
#
# Names carry the test's pid (BED_NAME), addresses come from 192.0.2.0/24 only,
# and only processes this file started are ever signalled.

BED_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BED_NAME=${BED_NAME:-ctdbt$$}
BED_DIR=${BED_DIR:-/var/tmp/beds/$BED_NAME}
BED_SUBNET=192.0.2
# A node that outlives this is stopped by timeout(1) even if every trap failed.
BED_MAX_LIFETIME=${BED_MAX_LIFETIME:-900}

declare -a BED_PIDS=()          # per PNN: the pid of timeout(1), the parent of systemd-nspawn
declare -a BED_NETNS=()         # per PNN: its network namespace
# shellcheck disable=SC2034 # read by the test scripts
BED_NODES=0                     # set by bed_net_setup

bed_log() {
        printf '# %s %s\n' "$(date +%T.%N | cut -c1-12)" "$*" >&2
}

bed_require() {
        if [ "$(id -u)" -ne 0 ]; then
                echo "SKIP: needs root (network namespaces, mounts, systemd-nspawn)" >&2
                exit 77
        fi
        local tool
        for tool in systemd-nspawn unshare nsenter ip setsid timeout mount systemd-id128; do
                if ! command -v "$tool" >/dev/null; then
                        echo "SKIP: $tool is missing (apt-get install systemd-container iproute2)" >&2
                        exit 77
                fi
        done
        if ! grep -qw overlay /proc/filesystems && ! modprobe overlay 2>/dev/null; then
                echo "SKIP: the kernel has no overlay file system" >&2
                exit 77
        fi
}

bed_init() {
        mkdir -p "$BED_DIR"
        trap bed_teardown EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM HUP
        bed_log "bed $BED_NAME in $BED_DIR"
}

bed_net_setup() {
        local n=$1 pnn br=$BED_NAME-br ns
        ip netns add "$br"
        ip -n "$br" link set lo up
        ip -n "$br" link add br0 type bridge
        ip -n "$br" link set br0 up
        for ((pnn = 0; pnn < n; pnn++)); do
                ns=$BED_NAME-n$pnn
                ip netns add "$ns"
                BED_NETNS[pnn]=$ns
                ip -n "$br" link add "v$pnn" type veth peer name eth0 netns "$ns"
                ip -n "$br" link set "v$pnn" master br0 up
                ip -n "$ns" link set lo up
                ip -n "$ns" addr add "$(bed_address "$pnn")/24" dev eth0
                ip -n "$ns" link set eth0 up
        done
        # shellcheck disable=SC2034 # read by the test scripts
        BED_NODES=$n
}

# kill -0 is true for a zombie too; a stopped node may wait unreaped in a subshell.
bed_alive() {
        local state
        state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
        [ -n "$state" ] && [ "$state" != Z ]
}

bed_address() {
        echo "$BED_SUBNET.$(($1 + 1))"
}

bed_boot_node() {
        local pnn=$1 name=$BED_NAME-n$1
        shift
        # setsid: off the test's process group and terminal; timeout: a last resort.
        setsid timeout -k 10 "$BED_MAX_LIFETIME" \
                unshare --mount --propagation private \
                "$BED_LIB_DIR/nspawn-boot.sh" "$name" "${BED_NETNS[pnn]}" "$BED_DIR/$name" "$@" \
                </dev/null >"$BED_DIR/$name.console" 2>&1 &
        BED_PIDS[pnn]=$!
        bed_log "node $pnn: booting as $name (timeout pid ${BED_PIDS[pnn]})"
}

# The node's systemd: the child of systemd-nspawn, which is the child of timeout(1).
bed_init_pid() {
        local pnn=$1 nspawn init
        nspawn=$(ps -o pid= --ppid "${BED_PIDS[pnn]}" 2>/dev/null | head -n1 | tr -d ' ')
        [ -n "$nspawn" ] || return 1
        [ "$(cat "/proc/$nspawn/comm" 2>/dev/null)" = systemd-nspawn ] || return 1
        for init in $(ps -o pid= --ppid "$nspawn" 2>/dev/null); do
                if [ "$(cat "/proc/$init/comm" 2>/dev/null)" = systemd ]; then
                        echo "$init"
                        return 0
                fi
        done
        return 1
}

bed_exec() {
        local pnn=$1 init
        shift
        init=$(bed_init_pid "$pnn") || {
                echo "node $pnn is not running" >&2
                return 125
        }
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb LANG=C.UTF-8 \
                SYSTEMD_PAGER= SYSTEMD_COLORS=0 \
                nsenter -t "$init" -a -- "$@"
}

# Waits (polling, deadline) until node.target is active; prints the boot time.
bed_wait_booted() {
        local pnn=$1 secs=${2:-60} start=$SECONDS state
        while ((SECONDS - start < secs)); do
                if ! bed_alive "${BED_PIDS[pnn]}"; then
                        bed_log "node $pnn: nspawn ended during boot; console:"
                        tail -n 30 "$BED_DIR/$BED_NAME-n$pnn.console" >&2
                        return 1
                fi
                state=$(bed_exec "$pnn" systemctl is-active node.target 2>/dev/null) || true
                if [ "$state" = active ]; then
                        bed_log "node $pnn: node.target active after $((SECONDS - start)) s"
                        return 0
                fi
                sleep 0.2
        done
        bed_log "node $pnn: node.target not active after $secs s (state: ${state:-unknown}); console:"
        tail -n 30 "$BED_DIR/$BED_NAME-n$pnn.console" >&2
        return 1
}

bed_stop_node() {
        local pnn=$1 init i
        local pid=${BED_PIDS[pnn]:-}
        [ -n "$pid" ] || return 0
        init=$(bed_init_pid "$pnn") || init=
        # timeout(1) passes SIGTERM on to systemd-nspawn, which powers the node off.
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 300; i++)); do
                bed_alive "$pid" || break
                sleep 0.1
        done
        if bed_alive "$pid"; then
                bed_log "node $pnn: no clean power-off in 30 s, killing it"
                # Killing the node's init ends its whole pid namespace.
                [ -n "$init" ] && kill -KILL "$init" 2>/dev/null
                kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
        BED_PIDS[pnn]=
}

bed_teardown() {
        local rc=$? pnn ns
        trap - EXIT INT TERM HUP
        for pnn in "${!BED_PIDS[@]}"; do
                [ -n "${BED_PIDS[pnn]}" ] && bed_stop_node "$pnn" &
        done
        wait
        for pnn in "${!BED_NETNS[@]}"; do
                ip netns delete "${BED_NETNS[pnn]}" 2>/dev/null || true
        done
        BED_NETNS=()
        if ip netns list | grep -qw "$BED_NAME-br"; then
                ip netns delete "$BED_NAME-br" || true
        fi
        # The mounts lived in the nodes' private mount namespaces; only empty
        # mount points and console logs remain. Keep the logs of a failed run.
        if [ -d "$BED_DIR" ]; then
                if findmnt -rn -o TARGET | grep -q "^$BED_DIR"; then
                        bed_log "mounts left under $BED_DIR (not removing it):"
                        findmnt -rn -o TARGET | grep "^$BED_DIR" >&2
                elif [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; then
                        rm -rf --one-file-system "$BED_DIR"
                        rmdir "$(dirname "$BED_DIR")" 2>/dev/null || true   # when no other bed uses it
                else
                        bed_log "consoles kept in $BED_DIR"
                        find "$BED_DIR" -mindepth 1 -maxdepth 1 -type d -exec rm -rf --one-file-system {} +
                fi
        fi
        exit "$rc"
}
