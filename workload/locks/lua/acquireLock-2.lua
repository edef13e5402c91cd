--[[
  Acquire a resource lock and hand out the next fencing token, atomically.

  A lock held by an earlier attempt of the same job (the same task_id: its worker died, froze or
  lost Redis) is taken over at once instead of waited out: that attempt can no longer write,
  because its fence is now older than the last one issued (see writeResult-3.lua).

  KEYS[1]  lock key     (string: JSON {token, fence, task_id, correlation_id}, expires)
  KEYS[2]  fence key    (integer counter, never expires: the last fencing token handed out)
  ARGV[1]  token        random lock token of the caller (proves ownership on release/extend)
  ARGV[2]  ttl          lease in milliseconds
  ARGV[3]  task_id      of the job taking the lock (shown to contenders)
  ARGV[4]  correlation_id of that job

  Returns  {1, fence}                  acquired; fence is strictly greater than any earlier one
           {1, fence, previous_fence}  taken over from an earlier attempt of the same job
           {0, holder_json, pttl}      held by another job: its record and remaining lease (ms)
]]
local held = redis.call('GET', KEYS[1])
local previous
if held then
  local ok, record = pcall(cjson.decode, held)
  if ok and type(record) == 'table' and ARGV[3] ~= '' and record.task_id == ARGV[3] then
    previous = tonumber(record.fence) or 0
  else
    return {0, held, redis.call('PTTL', KEYS[1])}
  end
end
local fence = redis.call('INCR', KEYS[2])
local value = cjson.encode({token = ARGV[1], fence = fence, task_id = ARGV[3], correlation_id = ARGV[4]})
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
if previous then
  return {1, fence, previous}
end
return {1, fence}
