#!/usr/bin/env bash
# Log compaction with a real sluiced: a compacted topic with small segments takes many updates
# of a few hundred keys (and tombstones for some) while a consumer reads; the node's cleaner
# shrinks the log in the background; a from-beginning read then gives the latest value of
# every live key and nothing of the deleted ones (once delete.retention.ms passed), also
# after kill -9 and a restart. Keyless records are refused.
source "$(dirname "$0")/lib.sh"

KEYS=300
DELETED=50   # key0..key49 get a tombstone
ROUNDS=20
printf '%s\n' log.cleaner.backoff.ms=200 tick.ms=100 >"$WORK/node.conf"
start_node --config "$WORK/node.conf"
"$SLUICE" topic create cmp --partitions 1 --config cleanup.policy=compact \
  --config segment.bytes=4096 --config delete.retention.ms=3000 \
  --config min.cleanable.dirty.ratio=0.2 >/dev/null

step "topic describe shows the compaction configs"
"$SLUICE" topic describe cmp >"$WORK/describe"
grep -Eq 'cleanup.policy[^a-z]+compact' "$WORK/describe" || fail "no cleanup.policy=compact in: $(cat "$WORK/describe")"
for k in delete.retention.ms min.cleanable.dirty.ratio min.compaction.lag.ms; do
  grep -q "$k" "$WORK/describe" || fail "describe does not show $k"
done
expect_fail "cleanup.policy must be" "$SLUICE" topic create bad --config cleanup.policy=shred

step "a record without a key is refused"
expect_fail "invalid_record|no key" bash -c "echo keyless | '$SLUICE' produce --topic cmp"

# cleanings N: the partition's cleaning count as `sluice inspect` shows it.
cleanings() { "$SLUICE" inspect cmp-0 2>/dev/null | grep -o 'cleanings([0-9]*)' | head -1 | tr -dc 0-9; }
inspect_field() { "$SLUICE" inspect cmp-0 2>/dev/null | grep -o "$1([^)]*)" | head -1 | sed 's/.*(\(.*\))/\1/'; }
log_bytes() { cat "$NODE_DATA"/topics/cmp-0/*.log | wc -c; }
# wait_cleanings N: until the partition cleaned at least N times (bounded: 60 s).
wait_cleanings() {
  for _ in $(seq 600); do
    [ "$(cleanings)" -ge "$1" ] 2>/dev/null && return 0
    sleep 0.1
  done
  fail "fewer than $1 cleanings after 60 s: $("$SLUICE" inspect cmp-0 2>&1 | tail -3)"
}

step "$ROUNDS rounds of $KEYS keys while a consumer reads from the beginning"
"$SLUICE" consume --topic cmp --partition 0 --offset earliest --print-key --timeout-ms 4000 \
  >"$WORK/during" 2>"$WORK/during.err" &
reader=$!
produced_bytes=0
for r in $(seq 1 "$ROUNDS"); do
  seq 0 $((KEYS - 1)) | awk -v r="$r" '{ printf "key%d\tr%d\n", $1, r }' >"$WORK/round"
  produced_bytes=$((produced_bytes + $(wc -c <"$WORK/round")))
  "$SLUICE" produce --topic cmp --key-separator "$(printf '\t')" <"$WORK/round" || fail "produce round $r"
done
seq 0 $((DELETED - 1)) | awk '{ printf "key%d\tNULL\n", $1 }' |
  "$SLUICE" produce --topic cmp --key-separator "$(printf '\t')" --null-marker NULL || fail "tombstones"
wait_cleanings 1
wait "$reader" || fail "the consumer reading during cleaning failed: $(cat "$WORK/during.err")"
# What it read, key by key, never goes back to an older round (no torn or stale reads).
awk -F'\t' '$2 != "null" { r = substr($2, 2) + 0; if (r < last[$1]) { print "key " $1 ": r" r " after r" last[$1]; bad = 1 } last[$1] = r }
            END { exit bad }' "$WORK/during" || fail "a key went back to an older value while cleaning ran"
[ "$(wc -l <"$WORK/during")" -gt 0 ] || fail "the consumer read nothing"
echo "consumer during cleaning read $(wc -l <"$WORK/during") records"

# expect_latest FILE: per key, the last value read is r$ROUNDS for live keys; deleted keys are
# absent altogether (their tombstones and every older value gone).
expect_latest() {
  awk -F'\t' -v keys="$KEYS" -v deleted="$DELETED" -v rounds="$ROUNDS" '
    { last[$1] = $2; n++ }
    END {
      for (i = 0; i < keys; i++) {
        k = "key" i
        if (i < deleted) { if (k in last) { print k " still there: " last[k]; bad = 1 } }
        else if (last[k] != "r" rounds) { print k " ends at " last[k] " not r" rounds; bad = 1 }
      }
      print "records read: " n
      exit bad
    }' "$1"
}

step "after delete.retention.ms, more updates: the next cleaning drops the tombstones"
sleep 3.2
before=$(cleanings)
# Live keys again (same value), enough to roll the tombstones' segment and make it dirty.
for _ in 1 2; do
  seq "$DELETED" $((KEYS - 1)) | awk -v r="$ROUNDS" '{ printf "key%d\tr%d\n", $1, r }' |
    "$SLUICE" produce --topic cmp --key-separator "$(printf '\t')" || fail "produce"
done
for _ in $(seq 600); do
  [ "$(inspect_field tombstones_removed)" -ge "$DELETED" ] 2>/dev/null && break
  sleep 0.1
done
[ "$(inspect_field tombstones_removed)" -ge "$DELETED" ] || fail "tombstones not removed: $("$SLUICE" inspect cmp-0 2>&1 | tail -2)"
[ "$(cleanings)" -gt "$before" ] || fail "no cleaning after the tombstones aged"

step "from the beginning: the latest value of every live key, nothing of the deleted ones"
"$SLUICE" consume --topic cmp --partition 0 --offset earliest --print-key --timeout-ms 2000 >"$WORK/all"
expect_latest "$WORK/all" || fail "compacted log does not hold the latest values"
bytes=$(log_bytes)
echo "log bytes on disk: $bytes  produced payload: $produced_bytes"
[ $((bytes * 3)) -lt "$produced_bytes" ] || fail "the log did not shrink: $bytes bytes on disk for $produced_bytes produced"
"$SLUICE" inspect cmp-0 | grep -o 'cleaner([^)]*), dirty_ratio([^)]*)' | head -1

step "kill -9 and restart: the same records"
stop_node KILL
start_node --config "$WORK/node.conf"
"$SLUICE" consume --topic cmp --partition 0 --offset earliest --print-key --timeout-ms 2000 >"$WORK/restarted"
expect_latest "$WORK/restarted" || fail "after kill -9 the compacted log differs"
cmp -s "$WORK/all" "$WORK/restarted" || fail "records differ after restart"
echo "1 passed, 0 failed"
