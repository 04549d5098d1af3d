-- SPDX-License-Identifier: GPL-3.0-or-later
-- Reconciliation of one event's counters (LeapReconciler). Two modes:
--
-- "read" takes one consistent snapshot: every tier's counters, the tickets
-- in live holds counted from the hold records themselves, the ids in the
-- expiry index whose record is gone or no longer held, and the orders in
-- the checkout stream whose hold is still checking out (their tickets may
-- already be sold in the database while Redis still counts them in
-- checkout).
--
-- "apply" writes the repaired counters, but only if none of them changed
-- since the snapshot they were computed from (compare-and-set): a reserve,
-- expiry or checkout that ran meanwhile is never overwritten; the caller
-- reads again instead. Stale index entries are dropped in the same step.
--
-- KEYS[1]  leap:{ev:E}:cap       HASH tier → capacity
-- KEYS[2]  leap:{ev:E}:avail     HASH tier → available
-- KEYS[3]  leap:{ev:E}:held      HASH tier → in live holds
-- KEYS[4]  leap:{ev:E}:checkout  HASH tier → in holds being checked out
-- KEYS[5]  leap:{ev:E}:sold      HASH tier → sold
-- KEYS[6]  leap:{ev:E}:max       HASH tier → max per order
-- KEYS[7]  leap:{ev:E}:holds     ZSET live hold id → expires_ms
-- KEYS[8]  leap:{ev:E}:checkout-stream  STREAM of checkout messages
-- ARGV[1]  event id E
-- ARGV[2]  "read" or "apply"
-- read:  ARGV[3] "full" (the default), or "quick": the live holds are not
--        walked (their records are not read; the second and third lists
--        are empty), which costs Redis nothing per hold.
--   Reply: { {tier, cap, avail, held, checkout, sold}…  (false: missing),
--            {tier, tickets in live holds}…,
--            {stale hold id}…,
--            {order id, items "T:Q,…"}… }
-- apply: ARGV[3] number of tiers N, then N groups of 11: tier, the five
--        counters as read (cap avail held checkout sold, "" for missing),
--        the five to write; then the stale hold ids to drop.
--   Reply: {"ok", tiers written} | {"changed", tier} | {"invalid", reason}
-- Builds  leap:{ev:E}:hold:ID from KEYS[7] (the live holds, and the hold
--         of each order "o-ID" in the stream), and leap:avail:E, the
--         channel it publishes on (not a key)

local COUNTERS = { KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5] }

-- Hold keys are named after the zset's own key, so they share its hash tag.
local HOLD_PREFIX = string.sub(KEYS[7], 1, -6) .. 'hold:'

local function read ()
  local tiers, seen = {}, {}
  for _, key in ipairs(COUNTERS) do
    local fields = redis.call('HKEYS', key)
    for _, tier in ipairs(fields) do
      if not seen[tier] then
        seen[tier] = true
        tiers[#tiers + 1] = tier
      end
    end
  end
  local rows = {}
  for i, tier in ipairs(tiers) do
    local row = { tier }
    for j, key in ipairs(COUNTERS) do
      row[j + 1] = redis.call('HGET', key, tier)
    end
    rows[i] = row
  end

  local held, stale = {}, {}
  local ids = {}
  if ARGV[3] ~= 'quick' then
    ids = redis.call('ZRANGE', KEYS[7], 0, -1)
  end
  for _, id in ipairs(ids) do
    local h = redis.call('HMGET', HOLD_PREFIX .. id, 'status', 'items')
    local items = parse_items(h[2])
    if h[1] == 'held' and items then
      for _, it in ipairs(items) do
        held[it[1]] = (held[it[1]] or 0) + it[2]
      end
    else
      stale[#stale + 1] = id
    end
  end
  local live = {}
  for tier, n in pairs(held) do
    live[#live + 1] = { tier, n }
  end

  local checking = {}
  local entries = redis.call('XRANGE', KEYS[8], '-', '+')
  for _, entry in ipairs(entries) do
    local fields, order = entry[2], nil
    for i = 1, #fields, 2 do
      if fields[i] == 'order_id' then
        order = fields[i + 1]
      end
    end
    if order and string.sub(order, 1, 2) == 'o-' then
      local h = redis.call('HMGET', HOLD_PREFIX .. string.sub(order, 3), 'status', 'items', 'order')
      if h[1] == 'checking_out' and h[3] == order and h[2] then
        checking[#checking + 1] = { order, h[2] }
      end
    end
  end
  return { rows, live, stale, checking }
end

local function apply ()
  local n = int(ARGV[3])
  if not n or n < 0 or #ARGV < 3 + n * 11 then
    return { 'invalid', 'bad tier count' }
  end
  -- Everything is checked before anything is written.
  for t = 0, n - 1 do
    local base = 4 + t * 11
    local tier = ARGV[base]
    for j, key in ipairs(COUNTERS) do
      local now = redis.call('HGET', key, tier) or ''
      if now ~= ARGV[base + j] then
        return { 'changed', tier }
      end
      if not int(ARGV[base + 5 + j]) then
        return { 'invalid', 'counters must be integers' }
      end
    end
  end
  local parts = {}
  for t = 0, n - 1 do
    local base = 4 + t * 11
    local tier = ARGV[base]
    for j, key in ipairs(COUNTERS) do
      redis.call('HSET', key, tier, ARGV[base + 5 + j])
    end
    parts[#parts + 1] = '{"tier_id":' .. json_id(tier) .. ',"available":' .. ARGV[base + 7] .. '}'
  end
  local stale = {}
  for i = 4 + n * 11, #ARGV do
    local status = redis.call('HGET', HOLD_PREFIX .. ARGV[i], 'status')
    if status ~= 'held' then
      stale[#stale + 1] = ARGV[i]
    end
  end
  for i = 1, #stale, 500 do
    redis.call('ZREM', KEYS[7], unpack(stale, i, math.min(i + 499, #stale)))
  end
  if #parts > 0 then
    redis.call('PUBLISH', 'leap:avail:' .. ARGV[1],
               '{"event_id":' .. json_id(ARGV[1]) .. ',"tiers":[' .. table.concat(parts, ',') .. ']}')
  end
  return { 'ok', n }
end

if ARGV[2] == 'read' then
  return read()
elseif ARGV[2] == 'apply' then
  return apply()
end
return { 'invalid', 'mode must be read or apply' }
