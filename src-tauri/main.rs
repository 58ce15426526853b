//! The `replay-console` binary: parses the command line, then runs a CLI command, the demo or
//! (with no command) the window.

// No console window on Windows release builds of the desktop app.
#![cfg_attr(all(not(debug_assertions), target_os = "windows"), windows_subsystem = "windows")]

use clap::Parser;
use replay_console::cli::{self, Cli, Command};

fn main() {
    // Logs go to stderr, at the level RUST_LOG asks for (warnings by default). Secrets never
    // reach them: they are in types that print `<redacted>`, and auth headers are sensitive.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut cli = Cli::parse();
    let code = match cli.command.take() {
        // The demo may open the window, which must own the main thread: not inside a runtime.
        Some(Command::Demo { no_window, port }) => cli::demo(&cli, no_window, port, window()),
        Some(command) => cli::run(cli, command),
        None => open_window(&cli),
    };
    std::process::exit(code);
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
