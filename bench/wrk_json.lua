-- wrk's summary as one JSON line on stdout (latencies in microseconds).
--
-- WRK_THINK_MS set (above 0): each connection is a fan who waits between
-- half and one and a half times that long after each answer before asking
-- again (wrk's delay(); the wait is not counted in the latencies).
local think = tonumber(os.getenv("WRK_THINK_MS") or "0") or 0

if think > 0 then
  local low, high = math.floor(think / 2), math.floor(think * 3 / 2)
  init = function(args)
    math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  end
  delay = function()
    return math.random(low, high)
  end
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
