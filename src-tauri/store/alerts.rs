//! What the alerts and the activity chart count: preflights, audited refusals and critical
//! entries by lane, and failures and replays by the hour.

use super::Result;
use sqlx::SqlitePool;

/// Preflights of a lane since a time: how many, how many found the record with the fallback
/// owner, a duplicate conflict, a protected-field conflict.
pub struct PreflightTally {
    pub total: i64,
    pub fallback: i64,
    pub duplicate: i64,
    pub protected: i64,
}

pub async fn preflights_since(pool: &SqlitePool, lane_id: &str, since: &str) -> Result<PreflightTally> {
    let (total, fallback, duplicate, protected): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*),
                coalesce(sum(p.fallback_owner), 0),
                coalesce(sum(p.body LIKE '%\"code\":\"duplicate_conflict_detected\"%'), 0),
                coalesce(sum(p.body LIKE '%\"code\":\"protected_field_conflict\"%'), 0)
           FROM preflights p JOIN events e ON e.id = p.event_id
          WHERE e.lane_id = ? AND p.taken_at >= ?",
    )
    .bind(lane_id)
    .bind(since)
    .fetch_one(pool)
    .await?;
    Ok(PreflightTally {
        total,
        fallback,
        duplicate,
        protected,
    })
}

/// Audit entries of an action about a lane's events since a time.
pub async fn audited_since(pool: &SqlitePool, lane_id: &str, action: &str, since: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM audit_log a JOIN events e ON e.id = a.event_id
          WHERE e.lane_id = ? AND a.action = ? AND a.at >= ?",
    )
    .bind(lane_id)
    .bind(action)
    .bind(since)
    .fetch_one(pool)
    .await?)
}

/// Audit entries of an action on a lane, ever (a critical entry never ages out).
pub async fn audited_ever(pool: &SqlitePool, lane_id: &str, action: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE lane_id = ? AND action = ?")
            .bind(lane_id)
            .bind(action)
            .fetch_one(pool)
            .await?,
    )
}

/// Failures by the hour they occurred, replays by the hour they were applied: `(hour, failures,
/// replays)`, the last 48 hours with activity, newest first, anchored at the newest failure so
/// imported incidents show up too.
pub async fn activity_by_hour(pool: &SqlitePool) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "WITH f AS (SELECT substr(occurred_at, 1, 13) AS h, count(*) AS n FROM events
                     WHERE occurred_at >= (SELECT strftime('%Y-%m-%dT%H:%M:%fZ', max(occurred_at), '-48 hours') FROM events) GROUP BY h),
              r AS (SELECT substr(finished_at, 1, 13) AS h, count(*) AS n FROM attempts
                     WHERE outcome = 'applied' AND finished_at IS NOT NULL GROUP BY h)
         SELECT h, sum(fn), sum(rn) FROM (
             SELECT h, n AS fn, 0 AS rn FROM f UNION ALL SELECT h, 0, n FROM r
         ) GROUP BY h ORDER BY h DESC LIMIT 48",
    )
    .fetch_all(pool)
    .await?)
}
