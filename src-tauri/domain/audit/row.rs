//! The audit row, defined once.
//!
//! An entry's columns are its frame (`seq`, `at`, `action`, `actor`, `os_user`, `host` first;
//! `detail`, `prev_hash`, `hash` last: what the chain and the store fill in) and, between them,
//! the columns a service records about what it did, listed once in [`recorded_columns!`]. The
//! draft, the stored entry and the borrowed entry are generated from that list, and so is every
//! place that walks the columns in order: the canonical encoding ([`EntryRef::cells`]), the CSV
//! and NDJSON exports, and the store's binds and reads ([`EntryRef::from_cells`], [`COLUMNS`]).
//! Adding a column is one line in the list, plus the migration (and a new encoding version:
//! the hash covers every column).

use serde::Serialize;

/// The columns a service records (beyond action, actor and detail), in the order of the table,
/// the canonical encoding and the exports. `recorded_columns!(m!(ARGS))` calls
/// `m! { ARGS ; name: Type, ... }` with `String` for text and `i64` for numbers; every one is
/// optional (`Option<Type>` in an entry).
macro_rules! recorded_columns {
    ($callback:ident ! ( $($args:tt)* )) => {
        $callback! {
            $($args)* ;
            lane_id: String,
            lane_version: i64,
            event_id: i64,
            attempt_id: i64,
            batch_id: i64,
            integration_user: String,
            external_id: String,
            record_type: String,
            operation_type: String,
            reason: String,
            ack_token: String,
            outcome: String,
        }
    };
}
pub(crate) use recorded_columns;

/// Borrows an owned row (an [`AuditEntry`], an NDJSON line read back: any struct with the row's
/// columns as fields of these names) as an [`EntryRef`] without a MAC, its detail text given
/// apart: `borrow_row!(row, detail)`. `EntryRef` and `ColumnType` must be in scope.
macro_rules! borrow_row {
    ($row:expr, $detail:expr) => {
        recorded_columns!(borrow_row_columns!($row, $detail))
    };
}

macro_rules! borrow_row_columns {
    ($row:expr, $detail:expr ; $($col:ident: $ty:ty,)*) => {
        EntryRef {
            seq: $row.seq,
            at: &$row.at,
            action: &$row.action,
            actor: &$row.actor,
            os_user: &$row.os_user,
            host: &$row.host,
            $($col: $row.$col.as_ref().map(ColumnType::borrow),)*
            detail: $detail,
            prev_hash: &$row.prev_hash,
            hash: &$row.hash,
            mac: None,
        }
    };
}
pub(crate) use {borrow_row, borrow_row_columns};

/// One cell of an entry, borrowed: what the encodings write and the decoders hand back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    Num(Option<i64>),
    Text(Option<&'a str>),
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Num,
    Text,
}

/// One column of the row: its name, what it holds, and whether every entry has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// A recorded column's value type (`String` or `i64`) and how it is borrowed, copied back, and
/// seen as a cell.
pub trait ColumnType: Sized {
    type Ref<'a>: Copy;
    const KIND: Kind;
    fn borrow(&self) -> Self::Ref<'_>;
    fn own(r: Self::Ref<'_>) -> Self;
    fn cell<'a>(v: Option<Self::Ref<'a>>) -> Cell<'a>;
    /// The value of a cell of this column's kind (a decoder hands back the kind it is asked
    /// for; a cell of the other kind reads as absent).
    fn from_cell<'a>(c: Cell<'a>) -> Option<Self::Ref<'a>>;
    /// As the store keeps it: an empty text is NULL, so "no reason" has one form and a CSV
    /// export (which cannot tell an empty cell from a missing one) decodes back to exactly
    /// what was hashed.
    fn normalised(v: &Option<Self>) -> Option<Self>;
}

impl ColumnType for String {
    type Ref<'a> = &'a str;
    const KIND: Kind = Kind::Text;
    fn borrow(&self) -> &str {
        self
    }
    fn own(r: &str) -> String {
        r.to_string()
    }
    fn cell<'a>(v: Option<Self::Ref<'a>>) -> Cell<'a> {
        Cell::Text(v)
    }
    fn from_cell<'a>(c: Cell<'a>) -> Option<Self::Ref<'a>> {
        match c {
            Cell::Text(t) => t,
            Cell::Num(_) => None,
        }
    }
    fn normalised(v: &Option<String>) -> Option<String> {
        v.as_ref().filter(|s| !s.is_empty()).cloned()
    }
}

impl ColumnType for i64 {
    type Ref<'a> = i64;
    const KIND: Kind = Kind::Num;
    fn borrow(&self) -> i64 {
        *self
    }
    fn own(r: i64) -> i64 {
        r
    }
    fn cell<'a>(v: Option<Self::Ref<'a>>) -> Cell<'a> {
        Cell::Num(v)
    }
    fn from_cell<'a>(c: Cell<'a>) -> Option<Self::Ref<'a>> {
        match c {
            Cell::Num(n) => n,
            Cell::Text(_) => None,
        }
    }
    fn normalised(v: &Option<i64>) -> Option<i64> {
        *v
    }
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
        required: true,
    }
}

macro_rules! define_row {
    (; $($col:ident: $ty:ty,)*) => {
        /// How many columns an entry has (without its MAC).
        pub const COLUMN_COUNT: usize = 9 + [$(stringify!($col)),*].len();

        /// Every column in order: the table's, the canonical encoding's, the exports'.
        pub const COLUMN_DEFS: [Column; COLUMN_COUNT] = [
            Column { name: "seq", kind: Kind::Num, required: true },
            text("at"),
            text("action"),
            text("actor"),
            text("os_user"),
            text("host"),
            $(Column { name: stringify!($col), kind: <$ty as ColumnType>::KIND, required: false },)*
            text("detail"),
            text("prev_hash"),
            text("hash"),
        ];

        /// The column names in order: the CSV header and the NDJSON keys.
        pub const COLUMNS: [&str; COLUMN_COUNT] = [
            "seq", "at", "action", "actor", "os_user", "host",
            $(stringify!($col),)*
            "detail", "prev_hash", "hash",
        ];

        /// What a service asks to record. Time, OS user, host, sequence and hashes are filled in
        /// by the store when the entry is appended.
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        pub struct AuditDraft {
            pub action: String,
            pub actor: String,
            $(pub $col: Option<$ty>,)*
            pub detail: serde_json::Value,
        }

        /// An entry as stored.
        #[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
        #[ts(export, export_to = "bindings/")]
        pub struct AuditEntry {
            pub seq: i64,
            pub at: String,
            pub action: String,
            pub actor: String,
            pub os_user: String,
            pub host: String,
            $(pub $col: Option<$ty>,)*
            /// Canonical JSON text (sorted keys, no whitespace).
            pub detail: String,
            pub prev_hash: String,
            pub hash: String,
        }

        /// An entry's fields borrowed from wherever they were read (a database row, an export
        /// line), so verifying a million entries copies no text.
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct EntryRef<'a> {
            pub seq: i64,
            pub at: &'a str,
            pub action: &'a str,
            pub actor: &'a str,
            pub os_user: &'a str,
            pub host: &'a str,
            $(pub $col: Option<<$ty as ColumnType>::Ref<'a>>,)*
            pub detail: &'a str,
            pub prev_hash: &'a str,
            pub hash: &'a str,
            /// The entry's MAC (hex) as stored; not part of the hash (it is computed from it).
            /// `None` for entries written before MACs, and for entries read from an export.
            pub mac: Option<&'a str>,
        }

        impl AuditEntry {
            /// The entry a draft becomes at `seq` after `prev_hash`, its text normalised as the
            /// store keeps it and its detail as canonical JSON; `hash` is left empty.
            pub fn from_draft(d: &AuditDraft, seq: i64, at: &str, os_user: &str, host: &str, prev_hash: String) -> AuditEntry {
                AuditEntry {
                    seq,
                    at: at.to_string(),
                    action: d.action.clone(),
                    actor: d.actor.clone(),
                    os_user: os_user.to_string(),
                    host: host.to_string(),
                    $($col: <$ty as ColumnType>::normalised(&d.$col),)*
                    detail: canonical_json(&d.detail),
                    prev_hash,
                    hash: String::new(),
                }
            }

            pub fn as_entry_ref(&self) -> EntryRef<'_> {
                borrow_row!(self, &self.detail)
            }
        }

        impl<'a> EntryRef<'a> {
            pub fn to_entry(&self) -> AuditEntry {
                AuditEntry {
                    seq: self.seq,
                    at: self.at.into(),
                    action: self.action.into(),
                    actor: self.actor.into(),
                    os_user: self.os_user.into(),
                    host: self.host.into(),
                    $($col: self.$col.map(<$ty as ColumnType>::own),)*
                    detail: self.detail.into(),
                    prev_hash: self.prev_hash.into(),
                    hash: self.hash.into(),
                }
            }

            /// Every column's cell, in [`COLUMNS`] order.
            pub fn cells(&self) -> [Cell<'a>; COLUMN_COUNT] {
                [
                    Cell::Num(Some(self.seq)),
                    Cell::Text(Some(self.at)),
                    Cell::Text(Some(self.action)),
                    Cell::Text(Some(self.actor)),
                    Cell::Text(Some(self.os_user)),
                    Cell::Text(Some(self.host)),
                    $(<$ty as ColumnType>::cell(self.$col),)*
                    Cell::Text(Some(self.detail)),
                    Cell::Text(Some(self.prev_hash)),
                    Cell::Text(Some(self.hash)),
                ]
            }

            /// An entry (without a MAC) from its cells, read by position in [`COLUMN_DEFS`]. The
            /// reader hands back a cell of the column's kind, and refuses (its error) a required
            /// column that is absent; what it hands back otherwise reads as empty.
            pub fn from_cells<E>(mut cell: impl FnMut(usize) -> Result<Cell<'a>, E>) -> Result<EntryRef<'a>, E> {
                let mut i = 0usize;
                let mut next = || {
                    let c = cell(i);
                    i += 1;
                    c
                };
                let num = |c: Cell<'a>| i64::from_cell(c).unwrap_or_default();
                let text = |c: Cell<'a>| String::from_cell(c).unwrap_or_default();
                Ok(EntryRef {
                    seq: num(next()?),
                    at: text(next()?),
                    action: text(next()?),
                    actor: text(next()?),
                    os_user: text(next()?),
                    host: text(next()?),
                    $($col: <$ty as ColumnType>::from_cell(next()?),)*
                    detail: text(next()?),
                    prev_hash: text(next()?),
                    hash: text(next()?),
                    mac: None,
                })
            }
        }
    };
}

recorded_columns!(define_row!());

/// Keeps the "canonical JSON" promise of `detail` whatever serde_json's features: object keys
/// sorted (recursively), no whitespace.
pub fn canonical_json(v: &serde_json::Value) -> String {
    fn sorted(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&m[k]));
                }
                serde_json::Value::Object(out)
            }
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(v).to_string()
}
