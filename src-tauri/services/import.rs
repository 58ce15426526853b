//! Event import: NDJSON, a JSON array, or CSV. One file is one transaction: if any record is
//! invalid or conflicts with a stored event, nothing is imported and every problem is listed (the
//! first 100, then a count). NDJSON and CSV stream, so memory stays bounded for any file size.

use super::Progress;
use crate::app::App;
use crate::domain::event::{self, NewEvent, FIELDS};
use crate::error::{Error, Result};
use crate::store;
use crate::store::events::Inserted;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// A line (or CSV record) longer than this is refused rather than buffered.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
/// How many problems are listed; the rest are counted.
pub const MAX_LISTED: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum Format {
    Ndjson,
    Json,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Ndjson => "ndjson",
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Format::parse(&ext)
    }
}

pub use crate::domain::import::{ImportIssue, ImportRejected};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct ImportOutcome {
    pub source: String,
    pub format: Format,
    /// `None` when the file added nothing (every record was already stored).
    pub import_id: Option<i64>,
    pub records: u64,
    pub inserted: u64,
    /// Records already stored with the same content.
    pub unchanged: u64,
    /// Of the inserted, how many have no external ID (the `external_id_missing` case).
    pub missing_external_id: u64,
    pub file_sha256: String,
}

struct Issues {
    listed: Vec<ImportIssue>,
    total: u64,
}

impl Issues {
    fn push(&mut self, issue: ImportIssue) {
        self.total += 1;
        // A batch's issues can arrive after later lines' ones: keep a batch of slack, sort at the end.
        if self.listed.len() < MAX_LISTED + store::events::INSERT_BATCH {
            self.listed.push(issue);
        }
    }
}

struct LaneInfo {
    version: i64,
    object: String,
    contract: crate::domain::contract::LaneContract,
}

/// The transaction and tallies of one import.
struct Sink<'a> {
    tx: sqlx::Transaction<'a, sqlx::Sqlite>,
    lanes: HashMap<String, LaneInfo>,
    import_id: i64,
    now: String,
    issues: Issues,
    records: u64,
    inserted: u64,
    unchanged: u64,
    missing_external_id: u64,
    /// Validated events waiting for the next batched INSERT: `(line, key column, event, version)`.
    pending: Vec<(u64, Option<u64>, NewEvent, i64)>,
    /// New events by (lane, status), added to the maintained counts at commit.
    tallies: HashMap<(String, String), i64>,
}

impl Sink<'_> {
    /// Takes one parsed record (or the problems found parsing it).
    async fn record(&mut self, line: u64, value: Value, columns: Option<&HashMap<String, u64>>) -> Result<()> {
        self.records += 1;
        let col = |field: &str| columns.and_then(|c| c.get(field.split('.').next().unwrap_or(field)).copied());
        // replay_policy.event_key: an event without a key of its own gets one derived from its
        // composite business key, where the lane's contract says so.
        let mut value = value;
        if let Some(lane) = value
            .get("lane_id")
            .and_then(Value::as_str)
            .and_then(|l| self.lanes.get(l))
        {
            if let Some(Err(message)) = event::derive_missing_key(&lane.contract, &mut value) {
                self.issues.push(ImportIssue {
                    line,
                    column: col("event_key"),
                    field: "event_key".into(),
                    message,
                });
                return Ok(());
            }
        }
        let e = match event::validate(&value) {
            Ok(e) => e,
            Err(errs) => {
                for fe in errs {
                    self.issues.push(ImportIssue {
                        line,
                        column: col(&fe.field),
                        field: fe.field,
                        message: fe.message,
                    });
                }
                return Ok(());
            }
        };
        let Some(lane) = self.lanes.get(&e.lane_id) else {
            self.issues.push(ImportIssue {
                line,
                column: col("lane_id"),
                field: "lane_id".into(),
                message: format!(
                    "no lane `{}`; import its contract first (`lanes import FILE.yaml`)",
                    e.lane_id
                ),
            });
            return Ok(());
        };
        if lane.object != e.object {
            self.issues.push(ImportIssue {
                line,
                column: col("object"),
                field: "object".into(),
                message: format!("`{}`, but lane `{}` writes {}", e.object, e.lane_id, lane.object),
            });
            return Ok(());
        }
        if !lane.contract.allows_operation(e.operation.as_str()) {
            self.issues.push(ImportIssue {
                line,
                column: col("operation"),
                field: "operation".into(),
                message: format!(
                    "`{}`, but lane `{}` allows only update events (its write_policy.operation is update: it never creates)",
                    e.operation.as_str(),
                    e.lane_id
                ),
            });
            return Ok(());
        }
        let version = lane.version;
        self.store(line, e, version, col("event_key")).await
    }

    async fn store(&mut self, line: u64, e: NewEvent, version: i64, key_col: Option<u64>) -> Result<()> {
        self.pending.push((line, key_col, e, version));
        if self.pending.len() >= store::events::INSERT_BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let batch: Vec<(&NewEvent, i64)> = pending.iter().map(|(_, _, e, v)| (e, *v)).collect();
        let results = store::events::insert_batch(&mut self.tx, &batch, self.import_id, &self.now).await?;
        for ((line, key_col, e, _), result) in pending.iter().zip(results) {
            match result {
                Inserted::New => {
                    self.inserted += 1;
                    *self.tallies.entry((e.lane_id.clone(), e.status.as_str().to_string())).or_insert(0) += 1;
                    if e.external_id.is_none() {
                        self.missing_external_id += 1;
                    }
                }
                Inserted::Same => self.unchanged += 1,
                Inserted::Conflict(id, by_import) => self.issues.push(ImportIssue {
                    line: *line,
                    column: *key_col,
                    field: "event_key".into(),
                    message: if by_import == self.import_id {
                        format!(
                            "`{}` in lane `{}` appears earlier in this file with different content",
                            e.event_key, e.lane_id
                        )
                    } else {
                        format!(
                            "conflict: event `{}` in lane `{}` is already stored (event {id}, import #{by_import}) with different content; nothing was overwritten",
                            e.event_key, e.lane_id
                        )
                    },
                }),
            }
        }
        Ok(())
    }

    fn issue(&mut self, line: u64, column: Option<u64>, field: &str, message: String) {
        self.issues.push(ImportIssue {
            line,
            column,
            field: field.into(),
            message,
        });
    }
}

/// Imports one file. `format` defaults to the file's extension.
pub async fn import_file(
    app: &App,
    path: &Path,
    format: Option<Format>,
    progress: Arc<dyn Progress>,
) -> Result<ImportOutcome> {
    let format = match format.or_else(|| Format::from_extension(path)) {
        Some(f) => f,
        None => {
            return Err(Error::InvalidInput(format!(
                "cannot tell the format of {} from its name; pass --format ndjson, json or csv",
                path.display()
            )))
        }
    };
    let file = std::fs::File::open(path).map_err(|e| Error::Io(format!("cannot open {}: {e}", path.display())))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let source = path.display().to_string();
    import_reader(app, file, total, &source, format, progress).await
}

/// Imports from any reader (a file, or bytes in tests).
pub async fn import_reader<R: Read + Send>(
    app: &App,
    reader: R,
    total_bytes: u64,
    source: &str,
    format: Format,
    progress: Arc<dyn Progress>,
) -> Result<ImportOutcome> {
    // One connection for the whole import, with a big page cache (index pages of a million
    // rows) that is given back before the connection returns to the pool, whatever happened.
    let mut conn = app.pool.acquire().await?;
    store::set_cache_size(&mut conn, store::IMPORT_CACHE).await?;
    let result = import_on(app, &mut conn, reader, total_bytes, source, format, progress).await;
    let _ = store::set_cache_size(&mut conn, store::NORMAL_CACHE).await;
    result
}

async fn import_on<R: Read + Send>(
    app: &App,
    conn: &mut sqlx::SqliteConnection,
    reader: R,
    total_bytes: u64,
    source: &str,
    format: Format,
    progress: Arc<dyn Progress>,
) -> Result<ImportOutcome> {
    let mut lanes = HashMap::new();
    for row in store::lanes::list_current(&app.pool).await? {
        let contract: crate::domain::contract::LaneContract =
            serde_json::from_str(&row.contract_json).map_err(|e| {
                Error::Io(format!(
                    "the stored contract of lane {} no longer parses: {e}",
                    row.lane_id
                ))
            })?;
        lanes.insert(
            row.lane_id,
            LaneInfo {
                version: row.version,
                object: contract.identity_policy.object.0.clone(),
                contract,
            },
        );
    }
    let now = store::now_text();
    // IMMEDIATE: take the write lock now, so a concurrent writer waits instead of failing at
    // the first insert.
    let mut tx = store::write_tx_on(conn).await?;
    let import_id = store::imports::begin(&mut tx, source, format.as_str(), &now).await?;
    let mut sink = Sink {
        tx,
        lanes,
        import_id,
        now,
        issues: Issues {
            listed: Vec::new(),
            total: 0,
        },
        records: 0,
        inserted: 0,
        unchanged: 0,
        missing_external_id: 0,
        pending: Vec::with_capacity(store::events::INSERT_BATCH),
        tallies: HashMap::new(),
    };
    let mut hashing = HashingReader {
        inner: reader,
        hasher: Sha256::new(),
        bytes: 0,
    };
    match format {
        Format::Ndjson => read_ndjson(&mut hashing, &mut sink, total_bytes, &*progress).await?,
        Format::Json => read_json(&mut hashing, &mut sink).await?,
        Format::Csv => read_csv(&mut hashing, &mut sink, total_bytes, &*progress).await?,
    }
    sink.flush().await?;
    // Issues from batched inserts arrive after those of later lines: restore file order.
    sink.issues.listed.sort_by_key(|i| i.line);
    sink.issues.listed.truncate(MAX_LISTED);
    // Drain whatever a parser left unread, so the file hash covers the whole file.
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| Error::Io(format!("cannot read {source}: {e}")))?;
    progress.report(hashing.bytes, total_bytes.max(hashing.bytes));
    let file_sha256 = hex::encode(hashing.hasher.finalize());
    if progress.cancelled() {
        return Err(Error::Cancelled(format!("import of {source}; nothing was imported")));
    }
    if sink.issues.total == 0 && sink.records == 0 {
        return Err(Error::InvalidInput(format!(
            "{source} holds no events (an empty file, or only blank lines); nothing was imported"
        )));
    }
    if sink.issues.total > 0 {
        // Dropping the transaction rolls it back: all or nothing.
        return Err(Error::ImportRejected(ImportRejected {
            source: source.into(),
            issues: sink.issues.listed,
            total: sink.issues.total,
        }));
    }
    let mut outcome = ImportOutcome {
        source: source.into(),
        format,
        import_id: None,
        records: sink.records,
        inserted: sink.inserted,
        unchanged: sink.unchanged,
        missing_external_id: sink.missing_external_id,
        file_sha256: file_sha256.clone(),
    };
    if sink.inserted > 0 {
        store::imports::finish(
            &mut sink.tx,
            import_id,
            &file_sha256,
            sink.records as i64,
            sink.inserted as i64,
            sink.unchanged as i64,
        )
        .await?;
        store::events::add_counts(&mut sink.tx, &sink.tallies).await?;
        super::audit::record(
            &mut sink.tx,
            &crate::domain::audit::AuditDraft {
                action: "events_imported".into(),
                actor: super::audit::os_user(),
                detail: serde_json::json!({
                    "import_id": import_id,
                    "source": source,
                    "format": format.as_str(),
                    "file_sha256": file_sha256,
                    "records": sink.records,
                    "inserted": sink.inserted,
                    "unchanged": sink.unchanged,
                }),
                ..Default::default()
            },
        )
        .await?;
        sink.tx.commit().await?;
        super::audit::checkpoint(app).await;
        outcome.import_id = Some(import_id);
    }
    Ok(outcome)
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// 1-based column of a byte offset within a line, counted in characters.
fn char_column(line: &[u8], byte_offset: usize) -> u64 {
    let prefix = &line[..byte_offset.min(line.len())];
    (String::from_utf8_lossy(prefix).chars().count() + 1) as u64
}

async fn read_ndjson<R: Read>(r: &mut R, sink: &mut Sink<'_>, total: u64, progress: &dyn Progress) -> Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, r);
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0u64;
    let mut done = 0u64;
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::Io(format!("read error at line {}: {e}", line_no + 1)))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        done += n as u64;
        if buf.len() > MAX_LINE_BYTES && !buf.ends_with(b"\n") {
            sink.issue(
                line_no,
                None,
                "",
                format!("line is longer than {} bytes", MAX_LINE_BYTES),
            );
            // Skip the rest of the overlong line without buffering it.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                let m = (&mut reader)
                    .take(1 << 16)
                    .read_until(b'\n', &mut rest)
                    .map_err(|e| Error::Io(format!("read error at line {line_no}: {e}")))?;
                done += m as u64;
                if m == 0 || rest.ends_with(b"\n") {
                    break;
                }
            }
            continue;
        }
        let mut line = trim_eol(&buf);
        if line_no == 1 {
            if utf16_bom(line) {
                sink.issue(1, Some(1), "", UTF16_MESSAGE.into());
                return Ok(());
            }
            // A UTF-8 byte-order mark (some Windows tools write one) is not part of the JSON.
            line = line.strip_prefix(UTF8_BOM).unwrap_or(line);
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Err(e) = std::str::from_utf8(line) {
            let col = char_column(line, e.valid_up_to());
            sink.issue(line_no, Some(col), "", "not valid UTF-8 text".into());
            continue;
        }
        match parse_strict(line) {
            Ok(v) => sink.record(line_no, v, None).await?,
            Err(e) => sink.issue(line_no, Some(e.column() as u64), "", json_problem(&e)),
        }
        if line_no.is_multiple_of(4096) {
            progress.report(done, total);
            if progress.cancelled() {
                return Ok(());
            }
        }
    }
    Ok(())
}

fn trim_eol(buf: &[u8]) -> &[u8] {
    let mut s = buf;
    if let Some(rest) = s.strip_suffix(b"\n") {
        s = rest;
    }
    if let Some(rest) = s.strip_suffix(b"\r") {
        s = rest;
    }
    s
}

/// What is wrong with a line's JSON: syntax ("malformed JSON: ..."), or valid JSON that is still
/// refused (a key twice).
fn json_problem(e: &serde_json::Error) -> String {
    if e.classify() == serde_json::error::Category::Data {
        json_reason(e)
    } else {
        format!("malformed JSON: {}", json_reason(e))
    }
}

/// serde_json's message without its trailing " at line X column Y".
fn json_reason(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m,
    }
}

/// A JSON array is parsed whole (it has no record boundaries to stream on); each element's line
/// is found from its position in the text.
async fn read_json<R: Read>(r: &mut R, sink: &mut Sink<'_>) -> Result<()> {
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes)
        .map_err(|e| Error::Io(format!("read error: {e}")))?;
    if utf16_bom(&bytes) {
        sink.issue(1, Some(1), "", UTF16_MESSAGE.into());
        return Ok(());
    }
    if bytes.starts_with(UTF8_BOM) {
        // Blanked, not removed, so that offsets (and so lines and columns) stay those of the file.
        bytes[..UTF8_BOM.len()].copy_from_slice(b"   ");
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = line_col(&bytes, e.valid_up_to());
            sink.issue(line, Some(col), "", "not valid UTF-8 text".into());
            return Ok(());
        }
    };
    let elements: Vec<&serde_json::value::RawValue> = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let msg = if e.classify() == serde_json::error::Category::Data {
                "the file must be a JSON array of event objects".to_string()
            } else {
                format!("malformed JSON: {}", json_reason(&e))
            };
            sink.issue(e.line() as u64, Some(e.column() as u64), "", msg);
            return Ok(());
        }
    };
    for raw in elements {
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let (line, _) = line_col(&bytes, offset);
        match parse_strict(raw.get().as_bytes()) {
            Ok(v) => sink.record(line, v, None).await?,
            Err(e) => sink.issue(line, None, "", json_problem(&e)),
        }
    }
    Ok(())
}

fn line_col(bytes: &[u8], offset: usize) -> (u64, u64) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    (line, char_column(&bytes[line_start..], offset - line_start))
}

/// CSV: a header row with DESIGN's field names; `payload` (and `failure`, if used) hold JSON
/// text. Spreadsheet-friendly flat columns `failure_code`, `failure_message` and
/// `failure_http_status` are accepted instead of `failure`.
async fn read_csv<R: Read>(r: &mut R, sink: &mut Sink<'_>, total: u64, progress: &dyn Progress) -> Result<()> {
    const FLAT_FAILURE: [&str; 3] = ["failure_code", "failure_message", "failure_http_status"];
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(r);
    let mut record = csv::ByteRecord::new();
    let header = match rdr.read_byte_record(&mut record) {
        Ok(true) => record.clone(),
        Ok(false) => {
            sink.issue(1, None, "", "the file is empty; a CSV import needs a header row".into());
            return Ok(());
        }
        Err(e) => {
            sink.issue(1, None, "", format!("unreadable CSV header: {e}"));
            return Ok(());
        }
    };
    let mut names: Vec<String> = Vec::new();
    let mut columns: HashMap<String, u64> = HashMap::new();
    let mut header_ok = true;
    for (i, h) in header.iter().enumerate() {
        let col = i as u64 + 1;
        let name = match std::str::from_utf8(h) {
            Ok(s) => s.trim().trim_start_matches('\u{feff}').to_string(),
            Err(_) => {
                sink.issue(1, Some(col), "", "header cell is not valid UTF-8".into());
                header_ok = false;
                continue;
            }
        };
        if !FIELDS.contains(&name.as_str()) && !FLAT_FAILURE.contains(&name.as_str()) {
            sink.issue(
                1,
                Some(col),
                &name,
                format!("unknown column (expected: {})", FIELDS.join(", ")),
            );
            header_ok = false;
        } else if columns.insert(name.clone(), col).is_some() {
            sink.issue(1, Some(col), &name, "column appears twice".into());
            header_ok = false;
        }
        names.push(name);
    }
    if columns.contains_key("failure") && FLAT_FAILURE.iter().any(|f| columns.contains_key(*f)) {
        sink.issue(
            1,
            None,
            "failure",
            "use either a `failure` JSON column or failure_code/failure_message/failure_http_status, not both".into(),
        );
        header_ok = false;
    }
    if !header_ok {
        return Ok(());
    }
    // Field errors name the `failure` column, or failure_code when the flat form is used.
    let mut err_columns = columns.clone();
    if let Some(c) = columns.get("failure_code") {
        err_columns.insert("failure".into(), *c);
    }
    let mut n = 0u64;
    loop {
        let next_line = rdr.position().line();
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let at = e.position().map_or(next_line, |p| p.line());
                sink.issue(at, None, "", format!("malformed CSV: {e}"));
                // A CSV syntax error leaves the reader at an unknown place: stop here.
                return Ok(());
            }
        }
        n += 1;
        let line = record.position().map_or(next_line, |p| p.line());
        if record.as_slice().len() > MAX_LINE_BYTES {
            sink.issue(line, None, "", format!("record is longer than {MAX_LINE_BYTES} bytes"));
            continue;
        }
        if record.len() != names.len() {
            sink.issue(
                line,
                None,
                "",
                format!("has {} cells, the header has {}", record.len(), names.len()),
            );
            continue;
        }
        let mut obj = Map::new();
        let mut failure = Map::new();
        let mut cell_errors = false;
        for (i, cell) in record.iter().enumerate() {
            let col = i as u64 + 1;
            let name = names[i].as_str();
            let text = match std::str::from_utf8(cell) {
                Ok(t) => t,
                Err(_) => {
                    sink.issue(line, Some(col), name, "not valid UTF-8 text".into());
                    cell_errors = true;
                    continue;
                }
            };
            if text.is_empty() {
                continue;
            }
            match name {
                "payload" | "failure" => match parse_strict(text.as_bytes()) {
                    Ok(v) => {
                        obj.insert(name.into(), v);
                    }
                    Err(e) => {
                        sink.issue(line, Some(col), name, format!("{} in the cell", json_problem(&e)));
                        cell_errors = true;
                    }
                },
                "failure_code" => {
                    failure.insert("code".into(), Value::String(text.into()));
                }
                "failure_message" => {
                    failure.insert("message".into(), Value::String(text.into()));
                }
                "failure_http_status" => match text.trim().parse::<u64>() {
                    Ok(v) => {
                        failure.insert("http_status".into(), Value::from(v));
                    }
                    Err(_) => {
                        sink.issue(
                            line,
                            Some(col),
                            "failure.http_status",
                            format!("`{text}` is not a number"),
                        );
                        cell_errors = true;
                    }
                },
                _ => {
                    obj.insert(name.into(), Value::String(text.into()));
                }
            }
        }
        if cell_errors {
            continue;
        }
        if !failure.is_empty() {
            obj.insert("failure".into(), Value::Object(failure));
        }
        sink.record(line, Value::Object(obj), Some(&err_columns)).await?;
        if n.is_multiple_of(4096) {
            progress.report(rdr.position().byte(), total);
            if progress.cancelled() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Parses one JSON value, refusing an object with the same key twice (at any depth): which of
/// the two a later reader would take is not defined, so the event's meaning is not either.
fn parse_strict(text: &[u8]) -> std::result::Result<Value, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(text);
    let v = StrictValue.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

struct StrictValue;

impl<'de> serde::de::DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictValue {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(StrictValue)?;
            match out.entry(k) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(v);
                }
                serde_json::map::Entry::Occupied(slot) => {
                    return Err(serde::de::Error::custom(format_args!(
                        "the key `{}` appears twice in one object (which value is meant is not defined)",
                        slot.key()
                    )));
                }
            }
        }
        Ok(Value::Object(out))
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A UTF-16 byte-order mark: such a file is refused whole, with one clear message instead of
/// one per line.
fn utf16_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF")
}

const UTF16_MESSAGE: &str = "the file is UTF-16 text; save it as UTF-8 and import it again";
