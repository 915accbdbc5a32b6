#!/usr/bin/env bash
# TLS (tls.enabled, CAF's OpenSSL module): certificates from deploy/make-certs, a 3-node cluster
# with TLS on every link (deploy/cluster up 3 --tls), a replicated topic produced and consumed
# through the TLS CLI; refused with one line and the nodes serving on: a plaintext client, a
# client or node whose certificate another CA signed, a TLS client at a plaintext node; a node
# or client whose files cannot serve refuses to start.
source "$(dirname "$0")/lib.sh"

CERTS="$WORK/certs" OTHER="$WORK/other-ca"
use_cluster

STRAY=""
kill_on_exit STRAY
tls_env() { # tls_env DIR NAME: the CLI's TLS variables for DIR/NAME.{pem,key} and DIR/ca.pem
  export SLUICE_TLS_CA="$1/ca.pem" SLUICE_TLS_CERTIFICATE="$1/$2.pem" SLUICE_TLS_KEY="$1/$2.key"
}
plain() { ( unset SLUICE_TLS_CA SLUICE_TLS_CERTIFICATE SLUICE_TLS_KEY; "$@" ); }
# refused PATTERN CMD...: expect_fail, and show the line a user gets.
refused() { expect_fail "$@"; echo "  refused: $(cat "$WORK/err")"; }
links_lost() { cat "$SLUICE_CLUSTER_DATA"/node-*/sluiced.log | grep -c "lost controller" || true; }

step "deploy/make-certs: a CA, 3 node certificates and a client's; and another CA"
"$ROOT/deploy/make-certs" "$CERTS" --nodes 3 >/dev/null
"$ROOT/deploy/make-certs" "$OTHER" --nodes 1 >/dev/null
for f in ca node-1 node-2 node-3 client; do
  openssl verify -CAfile "$CERTS/ca.pem" "$CERTS/$f.pem" >/dev/null || fail "$f.pem does not verify"
done
openssl x509 -in "$CERTS/node-2.pem" -noout -ext subjectAltName | grep -q "IP Address:10.99.0.2" \
  || fail "node-2.pem lacks its netns address"
[ "$(stat -c %a "$CERTS/node-1.key")" = 600 ] || fail "node-1.key is not mode 600"
expect_fail "nodes expects 1..99" "$ROOT/deploy/make-certs" "$WORK/x" --nodes 0

step "a node whose TLS files cannot serve refuses to start, naming the setting and file"
# bad_node NAME LINES...: node 9 with a config of these lines must exit 2 with one line.
bad_node() {
  local pattern=$1 rc=0
  shift
  printf '%s\n' "$@" >"$WORK/bad.conf"
  refused "$pattern" "$SLUICED" --node-id 9 --data-dir "$WORK/bad" --listen "127.0.0.1:$(port 9)" \
    --config "$WORK/bad.conf"
  "$SLUICED" --node-id 9 --data-dir "$WORK/bad" --listen "127.0.0.1:$(port 9)" --config "$WORK/bad.conf" \
    >/dev/null 2>&1 || rc=$?
  [ $rc = 2 ] || fail "exit $rc, not 2, for: $*"
}
bad_node "tls.key $WORK/missing.key: cannot read it" tls.enabled=true "tls.certificate=$CERTS/node-1.pem" \
  "tls.key=$WORK/missing.key" "tls.ca=$CERTS/ca.pem"
bad_node "tls.enabled needs tls.certificate" tls.enabled=true
bad_node "tls.key .*node-2.key does not match the certificate in tls.certificate .*node-1.pem" tls.enabled=true \
  "tls.certificate=$CERTS/node-1.pem" "tls.key=$CERTS/node-2.key" "tls.ca=$CERTS/ca.pem"
bad_node "tls.certificate .*other-ca/node-1.pem does not verify against tls.ca" tls.enabled=true \
  "tls.certificate=$OTHER/node-1.pem" "tls.key=$OTHER/node-1.key" "tls.ca=$CERTS/ca.pem"
bad_node "tls.ca .*node-1.key: no PEM CA certificate" tls.enabled=true \
  "tls.certificate=$CERTS/node-1.pem" "tls.key=$CERTS/node-1.key" "tls.ca=$CERTS/node-1.key"
bad_node "tls.enabled must be true or false" tls.enabled=yes
[ -e "$WORK/bad/meta" ] && fail "a refused node made its data dir"

step "deploy/cluster up 3 --tls: TLS on every link"
cluster up 3 --base-port "$BASE" --config "$WORK/cluster.conf" --tls "$CERTS" >"$WORK/up.out" \
  || fail "cluster up: $(cat "$WORK/up.out")"
grep -q "SLUICE_TLS_CA=$CERTS/ca.pem" "$WORK/up.out" || fail "up does not say how to reach it: $(cat "$WORK/up.out")"
grep -q "TLS on every link" "$SLUICE_CLUSTER_DATA/node-1/sluiced.log" || fail "node 1 does not log TLS on"
tls_env "$CERTS" client
for _ in $(seq 100); do
  [ "$(on 1 cluster status 2>/dev/null | grep -c ' alive ')" = 3 ] && break
  sleep 0.1
done
on 1 cluster status >"$WORK/status" || fail "cluster status: $(cat "$WORK/status")"
[ "$(grep -c '^  broker .* alive ' "$WORK/status")" = 3 ] || fail "expected 3 alive brokers: $(cat "$WORK/status")"
# The port speaks TLS with the node's certificate and asks for the client's.
echo | openssl s_client -connect "127.0.0.1:$(port 2)" -CAfile "$CERTS/ca.pem" -cert "$CERTS/client.pem" \
  -key "$CERTS/client.key" -verify_return_error >"$WORK/s_client" 2>&1 || true
grep -q "Verify return code: 0 (ok)" "$WORK/s_client" || fail "node 2 does not speak TLS: $(tail -5 "$WORK/s_client")"
grep -q "CN = sluice-node-2" "$WORK/s_client" || fail "node 2 does not show its certificate"

step "a replicated topic: produce acks=all and consume through TLS (replicas fetch over TLS)"
on 2 topic create secure --partitions 3 --replication-factor 3 --config min.insync.replicas=2 >/dev/null
seq 1 3000 | on 1 produce --topic secure --acks all || fail "produce over TLS"
on 3 consume --topic secure --from-beginning --max-messages 3000 --timeout-ms 5000 | sort -n >"$WORK/got"
seq 1 3000 | diff -q - "$WORK/got" >/dev/null || fail "consumed $(wc -l <"$WORK/got") of 3000 records"
# The high watermark, below which consumers read, is the lowest log end of the ISR: with all
# three replicas still in it, both followers of every partition fetched everything over TLS.
[ "$(on 2 topic describe secure | grep -c 'isr [1-3],[1-3],[1-3] ')" = 3 ] \
  || fail "not every replica in sync: $(on 2 topic describe secure)"
# A group's coordinator may sit on another node than the one asked: forwarded over TLS.
[ "$(on 2 consume --topic secure --group g --from-beginning --max-messages 3000 --timeout-ms 5000 | wc -l)" = 3000 ] \
  || fail "group consume over TLS"

# sluice inspect dials every node itself.
on 1 inspect >"$WORK/inspect" || fail "inspect over TLS: $(head -3 "$WORK/inspect")"
[ "$(head -1 "$WORK/inspect")" = "3 nodes  3 answered  0 unreachable" ] || fail "inspect: $(head -1 "$WORK/inspect")"

step "refused in one line, the nodes serving on: a plaintext client, another CA's client"
lost_before=$(links_lost)
refused "node at 127.0.0.1:$(port 1).*a node with TLS on refuses connections without TLS" plain on 1 topic list
tls_env "$OTHER" client
refused "cannot reach node at 127.0.0.1:$(port 1).*TLS handshake failed" on 1 topic list
# Its own certificate is fine but it does not trust the nodes' CA.
export SLUICE_TLS_CA="$OTHER/ca.pem" SLUICE_TLS_CERTIFICATE="$CERTS/client.pem" SLUICE_TLS_KEY="$CERTS/client.key"
refused "TLS handshake failed" on 2 topic list
tls_env "$CERTS" client
on 1 topic list | grep -qx secure || fail "node 1 stopped serving after the refusals"
for n in 1 2 3; do kill -0 "$(cat "$SLUICE_CLUSTER_DATA/node-$n/sluiced.pid")" || fail "node $n died"; done
# A failed handshake once left an OpenSSL error behind that closed other links (net/tls.cpp).
seq 1 100 | on 3 produce --topic secure --acks all || fail "produce after the refusals"
[ "$(links_lost)" = "$lost_before" ] || fail "links between nodes dropped after the refusals"

step "node 1's files replaced while it runs: it keeps what it read at start"
rm "$CERTS/node-1.key"
echo "half written" >"$CERTS/node-1.pem"
on 1 topic list | grep -qx secure || fail "node 1 refused a client after its files changed"
kill -0 "$(cat "$SLUICE_CLUSTER_DATA/node-1/sluiced.pid")" || fail "node 1 died after its files changed"

step "a client whose files cannot serve is refused before connecting"
refused "TLS needs --tls-ca, --tls-certificate and --tls-key .*missing: --tls-key" \
  plain "$SLUICE" --tls-ca "$CERTS/ca.pem" --tls-certificate "$CERTS/client.pem" topic list
refused "tls-key \(env SLUICE_TLS_KEY\) $WORK/none.key: cannot read it" \
  on 1 --tls-key "$WORK/none.key" topic list
refused "tls-key .*node-2.key does not match the certificate in --tls-certificate" \
  on 1 --tls-key "$CERTS/node-2.key" topic list

step "a node whose certificate another CA signed cannot join"
cat "$WORK/cluster.conf" - >"$WORK/stray.conf" <<EOF
tls.enabled=true
tls.certificate=$OTHER/node-1.pem
tls.key=$OTHER/node-1.key
tls.ca=$OTHER/ca.pem
EOF
"$SLUICED" --node-id 4 --data-dir "$WORK/stray" --listen "127.0.0.1:$(port 4)" --config "$WORK/stray.conf" \
  --controllers "1@127.0.0.1:$(port 1),2@127.0.0.1:$(port 2),3@127.0.0.1:$(port 3),4@127.0.0.1:$(port 4),5@127.0.0.1:$(port 5)" \
  >"$WORK/stray.log" 2>&1 &
STRAY=$!
for _ in $(seq 100); do
  [ "$(grep -c "cannot reach controller [123] " "$WORK/stray.log" 2>/dev/null)" = 3 ] && break
  sleep 0.1
done
grep -q "cannot reach controller 1 at 127.0.0.1:$(port 1): " "$WORK/stray.log" \
  || fail "the stray node does not say why it cannot join: $(tail -3 "$WORK/stray.log")"
grep -q "connected to controller" "$WORK/stray.log" && fail "the stray node joined"
grep "cannot reach controller 1 " "$WORK/stray.log" | sed 's/^/  /'
kill -9 "$STRAY"; { wait "$STRAY" || true; } 2>/dev/null; STRAY=""
on 3 cluster status | grep -c '^  broker .* alive ' | grep -qx 3 || fail "the cluster changed"

step "a TLS client at a plaintext node"
start_node
refused "node at 127.0.0.1:$NODE_PORT.*TLS handshake failed: is TLS on at the node" \
  "$SLUICE" --bootstrap "127.0.0.1:$NODE_PORT" topic list
plain "$SLUICE" --bootstrap "127.0.0.1:$NODE_PORT" topic list >/dev/null || fail "the plaintext node stopped serving"

step "deploy/cluster status uses the client certificate; down"
plain cluster status | grep -q "^controller leader" || fail "deploy/cluster status over TLS"
cluster down >/dev/null

echo "1 passed, 0 failed"
