//! The demo: a simulated org whose records match the demo events so that every finding arises,
//! a demo database with both demo lanes pointed at it, and their demo secrets in the keychain.
//! `replay-console demo` runs it; the desktop end-to-end test uses it too.

use crate::app::App;
use crate::error::{Error, Result};
use crate::keychain::{KeychainError, Secret};
use crate::sandbox::{FieldType, ObjectSpec, Seed, SeedUser};
use crate::services::{self, NoProgress};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The reference contract, unchanged but for `connection.instance_url`.
pub const REFERENCE_CONTRACT: &str = include_str!("../../tests/data/lane_account_sync.yaml");
pub const ENRICHMENT_CONTRACT: &str = include_str!("../../examples/lane_contact_enrichment.yaml");
pub const DEMO_EVENTS: &str = include_str!("../../examples/demo_events.ndjson");
/// A throwaway key: it protects nothing but the demo's simulated org.
pub const DEMO_PRIVATE_KEY: &str = include_str!("../../tests/data/test_only_rsa_key.pem");
pub const DEMO_CLIENT_SECRET: &str = "demo-enrichment-client-secret";
/// The demo org's default port: a fixed one keeps the demo lane's contract (and its version)
/// the same from one run to the next.
pub const DEMO_PORT: u16 = 47615;

pub const ACCOUNT_LANE: &str = "account_sync_north_america";
pub const CONTACT_LANE: &str = "contact_enrichment_emea";

/// The demo key's public half (`openssl pkey -pubout`), which the demo org verifies with.
pub const DEMO_PUBLIC_KEY: &str = include_str!("../../tests/data/sf_test_only_rsa_key.pub.pem");

/// What the demo org holds for one demo event, chosen by its position so the demo shows every
/// situation a preflight can meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Situation {
    /// The record exists, unchanged since before the event: a clean update.
    Clean,
    /// Nothing has the external ID: a replay creates the record.
    Absent,
    /// Someone changed the record after the event.
    ModifiedAfter,
    /// The record sits with the lane's fallback queue.
    FallbackOwner,
    /// Its owner is an inactive user.
    InactiveOwner,
    /// Two records share the external ID.
    Duplicate,
    /// Nothing has the external ID, but a record with the same name exists.
    BusinessKeyMatch,
}

pub fn situation(index: usize) -> Situation {
    match index % 12 {
        0..=4 => Situation::Clean,
        5 => Situation::Absent,
        6 => Situation::ModifiedAfter,
        7 => Situation::FallbackOwner,
        8 => Situation::InactiveOwner,
        9 => Situation::Clean,
        10 => Situation::Duplicate,
        _ => Situation::BusinessKeyMatch,
    }
}

/// The demo org's seed, built from the demo events.
pub fn seed() -> Result<Seed> {
    let mut s = Seed::new();
    s.org.name = "Acme (simulated)".into();
    let integration = s.new_id("005");
    s.users.push(SeedUser {
        id: Some(integration.clone()),
        username: "sf_account_sync_app@acme.example".into(),
        name: "Account Sync Integration".into(),
        email: None,
        active: true,
        integration_user: true,
    });
    let enrichment = s.new_id("005");
    s.users.push(SeedUser {
        id: Some(enrichment),
        username: "sf_enrichment_app@acme.example".into(),
        name: "Enrichment Integration".into(),
        email: None,
        active: true,
        integration_user: true,
    });
    let rita = s.user("rita.alvarez@acme.example", "Rita Alvarez", true);
    let omar = s.user("omar.haddad@acme.example", "Omar Haddad", false);
    let priya = s.user("priya.steward@acme.example", "Priya Nair", true);
    let fallback = s.queue("RevOps Queue", "revenue_ops_queue");
    s.queue("Marketing Ops Queue", "marketing_ops_queue");
    s.jwt_client("3MVG9EXAMPLECONSUMERKEY", DEMO_PUBLIC_KEY);
    s.client_credentials(
        "3MVG9EXAMPLEENRICHMENTKEY",
        DEMO_CLIENT_SECRET,
        "sf_enrichment_app@acme.example",
    );
    let text = |names: &[&str]| -> BTreeMap<String, FieldType> {
        names.iter().map(|n| (n.to_string(), FieldType::Text)).collect()
    };
    let mut account_fields = text(&[
        "billing_account_id__c",
        "BillingCity",
        "BillingCountry",
        "Phone",
        "Tier__c",
        "Lifecycle_Stage__c",
    ]);
    account_fields.insert("AnnualRevenue".into(), FieldType::Number);
    s.objects.insert(
        "Account".into(),
        ObjectSpec {
            key_prefix: Some("001".into()),
            fields: account_fields,
            external_id_fields: vec!["billing_account_id__c".into()],
            // Not unique: the demo needs records that share an external ID.
            unique_external_ids: false,
            case_sensitive_external_ids: false,
            required: vec!["Name".into()],
        },
    );
    s.objects.insert(
        "Contact".into(),
        ObjectSpec {
            key_prefix: Some("003".into()),
            fields: text(&[
                "FirstName",
                "LastName",
                "Title",
                "LinkedIn_URL__c",
                "Email",
                "enrichment_id__c",
            ]),
            external_id_fields: vec!["enrichment_id__c".into()],
            unique_external_ids: false,
            case_sensitive_external_ids: false,
            required: vec!["LastName".into()],
        },
    );
    s.assignment_rule("Account", &rita);

    let before = "2026-11-19T08:00:00.000+0000";
    let after = "2026-11-21T14:30:00.000+0000";
    let mut index = 0usize;
    for line in DEMO_EVENTS.lines().filter(|l| !l.trim().is_empty()) {
        let ev: Value = serde_json::from_str(line).map_err(|e| Error::Io(format!("demo event: {e}")))?;
        let (Some(ext), Some(object), Some(payload)) = (
            ev.get("external_id").and_then(Value::as_str),
            ev.get("object").and_then(Value::as_str),
            ev.get("payload").and_then(Value::as_object),
        ) else {
            continue;
        };
        let sit = situation(index);
        index += 1;
        let ext_field = if object == "Account" {
            "billing_account_id__c"
        } else {
            "enrichment_id__c"
        };
        // The record as it was before the event: the event's values, with the name as it used
        // to be and the tier the record already has.
        let mut rec = serde_json::Map::new();
        for (k, v) in payload {
            rec.insert(k.clone(), v.clone());
        }
        if let Some(Value::String(n)) = rec.get("Name").cloned() {
            rec.insert("Name".into(), json!(format!("{n} (old)")));
        }
        if rec.contains_key("Tier__c") {
            // The payload's tier differs from the record's: a protected_field_conflict.
            rec.insert("Tier__c".into(), json!("Platinum"));
        }
        if let Some(Value::String(t)) = rec.get("Title").cloned() {
            rec.insert("Title".into(), json!(format!("{t} (previous)")));
        }
        rec.insert(ext_field.into(), json!(ext));
        rec.insert("LastModifiedDate".into(), json!(before));
        rec.insert("LastModifiedById".into(), json!(integration));
        rec.insert("OwnerId".into(), json!(rita));
        match sit {
            Situation::Clean => {}
            Situation::Absent => continue,
            Situation::ModifiedAfter => {
                rec.insert("LastModifiedDate".into(), json!(after));
                rec.insert("LastModifiedById".into(), json!(priya));
            }
            Situation::FallbackOwner => {
                rec.insert("OwnerId".into(), json!(fallback));
            }
            Situation::InactiveOwner => {
                rec.insert("OwnerId".into(), json!(omar));
            }
            Situation::Duplicate => {
                let mut twin = rec.clone();
                twin.insert("Name".into(), json!(format!("{} (duplicate)", ext)));
                s.record(object, Value::Object(twin));
            }
            Situation::BusinessKeyMatch => {
                // Same name as the event, but no external ID: a create would duplicate it.
                rec.remove(ext_field);
                if let Some(n) = payload.get("Name") {
                    rec.insert("Name".into(), n.clone());
                }
            }
        }
        s.record(object, Value::Object(rec));
    }
    Ok(s)
}

/// The reference contract pointed at `org_url` (everything else unchanged).
pub fn reference_contract_for(org_url: &str) -> String {
    REFERENCE_CONTRACT.replace(
        "instance_url: https://acme.my.salesforce.com",
        &format!("instance_url: {org_url}"),
    )
}

/// Imports both demo lanes pointed at `org_url`, the demo events, and the demo secrets. Safe to
/// run again: nothing is imported twice.
pub async fn prepare(app: &App, org_url: &str) -> Result<()> {
    services::lanes::import_text(app, &reference_contract_for(org_url), "demo: lane_account_sync.yaml").await?;
    let enrichment = ENRICHMENT_CONTRACT.replace(
        "instance_url: https://acme.my.salesforce.com",
        &format!("instance_url: {org_url}"),
    );
    services::lanes::import_text(app, &enrichment, "demo: lane_contact_enrichment.yaml").await?;
    services::import::import_reader(
        app,
        DEMO_EVENTS.as_bytes(),
        DEMO_EVENTS.len() as u64,
        "demo: demo_events.ndjson",
        services::import::Format::Ndjson,
        Arc::new(NoProgress),
    )
    .await?;
    for (lane, secret) in [(ACCOUNT_LANE, DEMO_PRIVATE_KEY), (CONTACT_LANE, DEMO_CLIENT_SECRET)] {
        match services::credentials::set(app, lane, Secret::new(secret), None).await {
            Ok(_) => {}
            // Without a keychain the demo still shows the queue, the lanes and the audit log;
            // preflight and replay then say what is missing. Never a plaintext fallback.
            Err(Error::Keychain(e @ (KeychainError::Unavailable(_) | KeychainError::Locked(_)))) => {
                eprintln!("warning: the demo secrets could not be stored, so preflight and replay will not work: {e}");
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Where the demo keeps its database: beside the default one, never the same file.
pub fn demo_db_path() -> std::path::PathBuf {
    crate::app::default_db_path().with_file_name("demo.db")
}

/// The demo starts from a fresh database each time, because its org starts fresh too (a record
/// replayed in an earlier run is back as it was). Only a database the demo itself made is
/// removed; any other file at the path is refused, never touched.
pub async fn reset_db(path: &Path) -> Result<()> {
    if path == crate::app::default_db_path() {
        return Err(Error::InvalidInput(
            "the demo keeps its own database; it will not touch your default database".into(),
        ));
    }
    if !path.exists() {
        return Ok(());
    }
    let app = App::open(path).await?;
    let is_demo = app.keychain_prefix == "demo:";
    app.close().await;
    if !is_demo {
        return Err(Error::InvalidInput(format!(
            "{} is not a demo database; the demo will not replace it (pass another --db)",
            path.display()
        )));
    }
    // The demo replaces its own log on purpose: the keychain's record of the log at this path
    // must not turn the fresh one into a "replaced log" alert. No keychain: nothing to forget.
    if let Err(e) = crate::services::audit::forget_log_at(path).await {
        tracing::warn!("the demo could not reset the keychain's record of its log: {e}");
    }
    let mut files = vec![path.to_path_buf()];
    for suffix in ["-wal", "-shm", ".checkpoint.json"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        files.push(p.into());
    }
    for f in files {
        if f.exists() {
            std::fs::remove_file(&f).map_err(|e| Error::Io(format!("cannot remove {}: {e}", f.display())))?;
        }
    }
    Ok(())
}
