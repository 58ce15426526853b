-- An in-flight attempt's lease (team mode, migrations/postgres/0004): milliseconds since the
-- epoch by the server's clock, renewed while the attempt may still be sending. A file has one
-- machine, where the holder's pid says whether it still runs, so the column stays NULL here;
-- it exists so both stores have the same columns.
ALTER TABLE attempts ADD COLUMN lease_until INTEGER;
