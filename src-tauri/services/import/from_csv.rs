//! Reading a CSV file into the import's sink: a header row with DESIGN's field names; `payload`
//! (and `failure`, if used) hold JSON text. Spreadsheet-friendly flat columns `failure_code`,
//! `failure_message` and `failure_http_status` are accepted instead of `failure`.

use super::from_json::{json_problem, parse_strict};
use super::*;

const FLAT_FAILURE: [&str; 3] = ["failure_code", "failure_message", "failure_http_status"];

/// The header's column names in order, and the column an error about each field names.
struct Header {
    names: Vec<String>,
    err_columns: HashMap<String, u64>,
}

pub(super) fn read_csv<R: Read>(r: &mut R, sink: &mut Sink, total: u64, progress: &dyn Progress) -> Result<()> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(r);
    let mut record = csv::ByteRecord::new();
    let Some(header) = read_header(&mut rdr, &mut record, sink) else {
        return Ok(());
    };
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
        if let Some(obj) = row_object(&record, line, &header, sink) {
            sink.record(line, Value::Object(obj), Some(&header.err_columns))?;
        }
        if n.is_multiple_of(4096) {
            progress.report(rdr.position().byte(), total);
            if progress.cancelled() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Reads and checks the header row; `None` (with the problems in the sink) when it is unusable.
fn read_header<R: Read>(rdr: &mut csv::Reader<R>, record: &mut csv::ByteRecord, sink: &mut Sink) -> Option<Header> {
    match rdr.read_byte_record(record) {
        Ok(true) => {}
        Ok(false) => {
            sink.issue(1, None, "", "the file is empty; a CSV import needs a header row".into());
            return None;
        }
        Err(e) => {
            sink.issue(1, None, "", format!("unreadable CSV header: {e}"));
            return None;
        }
    }
    let mut names: Vec<String> = Vec::new();
    let mut columns: HashMap<String, u64> = HashMap::new();
    let mut header_ok = true;
    for (i, h) in record.iter().enumerate() {
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
            let message = format!("unknown column (expected: {})", FIELDS.join(", "));
            sink.issue(1, Some(col), &name, message);
            header_ok = false;
        } else if columns.insert(name.clone(), col).is_some() {
            sink.issue(1, Some(col), &name, "column appears twice".into());
            header_ok = false;
        }
        names.push(name);
    }
    if columns.contains_key("failure") && FLAT_FAILURE.iter().any(|f| columns.contains_key(*f)) {
        let message =
            "use either a `failure` JSON column or failure_code/failure_message/failure_http_status, not both";
        sink.issue(1, None, "failure", message.into());
        header_ok = false;
    }
    if !header_ok {
        return None;
    }
    // Field errors name the `failure` column, or failure_code when the flat form is used.
    let mut err_columns = columns.clone();
    if let Some(c) = columns.get("failure_code") {
        err_columns.insert("failure".into(), *c);
    }
    Some(Header { names, err_columns })
}

/// One data row as the object an NDJSON line would hold; `None` (with the problems in the sink)
/// when a cell cannot be read.
fn row_object(record: &csv::ByteRecord, line: u64, header: &Header, sink: &mut Sink) -> Option<Map<String, Value>> {
    if record.as_slice().len() > MAX_LINE_BYTES {
        sink.issue(line, None, "", format!("record is longer than {MAX_LINE_BYTES} bytes"));
        return None;
    }
    if record.len() != header.names.len() {
        let message = format!("has {} cells, the header has {}", record.len(), header.names.len());
        sink.issue(line, None, "", message);
        return None;
    }
    let mut obj = Map::new();
    let mut failure = Map::new();
    let mut cell_errors = false;
    for (i, cell) in record.iter().enumerate() {
        let col = i as u64 + 1;
        let name = header.names[i].as_str();
        let Ok(text) = std::str::from_utf8(cell) else {
            sink.issue(line, Some(col), name, "not valid UTF-8 text".into());
            cell_errors = true;
            continue;
        };
        if text.is_empty() {
            continue;
        }
        let cell = match name {
            "payload" | "failure" => parse_strict(text.as_bytes())
                .map(|v| obj.insert(name.into(), v))
                .map_err(|e| (name, format!("{} in the cell", json_problem(&e)))),
            "failure_code" => Ok(failure.insert("code".into(), Value::String(text.into()))),
            "failure_message" => Ok(failure.insert("message".into(), Value::String(text.into()))),
            "failure_http_status" => match text.trim().parse::<u64>() {
                Ok(v) => Ok(failure.insert("http_status".into(), Value::from(v))),
                Err(_) => Err(("failure.http_status", format!("`{text}` is not a number"))),
            },
            _ => Ok(obj.insert(name.into(), Value::String(text.into()))),
        };
        if let Err((field, message)) = cell {
            sink.issue(line, Some(col), field, message);
            cell_errors = true;
        }
    }
    if cell_errors {
        return None;
    }
    if !failure.is_empty() {
        obj.insert("failure".into(), Value::Object(failure));
    }
    Some(obj)
}
