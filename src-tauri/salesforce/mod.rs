//! The Salesforce REST client the console uses: one `reqwest::Client` with timeouts, built in
//! [`build_http_client`]; JWT bearer or client credentials with the token cached in memory and
//! fetched again once on `INVALID_SESSION_ID`; an identity check; records by external ID and by
//! Id; conditional update; upsert; SOQL with paging; owner look-up.
//!
//! It follows `shared/SALESFORCE.md` on its own and shares no code with `crate::sandbox`.

mod api;
mod auth;
mod composite;
pub mod encode;
mod error;
mod secret;
mod transport;

pub use api::{
    AutoAssign, CreateResult, ExternalIdLookup, FieldDescribe, Identity, Owner, QueryResult, SfRecord, UpdateOptions,
    UpsertOptions, UpsertResult,
};
pub use auth::{rsa_private_key, Credential};
pub use composite::{KeyQuery, PreflightReads, WriteAndReadBack, MAX_SUBREQUESTS};
pub use error::{ApiErrorItem, ApiUsage, Delivery, DuplicateInfo, RecordError, SalesforceError};
pub use secret::SecretString;
pub use transport::CALL_OPTIONS;

use auth::{KeyMaterial, Token};
use std::sync::Arc;
use std::time::Duration;

/// Salesforce refuses URIs over 16,384 bytes (414).
pub(crate) const MAX_URL_BYTES: usize = 16_384;

/// Timeouts of the one HTTP client.
#[derive(Debug, Clone, Copy)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// For the whole request, answer included. A write that hits it has an unknown outcome.
    pub request_timeout: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// The one HTTP client of the process. Redirects are not followed: a bearer token must not
/// travel to wherever a redirect points.
///
/// TLS trusts the operating system's certificate store (on Linux the OpenSSL locations, and
/// `SSL_CERT_FILE`/`SSL_CERT_DIR` when set) together with the bundled Mozilla roots, so a company
/// proxy that inspects TLS with its own root works once that root is installed on the machine.
pub fn build_http_client(settings: &HttpSettings) -> Result<reqwest::Client, SalesforceError> {
    builder(settings)
        .build()
        .map_err(|e| SalesforceError::Config(format!("cannot build the HTTP client: {e}")))
}

/// As [`build_http_client`], also trusting the certificates of `extra_ca_pem` (one or more PEM
/// `CERTIFICATE` blocks): a lane's own CA file.
pub fn build_http_client_trusting(
    settings: &HttpSettings,
    extra_ca_pem: &[u8],
) -> Result<reqwest::Client, SalesforceError> {
    let certs = reqwest::Certificate::from_pem_bundle(extra_ca_pem)
        .map_err(|_| SalesforceError::Config("the CA file is not PEM certificates".into()))?;
    if certs.is_empty() {
        return Err(SalesforceError::Config(
            "the CA file holds no `-----BEGIN CERTIFICATE-----` block".into(),
        ));
    }
    certs
        .into_iter()
        .fold(builder(settings), reqwest::ClientBuilder::add_root_certificate)
        .build()
        .map_err(|e| SalesforceError::Config(format!("the CA file's certificates cannot be used: {e}")))
}

fn builder(settings: &HttpSettings) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("replay-console/", env!("CARGO_PKG_VERSION")))
}

/// Where and as whom to connect: the lane contract's `connection` block.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// The org's My Domain URL; the token endpoint is `{login_url}/services/oauth2/token`.
    pub login_url: String,
    /// `66.0` (46.0 or later: upsert answers carry `created`).
    pub api_version: String,
    pub client_id: String,
    /// The user the token must act as (JWT `sub`).
    pub username: String,
    /// JWT `aud` (https://login.salesforce.com or https://test.salesforce.com).
    pub audience: String,
    /// A host outside Salesforce's domains and loopback that the secret may still go to (named
    /// when it was stored); `None`: Salesforce's hosts and loopback only.
    pub allowed_host: Option<String>,
}

/// `https://`, or `http://` to a loopback address (the simulated org) only.
pub(crate) fn is_allowed_url(u: &reqwest::Url) -> bool {
    match u.scheme() {
        "https" => u.host().is_some(),
        "http" => u.host_str().is_some_and(|h| {
            let h = h.trim_start_matches('[').trim_end_matches(']');
            h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }),
        _ => false,
    }
}

pub(crate) fn origin_of(u: &reqwest::Url) -> String {
    u.origin().ascii_serialization()
}

/// A client for one lane: its connection settings, its secret and its token. Cheap to clone;
/// clones share the token.
#[derive(Clone)]
pub struct SalesforceClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    settings: ConnectionSettings,
    login: String,
    key: KeyMaterial,
    token: tokio::sync::Mutex<Option<Arc<Token>>>,
    generation: std::sync::atomic::AtomicU64,
    usage: std::sync::Mutex<Option<ApiUsage>>,
}

impl std::fmt::Debug for SalesforceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SalesforceClient")
            .field("login_url", &self.inner.login)
            .field("api_version", &self.inner.settings.api_version)
            .field("client_id", &self.inner.settings.client_id)
            .field("username", &self.inner.settings.username)
            .finish_non_exhaustive()
    }
}

/// Facts about the current token, without the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub user_id: String,
    pub org_id: String,
    pub instance_url: String,
    pub issued_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl SalesforceClient {
    /// Checks the settings and parses the secret; no request is made yet.
    pub fn new(
        http: reqwest::Client,
        settings: ConnectionSettings,
        credential: Credential,
    ) -> Result<SalesforceClient, SalesforceError> {
        let parsed = reqwest::Url::parse(settings.login_url.trim())
            .map_err(|_| SalesforceError::Config(format!("login URL `{}` is not a URL", settings.login_url)))?;
        if !is_allowed_url(&parsed) {
            return Err(SalesforceError::Config(format!(
                "login URL `{}` must be https (plain http only to a loopback address)",
                settings.login_url
            )));
        }
        let host = parsed.host_str().unwrap_or_default().trim_matches(['[', ']']);
        if !crate::domain::hosts::may_receive_secret(host, settings.allowed_host.as_deref()) {
            return Err(SalesforceError::Config(format!(
                "login URL `{}` is not a Salesforce host or loopback; a secret is sent there only when it was allowed as it was stored",
                settings.login_url
            )));
        }
        let v = settings.api_version.trim_start_matches('v').to_string();
        let major = v.strip_suffix(".0").and_then(|m| m.parse::<u32>().ok());
        if !major.is_some_and(|m| (46..=999).contains(&m)) {
            return Err(SalesforceError::Config(format!(
                "API version `{}` must look like 66.0 and be 46.0 or later",
                settings.api_version
            )));
        }
        for (what, v) in [("client id", &settings.client_id), ("username", &settings.username)] {
            if v.trim().is_empty() {
                return Err(SalesforceError::Config(format!("the {what} is empty")));
            }
        }
        let key = KeyMaterial::from_credential(credential)?;
        let mut settings = settings;
        settings.api_version = v;
        Ok(SalesforceClient {
            inner: Arc::new(Inner {
                http,
                login: origin_of(&parsed),
                settings,
                key,
                token: tokio::sync::Mutex::new(None),
                generation: std::sync::atomic::AtomicU64::new(0),
                usage: std::sync::Mutex::new(None),
            }),
        })
    }

    pub fn settings(&self) -> &ConnectionSettings {
        &self.inner.settings
    }

    /// The last `Sforce-Limit-Info` usage seen on any answer.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        *self.inner.usage.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn note_usage(&self, u: ApiUsage) {
        *self.inner.usage.lock().unwrap_or_else(|p| p.into_inner()) = Some(u);
    }

    /// The cached token, or a new one. The lock is held across the fetch so concurrent callers
    /// wait for one token request instead of each sending their own.
    pub(crate) async fn token(&self) -> Result<Arc<Token>, SalesforceError> {
        let mut slot = self.inner.token.lock().await;
        if let Some(t) = slot.as_ref() {
            return Ok(t.clone());
        }
        let generation = self.inner.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let s = &self.inner.settings;
        let t = Arc::new(
            auth::fetch_token(
                &self.inner.http,
                &self.inner.login,
                &s.client_id,
                &s.username,
                &s.audience,
                &self.inner.key,
                generation,
            )
            .await?,
        );
        // The token goes wherever the answer says the instance is: Salesforce's or loopback only
        // (or the allowed host), whoever answered.
        let host = reqwest::Url::parse(&t.instance)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_string()))
            .unwrap_or_default();
        if !crate::domain::hosts::may_receive_secret(&host, s.allowed_host.as_deref()) {
            return Err(SalesforceError::Config(format!(
                "the token answer names `{}` as the instance, which is not a Salesforce host or loopback; the token is not used",
                t.instance
            )));
        }
        *slot = Some(t.clone());
        Ok(t)
    }

    /// Drops the cached token if it is still the one that failed.
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut slot = self.inner.token.lock().await;
        if slot.as_ref().is_some_and(|t| t.generation == generation) {
            *slot = None;
        }
    }

    /// Forgets the token (e.g. when the lane's secret changed).
    pub async fn forget_token(&self) {
        *self.inner.token.lock().await = None;
    }

    /// Gets a token (if none is cached) and says whom it was issued for.
    pub async fn token_info(&self) -> Result<TokenInfo, SalesforceError> {
        let t = self.token().await?;
        Ok(TokenInfo {
            user_id: t.user_id.clone(),
            org_id: t.org_id.clone(),
            instance_url: t.instance.clone(),
            issued_at: t.issued_at,
        })
    }

    fn data_path(&self, rest: &str) -> String {
        format!("/services/data/v{}/{rest}", self.inner.settings.api_version)
    }
}
