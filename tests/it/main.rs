//! One integration-test binary (short link times): real SQLite files, the real CLI binary.

mod audit;
mod canary;
mod common;
mod credentials;
mod desktop;
mod events_import;
mod lanes;
mod queue_plans;
mod replay;
mod salesforce;
mod sandbox;
mod sf_support;
