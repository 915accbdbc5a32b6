#!/usr/bin/env bash
# Metrics and web console (issue 11) on one real node started with --metrics-listen and
# --http-listen: /metrics passes a strict parser of the Prometheus text format and shows the
# log end offsets of what was produced, the group's committed offsets and lag 0 once it has
# consumed everything, request counters and histograms, mailboxes; the /api/* answers are
# JSON with the same figures; the console, loaded in headless Chromium, shows them in its
# DOM and renders a 1200x900 screenshot that is not blank. Bad listener values are refused
# with one line, and a taken port makes the node fail to start.
source "$(dirname "$0")/lib.sh"

: "${CHECK_EXPOSITION:?set CHECK_EXPOSITION to the sluice-check-exposition binary}"
command -v curl >/dev/null || fail "curl is needed (deploy/install-deps --with curl)"

BASE=$(base_port)
METRICS=127.0.0.1:$((BASE + 1))
HTTP=127.0.0.1:$((BASE + 2))
NODE_PORT=$BASE

step "bad listener values are refused with one line"
expect_fail "metrics-listen expects HOST:PORT" "$SLUICED" --node-id 1 --data-dir "$WORK/x" \
  --listen 127.0.0.1:1 --metrics-listen nohost
expect_fail "http-listen expects HOST:PORT.*1..65535" "$SLUICED" --node-id 1 --data-dir "$WORK/x" \
  --listen 127.0.0.1:1 --http-listen 127.0.0.1:70000
expect_fail "is the node's --listen address" "$SLUICED" --node-id 1 --data-dir "$WORK/x" \
  --listen 127.0.0.1:7 --http-listen 127.0.0.1:7
printf 'http.listen=127.0.0.1:\n' >"$WORK/bad.conf"
expect_fail "bad.conf:1: http.listen expects HOST:PORT" "$SLUICED" --node-id 1 --data-dir "$WORK/x" \
  --listen 127.0.0.1:1 --config "$WORK/bad.conf"

step "sluiced with both listeners (metrics.listen from the config file, --http-listen on the command line)"
printf 'metrics.listen=%s\n' "$METRICS" >"$WORK/node.conf"
start_node --config "$WORK/node.conf" --http-listen "$HTTP"
grep -q "/metrics on http://$METRICS/" "$WORK"/node-*.log || fail "no metrics listener line in the log"

step "a taken metrics port makes a second node fail to start, with one line"
# (its log lines go to stderr as well: the refusal is the line that starts with "sluiced:")
rc=0
timeout 60 "$SLUICED" --node-id 2 --data-dir "$WORK/other" --listen 127.0.0.1:$((BASE + 3)) \
  --metrics-listen "$METRICS" >"$WORK/other.out" 2>"$WORK/other.err" || rc=$?
[ $rc = 1 ] || fail "a node whose metrics port is taken exited $rc"
[ "$(grep -c '^sluiced: ' "$WORK/other.err")" = 1 ] \
  && grep -q "^sluiced: cannot listen on $METRICS for --metrics-listen" "$WORK/other.err" \
  || fail "no one-line refusal: $(tail -3 "$WORK/other.err")"
grep -q "listening on" "$WORK/other.out" && fail "the refused node said it was listening"

step "topic m (3 partitions): 300 keyed records, then group g reads them all"
"$SLUICE" topic create m --partitions 3 >/dev/null
seq 1 300 | sed 's/.*/k&:v&/' | "$SLUICE" produce --topic m --key-separator : --acks all
"$SLUICE" consume --topic m --group g --from-beginning --max-messages 300 --timeout-ms 10000 \
  >"$WORK/consumed"
[ "$(wc -l <"$WORK/consumed")" = 300 ] || fail "consumed $(wc -l <"$WORK/consumed") of 300"

scrape() { curl -sfS --max-time 10 "http://$1/metrics" >"$WORK/metrics.txt"; }
# sum NAME [LABEL-MATCH]: the sum of the samples of NAME whose label set contains the match.
sum() {
  awk -v name="$1" -v match_="${2:-}" '
    $1 ~ "^" name "[{ ]" || $1 == name { if (match_ == "" || index($0, match_)) s += $NF; n++ }
    END { if (!n) { print "none"; exit } printf "%d\n", s }' "$WORK/metrics.txt"
}

step "/metrics passes the strict parser and has the figures (both listeners serve it)"
scrape "$HTTP" || fail "no /metrics on the console listener"
# The consumer commits on its way out; the coordinator may still be writing it.
for _ in $(seq 50); do
  scrape "$METRICS" || fail "GET /metrics failed"
  [ "$(sum sluice_group_committed_offset 'group="g"')" = 300 ] && break
  sleep 0.2
done
curl -sfSI --max-time 10 "http://$METRICS/metrics" | grep -qi "^content-type: text/plain; version=0.0.4" \
  || fail "/metrics has not the text format's content type"
"$CHECK_EXPOSITION" <"$WORK/metrics.txt" >"$WORK/check.out" 2>&1 \
  || fail "/metrics is not valid exposition text: $(head -5 "$WORK/check.out")"
cat "$WORK/check.out"
[ "$(sum sluice_partition_log_end_offset 'topic="m"')" = 300 ] || fail "log end offsets of m do not add up to 300"
[ "$(sum sluice_partition_high_watermark 'topic="m"')" = 300 ] || fail "high watermarks of m do not add up to 300"
[ "$(sum sluice_partition_log_start_offset 'topic="m"')" = 0 ] || fail "log start of m is not 0"
[ "$(grep -c '^sluice_partition_isr_size{node="1",topic="m",partition="[0-2]"} 1$' "$WORK/metrics.txt")" = 3 ] \
  || fail "ISR size of m's partitions is not 1"
[ "$(sum sluice_partition_under_replicated 'topic="m"')" = 0 ] || fail "m is under-replicated"
[ "$(sum sluice_group_committed_offset 'group="g",topic="m"')" = 300 ] || fail "g's committed offsets do not add up to 300"
[ "$(grep -c '^sluice_group_lag{node="1",group="g",topic="m",partition="[0-2]"} 0$' "$WORK/metrics.txt")" = 3 ] \
  || fail "g's lag is not 0 on every partition of m: $(grep sluice_group_lag "$WORK/metrics.txt")"
[ "$(sum sluice_requests_total 'kind="produce"')" -ge 1 ] || fail "no produce request counted"
[ "$(sum sluice_request_bytes_total 'kind="produce"')" -gt 0 ] || fail "no produced bytes counted"
grep -q '^sluice_request_latency_seconds_bucket{node="1",kind="fetch",le="+Inf"} [1-9]' "$WORK/metrics.txt" \
  || fail "no fetch latency histogram"
grep -q '^sluice_actor_mailbox_size{node="1",actor="partition m-0"} [0-9]' "$WORK/metrics.txt" \
  || fail "no mailbox size of partition m-0"
[ "$(sum sluice_scheduler_threads)" -ge 1 ] || fail "no scheduler threads"
# The probe wakes every 100 ms: seconds into the node's life it has counted wake-ups.
[ "$(sum sluice_scheduler_delay_seconds_count)" -ge 1 ] || fail "no scheduler delay measured"
grep -q '^sluice_thread_cpu_seconds_total{node="1",thread="caf.multiplexer",tid="[0-9]*",mode="user"} ' "$WORK/metrics.txt" \
  || fail "no CPU seconds of the scheduler's threads: $(grep sluice_thread_cpu "$WORK/metrics.txt" | head -3)"

step "deploy/grafana/sluice-dashboard.json is JSON and queries only series the node exports"
DASHBOARD="$ROOT/deploy/grafana/sluice-dashboard.json"
if command -v jq >/dev/null; then jq -e '.panels | length > 0' "$DASHBOARD" >/dev/null; else python3 -m json.tool "$DASHBOARD" >/dev/null; fi \
  || fail "the dashboard is not valid JSON"
for name in $(grep -o 'sluice_[a-z_]*' "$DASHBOARD" | sort -u); do
  grep -q "^$name{" "$WORK/metrics.txt" || fail "the dashboard queries $name, which /metrics does not have"
done

step "20 more records: the log end moves and g lags by 20"
seq 1 20 | "$SLUICE" produce --topic m --acks all
scrape "$METRICS"
[ "$(sum sluice_partition_log_end_offset 'topic="m"')" = 320 ] || fail "log end offsets of m do not add up to 320"
[ "$(sum sluice_group_lag 'group="g",topic="m"')" = 20 ] || fail "g's lag is not 20"

step "/api/cluster, /api/topics, /api/groups are JSON with the same figures"
json_ok() {
  if command -v jq >/dev/null; then jq -e . "$1" >/dev/null; else python3 -m json.tool "$1" >/dev/null; fi
}
for api in cluster topics groups; do
  curl -sfS --max-time 10 "http://$HTTP/api/$api" >"$WORK/$api.json" || fail "GET /api/$api failed"
  json_ok "$WORK/$api.json" || fail "/api/$api is not JSON: $(head -c 300 "$WORK/$api.json")"
done
grep -q '"node":1,' "$WORK/cluster.json" || fail "/api/cluster does not name node 1"
grep -q '"name":"m","internal":false' "$WORK/topics.json" || fail "/api/topics has no topic m"
[ "$(grep -o '"log_end":[0-9]*' "$WORK/topics.json" | wc -l)" -ge 3 ] || fail "/api/topics has no log ends"
grep -q '"group":"g","state":"empty"' "$WORK/groups.json" || fail "/api/groups has no empty group g: $(cat "$WORK/groups.json")"
grep -q '"lag":20,' "$WORK/groups.json" || fail "/api/groups does not show g's lag of 20"
curl -sfS --max-time 10 "http://$HTTP/" | grep -q "<title>Sluice console</title>" || fail "no console page on /"
curl -sfS --max-time 10 -o /dev/null "http://$HTTP/console.js" || fail "no /console.js"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$METRICS/api/topics")" = 404 ] \
  || fail "the metrics listener serves the console's API"

step "the console in headless Chromium: its DOM shows topic m and group g, and a screenshot"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "SKIP: chromium is not installed (deploy/install-deps --with chromium); console not rendered"
else
  # A profile directory per run: a second browser on the same profile may find it locked.
  chrome() {
    local rc=0
    timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
      --hide-scrollbars --user-data-dir="$(mktemp -d "$WORK/chrome-XXXXXX")" \
      "$@" 2>>"$WORK/chromium.log" || rc=$?
    [ $rc = 0 ] || echo "chromium exited $rc" >>"$WORK/chromium.log"
    return $rc
  }
  # --dump-dom runs the page's scripts for a virtual 4 s (its polls answered); a screenshot
  # with a virtual-time budget never ends while the page polls, so it waits 3 s of real time.
  chrome --virtual-time-budget=4000 --dump-dom "http://$HTTP/" >"$WORK/dom.html" \
    || fail "chromium --dump-dom failed: $(grep -v dbus "$WORK/chromium.log" | tail -3)"
  grep -q '<td>m</td>' "$WORK/dom.html" || fail "the console's topics table has no topic m"
  grep -q '<td rowspan="[0-9]*">g</td>' "$WORK/dom.html" || fail "the console's groups table has no group g"
  grep -q 'updated ' "$WORK/dom.html" || fail "the console never heard from the node"
  (cd "$WORK" && chrome --timeout=3000 --screenshot="$WORK/console.png" --window-size=1200,900 "http://$HTTP/" >/dev/null) \
    || fail "chromium --screenshot failed: $(grep -v dbus "$WORK/chromium.log" | tail -3)"
  [ -s "$WORK/console.png" ] || fail "no screenshot"
  python3 - "$WORK/console.png" <<'PY' || fail "the screenshot is not a 1200x900 console"
# A PNG decoder in miniature (8-bit RGB or RGBA, not interlaced): size and distinct colours.
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
print(f"screenshot {w}x{h}, depth {depth}, colour type {ctype}")
assert (w, h) == (1200, 900), f"size {w}x{h}"
assert depth == 8 and ctype in (2, 6) and interlace == 0, "unexpected PNG layout"
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, i = bytearray(stride), set(), 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 2):
        colours.add(bytes(line[x:x + 3]))
    prev = line
print(f"{len(colours)} distinct colours")
assert len(colours) >= 50, "the page looks blank"
PY
fi

step "SIGTERM stops the node and its listeners"
stop_node TERM
[ "$STOP_RC" = 0 ] || fail "sluiced exited $STOP_RC"
curl -s --max-time 2 "http://$METRICS/metrics" >/dev/null && fail "/metrics still answers after the stop"

echo "1 passed, 0 failed"
