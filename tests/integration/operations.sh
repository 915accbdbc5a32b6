#!/usr/bin/env bash
# The operations of issue 7 on a 3-node cluster of real sluiced processes (deploy/cluster up 3;
# __consumer_offsets, __transaction_state and __delayed with 2 replicas, so that a broker can leave):
# a partition of a replication-factor-2 topic reassigned to other brokers while a producer
# keeps sending, its new replicas in the ISR and the data of
# the removed one deleted; bad reassignments refused in one line; a partition count increase
# on the replicated topic; preferred leader election after a leader's kill -9 and restart;
# a broker decommissioned while a producer sends; a decommission that has nowhere to go refused.
source "$(dirname "$0")/lib.sh"

use_cluster replica.lag.time.max.ms=5000 offsets.topic.replication.factor=2 transaction.state.log.replication.factor=2 \
  delayed.log.replication.factor=2

CLUSTER_LOG_LINES=20
PRODUCER=""
kill_on_exit PRODUCER
# `topic describe ops` on node $ASK (default 1), or nothing while it does not answer.
describe() { on "${ASK:-1}" topic describe ops 2>/dev/null || true; }
# field P NAME: the value after NAME on the line of partition P (partition P leader L epoch E
# replicas R isr I ...).
field() { awk -v p="$1" -v f="$2" '$1 == "partition" && $2 == p { for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }'; }
# wait_until SECONDS CMD...: runs CMD every 0.2 s until it succeeds.
wait_until() {
  local limit=$1; shift
  for _ in $(seq $((limit * 5))); do "$@" && return 0; sleep 0.2; done
  return 1
}
has() { [[ ",$1," == *",$2,"* ]]; } # has LIST ID

step "deploy/cluster up 3"
cluster up 3 --base-port "$BASE" --config "$WORK/cluster.conf" >"$WORK/up.out" \
  || fail "cluster up: $(cat "$WORK/up.out")"
all_alive() { [ "$(on 1 cluster status 2>/dev/null | grep -c '^  broker .* alive ')" = 3 ]; }
wait_until 20 all_alive || fail "3 brokers are not alive: $(on 1 cluster status 2>&1)"

step "a topic with replication factor 2, every ISR full"
on 1 topic create ops --partitions 3 --replication-factor 2 >/dev/null
isr_full() {
  local d; d=$(describe)
  for p in 0 1 2; do
    [ "$(echo "$d" | field "$p" isr | tr ',' '\n' | grep -c .)" = 2 ] || return 1
  done
}
wait_until 20 isr_full || fail "ISRs not full: $(describe)"
describe | grep partition

seq 1 100 | sed 's/^/before-/' | on 1 produce --topic ops --acks all >/dev/null 2>"$WORK/produce.err" \
  || fail "produce: $(head -1 "$WORK/produce.err")"
PRODUCED=100
(for i in $(seq 1 300); do echo "during-$i"; sleep 0.02; done) \
  | on 2 produce --topic ops --acks all >"$WORK/producer.out" 2>"$WORK/producer.err" &
PRODUCER=$!

step "reassign ops-0 to other brokers; the new replicas join the ISR, the removed one lets go"
OLD=$(describe | field 0 replicas)
A=${OLD%,*} B=${OLD#*,}
SPARE=""
for n in 1 2 3; do has "$OLD" "$n" || SPARE=$n; done
[ -n "$SPARE" ] || fail "no spare broker for ops-0 on $OLD"
on 3 topic reassign ops --partition 0 --replicas "$SPARE,$B" >"$WORK/reassign.out" \
  || fail "reassign: $(cat "$WORK/reassign.out")"
cat "$WORK/reassign.out"
grep -qE "^reassigning ops-0: replicas $SPARE,$B,$A  adding $SPARE  removing $A$" "$WORK/reassign.out" \
  || grep -qE "^ops-0 reassigned: replicas $SPARE,$B$" "$WORK/reassign.out" \
  || fail "unexpected reassign output"
moved() {
  local d; d=$(describe)
  [ "$(echo "$d" | field 0 replicas)" = "$SPARE,$B" ] || return 1
  has "$(echo "$d" | field 0 isr)" "$SPARE" && has "$(echo "$d" | field 0 isr)" "$B" || return 1
  ! echo "$d" | grep -q reassigning
}
wait_until 60 moved || fail "ops-0 did not move to $SPARE,$B: $(describe)"
describe | grep partition
LEADER0=$(describe | field 0 leader)
has "$SPARE,$B" "$LEADER0" || fail "ops-0 is led by $LEADER0, outside its replicas $SPARE,$B"
gone() { [ ! -e "$SLUICE_CLUSTER_DATA/node-$A/topics/ops-0" ]; }
wait_until 20 gone || fail "node $A still holds ops-0's data"
[ -d "$SLUICE_CLUSTER_DATA/node-$SPARE/topics/ops-0" ] || fail "node $SPARE has no ops-0 directory"
# Any node answers describe alike.
for n in 2 3; do
  [ "$(ASK=$n describe | field 0 replicas)" = "$SPARE,$B" ] || fail "node $n describes ops-0 otherwise"
done
# Back and forth with --wait, and the target order decides the preferred leader.
on 2 topic reassign ops --partition 0 --replicas "$B,$SPARE" --wait --timeout-ms 60000 >"$WORK/reorder.out" \
  || fail "reorder: $(cat "$WORK/reorder.out")"
grep -q "ops-0 reassigned: replicas $B,$SPARE" "$WORK/reorder.out" || fail "reorder: $(cat "$WORK/reorder.out")"

step "the producer kept going through the move; every record is there once"
for _ in $(seq 300); do kill -0 "$PRODUCER" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PRODUCER" 2>/dev/null && fail "the producer did not finish"
wait "$PRODUCER" || fail "the producer failed during the move: $(tail -3 "$WORK/producer.err")"
PRODUCER=""
PRODUCED=400
# Everything, until 3 s without a record: a retried batch may be in the log twice (the producer
# is not idempotent), so the distinct values are counted.
on 1 consume --topic ops --from-beginning --timeout-ms 3000 >"$WORK/consumed" \
  || fail "consume after the move: $(wc -l <"$WORK/consumed") records"
[ "$(sort -u "$WORK/consumed" | wc -l)" = "$PRODUCED" ] || fail "consumed $(sort -u "$WORK/consumed" | wc -l) distinct of $PRODUCED"

step "bad reassignments are refused in one line"
expect_fail "unknown topic|does not exist" on 1 topic reassign nosuch --partition 0 --replicas 1,2
expect_fail "no partition 9" on 1 topic reassign ops --partition 9 --replicas 1,2
expect_fail "broker 7 is not registered" on 1 topic reassign ops --partition 1 --replicas 1,7
expect_fail "appears twice" on 1 topic reassign ops --partition 1 --replicas 2,2
expect_fail "empty" on 1 topic reassign ops --partition 1 --replicas ""
expect_fail "not a list of broker ids" on 1 topic reassign ops --partition 1 --replicas 1,x
expect_fail "needs --replicas" on 1 topic reassign ops --partition 1
expect_fail "no reassignment in progress" on 1 topic reassign ops --partition 1 --cancel
describe | grep -q reassigning && fail "a refused reassignment left a move: $(describe)"

step "more partitions on the replicated topic get two replicas, a leader and a full ISR"
on 1 topic alter ops --partitions 4 >/dev/null
new_ok() {
  local d; d=$(describe)
  [ "$(echo "$d" | field 3 replicas | tr ',' '\n' | grep -c .)" = 2 ] || return 1
  [ "$(echo "$d" | field 3 isr | tr ',' '\n' | grep -c .)" = 2 ] || return 1
  has "$(echo "$d" | field 3 replicas)" "$(echo "$d" | field 3 leader)"
}
wait_until 20 new_ok || fail "ops-3 is not replicated: $(describe)"

step "kill -9 the leader of ops-1; after its restart, elect-preferred-leaders gives it back"
P1=$(describe | field 1 replicas)
PREF=${P1%%,*}
leads1() { [ "$(describe | field 1 leader)" = "$PREF" ]; }
leads1 || on 1 cluster elect-preferred-leaders --topic ops >/dev/null
wait_until 10 leads1 || fail "the preferred replica $PREF does not lead ops-1: $(describe)"
cluster kill "$PREF" >/dev/null
ASK=$((PREF % 3 + 1))
moved_off() { local l; l=$(describe | field 1 leader); [ -n "$l" ] && [ "$l" != "$PREF" ] && [ "$l" != -1 ]; }
wait_until 20 moved_off || fail "ops-1 still led by the killed broker $PREF: $(describe)"
cluster start "$PREF" >/dev/null
ASK=1
back_in_sync() { has "$(describe | field 1 isr)" "$PREF"; }
wait_until 60 back_in_sync || fail "broker $PREF did not rejoin the ISR of ops-1: $(describe)"
[ "$(describe | field 1 leader)" != "$PREF" ] || fail "ops-1 went back to $PREF before any election"
on 1 cluster elect-preferred-leaders --topic ops >"$WORK/elect.out" || fail "elect: $(cat "$WORK/elect.out")"
cat "$WORK/elect.out"
grep -qE "^ops-1  leader [0-9]+ -> $PREF  epoch [0-9]+$" "$WORK/elect.out" || fail "ops-1 not elected back"
[ "$(describe | field 1 leader)" = "$PREF" ] || fail "ops-1 is not led by $PREF: $(describe)"
on 1 cluster elect-preferred-leaders --topic ops >"$WORK/elect2.out"
grep -q "^no leader moved" "$WORK/elect2.out" || fail "a second election moved leaders: $(cat "$WORK/elect2.out")"
expect_fail "does not exist" on 1 cluster elect-preferred-leaders --topic nosuch

step "decommission a broker: its replicas move to the other two, its data goes, producers go on"
# Every topic so far has 2 replicas over 3 brokers, so each has somewhere to go.
GONE=3
(for i in $(seq 1 200); do echo "decom-$i"; sleep 0.02; done) \
  | on 1 produce --topic ops --acks all >"$WORK/producer2.out" 2>"$WORK/producer2.err" &
PRODUCER=$!
on 1 cluster decommission "$GONE" --wait --timeout-ms 60000 >"$WORK/decom.out" \
  || fail "decommission: $(cat "$WORK/decom.out")"
cat "$WORK/decom.out"
grep -q "^decommissioning broker $GONE: [1-9][0-9]* partition(s) moving" "$WORK/decom.out" \
  || fail "decommission moved nothing"
grep -q "^broker $GONE holds no replicas: decommissioned" "$WORK/decom.out" || fail "no --wait line"
on 1 cluster status | grep -E "^  broker $GONE .* replicas 0 .*decommissioned$" >/dev/null \
  || fail "cluster status: $(on 1 cluster status)"
for p in 0 1 2 3; do
  has "$(describe | field "$p" replicas)" "$GONE" && fail "ops-$p still on broker $GONE: $(describe)"
done
no_data() { [ -z "$(ls -A "$SLUICE_CLUSTER_DATA/node-$GONE/topics")" ]; }
wait_until 20 no_data || fail "node $GONE still holds $(ls "$SLUICE_CLUSTER_DATA/node-$GONE/topics")"
expect_fail "decommissioned" on 1 topic reassign ops --partition 0 --replicas 1,"$GONE"
for _ in $(seq 300); do kill -0 "$PRODUCER" 2>/dev/null || break; sleep 0.1; done
wait "$PRODUCER" || fail "the producer failed during the decommission: $(tail -3 "$WORK/producer2.err")"
PRODUCER=""
TOTAL=$((PRODUCED + 200))
on 2 consume --topic ops --from-beginning --timeout-ms 3000 >"$WORK/consumed2" \
  || fail "consume after the decommission: $(wc -l <"$WORK/consumed2") of $TOTAL records"
[ "$(sort -u "$WORK/consumed2" | wc -l)" = "$TOTAL" ] || fail "consumed $(sort -u "$WORK/consumed2" | wc -l) distinct of $TOTAL"
on 1 cluster decommission "$GONE" --cancel | grep -q "takes new replicas again" || fail "cancel"
on 1 cluster status | grep -q decommissioned && fail "the cancelled decommission still shows"

step "decommission: refused when a partition has nowhere to go (RF 3 over 3 brokers)"
on 1 topic create wide --partitions 1 --replication-factor 3 >/dev/null
expect_fail "cannot leave" on 1 cluster decommission 1
expect_fail "not registered" on 1 cluster decommission 9
on 1 cluster status | grep -q decommissioned && fail "a refused decommission marked a broker"

echo "1 passed, 0 failed"
