#!/usr/bin/env bash
# A single node end to end: topic admin, produce from stdin, consume in order,
# keys, offsets, clean SIGTERM shutdown and restart.
source "$(dirname "$0")/lib.sh"

start_node
step "topic create / list / describe"
"$SLUICE" topic create orders --partitions 3 --config retention.ms=3600000 >/dev/null
"$SLUICE" topic list | grep -qx "orders" || fail "topic list does not show orders"
"$SLUICE" topic describe orders | grep -q "retention.ms" || fail "describe shows no configs"

step "produce 3000 records to partition 1, consume them in order"
seq 1 3000 | "$SLUICE" produce --topic orders --partition 1 --acks 1
got=$("$SLUICE" consume --topic orders --partition 1 --offset 0 --max-messages 3000 --timeout-ms 5000)
[ "$got" = "$(seq 1 3000)" ] || fail "partition 1 did not return 1..3000 in order"

step "keys go where murmur2 puts them, and come back with --print-key"
printf 'k1:v1\nk2:v2\nk1:v3\n' | "$SLUICE" produce --topic orders --key-separator :
keyed=$("$SLUICE" consume --topic orders --from-beginning --max-messages 3003 --timeout-ms 3000 --print-key | grep -E '^k[12]')
[ "$(echo "$keyed" | grep -c '^k1')" = 2 ] || fail "key k1 records missing: $keyed"

step "--print-offset shows contiguous offsets"
offs=$("$SLUICE" consume --topic orders --partition 1 --offset 2990 --max-messages 10 --timeout-ms 3000 --print-offset)
echo "$offs" | head -1 | grep -q 2990 || fail "first offset is not 2990: $(echo "$offs" | head -1)"

step "SIGTERM shuts down cleanly and a restart keeps everything"
stop_node TERM
[ "$STOP_RC" = 0 ] || fail "sluiced exited $STOP_RC on SIGTERM"
start_node
got=$("$SLUICE" consume --topic orders --partition 1 --offset 0 --max-messages 3000 --timeout-ms 5000)
[ "$got" = "$(seq 1 3000)" ] || fail "records lost across a clean restart"
echo 4000 | "$SLUICE" produce --topic orders --partition 1
"$SLUICE" consume --topic orders --partition 1 --offset 3000 --max-messages 1 --timeout-ms 3000 --print-offset |
  grep -q 3000 || fail "offsets do not continue at 3000 after restart"

step "topic delete"
"$SLUICE" topic delete orders >/dev/null
"$SLUICE" topic list | grep -qx orders && fail "deleted topic still listed"

step "SIGINT shuts down cleanly too (even though a background start inherits it ignored)"
stop_node INT
[ "$STOP_RC" = 0 ] || fail "sluiced exited $STOP_RC on SIGINT"
echo "1 passed, 0 failed"
