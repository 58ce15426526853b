//! The HTTP side: a hyper 1 server on loopback, routing, the data API and the control API.
//! A handler that must "drop the connection without answering" returns `Err(Dropped)`: hyper
//! then closes the connection and writes no response.
//!
//! By job: this file accepts connections and routes by path; `data` is the data API's
//! gatekeeping (faults, session, allowance) and its routes, `records` the sObject resources,
//! `query` SOQL and its cursors, `control` the `/__sandbox/` API, `reply` the response type.

mod composite;
mod control;
mod data;
mod query;
mod records;
mod reply;

pub use reply::Reply;

use super::faults::RequestClass;
use super::json::Out;
use super::oauth;
use super::org::{ApiError, Org};
use bytes::Bytes;
use chrono::{DateTime, SubsecRound, Utc};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Salesforce answers 414 past this many bytes of URI.
const MAX_URI: usize = 16_384;

pub struct Shared {
    pub org: Mutex<Org>,
    pub base_url: String,
    /// The control API's token for this run (`X-Sandbox-Token`), known only to the process that
    /// started the org: a web page in the same person's browser can reach loopback, not this.
    pub control_token: String,
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

/// What a route sees of a request: its parts, the body read whole.
struct Received<'a> {
    peer: SocketAddr,
    method: &'a Method,
    path: &'a str,
    query: Option<&'a str>,
    /// Path and query as received.
    target: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
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
    let req = Received {
        peer,
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query(),
        target: &target,
        headers: &parts.headers,
        body: &body,
    };
    match route(&shared, &req).await {
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

async fn route(shared: &Shared, req: &Received<'_>) -> Outcome {
    let path = req.path;
    if let Some(rest) = path.strip_prefix("/__sandbox/") {
        if !req.peer.ip().is_loopback() {
            return Outcome::Reply(Reply::text(403, "the control API answers loopback only"));
        }
        // `health` says only that the org is up; everything else changes or reveals the org.
        if rest != "health" {
            if let Err(why) = control::allowed(shared, req.headers) {
                return Outcome::Reply(Reply::text(403, why));
            }
        }
        return Outcome::Reply(control::control(shared, req.method, rest, req.body));
    }
    let base = shared.base_url.as_str();
    if path == "/services/oauth2/token" {
        return token(shared, req).await;
    }
    if path == "/services/oauth2/userinfo" {
        let org = shared.org();
        return Outcome::Reply(oauth::userinfo(&org, base, bearer(req.headers), now()));
    }
    if let Some(rest) = path.strip_prefix("/id/") {
        let org = shared.org();
        return Outcome::Reply(match rest.split('/').collect::<Vec<_>>().as_slice() {
            [o, u] => oauth::identity(&org, base, bearer(req.headers), o, u, now()),
            _ => Reply::text(404, "Bad_Id"),
        });
    }
    if path == "/services/data" || path == "/services/data/" {
        return Outcome::Reply(data::versions());
    }
    if let Some(rest) = path.strip_prefix("/services/data/") {
        return data::data_api(shared, req, rest).await;
    }
    Outcome::Reply(ApiError::not_found().into())
}

/// `/services/oauth2/token`: POST only, subject to the token faults.
async fn token(shared: &Shared, req: &Received<'_>) -> Outcome {
    if req.method != Method::POST {
        return Outcome::Reply(Reply::json(
            405,
            Out::Val(json!({"error": "invalid_request", "error_description": "must use HTTP POST"})),
        ));
    }
    let fault = data::pre_request(shared, RequestClass::Token).await;
    if let Some(kind) = fault {
        if let Some(o) = data::fault_answer(kind, None) {
            return o;
        }
    }
    let auth = req.headers.get("authorization").and_then(|v| v.to_str().ok());
    let mut org = shared.org();
    Outcome::Reply(oauth::token(&mut org, &shared.base_url, auth, req.body, now()))
}
