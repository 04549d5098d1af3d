-- SPDX-License-Identifier: GPL-3.0-or-later
-- Hands a hold that the database made while Redis was down over to Redis
-- (see "When Redis is down" in docs/architecture.md): its record, its
-- tickets counted in held (or checkout), and, for a hold whose order was
-- placed meanwhile, its checkout message on the event's stream, all in one
-- step. A hold Redis already has is left alone (but for a held one whose
-- order was accepted), so that every backend may run this after each
-- outage and each order is queued once. Also used for the orders Redis
-- took but lost with its data (accepted_orders in the database).
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
-- ARGV[2]  hold id H
-- ARGV[3]  owner
-- ARGV[4]  "held" or "checking_out"
-- ARGV[5]  expires_ms
-- ARGV[6]  "": now by Redis's clock (TIME); a time in ms from tests only
-- ARGV[7]  items, "tier:quantity,…"
-- ARGV[8]  order id (checking_out only)
-- ARGV[9]  the order's checkout message (checking_out only)
-- ARGV[10] optional: the prices the hold was made at,
--          "tier:unit_price:currency,…" ("" or none: a hold of before)
-- Builds  leap:avail:E, the channel it publishes on; not a key
-- Reply: {"ok", stream entry or ""} | {"exists"} | {"expired"}
--        | {"unknown_tier", T} | {"invalid", reason}

local status, expires, now = ARGV[4], int(ARGV[5]), clock(ARGV[6])
if status ~= 'held' and status ~= 'checking_out' then
  return { 'invalid', 'status must be held or checking_out' }
end
if not expires or not now then
  return { 'invalid', 'bad time' }
end
if status == 'checking_out' and (not ARGV[8] or ARGV[8] == '' or not ARGV[9] or ARGV[9] == '') then
  return { 'invalid', 'an order id and its message are needed' }
end
local items = {}
for tier, q in string.gmatch(ARGV[7] or '', '([^:,]+):(%d+)') do
  items[#items + 1] = { tier, tonumber(q) }
end
if #items == 0 then
  return { 'invalid', 'no items' }
end
local prices = ARGV[10] or ''
if not valid_prices(prices) then
  return { 'invalid', 'bad prices' }
end

local h = redis.call('HMGET', KEYS[8], 'status', 'owner', 'items')
if h[1] then
  -- A Redis restarted from an AOF that ends between the hold and its
  -- checkout: the hold is still held, its accepted order is queued now.
  if status == 'checking_out' and h[1] == 'held' and h[2] == ARGV[3] and h[3] == ARGV[7] and
     covered(KEYS[3], items) then
    local entry = redis.call('XADD', KEYS[9], '*', 'order_id', ARGV[8], 'order', ARGV[9])
    move(KEYS[3], KEYS[4], items, nil)
    redis.call('HSET', KEYS[8], 'status', 'checking_out', 'order', ARGV[8])
    redis.call('PERSIST', KEYS[8])
    redis.call('ZREM', KEYS[7], ARGV[2])
    return { 'ok', entry }
  end
  return { 'exists' }
end
if status == 'held' and expires <= now then
  return { 'expired' }
end
for _, it in ipairs(items) do
  if redis.call('HEXISTS', KEYS[1], it[1]) == 0 then
    return { 'unknown_tier', it[1] }
  end
end

local to = status == 'held' and KEYS[3] or KEYS[4]
local parts = {}
for i, it in ipairs(items) do
  local left = redis.call('HINCRBY', KEYS[2], it[1], -it[2])
  redis.call('HINCRBY', to, it[1], it[2])
  if left < 0 then
    -- The database sold more than Redis had left: never expected (it sells
    -- at most what Redis last had available); the hold is honoured.
    redis.log(redis.LOG_WARNING, 'leap: tier ' .. it[1] .. ' of event ' .. ARGV[1] ..
              ' is over-committed by ' .. -left .. ' after an outage')
  end
  parts[i] = '{"tier_id":' .. json_id(it[1]) .. ',"available":' .. left .. '}'
end

local entry = ''
bump()
redis.call('HSET', KEYS[8], 'status', status, 'owner', ARGV[3], 'event', ARGV[1], 'items', ARGV[7],
           'created_ms', now, 'expires_ms', expires)
if prices ~= '' then
  redis.call('HSET', KEYS[8], 'prices', prices)
end
if status == 'held' then
  redis.call('PEXPIRE', KEYS[8], expires - now + DAY_MS)
  redis.call('ZADD', KEYS[7], expires, ARGV[2])
else
  entry = redis.call('XADD', KEYS[9], '*', 'order_id', ARGV[8], 'order', ARGV[9])
  redis.call('HSET', KEYS[8], 'order', ARGV[8])
end
redis.call('PUBLISH', 'leap:avail:' .. ARGV[1],
           '{"event_id":' .. json_id(ARGV[1]) .. ',"tiers":[' .. table.concat(parts, ',') .. ']}')
return { 'ok', entry }
