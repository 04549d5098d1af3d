-- SPDX-License-Identifier: GPL-3.0-or-later
-- Gives a live hold's tickets back, exactly once: only a hold that is still
-- "held" moves, and its status changes in the same step.
-- KEYS[1]  leap:{ev:E}:cap       HASH tier → capacity
-- KEYS[2]  leap:{ev:E}:avail     HASH tier → available
-- KEYS[3]  leap:{ev:E}:held      HASH tier → in live holds
-- KEYS[4]  leap:{ev:E}:checkout  HASH tier → in holds being checked out
-- KEYS[5]  leap:{ev:E}:sold      HASH tier → sold
-- KEYS[6]  leap:{ev:E}:max       HASH tier → max per order
-- KEYS[7]  leap:{ev:E}:holds     ZSET live hold id → expires_ms
-- KEYS[8]  leap:{ev:E}:hold:H    HASH the hold
-- ARGV[1]  event id E
-- ARGV[2]  owner; "" for the system, which may release any hold
-- ARGV[3]  "": now by Redis's clock (TIME); a time in ms from tests only
-- Builds  leap:avail:E, the channel publish() (prelude.lua) sends on; not a key
-- Reply: {"released"} | {"not_found"} | {"status", current} | {"invalid", reason}

local now = clock(ARGV[3])
if not now then
  return { 'invalid', 'bad time' }
end
local h = redis.call('HMGET', KEYS[8], 'status', 'owner', 'items', 'expires_ms')
-- Another session's hold is reported as missing, so ids cannot be probed.
if not h[1] or (ARGV[2] ~= '' and h[2] ~= ARGV[2]) then
  return { 'not_found' }
end
if h[1] ~= 'held' then
  return { 'status', h[1] }
end
local items = parse_items(h[3])
if not items or not covered(KEYS[3], items) then
  return redis.error_reply('ERR release: hold disagrees with the counters')
end

local changed = { list = {}, seen = {} }
move(KEYS[3], KEYS[2], items, changed)
redis.call('HSET', KEYS[8], 'status', 'released')
redis.call('PEXPIRE', KEYS[8], math.max((tonumber(h[4]) or now) - now, 0) + DAY_MS)
redis.call('ZREM', KEYS[7], string.match(KEYS[8], ':hold:(.*)$'))
publish(changed)
return { 'released' }
