//! Progress on the terminal: a one-line bar on stderr, and the Ctrl-C watcher that turns an
//! interrupt into a clean cancel of long work (batch replay, audit export).

use crate::services::Progress;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A one-line progress indicator on stderr, drawn only on a terminal.
pub(super) struct TermProgress {
    enabled: bool,
    last: Mutex<u64>,
}

impl TermProgress {
    /// Drawn unless the output is JSON or stderr is not a terminal.
    pub(super) fn new(json: bool) -> Self {
        TermProgress {
            enabled: !json && std::io::stderr().is_terminal(),
            last: Mutex::new(u64::MAX),
        }
    }
}

impl Progress for TermProgress {
    fn report(&self, done: u64, total: u64) {
        if !self.enabled || total == 0 {
            return;
        }
        let pct = (done.saturating_mul(100) / total).min(100);
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if *last == pct {
            return;
        }
        *last = pct;
        let filled = (pct / 4) as usize;
        eprint!("\r[{}{}] {pct:>3}%", "#".repeat(filled), " ".repeat(25 - filled));
        if pct == 100 {
            eprintln!();
        }
    }
}

/// Terminal progress that Ctrl-C turns into a clean cancel: no new work starts, what is in
/// flight settles and is recorded.
pub(super) struct CtrlCProgress {
    inner: TermProgress,
    stop: Arc<AtomicBool>,
}

impl Progress for CtrlCProgress {
    fn report(&self, done: u64, total: u64) {
        self.inner.report(done, total);
    }
    fn cancelled(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Runs `work` with a progress that a Ctrl-C cancels.
pub(super) async fn cancellable<T, F, Fut>(json: bool, work: F) -> T
where
    F: FnOnce(Arc<CtrlCProgress>) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let progress = Arc::new(CtrlCProgress {
        inner: TermProgress::new(json),
        stop: Arc::new(AtomicBool::new(false)),
    });
    let stop = progress.stop.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.store(true, Ordering::Relaxed);
        }
    });
    let r = work(progress).await;
    watcher.abort();
    r
}
