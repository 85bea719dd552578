-- Counts non-2xx responses and prints one JSON line that bench/common.py reads.
local counts = {}

function setup(thread)
  table.insert(counts, thread)
end

function init(args)
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non = 0
  for _, thread in ipairs(counts) do
    non = non + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "errors": %d, "non_2xx": %d, '
      .. '"p50": %.2f, "p95": %.2f, "p99": %.2f, "max": %.2f, "mean": %.2f}\n',
    summary.requests, seconds, summary.requests / seconds, errors, non,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
