#!/usr/bin/env bash
# The idempotent producer under leader failover with real processes (issue 9): deploy/cluster
# up 3, a topic of 3 partitions with replication factor 3, one `sluice produce` (acks=all and
# idempotent: the defaults) at full speed with many batches in flight, recording every
# acknowledged (partition, offset, value). Mid-stream: kill -9 the leader of partition 0 and
# restart it (it rebuilds its producer state from its log); later kill -9 the leader of
# partition 1 and restart it. Then the log holds every value exactly once: every acknowledged
# record at its acknowledged offset, and ZERO duplicates (the retries of requests whose first
# attempt was appended, which integration.replication counts without idempotence, are answered
# with the original offsets instead).
source "$(dirname "$0")/lib.sh"

# SLUICE_IDEM_PRODUCE_FLAGS=--no-idempotent shows what the check catches without idempotence.
RECORDS=${SLUICE_IDEM_RECORDS:-6000000}
CHUNK=20000
use_cluster replica.lag.time.max.ms=5000

CLUSTER_LOG_LINES=20
PRODUCER=""
kill_on_exit PRODUCER
acked() { wc -l <"$WORK/acks.tsv"; }
wait_acked() { # wait_acked N: until N records are acknowledged (the producer keeps going)
  for _ in $(seq 1200); do
    [ "$(acked)" -ge "$1" ] && return 0
    kill -0 "$PRODUCER" 2>/dev/null || fail "the producer ended early: $(tail -3 "$WORK/produce.err")"
    sleep 0.05
  done
  fail "only $(acked) of $1 records acknowledged within 60 s"
}
# kill_leader P ASKED: kill -9 the leader of partition P (as node ASKED sees it), wait for
# another leader, restart the killed broker.
kill_leader() {
  local p=$1 asked=$2 victim l
  victim=$(leader_of idem "$p" "$asked")
  [ -n "$victim" ] && [ "$victim" != -1 ] || fail "partition $p has no leader"
  step "kill -9 broker $victim, the leader of partition $p, after $(acked) acknowledgements"
  cluster kill "$victim" >/dev/null
  local other=$((victim % 3 + 1))
  for _ in $(seq 150); do
    l=$(leader_of idem "$p" "$other")
    [ -n "$l" ] && [ "$l" != "$victim" ] && [ "$l" != -1 ] && break
    sleep 0.02
  done
  [ -n "$l" ] && [ "$l" != "$victim" ] && [ "$l" != -1 ] || fail "partition $p has no new leader after 3 s"
  echo "partition $p now led by broker $l"
  sleep 0.5
  cluster start "$victim" >/dev/null
  KILLED="$KILLED $victim"
}

step "deploy/cluster up 3; topic idem: 3 partitions, replication factor 3, min.insync.replicas 2"
cluster up 3 --base-port "$BASE" --config "$WORK/cluster.conf" >"$WORK/up.out" \
  || fail "cluster up: $(cat "$WORK/up.out")"
on 1 topic create idem --partitions 3 --replication-factor 3 --config min.insync.replicas=2 >/dev/null
for _ in $(seq 100); do
  [ "$(on 1 topic describe idem 2>/dev/null | grep -cE 'isr [0-9],[0-9],[0-9] ')" = 3 ] && break
  sleep 0.1
done

step "an idempotent producer (the default) at full speed ($RECORDS records), recording every acknowledgement"
: >"$WORK/acks.tsv"
# Paced (chunks of $CHUNK with a short pause) so the two kills land mid-stream also on a quiet
# machine, where the producer alone would be done in a few seconds.
feed() {
  local s
  for ((s = 1; s <= RECORDS; s += CHUNK)); do
    seq "$s" $((s + CHUNK - 1 < RECORDS ? s + CHUNK - 1 : RECORDS))
    sleep 0.02
  done
}
feed | on 1 produce --topic idem ${SLUICE_IDEM_PRODUCE_FLAGS:-} --print-acks --delivery-timeout-ms 120000 \
  >"$WORK/acks.tsv" 2>"$WORK/produce.err" &
PRODUCER=$!
KILLED=""
wait_acked $((RECORDS / 10))
kill_leader 0 1
wait_acked $((RECORDS / 2))
kill -0 "$PRODUCER" 2>/dev/null || fail "the producer finished before the second kill: raise SLUICE_IDEM_RECORDS"
kill_leader 1 2

step "the producer finishes: every record acknowledged"
for _ in $(seq 1800); do kill -0 "$PRODUCER" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$PRODUCER" 2>/dev/null; then
  for n in 1 2 3; do on "$n" inspect "$n" idem- 2>/dev/null | grep -oE 'partition idem-[0-9].*' | cut -c1-400; done
  fail "the producer did not finish within 90 s ($(acked) acknowledged): $(tail -3 "$WORK/produce.err")"
fi
wait "$PRODUCER" || fail "the producer failed: $(tail -3 "$WORK/produce.err")"
PRODUCER=""
[ "$(acked)" = "$RECORDS" ] || fail "$(acked) acknowledgements for $RECORDS records"

step "the partitions' producer state as inspect shows it"
on 1 inspect 1 idem-0 2>/dev/null | grep -oE 'producers\([0-9]+\), producer_state\(\{[^}]*\}\), producer_snapshot\(-?[0-9]+\), duplicates\([0-9]+\)' | head -3 || true

step "consume everything and check: nothing lost or moved, no value twice"
total=0
for p in 0 1 2; do
  for _ in $(seq 100); do
    e=$(on 1 topic describe idem 2>/dev/null | awk -v p="$p" '$1 == "partition" && $2 == p {for (i = 1; i < NF; i++) if ($i == "log_end") print $(i + 1)}')
    [ -n "$e" ] && break
    sleep 0.1
  done
  total=$((total + e))
done
on 3 consume --topic idem --from-beginning --print-partition --print-offset \
  --max-messages "$total" --timeout-ms 10000 >"$WORK/log.tsv"
[ "$(wc -l <"$WORK/log.tsv")" = "$total" ] || fail "read $(wc -l <"$WORK/log.tsv") of $total records"
export LC_ALL=C
sort -S 64M "$WORK/acks.tsv" >"$WORK/acks.sorted"
sort -S 64M "$WORK/log.tsv" >"$WORK/log.sorted"
lost=$(comm -23 "$WORK/acks.sorted" "$WORK/log.sorted" | wc -l)
dups=$(cut -f3 "$WORK/log.tsv" | sort -S 64M | uniq -d | wc -l)
echo "acked: $(acked)  in the log: $total  lost or moved: $lost  values twice in the log: $dups  (brokers killed:$KILLED)"
[ "$lost" = 0 ] || fail "acknowledged records lost or moved: $(comm -23 "$WORK/acks.sorted" "$WORK/log.sorted" | head -5)"
[ "$dups" = 0 ] || fail "$dups values twice in the log: $(cut -f3 "$WORK/log.tsv" | sort -S 64M | uniq -d | head -5 | tr '\n' ' ')"
[ "$total" = "$RECORDS" ] || fail "the log holds $total records for $RECORDS sent"
echo "1 passed, 0 failed"
