#!/usr/bin/env bash
# The bridge on the memory store against the bridge on Redis, deciding inline on gRPC's
# threads (--decide-threads=0) and on the decide pool (default), side by side in one run,
# with server CPU per request for gateway + policy + redis-server (bench/RESULTS.md).
# usage (from the repository root, after a build): bench/redis-compare.sh BUILD_DIR [rounds] [seconds]
# RULES=FILE uses other rules (default examples/rules.yaml); POOL_ARGS adds policy flags
# to the pool bridge. Needs wrk and redis-server (scripts/bench installs them).
set -euo pipefail
B=$1; ROUNDS=${2:-2}; DUR=${3:-5}
ROOT=$PWD; W=$(mktemp -d); PIDS=()
trap 'kill ${PIDS[@]} 2>/dev/null; wait 2>/dev/null; rm -rf $W' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { local d=$((SECONDS+20)); until grep -qE "$2" "$1" 2>/dev/null; do [ $SECONDS -lt $d ] || { cat "$1"; exit 1; }; sleep 0.05; done; }
json_field() { grep -o "\"$2\":\"[^\"]*\"" "$1" | head -1 | cut -d'"' -f4; }
cpu_ticks() { local t=0 p; for p in "$@"; do [ -r /proc/$p/stat ] && t=$((t + $(sed 's/.*) //' /proc/$p/stat | awk '{print $12+$13}'))); done; echo $t; }
RP=$(free_port); mkdir -p $W/redis
redis-server --port $RP --bind 127.0.0.1 --save "" --appendonly no --dir $W/redis >$W/redis.log 2>&1 & RPID=$!; PIDS+=($RPID)
until [ "$(redis-cli -p $RP PING 2>/dev/null)" = PONG ]; do sleep 0.05; done
declare -A ADDR GP PP
start_bridge() { # name policy-args...
  local n=$1; shift
  "$B/services/policy/friendgate-policy" --grpc-listen=127.0.0.1:0 --rules=${RULES:-examples/rules.yaml} --decision-log=off "$@" 2>$W/p-$n.log & PP[$n]=$!; PIDS+=(${PP[$n]})
  wait_for $W/p-$n.log '"grpc":"[0-9]'
  FRIENDGATE_TENCENT_TOKEN_1400000001=bench-token-not-secret "$B/gateway/friendgate-gateway" --http-listen=127.0.0.1:0 \
    --policy-target=$(json_field $W/p-$n.log grpc) --config=examples/gateway.yaml 2>$W/g-$n.log & GP[$n]=$!; PIDS+=(${GP[$n]})
  wait_for $W/g-$n.log '"http":"[0-9]'; wait_for $W/g-$n.log 'policy service healthy'
  ADDR[$n]=$(json_field $W/g-$n.log http)
}
start_bridge memory
start_bridge redis-inline --store=redis://127.0.0.1:$RP --decide-threads=0
start_bridge redis-pool --store=redis://127.0.0.1:$RP ${POOL_ARGS:-}
TQ="SdkAppid=1400000000&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI"
PATHQ="/tencent/callback?CallbackCommand=Sns.CallbackFriendDelete&$TQ"
HZ=$(getconf CLK_TCK)
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-6s %-13s %8s %8s %8s %10s %s\n" round bridge req/s p99ms non2xx "cpu_us/req" "(gw+pol+redis)"
for r in $(seq $ROUNDS); do for n in memory redis-inline redis-pool; do
  g0=$(cpu_ticks ${GP[$n]}); p0=$(cpu_ticks ${PP[$n]}); r0=$(cpu_ticks $RPID)
  out=$(BENCH_BODY_FILE="$ROOT/tests/data/tencent/Sns.CallbackFriendDelete.json" BENCH_PATH="$PATHQ" \
    wrk -t1 -c32 -d${DUR}s -s "$ROOT/bench/gateway/wrk/post_body.lua" "http://${ADDR[$n]}" | grep '^BENCH ')
  g1=$(cpu_ticks ${GP[$n]}); p1=$(cpu_ticks ${PP[$n]}); r1=$(cpu_ticks $RPID)
  echo "$out" | awk -v r=$r -v n=$n -v g=$((g1-g0)) -v p=$((p1-p0)) -v rd=$((r1-r0)) -v hz=$HZ '{
    for (i=2;i<=NF;i++){split($i,kv,"=");v[kv[1]]=kv[2]}; req=v["requests"]
    printf "%-6s %-13s %8.0f %8.2f %8d %10.1f (%.1f+%.1f+%.1f)\n", r, n, req/(v["duration_us"]/1e6), v["p99_us"]/1000, v["non2xx"]+v["sock_errors"],
      (g+p+rd)/hz/req*1e6, g/hz/req*1e6, p/hz/req*1e6, rd/hz/req*1e6 }'
done; done
for n in redis-inline redis-pool; do echo "# $n store errors: $(grep -c 'store call failed' $W/p-$n.log)"; done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
