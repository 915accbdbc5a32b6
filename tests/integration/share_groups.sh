#!/usr/bin/env bash
# Share groups (KIP-932, queue-style consumption) with real processes: deploy/cluster up 3 and
# topics of 2 partitions with replication factor 3.
#  1. Four `sluice consume --share-group` of one group read 2000 records concurrently: every
#     record is printed exactly once (no failure, so no redelivery), the records matching
#     --reject-matching are not, and the group's share-partitions end up finished to the log end.
#  2. A member that holds records (its output blocked in a full pipe, before it acknowledges)
#     is killed -9: after the acquisition lock (share.record.lock.duration.ms=2000 on the topic)
#     the records it held go to the other members; together they print every record, and the
#     only ones printed twice are among those the killed member printed but never acknowledged.
#  3. The leader of a partition is killed -9 while four members read: the new leader loads the
#     share state persisted with the group's coordinator; every record is printed, and a record
#     is printed twice only if its acknowledgement was not answered (bounded by what the members
#     held when the leader died).
# Bad flag combinations are refused in one line before any connection.
source "$(dirname "$0")/lib.sh"

use_cluster

PIDS="" # every member started, killed -9 on exit
before_exit() {
  local f p
  [ "$1" -ne 0 ] && for f in "$WORK"/*.err; do [ -s "$f" ] && { echo "--- $f ---" >&2; tail -n 5 "$f" >&2; }; done
  for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
  return 0
}

step "bad flags are refused in one line"
expect_fail "excludes|--group" "$SLUICE" consume --topic t --share-group g --group h
expect_fail "excludes|--partition" "$SLUICE" consume --topic t --share-group g --partition 0
expect_fail "requires|--share-group" "$SLUICE" consume --topic t --reject-matching x
expect_fail "regular expression" "$SLUICE" consume --topic t --share-group g --release-matching "("

export SLUICE_BOOTSTRAP=127.0.0.1:$(port 1)
alive() { "$SLUICE" cluster status 2>/dev/null | grep -cE "^  broker .* alive " || true; }
wait_leaders() {
  for _ in $(seq 100); do
    l0=$(leader_of "$1" 0); l1=$(leader_of "$1" 1)
    [ -n "$l0" ] && [ "$l0" != -1 ] && [ -n "$l1" ] && [ "$l1" != -1 ] && return 0
    sleep 0.1
  done
  fail "topic $1 has no leaders"
}
# share_consume GROUP TOPIC NAME [args...]: a member in the background, output in $WORK/NAME.out;
# its PID is added to M (and PIDS).
M=""
share_consume() {
  local group=$1 topic=$2 name=$3
  shift 3
  "$SLUICE" consume --topic "$topic" --share-group "$group" "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS="$PIDS $!"
  M="$M $!"
}
# wait_all PID...: every member exits 0 (bounded).
wait_all() {
  local p
  for p in "$@"; do
    for _ in $(seq 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && fail "member $p still running after 60 s"
    wait "$p" || fail "member $p exited non-zero"
  done
}
# finished GROUP TOPIC: every share-partition of the group starts at its log end.
finished() {
  "$SLUICE" group describe "$1" >"$WORK/describe.out" 2>&1 || return 1
  [ "$(grep -c "partition $2/" "$WORK/describe.out")" = 2 ] || return 1
  awk '$1 == "partition" { if ($4 != $NF) bad = 1 } END { exit bad }' "$WORK/describe.out"
}

step "deploy/cluster up 3"
cluster up 3 --base-port "$BASE" --config "$WORK/cluster.conf" >"$WORK/up.out" \
  || fail "cluster up: $(cat "$WORK/up.out")"
for _ in $(seq 100); do [ "$(alive)" = 3 ] && break; sleep 0.1; done
[ "$(alive)" = 3 ] || fail "not every broker registered"

step "1. four members of one share group read 2000 records, 10 of them rejected"
"$SLUICE" topic create sg1 --partitions 2 --replication-factor 3 >/dev/null
wait_leaders sg1
{ seq -f "v%05g" 1 1990; seq -f "poison%02g" 1 10; } | shuf --random-source=<(yes) \
  | "$SLUICE" produce --topic sg1 --acks all >/dev/null 2>"$WORK/produce1.err" || fail "produce sg1"
M=""
for i in 1 2 3 4; do share_consume q1 sg1 "m1-$i" --timeout-ms 6000 --reject-matching '^poison'; done
wait_all $M
cat "$WORK"/m1-*.out | sort >"$WORK/all1"
[ "$(wc -l <"$WORK/all1")" = 1990 ] || fail "printed $(wc -l <"$WORK/all1") records, not 1990"
[ -z "$(uniq -d "$WORK/all1")" ] || fail "printed twice: $(uniq -d "$WORK/all1" | head -3)"
grep -q poison "$WORK/all1" && fail "a rejected record was printed"
busy=0
for i in 1 2 3 4; do [ -s "$WORK/m1-$i.out" ] && busy=$((busy + 1)); done
echo "members that printed records: $busy of 4"
for _ in $(seq 50); do finished q1 sg1 && break; sleep 0.2; done
finished q1 sg1 || fail "share-partitions not finished: $(cat "$WORK/describe.out")"
"$SLUICE" group list | grep -qE "^q1	stable" || fail "group list does not show q1: $("$SLUICE" group list)"
cat "$WORK/describe.out"

step "2. a member killed -9 while it holds records: they come again after the 2 s lock"
"$SLUICE" topic create sg2 --partitions 2 --replication-factor 3 \
  --config share.record.lock.duration.ms=2000 >/dev/null
wait_leaders sg2
# 3000 values of 100 bytes: one poll's output (up to 1000 records) overflows a 64 KiB pipe.
PAD=$(printf 'x%.0s' $(seq 94))
seq -f "w%05g-$PAD" 1 3000 | "$SLUICE" produce --topic sg2 --acks all >/dev/null 2>"$WORK/produce2.err" \
  || fail "produce sg2"
mkfifo "$WORK/stuck.fifo"
"$SLUICE" consume --topic sg2 --share-group q2 >"$WORK/stuck.fifo" 2>"$WORK/stuck.err" &
STUCK=$!
PIDS="$PIDS $STUCK"
exec 3<"$WORK/stuck.fifo" # opened, never read: the member blocks once the pipe is full
sleep 3
kill -0 $STUCK 2>/dev/null || fail "the blocked member exited"
kill -9 $STUCK
wait $STUCK 2>/dev/null || true
timeout 10 cat <&3 >"$WORK/stuck.out" || true
exec 3<&-
[ -s "$WORK/stuck.out" ] || fail "the blocked member printed nothing before it blocked"
echo "the killed member printed $(wc -l <"$WORK/stuck.out") records (never acknowledged)"
M=""
for i in 1 2 3; do share_consume q2 sg2 "m2-$i" --timeout-ms 6000; done
wait_all $M
cat "$WORK"/m2-*.out "$WORK/stuck.out" | sort -u >"$WORK/all2"
[ "$(wc -l <"$WORK/all2")" = 3000 ] || fail "printed $(wc -l <"$WORK/all2") distinct records, not 3000"
cat "$WORK"/m2-*.out | sort >"$WORK/others2"
[ -z "$(uniq -d "$WORK/others2")" ] || fail "the others printed a record twice"
sort "$WORK/stuck.out" >"$WORK/stuck.sorted"
again=$(comm -12 "$WORK/stuck.sorted" "$WORK/others2" | wc -l)
[ "$again" -gt 0 ] || fail "no record the killed member held was delivered again"
echo "records the killed member held and the others printed: $again"
for _ in $(seq 50); do finished q2 sg2 && break; sleep 0.2; done
finished q2 sg2 || fail "share-partitions not finished: $(cat "$WORK/describe.out")"

step "3. kill -9 of a partition leader while four members read"
"$SLUICE" topic create sg3 --partitions 2 --replication-factor 3 \
  --config share.record.lock.duration.ms=3000 >/dev/null
wait_leaders sg3
seq -f "z%05g" 1 20000 | "$SLUICE" produce --topic sg3 --acks all >/dev/null 2>"$WORK/produce3.err" \
  || fail "produce sg3"
VICTIM=""
for p in 0 1; do l=$(leader_of sg3 $p); [ "$l" != 1 ] && [ -n "$l" ] && { VICTIM=$l; break; }; done
[ -n "$VICTIM" ] || fail "node 1 leads both partitions"
M=""
for i in 1 2 3 4; do share_consume q3 sg3 "m3-$i" --timeout-ms 15000; done
for _ in $(seq 100); do
  [ "$(cat "$WORK"/m3-*.out | wc -l)" -ge 2000 ] && break
  sleep 0.05
done
step "kill -9 node $VICTIM (leads a partition of sg3) after $(cat "$WORK"/m3-*.out | wc -l) records"
cluster kill "$VICTIM" >/dev/null
wait_all $M
cat "$WORK"/m3-*.out | sort >"$WORK/all3"
distinct=$(sort -u "$WORK/all3" | wc -l)
twice=$(uniq -d "$WORK/all3" | wc -l)
echo "records printed: $(wc -l <"$WORK/all3"), distinct $distinct, printed twice $twice"
[ "$distinct" = 20000 ] || fail "printed $distinct distinct records of 20000"
# At most what the four members held when the leader died: a poll's worth each (2 x 500).
[ "$twice" -le 4000 ] || fail "$twice records printed twice: acknowledged records came again"

echo "1 passed, 0 failed"
