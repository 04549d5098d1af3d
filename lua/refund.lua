-- SPDX-License-Identifier: GPL-3.0-or-later
-- A refund gives its tickets back: sold → available, per tier, once per
-- refund (the database commits the refund first; this script may run again
-- after a crash or a Redis outage and then changes nothing).
-- KEYS[1]  leap:{ev:E}:cap       HASH tier → capacity
-- KEYS[2]  leap:{ev:E}:avail     HASH tier → available
-- KEYS[3]  leap:{ev:E}:held      HASH tier → in live holds
-- KEYS[4]  leap:{ev:E}:checkout  HASH tier → in holds being checked out
-- KEYS[5]  leap:{ev:E}:sold      HASH tier → sold
-- KEYS[6]  leap:{ev:E}:max       HASH tier → max per order
-- KEYS[7]  leap:{ev:E}:holds     ZSET live hold id → expires_ms
-- KEYS[8]  leap:{ev:E}:refunds   SET  refund ids already given back
-- ARGV[1]  event id E
-- ARGV[2]  refund id
-- ARGV[3]  items, "tier:quantity,…"
-- Builds  leap:avail:E, the channel publish() (prelude.lua) sends on; not a key
-- Reply: {"returned", given back} | {"already"} | {"missing", tier} (the
--        tier has no counters yet: try again after the repair)
--        | {"invalid", reason}

if not ARGV[2] or not string.match(ARGV[2], '^%d+$') then
  return { 'invalid', 'bad refund id' }
end
local items = parse_items(ARGV[3])
if not items then
  return { 'invalid', 'no items' }
end
if redis.call('SISMEMBER', KEYS[8], ARGV[2]) == 1 then
  return { 'already' }
end
-- Counters that are missing are rebuilt from the database by the repair,
-- which already counts this refund: wait for it rather than guess.
for _, it in ipairs(items) do
  if redis.call('HEXISTS', KEYS[1], it[1]) == 0 then
    return { 'missing', it[1] }
  end
end

local changed = { list = {}, seen = {} }
local given = 0
for _, it in ipairs(items) do
  local sold = tonumber(redis.call('HGET', KEYS[5], it[1]) or '') or 0
  -- Never below zero: counters rebuilt meanwhile may count fewer.
  local n = math.min(it[2], math.max(sold, 0))
  if n > 0 then
    redis.call('HINCRBY', KEYS[5], it[1], -n)
    redis.call('HINCRBY', KEYS[2], it[1], n)
    mark(changed, it[1])
    given = given + n
  end
end
redis.call('SADD', KEYS[8], ARGV[2])
publish(changed)
return { 'returned', given }
