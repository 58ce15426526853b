//! `replay-console demo` (the simulated org, a demo database and its secrets, then the window)
//! and `replay-console sandbox` (the simulated org alone).

use super::Cli;
use crate::app::App;
use crate::error::{Error, Result};
use std::path::PathBuf;

pub(super) async fn sandbox(
    port: u16,
    seed: Option<PathBuf>,
    latency_ms: Option<u64>,
    query_batch_size: Option<usize>,
    json: bool,
) -> Result<i32> {
    use crate::sandbox::{self, SandboxConfig, SandboxError, Seed};
    let to_err = |e: SandboxError| match e {
        SandboxError::Seed(m) => Error::InvalidInput(format!("sandbox seed: {m}")),
        other => Error::Io(other.to_string()),
    };
    let mut seed = match seed {
        Some(path) => Seed::from_file(&path).map_err(to_err)?,
        None => Seed::new(),
    };
    if let Some(ms) = latency_ms {
        seed.org.latency_ms = ms;
    }
    if let Some(n) = query_batch_size {
        seed.org.query_batch_size = n;
    }
    sandbox::run_until_stopped(SandboxConfig { port, seed }, json)
        .await
        .map_err(to_err)?;
    Ok(0)
}

/// `replay-console demo`: the simulated org, the demo database and secrets, then the window or,
/// with `--no-window`, serving until interrupted. Returns the exit code.
/// `open_window`: how to open the window (main.rs's; `None` in a build without one).
pub fn demo(cli: &Cli, no_window: bool, port: u16, open_window: Option<fn(PathBuf) -> i32>) -> i32 {
    use crate::sandbox::{self, SandboxConfig};
    use crate::services::demo;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let db = cli.db.clone().unwrap_or_else(demo::demo_db_path);
    let started = runtime.block_on(async {
        demo::reset_db(&db).await?;
        let seed = demo::seed()?;
        let org = sandbox::start(SandboxConfig {
            port,
            seed: seed.clone(),
        })
        .await
        .map_err(|e| Error::Io(format!("{e}; pass another --port")))?;
        let mut app = App::open(&db).await?;
        app.mark_demo().await?;
        demo::prepare(&app, org.base_url()).await?;
        app.close().await;
        Ok::<_, Error>(org)
    });
    let org = match started {
        Ok(org) => org,
        Err(e) => {
            eprintln!("error: {}", e.to_string().trim_end());
            return e.exit_code();
        }
    };
    if cli.json {
        println!(
            "{}",
            serde_json::json!({"db": db.display().to_string(), "org_url": org.base_url()})
        );
    } else {
        println!("demo database: {}", db.display());
        println!("simulated org: {}", org.base_url());
        println!("try:");
        println!(
            "  replay-console --db {} events list --lane account_sync_north_america --limit 5",
            db.display()
        );
        println!("  replay-console --db {} preflight 1", db.display());
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    if no_window {
        runtime.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
        });
        runtime.block_on(org.shutdown());
        return 0;
    }
    open_demo_window(db, runtime, org, open_window)
}

/// With a window (`open_window`, which main.rs gives when the build has one) the org keeps
/// serving on the runtime's worker threads while the window runs on this thread; without one, it
/// serves until interrupted.
fn open_demo_window(
    db: PathBuf,
    runtime: tokio::runtime::Runtime,
    org: crate::sandbox::SandboxHandle,
    open_window: Option<fn(PathBuf) -> i32>,
) -> i32 {
    let code = match open_window {
        Some(open) => open(db),
        None => {
            eprintln!("this build has no window (no `gui` feature): serving the demo org until interrupted");
            runtime.block_on(async {
                let _ = tokio::signal::ctrl_c().await;
            });
            0
        }
    };
    runtime.block_on(org.shutdown());
    code
}
