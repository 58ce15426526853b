//! Objects and their records: field definitions, the system fields every object has, the
//! built-in User, Group and Account, and a record as the API renders it.

use crate::sandbox::ids;
use crate::sandbox::json::Out;
use crate::sandbox::seed::FieldType;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub type Row = BTreeMap<String, Value>;

/// A row's Id, or "" when it has none.
pub fn row_id(row: &Row) -> &str {
    row.get("Id").and_then(Value::as_str).unwrap_or_default()
}

#[derive(Debug, Clone)]
pub struct FieldDef {
    pub name: String,
    pub ty: FieldType,
    pub writable: bool,
    pub external_id: bool,
    pub required: bool,
    pub max_len: usize,
}

impl FieldDef {
    fn new(name: &str, ty: FieldType, writable: bool) -> FieldDef {
        FieldDef {
            name: name.into(),
            ty,
            writable,
            external_id: false,
            required: false,
            max_len: match ty {
                FieldType::LongText => 32_000,
                _ => 255,
            },
        }
    }

    /// The label Salesforce puts in messages ("Owner ID", "Account Name"): close enough.
    pub(super) fn label(&self) -> String {
        self.name.trim_end_matches("__c").replace('_', " ")
    }
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub key_prefix: String,
    pub fields: Vec<FieldDef>,
    pub writable: bool,
    pub unique_external_ids: bool,
    pub case_sensitive_external_ids: bool,
    pub rows: Vec<Row>,
}

const SYSTEM_HEAD: &[(&str, FieldType)] = &[("Id", FieldType::Reference), ("IsDeleted", FieldType::Boolean)];
const SYSTEM_TAIL: &[(&str, FieldType)] = &[
    ("CreatedDate", FieldType::Datetime),
    ("CreatedById", FieldType::Reference),
    ("LastModifiedDate", FieldType::Datetime),
    ("LastModifiedById", FieldType::Reference),
    ("SystemModstamp", FieldType::Datetime),
];

impl Table {
    pub(super) fn new(name: &str, key_prefix: &str, writable: bool, body: &[(&str, FieldType)]) -> Table {
        let mut fields = Vec::new();
        for (n, t) in SYSTEM_HEAD {
            fields.push(FieldDef::new(n, *t, false));
        }
        for (n, t) in body {
            fields.push(FieldDef::new(n, *t, writable));
        }
        for (n, t) in SYSTEM_TAIL {
            fields.push(FieldDef::new(n, *t, false));
        }
        Table {
            name: name.into(),
            key_prefix: key_prefix.into(),
            fields,
            writable,
            unique_external_ids: false,
            case_sensitive_external_ids: false,
            rows: Vec::new(),
        }
    }

    /// Field names are case-insensitive in Salesforce's API.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    pub(super) fn add_field(&mut self, name: &str, ty: FieldType) {
        if self.field(name).is_some() {
            return;
        }
        // Custom fields go after the system fields, as describe lists them.
        self.fields.push(FieldDef::new(name, ty, self.writable));
    }

    pub fn row_by_id(&self, id: &str) -> Option<usize> {
        let id18 = ids::normalize(id)?;
        self.rows
            .iter()
            .position(|r| r.get("Id").and_then(Value::as_str) == Some(id18.as_str()))
    }

    /// Rows whose external-ID `field` equals `value` (case-insensitive unless configured).
    pub fn rows_by_external_id(&self, field: &str, value: &str) -> Vec<usize> {
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| match r.get(field).and_then(Value::as_str) {
                Some(v) if self.case_sensitive_external_ids => v == value,
                Some(v) => v.to_lowercase() == value.to_lowercase(),
                None => false,
            })
            .map(|(i, _)| i)
            .collect()
    }

    pub fn record_url(&self, version: &str, id: &str) -> String {
        format!("/services/data/v{version}/sobjects/{}/{id}", self.name)
    }

    /// A record's `attributes`: its type and URL.
    pub fn attributes(&self, version: &str, id: &str) -> Value {
        json!({"type": self.name, "url": self.record_url(version, id)})
    }

    /// A record as the API shows it: `attributes`, then every field (or the chosen ones) in
    /// describe order, absent values as null.
    pub fn render(&self, row: &Row, version: &str, only: Option<&[usize]>) -> Out {
        let mut out = Out::obj().with("attributes", self.attributes(version, row_id(row)));
        let all: Vec<usize> = (0..self.fields.len()).collect();
        for &i in only.unwrap_or(&all) {
            let f = &self.fields[i];
            out = out.with(&f.name, row.get(&f.name).cloned().unwrap_or(Value::Null));
        }
        out
    }
}

pub(super) fn account_table() -> Table {
    use FieldType::*;
    let mut t = Table::new(
        "Account",
        "001",
        true,
        &[
            ("Name", Text),
            ("Type", Text),
            ("ParentId", Reference),
            ("BillingStreet", LongText),
            ("BillingCity", Text),
            ("BillingState", Text),
            ("BillingPostalCode", Text),
            ("BillingCountry", Text),
            ("Phone", Text),
            ("Website", Text),
            ("Industry", Text),
            ("AnnualRevenue", Number),
            ("NumberOfEmployees", Number),
            ("Description", LongText),
            ("OwnerId", Reference),
        ],
    );
    if let Some(f) = t.fields.iter_mut().find(|f| f.name == "Name") {
        f.required = true;
    }
    t
}

pub(super) fn user_table() -> Table {
    use FieldType::*;
    Table::new(
        "User",
        "005",
        false,
        &[
            ("Username", Text),
            ("Name", Text),
            ("Email", Text),
            ("IsActive", Boolean),
            ("UserType", Text),
        ],
    )
}

pub(super) fn group_table() -> Table {
    use FieldType::*;
    Table::new(
        "Group",
        "00G",
        false,
        &[("Name", Text), ("DeveloperName", Text), ("Type", Text), ("Email", Text)],
    )
}

/// An API name: a letter, then letters, digits and single underscores (`__c` and such allowed).
pub fn valid_api_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && s.len() <= 80
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
