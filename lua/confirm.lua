-- SPDX-License-Identifier: GPL-3.0-or-later
-- Payment taken: the tickets of a hold being checked out become sold.
-- A retry for the same order (a redelivered message) changes nothing.
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
-- Reply: {"confirmed"} | {"not_found"} | {"status", current}

local DAY_MS = 86400000

local function mark (changed, tier)
  if not changed.seen[tier] then
    changed.seen[tier] = true
    changed.list[#changed.list + 1] = tier
  end
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
if h[3] == ARGV[2] and h[1] == 'confirmed' then
  return { 'confirmed' }
end
if h[1] ~= 'checking_out' or h[3] ~= ARGV[2] then
  return { 'status', h[1] }
end
local items = parse_items(h[2])
if not items or not covered(KEYS[4], items) then
  return redis.error_reply('ERR confirm: hold disagrees with the counters')
end

-- Available does not change, so there is nothing to publish.
move(KEYS[4], KEYS[5], items, nil)
redis.call('HSET', KEYS[8], 'status', 'confirmed')
redis.call('PEXPIRE', KEYS[8], DAY_MS)
return { 'confirmed' }
