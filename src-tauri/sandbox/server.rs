//! The HTTP side: a hyper 1 server on loopback, routing, the data API and the control API.
//! A handler that must "drop the connection without answering" returns `Err(Dropped)`: hyper
//! then closes the connection and writes no response.

use super::faults::{self, Fault, FaultKind, RequestClass};
use super::json::Out;
use super::oauth;
use super::org::{sf_datetime, ApiError, Cursor, Org, WriteCtx, WriteRecord};
use super::seed::LATEST_API_VERSION;
use super::soql;
use bytes::Bytes;
use chrono::{DateTime, SubsecRound, Utc};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Salesforce answers 414 past this many bytes of URI.
const MAX_URI: usize = 16_384;
const OLDEST_VERSION: u32 = 31;
const NEWEST_VERSION: u32 = 66;
const MAX_CURSORS: usize = 200;

pub struct Shared {
    pub org: Mutex<Org>,
    pub base_url: String,
}

impl Shared {
    /// The org, even if a panicking thread poisoned the lock: a test double keeps answering.
    pub fn org(&self) -> MutexGuard<'_, Org> {
        self.org.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Returned by the service to make hyper close the connection without a response.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose by the simulated org")
    }
}

impl std::error::Error for Dropped {}

/// A response before it becomes hyper's.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: Out) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json;charset=UTF-8".into())],
            body: body.to_bytes(),
        }
    }

    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "text/plain;charset=UTF-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let mut r = Response::new(Full::new(Bytes::from(self.body)));
        *r.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (k, v) in self.headers {
            if let (Ok(name), Ok(value)) = (
                hyper::header::HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                r.headers_mut().append(name, value);
            }
        }
        r
    }
}

impl From<ApiError> for Reply {
    fn from(e: ApiError) -> Reply {
        Reply::json(e.status, e.body)
    }
}

enum Outcome {
    Reply(Reply),
    Drop,
}

/// Accepts connections until `shutdown` changes (or its sender is gone).
pub async fn serve(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::warn!("sandbox: accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let shared = shared.clone();
                conns.spawn(async move {
                    let svc = service_fn(move |req| handle(shared.clone(), peer, req));
                    let conn = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(std::time::Duration::from_secs(30))
                        .serve_connection(TokioIo::new(stream), svc);
                    // Errors here are the intended drops and clients going away.
                    let _ = conn.await;
                });
            }
            _ = shutdown.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = req.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    if target.len() > MAX_URI {
        return Ok(Reply::from(ApiError::new(
            414,
            "URI_TOO_LONG",
            "The request URI is longer than 16,384 bytes",
            None,
        ))
        .into_response());
    }
    let max_body = shared.org().settings.max_body_bytes;
    let body = match Limited::new(body, max_body).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return Ok(Reply::from(ApiError::new(
                413,
                "REQUEST_ENTITY_TOO_LARGE",
                &format!("The request body is larger than {max_body} bytes"),
                None,
            ))
            .into_response());
        }
        // The client went away mid-body: nobody to answer.
        Err(_) => return Err(Dropped),
    };
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let outcome = route(
        &shared,
        peer,
        &parts.method,
        &path,
        query.as_deref(),
        &target,
        &parts.headers,
        &body,
    )
    .await;
    match outcome {
        Outcome::Reply(r) => Ok(r.into_response()),
        Outcome::Drop => Err(Dropped),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get("authorization")?.to_str().ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("OAuth "))
        .map(str::trim)
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

#[allow(clippy::too_many_arguments)]
async fn route(
    shared: &Shared,
    peer: SocketAddr,
    method: &Method,
    path: &str,
    query: Option<&str>,
    target: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Outcome {
    if let Some(rest) = path.strip_prefix("/__sandbox/") {
        if !peer.ip().is_loopback() {
            return Outcome::Reply(Reply::text(403, "the control API answers loopback only"));
        }
        return Outcome::Reply(control(shared, method, rest, body));
    }
    let base = shared.base_url.as_str();
    if path == "/services/oauth2/token" {
        if method != Method::POST {
            return Outcome::Reply(Reply::json(
                405,
                Out::Val(json!({"error": "invalid_request", "error_description": "must use HTTP POST"})),
            ));
        }
        let fault = pre_request(shared, RequestClass::Token).await;
        if let Some(kind) = fault {
            if let Some(o) = fault_answer(kind, None) {
                return o;
            }
        }
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        let mut org = shared.org();
        return Outcome::Reply(oauth::token(&mut org, base, auth, body, now()));
    }
    if path == "/services/oauth2/userinfo" {
        let org = shared.org();
        return Outcome::Reply(oauth::userinfo(&org, base, bearer(headers), now()));
    }
    if let Some(rest) = path.strip_prefix("/id/") {
        let org = shared.org();
        return Outcome::Reply(match rest.split('/').collect::<Vec<_>>().as_slice() {
            [o, u] => oauth::identity(&org, base, bearer(headers), o, u, now()),
            _ => Reply::text(404, "Bad_Id"),
        });
    }
    if path == "/services/data" || path == "/services/data/" {
        return Outcome::Reply(versions());
    }
    if let Some(rest) = path.strip_prefix("/services/data/") {
        return data_api(shared, method, rest, query, target, headers, body).await;
    }
    Outcome::Reply(ApiError::not_found().into())
}

/// Latency and the answer-changing fault for one request; sleeps outside the lock.
async fn pre_request(shared: &Shared, class: RequestClass) -> Option<FaultKind> {
    let (latency, kind) = {
        let mut org = shared.org();
        let base = if class == RequestClass::Token {
            0
        } else {
            org.settings.latency_ms
        };
        let (extra, kind) = faults::take(&mut org.faults, class);
        (base + extra, kind)
    };
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    kind
}

/// The canned answer of a fault, or `None` when the request is to go on (drop after write).
fn fault_answer(kind: FaultKind, record_id: Option<&str>) -> Option<Outcome> {
    let reply = match kind {
        FaultKind::InvalidSession => Reply::from(ApiError::new(
            401,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
            None,
        ))
        .header("www-authenticate", "Token"),
        FaultKind::ServerUnavailable => ApiError::new(503, "SERVER_UNAVAILABLE", "Server Unavailable", None).into(),
        FaultKind::UnableToLockRow => {
            let msg = match record_id {
                Some(id) => format!("unable to obtain exclusive access to this record or 1 records: {id}"),
                None => "unable to obtain exclusive access to this record".to_string(),
            };
            ApiError::new(400, "UNABLE_TO_LOCK_ROW", &msg, Some(&[])).into()
        }
        FaultKind::RequestLimitExceeded => {
            ApiError::new(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", None).into()
        }
        FaultKind::DropBeforeWrite => return Some(Outcome::Drop),
        FaultKind::DropAfterWrite | FaultKind::Latency | FaultKind::RecordAppears => return None,
    };
    Some(Outcome::Reply(reply))
}

fn versions() -> Reply {
    let list: Vec<Value> = (OLDEST_VERSION..=NEWEST_VERSION)
        .map(|v| {
            // v66.0 is Spring '26; releases run Spring, Summer, Winter (named for the next year).
            let offset = v as i64 - 66;
            let k = offset.div_euclid(3);
            let pos = offset.rem_euclid(3);
            let (season, year) = match pos {
                0 => ("Spring", 26 + k),
                1 => ("Summer", 26 + k),
                _ => ("Winter", 27 + k),
            };
            json!({"label": format!("{season} '{year:02}"), "url": format!("/services/data/v{v}.0"), "version": format!("{v}.0")})
        })
        .collect();
    Reply::json(200, Out::Val(Value::Array(list)))
}

/// `vNN.0` -> `NN.0`, or the answer for a version that is not served.
fn api_version(seg: &str) -> Result<String, Reply> {
    let parsed = seg
        .strip_prefix('v')
        .and_then(|v| v.strip_suffix(".0"))
        .filter(|n| !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<u32>().ok());
    match parsed {
        Some(n) if (OLDEST_VERSION..=NEWEST_VERSION).contains(&n) => Ok(format!("{n}.0")),
        Some(n) if (20..OLDEST_VERSION).contains(&n) => Err(ApiError::new(
            410,
            "API_VERSION_RETIRED",
            &format!("API version {n}.0 is retired"),
            None,
        )
        .into()),
        _ => Err(ApiError::not_found().into()),
    }
}

fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    oauth::parse_form(query.unwrap_or_default().as_bytes())
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn data_api(
    shared: &Shared,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    target: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Outcome {
    let is_read = method == Method::GET || method == Method::HEAD;
    let is_query = rest.split('/').nth(1).is_some_and(|seg| seg == "query");
    let class = match (is_read, is_query) {
        (true, true) => RequestClass::Query,
        (true, false) => RequestClass::Read,
        _ => RequestClass::Write,
    };
    let fault = pre_request(shared, class).await;
    let segments: Vec<String> = rest.split('/').map(decode_segment).collect();
    let version = match api_version(&segments[0]) {
        Ok(v) => v,
        Err(r) => return Outcome::Reply(r),
    };
    let now = now();
    let mut org = shared.org();
    let mut drop_after_write = false;
    let mut record_appears = false;
    if let Some(kind) = fault {
        record_appears = kind == FaultKind::RecordAppears;
        let record_id = segments.get(3).cloned();
        match fault_answer(kind, record_id.as_deref()) {
            Some(Outcome::Reply(r)) => return Outcome::Reply(r.header("sforce-limit-info", &org.limit_info())),
            Some(Outcome::Drop) => return Outcome::Drop,
            None => drop_after_write = kind == FaultKind::DropAfterWrite,
        }
    }
    let Some(user_id) = oauth::session_user(&org, bearer(headers), now) else {
        let r = Reply::from(ApiError::new(
            401,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
            None,
        ))
        .header("www-authenticate", "Token");
        return Outcome::Reply(r.header("sforce-limit-info", &org.limit_info()));
    };
    if org.api_usage >= org.settings.api_limit {
        let r: Reply = ApiError::new(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", None).into();
        return Outcome::Reply(r.header("sforce-limit-info", &org.limit_info()));
    }
    org.api_usage += 1;

    let req = DataRequest {
        method,
        segments: &segments[1..],
        query,
        target,
        headers,
        body,
        version: &version,
        user_id: &user_id,
        now,
    };
    if record_appears {
        if let (Method::POST, ["sobjects", object] | ["sobjects", object, ""]) = (
            method.clone(),
            segments[1..].iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ) {
            appear_before_create(&mut org, object, body, now);
        } else {
            // Not a create: the fault waits for the next one.
            org.faults.insert(0, Fault::new(FaultKind::RecordAppears, 1));
        }
    }
    let result = dispatch(&mut org, &req);
    let limit = org.limit_info();
    match result {
        Ok((reply, Some(mut write))) => {
            write.response_dropped = drop_after_write;
            org.log_write(write);
            if drop_after_write {
                return Outcome::Drop;
            }
            Outcome::Reply(reply.header("sforce-limit-info", &limit))
        }
        Ok((reply, None)) => {
            if drop_after_write {
                // Nothing was written: the fault waits for the next write that applies.
                org.faults.insert(0, Fault::new(FaultKind::DropAfterWrite, 1));
            }
            Outcome::Reply(reply.header("sforce-limit-info", &limit))
        }
        Err(e) => {
            if drop_after_write {
                org.faults.insert(0, Fault::new(FaultKind::DropAfterWrite, 1));
            }
            Outcome::Reply(Reply::from(e).header("sforce-limit-info", &limit))
        }
    }
}

struct DataRequest<'a> {
    method: &'a Method,
    segments: &'a [String],
    query: Option<&'a str>,
    target: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
    version: &'a str,
    user_id: &'a str,
    now: DateTime<Utc>,
}

type Dispatched = Result<(Reply, Option<WriteRecord>), ApiError>;

fn method_not_allowed(method: &Method, allowed: &str) -> ApiError {
    ApiError::new(
        405,
        "METHOD_NOT_ALLOWED",
        &format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
        None,
    )
}

fn dispatch(org: &mut Org, r: &DataRequest) -> Dispatched {
    let segs: Vec<&str> = r.segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        [] | [""] => Ok((resources(r.version), None)),
        ["query"] => {
            if r.method != Method::GET {
                return Err(method_not_allowed(r.method, "GET,HEAD"));
            }
            let q = query_param(r.query, "q")
                .ok_or_else(|| ApiError::new(400, "MALFORMED_QUERY", "A query string has to be specified", None))?;
            run_query(org, r, &q).map(|reply| (reply, None))
        }
        ["query", locator] => {
            if r.method != Method::GET {
                return Err(method_not_allowed(r.method, "GET,HEAD"));
            }
            next_batch(org, r.version, locator).map(|reply| (reply, None))
        }
        // Salesforce documents the create as `POST /sobjects/{SObject}/`; both forms are served.
        ["sobjects", object] | ["sobjects", object, ""] => {
            let t = table(org, object)?;
            match *r.method {
                Method::POST => create(org, t, r),
                _ => Err(method_not_allowed(r.method, "GET,POST,HEAD")),
            }
        }
        ["sobjects", object, "describe"] => {
            let t = table(org, object)?;
            match *r.method {
                Method::GET | Method::HEAD => Ok((Reply::json(200, Out::Val(describe(&org.tables[t]))), None)),
                _ => Err(method_not_allowed(r.method, "GET,HEAD")),
            }
        }
        ["sobjects", object, key] => {
            let t = table(org, object)?;
            if !super::ids::looks_like_id(key) {
                return Err(ApiError::new(
                    404,
                    "NOT_FOUND",
                    &format!("Provided external ID field does not exist or is not accessible: {key}"),
                    None,
                ));
            }
            match *r.method {
                Method::GET | Method::HEAD => {
                    let row = org.tables[t].row_by_id(key).ok_or_else(ApiError::not_found)?;
                    let only = match query_param(r.query, "fields") {
                        Some(list) => {
                            let mut cols = field_list(&org.tables[t], &list)?;
                            // The Id comes back whatever `fields` says, after the chosen fields.
                            if !cols.contains(&0) {
                                cols.push(0);
                            }
                            Some(cols)
                        }
                        None => None,
                    };
                    let table = &org.tables[t];
                    Ok((
                        Reply::json(200, table.render(&table.rows[row], r.version, only.as_deref())),
                        None,
                    ))
                }
                Method::PATCH => update(org, t, key, r),
                _ => Err(method_not_allowed(r.method, "GET,HEAD,PATCH")),
            }
        }
        ["sobjects", object, field, value] => {
            let t = table(org, object)?;
            let def = org.tables[t]
                .field(field)
                .filter(|d| d.external_id)
                .ok_or_else(|| {
                    ApiError::new(
                        404,
                        "NOT_FOUND",
                        &format!("Provided external ID field does not exist or is not accessible: {field}"),
                        None,
                    )
                })?
                .clone();
            if value.is_empty() {
                return Err(ApiError::not_found());
            }
            match *r.method {
                Method::GET | Method::HEAD => {
                    // `fields` is not documented here; every field is returned whatever it says.
                    let matches = org.tables[t].rows_by_external_id(&def.name, value);
                    match matches.as_slice() {
                        [] => Err(ApiError::not_found()),
                        [one] => {
                            let table = &org.tables[t];
                            Ok((Reply::json(200, table.render(&table.rows[*one], r.version, None)), None))
                        }
                        several => Err(org.multiple_choices(t, several, r.version)),
                    }
                }
                Method::PATCH => upsert(org, t, &def.name, value, r),
                _ => Err(method_not_allowed(r.method, "GET,HEAD,PATCH")),
            }
        }
        _ => Err(ApiError::not_found()),
    }
}

fn resources(version: &str) -> Reply {
    let p = |r: &str| json!(format!("/services/data/v{version}/{r}"));
    Reply::json(
        200,
        Out::obj()
            .with("sobjects", p("sobjects"))
            .with("query", p("query"))
            .with("limits", p("limits")),
    )
}

fn table(org: &Org, object: &str) -> Result<usize, ApiError> {
    org.table_index(object).ok_or_else(ApiError::not_found)
}

fn field_list(t: &super::org::Table, list: &str) -> Result<Vec<usize>, ApiError> {
    let mut out = Vec::new();
    for f in list.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let i = t.fields.iter().position(|d| d.name.eq_ignore_ascii_case(f)).ok_or_else(|| {
            ApiError::new(400, "INVALID_FIELD", &format!("No such column '{f}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", t.name), None)
        })?;
        if !out.contains(&i) {
            out.push(i);
        }
    }
    Ok(out)
}

/// The request body as a JSON object, or Salesforce's parser error.
fn json_body(r: &DataRequest) -> Result<Map<String, Value>, ApiError> {
    if let Some(ct) = header_str(r.headers, "content-type") {
        let ct = ct.to_ascii_lowercase();
        if !ct.starts_with("application/json") {
            return Err(ApiError::new(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                &format!("Content type '{ct}' not supported; the simulated org speaks JSON only"),
                None,
            ));
        }
    }
    if r.body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            400,
            "JSON_PARSER_ERROR",
            "No content to map due to end-of-input",
            None,
        ));
    }
    match serde_json::from_slice::<Value>(r.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(ApiError::new(
            400,
            "JSON_PARSER_ERROR",
            &format!(
                "Cannot deserialize instance of object from {} value or request may be missing a required field",
                if other.is_array() { "START_ARRAY" } else { "scalar" }
            ),
            None,
        )),
        Err(e) => Err(ApiError::new(
            400,
            "JSON_PARSER_ERROR",
            &format!("Unexpected character or end of input: {e}"),
            None,
        )),
    }
}

fn write_ctx<'a>(r: &'a DataRequest) -> WriteCtx<'a> {
    let auto = header_str(r.headers, "sforce-auto-assign").map(str::trim);
    let dup = header_str(r.headers, "sforce-duplicate-rule-header")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let flag = |name: &str| {
        dup.split(';')
            .any(|p| p.trim().replace(' ', "") == format!("{name}=true"))
    };
    WriteCtx {
        user_id: r.user_id,
        version: r.version,
        // Absent means TRUE; only FALSE turns assignment rules off.
        auto_assign: !auto.is_some_and(|v| v.eq_ignore_ascii_case("false")),
        allow_save: flag("allowsave"),
        include_details: flag("includerecorddetails"),
        now: r.now,
    }
}

fn write_record(
    r: &DataRequest,
    object: &str,
    record_id: &str,
    operation: &str,
    status: u16,
    body: &Map<String, Value>,
) -> WriteRecord {
    let mut headers = BTreeMap::new();
    for (k, v) in r.headers {
        let name = k.as_str().to_ascii_lowercase();
        if name == "authorization" || name == "cookie" {
            continue;
        }
        headers.insert(name, String::from_utf8_lossy(v.as_bytes()).into_owned());
    }
    WriteRecord {
        seq: 0,
        at: sf_datetime(r.now),
        method: r.method.to_string(),
        path: r.target.to_string(),
        object: object.to_string(),
        record_id: record_id.to_string(),
        operation: operation.to_string(),
        status,
        headers,
        body: Value::Object(body.clone()),
        user_id: r.user_id.to_string(),
        response_dropped: false,
    }
}

fn update(org: &mut Org, t: usize, key: &str, r: &DataRequest) -> Dispatched {
    let row = org.tables[t].row_by_id(key).ok_or_else(ApiError::not_found)?;
    let if_unmodified = match header_str(r.headers, "if-unmodified-since") {
        Some(v) => Some(
            DateTime::parse_from_rfc2822(v.trim())
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::new(
                        400,
                        "INVALID_HEADER_VALUE",
                        &format!("If-Unmodified-Since: `{v}` is not a date like `Mon, 30 Nov 2020 08:34:54 GMT`"),
                        None,
                    )
                })?,
        ),
        None => None,
    };
    let body = json_body(r)?;
    let ctx = write_ctx(r);
    org.update_by_id(t, row, &body, &ctx, if_unmodified)?;
    let table = &org.tables[t];
    let id = table.rows[row]
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let w = write_record(r, &table.name, &id, "update", 204, &body);
    Ok((Reply::empty(204), Some(w)))
}

fn upsert(org: &mut Org, t: usize, field: &str, value: &str, r: &DataRequest) -> Dispatched {
    let update_only = query_param(r.query, "updateOnly").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let body = json_body(r)?;
    let ctx = write_ctx(r);
    let done = org.upsert(t, field, value, &body, &ctx, update_only)?;
    let name = org.tables[t].name.clone();
    // `created` exists from v46.0; before it an update answered 204 with no body.
    let modern = r
        .version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(NEWEST_VERSION)
        >= 46;
    let reply = if done.created || modern {
        let mut o = Out::obj()
            .with("id", json!(done.id))
            .with("success", json!(true))
            .with("errors", json!([]));
        if modern {
            o = o.with("created", json!(done.created));
        }
        Reply::json(if done.created { 201 } else { 200 }, o)
    } else {
        Reply::empty(204)
    };
    let op = if done.created { "upsert_create" } else { "upsert_update" };
    let w = write_record(r, &name, &done.id, op, reply.status, &body);
    Ok((reply, Some(w)))
}

fn create(org: &mut Org, t: usize, r: &DataRequest) -> Dispatched {
    let body = json_body(r)?;
    let ctx = write_ctx(r);
    let id = org.create(t, &body, &ctx)?;
    let name = org.tables[t].name.clone();
    let reply = Reply::json(
        201,
        Out::obj()
            .with("id", json!(id))
            .with("success", json!(true))
            .with("errors", json!([])),
    );
    let w = write_record(r, &name, &id, "create", 201, &body);
    Ok((reply, Some(w)))
}

/// `GET /sobjects/{SObject}/describe`, the part of it the console reads: each field's name,
/// type, and whether it is `unique`, `externalId` and `idLookup`.
fn describe(t: &super::org::Table) -> Value {
    use super::FieldType;
    let fields: Vec<Value> = t
        .fields
        .iter()
        .map(|f| {
            let is_id = f.name == "Id";
            let ty = match f.ty {
                _ if is_id => "id",
                FieldType::Text => "string",
                FieldType::LongText => "textarea",
                FieldType::Number => "double",
                FieldType::Boolean => "boolean",
                FieldType::Reference => "reference",
                FieldType::Datetime => "datetime",
            };
            let unique = is_id || (f.external_id && t.unique_external_ids);
            json!({
                "name": f.name,
                "type": ty,
                "unique": unique,
                "externalId": f.external_id,
                "idLookup": is_id || f.external_id,
                "caseSensitive": f.external_id && t.case_sensitive_external_ids,
                "nillable": !f.required && !is_id,
                "createable": f.writable,
                "updateable": f.writable,
            })
        })
        .collect();
    json!({
        "name": t.name,
        "keyPrefix": t.key_prefix,
        "createable": t.writable,
        "updateable": t.writable,
        "fields": fields,
    })
}

/// The `record_appears` fault: the org's admin creates a record carrying the create's
/// external-ID values just before the create is handled (logged as a write by someone else).
fn appear_before_create(org: &mut Org, object: &str, body: &[u8], now: DateTime<Utc>) {
    let Some(t) = org.table_index(object) else {
        return;
    };
    let Ok(Value::Object(sent)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let mut row = Map::new();
    for def in org.tables[t].fields.iter().filter(|d| d.external_id) {
        if let Some(v) = sent.get(&def.name) {
            row.insert(def.name.clone(), v.clone());
        }
    }
    if row.is_empty() {
        return;
    }
    row.insert("Name".into(), json!("Made by someone else"));
    // Inserted as the data would be (no unique check: the admin's record is there first).
    let _ = org.insert_as_admin(t, &row, now);
}

fn run_query(org: &mut Org, r: &DataRequest, q: &str) -> Result<Reply, ApiError> {
    let parsed = soql::parse(q)?;
    let t = org.table_index(&parsed.object).ok_or_else(|| {
        ApiError::new(400, "INVALID_TYPE", &format!("sObject type '{}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", parsed.object), None)
    })?;
    let rows = soql::run(&parsed, &org.tables[t], r.version)?;
    // Sforce-Query-Options: batchSize=N (Salesforce honours 200..2000), capped by the org.
    let asked = header_str(r.headers, "sforce-query-options")
        .and_then(|v| {
            v.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix("batchSize=")
                    .and_then(|n| n.trim().parse::<usize>().ok())
            })
        })
        .map(|n| n.clamp(200, 2000));
    let batch = asked.unwrap_or(2000).min(org.settings.query_batch_size).max(1);
    let total = rows.len();
    if total <= batch {
        return Ok(query_reply(total, true, None, rows));
    }
    let locator = org.ids.next("01g");
    let locator = locator[..15].to_string();
    let first: Vec<Out> = rows[..batch].to_vec();
    let next = format!("/services/data/v{}/query/{locator}-{batch}", r.version);
    org.cursors.push_back((locator, Cursor { rows, total, batch }));
    while org.cursors.len() > MAX_CURSORS {
        org.cursors.pop_front();
    }
    Ok(query_reply(total, false, Some(next), first))
}

fn next_batch(org: &mut Org, version: &str, locator: &str) -> Result<Reply, ApiError> {
    let invalid = || ApiError::new(400, "INVALID_QUERY_LOCATOR", "invalid query locator", None);
    let (id, offset) = locator.rsplit_once('-').ok_or_else(invalid)?;
    let offset: usize = offset.parse().map_err(|_| invalid())?;
    let pos = org.cursors.iter().position(|(l, _)| l == id).ok_or_else(invalid)?;
    let (rows, total, batch) = {
        let c = &org.cursors[pos].1;
        if offset >= c.rows.len() {
            return Err(invalid());
        }
        let end = (offset + c.batch).min(c.rows.len());
        (c.rows[offset..end].to_vec(), c.total, c.batch)
    };
    let end = offset + rows.len();
    if end >= total {
        org.cursors.remove(pos);
        Ok(query_reply(total, true, None, rows))
    } else {
        let _ = batch;
        Ok(query_reply(
            total,
            false,
            Some(format!("/services/data/v{version}/query/{id}-{end}")),
            rows,
        ))
    }
}

fn query_reply(total: usize, done: bool, next: Option<String>, rows: Vec<Out>) -> Reply {
    let mut o = Out::obj().with("totalSize", json!(total)).with("done", json!(done));
    if let Some(n) = next {
        o = o.with("nextRecordsUrl", json!(n));
    }
    Reply::json(200, o.with("records", Out::Arr(rows)))
}

// ---- control API (/__sandbox/...) ----

fn control(shared: &Shared, method: &Method, rest: &str, body: &[u8]) -> Reply {
    let ok = |v: Value| Reply::json(200, Out::Val(v));
    let bad = |m: String| Reply::json(400, Out::Val(json!({"error": m})));
    let mut org = shared.org();
    match (method.clone(), rest) {
        (Method::GET, "health") => {
            ok(json!({"ok": true, "base_url": shared.base_url, "api_version": LATEST_API_VERSION}))
        }
        (Method::GET, "writes") => ok(serde_json::to_value(&org.writes).unwrap_or(Value::Null)),
        (Method::DELETE, "writes") => {
            org.writes.clear();
            ok(json!({"cleared": true}))
        }
        (Method::GET, "faults") => ok(serde_json::to_value(&org.faults).unwrap_or(Value::Null)),
        (Method::DELETE, "faults") => {
            org.faults.clear();
            ok(json!({"cleared": true}))
        }
        (Method::POST, "faults") => {
            let parsed: Result<Vec<Fault>, _> = match serde_json::from_slice::<Value>(body) {
                Ok(Value::Array(a)) => a.into_iter().map(serde_json::from_value).collect(),
                Ok(v) => serde_json::from_value(v).map(|f| vec![f]),
                Err(e) => return bad(format!("not JSON: {e}")),
            };
            match parsed {
                Ok(list) => {
                    let n = list.len();
                    org.faults.extend(list.into_iter().filter(|f| f.count > 0));
                    ok(json!({"queued": n}))
                }
                Err(e) => bad(format!("not a fault (kind: unable_to_lock_row | server_unavailable | request_limit_exceeded | invalid_session | drop_after_write | drop_before_write | latency; count; latency_ms; applies_to: any | reads | writes | token | queries): {e}")),
            }
        }
        (Method::POST, "tokens/expire") => {
            let n = org.sessions.len();
            org.sessions.clear();
            ok(json!({"expired": n}))
        }
        (Method::POST, "latency") => match serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("latency_ms").and_then(Value::as_u64))
        {
            Some(ms) => {
                org.settings.latency_ms = ms;
                ok(json!({"latency_ms": ms}))
            }
            None => bad("expected {\"latency_ms\": N}".into()),
        },
        (Method::GET, "usage") => ok(json!({"api_usage": org.api_usage, "api_limit": org.settings.api_limit})),
        (Method::POST, "usage") => match serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("api_usage").and_then(Value::as_u64))
        {
            Some(n) => {
                org.api_usage = n;
                ok(json!({"api_usage": n}))
            }
            None => bad("expected {\"api_usage\": N}".into()),
        },
        (Method::POST, r) if r.starts_with("records/") => {
            let object = decode_segment(&r["records/".len()..]);
            let Some(t) = org.table_index(&object) else {
                return Reply::json(404, Out::Val(json!({"error": format!("no object {object}")})));
            };
            let fields = match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(m)) => m,
                _ => return bad("expected a JSON object of the record's fields".into()),
            };
            match org.insert_as_admin(t, &fields, now()) {
                Ok(id) => ok(json!({"id": id, "made_by": org.admin_id})),
                Err(e) => Reply::from(e),
            }
        }
        (Method::GET, r) if r.starts_with("records/") => {
            let object = decode_segment(&r["records/".len()..]);
            match org.table_index(&object) {
                Some(t) => {
                    let table = &org.tables[t];
                    let rows: Vec<Out> = table
                        .rows
                        .iter()
                        .map(|row| table.render(row, LATEST_API_VERSION, None))
                        .collect();
                    Reply::json(200, Out::Arr(rows))
                }
                None => Reply::json(404, Out::Val(json!({"error": format!("no object {object}")}))),
            }
        }
        _ => Reply::json(
            404,
            Out::Val(
                json!({"error": "unknown control endpoint", "endpoints": ["GET health", "GET|DELETE writes", "GET|POST|DELETE faults", "POST tokens/expire", "POST latency", "GET|POST usage", "GET records/{Object}", "POST records/{Object} (made by someone else)"]}),
            ),
        ),
    }
}
