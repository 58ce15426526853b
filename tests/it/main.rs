//! One integration-test binary (short link times): real SQLite files, the real CLI binary.

mod common;
mod credentials;
mod events_import;
mod lanes;
mod desktop;
