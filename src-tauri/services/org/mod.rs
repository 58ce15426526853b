//! The services' view of a lane's org: a session (token and identity, cached in memory for the
//! life of the process) and the calls preflight, replay and verify need, in the domain's types.
//! The one place that turns `crate::salesforce` answers into domain facts.

use crate::app::App;
use crate::domain::contract::{AuthFlow, LaneContract};
use crate::domain::event::format_time;
use crate::domain::preflight::{OwnerKind, OwnerState, PlannedRequest, RecordState, Target, WriteKind};
use crate::error::{Error, Result};
use crate::salesforce::{
    AutoAssign, ConnectionSettings, Credential, ExternalIdLookup, Owner, SalesforceClient, SalesforceError, SfRecord,
    UpdateOptions, UpsertOptions,
};
use serde_json::Value;

mod bulk;
mod one_call;

pub use bulk::{at_most, id_key, is_field_name, ApiUsage, Read, IN_LIST_MAX, READS_AT_ONCE};
pub use one_call::{ReadBack, Reads};

/// The most writes one Composite call carries ([`Session::send_many`]).
pub const WRITES_PER_CALL: usize = crate::salesforce::MAX_SUBREQUESTS;

/// A connected lane: a client whose token has been fetched and whose identity is known.
pub struct Session {
    client: SalesforceClient,
    acts_as: String,
    user_id: String,
    /// Describe answers by (object, field): checked once per lane and process.
    unique_checked: tokio::sync::Mutex<std::collections::HashMap<(String, String), bool>>,
}

/// What a write came to.
#[derive(Debug, Clone)]
pub enum SendOutcome {
    Applied {
        status: u16,
        record_id: Option<String>,
        body: Value,
    },
    /// 412: nothing was written.
    PreconditionFailed { status: u16, body: Value },
    /// Salesforce answered no (or the request never left): nothing was written.
    Rejected {
        status: u16,
        code: String,
        message: String,
        body: Value,
    },
    /// Sent, no answer: it may have been applied.
    NoAnswer { detail: String },
    /// A planned create found a record with its external ID at the write (the re-read just
    /// before it, or Salesforce's `DUPLICATE_VALUE` on a Unique field): nothing was written.
    RecordAppeared {
        status: u16,
        record_ids: Vec<String>,
        message: String,
        body: Value,
    },
}

/// The one HTTP client of the process, with the client's timeouts and certificate roots.
pub fn http_client() -> Result<reqwest::Client> {
    Ok(crate::salesforce::build_http_client(
        &crate::salesforce::HttpSettings::default(),
    )?)
}

/// An HTTP client that also trusts the lane's `connection.extra_ca_file`, read now (a changed
/// file is used at the next connect).
fn lane_http_client(contract: &LaneContract, file: &str) -> Result<reqwest::Client> {
    let named = |what: String| {
        Error::InvalidInput(format!(
            "lane `{}`: connection.extra_ca_file `{file}`: {what}",
            contract.lane_id()
        ))
    };
    let pem = crate::services::limits::read_file(std::path::Path::new(file), crate::services::limits::CA_FILE_BYTES)
        .map_err(|e| named(e.to_string()))?;
    crate::salesforce::build_http_client_trusting(&crate::salesforce::HttpSettings::default(), &pem)
        .map_err(|e| named(e.to_string()))
}

/// Whether `pem` is a private key the client can sign a JWT bearer assertion with.
pub fn is_jwt_private_key(pem: &str) -> bool {
    crate::salesforce::rsa_private_key(pem).is_some()
}

pub(crate) fn settings_of(contract: &LaneContract) -> Result<ConnectionSettings> {
    let c = contract.connection.as_ref().ok_or_else(|| {
        Error::InvalidInput(format!(
            "lane `{}` has no `connection` block: the console does not know which org to reach",
            contract.lane_id()
        ))
    })?;
    Ok(ConnectionSettings {
        login_url: c.instance_url.base().to_string(),
        api_version: c.api_version.0.clone(),
        client_id: c.client_id.0.clone(),
        username: c.username.0.clone(),
        audience: c.audience.0.clone(),
        allowed_host: None,
    })
}

impl Session {
    /// Reads the lane's secret from the keychain, gets a token and asks whom it acts as. A token
    /// acting as someone else is not an error here: preflight reports it as a finding and
    /// replay refuses it.
    pub async fn connect(app: &App, contract: &LaneContract) -> Result<Session> {
        let mut settings = settings_of(contract)?;
        let auth = contract.connection.as_ref().map(|c| c.auth);
        let (secret, allowed_host) = crate::services::credentials::secret(app, contract).await?;
        settings.allowed_host = allowed_host;
        let credential = match auth {
            Some(AuthFlow::ClientCredentials) => Credential::ClientCredentials { client_secret: secret },
            _ => Credential::JwtBearer {
                private_key_pem: secret,
            },
        };
        let http = match contract.connection.as_ref().and_then(|c| c.extra_ca_file.as_ref()) {
            Some(file) => lane_http_client(contract, file.as_str())?,
            None => app.http.clone(),
        };
        let client = SalesforceClient::new(http, settings, credential)?;
        let identity = client.identity().await?;
        Ok(Session {
            client,
            acts_as: identity.username,
            user_id: identity.user_id,
            unique_checked: tokio::sync::Mutex::new(std::collections::HashMap::new()),
        })
    }

    pub fn acts_as(&self) -> &str {
        &self.acts_as
    }

    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    pub async fn lookup(&self, object: &str, field: &str, value: &str) -> Result<Target> {
        Ok(match self.client.get_by_external_id(object, field, value).await? {
            ExternalIdLookup::Found { record } => Target::Found {
                record: record_state(record),
            },
            ExternalIdLookup::NotFound => Target::NotFound,
            ExternalIdLookup::Multiple { ids } => Target::Several { ids },
        })
    }

    /// Users and queues by Id, in one round trip (the two queries run at once).
    pub async fn resolve_owners(&self, ids: &[&str]) -> Result<Vec<OwnerState>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let users: Vec<&str> = ids.iter().copied().filter(|i| i.starts_with("005")).collect();
        let queues: Vec<&str> = ids.iter().copied().filter(|i| !i.starts_with("005")).collect();
        let (u, q) = tokio::join!(
            async {
                if users.is_empty() {
                    Ok(Vec::new())
                } else {
                    self.client.owners(&users).await
                }
            },
            async {
                if queues.is_empty() {
                    Ok(Vec::new())
                } else {
                    self.client.owners(&queues).await
                }
            }
        );
        let mut out: Vec<OwnerState> = u?.into_iter().chain(q?).map(owner_state).collect();
        // Salesforce answers with 18-character Ids; the record may carry either form.
        for o in &mut out {
            if let Some(orig) = ids.iter().find(|i| o.id.starts_with(*i) || i.starts_with(&o.id)) {
                o.id = orig.to_string();
            }
        }
        Ok(out)
    }

    /// Whether the org marks `field` of `object` both `unique` and `externalId` (describe), asked
    /// once per process; `Ok(false)` also when the object has no such field.
    pub async fn external_id_is_unique(&self, object: &str, field: &str) -> Result<bool> {
        let key = (object.to_ascii_lowercase(), field.to_ascii_lowercase());
        let mut cache = self.unique_checked.lock().await;
        if let Some(v) = cache.get(&key) {
            return Ok(*v);
        }
        let d = self.client.describe_field(object, field).await?;
        let unique = d.is_some_and(|d| d.unique && d.external_id);
        cache.insert(key, unique);
        Ok(unique)
    }

    pub async fn read_by_id(&self, object: &str, id: &str) -> Result<Option<RecordState>> {
        Ok(self.client.get_by_id(object, id, &[]).await?.map(record_state))
    }

    /// Sends the preflight's exact request, one call per write (the batch's way).
    pub async fn send(&self, req: &PlannedRequest) -> SendOutcome {
        self.send_planned(req, false).await.0
    }

    /// Sends the preflight's exact request and reads the record back in the same Composite
    /// call (one round trip): the write's outcome, and what the read-back found.
    pub async fn send_with_read_back(&self, req: &PlannedRequest) -> (SendOutcome, Option<ReadBack>) {
        self.send_planned(req, true).await
    }

    async fn send_planned(&self, req: &PlannedRequest, read_back: bool) -> (SendOutcome, Option<ReadBack>) {
        match (req.kind, req.path.as_slice()) {
            (WriteKind::Update, [object, id]) => {
                let opts = UpdateOptions {
                    if_unmodified_since: header(req, "If-Unmodified-Since").and_then(parse_http_date),
                    auto_assign: AutoAssign::False,
                    duplicate_rule_header: None,
                };
                let applied = || SendOutcome::Applied {
                    status: 204,
                    record_id: Some(id.clone()),
                    body: Value::Null,
                };
                if !read_back {
                    let sent = match self.client.update_by_id(object, id, &req.body, &opts).await {
                        Ok(()) => applied(),
                        Err(e) => outcome_of_error(e),
                    };
                    return (sent, None);
                }
                match self.client.update_and_read_back(object, id, &req.body, &opts).await {
                    Ok(w) => {
                        let sent = match w.write {
                            Ok(()) => applied(),
                            Err(e) => outcome_of_error(e),
                        };
                        (sent, one_call::read_back_of(w.read_back))
                    }
                    Err(e) => (outcome_of_error(e), None),
                }
            }
            (WriteKind::Create, [object]) => self.create(object, req, read_back).await,
            // A create planned before creates became plain POSTs carries the upsert's path: never
            // sent, since an upsert can overwrite a record that appeared after the preflight.
            (WriteKind::Create, _) => (
                SendOutcome::Rejected {
                    status: 0,
                    code: "NOT_SENT".into(),
                    message: "this preflight planned the create as an upsert (an older version of the console); run the preflight again".into(),
                    body: Value::Null,
                },
                None,
            ),
            _ => (
                SendOutcome::Rejected {
                    status: 0,
                    code: "NOT_SENT".into(),
                    message: "the preflight planned no write".into(),
                    body: Value::Null,
                },
                None,
            ),
        }
    }
}

impl Session {
    /// A planned create: re-read by external ID (when the plan says so), then a plain
    /// `POST /sobjects/{Object}/` (with the read-back in the same call when asked). Never an
    /// upsert, so never an update of a record nobody reviewed. The re-read stays a call of its
    /// own: the create must not be sent at all when it finds a record.
    async fn create(&self, object: &str, req: &PlannedRequest, read_back: bool) -> (SendOutcome, Option<ReadBack>) {
        if let Some(r) = &req.recheck_external_id {
            match self.client.get_by_external_id(object, &r.field, &r.value).await {
                Ok(ExternalIdLookup::NotFound) => {}
                Ok(ExternalIdLookup::Found { record }) => {
                    return (SendOutcome::RecordAppeared {
                        status: 200,
                        message: format!(
                            "{object} {} has {} = `{}` now; it appeared after the preflight. Nothing was written; run the preflight again to review it",
                            record.id, r.field, r.value
                        ),
                        record_ids: vec![record.id],
                        body: Value::Null,
                    }, None)
                }
                Ok(ExternalIdLookup::Multiple { ids }) => {
                    return (SendOutcome::RecordAppeared {
                        status: 300,
                        message: format!(
                            "{} {object} records have {} = `{}` now ({}); they appeared after the preflight. Nothing was written",
                            ids.len(),
                            r.field,
                            r.value,
                            ids.join(", ")
                        ),
                        record_ids: ids,
                        body: Value::Null,
                    }, None)
                }
                // The re-read never wrote anything: whatever went wrong, nothing was sent yet.
                Err(e) => {
                    return (SendOutcome::Rejected {
                        status: status_of(&e),
                        code: "NOT_SENT".into(),
                        message: format!("the re-read by external ID before the create failed, so nothing was sent: {e}"),
                        body: Value::Null,
                    }, None)
                }
            }
        }
        let opts = UpsertOptions {
            update_only: false,
            auto_assign: if header(req, "Sforce-Auto-Assign") == Some("FALSE") {
                AutoAssign::False
            } else {
                AutoAssign::True
            },
            duplicate_rule_header: None,
        };
        if !read_back {
            return (created(self.client.create(object, &req.body, &opts).await), None);
        }
        match self.client.create_and_read_back(object, &req.body, &opts).await {
            Ok(w) => (created(w.write), one_call::read_back_of(w.read_back)),
            Err(e) => (outcome_of_error(e), None),
        }
    }
}

/// What a create's answer means.
fn created(result: std::result::Result<crate::salesforce::CreateResult, SalesforceError>) -> SendOutcome {
    match result {
        Ok(r) => SendOutcome::Applied {
            status: r.status,
            record_id: r.id.clone(),
            body: serde_json::json!({"id": r.id, "created": r.created}),
        },
        Err(e) if e.error_code() == Some("DUPLICATE_VALUE") => {
            let ids = duplicate_value_ids(&e.to_string());
            SendOutcome::RecordAppeared {
                    status: status_of(&e),
                    message: format!(
                        "Salesforce refused the create with DUPLICATE_VALUE: a record with this external ID exists now{}. Nothing was written; run the preflight again to review it",
                        if ids.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", ids.join(", "))
                        }
                    ),
                    record_ids: ids,
                    body: serde_json::json!({"error_code": "DUPLICATE_VALUE", "message": e.to_string()}),
                }
        }
        Err(e) => outcome_of_error(e),
    }
}

/// The record Ids a `DUPLICATE_VALUE` message names (`... duplicates value on record with id:
/// 001...`).
fn duplicate_value_ids(message: &str) -> Vec<String> {
    message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| (w.len() == 15 || w.len() == 18) && w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect()
}

fn header<'a>(req: &'a PlannedRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn parse_http_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, "%a, %d %b %Y %H:%M:%S GMT")
        .ok()
        .map(|n| n.and_utc())
}

fn status_of(e: &SalesforceError) -> u16 {
    match e {
        SalesforceError::OAuth { status, .. }
        | SalesforceError::Api { status, .. }
        | SalesforceError::Unexpected { status, .. } => *status,
        SalesforceError::MultipleMatches { .. } => 300,
        SalesforceError::NotFound { .. } => 404,
        SalesforceError::PreconditionFailed => 412,
        SalesforceError::LimitExceeded { .. } => 403,
        SalesforceError::RecordErrors { .. } => 200,
        _ => 0,
    }
}

fn outcome_of_error(e: SalesforceError) -> SendOutcome {
    use crate::salesforce::Delivery;
    match (&e, e.delivery()) {
        (SalesforceError::PreconditionFailed, _) => SendOutcome::PreconditionFailed {
            status: 412,
            body: Value::Null,
        },
        (_, Delivery::NoAnswer) => SendOutcome::NoAnswer { detail: e.to_string() },
        (_, Delivery::NotSent) => SendOutcome::Rejected {
            status: 0,
            code: "NOT_SENT".into(),
            message: e.to_string(),
            body: Value::Null,
        },
        (_, Delivery::Answered) => SendOutcome::Rejected {
            status: status_of(&e),
            code: e.error_code().unwrap_or(e.kind()).to_string(),
            message: e.to_string(),
            body: Value::Null,
        },
    }
}

fn record_state(r: SfRecord) -> RecordState {
    RecordState {
        owner_id: r.owner_id().map(str::to_string),
        last_modified_date: r.last_modified_date().map(format_time).unwrap_or_default(),
        last_modified_by_id: r.last_modified_by_id().map(str::to_string),
        id: r.id,
        fields: r.fields,
    }
}

fn owner_state(o: Owner) -> OwnerState {
    match o {
        Owner::User {
            id,
            name,
            username,
            active,
        } => OwnerState {
            id,
            kind: OwnerKind::User,
            name: Some(name),
            active: Some(active),
            api_name: username,
        },
        Owner::Queue {
            id,
            name,
            developer_name,
        } => OwnerState {
            id,
            kind: OwnerKind::Queue,
            name: Some(name),
            active: None,
            api_name: Some(developer_name),
        },
        Owner::Missing { id } | Owner::Other { id } => OwnerState {
            id,
            kind: OwnerKind::Unknown,
            name: None,
            active: None,
            api_name: None,
        },
    }
}
