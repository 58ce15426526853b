//! The command line: parse, call one service function, render. Stable: scripts and tests drive it.

mod render;

use crate::app::{default_db_path, App};
use crate::domain::event::EventStatus;
use crate::error::{Error, Result};
use crate::services::{self, import::Format, Progress};
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "replay-console",
    version,
    about = "Guarded manual replay of failed and blocked Salesforce writes.\n\nWith no command, opens the desktop window."
)]
pub struct Cli {
    /// The database file (default: the OS data directory).
    #[arg(long, global = true, env = "REPLAY_CONSOLE_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lane control contracts.
    #[command(subcommand)]
    Lanes(LanesCmd),
    /// Failed and blocked events.
    #[command(subcommand)]
    Events(EventsCmd),
    /// Integration-user secrets, kept in the OS keychain only.
    #[command(subcommand)]
    Credentials(CredentialsCmd),
}

#[derive(Subcommand, Debug)]
pub enum CredentialsCmd {
    /// Store (or rotate) a lane's secret: an RSA private key in PEM for jwt_bearer, the consumer
    /// secret for client_credentials. Read from standard input or --from-file, never from an
    /// argument (arguments end up in shell history and process listings).
    Set {
        lane: String,
        #[arg(long, value_name = "FILE")]
        from_file: Option<PathBuf>,
    },
    /// Whether the keychain holds the lane's secret, and the last check.
    Status { lane: String },
    /// Remove a lane's secret from the keychain.
    Delete { lane: String },
}

#[derive(Subcommand, Debug)]
pub enum LanesCmd {
    /// Import (or update) a lane's control contract; a changed contract becomes a new version.
    Import { file: PathBuf },
    /// Every lane, at its current version.
    List,
    /// One lane's whole contract and its versions.
    Show { lane: String },
}

#[derive(Subcommand, Debug)]
pub enum EventsCmd {
    /// Import a file of events: all of it, or nothing.
    Import {
        file: PathBuf,
        /// ndjson, json or csv (default: from the file's extension).
        #[arg(long)]
        format: Option<String>,
    },
    /// A page of the event queue, oldest first.
    List {
        #[arg(long)]
        lane: Option<String>,
        /// failed, blocked, in_flight, replayed, unknown_outcome or discarded.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this cursor (the id of the last event of the previous page).
        #[arg(long)]
        after: Option<String>,
    },
    /// One event, with its payload and attempts.
    Show { id: i64 },
    /// Close an event without replaying it.
    Discard {
        id: i64,
        #[arg(long)]
        operator: String,
        #[arg(long)]
        reason: String,
    },
}

impl Cli {
    pub fn db_path(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(default_db_path)
    }
}

/// Runs a subcommand and returns the process exit code.
pub fn run(cli: Cli, command: Command) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let json = cli.json;
    let result = runtime.block_on(async {
        let app = App::open(&cli.db_path()).await?;
        let r = dispatch(&app, command, json).await;
        app.close().await;
        r
    });
    match result {
        Ok(()) => 0,
        Err(e) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&error_json(&e)).unwrap_or_default());
            } else {
                eprintln!("error: {}", e.to_string().trim_end());
            }
            e.exit_code()
        }
    }
}

fn error_json(e: &Error) -> serde_json::Value {
    let mut v = serde_json::to_value(e.reply()).unwrap_or_default();
    if let Error::ImportRejected(r) = e {
        v["issues"] = serde_json::to_value(&r.issues).unwrap_or_default();
        v["total"] = r.total.into();
    }
    v
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v).map_err(|e| Error::Io(format!("cannot encode JSON: {e}")))?;
    println!("{s}");
    Ok(())
}

async fn dispatch(app: &App, command: Command, json: bool) -> Result<()> {
    match command {
        Command::Lanes(LanesCmd::Import { file }) => {
            let r = services::lanes::import_file(app, &file).await?;
            if json {
                return print_json(&r);
            }
            println!("{}", render::lane_imported(&r));
        }
        Command::Lanes(LanesCmd::List) => {
            let lanes = services::lanes::list(app).await?;
            if json {
                return print_json(&lanes);
            }
            print!("{}", render::lanes(&lanes));
        }
        Command::Lanes(LanesCmd::Show { lane }) => {
            let d = services::lanes::show(app, &lane).await?;
            if json {
                return print_json(&d);
            }
            print!("{}", render::lane_detail(&d));
        }
        Command::Events(EventsCmd::Import { file, format }) => {
            let format = match format {
                Some(f) => Some(
                    Format::parse(&f)
                        .ok_or_else(|| Error::InvalidInput(format!("--format `{f}`: use ndjson, json or csv")))?,
                ),
                None => None,
            };
            let progress: Arc<dyn Progress> = Arc::new(TermProgress::new(!json && std::io::stderr().is_terminal()));
            let r = services::import::import_file(app, &file, format, progress).await?;
            if json {
                return print_json(&r);
            }
            println!("{}", render::imported(&r));
        }
        Command::Events(EventsCmd::List {
            lane,
            status,
            limit,
            after,
        }) => {
            let status = match status {
                Some(s) => Some(EventStatus::parse(&s).ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "--status `{s}`: use failed, blocked, in_flight, replayed, unknown_outcome or discarded"
                    ))
                })?),
                None => None,
            };
            let page = services::events::list(
                app,
                &services::events::EventQuery {
                    lane_id: lane,
                    status,
                    after,
                    limit: Some(limit),
                },
            )
            .await?;
            if json {
                // A listing is an array; the cursor for the next page is the last element's id.
                return print_json(&page.events);
            }
            print!("{}", render::events(&page));
        }
        Command::Credentials(CredentialsCmd::Set { lane, from_file }) => {
            let secret = read_secret(from_file.as_deref())?;
            let r = services::credentials::set(app, &lane, secret).await?;
            if json {
                return print_json(&r);
            }
            println!(
                "secret for lane {} stored in the keychain (service replay-console, account {}; {})",
                r.lane_id, r.account, r.kind
            );
        }
        Command::Credentials(CredentialsCmd::Status { lane }) => {
            let r = services::credentials::status(app, &lane).await?;
            if json {
                return print_json(&r);
            }
            print!("{}", render::credential_status(&r));
        }
        Command::Credentials(CredentialsCmd::Delete { lane }) => {
            let existed = services::credentials::delete(app, &lane).await?;
            if json {
                return print_json(&serde_json::json!({ "lane_id": lane, "deleted": existed }));
            }
            if existed {
                println!("secret for lane {lane} deleted from the keychain");
            } else {
                println!("lane {lane} had no secret in the keychain; nothing deleted");
            }
        }
        Command::Events(EventsCmd::Discard { id, operator, reason }) => {
            services::discard::discard(app, id, &operator, &reason).await?;
            if json {
                return print_json(&serde_json::json!({"event_id": id, "status": "discarded"}));
            }
            println!("event {id} discarded by {operator}");
        }
        Command::Events(EventsCmd::Show { id }) => {
            let d = services::events::show(app, id).await?;
            if json {
                return print_json(&d);
            }
            print!("{}", render::event_detail(&d));
        }
    }
    Ok(())
}

/// Reads a secret from a file or standard input. It is never echoed, never logged, and the
/// buffer it passed through is zeroized.
fn read_secret(from_file: Option<&std::path::Path>) -> Result<crate::keychain::Secret> {
    use std::io::Read;
    let mut raw = zeroize::Zeroizing::new(Vec::new());
    match from_file {
        Some(p) => {
            let mut f = std::fs::File::open(p).map_err(|e| Error::Io(format!("cannot open {}: {e}", p.display())))?;
            f.read_to_end(&mut raw)
                .map_err(|e| Error::Io(format!("cannot read {}: {e}", p.display())))?;
        }
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!("paste the secret, then press Ctrl-D:");
            }
            std::io::stdin()
                .read_to_end(&mut raw)
                .map_err(|e| Error::Io(format!("cannot read standard input: {e}")))?;
        }
    }
    let text = std::str::from_utf8(&raw).map_err(|_| Error::InvalidInput("the secret is not UTF-8 text".into()))?;
    Ok(crate::keychain::Secret::new(
        text.trim_end_matches(['\n', '\r']).to_string(),
    ))
}

/// A one-line progress indicator on stderr, drawn only on a terminal.
struct TermProgress {
    enabled: bool,
    last: std::sync::Mutex<u64>,
}

impl TermProgress {
    fn new(enabled: bool) -> Self {
        TermProgress {
            enabled,
            last: std::sync::Mutex::new(u64::MAX),
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
