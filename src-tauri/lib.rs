//! Replay Console: guarded manual replay of failed and blocked Salesforce writes.
//!
//! Layers (DESIGN "Layout"): `domain` is pure logic; `store` is SQLite; `services` orchestrate
//! and are the only callers of the store; `cli` and `desktop` are thin shells over services. Only
//! `desktop` names Tauri, and it exists only with the `gui` feature.

pub mod app;
pub mod cli;
pub mod domain;
pub mod error;
pub mod keychain;
pub mod salesforce;
pub mod sandbox;
pub mod services;
pub mod store;

#[cfg(feature = "gui")]
pub mod desktop;

pub use app::App;
pub use error::{Error, Result};
