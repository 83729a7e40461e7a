-- wrk script of the end-to-end rate-limit benchmark: every request carries a client key drawn uniformly
-- from `keys` (default 10 000) in `x-client-key: <namespace>-<n>`. The namespace keeps the warm-up's keys
-- apart from the measured ones, so a measured round starts with every key fresh.
--   wrk -t1 -c64 -d10s --latency -s keys.lua http://127.0.0.1:PORT/ -- <namespace> [keys]
local namespace = "k"
local keys = 10000
-- One table reused for every request: wrk.format copies it into the request text.
local headers = {}

function init(args)
  namespace = args[1] or namespace
  keys = tonumber(args[2]) or keys
  math.randomseed(os.time())
end

function request()
  headers["x-client-key"] = namespace .. "-" .. math.random(0, keys - 1)
  return wrk.format(nil, nil, headers)
end
