-- SPDX-License-Identifier: GPL-3.0-or-later
-- Ends a request's Idempotency-Key claim: keeps its answer for the retries,
-- or, given no answer (a server fault, which a retry may get past), drops
-- the claim. Only the caller's own claim is settled, or a key whose lease
-- ended with no one claiming it since; a retry's claim or answer stays.
-- KEYS[1]  leap:idem:SCOPE:KEY  STRING the claim ("P" fingerprint " " nonce) or the answer
-- ARGV[1]  the caller's claim, as it set it
-- ARGV[2]  the answer ("D" fingerprint "\n" status "\n" location "\n" body), "" to drop
-- ARGV[3]  how long the answer is kept, in ms
-- Reply: 1 settled | 0 left to another request

local keep = int(ARGV[3])
if not keep or keep <= 0 then
  return redis.error_reply('ERR idempotency-settle: bad keep')
end
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  if current then
    redis.call('DEL', KEYS[1])
  end
  return 1
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', keep)
return 1
