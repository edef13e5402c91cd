--[[
  Release a lock only if the caller still owns it (compare-and-delete).

  KEYS[1]  lock key
  ARGV[1]  token of the caller

  Returns  1 deleted; 0 not ours (expired, or taken by another holder): nothing deleted
]]
local held = redis.call('GET', KEYS[1])
if not held then
  return 0
end
local ok, record = pcall(cjson.decode, held)
if ok and type(record) == 'table' and record.token == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
