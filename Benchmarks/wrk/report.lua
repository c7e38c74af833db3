-- Shared by the wrk scripts: each thread's number as the global `tid` (0, 1, …) for scripts that vary
-- their requests by thread, and one machine-readable summary line after the human-readable report.
-- Latencies are in microseconds; "status" counts HTTP responses >= 400; "timeout" requests that did
-- not answer within --timeout (they may still complete on the server).
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
