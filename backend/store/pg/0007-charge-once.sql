-- SPDX-License-Identifier: GPL-3.0-or-later
-- Charge once, sell once (issue 14): money moves only after its intent is
-- written, and a crash in between is finished, never repeated.
--
-- payments.idempotency_key: the key the provider is called with (the order
--   id for a charge). A checkout writes its order and this row as 'pending'
--   before the provider is asked; the answer turns them into paid/approved,
--   failed/declined or, for a charge whose order could not be written after
--   all, failed/voided. UNIQUE: one attempt per key.
ALTER TABLE payments ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX payments_key ON payments (idempotency_key);

-- refunds.status: 'pending' from the transaction that checks and voids the
--   tickets until the provider has paid back under provider_key (the
--   refund's own key, ORDER_ID:rSEQ); then 'done'. A pending refund is
--   completed by the sweeper (LeapRefunds) after a crash.
ALTER TABLE refunds ADD COLUMN status text NOT NULL DEFAULT 'done'
  CHECK (status IN ('pending', 'done'));
ALTER TABLE refunds ADD COLUMN provider_key text;
CREATE INDEX refunds_unfinished ON refunds (status) WHERE status = 'pending';

-- card_charges: the simulated card terminal's own ledger, kept as a real
-- gateway keeps its idempotency records: the first request for a key
-- decides its result, every later one (another worker, a restarted one)
-- gets that result back and moves no money. requests counts the asks.
-- kind: 'charge' (key: the order id), 'refund' (ORDER_ID:rSEQ) or 'void'
-- (ORDER_ID:void, the charge of an order that could not be written).
CREATE TABLE card_charges (
  key        text PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('charge', 'refund', 'void')),
  amount     bigint NOT NULL,
  currency   text NOT NULL,
  result     text NOT NULL,
  requests   bigint NOT NULL DEFAULT 1,
  created_at bigint NOT NULL
);
