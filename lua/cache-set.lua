-- SPDX-License-Identifier: GPL-3.0-or-later
-- Stores a cache-aside value with its TTL; for a listing it also names the
-- key in an index set, so that one invalidation drops every listing.
-- KEYS[1]  the cache key
-- KEYS[2]  (optional) the index set of the listing
-- ARGV[1]  the value
-- ARGV[2]  the TTL in seconds
local ttl = tonumber(ARGV[2])
if not ttl or ttl <= 0 then
  return redis.error_reply('ERR cache-set: bad TTL')
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
if KEYS[2] then
  redis.call('SADD', KEYS[2], KEYS[1])
  -- The index lives at least as long as the longest-lived key it lists.
  if redis.call('TTL', KEYS[2]) < ttl then
    redis.call('EXPIRE', KEYS[2], ttl)
  end
end
return 1
