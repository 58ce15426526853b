//! The control API (`/__sandbox/...`, loopback only): what tests and the CLI use to look into
//! the org and steer it (writes, faults, tokens, latency, usage, records made by someone else).

use super::data::decode_segment;
use super::{now, Reply, Shared};
use crate::sandbox::faults::Fault;
use crate::sandbox::json::Out;
use crate::sandbox::org::Org;
use crate::sandbox::seed::LATEST_API_VERSION;
use hyper::Method;
use serde_json::{json, Value};

/// Whether a control request may go on: its Host names loopback (a page's request through a
/// rebound DNS name carries that name instead) and it carries this run's token.
pub(super) fn allowed(shared: &Shared, headers: &hyper::HeaderMap) -> Result<(), &'static str> {
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("");
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    if !matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
        return Err("the control API answers requests addressed to 127.0.0.1 or localhost only");
    }
    let given = headers.get("x-sandbox-token").map(|v| v.as_bytes()).unwrap_or_default();
    let expected = shared.control_token.as_bytes();
    // Compared in time independent of where they differ.
    let same = given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if !same {
        return Err(
            "the control API needs this run's token in X-Sandbox-Token (printed by the process that started the org)",
        );
    }
    Ok(())
}

pub(super) fn control(shared: &Shared, method: &Method, rest: &str, body: &[u8]) -> Reply {
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
        (Method::POST, "faults") => queue_faults(&mut org, body),
        (Method::POST, "tokens/expire") => {
            let n = org.sessions.len();
            org.sessions.clear();
            ok(json!({"expired": n}))
        }
        (Method::POST, "latency") => match body_number(body, "latency_ms") {
            Some(ms) => {
                org.settings.latency_ms = ms;
                ok(json!({"latency_ms": ms}))
            }
            None => bad("expected {\"latency_ms\": N}".into()),
        },
        (Method::GET, "usage") => ok(json!({"api_usage": org.api_usage, "api_limit": org.settings.api_limit})),
        (Method::POST, "usage") => match body_number(body, "api_usage") {
            Some(n) => {
                org.api_usage = n;
                ok(json!({"api_usage": n}))
            }
            None => bad("expected {\"api_usage\": N}".into()),
        },
        (Method::POST, r) if r.starts_with("records/") => insert_record(&mut org, &r["records/".len()..], body),
        (Method::GET, r) if r.starts_with("records/") => list_records(&org, &r["records/".len()..]),
        _ => Reply::json(
            404,
            Out::Val(
                json!({"error": "unknown control endpoint", "endpoints": ["GET health", "GET|DELETE writes", "GET|POST|DELETE faults", "POST tokens/expire", "POST latency", "GET|POST usage", "GET records/{Object}", "POST records/{Object} (made by someone else)"]}),
            ),
        ),
    }
}

fn ok(v: Value) -> Reply {
    Reply::json(200, Out::Val(v))
}

fn bad(m: String) -> Reply {
    Reply::json(400, Out::Val(json!({"error": m})))
}

fn no_object(object: &str) -> Reply {
    Reply::json(404, Out::Val(json!({"error": format!("no object {object}")})))
}

/// `{"KEY": N}` in the body: N.
fn body_number(body: &[u8], key: &str) -> Option<u64> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get(key).and_then(Value::as_u64))
}

/// `POST faults`: one fault or an array of them; those with a count of 0 are dropped.
fn queue_faults(org: &mut Org, body: &[u8]) -> Reply {
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

/// `POST records/{Object}`: a record made by the org's admin (someone else).
fn insert_record(org: &mut Org, object: &str, body: &[u8]) -> Reply {
    let object = decode_segment(object);
    let Some(t) = org.table_index(&object) else {
        return no_object(&object);
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

/// `GET records/{Object}`: every record, as `GET` by Id renders it.
fn list_records(org: &Org, object: &str) -> Reply {
    let object = decode_segment(object);
    let Some(t) = org.table_index(&object) else {
        return no_object(&object);
    };
    let table = &org.tables[t];
    let rows: Vec<Out> = table
        .rows
        .iter()
        .map(|row| table.render(row, LATEST_API_VERSION, None))
        .collect();
    Reply::json(200, Out::Arr(rows))
}
