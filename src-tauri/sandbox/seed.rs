//! What the simulated org starts with: settings, OAuth clients, users, queues, object schemas,
//! records and rules. Read from a JSON file (`--seed FILE`) or built in Rust by tests; both end
//! up as the same [`Seed`].

use super::ids::{self, IdGen};
use super::SandboxError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The API version the sandbox answers as its newest (Spring '26).
pub const LATEST_API_VERSION: &str = "66.0";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub org: OrgSettings,
    #[serde(default)]
    pub clients: Vec<OAuthClient>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
    #[serde(default)]
    pub queues: Vec<SeedQueue>,
    /// Schemas of writable objects, merged over the built-in `Account`.
    #[serde(default)]
    pub objects: BTreeMap<String, ObjectSpec>,
    /// Records per object name; system fields may be given (to set up a situation) or left out.
    #[serde(default)]
    pub records: BTreeMap<String, Vec<Map<String, Value>>>,
    #[serde(default)]
    pub assignment_rules: Vec<AssignmentRule>,
    #[serde(default)]
    pub duplicate_rules: Vec<DuplicateRule>,
    #[serde(default)]
    pub validation_rules: Vec<ValidationRule>,
    /// Serial for Ids the builder hands out, so a test knows them before the org starts.
    #[serde(skip)]
    next_serial: u64,
}

impl Default for Seed {
    fn default() -> Self {
        Seed {
            org: OrgSettings::default(),
            clients: Vec::new(),
            users: Vec::new(),
            queues: Vec::new(),
            objects: BTreeMap::new(),
            records: BTreeMap::new(),
            assignment_rules: Vec::new(),
            duplicate_rules: Vec::new(),
            validation_rules: Vec::new(),
            next_serial: 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrgSettings {
    /// The organization Id (00D...); generated when absent.
    pub id: Option<String>,
    pub name: String,
    /// How long an access token lives. Salesforce's default session timeout is 2 hours.
    pub session_seconds: u64,
    /// Daily API request allowance and what is already used (`Sforce-Limit-Info: api-usage=N/M`).
    pub api_limit: u64,
    pub api_usage: u64,
    /// Largest query batch; Salesforce's is 2,000. Tests lower it to page through small data.
    pub query_batch_size: usize,
    /// Added to every data-API request (benchmarks use 50 ms to look like a real network).
    pub latency_ms: u64,
    /// Request bodies larger than this are refused with 413.
    pub max_body_bytes: usize,
    /// JWT `aud` values accepted besides login/test.salesforce.com and the sandbox's own URL.
    pub extra_audiences: Vec<String>,
}

impl Default for OrgSettings {
    fn default() -> Self {
        OrgSettings {
            id: None,
            name: "Replay Console Sandbox".into(),
            session_seconds: 7200,
            api_limit: 100_000,
            api_usage: 0,
            query_batch_size: 2000,
            latency_ms: 0,
            max_body_bytes: 1 << 20,
            extra_audiences: Vec::new(),
        }
    }
}

/// A connected app / external client app.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthClient {
    pub client_id: String,
    /// RSA public key (SPKI `BEGIN PUBLIC KEY` or PKCS#1 `BEGIN RSA PUBLIC KEY`) for JWT bearer.
    #[serde(default)]
    pub public_key_pem: Option<String>,
    /// The same, read from a file (relative to the seed file).
    #[serde(default)]
    pub public_key_file: Option<PathBuf>,
    /// Consumer secret, for client credentials.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Username of the client-credentials "Run As" user; without it that flow is refused.
    #[serde(default)]
    pub run_as: Option<String>,
    /// Usernames pre-authorized for JWT bearer; `None` admits every user.
    #[serde(default)]
    pub authorized_users: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    #[serde(default)]
    pub id: Option<String>,
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub integration_user: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedQueue {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub developer_name: String,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    LongText,
    Number,
    Boolean,
    Reference,
    Datetime,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectSpec {
    /// 3-character Id prefix (Account: 001).
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// Extra fields and their types (`text` unless said otherwise).
    #[serde(default)]
    pub fields: BTreeMap<String, FieldType>,
    #[serde(default)]
    pub external_id_fields: Vec<String>,
    /// Whether external-ID fields are marked Unique (then no two records may share a value).
    #[serde(default)]
    pub unique_external_ids: bool,
    /// Whether external-ID matching is case-sensitive (Salesforce's default: not).
    #[serde(default)]
    pub case_sensitive_external_ids: bool,
    #[serde(default)]
    pub required: Vec<String>,
}

/// Owner set on writes to `object` when `Sforce-Auto-Assign` is absent or TRUE.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRule {
    pub object: String,
    pub owner_id: String,
    /// Whether the rule also runs on updates (Salesforce runs it on create and update).
    #[serde(default = "yes")]
    pub on_update: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateAction {
    /// Always refused.
    #[default]
    Block,
    /// Refused unless the request says `Sforce-Duplicate-Rule-Header: allowSave=true`.
    Allow,
}

/// A duplicate rule with an exact, case-insensitive matching rule over `fields`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateRule {
    pub object: String,
    pub name: String,
    #[serde(default = "default_match_rule")]
    pub matching_rule: String,
    pub fields: Vec<String>,
    #[serde(default)]
    pub action: DuplicateAction,
    #[serde(default = "yes")]
    pub on_create: bool,
    #[serde(default)]
    pub on_update: bool,
    #[serde(default = "default_dup_message")]
    pub error_message: String,
}

/// A validation rule: `field` may not take any of `reject_values`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationRule {
    pub object: String,
    pub field: String,
    pub reject_values: Vec<Value>,
    pub message: String,
}

fn yes() -> bool {
    true
}
fn default_match_rule() -> String {
    "Standard_Account_Match_Rule_v1_0".into()
}
fn default_dup_message() -> String {
    "You're creating a duplicate record. We recommend you use an existing record instead.".into()
}

impl Seed {
    pub fn new() -> Seed {
        Seed::default()
    }

    /// Reads a seed file; errors name the JSON path of the offending value.
    pub fn from_file(path: &Path) -> Result<Seed, SandboxError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SandboxError::Seed(format!("cannot read {}: {e}", path.display())))?;
        let mut seed = Seed::from_json(&text).map_err(|e| SandboxError::Seed(format!("{}: {e}", path.display())))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for c in &mut seed.clients {
            if let Some(f) = c.public_key_file.take() {
                let p = if f.is_absolute() { f } else { dir.join(f) };
                let pem = std::fs::read_to_string(&p).map_err(|e| {
                    SandboxError::Seed(format!("client {}: cannot read {}: {e}", c.client_id, p.display()))
                })?;
                c.public_key_pem = Some(pem);
            }
        }
        Ok(seed)
    }

    pub fn from_json(text: &str) -> Result<Seed, String> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            format!("at `{path}`: {}", e.into_inner())
        })
    }

    /// A fresh Id with this key prefix, known before the org starts.
    pub fn new_id(&mut self, prefix: &str) -> String {
        let id = ids::make(prefix, self.next_serial);
        self.next_serial += 1;
        id
    }

    /// Adds a user; returns its Id.
    pub fn user(&mut self, username: &str, name: &str, active: bool) -> String {
        let id = self.new_id("005");
        self.users.push(SeedUser {
            id: Some(id.clone()),
            username: username.into(),
            name: name.into(),
            email: None,
            active,
            integration_user: false,
        });
        id
    }

    /// Adds a queue (a Group of Type Queue); returns its Id.
    pub fn queue(&mut self, name: &str, developer_name: &str) -> String {
        let id = self.new_id("00G");
        self.queues.push(SeedQueue {
            id: Some(id.clone()),
            name: name.into(),
            developer_name: developer_name.into(),
            email: None,
        });
        id
    }

    /// Registers a client for JWT bearer with this RSA public key (PEM).
    pub fn jwt_client(&mut self, client_id: &str, public_key_pem: &str) -> &mut OAuthClient {
        self.client_mut(client_id).public_key_pem = Some(public_key_pem.into());
        self.client_mut(client_id)
    }

    /// Registers a client for client credentials that runs as `run_as` (a username).
    pub fn client_credentials(&mut self, client_id: &str, secret: &str, run_as: &str) -> &mut OAuthClient {
        let c = self.client_mut(client_id);
        c.client_secret = Some(secret.into());
        c.run_as = Some(run_as.into());
        c
    }

    fn client_mut(&mut self, client_id: &str) -> &mut OAuthClient {
        let pos = match self.clients.iter().position(|c| c.client_id == client_id) {
            Some(p) => p,
            None => {
                self.clients.push(OAuthClient {
                    client_id: client_id.into(),
                    ..OAuthClient::default()
                });
                self.clients.len() - 1
            }
        };
        &mut self.clients[pos]
    }

    /// Adds a record (a JSON object of fields); returns its Id (given or generated).
    pub fn record(&mut self, object: &str, fields: Value) -> String {
        let mut map = match fields {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let id = match map.get("Id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => {
                let prefix = self.key_prefix(object);
                let id = self.new_id(&prefix);
                map.insert("Id".into(), Value::String(id.clone()));
                id
            }
        };
        self.records.entry(object.to_string()).or_default().push(map);
        id
    }

    fn key_prefix(&self, object: &str) -> String {
        if let Some(p) = self.objects.get(object).and_then(|o| o.key_prefix.clone()) {
            return p;
        }
        match object {
            "Account" => "001".into(),
            "Contact" => "003".into(),
            _ => "a00".into(),
        }
    }

    /// Sets the assignment rule of `object`: its owner on writes with auto-assign on.
    pub fn assignment_rule(&mut self, object: &str, owner_id: &str) {
        self.assignment_rules.retain(|r| r.object != object);
        self.assignment_rules.push(AssignmentRule {
            object: object.into(),
            owner_id: owner_id.into(),
            on_update: true,
        });
    }

    /// A blocking duplicate rule on create, exact match on `fields`.
    pub fn duplicate_rule(&mut self, object: &str, name: &str, fields: &[&str]) -> &mut DuplicateRule {
        self.duplicate_rules.push(DuplicateRule {
            object: object.into(),
            name: name.into(),
            matching_rule: default_match_rule(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
            action: DuplicateAction::Block,
            on_create: true,
            on_update: false,
            error_message: default_dup_message(),
        });
        let last = self.duplicate_rules.len() - 1;
        &mut self.duplicate_rules[last]
    }

    /// Serial to start generated Ids at, past every one the builder handed out.
    pub(crate) fn id_gen(&self) -> IdGen {
        IdGen::starting_at(self.next_serial + 1_000_000)
    }
}
