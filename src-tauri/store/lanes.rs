//! Lanes and their contract versions: every imported contract is kept, a changed one is a new
//! version, and each event keeps the version it was imported under.

use super::Result;
use super::{on_pool, on_tx};

#[derive(Debug, Clone, sqlx::FromRow)]
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
    tx: &mut super::Tx<'_>,
    lane_id: &str,
    contract_json: &str,
    source_yaml: &str,
    source_name: &str,
    sha256: &str,
    now: &str,
) -> Result<Upserted> {
    on_tx!(tx, |tx, sq| {
        let current: Option<(i64, String)> =
            sqlx::query_as(&sq("SELECT v.version, v.sha256 FROM lanes l JOIN lane_versions v
           ON v.lane_id = l.lane_id AND v.version = l.current_version WHERE l.lane_id = ?"))
            .bind(lane_id)
            .fetch_optional(&mut *tx)
            .await?;
        let result = match current {
            Some((v, hash)) if hash == sha256 => return Ok(Upserted::Unchanged(v)),
            Some((v, _)) => {
                sqlx::query(&sq("UPDATE lanes SET current_version = ? WHERE lane_id = ?"))
                    .bind(v + 1)
                    .bind(lane_id)
                    .execute(&mut *tx)
                    .await?;
                Upserted::NewVersion(v + 1)
            }
            None => {
                sqlx::query(&sq(
                    "INSERT INTO lanes (lane_id, current_version, created_at) VALUES (?, 1, ?)",
                ))
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
        sqlx::query(&sq(
            "INSERT INTO lane_versions (lane_id, version, contract_json, source_yaml, source_name, sha256, imported_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        ))
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
    })
}

const CURRENT: &str = "SELECT v.lane_id, v.version, v.contract_json, v.source_name, v.sha256, v.imported_at
    FROM lanes l JOIN lane_versions v ON v.lane_id = l.lane_id AND v.version = l.current_version";

/// The current version of every lane, by lane id.
pub async fn list_current(pool: &super::Pool) -> Result<Vec<LaneVersionRow>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(&format!("{CURRENT} ORDER BY l.lane_id")))
            .fetch_all(pool)
            .await?)
    })
}

pub async fn get_current(pool: &super::Pool, lane_id: &str) -> Result<Option<LaneVersionRow>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(&format!("{CURRENT} WHERE l.lane_id = ?")))
            .bind(lane_id)
            .fetch_optional(pool)
            .await?)
    })
}

/// Every version of a lane, oldest first (without the contract bodies).
pub async fn versions(pool: &super::Pool, lane_id: &str) -> Result<Vec<(i64, String, String, String)>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(
            "SELECT version, source_name, sha256, imported_at FROM lane_versions WHERE lane_id = ? ORDER BY version",
        ))
        .bind(lane_id)
        .fetch_all(pool)
        .await?)
    })
}

/// lane_id -> (current version, object name) for every lane: what an event import checks against.
pub async fn current_objects(pool: &super::Pool) -> Result<Vec<(String, i64, String)>> {
    // The contract's object, read from its stored JSON in each database's own way.
    const JOIN: &str = "FROM lanes l JOIN lane_versions v ON v.lane_id = l.lane_id AND v.version = l.current_version";
    Ok(match pool {
        super::Pool::Sqlite(p) => {
            sqlx::query_as(&format!(
                "SELECT l.lane_id, l.current_version, json_extract(v.contract_json, '$.identity_policy.object') {JOIN}"
            ))
            .fetch_all(p)
            .await?
        }
        super::Pool::Pg(p) => {
            sqlx::query_as(&format!(
                "SELECT l.lane_id, l.current_version, v.contract_json::jsonb #>> '{{identity_policy,object}}' {JOIN}"
            ))
            .fetch_all(p)
            .await?
        }
    })
}
