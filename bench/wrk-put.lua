-- PUT /v1/keys/key:NNNNNNNNNNNN with a 100-byte body and random keys, like redis-benchmark -r.
local body = string.rep("x", 100)
local keyspace = tonumber(os.getenv("BENCH_KEYSPACE") or "1000000")

-- Each wrk thread has its own Lua state: give each its own seed, or all threads send the same keys.
local threads = 0
setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end
init = function(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

request = function()
  local path = string.format("/v1/keys/key:%012d", math.random(0, keyspace - 1))
  return wrk.format("PUT", path, { ["Content-Type"] = "application/octet-stream" }, body)
end

-- Machine-readable summary for bench/run.sh (latency in microseconds; wrk --latency stops at p99).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d seconds=%.3f p50_us=%d p99_us=%d p999_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.status, e.connect, e.read, e.write, e.timeout))
end
