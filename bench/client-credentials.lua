-- wrk script: the OAuth 2.0 client_credentials token request (RFC 6749 §4.4) with HTTP Basic client
-- authentication, identical for every server measured. BENCH_BASIC is base64(client_id:client_secret);
-- BENCH_BODY is the form body (default: grant_type=client_credentials).
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. assert(os.getenv("BENCH_BASIC"), "BENCH_BASIC is not set")

-- BENCH_DELAY_MS: pause each connection this long after every response (paced load for "p99 at half of peak").
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  delay = function() return pause end
end

-- One machine-readable line for run.sh; wrk's own report is printed above it.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
