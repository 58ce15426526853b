//! What the alerts and the activity chart count: preflights, audited refusals and critical
//! entries by lane, and failures and replays by the hour.

use super::Result;
use super::{on_pool, on_tx};

/// Preflights of a lane since a time: how many found a duplicate conflict, a protected-field
/// conflict.
pub struct PreflightTally {
    pub duplicate: i64,
    pub protected: i64,
}

pub async fn preflights_since(pool: &super::Pool, lane_id: &str, since: &str) -> Result<PreflightTally> {
    on_pool!(pool, |pool, sq| {
        let (duplicate, protected): (i64, i64) = sqlx::query_as(&sq("SELECT
                CAST(coalesce(sum(CASE WHEN p.body LIKE '%\"code\":\"duplicate_conflict_detected\"%' THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(coalesce(sum(CASE WHEN p.body LIKE '%\"code\":\"protected_field_conflict\"%' THEN 1 ELSE 0 END), 0) AS BIGINT)
           FROM preflights p JOIN events e ON e.id = p.event_id
          WHERE e.lane_id = ? AND p.taken_at >= ?"))
        .bind(lane_id)
        .bind(since)
        .fetch_one(pool)
        .await?;
        Ok(PreflightTally { duplicate, protected })
    })
}

/// A lane's replays that wrote since a time (`applied`), and how many of them wrote a record
/// its preflight found held by the fallback owner: the contract's fallback-owner share.
pub async fn replays_since(pool: &super::Pool, lane_id: &str, since: &str) -> Result<(i64, i64)> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(
            "SELECT count(*), CAST(coalesce(sum(p.fallback_owner), 0) AS BIGINT)
               FROM attempts a JOIN preflights p ON p.id = a.preflight_id JOIN events e ON e.id = a.event_id
              WHERE e.lane_id = ? AND a.outcome = 'applied' AND a.started_at >= ?",
        ))
        .bind(lane_id)
        .bind(since)
        .fetch_one(pool)
        .await?)
    })
}

/// Audit entries of an action about a lane's events since a time.
pub async fn audited_since(pool: &super::Pool, lane_id: &str, action: &str, since: &str) -> Result<i64> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_scalar(&sq(
            "SELECT count(*) FROM audit_log a JOIN events e ON e.id = a.event_id
          WHERE e.lane_id = ? AND a.action = ? AND a.at >= ?",
        ))
        .bind(lane_id)
        .bind(action)
        .bind(since)
        .fetch_one(pool)
        .await?)
    })
}

/// Audit entries of an action on a lane, ever (a critical entry never ages out).
pub async fn audited_ever(pool: &super::Pool, lane_id: &str, action: &str) -> Result<i64> {
    on_pool!(pool, |pool, sq| {
        Ok(
            sqlx::query_scalar(&sq("SELECT count(*) FROM audit_log WHERE lane_id = ? AND action = ?"))
                .bind(lane_id)
                .bind(action)
                .fetch_one(pool)
                .await?,
        )
    })
}

/// Failures by the hour they occurred, replays by the hour they were applied: `(hour, failures,
/// replays)`, the last 48 hours with activity, newest first, anchored at the newest failure so
/// imported incidents show up too.
pub async fn activity_by_hour(pool: &super::Pool) -> Result<Vec<(String, i64, i64)>> {
    // The window's start, 48 hours before the newest failure, in the stored fixed-width form.
    let newest: Option<String> = on_pool!(pool, |pool, sq| sqlx::query_scalar(&sq(
        "SELECT max(occurred_at) FROM events"
    ))
    .fetch_one(pool)
    .await?);
    let Some(start) = newest
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| crate::domain::event::format_time(t.with_timezone(&chrono::Utc) - chrono::Duration::hours(48)))
    else {
        return Ok(Vec::new());
    };
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(
            "WITH f AS (SELECT substr(occurred_at, 1, 13) AS h, count(*) AS n FROM events
                     WHERE occurred_at >= ? GROUP BY h),
              r AS (SELECT substr(finished_at, 1, 13) AS h, count(*) AS n FROM attempts
                     WHERE outcome = 'applied' AND finished_at IS NOT NULL GROUP BY h)
         SELECT h, CAST(sum(fn) AS BIGINT), CAST(sum(rn) AS BIGINT) FROM (
             SELECT h, n AS fn, 0 AS rn FROM f UNION ALL SELECT h, 0, n FROM r
         ) u GROUP BY h ORDER BY h DESC LIMIT 48",
        ))
        .bind(start)
        .fetch_all(pool)
        .await?)
    })
}

/// `(id, lane_id, code, started_at, notified_at, attempts)` of an alert episode.
pub type EpisodeRow = (i64, String, String, String, Option<String>, i64);

/// The open episodes (not ended).
pub async fn open_episodes(pool: &super::Pool) -> Result<Vec<EpisodeRow>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(
            "SELECT id, lane_id, code, started_at, notified_at, attempts FROM alert_episodes WHERE ended_at IS NULL ORDER BY id",
        ))
        .fetch_all(pool)
        .await?)
    })
}

/// Opens an episode; `None` when one is already open for the lane and code (another console
/// opened it first: that console notifies).
pub async fn open_episode(conn: &mut super::Tx<'_>, lane_id: &str, code: &str, now: &str) -> Result<Option<i64>> {
    on_tx!(conn, |conn, sq| {
        Ok(sqlx::query_scalar(&sq(
            "INSERT INTO alert_episodes (lane_id, code, started_at, attempts) VALUES (?, ?, ?, 0)
             ON CONFLICT DO NOTHING RETURNING id",
        ))
        .bind(lane_id)
        .bind(code)
        .bind(now)
        .fetch_optional(conn)
        .await?)
    })
}

pub async fn end_episode(conn: &mut super::Tx<'_>, id: i64, now: &str) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq(
            "UPDATE alert_episodes SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
        ))
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// Claims the next send of an unnotified episode: `attempts` moves from `seen` to `seen + 1`
/// only for the one console whose update lands, so two consoles never send the same try.
pub async fn claim_send(pool: &super::Pool, id: i64, seen: i64) -> Result<bool> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query(&sq("UPDATE alert_episodes SET attempts = attempts + 1
              WHERE id = ? AND attempts = ? AND notified_at IS NULL AND ended_at IS NULL"))
        .bind(id)
        .bind(seen)
        .execute(pool)
        .await?
        .rows_affected()
            == 1)
    })
}

/// Records a send's result: delivered (`notified_at`) or its error.
pub async fn record_send(
    conn: &mut super::Tx<'_>,
    id: i64,
    notified_at: Option<&str>,
    error: Option<&str>,
) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq(
            "UPDATE alert_episodes SET notified_at = ?, last_error = ? WHERE id = ?",
        ))
        .bind(notified_at)
        .bind(error)
        .bind(id)
        .execute(conn)
        .await?;
        Ok(())
    })
}
