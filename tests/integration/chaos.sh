#!/usr/bin/env bash
# deploy/chaos in ./tests/run (issue 8): a 120 s seeded fault schedule on a 3-node cluster of
# network namespaces (kill -9, SIGSTOP past the session timeout, controller leader kill, data
# wiped, isolation, one-way cuts) under two acks=all producers and a consumer group. Passes when
# the summary ends "lost: 0 ... reordered: 0", no committed offset moved back, the group read
# every record in the log and drained to lag 0, and the SVG report was written. Also the
# refusals of bad flags.
# The seed is fixed so a failure replays: ./deploy/chaos --seconds 120 --seed 2026.
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export SLUICE_NO_BUILD=1 SLUICED SLUICE SLUICE_NETNS="ch$((RANDOM % 100000))"
SEED=${SLUICE_CHAOS_SEED:-2026}
SECONDS_OF_FAULTS=${SLUICE_CHAOS_SECONDS:-120}
CHAOS="$ROOT/deploy/chaos"

step "refusals"
expect_fail "unknown argument" "$CHAOS" --bogus
expect_fail "seconds expects" "$CHAOS" --seconds 3
expect_fail "faults expects" "$CHAOS" --faults "KILL;rm"
expect_fail "no fault 'meteor'" "$CHAOS" --seconds 10 --faults kill,meteor --out "$WORK/refused"

step "chaos: seed $SEED, $SECONDS_OF_FAULTS s of faults"
rc=0
"$CHAOS" --seconds "$SECONDS_OF_FAULTS" --seed "$SEED" --out "$WORK/chaos" || rc=$?
summary="$WORK/chaos/summary.txt"
[ -f "$summary" ] || fail "no summary (exit $rc): $(tail -5 "$WORK/chaos/events.log" 2>/dev/null)"
last=$(tail -1 "$summary")
echo "$last" | grep -qE '^acked: [0-9]+  lost: [0-9]+  duplicates: [0-9]+  reordered: [0-9]+  faults: [0-9]+$' \
  || fail "the last line is not the summary line: $last"
field() { echo "$last" | awk -v k="$1:" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
[ "$(field acked)" -gt 10000 ] || fail "too little was acknowledged: $last"
[ "$(field faults)" -ge 8 ] || fail "too few faults were injected: $last"
[ "$(field lost)" = 0 ] || fail "acknowledged records lost: $last"
[ "$(field reordered)" = 0 ] || fail "records reordered: $last"
[ $rc -eq 0 ] || fail "deploy/chaos exited $rc: $(cat "$summary")"
grep -q "committed offsets that moved back: 0;" "$summary" || fail "committed offsets moved back: $(cat "$summary")"
# The group read on through every fault: it drains to lag 0 and read every record in the log.
grep -q "the group's lag once drained: 0$" "$summary" || fail "the group did not drain: $(grep 'lag once drained' "$summary")"
read_back=$(grep -E '^read back: ' "$summary")
in_log=$(echo "$read_back" | sed -E 's/.*\(([0-9]+) distinct\).*/\1/')
group_read=$(echo "$read_back" | awk '{ print $(NF - 1) }')
[ "$group_read" = "$in_log" ] || fail "the group read $group_read of the $in_log records in the log"
[ "$(grep -c '<polyline' "$WORK/chaos/timeline.svg")" = 2 ] || fail "the SVG timeline lacks its two curves"
[ "$(grep -c 'fill-opacity' "$WORK/chaos/timeline.svg")" = "$(field faults)" ] || fail "the SVG does not mark every fault"
cat "$summary"
echo "1 passed, 0 failed"
