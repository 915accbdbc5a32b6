#!/usr/bin/env bash
# A 3-node cluster of real sluiced processes (deploy/cluster up 3), every node a controller:
# placement over the brokers, R above the live brokers refused, kill -9 of the controller
# leader, a new leader within 2x the election timeout, topic creation and cluster status
# through the survivors, the dead broker fenced, and the old leader restarting and catching up.
source "$(dirname "$0")/lib.sh"

ELECTION_MS=500 # randomised in [500, 1000)
use_cluster controller.election.timeout.ms=$ELECTION_MS

stop_cluster() { cluster down >/dev/null 2>&1 || true; }
leader_seen_by() { on "$1" cluster status 2>/dev/null | awk '/^controller leader/ {print $3}'; }
now_ms() { date +%s%3N; }

step "deploy/cluster up 3"
cluster up 3 --base-port "$BASE" --config "$WORK/cluster.conf" >"$WORK/up.out" \
  || fail "cluster up: $(cat "$WORK/up.out")"
grep -q "bootstrap: 127.0.0.1:$(port 1)" "$WORK/up.out" || fail "no bootstrap line: $(cat "$WORK/up.out")"

step "every broker registers; one leader, seen alike by every node"
for _ in $(seq 100); do
  [ "$(on 1 cluster status 2>/dev/null | grep -c ' alive ')" = 3 ] && break
  sleep 0.1
done
on 1 cluster status >"$WORK/status" || fail "cluster status: $(cat "$WORK/status")"
cat "$WORK/status"
[ "$(grep -c '^  controller ' "$WORK/status")" = 3 ] || fail "expected 3 controllers"
[ "$(grep -c '^  broker .* alive ' "$WORK/status")" = 3 ] || fail "expected 3 alive brokers"
LEADER=$(leader_seen_by 1)
[[ "$LEADER" =~ ^[1-3]$ ]] || fail "no leader in: $(cat "$WORK/status")"
for n in 2 3; do [ "$(leader_seen_by $n)" = "$LEADER" ] || fail "node $n sees another leader"; done

step "placement spreads replicas over the brokers; R above the live brokers is refused"
on 2 topic create placed --partitions 6 --replication-factor 3 >/dev/null
on 3 topic describe placed >"$WORK/describe"
for n in 1 2 3; do
  # every partition lists all three brokers; each broker is the preferred leader of two
  [ "$(grep -cE "leader $n " "$WORK/describe")" = 2 ] || fail "broker $n does not lead 2 of 6: $(cat "$WORK/describe")"
done
expect_fail "replication factor.*3.*live broker|live broker.*3" on 1 topic create toomany --replication-factor 4
on 1 topic list | grep -qx placed || fail "topic list on node 1 misses 'placed'"

step "kill -9 the controller leader (node $LEADER); a new leader within 2x the election timeout"
SURVIVOR=$((LEADER % 3 + 1))
killed_at=$(now_ms)
cluster kill "$LEADER" >/dev/null
NEW=""
for _ in $(seq 200); do
  NEW=$(leader_seen_by "$SURVIVOR" || true)
  [ -n "$NEW" ] && [ "$NEW" != "$LEADER" ] && [ "$NEW" != -1 ] && break
  NEW=""
  sleep 0.02
done
elected_at=$(now_ms)
[ -n "$NEW" ] || fail "no new leader within 4 s"
# The leader's own log says when it won (sluiced logs "2026-11-25T03:04:22.962 info ...");
# the poll above only bounds it from above.
log_ms=$(grep -h "leader of term" "$SLUICE_CLUSTER_DATA/node-$NEW/sluiced.log" | tail -1 \
         | awk '{print $1}' | sed 's/T/ /' | xargs -I{} date -d "{}" +%s%3N 2>/dev/null || true)
took=$(( ${log_ms:-$elected_at} - killed_at ))
[ $took -lt 0 ] && took=$((elected_at - killed_at))
echo "new leader $NEW after ${took} ms (poll saw it after $((elected_at - killed_at)) ms; limit $((4 * ELECTION_MS)) ms)"
[ $took -le $((4 * ELECTION_MS)) ] || fail "failover took ${took} ms > 2x the election timeout"

step "topic creation and cluster status keep working through the survivors"
on "$SURVIVOR" topic create after-failover --partitions 4 >/dev/null
OTHER=$((SURVIVOR % 3 + 1)); [ "$OTHER" = "$LEADER" ] && OTHER=$((OTHER % 3 + 1))
on "$OTHER" topic list | grep -qx after-failover || fail "node $OTHER does not list the new topic"
for _ in $(seq 100); do
  on "$SURVIVOR" cluster status | grep -qE "^  broker $LEADER .* fenced " && break
  sleep 0.1
done
on "$SURVIVOR" cluster status >"$WORK/status2"
cat "$WORK/status2"
grep -qE "^  broker $LEADER .* fenced " "$WORK/status2" || fail "dead broker $LEADER not fenced"
grep -q "^controller leader $NEW " "$WORK/status2" || fail "status does not name leader $NEW"
on "$SURVIVOR" topic describe placed | grep -qE "leader $LEADER " && fail "fenced broker $LEADER still leads"

step "the old leader restarts and catches up"
cluster start "$LEADER" >/dev/null
on "$LEADER" topic list >"$WORK/list"
grep -qx after-failover "$WORK/list" && grep -qx placed "$WORK/list" \
  || fail "restarted node $LEADER misses topics: $(cat "$WORK/list")"
for _ in $(seq 100); do
  on "$LEADER" cluster status | grep -qE "^  broker $LEADER .* alive " && break
  sleep 0.1
done
on "$LEADER" cluster status >"$WORK/status3"
cat "$WORK/status3"
grep -qE "^  broker $LEADER .* alive " "$WORK/status3" || fail "broker $LEADER not alive again"
commit=$(awk '/^controller leader/ {print $7}' "$WORK/status3")
match=$(awk -v n="$LEADER" '$1 == "controller" && $2 == n {print $6}' "$WORK/status3")
[ "$match" -ge $((commit - 2)) ] || fail "controller $LEADER matches $match of $commit"

step "records go through a cluster node"
seq 1 100 | on "$LEADER" produce --topic after-failover >/dev/null
[ "$(on "$LEADER" consume --topic after-failover --from-beginning --max-messages 100 --timeout-ms 5000 | wc -l)" = 100 ] \
  || fail "consume after failover"

step "a data dir of the other mode is refused, nothing removed"
expect_fail "cluster node.*--controllers" "$SLUICED" --node-id 1 --data-dir "$SLUICE_CLUSTER_DATA/node-1" \
  --listen 127.0.0.1:$((BASE + 9))
mkdir -p "$WORK/single/meta"
expect_fail "single node.*data dir of its own" "$SLUICED" --node-id 1 --data-dir "$WORK/single" \
  --listen 127.0.0.1:$((BASE + 9)) --controllers "1@127.0.0.1:$((BASE + 9))"
[ -d "$SLUICE_CLUSTER_DATA/node-1/raft" ] || fail "node 1 lost its raft dir"
expect_fail "must list this node" "$SLUICED" --node-id 7 --data-dir "$WORK/x" \
  --listen 127.0.0.1:$((BASE + 9)) --controllers "1@127.0.0.1:$((BASE + 1))"
expect_fail "1, 3 or 5" "$ROOT/deploy/cluster" up 2 --base-port "$BASE"
expect_fail "N must be 1..5" "$ROOT/deploy/cluster" up 6
expect_fail "no node '9'" "$ROOT/deploy/cluster" kill 9

step "deploy/cluster status and down"
cluster status >"$WORK/cstatus" || fail "deploy/cluster status: $(cat "$WORK/cstatus")"
[ "$(grep -c ' running ' "$WORK/cstatus")" = 3 ] || fail "deploy/cluster status: $(cat "$WORK/cstatus")"
cluster down >/dev/null
for n in 1 2 3; do [ -f "$SLUICE_CLUSTER_DATA/node-$n/sluiced.pid" ] && fail "node $n still has a pid file"; done

step "a node waiting for its quorum stops on SIGTERM"
"$SLUICED" --node-id 1 --data-dir "$SLUICE_CLUSTER_DATA/node-1" --listen "127.0.0.1:$((BASE + 1))" \
  --controllers "1@127.0.0.1:$((BASE + 1)),2@127.0.0.1:$((BASE + 2)),3@127.0.0.1:$((BASE + 3))" \
  >"$WORK/alone.log" 2>&1 &
alone=$!
sleep 1
kill -TERM "$alone"
for _ in $(seq 50); do kill -0 "$alone" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$alone" 2>/dev/null; then kill -9 "$alone"; fail "SIGTERM did not stop a starting node"; fi
grep -q "stopped while starting" "$WORK/alone.log" || fail "no stop line: $(tail -3 "$WORK/alone.log")"

echo "1 passed, 0 failed"
