#!/usr/bin/env bash
# The Kafka wire protocol listener (--kafka-listen) against real, unmodified Kafka clients from
# Debian: kcat (metadata, produce, consume, consumer group, offsets) and kafka_client, a small
# librdkafka program (tests/integration/kafka_client.c: admin create/delete, acks=all produce,
# group consume checked for exactly once). Records cross between Kafka clients and Sluice's
# own CLI both ways.
source "$(dirname "$0")/lib.sh"
: "${KAFKA_CLIENT:?set KAFKA_CLIENT to the kafka_client binary}"
command -v kcat >/dev/null || fail "kcat is not installed (deploy/install-deps installs it)"

step "a bad --kafka-listen or kafka.listen value is refused in one line"
expect_fail "kafka-listen expects HOST:PORT" \
  "$SLUICED" --node-id 1 --data-dir "$WORK/bad" --listen 127.0.0.1:1 --kafka-listen nonsense
echo "kafka.listen=127.0.0.1:99999" >"$WORK/bad.conf"
expect_fail "kafka.listen expects HOST:PORT" \
  "$SLUICED" --node-id 1 --data-dir "$WORK/bad" --listen 127.0.0.1:1 --config "$WORK/bad.conf"

NODE_PORT=$(base_port)
KPORT=$((NODE_PORT + 1))
KB=127.0.0.1:$KPORT
start_node --kafka-listen "$KB"
grep -q "serving Kafka clients on $KB" "$WORK"/node-*.log || fail "no Kafka listener line in the log"
"$SLUICE" topic create kt --partitions 3 >/dev/null

step "a second node cannot take a Kafka port in use: one line, exit 1"
rc=0
"$SLUICED" --node-id 2 --data-dir "$WORK/other" --listen "127.0.0.1:$((NODE_PORT + 2))" \
  --kafka-listen "$KB" >"$WORK/other.out" 2>"$WORK/other.err" || rc=$?
[ $rc = 1 ] || fail "second listener on $KB exited $rc"
grep -q "cannot listen for Kafka clients on $KB" "$WORK/other.err" || fail "$(cat "$WORK/other.err")"

step "kcat -L lists brokers, topics, partitions and leaders"
timeout 20 kcat -b "$KB" -L >"$WORK/meta" 2>&1 || fail "kcat -L: $(tail -3 "$WORK/meta")"
grep -q "broker 1 at $KB" "$WORK/meta" || fail "broker not advertised at $KB: $(cat "$WORK/meta")"
grep -q 'topic "kt" with 3 partitions' "$WORK/meta" || fail "kt missing: $(cat "$WORK/meta")"
[ "$(grep -c 'partition [0-2], leader 1, replicas: 1, isrs: 1' "$WORK/meta")" -ge 3 ] \
  || fail "partition leaders: $(cat "$WORK/meta")"

step "kcat -P produces 2000 keyed lines (acks=all), kcat -C -e reads every one back"
seq 1 2000 | awk '{print "key" $1 ":value-" $1}' >"$WORK/sent"
timeout 60 kcat -b "$KB" -P -t kt -K: -X acks=all -X partitioner=murmur2_random <"$WORK/sent" || fail "kcat -P failed"
timeout 60 kcat -b "$KB" -C -t kt -e -q -f '%k:%s\n' >"$WORK/got" || fail "kcat -C failed"
[ "$(wc -l <"$WORK/got")" = 2000 ] || fail "kcat read $(wc -l <"$WORK/got") records, not 2000"
diff <(sort "$WORK/sent") <(sort "$WORK/got") >/dev/null || fail "kcat read other records than it wrote"

step "keys land where Kafka's murmur2 partitioner puts them: sluice and kcat agree"
# sluice produce partitions keyed records by murmur2 like Kafka's Java client; kcat with
# partitioner=murmur2_random (above) does too, so a key lands in one partition whichever wrote it.
echo "key7:from-sluice" | "$SLUICE" produce --topic kt --key-separator : >/dev/null
timeout 20 kcat -b "$KB" -C -t kt -e -q -f '%k:%s:%p\n' | grep '^key7:' | cut -d: -f3 | sort -u >"$WORK/key7"
[ "$(wc -l <"$WORK/key7")" = 1 ] || fail "key7 is in partitions $(tr '\n' ' ' <"$WORK/key7") (sluice and kcat disagree)"

step "records kcat produced are read by sluice consume"
"$SLUICE" consume --topic kt --from-beginning --max-messages 2001 --timeout-ms 5000 --print-key \
  >"$WORK/sluice-got" || fail "sluice consume failed"
[ "$(wc -l <"$WORK/sluice-got")" = 2001 ] || fail "sluice read $(wc -l <"$WORK/sluice-got") of 2001"
grep -q "value-1999" "$WORK/sluice-got" || fail "sluice did not read value-1999"

step "records sluice produced are read by kcat"
"$SLUICE" topic create st --partitions 2 >/dev/null
# Keyed, so that both partitions get records (murmur2 of the keys).
seq 1 300 | awk '{print "k" $1 ":native-" $1}' | "$SLUICE" produce --topic st --acks all --key-separator : >/dev/null
timeout 30 kcat -b "$KB" -C -t st -e -q >"$WORK/st-got" || fail "kcat -C st failed"
diff <(seq 1 300 | sed 's/^/native-/' | sort) <(sort "$WORK/st-got") >/dev/null \
  || fail "kcat read $(wc -l <"$WORK/st-got") records of st, not the 300 sluice wrote"

step "ListOffsets: kcat -o -5 reads the last 5 records of a partition, -Q finds an offset by time"
timeout 20 kcat -b "$KB" -C -t st -p 0 -o -5 -e -q >"$WORK/tail" || fail "kcat -o -5 failed"
[ "$(wc -l <"$WORK/tail")" = 5 ] || fail "kcat -o -5 read $(wc -l <"$WORK/tail") records"
timeout 20 kcat -b "$KB" -Q -t st:0:0 >"$WORK/q" 2>&1 || fail "kcat -Q failed: $(cat "$WORK/q")"
grep -q "st \[0\] offset 0" "$WORK/q" || fail "kcat -Q: $(cat "$WORK/q")"

step "a kcat -G consumer group consumes everything and commits its offsets"
timeout 60 kcat -b "$KB" -G kgroup -X auto.offset.reset=earliest -e -q kt >"$WORK/group-got" \
  2>"$WORK/group-err" || fail "kcat -G failed: $(tail -3 "$WORK/group-err")"
[ "$(wc -l <"$WORK/group-got")" = 2001 ] || fail "kcat -G read $(wc -l <"$WORK/group-got") of 2001"
"$SLUICE" group describe kgroup >"$WORK/desc"
[ "$(grep -c 'lag 0' "$WORK/desc")" = 3 ] || fail "kgroup did not commit every partition: $(cat "$WORK/desc")"
step "a second run of the group resumes from its commits: nothing left to read"
timeout 60 kcat -b "$KB" -G kgroup -e -q kt >"$WORK/group-again" 2>/dev/null || fail "kcat -G again failed"
[ ! -s "$WORK/group-again" ] || fail "kcat -G re-read $(wc -l <"$WORK/group-again") records"

step "librdkafka: CreateTopics, acks=all produce, group consume exactly once, DeleteTopics"
"$KAFKA_CLIENT" create "$KB" kc 4 || fail "CreateTopics failed"
"$SLUICE" topic describe kc | grep -q "partitions 4\|4 partitions" || fail "kc: $("$SLUICE" topic describe kc)"
rc=0; "$KAFKA_CLIENT" create "$KB" kc 4 2>"$WORK/dup" || rc=$?
[ $rc = 1 ] && grep -qi "exists" "$WORK/dup" || fail "creating kc twice: rc $rc, $(cat "$WORK/dup")"
"$KAFKA_CLIENT" produce "$KB" kc 20000 || fail "librdkafka produce failed"
"$KAFKA_CLIENT" consume "$KB" kc cgroup 20000 || fail "librdkafka group consume failed"
"$SLUICE" group describe cgroup >"$WORK/cdesc"
[ "$(grep -c 'lag 0' "$WORK/cdesc")" = 4 ] || fail "cgroup commits: $(cat "$WORK/cdesc")"
"$SLUICE" consume --topic kc --from-beginning --max-messages 20000 --timeout-ms 5000 | sort -u | wc -l \
  >"$WORK/kc-count"
[ "$(cat "$WORK/kc-count")" = 20000 ] || fail "sluice read $(cat "$WORK/kc-count") distinct kc records"
"$KAFKA_CLIENT" delete "$KB" kc || fail "DeleteTopics failed"
"$SLUICE" topic list | grep -qx kc && fail "kc still listed after DeleteTopics"

step "malformed and truncated frames close the connection; the listener keeps serving"
send_raw() { # bytes as printf escapes; the connection may be closed under us
  exec 3<>"/dev/tcp/127.0.0.1/$KPORT" || fail "cannot connect to $KB"
  printf "$1" >&3 2>/dev/null || true
  timeout 5 cat <&3 >/dev/null 2>&1 || true
  exec 3>&- 3<&-
}
send_raw '\x7f\xff\xff\xff'                               # size far above the limit
send_raw '\x00\x00\x00\x02\x00\x03'                       # size below a header
send_raw '\x00\x00\x00\x0a\x00\x03\x00\x01\x00\x00\x00\x07\x00\x05'  # Metadata, client id cut short
send_raw '\x00\x00\x00\x0e\x00\x00\x00\x03\x00\x00\x00\x08\xff\xff\xff\xff\x00\x01' # Produce v3 cut short
send_raw '\x00\x00\x00\x0a\x00\x2a\x00\x00\x00\x00\x00\x09\xff\xff'  # an API it does not serve
send_raw '\x00\x00\x00\x0a\x00\x03\x00\x09\x00\x00\x00\x0a\xff\xff'  # Metadata v9 (not advertised)
kill -0 "$NODE_PID" || fail "sluiced died on malformed Kafka frames"
timeout 20 kcat -b "$KB" -L -t kt >/dev/null 2>&1 || fail "listener does not serve after malformed frames"

step "kcat -z gzip still delivers: librdkafka leaves batches uncompressed for this broker"
# Sluice stores uncompressed batches only (a compressed one is refused: kafka_codec_test), and
# advertises no API version that would make librdkafka compress.
head -c 5000 /dev/zero | tr '\0' z >"$WORK/zval"; echo >>"$WORK/zval"
timeout 20 kcat -b "$KB" -P -t st -p 1 -z gzip <"$WORK/zval" || fail "kcat -z gzip failed"
timeout 20 kcat -b "$KB" -C -t st -p 1 -o -1 -e -q | grep -q '^zzzzz' || fail "gzip record not read back"

stop_node TERM
[ "$STOP_RC" = 0 ] || fail "sluiced exited $STOP_RC on SIGTERM"

step "a cluster of 3: every node serves Kafka clients and Metadata names each one's listener"
use_cluster
CB=$BASE
cluster up 3 --base-port "$CB" --config "$WORK/cluster.conf" --kafka 100 >"$WORK/up.out" 2>&1 \
  || fail "cluster up: $(tail -5 "$WORK/up.out")"
export SLUICE_BOOTSTRAP=127.0.0.1:$((CB + 1))
"$SLUICE" topic create ct --partitions 3 --replication-factor 3 >/dev/null
timeout 20 kcat -b "127.0.0.1:$((CB + 101))" -L -t ct >"$WORK/cmeta" 2>&1 || fail "kcat -L: $(cat "$WORK/cmeta")"
for i in 1 2 3; do
  grep -q "broker $i at 127.0.0.1:$((CB + 100 + i))" "$WORK/cmeta" || fail "broker $i: $(cat "$WORK/cmeta")"
done
seq 1 3000 | awk '{print "k" $1 ":c-" $1}' | timeout 60 kcat -b "127.0.0.1:$((CB + 102))" -P -t ct -K: -X acks=all \
  -X partitioner=murmur2_random || fail "kcat -P to the cluster failed"
timeout 60 kcat -b "127.0.0.1:$((CB + 103))" -G cgroup -X auto.offset.reset=earliest -e -q ct \
  >"$WORK/cgot" 2>/dev/null || fail "kcat -G on the cluster failed"
diff <(seq 1 3000 | sed 's/^/c-/' | sort) <(sort "$WORK/cgot") >/dev/null \
  || fail "the cluster group read $(wc -l <"$WORK/cgot") records, not the 3000 written"
"$SLUICE" group describe cgroup >"$WORK/cgdesc"
[ "$(grep -c 'lag 0' "$WORK/cgdesc")" = 3 ] || fail "cgroup commits: $(cat "$WORK/cgdesc")"
cluster down >/dev/null
echo "1 passed, 0 failed"
