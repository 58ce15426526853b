//! `POST /services/data/vXX.X/composite` (SALESFORCE.md §8, §8a): up to 25 subrequests in one
//! call, run in order as the call's user, each answered with its own status, headers and body;
//! later subrequests refer to earlier answers with `@{referenceId.path}`. The call is one API
//! call (one `Sforce-Limit-Info` step) and one round trip (the org's latency once).
//!
//! Faults: the call itself takes the faults aimed at `composite` (a 503, a dropped answer after
//! the subrequests ran, ...). Each subrequest takes the faults aimed at its kind of request, as
//! it would alone, all decided before the first one runs: a lock error or a 503 becomes that
//! subrequest's answer; `invalid_session` fails the whole call with 401 (nothing runs, the other
//! faults are put back); `drop_before_write` drops the whole call before anything runs;
//! `drop_after_write` runs everything and drops the call's answer if that subrequest wrote;
//! `record_appears` races that subrequest's create. docs/SANDBOX.md lists the choices made where
//! Salesforce's documentation is silent.

use super::data::{api_version, decode_segment, dispatch, fault_answer, DataRequest};
use super::reply::invalid_session;
use super::{records, Outcome, Reply};
use crate::sandbox::faults::{Fault, FaultKind, RequestClass};
use crate::sandbox::json::Out;
use crate::sandbox::org::{ApiError, Org, WriteRecord};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::Method;
use serde_json::{json, Map, Value};

/// Salesforce's limit on subrequests in one composite call.
pub const MAX_SUBREQUESTS: usize = 25;

/// Headers a subrequest inherits from the call and may not set itself.
const INHERITED: [&str; 3] = ["accept", "authorization", "content-type"];

struct SubRequest {
    method: Method,
    url: String,
    reference_id: String,
    body: Option<Value>,
    headers: Vec<(String, String)>,
}

/// One subrequest's answer.
struct SubAnswer {
    status: u16,
    headers: Vec<(String, String)>,
    /// The body as sent (ordered JSON text), or `None` for no body.
    body: Option<Vec<u8>>,
    /// The body parsed, for references.
    parsed: Value,
    /// It ran and succeeded: later subrequests may refer to it.
    usable: bool,
}

/// The whole call: its reply (to which the caller adds the limit header) or a dropped answer,
/// and the latency the subrequests' faults add (slept by the caller, outside the org's lock).
pub(super) fn composite(org: &mut Org, r: &DataRequest, call_drop_after_write: bool) -> (Outcome, u64) {
    let (all_or_none, subs) = match parse(r.body) {
        Ok(p) => p,
        Err(e) => {
            rearm(org, call_drop_after_write);
            return (Outcome::Reply(Reply::from(e)), 0);
        }
    };
    // Every subrequest's fault, decided before the first runs.
    let mut taken: Vec<Option<FaultKind>> = Vec::with_capacity(subs.len());
    let mut latency = 0;
    for s in &subs {
        let (ms, kind) = crate::sandbox::faults::take(&mut org.faults, class_of(s));
        latency += ms;
        taken.push(kind);
    }
    (run(org, r, all_or_none, &subs, &taken, call_drop_after_write), latency)
}

fn run(
    org: &mut Org,
    r: &DataRequest,
    all_or_none: bool,
    subs: &[SubRequest],
    taken: &[Option<FaultKind>],
    call_drop_after_write: bool,
) -> Outcome {
    if taken.contains(&Some(FaultKind::InvalidSession)) {
        let rest: Vec<Fault> = taken
            .iter()
            .flatten()
            .filter(|k| **k != FaultKind::InvalidSession)
            .map(|k| Fault::new(*k, 1))
            .collect();
        org.faults.splice(0..0, rest);
        rearm(org, call_drop_after_write);
        return Outcome::Reply(invalid_session());
    }
    if taken.contains(&Some(FaultKind::DropBeforeWrite)) {
        return Outcome::Drop;
    }
    // allOrNone: the state to go back to if a subrequest fails.
    let snapshot = all_or_none.then(|| org.tables.clone());
    let mut answers: Vec<SubAnswer> = Vec::with_capacity(subs.len());
    let mut writes: Vec<WriteRecord> = Vec::new();
    let mut drop_answer = false;
    let mut halted = false;
    for (i, s) in subs.iter().enumerate() {
        if halted {
            answers.push(halted_answer());
            continue;
        }
        let answer = match resolve(s, &subs[..i], &answers) {
            Err(message) => not_executed(&message),
            Ok((url, body)) => {
                let (answer, write) = run_one(org, r, s, &url, body, taken[i]);
                if let Some(w) = write {
                    if taken[i] == Some(FaultKind::DropAfterWrite) {
                        drop_answer = true;
                    }
                    writes.push(w);
                } else if taken[i] == Some(FaultKind::DropAfterWrite) {
                    // Nothing written: the fault waits for the next write, as outside a composite.
                    org.faults.insert(0, Fault::new(FaultKind::DropAfterWrite, 1));
                }
                answer
            }
        };
        if all_or_none && !answer.usable {
            halted = true;
        }
        answers.push(answer);
    }
    if let (true, Some(tables)) = (halted, snapshot) {
        // One failed: nothing of the call stays, and every answer says so.
        org.tables = tables;
        writes.clear();
        let failed = answers.iter().position(|a| !a.usable);
        for (i, a) in answers.iter_mut().enumerate() {
            if Some(i) != failed {
                *a = halted_answer();
            }
        }
        drop_answer = false;
    }
    let dropping = drop_answer || (call_drop_after_write && !writes.is_empty());
    rearm(org, call_drop_after_write && writes.is_empty());
    for mut w in writes {
        w.response_dropped = dropping;
        org.log_write(w);
    }
    if dropping {
        return Outcome::Drop;
    }
    let items: Vec<Out> = subs
        .iter()
        .zip(&answers)
        .map(|(s, a)| {
            let mut headers = Out::obj();
            for (k, v) in &a.headers {
                headers = headers.with(k, json!(v));
            }
            Out::obj()
                .with(
                    "body",
                    match &a.body {
                        Some(b) => Out::Raw(String::from_utf8_lossy(b).into_owned()),
                        None => Out::Val(Value::Null),
                    },
                )
                .with("httpHeaders", headers)
                .with("httpStatusCode", json!(a.status))
                .with("referenceId", json!(s.reference_id))
        })
        .collect();
    Outcome::Reply(Reply::json(200, Out::obj().with("compositeResponse", Out::Arr(items))))
}

/// The call's `drop_after_write` found nothing written: it waits for the next write.
fn rearm(org: &mut Org, rearm: bool) {
    if rearm {
        org.faults.insert(0, Fault::new(FaultKind::DropAfterWrite, 1));
    }
}

fn bad(message: &str) -> ApiError {
    ApiError::new(400, "INVALID_API_INPUT", message, None)
}

/// The call's body: `allOrNone` and the subrequests, each checked.
fn parse(body: &[u8]) -> Result<(bool, Vec<SubRequest>), ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            400,
            "JSON_PARSER_ERROR",
            &format!("The request body is not valid JSON: {e}"),
            None,
        )
    })?;
    let all_or_none = match v.get("allOrNone") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("allOrNone must be a boolean")),
    };
    let list = v
        .get("compositeRequest")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("compositeRequest is required and must be an array of subrequests"))?;
    if list.is_empty() {
        return Err(bad("compositeRequest must have at least one subrequest"));
    }
    if list.len() > MAX_SUBREQUESTS {
        return Err(bad(&format!(
            "compositeRequest has {} subrequests; the limit is {MAX_SUBREQUESTS}",
            list.len()
        )));
    }
    let mut subs: Vec<SubRequest> = Vec::with_capacity(list.len());
    for item in list {
        let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
        let method = text("method")
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .filter(|m| {
                matches!(
                    *m,
                    Method::GET | Method::POST | Method::PATCH | Method::PUT | Method::DELETE | Method::HEAD
                )
            })
            .ok_or_else(|| bad("each subrequest needs a method: GET, POST, PATCH, PUT, DELETE or HEAD"))?;
        let url = text("url").ok_or_else(|| bad("each subrequest needs a url"))?;
        let reference_id = text("referenceId").ok_or_else(|| bad("each subrequest needs a referenceId"))?;
        let valid_ref = !reference_id.is_empty()
            && reference_id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && reference_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_ref {
            return Err(bad(&format!(
                "referenceId `{reference_id}` must start with a letter and hold only letters, digits and underscores"
            )));
        }
        if subs.iter().any(|s| s.reference_id == reference_id) {
            return Err(bad(&format!("Duplicate referenceId `{reference_id}`")));
        }
        let mut headers = Vec::new();
        if let Some(h) = item.get("httpHeaders") {
            let map = h.as_object().ok_or_else(|| bad("httpHeaders must be an object"))?;
            for (k, v) in map {
                if INHERITED.contains(&k.to_ascii_lowercase().as_str()) {
                    return Err(bad(&format!(
                        "The `{k}` header of a subrequest is inherited from the composite request and cannot be set"
                    )));
                }
                let v = v
                    .as_str()
                    .ok_or_else(|| bad(&format!("header `{k}` must be a string")))?;
                headers.push((k.clone(), v.to_string()));
            }
        }
        subs.push(SubRequest {
            method,
            url,
            reference_id,
            body: item.get("body").filter(|b| !b.is_null()).cloned(),
            headers,
        });
    }
    Ok((all_or_none, subs))
}

fn class_of(s: &SubRequest) -> RequestClass {
    let is_read = s.method == Method::GET || s.method == Method::HEAD;
    let is_query = s
        .url
        .split('?')
        .next()
        .is_some_and(|p| p.trim_end_matches('/').ends_with("/query"));
    match (is_read, is_query) {
        (true, true) => RequestClass::Query,
        (true, false) => RequestClass::Read,
        _ => RequestClass::Write,
    }
}

/// The subrequest's url and body with every `@{ref.path}` replaced by the earlier answer's
/// value; `Err` (why) when a reference has no value, so the subrequest does not run.
fn resolve(s: &SubRequest, earlier: &[SubRequest], answers: &[SubAnswer]) -> Result<(String, Option<Value>), String> {
    let lookup = |expr: &str| -> Result<Value, String> {
        let (name, path) = expr.split_once('.').unwrap_or((expr, ""));
        let Some(i) = earlier.iter().position(|e| e.reference_id == name) else {
            return Err(format!(
                "Invalid reference specified. No value for {expr} found in {name}. Provided referenceId must be on a previous request."
            ));
        };
        let a = &answers[i];
        if !a.usable {
            return Err(format!(
                "Invalid reference specified. No value for {expr} found in {name}: the referenced subrequest did not succeed."
            ));
        }
        value_at(&a.parsed, path)
            .ok_or_else(|| format!("Invalid reference specified. No value for {expr} found in {name}."))
    };
    let url = substitute(&s.url, &lookup)?;
    let body = match &s.body {
        Some(b) => Some(substitute_value(b, &lookup)?),
        None => None,
    };
    Ok((url, body))
}

/// `records[0].Id`, `OwnerId`: the value at a dotted path with array indexes; `None` when it
/// is missing or null.
fn value_at(v: &Value, path: &str) -> Option<Value> {
    let mut cur = v;
    if path.is_empty() {
        return Some(cur.clone());
    }
    for part in path.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(p) => (&part[..p], &part[p..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            cur = cur.get(key)?;
        }
        let mut rest = indexes;
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let n: usize = r[..end].parse().ok()?;
            cur = cur.get(n)?;
            rest = &r[end + 1..];
        }
    }
    (!cur.is_null()).then(|| cur.clone())
}

fn substitute(text: &str, lookup: &dyn Fn(&str) -> Result<Value, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        match lookup(&after[..end])? {
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn substitute_value(v: &Value, lookup: &dyn Fn(&str) -> Result<Value, String>) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => {
            // A value that is one reference and nothing else takes the referenced value as is.
            if let Some(expr) = s
                .strip_prefix("@{")
                .and_then(|r| r.strip_suffix('}'))
                .filter(|e| !e.contains('}'))
            {
                lookup(expr)?
            } else {
                Value::String(substitute(s, lookup)?)
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| substitute_value(i, lookup))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), substitute_value(v, lookup)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Runs one subrequest through the same routes a request alone would take.
fn run_one(
    org: &mut Org,
    call: &DataRequest,
    s: &SubRequest,
    url: &str,
    body: Option<Value>,
    fault: Option<FaultKind>,
) -> (SubAnswer, Option<WriteRecord>) {
    let Some(rest) = url.strip_prefix("/services/data/") else {
        return (answer_of(Reply::from(ApiError::not_found())), None);
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let segments: Vec<String> = path.split('/').map(decode_segment).collect();
    let version = match api_version(&segments[0]) {
        Ok(v) => v,
        Err(r) => return (answer_of(r), None),
    };
    if segments.get(1).is_some_and(|s| s.starts_with("composite")) {
        return (
            answer_of(Reply::from(bad("A composite subrequest cannot be a composite request"))),
            None,
        );
    }
    if let Some(kind) = fault {
        if let Some(Outcome::Reply(r)) = fault_answer(kind, segments.get(4).map(String::as_str)) {
            return (answer_of(r), None);
        }
    }
    // What the call says for all its subrequests: the body's type, and the client's tag
    // (`Sforce-Call-Options`), which Salesforce's logs show for each request of the call.
    let mut headers = HeaderMap::new();
    for name in ["content-type", "sforce-call-options"] {
        if let Some(v) = call.headers.get(name) {
            headers.insert(name, v.clone());
        }
    }
    for (k, v) in &s.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
            headers.append(name, value);
        }
    }
    let body_bytes = body
        .map(|b| serde_json::to_vec(&b).unwrap_or_default())
        .unwrap_or_default();
    let data = DataRequest {
        method: &s.method,
        segments: &segments[1..],
        query,
        target: url,
        headers: &headers,
        body: &body_bytes,
        version: &version,
        user_id: call.user_id,
        now: call.now,
    };
    if fault == Some(FaultKind::RecordAppears) {
        records::record_appears(org, &data);
    }
    match dispatch(org, &data) {
        Ok((reply, write)) => (answer_of(reply), write),
        Err(e) => (answer_of(Reply::from(e)), None),
    }
}

fn answer_of(reply: Reply) -> SubAnswer {
    let body = (!reply.body.is_empty()).then_some(reply.body);
    let parsed = body
        .as_deref()
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(Value::Null);
    let headers = reply
        .headers
        .into_iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type") && !k.eq_ignore_ascii_case("sforce-limit-info"))
        .map(|(k, v)| (header_case(&k), v))
        .collect();
    SubAnswer {
        usable: reply.status < 400,
        status: reply.status,
        headers,
        body,
        parsed,
    }
}

/// `last-modified` -> `Last-Modified`, `etag` -> `ETag`: as Salesforce writes them.
fn header_case(name: &str) -> String {
    if name.eq_ignore_ascii_case("etag") {
        return "ETag".into();
    }
    name.split('-')
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A subrequest not run because a reference it needs has no value.
fn not_executed(message: &str) -> SubAnswer {
    answer_of(ApiError::new(400, "PROCESSING_HALTED", message, None).into())
}

/// A subrequest of an `allOrNone` call that failed elsewhere: rolled back or never run.
fn halted_answer() -> SubAnswer {
    not_executed("The transaction was rolled back since another operation in the same transaction failed.")
}
