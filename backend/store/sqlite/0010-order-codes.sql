-- SPDX-License-Identifier: GPL-3.0-or-later
-- Short order codes (issue 15): 7 characters of an alphabet without 0, O,
-- 1, I and L, to read aloud and type. Kept apart from orders because the
-- code is given when the order is accepted (accepted_orders), before a
-- worker writes its row; whoever writes first gives it, the other finds it
-- (leap_order_code_candidate () proposes the same code to both, and the
-- next one after a collision).
CREATE TABLE order_codes (
  order_id TEXT PRIMARY KEY,
  code     TEXT NOT NULL UNIQUE
);

-- The orders of before: a random code each, drawn up to four times. A
-- draw that another order has is ignored (OR IGNORE), and so are the draws
-- after the one that was kept (the order has its code).
INSERT OR IGNORE INTO order_codes (order_id, code)
  WITH RECURSIVE draw (n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM draw WHERE n < 4)
  SELECT id, substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + abs (random ()) % 31, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + abs (random ()) % 31, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + abs (random ()) % 31, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + abs (random ()) % 31, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + abs (random ()) % 31, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + abs (random ()) % 31, 1) ||
             substr ('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 1 + abs (random ()) % 31, 1)
  FROM orders, draw ORDER BY id, n;
