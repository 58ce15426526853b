//! Where a lane's secret (or a token made from it) may be sent: Salesforce's own hosts, loopback
//! (the simulated org on this machine), or one host the person who stored the secret named
//! explicitly. Anything else is refused before a byte leaves.

use std::net::IpAddr;

/// Salesforce's domains: production, sandboxes and My Domain (`*.my.salesforce.com`,
/// `*.sandbox.my.salesforce.com`, `login.`/`test.salesforce.com`), Experience and Visualforce
/// hosts (`*.force.com`), Government Cloud Plus (`*.salesforce.mil`), older instance names
/// (`*.cloudforce.com`, `*.database.com`) and the China region (`*.sfcrmproducts.cn`).
const SALESFORCE_DOMAINS: &[&str] = &[
    "salesforce.com",
    "force.com",
    "salesforce.mil",
    "cloudforce.com",
    "database.com",
    "sfcrmproducts.cn",
];

/// The host of an absolute http(s) URL, lowercase, without port or brackets.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then(|| host.trim_end_matches('.').to_ascii_lowercase())
}

pub fn is_salesforce_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    SALESFORCE_DOMAINS
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether a secret or token may go to `host`, with `allowed` the one extra host the person
/// named when storing the secret.
pub fn may_receive_secret(host: &str, allowed: Option<&str>) -> bool {
    is_salesforce_host(host) || is_loopback(host) || allowed.is_some_and(|a| a.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_loopback_and_the_named_host_only() {
        assert_eq!(
            host_of("https://Acme.My.Salesforce.com/").as_deref(),
            Some("acme.my.salesforce.com")
        );
        assert_eq!(host_of("http://127.0.0.1:4010").as_deref(), Some("127.0.0.1"));
        assert_eq!(host_of("http://[::1]:80/x").as_deref(), Some("::1"));
        assert_eq!(
            host_of("https://user@evil.example:443").as_deref(),
            Some("evil.example")
        );
        for h in [
            "acme.my.salesforce.com",
            "test.salesforce.com",
            "acme--uat.sandbox.my.salesforce.com",
            "acme.my.salesforce.mil",
            "na1.force.com",
        ] {
            assert!(may_receive_secret(h, None), "{h}");
        }
        for h in ["127.0.0.1", "localhost", "::1"] {
            assert!(may_receive_secret(h, None), "{h}");
        }
        for h in [
            "evil.example",
            "salesforce.com.evil.example",
            "evilsalesforce.com",
            "10.0.0.1",
        ] {
            assert!(!may_receive_secret(h, None), "{h}");
        }
        assert!(may_receive_secret("proxy.acme.internal", Some("proxy.acme.internal")));
    }
}
