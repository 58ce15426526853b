//! The app's log files as the window shows them: where they are, which there are, and opening
//! that folder in the OS file manager (the window's "Open log folder").

use crate::app::log_dir;
use crate::error::{Error, Result};
use serde::Serialize;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The folder of the log files (one a day, 14 kept) and what is in it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct LogFolder {
    /// The folder, as this OS writes paths.
    pub path: String,
    /// Its log files, newest first.
    pub files: Vec<LogFile>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct LogFile {
    pub name: String,
    pub bytes: u64,
}

/// The log folder and its files (none yet when the folder does not exist).
pub fn folder() -> Result<LogFolder> {
    let dir = log_dir();
    let mut files = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let is_log = entry.file_type().map(|t| t.is_file()).unwrap_or(false)
                    && name.starts_with("replay-console")
                    && name.ends_with(".log");
                if is_log {
                    let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
                    files.push(LogFile { name, bytes });
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::Io(format!("cannot list the log folder {}: {e}", dir.display()))),
    }
    // Daily files are named replay-console.YYYY-MM-DD.log: by name is by date.
    files.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(LogFolder {
        path: dir.display().to_string(),
        files,
    })
}

/// Opens the log folder in the OS file manager: `xdg-open` on Linux and other unixes, `open` on
/// macOS, Explorer on Windows. An opener that is missing or fails within a few seconds is an error
/// naming it and the folder, so the person can open the folder by hand.
pub fn open_folder() -> Result<LogFolder> {
    let dir = log_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Io(format!("cannot create the log folder {}: {e}", dir.display())))?;
    let shown = folder()?;
    run_opener(opener(), &dir)?;
    Ok(shown)
}

fn opener() -> &'static str {
    if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    }
}

/// Starts `program DIR` and waits up to 5 s for its verdict. An opener still running then (one
/// that stays with the file manager it started) counts as opened and is reaped in the background.
fn run_opener(program: &str, dir: &Path) -> Result<()> {
    let mut child = Command::new(program)
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            Error::Io(format!(
                "cannot start `{program}` to open {}: {e}; open the folder by hand",
                dir.display()
            ))
        })?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            // Explorer's exit code says nothing about success.
            Ok(Some(status)) if status.success() || cfg!(windows) => return Ok(()),
            Ok(Some(status)) => {
                return Err(Error::Io(format!(
                "`{program}` could not open {} ({status}): no file manager is set up for folders here; open it by hand",
                dir.display()
            )))
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => return Err(Error::Io(format!("`{program}` for {}: {e}", dir.display()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opener_that_fails_is_an_error_naming_it_and_the_folder() {
        let dir = std::env::temp_dir();
        let e = run_opener("false", &dir).expect_err("`false` fails");
        let text = e.to_string();
        assert!(
            text.contains("`false`") && text.contains(&dir.display().to_string()),
            "{text}"
        );
        let e = run_opener("/nonexistent/opener", &dir).expect_err("a missing opener");
        assert!(e.to_string().contains("cannot start"), "{e}");
        run_opener("true", &dir).expect("`true` opens");
    }
}
