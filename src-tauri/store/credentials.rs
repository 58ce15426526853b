//! The credential log: when a lane's secret was set, checked or deleted, and with what result.
//! Never the secret itself (that lives in the OS keychain only).

use super::on_pool;
use super::Result;

pub struct Record<'a> {
    pub lane_id: &'a str,
    pub account: &'a str,
    pub action: &'a str,
    pub ok: Option<bool>,
    pub acts_as: Option<&'a str>,
    pub message: Option<&'a str>,
    pub at: &'a str,
}

pub async fn record(pool: &super::Pool, r: &Record<'_>) -> Result<()> {
    on_pool!(pool, |pool, sq| {
        sqlx::query(&sq("INSERT INTO credential_events (lane_id, account, action, ok, acts_as, message, at) VALUES (?, ?, ?, ?, ?, ?, ?)",))
    .bind(r.lane_id)
    .bind(r.account)
    .bind(r.action)
    .bind(r.ok.map(i64::from))
    .bind(r.acts_as)
    .bind(r.message)
    .bind(r.at)
    .execute(pool)
    .await?;
        Ok(())
    })
}

/// The newest event of each kind for a lane: `(action, ok, acts_as, message, at)`.
pub async fn latest(
    pool: &super::Pool,
    lane_id: &str,
    action: &str,
) -> Result<Option<(Option<bool>, Option<String>, Option<String>, String)>> {
    // `ok` is stored as 0/1 (an integer in both databases).
    type Stored = (Option<i64>, Option<String>, Option<String>, String);
    let row: Option<Stored> = on_pool!(pool, |pool, sq| {
        sqlx::query_as(&sq(
            "SELECT ok, acts_as, message, at FROM credential_events WHERE lane_id = ? AND action = ? ORDER BY id DESC LIMIT 1",
        ))
        .bind(lane_id)
        .bind(action)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|(ok, acts_as, message, at)| (ok.map(|n| n != 0), acts_as, message, at)))
}
