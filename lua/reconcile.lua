-- SPDX-License-Identifier: GPL-3.0-or-later
-- Reconciliation of one event's counters (LeapReconciler), in bounded
-- steps: a walk of every live hold and the whole checkout stream in one
-- script would block Redis past the backends' PING deadline on a big event.
--
-- "read" reads every tier's counters and the event's change counter
-- (leap:{ev:E}:version, bumped by every script that writes the event's
-- inventory, see prelude.lua), then starts the walk: the tickets in live
-- holds counted from the hold records themselves, the ids in the expiry
-- index whose record is gone or no longer held, and the orders in the
-- checkout stream whose hold is still checking out (their tickets may
-- already be sold in the database while Redis still counts them in
-- checkout). It reads at most STEP hold records; "walk" goes on from where
-- the previous step stopped, or answers "changed" when the change counter
-- moved since "read": the steps then no longer describe one moment, and
-- the caller reads again. A walk that fits in one step is one snapshot.
--
-- "apply" writes the repaired counters, but only if none of them changed
-- since the snapshot they were computed from (compare-and-set) and, for a
-- walk of several steps, the change counter did not move since its "read":
-- a reserve, expiry or checkout that ran meanwhile is never overwritten,
-- and a release and a reserve of the same size between two steps (which
-- leave the counters as they were) are not taken for drift; the caller
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
-- ARGV[2]  "read", "walk" or "apply"
-- read:  ARGV[3] "full" (the default), or "quick": the live holds are not
--        walked (their records are not read), which costs Redis nothing
--        per hold; ARGV[4] STEP, the most hold records one call reads
--        (default: all of them).
-- walk:  ARGV[3] the change counter "read" answered, ARGV[4] and ARGV[5]
--        the cursors the previous step answered, ARGV[6] STEP.
--   Reply: { {tier, cap, avail, held, checkout, sold}…  (false: missing;
--             none for "walk"),
--            {tier, tickets in live holds}…,
--            {stale hold id}…,
--            {order id, items "T:Q,…"}…,
--            change counter, holds cursor, stream cursor }
--          (a cursor is "" when that part of the walk is done)
--        | {"changed"} (walk only)
-- apply: ARGV[3] the change counter to check ("": none), ARGV[4] number of
--        tiers N, then N groups of 11: tier, the five counters as read (cap
--        avail held checkout sold, "" for missing), the five to write; then
--        the stale hold ids to drop.
--   Reply: {"ok", tiers written} | {"changed", tier} | {"invalid", reason}
-- apply-fenced: ARGV[3] the token of the reconciler's lease (lua/lease.lua),
--        then as apply from its ARGV[3] on. Refused if a reconciler with a
--        higher token repaired this event since: {"fenced", that token}.
-- KEYS[9]  leap:{ev:E}:fence     the highest token that repaired the event
-- Builds  leap:{ev:E}:hold:ID and leap:{ev:E}:version from KEYS[7] (the
--         live holds, and the hold of each order "o-ID" in the stream), and
--         leap:avail:E, the channel it publishes on (not a key)

local COUNTERS = { KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5] }

-- Hold keys are named after the zset's own key, so they share its hash tag.
local HOLD_PREFIX = string.sub(KEYS[7], 1, -6) .. 'hold:'

local VERSION = string.sub(KEYS[7], 1, -6) .. 'version'

local function version ()
  return redis.call('GET', VERSION) or '0'
end

-- Walks on from the cursors (holds: a rank in the expiry index; stream: an
-- XRANGE start), reading at most step hold records; returns the counts,
-- the stale ids, the orders being checked out and the next cursors. The
-- ranks hold still only while the change counter does: the caller checks.
local function walk (holds_from, stream_from, step)
  local held, stale, checking = {}, {}, {}
  local left = step
  local holds_next, stream_next = '', ''

  if holds_from ~= '' then
    local first = int(holds_from) or 0
    local ids = redis.call('ZRANGE', KEYS[7], first, first + left - 1)
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
    left = left - #ids
    if first + #ids < redis.call('ZCARD', KEYS[7]) then
      holds_next = tostring(first + #ids)
    end
  end

  if stream_from ~= '' and left <= 0 then
    stream_next = stream_from
  elseif stream_from ~= '' then
    local entries = redis.call('XRANGE', KEYS[8], stream_from, '+', 'COUNT', left)
    for _, entry in ipairs(entries) do
      local fields, order = entry[2], nil
      for i = 1, #fields, 2 do
        if fields[i] == 'order_id' then
          order = fields[i + 1]
        end
      end
      if order and string.sub(order, 1, 2) == 'o-' then
        local h = redis.call('HMGET', HOLD_PREFIX .. string.sub(order, 3), 'status', 'items',
                             'order')
        if h[1] == 'checking_out' and h[3] == order and h[2] then
          checking[#checking + 1] = { order, h[2] }
        end
      end
    end
    if #entries == left then
      stream_next = '(' .. entries[#entries][1]
    end
  end

  local live = {}
  for tier, n in pairs(held) do
    live[#live + 1] = { tier, n }
  end
  return live, stale, checking, holds_next, stream_next
end

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

  local step = int(ARGV[4] or '')
  if not step or step <= 0 then
    step = 2147483647
  end
  local holds_from = ARGV[3] == 'quick' and '' or '0'
  local live, stale, checking, holds_next, stream_next = walk(holds_from, '-', step)
  return { rows, live, stale, checking, version(), holds_next, stream_next }
end

local function walk_on ()
  local step = int(ARGV[6] or '')
  if not step or step <= 0 then
    return { 'invalid', 'bad step' }
  end
  if version() ~= ARGV[3] then
    return { 'changed' }
  end
  local live, stale, checking, holds_next, stream_next = walk(ARGV[4], ARGV[5], step)
  return { {}, live, stale, checking, ARGV[3], holds_next, stream_next }
end

-- o: where apply's own arguments start, after ARGV[2] (0) or a token (1).
local function apply (o)
  local n = int(ARGV[4 + o])
  if not n or n < 0 or #ARGV < 4 + o + n * 11 then
    return { 'invalid', 'bad tier count' }
  end
  -- Everything is checked before anything is written.
  if ARGV[3 + o] ~= '' and version() ~= ARGV[3 + o] then
    return { 'changed', '' }
  end
  for t = 0, n - 1 do
    local base = 5 + o + t * 11
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
  if o == 1 then
    local token = int(ARGV[3])
    local seen = int(redis.call('GET', KEYS[9]) or '0') or 0
    if not token then
      return { 'invalid', 'bad token' }
    end
    if token < seen then
      return { 'fenced', tostring(seen) }
    end
    redis.call('SET', KEYS[9], ARGV[3])
  end
  local parts = {}
  for t = 0, n - 1 do
    local base = 5 + o + t * 11
    local tier = ARGV[base]
    for j, key in ipairs(COUNTERS) do
      redis.call('HSET', key, tier, ARGV[base + 5 + j])
    end
    parts[#parts + 1] = '{"tier_id":' .. json_id(tier) .. ',"available":' .. ARGV[base + 7] .. '}'
  end
  local stale = {}
  for i = 5 + o + n * 11, #ARGV do
    local status = redis.call('HGET', HOLD_PREFIX .. ARGV[i], 'status')
    if status ~= 'held' then
      stale[#stale + 1] = ARGV[i]
    end
  end
  for i = 1, #stale, 500 do
    redis.call('ZREM', KEYS[7], unpack(stale, i, math.min(i + 499, #stale)))
  end
  if n > 0 or #stale > 0 then
    bump()
  end
  if #parts > 0 then
    redis.call('PUBLISH', 'leap:avail:' .. ARGV[1],
               '{"event_id":' .. json_id(ARGV[1]) .. ',"tiers":[' .. table.concat(parts, ',') .. ']}')
  end
  return { 'ok', n }
end

if ARGV[2] == 'read' then
  return read()
elseif ARGV[2] == 'walk' then
  return walk_on()
elseif ARGV[2] == 'apply' then
  return apply(0)
elseif ARGV[2] == 'apply-fenced' then
  return apply(1)
end
return { 'invalid', 'mode must be read, walk, apply or apply-fenced' }
