//! A lane secret is bound to the connection it was stored for: the login host, `client_id` and
//! username (and the one non-Salesforce host the person allowed, if any). The binding is stored
//! with the secret in the keychain entry, not in the database, so editing the database or
//! importing a changed contract cannot redirect the secret: when the contract's connection no
//! longer matches, the secret is not used until someone stores it again.

use crate::domain::contract::LaneContract;
use crate::domain::hosts;
use crate::error::{Error, Result};
use crate::keychain::Secret;
use serde::{Deserialize, Serialize};

/// The first line of a bound keychain entry starts with this; the secret follows the line.
const MAGIC: &str = "replay-console-binding-1 ";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The login URL's host (without port: a demo org on another port of this machine is the
    /// same place, and Salesforce's hosts have one port).
    pub login_host: String,
    pub client_id: String,
    pub username: String,
    /// A login host outside Salesforce's domains that the person storing the secret allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_host: Option<String>,
    /// The lane's `connection.extra_ca_file`: a CA trusted for this lane could impersonate
    /// Salesforce's hosts to it, so a changed file needs the secret stored again, like a changed host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_ca_file: Option<String>,
}

/// The binding the contract's connection calls for, `allowed_host` as given.
pub fn of_contract(contract: &LaneContract, allowed_host: Option<&str>) -> Result<Binding> {
    let c = contract
        .connection
        .as_ref()
        .ok_or_else(|| Error::InvalidInput(format!("lane `{}` has no `connection` block", contract.lane_id())))?;
    let url = c.instance_url.base();
    let login_host = hosts::host_of(url).ok_or_else(|| Error::InvalidInput(format!("`{url}` names no host")))?;
    Ok(Binding {
        login_host,
        client_id: c.client_id.0.clone(),
        username: c.username.0.clone(),
        allowed_host: allowed_host.map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase()),
        extra_ca_file: c.extra_ca_file.as_ref().map(|f| f.0.clone()),
    })
}

/// Refuses a login host that is neither Salesforce's, loopback, nor the allowed one.
pub fn check_host(b: &Binding, lane_id: &str) -> Result<()> {
    let host = &b.login_host;
    if hosts::may_receive_secret(host, b.allowed_host.as_deref()) {
        return Ok(());
    }
    Err(Error::Refused {
        code: "login_host_not_salesforce".into(),
        message: format!(
            "lane `{lane_id}` would send its secret to `{}`, which is not a Salesforce host (*.salesforce.com, *.force.com, *.salesforce.mil, …) or loopback; if that host is right (a proxy of your company's), store the secret with --allow-host {}",
            b.login_host, host
        ),
    })
}

/// The keychain entry: the binding's line, then the secret.
pub fn wrap(b: &Binding, secret: &Secret) -> Secret {
    let line = serde_json::to_string(b).unwrap_or_default();
    Secret::new(format!("{MAGIC}{line}\n{}", secret.expose()))
}

/// The binding and the secret of a keychain entry; no binding for an entry stored before
/// secrets were bound (it is then not used).
pub fn unwrap(stored: &Secret) -> (Option<Binding>, Secret) {
    let text = stored.expose();
    if let Some(rest) = text.strip_prefix(MAGIC) {
        if let Some((line, secret)) = rest.split_once('\n') {
            if let Ok(b) = serde_json::from_str::<Binding>(line) {
                return (Some(b), Secret::new(secret));
            }
        }
    }
    (None, Secret::new(text))
}

/// What differs between the binding stored and the connection now, in words; empty when the
/// secret may be used.
pub fn changes(stored: &Binding, now: &Binding) -> Vec<String> {
    let mut out = Vec::new();
    for (what, a, b) in [
        ("login host", &stored.login_host, &now.login_host),
        ("client_id", &stored.client_id, &now.client_id),
        ("username", &stored.username, &now.username),
    ] {
        if a != b {
            out.push(format!("{what} `{a}` is now `{b}`"));
        }
    }
    if stored.extra_ca_file != now.extra_ca_file {
        let said = |f: &Option<String>| f.as_deref().map_or("none".to_string(), |f| format!("`{f}`"));
        out.push(format!(
            "extra CA file {} is now {}",
            said(&stored.extra_ca_file),
            said(&now.extra_ca_file)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_round_trips_and_an_old_one_has_no_binding() {
        let b = Binding {
            login_host: "acme.my.salesforce.com".into(),
            client_id: "3MVG".into(),
            username: "u@acme.example".into(),
            allowed_host: None,
            extra_ca_file: None,
        };
        let secret = Secret::new("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n");
        let (got, s) = unwrap(&wrap(&b, &secret));
        assert_eq!(got.as_ref(), Some(&b));
        assert_eq!(s.expose(), secret.expose());
        let (none, s) = unwrap(&secret);
        assert!(none.is_none());
        assert_eq!(s.expose(), secret.expose());
        let moved = Binding {
            login_host: "evil.example".into(),
            ..b.clone()
        };
        assert_eq!(
            changes(&b, &moved),
            ["login host `acme.my.salesforce.com` is now `evil.example`"]
        );
    }
}
