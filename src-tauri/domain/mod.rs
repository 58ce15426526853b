//! Pure logic: no I/O, no Tauri, no sqlx, no reqwest. Time and fetched state come in as
//! arguments, so every rule here is tested without a clock, a network or a database.

pub mod audit;
pub mod batch;
pub mod contract;
pub mod event;
pub mod groups;
pub mod hosts;
pub mod import;
pub mod preflight;
pub mod replay;
pub mod revision;
pub mod search;
