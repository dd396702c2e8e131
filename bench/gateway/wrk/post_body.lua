-- wrk script: POSTs one vendor sample body, unchanged, to one path and query.
-- Environment: BENCH_BODY_FILE (the JSON sample file), BENCH_PATH (path and
-- query string, e.g. /tencent/callback?SdkAppid=..&CallbackCommand=..).
-- The URL given to wrk supplies only scheme, host and port. No request() or
-- response() function: wrk then sends one pre-built request, the cheapest.
local f = assert(io.open(assert(os.getenv("BENCH_BODY_FILE")), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.path = assert(os.getenv("BENCH_PATH"))
wrk.headers["Content-Type"] = "application/json"

-- One machine-readable line; errors.status counts answers that are not 2xx/3xx.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d sock_errors=%d non2xx=%d p50_us=%d p99_us=%d p999_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
