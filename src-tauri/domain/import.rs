//! What a refused import reports: every problem with its line, column and field. Plain data,
//! shared by the import service, the top-level error and the window.

use serde::Serialize;
use std::fmt;

/// One problem in an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct ImportIssue {
    /// 1-based line of the record (for CSV, the line the record starts on).
    pub line: u64,
    /// 1-based column: the character for JSON syntax errors, the cell for CSV.
    pub column: Option<u64>,
    /// The record's field, e.g. `payload` or `failure.http_status`; empty for the whole record.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ImportIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = self.column {
            write!(f, ", column {c}")?;
        }
        if !self.field.is_empty() {
            write!(f, ", field `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The whole file was refused; nothing was imported.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct ImportRejected {
    pub source: String,
    /// The first problems, in file order (at most 100).
    pub issues: Vec<ImportIssue>,
    /// All problems, listed or not.
    pub total: u64,
}

impl std::error::Error for ImportRejected {}

impl fmt::Display for ImportRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: nothing imported; {} problem{} found:",
            self.source,
            self.total,
            if self.total == 1 { "" } else { "s" }
        )?;
        for i in &self.issues {
            writeln!(f, "  {}:{i}", self.source)?;
        }
        let more = self.total.saturating_sub(self.issues.len() as u64);
        if more > 0 {
            writeln!(f, "  ... and {more} more")?;
        }
        Ok(())
    }
}
