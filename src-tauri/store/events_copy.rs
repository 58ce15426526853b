//! The import's inserts on a server (team mode): each batch goes through `COPY … FROM STDIN`
//! (text format) into a temporary staging table, then one `INSERT … SELECT … ON CONFLICT DO
//! NOTHING`, in the import's transaction. The result per event is the multi-row INSERT's of
//! store/events.rs: new, the same content already stored, or a conflict.

use super::events::Inserted;
use super::Result;
use crate::domain::event::{format_time, NewEvent};
use sqlx::PgConnection;
use std::collections::HashMap;

/// The staging table: the events table's columns as a batch carries them, with `ord`, the
/// event's place in the batch. A temporary table of the import's session, dropped at commit
/// (or with the transaction's rollback). Text columns collate "C" as the events table's do, so
/// the look-up below joins on its unique index.
const CREATE_STAGING: &str = r#"CREATE TEMP TABLE import_staging (
    ord                 BIGINT NOT NULL,
    lane_id             TEXT COLLATE "C" NOT NULL,
    lane_version        BIGINT NOT NULL,
    event_key           TEXT COLLATE "C" NOT NULL,
    source_system       TEXT COLLATE "C" NOT NULL,
    object              TEXT COLLATE "C" NOT NULL,
    external_id         TEXT COLLATE "C",
    operation           TEXT COLLATE "C" NOT NULL,
    payload             TEXT COLLATE "C" NOT NULL,
    content_hash        BYTEA NOT NULL,
    status              TEXT COLLATE "C" NOT NULL,
    failure_code        TEXT COLLATE "C",
    failure_message     TEXT COLLATE "C",
    failure_http_status BIGINT,
    occurred_at         TEXT COLLATE "C" NOT NULL
) ON COMMIT DROP"#;

const COPY_STAGING: &str = "COPY import_staging (ord, lane_id, lane_version, event_key, source_system, object,
    external_id, operation, payload, content_hash, status, failure_code, failure_message, failure_http_status,
    occurred_at) FROM STDIN";

/// One statement per batch. The INSERT (a data-modifying WITH) takes the staged rows in batch
/// order, so of two rows with the same key the first is inserted and the second skipped, as
/// in the multi-row INSERT. The SELECT runs on the statement's snapshot, which does not hold
/// the rows the INSERT adds: it finds exactly the keys stored before this batch, with their
/// id, content hash and import. The last row (`ord` -1) is how many rows the INSERT added.
const INSERT_STAGED: &str = "WITH ins AS (
    INSERT INTO events (lane_id, lane_version, event_key, source_system, object, external_id, operation,
                        payload, content_hash, status, failure_code, failure_message, failure_http_status,
                        occurred_at, import_id, updated_at)
    SELECT lane_id, lane_version, event_key, source_system, object, external_id, operation,
           payload, content_hash, status, failure_code, failure_message, failure_http_status,
           occurred_at, $1::BIGINT, $2::TEXT
    FROM import_staging ORDER BY ord
    ON CONFLICT (lane_id, event_key) DO NOTHING
    RETURNING 1)
SELECT s.ord, e.id, e.content_hash, e.import_id
FROM import_staging s JOIN events e ON e.lane_id = s.lane_id AND e.event_key = s.event_key
UNION ALL
SELECT -1, count(*), NULL::BYTEA, NULL::BIGINT FROM ins";

/// Makes the staging table, once per import, in its transaction.
pub(super) async fn create_staging(conn: &mut PgConnection) -> Result<()> {
    sqlx::query(CREATE_STAGING).execute(conn).await?;
    Ok(())
}

/// A text field of COPY's text format: backslash, tab, newline and carriage return escaped
/// (the only bytes the format gives a meaning to inside a field).
fn text(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if !bytes.iter().any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) {
        out.extend_from_slice(bytes);
        return;
    }
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// A field that may be NULL (`\N` in the text format).
fn text_or_null(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => text(out, s),
        None => out.extend_from_slice(b"\\N"),
    }
}

/// One staged row: the fields in [`COPY_STAGING`]'s order, tab-separated, newline-terminated.
fn row(out: &mut Vec<u8>, ord: usize, e: &NewEvent, version: i64, hash: &[u8; 32]) {
    use std::io::Write;
    let _ = write!(out, "{ord}\t");
    text(out, &e.lane_id);
    let _ = write!(out, "\t{version}\t");
    text(out, &e.event_key);
    out.push(b'\t');
    text(out, &e.source_system);
    out.push(b'\t');
    text(out, &e.object);
    out.push(b'\t');
    text_or_null(out, e.external_id.as_deref());
    out.push(b'\t');
    text(out, e.operation.as_str());
    out.push(b'\t');
    text(out, &e.payload_json());
    // bytea in its hex form, `\x…`, whose backslash the text format doubles.
    out.extend_from_slice(b"\t\\\\x");
    out.extend_from_slice(hex::encode(hash).as_bytes());
    out.push(b'\t');
    text(out, e.status.as_str());
    out.push(b'\t');
    text_or_null(out, e.failure.as_ref().map(|f| f.code.as_str()));
    out.push(b'\t');
    text_or_null(out, e.failure.as_ref().map(|f| f.message.as_str()));
    out.push(b'\t');
    match e.failure.as_ref().and_then(|f| f.http_status) {
        Some(h) => {
            let _ = write!(out, "{h}");
        }
        None => out.extend_from_slice(b"\\N"),
    }
    out.push(b'\t');
    text(out, &format_time(e.occurred_at));
    out.push(b'\n');
}

/// The server's form of `events::insert_batch`: the same result per event.
pub(super) async fn insert_batch(
    conn: &mut PgConnection,
    events: &[(&NewEvent, i64)],
    import_id: i64,
    now: &str,
) -> Result<Vec<Inserted>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let hashes: Vec<[u8; 32]> = events.iter().map(|(e, _)| e.content_hash()).collect();
    let mut data = Vec::with_capacity(events.len() * 1024);
    for (ord, ((e, version), hash)) in events.iter().zip(&hashes).enumerate() {
        row(&mut data, ord, e, *version, hash);
    }
    // Empty the table in place (it was made in this transaction: no new file, no WAL).
    sqlx::query("TRUNCATE import_staging").execute(&mut *conn).await?;
    let mut copy = conn.copy_in_raw(COPY_STAGING).await?;
    if let Err(e) = copy.send(data).await {
        let _ = copy.abort("the import's COPY failed").await;
        return Err(e.into());
    }
    copy.finish().await?;
    let found: Vec<(i64, i64, Option<Vec<u8>>, Option<i64>)> = sqlx::query_as(INSERT_STAGED)
        .bind(import_id)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
    let mut stored: HashMap<usize, (i64, Vec<u8>, i64)> = HashMap::new();
    let mut added = None;
    for (ord, id, hash, by_import) in found {
        match (usize::try_from(ord), hash, by_import) {
            (Ok(ord), Some(hash), Some(by_import)) => {
                stored.insert(ord, (id, hash, by_import));
            }
            _ => added = Some(id),
        }
    }
    let mut out = Vec::with_capacity(events.len());
    // The first row of each key this batch brought that was not stored before it.
    let mut first: HashMap<(&str, &str), usize> = HashMap::new();
    let mut new = 0i64;
    for (ord, ((e, _), hash)) in events.iter().zip(&hashes).enumerate() {
        if let Some((id, existing, by_import)) = stored.get(&ord) {
            out.push(if existing[..] == hash[..] {
                Inserted::Same
            } else {
                Inserted::Conflict(*id, *by_import)
            });
            continue;
        }
        let key = (e.lane_id.as_str(), e.event_key.as_str());
        match first.get(&key) {
            None => {
                first.insert(key, ord);
                new += 1;
                out.push(Inserted::New);
            }
            Some(&f) if hashes[f] == *hash => out.push(Inserted::Same),
            Some(_) => {
                // Rare (a key twice in one batch with different content): the row that was
                // inserted first, now visible.
                let id: i64 = sqlx::query_scalar("SELECT id FROM events WHERE lane_id = $1 AND event_key = $2")
                    .bind(&e.lane_id)
                    .bind(&e.event_key)
                    .fetch_one(&mut *conn)
                    .await?;
                out.push(Inserted::Conflict(id, import_id));
            }
        }
    }
    if added != Some(new) {
        return Err(sqlx::Error::Protocol(format!(
            "the import's INSERT added {added:?} rows where {new} were new; nothing was imported"
        ))
        .into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn copy_text_escapes_its_four_special_bytes_only() {
        let mut out = Vec::new();
        text(&mut out, "a\\b\tc\nd\re \"f\" 'g' ,h é\\N");
        assert_eq!(out, b"a\\\\b\\tc\\nd\\re \"f\" 'g' ,h \xc3\xa9\\\\N".to_vec());
        let mut plain = Vec::new();
        text(&mut plain, "plain");
        assert_eq!(plain, b"plain".to_vec());
    }
}
