-- Cycles through a file of request lines "METHOD PATH", one per request.
-- Used for pre-signed PUTs to distinct keys and WebDAV PUTs: each URL once.
local requests = {}
local index = 0
local body = nil

function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local method, path = line:match("^(%S+) (%S+)$")
    requests[#requests + 1] = { method = method, path = path }
  end
  f:close()
  local size = tonumber(args[2] or "0")
  if size > 0 then body = string.rep("x", size) end
  -- Spread threads over the list so no URL is used twice.
  index = (tonumber(args[3] or "0") or 0)
end

function request()
  index = index + 1
  local r = requests[((index - 1) % #requests) + 1]
  local headers = {}
  if body then headers["Content-Type"] = "application/octet-stream" end
  return wrk.format(r.method, r.path, headers, body)
end
