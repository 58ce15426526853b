//! The data API (`/services/data/vXX.X/...`): the steps every request passes (latency and
//! faults, API version, session, daily allowance), the routes, and what an applied write
//! leaves behind (the write log, the limit header, a dropped answer).

use super::reply::{invalid_session, limit_exceeded};
use super::{bearer, composite, now, oauth, query, records, Outcome, Received, Reply, Shared};
use crate::sandbox::faults::{self, Fault, FaultKind, RequestClass};
use crate::sandbox::json::Out;
use crate::sandbox::org::{ApiError, Org, WriteRecord};
use chrono::{DateTime, Utc};
use hyper::header::HeaderMap;
use hyper::Method;
use serde_json::{json, Value};

pub(super) const OLDEST_VERSION: u32 = 31;
pub(super) const NEWEST_VERSION: u32 = 66;

/// A data-API request past the gate: who sends it, in which version, to which path.
pub(super) struct DataRequest<'a> {
    pub method: &'a Method,
    /// The path after `vXX.X/`, percent-decoded, split at `/`.
    pub segments: &'a [String],
    pub query: Option<&'a str>,
    /// Path and query as received.
    pub target: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub version: &'a str,
    pub user_id: &'a str,
    pub now: DateTime<Utc>,
}

/// A route's answer and, for an applied write, its log entry.
pub(super) type Dispatched = Result<(Reply, Option<WriteRecord>), ApiError>;

/// What a fault leaves for after the request is handled.
#[derive(Default)]
struct Pending {
    drop_after_write: bool,
    record_appears: bool,
}

pub(super) async fn data_api(shared: &Shared, req: &Received<'_>, rest: &str) -> Outcome {
    let fault = pre_request(shared, request_class(req.method, rest)).await;
    let segments: Vec<String> = rest.split('/').map(decode_segment).collect();
    let version = match api_version(&segments[0]) {
        Ok(v) => v,
        Err(r) => return Outcome::Reply(r),
    };
    let (outcome, latency) = serve(shared, req, fault, &segments, &version);
    // The subrequests' latency faults of a composite call, slept outside the org's lock.
    delay(latency).await;
    outcome
}

/// A data request under the org's lock: its outcome, and latency still to add.
fn serve(
    shared: &Shared,
    req: &Received<'_>,
    fault: Option<FaultKind>,
    segments: &[String],
    version: &str,
) -> (Outcome, u64) {
    let now = now();
    let mut org = shared.org();
    let pending = match answer_fault(&org, fault, segments) {
        Ok(p) => p,
        Err(outcome) => return (outcome, 0),
    };
    let user_id = match admit(&mut org, req.headers, now) {
        Ok(u) => u,
        Err(r) => return (Outcome::Reply(r.header("sforce-limit-info", &org.limit_info())), 0),
    };
    let data = DataRequest {
        method: req.method,
        segments: &segments[1..],
        query: req.query,
        target: req.target,
        headers: req.headers,
        body: req.body,
        version,
        user_id: &user_id,
        now,
    };
    if data.segments.len() == 1 && data.segments[0] == "composite" && *req.method == Method::POST {
        let (outcome, latency) = composite::composite(&mut org, &data, pending.drop_after_write);
        let limit = org.limit_info();
        return match outcome {
            Outcome::Reply(r) => (Outcome::Reply(r.header("sforce-limit-info", &limit)), latency),
            Outcome::Drop => (Outcome::Drop, latency),
        };
    }
    if pending.record_appears {
        records::record_appears(&mut org, &data);
    }
    let result = dispatch(&mut org, &data);
    (settle(&mut org, result, pending.drop_after_write), 0)
}

/// Which faults a request is subject to.
fn request_class(method: &Method, rest: &str) -> RequestClass {
    if rest.split('/').nth(1) == Some("composite") && rest.split('/').count() == 2 {
        return RequestClass::Composite;
    }
    let is_read = method == Method::GET || method == Method::HEAD;
    let is_query = rest.split('/').nth(1).is_some_and(|seg| seg == "query");
    match (is_read, is_query) {
        (true, true) => RequestClass::Query,
        (true, false) => RequestClass::Read,
        _ => RequestClass::Write,
    }
}

/// Latency and the answer-changing fault for one request; sleeps outside the lock.
pub(super) async fn pre_request(shared: &Shared, class: RequestClass) -> Option<FaultKind> {
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
    delay(latency).await;
    kind
}

/// Sleeps `ms` milliseconds, to within a fraction of one. Tokio's timer fires on the next
/// millisecond tick after the deadline, so a plain 50 ms sleep took 51 ms or more, and the org
/// looked slower than the latency it was set to add. The last stretch is slept on a blocking
/// thread, whose timer is precise (never more than 2 ms of it, so a long fault delay still
/// costs no thread).
pub(super) async fn delay(ms: u64) {
    if ms == 0 {
        return;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    let coarse = std::time::Duration::from_millis(ms.saturating_sub(2));
    if !coarse.is_zero() {
        tokio::time::sleep(coarse).await;
    }
    let _ = tokio::task::spawn_blocking(move || {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if !left.is_zero() {
            std::thread::sleep(left);
        }
    })
    .await;
}

/// The canned answer of a fault, or `None` when the request is to go on (drop after write).
pub(super) fn fault_answer(kind: FaultKind, record_id: Option<&str>) -> Option<Outcome> {
    let reply = match kind {
        FaultKind::InvalidSession => invalid_session(),
        FaultKind::ServerUnavailable => ApiError::new(503, "SERVER_UNAVAILABLE", "Server Unavailable", None).into(),
        FaultKind::UnableToLockRow => {
            let msg = match record_id {
                Some(id) => format!("unable to obtain exclusive access to this record or 1 records: {id}"),
                None => "unable to obtain exclusive access to this record".to_string(),
            };
            ApiError::new(400, "UNABLE_TO_LOCK_ROW", &msg, Some(&[])).into()
        }
        FaultKind::RequestLimitExceeded => limit_exceeded(),
        FaultKind::DropBeforeWrite => return Some(Outcome::Drop),
        FaultKind::DropAfterWrite | FaultKind::Latency | FaultKind::RecordAppears => return None,
    };
    Some(Outcome::Reply(reply))
}

/// A fault's canned answer (with the limit header) as `Err`, or what it leaves for later.
fn answer_fault(org: &Org, fault: Option<FaultKind>, segments: &[String]) -> Result<Pending, Outcome> {
    let Some(kind) = fault else {
        return Ok(Pending::default());
    };
    let record_id = segments.get(3).map(String::as_str);
    match fault_answer(kind, record_id) {
        Some(Outcome::Reply(r)) => Err(Outcome::Reply(r.header("sforce-limit-info", &org.limit_info()))),
        Some(Outcome::Drop) => Err(Outcome::Drop),
        None => Ok(Pending {
            drop_after_write: kind == FaultKind::DropAfterWrite,
            record_appears: kind == FaultKind::RecordAppears,
        }),
    }
}

/// The session's user, counting the request against the daily allowance; or the refusal.
fn admit(org: &mut Org, headers: &HeaderMap, now: DateTime<Utc>) -> Result<String, Reply> {
    let Some(user_id) = oauth::session_user(org, bearer(headers), now) else {
        return Err(invalid_session());
    };
    if org.api_usage >= org.settings.api_limit {
        return Err(limit_exceeded());
    }
    org.api_usage += 1;
    Ok(user_id)
}

/// Logs an applied write, withholds its answer under `drop_after_write` (re-armed when nothing
/// was written), and adds the limit header.
fn settle(org: &mut Org, result: Dispatched, drop_after_write: bool) -> Outcome {
    let limit = org.limit_info();
    let reply = match result {
        Ok((reply, Some(mut write))) => {
            write.response_dropped = drop_after_write;
            org.log_write(write);
            if drop_after_write {
                return Outcome::Drop;
            }
            reply
        }
        Ok((reply, None)) => {
            rearm_drop_after_write(org, drop_after_write);
            reply
        }
        Err(e) => {
            rearm_drop_after_write(org, drop_after_write);
            Reply::from(e)
        }
    };
    Outcome::Reply(reply.header("sforce-limit-info", &limit))
}

/// Nothing was written: the fault waits for the next write that applies.
fn rearm_drop_after_write(org: &mut Org, drop_after_write: bool) {
    if drop_after_write {
        org.faults.insert(0, Fault::new(FaultKind::DropAfterWrite, 1));
    }
}

pub(super) fn dispatch(org: &mut Org, r: &DataRequest) -> Dispatched {
    let segs: Vec<&str> = r.segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        [] | [""] => Ok((resources(r.version), None)),
        ["query"] => query::query(org, r).map(|reply| (reply, None)),
        ["query", locator] => query::query_more(org, r, locator).map(|reply| (reply, None)),
        ["composite"] => Err(method_not_allowed(r.method, "POST")),
        // Salesforce documents the create as `POST /sobjects/{SObject}/`; both forms are served.
        ["sobjects", object] | ["sobjects", object, ""] => {
            let t = table(org, object)?;
            match *r.method {
                Method::POST => records::create(org, t, r),
                _ => Err(method_not_allowed(r.method, "GET,POST,HEAD")),
            }
        }
        ["sobjects", object, "describe"] => {
            let t = table(org, object)?;
            match *r.method {
                Method::GET | Method::HEAD => Ok((Reply::json(200, Out::Val(records::describe(&org.tables[t]))), None)),
                _ => Err(method_not_allowed(r.method, "GET,HEAD")),
            }
        }
        ["sobjects", object, key] => {
            let t = table(org, object)?;
            records::by_id(org, t, key, r)
        }
        ["sobjects", object, field, value] => {
            let t = table(org, object)?;
            records::by_external_id(org, t, field, value, r)
        }
        _ => Err(ApiError::not_found()),
    }
}

pub(super) fn versions() -> Reply {
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
pub(super) fn api_version(seg: &str) -> Result<String, Reply> {
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

pub(super) fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

pub(super) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    oauth::parse_form(query.unwrap_or_default().as_bytes())
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub(super) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(super) fn method_not_allowed(method: &Method, allowed: &str) -> ApiError {
    ApiError::new(
        405,
        "METHOD_NOT_ALLOWED",
        &format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
        None,
    )
}

fn table(org: &Org, object: &str) -> Result<usize, ApiError> {
    org.table_index(object).ok_or_else(ApiError::not_found)
}
