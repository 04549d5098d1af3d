-- SPDX-License-Identifier: GPL-3.0-or-later
-- Deletes every cache key that an index set lists, then the set itself.
-- The listed keys share the index's hash tag, so they live on its shard.
-- KEYS[1]  the index set
local members = redis.call('SMEMBERS', KEYS[1])
for i = 1, #members, 500 do
  redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('DEL', KEYS[1])
return #members
