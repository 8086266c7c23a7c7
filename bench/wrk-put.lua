-- PUT /v1/keys/key:NNNNNNNNNNNN with a 100-byte body and random keys, like redis-benchmark -r.
local body = string.rep("x", 100)
local keyspace = tonumber(os.getenv("BENCH_KEYSPACE") or "1000000")
math.randomseed(os.time())
request = function()
  local path = string.format("/v1/keys/key:%012d", math.random(0, keyspace - 1))
  return wrk.format("PUT", path, { ["Content-Type"] = "application/octet-stream" }, body)
end
