-- The audit screen and `audit list/export --batch ID` select a batch's entries: served by an
-- index in log order, like the event and lane filters (0003_audit.sql).
CREATE INDEX audit_log_batch ON audit_log (batch_id, seq) WHERE batch_id IS NOT NULL;
