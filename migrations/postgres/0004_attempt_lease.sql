-- Mirrors migrations/0011_attempt_lease.sql. Leases: milliseconds since the epoch by this
-- server's clock until which the console sending an attempt, or running a batch, may still be
-- at it. It renews the lease while it is (services/lease.rs); another console, on any machine,
-- turns the intent into `unknown_outcome` (or the batch into `interrupted`) only after the lease
-- expired, never while the holder may still be sending (docs/TEAM.md).
ALTER TABLE attempts ADD COLUMN lease_until BIGINT;
ALTER TABLE batches ADD COLUMN lease_until BIGINT;
