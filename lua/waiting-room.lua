-- SPDX-License-Identifier: GPL-3.0-or-later
-- An event's waiting room (issue 20): sessions line up by arrival, the
-- admitting timer lets the first ones in, and a session not seen for a
-- while loses its place. The arrival is Redis's own clock, made strictly
-- increasing, so that one Redis orders every backend's joiners.
-- KEYS[1]  leap:{ev:E}:room:line      ZSET session → arrival (µs)
-- KEYS[2]  leap:{ev:E}:room:seen      ZSET session → last seen (ms)
-- KEYS[3]  leap:{ev:E}:room:admitted  ZSET session → admitted (ms)
-- KEYS[4]  leap:{ev:E}:room:last      STRING the last arrival given (µs)
-- ARGV[1]  join | poll | admit
-- join, poll: ARGV[2] the session (its token hash), ARGV[3] how long the
--   room's keys are kept (ms)
--   Reply: {"line", position (1 first), in line} | {"admitted", ms}
--          | {"out"} (poll only: not in line, or lost its place)
-- admit: ARGV[2] how many to let in, ARGV[3] after how many ms unseen a
--   session loses its place, ARGV[4] how long an admission lasts (ms)
--   Reply: {admitted sessions…, in line after}: the sessions in order,
--   then the count still in line

-- Arrivals in µs have 16 digits, past int()'s 15: tonumber (a double
-- holds them exactly until 2255).
local t = redis.call('TIME')
local now_ms = int(t[1]) * 1000 + math.floor(int(t[2]) / 1000)
local op = ARGV[1]

if op == 'join' or op == 'poll' then
  local session, keep = ARGV[2], int(ARGV[3])
  if not session or session == '' or not keep or keep <= 0 then
    return redis.error_reply('ERR waiting-room: join|poll SESSION KEEP_MS')
  end
  local admitted = redis.call('ZSCORE', KEYS[3], session)
  if admitted then
    return { 'admitted', tonumber(admitted) }
  end
  if not redis.call('ZSCORE', KEYS[1], session) then
    if op == 'poll' then
      return { 'out' }
    end
    local arrival = int(t[1]) * 1000000 + int(t[2])
    local last = tonumber(redis.call('GET', KEYS[4]) or '0')
    if arrival <= last then
      arrival = last + 1
    end
    redis.call('SET', KEYS[4], arrival, 'PX', keep)
    redis.call('ZADD', KEYS[1], 'NX', arrival, session)
  end
  redis.call('ZADD', KEYS[2], now_ms, session)
  for k = 1, 3 do
    redis.call('PEXPIRE', KEYS[k], keep)
  end
  return { 'line', redis.call('ZRANK', KEYS[1], session) + 1, redis.call('ZCARD', KEYS[1]) }
end

if op ~= 'admit' then
  return redis.error_reply('ERR waiting-room: unknown operation')
end
local n, timeout, lasts = int(ARGV[2]), int(ARGV[3]), int(ARGV[4])
if not n or n < 0 or not timeout or timeout <= 0 or not lasts or lasts <= 0 then
  return redis.error_reply('ERR waiting-room: admit N TIMEOUT_MS LASTS_MS')
end
-- Those who stopped asking first, so that they take no one's turn.
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now_ms - timeout)
for _, session in ipairs(gone) do
  redis.call('ZREM', KEYS[1], session)
  redis.call('ZREM', KEYS[2], session)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now_ms - lasts)
local reply = {}
if n > 0 then
  reply = redis.call('ZRANGE', KEYS[1], 0, n - 1)
  for _, session in ipairs(reply) do
    redis.call('ZREM', KEYS[1], session)
    redis.call('ZREM', KEYS[2], session)
    redis.call('ZADD', KEYS[3], now_ms, session)
  end
end
reply[#reply + 1] = redis.call('ZCARD', KEYS[1])
return reply
