//! Faults on demand: the next N matching requests answer like a struggling org, are slowed, or
//! lose their answer.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 400 `UNABLE_TO_LOCK_ROW` (transient; most public fixtures use 400).
    UnableToLockRow,
    /// 503 `SERVER_UNAVAILABLE`.
    ServerUnavailable,
    /// 403 `REQUEST_LIMIT_EXCEEDED`.
    RequestLimitExceeded,
    /// 401 `INVALID_SESSION_ID` with `WWW-Authenticate: Token`, whatever the token.
    InvalidSession,
    /// The write is applied and logged, then the connection is closed without an answer.
    DropAfterWrite,
    /// The connection is closed without an answer and nothing is applied.
    DropBeforeWrite,
    /// `latency_ms` more before the answer.
    Latency,
    /// Before the next create (`POST /sobjects/{Object}/`) is handled, someone else (the org's
    /// admin) creates a record with the same external-ID values: the race between a replay's
    /// re-read and its create. The create itself then goes on as Salesforce would answer it.
    RecordAppears,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applies {
    /// Any data-API request (`/services/data/vXX.X/...`).
    Any,
    Reads,
    Writes,
    /// The OAuth token endpoint.
    Token,
    /// SOQL queries only (`/query`): e.g. the owner lookup of a preflight, not its record read.
    Queries,
    /// A composite call as a whole (`/composite`), not its subrequests (which take the faults
    /// aimed at their own kind of request).
    Composite,
}

/// What `POST /__sandbox/faults` takes (one object or an array of them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default)]
    pub latency_ms: u64,
    /// Which requests it hits; by default writes for the drop kinds, any data request otherwise.
    #[serde(default)]
    pub applies_to: Option<Applies>,
}

fn one() -> u32 {
    1
}

impl Fault {
    pub fn new(kind: FaultKind, count: u32) -> Fault {
        Fault {
            kind,
            count,
            latency_ms: 0,
            applies_to: None,
        }
    }

    pub fn latency(ms: u64, count: u32) -> Fault {
        Fault {
            latency_ms: ms,
            ..Fault::new(FaultKind::Latency, count)
        }
    }

    pub fn on(mut self, applies: Applies) -> Fault {
        self.applies_to = Some(applies);
        self
    }

    pub fn target(&self) -> Applies {
        match (self.applies_to, self.kind) {
            (Some(a), _) => a,
            (None, FaultKind::DropAfterWrite | FaultKind::DropBeforeWrite | FaultKind::RecordAppears) => {
                Applies::Writes
            }
            (None, _) => Applies::Any,
        }
    }
}

pub type FaultState = Fault;

/// Which kind of request is being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestClass {
    Read,
    /// A read that is a SOQL query.
    Query,
    Write,
    Token,
    /// A composite call itself.
    Composite,
}

fn hits(f: &Fault, class: RequestClass) -> bool {
    matches!(
        (f.target(), class),
        (
            Applies::Any,
            RequestClass::Read | RequestClass::Query | RequestClass::Write
        ) | (Applies::Reads, RequestClass::Read | RequestClass::Query)
            | (Applies::Queries, RequestClass::Query)
            | (Applies::Writes, RequestClass::Write)
            | (Applies::Token, RequestClass::Token)
            | (Applies::Composite, RequestClass::Composite)
    )
}

/// What the queued faults do to one request: the added latency, and the first answer-changing
/// fault (consumed).
pub fn take(faults: &mut Vec<Fault>, class: RequestClass) -> (u64, Option<FaultKind>) {
    let mut latency = 0;
    for f in faults.iter_mut() {
        if f.kind == FaultKind::Latency && hits(f, class) && f.count > 0 {
            latency += f.latency_ms;
            f.count -= 1;
        }
    }
    let mut kind = None;
    if let Some(f) = faults
        .iter_mut()
        .find(|f| f.kind != FaultKind::Latency && f.count > 0 && hits(f, class))
    {
        f.count -= 1;
        kind = Some(f.kind);
    }
    faults.retain(|f| f.count > 0);
    (latency, kind)
}
