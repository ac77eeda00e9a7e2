#!/usr/bin/env bash
# The main job on embedded defaults: cloud-core (embedded NATS/JetStream,
# bbolt metadata, Parquet tier 2), one edge agent (embedded MQTT broker,
# bbolt local log, uplink with its own credentials) and fleetsim driving a
# mixed fleet into it. Then it shows the data in the cloud through the read
# API. Ports are the defaults: MQTT 1883, NATS 4222, HTTP 8080 and 9100.
#
# DURATION (default 20s), VEHICLES (default 50) and RATE (points/s per
# vehicle, default 10) size the run; DEMO_DIR (default data/demo) holds
# everything it writes, logs included.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
DEMO=${DEMO_DIR:-data/demo}
DURATION=${DURATION:-20s}
VEHICLES=${VEHICLES:-50}
RATE=${RATE:-10}
CLOUD_HTTP=http://127.0.0.1:8080
EDGE_HTTP=http://127.0.0.1:9100

command -v curl >/dev/null || { echo "demo: curl is needed (apt-get install curl)" >&2; exit 1; }
for b in cloud-core edge-agent fleetsim; do
	[ -x "$BIN/$b" ] || { echo "demo: $BIN/$b missing: run make build" >&2; exit 1; }
done
rm -rf "$DEMO"
mkdir -p "$DEMO"

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

wait_http() { # url name
	for _ in $(seq 1 300); do
		curl -fs "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "demo: $2 did not come up; see $DEMO/$2.log" >&2
	tail -20 "$DEMO/$2.log" >&2
	exit 1
}
field() { # json key -> first number/string value
	grep -o "\"$2\": *[^,}]*" <<<"$1" | head -1 | sed 's/.*: *//; s/"//g'
}

echo "== starting cloud-core (data in $DEMO/cloud, log $DEMO/cloud-core.log)"
"$BIN/cloud-core" --data-dir "$DEMO/cloud" --tier-after 1m >"$DEMO/cloud-core.log" 2>&1 &
pids+=($!)
wait_http "$CLOUD_HTTP/healthz" cloud-core

echo "== issuing agent credentials and a read token"
"$BIN/cloud-core" agents add demo-gw --data-dir "$DEMO/cloud" >"$DEMO/demo-gw.creds"
TOKEN=$("$BIN/cloud-core" tokens add demo --streams '*' --data-dir "$DEMO/cloud")
api() { curl -fsS -H "Authorization: Bearer $TOKEN" "$CLOUD_HTTP$1"; }

echo "== starting edge-agent demo-gw (embedded MQTT broker on :1883, log $DEMO/edge-agent.log)"
"$BIN/edge-agent" --data-dir "$DEMO/edge" --agent-id demo-gw \
	--cloud nats://127.0.0.1:4222 --creds "$DEMO/demo-gw.creds" >"$DEMO/edge-agent.log" 2>&1 &
pids+=($!)
wait_http "$EDGE_HTTP/healthz" edge-agent

echo "== fleetsim: $VEHICLES vehicles x $RATE points/s for $DURATION (cars, trucks, EV packs)"
"$BIN/fleetsim" --mqtt tcp://127.0.0.1:1883 --profile passenger-car=3,heavy-truck=1,ev-battery=1 \
	--vehicles "$VEHICLES" --rate "$RATE" --duration "$DURATION" \
	--report "$DEMO/fleetsim.json" --truth "$DEMO/anomalies.jsonl"

echo "== waiting for the agent to sync its buffer"
for _ in $(seq 1 600); do
	st=$(curl -fsS "$EDGE_HTTP/v1/status")
	[ "$(field "$st" points_buffered)" = 0 ] && break
	sleep 0.1
done
echo "edge-agent: cloud=$(field "$st" cloud) synced=$(field "$st" points_synced) buffered=$(field "$st" points_buffered) dropped=$(field "$st" points_dropped) dead_letters=$(field "$st" dead_letters)"

echo "== what the cloud holds (GET /v1/streams/{stream}/count)"
total=0
for s in $(api /v1/streams | tr -d ' \n' | sed 's/.*"streams":\[//; s/\].*//' | tr ',' '\n' | tr -d '"'); do
	n=$(field "$(api "/v1/streams/$s/count")" events)
	total=$((total + n))
	printf '  %-22s %10s points\n' "$s" "$n"
done
echo "  total                  $(printf '%10s' "$total") points"

echo "== three points of vehicle-telemetry (GET /v1/streams/vehicle-telemetry/events?limit=3)"
api "/v1/streams/vehicle-telemetry/events?limit=3&format=ndjson"
echo
echo "demo: done. Logs and data in $DEMO; try: curl -H \"Authorization: Bearer \$(cat $DEMO/token)\" $CLOUD_HTTP/v1/streams"
echo "$TOKEN" >"$DEMO/token"
