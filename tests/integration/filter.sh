#!/usr/bin/env bash
# Message filtering with real processes (README "Message filtering"): records tagged by
# `sluice produce` (--header-separator per record, --tags for all), read back with
# `sluice consume --filter`: exactly the matching records come back, in offset order; a bad
# expression is refused in one line naming the position; a group's commit after a filtered
# consume lands past the filtered records (the tail of the log matches nothing), so the next
# consume of the group reads only what came after.
source "$(dirname "$0")/lib.sh"

N=300
start_node
"$SLUICE" topic create ft --partitions 1 >/dev/null

step "produce $N records with tags, region and priority headers, then 20 more without them"
# record i: tags "ten" when i % 10 == 0, always "n$i" and "even"/"odd"; region eu when
# i % 3 == 0 else us; priority i % 7.
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) {
  t = (i % 10 == 0 ? "ten," : "") "n" i "," (i % 2 == 0 ? "even" : "odd")
  printf "tags=%s;region=%s;priority=%d|v%d\n", t, (i % 3 == 0 ? "eu" : "us"), i % 7, i } }' >"$WORK/in"
"$SLUICE" produce --topic ft --header-separator '|' <"$WORK/in" || fail "produce with headers"
seq 1 10 | sed 's/^/late/' | "$SLUICE" produce --topic ft --tags late,x || fail "produce --tags"
seq 1 10 | sed 's/^/plain/' | "$SLUICE" produce --topic ft || fail "produce without headers"
TOTAL=$((N + 20))

# check FILTER EXPECTED_FILE: a plain (no group) filtered read from offset 0 prints exactly these.
check() {
  "$SLUICE" consume --topic ft --partition 0 --offset earliest --filter "$1" --timeout-ms 1500 \
    --print-offset >"$WORK/got" 2>"$WORK/err" || fail "consume --filter '$1': $(cat "$WORK/err")"
  diff -u "$2" "$WORK/got" >"$WORK/diff" || fail "filter '$1': $(head -20 "$WORK/diff")"
}

step "tag expressions"
awk -v n=$N 'BEGIN { for (i = 0; i < n; i += 10) printf "%d\tv%d\n", i, i }' >"$WORK/want"
check "ten" "$WORK/want"
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) if (i % 10 == 0 || i == 7) printf "%d\tv%d\n", i, i }' >"$WORK/want"
check "ten || n7" "$WORK/want"
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) if (i % 2 == 1 && !(i % 5 == 0)) printf "%d\tv%d\n", i, i }' >"$WORK/want"
check "odd && !(tags IN ('n5','n15','n25','n35','n45','n55','n65','n75','n85','n95','n105','n115','n125','n135','n145','n155','n165','n175','n185','n195','n205','n215','n225','n235','n245','n255','n265','n275','n285','n295'))" "$WORK/want"

step "SQL-like header tests"
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) if (i % 3 == 0 && i % 7 > 3) printf "%d\tv%d\n", i, i }' >"$WORK/want"
check "region = 'eu' AND priority > 3" "$WORK/want"
seq 1 10 | awk -v n=$N '{ printf "%d\tlate%d\n", n + $1 - 1, $1 }' >"$WORK/want"
check "tags IN ('late') AND region IS NULL" "$WORK/want"
seq 1 10 | awk -v n=$N '{ printf "%d\tplain%d\n", n + 9 + $1, $1 }' >"$WORK/want"
check "tags IS NULL" "$WORK/want"
: >"$WORK/want"
check "nothing_has_this_tag" "$WORK/want"

step "bad expressions are refused in one line naming the position"
expect_fail "position 3: unknown operator '~'" "$SLUICE" consume --topic ft --filter "a ~ b" --timeout-ms 500
expect_fail "position 6: unknown function 'lower'" "$SLUICE" consume --topic ft --filter "a && lower(r) = 'x'" --timeout-ms 500
expect_fail "position 8: expected '\)'" "$SLUICE" consume --topic ft --filter "a && (b" --timeout-ms 500
expect_fail "longer than the limit of 4096" "$SLUICE" consume --topic ft --filter "$(head -c 5000 /dev/zero | tr '\0' a)" --timeout-ms 500
expect_fail "position 2: empty filter" "$SLUICE" perf consume --topic ft --records 1 --filter " "

step "a group's filtered consume commits past the filtered tail"
"$SLUICE" consume --topic ft --group g --from-beginning --filter ten --timeout-ms 2000 \
  --auto-commit-interval-ms 200 >"$WORK/g1" 2>"$WORK/g1.err" || fail "group consume: $(cat "$WORK/g1.err")"
awk -v n=$N 'BEGIN { for (i = 0; i < n; i += 10) printf "v%d\n", i }' >"$WORK/want"
diff -u "$WORK/want" "$WORK/g1" >"$WORK/diff" || fail "group g read: $(head -20 "$WORK/diff")"
"$SLUICE" group describe g >"$WORK/describe"
grep -qE "ft/0.*committed $TOTAL( |$)" "$WORK/describe" ||
  fail "the commit did not land past the filtered records (log end $TOTAL): $(cat "$WORK/describe")"
printf 'tags=ten|again1\ntags=odd|skipped\ntags=ten|again2\n' | "$SLUICE" produce --topic ft --header-separator '|' ||
  fail "produce more"
"$SLUICE" consume --topic ft --group g --filter ten --timeout-ms 1500 >"$WORK/g2" || fail "second group consume"
printf 'again1\nagain2\n' | diff -u - "$WORK/g2" >"$WORK/diff" || fail "second read of g: $(cat "$WORK/diff")"

step "the partition's inspect counts what the filter kept"
"$SLUICE" inspect >"$WORK/inspect" 2>&1 || true
grep -q "filtered_fetches" "$WORK/inspect" || fail "inspect shows no filter counters: $(head -c 600 "$WORK/inspect")"

echo "1 passed, 0 failed"
