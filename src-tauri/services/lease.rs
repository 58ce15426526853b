//! Team mode's leases (docs/TEAM.md, "Leases"): a console holds a lease on each attempt it has
//! in flight and each batch it runs, granted in the transaction that commits the intent (or
//! starts the batch) and renewed every quarter of its length while the work goes on. Another
//! console, on any machine, treats the work as abandoned only once the lease ran out by the
//! server's clock: never while its holder may still be sending. On a file there are no leases
//! (one machine: the holder's pid says whether it runs).
//!
//! The length is 120 s: longer than the client's whole request timeout (60 s) plus its connect
//! timeout, so a holder cut off from the database has finished or given up its one send before
//! its lease runs out; and a holder whose renewals fail stops retrying (see [`Lease::fresh`]).
//! `REPLAY_CONSOLE_LEASE_SECS` sets another length (2 to 3600; short ones are for tests).

use crate::app::App;
use crate::error::Result;
use crate::store::{self, leases::Held};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default length of a lease.
pub const DEFAULT: Duration = Duration::from_secs(120);

/// The length of this console's leases.
pub fn length() -> Duration {
    std::env::var("REPLAY_CONSOLE_LEASE_SECS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s.clamp(2, 3600)))
        .unwrap_or(DEFAULT)
}

fn length_ms() -> i64 {
    i64::try_from(length().as_millis()).unwrap_or(i64::MAX)
}

/// Grants the lease of a row inside the transaction that makes it live.
pub async fn grant(tx: &mut store::Tx<'_>, held: Held, id: i64) -> Result<()> {
    store::leases::grant(tx, held, id, length_ms()).await?;
    Ok(())
}

/// A held lease: renewed in the background until dropped.
pub struct Lease {
    task: Option<tokio::task::JoinHandle<()>>,
    /// Milliseconds since `born` of the last renewal that reached the server.
    renewed: Arc<AtomicI64>,
    born: Instant,
}

impl Lease {
    /// Keeps renewing the leases of `ids` (on a server; inert on a file).
    pub fn hold(app: &App, held: Held, ids: Vec<i64>) -> Lease {
        let renewed = Arc::new(AtomicI64::new(0));
        let born = Instant::now();
        let task = app.pool.is_server().then(|| {
            let pool = app.pool.clone();
            let renewed = renewed.clone();
            tokio::spawn(async move {
                let every = length() / 4;
                loop {
                    tokio::time::sleep(every).await;
                    match store::leases::renew(&pool, held, &ids, length_ms()).await {
                        Ok(_) => renewed.store(
                            i64::try_from(born.elapsed().as_millis()).unwrap_or(i64::MAX),
                            Ordering::SeqCst,
                        ),
                        Err(e) => tracing::warn!("cannot renew a lease ({held:?} {ids:?}): {e}"),
                    }
                }
            })
        });
        Lease { task, renewed, born }
    }

    /// Whether the lease is surely still ours: renewed (or granted) within half its length.
    /// A holder whose renewals fail must not start another send: another console may soon
    /// take the work as abandoned.
    pub fn fresh(&self) -> bool {
        if self.task.is_none() {
            return true;
        }
        let last = Duration::from_millis(u64::try_from(self.renewed.load(Ordering::SeqCst)).unwrap_or(0));
        self.born.elapsed().saturating_sub(last) < length() / 2
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}
