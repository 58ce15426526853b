-- Leases (team mode, migrations/postgres/0004): milliseconds since the epoch by the server's
-- clock until which the console sending an attempt, or running a batch, may still be at it; it
-- renews the lease while it is. A file has one machine, where the holder's pid says whether it
-- still runs, so the columns stay NULL here; they exist so both stores have the same columns.
ALTER TABLE attempts ADD COLUMN lease_until INTEGER;
ALTER TABLE batches ADD COLUMN lease_until INTEGER;
