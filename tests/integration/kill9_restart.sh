#!/usr/bin/env bash
# kill -9 of sluiced while producers run: every record whose produce was
# acknowledged survives, in order, and offsets continue without gaps or reuse.
source "$(dirname "$0")/lib.sh"

start_node
"$SLUICE" topic create k9 --partitions 1 >/dev/null
acked="$WORK/acked"
: >"$acked"
# Chunks of 200 records; a chunk whose `sluice produce` exited 0 was acknowledged. Values name
# the round: a chunk the log took but whose acknowledgement the kill cut off must not match an
# acknowledged chunk of a later round.
producer() {
  local i=0
  while [ $i -lt 100 ]; do
    seq $((i * 200 + 1)) $((i * 200 + 200)) | sed "s/^/r$1-/" >"$WORK/chunk"
    if "$SLUICE" produce --topic k9 --partition 0 --acks 1 <"$WORK/chunk" 2>/dev/null; then
      cat "$WORK/chunk" >>"$acked"
    else
      return 0
    fi
    i=$((i + 1))
  done
}
for round in 1 2 3; do
  step "round $round: produce, kill -9 mid-stream, restart"
  producer "$round" &
  ppid=$!
  sleep 0.$((3 + RANDOM % 5))
  stop_node KILL
  wait "$ppid" || true
  start_node
done

step "every acknowledged record is there, in order, offsets contiguous"
n=$(wc -l <"$acked")
[ "$n" -gt 0 ] || fail "no chunk was acknowledged"
end=$("$SLUICE" topic describe k9 | awk '/log_end|log end/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) v = $i } END { print v }')
all=$("$SLUICE" consume --topic k9 --partition 0 --offset 0 --print-offset --max-messages "${end:-$n}" --timeout-ms 5000)
echo "$all" | awk '{ print $1 }' | awk 'NR - 1 != $1 { exit 1 }' || fail "offsets are not 0,1,2,... without gaps"
echo "$all" | awk '{ print $2 }' | grep -Fxf "$acked" >"$WORK/present"
echo "acknowledged: $n  log end: ${end:-?}  present: $(wc -l <"$WORK/present")"
cmp -s "$WORK/present" "$acked" || fail "acknowledged records missing or out of order ($(wc -l <"$WORK/present") of $n present)"
echo "1 passed, 0 failed"
