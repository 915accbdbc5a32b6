#!/usr/bin/env bash
# Filtering in a 3-node cluster: a consumer's filtered reads from the leader of a partition of
# replication factor 3 return only matches, while the followers' replica fetches are never
# filtered: after kill -9 of that leader, the new leader (a former follower) serves every
# record, matching or not, in order.
source "$(dirname "$0")/lib.sh"

use_cluster

step "deploy/cluster up 3; topic fr with 1 partition, replication factor 3"
cluster up 3 --base-port "$BASE" --config "$WORK/cluster.conf" >"$WORK/up.out" || fail "cluster up: $(cat "$WORK/up.out")"
for _ in $(seq 100); do
  on 1 topic create fr --partitions 1 --replication-factor 3 >/dev/null 2>&1 && break
  sleep 0.2
done
for _ in $(seq 100); do
  l=$(leader_of fr 0)
  [ -n "$l" ] && [ "$l" != -1 ] && break
  sleep 0.1
done

step "produce 200 records (acks=all), every fifth tagged hot"
seq 0 199 | awk '{ printf "tags=%s|v%d\n", ($1 % 5 == 0 ? "hot" : "cold"), $1 }' |
  on 1 produce --topic fr --header-separator '|' --acks all || fail "produce"
on 1 consume --topic fr --from-beginning --filter hot --timeout-ms 2000 >"$WORK/hot" || fail "filtered consume"
seq 0 5 199 | sed 's/^/v/' | diff -u - "$WORK/hot" >"$WORK/diff" || fail "filtered read: $(head "$WORK/diff")"

step "kill -9 the leader; the new leader serves every record"
LEADER=$(leader_of fr 0)
cluster kill "$LEADER" >/dev/null
SURVIVOR=$((LEADER % 3 + 1))
for _ in $(seq 150); do
  l=$(leader_of fr 0 "$SURVIVOR")
  [ -n "$l" ] && [ "$l" != -1 ] && [ "$l" != "$LEADER" ] && break
  sleep 0.1
done
[ "$(leader_of fr 0 "$SURVIVOR")" != "$LEADER" ] || fail "no new leader after killing $LEADER"
on "$SURVIVOR" consume --topic fr --from-beginning --max-messages 200 --timeout-ms 5000 >"$WORK/all" ||
  fail "consume from the new leader"
seq 0 199 | sed 's/^/v/' | diff -u - "$WORK/all" >"$WORK/diff" || fail "the new leader lacks records: $(head "$WORK/diff")"
on "$SURVIVOR" consume --topic fr --from-beginning --filter "!hot" --timeout-ms 2000 | wc -l | grep -qx 160 ||
  fail "the new leader's filtered read"

echo "1 passed, 0 failed"
