#!/usr/bin/env bash
# deploy/netns-cluster (issue 8): three sluiced processes, each in its own network namespace at
# 10.99.0.I (addresses that exist only inside the namespaces this test makes, under a prefix of
# its own), the CLI in a fourth. A topic of 3 partitions with replication factor 3 and
# min.insync.replicas 2 takes acks=all writes; the controller leader is cut off the network
# with iptables (not killed: its process and sockets live on, it just hears nothing), the
# majority elects a new controller and fences it, writes go on; then heal, kill -9 and
# restart another node, pause one past its session timeout. Every acknowledged record is
# read back, the ISRs grow back, and `down` leaves no namespace behind. Also: a non-root user
# is told it needs root, and the refusals of bad arguments.
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || fail "needs root for network namespaces (CI and ./tests/run run as root)"
"$ROOT/deploy/install-deps" --with iproute2 iptables util-linux >/dev/null
export SLUICE_NO_BUILD=1 SLUICED SLUICE
export SLUICE_NETNS="sit$((RANDOM % 100000))" SLUICE_NETNS_DATA="$WORK/netns"
NC="$ROOT/deploy/netns-cluster"
cat >"$WORK/cluster.conf" <<EOF
controller.election.timeout.ms=500
broker.heartbeat.interval.ms=300
broker.session.timeout.ms=2000
replica.lag.time.max.ms=3000
EOF
on_exit() {
  local rc=$?
  set +e # exiting anyway: a failed kill must not skip the rest, nor cleanup
  [ $rc -ne 0 ] && for f in "$SLUICE_NETNS_DATA"/node-*/sluiced.log; do
    echo "--- $f (last 15 lines) ---" >&2; tail -n 15 "$f" >&2
  done
  "$NC" down >/dev/null 2>&1 || true
  return $rc
}
trap 'on_exit; cleanup' EXIT
cli() { "$NC" sluice "$@"; }
namespaces() { ip netns list | awk '{print $1}' | grep -c "^$SLUICE_NETNS-" || true; }
leader_of() { cli topic describe t 2>/dev/null | awk -v p="$1" '$1 == "partition" && $2 == p {print $4}'; }
controller_leader() { cli cluster status 2>/dev/null | awk '/^controller leader/ {print $3}'; }

step "refusals: not root, an even N, unknown flags and nodes"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$NC" up 3 2>&1) && fail "up as nobody succeeded"
echo "$out" | grep -q "needs root" || fail "no 'needs root' for a non-root user: $out"
out=$("$NC" up 2 2>&1) && fail "up 2 succeeded"
echo "$out" | grep -q "1, 3 or 5" || fail "up 2: $out"
out=$("$NC" up 3 --bogus 2>&1) && fail "up --bogus succeeded"
echo "$out" | grep -q "unknown flag '--bogus'" || fail "up --bogus: $out"
out=$("$NC" kill 1 2>&1) && fail "kill without a cluster succeeded"
echo "$out" | grep -q "no netns cluster" || fail "kill without a cluster: $out"
[ "$(namespaces)" = 0 ] || fail "a refused command left namespaces"

step "up 3: one namespace per node and one for the client, addresses only inside them"
"$NC" up 3 --config "$WORK/cluster.conf" >"$WORK/up.out" || fail "up: $(cat "$WORK/up.out")"
[ "$(namespaces)" = 5 ] || fail "expected 5 namespaces (3 nodes, client, bridge), got $(namespaces)"
ip -4 addr | grep -q "10\.99\.0\." && fail "an address of 10.99.0.0/24 leaked into the host namespace"
ip netns exec "$SLUICE_NETNS-n2" ip -4 addr show eth0 | grep -q "10.99.0.2/24" || fail "node 2 has no 10.99.0.2"
cli cluster status | tee "$WORK/status" | head -4
[ "$(grep -c '^  broker .* alive' "$WORK/status")" = 3 ] || fail "not 3 live brokers: $(cat "$WORK/status")"
grep -q "10.99.0.3:9292" "$WORK/status" || fail "brokers do not advertise their namespace addresses"
out=$("$NC" cut 1 1 2>&1) && fail "cut 1 1 succeeded"
echo "$out" | grep -q "cannot be cut from itself" || fail "cut 1 1: $out"
out=$("$NC" kill 7 2>&1) && fail "kill 7 succeeded"
echo "$out" | grep -q "no node '7'" || fail "kill 7: $out"

step "topic t: 3 partitions, RF 3, min.insync.replicas 2; 3000 records with acks=all"
cli topic create t --partitions 3 --replication-factor 3 --config min.insync.replicas=2 >/dev/null
for _ in $(seq 100); do [ "$(cli topic describe t | grep -cE 'isr [0-9],[0-9],[0-9] ')" = 3 ] && break; sleep 0.1; done
seq 1 3000 | cli produce --topic t --acks all --print-acks >"$WORK/acks.tsv" 2>"$WORK/p1.err" \
  || fail "produce: $(tail -2 "$WORK/p1.err")"

CL=$(controller_leader)
[ -n "$CL" ] || fail "no controller leader"
step "isolate node $CL (the controller leader) with iptables; the majority goes on"
"$NC" isolate "$CL" >/dev/null
new=""
for _ in $(seq 100); do
  new=$(controller_leader)
  [ -n "$new" ] && [ "$new" != "$CL" ] && break
  sleep 0.1
done
[ -n "$new" ] && [ "$new" != "$CL" ] || fail "no new controller leader within 10 s of isolating $CL"
for _ in $(seq 100); do
  cli cluster status 2>/dev/null | grep -qE "^  broker $CL .* fenced" && break
  sleep 0.1
done
cli cluster status | grep -E "^  broker $CL " | grep -q fenced || fail "broker $CL not fenced: $(cli cluster status)"
for p in 0 1 2; do
  l=$(leader_of "$p")
  [ -n "$l" ] && [ "$l" != "$CL" ] && [ "$l" != -1 ] || fail "partition $p still led by $l"
done
echo "controller $new leads; broker $CL is fenced and leads nothing"
seq 3001 6000 | cli produce --topic t --acks all --print-acks --delivery-timeout-ms 30000 \
  >>"$WORK/acks.tsv" 2>"$WORK/p2.err" || fail "produce with node $CL cut off: $(tail -2 "$WORK/p2.err")"

step "heal; node $CL rejoins (unfenced, back in every ISR)"
"$NC" heal >/dev/null
for _ in $(seq 150); do
  [ "$(cli topic describe t | grep -cE 'isr [0-9],[0-9],[0-9] ')" = 3 ] \
    && ! cli cluster status | grep -q fenced && break
  sleep 0.2
done
[ "$(cli topic describe t | grep -cE 'isr [0-9],[0-9],[0-9] ')" = 3 ] || fail "ISRs not whole again: $(cli topic describe t)"

OTHER=$((CL % 3 + 1))
step "kill -9 node $OTHER and start it again; pause node $CL past its session timeout"
"$NC" kill "$OTHER" >/dev/null
seq 6001 7000 | cli produce --topic t --acks all --print-acks --delivery-timeout-ms 30000 \
  >>"$WORK/acks.tsv" 2>"$WORK/p3.err" || fail "produce with node $OTHER dead: $(tail -2 "$WORK/p3.err")"
"$NC" start "$OTHER" >/dev/null
"$NC" pause "$CL" >/dev/null
sleep 3
"$NC" resume "$CL" >/dev/null
for _ in $(seq 150); do
  [ "$(cli topic describe t | grep -cE 'isr [0-9],[0-9],[0-9] ')" = 3 ] && break
  sleep 0.2
done

step "every acknowledged record is in the log at its offset"
[ "$(wc -l <"$WORK/acks.tsv")" = 7000 ] || fail "$(wc -l <"$WORK/acks.tsv") acknowledgements for 7000 records"
cli consume --topic t --from-beginning --print-partition --print-offset --max-messages 7000 \
  --timeout-ms 10000 >"$WORK/log.tsv" || true
export LC_ALL=C
lost=$(comm -23 <(sort "$WORK/acks.tsv") <(sort "$WORK/log.tsv") | wc -l)
echo "acked: 7000  read: $(wc -l <"$WORK/log.tsv")  lost or moved: $lost"
[ "$lost" = 0 ] || fail "acknowledged records lost: $(comm -23 <(sort "$WORK/acks.tsv") <(sort "$WORK/log.tsv") | head -3)"

step "down removes every namespace it made"
"$NC" down >/dev/null
[ "$(namespaces)" = 0 ] || fail "namespaces left after down: $(ip netns list)"
echo "1 passed, 0 failed"
