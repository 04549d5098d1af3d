-- SPDX-License-Identifier: GPL-3.0-or-later
-- The price of a hold is fixed when it is made (issue 16): each line of a
-- hold the database makes while Redis is down keeps the unit price and
-- currency it was held at, and its order charges those. A line without a
-- row here (a hold of before) takes its tier's price.
CREATE TABLE hold_prices (
  hold_id    text NOT NULL REFERENCES holds (id) ON DELETE CASCADE,
  tier_id    bigint NOT NULL,
  unit_price bigint NOT NULL CHECK (unit_price >= 0),
  currency   text NOT NULL,
  PRIMARY KEY (hold_id, tier_id)
);
