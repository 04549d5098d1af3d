-- SPDX-License-Identifier: GPL-3.0-or-later
-- Puts a dead checkout message back on its event's checkout stream (a new
-- entry: its deliveries count from zero) and removes it from the
-- dead-letter stream, in one step; or only removes it when there is
-- nothing left for a worker to do.
-- KEYS[1]  leap:checkout-dead            STREAM the dead letters
-- KEYS[2]  leap:{ev:E}:checkout-stream   STREAM the message's own stream
-- KEYS[3]  leap:checkout-streams         SET    every checkout stream
-- KEYS[4]  leap:{ev:E}:hold:H            HASH   the order's hold (any key
--                                               when the order is unknown)
-- ARGV[1]  the dead entry's id
-- ARGV[2]  mode: "requeue" (put it back as it is), "written" (the order is
--          in the database: put it back while its hold is there for the
--          worker to settle, else only remove it), "unwritten" (put it back
--          only while its hold is being checked out for this order), "drop"
-- ARGV[3]  the order id ("" when the message has none)
-- Reply: {"requeued", new entry id} | {"dropped"} | {"not_found"}
--        | {"hold", status or ""} (unwritten and the hold is not checking
--        out: nothing changed) | {"invalid", reason}

local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then
  return { 'not_found' }
end
local fields = found[1][2]
local f = {}
for i = 1, #fields, 2 do
  f[fields[i]] = fields[i + 1]
end
if f['stream'] ~= KEYS[2] then
  return { 'invalid', 'the entry belongs to another stream' }
end

local mode = ARGV[2]
if mode ~= 'requeue' and mode ~= 'written' and mode ~= 'unwritten' and mode ~= 'drop' then
  return { 'invalid', 'bad mode' }
end
if mode == 'written' or mode == 'unwritten' then
  local h = redis.call('HMGET', KEYS[4], 'status', 'order')
  local ours = h[2] == ARGV[3]
  if mode == 'written' and not ours then
    mode = 'drop'
  elseif mode == 'unwritten' and not (ours and h[1] == 'checking_out') then
    return { 'hold', h[1] or '' }
  end
end

if mode == 'drop' then
  redis.call('XDEL', KEYS[1], ARGV[1])
  return { 'dropped' }
end
local entry = redis.call('XADD', KEYS[2], '*', 'order_id', ARGV[3], 'order', f['order'] or '',
                         'replayed_from', ARGV[1])
redis.call('SADD', KEYS[3], KEYS[2])
redis.call('XDEL', KEYS[1], ARGV[1])
return { 'requeued', entry }
