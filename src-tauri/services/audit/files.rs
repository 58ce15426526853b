//! Files written so that they are either wholly there or not at all, readable by their owner
//! only, and never through a planted symlink: the checkpoint, exports and manifests.

use super::AuditError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes a file so that it is either wholly there or not at all: a temp file in the same
/// folder, synced, then renamed over the name.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::result::Result<(), AuditError> {
    let err = |source| AuditError::Write {
        path: path.display().to_string(),
        source,
    };
    let (mut f, tmp) = create_temp_beside(path).map_err(err)?;
    let written = f.write_all(bytes).and_then(|()| f.sync_all());
    drop(f);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    sync_dir(path);
    Ok(())
}

/// Creates a new hidden temp file in the same folder (a rename across file systems is not
/// atomic), readable by the user only. Its name is random and it is opened with O_EXCL
/// (`create_new`), which never follows a symlink: a link planted under a guessable name is not
/// written through, it just makes this try another name.
pub(crate) fn create_temp_beside(path: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
    use rand::RngCore;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut last = None;
    for _ in 0..16 {
        let tag = rand::rngs::OsRng.next_u64();
        let tmp = path.with_file_name(format!(".{name}.partial-{}-{tag:016x}", std::process::id()));
        match private_file_options().open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temp name")))
}

/// Options for a new file only its owner can read (0600 on Unix), never an existing one.
pub(crate) fn private_file_options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// Makes a rename durable (the directory entry), where the OS allows opening a directory.
pub(crate) fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Moves the finished temp file to its name: over an existing file only when `force`; otherwise
/// with a hard link, which fails if the name appeared meanwhile (no check-then-rename race).
pub(crate) fn place(tmp: &Path, out: &Path, force: bool) -> std::io::Result<()> {
    if force {
        return std::fs::rename(tmp, out);
    }
    match std::fs::hard_link(tmp, out) {
        Ok(()) => std::fs::remove_file(tmp),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(std::io::Error::new(
            e.kind(),
            format!("{} appeared while exporting; nothing was overwritten", out.display()),
        )),
        // A file system without hard links: the name was free a moment ago.
        Err(_) if std::fs::symlink_metadata(out).is_err() => std::fs::rename(tmp, out),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_never_written_through() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a temp dir");
        let target = dir.path().join("victim");
        std::fs::write(&target, b"precious").expect("write the victim");
        let link = dir.path().join("planted");
        std::os::unix::fs::symlink(&target, &link).expect("plant a symlink");
        let e = private_file_options()
            .open(&link)
            .expect_err("O_EXCL refuses any existing name, a symlink included");
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::AlreadyExists,
            "the open fails instead of following"
        );
        assert_eq!(
            std::fs::read(&target).expect("read"),
            b"precious",
            "the link's target is untouched"
        );

        let out = dir.path().join("export.csv");
        let (f, tmp) = create_temp_beside(&out).expect("a temp file");
        drop(f);
        assert_eq!(tmp.parent(), out.parent(), "beside the target, so the rename is atomic");
        let mode = std::fs::metadata(&tmp).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "temp files are readable by the user only");
        let (_, other) = create_temp_beside(&out).expect("another temp file");
        assert_ne!(tmp, other, "names are random: an attacker cannot plant the next one");
    }
}
