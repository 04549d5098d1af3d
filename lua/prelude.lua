-- SPDX-License-Identifier: GPL-3.0-or-later
-- Put in front of every other script of this folder when it is loaded
-- (leap_redis_load_scripts): the helpers the inventory scripts share.
-- Scripts with other keys (cache-set, health) carry them unused.
-- Every key comes in KEYS, named in C by backend/cache/leap-keys.c, but
-- for the names below, built here in the same shapes (tests/test-keys.c
-- holds leap-keys to them): publish() sends on the channel leap:avail:E
-- (ARGV[1] is E), and expire_due() names a hold after KEYS[7]
-- (leap:{ev:E}:holds minus "holds", plus "hold:ID"), so it keeps the
-- event's hash tag; bump() names the event's change counter the same way
-- (leap:{ev:E}:version).

local DAY_MS = 86400000

-- Integers only, and small enough that a Lua double holds them exactly.
local function int (s)
  if type(s) ~= 'string' or #s > 15 or not string.match(s, '^%-?%d+$') then
    return nil
  end
  return tonumber(s)
end

-- The time in ms by Redis's clock, the one clock of every hold: a backend
-- whose own clock is off neither expires holds early nor checks out a due
-- one. The backends pass "" for it; only tests/test-inventory.c passes a
-- time of its own, to move time without waiting. nil for anything else.
-- (Scripts may read TIME: Redis 7 replicates a script's effects.)
local function clock (arg)
  if arg == '' then
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return int(arg)
end

local function json_id (s)
  if (string.match(s, '^%-?[1-9]%d*$') and #s <= 15) or s == '0' then
    return s
  end
  return cjson.encode(s)
end

-- Every write to an event's counters, holds or checkout stream bumps its
-- change counter (move, expire_due and publish here; reserve and
-- import-hold themselves): the reconciler walks a big event in several
-- steps and discards a walk during which the counter moved.
local function bump ()
  redis.call('INCR', string.sub(KEYS[7], 1, -6) .. 'version')
end

local function mark (changed, tier)
  if not changed.seen[tier] then
    changed.seen[tier] = true
    changed.list[#changed.list + 1] = tier
  end
end

-- One message for every tier this script changed, sent from inside the
-- script so that no change goes unannounced.
local function publish (changed)
  if #changed.list == 0 then
    return
  end
  bump()
  local parts = {}
  for i, tier in ipairs(changed.list) do
    parts[i] = '{"tier_id":' .. json_id(tier) .. ',"available":' ..
               (redis.call('HGET', KEYS[2], tier) or '0') .. '}'
  end
  redis.call('PUBLISH', 'leap:avail:' .. ARGV[1],
             '{"event_id":' .. json_id(ARGV[1]) .. ',"tiers":[' .. table.concat(parts, ',') .. ']}')
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

-- A hold's prices, "tier:unit_price:currency,…" (reserve, import-hold).
local function valid_prices (s)
  for entry in string.gmatch(s, '[^,]+') do
    if not string.match(entry, '^[^:]+:%d+:%u%u%u$') then
      return false
    end
  end
  return true
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
  bump()
  for _, it in ipairs(items) do
    redis.call('HINCRBY', from, it[1], -it[2])
    redis.call('HINCRBY', to, it[1], it[2])
    if changed and (from == KEYS[2] or to == KEYS[2]) then
      mark(changed, it[1])
    end
  end
end

-- Gives back every due hold (status held, expiry <= now): all of them are
-- checked against the counters first, then written.
local function expire_due (now, max_count, changed)
  local ids = redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', now, 'LIMIT', 0, max_count)
  -- Hold keys are named after the zset's own key, so they share its hash tag.
  local prefix = string.sub(KEYS[7], 1, -6) .. 'hold:'
  local plan, owed, done = {}, {}, {}
  for _, id in ipairs(ids) do
    local key = prefix .. id
    local h = redis.call('HMGET', key, 'status', 'items', 'expires_ms')
    if h[1] == 'held' then
      local items = parse_items(h[2])
      local ok = items ~= nil
      for _, it in ipairs(items or {}) do
        local held = tonumber(redis.call('HGET', KEYS[3], it[1]) or '')
        if not held or held - (owed[it[1]] or 0) < it[2] then
          ok = false
        end
      end
      if ok then
        for _, it in ipairs(items) do
          owed[it[1]] = (owed[it[1]] or 0) + it[2]
        end
        plan[#plan + 1] = { key, items, tonumber(h[3]) or now }
        done[#done + 1] = id
      else
        -- Never happens while the invariant holds; left untouched rather
        -- than giving back tickets that the counters do not have.
        redis.log(redis.LOG_WARNING, 'leap: hold ' .. key .. ' disagrees with the counters')
      end
    else
      -- Gone (its record lapsed) or no longer live: only the index entry is stale.
      done[#done + 1] = id
    end
  end
  for _, p in ipairs(plan) do
    for _, it in ipairs(p[2]) do
      redis.call('HINCRBY', KEYS[2], it[1], it[2])
      redis.call('HINCRBY', KEYS[3], it[1], -it[2])
      mark(changed, it[1])
    end
    redis.call('HSET', p[1], 'status', 'expired')
    redis.call('PEXPIRE', p[1], math.max(p[3] - now, 0) + DAY_MS)
  end
  for i = 1, #done, 500 do
    redis.call('ZREM', KEYS[7], unpack(done, i, math.min(i + 499, #done)))
  end
  if #done > 0 then
    bump()
  end
  return #plan
end
