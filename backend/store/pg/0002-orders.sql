-- SPDX-License-Identifier: GPL-3.0-or-later
-- Checkout (issue 4): who may read an order, and why one did not go through.
-- owner: SHA-256 of the session token that placed the order (as for holds).
ALTER TABLE orders ADD COLUMN owner text;
ALTER TABLE orders ADD COLUMN reason text;
CREATE INDEX orders_event ON orders (event_id, status);
CREATE INDEX order_lines_order ON order_lines (order_id);
