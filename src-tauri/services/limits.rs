//! How much of a file from outside is read before it is refused. Each limit is far above what the
//! file holds in use and low enough that a hostile or mistaken file cannot take the machine's
//! memory: the read stops one byte past the limit, whatever the file's size claims.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// A lane contract (a few kB of YAML in use).
pub const CONTRACT_BYTES: u64 = 1024 * 1024;
/// An export's manifest (about 1 kB).
pub const MANIFEST_BYTES: u64 = 1024 * 1024;
/// A lane's extra CA file (a root certificate is 1 to 2 kB; a whole OS bundle is about 200 kB).
pub const CA_FILE_BYTES: u64 = 1024 * 1024;
/// A file of event ids for a batch (a million ids is under 10 MB).
pub const IDS_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// A JSON-array event file, read whole (it has no record boundaries to stream on); NDJSON and
/// CSV stream, whatever their size.
pub const JSON_ARRAY_BYTES: u64 = 256 * 1024 * 1024;
/// An edited payload (`events edit`, its `--from-file`): one record's fields, a few kB in use.
pub const EDIT_PAYLOAD_BYTES: u64 = 1024 * 1024;

/// Refuses an edited payload over [`EDIT_PAYLOAD_BYTES`].
pub fn check_payload_size(bytes: usize) -> Result<()> {
    if bytes as u64 > EDIT_PAYLOAD_BYTES {
        return Err(Error::InvalidInput(format!(
            "the edited payload is {} bytes; an edit takes at most {}",
            bytes,
            said(EDIT_PAYLOAD_BYTES)
        )));
    }
    Ok(())
}

/// Megabytes or kilobytes, as the limit is said in errors.
pub fn said(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MB", bytes / (1024 * 1024))
    } else {
        format!("{} kB", bytes / 1024)
    }
}

/// Reads all of `r`, or fails naming `what` and the limit once it holds more than `max` bytes.
pub fn read_at_most(r: impl Read, max: u64, what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    r.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Io(format!("cannot read {what}: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(Error::InvalidInput(format!(
            "{what} is larger than {}, the most this reads; nothing was read from it",
            said(max)
        )));
    }
    Ok(bytes)
}

/// The whole file at `path`, refused past `max` bytes (before reading, when its size says so).
pub fn read_file(path: &Path, max: u64) -> Result<Vec<u8>> {
    let what = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| Error::Io(format!("cannot read {what}: {e}")))?;
    if let Ok(m) = f.metadata() {
        if m.len() > max {
            return Err(Error::InvalidInput(format!(
                "{what} is {} bytes, larger than {}, the most this reads; nothing was read from it",
                m.len(),
                said(max)
            )));
        }
    }
    read_at_most(f, max, &what)
}

/// As [`read_file`], as UTF-8 text; other bytes are refused naming the offset of the first.
pub fn read_text_file(path: &Path, max: u64) -> Result<String> {
    String::from_utf8(read_file(path, max)?).map_err(|e| {
        Error::InvalidInput(format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_one_byte_past_the_limit() {
        assert_eq!(read_at_most(&b"12345"[..], 5, "x").expect("at the limit"), b"12345");
        let e = read_at_most(std::io::repeat(b'a'), 1024, "an endless stream").expect_err("past it");
        assert!(e.to_string().contains("an endless stream is larger than 1 kB"), "{e}");
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_at_its_offset() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("latin1.yaml");
        std::fs::write(&path, b"name: caf\xe9\n").expect("write");
        let e = read_text_file(&path, 1024).expect_err("not UTF-8");
        assert!(
            e.to_string().contains("not UTF-8 text (invalid byte at offset 9)"),
            "{e}"
        );
        std::fs::write(&path, "name: café\n").expect("write");
        assert_eq!(read_text_file(&path, 1024).expect("UTF-8"), "name: café\n");
    }
}
