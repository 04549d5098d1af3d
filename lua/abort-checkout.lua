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
-- Builds  leap:avail:E, the channel publish() (prelude.lua) sends on; not a key
-- Reply: {"released"} | {"not_found"} | {"status", current}

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
