-- Each entry carries an HMAC-SHA256 (hex) of its hash under a key derived from the log's key in
-- the OS keychain, so an entry inserted with SQL by someone without the key is named by
-- `audit verify` even when its chain hash is right (docs/AUDIT.md). Entries written before this
-- migration have NULL; verify says from which entry MACs start. ALTER TABLE is not an UPDATE, so
-- the append-only triggers are untouched, and no existing entry changes.
ALTER TABLE audit_log ADD COLUMN mac TEXT;
