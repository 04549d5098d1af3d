-- SPDX-License-Identifier: GPL-3.0-or-later
-- accepted_orders: every order the backend answered 202 for, until a worker
-- has written it (paid or failed; the worker deletes the row in the same
-- transaction). The checkout stream lives in Redis: a Redis that comes back
-- without its data has lost the messages no worker had read yet, and the
-- backend that rebuilds Redis queues these again with their holds
-- (lua/import-hold.lua). See "Accepted orders" in docs/architecture.md.
-- items: the hold's tickets, "tier:quantity,…"; owner: the session hash.
CREATE TABLE accepted_orders (
  order_id   text PRIMARY KEY,
  hold_id    text NOT NULL,
  event_id   bigint NOT NULL,
  owner      text NOT NULL,
  items      text NOT NULL,
  message    text NOT NULL,
  created_at bigint NOT NULL
);
