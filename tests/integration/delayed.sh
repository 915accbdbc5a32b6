#!/usr/bin/env bash
# Delayed delivery with real processes (issue 10): deploy/cluster up 3, topic dt (4
# partitions, replication factor 3), __delayed with 4 partitions. Seventeen producer runs send
# 200 records each with deliver-at times in two waves: 5..8.5 s and 21..25 s after the start
# (delays of about 3..20 s from each send).
# Between the waves, when nothing is due for seconds: kill -9 the leader of __delayed-0 and
# restart it, then kill -9 and restart another broker. A consumer on the third broker, running
# throughout, must get every record exactly once, none before its deliver-at and each within
# 1 s after it (the max lateness is printed). Also: delays of 0 and over 30 days are refused by
# the client with one line, and records the client did not check are refused by the broker.
source "$(dirname "$0")/lib.sh"

PER_RUN=200
use_cluster delayed.log.num.partitions=4

CONSUMER=""
kill_on_exit CONSUMER
CLUSTER_LOG_LINES=25
now_ms() { date +%s%3N; }
# wait_until MS: sleep until the wall clock reaches MS.
wait_until() { local left=$(($1 - $(now_ms))); [ "$left" -le 0 ] || sleep "$(awk -v l="$left" 'BEGIN {printf "%.3f", l / 1000}')"; }
in_sync() { [ "$(on "$1" topic describe "$2" 2>/dev/null | grep -cE 'isr [0-9],[0-9],[0-9]')" = "$3" ]; }

step "deploy/cluster up 3; topic dt: 4 partitions, replication factor 3; __delayed: 4 partitions"
cluster up 3 --base-port "$BASE" --config "$WORK/cluster.conf" >"$WORK/up.out" \
  || fail "cluster up: $(cat "$WORK/up.out")"
on 1 topic create dt --partitions 4 --replication-factor 3 --config min.insync.replicas=2 >/dev/null
for _ in $(seq 300); do
  in_sync 1 dt 4 && in_sync 1 __delayed 4 && break
  sleep 0.1
done
in_sync 1 __delayed 4 || fail "__delayed is not in sync: $(on 1 topic describe __delayed 2>&1 | head -8)"

# produce_file FILE NODE ARGS...: sluice produce on NODE with FILE as its stdin (expect_fail
# gives commands /dev/null).
produce_file() { local f=$1 n=$2; shift 2; on "$n" produce "$@" <"$f"; }
echo x >"$WORK/one"
step "bad input: delays outside 1 s .. 30 days are refused by the client with one line"
expect_fail "1 s to 30 days" produce_file "$WORK/one" 1 --topic dt --delay-ms 0
expect_fail "1 s to 30 days" produce_file "$WORK/one" 1 --topic dt --delay-ms 2592000001
expect_fail "1 s to 30 days" produce_file "$WORK/one" 1 --topic dt --deliver-at $(($(now_ms) - 5000))
step "bad input: the broker refuses what no client checked, with one line"
soon=$(($(now_ms) + 300))
echo "sluice.deliver-to=dt/0;sluice.deliver-at=$soon|x" >"$WORK/forged"
expect_fail "1 s to 30 days" produce_file "$WORK/forged" 1 --topic __delayed --partition 0 --header-separator "|"
echo "plain" >"$WORK/plain"
expect_fail "needs sluice.deliver-to" produce_file "$WORK/plain" 1 --topic __delayed --partition 0
echo "sluice.delay-control=done;sluice.deliver-to=dt/0;sluice.deliver-at=$((soon + 9000))|x" >"$WORK/control"
expect_fail "reserved" produce_file "$WORK/control" 1 --topic __delayed --partition 0 --header-separator "|"

victim=$(leader_of __delayed 0)
[ -n "$victim" ] && [ "$victim" != -1 ] || fail "__delayed-0 has no leader"
other=$((victim % 3 + 1))
reader=$((other % 3 + 1))
T0=$(now_ms)
RUNS=0

step "a consumer on broker $reader reads dt throughout"
(exec "$SLUICE" --bootstrap 127.0.0.1:$((BASE + reader)) consume --topic dt \
  --from-beginning --print-timestamp --print-received --max-messages $((17 * PER_RUN)) \
  --timeout-ms 40000 >"$WORK/consumed.tsv" 2>"$WORK/consume.err") &
CONSUMER=$!

# produce_wave FROM_MS COUNT: COUNT runs of PER_RUN records due FROM_MS + 500 * k after T0.
produce_wave() {
  local k at
  for ((k = 0; k < $2; k++)); do
    at=$((T0 + $1 + 500 * k))
    [ $((at - $(now_ms))) -ge 1500 ] || fail "wave at +$1 ms: run $k was sent too late ($(($(now_ms) - T0)) ms after the start)"
    seq 1 $PER_RUN | sed "s/.*/$RUNS-&@$at/" | on $(((RUNS % 3) + 1)) produce --topic dt --deliver-at "$at" \
      || fail "producing run $RUNS failed"
    RUNS=$((RUNS + 1))
  done
}
step "wave 1: 8 runs of $PER_RUN records due 5.0 .. 8.5 s after the start"
produce_wave 5000 8
step "wave 2: 9 runs of $PER_RUN records due 21 .. 25 s after the start"
produce_wave 21000 9
echo "produced $((RUNS * PER_RUN)) delayed records in $(($(now_ms) - T0)) ms"
on 1 inspect 2>/dev/null | grep -E "scheduler" | head -4 | cut -c1-400 || true

wait_until $((T0 + 10000))
[ $(($(now_ms) - T0)) -le 13000 ] || fail "producing took until $(($(now_ms) - T0)) ms after the start: no quiet time left before wave 2"
step "wave 1 is due; nothing is until +21 s: kill -9 broker $victim (leads __delayed-0), restart it"
cluster kill "$victim" >/dev/null
sleep 1
cluster start "$victim" >/dev/null
wait_until $(($(now_ms) + 1500))
step "kill -9 broker $other, restart it"
cluster kill "$other" >/dev/null
sleep 1
cluster start "$other" >/dev/null

step "the consumer gets all $((17 * PER_RUN)) records"
for _ in $(seq 900); do kill -0 "$CONSUMER" 2>/dev/null || break; sleep 0.1; done
kill -0 "$CONSUMER" 2>/dev/null && fail "the consumer did not finish within 90 s ($(wc -l <"$WORK/consumed.tsv") records)"
wait "$CONSUMER" || fail "the consumer failed: $(tail -2 "$WORK/consume.err")"
CONSUMER=""
on 2 inspect 2>/dev/null | grep -E "scheduler" | head -4 | cut -c1-400 || true

step "every record once, never before its deliver-at, each within 1 s after it"
export LC_ALL=C
total=$((RUNS * PER_RUN))
on "$reader" consume --topic dt --from-beginning --max-messages $((total + 100)) --timeout-ms 4000 >"$WORK/all.txt"
got=$(wc -l <"$WORK/consumed.tsv")
stored=$(wc -l <"$WORK/all.txt")
dups=$(sort "$WORK/all.txt" | uniq -d | wc -l)
missing=$(comm -23 <(for ((r = 0; r < RUNS; r++)); do seq 1 $PER_RUN | sed "s/.*/$r-&/"; done | sort) \
  <(sed 's/@.*//' "$WORK/all.txt" | sort -u) | wc -l)
# consumed.tsv: TIMESTAMP RECEIVED VALUE, VALUE = run-n@deliver_at
read -r early max_late over ts_early <<<"$(awk -F'\t' '{
    at = substr($3, index($3, "@") + 1); late = $2 - at
    if (late < 0) early++
    if (late > max) max = late
    if (late > 1000) over++
    if ($1 < at) ts_early++
  } END { printf "%d %d %d %d\n", early, max, over, ts_early }' "$WORK/consumed.tsv")"
echo "records: $total produced, $got consumed live, $stored in dt (twice: $dups, missing: $missing);" \
  "received before deliver-at: $early; max lateness: $max_late ms; over 1 s: $over"
[ "$dups" = 0 ] || fail "$dups records twice: $(sort "$WORK/all.txt" | uniq -d | head -3 | tr '\n' ' ')"
[ "$missing" = 0 ] || fail "$missing records never delivered"
[ "$stored" = "$total" ] || fail "dt holds $stored records for $total"
[ "$got" = "$total" ] || fail "the live consumer got $got of $total"
[ "$early" = 0 ] && [ "$ts_early" = 0 ] || fail "$early records received (and $ts_early stamped) before their deliver-at"
[ "$over" = 0 ] || fail "$over records more than 1 s late (max $max_late ms)"
echo "1 passed, 0 failed"
