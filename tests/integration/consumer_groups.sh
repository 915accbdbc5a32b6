#!/usr/bin/env bash
# Consumer groups with real processes: three `sluice consume --group` members share a
# 12-partition topic while a producer writes; one is killed with -9 and the other two take its
# partitions after the session timeout. Every record is printed at least once, and a record is
# printed twice only if the killed member printed it after its last commit (a suffix of what it
# printed of that partition). A second group reads everything on its own. Then the offsets
# of the now empty group are reset, which is refused while the group has a member.
source "$(dirname "$0")/lib.sh"

N=6000
start_node
"$SLUICE" topic create cg --partitions 12 >/dev/null

member() { # member NAME GROUP: a consumer in the background, PID in $WORK/NAME.pid
  "$SLUICE" consume --topic cg --group "$2" --from-beginning --print-partition --timeout-ms 8000 \
    --session-timeout-ms 1500 --heartbeat-interval-ms 200 --auto-commit-interval-ms 300 \
    >"$WORK/$1.out" 2>"$WORK/$1.err" &
  echo $! >"$WORK/$1.pid"
}

# wait_members GROUP N: until the group is stable with N members (bounded).
wait_members() {
  for _ in $(seq 300); do
    "$SLUICE" group describe "$1" 2>/dev/null | head -1 | grep -q "state stable .* members $2\$" && return 0
    sleep 0.1
  done
  fail "group $1 did not become stable with $2 members: $("$SLUICE" group describe "$1" 2>&1 | head -1)"
}

step "three members join group g, one member joins group other"
member m1 g
member m2 g
member m3 g
member o1 other
wait_members g 3
wait_members other 1
"$SLUICE" group describe g >"$WORK/describe"
[ "$(grep -c '^  member ' "$WORK/describe")" -eq 3 ] || fail "describe: $(cat "$WORK/describe")"
"$SLUICE" group list | grep -q "^g	stable	3$" || fail "group list: $("$SLUICE" group list)"

step "produce $N records; kill -9 one member a third of the way in"
producer() {
  local i
  for i in $(seq 0 29); do
    seq $((i * N / 30 + 1)) $(((i + 1) * N / 30)) | sed 's/.*/k&:v&/' |
      "$SLUICE" produce --topic cg --key-separator : >/dev/null || return 1
    sleep 0.05
  done
}
producer &
ppid=$!
for _ in $(seq 200); do
  [ "$(cat "$WORK"/m*.out | wc -l)" -ge $((N / 3)) ] && break
  sleep 0.05
done
victim=$(cat "$WORK/m2.pid")
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
wait "$ppid" || fail "the producer failed"

step "the survivors take over the killed member's partitions"
wait_members g 2
"$SLUICE" group describe g >"$WORK/describe"
owned=$(grep -c '^  partition .* member g' "$WORK/describe" || true)
[ "$owned" -eq 12 ] || fail "after the kill, $owned of 12 partitions are owned: $(cat "$WORK/describe")"

step "members exit after 8 s idle"
for m in m1 m3 o1; do
  pid=$(cat "$WORK/$m.pid")
  for _ in $(seq 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && fail "$m did not exit"
  wait "$pid" || fail "$m failed: $(cat "$WORK/$m.err")"
done

step "every record at least once; duplicates only from the killed member's uncommitted tail"
seq 1 $N | sed 's/^/v/' | sort >"$WORK/expected"
cut -f2 "$WORK"/m1.out "$WORK"/m2.out "$WORK"/m3.out | sort -u >"$WORK/seen"
missing=$(comm -23 "$WORK/expected" "$WORK/seen" | wc -l)
[ "$missing" -eq 0 ] || fail "group g missed $missing records, e.g. $(comm -23 "$WORK/expected" "$WORK/seen" | head -3 | tr '\n' ' ')"
cut -f2 "$WORK"/m1.out "$WORK"/m3.out | sort >"$WORK/survivors"
cut -f2 "$WORK"/m2.out | sort >"$WORK/victim"
dups=$(cat "$WORK/survivors" "$WORK/victim" | uniq -d | sort -u)
[ -z "$(cut -f2 "$WORK"/m1.out "$WORK"/m3.out | sort | uniq -d)" ] || fail "the survivors printed a record twice"
# Per partition, the victim's duplicated records must be the last ones it printed there.
echo "$dups" >"$WORK/dups"
awk -F'\t' 'NR == FNR { dup[$1] = 1; next }
            { if ($2 in dup) seen_dup[$1] = 1; else if ($1 in seen_dup) bad = 1 }
            END { exit bad }' "$WORK/dups" "$WORK/m2.out" ||
  fail "a record the killed member printed before its last commit was delivered again"
echo "   $(wc -l <"$WORK/m2.out") printed by the killed member, $(grep -c . "$WORK/dups" || true) printed again"

step "group other received everything"
cut -f2 "$WORK/o1.out" | sort -u >"$WORK/other"
cmp -s "$WORK/expected" "$WORK/other" || fail "group other saw $(wc -l <"$WORK/other") of $N distinct records"

step "committed offsets: lag 0 once everything is read"
"$SLUICE" group describe other >"$WORK/describe"
grep -q "state empty" "$WORK/describe" || fail "group other is not empty after its member left: $(head -1 "$WORK/describe")"
grep '^  partition' "$WORK/describe" | grep -vq 'lag 0 ' && fail "lag left: $(cat "$WORK/describe")"

step "reset-offsets is refused while the group has a member"
member r1 other
wait_members other 1
expect_fail "member" "$SLUICE" group reset-offsets other --topic cg --to-earliest
kill "$(cat "$WORK/r1.pid")"
wait "$(cat "$WORK/r1.pid")" 2>/dev/null || true

step "reset-offsets to earliest, then the group reads everything again"
for _ in $(seq 100); do
  "$SLUICE" group describe other | head -1 | grep -q "members 0" && break
  sleep 0.1
done
"$SLUICE" group reset-offsets other --topic cg --to-earliest >"$WORK/reset" || fail "reset-offsets failed"
[ "$(awk '{ s += $3 } END { print s }' "$WORK/reset")" -eq 0 ] || fail "reset: $(cat "$WORK/reset")"
"$SLUICE" group describe other | grep -q "lag " || fail "describe after reset"
"$SLUICE" consume --topic cg --group other --max-messages $N --timeout-ms 8000 | sort -u >"$WORK/again"
cmp -s "$WORK/expected" "$WORK/again" || fail "after the reset, group other read $(wc -l <"$WORK/again") distinct records"
"$SLUICE" group reset-offsets other --topic cg --to-offset 5 --dry-run | grep -q "	cg/0	5$" ||
  fail "dry run of --to-offset"

echo "1 passed, 0 failed"
