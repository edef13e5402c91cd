--[[
  Fenced write of a task result (compare-and-set on the fencing token), plus the single-flight
  cache entry for the task's inputs, atomically. A writer whose token is older than the last
  one written (it paused past its lease while a newer holder wrote) is rejected.

  KEYS[1]  result key   (hash: fence, result, task_id, correlation_id, writes)
  KEYS[2]  cache key    (string: JSON {result, task_id, correlation_id, fence}, expires)
  ARGV[1]  fence        fencing token of the writer's lock acquisition
  ARGV[2]  result       result JSON
  ARGV[3]  task_id      of the writer
  ARGV[4]  correlation_id of the writer
  ARGV[5]  cache ttl    milliseconds

  Returns  {1, previous_fence}  written (previous_fence is 0 on the first write)
           {0, last_fence}      rejected: a newer token has written already
]]
local fence = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if fence < last then
  return {0, last}
end
redis.call('HSET', KEYS[1], 'fence', fence, 'result', ARGV[2], 'task_id', ARGV[3], 'correlation_id', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'writes', 1)
-- Spliced, not re-encoded: cjson would round the result's numbers to 14 significant digits.
local entry = '{"fence":' .. fence .. ',"task_id":' .. cjson.encode(ARGV[3]) .. ',"correlation_id":'
  .. cjson.encode(ARGV[4]) .. ',"result":' .. ARGV[2] .. '}'
redis.call('SET', KEYS[2], entry, 'PX', ARGV[5])
return {1, last}
