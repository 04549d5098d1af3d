-- SPDX-License-Identifier: GPL-3.0-or-later
-- Proves that Redis runs our scripts and that they can call commands;
-- /readyz runs it.
-- KEYS  none
-- ARGV  none
local pong = redis.call('PING')
return pong.ok
