#!/usr/bin/env bash
# sluice inspect across a 3-node cluster (deploy/cluster up 3): every node answers with its
# actor tree, the roles of the replicas it hosts (matching `topic describe`), the ISR, each
# follower's lag on the leader, and the consumer group it coordinates; a node killed with
# kill -9 is one "unreachable" line while the others still print; --watch 1 --count 2 prints
# two snapshots; a bad flag, an unknown node id and a bad address are one line and exit non-zero.
source "$(dirname "$0")/lib.sh"

use_cluster replica.lag.time.max.ms=2000

CONSUMER=""
kill_on_exit CONSUMER
before_exit() { [ "$1" -ne 0 ] && [ -f "$WORK/inspect.out" ] && { echo "--- last inspect ---" >&2; cat "$WORK/inspect.out" >&2; }; }
# The lines of node $1's block in $WORK/inspect.out (a file: `grep -q` on a pipe would end
# the writer early, which pipefail counts as a failure).
block() { awk -v n="$1" '/^node [0-9?]+  /{cur=$2} cur==n' "$WORK/inspect.out" >"$WORK/block-$1"; echo "$WORK/block-$1"; }
inspect_all() { on 1 inspect >"$WORK/inspect.out" 2>"$WORK/inspect.err"; }
# Retries `inspect_all` and CHECK (a command over $WORK/inspect.out) for up to 15 s.
until_inspect() {
  for _ in $(seq 75); do
    inspect_all && eval "$1" && return 0
    sleep 0.2
  done
  fail "$2"
}

step "deploy/cluster up 3, topic t (3 partitions, RF 3), 30 keyed records over its partitions"
cluster up 3 --base-port "$BASE" --config "$WORK/cluster.conf" >"$WORK/up.out" \
  || fail "cluster up: $(cat "$WORK/up.out")"
for _ in $(seq 100); do
  [ "$(on 1 cluster status 2>/dev/null | grep -c ' alive ')" = 3 ] && break
  sleep 0.1
done
on 1 topic create t --partitions 3 --replication-factor 3 >/dev/null
seq 1 30 | sed 's/.*/k&:&/' | on 1 produce --topic t --key-separator : --acks all

step "a consumer group g stays a member while we look"
# Started directly, not through `on` (a function): $! must be the consumer's own pid.
SLUICE_BOOTSTRAP=127.0.0.1:$(port 2) "$SLUICE" consume --topic t --group g --from-beginning \
  --timeout-ms 60000 >"$WORK/consumed" 2>&1 &
CONSUMER=$!
# Seen through inspect, which asks every node: exactly one of them coordinates g.
group_stable() {
  [ "$(grep -cE '^    g  stable  generation [0-9]+  protocol [a-z-]+  members 1  \(__consumer_offsets-[0-9]+\)$' "$WORK/inspect.out")" = 1 ]
}
until_inspect group_stable "group g is not shown once as stable with one member"

step "every node answers: roles as topic describe says, full ISR, followers at lag 0, group g"
all_caught_up() {
  [ "$(grep -c '^  actors ' "$WORK/inspect.out")" = 3 ] || return 1
  # on each leader of t: two followers, both at lag 0 and in the ISR
  [ "$(grep -A2 -E '^    t-[0-9]  leader ' "$WORK/inspect.out" | grep -cE '^      follower [1-3]  offset [0-9]+  lag 0  caught_up [0-9]+ms ago$')" = 6 ] || return 1
}
until_inspect all_caught_up "followers of t not caught up"
[ "$(head -1 "$WORK/inspect.out")" = "3 nodes  3 answered  0 unreachable" ] || fail "tally line"
for n in 1 2 3; do
  b=$(block "$n")
  [ "$(head -1 "$b")" = "node $n  127.0.0.1:$(port "$n")" ] || fail "no header for node $n"
  grep -qE "^    node $n \(mailbox [0-9]+\): " "$b" || fail "no actor tree for node $n"
  grep -qE "^        partition t-0 \(mailbox [0-9]+\): " "$b" || fail "node $n's tree has no t-0"
done
for p in 0 1 2; do
  L=$(leader_of t "$p")
  [[ "$L" =~ ^[1-3]$ ]] || fail "no leader of t-$p in topic describe"
  for n in 1 2 3; do
    role=follower; [ "$n" = "$L" ] && role=leader
    grep -qE "^    t-$p  $role +leader $L  epoch [0-9]+  replicas [1-3],[1-3],[1-3]  isr [1-3],[1-3],[1-3]  log 0\.\.[0-9]+  hw [0-9]+$" "$(block "$n")" \
      || fail "node $n does not show t-$p as $role of $L with a full ISR"
  done
done
group_stable || fail "group g is not shown once as stable with one member"
grep -qE '^      member g-[^ ]+  leader  partitions 3$' "$WORK/inspect.out" || fail "g's member line"

step "an actor filter shows the matching tree lines of every node, no summaries"
on 1 inspect t-1 >"$WORK/filtered" || fail "inspect ACTOR"
[ "$(grep -cE '^    partition t-1 \(mailbox ' "$WORK/filtered")" = 3 ] || fail "t-1 not once per node: $(cat "$WORK/filtered")"
grep -q '^  replicas' "$WORK/filtered" && fail "a filtered inspect shows replicas"
on 1 inspect 2 >"$WORK/one" || fail "inspect NODE"
[ "$(grep -c '^node ' "$WORK/one")" = 1 ] && grep -q "^node 2  127.0.0.1:$(port 2)$" "$WORK/one" || fail "inspect 2: $(head -3 "$WORK/one")"

step "kill -9 a follower of t-0: it is unreachable, the others print, the leader shows its lag"
L0=$(leader_of t 0)
VICTIM=3; [ "$L0" = 3 ] && VICTIM=2
END0=$(sed -nE 's/^    t-0  leader .*  log 0\.\.([0-9]+)  hw .*/\1/p' "$(block "$L0")")
[ -n "$END0" ] || fail "no log end of t-0 on its leader $L0"
cluster kill "$VICTIM" >/dev/null
seq 1 50 | on 1 produce --topic t --partition 0 --acks 1
victim_lags() {
  grep -qx "3 nodes  2 answered  1 unreachable" "$WORK/inspect.out" || return 1
  grep -qE "^node $VICTIM  127\.0\.0\.1:$(port "$VICTIM")( .*)?  unreachable: .+" "$WORK/inspect.out" || return 1
  [ "$(grep -A2 -E '^    t-0  leader ' "$(block "$L0")" |
    grep -cE "^      follower $VICTIM  offset $END0  lag 50  caught_up [0-9]+ms ago  \(not in isr\)$")" = 1 ]
}
until_inspect victim_lags "node $VICTIM not shown unreachable with lag 50 out of the ISR on leader $L0"
[ "$(grep -c '^  actors ' "$WORK/inspect.out")" = 2 ] || fail "the two live nodes do not both print"
[ "$(wc -l <"$(block "$VICTIM")")" = 1 ] || fail "the dead node is more than one line"
expect_fail "node $VICTIM|127\.0\.0\.1:$(port "$VICTIM")" on 1 inspect "$VICTIM"

step "--watch 1 --count 2 prints two snapshots and stops"
start=$(date +%s)
on 1 inspect --watch 1 --count 2 >"$WORK/watch" || fail "inspect --watch exited non-zero"
[ "$(grep -cE '^--- snapshot [12]  [0-9:]+  every 1s ---$' "$WORK/watch")" = 2 ] || fail "not two snapshots: $(grep -- '^---' "$WORK/watch")"
[ "$(grep -c '^3 nodes  2 answered  1 unreachable$' "$WORK/watch")" = 2 ] || fail "a snapshot lacks its tally"
[ $(($(date +%s) - start)) -lt 15 ] || fail "two snapshots took $(($(date +%s) - start)) s"
grep -q $'\033' "$WORK/watch" && fail "escape codes written to a file"

step "refusals: one line, non-zero"
expect_fail "unknown node 42" on 1 inspect 42
expect_fail "not expected: --bogus" on 1 inspect --bogus
expect_fail "count requires --watch" on 1 inspect --count 2
expect_fail "cannot reach node at 127.0.0.1:1" on 1 inspect 127.0.0.1:1
expect_fail "invalid address .nohost:notaport." on 1 inspect nohost:notaport

echo "1 passed, 0 failed"
