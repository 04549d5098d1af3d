-- SPDX-License-Identifier: GPL-3.0-or-later
-- The fence between selling through Redis and selling from the database
-- (issue 14, part 6). Each backend that sells through Redis renews a lease
-- here every second; the database holds only while no lease is live,
-- checked in the hold's own transaction, and a backend that cannot renew
-- stops selling through Redis before its lease ends.
--
-- holder: one backend process (host, pid and a random part).
-- expires_ms: by the database's clock (PostgreSQL: the server's, which
--   every backend on it shares, whatever their own clocks say).
CREATE TABLE redis_leases (
  holder     text PRIMARY KEY,
  expires_ms bigint NOT NULL
);
