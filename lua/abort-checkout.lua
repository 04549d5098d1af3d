-- SPDX-License-Identifier: GPL-3.0-or-later
-- Payment declined: the tickets of a hold being checked out go back on sale.
-- A retry for the same order changes nothing.
-- KEYS[1]  leap:{ev:E}:cap       HASH tier → capacity
-- KEYS[2]  leap:{ev:E}:avail     HASH tier → available
-- KEYS[3]  leap:{ev:E}:held      HASH tier → in live holds
-- KEYS[4]  leap:{ev:E}:checkout  HASH tier → in holds being checked out
-- KEYS[5]  leap:{ev:E}:sold      HASH tier → sold
-- KEYS[6]  leap:{ev:E}:max       HASH tier → max per order
-- KEYS[7]  leap:{ev:E}:holds     ZSET live hold id → expires_ms
-- KEYS[8]  leap:{ev:E}:hold:H    HASH the hold
-- ARGV[1]  event id E
-- ARGV[2]  order id
-- Reply: {"released"} | {"not_found"} | {"status", current}

local DAY_MS = 86400000

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

local h = redis.call('HMGET', KEYS[8], 'status', 'items', 'order')
if not h[1] then
  return { 'not_found' }
end
if h[3] == ARGV[2] and h[1] == 'released' then
  return { 'released' }
end
if h[1] ~= 'checking_out' or h[3] ~= ARGV[2] then
  return { 'status', h[1] }
end
local items = parse_items(h[2])
if not items or not covered(KEYS[4], items) then
  return redis.error_reply('ERR abort-checkout: hold disagrees with the counters')
end

local changed = { list = {}, seen = {} }
move(KEYS[4], KEYS[2], items, changed)
redis.call('HSET', KEYS[8], 'status', 'released')
redis.call('PEXPIRE', KEYS[8], DAY_MS)
publish(changed)
return { 'released' }
