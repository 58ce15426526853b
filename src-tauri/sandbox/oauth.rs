//! The OAuth 2.0 token endpoint (JWT bearer, client credentials) and the identity endpoints.
//! Errors here use OAuth's own shape, `{"error","error_description"}`.

use super::json::Out;
use super::org::{Org, Session};
use super::server::Reply;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
    Reply::json(
        status,
        Out::obj()
            .with("error", json!(error))
            .with("error_description", json!(description)),
    )
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for i in 0..64 {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new().chain_update(ipad).chain_update(msg).finalize();
    Sha256::new().chain_update(opad).chain_update(inner).finalize().into()
}

/// `application/x-www-form-urlencoded` pairs.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

pub fn form_decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

fn param<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `POST /services/oauth2/token`.
pub fn token(org: &mut Org, base_url: &str, authorization: Option<&str>, body: &[u8], now: DateTime<Utc>) -> Reply {
    let form = parse_form(body);
    match param(&form, "grant_type") {
        Some(JWT_GRANT) => jwt_bearer(org, base_url, &form, now),
        Some("client_credentials") => client_credentials(org, base_url, &form, authorization, now),
        // Username-password is blocked by default in new orgs and not offered here.
        Some(_) | None => oauth_error(400, "unsupported_grant_type", "grant type not supported"),
    }
}

fn jwt_bearer(org: &mut Org, base_url: &str, form: &[(String, String)], now: DateTime<Utc>) -> Reply {
    let invalid = || oauth_error(400, "invalid_grant", "invalid assertion");
    let Some(assertion) = param(form, "assertion") else {
        return invalid();
    };
    let parts: Vec<&str> = assertion.split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return invalid();
    };
    let decode = |x: &str| URL_SAFE_NO_PAD.decode(x.trim_end_matches('='));
    let (Ok(hb), Ok(pb), Ok(sig)) = (decode(h), decode(p), decode(s)) else {
        return invalid();
    };
    let (Ok(header), Ok(claims)) = (
        serde_json::from_slice::<Value>(&hb),
        serde_json::from_slice::<Value>(&pb),
    ) else {
        return invalid();
    };
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return invalid();
    }
    let Some(iss) = claims.get("iss").and_then(Value::as_str) else {
        return invalid();
    };
    let Some(client) = org.clients.iter().find(|c| c.client_id == iss) else {
        return oauth_error(400, "invalid_client_id", "client identifier invalid");
    };
    let Some(key) = &client.public_key else {
        return invalid();
    };
    let signed = format!("{h}.{p}");
    if !key.verifies_rs256(signed.as_bytes(), &sig) {
        return invalid();
    }
    let aud_matches = audience_ok(org, base_url, claims.get("aud"));
    if !aud_matches {
        return oauth_error(400, "invalid_grant", "audience is invalid");
    }
    match claims.get("exp").and_then(Value::as_f64) {
        Some(exp) if (exp as i64) > now.timestamp() => {}
        _ => return oauth_error(400, "invalid_grant", "expired authorization code"),
    }
    let Some(sub) = claims.get("sub").and_then(Value::as_str) else {
        return invalid();
    };
    let authorized = client
        .authorized_users
        .as_ref()
        .is_none_or(|list| list.iter().any(|u| u.eq_ignore_ascii_case(sub)));
    let client_id = client.client_id.clone();
    let Some(user) = org.user_by_username(sub) else {
        return oauth_error(400, "invalid_grant", "user hasn't approved this consumer");
    };
    if !authorized {
        return oauth_error(400, "invalid_grant", "user hasn't approved this consumer");
    }
    if user.get("IsActive").and_then(Value::as_bool) != Some(true) {
        return oauth_error(400, "invalid_grant", "inactive user");
    }
    let user_id = user.get("Id").and_then(Value::as_str).unwrap_or_default().to_string();
    issue(org, base_url, &user_id, &client_id, now)
}

/// The JWT's `aud` (a string or a list) names login/test.salesforce.com, the sandbox itself or
/// an audience the seed adds.
fn audience_ok(org: &Org, base_url: &str, aud: Option<&Value>) -> bool {
    let mut audiences = vec![
        "https://login.salesforce.com".to_string(),
        "https://test.salesforce.com".to_string(),
        base_url.to_string(),
    ];
    audiences.extend(org.settings.extra_audiences.iter().cloned());
    let aud_ok = |a: &str| {
        audiences
            .iter()
            .any(|x| x.trim_end_matches('/') == a.trim_end_matches('/'))
    };
    match aud {
        Some(Value::String(a)) => aud_ok(a),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(aud_ok),
        _ => false,
    }
}

fn client_credentials(
    org: &mut Org,
    base_url: &str,
    form: &[(String, String)],
    authorization: Option<&str>,
    now: DateTime<Utc>,
) -> Reply {
    // Credentials in the form, or as HTTP Basic (documented for other flows; accepted here).
    let mut id = param(form, "client_id").map(str::to_string);
    let mut secret = param(form, "client_secret").map(str::to_string);
    if let Some(basic) = authorization.and_then(|a| a.strip_prefix("Basic ")) {
        if let Some((i, s)) = STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| t.split_once(':').map(|(a, b)| (form_decode(a), form_decode(b))))
        {
            id = id.or(Some(i));
            secret = secret.or(Some(s));
        }
    }
    let Some(client) = id
        .as_deref()
        .and_then(|id| org.clients.iter().find(|c| c.client_id == id))
    else {
        return oauth_error(400, "invalid_client_id", "client identifier invalid");
    };
    let given = Sha256::digest(secret.unwrap_or_default().as_bytes());
    let expected = client.secret.as_deref().map(|s| Sha256::digest(s.as_bytes()));
    if expected.is_none_or(|e| e != given) {
        return oauth_error(400, "invalid_client", "invalid client credentials");
    }
    let Some(run_as) = client.run_as.clone() else {
        return oauth_error(400, "invalid_grant", "no client credentials user enabled");
    };
    let client_id = client.client_id.clone();
    let Some(user) = org.user_by_username(&run_as) else {
        return oauth_error(400, "invalid_grant", "no client credentials user enabled");
    };
    if user.get("IsActive").and_then(Value::as_bool) != Some(true) {
        return oauth_error(400, "invalid_grant", "inactive user");
    }
    let user_id = user.get("Id").and_then(Value::as_str).unwrap_or_default().to_string();
    issue(org, base_url, &user_id, &client_id, now)
}

fn issue(org: &mut Org, base_url: &str, user_id: &str, client_id: &str, now: DateTime<Utc>) -> Reply {
    let mut rng = rand::thread_rng();
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    let tail: String = (0..96).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect();
    let access_token = format!("{}!AQ{tail}", &org.id[..15]);
    org.sessions.insert(
        access_token.clone(),
        Session {
            user_id: user_id.to_string(),
            expires_at: now + Duration::seconds(org.settings.session_seconds.min(i64::MAX as u64) as i64),
        },
    );
    // Sessions of the past must not pile up in a long-running sandbox.
    org.sessions.retain(|_, s| s.expires_at + Duration::hours(1) > now);
    let id_url = format!("{base_url}/id/{}/{user_id}", org.id);
    let issued_at = now.timestamp_millis().to_string();
    // Salesforce signs `id` + `issued_at` with the consumer secret; a JWT-only client has
    // none, so the org's own key stands in.
    let key: Vec<u8> = org
        .clients
        .iter()
        .find(|c| c.client_id == client_id)
        .and_then(|c| c.secret.as_ref())
        .map(|s| s.as_bytes().to_vec())
        .unwrap_or_else(|| org.signing_key.to_vec());
    let signature = STANDARD.encode(hmac_sha256(&key, format!("{id_url}{issued_at}").as_bytes()));
    Reply::json(
        200,
        Out::obj()
            .with("access_token", json!(access_token))
            .with("signature", json!(signature))
            .with("scope", json!("api"))
            .with("instance_url", json!(base_url))
            .with("id", json!(id_url))
            .with("token_type", json!("Bearer"))
            .with("issued_at", json!(issued_at)),
    )
    .header("cache-control", "no-cache,no-store")
}

/// The user a live session acts as.
pub fn session_user(org: &Org, token: Option<&str>, now: DateTime<Utc>) -> Option<String> {
    let s = org.sessions.get(token?)?;
    (s.expires_at > now).then(|| s.user_id.clone())
}

fn bad_token() -> Reply {
    Reply::text(403, "Bad_OAuth_Token")
}

/// `GET /id/{orgId}/{userId}`: the identity service.
pub fn identity(
    org: &Org,
    base_url: &str,
    token: Option<&str>,
    path_org: &str,
    path_user: &str,
    now: DateTime<Utc>,
) -> Reply {
    let Some(user_id) = session_user(org, token, now) else {
        return bad_token();
    };
    if super::ids::normalize(path_user).as_deref() != Some(user_id.as_str())
        || super::ids::normalize(path_org).as_deref() != Some(org.id.as_str())
    {
        return Reply::text(403, "Bad_Id");
    }
    user_document(org, base_url, &user_id, Document::Identity)
}

/// `GET /services/oauth2/userinfo`: OpenID Connect user info.
pub fn userinfo(org: &Org, base_url: &str, token: Option<&str>, now: DateTime<Utc>) -> Reply {
    let Some(user_id) = session_user(org, token, now) else {
        return bad_token();
    };
    user_document(org, base_url, &user_id, Document::UserInfo)
}

/// Which of the two user documents: they say the same things under different names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Document {
    /// The identity service's names.
    Identity,
    /// OpenID Connect's names.
    UserInfo,
}

/// The session user's document, in the identity service's or OpenID Connect's names and order.
fn user_document(org: &Org, base_url: &str, user_id: &str, doc: Document) -> Reply {
    let Some(u) = org.user_by_id(user_id) else {
        return bad_token();
    };
    let s = |k: &str| u.get(k).cloned().unwrap_or(Value::Null);
    let oidc = doc == Document::UserInfo;
    let name = |identity: &'static str, userinfo: &'static str| if oidc { userinfo } else { identity };
    let mut o = Out::obj().with(name("id", "sub"), json!(format!("{base_url}/id/{}/{user_id}", org.id)));
    if !oidc {
        o = o.with("asserted_user", json!(true));
    }
    o = o
        .with("user_id", json!(user_id))
        .with("organization_id", json!(org.id))
        .with(name("username", "preferred_username"), s("Username"))
        .with(name("nick_name", "nickname"), s("Username"))
        .with(name("display_name", "name"), s("Name"))
        .with("email", s("Email"));
    if oidc {
        o = o.with("email_verified", json!(true));
    }
    o = o.with("active", s("IsActive")).with("user_type", json!("STANDARD"));
    o = if oidc {
        let integration = u.get("__integration").and_then(Value::as_bool).unwrap_or(false);
        o.with("is_salesforce_integration_user", json!(integration))
    } else {
        o.with("is_lightning_login_user", json!(false))
    };
    Reply::json(200, o.with("urls", urls(base_url, &org.id, user_id)))
}

fn urls(base: &str, org_id: &str, user_id: &str) -> Value {
    json!({
        "rest": format!("{base}/services/data/v{{version}}/"),
        "sobjects": format!("{base}/services/data/v{{version}}/sobjects/"),
        "query": format!("{base}/services/data/v{{version}}/query/"),
        "profile": format!("{base}/{user_id}"),
        "custom_domain": base,
        "org_id": org_id,
    })
}
