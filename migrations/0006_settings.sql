-- Per-database settings. `keychain_prefix` = 'demo:' marks the demo database: its lanes' secrets
-- live under their own keychain accounts, so the demo never replaces a real lane's secret.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
