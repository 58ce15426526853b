//! The `replay-console` binary: parses the command line, then runs a CLI command, the demo or
//! (with no command) the window.

// Built for the console subsystem on every OS, so a CLI command prints to the console it was
// started from and the shell gets its exit code. On Windows a plain start from Explorer or the
// Start menu is given a console of its own, which the window lets go of at once
// (`leave_own_console`).

use clap::Parser;
use replay_console::cli::{self, Cli, Command};

fn main() {
    // Logs go to stderr and to a file in the OS log directory (lost otherwise when the window is
    // started from a desktop menu), at the level RUST_LOG asks for (warnings by default). Secrets
    // never reach them: they are in types that print `<redacted>`, and auth headers are sensitive.
    init_logs();
    let mut cli = Cli::parse();
    let code = match cli.command.take() {
        // The demo may open the window, which must own the main thread: not inside a runtime.
        Some(Command::Demo { no_window, port }) => cli::demo(&cli, no_window, port, window()),
        Some(command) => cli::run(cli, command),
        None => {
            leave_own_console();
            open_window(&cli)
        }
    };
    std::process::exit(code);
}

/// On Windows, a window started without a command lets go of the console when that console was
/// made for this start alone (from Explorer or the Start menu), so no empty console stays open
/// beside the window. Started from a terminal, the console is the terminal's and stays.
#[cfg(windows)]
fn leave_own_console() {
    #[link(name = "kernel32")]
    extern "system" {
        fn GetConsoleProcessList(list: *mut u32, count: u32) -> u32;
        fn FreeConsole() -> i32;
    }
    let mut ids = [0u32; 2];
    // SAFETY: `ids` has room for the 2 process ids whose count is passed; FreeConsole takes nothing.
    let attached = unsafe { GetConsoleProcessList(ids.as_mut_ptr(), ids.len() as u32) };
    if attached == 1 {
        // SAFETY: no pointer; afterwards writes to the standard handles fail quietly.
        unsafe { FreeConsole() };
    }
}

#[cfg(not(windows))]
fn leave_own_console() {}

/// stderr, plus the day's file in [`replay_console::app::log_dir`] (rotated daily, 14 kept).
/// When the directory cannot be made, a warning on stderr and stderr alone.
fn init_logs() {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let dir = replay_console::app::log_dir();
    let file = private_dir(&dir).map_err(|e| e.to_string()).and_then(|()| {
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("replay-console")
            .filename_suffix("log")
            .max_log_files(14)
            .build(&dir)
            .map_err(|e| e.to_string())
    });
    let (file, problem) = match file {
        Ok(f) => (Some(f), None),
        Err(e) => (None, Some(e)),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(file.map(|f| tracing_subscriber::fmt::layer().with_ansi(false).with_writer(f)))
        .init();
    if let Some(e) = problem {
        eprintln!("warning: no log file in {}: {e}; logs go to stderr only", dir.display());
    }
}

/// Makes the log directory readable by the user only: a log line can name records and people.
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// The window's entry point, where the build has one (the CLI never names the desktop shell).
#[cfg(feature = "gui")]
fn window() -> Option<fn(std::path::PathBuf) -> i32> {
    Some(replay_console::desktop::run)
}

#[cfg(not(feature = "gui"))]
fn window() -> Option<fn(std::path::PathBuf) -> i32> {
    None
}

#[cfg(feature = "gui")]
fn open_window(cli: &Cli) -> i32 {
    replay_console::desktop::run(cli.db_path())
}

#[cfg(not(feature = "gui"))]
fn open_window(_cli: &Cli) -> i32 {
    eprintln!(
        "error: this build has no desktop window (built without the `gui` feature); run a subcommand, see --help"
    );
    2
}
