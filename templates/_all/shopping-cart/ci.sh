#!/usr/bin/env bash
# {{project}} tested end to end with the statefun CLI alone, as a CI job runs
# it: start `statefun dev` (which installs and starts the functions as
# statefun.yaml says), stock the inventory, fill a cart and check out, check
# the state and the receipt, stop, and check that no function process is left;
# then run the scenarios in scenarios/ with `statefun test`.
#
#   ./ci.sh                                  # statefun from PATH
#   STATEFUN_BIN=/path/to/statefun ./ci.sh
#
# Needs the ports free: 8000 (the functions, statefun.yaml), 8090/8091 (the
# playground ingress/egress, module.yaml) and 8092 (the admin API); set
# STATEFUN_INGRESS_PORT, STATEFUN_EGRESS_PORT or STATEFUN_ADMIN_PORT to move
# the last three. CI_TIMEOUT (default 600s) bounds the wait for the messages
# to settle, which on a first run includes installing the dependencies.
set -euo pipefail
cd "$(dirname "$0")"

statefun=${STATEFUN_BIN:-statefun}
timeout=${CI_TIMEOUT:-600s}
functions_port=8000
command -v "$statefun" >/dev/null ||
  { echo "ci: FAILED: '$statefun' not found: put statefun on PATH or set STATEFUN_BIN" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/statefun-ci.XXXXXX")
dev_pid=
cleanup() {
  [[ -n $dev_pid ]] && kill -TERM "$dev_pid" 2>/dev/null && wait "$dev_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "ci: FAILED: $*" >&2
  echo "--- statefun dev output (last 60 lines) ---" >&2
  tail -n 60 "$work/dev.log" >&2 || true
  exit 1
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for port in "$functions_port" "${STATEFUN_INGRESS_PORT:-8090}" "${STATEFUN_EGRESS_PORT:-8091}" \
  "${STATEFUN_ADMIN_PORT:-8092}"; do
  listening "$port" && fail "port $port is already in use; stop what listens there"
done

# 1. Start the emulator and its function process, with a fresh state directory.
"$statefun" dev --data "$work/state" --no-watch --color never >"$work/dev.log" 2>&1 &
dev_pid=$!
for _ in $(seq 1 300); do
  "$statefun" status >/dev/null 2>&1 && break
  kill -0 "$dev_pid" 2>/dev/null || fail "statefun dev exited"
  sleep 0.1
done
"$statefun" status >/dev/null 2>&1 || fail "statefun dev did not answer within 30s"

# 2. Stock 5 pairs of socks, then alice adds 3 pairs of socks and a hat
#    (out of stock: the inventory refuses it). Messages queue until the
#    functions are ready, and `wait` returns once everything they caused has
#    been processed, replies from the inventory included.
"$statefun" send {{namespace}}/inventory/socks --type {{namespace}}/Restock --json '{"quantity":5}'
"$statefun" send {{namespace}}/cart/alice --type {{namespace}}/AddToCart --json '{"item":"socks","quantity":3}'
"$statefun" send {{namespace}}/cart/alice --type {{namespace}}/AddToCart --json '{"item":"hat","quantity":1}'
"$statefun" wait --timeout "$timeout" || fail "the messages did not settle within $timeout"

# 3. State: the cart holds the socks only, and the inventory has 2 pairs left.
items=$("$statefun" state get {{namespace}}/cart/alice items)
[[ $items == '{"socks":3}' ]] || fail "expected alice's cart to be {\"socks\":3}, got '$items'"
"$statefun" state get {{namespace}}/inventory/socks stock --json | grep -Eq '"value": *2([^0-9]|$)' ||
  fail "state get --json does not say 2 pairs of socks in stock"

# 4. Check out: a receipt on the egress topic (read without consuming it), and
#    an empty cart (`state get` exits 3: no such state).
"$statefun" send {{namespace}}/cart/alice --type {{namespace}}/Checkout --json '{}'
"$statefun" wait --timeout "$timeout" || fail "the checkout did not settle within $timeout"
receipts=$("$statefun" egress read receipts --raw)
expected='{"items":{"socks":3},"total":3,"user":"alice"}'
[[ $receipts == "$expected" ]] || fail "unexpected receipts: $receipts"
status=0
"$statefun" state get {{namespace}}/cart/alice items >/dev/null 2>&1 || status=$?
[[ $status == 3 ]] || fail "expected alice's cart to be empty after checkout (exit 3), got exit $status"

# 5. Stop: SIGTERM commits and exits 0, and takes the function process along.
kill -TERM "$dev_pid"
wait "$dev_pid" || { dev_pid=; fail "statefun dev did not exit cleanly"; }
dev_pid=
for _ in $(seq 1 50); do
  listening "$functions_port" || break
  sleep 0.1
done
listening "$functions_port" && fail "a process still listens on port $functions_port after statefun dev stopped"

# 6. The scenarios in scenarios/, each against a fresh statefun dev of its own
#    (free ports, a virtual clock), starting from this run's install records.
"$statefun" test --data "$work/state" --color never ||
  { echo "ci: FAILED: statefun test (above)" >&2; exit 1; }
echo "ci: all checks passed"
