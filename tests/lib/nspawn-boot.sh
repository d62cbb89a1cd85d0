#!/bin/bash
# nspawn-boot.sh NAME NETNS DIR [PREPARE-COMMAND...]
#
# Boots a real systemd as node NAME (used by nspawn.sh, see ../../shared/TESTBED.md).
# Run it as `unshare --mount --propagation private nspawn-boot.sh ...`: the tmpfs
# and the overlay below exist only in that private mount namespace and vanish
# with it, and systemd never runs on the host's root (its tmpfiles would clean
# the host's /tmp). PREPARE-COMMAND runs before the boot with BED_ROOT set to
# the node's root (to install the build into it); it must not fail.
# BED_NSPAWN_ARGS: more systemd-nspawn options, split on spaces (e.g. --bind=).
set -euo pipefail

name=$1 netns=$2 dir=$3
shift 3

mkdir -p "$dir/t" "$dir/merged"
mount -t tmpfs -o mode=0755 tmpfs "$dir/t"
mkdir "$dir/t/upper" "$dir/t/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/t/upper,workdir=$dir/t/work" "$dir/merged"

# Only what a node needs: journald, the system bus (dbus-broker), and whatever
# the test starts. The host's enabled services (multi-user.target) stay off.
cat >"$dir/merged/etc/systemd/system/node.target" <<'EOF'
[Unit]
Description=ctdb test node
Requires=basic.target dbus.socket
After=basic.target dbus.socket
AllowIsolate=yes
EOF
# Each node its own machine id (the overlay would give all of them the host's).
systemd-id128 new >"$dir/merged/etc/machine-id"
echo "$name" >"$dir/merged/etc/hostname"

if [ $# -gt 0 ]; then
        BED_ROOT=$dir/merged "$@"
fi

# shellcheck disable=SC2086 # options, split on purpose
# CAP_NET_ADMIN: nspawn keeps it only with networking it sets up itself, and
# ctdb-ipd needs it for the node's public addresses and nftables table; the
# network namespace is the node's own, made by the test.
exec systemd-nspawn -q -D "$dir/merged" -M "$name" --boot --register=no \
        --network-namespace-path="/run/netns/$netns" --capability=CAP_NET_ADMIN --keep-unit ${BED_NSPAWN_ARGS:-} \
        -- systemd.unit=node.target
