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
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'state') ~= 'in_flight' then
  return 0
end
redis.call('HSET', KEYS[1], 'state', 'completed', 'status', ARGV[2], 'body', ARGV[3], 'headers', ARGV[4])
redis.call('HDEL', KEYS[1], 'owner', 'lease_until')
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
return 1
