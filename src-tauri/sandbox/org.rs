//! The simulated org's state and its rules: schemas, records, sessions, the write pipeline
//! (field checks, validation, assignment and duplicate rules, system fields), the write log.
//! Everything here is synchronous and runs under the sandbox's one mutex.

use super::faults::FaultState;
use super::ids::{self, IdGen};
use super::json::Out;
use super::seed::{AssignmentRule, DuplicateAction, DuplicateRule, FieldType, OrgSettings, Seed, ValidationRule};
use super::SandboxError;
use chrono::{DateTime, SubsecRound, Utc};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};

pub type Row = BTreeMap<String, Value>;

/// Salesforce's datetime form: milliseconds and an offset without a colon.
pub fn sf_datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}

/// Parses Salesforce's datetime form, or RFC 3339 (what seed files and callers may write).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// An answer other than success, in one of Salesforce's shapes.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub body: Out,
}

impl ApiError {
    /// The top-level REST error shape: an array of `{message, errorCode, fields?}`.
    pub fn new(status: u16, code: &str, message: &str, fields: Option<&[&str]>) -> ApiError {
        let mut e = Out::obj()
            .with("message", json!(message))
            .with("errorCode", json!(code));
        if let Some(f) = fields {
            e = e.with("fields", json!(f));
        }
        ApiError {
            status,
            body: Out::Arr(vec![e]),
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::new(404, "NOT_FOUND", "The requested resource does not exist", None)
    }

    pub fn bad_request(code: &str, message: &str) -> ApiError {
        ApiError::new(400, code, message, Some(&[]))
    }
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
    fn label(&self) -> String {
        self.name.trim_end_matches("__c").replace('_', " ")
    }
}

#[derive(Debug)]
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
    fn new(name: &str, key_prefix: &str, writable: bool, body: &[(&str, FieldType)]) -> Table {
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

    fn add_field(&mut self, name: &str, ty: FieldType) {
        if self.field(name).is_some() {
            return;
        }
        // Custom fields go after the system fields, as describe lists them.
        let mut def = FieldDef::new(name, ty, self.writable);
        def.max_len = if ty == FieldType::LongText { 32_000 } else { 255 };
        self.fields.push(def);
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

    /// A record as the API shows it: `attributes`, then every field (or the chosen ones) in
    /// describe order, absent values as null.
    pub fn render(&self, row: &Row, version: &str, only: Option<&[usize]>) -> Out {
        let id = row.get("Id").and_then(Value::as_str).unwrap_or_default();
        let mut out = Out::obj().with(
            "attributes",
            json!({"type": self.name, "url": self.record_url(version, id)}),
        );
        let all: Vec<usize> = (0..self.fields.len()).collect();
        for &i in only.unwrap_or(&all) {
            let f = &self.fields[i];
            out = out.with(&f.name, row.get(&f.name).cloned().unwrap_or(Value::Null));
        }
        out
    }
}

pub struct Client {
    pub client_id: String,
    pub public_key: Option<RsaPublicKey>,
    pub secret: Option<String>,
    pub run_as: Option<String>,
    pub authorized_users: Option<Vec<String>>,
}

pub struct Session {
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
}

/// One applied write, as tests and the control endpoint see it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WriteRecord {
    pub seq: u64,
    pub at: String,
    pub method: String,
    /// Path and query as received.
    pub path: String,
    pub object: String,
    pub record_id: String,
    /// `update` (by Id), `upsert_update` or `upsert_create`.
    pub operation: String,
    pub status: u16,
    /// Request headers, lower-case names; `authorization` is never stored.
    pub headers: BTreeMap<String, String>,
    pub body: Value,
    pub user_id: String,
    /// The write was applied but its answer withheld (the `drop_after_write` fault).
    pub response_dropped: bool,
}

impl WriteRecord {
    /// A record created by someone other than the client (the `record_appears` fault): logged
    /// so a test sees it, with operation `made_by_someone_else`.
    pub fn by_someone_else(
        object: &str,
        record_id: &str,
        body: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> WriteRecord {
        WriteRecord {
            seq: 0,
            at: sf_datetime(now),
            method: "POST".into(),
            path: String::new(),
            object: object.into(),
            record_id: record_id.into(),
            operation: "made_by_someone_else".into(),
            status: 201,
            headers: BTreeMap::new(),
            body: Value::Object(body.clone()),
            user_id: String::new(),
            response_dropped: false,
        }
    }
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

/// Who writes, and which request headers steer the rules.
pub struct WriteCtx<'a> {
    pub user_id: &'a str,
    pub version: &'a str,
    /// `Sforce-Auto-Assign` absent or not FALSE.
    pub auto_assign: bool,
    /// `Sforce-Duplicate-Rule-Header: allowSave=true`.
    pub allow_save: bool,
    /// `Sforce-Duplicate-Rule-Header: includeRecordDetails=true`.
    pub include_details: bool,
    pub now: DateTime<Utc>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Create,
    Update,
}

pub struct UpsertDone {
    pub id: String,
    pub created: bool,
}

fn account_table() -> Table {
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

fn user_table() -> Table {
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

fn group_table() -> Table {
    use FieldType::*;
    Table::new(
        "Group",
        "00G",
        false,
        &[("Name", Text), ("DeveloperName", Text), ("Type", Text), ("Email", Text)],
    )
}

fn seed_err(msg: impl Into<String>) -> SandboxError {
    SandboxError::Seed(msg.into())
}

fn parse_public_key(pem: &str) -> Result<RsaPublicKey, String> {
    RsaPublicKey::from_public_key_pem(pem.trim())
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem.trim()))
        .map_err(|e| {
            format!(
                "not an RSA public key in PEM ({e}); an X.509 certificate is not accepted here, give its public key"
            )
        })
}

impl Org {
    pub fn from_seed(seed: &Seed, now: DateTime<Utc>) -> Result<Org, SandboxError> {
        let mut ids = seed.id_gen();
        let org_id = match &seed.org.id {
            Some(id) => ids::normalize(id)
                .filter(|i| i.starts_with("00D"))
                .ok_or_else(|| seed_err(format!("org.id `{id}` is not an organization Id (00D...)")))?,
            None => ids.next("00D"),
        };
        if seed.org.query_batch_size == 0 {
            return Err(seed_err("org.query_batch_size must be at least 1"));
        }
        let now = now.trunc_subsecs(3);
        let mut users = user_table();
        let mut groups = group_table();
        let admin_id = ids.next("005");
        let stamp = |row: &mut Row, creator: &str| {
            for f in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
                row.insert(f.into(), json!(sf_datetime(now)));
            }
            for f in ["CreatedById", "LastModifiedById"] {
                row.insert(f.into(), json!(creator));
            }
            row.insert("IsDeleted".into(), json!(false));
        };
        let mut admin = Row::new();
        admin.insert("Id".into(), json!(admin_id));
        admin.insert("Username".into(), json!("admin@sandbox.invalid"));
        admin.insert("Name".into(), json!("Sandbox Admin"));
        admin.insert("IsActive".into(), json!(true));
        admin.insert("UserType".into(), json!("Standard"));
        stamp(&mut admin, &admin_id);
        users.rows.push(admin);

        for (i, u) in seed.users.iter().enumerate() {
            let id = match &u.id {
                Some(id) => ids::normalize(id)
                    .filter(|i| i.starts_with("005"))
                    .ok_or_else(|| seed_err(format!("users[{i}].id `{id}` is not a User Id (005...)")))?,
                None => ids.next("005"),
            };
            if users.rows.iter().any(|r| {
                r.get("Username").and_then(Value::as_str).map(str::to_lowercase) == Some(u.username.to_lowercase())
                    || r.get("Id").and_then(Value::as_str) == Some(id.as_str())
            }) {
                return Err(seed_err(format!(
                    "users[{i}]: username `{}` or Id `{id}` is used twice",
                    u.username
                )));
            }
            let mut row = Row::new();
            row.insert("Id".into(), json!(id));
            row.insert("Username".into(), json!(u.username));
            row.insert("Name".into(), json!(u.name));
            row.insert(
                "Email".into(),
                json!(u.email.clone().unwrap_or_else(|| u.username.clone())),
            );
            row.insert("IsActive".into(), json!(u.active));
            row.insert("UserType".into(), json!("Standard"));
            stamp(&mut row, &admin_id);
            if u.integration_user {
                row.insert("__integration".into(), json!(true));
            }
            users.rows.push(row);
        }
        for (i, q) in seed.queues.iter().enumerate() {
            let id = match &q.id {
                Some(id) => ids::normalize(id)
                    .filter(|i| i.starts_with("00G"))
                    .ok_or_else(|| seed_err(format!("queues[{i}].id `{id}` is not a Group Id (00G...)")))?,
                None => ids.next("00G"),
            };
            let mut row = Row::new();
            row.insert("Id".into(), json!(id));
            row.insert("Name".into(), json!(q.name));
            row.insert("DeveloperName".into(), json!(q.developer_name));
            row.insert("Type".into(), json!("Queue"));
            if let Some(e) = &q.email {
                row.insert("Email".into(), json!(e));
            }
            stamp(&mut row, &admin_id);
            groups.rows.push(row);
        }

        let mut tables = vec![users, groups, account_table()];
        for (name, spec) in &seed.objects {
            if name.eq_ignore_ascii_case("User") || name.eq_ignore_ascii_case("Group") {
                return Err(seed_err(format!(
                    "objects.{name}: User and Group are built in and read-only"
                )));
            }
            if !valid_api_name(name) {
                return Err(seed_err(format!("objects: `{name}` is not an object API name")));
            }
            let pos = match tables.iter().position(|t| t.name == *name) {
                Some(p) => p,
                None => {
                    let prefix = spec.key_prefix.clone().unwrap_or_else(|| "a00".into());
                    if prefix.len() != 3 || !prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        return Err(seed_err(format!(
                            "objects.{name}.key_prefix must be 3 letters or digits"
                        )));
                    }
                    tables.push(Table::new(
                        name,
                        &prefix,
                        true,
                        &[("Name", FieldType::Text), ("OwnerId", FieldType::Reference)],
                    ));
                    tables.len() - 1
                }
            };
            let t = &mut tables[pos];
            for (f, ty) in &spec.fields {
                if !valid_api_name(f) {
                    return Err(seed_err(format!(
                        "objects.{name}.fields: `{f}` is not a field API name"
                    )));
                }
                t.add_field(f, *ty);
            }
            for f in &spec.external_id_fields {
                t.add_field(f, FieldType::Text);
                let def = t.fields.iter_mut().find(|d| d.name.eq_ignore_ascii_case(f));
                match def {
                    Some(d) if d.ty == FieldType::Text => d.external_id = true,
                    _ => return Err(seed_err(format!("objects.{name}.external_id_fields: `{f}` must be a text field (numeric external IDs are not imitated)"))),
                }
            }
            for f in &spec.required {
                match t.fields.iter_mut().find(|d| d.name.eq_ignore_ascii_case(f)) {
                    Some(d) if d.writable => d.required = true,
                    _ => return Err(seed_err(format!("objects.{name}.required: `{f}` is no writable field"))),
                }
            }
            t.unique_external_ids = spec.unique_external_ids;
            t.case_sensitive_external_ids = spec.case_sensitive_external_ids;
        }
        // The lane's reference contract names these fields; without a seed schema they exist.
        if !seed.objects.contains_key("Account") {
            let t = &mut tables[2];
            for f in ["Tier__c", "Lifecycle_Stage__c"] {
                t.add_field(f, FieldType::Text);
            }
            t.add_field("billing_account_id__c", FieldType::Text);
            if let Some(d) = t.fields.iter_mut().find(|d| d.name == "billing_account_id__c") {
                d.external_id = true;
            }
        }

        let mut clients = Vec::new();
        for c in &seed.clients {
            if c.client_id.is_empty() {
                return Err(seed_err("clients: a client_id is empty"));
            }
            let public_key = match &c.public_key_pem {
                Some(pem) => Some(parse_public_key(pem).map_err(|e| seed_err(format!("client {}: {e}", c.client_id)))?),
                None => None,
            };
            if let Some(u) = &c.run_as {
                if !tables[0]
                    .rows
                    .iter()
                    .any(|r| r.get("Username").and_then(Value::as_str).map(str::to_lowercase) == Some(u.to_lowercase()))
                {
                    return Err(seed_err(format!(
                        "client {}: run_as user `{u}` is not among the users",
                        c.client_id
                    )));
                }
            }
            clients.push(Client {
                client_id: c.client_id.clone(),
                public_key,
                secret: c.client_secret.clone(),
                run_as: c.run_as.clone(),
                authorized_users: c.authorized_users.clone(),
            });
        }

        let mut signing_key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut signing_key);
        let mut org = Org {
            id: org_id,
            settings: seed.org.clone(),
            clients,
            tables,
            sessions: HashMap::new(),
            faults: Vec::new(),
            writes: Vec::new(),
            api_usage: seed.org.api_usage,
            cursors: VecDeque::new(),
            ids,
            signing_key,
            assignment_rules: Vec::new(),
            duplicate_rules: Vec::new(),
            validation_rules: Vec::new(),
            admin_id,
        };

        for r in &seed.assignment_rules {
            org.table_index(&r.object)
                .filter(|&t| org.tables[t].writable)
                .ok_or_else(|| {
                    seed_err(format!(
                        "assignment rule: object `{}` is not a writable object",
                        r.object
                    ))
                })?;
            let owner = ids::normalize(&r.owner_id)
                .ok_or_else(|| seed_err(format!("assignment rule: owner `{}` is not an Id", r.owner_id)))?;
            org.owner_state(&owner).map_err(|_| {
                seed_err(format!(
                    "assignment rule: owner `{owner}` is neither a user nor a queue"
                ))
            })?;
            org.assignment_rules.push(AssignmentRule {
                owner_id: owner,
                ..r.clone()
            });
        }
        for r in &seed.duplicate_rules {
            let t = org
                .table_index(&r.object)
                .ok_or_else(|| seed_err(format!("duplicate rule {}: no object `{}`", r.name, r.object)))?;
            let mut fields = Vec::new();
            for f in &r.fields {
                let def = org.tables[t]
                    .field(f)
                    .ok_or_else(|| seed_err(format!("duplicate rule {}: no field `{f}`", r.name)))?;
                fields.push(def.name.clone());
            }
            if fields.is_empty() {
                return Err(seed_err(format!("duplicate rule {}: no fields to match on", r.name)));
            }
            org.duplicate_rules.push(DuplicateRule {
                fields,
                object: org.tables[t].name.clone(),
                ..r.clone()
            });
        }
        for r in &seed.validation_rules {
            let t = org
                .table_index(&r.object)
                .ok_or_else(|| seed_err(format!("validation rule: no object `{}`", r.object)))?;
            let def = org.tables[t]
                .field(&r.field)
                .ok_or_else(|| seed_err(format!("validation rule: no field `{}` on {}", r.field, r.object)))?;
            let field = def.name.clone();
            org.validation_rules.push(ValidationRule {
                field,
                object: org.tables[t].name.clone(),
                ..r.clone()
            });
        }

        for (object, rows) in &seed.records {
            let t = org
                .table_index(object)
                .filter(|&t| org.tables[t].writable)
                .ok_or_else(|| {
                    seed_err(format!(
                        "records.{object}: no such writable object (declare it under `objects`)"
                    ))
                })?;
            for (i, fields) in rows.iter().enumerate() {
                org.seed_record(t, fields, now)
                    .map_err(|e| seed_err(format!("records.{object}[{i}]: {e}")))?;
            }
        }
        Ok(org)
    }

    fn seed_record(&mut self, t: usize, fields: &Map<String, Value>, now: DateTime<Utc>) -> Result<(), String> {
        let mut row = Row::new();
        for (k, v) in fields {
            let def = self.tables[t]
                .field(k)
                .ok_or_else(|| format!("no field `{k}` on {} (declare it under `objects`)", self.tables[t].name))?
                .clone();
            let v = match def.name.as_str() {
                "Id" => {
                    let s = v.as_str().unwrap_or_default();
                    let id = ids::normalize(s)
                        .filter(|i| i.starts_with(&self.tables[t].key_prefix))
                        .ok_or_else(|| {
                            format!(
                                "Id `{s}` is not an Id of this object (prefix {})",
                                self.tables[t].key_prefix
                            )
                        })?;
                    if self.tables[t].row_by_id(&id).is_some() {
                        return Err(format!("Id `{id}` is used twice"));
                    }
                    json!(id)
                }
                "IsDeleted" => return Err("IsDeleted: deleted records are not imitated".into()),
                _ => coerce(&def, v).map_err(|e| format!("{k}: {}", e.1))?,
            };
            if !v.is_null() {
                row.insert(def.name.clone(), v);
            }
        }
        if !row.contains_key("Id") {
            let prefix = self.tables[t].key_prefix.clone();
            row.insert("Id".into(), json!(self.ids.next(&prefix)));
        }
        let ts = json!(sf_datetime(now));
        for f in ["CreatedDate", "LastModifiedDate"] {
            row.entry(f.into()).or_insert_with(|| ts.clone());
        }
        // SystemModstamp is never older than LastModifiedDate.
        if !row.contains_key("SystemModstamp") {
            let lmd = row.get("LastModifiedDate").cloned().unwrap_or(ts);
            row.insert("SystemModstamp".into(), lmd);
        }
        for f in ["CreatedById", "LastModifiedById"] {
            row.entry(f.into()).or_insert_with(|| json!(self.admin_id));
        }
        row.insert("IsDeleted".into(), json!(false));
        if self.tables[t].field("OwnerId").is_some() {
            let owner = row
                .entry("OwnerId".to_string())
                .or_insert_with(|| json!(self.admin_id))
                .as_str()
                .unwrap_or_default()
                .to_string();
            self.owner_state(&owner)
                .map_err(|_| format!("OwnerId `{owner}` is neither a user nor a queue"))?;
        }
        for def in self.tables[t].fields.clone() {
            if def.required && row.get(&def.name).is_none_or(Value::is_null) {
                return Err(format!("required field {} is missing", def.name));
            }
            if def.external_id && self.tables[t].unique_external_ids {
                if let Some(v) = row.get(&def.name).and_then(Value::as_str) {
                    if !self.tables[t].rows_by_external_id(&def.name, v).is_empty() {
                        return Err(format!("{} is unique but `{v}` is used twice", def.name));
                    }
                }
            }
        }
        self.tables[t].rows.push(row);
        Ok(())
    }

    /// Object names are case-insensitive.
    pub fn table_index(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name.eq_ignore_ascii_case(name))
    }

    pub fn user_by_username(&self, username: &str) -> Option<&Row> {
        self.tables[0]
            .rows
            .iter()
            .find(|r| r.get("Username").and_then(Value::as_str).map(str::to_lowercase) == Some(username.to_lowercase()))
    }

    pub fn user_by_id(&self, id: &str) -> Option<&Row> {
        self.tables[0].row_by_id(id).map(|i| &self.tables[0].rows[i])
    }

    /// Whether `id` can own a record: `Ok(active)` for a user or a queue (always active).
    fn owner_state(&self, id: &str) -> Result<bool, ()> {
        if let Some(u) = self.user_by_id(id) {
            return Ok(u.get("IsActive").and_then(Value::as_bool).unwrap_or(false));
        }
        if let Some(i) = self.tables[1].row_by_id(id) {
            if self.tables[1].rows[i].get("Type").and_then(Value::as_str) == Some("Queue") {
                return Ok(true);
            }
        }
        Err(())
    }

    /// `api-usage=N/M`.
    pub fn limit_info(&self) -> String {
        format!("api-usage={}/{}", self.api_usage, self.settings.api_limit)
    }

    // ---- writes ----

    /// PATCH by Id, honouring `If-Unmodified-Since` (1-second precision).
    pub fn update_by_id(
        &mut self,
        t: usize,
        row: usize,
        body: &Map<String, Value>,
        ctx: &WriteCtx,
        if_unmodified_since: Option<DateTime<Utc>>,
    ) -> Result<(), ApiError> {
        if let Some(limit) = if_unmodified_since {
            let r = &self.tables[t].rows[row];
            // The docs say "last modified date"; the later of LastModifiedDate and
            // SystemModstamp is the safer reading (a spurious 412 writes nothing; a missed one
            // overwrites someone's change).
            let changed = ["LastModifiedDate", "SystemModstamp"]
                .iter()
                .filter_map(|f| r.get(*f).and_then(Value::as_str).and_then(parse_datetime))
                .max();
            if let Some(changed) = changed {
                if changed.trunc_subsecs(0) > limit {
                    return Err(ApiError::new(
                        412,
                        "PRECONDITION_FAILED",
                        "The record was modified after the date in If-Unmodified-Since",
                        None,
                    ));
                }
            }
        }
        let new_row = self.prepare(t, Some(row), body, ctx, Op::Update, None)?;
        self.tables[t].rows[row] = new_row;
        Ok(())
    }

    /// PATCH by external ID: one match updates, none creates (unless `update_only`), several
    /// answer 300.
    pub fn upsert(
        &mut self,
        t: usize,
        field: &str,
        value: &str,
        body: &Map<String, Value>,
        ctx: &WriteCtx,
        update_only: bool,
    ) -> Result<UpsertDone, ApiError> {
        let matches = self.tables[t].rows_by_external_id(field, value);
        match matches.as_slice() {
            [] if update_only => Err(ApiError::not_found()),
            [] => {
                let new_row = self.prepare(t, None, body, ctx, Op::Create, Some((field, value)))?;
                let id = new_row
                    .get("Id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                self.tables[t].rows.push(new_row);
                Ok(UpsertDone { id, created: true })
            }
            [one] => {
                let new_row = self.prepare(t, Some(*one), body, ctx, Op::Update, Some((field, value)))?;
                let id = new_row
                    .get("Id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                self.tables[t].rows[*one] = new_row;
                Ok(UpsertDone { id, created: false })
            }
            several => Err(self.multiple_choices(t, several, ctx.version)),
        }
    }

    /// POST to the object: always a new record.
    pub fn create(&mut self, t: usize, body: &Map<String, Value>, ctx: &WriteCtx) -> Result<String, ApiError> {
        let new_row = self.prepare(t, None, body, ctx, Op::Create, None)?;
        let id = new_row
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        self.tables[t].rows.push(new_row);
        Ok(id)
    }

    /// A record created by the org's admin, as someone other than the client would between a
    /// preflight and a replay: no unique check (the data is simply there), logged as
    /// `made_by_someone_else`.
    pub fn insert_as_admin(
        &mut self,
        t: usize,
        fields: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let admin = self.admin_id.clone();
        let ctx = WriteCtx {
            user_id: &admin,
            version: super::seed::LATEST_API_VERSION,
            auto_assign: false,
            allow_save: true,
            include_details: false,
            now,
        };
        let id = self.create_unchecked(t, fields, &ctx)?;
        let name = self.tables[t].name.clone();
        self.log_write(WriteRecord::by_someone_else(&name, &id, fields, now));
        Ok(id)
    }

    /// A create that skips the unique external-ID check: data that is simply there (the
    /// `record_appears` fault), not a request Salesforce would judge.
    pub fn create_unchecked(
        &mut self,
        t: usize,
        body: &Map<String, Value>,
        ctx: &WriteCtx,
    ) -> Result<String, ApiError> {
        let unique = std::mem::replace(&mut self.tables[t].unique_external_ids, false);
        let r = self.create(t, body, ctx);
        self.tables[t].unique_external_ids = unique;
        r
    }

    /// 300 Multiple Choices: an array of the matching records' URLs.
    pub fn multiple_choices(&self, t: usize, rows: &[usize], version: &str) -> ApiError {
        let urls: Vec<Value> = rows
            .iter()
            .map(|&i| {
                let id = self.tables[t].rows[i]
                    .get("Id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                json!(self.tables[t].record_url(version, id))
            })
            .collect();
        ApiError {
            status: 300,
            body: Out::Val(Value::Array(urls)),
        }
    }

    /// Checks a write and returns the row as it would be after it. Nothing is changed here.
    fn prepare(
        &mut self,
        t: usize,
        existing: Option<usize>,
        body: &Map<String, Value>,
        ctx: &WriteCtx,
        op: Op,
        ext: Option<(&str, &str)>,
    ) -> Result<Row, ApiError> {
        let table = &self.tables[t];
        if !table.writable {
            return Err(ApiError::bad_request(
                "INSUFFICIENT_ACCESS_OR_READONLY",
                &format!("{} records are read-only in the simulated org", table.name),
            ));
        }
        let mut changes: Vec<(FieldDef, Value)> = Vec::new();
        let mut readonly = Vec::new();
        for (k, v) in body {
            if k == "attributes" {
                continue;
            }
            let Some(def) = table.field(k) else {
                return Err(ApiError::bad_request(
                    "INVALID_FIELD",
                    &format!("No such column '{k}' on sobject of type {}", table.name),
                ));
            };
            if def.name == "Id" {
                return Err(ApiError::bad_request("INVALID_FIELD", "Json Deserialization failed on token 'Id' and has left off in the middle of parsing a row. Will go to end of row to begin parsing the next row"));
            }
            if let Some((f, _)) = ext {
                if def.name == f {
                    // Older docs forbid the key field in the body; the URL carries it.
                    return Err(ApiError::bad_request(
                        "INVALID_FIELD",
                        &format!("The external ID field {f} is given in the URL; leave it out of the request body"),
                    ));
                }
            }
            if !def.writable {
                readonly.push(def.name.clone());
                continue;
            }
            let value = coerce(def, v).map_err(|(code, msg)| {
                let fields = [def.name.as_str()];
                ApiError::new(
                    400,
                    code,
                    &msg,
                    Some(if code == "JSON_PARSER_ERROR" { &[] } else { &fields }),
                )
            })?;
            changes.push((def.clone(), value));
        }
        if !readonly.is_empty() {
            let names: Vec<&str> = readonly.iter().map(String::as_str).collect();
            return Err(ApiError::new(400, "INVALID_FIELD_FOR_INSERT_UPDATE", &format!("Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", names.join(", ")), Some(&names)));
        }

        let mut row = match existing {
            Some(i) => table.rows[i].clone(),
            None => Row::new(),
        };
        for (def, v) in &changes {
            if v.is_null() {
                row.remove(&def.name);
            } else {
                row.insert(def.name.clone(), v.clone());
            }
        }
        if let (Some((f, value)), Op::Create) = (ext, op) {
            if let Some(def) = table.field(f) {
                // The URL's value is stored like any field value: length limits apply.
                let v = coerce(def, &json!(value))
                    .map_err(|(code, msg)| ApiError::new(400, code, &msg, Some(&[def.name.as_str()])))?;
                row.insert(def.name.clone(), v);
            }
        }

        for def in &table.fields {
            if def.required && row.get(&def.name).is_none_or(Value::is_null) {
                return Err(ApiError::new(
                    400,
                    "REQUIRED_FIELD_MISSING",
                    &format!("Required fields are missing: [{}]", def.name),
                    Some(&[def.name.as_str()]),
                ));
            }
        }
        if let Some((_, owner)) = changes.iter().find(|(d, _)| d.name == "OwnerId") {
            if let Some(owner) = owner.as_str() {
                match self.owner_state(owner) {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(ApiError::new(
                            400,
                            "INACTIVE_OWNER_OR_USER",
                            &format!(
                                "operation performed with inactive user [{owner}] as owner of {}",
                                table.name.to_lowercase()
                            ),
                            Some(&[]),
                        ));
                    }
                    Err(()) => {
                        return Err(ApiError::new(
                            400,
                            "INVALID_CROSS_REFERENCE_KEY",
                            "invalid cross reference id",
                            Some(&["OwnerId"]),
                        ));
                    }
                }
            }
        }
        for rule in self.validation_rules.iter().filter(|r| r.object == table.name) {
            if let Some((_, v)) = changes.iter().find(|(d, _)| d.name == rule.field) {
                if rule.reject_values.iter().any(|r| r == v) {
                    return Err(ApiError::new(
                        400,
                        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                        &rule.message,
                        Some(&[rule.field.as_str()]),
                    ));
                }
            }
        }
        if ctx.auto_assign {
            if let Some(rule) = self.assignment_rules.iter().find(|r| r.object == table.name) {
                if op == Op::Create || rule.on_update {
                    row.insert("OwnerId".into(), json!(rule.owner_id));
                }
            }
        }
        if op == Op::Create && table.field("OwnerId").is_some() && !row.contains_key("OwnerId") {
            row.insert("OwnerId".into(), json!(ctx.user_id));
        }
        let own_id = existing.and_then(|i| table.rows[i].get("Id").and_then(Value::as_str).map(str::to_string));
        if table.unique_external_ids {
            for def in table.fields.iter().filter(|d| d.external_id) {
                if let Some(v) = row.get(&def.name).and_then(Value::as_str) {
                    for other in table.rows_by_external_id(&def.name, v) {
                        let other_id = table.rows[other].get("Id").and_then(Value::as_str).unwrap_or_default();
                        if Some(other_id) != own_id.as_deref() {
                            return Err(ApiError::new(
                                400,
                                "DUPLICATE_VALUE",
                                &format!(
                                    "duplicate value found: {} duplicates value on record with id: {other_id}",
                                    def.name
                                ),
                                Some(&[]),
                            ));
                        }
                    }
                }
            }
        }
        for rule in self.duplicate_rules.iter().filter(|r| r.object == table.name) {
            if (op == Op::Create && !rule.on_create) || (op == Op::Update && !rule.on_update) {
                continue;
            }
            if rule.action == DuplicateAction::Allow && ctx.allow_save {
                continue;
            }
            let matches: Vec<usize> = table
                .rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.get("Id").and_then(Value::as_str) != own_id.as_deref())
                .filter(|(_, r)| rule.fields.iter().all(|f| same_text(r.get(f), row.get(f))))
                .map(|(i, _)| i)
                .collect();
            if !matches.is_empty() {
                return Err(duplicates_detected(table, rule, &matches, ctx));
            }
        }

        let now = json!(sf_datetime(ctx.now));
        if op == Op::Create {
            let prefix = table.key_prefix.clone();
            row.insert("Id".into(), json!(self.ids.next(&prefix)));
            row.insert("IsDeleted".into(), json!(false));
            row.insert("CreatedDate".into(), now.clone());
            row.insert("CreatedById".into(), json!(ctx.user_id));
        }
        row.insert("LastModifiedDate".into(), now.clone());
        row.insert("LastModifiedById".into(), json!(ctx.user_id));
        row.insert("SystemModstamp".into(), now);
        Ok(row)
    }

    pub fn log_write(&mut self, mut w: WriteRecord) {
        w.seq = self.writes.len() as u64 + 1;
        self.writes.push(w);
    }
}

/// Both present and equal ignoring case (the exact matching engine ignores case); two empty
/// values are no match.
fn same_text(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a.and_then(Value::as_str), b.and_then(Value::as_str)) {
        (Some(a), Some(b)) => !a.trim().is_empty() && a.trim().to_lowercase() == b.trim().to_lowercase(),
        _ => false,
    }
}

/// The 400 a blocking duplicate rule answers, with the `duplicateResut` key spelled as
/// Salesforce spells it.
fn duplicates_detected(table: &Table, rule: &DuplicateRule, matches: &[usize], ctx: &WriteCtx) -> ApiError {
    let records: Vec<Out> = matches
        .iter()
        .map(|&i| {
            let row = &table.rows[i];
            let id = row.get("Id").and_then(Value::as_str).unwrap_or_default();
            let mut rec = Out::obj()
                .with(
                    "attributes",
                    json!({"type": table.name, "url": table.record_url(ctx.version, id)}),
                )
                .with("Id", json!(id));
            if ctx.include_details {
                for f in &rule.fields {
                    rec = rec.with(f, row.get(f).cloned().unwrap_or(Value::Null));
                }
            }
            Out::obj()
                .with("additionalInformation", json!([]))
                .with("fieldDiffs", json!([]))
                .with("matchConfidence", json!(100.0))
                .with("record", rec)
        })
        .collect();
    let match_result = Out::obj()
        .with("entityType", json!(table.name))
        .with("errors", json!([]))
        .with("matchEngine", json!("ExactMatchEngine"))
        .with("matchRecords", Out::Arr(records))
        .with("rule", json!(rule.matching_rule))
        .with("size", json!(matches.len()))
        .with("success", json!(true));
    let dup = Out::obj()
        .with("allowSave", json!(rule.action == DuplicateAction::Allow))
        .with("duplicateRule", json!(rule.name))
        .with("duplicateRuleEntityType", json!(table.name))
        .with("errorMessage", json!(rule.error_message))
        .with("matchResults", Out::Arr(vec![match_result]));
    let e = Out::obj()
        .with("duplicateResut", dup)
        .with("errorCode", json!("DUPLICATES_DETECTED"))
        .with("message", json!("Use one of these records?"));
    ApiError {
        status: 400,
        body: Out::Arr(vec![e]),
    }
}

/// A JSON value made to fit a field, or `(errorCode, message)`.
pub fn coerce(def: &FieldDef, v: &Value) -> Result<Value, (&'static str, String)> {
    let parser_err = |what: &str| {
        (
            "JSON_PARSER_ERROR",
            format!(
                "Cannot deserialize instance of {what} from {} value {v} or request may be missing a required field",
                json_token(v)
            ),
        )
    };
    if v.is_null() {
        return Ok(Value::Null);
    }
    match def.ty {
        FieldType::Text | FieldType::LongText => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(parser_err("string")),
            };
            if s.is_empty() {
                // Salesforce stores an empty text as null.
                return Ok(Value::Null);
            }
            let len = s.chars().count();
            if len > def.max_len {
                return Err((
                    "STRING_TOO_LONG",
                    format!(
                        "{}: data value too large: {} (max length={})",
                        def.label(),
                        truncate(&s, 40),
                        def.max_len
                    ),
                ));
            }
            Ok(Value::String(s))
        }
        FieldType::Number => {
            let n = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
                _ => None,
            };
            n.map(Value::from).ok_or_else(|| parser_err("double"))
        }
        FieldType::Boolean => match v {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(parser_err("boolean")),
        },
        FieldType::Reference => {
            let s = v.as_str().ok_or_else(|| parser_err("reference"))?;
            ids::normalize(s).map(Value::String).ok_or_else(|| {
                (
                    "MALFORMED_ID",
                    format!("{}: id value of incorrect type: {}", def.label(), truncate(s, 40)),
                )
            })
        }
        FieldType::Datetime => {
            let s = v.as_str().ok_or_else(|| parser_err("datetime"))?;
            parse_datetime(s)
                .map(|t| Value::String(sf_datetime(t.trunc_subsecs(3))))
                .ok_or_else(|| parser_err("datetime"))
        }
    }
}

fn json_token(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "VALUE_STRING",
        Value::Number(_) => "VALUE_NUMBER",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
        Value::Null => "VALUE_NULL",
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n).collect::<String>())
    }
}

/// An API name: a letter, then letters, digits and single underscores (`__c` and such allowed).
pub fn valid_api_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && s.len() <= 80
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
