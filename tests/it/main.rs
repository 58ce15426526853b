//! One integration-test binary (short link times): real SQLite files, the real CLI binary.

mod audit;
mod audit_attacks;
mod batch;
mod canary;
mod cli_conventions;
mod common;
mod concurrency;
mod contract;
mod crash;
mod credentials;
mod desktop;
mod desktop_shell;
mod events_import;
mod faults;
mod fuzz;
mod lanes;
mod layering;
mod limits;
mod queue_plans;
mod replay;
mod salesforce;
mod sandbox;
mod sandbox_composite;
mod sf_support;
mod team;
mod tls;
