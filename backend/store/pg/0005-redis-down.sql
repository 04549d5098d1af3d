-- SPDX-License-Identifier: GPL-3.0-or-later
-- Selling while Redis is down (issue 7): see "When Redis is down" in
-- docs/architecture.md.
-- redis_outage: at most one row while some backend sells from the
--   database; since_ms names the outage, and the holds made during it
--   carry the same value in holds.outage_ms.
-- redis_outage_tiers: per tier, what Redis had available when it was lost
--   (the smallest figure any backend saw): the database sells at most that
--   many in the outage.
-- checkout_outbox: orders placed on holds of the database while Redis was
--   down; the backend that rebuilds Redis queues each one on its checkout
--   stream together with its hold (lua/import-hold.lua), then sets sent_at.
CREATE TABLE redis_outage (
  id        bigint PRIMARY KEY CHECK (id = 1),
  since_ms  bigint NOT NULL
);

CREATE TABLE redis_outage_tiers (
  tier_id   bigint PRIMARY KEY REFERENCES tiers (id) ON DELETE CASCADE,
  event_id  bigint NOT NULL,
  available bigint NOT NULL
);

ALTER TABLE holds ADD COLUMN outage_ms bigint;
CREATE INDEX holds_status ON holds (status, expires_at);
CREATE INDEX hold_items_tier ON hold_items (tier_id);

CREATE TABLE checkout_outbox (
  order_id   text PRIMARY KEY,
  hold_id    text NOT NULL REFERENCES holds (id),
  event_id   bigint NOT NULL,
  message    text NOT NULL,
  created_at bigint NOT NULL,
  sent_at    bigint
);
