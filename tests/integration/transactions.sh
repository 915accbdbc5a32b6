#!/usr/bin/env bash
# Exactly-once consume-transform-produce with real processes (issue 9): deploy/cluster up 3,
# topics src and dst (3 partitions, replication factor 3). A paced producer writes the values
# 1..N to src while `sluice copy` (read_committed input, transactional output committed with
# the group's input positions) copies src to dst, restarted whenever it exits with an error.
# Mid-stream: kill -9 the leader of dst/0 and restart it, kill -9 the copy job itself (its
# successor with the same transactional.id fences it and its open transaction is aborted),
# and kill -9 the transaction coordinator's node. Then a read_committed consumer of dst reads
# every value exactly once: nothing lost, nothing twice. A read_uncommitted consumer may see
# the aborted transactions' records as well; the test prints how many.
# SLUICE_TXN_KEEP=DIR keeps the work directory (logs, cluster data, what was read) of a run that
# found values missing.
source "$(dirname "$0")/lib.sh"

RECORDS=${SLUICE_TXN_RECORDS:-300000}
CHUNK=5000
use_cluster replica.lag.time.max.ms=5000

CLUSTER_LOG_LINES=20
FEEDER="" COPIER=""
kill_on_exit FEEDER COPIER
before_exit() {
  [ -f "$WORK/copy.pid" ] && kill -9 "$(cat "$WORK/copy.pid")" 2>/dev/null
  [ "$1" -ne 0 ] && { echo "--- copy runs ---" >&2; cat "$WORK/copy.log" >&2 2>/dev/null; }
}
fed() { wc -l <"$WORK/fed.tsv"; }
wait_fed() {
  for _ in $(seq 1200); do
    [ "$(fed)" -ge "$1" ] && return 0
    sleep 0.05
  done
  fail "only $(fed) of $1 records acknowledged by src within 60 s"
}
restart_after_kill() { # restart_after_kill NODE: kill -9 it, wait a little, start it again
  cluster kill "$1" >/dev/null
  sleep 1
  cluster start "$1" >/dev/null
}

step "deploy/cluster up 3; topics src and dst: 3 partitions, replication factor 3"
cluster up 3 --base-port "$BASE" --config "$WORK/cluster.conf" >"$WORK/up.out" \
  || fail "cluster up: $(cat "$WORK/up.out")"
for t in src dst; do
  on 1 topic create "$t" --partitions 3 --replication-factor 3 --config min.insync.replicas=2 >/dev/null
done
for _ in $(seq 100); do
  [ "$(on 1 topic describe dst 2>/dev/null | grep -cE 'isr [0-9],[0-9],[0-9] ')" = 3 ] && break
  sleep 0.1
done

step "a paced producer writes 1..$RECORDS to src; sluice copy copies src to dst in 100 ms transactions"
: >"$WORK/fed.tsv"; : >"$WORK/copy.log"
feed() {
  local s
  for ((s = 1; s <= RECORDS; s += CHUNK)); do
    seq "$s" $((s + CHUNK - 1 < RECORDS ? s + CHUNK - 1 : RECORDS))
    sleep 0.05
  done
}
{
  feed | on 1 produce --topic src --print-acks --delivery-timeout-ms 120000 >"$WORK/fed.tsv" 2>"$WORK/feed.err"
  touch "$WORK/fed.done"
} &
FEEDER=$!
# The copy job, started again (at most 12 times) whenever it fails, or whenever it stopped
# after 8 s without input (a failover can stall src that long) while the producer still ran or
# the group still lags behind src.
copy_done() {
  [ -f "$WORK/fed.done" ] && [ "$(on 1 group describe copier 2>/dev/null | grep -c ' lag 0 ')" = 3 ]
}
copy_loop() {
  local run rc
  for run in $(seq 12); do
    (SLUICE_BOOTSTRAP=127.0.0.1:$((BASE + run % 3 + 1)) exec "$SLUICE" copy --from src --to dst \
      --group copier --transactional-id copier-1 --transaction-ms 100 --timeout-ms 8000 \
      >>"$WORK/copy.log" 2>&1) &
    echo $! >"$WORK/copy.pid"
    wait $! && rc=0 || rc=$?
    echo "copy run $run exited $rc" >>"$WORK/copy.log"
    [ "$rc" = 0 ] && copy_done && return 0
    sleep 0.5
  done
  return 1
}
copy_loop &
COPIER=$!

wait_fed $((RECORDS / 5))
victim=$(leader_of dst 0)
[ -n "$victim" ] && [ "$victim" != -1 ] || fail "dst/0 has no leader"
step "kill -9 broker $victim (leads dst/0) after $(fed) records fed; restart it"
restart_after_kill "$victim"

wait_fed $((RECORDS * 2 / 5))
step "kill -9 the copy job (pid $(cat "$WORK/copy.pid")); the loop starts a new one, which fences it"
kill -9 "$(cat "$WORK/copy.pid")"

wait_fed $((RECORDS / 2))
step "a second copy with the same transactional.id (a zombie's successor): each fences the other"
SLUICE_BOOTSTRAP=127.0.0.1:$((BASE + 3)) timeout 60 "$SLUICE" copy --from src --to dst --group copier \
  --transactional-id copier-1 --transaction-ms 100 --timeout-ms 8000 >"$WORK/rogue.log" 2>&1 \
  && rogue=0 || rogue=$?
echo "the second copy exited $rogue: $(tail -1 "$WORK/rogue.log")"
[ "$rogue" = 0 ] || grep -q "invalid producer epoch" "$WORK/rogue.log" \
  || fail "the second copy failed otherwise than fenced: $(tail -3 "$WORK/rogue.log")"

wait_fed $((RECORDS * 3 / 5))
coord=$(on 1 txn describe copier-1 2>/dev/null | awk '$1 == "coordinator" {print $2}')
[ -n "$coord" ] && [ "$coord" != -1 ] || coord=$(leader_of dst 1)
step "kill -9 broker $coord (the transaction coordinator of copier-1) after $(fed) records fed; restart it"
restart_after_kill "$coord"

step "the producer finishes; the copy catches up (the group lags src by 0) and exits after 8 s idle"
for _ in $(seq 1800); do kill -0 "$FEEDER" 2>/dev/null || break; sleep 0.05; done
kill -0 "$FEEDER" 2>/dev/null && fail "the producer did not finish within 90 s: $(tail -3 "$WORK/feed.err")"
wait "$FEEDER"
FEEDER=""
[ "$(fed)" = "$RECORDS" ] || fail "$(fed) acknowledgements for $RECORDS records"
for _ in $(seq 1800); do kill -0 "$COPIER" 2>/dev/null || break; sleep 0.05; done
kill -0 "$COPIER" 2>/dev/null && fail "the copy did not finish within 90 s"
wait "$COPIER" || fail "the copy did not finish in 12 runs"
COPIER=""
sed 's/^/  /' "$WORK/copy.log" | tail -20

step "the transaction as the coordinator describes it"
on 2 txn describe copier-1 || fail "txn describe copier-1 failed"

step "read_committed: every value of src in dst exactly once"
on 3 consume --topic dst --from-beginning --isolation read_committed --max-messages $((RECORDS + 1)) \
  --timeout-ms 5000 >"$WORK/committed.txt"
on 3 consume --topic dst --from-beginning --isolation read_uncommitted --max-messages $((RECORDS * 3)) \
  --timeout-ms 5000 >"$WORK/uncommitted.txt"
export LC_ALL=C
committed=$(wc -l <"$WORK/committed.txt")
dups=$(sort -S 64M "$WORK/committed.txt" | uniq -d | wc -l)
missing=$(comm -23 <(seq 1 "$RECORDS" | sort -S 64M) <(sort -S 64M -u "$WORK/committed.txt") | wc -l)
echo "src: $RECORDS  dst read_committed: $committed (values twice: $dups, missing: $missing)  dst read_uncommitted: $(wc -l <"$WORK/uncommitted.txt") ($(sort -S 64M -u "$WORK/uncommitted.txt" | wc -l) distinct)"
if [ "$missing" != 0 ] && [ -n "${SLUICE_TXN_KEEP:-}" ]; then
  on 3 consume --topic dst --from-beginning --isolation read_uncommitted --print-partition --print-offset \
    --max-messages $((RECORDS * 3)) --timeout-ms 5000 >"$WORK/uncommitted.tsv"
  rm -rf "$SLUICE_TXN_KEEP"; cp -r "$WORK" "$SLUICE_TXN_KEEP"
fi
[ "$dups" = 0 ] || fail "$dups values twice under read_committed: $(sort "$WORK/committed.txt" | uniq -d | head -5 | tr '\n' ' ')"
[ "$missing" = 0 ] || fail "$missing values of src missing from dst"
[ "$committed" = "$RECORDS" ] || fail "dst holds $committed committed records for $RECORDS"
echo "1 passed, 0 failed"
