--[[
  complete-1.lua: store the first response of a claimed scope, if the caller still owns it.

  KEYS[1]  record hash, dtq:idem:<scope sha256>
  ARGV[1]  owner token given to claim-1.lua
  ARGV[2]  HTTP status
  ARGV[3]  response body, byte for byte
  ARGV[4]  replayed response headers, a JSON object
  ARGV[5]  record TTL in ms: retention restarts when the response is stored

  Result: 1 when stored; 0 when the caller no longer owns an in-flight claim (its lease
  expired and another request took over, or the record expired): nothing is written.
]]
local current = redis.call('HMGET', KEYS[1], 'owner', 'state')
if current[1] ~= ARGV[1] or current[2] ~= 'in_flight' then
  return 0
end
-- owner and lease_until stay: once the state is 'completed' nothing reads them, and this runs
-- on every keyed request, so one command less counts.
redis.call('HSET', KEYS[1], 'state', 'completed', 'status', ARGV[2], 'body', ARGV[3], 'headers', ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
return 1
