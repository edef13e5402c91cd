--[[
  release-1.lua: give a claim back after the request failed (non-2xx), so the key stays usable.

  KEYS[1]  record hash, dtq:idem:<scope sha256>
  ARGV[1]  owner token given to claim-1.lua
  ARGV[2]  'forget' (the request was refused, 4xx: no work can have been done) or 'keep'

  'forget' on a record claimed once deletes it: a refused request leaves nothing behind.
  Otherwise (5xx, outcome possibly unknown, or a record that was taken over from an owner that
  may have enqueued) it keeps fingerprint and task id and marks the record `released`, which
  any next claim may take: a retry with the same body reuses the task id, so a job an earlier
  attempt did enqueue is not duplicated.

  Result: 1 when released or deleted; 0 when the caller no longer owns an in-flight claim.
]]
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'state') ~= 'in_flight' then
  return 0
end
if ARGV[2] == 'forget' and tonumber(redis.call('HGET', KEYS[1], 'claims')) == 1 then
  redis.call('DEL', KEYS[1])
  return 1
end
redis.call('HSET', KEYS[1], 'state', 'released')
redis.call('HDEL', KEYS[1], 'owner', 'lease_until')
return 1
