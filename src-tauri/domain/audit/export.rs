//! Export encodings of audit entries: CSV (RFC 4180) and NDJSON, both reversible, so that
//! `audit verify-export` can recompute every exported entry's hash offline. Both write the
//! columns in [`COLUMNS`] order, walking an entry's cells ([`EntryRef::cells`]).
//!
//! CSV injection (OWASP): a text cell starting with `=`, `+`, `-`, `@`, tab or CR is prefixed
//! with a single quote, which spreadsheets show and never evaluate. A cell that already starts
//! with a quote gets one more, so decoding is exact: strip one leading quote if there is one.
//! Integer columns (`seq`, `lane_version`, `event_id`, `attempt_id`, `batch_id`) are not user
//! text: the table is STRICT, so they hold only integers we format ourselves (`-?[0-9]+`), which
//! a spreadsheet reads as a number, never as a formula; quoting them would turn them into text
//! and break sorting. Every TEXT column is neutralised, even ones we write (time, hashes),
//! because a tampered database could put anything there.

use super::chain::Decimal;
use super::row::{borrow_row, borrow_row_columns, recorded_columns, Cell, ColumnType, Kind, COLUMN_DEFS};
use super::EntryRef;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::io::Write;

pub use super::row::COLUMNS;

/// The version of the export files and manifest.
pub const EXPORT_FORMAT: &str = "replay-console/audit-export/v1";

pub fn needs_neutralising(s: &str) -> bool {
    matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\'')
    )
}

/// A text cell as written to CSV.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    if needs_neutralising(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The original text of a CSV text cell.
pub fn unneutralise(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

/// Streams entries as RFC 4180 CSV (CRLF line ends, fields quoted when needed), header first.
pub struct CsvWriter<W: Write> {
    w: csv::Writer<W>,
    cell: String,
}

impl<W: Write> CsvWriter<W> {
    pub fn new(inner: W) -> csv::Result<Self> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .has_headers(false)
            .from_writer(inner);
        w.write_record(COLUMNS)?;
        Ok(CsvWriter {
            w,
            cell: String::with_capacity(4096),
        })
    }

    fn text(&mut self, s: &str) -> csv::Result<()> {
        if needs_neutralising(s) {
            self.cell.clear();
            self.cell.push('\'');
            self.cell.push_str(s);
            self.w.write_field(&self.cell)
        } else {
            self.w.write_field(s)
        }
    }

    fn num(&mut self, n: Option<i64>) -> csv::Result<()> {
        match n {
            None => self.w.write_field(""),
            Some(n) => self.w.write_field(Decimal::new(n).as_bytes()),
        }
    }

    /// One row: absent text and numbers are empty cells.
    pub fn write(&mut self, e: &EntryRef<'_>) -> csv::Result<()> {
        for c in e.cells() {
            match c {
                Cell::Num(n) => self.num(n)?,
                Cell::Text(t) => self.text(t.unwrap_or(""))?,
            }
        }
        self.w.write_record(None::<&[u8]>)
    }

    /// Flushes and hands back the inner writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// Whether a CSV header row is this format's.
pub fn csv_header_ok(h: &csv::StringRecord) -> bool {
    h.len() == COLUMNS.len() && h.iter().zip(COLUMNS).all(|(a, b)| a == b)
}

/// An entry from one CSV row (header excluded), borrowing the row's text.
pub fn csv_entry(r: &csv::StringRecord) -> Result<EntryRef<'_>, String> {
    if r.len() != COLUMNS.len() {
        return Err(format!("has {} cells, the format has {}", r.len(), COLUMNS.len()));
    }
    // Exports carry no MACs (a recipient without the log's key could not check them): the
    // entry's `mac` stays `None`.
    EntryRef::from_cells(|i| {
        let col = &COLUMN_DEFS[i];
        let cell = r.get(i).unwrap_or("");
        Ok(match (col.kind, col.required) {
            (Kind::Text, true) => Cell::Text(Some(unneutralise(cell))),
            // The store never writes empty optional text (it stores NULL), so empty means absent.
            (Kind::Text, false) => Cell::Text(Some(cell).filter(|s| !s.is_empty()).map(unneutralise)),
            (Kind::Num, required) => {
                let n = if cell.is_empty() {
                    None
                } else {
                    Some(
                        cell.parse::<i64>()
                            .map_err(|_| format!("column `{}`: `{cell}` is not an integer", col.name))?,
                    )
                };
                if required && n.is_none() {
                    return Err(format!("column `{}` is empty", col.name));
                }
                Cell::Num(n)
            }
        })
    })
}

/// An entry's detail in an NDJSON line: as a JSON value, byte for byte as stored, for tools
/// (`jq .detail.after`); or as a string instead, when the stored text cannot be embedded byte
/// for byte (not JSON, or with raw line breaks, which would split the line).
fn ndjson_detail(detail: &str) -> (Option<&RawValue>, Option<&str>) {
    let raw = serde_json::from_str::<&RawValue>(detail)
        .ok()
        .filter(|r| r.get() == detail && r.get() != "null" && !detail.contains(['\n', '\r']));
    (raw, if raw.is_none() { Some(detail) } else { None })
}

macro_rules! ndjson_lines {
    (; $($col:ident: $ty:ty,)*) => {
        #[derive(Serialize)]
        struct NdjsonOut<'a> {
            seq: i64,
            at: &'a str,
            action: &'a str,
            actor: &'a str,
            os_user: &'a str,
            host: &'a str,
            $($col: Option<<$ty as ColumnType>::Ref<'a>>,)*
            #[serde(skip_serializing_if = "Option::is_none")]
            detail: Option<&'a RawValue>,
            #[serde(skip_serializing_if = "Option::is_none")]
            detail_text: Option<&'a str>,
            prev_hash: &'a str,
            hash: &'a str,
        }

        /// Writes one entry as one NDJSON line (serde only; control characters escaped by
        /// serde_json, so a line never contains a raw line break).
        pub fn write_ndjson<W: Write>(w: &mut W, e: &EntryRef<'_>) -> std::io::Result<()> {
            let (detail, detail_text) = ndjson_detail(e.detail);
            let line = NdjsonOut {
                seq: e.seq,
                at: e.at,
                action: e.action,
                actor: e.actor,
                os_user: e.os_user,
                host: e.host,
                $($col: e.$col,)*
                detail,
                detail_text,
                prev_hash: e.prev_hash,
                hash: e.hash,
            };
            serde_json::to_writer(&mut *w, &line).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        }

        /// One NDJSON line read back.
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct NdjsonEntry {
            seq: i64,
            at: String,
            action: String,
            actor: String,
            os_user: String,
            host: String,
            $($col: Option<$ty>,)*
            #[serde(default)]
            detail: Option<Box<RawValue>>,
            #[serde(default)]
            detail_text: Option<String>,
            prev_hash: String,
            hash: String,
        }

        impl NdjsonEntry {
            pub fn parse(line: &str) -> Result<NdjsonEntry, String> {
                serde_json::from_str(line).map_err(|e| format!("not an audit entry: {e}"))
            }

            pub fn entry_ref(&self) -> Result<EntryRef<'_>, String> {
                let detail = match (&self.detail, &self.detail_text) {
                    (Some(raw), None) => raw.get(),
                    (None, Some(text)) => text.as_str(),
                    _ => return Err("needs exactly one of `detail` and `detail_text`".into()),
                };
                Ok(borrow_row!(self, detail))
            }
        }
    };
}

recorded_columns!(ndjson_lines!());

#[cfg(test)]
mod tests {
    use super::super::tests::chain;
    use super::super::{AuditEntry, ChainMode, ChainVerifier};
    use super::*;
    use proptest::prelude::*;

    fn csv_round_trip(entries: &[AuditEntry]) -> (Vec<u8>, Vec<AuditEntry>) {
        let mut w = CsvWriter::new(Vec::new()).expect("header");
        for e in entries {
            w.write(&e.as_entry_ref()).expect("write to memory");
        }
        let bytes = w.finish().expect("flush");
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[..]);
        let mut rec = csv::StringRecord::new();
        assert!(r.read_record(&mut rec).expect("header row"), "a header row comes first");
        assert!(csv_header_ok(&rec), "the header names the columns");
        let mut back = Vec::new();
        while r.read_record(&mut rec).expect("RFC 4180 parses") {
            back.push(csv_entry(&rec).expect("a row of ours decodes").to_entry());
        }
        (bytes, back)
    }

    #[test]
    fn csv_golden_cases_are_neutralised_and_parse_back() {
        let cases = [
            (
                "=HYPERLINK(\"http://evil.example\",\"click\")",
                "'=HYPERLINK(\"http://evil.example\",\"click\")",
            ),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tleading tab", "'\tleading tab"),
            ("\rleading CR", "'\rleading CR"),
            ("'already quoted", "''already quoted"),
            ("say \"hi\"", "say \"hi\""),
            ("a,b,c", "a,b,c"),
            ("line1\nline2\r\nline3", "line1\nline2\r\nline3"),
            ("Zoë Ωmega 東京 🚀", "Zoë Ωmega 東京 🚀"),
            ("mid=dle is fine", "mid=dle is fine"),
        ];
        let base = chain(1, &["x".into()]).remove(0);
        let entries: Vec<AuditEntry> = cases
            .iter()
            .enumerate()
            .map(|(i, (raw, _))| AuditEntry {
                seq: i as i64 + 1,
                reason: Some(raw.to_string()),
                actor: raw.to_string(),
                event_id: Some(-(i as i64)),
                ..base.clone()
            })
            .collect();
        let (bytes, back) = csv_round_trip(&entries);
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(&bytes[..]);
        for (row, (raw, neutral)) in r.records().zip(cases) {
            let row = row.expect("each row parses with a real CSV parser");
            assert_eq!(&row[3], neutral, "actor `{raw:?}` is stored in the cell as {neutral:?}");
            assert_eq!(
                &row[15], neutral,
                "reason `{raw:?}` is stored in the cell as {neutral:?}"
            );
        }
        let first = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(&bytes[..])
            .records()
            .nth(1);
        let first = first.expect("a second row").expect("parses");
        assert_eq!(&first[8], "-1", "an integer column stays a number even when negative");
        assert_eq!(back, entries, "decoding a CSV export restores every entry exactly");
        assert!(
            bytes.windows(2).any(|w| w == b"\r\n"),
            "RFC 4180 ends records with CRLF"
        );
    }

    #[test]
    fn ndjson_round_trips_control_characters_and_line_separators_exactly() {
        let tricky = "nul\u{0} bell\u{7} esc\u{1b} nl\n cr\r tab\t ls\u{2028} ps\u{2029} del\u{7f} \"q\" \\b";
        let base = chain(1, &["x".into()]).remove(0);
        let e = AuditEntry {
            reason: Some(tricky.into()),
            detail: serde_json::json!({"after": {"Name": tricky}}).to_string(),
            ..base
        };
        let mut out = Vec::new();
        write_ndjson(&mut out, &e.as_entry_ref()).expect("to memory");
        assert_eq!(
            out.iter().filter(|&&b| b == b'\n').count(),
            1,
            "one entry is exactly one line"
        );
        let line = std::str::from_utf8(&out).expect("UTF-8").trim_end_matches('\n');
        let back = NdjsonEntry::parse(line).expect("parses");
        let back = back.entry_ref().expect("has a detail").to_entry();
        assert_eq!(back, e, "every character survives, U+2028 included");
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON object");
        assert_eq!(
            v["detail"]["after"]["Name"], tricky,
            "tools see the detail as JSON, not as a string"
        );
    }

    #[test]
    fn a_detail_that_is_not_json_is_kept_as_text() {
        let base = chain(1, &["x".into()]).remove(0);
        let e = AuditEntry {
            detail: "{\n}".into(),
            ..base
        };
        let mut out = Vec::new();
        write_ndjson(&mut out, &e.as_entry_ref()).expect("to memory");
        assert_eq!(
            out.iter().filter(|&&b| b == b'\n').count(),
            1,
            "a raw line break never splits the line"
        );
        let back = NdjsonEntry::parse(std::str::from_utf8(&out).expect("utf8").trim_end()).expect("parses");
        assert_eq!(
            back.entry_ref().expect("detail").detail,
            "{\n}",
            "the stored text is kept exactly"
        );
    }

    proptest! {
        #[test]
        fn any_text_survives_csv_and_ndjson(texts in prop::collection::vec("\\PC*|[=+\\-@\\t\\r'\"\n,]{0,4}\\PC{0,6}", 1..8)) {
            let entries = chain(texts.len(), &texts)
                .into_iter()
                .zip(&texts)
                .map(|(e, t)| AuditEntry { host: t.clone(), ..e })
                .collect::<Vec<_>>();
            let (_, back) = csv_round_trip(&entries);
            prop_assert_eq!(&back, &entries, "CSV decoding is exact");
            for e in &entries {
                let mut out = Vec::new();
                write_ndjson(&mut out, &e.as_entry_ref()).expect("to memory");
                let s = std::str::from_utf8(&out).expect("utf8");
                let parsed = NdjsonEntry::parse(s.trim_end_matches('\n')).expect("parses");
                prop_assert_eq!(&parsed.entry_ref().expect("detail").to_entry(), e, "NDJSON decoding is exact");
            }
        }
    }

    #[test]
    fn an_exported_chain_still_verifies_after_decoding() {
        let entries = chain(20, &["=1".into(), "-x".into(), "\u{2028}".into()]);
        let (_, back) = csv_round_trip(&entries);
        let mut v = ChainVerifier::new(ChainMode::Complete);
        for e in &back {
            assert_eq!(v.push(&e.as_entry_ref()), Ok(()), "hashes hold after a CSV round trip");
        }
    }
}
