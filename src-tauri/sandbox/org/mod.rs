//! The simulated org's state and its rules: schemas, records, sessions, the write pipeline
//! (field checks, validation, assignment and duplicate rules, system fields), the write log.
//! Everything here is synchronous and runs under the sandbox's one mutex.
//!
//! By job: `table` (objects and records), `values` (field values and datetimes), `seeding`
//! (the org a `Seed` describes), `writes` (the write operations and their log),
//! `write_rules` (the checks one write passes), `error` (Salesforce's error shape).

mod error;
mod seeding;
mod table;
mod values;
mod write_rules;
mod writes;

pub use error::ApiError;
pub use table::{row_id, FieldDef, Row, Table};
pub use values::{coerce, parse_datetime, sf_datetime};
pub use writes::{WriteCtx, WriteRecord};

use super::faults::FaultState;
use super::ids::IdGen;
use super::json::Out;
use super::seed::{AssignmentRule, DuplicateRule, OrgSettings, ValidationRule};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};

pub struct Client {
    pub client_id: String,
    pub public_key: Option<super::pubkey::PublicKey>,
    pub secret: Option<String>,
    pub run_as: Option<String>,
    pub authorized_users: Option<Vec<String>>,
}

pub struct Session {
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
}

/// A query's remaining rows, served through `nextRecordsUrl`.
pub struct Cursor {
    pub rows: Vec<Out>,
    pub total: usize,
    pub batch: usize,
}

pub struct Org {
    pub id: String,
    pub settings: OrgSettings,
    pub clients: Vec<Client>,
    pub tables: Vec<Table>,
    pub sessions: HashMap<String, Session>,
    pub faults: Vec<FaultState>,
    pub writes: Vec<WriteRecord>,
    pub api_usage: u64,
    pub cursors: VecDeque<(String, Cursor)>,
    pub ids: IdGen,
    pub signing_key: [u8; 32],
    pub assignment_rules: Vec<AssignmentRule>,
    pub duplicate_rules: Vec<DuplicateRule>,
    pub validation_rules: Vec<ValidationRule>,
    pub admin_id: String,
}

/// Where the built-in objects stand in [`Org::tables`].
const USERS: usize = 0;
const GROUPS: usize = 1;

impl Org {
    /// Object names are case-insensitive.
    pub fn table_index(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name.eq_ignore_ascii_case(name))
    }

    pub fn user_by_username(&self, username: &str) -> Option<&Row> {
        user_named(&self.tables[USERS], username)
    }

    pub fn user_by_id(&self, id: &str) -> Option<&Row> {
        self.tables[USERS].row_by_id(id).map(|i| &self.tables[USERS].rows[i])
    }

    /// Whether `id` can own a record: `Ok(active)` for a user or a queue (always active).
    fn owner_state(&self, id: &str) -> Result<bool, ()> {
        if let Some(u) = self.user_by_id(id) {
            return Ok(u.get("IsActive").and_then(Value::as_bool).unwrap_or(false));
        }
        if let Some(i) = self.tables[GROUPS].row_by_id(id) {
            if self.tables[GROUPS].rows[i].get("Type").and_then(Value::as_str) == Some("Queue") {
                return Ok(true);
            }
        }
        Err(())
    }

    /// `api-usage=N/M`.
    pub fn limit_info(&self) -> String {
        format!("api-usage={}/{}", self.api_usage, self.settings.api_limit)
    }
}

/// The user with this username (case-insensitive) in the User table.
fn user_named<'a>(users: &'a Table, username: &str) -> Option<&'a Row> {
    users
        .rows
        .iter()
        .find(|r| r.get("Username").and_then(Value::as_str).map(str::to_lowercase) == Some(username.to_lowercase()))
}
