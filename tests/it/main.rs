//! One integration-test binary (short link times): real SQLite files, the real CLI binary.

mod common;
mod events_import;
mod lanes;
