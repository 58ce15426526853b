//! Find anything (issue 22): the queue's full-text search over payload values, failure
//! messages and codes, external IDs and event keys (domain/search.rs says which words).
//!
//! The index is extended after an import commits, not inside it: an incident's million events
//! are in the queue (and replayable) at the import's own speed, and the index follows in
//! transactions of [`CHUNK`] events, each moving the index's mark with the words it adds, so an
//! interrupted catch-up resumes where it stopped. The window runs it in the background after
//! each import and at start; `events index` and a CLI search run it first. A search answers
//! over the indexed events and says how many are not indexed yet.

use crate::app::App;
use crate::error::{Error, Result};
use crate::store;
use serde::Serialize;

/// Events indexed per write transaction: about a second on this machine's 2 cores, so a replay
/// started meanwhile waits at most that long for the write lock.
pub const CHUNK: i64 = 20_000;

/// After a catch-up of at least this many events the index's segments are merged into one.
const OPTIMIZE_AFTER: u64 = 100_000;

/// One catch-up at a time in this process (another process's waits on the write lock).
static CATCH_UP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Debug, Clone, Copy, Serialize)]
pub struct SearchIndexState {
    /// Every event with an id up to this is searchable.
    pub indexed_through: i64,
    /// Events past it: not found by a search until the index reaches them.
    pub unindexed: i64,
}

pub async fn state(app: &App) -> Result<SearchIndexState> {
    let (indexed_through, unindexed) = store::search::state(&app.pool).await?;
    Ok(SearchIndexState {
        indexed_through,
        unindexed,
    })
}

/// Indexes every event past the mark, [`CHUNK`] per transaction; `progress(done, total)` after
/// each. Returns how many were indexed (0: the index was current). On a team server a reader's
/// login may not write the index: that is an error here, and the searches answer over what an
/// operator's console indexed.
pub async fn catch_up(app: &App, mut progress: impl FnMut(u64, u64)) -> Result<u64> {
    let _one = CATCH_UP.lock().await;
    let total = u64::try_from(store::search::state(&app.pool).await?.1).unwrap_or(0);
    let mut done = 0u64;
    loop {
        let mut tx = store::write_tx(&app.pool).await?;
        let n = store::search::index_next(&mut tx, CHUNK).await?;
        tx.commit().await?;
        if n == 0 {
            break;
        }
        done += n as u64;
        progress(done, total.max(done));
    }
    if done >= OPTIMIZE_AFTER {
        store::search::optimize(&app.pool).await?;
    }
    if done > 0 {
        app.checkpoint_soon();
    }
    Ok(done)
}

/// Reads a search box's text, or says what is wrong with it.
pub fn parse(text: &str) -> Result<crate::domain::search::TextQuery> {
    crate::domain::search::parse(text).map_err(|m| Error::InvalidInput(format!("search: {m}")))
}
