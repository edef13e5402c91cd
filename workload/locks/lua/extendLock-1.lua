--[[
  Extend a lock's lease only if the caller still owns it (compare-and-extend).

  KEYS[1]  lock key
  ARGV[1]  token of the caller
  ARGV[2]  new lease in milliseconds, counted from now

  Returns  1 extended; 0 not ours any more (the lease is lost)
]]
local held = redis.call('GET', KEYS[1])
if not held then
  return 0
end
local ok, record = pcall(cjson.decode, held)
if ok and type(record) == 'table' and record.token == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
