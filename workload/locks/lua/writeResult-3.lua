--[[
  Fenced write of a task result, plus the single-flight cache entry for the task's inputs,
  atomically. The writer's fence must be the newest one *issued* for the resource (the fence
  counter the acquire script increments), not merely the newest one written: a writer that
  paused past its lease is refused as soon as a newer holder has taken the lock, whether or not
  that holder has written yet.

  KEYS[1]  result key   (hash: fence, result, task_id, correlation_id, writes)
  KEYS[2]  cache key    (string: JSON {result, task_id, correlation_id, fence}, expires)
  KEYS[3]  fence key    (integer counter: the last fencing token issued for the resource)
  ARGV[1]  fence        fencing token of the writer's lock acquisition
  ARGV[2]  result       result JSON
  ARGV[3]  task_id      of the writer
  ARGV[4]  correlation_id of the writer
  ARGV[5]  cache ttl    milliseconds

  Returns  {1, previous_fence}  written (previous_fence: the fence of the result it replaced, 0 if none)
           {0, newest_fence}    rejected: a newer token has been issued (or has written)
]]
local fence = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
local issued = tonumber(redis.call('GET', KEYS[3]) or '0')
local newest = math.max(last, issued)
if fence < newest then
  return {0, newest}
end
redis.call('HSET', KEYS[1], 'fence', fence, 'result', ARGV[2], 'task_id', ARGV[3], 'correlation_id', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'writes', 1)
-- Spliced, not re-encoded: cjson would round the result's numbers to 14 significant digits.
local entry = '{"fence":' .. fence .. ',"task_id":' .. cjson.encode(ARGV[3]) .. ',"correlation_id":'
  .. cjson.encode(ARGV[4]) .. ',"result":' .. ARGV[2] .. '}'
redis.call('SET', KEYS[2], entry, 'PX', ARGV[5])
return {1, last}
