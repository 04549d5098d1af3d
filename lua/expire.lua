-- SPDX-License-Identifier: GPL-3.0-or-later
-- Gives back the tickets of holds past their expiry, each exactly once: only
-- a hold still "held" moves, and its status changes in the same step, so a
-- release racing with this script finds it gone, and the other way round.
-- Run on a timer; reserve also runs the same code when a tier looks short.
-- KEYS[1]  leap:{ev:E}:cap       HASH tier → capacity
-- KEYS[2]  leap:{ev:E}:avail     HASH tier → available
-- KEYS[3]  leap:{ev:E}:held      HASH tier → in live holds
-- KEYS[4]  leap:{ev:E}:checkout  HASH tier → in holds being checked out
-- KEYS[5]  leap:{ev:E}:sold      HASH tier → sold
-- KEYS[6]  leap:{ev:E}:max       HASH tier → max per order
-- KEYS[7]  leap:{ev:E}:holds     ZSET live hold id → expires_ms
-- KEYS[8]  leap:{ev:E}:hold:-    unused (every script takes the same keys)
-- ARGV[1]  event id E
-- ARGV[2]  "": now by Redis's clock (TIME); a time in ms from tests only
-- ARGV[3]  at most this many holds in one run
-- Reply: {"expired", count} | {"invalid", reason}
-- The hold keys are built from KEYS[7] (leap:{ev:E}:hold:ID), so they keep
-- the event's hash tag.
-- Builds  leap:avail:E, the channel publish() (prelude.lua) sends on; not a key

local now, max_count = clock(ARGV[2]), int(ARGV[3])
if not now or not max_count or max_count <= 0 then
  return { 'invalid', 'bad time or count' }
end
local changed = { list = {}, seen = {} }
local count = expire_due(now, max_count, changed)
publish(changed)
return { 'expired', count }
