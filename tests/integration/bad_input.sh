#!/usr/bin/env bash
# Bad input gets a clear one-line error and the node keeps serving everybody
# else with nothing stored lost: unknown topic, invalid name, partition out of
# range, oversized record, offset out of range, bad flags, garbage and
# truncated frames on the node's port, a client vanishing mid-request.
source "$(dirname "$0")/lib.sh"

start_node
"$SLUICE" topic create good --partitions 2 --config max.message.bytes=2000 >/dev/null
seq 1 100 | "$SLUICE" produce --topic good --partition 0

still_serving() {
  echo "$1" | "$SLUICE" produce --topic good --partition 1 || fail "node stopped serving after: $1"
  kill -0 "$NODE_PID" 2>/dev/null || fail "sluiced died after: $1"
}

step "unknown topic"
expect_fail "unknown topic|does not exist" bash -c "echo x | '$SLUICE' produce --topic nosuch"
expect_fail "unknown topic|does not exist" "$SLUICE" consume --topic nosuch --max-messages 1 --timeout-ms 500
still_serving unknown-topic

step "invalid topic name"
expect_fail "invalid topic" "$SLUICE" topic create 'bad/name'
expect_fail "invalid topic" "$SLUICE" topic create "$(head -c 300 /dev/zero | tr '\0' a)"
still_serving invalid-name

step "partition out of range"
expect_fail "partition" bash -c "echo x | '$SLUICE' produce --topic good --partition 7"
expect_fail "partition" "$SLUICE" consume --topic good --partition 9 --offset 0 --max-messages 1 --timeout-ms 500
still_serving partition-range

step "record over max.message.bytes"
expect_fail "too large|max.message.bytes" bash -c "head -c 5000 /dev/zero | tr '\\0' z | '$SLUICE' produce --topic good --partition 0"
still_serving too-large

step "offset out of range"
expect_fail "out of range" "$SLUICE" consume --topic good --partition 0 --offset 999999 --max-messages 1 --timeout-ms 500
still_serving offset-range

step "bad flags and values"
expect_fail "unknown|not|invalid|requires|expected" "$SLUICE" produce --topic good --acks 7
expect_fail "unknown|not|invalid|extra|expected" "$SLUICE" consume --topic good --no-such-flag
expect_fail "unknown|invalid|not|expected|required" "$SLUICED" --node-id x --data-dir "$WORK/x" --listen 127.0.0.1:1

step "retries and dead-letter topics"
expect_fail "requires --group" "$SLUICE" consume --topic good --nack-matching x
expect_fail "not a regular expression" "$SLUICE" consume --topic good --group g --nack-matching '('
expect_fail "retry-backoff-ms" "$SLUICE" consume --topic good --group g --nack-matching x --retry-backoff-ms 1,,2
expect_fail "max-attempts" "$SLUICE" consume --topic good --group g --nack-matching x --max-attempts 0
expect_fail "requires --nack-matching" "$SLUICE" consume --topic good --group g --max-attempts 3
expect_fail "unknown topic" "$SLUICE" consume --topic nosuch --group g --nack-matching x --timeout-ms 500
expect_fail "unknown topic" "$SLUICE" dlq list --group g --topic nosuch
expect_fail "no dead-letter topic 'nobody.good.dlq'" "$SLUICE" dlq list --group nobody --topic good
expect_fail "no dead-letter topic" "$SLUICE" dlq redrive --group nobody --topic good
expect_fail "required" "$SLUICE" dlq list --topic good
expect_fail "outside \\[a-zA-Z0-9._-\\]" "$SLUICE" consume --topic good --group 'a b' --nack-matching x --timeout-ms 500
still_serving retry-flags

step "garbage, truncated frames and vanishing clients on the node's port"
for n in 1 7 64 4096 100000; do
  head -c "$n" /dev/urandom >"/dev/tcp/127.0.0.1/$NODE_PORT" 2>/dev/null || true
done
# A frame header that promises far more bytes than ever arrive.
printf '\x00\x00\x10\x00\xff\xff\xff\x7f' >"/dev/tcp/127.0.0.1/$NODE_PORT" 2>/dev/null || true
exec 3<>"/dev/tcp/127.0.0.1/$NODE_PORT" && head -c 3000 /dev/urandom >&3 && exec 3>&-
# A producer killed halfway through a large input.
(seq 1 2000000 | "$SLUICE" produce --topic good --partition 1 >/dev/null 2>&1) &
sleep 0.5
kill -9 $! 2>/dev/null || true
still_serving garbage

step "what was stored before is intact"
got=$("$SLUICE" consume --topic good --partition 0 --offset 0 --max-messages 100 --timeout-ms 5000)
[ "$got" = "$(seq 1 100)" ] || fail "partition 0 lost or changed records"
echo "1 passed, 0 failed"
