-- SPDX-License-Identifier: GPL-3.0-or-later
-- Extends the lease of a request's Idempotency-Key claim while the request
-- runs, only while the claim is still that request's: a claim whose lease
-- ended may be a retry's by now, or hold its answer.
-- KEYS[1]  leap:idem:SCOPE:KEY  STRING the claim ("P" fingerprint " " nonce) or the answer
-- ARGV[1]  the caller's claim, as it set it
-- ARGV[2]  the lease, in ms
-- Reply: 1 renewed | 0 not the caller's claim any more

local lease = int(ARGV[2])
if not lease or lease <= 0 then
  return redis.error_reply('ERR idempotency-renew: bad lease')
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], lease)
return 1
