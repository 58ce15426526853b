//! The command line's grammar: every subcommand, argument and its help text (clap). Stable:
//! scripts and tests drive it.

use crate::app::default_db_path;
use crate::error::{Error, Result};
use crate::services;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "replay-console",
    version,
    about = "Guarded manual replay of failed and blocked Salesforce writes.\n\nWith no command, opens the desktop window."
)]
pub struct Cli {
    /// The database: a file (default: in the OS data directory), or a team's PostgreSQL server
    /// as postgres://LOGIN@HOST:PORT/DATABASE (the password comes from your keychain: `team login`).
    #[arg(long, global = true, env = "REPLAY_CONSOLE_DB", value_name = "PATH|URL")]
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
    /// The lanes' critical alerts (the contract's critical_alerts) as they stand, and their
    /// delivery to each lane's alert_owner.
    Alerts {
        #[command(subcommand)]
        cmd: Option<AlertsCmd>,
    },
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
    Verify {
        /// The event to settle.
        #[arg(required_unless_present = "batch", conflicts_with = "batch")]
        id: Option<i64>,
        /// Settle every unknown outcome of this batch, the records read 200 to a query.
        #[arg(long, value_name = "BATCH_ID")]
        batch: Option<i64>,
    },
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
    /// Team mode on a shared PostgreSQL server: your login, roles, set-up.
    #[command(subcommand)]
    Team(TeamCmd),
    /// Team mode: approval requests of overrides (owner change, protected fields).
    #[command(subcommand)]
    Approvals(ApprovalsCmd),
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
    /// Prints a completion script for a shell, e.g.
    /// `replay-console completions bash > ~/.local/share/bash-completion/completions/replay-console`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Prints the manual page (roff), e.g. `replay-console man | man -l -`.
    Man,
}

#[derive(Subcommand, Debug)]
pub enum TeamCmd {
    /// Store your database password for the server of --db in your OS keychain (read from
    /// standard input or --password-file; never echoed, never written to a file).
    Login {
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Remove your stored database password for the server of --db.
    Logout,
    /// Who you are on the server of --db and what your roles let you do.
    Whoami,
    /// Create the team roles (reader, operator, approver, admin) and their privileges. Run once
    /// by an administrator of the server, again after an upgrade.
    Init,
    /// Grant a team role (reader, operator, approver, admin) to a login (administrator).
    Grant { login: String, role: String },
    /// Revoke a team role from a login (administrator).
    Revoke { login: String, role: String },
}

#[derive(Subcommand, Debug)]
pub enum ApprovalsCmd {
    /// Approval requests, newest first.
    List {
        /// pending, approved or rejected (default: all).
        #[arg(long)]
        status: Option<String>,
        /// Requests on the page (at most 1,000; more is a usage error, not a silent cut).
        #[arg(long, default_value_t = 50,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(services::team::MAX_APPROVALS_PAGE)))]
        limit: u32,
    },
    /// Approve a request (an approver other than its requester).
    Approve {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Reject a request (an approver other than its requester).
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
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
    pub(super) fn request(self) -> Option<crate::domain::preflight::OverrideRequest> {
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
    #[arg(long, value_name = "FILE", conflicts_with = "group")]
    pub ids: Option<PathBuf>,
    /// A failure group's key, as `events groups` prints it: the group's failed and blocked
    /// events (its lane and failure code; --lane may be left out).
    #[arg(long, value_name = "KEY")]
    pub group: Option<String>,
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
pub enum AlertsCmd {
    /// One delivery check: open an episode per newly active alert, end those no longer active,
    /// send each lane's webhook once per episode (retried at later checks). The window runs it
    /// every minute; run it from cron for a console nobody has open.
    Deliver {
        /// Also show a desktop notification for each episode this check opens.
        #[arg(long)]
        notify: bool,
    },
    /// Store a lane's alert webhook URL (Slack-compatible) in the keychain, read from standard
    /// input or --from-file: the URL carries the channel's token. The contract's
    /// replay_console.alert_webhook turns delivery on.
    WebhookSet {
        lane: String,
        #[arg(long, value_name = "FILE")]
        from_file: Option<PathBuf>,
    },
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
        /// Allow the lane's login host although it is not Salesforce's (*.salesforce.com,
        /// *.force.com, …) or loopback: a company proxy, say. The secret is bound to it.
        #[arg(long, value_name = "HOST")]
        allow_host: Option<String>,
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

/// The queue's filter, as `events list` and `events export-csv` take it.
#[derive(clap::Args, Debug)]
pub struct QueueFilterArgs {
    #[arg(long)]
    pub lane: Option<String>,
    /// failed, blocked, in_flight, replayed, unknown_outcome or discarded.
    #[arg(long)]
    pub status: Option<String>,
    /// The failure (reason) code, e.g. UNABLE_TO_LOCK_ROW.
    #[arg(long)]
    pub reason_code: Option<String>,
    /// A prefix of the external ID or the event key.
    #[arg(long)]
    pub search: Option<String>,
    /// Full-text: events holding every word of TEXT in their payload values, failure message or
    /// code, external ID or event key (whole words; `word*` for a prefix).
    #[arg(long, value_name = "TEXT")]
    pub text: Option<String>,
    /// Occurred at or after this RFC 3339 time.
    #[arg(long)]
    pub since: Option<String>,
    /// Occurred before this RFC 3339 time.
    #[arg(long)]
    pub until: Option<String>,
    /// Assigned to this person (`events triage --assign`).
    #[arg(long)]
    pub assignee: Option<String>,
    /// Carrying this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Only events marked investigating.
    #[arg(long)]
    pub investigating: bool,
}

impl QueueFilterArgs {
    /// The service's query, with its cursor and page size.
    pub fn query(
        self,
        after: Option<String>,
        limit: Option<u32>,
    ) -> crate::error::Result<services::events::EventQuery> {
        let status = match self.status {
            Some(s) => Some(crate::domain::event::EventStatus::parse(&s).ok_or_else(|| {
                crate::error::Error::InvalidInput(format!(
                    "--status `{s}`: use failed, blocked, in_flight, replayed, unknown_outcome or discarded"
                ))
            })?),
            None => None,
        };
        Ok(services::events::EventQuery {
            lane_id: self.lane,
            status,
            failure_code: self.reason_code,
            search: self.search,
            text: self.text,
            since: self.since,
            until: self.until,
            assignee: self.assignee,
            tag: self.tag,
            investigating: self.investigating.then_some(true),
            after,
            limit,
        })
    }
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
        #[command(flatten)]
        filter: QueueFilterArgs,
        /// Events on the page (at most 1,000; more is a usage error, not a silent cut).
        #[arg(long, default_value_t = 50,
              value_parser = clap::value_parser!(u32).range(1..=services::events::MAX_PAGE))]
        limit: u32,
        /// Continue after this cursor (the id of the last event of the previous page).
        #[arg(long)]
        after: Option<String>,
    },
    /// Failure groups: events by lane, failure code and message signature (record Ids, numbers
    /// and quoted values stripped), with counts, first and last seen, and statuses. Most open
    /// events first; `replay batch --group KEY` takes a group's batch preflight.
    Groups {
        #[arg(long)]
        lane: Option<String>,
    },
    /// Bring the full-text index (`--text`) up to date now: events imported since it last
    /// caught up. The window does this in the background after each import; a search from the
    /// command line does it first.
    Index,
    /// One event, with its payload and attempts.
    Show { id: i64 },
    /// Propose an edited payload as the event's next revision; the original is kept. The
    /// revision is replayed only after a preflight taken on it and the approval of someone other
    /// than its editor (`events approve-edit`).
    Edit {
        id: i64,
        /// FIELD=VALUE; the value is JSON when it parses as JSON (2000000, true, null, "0123"),
        /// text otherwise. Repeatable.
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        /// Remove a field from the payload. Repeatable.
        #[arg(long = "unset", value_name = "FIELD")]
        unset: Vec<String>,
        /// A whole new payload (a JSON object), applied before --set and --unset.
        #[arg(long, value_name = "FILE")]
        from_file: Option<PathBuf>,
        /// Who edits (solo mode; in team mode the login is recorded).
        #[arg(long)]
        editor: Option<String>,
        #[arg(long)]
        reason: String,
        /// Why a protected field of the lane is edited (required when one is).
        #[arg(long, value_name = "REASON")]
        protected_override: Option<String>,
    },
    /// An event's payload history: the original, each revision with its changes, editor and
    /// approver.
    Revisions { id: i64 },
    /// Triage one or more events: assign, mark as being investigated, tag, leave a note. Each
    /// event's change is an audit entry; `events list --assignee/--tag/--investigating` filters.
    Triage {
        /// Event ids.
        ids: Vec<i64>,
        /// More event ids from a file, one per line (`#` comments and blank lines ignored).
        #[arg(long = "ids", value_name = "FILE")]
        ids_file: Option<PathBuf>,
        #[arg(long, conflicts_with = "unassign")]
        assign: Option<String>,
        #[arg(long)]
        unassign: bool,
        /// Mark as being investigated.
        #[arg(long, conflicts_with = "done")]
        investigating: bool,
        /// Clear the investigating mark.
        #[arg(long)]
        done: bool,
        /// Add a tag (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Remove a tag (repeatable).
        #[arg(long = "untag", value_name = "TAG")]
        untags: Vec<String>,
        #[arg(long)]
        note: Option<String>,
        /// Who triages (solo mode; in team mode the login is recorded).
        #[arg(long)]
        by: Option<String>,
    },
    /// The remaining failures (failed and blocked) of one lane as a CSV that Salesforce Data
    /// Loader reads: the external-ID field first, one column per payload field. Protected fields
    /// and events without an external ID are left out (and said); null cells are #N/A.
    ExportCsv {
        #[command(flatten)]
        filter: QueueFilterArgs,
        /// A failure group's key (`events groups`): its lane and events.
        #[arg(long, value_name = "KEY")]
        group: Option<String>,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
        /// Who exports, for the audit log (default: the OS user).
        #[arg(long)]
        operator: Option<String>,
    },
    /// Approve the event's current revision: someone other than its editor.
    ApproveEdit {
        id: i64,
        /// The revision approved (it must still be the current one).
        #[arg(long)]
        revision: i64,
        /// Who approves (solo mode, declared; in team mode the login, with the approver role).
        #[arg(long)]
        approver: Option<String>,
        #[arg(long)]
        reason: String,
    },
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

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Entries, oldest first (or --newest-first), filtered, one page at a time.
    List {
        #[command(flatten)]
        filter: AuditFilterArgs,
        /// Continue after this sequence number (the last of the previous page).
        #[arg(long)]
        after: Option<i64>,
        /// Entries on the page (at most 1,000; more is a usage error, not a silent cut).
        #[arg(long, default_value_t = services::audit::DEFAULT_PAGE,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(services::audit::MAX_PAGE)))]
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
    pub(super) fn into_filter(self) -> Result<crate::domain::audit::AuditFilter> {
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
