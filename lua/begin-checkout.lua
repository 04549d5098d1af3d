-- SPDX-License-Identifier: GPL-3.0-or-later
-- Marks a live hold as being checked out and queues its checkout message
-- in the same step, so there is never a checking-out hold without its
-- message, nor a message without its hold. A hold being checked out is out
-- of the expiry index: it can no longer expire under the worker.
-- KEYS[1]  leap:{ev:E}:cap       HASH tier → capacity
-- KEYS[2]  leap:{ev:E}:avail     HASH tier → available
-- KEYS[3]  leap:{ev:E}:held      HASH tier → in live holds
-- KEYS[4]  leap:{ev:E}:checkout  HASH tier → in holds being checked out
-- KEYS[5]  leap:{ev:E}:sold      HASH tier → sold
-- KEYS[6]  leap:{ev:E}:max       HASH tier → max per order
-- KEYS[7]  leap:{ev:E}:holds     ZSET live hold id → expires_ms
-- KEYS[8]  leap:{ev:E}:hold:H    HASH the hold
-- KEYS[9]  the checkout stream
-- ARGV[1]  event id E
-- ARGV[2]  owner
-- ARGV[3]  now, in ms
-- ARGV[4]  order id
-- ARGV[5…] field/value pairs of the stream message
-- Reply: {"ok", stream_entry_id} | {"ok", ""} (a retry of the same order:
--        nothing changed) | {"not_found"} | {"expired"} (its tickets were
--        given back) | {"status", current} | {"invalid", reason}

local DAY_MS = 86400000

-- Integers only, and small enough that a Lua double holds them exactly.
local function int (s)
  if type(s) ~= 'string' or #s > 15 or not string.match(s, '^%-?%d+$') then
    return nil
  end
  return tonumber(s)
end

local function json_id (s)
  if (string.match(s, '^%-?[1-9]%d*$') and #s <= 15) or s == '0' then
    return s
  end
  return cjson.encode(s)
end

local function mark (changed, tier)
  if not changed.seen[tier] then
    changed.seen[tier] = true
    changed.list[#changed.list + 1] = tier
  end
end

-- One message for every tier this script changed, sent from inside the
-- script so that no change goes unannounced.
local function publish (changed)
  if #changed.list == 0 then
    return
  end
  local parts = {}
  for i, tier in ipairs(changed.list) do
    parts[i] = '{"tier_id":' .. json_id(tier) .. ',"available":' ..
               (redis.call('HGET', KEYS[2], tier) or '0') .. '}'
  end
  redis.call('PUBLISH', 'leap:avail:' .. ARGV[1],
             '{"event_id":' .. json_id(ARGV[1]) .. ',"tiers":[' .. table.concat(parts, ',') .. ']}')
end

local function parse_items (s)
  local items = {}
  if type(s) ~= 'string' then
    return nil
  end
  for tier, q in string.gmatch(s, '([^:,]+):(%d+)') do
    items[#items + 1] = { tier, tonumber(q) }
  end
  if #items == 0 then
    return nil
  end
  return items
end

-- True when every item can leave the counter in key.
local function covered (key, items)
  for _, it in ipairs(items) do
    local n = tonumber(redis.call('HGET', key, it[1]) or '')
    if not n or n < it[2] then
      return false
    end
  end
  return true
end

-- Moves every item from one counter to another (checked by covered first).
local function move (from, to, items, changed)
  for _, it in ipairs(items) do
    redis.call('HINCRBY', from, it[1], -it[2])
    redis.call('HINCRBY', to, it[1], it[2])
    if changed and (from == KEYS[2] or to == KEYS[2]) then
      mark(changed, it[1])
    end
  end
end

local now = int(ARGV[3])
if not now then
  return { 'invalid', 'bad time' }
end
if ARGV[4] == nil or ARGV[4] == '' then
  return { 'invalid', 'no order id' }
end
if #ARGV < 6 or #ARGV % 2 ~= 0 then
  return { 'invalid', 'no field/value pairs for the message' }
end
local h = redis.call('HMGET', KEYS[8], 'status', 'owner', 'items', 'expires_ms', 'order')
if not h[1] or h[2] ~= ARGV[2] then
  return { 'not_found' }
end
if h[1] == 'checking_out' and h[5] == ARGV[4] then
  return { 'ok', '' }
end
if h[1] ~= 'held' then
  return { 'status', h[1] }
end
local items = parse_items(h[3])
local expires = tonumber(h[4])
if not items or not expires or not covered(KEYS[3], items) then
  return redis.error_reply('ERR begin-checkout: hold disagrees with the counters')
end
local id = string.match(KEYS[8], ':hold:(.*)$')

if expires <= now then
  -- Too late: give it back now, exactly as expire would.
  local changed = { list = {}, seen = {} }
  move(KEYS[3], KEYS[2], items, changed)
  redis.call('HSET', KEYS[8], 'status', 'expired')
  redis.call('PEXPIRE', KEYS[8], DAY_MS)
  redis.call('ZREM', KEYS[7], id)
  publish(changed)
  return { 'expired' }
end

local entry = redis.call('XADD', KEYS[9], '*', unpack(ARGV, 5))
-- Available does not change, so there is nothing to publish.
move(KEYS[3], KEYS[4], items, nil)
redis.call('HSET', KEYS[8], 'status', 'checking_out', 'order', ARGV[4])
-- Its tickets are counted in checkout until confirm or abort-checkout:
-- the record must outlive any worker outage, so it has no TTL meanwhile.
redis.call('PERSIST', KEYS[8])
redis.call('ZREM', KEYS[7], id)
return { 'ok', entry }
