//! Event import: NDJSON, a JSON array, or CSV. One file is one transaction: if any record is
//! invalid or conflicts with a stored event, nothing is imported and every problem is listed (the
//! first 100, then a count). NDJSON and CSV stream, so memory stays bounded for any file size.

use super::Progress;
use crate::app::App;
use crate::domain::event::{self, NewEvent, FIELDS};
use crate::error::{Error, Result};
use crate::store;
use crate::store::events::{Inserted, NewRow};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

mod from_csv;
mod from_json;

use from_csv::read_csv;
use from_json::{read_json, read_ndjson};

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

#[derive(Default)]
struct Issues {
    listed: Vec<ImportIssue>,
    total: u64,
}

impl Issues {
    fn push(&mut self, issue: ImportIssue) {
        self.total += 1;
        // A batch's issues can arrive after later lines' ones: keep a batch of slack, sort at the end.
        if self.listed.len() < MAX_LISTED + store::events::MAX_BATCH {
            self.listed.push(issue);
        }
    }
}

struct LaneInfo {
    version: i64,
    object: String,
    contract: crate::domain::contract::LaneContract,
}

/// A validated event on its way to the database: `(line, key column, row)`.
type Pending = (u64, Option<u64>, NewRow);

/// Events handed from the reading thread to the writing task at a time (or the database's
/// batch, if bigger): big enough that the hand-over costs nothing per event, small enough that
/// memory stays flat (two hand-overs wait at most, besides the one being written).
const HANDOVER: usize = 1024;

/// The reading side of one import, on its own thread: parses and validates each record, and
/// hands the valid events to the writing side in batches. Reading and writing overlap: while
/// the database takes one batch (SQLite on sqlx's worker thread, a server in its own process),
/// the next is parsed.
struct Sink {
    lanes: HashMap<String, LaneInfo>,
    issues: Issues,
    records: u64,
    pending: Vec<Pending>,
    /// Events per hand-over.
    handover: usize,
    out: tokio::sync::mpsc::Sender<Vec<Pending>>,
}

/// Why the reading side stopped early because the writing side is gone (it failed, or the
/// import was dropped): not an error of its own, the writer's error is the one reported.
const WRITER_GONE: &str = "the import's writer stopped";

impl Sink {
    /// Takes one parsed record (or the problems found parsing it).
    fn record(&mut self, line: u64, value: Value, columns: Option<&HashMap<String, u64>>) -> Result<()> {
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
        let e = match event::validate_owned(value) {
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
        self.store(line, e, version, col("event_key"))
    }

    fn store(&mut self, line: u64, e: NewEvent, version: i64, key_col: Option<u64>) -> Result<()> {
        self.pending.push((line, key_col, NewRow::new(e, version)));
        if self.pending.len() >= self.handover {
            self.flush()?;
        }
        Ok(())
    }

    /// Hands the pending events to the writing side, waiting while it is two batches behind.
    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(self.handover));
        self.out.blocking_send(batch).map_err(|_| Error::Io(WRITER_GONE.into()))
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

/// The writing side of one import: the transaction, the inserts and their tallies.
struct Writer<'a> {
    tx: store::Tx<'a>,
    import_id: i64,
    now: String,
    /// Conflicts found by the inserts.
    issues: Issues,
    inserted: u64,
    unchanged: u64,
    missing_external_id: u64,
    /// New events by (lane, status), added to the maintained counts at commit.
    tallies: HashMap<(String, String), i64>,
}

impl Writer<'_> {
    /// Inserts one hand-over, in the database's batch size.
    async fn write(&mut self, pending: Vec<Pending>) -> Result<()> {
        let rows = store::events::batch_rows(&self.tx);
        for chunk in pending.chunks(rows) {
            self.insert(chunk).await?;
        }
        Ok(())
    }

    async fn insert(&mut self, pending: &[Pending]) -> Result<()> {
        let batch: Vec<&NewRow> = pending.iter().map(|(_, _, row)| row).collect();
        let results = store::events::insert_batch(&mut self.tx, &batch, self.import_id, &self.now).await?;
        for ((line, key_col, row), result) in pending.iter().zip(results) {
            let e = &row.event;
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
pub async fn import_reader<R: Read + Send + 'static>(
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
    let input = Input {
        reader,
        total_bytes,
        source,
        format,
        progress,
    };
    let result = import_on(app, &mut conn, input).await;
    let _ = store::set_cache_size(&mut conn, store::NORMAL_CACHE).await;
    result
}

/// What one import reads: the bytes, how many there are, where from, in which format, and
/// whom to tell how far it got.
struct Input<'a, R> {
    reader: R,
    total_bytes: u64,
    source: &'a str,
    format: Format,
    progress: Arc<dyn Progress>,
}

async fn import_on<R: Read + Send + 'static>(
    app: &App,
    conn: &mut store::Conn,
    input: Input<'_, R>,
) -> Result<ImportOutcome> {
    let Input {
        reader,
        total_bytes,
        source,
        format,
        progress,
    } = input;
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
    let (out, mut handed) = tokio::sync::mpsc::channel(2);
    let handover = store::events::batch_rows(&tx).max(HANDOVER);
    let sink = Sink {
        lanes,
        issues: Issues::default(),
        records: 0,
        pending: Vec::with_capacity(handover),
        handover,
        out,
    };
    let reading = {
        let progress = progress.clone();
        let source = source.to_string();
        tokio::task::spawn_blocking(move || read_all(reader, format, sink, total_bytes, &*progress, &source))
    };
    let mut writer = Writer {
        tx,
        import_id,
        now,
        issues: Issues::default(),
        inserted: 0,
        unchanged: 0,
        missing_external_id: 0,
        tallies: HashMap::new(),
    };
    let mut written = Ok(());
    while let Some(batch) = handed.recv().await {
        if let Err(e) = writer.write(batch).await {
            written = Err(e);
            break;
        }
    }
    // The reader stops at its next hand-over if the writer stopped first.
    drop(handed);
    let read = reading
        .await
        .map_err(|e| Error::Io(format!("the import's reader of {source} stopped: {e}")))?;
    written?;
    let read = read?;
    progress.report(read.bytes, total_bytes.max(read.bytes));
    if progress.cancelled() {
        return Err(Error::Cancelled(format!("import of {source}; nothing was imported")));
    }
    let records = read.records;
    let mut issues = read.issues;
    issues.total += writer.issues.total;
    issues.listed.append(&mut writer.issues.listed);
    // Conflicts found by the inserts come after the reader's issues: restore file order.
    issues.listed.sort_by_key(|i| i.line);
    issues.listed.truncate(MAX_LISTED);
    if issues.total == 0 && records == 0 {
        return Err(Error::InvalidInput(format!(
            "{source} holds no events (an empty file, or only blank lines); nothing was imported"
        )));
    }
    if issues.total > 0 {
        // Dropping the transaction rolls it back: all or nothing.
        return Err(Error::ImportRejected(ImportRejected {
            source: source.into(),
            issues: issues.listed,
            total: issues.total,
        }));
    }
    let file_sha256 = read.file_sha256;
    let mut sink = writer;
    let mut outcome = ImportOutcome {
        source: source.into(),
        format,
        import_id: None,
        records,
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
            records as i64,
            sink.inserted as i64,
            sink.unchanged as i64,
        )
        .await?;
        store::events::add_counts(&mut sink.tx, &sink.tallies).await?;
        super::audit::record(
            &mut sink.tx,
            &crate::domain::audit::AuditDraft {
                action: "events_imported".into(),
                actor: super::holder::os_user(),
                detail: serde_json::json!({
                    "import_id": import_id,
                    "source": source,
                    "format": format.as_str(),
                    "file_sha256": file_sha256,
                    "records": records,
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

/// What the reading side found: its issues, how many records, and the whole file's hash.
struct ReadOutcome {
    issues: Issues,
    records: u64,
    bytes: u64,
    file_sha256: String,
}

/// The reading thread: parses the whole input into the sink, hands over the last events, and
/// reads what a parser left unread so that the file hash covers the whole file.
fn read_all<R: Read>(
    reader: R,
    format: Format,
    mut sink: Sink,
    total_bytes: u64,
    progress: &dyn Progress,
    source: &str,
) -> Result<ReadOutcome> {
    let mut hashing = HashingReader {
        inner: reader,
        hasher: Sha256::new(),
        bytes: 0,
    };
    match format {
        Format::Ndjson => read_ndjson(&mut hashing, &mut sink, total_bytes, progress)?,
        Format::Json => read_json(&mut hashing, &mut sink)?,
        Format::Csv => read_csv(&mut hashing, &mut sink, total_bytes, progress)?,
    }
    sink.flush()?;
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| Error::Io(format!("cannot read {source}: {e}")))?;
    Ok(ReadOutcome {
        issues: sink.issues,
        records: sink.records,
        bytes: hashing.bytes,
        file_sha256: hex::encode(hashing.hasher.finalize()),
    })
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
