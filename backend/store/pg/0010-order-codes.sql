-- SPDX-License-Identifier: GPL-3.0-or-later
-- Short order codes (issue 15): 7 characters of an alphabet without 0, O,
-- 1, I and L, to read aloud and type. Kept apart from orders because the
-- code is given when the order is accepted (accepted_orders), before a
-- worker writes its row; whoever writes first gives it, the other finds it
-- (leap_order_code_candidate () proposes the same code to both, and the
-- next one after a collision).
CREATE TABLE order_codes (
  order_id text PRIMARY KEY,
  code     text NOT NULL UNIQUE
);

-- The orders of before: a random code each, drawn up to four times. A
-- draw that another order has is skipped (ON CONFLICT DO NOTHING), and so
-- are the draws after the one that was kept (the order has its code).
INSERT INTO order_codes (order_id, code)
  SELECT id, substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + floor (random () * 31)::int, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + floor (random () * 31)::int, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + floor (random () * 31)::int, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + floor (random () * 31)::int, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + floor (random () * 31)::int, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + floor (random () * 31)::int, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + floor (random () * 31)::int, 1)
  FROM orders, generate_series (1, 4) AS draw (n) ORDER BY id, n
  ON CONFLICT DO NOTHING;
