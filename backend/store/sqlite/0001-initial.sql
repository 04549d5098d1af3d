-- SPDX-License-Identifier: GPL-3.0-or-later
-- Migration 1: the catalogue, staff, sessions, and the tables checkout fills.
-- Times are INTEGER seconds since the epoch, UTC. Money is INTEGER minor units
-- next to a currency code. Never edit an applied migration: add a new one.

CREATE TABLE venues (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  address     TEXT,
  city        TEXT,
  country     TEXT,
  timezone    TEXT NOT NULL DEFAULT 'UTC',
  capacity    INTEGER,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  venue_id    INTEGER NOT NULL REFERENCES venues (id),
  name        TEXT NOT NULL,
  description TEXT,
  starts_at   INTEGER NOT NULL,
  ends_at     INTEGER,
  status      TEXT NOT NULL DEFAULT 'on_sale'
              CHECK (status IN ('draft', 'on_sale', 'off_sale', 'cancelled')),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX events_starts ON events (starts_at, id);
CREATE INDEX events_venue ON events (venue_id, starts_at);

CREATE TABLE tiers (
  id            INTEGER PRIMARY KEY,
  event_id      INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  price         INTEGER NOT NULL CHECK (price >= 0),
  currency      TEXT NOT NULL CHECK (length (currency) = 3),
  capacity      INTEGER NOT NULL CHECK (capacity >= 0),
  max_per_order INTEGER NOT NULL DEFAULT 10 CHECK (max_per_order > 0),
  -- The database's own guard against overselling, whatever the code does.
  sold          INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0 AND sold <= capacity),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX tiers_event ON tiers (event_id);

CREATE TABLE offers (
  id          INTEGER PRIMARY KEY,
  event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  tier_id     INTEGER REFERENCES tiers (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  code        TEXT,
  kind        TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
  value       INTEGER NOT NULL CHECK (value > 0),
  valid_from  INTEGER,
  valid_until INTEGER,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX offers_event ON offers (event_id);

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'cashier', 'kiosk')),
  password_hash TEXT NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

-- Tokens are never stored: only the SHA-256 of each.
CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,
  user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
  role        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE holds (
  id           TEXT PRIMARY KEY,
  event_id     INTEGER NOT NULL REFERENCES events (id),
  session_hash TEXT NOT NULL,
  status       TEXT NOT NULL
               CHECK (status IN ('held', 'checking_out', 'confirmed', 'released', 'expired')),
  expires_at   INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX holds_live ON holds (event_id, status, expires_at);

CREATE TABLE hold_items (
  hold_id   TEXT NOT NULL REFERENCES holds (id) ON DELETE CASCADE,
  tier_id   INTEGER NOT NULL REFERENCES tiers (id),
  quantity  INTEGER NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (hold_id, tier_id)
);

CREATE TABLE orders (
  id             TEXT PRIMARY KEY,
  hold_id        TEXT,
  event_id       INTEGER NOT NULL REFERENCES events (id),
  user_id        INTEGER REFERENCES users (id),
  status         TEXT NOT NULL
                 CHECK (status IN ('pending', 'paid', 'failed', 'refunded', 'needs_review')),
  total          INTEGER NOT NULL,
  currency       TEXT NOT NULL,
  customer_name  TEXT,
  customer_email TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_name);

CREATE TABLE order_lines (
  id         INTEGER PRIMARY KEY,
  order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  tier_id    INTEGER NOT NULL REFERENCES tiers (id),
  quantity   INTEGER NOT NULL CHECK (quantity > 0),
  unit_price INTEGER NOT NULL,
  currency   TEXT NOT NULL
);

CREATE TABLE tickets (
  id            INTEGER PRIMARY KEY,
  order_id      TEXT NOT NULL REFERENCES orders (id),
  tier_id       INTEGER NOT NULL REFERENCES tiers (id),
  code          TEXT NOT NULL UNIQUE,
  status        TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'voided')),
  checked_in_at INTEGER,
  created_at    INTEGER NOT NULL
);
CREATE INDEX tickets_order ON tickets (order_id);

CREATE TABLE payments (
  id           INTEGER PRIMARY KEY,
  order_id     TEXT NOT NULL REFERENCES orders (id),
  method       TEXT NOT NULL,
  status       TEXT NOT NULL,
  amount       INTEGER NOT NULL,
  currency     TEXT NOT NULL,
  tendered     INTEGER,
  change_given INTEGER,
  provider_ref TEXT,
  created_at   INTEGER NOT NULL
);
CREATE INDEX payments_order ON payments (order_id);

CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  user_id     INTEGER,
  action      TEXT NOT NULL,
  object_kind TEXT NOT NULL,
  object_id   TEXT NOT NULL,
  details     TEXT
);

-- Every catalogue change, in order, so that devices sync incrementally.
CREATE TABLE changes (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  kind       TEXT NOT NULL,
  object_id  INTEGER NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0,
  at         INTEGER NOT NULL
);
