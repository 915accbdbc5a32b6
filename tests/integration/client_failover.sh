#!/usr/bin/env bash
# The client across partition leader failover, with real processes (deploy/cluster up 3, a topic
# of 3 partitions with replication factor 3): `sluice produce --acks all` and `sluice consume`
# keep running while the leader of a partition is killed (kill -9) and restarted, and then the
# node both were given as bootstrap is killed. The producer exits 0 (every record acknowledged)
# and every record is in the logs, each partition's in the order sent; the consumer, running
# throughout, reads exactly what the logs hold, nothing twice and nothing skipped. A consumer in
# a group, bootstrapped from the same node, goes on reading and committing through both kills
# (its group requests move to another node when its bootstrap dies, Kafka's bootstrap list then
# the brokers it learned): it reads every record and its committed offsets reach the log ends.
# The producer is not idempotent (as Kafka's without enable.idempotence): a batch the killed
# leader had replicated but not acknowledged is sent again and may be in the log twice.
source "$(dirname "$0")/lib.sh"

use_cluster

before_exit() { [ "$1" -ne 0 ] && for f in "$WORK"/*.err; do echo "--- $f ---" >&2; tail -n 5 "$f" >&2; done; }
PRODUCER="" CONSUMER="" GROUPED=""
kill_on_exit PRODUCER CONSUMER GROUPED

export SLUICE_BOOTSTRAP=127.0.0.1:$(port 1)
alive() { "$SLUICE" cluster status 2>/dev/null | grep -cE "^  broker .* alive " || true; }

step "deploy/cluster up 3; topic ft: 3 partitions, replication factor 3"
cluster up 3 --base-port "$BASE" --config "$WORK/cluster.conf" >"$WORK/up.out" \
  || fail "cluster up: $(cat "$WORK/up.out")"
for _ in $(seq 100); do [ "$(alive)" = 3 ] && break; sleep 0.1; done
[ "$(alive)" = 3 ] || fail "not every broker registered"
"$SLUICE" topic create ft --partitions 3 --replication-factor 3 >/dev/null
for _ in $(seq 100); do
  [ -n "$(leader_of ft 0)" ] && [ "$(leader_of ft 0)" != -1 ] && [ "$(leader_of ft 2)" != -1 ] && break
  sleep 0.1
done
"$SLUICE" topic describe ft | grep partition

# A partition led by another node than the bootstrap (node 1): its leader dies first.
VICTIM=""
for p in 0 1 2; do l=$(leader_of ft $p); [ "$l" != 1 ] && [ -n "$l" ] && { VICTIM=$l; break; }; done
[ -n "$VICTIM" ] || fail "node 1 leads every partition"

stamp() { date +%H:%M:%S.%3N; }
# Lines "r1", "r2", ... in chunks of 1000 every 0.2 s until $WORK/stop exists; then the count.
feed() {
  local i=0 j
  while [ ! -f "$WORK/stop" ]; do
    for j in $(seq $((i + 1)) $((i + 1000))); do echo "r$j"; done
    i=$((i + 1000))
    sleep 0.2
  done
  echo $i >"$WORK/sent"
}

step "$(stamp) a consumer, and a producer with acks=all sending 5000 records/s"
"$SLUICE" consume --topic ft --from-beginning --timeout-ms 60000 \
  >"$WORK/consumed" 2>"$WORK/consume.err" &
CONSUMER=$!
"$SLUICE" consume --topic ft --group fg --from-beginning --timeout-ms 60000 --auto-commit-interval-ms 200 \
  >"$WORK/grouped" 2>"$WORK/grouped.err" &
GROUPED=$!
# A delivery timeout far above a failover: this machine may be slow, the test is about routing.
feed | "$SLUICE" produce --topic ft --acks all --delivery-timeout-ms 60000 \
  >"$WORK/produce.out" 2>"$WORK/produce.err" &
PRODUCER=$!

sleep 1
step "$(stamp) kill -9 node $VICTIM, a partition leader; restart it"
cluster kill "$VICTIM" >/dev/null
for _ in $(seq 200); do
  "$SLUICE" topic describe ft 2>/dev/null | grep -qE "leader $VICTIM " || break
  sleep 0.05
done
cluster start "$VICTIM" >/dev/null
# Back in every partition's ISR before node 1 goes: else a partition may be left with no
# in-sync replica alive, which no client can help.
for _ in $(seq 600); do
  [ "$("$SLUICE" topic describe ft 2>/dev/null | grep -cE "isr ([0-9],)*$VICTIM(,| )")" = 3 ] && break
  sleep 0.1
done
"$SLUICE" topic describe ft | grep partition
[ "$("$SLUICE" topic describe ft | grep -cE "isr ([0-9],)*$VICTIM(,| )")" = 3 ] \
  || fail "node $VICTIM did not rejoin every ISR within 60 s"

step "$(stamp) kill -9 node 1, the bootstrap of producer and consumer"
cluster kill 1 >/dev/null
export SLUICE_BOOTSTRAP=127.0.0.1:$((BASE + VICTIM))
sleep 2
touch "$WORK/stop"

wait "$PRODUCER" || fail "the producer failed: $(tail -n 3 "$WORK/produce.err")"
PRODUCER=""
N=$(cat "$WORK/sent")
echo "$(stamp) the producer had every one of $N records acknowledged"

step "every record in the logs, each partition in send order; the consumer read just that"
"$SLUICE" topic describe ft | grep partition
total=0
for p in 0 1 2; do
  "$SLUICE" consume --topic ft --partition $p --offset 0 --timeout-ms 2000 >"$WORK/p$p" 2>"$WORK/p$p.err" \
    || fail "reading partition $p: $(cat "$WORK/p$p.err")"
  echo "partition $p holds $(wc -l <"$WORK/p$p") records, $(sort -u "$WORK/p$p" | wc -l) distinct"
  total=$((total + $(wc -l <"$WORK/p$p")))
  # In send order, counting each record where it first appears.
  sed 's/^r//' "$WORK/p$p" | awk '!seen[$1]++' | awk 'NR > 1 && $1 <= prev { exit 1 } { prev = $1 }' \
    || fail "partition $p is out of send order"
done
in_logs=$(cat "$WORK"/p[012] | sort -u | wc -l)
[ "$in_logs" = $N ] || fail "the logs hold $in_logs of the $N acknowledged records"
for _ in $(seq 300); do [ "$(wc -l <"$WORK/consumed")" -ge "$total" ] && break; sleep 0.1; done
kill "$CONSUMER" 2>/dev/null || true; wait "$CONSUMER" 2>/dev/null || true
CONSUMER=""
echo "the logs hold $total records ($((total - N)) sent twice); the consumer read $(wc -l <"$WORK/consumed")"
cat "$WORK"/p[012] | sort >"$WORK/logs.sorted"
sort "$WORK/consumed" >"$WORK/consumed.sorted"
cmp -s "$WORK/logs.sorted" "$WORK/consumed.sorted" \
  || fail "the consumer did not read exactly the logs: $(diff "$WORK/logs.sorted" "$WORK/consumed.sorted" | head -5)"

step "the group consumer read every record and committed up to every log end"
group_lag() {
  "$SLUICE" group describe fg 2>/dev/null \
    | awk '$1 == "partition" && $7 == "lag" { n++; if ($8 == "-") s = -1e18; else s += $8 } END { print (n != 3 || s < 0 ? "-" : s + 0) }'
}
for _ in $(seq 300); do [ "$(group_lag)" = 0 ] && break; sleep 0.1; done
"$SLUICE" group describe fg || true
[ "$(group_lag)" = 0 ] || fail "group fg did not commit up to the log ends: lag $(group_lag); $(tail -n 3 "$WORK/grouped.err")"
kill "$GROUPED" 2>/dev/null || true; wait "$GROUPED" 2>/dev/null || true
GROUPED=""
sort -u "$WORK/grouped" >"$WORK/grouped.sorted"
sort -u "$WORK/logs.sorted" | cmp -s - "$WORK/grouped.sorted" \
  || fail "the group consumer did not read every record: $(sort -u "$WORK/logs.sorted" | diff - "$WORK/grouped.sorted" | head -5)"
echo "the group consumer read $(wc -l <"$WORK/grouped") records ($(wc -l <"$WORK/grouped.sorted") distinct)"

step "every surviving node lists the group and describes it (forwarded to its coordinator)"
for n in 2 3; do
  at=127.0.0.1:$((BASE + n))
  SLUICE_BOOTSTRAP=$at "$SLUICE" group list >"$WORK/list.$n" 2>&1 || fail "group list at node $n: $(cat "$WORK/list.$n")"
  grep -q "^fg	" "$WORK/list.$n" || fail "group list at node $n lacks fg: $(cat "$WORK/list.$n")"
  SLUICE_BOOTSTRAP=$at "$SLUICE" group describe fg >"$WORK/describe.$n" 2>&1 \
    || fail "group describe at node $n: $(cat "$WORK/describe.$n")"
  grep -q "^group fg  state " "$WORK/describe.$n" || fail "group describe at node $n: $(head -1 "$WORK/describe.$n")"
done

echo "1 passed, 0 failed"
