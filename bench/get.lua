-- wrk script: GET a path with request headers read from a file, print the result as JSON.
-- Usage: wrk ... -s bench/get.lua http://127.0.0.1:PORT -- request.txt
-- request.txt: the path (with its query string) on the first line, then "Name: value" lines.

wrk.method = "GET"

local request_bytes

function init(args)
  local file = assert(io.open(args[1], "rb"), "cannot open request file " .. tostring(args[1]))
  local path = file:read("*l")
  for line in file:lines() do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
  file:close()
  request_bytes = wrk.format("GET", path)
end

function request()
  return request_bytes
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"duration_us": %d, "requests": %d, "bytes": %d, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
    .. '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "max": %d, '
    .. '"p50": %d, "p75": %d, "p90": %d, "p95": %d, "p99": %d}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(95), latency:percentile(99)))
end
