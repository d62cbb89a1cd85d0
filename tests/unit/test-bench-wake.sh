#!/bin/bash
# ctdb-bench wake-ring really goes round: both messages pass every node, each
# node counts what it forwarded, and a placement this machine lacks is refused.
set -euo pipefail
bench=${CTDB_BUILD_DIR:?}/tools/ctdb-bench
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$bench" wake-ring --num-nodes 3 --timelimit 0.5 --cpus 0)
echo "$out"
[[ $(grep -c '^Ring\[[0-2]\]: [0-9.]* msgs/sec (+ve=[0-9]* -ve=[0-9]*)$' <<<"$out") == 3 ]] ||
        fail "want one Ring[N] line per node"
# Each message passes every node in turn, so no two nodes' counts differ by
# more than the one message in flight per direction.
read -r pmin pmax mmin mmax < <(sed -E 's/.*\+ve=([0-9]+) -ve=([0-9]+).*/\1 \2/' <<<"$out" |
        awk 'NR == 1 {a = b = $1; c = d = $2} {a = $1 < a ? $1 : a; b = $1 > b ? $1 : b;
             c = $2 < c ? $2 : c; d = $2 > d ? $2 : d} END {print a, b, c, d}')
((pmin > 100 && mmin > 100)) || fail "both directions must go round (+ve min $pmin, -ve min $mmin)"
((pmax - pmin <= 1 && mmax - mmin <= 1)) || fail "nodes disagree: +ve $pmin..$pmax, -ve $mmin..$mmax"

if "$bench" wake-ring --timelimit 0.1 --cpus 4096 2>/dev/null; then
        fail "--cpus 4096 was accepted"
fi
if "$bench" wake-ring --num-nodes 1 2>/dev/null; then
        fail "a ring of 1 node was accepted"
fi
echo "ok"
