--[[
  release-1.lua: give a claim back after the request failed (non-2xx), so the key stays usable.

  KEYS[1]  record hash, dtq:idem:<scope sha256>
  ARGV[1]  owner token given to claim-1.lua

  Keeps fingerprint and task id (a retry with the same body reuses the task id, so a job the
  failed attempt may have enqueued is not duplicated) and marks the record `released`, which
  any next claim may take. Result: 1 when released; 0 when the caller no longer owns it.
]]
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'state') ~= 'in_flight' then
  return 0
end
redis.call('HSET', KEYS[1], 'state', 'released')
redis.call('HDEL', KEYS[1], 'owner', 'lease_until')
return 1
