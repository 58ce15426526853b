//! Getting an access token: JWT bearer (an RS256 assertion signed with the lane's private key)
//! or client credentials (consumer secret). Tokens live in memory only and are never logged.

use super::error::SalesforceError;
use super::secret::SecretString;
use super::{is_allowed_url, origin_of};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderValue, ACCEPT};
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::Value;
use zeroize::Zeroizing;

const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// "A few minutes ahead": long enough for clock skew, short enough to be useless if leaked.
const ASSERTION_LIFETIME_SECS: i64 = 180;

/// What the lane's secret is.
pub enum Credential {
    /// RSA private key in PEM (PKCS#8 or PKCS#1), for JWT bearer.
    JwtBearer { private_key_pem: SecretString },
    /// The consumer secret of an app with a Run-As user, for client credentials.
    ClientCredentials { client_secret: SecretString },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::JwtBearer { .. } => f.write_str("JwtBearer(<redacted>)"),
            Credential::ClientCredentials { .. } => f.write_str("ClientCredentials(<redacted>)"),
        }
    }
}

/// The parsed secret: the key is parsed once, up front, so a bad PEM fails before any call.
pub(crate) enum KeyMaterial {
    Jwt(Box<RsaKeyPair>),
    Secret(SecretString),
}

impl KeyMaterial {
    pub(crate) fn from_credential(c: Credential) -> Result<KeyMaterial, SalesforceError> {
        match c {
            Credential::JwtBearer { private_key_pem } => {
                // The PEM's content never goes into the message.
                let key = rsa_private_key(private_key_pem.expose()).ok_or_else(|| SalesforceError::Config("the JWT bearer secret is not an RSA private key of 2048 bits or more in PEM (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`)".into()))?;
                Ok(KeyMaterial::Jwt(Box::new(key)))
            }
            Credential::ClientCredentials { client_secret } => {
                if client_secret.is_empty() {
                    return Err(SalesforceError::Config("the consumer secret is empty".into()));
                }
                Ok(KeyMaterial::Secret(client_secret))
            }
        }
    }
}

/// An RSA private key from PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE
/// KEY`). Parsed and later used by ring, whose RSA is constant-time; the decoded bytes are
/// zeroized once parsed. `None` says only that it is not such a key, never why in its words.
pub fn rsa_private_key(pem: &str) -> Option<RsaKeyPair> {
    let (label, der) = pem_block(pem)?;
    match label.as_str() {
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der).ok(),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der).ok(),
        _ => None,
    }
}

/// The first PEM block: its label and its decoded content (zeroized when dropped).
fn pem_block(pem: &str) -> Option<(String, Zeroizing<Vec<u8>>)> {
    use base64::engine::general_purpose::STANDARD;
    let mut lines = pem.lines().map(str::trim).skip_while(|l| !l.starts_with("-----BEGIN "));
    let label = lines
        .next()?
        .strip_prefix("-----BEGIN ")?
        .strip_suffix("-----")?
        .to_string();
    let end = format!("-----END {label}-----");
    let mut body = Zeroizing::new(String::new());
    for line in lines.by_ref() {
        if line == end {
            let der = Zeroizing::new(STANDARD.decode(body.as_bytes()).ok()?);
            return Some((label, der));
        }
        // Encapsulated headers (`Proc-Type:`) mean an encrypted key, which ring cannot read.
        if line.contains(':') {
            return None;
        }
        body.push_str(line);
    }
    None
}

/// A token and what came with it. The token itself stays inside this module's callers.
pub(crate) struct Token {
    pub access_token: SecretString,
    /// Origin of `instance_url` (scheme://host[:port]): where data calls go.
    pub instance: String,
    pub user_id: String,
    pub org_id: String,
    pub issued_at: Option<DateTime<Utc>>,
    /// Which fetch produced it, so a refresh replaces only the token that failed.
    pub generation: u64,
}

/// Builds the signed JWT bearer assertion.
pub(crate) fn assertion(
    key: &RsaKeyPair,
    client_id: &str,
    username: &str,
    audience: &str,
    now: DateTime<Utc>,
) -> Result<SecretString, SalesforceError> {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
    let claims = serde_json::json!({
        "iss": client_id,
        "sub": username,
        "aud": audience,
        "exp": now.timestamp() + ASSERTION_LIFETIME_SECS,
    });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{claims}");
    let mut sig = vec![0u8; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| SalesforceError::Config("signing the JWT assertion failed".into()))?;
    Ok(SecretString::new(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(&sig)
    )))
}

/// POSTs to `{login}/services/oauth2/token` and reads the answer.
pub(crate) async fn fetch_token(
    http: &reqwest::Client,
    login: &str,
    client_id: &str,
    username: &str,
    audience: &str,
    signer: &KeyMaterial,
    generation: u64,
) -> Result<Token, SalesforceError> {
    let url = format!("{login}/services/oauth2/token");
    let assertion_holder;
    let form: Vec<(&str, &str)> = match signer {
        KeyMaterial::Jwt(key) => {
            assertion_holder = assertion(key, client_id, username, audience, Utc::now())?;
            vec![("grant_type", JWT_GRANT), ("assertion", assertion_holder.expose())]
        }
        KeyMaterial::Secret(secret) => vec![
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret.expose()),
        ],
    };
    let resp = http
        .post(&url)
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .form(&form)
        .send()
        .await
        .map_err(super::transport::classify)?;
    let status = resp.status().as_u16();
    // A token answer is under 2 kB; 1 MB is plenty.
    let body = super::transport::read_body(resp, 1024 * 1024).await?;
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    if !(200..300).contains(&status) {
        if let Some(e) = super::transport::oauth_error(status, json.as_ref()) {
            return Err(e);
        }
        // A failed token answer carries no token, so a short excerpt is safe to show.
        return Err(SalesforceError::Unexpected {
            status,
            snippet: super::transport::snippet(&body),
        });
    }
    // A successful answer holds the token: its text never goes into an error.
    let json = json.ok_or_else(|| SalesforceError::Unexpected {
        status,
        snippet: "token answer is not JSON".into(),
    })?;
    let field = |k: &str| json.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let access_token = field("access_token").ok_or_else(|| SalesforceError::Unexpected {
        status,
        snippet: "token answer has no access_token".into(),
    })?;
    let instance_url = field("instance_url").ok_or_else(|| SalesforceError::Unexpected {
        status,
        snippet: "token answer has no instance_url".into(),
    })?;
    let parsed = reqwest::Url::parse(instance_url).map_err(|_| SalesforceError::Unexpected {
        status,
        snippet: format!("instance_url `{instance_url}` is not a URL"),
    })?;
    // Never send the token to plain HTTP off this machine, whoever said so.
    if !is_allowed_url(&parsed) {
        return Err(SalesforceError::Config(format!(
            "the token answer's instance_url `{instance_url}` is neither https nor loopback http"
        )));
    }
    let id = field("id").unwrap_or_default();
    let mut parts = id.trim_end_matches('/').rsplit('/');
    let user_id = parts.next().unwrap_or_default().to_string();
    let org_id = parts.next().unwrap_or_default().to_string();
    if super::encode::record_id(&user_id).is_err() || !user_id.starts_with("005") {
        return Err(SalesforceError::Unexpected {
            status,
            snippet: "token answer's `id` names no user".into(),
        });
    }
    // `issued_at` is documented in seconds but real values are milliseconds.
    let issued_at = field("issued_at").and_then(|s| s.parse::<i64>().ok()).and_then(|n| {
        if n > 100_000_000_000 {
            DateTime::from_timestamp_millis(n)
        } else {
            DateTime::from_timestamp(n, 0)
        }
    });
    Ok(Token {
        access_token: SecretString::new(access_token),
        instance: origin_of(&parsed),
        user_id,
        org_id,
        issued_at,
        generation,
    })
}
