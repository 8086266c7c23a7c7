-- GET /v1/keys/key:NNNNNNNNNNNN over keys the earlier runs wrote (a miss is a 404, still a full request).
local keyspace = tonumber(os.getenv("BENCH_KEYSPACE") or "1000000")

-- Each wrk thread has its own Lua state: give each its own seed, or all threads send the same keys.
local threads = 0
setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end
init = function(args)
  math.randomseed(os.time() * 1000 + 1 + (id or 0) * 7919)
end

request = function()
  return wrk.format("GET", string.format("/v1/keys/key:%012d", math.random(0, keyspace - 1)))
end

-- Machine-readable summary for bench/run.sh (latency in microseconds; wrk --latency stops at p99).
-- status counts non-2xx/3xx answers: here the 404s of misses, expected.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d seconds=%.3f p50_us=%d p99_us=%d p999_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.status, e.connect, e.read, e.write, e.timeout))
end
