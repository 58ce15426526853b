//! Sending one request: the bearer header (marked sensitive), the common headers, one refresh
//! on `INVALID_SESSION_ID`, `Sforce-Limit-Info`, and the mapping of every failure to a typed
//! error that says whether the request was sent.

use super::error::{parse_error_items, ApiUsage, SalesforceError};
use super::SalesforceClient;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The console's tag in Salesforce's logs (`Sforce-Call-Options: client=...`).
pub const CALL_OPTIONS: &str = "client=replay-console";

/// A request, ready to be sent once or (after a refresh) twice.
pub(crate) struct Call {
    pub method: Method,
    /// Path and query below the instance origin, e.g. `/services/data/v66.0/sobjects/...`.
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<Vec<u8>>,
}

#[derive(Clone)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Maps a reqwest failure to "never sent" or "sent, no answer". Only a failure to connect
/// proves nothing left; anything later (timeouts included) leaves the outcome open.
pub(crate) fn classify(e: reqwest::Error) -> SalesforceError {
    if e.is_builder() {
        SalesforceError::InvalidInput(describe(&e))
    } else if e.is_connect() {
        SalesforceError::NotSent(describe(&e))
    } else {
        SalesforceError::NoAnswer(describe(&e))
    }
}

/// An error's text without its URL: URLs carry external IDs and queries, and a log line
/// should not.
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    if e.is_timeout() {
        parts.push("timed out".to_string());
    }
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    if parts.is_empty() {
        parts.push(e.without_url_ref_string());
    }
    let mut text = parts.join(": ");
    if text.contains("invalid peer certificate: UnknownIssuer") {
        text.push_str(
            " (the org's certificate is issued by a root this machine does not trust; behind a proxy that \
             inspects TLS, install its root certificate in the operating system's store or name it in the \
             lane's connection.extra_ca_file)",
        );
    }
    text
}

trait WithoutUrl {
    fn without_url_ref_string(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref_string(&self) -> String {
        let mut s = self.to_string();
        if let Some(u) = self.url() {
            s = s.replace(u.as_str(), "<url>");
        }
        s
    }
}

/// A short, single-line excerpt of an unexpected body.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    one_line.trim().to_string()
}

fn is_invalid_session(a: &Answer) -> bool {
    // The identity endpoints answer a dead token with 403 `Bad_OAuth_Token` in plain text.
    if a.status == StatusCode::FORBIDDEN && a.body.starts_with(b"Bad_OAuth_Token") {
        return true;
    }
    if a.status != StatusCode::UNAUTHORIZED {
        return false;
    }
    match a.json().as_ref().and_then(parse_error_items) {
        Some(items) => items.iter().any(|i| i.error_code == "INVALID_SESSION_ID"),
        // A 401 with Salesforce's challenge header and no body still means the session.
        None => a.headers.get("www-authenticate").is_some(),
    }
}

impl SalesforceClient {
    /// Sends with the cached token; on `INVALID_SESSION_ID` fetches one new token and sends
    /// once more (safe for writes: Salesforce checks the session before doing anything).
    pub(crate) async fn send(&self, call: &Call) -> Result<Answer, SalesforceError> {
        let token = self.token().await?;
        let first = self.send_once(call, &token).await?;
        if !is_invalid_session(&first) {
            return Ok(first);
        }
        tracing::debug!(path = %path_only(&call.path), "session expired or invalid; fetching a new token once");
        self.invalidate(token.generation).await;
        let token = self.token().await?;
        self.send_once(call, &token).await
    }

    async fn send_once(&self, call: &Call, token: &super::auth::Token) -> Result<Answer, SalesforceError> {
        let url = format!("{}{}", token.instance, call.path);
        if url.len() > super::MAX_URL_BYTES {
            return Err(SalesforceError::InvalidInput(format!(
                "the request URL would be {} bytes; Salesforce refuses more than {}",
                url.len(),
                super::MAX_URL_BYTES
            )));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.access_token.expose()))
            .map_err(|_| SalesforceError::Config("the access token is not a valid header value".into()))?;
        // Keeps the token out of hyper's and reqwest's debug output.
        auth.set_sensitive(true);
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), &url)
            .header(AUTHORIZATION, auth)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header("sforce-call-options", HeaderValue::from_static(CALL_OPTIONS));
        for (k, v) in &call.headers {
            req = req.header(k, v.clone());
        }
        if let Some(body) = &call.body {
            req = req
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone());
        }
        let started = std::time::Instant::now();
        let resp = req.send().await.map_err(classify)?;
        let status = resp.status();
        let headers = resp.headers().clone();
        // Headers arrived but the body broke off (or grew past the limit): for a write, the
        // outcome is open.
        let body = read_body(resp, MAX_ANSWER_BYTES).await?;
        if let Some(u) = headers
            .get("sforce-limit-info")
            .and_then(|v| v.to_str().ok())
            .and_then(ApiUsage::parse)
        {
            self.note_usage(u);
        }
        tracing::debug!(method = %call.method, path = %path_only(&call.path), status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "salesforce call");
        Ok(Answer { status, headers, body })
    }

    /// The error a non-success answer stands for.
    pub(crate) fn error_for(&self, a: &Answer) -> SalesforceError {
        let usage = a
            .headers
            .get("sforce-limit-info")
            .and_then(|v| v.to_str().ok())
            .and_then(ApiUsage::parse);
        let status = a.status.as_u16();
        let json = a.json();
        if status == 300 {
            let urls: Vec<String> = json
                .as_ref()
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            let ids = urls
                .iter()
                .filter_map(|u| u.rsplit('/').next())
                .map(str::to_string)
                .collect();
            return SalesforceError::MultipleMatches { urls, ids };
        }
        if status == 412 {
            return SalesforceError::PreconditionFailed;
        }
        let Some(items) = json.as_ref().and_then(parse_error_items) else {
            if let Some(e) = oauth_error(status, json.as_ref()) {
                return e;
            }
            return SalesforceError::Unexpected {
                status,
                snippet: snippet(&a.body),
            };
        };
        let first_code = items.first().map(|i| i.error_code.as_str()).unwrap_or_default();
        if status == 403 && first_code == "REQUEST_LIMIT_EXCEEDED" {
            let message = items.first().map(|i| i.message.clone()).unwrap_or_default();
            return SalesforceError::LimitExceeded {
                message,
                api_usage: usage,
            };
        }
        if status == 404
            && first_code == "NOT_FOUND"
            && !items
                .iter()
                .any(|i| i.message.starts_with("Provided external ID field does not exist"))
        {
            let message = items.first().map(|i| i.message.clone()).unwrap_or_default();
            return SalesforceError::NotFound { message };
        }
        SalesforceError::Api {
            status,
            errors: items,
            api_usage: usage,
        }
    }
}

/// The path without its query string, for logs.
fn path_only(p: &str) -> &str {
    p.split('?').next().unwrap_or(p)
}

/// An OAuth error answer (`{"error": ..., "error_description": ...}`), if the body is one.
pub(crate) fn oauth_error(status: u16, json: Option<&Value>) -> Option<SalesforceError> {
    let err = json?.get("error")?.as_str()?;
    let description = json
        .and_then(|j| j.get("error_description"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(SalesforceError::OAuth {
        status,
        error: err.into(),
        description: description.into(),
    })
}

/// The largest answer read: a query page of 2,000 wide records or a 25-part composite answer is
/// a few MB. A larger one is not read on (memory stays bounded whatever the server sends).
pub(crate) const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// The answer's body, chunk by chunk, refused once it holds more than `max` bytes (at once when
/// its Content-Length says so). A refusal is [`SalesforceError::NoAnswer`]: for a write the
/// outcome is then unknown, as for an answer that broke off.
pub(crate) async fn read_body(mut resp: reqwest::Response, max: usize) -> Result<bytes::Bytes, SalesforceError> {
    let too_big = || {
        SalesforceError::NoAnswer(format!(
            "the answer is larger than {} MB, more than any Salesforce answer this console asks for; it was not read",
            max / (1024 * 1024)
        ))
    };
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_big());
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| SalesforceError::NoAnswer(format!("the answer broke off: {}", describe(&e))))?
    {
        if body.len() + chunk.len() > max {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
