//! The simulated Salesforce org: an HTTP imitation on loopback of the parts of Salesforce the
//! console uses (OAuth token endpoint, identity, sObject rows by Id and by external ID, upsert,
//! a small SOQL subset, `Sforce-Limit-Info`), with faults on demand and a log of applied writes.
//!
//! It follows `shared/SALESFORCE.md` on its own and shares no code with `crate::salesforce`, so
//! a misreading in one is not silently mirrored by the other. `docs/SANDBOX.md` says what it
//! imitates, what it does not, and which unconfirmed readings it chose.
//!
//! State lives in memory behind one mutex: it is a test double, and every request is short.

pub mod faults;
mod ids;
mod json;
mod oauth;
mod org;
mod pubkey;
mod seed;
mod server;
mod soql;

pub use faults::{Applies, Fault, FaultKind};
pub use org::WriteRecord;
pub use seed::{
    AssignmentRule, DuplicateAction, DuplicateRule, FieldType, OAuthClient, ObjectSpec, OrgSettings, Seed, SeedQueue,
    SeedUser, ValidationRule, LATEST_API_VERSION,
};

use chrono::Utc;
use serde_json::Value;
use server::Shared;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("sandbox seed: {0}")]
    Seed(String),
    #[error("the sandbox cannot listen on 127.0.0.1:{port}: {message}")]
    Bind { port: u16, message: String },
    #[error("the sandbox failed: {0}")]
    Io(String),
}

/// How to start a sandbox: the port (0 picks a free one) and what the org holds.
#[derive(Debug, Clone, Default)]
pub struct SandboxConfig {
    pub port: u16,
    pub seed: Seed,
}

/// A running sandbox. Dropping it stops the server; [`SandboxHandle::shutdown`] also waits.
pub struct SandboxHandle {
    base_url: String,
    addr: SocketAddr,
    org_id: String,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Starts the sandbox on 127.0.0.1 (never another interface: the control API has no auth).
pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
    let org = org::Org::from_seed(&config.seed, Utc::now())?;
    let org_id = org.id.clone();
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
        .await
        .map_err(|e| SandboxError::Bind {
            port: config.port,
            message: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| SandboxError::Io(e.to_string()))?;
    let base_url = format!("http://127.0.0.1:{}", addr.port());
    let shared = Arc::new(Shared {
        org: Mutex::new(org),
        base_url: base_url.clone(),
        control_token: hex::encode(rand::random::<[u8; 16]>()),
    });
    let (tx, rx) = watch::channel(false);
    let task = tokio::spawn(server::serve(listener, shared.clone(), rx));
    Ok(SandboxHandle {
        base_url,
        addr,
        org_id,
        shared,
        shutdown: tx,
        task: Some(task),
    })
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`: the token endpoint's host and the `instance_url` it hands out.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The control API's token for this run: send it as `X-Sandbox-Token` to `/__sandbox/...`.
    pub fn control_token(&self) -> &str {
        &self.shared.control_token
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The organization Id (00D...).
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// Every applied write, oldest first.
    pub fn writes(&self) -> Vec<WriteRecord> {
        self.shared.org().writes.clone()
    }

    pub fn clear_writes(&self) {
        self.shared.org().writes.clear();
    }

    /// Queues a fault for the next matching requests.
    pub fn inject(&self, fault: Fault) {
        if fault.count > 0 {
            self.shared.org().faults.push(fault);
        }
    }

    pub fn clear_faults(&self) {
        self.shared.org().faults.clear();
    }

    /// Faults still waiting (with their remaining counts).
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.shared.org().faults.clone()
    }

    /// Ends every session now: the next data call with an old token gets 401.
    pub fn expire_tokens(&self) {
        self.shared.org().sessions.clear();
    }

    /// Latency added to every data-API request from now on.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.org().settings.latency_ms = latency.as_millis().min(u64::MAX as u128) as u64;
    }

    /// `(used, limit)` of the daily API allowance.
    pub fn api_usage(&self) -> (u64, u64) {
        let org = self.shared.org();
        (org.api_usage, org.settings.api_limit)
    }

    pub fn set_api_usage(&self, used: u64) {
        self.shared.org().api_usage = used;
    }

    /// A record as `GET` by Id would show it (every field), or `None`.
    pub fn record(&self, object: &str, id: &str) -> Option<Value> {
        let org = self.shared.org();
        let t = org.table_index(object)?;
        let table = &org.tables[t];
        let row = table.row_by_id(id)?;
        serde_json::from_slice(&table.render(&table.rows[row], LATEST_API_VERSION, None).to_bytes()).ok()
    }

    /// Creates a record as someone other than the lane's user (the org's admin), as a person
    /// or another integration would between a preflight and a replay. Returns its Id.
    pub fn insert_by_someone_else(&self, object: &str, fields: serde_json::Map<String, Value>) -> Option<String> {
        let mut org = self.shared.org();
        let t = org.table_index(object)?;
        org.insert_as_admin(t, &fields, Utc::now()).ok()
    }

    /// Every record of an object, in creation order.
    pub fn records(&self, object: &str) -> Vec<Value> {
        let org = self.shared.org();
        let Some(t) = org.table_index(object) else {
            return Vec::new();
        };
        let table = &org.tables[t];
        table
            .rows
            .iter()
            .filter_map(|r| serde_json::from_slice(&table.render(r, LATEST_API_VERSION, None).to_bytes()).ok())
            .collect()
    }

    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// `replay-console sandbox`: prints the base URL as the first line of stdout (a JSON object
/// with `--json`), then serves until Ctrl-C or SIGTERM.
pub async fn run_until_stopped(config: SandboxConfig, json: bool) -> Result<(), SandboxError> {
    let handle = start(config).await?;
    if json {
        println!(
            "{}",
            serde_json::json!({"base_url": handle.base_url(), "port": handle.addr().port(), "org_id": handle.org_id(), "api_version": LATEST_API_VERSION, "control_token": handle.control_token()})
        );
    } else {
        println!("{}", handle.base_url());
        println!("control token: {}", handle.control_token());
    }
    eprintln!(
        "simulated Salesforce org at {url} (API v{LATEST_API_VERSION}); token endpoint {url}/services/oauth2/token; control API {url}/__sandbox/ (header X-Sandbox-Token: the control token above); Ctrl-C stops it",
        url = handle.base_url()
    );
    wait_for_stop().await;
    handle.shutdown().await;
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
