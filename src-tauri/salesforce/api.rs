//! The calls: identity, records by external ID and by Id, conditional update, upsert, SOQL
//! with paging, owner look-up, business-key search.

use super::encode::{self, api_name, external_id_segment, record_id, soql_literal};
use super::error::{parse_record_errors, SalesforceError};
use super::transport::{Answer, Call};
use super::SalesforceClient;
use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A query result larger than this is refused rather than held in memory.
const MAX_QUERY_RECORDS: usize = 50_000;
/// Pages followed for one query: 50,000 records at the smallest batch (200) are 250 pages.
const MAX_QUERY_PAGES: usize = 300;
/// Ids per owner look-up query (keeps the URL far below 16 KB).
const IDS_PER_QUERY: usize = 200;
/// Budget of literal characters per `IN (...)` query, before URL encoding.
const IN_LIST_BUDGET: usize = 4_000;

/// A record as Salesforce returned it (without `attributes`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SfRecord {
    pub object: String,
    pub id: String,
    pub fields: Map<String, Value>,
}

impl SfRecord {
    /// A record from its JSON (a GET's body or a query row): `attributes` removed, the Id found.
    pub fn from_json(v: Value, object: &str) -> Result<SfRecord, SalesforceError> {
        let Value::Object(mut fields) = v else {
            return Err(SalesforceError::Unexpected {
                status: 200,
                snippet: "a record that is not a JSON object".into(),
            });
        };
        let attributes = fields.remove("attributes");
        let object = attributes
            .as_ref()
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str)
            .unwrap_or(object)
            .to_string();
        // The Id is in the fields, or at least at the end of `attributes.url`.
        let id = fields
            .get("Id")
            .and_then(Value::as_str)
            .or_else(|| {
                attributes
                    .as_ref()
                    .and_then(|a| a.get("url"))
                    .and_then(Value::as_str)
                    .and_then(|u| u.rsplit('/').next())
            })
            .filter(|i| encode::record_id(i).is_ok())
            .map(str::to_string)
            .ok_or_else(|| SalesforceError::Unexpected {
                status: 200,
                snippet: "a record without Id".into(),
            })?;
        Ok(SfRecord { object, id, fields })
    }

    /// A field by name (Salesforce's names are case-insensitive).
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.get(field).or_else(|| {
            self.fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(field))
                .map(|(_, v)| v)
        })
    }

    fn text(&self, field: &str) -> Option<&str> {
        self.get(field).and_then(Value::as_str)
    }

    pub fn owner_id(&self) -> Option<&str> {
        self.text("OwnerId")
    }

    pub fn last_modified_by_id(&self) -> Option<&str> {
        self.text("LastModifiedById")
    }

    pub fn last_modified_date(&self) -> Option<DateTime<Utc>> {
        self.text("LastModifiedDate").and_then(encode::parse_sf_datetime)
    }

    pub fn system_modstamp(&self) -> Option<DateTime<Utc>> {
        self.text("SystemModstamp").and_then(encode::parse_sf_datetime)
    }
}

/// What a read by external ID found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExternalIdLookup {
    Found {
        record: SfRecord,
    },
    /// No record has the value: an upsert would create one.
    NotFound,
    /// HTTP 300: several records share the value.
    Multiple {
        ids: Vec<String>,
    },
}

/// `Sforce-Auto-Assign`. The console sends FALSE by default so assignment rules do not move
/// the owner behind the contract's back; Salesforce's own default when absent is TRUE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AutoAssign {
    #[default]
    False,
    True,
    /// A specific assignment rule (01Q...).
    Rule(String),
}

impl AutoAssign {
    fn header(&self) -> Result<HeaderValue, SalesforceError> {
        match self {
            AutoAssign::False => Ok(HeaderValue::from_static("FALSE")),
            AutoAssign::True => Ok(HeaderValue::from_static("TRUE")),
            AutoAssign::Rule(id) => {
                record_id(id)?;
                HeaderValue::from_str(id).map_err(|_| SalesforceError::InvalidInput("bad assignment rule Id".into()))
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    /// Refuse (412) if the record changed after this instant; second precision, sent as GMT.
    pub if_unmodified_since: Option<DateTime<Utc>>,
    pub auto_assign: AutoAssign,
    /// `Sforce-Duplicate-Rule-Header`, e.g. `allowSave=true; includeRecordDetails=true`.
    pub duplicate_rule_header: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UpsertOptions {
    /// `?updateOnly=true`: never create (v61.0+).
    pub update_only: bool,
    pub auto_assign: AutoAssign,
    pub duplicate_rule_header: Option<String>,
}

/// What a plain create answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateResult {
    pub status: u16,
    pub id: Option<String>,
    /// Salesforce's create answer has no `created`; when an answer carries `created: false`, an
    /// existing record was changed, which a create must never do.
    pub created: Option<bool>,
}

/// One field of an object's describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldDescribe {
    pub unique: bool,
    pub external_id: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpsertResult {
    /// `None` only for a 204 (the pre-v46 "updated" answer).
    pub id: Option<String>,
    pub created: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResult {
    pub total_size: u64,
    /// Every record of every batch, without `attributes`.
    pub records: Vec<Map<String, Value>>,
}

/// Who owns a record: the key prefix says where to look (005 User, 00G Group/queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owner {
    User {
        id: String,
        name: String,
        username: Option<String>,
        active: bool,
    },
    Queue {
        id: String,
        name: String,
        developer_name: String,
    },
    /// A User or queue Id that no query returned (deleted, not visible, or not a queue).
    Missing { id: String },
    /// Neither a User nor a Group Id.
    Other { id: String },
}

impl Owner {
    /// The owner's record Id, whatever it turned out to be.
    pub fn id(&self) -> &str {
        match self {
            Owner::User { id, .. } | Owner::Queue { id, .. } | Owner::Missing { id } | Owner::Other { id } => id,
        }
    }
}

/// Whom the token acts as, from `/services/oauth2/userinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub user_id: String,
    pub organization_id: String,
    pub username: String,
    pub active: Option<bool>,
    pub is_integration_user: Option<bool>,
}

fn header(name: &'static str, value: HeaderValue) -> (HeaderName, HeaderValue) {
    (HeaderName::from_static(name), value)
}

/// The request body, refusing keys that are not API names and keys the URL already carries.
pub(super) fn write_body(fields: &Map<String, Value>, forbidden: &[&str]) -> Result<Vec<u8>, SalesforceError> {
    for k in fields.keys() {
        if k == "attributes" {
            continue;
        }
        api_name("field", k)?;
        if k.eq_ignore_ascii_case("Id") || forbidden.iter().any(|f| f.eq_ignore_ascii_case(k)) {
            return Err(SalesforceError::InvalidInput(format!(
                "`{k}` is carried by the URL and must not be in the body"
            )));
        }
    }
    serde_json::to_vec(fields).map_err(|e| SalesforceError::InvalidInput(format!("the record cannot be encoded: {e}")))
}

pub(super) fn write_headers(
    auto_assign: &AutoAssign,
    duplicate_rule_header: Option<&str>,
) -> Result<Vec<(HeaderName, HeaderValue)>, SalesforceError> {
    let mut h = vec![header("sforce-auto-assign", auto_assign.header()?)];
    if let Some(d) = duplicate_rule_header {
        let v = HeaderValue::from_str(d).map_err(|_| {
            SalesforceError::InvalidInput("the duplicate rule header has characters a header cannot carry".into())
        })?;
        h.push(header("sforce-duplicate-rule-header", v));
    }
    Ok(h)
}

impl SalesforceClient {
    fn get_call(&self, path: String) -> Call {
        Call {
            method: Method::GET,
            path,
            headers: Vec::new(),
            body: None,
        }
    }

    pub(super) fn success(&self, a: Answer) -> Result<Answer, SalesforceError> {
        if a.status.is_success() {
            Ok(a)
        } else {
            Err(self.error_for(&a))
        }
    }

    /// Whom the token acts as (`GET /services/oauth2/userinfo` on the instance).
    pub async fn identity(&self) -> Result<Identity, SalesforceError> {
        let a = self.success(self.send(&self.get_call("/services/oauth2/userinfo".into())).await?)?;
        let j = a.json().ok_or_else(|| SalesforceError::Unexpected {
            status: a.status.as_u16(),
            snippet: "userinfo is not JSON".into(),
        })?;
        let s = |k: &str| j.get(k).and_then(Value::as_str).map(str::to_string);
        let identity = Identity {
            user_id: s("user_id").ok_or_else(|| SalesforceError::Unexpected {
                status: 200,
                snippet: "userinfo without user_id".into(),
            })?,
            organization_id: s("organization_id").unwrap_or_default(),
            username: s("preferred_username").ok_or_else(|| SalesforceError::Unexpected {
                status: 200,
                snippet: "userinfo without preferred_username".into(),
            })?,
            active: j.get("active").and_then(Value::as_bool),
            is_integration_user: j.get("is_salesforce_integration_user").and_then(Value::as_bool),
        };
        let token = self.token().await?;
        if encode::id18(&identity.user_id) != encode::id18(&token.user_id) {
            return Err(SalesforceError::IdentityMismatch {
                expected: token.user_id.clone(),
                actual: identity.user_id,
            });
        }
        Ok(identity)
    }

    /// The identity, required to be the connection's `username` (case-insensitive, as
    /// Salesforce usernames are).
    pub async fn verify_identity(&self) -> Result<Identity, SalesforceError> {
        let id = self.identity().await?;
        let expected = &self.settings().username;
        if !id.username.eq_ignore_ascii_case(expected) {
            return Err(SalesforceError::IdentityMismatch {
                expected: expected.clone(),
                actual: id.username,
            });
        }
        Ok(id)
    }

    /// `GET /sobjects/{object}/{id}[?fields=...]`; `None` when there is no such record.
    pub async fn get_by_id(
        &self,
        object: &str,
        id: &str,
        fields: &[&str],
    ) -> Result<Option<SfRecord>, SalesforceError> {
        api_name("object", object)?;
        record_id(id)?;
        for f in fields {
            api_name("field", f)?;
        }
        let mut path = self.data_path(&format!("sobjects/{object}/{id}"));
        if !fields.is_empty() {
            path.push_str("?fields=");
            path.push_str(&fields.join(","));
        }
        let a = self.send(&self.get_call(path)).await?;
        self.record_answer(&a, object)
    }

    /// `GET /sobjects/{object}/{field}/{value}`: found, not found, or several (300). Every
    /// field comes back (`fields` is not documented on this resource, so none is sent).
    pub async fn get_by_external_id(
        &self,
        object: &str,
        field: &str,
        value: &str,
    ) -> Result<ExternalIdLookup, SalesforceError> {
        api_name("object", object)?;
        api_name("field", field)?;
        let seg = external_id_segment(value)?;
        let a = self
            .send(&self.get_call(self.data_path(&format!("sobjects/{object}/{field}/{seg}"))))
            .await?;
        self.external_id_answer(&a, object)
    }

    /// `PATCH /sobjects/{object}/{id}`, conditional on `If-Unmodified-Since` when given.
    pub async fn update_by_id(
        &self,
        object: &str,
        id: &str,
        fields: &Map<String, Value>,
        opts: &UpdateOptions,
    ) -> Result<(), SalesforceError> {
        api_name("object", object)?;
        record_id(id)?;
        let body = write_body(fields, &[])?;
        let mut headers = write_headers(&opts.auto_assign, opts.duplicate_rule_header.as_deref())?;
        if let Some(t) = opts.if_unmodified_since {
            let v = HeaderValue::from_str(&encode::http_date(t))
                .map_err(|_| SalesforceError::InvalidInput("bad date".into()))?;
            headers.push(header("if-unmodified-since", v));
        }
        let call = Call {
            method: Method::PATCH,
            path: self.data_path(&format!("sobjects/{object}/{id}")),
            headers,
            body: Some(body),
        };
        self.success(self.send(&call).await?)?;
        Ok(())
    }

    /// `PATCH /sobjects/{object}/{field}/{value}[?updateOnly=true]`: 201 created, 200 updated,
    /// 300 several matches (an error: nothing was written).
    pub async fn upsert_by_external_id(
        &self,
        object: &str,
        field: &str,
        value: &str,
        fields: &Map<String, Value>,
        opts: &UpsertOptions,
    ) -> Result<UpsertResult, SalesforceError> {
        api_name("object", object)?;
        api_name("field", field)?;
        let seg = external_id_segment(value)?;
        let body = write_body(fields, &[field])?;
        let headers = write_headers(&opts.auto_assign, opts.duplicate_rule_header.as_deref())?;
        let mut path = self.data_path(&format!("sobjects/{object}/{field}/{seg}"));
        if opts.update_only {
            path.push_str("?updateOnly=true");
        }
        let call = Call {
            method: Method::PATCH,
            path,
            headers,
            body: Some(body),
        };
        let a = self.success(self.send(&call).await?)?;
        if a.status.as_u16() == 204 {
            return Ok(UpsertResult {
                id: None,
                created: false,
            });
        }
        let j = write_answer(&a, "the upsert answer", "the write may have been applied")?;
        Ok(UpsertResult {
            id: j.get("id").and_then(Value::as_str).map(str::to_string),
            created: j
                .get("created")
                .and_then(Value::as_bool)
                .unwrap_or(a.status.as_u16() == 201),
        })
    }

    /// `POST /sobjects/{object}/`: a plain create, never an update. The external-ID field (if
    /// any) goes in the body. On a field marked Unique, a value already used is refused by
    /// Salesforce with 400 `DUPLICATE_VALUE` (SALESFORCE.md §8a), and nothing is written.
    pub async fn create(
        &self,
        object: &str,
        fields: &Map<String, Value>,
        opts: &UpsertOptions,
    ) -> Result<CreateResult, SalesforceError> {
        api_name("object", object)?;
        let body = write_body(fields, &[])?;
        let headers = write_headers(&opts.auto_assign, opts.duplicate_rule_header.as_deref())?;
        let call = Call {
            method: Method::POST,
            path: self.data_path(&format!("sobjects/{object}/")),
            headers,
            body: Some(body),
        };
        let a = self.success(self.send(&call).await?)?;
        let j = write_answer(&a, "the create answer", "the record may have been created")?;
        Ok(CreateResult {
            status: a.status.as_u16(),
            id: j.get("id").and_then(Value::as_str).map(str::to_string),
            created: j.get("created").and_then(Value::as_bool),
        })
    }

    /// `GET /sobjects/{object}/describe`: whether `field` is marked `unique` and `externalId`.
    /// `None` when the object has no such field.
    pub async fn describe_field(&self, object: &str, field: &str) -> Result<Option<FieldDescribe>, SalesforceError> {
        api_name("object", object)?;
        api_name("field", field)?;
        let a = self
            .send(&self.get_call(self.data_path(&format!("sobjects/{object}/describe"))))
            .await?;
        super::composite::describe_answer(self, &a, field)
    }

    /// Runs a SOQL query and follows `nextRecordsUrl` until `done`.
    pub async fn query(&self, soql: &str) -> Result<QueryResult, SalesforceError> {
        let q = utf8_percent_encode(soql, NON_ALPHANUMERIC).to_string();
        let mut path = self.data_path(&format!("query?q={q}"));
        let mut records = Vec::new();
        let mut total_size = 0;
        let mut pages = 0usize;
        loop {
            pages += 1;
            // Batches are at least 200 records, so an honest query ends well within this; a
            // server that keeps saying `done: false` (with empty pages) does not keep us.
            if pages > MAX_QUERY_PAGES {
                return Err(SalesforceError::Unexpected {
                    status: 200,
                    snippet: format!(
                        "the query was still not done after {MAX_QUERY_PAGES} pages; stopped following nextRecordsUrl"
                    ),
                });
            }
            let a = self.success(self.send(&self.get_call(path.clone())).await?)?;
            let j = a.json().ok_or_else(|| SalesforceError::Unexpected {
                status: a.status.as_u16(),
                snippet: "query answer is not JSON".into(),
            })?;
            total_size = j.get("totalSize").and_then(Value::as_u64).unwrap_or(total_size);
            for r in j.get("records").and_then(Value::as_array).into_iter().flatten() {
                if let Value::Object(mut m) = r.clone() {
                    m.remove("attributes");
                    records.push(m);
                }
            }
            if records.len() > MAX_QUERY_RECORDS {
                return Err(SalesforceError::InvalidInput(format!(
                    "the query returns more than {MAX_QUERY_RECORDS} records; narrow it"
                )));
            }
            if j.get("done").and_then(Value::as_bool).unwrap_or(true) {
                break;
            }
            let next = j.get("nextRecordsUrl").and_then(Value::as_str).unwrap_or_default();
            // The next URL must stay on this instance's data API: the token goes with it.
            if !next.starts_with("/services/data/v") || next.contains("//") || next.contains("..") {
                return Err(SalesforceError::Unexpected {
                    status: a.status.as_u16(),
                    snippet: format!("nextRecordsUrl `{next}` is not a data API path"),
                });
            }
            path = next.to_string();
        }
        Ok(QueryResult { total_size, records })
    }

    /// The rows of `soql(list)` for each chunk of at most `IDS_PER_QUERY` of `ids`, where `list`
    /// is the chunk's ids quoted for SOQL.
    async fn query_ids(
        &self,
        ids: &[String],
        soql: impl Fn(&str) -> String,
    ) -> Result<Vec<Map<String, Value>>, SalesforceError> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let list = chunk.iter().map(|i| soql_literal(i)).collect::<Vec<_>>().join(", ");
            rows.extend(self.query(&soql(&list)).await?.records);
        }
        Ok(rows)
    }

    /// Owners by Id: Users (005) and queues (00G) in at most a few queries.
    pub async fn owners(&self, ids: &[&str]) -> Result<Vec<Owner>, SalesforceError> {
        let mut users = Vec::new();
        let mut queues = Vec::new();
        for id in ids {
            let id18 = encode::id18(id)
                .ok_or_else(|| SalesforceError::InvalidInput(format!("`{id}` is not a Salesforce record Id")))?;
            if id18.starts_with("005") {
                users.push(id18);
            } else if id18.starts_with("00G") {
                queues.push(id18);
            }
        }
        let mut found: HashMap<String, Owner> = HashMap::new();
        let user_rows = self
            .query_ids(&users, |list| {
                format!("SELECT Id, Name, Username, IsActive FROM User WHERE Id IN ({list})")
            })
            .await?;
        for rec in user_rows {
            let s = |k: &str| rec.get(k).and_then(Value::as_str).map(str::to_string);
            if let Some(id) = s("Id").and_then(|i| encode::id18(&i)) {
                let user = Owner::User {
                    id: id.clone(),
                    name: s("Name").unwrap_or_default(),
                    username: s("Username"),
                    active: rec.get("IsActive").and_then(Value::as_bool).unwrap_or(false),
                };
                found.insert(id, user);
            }
        }
        let queue_rows = self
            .query_ids(&queues, |list| {
                format!("SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue' AND Id IN ({list})")
            })
            .await?;
        for rec in queue_rows {
            if let Some(queue @ Owner::Queue { .. }) = queue_from(&rec) {
                found.insert(queue.id().to_string(), queue);
            }
        }
        Ok(ids
            .iter()
            .map(|id| {
                let id18 = encode::id18(id).unwrap_or_else(|| id.to_string());
                match found.get(&id18) {
                    Some(o) => o.clone(),
                    None if id18.starts_with("005") || id18.starts_with("00G") => Owner::Missing { id: id18 },
                    None => Owner::Other { id: id18 },
                }
            })
            .collect())
    }

    /// One owner by Id.
    pub async fn owner(&self, id: &str) -> Result<Owner, SalesforceError> {
        let mut v = self.owners(&[id]).await?;
        v.pop()
            .ok_or_else(|| SalesforceError::InvalidInput("no owner Id".into()))
    }

    /// A queue by its DeveloperName (the contract names its fallback owner that way).
    pub async fn queue_by_developer_name(&self, developer_name: &str) -> Result<Option<Owner>, SalesforceError> {
        let r = self
            .query(&format!(
                "SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue' AND DeveloperName = {}",
                soql_literal(developer_name)
            ))
            .await?;
        Ok(r.records.first().and_then(queue_from))
    }

    /// Records whose fields equal the given values (the lane's business key), e.g. the
    /// accounts a create would duplicate. `Id` is always selected.
    pub async fn find_by_fields(
        &self,
        object: &str,
        select: &[&str],
        equals: &[(&str, &str)],
    ) -> Result<Vec<Map<String, Value>>, SalesforceError> {
        api_name("object", object)?;
        if equals.is_empty() {
            return Err(SalesforceError::InvalidInput(
                "a business-key search needs at least one field".into(),
            ));
        }
        let cols = select_list(select)?;
        let mut conds = Vec::new();
        for (f, v) in equals {
            api_name("field", f)?;
            conds.push(format!("{f} = {}", soql_literal(v)));
        }
        Ok(self
            .query(&format!("SELECT {cols} FROM {object} WHERE {}", conds.join(" AND ")))
            .await?
            .records)
    }

    /// Records matching any of several business keys (batch preflight): `(a = 'x' AND b = 'y')
    /// OR (...)`, in as many queries as the URL length requires. Returns the records and the
    /// number of queries made. SOQL compares text case-insensitively; the caller matches rows back
    /// to its keys the same way.
    pub async fn find_by_any_key(
        &self,
        object: &str,
        select: &[&str],
        keys: &[Vec<(&str, &str)>],
    ) -> Result<(Vec<Map<String, Value>>, usize), SalesforceError> {
        api_name("object", object)?;
        let cols = select_list(select)?;
        let mut terms = Vec::with_capacity(keys.len());
        for key in keys {
            if key.is_empty() {
                return Err(SalesforceError::InvalidInput(
                    "a business-key search needs at least one field".into(),
                ));
            }
            let mut conds = Vec::with_capacity(key.len());
            for (f, v) in key {
                api_name("field", f)?;
                conds.push(format!("{f} = {}", soql_literal(v)));
            }
            terms.push(format!("({})", conds.join(" AND ")));
        }
        let mut out = Vec::new();
        let groups = within_budget(terms, " OR ".len());
        for group in &groups {
            let soql = format!("SELECT {cols} FROM {object} WHERE {}", group.join(" OR "));
            out.extend(self.query(&soql).await?.records);
        }
        Ok((out, groups.len()))
    }

    /// Records whose external-ID field holds any of `values` (batch preflight), in as many
    /// queries as the URL length requires.
    pub async fn find_by_external_ids(
        &self,
        object: &str,
        field: &str,
        values: &[&str],
        select: &[&str],
    ) -> Result<Vec<Map<String, Value>>, SalesforceError> {
        api_name("object", object)?;
        api_name("field", field)?;
        let mut cols: Vec<&str> = select.to_vec();
        if !cols.iter().any(|c| c.eq_ignore_ascii_case(field)) {
            cols.push(field);
        }
        let cols = select_list(&cols)?;
        let literals: Vec<String> = values.iter().map(|v| soql_literal(v)).collect();
        let mut out = Vec::new();
        for group in within_budget(literals, ", ".len()) {
            let soql = format!("SELECT {cols} FROM {object} WHERE {field} IN ({})", group.join(", "));
            out.extend(self.query(&soql).await?.records);
        }
        Ok(out)
    }
}

/// `terms` in groups whose joined length (each term plus a separator of `sep` characters) stays
/// within `IN_LIST_BUDGET`, so that no query's URL grows too long; a term longer than the budget
/// is a group of its own.
fn within_budget(terms: Vec<String>, sep: usize) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut group: Vec<String> = Vec::new();
    let mut used = 0;
    for term in terms {
        if !group.is_empty() && used + term.len() > IN_LIST_BUDGET {
            groups.push(std::mem::take(&mut group));
            used = 0;
        }
        used += term.len() + sep;
        group.push(term);
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

pub(super) fn select_list(select: &[&str]) -> Result<String, SalesforceError> {
    let mut cols = vec!["Id".to_string()];
    for f in select {
        api_name("field", f)?;
        if !cols.iter().any(|c| c.eq_ignore_ascii_case(f)) {
            cols.push(f.to_string());
        }
    }
    Ok(cols.join(", "))
}

pub(super) fn queue_from(rec: &Map<String, Value>) -> Option<Owner> {
    let s = |k: &str| rec.get(k).and_then(Value::as_str).map(str::to_string);
    Some(Owner::Queue {
        id: encode::id18(&s("Id")?)?,
        name: s("Name").unwrap_or_default(),
        developer_name: s("DeveloperName").unwrap_or_default(),
    })
}

/// A write's JSON answer, or why it is not one: not JSON (it may have been applied, so no
/// answer) or `success: false` with the record's errors.
pub(super) fn write_answer(a: &Answer, what: &str, may_have: &str) -> Result<Value, SalesforceError> {
    let j = a
        .json()
        .ok_or_else(|| SalesforceError::NoAnswer(format!("{what} ({}) is not JSON; {may_have}", a.status.as_u16())))?;
    if j.get("success").and_then(Value::as_bool) == Some(false) {
        return Err(SalesforceError::RecordErrors {
            errors: parse_record_errors(j.get("errors")),
        });
    }
    Ok(j)
}
