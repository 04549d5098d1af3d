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
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  since_ms  INTEGER NOT NULL
);

CREATE TABLE redis_outage_tiers (
  tier_id   INTEGER PRIMARY KEY REFERENCES tiers (id) ON DELETE CASCADE,
  event_id  INTEGER NOT NULL,
  available INTEGER NOT NULL
);

ALTER TABLE holds ADD COLUMN outage_ms INTEGER;
CREATE INDEX holds_status ON holds (status, expires_at);
CREATE INDEX hold_items_tier ON hold_items (tier_id);

CREATE TABLE checkout_outbox (
  order_id   TEXT PRIMARY KEY,
  hold_id    TEXT NOT NULL REFERENCES holds (id),
  event_id   INTEGER NOT NULL,
  message    TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  sent_at    INTEGER
);
