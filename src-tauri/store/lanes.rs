//! Lanes and their contract versions: every imported contract is kept, a changed one is a new
//! version, and each event keeps the version it was imported under.

use super::Result;
use sqlx::{Row, SqliteConnection, SqlitePool};

#[derive(Debug, Clone)]
pub struct LaneVersionRow {
    pub lane_id: String,
    pub version: i64,
    pub contract_json: String,
    pub source_name: String,
    pub sha256: String,
    pub imported_at: String,
}

pub enum Upserted {
    Created(i64),
    NewVersion(i64),
    Unchanged(i64),
}

/// Stores a contract: a new lane, a new version of a changed lane, or nothing for an unchanged
/// one. Runs in the caller's transaction.
pub async fn upsert_version(
    tx: &mut SqliteConnection,
    lane_id: &str,
    contract_json: &str,
    source_yaml: &str,
    source_name: &str,
    sha256: &str,
    now: &str,
) -> Result<Upserted> {
    let current: Option<(i64, String)> = sqlx::query_as(
        "SELECT v.version, v.sha256 FROM lanes l JOIN lane_versions v
           ON v.lane_id = l.lane_id AND v.version = l.current_version WHERE l.lane_id = ?",
    )
    .bind(lane_id)
    .fetch_optional(&mut *tx)
    .await?;
    let result = match current {
        Some((v, hash)) if hash == sha256 => return Ok(Upserted::Unchanged(v)),
        Some((v, _)) => {
            sqlx::query("UPDATE lanes SET current_version = ? WHERE lane_id = ?")
                .bind(v + 1)
                .bind(lane_id)
                .execute(&mut *tx)
                .await?;
            Upserted::NewVersion(v + 1)
        }
        None => {
            sqlx::query("INSERT INTO lanes (lane_id, current_version, created_at) VALUES (?, 1, ?)")
                .bind(lane_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            Upserted::Created(1)
        }
    };
    let version = match result {
        Upserted::Created(v) | Upserted::NewVersion(v) | Upserted::Unchanged(v) => v,
    };
    sqlx::query(
        "INSERT INTO lane_versions (lane_id, version, contract_json, source_yaml, source_name, sha256, imported_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(lane_id)
    .bind(version)
    .bind(contract_json)
    .bind(source_yaml)
    .bind(source_name)
    .bind(sha256)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(result)
}

fn version_row(r: &sqlx::sqlite::SqliteRow) -> LaneVersionRow {
    LaneVersionRow {
        lane_id: r.get("lane_id"),
        version: r.get("version"),
        contract_json: r.get("contract_json"),
        source_name: r.get("source_name"),
        sha256: r.get("sha256"),
        imported_at: r.get("imported_at"),
    }
}

const CURRENT: &str = "SELECT v.lane_id, v.version, v.contract_json, v.source_name, v.sha256, v.imported_at
    FROM lanes l JOIN lane_versions v ON v.lane_id = l.lane_id AND v.version = l.current_version";

/// The current version of every lane, by lane id.
pub async fn list_current(pool: &SqlitePool) -> Result<Vec<LaneVersionRow>> {
    let rows = sqlx::query(&format!("{CURRENT} ORDER BY l.lane_id"))
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(version_row).collect())
}

pub async fn get_current(pool: &SqlitePool, lane_id: &str) -> Result<Option<LaneVersionRow>> {
    let row = sqlx::query(&format!("{CURRENT} WHERE l.lane_id = ?"))
        .bind(lane_id)
        .fetch_optional(pool)
        .await?;
    Ok(row.as_ref().map(version_row))
}

/// Every version of a lane, oldest first (without the contract bodies).
pub async fn versions(pool: &SqlitePool, lane_id: &str) -> Result<Vec<(i64, String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT version, source_name, sha256, imported_at FROM lane_versions WHERE lane_id = ? ORDER BY version",
    )
    .bind(lane_id)
    .fetch_all(pool)
    .await?)
}

/// lane_id -> (current version, object name) for every lane: what an event import checks against.
pub async fn current_objects(pool: &SqlitePool) -> Result<Vec<(String, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT l.lane_id, l.current_version, json_extract(v.contract_json, '$.identity_policy.object')
           FROM lanes l JOIN lane_versions v ON v.lane_id = l.lane_id AND v.version = l.current_version",
    )
    .fetch_all(pool)
    .await?)
}
