//! The org a [`Seed`] describes, built in named steps: the org's Id, users and queues (made
//! by the org's admin), object schemas, OAuth clients, rules, then records. Every step checks
//! its part of the seed and names the offending entry.

use super::table::{account_table, group_table, user_table, valid_api_name};
use super::{coerce, sf_datetime, user_named, Client, Org, Row, Table, USERS};
use crate::sandbox::ids::{self, IdGen};
use crate::sandbox::seed::{
    AssignmentRule, DuplicateRule, FieldType, ObjectSpec, OrgSettings, Seed, SeedQueue, SeedUser, ValidationRule,
};
use crate::sandbox::SandboxError;
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Where Account stands in the tables the seed starts from (after User and Group).
const ACCOUNT: usize = 2;

fn seed_err(msg: impl Into<String>) -> SandboxError {
    SandboxError::Seed(msg.into())
}

impl Org {
    pub fn from_seed(seed: &Seed, now: DateTime<Utc>) -> Result<Org, SandboxError> {
        let mut ids = seed.id_gen();
        let org_id = given_or_new_id(&mut ids, seed.org.id.as_deref(), "org.id", "an organization Id", "00D")?;
        if seed.org.query_batch_size == 0 {
            return Err(seed_err("org.query_batch_size must be at least 1"));
        }
        let now = now.trunc_subsecs(3);
        let admin_id = ids.next("005");
        let users = users_table(&seed.users, &mut ids, &admin_id, now)?;
        let groups = queues_table(&seed.queues, &mut ids, &admin_id, now)?;
        let mut tables = vec![users, groups, account_table()];
        for (name, spec) in &seed.objects {
            add_object(&mut tables, name, spec)?;
        }
        // The lane's reference contract names these fields; without a seed schema they exist.
        if !seed.objects.contains_key("Account") {
            add_reference_contract_fields(&mut tables[ACCOUNT]);
        }
        let clients = clients(seed, &tables[USERS])?;
        let mut org = Org::empty(org_id, &seed.org, clients, tables, ids, admin_id);
        org.seed_assignment_rules(&seed.assignment_rules)?;
        org.seed_duplicate_rules(&seed.duplicate_rules)?;
        org.seed_validation_rules(&seed.validation_rules)?;
        org.seed_records(&seed.records, now)?;
        Ok(org)
    }

    /// An org with no rules, sessions, faults or writes yet, and a fresh signing key.
    fn empty(
        id: String,
        settings: &OrgSettings,
        clients: Vec<Client>,
        tables: Vec<Table>,
        ids: IdGen,
        admin_id: String,
    ) -> Org {
        let mut signing_key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut signing_key);
        Org {
            id,
            settings: settings.clone(),
            clients,
            tables,
            sessions: HashMap::new(),
            faults: Vec::new(),
            writes: Vec::new(),
            api_usage: settings.api_usage,
            cursors: VecDeque::new(),
            ids,
            signing_key,
            assignment_rules: Vec::new(),
            duplicate_rules: Vec::new(),
            validation_rules: Vec::new(),
            admin_id,
        }
    }

    fn seed_assignment_rules(&mut self, rules: &[AssignmentRule]) -> Result<(), SandboxError> {
        for r in rules {
            self.table_index(&r.object)
                .filter(|&t| self.tables[t].writable)
                .ok_or_else(|| {
                    seed_err(format!(
                        "assignment rule: object `{}` is not a writable object",
                        r.object
                    ))
                })?;
            let owner = ids::normalize(&r.owner_id)
                .ok_or_else(|| seed_err(format!("assignment rule: owner `{}` is not an Id", r.owner_id)))?;
            self.owner_state(&owner).map_err(|_| {
                seed_err(format!(
                    "assignment rule: owner `{owner}` is neither a user nor a queue"
                ))
            })?;
            self.assignment_rules.push(AssignmentRule {
                owner_id: owner,
                ..r.clone()
            });
        }
        Ok(())
    }

    fn seed_duplicate_rules(&mut self, rules: &[DuplicateRule]) -> Result<(), SandboxError> {
        for r in rules {
            let t = self
                .table_index(&r.object)
                .ok_or_else(|| seed_err(format!("duplicate rule {}: no object `{}`", r.name, r.object)))?;
            let mut fields = Vec::new();
            for f in &r.fields {
                let def = self.tables[t]
                    .field(f)
                    .ok_or_else(|| seed_err(format!("duplicate rule {}: no field `{f}`", r.name)))?;
                fields.push(def.name.clone());
            }
            if fields.is_empty() {
                return Err(seed_err(format!("duplicate rule {}: no fields to match on", r.name)));
            }
            self.duplicate_rules.push(DuplicateRule {
                fields,
                object: self.tables[t].name.clone(),
                ..r.clone()
            });
        }
        Ok(())
    }

    fn seed_validation_rules(&mut self, rules: &[ValidationRule]) -> Result<(), SandboxError> {
        for r in rules {
            let t = self
                .table_index(&r.object)
                .ok_or_else(|| seed_err(format!("validation rule: no object `{}`", r.object)))?;
            let def = self.tables[t]
                .field(&r.field)
                .ok_or_else(|| seed_err(format!("validation rule: no field `{}` on {}", r.field, r.object)))?;
            let field = def.name.clone();
            self.validation_rules.push(ValidationRule {
                field,
                object: self.tables[t].name.clone(),
                ..r.clone()
            });
        }
        Ok(())
    }

    fn seed_records(
        &mut self,
        records: &BTreeMap<String, Vec<Map<String, Value>>>,
        now: DateTime<Utc>,
    ) -> Result<(), SandboxError> {
        for (object, rows) in records {
            let t = self
                .table_index(object)
                .filter(|&t| self.tables[t].writable)
                .ok_or_else(|| {
                    seed_err(format!(
                        "records.{object}: no such writable object (declare it under `objects`)"
                    ))
                })?;
            for (i, fields) in rows.iter().enumerate() {
                self.seed_record(t, fields, now)
                    .map_err(|e| seed_err(format!("records.{object}[{i}]: {e}")))?;
            }
        }
        Ok(())
    }

    /// One seed record: its given fields checked, system fields and owner filled in when
    /// absent, then the required and unique checks.
    fn seed_record(&mut self, t: usize, fields: &Map<String, Value>, now: DateTime<Utc>) -> Result<(), String> {
        let mut row = self.seed_row_fields(t, fields)?;
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
        check_seeded_row(&self.tables[t], &row)?;
        self.tables[t].rows.push(row);
        Ok(())
    }

    /// The fields a seed record gives, each known and made to fit; a given Id must carry the
    /// object's prefix and be new.
    fn seed_row_fields(&self, t: usize, fields: &Map<String, Value>) -> Result<Row, String> {
        let table = &self.tables[t];
        let mut row = Row::new();
        for (k, v) in fields {
            let def = table
                .field(k)
                .ok_or_else(|| format!("no field `{k}` on {} (declare it under `objects`)", table.name))?;
            let v = match def.name.as_str() {
                "Id" => {
                    let s = v.as_str().unwrap_or_default();
                    let id = ids::normalize(s)
                        .filter(|i| i.starts_with(&table.key_prefix))
                        .ok_or_else(|| format!("Id `{s}` is not an Id of this object (prefix {})", table.key_prefix))?;
                    if table.row_by_id(&id).is_some() {
                        return Err(format!("Id `{id}` is used twice"));
                    }
                    json!(id)
                }
                "IsDeleted" => return Err("IsDeleted: deleted records are not imitated".into()),
                _ => coerce(def, v).map_err(|e| format!("{k}: {}", e.1))?,
            };
            if !v.is_null() {
                row.insert(def.name.clone(), v);
            }
        }
        Ok(row)
    }
}

/// Required fields present, unique external IDs not taken.
fn check_seeded_row(table: &Table, row: &Row) -> Result<(), String> {
    for def in &table.fields {
        if def.required && row.get(&def.name).is_none_or(Value::is_null) {
            return Err(format!("required field {} is missing", def.name));
        }
        if def.external_id && table.unique_external_ids {
            if let Some(v) = row.get(&def.name).and_then(Value::as_str) {
                if !table.rows_by_external_id(&def.name, v).is_empty() {
                    return Err(format!("{} is unique but `{v}` is used twice", def.name));
                }
            }
        }
    }
    Ok(())
}

/// The Id a seed entry gives (normalized, with the right prefix), or a fresh one.
fn given_or_new_id(
    ids: &mut IdGen,
    given: Option<&str>,
    place: &str,
    what: &str,
    prefix: &str,
) -> Result<String, SandboxError> {
    match given {
        Some(id) => ids::normalize(id)
            .filter(|i| i.starts_with(prefix))
            .ok_or_else(|| seed_err(format!("{place} `{id}` is not {what} ({prefix}...)"))),
        None => Ok(ids.next(prefix)),
    }
}

/// A row the org's admin made when the org started: these fields, then the system fields.
fn made_by_admin(fields: Vec<(&str, Value)>, admin_id: &str, now: DateTime<Utc>) -> Row {
    let mut row: Row = fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    for f in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
        row.insert(f.into(), json!(sf_datetime(now)));
    }
    for f in ["CreatedById", "LastModifiedById"] {
        row.insert(f.into(), json!(admin_id));
    }
    row.insert("IsDeleted".into(), json!(false));
    row
}

/// The User object: the org's admin, then the seed's users (usernames and Ids unique).
fn users_table(users: &[SeedUser], ids: &mut IdGen, admin_id: &str, now: DateTime<Utc>) -> Result<Table, SandboxError> {
    let mut table = user_table();
    let admin = vec![
        ("Id", json!(admin_id)),
        ("Username", json!("admin@sandbox.invalid")),
        ("Name", json!("Sandbox Admin")),
        ("IsActive", json!(true)),
        ("UserType", json!("Standard")),
    ];
    table.rows.push(made_by_admin(admin, admin_id, now));
    for (i, u) in users.iter().enumerate() {
        let id = given_or_new_id(ids, u.id.as_deref(), &format!("users[{i}].id"), "a User Id", "005")?;
        if user_named(&table, &u.username).is_some() || table.row_by_id(&id).is_some() {
            return Err(seed_err(format!(
                "users[{i}]: username `{}` or Id `{id}` is used twice",
                u.username
            )));
        }
        let mut fields = vec![
            ("Id", json!(id)),
            ("Username", json!(u.username)),
            ("Name", json!(u.name)),
            ("Email", json!(u.email.clone().unwrap_or_else(|| u.username.clone()))),
            ("IsActive", json!(u.active)),
            ("UserType", json!("Standard")),
        ];
        if u.integration_user {
            fields.push(("__integration", json!(true)));
        }
        let row = made_by_admin(fields, admin_id, now);
        table.rows.push(row);
    }
    Ok(table)
}

/// The Group object: the seed's queues.
fn queues_table(
    queues: &[SeedQueue],
    ids: &mut IdGen,
    admin_id: &str,
    now: DateTime<Utc>,
) -> Result<Table, SandboxError> {
    let mut table = group_table();
    for (i, q) in queues.iter().enumerate() {
        let id = given_or_new_id(ids, q.id.as_deref(), &format!("queues[{i}].id"), "a Group Id", "00G")?;
        let mut fields = vec![
            ("Id", json!(id)),
            ("Name", json!(q.name)),
            ("DeveloperName", json!(q.developer_name)),
            ("Type", json!("Queue")),
        ];
        if let Some(e) = &q.email {
            fields.push(("Email", json!(e)));
        }
        let row = made_by_admin(fields, admin_id, now);
        table.rows.push(row);
    }
    Ok(table)
}

/// A seed object: a new table (or the built-in Account) with the spec's fields and flags.
fn add_object(tables: &mut Vec<Table>, name: &str, spec: &ObjectSpec) -> Result<(), SandboxError> {
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
    apply_object_spec(&mut tables[pos], name, spec)
}

fn apply_object_spec(t: &mut Table, name: &str, spec: &ObjectSpec) -> Result<(), SandboxError> {
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
            _ => {
                return Err(seed_err(format!(
                "objects.{name}.external_id_fields: `{f}` must be a text field (numeric external IDs are not imitated)"
            )))
            }
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
    Ok(())
}

/// Account's fields the lane's reference contract names, `billing_account_id__c` an external ID.
fn add_reference_contract_fields(t: &mut Table) {
    for f in ["Tier__c", "Lifecycle_Stage__c"] {
        t.add_field(f, FieldType::Text);
    }
    t.add_field("billing_account_id__c", FieldType::Text);
    if let Some(d) = t.fields.iter_mut().find(|d| d.name == "billing_account_id__c") {
        d.external_id = true;
    }
}

/// The seed's OAuth clients, their keys parsed and their run-as users known.
fn clients(seed: &Seed, users: &Table) -> Result<Vec<Client>, SandboxError> {
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
            if user_named(users, u).is_none() {
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
    Ok(clients)
}

fn parse_public_key(pem: &str) -> Result<super::super::pubkey::PublicKey, String> {
    super::super::pubkey::PublicKey::from_pem(pem).map_err(|e| format!("not an RSA public key in PEM: {e}"))
}
