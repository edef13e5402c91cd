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

  A token is good for the writes of one task only. Tokens are unique while the counter only
  grows, but a failover of an asynchronously replicated Redis can lose the counter's last
  increments (and the lock with them, in the same slot): the next holder is then handed a token
  that a holder from before the failover still carries. Refusing a write with the stored
  result's token from another task keeps "at most one task writes per token" through such a
  loss: of the two holders of one token, only the first to write lands.

  Returns  {1, previous_fence}  written (previous_fence: the fence of the result it replaced, 0 if none)
           {0, newest_fence}    rejected: a newer token has been issued (or has written), or this
                                token has written for another task
]]
local fence = tonumber(ARGV[1])
local stored = redis.call('HMGET', KEYS[1], 'fence', 'task_id')
local last = tonumber(stored[1] or '0')
local issued = tonumber(redis.call('GET', KEYS[3]) or '0')
local newest = math.max(last, issued)
if fence < newest or (fence == last and stored[2] ~= ARGV[3]) then
  return {0, newest}
end
redis.call('HSET', KEYS[1], 'fence', fence, 'result', ARGV[2], 'task_id', ARGV[3], 'correlation_id', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'writes', 1)
-- Spliced, not re-encoded: cjson would round the result's numbers to 14 significant digits.
local entry = '{"fence":' .. fence .. ',"task_id":' .. cjson.encode(ARGV[3]) .. ',"correlation_id":'
  .. cjson.encode(ARGV[4]) .. ',"result":' .. ARGV[2] .. '}'
redis.call('SET', KEYS[2], entry, 'PX', ARGV[5])
return {1, last}
