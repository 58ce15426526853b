//! Lane contracts: import (versioned), list, show.

use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::domain::contract::LaneContract;
use crate::error::{Error, Result};
use crate::store;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum LaneChange {
    Created,
    NewVersion,
    Unchanged,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct LaneImported {
    pub lane_id: String,
    pub version: i64,
    pub change: LaneChange,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct LaneSummary {
    pub lane_id: String,
    pub version: i64,
    pub object: String,
    pub external_id_field: String,
    pub integration_user: String,
    /// `connection.username`, when the contract has a connection block.
    pub username: Option<String>,
    pub instance_url: Option<String>,
    pub imported_at: String,
    /// The integration user's secret: in the keychain or not, and the last check.
    pub credential: super::credentials::CredentialStatus,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct LaneVersionInfo {
    pub version: i64,
    pub source_name: String,
    pub sha256: String,
    pub imported_at: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct LaneDetail {
    pub lane_id: String,
    pub version: i64,
    pub imported_at: String,
    pub source_name: String,
    pub sha256: String,
    /// The whole validated contract, every section and field, defaults applied.
    pub contract: serde_json::Value,
    pub versions: Vec<LaneVersionInfo>,
}

pub async fn import_file(app: &App, path: &Path) -> Result<LaneImported> {
    let text = super::limits::read_text_file(path, super::limits::CONTRACT_BYTES)?;
    import_text(app, &text, &path.display().to_string()).await
}

pub async fn import_text(app: &App, yaml: &str, source_name: &str) -> Result<LaneImported> {
    let contract = LaneContract::from_yaml(yaml).map_err(|e| Error::Contract(format!("{source_name}: {e}")))?;
    let json = contract.canonical_json();
    let sha = hex::encode(Sha256::digest(json.as_bytes()));
    let lane_id = contract.lane_id().to_string();
    let now = store::now_text();
    let mut tx = store::write_tx(&app.pool).await?;
    let (version, change) =
        match store::lanes::upsert_version(&mut tx, &lane_id, &json, yaml, source_name, &sha, &now).await? {
            store::lanes::Upserted::Created(v) => (v, LaneChange::Created),
            store::lanes::Upserted::NewVersion(v) => (v, LaneChange::NewVersion),
            store::lanes::Upserted::Unchanged(v) => (v, LaneChange::Unchanged),
        };
    if change != LaneChange::Unchanged {
        super::audit::record(
            &mut tx,
            &AuditDraft {
                action: "lane_imported".into(),
                actor: super::holder::os_user(),
                lane_id: Some(lane_id.clone()),
                lane_version: Some(version),
                integration_user: Some(contract.salesforce_lane.integration_user.0.clone()),
                record_type: Some(contract.identity_policy.object.0.clone()),
                detail: serde_json::json!({"source": source_name, "contract_sha256": sha, "change": change}),
                ..AuditDraft::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    if change != LaneChange::Unchanged {
        super::audit::checkpoint(app).await;
    }
    Ok(LaneImported {
        lane_id,
        version,
        change,
    })
}

/// The stored contract of a lane's current version.
pub async fn contract(app: &App, lane_id: &str) -> Result<(i64, LaneContract)> {
    let row = store::lanes::get_current(&app.pool, lane_id)
        .await?
        .ok_or_else(|| unknown_lane(lane_id))?;
    Ok((row.version, parse_stored(&row.contract_json)?))
}

fn parse_stored(json: &str) -> Result<LaneContract> {
    serde_json::from_str(json).map_err(|e| Error::Io(format!("a stored contract no longer parses: {e}")))
}

fn unknown_lane(lane_id: &str) -> Error {
    Error::NotFound(format!(
        "no lane `{lane_id}`; import its contract with `lanes import FILE.yaml`"
    ))
}

pub async fn list(app: &App) -> Result<Vec<LaneSummary>> {
    let rows = store::lanes::list_current(&app.pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let c = parse_stored(&r.contract_json)?;
        let credential = super::credentials::status_of(app, &c).await?;
        out.push(LaneSummary {
            lane_id: r.lane_id,
            version: r.version,
            object: c.identity_policy.object.0.clone(),
            external_id_field: c.identity_policy.external_id_field.0.clone(),
            integration_user: c.salesforce_lane.integration_user.0.clone(),
            username: c.connection.as_ref().map(|k| k.username.0.clone()),
            instance_url: c.connection.as_ref().map(|k| k.instance_url.0.clone()),
            imported_at: r.imported_at,
            credential,
        });
    }
    Ok(out)
}

pub async fn show(app: &App, lane_id: &str) -> Result<LaneDetail> {
    let row = store::lanes::get_current(&app.pool, lane_id)
        .await?
        .ok_or_else(|| unknown_lane(lane_id))?;
    let contract: serde_json::Value = serde_json::from_str(&row.contract_json)
        .map_err(|e| Error::Io(format!("a stored contract no longer parses: {e}")))?;
    let versions = store::lanes::versions(&app.pool, lane_id)
        .await?
        .into_iter()
        .map(|(version, source_name, sha256, imported_at)| LaneVersionInfo {
            version,
            source_name,
            sha256,
            imported_at,
        })
        .collect();
    Ok(LaneDetail {
        lane_id: row.lane_id,
        version: row.version,
        imported_at: row.imported_at,
        source_name: row.source_name,
        sha256: row.sha256,
        contract,
        versions,
    })
}
