--[[
  Acquire a resource lock and hand out the next fencing token, atomically.

  KEYS[1]  lock key     (string: JSON {token, fence, task_id, correlation_id}, expires)
  KEYS[2]  fence key    (integer counter, never expires: the last fencing token handed out)
  ARGV[1]  token        random lock token of the caller (proves ownership on release/extend)
  ARGV[2]  ttl          lease in milliseconds
  ARGV[3]  task_id      of the job taking the lock (shown to contenders)
  ARGV[4]  correlation_id of that job

  Returns  {1, fence}             acquired; fence is strictly greater than any earlier one
           {0, holder_json, pttl} held by someone else: their record and remaining lease (ms)
]]
local held = redis.call('GET', KEYS[1])
if held then
  return {0, held, redis.call('PTTL', KEYS[1])}
end
local fence = redis.call('INCR', KEYS[2])
local value = cjson.encode({token = ARGV[1], fence = fence, task_id = ARGV[3], correlation_id = ARGV[4]})
-- NX is redundant inside the script (GET above saw nothing) but states the intent.
redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2])
return {1, fence}
