-- SPDX-License-Identifier: GPL-3.0-or-later
-- When an event's sale opens (issue 20): from then the waiting room lets
-- guests in at a set rate. NULL: no set opening, no waiting room.
ALTER TABLE events ADD COLUMN on_sale_at INTEGER;
