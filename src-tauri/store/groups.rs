//! What failure groups are made of: events counted by lane, failure code, exact message and
//! status (the signature is computed from the distinct messages, not stored), and the open
//! events of one lane and code with their messages.

use super::on_pool;
use crate::error::Result;

/// `(lane_id, failure_code, failure_message, status, count, first occurred_at, last occurred_at)`.
pub type TallyRow = (String, Option<String>, Option<String>, String, i64, String, String);

/// Every event counted by lane, failure code, exact message and status, optionally of one lane.
/// One pass over the events (a million take about a second); the distinct messages are far
/// fewer than the events, and the signatures are computed from those.
pub async fn tallies(pool: &super::Pool, lane_id: Option<&str>) -> Result<Vec<TallyRow>> {
    let head = "SELECT lane_id, failure_code, failure_message, status, count(*), min(occurred_at), max(occurred_at)
                FROM events";
    let tail = "GROUP BY lane_id, failure_code, failure_message, status";
    on_pool!(pool, |pool, sq| {
        Ok(match lane_id {
            Some(lane) => {
                sqlx::query_as(&sq(&format!("{head} WHERE lane_id = ? {tail}")))
                    .bind(lane)
                    .fetch_all(pool)
                    .await?
            }
            None => sqlx::query_as(&sq(&format!("{head} {tail}"))).fetch_all(pool).await?,
        })
    })
}

/// `(id, failure_message)` of a lane's events with this failure code (none: no code) in one of
/// `statuses`, in id order.
pub async fn members(
    pool: &super::Pool,
    lane_id: &str,
    failure_code: Option<&str>,
    statuses: &[&str],
) -> Result<Vec<(i64, Option<String>)>> {
    let code = if failure_code.is_some() {
        "failure_code = ?"
    } else {
        "failure_code IS NULL"
    };
    let text = format!(
        "SELECT id, failure_message FROM events WHERE lane_id = ? AND {code} AND status IN ({}) ORDER BY id",
        super::marks(statuses.len())
    );
    on_pool!(pool, |pool, sq| {
        let sql = sq(&text);
        let mut q = sqlx::query_as(&sql).bind(lane_id);
        if let Some(c) = failure_code {
            q = q.bind(c);
        }
        for s in statuses {
            q = q.bind(*s);
        }
        Ok(q.fetch_all(pool).await?)
    })
}
