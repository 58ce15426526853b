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
    /// Fetch the target record as it is now and decide what a replay would do.
    Preflight {
        id: i64,
        #[command(flatten)]
        over: OverrideArgs,
    },
    /// Replay one event, after its preflight, under the lane's integration user
    /// (`replay ID ...`), or a selection of a lane's events (`replay batch ...`).
    // `replay batch` is a subcommand; `replay ID` keeps its required arguments (clap lifts them
    // only when the subcommand is used).
    #[command(subcommand_negates_reqs = true, args_conflicts_with_subcommands = true)]
    Replay {
        #[command(subcommand)]
        batch: Option<ReplayCmd>,
        #[arg(required = true)]
        id: Option<i64>,
        /// Who replays. Required where the lane's contract lists `operator_name` in
        /// `manual_replay_requires` (otherwise the OS user stands for it).
        #[arg(long)]
        operator: Option<String>,
        /// Why. Required where the contract lists `replay_reason`.
        #[arg(long)]
        reason: Option<String>,
        /// The preflight's acknowledgment token: you reviewed its side effects. Required where the
        /// contract lists `expected_side_effect_review`.
        #[arg(long)]
        ack: Option<String>,
        /// Replay an already replayed event again, and why.
        #[arg(long, value_name = "REASON")]
        again: Option<String>,
        #[command(flatten)]
        over: OverrideArgs,
    },
    /// Settle an unknown outcome: read the record and decide applied or not applied.
    /// (Verifying the audit chain is `audit verify`.)
    Verify { id: i64 },
    /// The simulated org with demo data, a demo database pointed at it and its demo secrets,
    /// then the window (or, with --no-window, serve until interrupted).
    Demo {
        /// Serve the org and print where it is, without opening the window.
        #[arg(long)]
        no_window: bool,
        /// The org's port on 127.0.0.1 (a fixed default keeps the demo lane's contract stable).
        #[arg(long, default_value_t = crate::services::demo::DEMO_PORT)]
        port: u16,
    },
    /// The tamper-evident audit log: list, show, verify, export.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// The simulated Salesforce org alone, on loopback: prints its base URL as the first line
    /// of standard output (a JSON object with --json), then serves until Ctrl-C or SIGTERM.
    Sandbox {
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Seed file (JSON): users, queues, OAuth clients, records, rules. See docs/SANDBOX.md.
        #[arg(long, value_name = "FILE")]
        seed: Option<PathBuf>,
        /// Latency added to every data-API request, in milliseconds.
        #[arg(long, value_name = "MS")]
        latency_ms: Option<u64>,
        /// Largest query batch before `nextRecordsUrl` paging (Salesforce: 2000).
        #[arg(long, value_name = "N")]
        query_batch_size: Option<usize>,
    },
}

/// Writing protected fields (the owner among them) despite the contract. Which of the two is
/// required is the contract's `owner_override_allowed_only_when` (`explicit_reassignment_reason`,
/// `downstream_owner_change_is_approved`: then the approver is someone other than the operator).
#[derive(clap::Args, Debug, Default)]
pub struct OverrideArgs {
    #[arg(long)]
    pub reassignment_reason: Option<String>,
    #[arg(long)]
    pub approved_by: Option<String>,
}

impl OverrideArgs {
    fn request(self) -> Option<crate::domain::preflight::OverrideRequest> {
        match (self.reassignment_reason, self.approved_by) {
            (None, None) => None,
            (r, a) => Some(crate::domain::preflight::OverrideRequest {
                reassignment_reason: r.unwrap_or_default(),
                approved_by: a.unwrap_or_default(),
            }),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ReplayCmd {
    /// Batch replay of a lane's selection. Without --ack: the batch preflight (aggregate and the
    /// batch's token). With --ack: execute that batch; the same --ack again resumes it, skipping
    /// every event already attempted under it.
    Batch(BatchArgs),
}

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BatchArgs {
    #[command(subcommand)]
    pub show: Option<BatchCmd>,
    /// The lane (required for the batch preflight).
    #[arg(long)]
    pub lane: Option<String>,
    /// failed or blocked (default: both).
    #[arg(long)]
    pub status: Option<String>,
    /// The events' failure code, e.g. UNABLE_TO_LOCK_ROW.
    #[arg(long)]
    pub reason_code: Option<String>,
    /// A file of event ids, one per line (blank lines and `#` comments ignored).
    #[arg(long, value_name = "FILE")]
    pub ids: Option<PathBuf>,
    #[arg(long)]
    pub operator: Option<String>,
    #[arg(long)]
    pub reason: Option<String>,
    /// The batch preflight's acknowledgment token: execute (or resume) that batch.
    #[arg(long)]
    pub ack: Option<String>,
    /// An approved override for the events whose preflight finds a protected-field conflict
    /// (given with the batch preflight; the token binds it).
    #[command(flatten)]
    pub over: OverrideArgs,
    /// Writes in flight at once.
    #[arg(long, default_value_t = services::batch::DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=i64::from(services::batch::MAX_CONCURRENCY)))]
    pub concurrency: u16,
    /// Stop the batch after this many failures in a row (0: never).
    #[arg(long, default_value_t = services::batch::DEFAULT_MAX_CONSECUTIVE_FAILURES)]
    pub max_consecutive_failures: u32,
    /// Pause the batch when the org's daily API usage is above this percentage.
    #[arg(long, default_value_t = services::batch::DEFAULT_PAUSE_ABOVE_PERCENT, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub pause_above_percent: u8,
}

#[derive(Subcommand, Debug)]
pub enum BatchCmd {
    /// A batch: its selection, aggregate, status, and each event's preflight and outcome.
    Show { batch_id: i64 },
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
    /// Get a token with the secret and check it acts as the lane's `connection.username`.
    Check { lane: String },
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
        /// The failure (reason) code, e.g. UNABLE_TO_LOCK_ROW.
        #[arg(long)]
        reason_code: Option<String>,
        /// A prefix of the external ID or the event key.
        #[arg(long)]
        search: Option<String>,
        /// Occurred at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Occurred before this RFC 3339 time.
        #[arg(long)]
        until: Option<String>,
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
        // The audit commands return their own exit code (a failed verification prints its
        // report and exits 1) and are how a damaged log is examined, so they route themselves.
        if let Command::Audit(cmd) = command {
            return audit(&cli.db_path(), cmd, json).await;
        }
        // The simulated org needs no database.
        if let Command::Sandbox {
            port,
            seed,
            latency_ms,
            query_batch_size,
        } = command
        {
            return sandbox(port, seed, latency_ms, query_batch_size, json).await;
        }
        let app = App::open(&cli.db_path()).await?;
        let r = dispatch(&app, command, json).await;
        app.close().await;
        r.map(|()| 0)
    });
    match result {
        Ok(code) => code,
        // A result already printed, with its own exit code (replay outcomes).
        Err(Error::Exit(code)) => code,
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
    serde_json::to_value(e.reply()).unwrap_or_default()
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v).map_err(|e| Error::Io(format!("cannot encode JSON: {e}")))?;
    println!("{s}");
    Ok(())
}

async fn dispatch(app: &App, command: Command, json: bool) -> Result<()> {
    match command {
        // `main` routes the demo before any runtime exists (it may own the main thread).
        Command::Demo { .. } => {
            return Err(Error::InvalidInput(
                "the demo runs on its own; call `replay-console demo`".into(),
            ));
        }
        // `run` routes audit commands before opening the app; this arm keeps the match whole.
        Command::Audit(cmd) => {
            audit_with(app, cmd, json).await?;
        }
        // Likewise routed by `run`, before any database is opened.
        Command::Sandbox {
            port,
            seed,
            latency_ms,
            query_batch_size,
        } => {
            sandbox(port, seed, latency_ms, query_batch_size, json).await?;
        }
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
            reason_code,
            search,
            since,
            until,
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
                    failure_code: reason_code,
                    search,
                    since,
                    until,
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
        Command::Credentials(CredentialsCmd::Check { lane }) => {
            let r = services::credentials::check(app, &lane).await?;
            if json {
                return print_json(&r);
            }
            println!(
                "lane {lane}: the secret works and acts as {} (the lane's integration user)",
                r.acts_as.as_deref().unwrap_or("?")
            );
            for w in &r.lane_warnings {
                println!("  warning: {w}");
            }
        }
        Command::Preflight { id, over } => {
            let v = services::preflight::run(app, id, over.request()).await?;
            if json {
                return print_json(&v);
            }
            print!("{}", render::preflight(&v));
        }
        Command::Replay {
            batch: Some(ReplayCmd::Batch(args)),
            ..
        } => {
            return batch(app, args, json).await;
        }
        Command::Replay {
            batch: None,
            id,
            operator,
            reason,
            ack,
            again,
            over,
        } => {
            // clap requires the id without a subcommand; what else is required is the lane
            // contract's `manual_replay_requires`, which the gate enforces (refused, exit 3).
            let id = id.ok_or_else(|| Error::InvalidInput("replay needs an event id".into()))?;
            let req = crate::domain::preflight::ReplayRequest {
                operator: operator.unwrap_or_default(),
                reason: reason.unwrap_or_default(),
                ack_token: ack.unwrap_or_default(),
                again,
                override_request: over.request(),
                // `--ack TOKEN` acknowledges every side effect the preflight listed.
                acknowledged: None,
            };
            let r = services::replay::replay(app, id, req).await?;
            if json {
                print_json(&r)?;
            } else {
                print!("{}", render::replay_result(&r));
            }
            return Err(Error::Exit(match r.outcome {
                crate::domain::replay::ReplayOutcome::Applied => 0,
                crate::domain::replay::ReplayOutcome::Rejected
                | crate::domain::replay::ReplayOutcome::PreconditionFailed => 4,
                crate::domain::replay::ReplayOutcome::UnknownOutcome => 5,
                // Refused at the write: nothing was written.
                crate::domain::replay::ReplayOutcome::RecordAppeared => 3,
            }));
        }
        Command::Verify { id } => {
            let r = services::settle::settle(app, id, None).await?;
            if json {
                return print_json(&r);
            }
            println!("event {}: {}", r.event_id, r.message);
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

/// `replay batch`: show, preflight or execute.
async fn batch(app: &App, args: BatchArgs, json: bool) -> Result<()> {
    use services::batch as b;
    if let Some(BatchCmd::Show { batch_id }) = args.show {
        let d = b::show(app, batch_id).await?;
        if json {
            return print_json(&d);
        }
        print!("{}", render::batch_detail(&d));
        return Ok(());
    }
    let Some(ack) = args.ack else {
        let lane = args
            .lane
            .ok_or_else(|| Error::InvalidInput("the batch preflight needs --lane".into()))?;
        let ids = match &args.ids {
            Some(p) => Some(read_ids(p)?),
            None => None,
        };
        let sel = b::Selection {
            lane_id: lane,
            status: args.status,
            reason_code: args.reason_code,
            ids,
            override_request: args.over.request(),
        };
        let plan = b::preflight(app, &sel, args.operator.as_deref()).await?;
        if json {
            return print_json(&plan);
        }
        print!("{}", render::batch_plan(&plan));
        return Ok(());
    };
    let req = b::ExecuteRequest {
        ack_token: ack,
        operator: args.operator.unwrap_or_default(),
        reason: args.reason.unwrap_or_default(),
        concurrency: usize::from(args.concurrency),
        max_consecutive_failures: args.max_consecutive_failures,
        pause_above_percent: args.pause_above_percent,
        // The batch token acknowledges every side effect the batch preflight listed.
        acknowledged: None,
    };
    // `replay batch [selection] --ack TOKEN`: a selection given must be the token's.
    let ids = match &args.ids {
        Some(p) => Some(read_ids(p)?),
        None => None,
    };
    b::check_selection(
        app,
        &req,
        args.lane.as_deref(),
        args.status.as_deref(),
        args.reason_code.as_deref(),
        ids.as_deref(),
    )
    .await?;
    let progress = Arc::new(CtrlCProgress {
        inner: TermProgress::new(!json && std::io::stderr().is_terminal()),
        stop: Arc::new(std::sync::atomic::AtomicBool::new(false)),
    });
    let stop = progress.stop.clone();
    // Ctrl-C cancels: no new write starts, in-flight ones settle and are recorded.
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let r = b::execute(app, req, progress).await;
    watcher.abort();
    let s = r?;
    if json {
        print_json(&s)?;
    } else {
        print!("{}", render::batch_summary(&s));
    }
    // An unknown outcome needs `verify ID` (settle) first; a rejection needs a look; an unfinished batch
    // (paused, stopped, cancelled) is resumed with the same command.
    let code = if !s.unknown_outcome.is_empty() {
        5
    } else if !s.rejected.is_empty() {
        4
    } else if s.status != "done" {
        3
    } else {
        0
    };
    Err(Error::Exit(code))
}

/// Event ids, one per line.
fn read_ids(path: &std::path::Path) -> Result<Vec<i64>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))?;
    let mut ids = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        ids.push(
            l.parse::<i64>()
                .map_err(|_| Error::InvalidInput(format!("{}:{}: `{l}` is not an event id", path.display(), n + 1)))?,
        );
    }
    Ok(ids)
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

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Entries, oldest first (or --newest-first), filtered, one page at a time.
    List {
        #[command(flatten)]
        filter: AuditFilterArgs,
        /// Continue after this sequence number (the last of the previous page).
        #[arg(long)]
        after: Option<i64>,
        #[arg(long, default_value_t = services::audit::DEFAULT_PAGE)]
        limit: u32,
        #[arg(long)]
        newest_first: bool,
    },
    /// One entry: every field, before/after with the field diff, and whether its hash holds.
    Show { seq: i64 },
    /// Verify the audit chain: walk the whole hash chain and check the signed checkpoint.
    /// Exit 1 if anything is wrong. (Settling an unknown outcome is `verify ID`.)
    Verify {
        /// Also exit 1 when something could not be proven (no checkpoint, no keychain).
        #[arg(long)]
        require_checkpoint: bool,
    },
    /// Write the (filtered) log to FILE and FILE.manifest.json.
    Export {
        /// csv or ndjson.
        #[arg(long)]
        format: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        filter: AuditFilterArgs,
        /// The incident window FROM..TO (RFC 3339 or dates; TO exclusive), instead of --since/--until.
        #[arg(long, value_name = "FROM..TO")]
        incident_window: Option<String>,
        /// Replace FILE (and its manifest) if it exists; without it an export never overwrites.
        #[arg(long)]
        force: bool,
    },
    /// Check an export against its manifest and the hash chain, offline (no database needed).
    /// With --extends EARLIER: also whether FILE, a later export of the same log, holds every
    /// entry of EARLIER unchanged (nothing removed or rewritten since). Exit 1 if not.
    VerifyExport {
        file: PathBuf,
        #[arg(long, value_name = "EARLIER")]
        extends: Option<PathBuf>,
    },
    /// Acknowledge a recorded checkpoint loss (the `checkpoint_lost` entry SEQ) as a reviewer:
    /// recorded in the log; `audit verify` then reports the unproven range without failing on it.
    Acknowledge {
        seq: i64,
        #[arg(long)]
        reviewer: String,
        #[arg(long)]
        reason: String,
    },
    /// Sign the log's head into the checkpoint now (every write does this after its commit).
    Checkpoint,
    /// Re-create the append-only triggers, only if the log verifies; recorded in the log.
    RestoreTriggers,
}

#[derive(clap::Args, Debug, Default)]
pub struct AuditFilterArgs {
    #[arg(long)]
    lane: Option<String>,
    /// The operator's name (the entry's actor).
    #[arg(long)]
    operator: Option<String>,
    #[arg(long)]
    action: Option<String>,
    #[arg(long)]
    outcome: Option<String>,
    /// The event's id.
    #[arg(long)]
    event: Option<i64>,
    /// The batch replay's id (`replay batch`).
    #[arg(long, value_name = "ID")]
    batch: Option<i64>,
    #[arg(long)]
    external_id: Option<String>,
    /// From this time on (RFC 3339 or a date, UTC midnight).
    #[arg(long)]
    since: Option<String>,
    /// Before this time (exclusive).
    #[arg(long)]
    until: Option<String>,
}

impl AuditFilterArgs {
    fn into_filter(self) -> Result<crate::domain::audit::AuditFilter> {
        let time = |flag: &str, v: Option<String>| {
            v.map(|t| {
                crate::domain::audit::parse_time_bound(&t).map_err(|e| Error::InvalidInput(format!("--{flag}: {e}")))
            })
            .transpose()
        };
        Ok(crate::domain::audit::AuditFilter {
            lane_id: self.lane,
            operator: self.operator,
            action: self.action,
            outcome: self.outcome,
            event_id: self.event,
            batch_id: self.batch,
            external_id: self.external_id,
            since: time("since", self.since)?,
            until: time("until", self.until)?,
        })
    }
}

/// Runs an audit command; returns the exit code. `verify-export` is offline and opens no
/// database; the others open it without the trigger check (they are how a damaged log is
/// examined and repaired).
/// `replay-console sandbox`: the simulated Salesforce org, until Ctrl-C or SIGTERM.
async fn sandbox(
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

async fn audit(db: &std::path::Path, cmd: AuditCmd, json: bool) -> Result<i32> {
    if let AuditCmd::VerifyExport { file, extends } = &cmd {
        return verify_export(file, extends.as_deref(), json).await;
    }
    let app = App::open_unguarded(db).await?;
    let r = audit_with(&app, cmd, json).await;
    app.close().await;
    r
}

/// `audit verify-export FILE [--extends EARLIER]`: offline; exit 1 unless everything holds.
async fn verify_export(file: &std::path::Path, extends: Option<&std::path::Path>, json: bool) -> Result<i32> {
    let ok = match extends {
        None => {
            let c = services::audit::export::verify_export(file).await?;
            if json {
                print_json(&c)?;
            } else {
                print!("{}", render::audit_export_check(&c));
            }
            c.ok
        }
        Some(earlier) => {
            let c = services::audit::export::verify_extension(file, earlier).await?;
            if json {
                print_json(&c)?;
            } else {
                print!("{}", render::audit_continuity(&c));
            }
            c.ok
        }
    };
    Ok(if ok { 0 } else { 1 })
}

async fn audit_with(app: &App, cmd: AuditCmd, json: bool) -> Result<i32> {
    match cmd {
        AuditCmd::List {
            filter,
            after,
            limit,
            newest_first,
        } => {
            let page = services::audit::list(
                app,
                &services::audit::AuditQuery {
                    filter: filter.into_filter()?,
                    after,
                    limit: Some(limit),
                    newest_first,
                },
            )
            .await?;
            if json {
                // A listing is an array; the next page starts after the last element's seq.
                print_json(&page.entries)?;
            } else {
                print!("{}", render::audit_page(&page));
            }
        }
        AuditCmd::Show { seq } => {
            let d = services::audit::show(app, seq).await?;
            if json {
                print_json(&d)?;
            } else {
                print!("{}", render::audit_entry_detail(&d));
            }
        }
        AuditCmd::Verify { require_checkpoint } => {
            let progress: Arc<dyn Progress> = Arc::new(TermProgress::new(!json && std::io::stderr().is_terminal()));
            let r = services::audit::verify_chain(app, progress).await?;
            if json {
                print_json(&r)?;
            } else {
                print!("{}", render::audit_verify(&r));
            }
            let unproven = require_checkpoint && !r.not_proven.is_empty();
            return Ok(if r.ok && !unproven { 0 } else { 1 });
        }
        AuditCmd::Export {
            format,
            out,
            filter,
            incident_window,
            force,
        } => {
            let format = services::audit::export::AuditExportFormat::parse(&format)
                .ok_or_else(|| Error::InvalidInput(format!("--format `{format}`: use csv or ndjson")))?;
            let req = services::audit::export::AuditExportRequest {
                format,
                out: out.display().to_string(),
                filter: filter.into_filter()?,
                incident_window,
                force,
            };
            let progress = Arc::new(CtrlCProgress {
                inner: TermProgress::new(!json && std::io::stderr().is_terminal()),
                stop: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            });
            let stop = progress.stop.clone();
            // Ctrl-C cancels cleanly: the temp file is removed, nothing is left under FILE.
            let watcher = tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            });
            let r = services::audit::export::export(app, &req, progress).await;
            watcher.abort();
            let o = r?;
            if json {
                print_json(&o)?;
            } else {
                print!("{}", render::audit_exported(&o));
            }
        }
        AuditCmd::VerifyExport { file, extends } => return verify_export(&file, extends.as_deref(), json).await,
        AuditCmd::Acknowledge { seq, reviewer, reason } => {
            let l = services::audit::acknowledge(app, seq, &reviewer, &reason).await?;
            if json {
                print_json(&l)?;
            } else {
                print!("{}", render::audit_loss_acknowledged(&l));
            }
        }
        AuditCmd::Checkpoint => {
            let w = services::audit::write_checkpoint(app).await?;
            if json {
                print_json(&w)?;
            } else {
                print!("{}", render::audit_checkpoint(&w));
            }
        }
        AuditCmd::RestoreTriggers => {
            let restored = services::audit::restore_triggers(app).await?;
            if json {
                print_json(&serde_json::json!({ "restored": restored }))?;
            } else if restored.is_empty() {
                println!("the append-only triggers are in place; nothing to restore");
            } else {
                println!(
                    "the log verified; restored the triggers {} (recorded in the audit log)",
                    restored.join(", ")
                );
            }
        }
    }
    Ok(0)
}

/// Terminal progress that Ctrl-C turns into a clean cancel.
struct CtrlCProgress {
    inner: TermProgress,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Progress for CtrlCProgress {
    fn report(&self, done: u64, total: u64) {
        self.inner.report(done, total);
    }
    fn cancelled(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::Relaxed)
    }
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
