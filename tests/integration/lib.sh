# Helpers for integration tests that run real sluiced processes on loopback.
# Sourced by tests/integration/*.sh; ctest passes SLUICED and SLUICE (binary paths).
# Every wait is bounded; every process a test starts is killed when it exits.
set -euo pipefail

: "${SLUICED:?set SLUICED to the sluiced binary}"
: "${SLUICE:?set SLUICE to the sluice binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-it-XXXXXX")
NODE_PID=""
NODE_PORT=""
NODE_DATA="$WORK/data"

cleanup() {
  local rc=$?
  [ -n "$NODE_PID" ] && kill -9 "$NODE_PID" 2>/dev/null || true
  if [ $rc -ne 0 ]; then
    echo "--- sluiced log (last 40 lines) ---" >&2
    tail -n 40 "$WORK"/node*.log >&2 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# base_port: a random port for a test's nodes (BASE + 1..9 included), below Linux's ephemeral
# range (32768-60999): a node restarted on its port after kill -9 must not find it taken as the
# source port of some client's connection, which ports in that range may be.
base_port() { echo $((20000 + RANDOM % 12000)); }

# start_node [extra sluiced args...]: starts node 1 on a free loopback port
# (retrying another port when the one picked is taken) and waits until it listens.
start_node() {
  local log tries
  for tries in $(seq 20); do
    NODE_PORT=${NODE_PORT:-$(base_port)}
    log="$WORK/node-$NODE_PORT-$tries.log"
    "$SLUICED" --node-id 1 --data-dir "$NODE_DATA" --listen "127.0.0.1:$NODE_PORT" "$@" >"$log" 2>&1 &
    NODE_PID=$!
    for _ in $(seq 200); do
      grep -q "listening on" "$log" 2>/dev/null && { export SLUICE_BOOTSTRAP=127.0.0.1:$NODE_PORT; return 0; }
      kill -0 "$NODE_PID" 2>/dev/null || break
      sleep 0.05
    done
    kill -9 "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=""
    grep -qi "in use" "$log" || fail "sluiced did not start: $(tail -n 3 "$log")"
    NODE_PORT=""
  done
  fail "no free port found for sluiced"
}

# stop_node SIGNAL: sends SIGNAL and waits (bounded) for exit; the exit code
# lands in STOP_RC (not echoed: `wait` only works in the shell that started it).
STOP_RC=""
stop_node() {
  local sig=$1 rc=0
  kill "-$sig" "$NODE_PID"
  for _ in $(seq 200); do
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$NODE_PID" 2>/dev/null && fail "sluiced did not exit within 10 s of SIG$sig"
  wait "$NODE_PID" || rc=$?
  NODE_PID=""
  STOP_RC=$rc
}

# expect_fail PATTERN CMD...: CMD must exit non-zero with one stderr line matching PATTERN.
expect_fail() {
  local pattern=$1 rc=0
  shift
  "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
  [ $rc -ne 0 ] || fail "expected failure from: $* (stdout: $(head -c 200 "$WORK/out"))"
  grep -qiE "$pattern" "$WORK/err" || fail "stderr of '$*' does not match /$pattern/: $(cat "$WORK/err")"
  [ "$(wc -l <"$WORK/err")" -le 2 ] || fail "stderr of '$*' is not a short error: $(head -5 "$WORK/err")"
}

# -- a test's own local cluster (deploy/cluster up N) in $WORK/cluster -------------------------
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# use_cluster [KEY=VALUE...]: the environment deploy/cluster needs (no build: ctest built the
# binaries) and $WORK/cluster.conf with failure detection fast enough for a test, then the
# given settings (a key given again overrides). Pass --config "$WORK/cluster.conf" to up.
# It also picks the test's BASE port (nodes listen on BASE + their id) and sets the EXIT trap:
# the test's own before_exit RC (when it defines one), kill -9 of every process named by
# kill_on_exit, the nodes' last log lines (CLUSTER_LOG_LINES) after a failure, kill -9 of every
# node.
CLUSTER_LOG_LINES=15
use_cluster() {
  export SLUICE_NO_BUILD=1 SLUICED SLUICE SLUICE_CLUSTER_DATA="$WORK/cluster"
  printf '%s\n' controller.election.timeout.ms=500 broker.heartbeat.interval.ms=300 \
    broker.session.timeout.ms=2000 "$@" >"$WORK/cluster.conf"
  BASE=$(base_port)
  trap 'cluster_trap; cleanup' EXIT
}
cluster() { "$ROOT/deploy/cluster" "$@"; }

# kill_on_exit VAR...: the EXIT trap kill -9s the PID each VAR holds then (none when empty).
KILL_ON_EXIT=()
kill_on_exit() { KILL_ON_EXIT+=("$@"); }

cluster_trap() {
  local rc=$? v
  set +e # exiting anyway: a failed kill must not skip the rest, nor cleanup
  declare -F before_exit >/dev/null && before_exit "$rc"
  for v in "${KILL_ON_EXIT[@]}"; do
    [ -n "${!v:-}" ] && kill -9 "${!v}" 2>/dev/null
  done
  cluster_exit "$rc" "$CLUSTER_LOG_LINES"
  return "$rc"
}

# port N: node N's port. on N CMD...: the CLI bootstrapped from node N.
port() { echo $((BASE + $1)); }
on() { local n=$1; shift; SLUICE_BOOTSTRAP=127.0.0.1:$(port "$n") "$SLUICE" "$@"; }

# leader_of TOPIC PARTITION [NODE]: the partition's leader as node NODE (1) sees it; -1 when it
# has none, empty when NODE does not answer.
leader_of() {
  on "${3:-1}" topic describe "$1" 2>/dev/null | awk -v p="$2" '$1 == "partition" && $2 == p {print $4}'
}

# cluster_exit RC [LINES]: for a test's EXIT trap: after a failure (RC != 0) the last LINES
# (15) lines of every node's log, then kill -9 every node. Never fails: the rest of the trap,
# cleanup included, must run. (use_cluster's trap calls it; tests of their own cluster may too.)
cluster_exit() {
  local rc=$1 lines=${2:-15} f
  if [ "$rc" -ne 0 ]; then
    for f in "$SLUICE_CLUSTER_DATA"/node-*/sluiced.log; do
      [ -f "$f" ] && { echo "--- $f (last $lines lines) ---" >&2; tail -n "$lines" "$f" >&2; }
    done
  fi
  for f in "$SLUICE_CLUSTER_DATA"/node-*/sluiced.pid; do
    [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
  done
  return 0
}

# consume_all TOPIC N: the N values of TOPIC from the beginning, one per line.
consume_all() {
  "$SLUICE" consume --topic "$1" --from-beginning --max-messages "$2" --timeout-ms 5000
}
