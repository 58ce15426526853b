//! Replay Console: guarded manual replay of failed and blocked Salesforce writes.
//!
//! Layers (DESIGN "Layout"): `domain` is pure logic; `store` is SQLite; `services` orchestrate
//! and are the only callers of the store; `cli` and `desktop` are thin shells over services. Only
//! `desktop` names Tauri, and it exists only with the `gui` feature.

pub mod cli;
pub mod domain;
pub mod error;
pub mod keychain;
pub mod notify;
pub mod salesforce;
pub mod sandbox;
pub mod services;
pub mod store;

#[cfg(feature = "gui")]
pub mod desktop;

// The app context lives with the services it serves (it opens the store and runs recovery at
// start); `crate::app` stays the short path the shells and tests use.
pub use error::{Error, Result};
pub use services::app;
pub use services::app::App;
