#!/usr/bin/env bash
# Retry topics and the dead-letter topic with real processes (README "Retries and dead-letter
# topics") on a 3-node cluster: topic orders (3 partitions, replication factor 3) gets 60 keyed
# records, every tenth "A-i" (nacked on every delivery), every tenth "B-i" (nacked on the first
# delivery only), the rest "ok-i". A first consumer of group w nacks A and B and exits before
# retry-1 is due (backoffs 4000,1000 ms, max 3 attempts); a second nacks only A. Checked: the
# ok records were printed once by the first run, the B records once by the second (on retry),
# the dead-letter topic holds exactly the A records, each with attempts 3, its error and its
# original partition and offset; the retry topics were created like orders; the group lags
# nowhere. Then dlq redrive puts the A records back into orders exactly once (a second redrive
# sends none), without sluice.* headers but with their own.
source "$(dirname "$0")/lib.sh"

use_cluster
export SLUICE_BOOTSTRAP=127.0.0.1:$(port 1),127.0.0.1:$(port 2),127.0.0.1:$(port 3)
N=60

step "deploy/cluster up 3; topic orders: 3 partitions, replication factor 3; $N records tagged t1"
cluster up 3 --base-port "$BASE" --config "$WORK/cluster.conf" >"$WORK/up.out" || fail "cluster up: $(cat "$WORK/up.out")"
for _ in $(seq 100); do
  "$SLUICE" topic create orders --partitions 3 --replication-factor 3 >/dev/null 2>&1 && break
  sleep 0.2
done
for i in $(seq 1 $N); do
  case $((i % 10)) in
    3) echo "k$i:A-$i" ;;
    7) echo "k$i:B-$i" ;;
    *) echo "k$i:ok-$i" ;;
  esac
done >"$WORK/input"
"$SLUICE" produce --topic orders --key-separator : --tags t1 <"$WORK/input" || fail "produce"
cut -d: -f2 "$WORK/input" | grep '^ok-' | sort >"$WORK/want_ok"
cut -d: -f2 "$WORK/input" | grep '^B-' | sort >"$WORK/want_b"
cut -d: -f2 "$WORK/input" | grep '^A-' | sort >"$WORK/want_a"
# Where each record landed: VALUE PARTITION OFFSET.
"$SLUICE" consume --topic orders --from-beginning --max-messages $N --timeout-ms 5000 --print-partition \
  --print-offset | awk -F'\t' '{print $3, $1, $2}' | sort >"$WORK/placed"
[ "$(wc -l <"$WORK/placed")" -eq $N ] || fail "orders holds $(wc -l <"$WORK/placed") records, not $N"

RETRY=(--max-attempts 3 --retry-backoff-ms 4000,1000)
step "run 1: nack A and B (attempt 1), print the rest, exit before retry-1 is due"
"$SLUICE" consume --topic orders --group w --from-beginning --nack-matching '^(A|B)-' "${RETRY[@]}" \
  --timeout-ms 1000 >"$WORK/run1" 2>"$WORK/run1.err" || fail "run 1: $(cat "$WORK/run1.err")"
sort "$WORK/run1" | diff -u "$WORK/want_ok" - >"$WORK/diff" || fail "run 1 printed: $(head "$WORK/diff")"
grep -q "nacked $(($(wc -l <"$WORK/want_a") + $(wc -l <"$WORK/want_b"))) records" "$WORK/run1.err" ||
  fail "run 1: $(cat "$WORK/run1.err")"
for t in w.orders.retry-1 w.orders.retry-2 w.orders.dlq; do
  "$SLUICE" topic describe "$t" >"$WORK/describe" || fail "no topic $t"
  [ "$(grep -c '^  partition' "$WORK/describe")" -eq 3 ] || fail "$t: $(cat "$WORK/describe")"
  grep '^  partition' "$WORK/describe" | grep -qv 'replicas [0-9],[0-9],[0-9] ' &&
    fail "$t is not replicated three times: $(cat "$WORK/describe")"
done
"$SLUICE" topic describe w.orders.retry-3 >/dev/null 2>&1 && fail "a third retry level for max 3 attempts"

step "run 2: nack only A; B is printed on its retry, A goes on to retry-2 and then the dead-letter topic"
"$SLUICE" consume --topic orders --group w --nack-matching '^A-' "${RETRY[@]}" \
  --timeout-ms 6000 >"$WORK/run2" 2>"$WORK/run2.err" || fail "run 2: $(cat "$WORK/run2.err")"
sort "$WORK/run2" | diff -u "$WORK/want_b" - >"$WORK/diff" || fail "run 2 printed: $(head "$WORK/diff")"

step "the dead-letter topic holds exactly the A records, attempts 3, with their error and origin"
"$SLUICE" dlq list --group w --topic orders >"$WORK/dlq" || fail "dlq list"
tail -1 "$WORK/dlq" | grep -qx "records: $(wc -l <"$WORK/want_a")" || fail "dlq list: $(cat "$WORK/dlq")"
head -n -1 "$WORK/dlq" | awk -F'\t' '{print $5}' | sort | diff -u "$WORK/want_a" - >"$WORK/diff" ||
  fail "dead-lettered: $(head "$WORK/diff")"
head -n -1 "$WORK/dlq" | awk -F'\t' '$3 != 3 || $4 != "value matches --nack-matching '"'"'^A-'"'"'"' |
  grep . && fail "attempts or error wrong: $(cat "$WORK/dlq")"
head -n -1 "$WORK/dlq" | awk -F'\t' '{print $5, $1, $2}' | sort >"$WORK/origins"
join "$WORK/origins" "$WORK/placed" | awk '$2 != $4 || $3 != $5' | grep . &&
  fail "original partition/offset wrong: $(join "$WORK/origins" "$WORK/placed")"
"$SLUICE" consume --topic w.orders.dlq --from-beginning --timeout-ms 1500 --filter "t1 && sluice.attempts = '3'" \
  >"$WORK/dlq_own" || fail "filtered dlq read"
[ "$(wc -l <"$WORK/dlq_own")" -eq "$(wc -l <"$WORK/want_a")" ] || fail "records lost their own headers: $(cat "$WORK/dlq_own")"

step "nothing lost: group w lags nowhere"
"$SLUICE" group describe w >"$WORK/group"
grep '^  partition' "$WORK/group" | grep -v ' lag 0 ' && fail "group w lags: $(cat "$WORK/group")"
[ "$(grep -c '^  partition' "$WORK/group")" -eq 9 ] || fail "group w: $(cat "$WORK/group")"

step "redrive puts the A records back into orders exactly once, without sluice.* headers"
"$SLUICE" dlq redrive --group w --topic orders >"$WORK/redrive" || fail "redrive"
grep -qx "redrove $(wc -l <"$WORK/want_a") records to orders" "$WORK/redrive" || fail "redrive: $(cat "$WORK/redrive")"
"$SLUICE" dlq redrive --group w --topic orders >"$WORK/redrive2" || fail "second redrive"
grep -qx "redrove 0 records to orders" "$WORK/redrive2" || fail "second redrive: $(cat "$WORK/redrive2")"
total=$((N + $(wc -l <"$WORK/want_a")))
"$SLUICE" consume --topic orders --from-beginning --timeout-ms 2000 --isolation read_committed >"$WORK/all"
[ "$(wc -l <"$WORK/all")" -eq $total ] || fail "orders holds $(wc -l <"$WORK/all") records, not $total"
"$SLUICE" consume --topic orders --from-beginning --timeout-ms 2000 --filter "t1 && sluice.attempts IS NULL" \
  >"$WORK/clean"
[ "$(wc -l <"$WORK/clean")" -eq $total ] || fail "redriven records keep sluice.* headers or lost their own"
grep '^A-' "$WORK/all" | sort | uniq -c | awk '$1 != 2' | grep . && fail "an A record is not there twice (original + redriven)"

step "run 3: the redriven A records come to group w again (attempt 1)"
"$SLUICE" consume --topic orders --group w --timeout-ms 1500 >"$WORK/run3" || fail "run 3"
sort "$WORK/run3" | diff -u "$WORK/want_a" - >"$WORK/diff" || fail "run 3 printed: $(head "$WORK/diff")"
echo "1 passed, 0 failed"
