//! Leases on in-flight attempts and running batches (team mode): milliseconds since the epoch
//! by the server's own clock, so consoles on machines whose clocks differ agree on when a lease
//! ran out. A file has one machine and no leases: every function is a no-op there (the holder's
//! pid says whether it still runs).

use super::{Pool, Result, Tx};

/// What holds a lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Attempt,
    Batch,
}

impl Held {
    fn table(self) -> &'static str {
        match self {
            Held::Attempt => "attempts",
            Held::Batch => "batches",
        }
    }

    /// The state in which a lease still means something.
    fn live(self) -> &'static str {
        match self {
            Held::Attempt => "outcome = 'in_flight'",
            Held::Batch => "status = 'running'",
        }
    }
}

/// The server's clock, in milliseconds since the epoch.
const NOW_MS: &str = "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)";

/// Grants (or extends) the lease of one row for `ms`, inside the caller's transaction.
pub async fn grant(tx: &mut Tx<'_>, held: Held, id: i64, ms: i64) -> Result<()> {
    if let Tx::Pg(t) = tx {
        sqlx::query(&format!(
            "UPDATE {} SET lease_until = {NOW_MS} + $2 WHERE id = $1",
            held.table()
        ))
        .bind(id)
        .bind(ms)
        .execute(&mut **t)
        .await?;
    }
    Ok(())
}

/// Renews the leases of the given rows that are still live; returns how many were renewed.
pub async fn renew(pool: &Pool, held: Held, ids: &[i64], ms: i64) -> Result<u64> {
    let Pool::Pg(p) = pool else {
        return Ok(0);
    };
    if ids.is_empty() {
        return Ok(0);
    }
    let done = sqlx::query(&format!(
        "UPDATE {} SET lease_until = {NOW_MS} + $2 WHERE id = ANY($1) AND {}",
        held.table(),
        held.live()
    ))
    .bind(ids)
    .bind(ms)
    .execute(p)
    .await?;
    Ok(done.rows_affected())
}

/// Milliseconds left on a row's lease, by the server's clock, inside the caller's transaction:
/// `None` on a file or where no lease was ever granted; zero or less when it ran out.
pub async fn left(tx: &mut Tx<'_>, held: Held, id: i64) -> Result<Option<i64>> {
    let Tx::Pg(t) = tx else {
        return Ok(None);
    };
    let left: Option<Option<i64>> = sqlx::query_scalar(&format!(
        "SELECT lease_until - {NOW_MS} FROM {} WHERE id = $1",
        held.table()
    ))
    .bind(id)
    .fetch_optional(&mut **t)
    .await?;
    Ok(left.flatten())
}

/// The in-flight attempt of an event: `(attempt id, holder host, milliseconds left on its
/// lease by the server's clock)`; the lease part is `None` on a file or without a lease.
pub async fn in_flight_of(pool: &Pool, event_id: i64) -> Result<Option<(i64, Option<String>, Option<i64>)>> {
    Ok(match pool {
        Pool::Sqlite(p) => sqlx::query_as::<_, (i64, Option<String>)>(
            "SELECT id, holder_host FROM attempts WHERE event_id = ? AND outcome = 'in_flight'",
        )
        .bind(event_id)
        .fetch_optional(p)
        .await?
        .map(|(id, host)| (id, host, None)),
        Pool::Pg(p) => {
            sqlx::query_as(&format!(
                "SELECT id, holder_host, lease_until - {NOW_MS} FROM attempts WHERE event_id = $1 AND outcome = 'in_flight'"
            ))
            .bind(event_id)
            .fetch_optional(p)
            .await?
        }
    })
}
