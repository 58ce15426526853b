//! The queue's commands: lanes, events, credentials, and one event's preflight, replay and
//! settle (`verify ID`).

use super::progress::TermProgress;
use super::{emit, print_json, render, AlertsCmd, CredentialsCmd, EventsCmd, LanesCmd, OverrideArgs};
use crate::app::App;
use crate::domain::preflight::ReplayRequest;
use crate::domain::replay::ReplayOutcome;
use crate::error::{Error, Result};
use crate::services::{self, import::Format, Progress};
use std::io::IsTerminal;
use std::sync::Arc;

pub(super) async fn lanes(app: &App, cmd: LanesCmd, json: bool) -> Result<()> {
    match cmd {
        LanesCmd::Import { file } => {
            let r = services::lanes::import_file(app, &file).await?;
            emit(json, &r, |r| format!("{}\n", render::lane_imported(r)))
        }
        LanesCmd::List => emit(json, &services::lanes::list(app).await?, |l| render::lanes(l)),
        LanesCmd::Show { lane } => emit(json, &services::lanes::show(app, &lane).await?, render::lane_detail),
    }
}

pub(super) async fn events(app: &App, cmd: EventsCmd, json: bool) -> Result<()> {
    match cmd {
        EventsCmd::Import { file, format } => {
            let format = match format {
                Some(f) => Some(
                    Format::parse(&f)
                        .ok_or_else(|| Error::InvalidInput(format!("--format `{f}`: use ndjson, json or csv")))?,
                ),
                None => None,
            };
            let progress: Arc<dyn Progress> = Arc::new(TermProgress::new(json));
            let r = services::import::import_file(app, &file, format, progress).await?;
            emit(json, &r, |r| format!("{}\n", render::imported(r)))
        }
        EventsCmd::List { filter, limit, after } => {
            let query = filter.query(after, Some(limit))?;
            if query.text.is_some() {
                index_for_search(app, json).await;
            }
            let page = services::events::list(app, &query).await?;
            if json {
                // A listing is an array; the cursor for the next page is the last element's id.
                return print_json(&page.events);
            }
            print!("{}", super::safe::lines(&render::events(&page)));
            Ok(())
        }
        EventsCmd::Index => {
            let started = std::time::Instant::now();
            let done = services::search::catch_up(app, index_progress(json)).await?;
            let state = services::search::state(app).await?;
            emit(json, &state, |s| {
                format!(
                    "search index: {} event{} added in {:.1} s; it reaches event {}, {} left\n",
                    done,
                    if done == 1 { "" } else { "s" },
                    started.elapsed().as_secs_f64(),
                    s.indexed_through,
                    s.unindexed
                )
            })
        }
        EventsCmd::Groups { lane } => emit(
            json,
            &services::groups::list(app, lane.as_deref()).await?,
            render::groups,
        ),
        EventsCmd::Edit {
            id,
            set,
            unset,
            from_file,
            editor,
            reason,
            protected_override,
        } => {
            let req = edit_request(set, unset, from_file, editor, reason, protected_override)?;
            let r = services::revisions::edit(app, id, &req).await?;
            emit(json, &r, |r| render::revision_made(id, r))
        }
        EventsCmd::ExportCsv {
            filter,
            group,
            out,
            force,
            operator,
        } => {
            let query = filter.query(None, None)?;
            if query.text.is_some() {
                index_for_search(app, json).await;
            }
            let req = services::queue_export::QueueExportRequest {
                query,
                group,
                path: out.display().to_string(),
                force,
                exported_by: operator.unwrap_or_default(),
            };
            let r = services::queue_export::export(app, &req).await?;
            emit(json, &r, render::queue_exported)
        }
        EventsCmd::Triage {
            mut ids,
            ids_file,
            assign,
            unassign,
            investigating,
            done,
            tags,
            untags,
            note,
            by,
        } => {
            if let Some(f) = ids_file {
                ids.extend(super::batch::read_ids(&f)?);
            }
            let change = services::triage::TriageChange {
                assign: if unassign { Some(String::new()) } else { assign },
                investigating: if investigating {
                    Some(true)
                } else if done {
                    Some(false)
                } else {
                    None
                },
                add_tags: tags,
                remove_tags: untags,
                note,
                by: by.unwrap_or_default(),
            };
            let r = services::triage::update(app, &ids, &change).await?;
            emit(json, &r, |r| {
                format!(
                    "{} event{} triaged{}\n",
                    r.changed.len(),
                    if r.changed.len() == 1 { "" } else { "s" },
                    if r.unchanged.is_empty() {
                        String::new()
                    } else {
                        format!("; {} already so", r.unchanged.len())
                    }
                )
            })
        }
        EventsCmd::Revisions { id } => emit(json, &services::revisions::list(app, id).await?, render::revisions),
        EventsCmd::ApproveEdit {
            id,
            revision,
            approver,
            reason,
        } => {
            let r = services::revisions::approve(app, id, revision, approver.as_deref().unwrap_or(""), &reason).await?;
            emit(json, &r, |r| render::revision_approved(id, r))
        }
        EventsCmd::Show { id } => emit(json, &services::events::show(app, id).await?, render::event_detail),
        EventsCmd::Discard { id, operator, reason } => {
            services::discard::discard(app, id, &operator, &reason).await?;
            let r = serde_json::json!({"event_id": id, "status": "discarded"});
            emit(json, &r, |_| format!("event {id} discarded by {operator}\n"))
        }
    }
}

pub(super) async fn credentials(app: &App, cmd: CredentialsCmd, json: bool) -> Result<()> {
    match cmd {
        CredentialsCmd::Set {
            lane,
            from_file,
            allow_host,
        } => {
            let secret = read_secret(from_file.as_deref())?;
            let r = services::credentials::set(app, &lane, secret, allow_host.as_deref()).await?;
            emit(json, &r, |r| {
                format!(
                    "secret for lane {} stored in the keychain (service replay-console, account {}; {})\n",
                    r.lane_id, r.account, r.kind
                )
            })
        }
        CredentialsCmd::Status { lane } => emit(
            json,
            &services::credentials::status(app, &lane).await?,
            render::credential_status,
        ),
        CredentialsCmd::Check { lane } => {
            let r = services::credentials::check(app, &lane).await?;
            emit(json, &r, |r| {
                let mut s = format!(
                    "lane {lane}: the secret works and acts as {} (the lane's integration user)\n",
                    r.acts_as.as_deref().unwrap_or("?")
                );
                for w in &r.lane_warnings {
                    s.push_str(&format!("  warning: {w}\n"));
                }
                s
            })
        }
        CredentialsCmd::Delete { lane } => {
            let existed = services::credentials::delete(app, &lane).await?;
            let r = serde_json::json!({ "lane_id": lane, "deleted": existed });
            emit(json, &r, |_| {
                if existed {
                    format!("secret for lane {lane} deleted from the keychain\n")
                } else {
                    format!("lane {lane} had no secret in the keychain; nothing deleted\n")
                }
            })
        }
    }
}

pub(super) async fn preflight(app: &App, id: i64, over: OverrideArgs, json: bool) -> Result<()> {
    let v = services::preflight::run(app, id, over.request()).await?;
    emit(json, &v, render::preflight)
}

/// `replay ID`: prints the result and exits with its outcome's code.
pub(super) async fn replay(app: &App, id: i64, req: ReplayRequest, json: bool) -> Result<()> {
    let r = services::replay::replay(app, id, req).await?;
    emit(json, &r, render::replay_result)?;
    Err(Error::Exit(match r.outcome {
        ReplayOutcome::Applied => 0,
        ReplayOutcome::Rejected | ReplayOutcome::PreconditionFailed => 4,
        ReplayOutcome::UnknownOutcome => 5,
        // Refused at the write: nothing was written.
        ReplayOutcome::RecordAppeared => 3,
    }))
}

/// `verify ID`: settle an unknown outcome by reading the record.
pub(super) async fn settle(app: &App, id: i64, json: bool) -> Result<()> {
    let r = services::settle::settle(app, id, None).await?;
    emit(json, &r, |r| format!("event {}: {}\n", r.event_id, r.message))
}

/// `verify --batch ID`: settle every unknown outcome of a batch.
pub(super) async fn settle_batch(app: &App, batch_id: i64, json: bool) -> Result<()> {
    let r = services::settle::settle_batch(app, batch_id, None).await?;
    emit(json, &r, |list| {
        if list.is_empty() {
            return format!("batch {batch_id} has no unknown outcome to verify\n");
        }
        let mut text = String::new();
        for r in list {
            text.push_str(&format!("event {}: {}\n", r.event_id, r.message));
        }
        text
    })
}

/// The largest secret read: a 4096-bit RSA key in PEM is about 3.3 kB.
const MAX_SECRET: usize = 64 * 1024;

/// Reads a secret from a file or standard input. From a terminal the paste is not echoed. It is
/// never logged, and every buffer it passes through is zeroized: it is read in fixed chunks into
/// one buffer reserved up front, which therefore never moves (a growing buffer would leave copies
/// behind in freed memory).
pub(super) fn read_secret(from_file: Option<&std::path::Path>) -> Result<crate::keychain::Secret> {
    let raw = match from_file {
        Some(p) => {
            let f = std::fs::File::open(p).map_err(|e| Error::Io(format!("cannot open {}: {e}", p.display())))?;
            read_bounded(f, &p.display().to_string())?
        }
        None if std::io::stdin().is_terminal() => {
            // Echo off first: what is pasted once the prompt shows is never echoed.
            let _quiet = super::echo::off();
            eprintln!(
                "paste the secret, then press Ctrl-D on a line of its own (Ctrl-Z, Enter on Windows); it is not shown:"
            );
            let r = read_bounded(std::io::stdin().lock(), "standard input");
            eprintln!();
            r?
        }
        None => read_bounded(std::io::stdin().lock(), "standard input")?,
    };
    let text = std::str::from_utf8(&raw).map_err(|_| Error::InvalidInput("the secret is not UTF-8 text".into()))?;
    Ok(crate::keychain::Secret::new(
        text.trim_end_matches(['\n', '\r']).to_string(),
    ))
}

/// Reads all of `r` into a zeroizing buffer of [`MAX_SECRET`] bytes reserved up front; more is an
/// error naming the limit.
fn read_bounded(mut r: impl std::io::Read, what: &str) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let mut raw = zeroize::Zeroizing::new(Vec::with_capacity(MAX_SECRET));
    let mut chunk = zeroize::Zeroizing::new([0u8; 4096]);
    loop {
        let n = match r.read(&mut chunk[..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Io(format!("cannot read {what}: {e}"))),
        };
        if raw.len() + n > MAX_SECRET {
            return Err(Error::InvalidInput(format!(
                "{what}: a secret is at most {} kB; this is longer (nothing stored)",
                MAX_SECRET / 1024
            )));
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    Ok(raw)
}

/// `events edit`'s flags as the service takes them.
fn edit_request(
    set: Vec<String>,
    unset: Vec<String>,
    from_file: Option<std::path::PathBuf>,
    editor: Option<String>,
    reason: String,
    protected_override: Option<String>,
) -> Result<services::revisions::EditRequest> {
    let payload = match from_file {
        None => None,
        Some(path) => {
            let text = services::limits::read_text_file(&path, services::limits::EDIT_PAYLOAD_BYTES)?;
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                Error::InvalidInput(format!(
                    "{}: line {}, column {}: {e}",
                    path.display(),
                    e.line(),
                    e.column()
                ))
            })?;
            if !v.is_object() {
                return Err(Error::InvalidInput(format!(
                    "{}: the new payload must be a JSON object of fields",
                    path.display()
                )));
            }
            Some(v)
        }
    };
    if payload.is_none() && set.is_empty() && unset.is_empty() {
        return Err(Error::InvalidInput(
            "say what to change: --set FIELD=VALUE, --unset FIELD or --from-file FILE".into(),
        ));
    }
    let mut fields = Vec::with_capacity(set.len());
    for s in &set {
        let (field, value) = crate::domain::revision::parse_set(s).map_err(Error::InvalidInput)?;
        fields.push(services::revisions::FieldValue { field, value });
    }
    Ok(services::revisions::EditRequest {
        payload,
        set: fields,
        unset,
        editor: editor.unwrap_or_default(),
        reason,
        protected_override,
    })
}

pub(super) async fn alerts(app: &App, cmd: Option<AlertsCmd>, json: bool) -> Result<()> {
    match cmd {
        None => emit(json, &services::alerts::alerts(app).await?, render::alerts),
        Some(AlertsCmd::Deliver { notify }) => {
            let report = services::alert_delivery::deliver(app).await?;
            if notify {
                for (title, text) in services::alert_delivery::opened_notices(&report) {
                    if let Err(e) = crate::notify::show(&title, &text).await {
                        eprintln!("warning: {e}");
                    }
                }
            }
            emit(json, &report, render::delivery)
        }
        Some(AlertsCmd::WebhookSet { lane, from_file }) => {
            let url = read_secret(from_file.as_deref())?;
            let host = services::alert_delivery::set_webhook(app, &lane, url).await?;
            let r = serde_json::json!({"lane_id": lane, "host": host});
            emit(json, &r, |_| {
                format!("alert webhook of lane {lane} stored in the keychain (host {host})\n")
            })
        }
    }
}

/// Progress of an index catch-up on stderr: a line per tenth on a terminal, nothing with --json.
fn index_progress(json: bool) -> impl FnMut(u64, u64) {
    let tty = std::io::stderr().is_terminal() && !json;
    let mut shown = 0u64;
    move |done, total| {
        if tty && total > 0 && done * 10 / total > shown {
            shown = done * 10 / total;
            eprintln!("indexing for search: {done} of {total} events");
        }
    }
}

/// Before a full-text search: the index catches up with events imported since it last did, so
/// the search sees them all. Where it cannot (a reader's login on a team server may not write
/// the index) the search runs over what is indexed, and says so on stderr.
async fn index_for_search(app: &App, json: bool) {
    match services::search::catch_up(app, index_progress(json)).await {
        Ok(n) if n > 0 && !json => eprintln!("indexed {n} new events for search"),
        Ok(_) => {}
        Err(e) => {
            let left = services::search::state(app).await.map(|s| s.unindexed).unwrap_or(0);
            eprintln!(
                "warning: the search index could not be brought up to date ({e}); {left} events are not searched"
            );
        }
    }
}
