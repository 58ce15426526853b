//! SOQL over the data API: `GET /query?q=` runs a query, and a result larger than one batch
//! leaves a cursor that `GET /query/{locator}-{offset}` (the `nextRecordsUrl`) pages through.

use super::data::{header_str, method_not_allowed, query_param, DataRequest};
use super::Reply;
use crate::sandbox::json::Out;
use crate::sandbox::org::{ApiError, Cursor, Org};
use crate::sandbox::soql;
use hyper::Method;
use serde_json::json;

/// Cursors kept at most; the oldest go first.
const MAX_CURSORS: usize = 200;

/// `GET /query?q=SOQL`.
pub(super) fn query(org: &mut Org, r: &DataRequest) -> Result<Reply, ApiError> {
    if r.method != Method::GET {
        return Err(method_not_allowed(r.method, "GET,HEAD"));
    }
    let q = query_param(r.query, "q")
        .ok_or_else(|| ApiError::new(400, "MALFORMED_QUERY", "A query string has to be specified", None))?;
    run_query(org, r, &q)
}

/// `GET /query/{locator}-{offset}`: the next batch of a query.
pub(super) fn query_more(org: &mut Org, r: &DataRequest, locator: &str) -> Result<Reply, ApiError> {
    if r.method != Method::GET {
        return Err(method_not_allowed(r.method, "GET,HEAD"));
    }
    next_batch(org, r.version, locator)
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
    let (rows, total) = {
        let c = &org.cursors[pos].1;
        if offset >= c.rows.len() {
            return Err(invalid());
        }
        let end = (offset + c.batch).min(c.rows.len());
        (c.rows[offset..end].to_vec(), c.total)
    };
    let end = offset + rows.len();
    if end >= total {
        org.cursors.remove(pos);
        Ok(query_reply(total, true, None, rows))
    } else {
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
