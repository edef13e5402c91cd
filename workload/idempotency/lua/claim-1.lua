--[[
  claim-1.lua: claim an Idempotency-Key scope atomically (the rule of decision.ts `decide`).

  KEYS[1]  record hash, dtq:idem:<scope sha256>
  ARGV[1]  fingerprint of the request body
  ARGV[2]  owner token (random per request): only the owner may complete or release
  ARGV[3]  correlation id of the request
  ARGV[4]  candidate task id, used when this claim starts a new life of the record
  ARGV[5]  lease in ms: an in-flight claim older than this may be taken over, once
  ARGV[6]  record TTL in ms (retention)

  Claims (writes state=in_flight, owner, lease) when the record is absent; or released (same
  fingerprint keeps its task id, another takes the candidate); or in flight with the same
  fingerprint and an expired lease (takeover, same task id). Otherwise writes nothing.
  The clock is Redis's (TIME), so API servers with skewed clocks agree on lease expiry.

  Result: { claimed (1|0), now_ms, task_id (claimed) or '', field, value, ... } where the
  field/value pairs are the record as it was BEFORE this call (HGETALL; empty when absent).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prev = redis.call('HGETALL', KEYS[1])
local rec = {}
for i = 1, #prev, 2 do rec[prev[i]] = prev[i + 1] end

local fingerprint, owner, cid, candidate = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local lease, ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
local state = rec['state']
local task_id = nil

if state == nil then
  task_id = candidate
elseif state == 'released' then
  if rec['fingerprint'] == fingerprint then task_id = rec['task_id'] else task_id = candidate end
elseif state == 'in_flight' and rec['fingerprint'] == fingerprint and tonumber(rec['lease_until']) <= now then
  task_id = rec['task_id']
end

local function reply(claimed, id)
  local out = { claimed, string.format('%d', now), id }
  for i = 1, #prev do out[#out + 1] = prev[i] end
  return out
end

if task_id == nil then return reply(0, '') end

redis.call('HSET', KEYS[1],
  'state', 'in_flight',
  'fingerprint', fingerprint,
  'task_id', task_id,
  'correlation_id', cid,
  'owner', owner,
  'lease_until', string.format('%d', now + lease),
  'claims', (tonumber(rec['claims']) or 0) + 1)
if state == nil then redis.call('PEXPIRE', KEYS[1], ttl) end
return reply(1, task_id)
