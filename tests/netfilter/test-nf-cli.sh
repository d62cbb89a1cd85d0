#!/bin/bash
# The ctdb-netfilter command line itself (root): its main subcommands run in a
# network namespace of this test, checked for their exit codes and for their
# effects as ip(8) and nft(8) see them. Documentation addresses only.
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
        echo "SKIP: test-nf-cli needs root (network namespaces)"
        exit 77
fi
for tool in ip nft; do
        command -v "$tool" >/dev/null || { echo "SKIP: test-nf-cli needs $tool"; exit 77; }
done
BIN=${CTDB_BUILD_DIR:?run it with meson test, or set CTDB_BUILD_DIR}/tools/ctdb-netfilter
[[ -x $BIN ]] || { echo "FAIL: $BIN is not built"; exit 1; }

NS=nfcli$$
cleanup() {
        local rc=$?
        ip netns del "$NS" 2>/dev/null || true
        echo "test-nf-cli: $([[ $rc -eq 0 ]] && echo PASS || echo "FAIL (exit $rc)")"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# nf ARGS...: runs the CLI in the namespace; OUT is stdout+stderr, RC the status.
nf() {
        RC=0
        OUT=$(ip netns exec "$NS" "$BIN" "$@" 2>&1) || RC=$?
}
# must RC ARGS...: the CLI exits with RC.
must() {
        local want=$1
        shift
        nf "$@"
        [[ $RC == "$want" ]] || fail "ctdb-netfilter $* exited $RC, not $want: $OUT"
        ok "ctdb-netfilter $* exits $RC${OUT:+: ${OUT%%$'\n'*}}"
}
in_ns() { ip netns exec "$NS" "$@"; }
# addrs_of FAMILY: the addresses on d0 (captured first: no pipe into grep -q,
# whose early exit would fail the pipeline under pipefail).
addrs_of() { ip -n "$NS" "-$1" -o addr show dev d0; }

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add d0 type veth peer name d1
ip -n "$NS" link set d0 up
ip -n "$NS" link set d1 up

# --- addresses ------------------------------------------------------------------
must 0 addr add d0 203.0.113.10/24
grep -q ' 203.0.113.10/24 ' <<<"$(addrs_of 4)" || fail "ip does not show 203.0.113.10/24 on d0"
must 0 addr list
grep -Eq '^d0 +203\.0\.113\.10/24' <<<"$OUT" || fail "addr list does not show it: $OUT"
must 0 addr list d0
grep -Eq '^d0 +203\.0\.113\.10/24' <<<"$OUT" || fail "addr list d0 does not show it: $OUT"
must 1 addr add d0 203.0.113.10/24
grep -q 'already there' <<<"$OUT" || fail "a second add does not say why: $OUT"
must 0 addr add d0 2001:db8::10/64 --nodad
grep -q ' 2001:db8::10/64 ' <<<"$(addrs_of 6)" || fail "ip does not show 2001:db8::10/64 on d0"
must 0 addr del d0 203.0.113.10
grep -q ' 203.0.113.10/' <<<"$(addrs_of 4)" && fail "203.0.113.10 is still on d0"
must 0 addr del d0 2001:db8::10/64
grep -q ' 2001:db8::10/' <<<"$(addrs_of 6)" && fail "2001:db8::10 is still on d0"
must 1 addr del d0 203.0.113.10
grep -q 'not there' <<<"$OUT" || fail "removing a missing address does not say why: $OUT"

# errors: a missing interface, a bad address, an unknown command
must 1 addr add nosuch0 203.0.113.11/24
grep -q 'nosuch0' <<<"$OUT" || fail "the message does not name the interface: $OUT"
must 1 addr list nosuch0
grep -q 'nosuch0' <<<"$OUT" || fail "the message does not name the interface: $OUT"
must 1 link nosuch0
grep -q 'nosuch0' <<<"$OUT" || fail "the message does not name the interface: $OUT"
must 2 addr add d0 203.0.113.300/24
grep -q '203.0.113.300' <<<"$OUT" || fail "the message does not name the bad address: $OUT"
must 2 no-such-command
must 0 link d0
grep -q '^d0 up' <<<"$OUT" || fail "link d0 does not say up: $OUT"

# --- the inet ctdb table ----------------------------------------------------------
must 0 table create
must 0 table create
in_ns nft list table inet ctdb >/dev/null || fail "no table inet ctdb after table create"
must 0 release-reset add 203.0.113.10 2001:db8::10
table=$(in_ns nft list table inet ctdb)
[[ $(grep -A3 'set release4' <<<"$table") == *203.0.113.10* ]] || fail "release4 lacks 203.0.113.10: $table"
[[ $(grep -A3 'set release6' <<<"$table") == *2001:db8::10* ]] || fail "release6 lacks 2001:db8::10: $table"
grep -q 'ip daddr @release4 meta l4proto tcp reject with tcp reset' <<<"$table" ||
        fail "no reset rule for @release4: $table"
ok "nft list table inet ctdb shows both addresses in the release sets"
must 0 release-reset add 203.0.113.10
must 0 release-reset del 203.0.113.10 2001:db8::10
table=$(in_ns nft list table inet ctdb)
grep -q '203.0.113.10\|2001:db8::10' <<<"$table" && fail "release-reset del left an address: $table"
ok "release-reset del emptied the sets"
must 0 table delete
grep -q 'inet ctdb' <<<"$(in_ns nft list tables)" && fail "table inet ctdb still there after table delete"
must 0 table delete
must 0 table create
in_ns nft list table inet ctdb >/dev/null || fail "no table inet ctdb after create, delete, create"
