//! The command line: parse, call one service function, render. Stable: scripts and tests drive it.
//! The grammar is in `args`; each group of commands has its own file (`queue`, `batch`, `audit`,
//! `demo`), the text renderings are in `render`.

mod args;
mod audit;
mod batch;
mod demo;
mod echo;
mod progress;
mod queue;
mod render;
mod safe;
mod team;

pub use args::*;
pub use demo::demo;

use crate::app::App;
use crate::error::{Error, Result};

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
    // Completions and the manual page are the grammar itself: no database, no runtime.
    match &command {
        Command::Completions { shell } => return completions(*shell),
        Command::Man => return man_page(),
        _ => {}
    }
    let result = runtime.block_on(async {
        // The audit commands return their own exit code (a failed verification prints its
        // report and exits 1) and are how a damaged log is examined, so they route themselves.
        if let Command::Audit(cmd) = command {
            return audit::audit(&cli.db_path(), cmd, json).await;
        }
        // Storing or removing a team password needs no connection (and must work before one can).
        if let Command::Team(cmd @ (TeamCmd::Login { .. } | TeamCmd::Logout)) = &command {
            return team::credentials(&cli.db_path(), cmd, json).await.map(|()| 0);
        }
        // The simulated org needs no database.
        if let Command::Sandbox {
            port,
            seed,
            latency_ms,
            query_batch_size,
        } = command
        {
            return demo::sandbox(port, seed, latency_ms, query_batch_size, json).await;
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
                eprintln!("error: {}", safe::lines(e.to_string().trim_end()));
            }
            e.exit_code()
        }
    }
}

fn exit_with(code: i32) -> Result<()> {
    if code == 0 {
        Ok(())
    } else {
        Err(Error::Exit(code))
    }
}

/// The completion script for `shell`, on standard output.
fn completions(shell: clap_complete::Shell) -> i32 {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "replay-console", &mut out);
    if shell == clap_complete::Shell::Bash {
        // clap_complete spells a hyphenated binary's state two ways in bash (the loop:
        // `replay__console__subcmd__audit`, the arms: `replay__subcmd__console__subcmd__audit`),
        // so nothing after the first word completed (clap-rs/clap#6421, open). The arms are
        // spelled as the loop spells them, as the proposed fix does.
        let text = String::from_utf8_lossy(&out).replace("replay__subcmd__console", "replay__console");
        out = text.into_bytes();
    }
    write_out(&out, "the completion script")
}

/// The manual page (section 1, roff), on standard output.
fn man_page() -> i32 {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
        eprintln!("error: cannot render the manual page: {e}");
        return 1;
    }
    write_out(&out, "the manual page")
}

/// Writes generated text to standard output; a reader that stopped early (`| head`) is not an
/// error.
fn write_out(bytes: &[u8], what: &str) -> i32 {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("error: cannot write {what}: {e}");
            1
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

/// Prints a result: one JSON document with `--json`, else its text rendering as is.
fn emit<T: serde::Serialize>(json: bool, v: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
    if json {
        print_json(v)
    } else {
        print!("{}", safe::lines(&text(v)));
        Ok(())
    }
}

async fn dispatch(app: &App, command: Command, json: bool) -> Result<()> {
    match command {
        // `main` routes the demo before any runtime exists (it may own the main thread).
        Command::Demo { .. } => Err(Error::InvalidInput(
            "the demo runs on its own; call `replay-console demo`".into(),
        )),
        // Routed by `run` before any runtime; these arms keep the match whole.
        Command::Completions { shell } => exit_with(completions(shell)),
        Command::Man => exit_with(man_page()),
        // `run` routes audit commands before opening the app; this arm keeps the match whole.
        Command::Audit(cmd) => audit::audit_with(app, cmd, json).await.map(drop),
        // Likewise routed by `run`, before any database is opened.
        Command::Sandbox {
            port,
            seed,
            latency_ms,
            query_batch_size,
        } => demo::sandbox(port, seed, latency_ms, query_batch_size, json)
            .await
            .map(drop),
        Command::Lanes(cmd) => queue::lanes(app, cmd, json).await,
        Command::Team(cmd) => team::team(app, cmd, json).await,
        Command::Approvals(cmd) => team::approvals(app, cmd, json).await,
        Command::Events(cmd) => queue::events(app, cmd, json).await,
        Command::Credentials(cmd) => queue::credentials(app, cmd, json).await,
        Command::Alerts { cmd } => queue::alerts(app, cmd, json).await,
        Command::Preflight { id, over } => queue::preflight(app, id, over, json).await,
        Command::Replay {
            batch: Some(ReplayCmd::Batch(args)),
            ..
        } => batch::batch(app, args, json).await,
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
            queue::replay(app, id, req, json).await
        }
        Command::Verify { id: Some(id), .. } => queue::settle(app, id, json).await,
        Command::Verify { batch: Some(b), .. } => queue::settle_batch(app, b, json).await,
        Command::Verify { .. } => Err(Error::InvalidInput("verify needs an event id or --batch ID".into())),
    }
}
