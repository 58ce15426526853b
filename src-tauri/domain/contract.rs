//! The lane control contract: parsing and strict validation.
//!
//! The contract is a safety policy, so nothing in it is guessed: unknown keys, wrong types,
//! missing fields and unknown policy values are errors that name the YAML line, column and the
//! field's path. Values are checked inside `Deserialize`, so even a semantic error (a percent
//! above 100, an `http://` URL to a remote host) carries its location.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One error in a contract file: where, which field, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted path of the field, e.g. `ownership_policy.alert_if_fallback_owner_used_above_percent`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: ")?,
            (Some(l), None) => write!(f, "line {l}: ")?,
            _ => {}
        }
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaneContract {
    pub salesforce_lane: SalesforceLane,
    pub identity_policy: IdentityPolicy,
    pub ownership_policy: OwnershipPolicy,
    pub write_policy: WritePolicy,
    pub replay_policy: ReplayPolicy,
    pub observability: Observability,
    /// Ours, not the seed's: how to reach the org and which user the token must act as.
    /// A lane without it can be imported and inspected, but not preflighted or replayed.
    #[serde(default)]
    pub connection: Option<Connection>,
    /// Ours: console settings the seed's contract does not name.
    #[serde(default)]
    pub replay_console: ConsoleSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesforceLane {
    pub lane_id: LaneId,
    pub system_of_record: NonEmpty,
    pub business_owner: NonEmpty,
    pub technical_owner: NonEmpty,
    pub integration_user: NonEmpty,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityPolicy {
    pub object: ApiName,
    pub external_id_field: ApiName,
    pub search_before_write: bool,
    pub duplicate_rule_reviewed: bool,
    pub matching_rule_reviewed: bool,
    pub create_new_record_only_when: Vec<CreateCondition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateCondition {
    NoExistingExternalIdMatch,
    NoExistingApprovedBusinessKeyMatch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnershipPolicy {
    pub first_owner_source: NonEmpty,
    /// A queue's DeveloperName or a user's username.
    pub fallback_owner: NonEmpty,
    pub owner_override_allowed_only_when: Vec<OwnerOverrideCondition>,
    pub alert_if_fallback_owner_used_above_percent: Percent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerOverrideCondition {
    ExplicitReassignmentReason,
    DownstreamOwnerChangeIsApproved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WritePolicy {
    pub operation: WriteOperation,
    pub external_id_must_be_unique: bool,
    pub protected_fields: Vec<ApiName>,
    pub block_write_if: Vec<BlockCondition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOperation {
    Upsert,
    Update,
}

/// Findings a contract may declare blocking. The first three are the seed's; the others let a
/// contract escalate what is otherwise a warning. A finding a contract does not list is a warning
/// the operator acknowledges as a side effect, except where a floor keeps it blocking whatever the
/// contract says (see docs/CONTRACT.md): `external_id_missing` (no key to write by) and
/// `duplicate_conflict_detected` from several records sharing the external ID (HTTP 300).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockCondition {
    ExternalIdMissing,
    DuplicateConflictDetected,
    ProtectedFieldConflict,
    OwnerInactive,
    RecordModifiedAfterEvent,
    FallbackOwner,
    BusinessKeyIncomplete,
}

impl BlockCondition {
    /// The finding code it names.
    pub fn code(self) -> &'static str {
        match self {
            BlockCondition::ExternalIdMissing => "external_id_missing",
            BlockCondition::DuplicateConflictDetected => "duplicate_conflict_detected",
            BlockCondition::ProtectedFieldConflict => "protected_field_conflict",
            BlockCondition::OwnerInactive => "owner_inactive",
            BlockCondition::RecordModifiedAfterEvent => "record_modified_after_event",
            BlockCondition::FallbackOwner => "fallback_owner",
            BlockCondition::BusinessKeyIncomplete => "business_key_incomplete",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayPolicy {
    pub event_key: EventKeyPolicy,
    pub verify_before_replay: Vec<VerifyItem>,
    pub manual_replay_requires: Vec<ReplayRequirement>,
}

/// Where an event's key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKeyPolicy {
    /// Every event carries its source's `event_key`; one without is refused at import.
    SourceEventId,
    /// An event without `event_key` gets one derived from its composite business key (object,
    /// external ID, the lane's business-key fields, occurred_at), so a re-import deduplicates.
    SourceEventIdOrCompositeBusinessKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyItem {
    TargetRecordId,
    LastWriteResult,
    OwnerState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplayRequirement {
    OperatorName,
    ReplayReason,
    ExpectedSideEffectReview,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observability {
    pub alert_owner: NonEmpty,
    pub log_dimensions: Vec<LogDimension>,
    pub critical_alerts: Vec<CriticalAlert>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogDimension {
    IntegrationUser,
    ExternalId,
    RecordType,
    OperationType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriticalAlert {
    DuplicateConflictDetected,
    FallbackOwnerSpike,
    ReplayBlocked,
    ProtectedFieldOverwriteAttempt,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    pub instance_url: InstanceUrl,
    pub api_version: ApiVersion,
    pub auth: AuthFlow,
    pub client_id: NonEmpty,
    pub username: NonEmpty,
    #[serde(default = "default_audience")]
    pub audience: NonEmpty,
    /// A PEM file of CA certificates this lane's connections also trust, beyond the machine's
    /// store and the bundled roots (say, the root of a proxy that inspects TLS). An absolute path
    /// on the operator's machine, read at each connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_ca_file: Option<AbsolutePath>,
}

fn default_audience() -> NonEmpty {
    NonEmpty("https://login.salesforce.com".into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthFlow {
    JwtBearer,
    ClientCredentials,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Fields that identify a record when the external ID finds nothing (`search_before_write`).
    #[serde(default = "default_business_key")]
    pub business_key_fields: Vec<ApiName>,
    /// A preflight older than this cannot be replayed.
    #[serde(default = "default_max_age")]
    pub preflight_max_age_minutes: MaxAgeMinutes,
    /// Send each episode of this lane's critical alerts to the lane's webhook (Slack-compatible
    /// JSON, no payload data). The URL holds a secret, so it lives in the keychain
    /// (`alerts webhook-set LANE`), not here.
    #[serde(default)]
    pub alert_webhook: bool,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            business_key_fields: default_business_key(),
            preflight_max_age_minutes: default_max_age(),
            alert_webhook: false,
        }
    }
}

fn default_business_key() -> Vec<ApiName> {
    vec![ApiName("Name".into())]
}
fn default_max_age() -> MaxAgeMinutes {
    MaxAgeMinutes(15)
}

/// Declares a string newtype whose `Deserialize` runs a check, so a bad value is reported at its
/// own line and column.
macro_rules! checked_string {
    ($(#[$m:meta])* $name:ident, $check:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn parse(s: &str) -> Result<Self, String> {
                let check: fn(&str) -> Result<(), String> = $check;
                check(s).map(|()| $name(s.to_string()))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // The check runs inside the visitor, so the parser still knows where the value
                // is and the error carries its line and column.
                struct V;
                impl<'de> de::Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("text")
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$name, E> {
                        $name::parse(s).map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

checked_string!(
    /// Any non-blank text.
    NonEmpty,
    |s| if s.trim().is_empty() { Err("must not be empty".into()) } else { Ok(()) }
);

checked_string!(
    /// An absolute file path (a relative one would depend on where the console was started).
    AbsolutePath,
    |s| {
        if s.trim().is_empty() {
            Err("must not be empty".into())
        } else if s.chars().any(char::is_control) {
            Err("must not contain control characters".into())
        } else if !std::path::Path::new(s).is_absolute() {
            Err(format!("`{s}` must be an absolute path"))
        } else {
            Ok(())
        }
    }
);

checked_string!(
    /// A lane id: 1 to 64 characters of a-z, 0-9, `_` and `-`. It appears in keychain account
    /// names and file names, so nothing else is allowed.
    LaneId,
    |s| {
        if s.is_empty() || s.len() > 64 {
            return Err("must be 1 to 64 characters".into());
        }
        if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
            return Err(format!("`{s}` may contain only a-z, 0-9, `_` and `-`"));
        }
        Ok(())
    }
);

checked_string!(
    /// A Salesforce API name (object or field): a letter, then letters, digits and `_`.
    ApiName,
    |s| {
        let mut chars = s.chars();
        match chars.next() {
            Some(c) if c.is_ascii_alphabetic() => {}
            _ => return Err(format!("`{s}` is not a Salesforce API name (must start with a letter)")),
        }
        if s.len() > 80 || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`{s}` is not a Salesforce API name (letters, digits and `_`, at most 80)"));
        }
        Ok(())
    }
);

checked_string!(
    /// `NN.N`, as Salesforce names API versions (quote it in YAML: `"66.0"`).
    ApiVersion,
    |s| {
        let ok = match s.split_once('.') {
            Some((a, b)) => {
                !a.is_empty() && a.len() <= 3 && b.len() == 1
                    && a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit())
            }
            None => false,
        };
        if ok { Ok(()) } else { Err(format!("`{s}` is not an API version like \"66.0\"")) }
    }
);

checked_string!(
    /// The org's My Domain URL. `https://` anywhere; plain `http://` only for loopback (the
    /// simulated org), so a token is never sent in clear text over a network.
    InstanceUrl,
    check_instance_url
);

fn check_instance_url(s: &str) -> Result<(), String> {
    let (scheme, rest) = s
        .split_once("://")
        .ok_or_else(|| format!("`{s}` is not an absolute URL"))?;
    let authority = rest.split('/').next().unwrap_or("");
    if rest.len() > authority.len() + 1 || (rest.len() == authority.len() + 1 && !rest.ends_with('/')) {
        return Err(format!("`{s}` must be the org's base URL, without a path"));
    }
    if authority.is_empty() || authority.contains('@') || authority.contains('?') || authority.contains('#') {
        return Err(format!("`{s}` has no valid host"));
    }
    let host = host_of(authority);
    match scheme {
        "https" => Ok(()),
        "http" if is_loopback_host(host) => Ok(()),
        "http" => Err(format!(
            "`{s}`: plain http is accepted only for loopback addresses (the simulated org); use https"
        )),
        _ => Err(format!("`{s}`: the scheme must be https")),
    }
}

fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// True for `localhost`, 127.0.0.0/8 and ::1.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

impl InstanceUrl {
    /// The URL without a trailing slash, ready to have a path appended.
    pub fn base(&self) -> &str {
        self.0.trim_end_matches('/')
    }
}

/// A whole percentage, 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Percent(pub f64);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Percent;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number from 0 to 100")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Percent, E> {
                if (0.0..=100.0).contains(&v) {
                    Ok(Percent(v))
                } else {
                    Err(E::custom(format!("{v} is outside 0..100")))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Percent, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Percent, E> {
                self.visit_f64(v as f64)
            }
        }
        d.deserialize_f64(V)
    }
}

/// 1 to 1440 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MaxAgeMinutes(pub u32);

impl<'de> Deserialize<'de> for MaxAgeMinutes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = MaxAgeMinutes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number of minutes from 1 to 1440")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MaxAgeMinutes, E> {
                match u32::try_from(v) {
                    Ok(m) if (1..=1440).contains(&m) => Ok(MaxAgeMinutes(m)),
                    _ => Err(E::custom(format!("{v} is outside 1..1440 minutes"))),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MaxAgeMinutes, E> {
                match u64::try_from(v) {
                    Ok(u) => self.visit_u64(u),
                    Err(_) => Err(E::custom(format!("{v} is outside 1..1440 minutes"))),
                }
            }
        }
        d.deserialize_u64(V)
    }
}

impl LaneContract {
    /// Parses and validates a contract. Only the first error is reported: YAML parsing cannot go
    /// on reliably past a structural error.
    pub fn from_yaml(text: &str) -> Result<LaneContract, ContractError> {
        let de = serde_yaml_ng::Deserializer::from_str(text);
        let contract: LaneContract = serde_path_to_error::deserialize(de).map_err(|e| {
            let mut path = e.path().to_string();
            let inner = e.into_inner();
            // A missing field is reported at its parent mapping; name the field itself.
            let text = inner.to_string();
            if let Some(name) = text.split("missing field `").nth(1).and_then(|r| r.split('`').next()) {
                path = if path == "." {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                };
            }
            let loc = inner.location();
            ContractError {
                line: loc.as_ref().map(|l| l.line()),
                column: loc.as_ref().map(|l| l.column()),
                field: if path == "." { String::new() } else { path.clone() },
                message: clean_message(&text, e_path_prefix(&text)),
            }
        })?;
        contract.check_cross_fields()?;
        Ok(contract)
    }

    /// Rules that span several fields. These have no single YAML location, so they name the
    /// field only.
    fn check_cross_fields(&self) -> Result<(), ContractError> {
        let err = |field: &str, message: String| ContractError {
            line: None,
            column: None,
            field: field.into(),
            message,
        };
        let mut seen = std::collections::HashSet::new();
        for f in &self.write_policy.protected_fields {
            if !seen.insert(f.as_str()) {
                return Err(err("write_policy.protected_fields", format!("`{f}` is listed twice")));
            }
        }
        if !self.identity_policy.search_before_write
            && self
                .identity_policy
                .create_new_record_only_when
                .contains(&CreateCondition::NoExistingApprovedBusinessKeyMatch)
        {
            return Err(err(
                "identity_policy.create_new_record_only_when",
                "`no_existing_approved_business_key_match` needs `search_before_write: true`: without the search the console cannot know whether a business-key match exists".into(),
            ));
        }
        if self.replay_console.business_key_fields.is_empty() {
            return Err(err(
                "replay_console.business_key_fields",
                "must name at least one field".into(),
            ));
        }
        Ok(())
    }

    pub fn lane_id(&self) -> &str {
        self.salesforce_lane.lane_id.as_str()
    }

    /// Whether `block_write_if` lists the condition.
    pub fn blocks(&self, c: BlockCondition) -> bool {
        self.write_policy.block_write_if.contains(&c)
    }

    /// Whether `create_new_record_only_when` lists the condition.
    pub fn create_requires(&self, c: CreateCondition) -> bool {
        self.identity_policy.create_new_record_only_when.contains(&c)
    }

    /// Whether `verify_before_replay` lists the check.
    pub fn verifies(&self, v: VerifyItem) -> bool {
        self.replay_policy.verify_before_replay.contains(&v)
    }

    /// Whether `manual_replay_requires` lists the item.
    pub fn requires(&self, r: ReplayRequirement) -> bool {
        self.replay_policy.manual_replay_requires.contains(&r)
    }

    /// Whether `owner_override_allowed_only_when` lists the condition.
    pub fn override_requires(&self, c: OwnerOverrideCondition) -> bool {
        self.ownership_policy.owner_override_allowed_only_when.contains(&c)
    }

    /// Whether `observability.log_dimensions` lists the dimension.
    pub fn logs(&self, d: LogDimension) -> bool {
        self.observability.log_dimensions.contains(&d)
    }

    /// The event operations this lane accepts: an `update` lane never creates, so it takes only
    /// `update` events; an `upsert` lane takes all three.
    pub fn allows_operation(&self, op: &str) -> bool {
        match self.write_policy.operation {
            WriteOperation::Upsert => matches!(op, "upsert" | "update" | "insert"),
            WriteOperation::Update => op == "update",
        }
    }

    /// The contract as canonical JSON (struct order, no whitespace): what is stored, hashed and
    /// compared to tell a changed contract from an unchanged one.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The path serde_yaml_ng itself puts in front of its message (`a.b: ...`), if any.
fn e_path_prefix(msg: &str) -> &str {
    match msg.split_once(": ") {
        Some((p, _)) if !p.contains(' ') => p,
        _ => "",
    }
}

/// serde_yaml_ng puts the path in front and the location behind its message; we report both
/// separately, so strip them.
fn clean_message(msg: &str, path: &str) -> String {
    let mut m = msg;
    if let Some(rest) = m.strip_prefix(path).and_then(|r| r.strip_prefix(": ")) {
        m = rest;
    }
    let m = match m.rfind(" at line ") {
        Some(i) => &m[..i],
        None => m,
    };
    m.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../tests/data/lane_account_sync.yaml");

    fn err_of(yaml: &str) -> ContractError {
        LaneContract::from_yaml(yaml).expect_err("the contract must be rejected")
    }

    #[test]
    fn reference_contract_parses() {
        let c = LaneContract::from_yaml(FIXTURE).expect("the reference contract must import unchanged");
        assert_eq!(c.lane_id(), "account_sync_north_america");
        assert_eq!(
            c.ownership_policy.alert_if_fallback_owner_used_above_percent,
            Percent(5.0)
        );
        assert_eq!(c.write_policy.protected_fields.len(), 3, "all protected fields kept");
        let conn = c.connection.expect("the fixture has a connection block");
        assert_eq!(conn.auth, AuthFlow::JwtBearer);
        assert_eq!(conn.api_version.as_str(), "66.0");
    }

    #[test]
    fn unknown_key_names_line_column_and_path() {
        let y = FIXTURE.replace(
            "  search_before_write: true\n",
            "  search_before_write: true\n  serch: 1\n",
        );
        let e = err_of(&y);
        assert_eq!(e.field, "identity_policy.serch", "the path names the unknown key");
        assert_eq!(e.line, Some(14), "the line of the unknown key");
        assert_eq!(e.column, Some(3), "the column of the unknown key");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn percent_out_of_range_is_located() {
        let y = FIXTURE.replace("used_above_percent: 5", "used_above_percent: 150");
        let e = err_of(&y);
        assert_eq!(e.field, "ownership_policy.alert_if_fallback_owner_used_above_percent");
        assert!(
            e.line.is_some() && e.column.is_some(),
            "a semantic error still has a location: {e}"
        );
        assert!(e.message.contains("outside 0..100"), "{e}");
    }

    #[test]
    fn http_only_for_loopback() {
        assert!(InstanceUrl::parse("http://127.0.0.1:8443").is_ok());
        assert!(InstanceUrl::parse("http://localhost:9").is_ok());
        assert!(InstanceUrl::parse("http://[::1]:9/").is_ok());
        assert!(InstanceUrl::parse("https://acme.my.salesforce.com").is_ok());
        assert!(
            InstanceUrl::parse("http://acme.my.salesforce.com").is_err(),
            "no clear text to a remote host"
        );
        assert!(
            InstanceUrl::parse("http://127.0.0.1.evil.com").is_err(),
            "a name that starts like loopback is not loopback"
        );
        assert!(
            InstanceUrl::parse("https://acme.my.salesforce.com/services").is_err(),
            "base URL only"
        );
        assert!(InstanceUrl::parse("ftp://x").is_err());
    }

    #[test]
    fn canonical_json_is_stable() {
        let a = LaneContract::from_yaml(FIXTURE).unwrap();
        let b = LaneContract::from_yaml(&format!("# a comment\n{FIXTURE}")).unwrap();
        assert_eq!(
            a.canonical_json(),
            b.canonical_json(),
            "comments do not change the contract"
        );
    }
}
