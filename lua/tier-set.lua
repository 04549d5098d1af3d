-- SPDX-License-Identifier: GPL-3.0-or-later
-- Writes a tier's counters through from the database when the tier is
-- created or its capacity changes, or ("repair") when its counters are
-- missing at start. Live holds and checkouts stay as Redis has them: they
-- exist nowhere else. So does sold once Redis has it: the database's figure
-- runs ahead of Redis's between an order's commit and its confirm (and
-- behind it between a refund's commit and its script), and taking it would
-- count those tickets twice; the reconciler, which knows those windows,
-- repairs a sold that drifted.
-- KEYS[1]  leap:{ev:E}:cap       HASH tier → capacity
-- KEYS[2]  leap:{ev:E}:avail     HASH tier → available
-- KEYS[3]  leap:{ev:E}:held      HASH tier → in live holds
-- KEYS[4]  leap:{ev:E}:checkout  HASH tier → in holds being checked out
-- KEYS[5]  leap:{ev:E}:sold      HASH tier → sold
-- KEYS[6]  leap:{ev:E}:max       HASH tier → max per order
-- KEYS[7]  leap:{ev:E}:holds     ZSET live hold id → expires_ms
-- KEYS[8]  leap:{ev:E}:hold:-    unused (every script takes the same keys)
-- ARGV[1]  event id E
-- ARGV[2]  tier id T
-- ARGV[3]  capacity
-- ARGV[4]  sold, as the database has it (used only if Redis has none)
-- ARGV[5]  max per order
-- ARGV[6]  "set", or "repair" to act only when the tier has no counters
-- Builds  leap:avail:E, the channel publish() (prelude.lua) sends on; not a key
-- Reply: {"ok", available} | {"capacity_below", committed} | {"present"}
--        | {"invalid", reason}

local tier = ARGV[2]
local cap, sold, max = int(ARGV[3]), int(ARGV[4]), int(ARGV[5])
local mode = ARGV[6]
if not tier or tier == '' or string.find(tier, '[:,]') then
  return { 'invalid', 'bad tier id' }
end
if not cap or cap < 0 or not sold or sold < 0 or not max or max <= 0 then
  return { 'invalid', 'capacity, sold and max per order must be integers' }
end
if mode ~= 'set' and mode ~= 'repair' then
  return { 'invalid', 'mode must be set or repair' }
end
if mode == 'repair' and redis.call('HEXISTS', KEYS[1], tier) == 1 then
  return { 'present' }
end

sold = tonumber(redis.call('HGET', KEYS[5], tier) or '') or sold
local held = tonumber(redis.call('HGET', KEYS[3], tier) or '') or 0
local checkout = tonumber(redis.call('HGET', KEYS[4], tier) or '') or 0
local committed = sold + held + checkout
if cap < committed then
  return { 'capacity_below', committed }
end

local avail = cap - committed
redis.call('HSET', KEYS[1], tier, cap)
redis.call('HSET', KEYS[2], tier, avail)
redis.call('HSET', KEYS[3], tier, held)
redis.call('HSET', KEYS[4], tier, checkout)
redis.call('HSET', KEYS[5], tier, sold)
redis.call('HSET', KEYS[6], tier, max)
local changed = { list = {}, seen = {} }
mark(changed, tier)
publish(changed)
return { 'ok', avail }
