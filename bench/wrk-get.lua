-- GET /v1/keys/key:NNNNNNNNNNNN over keys the PUT run wrote (a miss is a 404, still a full request).
local keyspace = tonumber(os.getenv("BENCH_KEYSPACE") or "1000000")
math.randomseed(os.time() + 1)
request = function()
  return wrk.format("GET", string.format("/v1/keys/key:%012d", math.random(0, keyspace - 1)))
end
