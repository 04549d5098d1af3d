-- SPDX-License-Identifier: GPL-3.0-or-later
-- A lease on work that one backend of many must do alone (LeapLease: the
-- reconciler's runs, the refunds' retries). Taken by one holder for a
-- while, renewed by it before it ends, taken by another once it has.
-- Each new holder gets a higher token (a fence): what it writes under the
-- lease carries the token, and a write with a lower one than was seen is
-- refused, so a holder that stalled past its lease writes nothing.
-- KEYS[1]  leap:{lease:NAME}        STRING "TOKEN HOLDER" for the lease's time
-- KEYS[2]  leap:{lease:NAME}:fence  the last token handed out
-- ARGV[1]  the holder's name
-- ARGV[2]  "take" or "give"
-- ARGV[3]  take: the lease, in ms
-- Reply: take: {1, token} held by the caller (renewed if it held it)
--              | {0, ms the other holder has left}
--        give: 1 given up | 0 it was not the caller's

local lease = redis.call('GET', KEYS[1])
local token, holder
if lease then
  token, holder = string.match(lease, '^(%d+) (.*)$')
end

if ARGV[2] == 'give' then
  if holder ~= ARGV[1] then
    return 0
  end
  redis.call('DEL', KEYS[1])
  return 1
end

local ms = int(ARGV[3])
if ARGV[2] ~= 'take' or ARGV[1] == '' or not ms or ms <= 0 then
  return redis.error_reply('ERR lease: take HOLDER MS or give HOLDER')
end
if lease and holder ~= ARGV[1] then
  return { 0, redis.call('PTTL', KEYS[1]) }
end
if not lease then
  token = tostring(redis.call('INCR', KEYS[2]))
end
redis.call('SET', KEYS[1], token .. ' ' .. ARGV[1], 'PX', ms)
return { 1, int(token) }
