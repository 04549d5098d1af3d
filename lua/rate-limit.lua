-- SPDX-License-Identifier: GPL-3.0-or-later
-- Counts requests against limits that every backend shares: a fixed window
-- per key, at most LIMIT counts in WINDOW ms from the key's first count.
-- Several keys are checked and counted together, or not at all.
-- KEYS[k]     leap:{limits}:NAME:SUBJECT  STRING the count of the window
-- ARGV[1]     check | take | add | reset
-- ARGV[2k]    the limit of KEYS[k]; ARGV[2k+1] its window, in ms
-- Reply: check and take: 0 if every key is under its limit (take then
-- counts one against each), or else the ms until the first key that is
-- not starts a new window; add (counts one against each) and reset
-- (forgets them): 0.

local op = ARGV[1]
if #KEYS == 0 or #ARGV ~= 1 + 2 * #KEYS then
  return redis.error_reply('ERR rate-limit: a limit and a window for every key')
end
local limits, windows = {}, {}
for k = 1, #KEYS do
  limits[k] = int(ARGV[2 * k])
  windows[k] = int(ARGV[2 * k + 1])
  if not limits[k] or limits[k] < 0 or not windows[k] or windows[k] <= 0 then
    return redis.error_reply('ERR rate-limit: bad limit or window')
  end
end
if op ~= 'check' and op ~= 'take' and op ~= 'add' and op ~= 'reset' then
  return redis.error_reply('ERR rate-limit: unknown operation')
end

if op == 'reset' then
  for k = 1, #KEYS do
    redis.call('DEL', KEYS[k])
  end
  return 0
end
if op ~= 'add' then
  for k = 1, #KEYS do
    if tonumber(redis.call('GET', KEYS[k]) or '0') >= limits[k] then
      local left = redis.call('PTTL', KEYS[k])
      if left < 0 then
        -- A count that lost its expiry must not lock the key for good.
        redis.call('PEXPIRE', KEYS[k], windows[k])
        left = windows[k]
      end
      return math.max(left, 1)
    end
  end
  if op == 'check' then
    return 0
  end
end
for k = 1, #KEYS do
  if redis.call('INCR', KEYS[k]) == 1 then
    redis.call('PEXPIRE', KEYS[k], windows[k])
  end
end
return 0
