-- wrk script for bench/run.ts: POST bodies rotating over a file of one JSON body per line (the communes or
-- people of the benchmark), and a count of error answers (HTTP status other than 200, or a GraphQL
-- "errors" member). Prints one JSON line at the end, which run.ts reads.
-- Usage: wrk -s bench/wrk.lua <url> -- <bodies file>
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(bodies, line) end
  end
  -- Threads start at different offsets so that they do not ask for the same rows in step.
  index = math.random(#bodies)
  errors = 0
  wrk.method = "POST"
end

function request()
  index = index % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[index])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("errors") end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"bad":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad,
    e.connect + e.read + e.write + e.timeout))
end
