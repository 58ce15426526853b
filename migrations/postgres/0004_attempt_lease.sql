-- Mirrors migrations/0011_attempt_lease.sql. An in-flight attempt's lease, in milliseconds since
-- the epoch by the server's clock: the console sending it renews the lease while it may still be
-- sending; another console, on any machine, turns the intent into `unknown_outcome` only after
-- the lease has expired (services/lease.rs, docs/TEAM.md). NULL in solo mode, where the holder's
-- pid on this machine says whether it still runs.
ALTER TABLE attempts ADD COLUMN lease_until BIGINT;
