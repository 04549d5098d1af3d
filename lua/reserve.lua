-- SPDX-License-Identifier: GPL-3.0-or-later
-- Places a hold on one or more tiers of one event. Every tier is checked
-- (known, within its per-order limit, enough left) before anything is
-- written; then all of them are decremented together, or none is. This is
-- the only way tickets leave "available", so nothing can oversell.
-- KEYS[1]  leap:{ev:E}:cap       HASH tier → capacity
-- KEYS[2]  leap:{ev:E}:avail     HASH tier → available
-- KEYS[3]  leap:{ev:E}:held      HASH tier → in live holds
-- KEYS[4]  leap:{ev:E}:checkout  HASH tier → in holds being checked out
-- KEYS[5]  leap:{ev:E}:sold      HASH tier → sold
-- KEYS[6]  leap:{ev:E}:max       HASH tier → max per order
-- KEYS[7]  leap:{ev:E}:holds     ZSET live hold id → expires_ms
-- KEYS[8]  leap:{ev:E}:hold:H    HASH the new hold
-- KEYS[9]  leap:guest-holds:O    ZSET (guests only) hold key → expires_ms,
--                                every hold the guest O made that may be live
-- KEYS[10] leap:address-holds:A  ZSET (guests only, with KEYS[9]) the same
--                                for every guest of the client address A
-- ARGV[1]  event id E
-- ARGV[2]  hold id H
-- ARGV[3]  owner (the session's token hash)
-- ARGV[4]  "": now by Redis's clock (TIME); a time in ms from tests only
-- ARGV[5]  hold time, in ms
-- ARGV[6]  with KEYS[9] only: the most live holds the guest may have
-- ARGV[7]  with KEYS[9] only: the most tickets the guests of the address
--          may have in live holds
-- ARGV[6…] (ARGV[8…] with KEYS[9]) pairs: tier id, quantity
-- ARGV[last] optional, after the pairs (an odd count): the prices the hold
--          is made at, "tier:unit_price:currency,…", kept with it as
--          "prices" so that its order charges them
-- Builds  leap:avail:E, the channel it publishes on; not a key
-- Builds  leap:{ev:E}:hold:ID of due holds from KEYS[7] (expire_due, prelude.lua)
-- Reads   the hold keys listed in KEYS[9] and KEYS[10] (put there by this
--         script, as KEYS[8]), to count the live holds of the guest and the
--         tickets in those of its address; not under E's hash tag
-- Reply: {"ok", expires_ms} | {"invalid", reason} | {"unknown_tier", T}
--        | {"limit", T, max} | {"exists"} | {"sold_out", T, available}
--        | {"too_many_holds", max} | {"too_many_tickets", max, held}

-- Due holds expired here when a tier looks short; the timer does the rest.
local EXPIRE_BATCH = 200

-- known: counts already read in this script, by tier (saves the HGETs).
local function publish (changed, known)
  if #changed.list == 0 then
    return
  end
  local parts = {}
  for i, tier in ipairs(changed.list) do
    local avail = known and known[tier] or redis.call('HGET', KEYS[2], tier) or '0'
    parts[i] = '{"tier_id":' .. json_id(tier) .. ',"available":' .. avail .. '}'
  end
  redis.call('PUBLISH', 'leap:avail:' .. ARGV[1],
             '{"event_id":' .. json_id(ARGV[1]) .. ',"tiers":[' .. table.concat(parts, ',') .. ']}')
end

-- The holds in key (a guest's, or its address's) that still count, and
-- their tickets: the set drops those past their time, released, checked
-- out or gone, so that it stays exact and a hold that ends gives its
-- tickets back at once. Dropping them changes no count that anyone reads,
-- so it is done before the checks end.
local function live_holds (key, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local keys = redis.call('ZRANGE', key, 0, -1)
  local gone, tickets = {}, 0
  for _, hold in ipairs(keys) do
    local h = redis.call('HMGET', hold, 'status', 'items')
    if h[1] ~= 'held' then
      gone[#gone + 1] = hold
    else
      for _, it in ipairs(parse_items(h[2]) or {}) do
        tickets = tickets + it[2]
      end
    end
  end
  if #gone > 0 then
    redis.call('ZREM', key, unpack(gone))
  end
  return #keys - #gone, tickets
end

local guest = KEYS[9] ~= nil
local first = guest and 8 or 6
local now, ttl = clock(ARGV[4]), int(ARGV[5])
local guest_max, address_max = guest and int(ARGV[6]), guest and int(ARGV[7])
if not now or now < 0 or not ttl or ttl <= 0 then
  return { 'invalid', 'bad time' }
end
if guest and (not KEYS[10] or not guest_max or guest_max < 0 or not address_max or
              address_max < 0) then
  return { 'invalid', 'bad guest limit' }
end
local last, prices = #ARGV, nil
if (last - first) % 2 == 0 then
  prices, last = ARGV[last], last - 1
end
if last < first + 1 then
  return { 'invalid', 'no tier/quantity pairs' }
end
if prices and not valid_prices(prices) then
  return { 'invalid', 'bad prices' }
end

local items, seen = {}, {}
for i = first, last, 2 do
  local tier, q = ARGV[i], int(ARGV[i + 1])
  if tier == '' or string.find(tier, '[:,]') then
    return { 'invalid', 'bad tier id' }
  end
  if not q or q <= 0 then
    return { 'invalid', 'quantity must be a positive integer' }
  end
  if seen[tier] then
    return { 'invalid', 'tier ' .. tier .. ' requested twice' }
  end
  seen[tier] = true
  items[#items + 1] = { tier, q }
end

-- Every tier that tier-set has counted has an "available" field: reading
-- it tells both whether the tier is on sale here and how many are left, in
-- one call (each redis.call costs a few microseconds in a rush).
for _, it in ipairs(items) do
  it[3] = tonumber(redis.call('HGET', KEYS[2], it[1]) or '')
  if not it[3] then
    return { 'unknown_tier', it[1] }
  end
end
for _, it in ipairs(items) do
  local max = tonumber(redis.call('HGET', KEYS[6], it[1]) or '')
  if max and it[2] > max then
    return { 'limit', it[1], max }
  end
end
if redis.call('EXISTS', KEYS[8]) == 1 then
  return { 'exists' }
end
-- Counted here, in the step that adds the hold, so that parallel requests
-- of one guest (or address) cannot all pass the count before any of them
-- is added.
if guest then
  if live_holds(KEYS[9], now) >= guest_max then
    return { 'too_many_holds', guest_max }
  end
  local _, held = live_holds(KEYS[10], now)
  local asked = 0
  for _, it in ipairs(items) do
    asked = asked + it[2]
  end
  if held + asked > address_max then
    return { 'too_many_tickets', address_max, held }
  end
end

local function first_short (reread)
  for _, it in ipairs(items) do
    if reread then
      it[3] = tonumber(redis.call('HGET', KEYS[2], it[1]) or '') or 0
    end
    if it[3] < it[2] then
      return it[1], it[3]
    end
  end
  return nil
end

local changed = { list = {}, seen = {} }
local short, left = first_short(false)
if short then
  -- Tickets of holds that ran out are free again: take them back first.
  if expire_due(now, EXPIRE_BATCH, changed) > 0 then
    short, left = first_short(true)
  end
  if short then
    publish(changed)
    return { 'sold_out', short, left }
  end
end

local expires = now + ttl
local parts = {}
local left_after = {}
for i, it in ipairs(items) do
  left_after[it[1]] = redis.call('HINCRBY', KEYS[2], it[1], -it[2])
  redis.call('HINCRBY', KEYS[3], it[1], it[2])
  mark(changed, it[1])
  parts[i] = it[1] .. ':' .. it[2]
end
redis.call('HSET', KEYS[8], 'status', 'held', 'owner', ARGV[3], 'event', ARGV[1],
           'items', table.concat(parts, ','), 'created_ms', now, 'expires_ms', expires)
if prices and prices ~= '' then
  redis.call('HSET', KEYS[8], 'prices', prices)
end
redis.call('PEXPIRE', KEYS[8], ttl + DAY_MS)
redis.call('ZADD', KEYS[7], expires, ARGV[2])
if guest then
  for k = 9, 10 do
    redis.call('ZADD', KEYS[k], expires, KEYS[8])
    -- Outlives its latest hold (a shorter hold time elsewhere never cuts it).
    if redis.call('PTTL', KEYS[k]) < ttl + 60000 then
      redis.call('PEXPIRE', KEYS[k], ttl + 60000)
    end
  end
end
bump()
publish(changed, left_after)
return { 'ok', expires }
