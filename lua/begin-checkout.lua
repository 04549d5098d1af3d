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
-- ARGV[3]  "": now by Redis's clock (TIME); a time in ms from tests only
-- ARGV[4]  order id
-- ARGV[5…] field/value pairs of the stream message
-- Builds  leap:avail:E, the channel publish() (prelude.lua) sends on; not a key
-- Reads   the hold id H back from KEYS[8] (after ":hold:")
-- Reply: {"ok", stream_entry_id} | {"ok", ""} (a retry of the same order:
--        nothing changed) | {"not_found"} | {"expired"} (its tickets were
--        given back) | {"status", current} | {"invalid", reason}

local now = clock(ARGV[3])
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
