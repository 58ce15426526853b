//! The top-level error. Across IPC and in `--json` output an error is `{kind, message}` (a
//! refused import adds `issues` and `total`); the UI and scripts branch on `kind`, never on the
//! message text.

use crate::domain::import::ImportRejected;
use crate::keychain::KeychainError;
use crate::salesforce::SalesforceError;
use crate::store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(StoreError),
    /// A lane contract that does not validate; the message names file, line, column and field.
    #[error("{0}")]
    Contract(String),
    #[error(transparent)]
    ImportRejected(#[from] ImportRejected),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    Io(String),
    #[error("cancelled: {0}")]
    Cancelled(String),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    /// Salesforce said no, could not be reached, or answered in no known shape.
    #[error("Salesforce: {0}")]
    Salesforce(#[from] SalesforceError),
    /// The gate, a policy or the event's state refused the action; nothing was sent.
    #[error("refused ({code}): {message}")]
    Refused { code: String, message: String },
    /// Not a failure: the CLI printed its result and exits with this code (a replay that
    /// Salesforce rejected exits 4, an unknown outcome 5).
    #[error("exit {0}")]
    Exit(i32),
}

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum ErrorKind {
    /// The input (a file, an argument, a form field) is wrong; the message says where and how.
    InvalidInput,
    NotFound,
    Cancelled,
    /// A policy, the gate or the event's state said no; nothing was written.
    Refused,
    /// Salesforce (or the network to it) said no: the message has Salesforce's own words.
    Salesforce,
    /// No Secret Service is running, or it is locked: the message says how to start or unlock it.
    KeychainUnavailable,
    /// Something on this machine failed (disk, database); retrying may help.
    Internal,
}

/// What crosses the IPC boundary and what `--json` prints on failure.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct ErrorReply {
    pub kind: ErrorKind,
    pub message: String,
    /// A refusal's code (`not_permitted`, `approval_pending`, a gate's code), so the window can
    /// branch on it without parsing `message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub code: Option<String>,
    /// A refused import: its problems in file order (the first 100), so that no reader has to
    /// parse them back out of `message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub issues: Option<Vec<crate::domain::import::ImportIssue>>,
    /// A refused import: all its problems, listed or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub total: Option<u64>,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Contract(_) | Error::ImportRejected(_) | Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Refused { .. } => ErrorKind::Refused,
            Error::Salesforce(SalesforceError::IdentityMismatch { .. }) => ErrorKind::Refused,
            Error::Salesforce(_) => ErrorKind::Salesforce,
            Error::Cancelled(_) => ErrorKind::Cancelled,
            Error::Keychain(KeychainError::Unavailable(_) | KeychainError::Locked(_)) => ErrorKind::KeychainUnavailable,
            Error::Keychain(KeychainError::NotFound(_)) => ErrorKind::NotFound,
            Error::Keychain(KeychainError::Refused(_)) => ErrorKind::InvalidInput,
            Error::Store(_) | Error::Io(_) | Error::Keychain(KeychainError::Task(_)) | Error::Exit(_) => {
                ErrorKind::Internal
            }
        }
    }

    /// The process exit code DESIGN gives: 1 error, 3 refused by policy or gate, 4 Salesforce
    /// rejected the write, 5 unknown outcome.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Refused { .. } | Error::Salesforce(SalesforceError::IdentityMismatch { .. }) => 3,
            _ => 1,
        }
    }

    pub fn reply(&self) -> ErrorReply {
        let rejected = match self {
            Error::ImportRejected(r) => Some(r),
            _ => None,
        };
        ErrorReply {
            kind: self.kind(),
            message: self.to_string(),
            code: match self {
                Error::Refused { code, .. } => Some(code.clone()),
                _ => None,
            },
            issues: rejected.map(|r| r.issues.clone()),
            total: rejected.map(|r| r.total),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::from(StoreError::Sql(e))
    }
}

/// A store error, with the two refusals a team server makes named as refusals: a privilege the
/// person's login lacks (the role enforcement of team mode), and a rule its triggers enforce
/// (an approval decided by its requester, a decision changed). Nothing was written.
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        if let StoreError::Sql(sqlx::Error::Database(db)) = &e {
            match db.code().as_deref() {
                Some("42501") => {
                    return Error::Refused {
                        code: "not_permitted".into(),
                        message: format!(
                            "the team's server refused this for your login ({}); a role that allows it \
                             (reader, operator, approver, admin) is granted by an administrator: \
                             `replay-console team grant LOGIN ROLE`; `replay-console team whoami` shows yours",
                            db.message()
                        ),
                    }
                }
                Some("P0001") => {
                    return Error::Refused {
                        code: "refused_by_server".into(),
                        message: db.message().to_string(),
                    }
                }
                _ => {}
            }
        }
        Error::Store(e)
    }
}
