//! The import's inserts on a server (team mode): one query finds which of a batch's keys are
//! stored already, and the new events go into `events` by `COPY … FROM STDIN` (text format),
//! in the import's transaction. The result per event is the multi-row INSERT's of store/events.rs: new, the
//! same content already stored, or a conflict.

use super::events::{Inserted, NewRow};
use super::Result;
use sqlx::PgConnection;
use std::collections::HashMap;

/// The batch's keys stored before it, with their id, content hash and import: the keys go as
/// two arrays (one statement, no staging table), joined on the table's unique index (its text
/// columns collate "C", so the keys are compared in "C" too). `ord` is the key's place in the
/// batch, from 0.
const STORED_ARRAY: &str = r#"SELECT k.ord - 1, e.id, e.content_hash, e.import_id
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(lane_id, event_key, ord)
JOIN events e ON e.lane_id = k.lane_id COLLATE "C" AND e.event_key = k.event_key COLLATE "C""#;

/// The new events, straight into the table: the server's bulk path (no per-row statement, no
/// conflict arbitration: the keys are known to be new, and every console write holds the write
/// lock, so none can appear meanwhile; a row written by other means would fail the unique
/// constraint and the whole import, never be overwritten).
const COPY_EVENTS: &str = "COPY events (lane_id, lane_version, event_key, source_system, object, external_id,
    operation, payload, content_hash, status, failure_code, failure_message, failure_http_status, occurred_at,
    import_id, updated_at) FROM STDIN";

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

/// One row of [`COPY_EVENTS`]: the fields in its order, tab-separated, newline-terminated.
fn event_row(out: &mut Vec<u8>, row: &NewRow, import_id: i64, now: &str) {
    use std::io::Write;
    let e = &row.event;
    text(out, &e.lane_id);
    let _ = write!(out, "\t{}\t", row.version);
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
    text(out, &row.payload_json);
    // bytea in its hex form, `\x…`, whose backslash the text format doubles.
    out.extend_from_slice(b"\t\\\\x");
    out.extend_from_slice(hex::encode(row.hash).as_bytes());
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
    text(out, &row.occurred_at);
    let _ = write!(out, "\t{import_id}\t");
    text(out, now);
    out.push(b'\n');
}

/// Sends `data` through one `COPY … FROM STDIN`; the number of rows the server took.
async fn copy_in(conn: &mut PgConnection, statement: &str, data: Vec<u8>) -> Result<u64> {
    let mut copy = conn.copy_in_raw(statement).await?;
    if let Err(e) = copy.send(data).await {
        let _ = copy.abort("the import's COPY failed").await;
        return Err(e.into());
    }
    Ok(copy.finish().await?)
}

/// The server's form of `events::insert_batch`: the same result per event.
pub(super) async fn insert_batch(
    conn: &mut PgConnection,
    rows: &[&NewRow],
    import_id: i64,
    now: &str,
) -> Result<Vec<Inserted>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let lanes: Vec<&str> = rows.iter().map(|r| r.event.lane_id.as_str()).collect();
    let keys: Vec<&str> = rows.iter().map(|r| r.event.event_key.as_str()).collect();
    let found: Vec<(i64, i64, Vec<u8>, i64)> = sqlx::query_as(STORED_ARRAY)
        .bind(&lanes)
        .bind(&keys)
        // Planned afresh each time: a plan cached while the table was small (a scan of it, in
        // a first import) would be kept as the table grows.
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
    let stored: HashMap<usize, (i64, Vec<u8>, i64)> = found
        .into_iter()
        .filter_map(|(ord, id, hash, by_import)| Some((usize::try_from(ord).ok()?, (id, hash, by_import))))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    // The first row of each key this batch brings that was not stored before it: the one
    // inserted, as in the multi-row INSERT. A later row with other content conflicts with it.
    let mut first: HashMap<(&str, &str), usize> = HashMap::new();
    let mut data = Vec::with_capacity(rows.len() * 1024);
    let mut new = 0u64;
    let mut twins = Vec::new();
    for (ord, row) in rows.iter().enumerate() {
        let (e, hash) = (&row.event, &row.hash);
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
                event_row(&mut data, row, import_id, now);
                out.push(Inserted::New);
            }
            Some(&f) if rows[f].hash == *hash => out.push(Inserted::Same),
            Some(_) => {
                // Its id is known once the first row is in (below).
                twins.push(out.len());
                out.push(Inserted::Conflict(0, import_id));
            }
        }
    }
    if new > 0 {
        let added = copy_in(conn, COPY_EVENTS, data).await?;
        if added != new {
            return Err(sqlx::Error::Protocol(format!(
                "the import's COPY added {added} rows where {new} were new; nothing was imported"
            ))
            .into());
        }
    }
    for ord in twins {
        let e = &rows[ord].event;
        let id: i64 = sqlx::query_scalar("SELECT id FROM events WHERE lane_id = $1 AND event_key = $2")
            .bind(&e.lane_id)
            .bind(&e.event_key)
            .fetch_one(&mut *conn)
            .await?;
        out[ord] = Inserted::Conflict(id, import_id);
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
