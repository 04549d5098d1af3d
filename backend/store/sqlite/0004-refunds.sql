-- SPDX-License-Identifier: GPL-3.0-or-later
-- Refunds (issue 4): each refund of an order, whole or some lines.
-- seq: 1, 2, … per order; with the order id it is the payment provider's
--   idempotency key, and UNIQUE makes two concurrent refunds of one order
--   unable to both commit.
-- items: "tier:quantity,…", what goes back on sale.
-- returned_at: when the tickets were given back to Redis (refund.lua) and
--   taken off tiers.sold; NULL while that is pending (Redis down, or the
--   backend died between the commit and the script): it is retried.
CREATE TABLE refunds (
  id           INTEGER PRIMARY KEY,
  order_id     TEXT NOT NULL REFERENCES orders (id),
  seq          INTEGER NOT NULL CHECK (seq > 0),
  event_id     INTEGER NOT NULL REFERENCES events (id),
  user_id      INTEGER REFERENCES users (id),
  amount       INTEGER NOT NULL CHECK (amount >= 0),
  currency     TEXT NOT NULL,
  method       TEXT NOT NULL,
  provider_ref TEXT,
  items        TEXT NOT NULL,
  reason       TEXT,
  created_at   INTEGER NOT NULL,
  returned_at  INTEGER,
  UNIQUE (order_id, seq)
);
CREATE INDEX refunds_pending ON refunds (returned_at) WHERE returned_at IS NULL;

ALTER TABLE tickets ADD COLUMN refund_id INTEGER REFERENCES refunds (id);
