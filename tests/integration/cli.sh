#!/usr/bin/env bash
# The sluice CLI against one real node: every command of the contract, its output shapes that
# scripts read, and its refusals (one stderr line, non-zero exit).
source "$(dirname "$0")/lib.sh"

start_node

step "help everywhere, exit 0"
for cmd in "" "topic" "topic create" "topic alter" "produce" "consume" "perf produce" "perf consume" \
  "inspect" "cluster status" "group" "txn" "txn list" "txn describe" "copy"; do
  # shellcheck disable=SC2086
  "$SLUICE" $cmd --help | grep -q "Usage" || fail "no help for '$cmd'"
done

step "topic create / alter / describe / list"
"$SLUICE" topic create cli --partitions 2 --config retention.ms=60000 | grep -q "created topic cli" ||
  fail "create did not say so"
"$SLUICE" topic alter cli --partitions 4 >/dev/null
desc=$("$SLUICE" topic describe cli)
[ "$(echo "$desc" | grep -c '^  partition ')" = 4 ] || fail "describe does not show 4 partitions: $desc"
echo "$desc" | grep -q "retention.ms=60000" || fail "describe does not show the override: $desc"
echo "$desc" | grep -q "leader 1 .*isr 1 .*log_start 0  log_end 0" || fail "partition line: $desc"
expect_fail "partition" "$SLUICE" topic alter cli --partitions 2
expect_fail "already exists" "$SLUICE" topic create cli
"$SLUICE" topic list | grep -qx cli || fail "list does not show cli"

step "produce with keys, consume with key and offset"
printf 'a:1\nb:2\na:3\n' | "$SLUICE" produce --topic cli --key-separator : --acks all
out=$("$SLUICE" consume --topic cli --from-beginning --max-messages 3 --timeout-ms 3000 --print-key --print-offset)
[ "$(echo "$out" | grep -c "	a	")" = 2 ] || fail "key a not twice: $out"
expect_fail "key separator" bash -c "echo nokey | '$SLUICE' produce --topic cli --key-separator :"
"$SLUICE" consume --topic cli --timeout-ms 300 >/dev/null || fail "idle consume did not exit 0"

step "cluster status and inspect"
"$SLUICE" cluster status | grep -q "nodes 1" || fail "cluster status"
"$SLUICE" inspect >/dev/null || fail "inspect"
"$SLUICE" inspect 1 >/dev/null || fail "inspect NODE"
expect_fail "unknown node" "$SLUICE" inspect 42

step "perf produce / consume end with the one result line"
RESULT='^records/s: [0-9]+  MB/s: [0-9.]+  p50_ms: [0-9.]+  p99_ms: [0-9.]+$'
"$SLUICE" topic create perf >/dev/null
"$SLUICE" perf produce --topic perf --records 20000 --record-size 100 --acks 1 | tail -1 |
  grep -Eq "$RESULT" || fail "perf produce line"
"$SLUICE" perf consume --topic perf --records 20000 | tail -1 |
  grep -Eq "$RESULT" || fail "perf consume line"
"$SLUICE" topic create e2e >/dev/null
"$SLUICE" perf e2e --topic e2e --rate 2000 --seconds 1 | tail -1 |
  grep -Eq "$RESULT" || fail "perf e2e line"

step "perf draws a progress bar on a terminal's stderr, and none on a file"
# script(1) runs the command on a pseudo-terminal; -e passes on its exit status.
"$SLUICE" topic create bar >/dev/null
script -qec "'$SLUICE' perf produce --topic bar --records 200000 --record-size 100 --acks 1" \
  /dev/null >"$WORK/tty.out" 2>&1 || fail "perf produce on a terminal: $(tail -c 300 "$WORK/tty.out")"
grep -aq 'produce \[.*records' "$WORK/tty.out" || fail "no progress bar on a terminal: $(head -c 300 "$WORK/tty.out" | cat -v)"
grep -aq 'records/s: [0-9]' "$WORK/tty.out" || fail "no result line on a terminal"
"$SLUICE" perf consume --topic bar --records 200000 >/dev/null 2>"$WORK/file.err"
[ ! -s "$WORK/file.err" ] || fail "perf consume wrote to a stderr that is a file: $(head -c 300 "$WORK/file.err" | cat -v)"

step "refusals"
"$SLUICE" perf consume --topic perf --records 20000 --group perf-g | tail -1 |
  grep -Eq "$RESULT" || fail "perf consume --group line"
"$SLUICE" group describe perf-g | grep -q "lag 0 " || fail "perf consume --group did not commit: $("$SLUICE" group describe perf-g)"
expect_fail "exactly one of" "$SLUICE" group reset-offsets g --topic cli
expect_fail "does not exist" "$SLUICE" group describe nosuch
expect_fail "group id" "$SLUICE" consume --topic cli --group "" --timeout-ms 100
expect_fail "group id" "$SLUICE" consume --topic cli --group "$(head -c 300 /dev/zero | tr '\0' g)" --timeout-ms 100
"$SLUICE" txn list >"$WORK/out" || fail "txn list: $(cat "$WORK/out")"
[ ! -s "$WORK/out" ] || fail "txn list without transactions printed: $(cat "$WORK/out")"
"$SLUICE" txn list --state ongoing --state PrepareCommit >/dev/null || fail "txn list --state"
expect_fail "no transaction state" "$SLUICE" txn list --state Running
expect_fail "does not exist" "$SLUICE" txn describe nosuch
expect_fail "ID is required" "$SLUICE" txn describe
step "transactions end to end on one node: perf produce --transactional, copy, read_committed"
"$SLUICE" topic create txn-in --partitions 2 >/dev/null
"$SLUICE" topic create txn-out --partitions 2 >/dev/null
"$SLUICE" perf produce --topic txn-in --records 20000 --record-size 10 --transactional \
  --transactional-id cli-perf >"$WORK/out" 2>&1 || fail "perf produce --transactional: $(cat "$WORK/out")"
"$SLUICE" txn describe cli-perf-0 | grep -q "state CompleteCommit" || fail "txn describe: $("$SLUICE" txn describe cli-perf-0)"
"$SLUICE" copy --from txn-in --to txn-out --group cli-copy --timeout-ms 1000 | grep -q "copied 20000 records" ||
  fail "copy did not copy the 20000 records"
"$SLUICE" copy --from txn-in --to txn-out --group cli-copy --timeout-ms 300 | grep -q "copied 0 records" ||
  fail "a second copy from the committed positions copied again"
[ "$("$SLUICE" consume --topic txn-out --from-beginning --isolation read_committed --timeout-ms 1000 | wc -l)" = 20000 ] ||
  fail "txn-out does not hold the 20000 records under read_committed"
printf 'region=eu;tags=red|first\nregion=us|second\n' | "$SLUICE" produce --topic txn-in --partition 0 --header-separator '|'
"$SLUICE" copy --from txn-in --to txn-out --group cli-copy --timeout-ms 300 | grep -q "copied 2 records" ||
  fail "copy did not copy the 2 records with headers"
[ "$("$SLUICE" consume --topic txn-out --from-beginning --isolation read_committed --filter "red AND region = 'eu'" \
  --timeout-ms 1000)" = first ] || fail "copy lost a record's headers"
expect_fail "unknown topic" "$SLUICE" copy --from nosuch --to txn-out --group g --timeout-ms 100
expect_fail "unknown topic" "$SLUICE" copy --from txn-in --to nosuch --group g --timeout-ms 100
expect_fail "to is required" "$SLUICE" copy --from txn-in --group g
expect_fail "internal" "$SLUICE" topic delete __transaction_state
"$SLUICE" topic list | grep -q __transaction_state && fail "topic list shows __transaction_state"
expect_fail "internal" "$SLUICE" topic delete __consumer_offsets
expect_fail "internal" "$SLUICE" topic alter __consumer_offsets --partitions 99
expect_fail "internal" "$SLUICE" topic create __consumer_offsets
echo x | "$SLUICE" produce --topic __consumer_offsets >"$WORK/out" 2>"$WORK/err" && fail "produce to __consumer_offsets succeeded"
grep -q "internal" "$WORK/err" || fail "produce to __consumer_offsets: $(cat "$WORK/err")"
expect_fail "unknown command" "$SLUICE" topc list
expect_fail "cannot reach node" "$SLUICE" --bootstrap 127.0.0.1:1 topic list
expect_fail "HOST:PORT" "$SLUICE" --bootstrap nowhere topic list
expect_fail "unknown topic" "$SLUICE" perf produce --topic nosuch --records 1 --record-size 1
expect_fail "unknown topic" "$SLUICE" topic describe nosuch

step "topic delete"
"$SLUICE" topic delete cli >/dev/null
expect_fail "unknown topic" "$SLUICE" topic delete cli

step "the documented config example starts a node; a trailing comment after a value is refused"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
"$SLUICED" --node-id 7 --data-dir "$WORK/example" --listen 127.0.0.1:0 \
  --config "$ROOT/deploy/sluiced.conf.example" >"$WORK/example.log" 2>&1 &
EXAMPLE=$!
for _ in $(seq 100); do grep -q "listening" "$WORK/example.log" && break; sleep 0.05; done
grep -q "listening" "$WORK/example.log" || { kill -9 $EXAMPLE; fail "deploy/sluiced.conf.example: $(tail -2 "$WORK/example.log")"; }
kill -TERM $EXAMPLE; wait $EXAMPLE || fail "the example node did not stop cleanly"
printf 'broker.session.timeout.ms=9000  # nine seconds\n' >"$WORK/trailing.conf"
expect_fail "must be an integer" "$SLUICED" --node-id 7 --data-dir "$WORK/example" \
  --listen 127.0.0.1:0 --config "$WORK/trailing.conf"
echo "1 passed, 0 failed"
