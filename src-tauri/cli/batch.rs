//! `replay batch`: show a batch, take a batch preflight, or execute (resume) one.

use super::progress::cancellable;
use super::{emit, render, BatchArgs, BatchCmd};
use crate::app::App;
use crate::error::{Error, Result};
use crate::services::batch as b;

/// Show, preflight or execute; an execution exits with its summary's code.
pub(super) async fn batch(app: &App, args: BatchArgs, json: bool) -> Result<()> {
    if let Some(BatchCmd::Show { batch_id }) = args.show {
        return emit(json, &b::show(app, batch_id).await?, render::batch_detail);
    }
    let ids = match &args.ids {
        Some(p) => Some(read_ids(p)?),
        None => None,
    };
    let Some(ack) = args.ack else {
        let lane = match (args.lane, &args.group) {
            (Some(l), _) => l,
            // The group names its lane.
            (None, Some(_)) => String::new(),
            (None, None) => {
                return Err(Error::InvalidInput(
                    "the batch preflight needs --lane (or --group)".into(),
                ))
            }
        };
        let sel = b::Selection {
            lane_id: lane,
            status: args.status,
            reason_code: args.reason_code,
            ids,
            group: args.group,
            override_request: args.over.request(),
        };
        return emit(
            json,
            &b::preflight(app, &sel, args.operator.as_deref()).await?,
            render::batch_plan,
        );
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
    let (lane, status, reason_code) = (
        args.lane.as_deref(),
        args.status.as_deref(),
        args.reason_code.as_deref(),
    );
    b::check_selection(
        app,
        &req,
        lane,
        status,
        reason_code,
        ids.as_deref(),
        args.group.as_deref(),
    )
    .await?;
    // Ctrl-C cancels: no new write starts, in-flight ones settle and are recorded.
    let s = cancellable(json, |progress| b::execute(app, req, progress)).await?;
    emit(json, &s, render::batch_summary)?;
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
pub(super) fn read_ids(path: &std::path::Path) -> Result<Vec<i64>> {
    let text = crate::services::limits::read_text_file(path, crate::services::limits::IDS_FILE_BYTES)?;
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
